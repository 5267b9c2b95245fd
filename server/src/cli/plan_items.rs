//! `rollgate release group|signoff|tasks|task|resource …`: the release plan's living parts
//! from the command line — who is in the release group and who has signed off, the
//! readiness tasks (numbered from 1, as people count). Kept apart
//! from `release.rs` (the actions of the state machine) because these commands read
//! and change the plan's items, not the rollout.

use std::fmt::Write as _;

use clap::Subcommand;
use serde_json::{Value, json};

use super::client::{Answer, Client};
use super::show::{one_line, text};
use super::{CliError, print_json, segment};
use crate::service::WithVersion;
use crate::service::releases::Release;

/// The commands on a release plan's items.
#[derive(Debug, Subcommand)]
pub(crate) enum PlanCommand {
    /// Show the release group: each member's function and sign-off, and the
    /// sign-offs still missing.
    Group {
        /// The release id.
        id: String,
    },
    /// Sign off as a member of the release group (an approval for your function).
    Signoff {
        /// The release id.
        id: String,
        /// The function you sign off for, when you hold several the plan requires.
        #[arg(long)]
        function: Option<String>,
        /// Why, for the timeline.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Answer for a resource as its owner: `commit` it, or `decline` it with
    /// `--reason …` (by its number, from 1, in the plan's `resources`).
    Resource {
        /// The release id.
        id: String,
        /// The resource's number, from 1.
        resource: usize,
        /// `commit` or `decline` (a reason is required).
        #[arg(value_parser = ["commit", "decline"])]
        answer: String,
        /// Why it is declined, or a remark.
        #[arg(long)]
        reason: Option<String>,
    },
    /// List the readiness tasks by number (from 1), with what is overdue.
    Tasks {
        /// The release id.
        id: String,
    },
    /// Change a task: its status and/or notes (approvals are kept).
    Task {
        /// The release id.
        id: String,
        /// The task's number, from 1, as `rollgate release tasks` lists them.
        task: usize,
        /// todo, doing, done or dropped.
        #[arg(long)]
        status: Option<String>,
        /// Why it is dropped (with `--status dropped`).
        #[arg(long)]
        reason: Option<String>,
        /// Replace the task's notes.
        #[arg(long)]
        notes: Option<String>,
        /// A remark for the timeline.
        #[arg(long)]
        comment: Option<String>,
    },
}

/// Runs one command.
pub(crate) async fn run(client: &Client, json: bool, command: PlanCommand) -> Result<(), CliError> {
    match command {
        PlanCommand::Group { id } => {
            let release = client.get(&path(&id, "")).await?.body;
            if json {
                print_json(&release);
            } else {
                print!("{}", group(&release));
            }
        }
        PlanCommand::Signoff {
            id,
            function,
            comment,
        } => {
            let body = without_nulls(json!({ "function": function, "comment": comment }));
            let answer = client.post(&path(&id, "/approve"), &body).await?;
            done(json, &answer, "signed off")?;
        }
        PlanCommand::Resource {
            id,
            resource,
            answer,
            reason,
        } => {
            let index = numbered(resource, "resources", "rollgate release show --json")?;
            let rest = format!("/resources/{index}/{answer}");
            let body = without_nulls(json!({ "reason": reason }));
            let reply = client.post(&path(&id, &rest), &body).await?;
            done(json, &reply, &format!("{answer} recorded"))?;
        }
        PlanCommand::Tasks { id } => {
            let list = client.get(&path(&id, "/tasks")).await?.body;
            if json {
                print_json(&list);
            } else {
                print!("{}", tasks(&list));
            }
        }
        PlanCommand::Task {
            id,
            task,
            status,
            reason,
            notes,
            comment,
        } => {
            let index = numbered(task, "tasks", "rollgate release tasks")?;
            let body = without_nulls(
                json!({ "status": status, "reason": reason, "notes": notes, "comment": comment }),
            );
            let rest = format!("/tasks/{index}");
            let answer = client.post(&path(&id, &rest), &body).await?;
            done(json, &answer, "task updated")?;
        }
    }
    Ok(())
}

/// The API's index of an item people number from 1.
fn numbered(number: usize, what: &str, lister: &str) -> Result<usize, CliError> {
    number.checked_sub(1).ok_or_else(|| {
        CliError::Usage(format!(
            "{what} are numbered from 1, as `{lister}` lists them"
        ))
    })
}

/// The tasks as people read them: number, area, status, due, owner, title.
pub(crate) fn tasks(list: &Value) -> String {
    let mut out = String::new();
    let tasks = list["tasks"].as_array().cloned().unwrap_or_default();
    if tasks.is_empty() {
        out.push_str("no tasks\n");
    }
    for task in &tasks {
        let number = task["index"].as_u64().map_or(0, |i| i + 1);
        let overdue = if task["overdue"] == json!(true) {
            "  OVERDUE"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{number:>3}. [{}] {:<8} due {:<20} {:<12} {}{overdue}",
            text(&task["area"]),
            text(&task["status"]),
            text(&task["due"]),
            text(&task["owner"]),
            text(&task["title"]),
        );
    }
    let _ = writeln!(out, "{} overdue at {}", list["overdue"], text(&list["now"]));
    out
}

/// `/api/v1/releases/{id}{rest}`.
fn path(id: &str, rest: &str) -> String {
    format!("/api/v1/releases/{}{rest}", segment(id))
}

/// Prints the release an action answered: a summary line, or the server's JSON.
fn done(json: bool, answer: &Answer, what: &str) -> Result<(), CliError> {
    if json {
        print_json(&answer.body);
    } else {
        let release: WithVersion<Release> = answer.read()?;
        println!("{what}: {}", one_line(&release.doc));
    }
    Ok(())
}

fn without_nulls(mut body: Value) -> Value {
    if let Some(object) = body.as_object_mut() {
        object.retain(|_, v| !v.is_null());
    }
    body
}

/// The group as people read it: one line per member, then what is missing.
pub(crate) fn group(release: &Value) -> String {
    let mut out = String::new();
    let members = release["group"].as_array().cloned().unwrap_or_default();
    if members.is_empty() {
        out.push_str("no release group\n");
    }
    let approvals = release["approvals"].as_array().cloned().unwrap_or_default();
    for member in &members {
        let signed = approvals
            .iter()
            .find(|a| a["function"] == member["function"] && a["by"]["id"] == member["principal"]);
        let signed =
            signed.map_or_else(String::new, |a| format!("  signed off {}", text(&a["at"])));
        let _ = writeln!(
            out,
            "{:<24} {:<18} {}{signed}",
            text(&member["name"]),
            text(&member["function"]),
            text(&member["principal"])
        );
    }
    let required: Vec<String> = release["signoffs_required"]
        .as_array()
        .map(|r| r.iter().map(text).collect())
        .unwrap_or_default();
    let missing: Vec<&String> = required
        .iter()
        .filter(|f| {
            !approvals
                .iter()
                .any(|a| a["function"].as_str() == Some(f.as_str()))
        })
        .collect();
    if !required.is_empty() {
        let missing = if missing.is_empty() {
            "none".to_owned()
        } else {
            missing
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            out,
            "sign-offs required: {}; missing: {missing}",
            required.join(", ")
        );
    }
    out
}
