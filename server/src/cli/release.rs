//! `rollgate release …`: create, list, show, every action of a release's life, and its
//! validation report.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::Value;

use super::client::Answer;
use super::{CliError, ClientOptions, preview, print_json, segment, show};
use crate::service::WithVersion;
use crate::service::releases::{
    ActionRequest, ChecklistRequest, PercentRequest, Release, StartPreview,
};

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
        /// Start from this template: the plan file's fields replace the template's.
        #[arg(long)]
        template: Option<String>,
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
    /// The living risk log: list, add, update (with a reason).
    #[command(subcommand)]
    Risk(super::log_items::RiskCommand),
    /// Tracked incidents: list, log, update (status, severity, owner, actions).
    #[command(subcommand)]
    Incident(super::log_items::IncidentCommand),
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

/// The body of an action, as the server reads it.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum ActionBody {
    /// A comment, a start's acknowledgements, or a rollback's reason.
    Act(ActionRequest),
    /// A new percentage.
    Percent(PercentRequest),
    /// A readiness item ticked or unticked.
    Checklist(ChecklistRequest),
}

/// `{ "comment": … }`, as most actions take it.
fn commented(comment: Option<String>) -> ActionBody {
    ActionBody::Act(ActionRequest {
        comment,
        ..ActionRequest::default()
    })
}

pub(super) async fn run(args: ReleaseArgs) -> Result<(), CliError> {
    let client = args.options.client()?;
    let json = args.options.json;
    let action =
        |name: &'static str, act: Act| (act.id, name, name.to_owned(), commented(act.comment));
    let (id, name, path, body) = match args.command {
        ReleaseCommand::Create {
            file,
            quiet,
            template,
        } => {
            let mut plan = read_plan(&file)?;
            if let (Some(name), Some(fields)) = (template, plan.as_object_mut()) {
                fields.insert("template".to_owned(), Value::String(name));
            }
            let answer = client.post("/api/v1/releases", &plan).await?;
            if quiet && !json {
                println!("{}", answer.read::<WithVersion<Release>>()?.doc.id);
                return Ok(());
            }
            return print(json, &answer, "created");
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
                print!("{}", show::release_table(&answer.read::<Vec<_>>()?));
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
                let release: WithVersion<Release> = answer.read()?;
                print!("{}", show::release(&release.doc));
            }
            return Ok(());
        }
        ReleaseCommand::Report(report) => {
            return super::report::report(&args.options, report).await;
        }
        ReleaseCommand::Plan(command) => {
            return super::plan_items::run(&client, json, command).await;
        }
        ReleaseCommand::Risk(command) => {
            return super::log_items::risk(&client, json, command).await;
        }
        ReleaseCommand::Incident(command) => {
            return super::log_items::incident(&client, json, command).await;
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
                print!("{}", preview::render(&id, &answer.read()?));
            }
            return Ok(());
        }
        ReleaseCommand::Start {
            id,
            comment,
            acknowledge,
            dry_run: false,
        } => {
            let body = ActionRequest {
                comment,
                reason: None,
                acknowledge: (!acknowledge.is_empty()).then_some(acknowledge),
                function: None,
            };
            (id, "start", "start".to_owned(), ActionBody::Act(body))
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
            let body = ChecklistRequest {
                done: !undo,
                comment,
            };
            let path = format!("checklist/{index}");
            (id, "checklist", path, ActionBody::Checklist(body))
        }
        ReleaseCommand::SetPercent {
            id,
            percent,
            comment,
        } => {
            let body = PercentRequest { percent, comment };
            let body = ActionBody::Percent(body);
            (id, "percent", "percent".to_owned(), body)
        }
        ReleaseCommand::Rollback { id, reason } => {
            let body = ActionRequest {
                reason: Some(reason),
                ..ActionRequest::default()
            };
            (id, "rollback", "rollback".to_owned(), ActionBody::Act(body))
        }
        ReleaseCommand::Submit(act) => action("submit", act),
        ReleaseCommand::Approve(act) => action("approve", act),
        ReleaseCommand::Pause(act) => action("pause", act),
        ReleaseCommand::Resume(act) => action("resume", act),
        ReleaseCommand::Promote(act) => action("promote", act),
        ReleaseCommand::Cancel(act) => action("cancel", act),
    };
    let path = format!("/api/v1/releases/{}/{path}", segment(&id));
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
                .and_then(|p| p.read::<StartPreview>())
                .map(|p| p.warnings)
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
    print(json, &answer, done(name))
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
fn print(json: bool, answer: &Answer, done: &str) -> Result<(), CliError> {
    if json {
        print_json(&answer.body);
    } else {
        let release: WithVersion<Release> = answer.read()?;
        println!("{done}: {}", show::one_line(&release.doc));
    }
    Ok(())
}

/// The plan as written, sent as it is: the server validates it and names each field
/// that is wrong, which a `ReleasePlan` parsed here could not do as well.
pub(super) fn read_plan(file: &PathBuf) -> Result<Value, CliError> {
    let text = if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(file)
    }
    .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("{} is not JSON: {e}", file.display())))
}
