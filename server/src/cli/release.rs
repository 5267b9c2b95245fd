//! `rollgate release …`: create, list, show, every action of a release's life, and its
//! validation report.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use super::{CliError, ClientOptions, preview, print_json, segment, show};

/// Plan, approve and drive releases.
#[derive(Debug, Args)]
pub struct ReleaseArgs {
    #[command(flatten)]
    options: ClientOptions,
    #[command(subcommand)]
    command: ReleaseCommand,
}

/// The release commands.
#[derive(Debug, Subcommand)]
pub(crate) enum ReleaseCommand {
    /// Create a release from a plan (a JSON file, or `-` for standard input).
    Create {
        /// The plan (its fields: docs/release-plan.md).
        file: PathBuf,
        /// Print only the new release's id (for scripts: `ID=$(rollgate release create plan.json -q)`).
        #[arg(long, short)]
        quiet: bool,
    },
    /// List releases.
    List {
        /// Only this state (draft, pending_approval, approved, running, paused, …).
        #[arg(long)]
        state: Option<String>,
        /// Only this environment.
        #[arg(long)]
        environment: Option<String>,
    },
    /// Show a release: plan, state, stages, checklist, recent timeline.
    Show {
        /// The release id.
        id: String,
    },
    /// Submit for approval.
    Submit(Act),
    /// Approve (not as the author).
    Approve(Act),
    /// Tick a readiness item (by its number in `show`, from 1).
    Check {
        /// The release id.
        id: String,
        /// The item's number, from 1.
        item: usize,
        /// Untick instead.
        #[arg(long)]
        undo: bool,
        /// A remark for the timeline.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Start: apply the first stage (`--dry-run`: only say what the start would do).
    Start {
        /// The release id.
        id: String,
        /// Why, for the timeline.
        #[arg(long)]
        comment: Option<String>,
        /// Acknowledge a warning of the preview by its code (repeat for each, or
        /// separate codes with commas).
        #[arg(long, value_name = "CODE", value_delimiter = ',')]
        acknowledge: Vec<String>,
        /// Show what the start would do — configurations before → after, each
        /// audience's share, the preflight, the warnings — and change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Pause: stop advancing.
    Pause(Act),
    /// Resume advancing.
    Resume(Act),
    /// Advance to the next stage now (after the last one: complete).
    Promote(Act),
    /// Set the percentage of the current stage's audience.
    SetPercent {
        /// The release id.
        id: String,
        /// The percentage, e.g. 12.5.
        percent: f64,
        /// Why.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Roll back: every flag to control, at once.
    Rollback {
        /// The release id.
        id: String,
        /// Why (required).
        #[arg(long)]
        reason: String,
    },
    /// Cancel a release that has not started.
    Cancel(Act),
    /// Print the validation report (Markdown by default; `--format html` for a page with
    /// charts, `--output FILE` to save it).
    Report(super::report::ReportArgs),
    /// The plan's living parts: the release group and sign-offs.
    #[command(flatten)]
    Plan(super::plan_items::PlanCommand),
}

/// An action on one release, with an optional comment.
#[derive(Debug, Args)]
pub(crate) struct Act {
    /// The release id.
    id: String,
    /// Why, for the timeline.
    #[arg(long)]
    comment: Option<String>,
}

pub(super) async fn run(args: ReleaseArgs) -> Result<(), CliError> {
    let client = args.options.client()?;
    let json = args.options.json;
    let action = |name: &'static str, act: Act| (act.id, name, json!({ "comment": act.comment }));
    let (id, name, body) = match args.command {
        ReleaseCommand::Create { file, quiet } => {
            let plan = read_plan(&file)?;
            let answer = client.post("/api/v1/releases", &plan).await?;
            if quiet && !json {
                println!("{}", answer.body["id"].as_str().unwrap_or_default());
                return Ok(());
            }
            return print(json, &answer.body, "created");
        }
        ReleaseCommand::List { state, environment } => {
            let mut query = Vec::new();
            if let Some(state) = state {
                query.push(format!("state={}", segment(&state)));
            }
            if let Some(environment) = environment {
                query.push(format!("environment={}", segment(&environment)));
            }
            let path = if query.is_empty() {
                "/api/v1/releases".to_owned()
            } else {
                format!("/api/v1/releases?{}", query.join("&"))
            };
            let answer = client.get(&path).await?;
            if json {
                print_json(&answer.body);
            } else {
                print!("{}", show::release_table(&answer.body));
            }
            return Ok(());
        }
        ReleaseCommand::Show { id } => {
            let answer = client
                .get(&format!("/api/v1/releases/{}", segment(&id)))
                .await?;
            if json {
                print_json(&answer.body);
            } else {
                print!("{}", show::release(&answer.body));
            }
            return Ok(());
        }
        ReleaseCommand::Report(report) => {
            return super::report::report(&args.options, report).await;
        }
        ReleaseCommand::Plan(command) => {
            return super::plan_items::run(&client, json, command).await;
        }
        ReleaseCommand::Start {
            id, dry_run: true, ..
        } => {
            let answer = client
                .get(&format!("/api/v1/releases/{}/preview", segment(&id)))
                .await?;
            if json {
                print_json(&answer.body);
            } else {
                print!("{}", preview::render(&id, &answer.body));
            }
            return Ok(());
        }
        ReleaseCommand::Start {
            id,
            comment,
            acknowledge,
            dry_run: false,
        } => {
            let body = json!({ "comment": comment, "acknowledge": acknowledge });
            (id, "start", body)
        }
        ReleaseCommand::Check {
            id,
            item,
            undo,
            comment,
        } => {
            let Some(index) = item.checked_sub(1) else {
                return Err(CliError::Usage(
                    "checklist items are numbered from 1, as `rollgate release show` lists them"
                        .to_owned(),
                ));
            };
            (
                id,
                "checklist",
                json!({ "done": !undo, "comment": comment, "index": index }),
            )
        }
        ReleaseCommand::SetPercent {
            id,
            percent,
            comment,
        } => (
            id,
            "percent",
            json!({ "percent": percent, "comment": comment }),
        ),
        ReleaseCommand::Rollback { id, reason } => (id, "rollback", json!({ "reason": reason })),
        ReleaseCommand::Submit(act) => action("submit", act),
        ReleaseCommand::Approve(act) => action("approve", act),
        ReleaseCommand::Pause(act) => action("pause", act),
        ReleaseCommand::Resume(act) => action("resume", act),
        ReleaseCommand::Promote(act) => action("promote", act),
        ReleaseCommand::Cancel(act) => action("cancel", act),
    };
    let mut body = strip_nulls(body);
    if body["acknowledge"].as_array().is_some_and(Vec::is_empty) {
        body.as_object_mut().map(|b| b.remove("acknowledge"));
    }
    let path = match body.as_object_mut().and_then(|b| b.remove("index")) {
        Some(index) => format!("/api/v1/releases/{}/checklist/{index}", segment(&id)),
        None => format!("/api/v1/releases/{}/{name}", segment(&id)),
    };
    let answer = match client.post(&path, &body).await {
        Err(CliError::Server {
            status,
            detail,
            field,
            mut notes,
        }) if !notes.is_empty() => {
            // A start with warnings: say how to acknowledge them.
            let preview = client
                .get(&format!("/api/v1/releases/{}/preview", segment(&id)))
                .await
                .map(|p| p.body["warnings"].clone())
                .unwrap_or_default();
            notes.push(format!(
                "to go ahead: {}",
                preview::start_command(&id, &preview)
            ));
            return Err(CliError::Server {
                status,
                detail,
                field,
                notes,
            });
        }
        other => other?,
    };
    print(json, &answer.body, done(name))
}

/// What an action did, as the summary line starts.
fn done(action: &str) -> &'static str {
    match action {
        "submit" => "submitted",
        "approve" => "approved",
        "start" => "started",
        "pause" => "paused",
        "resume" => "resumed",
        "promote" => "promoted",
        "rollback" => "rolled back",
        "cancel" => "cancelled",
        "percent" => "percentage set",
        "checklist" => "checklist updated",
        _ => "done",
    }
}

/// Prints the release: a summary line for people, the server's JSON with `--json`.
fn print(json: bool, release: &Value, done: &str) -> Result<(), CliError> {
    if json {
        print_json(release);
    } else {
        println!("{done}: {}", show::one_line(release));
    }
    Ok(())
}

fn read_plan(file: &PathBuf) -> Result<Value, CliError> {
    let text = if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(file)
    }
    .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("{} is not JSON: {e}", file.display())))
}

fn strip_nulls(mut body: Value) -> Value {
    if let Some(object) = body.as_object_mut() {
        object.retain(|_, v| !v.is_null());
    }
    body
}
