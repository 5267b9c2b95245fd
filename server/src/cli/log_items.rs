//! `rollgate release risk …` and `rollgate release incident …`: the living risk log and
//! the tracked incidents from the command line — listed, added or logged, and changed,
//! each change sent as the server's own request type and answered with the item it
//! changed. Risks and incidents are named by their ids (`risk-2`, `incident-1`), as the
//! server numbers them.

use std::fmt::Write as _;

use clap::Subcommand;
use rollgate_core::release::LoggedRisk;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::client::{Answer, Client};
use super::show::text;
use super::{CliError, print_json, segment};
use crate::service::WithVersion;
use crate::service::releases::incidents::Incident;
use crate::service::releases::{
    EventKind, IncidentChange, IncidentRequest, NewRisk, Release, RiskChange,
};

/// The risk log's commands.
#[derive(Debug, Subcommand)]
pub(crate) enum RiskCommand {
    /// List the risk log: each risk's status, likelihood, impact and owner.
    List {
        /// The release id.
        id: String,
    },
    /// Add a risk (it starts open); approvals are kept.
    Add {
        /// The release id.
        id: String,
        /// What could go wrong.
        #[arg(long)]
        description: String,
        /// low, medium or high.
        #[arg(long)]
        likelihood: String,
        /// low, medium or high.
        #[arg(long)]
        impact: String,
        /// What reduces it.
        #[arg(long)]
        mitigation: Option<String>,
        /// Who watches it.
        #[arg(long)]
        owner: Option<String>,
        /// Why it is added now.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Change a risk, with a reason: status (open, mitigating, closed, occurred with
    /// `--incident`), likelihood, impact, mitigation, owner.
    Update {
        /// The release id.
        id: String,
        /// The risk's id, e.g. risk-2.
        risk: String,
        /// Why it changes (required).
        #[arg(long)]
        reason: String,
        /// open, mitigating, closed or occurred.
        #[arg(long)]
        status: Option<String>,
        /// The incident it became (with `--status occurred`).
        #[arg(long)]
        incident: Option<String>,
        /// low, medium or high.
        #[arg(long)]
        likelihood: Option<String>,
        /// low, medium or high.
        #[arg(long)]
        impact: Option<String>,
        /// Replace the mitigation.
        #[arg(long)]
        mitigation: Option<String>,
        /// Replace the owner.
        #[arg(long)]
        owner: Option<String>,
    },
}

/// The incidents' commands.
#[derive(Debug, Subcommand)]
pub(crate) enum IncidentCommand {
    /// List the incidents: severity, status, owner, time to resolve, actions.
    List {
        /// The release id.
        id: String,
    },
    /// Log an incident: what happened and what was done.
    Log {
        /// The release id.
        id: String,
        /// What happened.
        #[arg(long)]
        what: String,
        /// What was done about it.
        #[arg(long)]
        action: String,
        /// low, medium (the default), high or critical.
        #[arg(long)]
        severity: Option<String>,
        /// Who sees it through (you, by default).
        #[arg(long)]
        owner: Option<String>,
        /// The risk of the log that occurred (it becomes occurred).
        #[arg(long)]
        risk: Option<String>,
    },
    /// Change an incident: status (open, mitigated, resolved), severity, owner, and/or
    /// record an action taken.
    Update {
        /// The release id.
        id: String,
        /// The incident's id, e.g. incident-1.
        incident: String,
        /// open, mitigated or resolved (final).
        #[arg(long)]
        status: Option<String>,
        /// low, medium, high or critical.
        #[arg(long)]
        severity: Option<String>,
        /// The new owner.
        #[arg(long)]
        owner: Option<String>,
        /// An action taken.
        #[arg(long)]
        action: Option<String>,
    },
}

/// Runs one risk command.
pub(crate) async fn risk(
    client: &Client,
    json: bool,
    command: RiskCommand,
) -> Result<(), CliError> {
    match command {
        RiskCommand::List { id } => {
            let answer = client.get(&path(&id, "")).await?;
            if json {
                print_json(&answer.body["risk_log"]);
            } else {
                print!("{}", risks(&read_release(&answer)?.risk_log));
            }
        }
        RiskCommand::Add {
            id,
            description,
            likelihood,
            impact,
            mitigation,
            owner,
            reason,
        } => {
            let body = NewRisk {
                description,
                likelihood: word("likelihood", &likelihood)?,
                impact: word("impact", &impact)?,
                mitigation,
                owner,
                reason,
            };
            let answer = client.post(&path(&id, "/risks"), &body).await?;
            done(json, &answer, |r| r.risk_log.last().map(risk_line), "added")?;
        }
        RiskCommand::Update {
            id,
            risk,
            reason,
            status,
            incident,
            likelihood,
            impact,
            mitigation,
            owner,
        } => {
            let body = RiskChange {
                status: maybe("status", status)?,
                incident,
                likelihood: maybe("likelihood", likelihood)?,
                impact: maybe("impact", impact)?,
                mitigation,
                owner,
                reason: Some(reason),
            };
            let answer = client
                .post(&path(&id, &format!("/risks/{}", segment(&risk))), &body)
                .await?;
            let find = |r: &Release| r.risk_log.iter().find(|x| x.id == risk).map(risk_line);
            done(json, &answer, find, "updated")?;
        }
    }
    Ok(())
}

/// Runs one incident command.
pub(crate) async fn incident(
    client: &Client,
    json: bool,
    command: IncidentCommand,
) -> Result<(), CliError> {
    match command {
        IncidentCommand::List { id } => {
            let answer = client.get(&path(&id, "")).await?;
            if json {
                print_json(&answer.body["incidents"]);
            } else {
                print!("{}", incidents(&read_release(&answer)?.incidents));
            }
        }
        IncidentCommand::Log {
            id,
            what,
            action,
            severity,
            owner,
            risk,
        } => {
            let body = IncidentRequest {
                what,
                action,
                severity: maybe("severity", severity)?,
                owner,
                risk,
            };
            let answer = client.post(&path(&id, "/incidents"), &body).await?;
            done(
                json,
                &answer,
                |r| r.incidents.last().map(incident_line),
                "logged",
            )?;
        }
        IncidentCommand::Update {
            id,
            incident,
            status,
            severity,
            owner,
            action,
        } => {
            let body = IncidentChange {
                status: maybe("status", status)?,
                severity: maybe("severity", severity)?,
                owner,
                action,
            };
            let rest = format!("/incidents/{}", segment(&incident));
            let answer = client.post(&path(&id, &rest), &body).await?;
            let find = |r: &Release| r.incident(&incident).map(incident_line);
            done(json, &answer, find, "updated")?;
        }
    }
    Ok(())
}

fn read_release(answer: &Answer) -> Result<Release, CliError> {
    let release: WithVersion<Release> = answer.read()?;
    Ok(release.doc)
}

/// A word of the API (`closed`, `high`…) as its type, or a usage error naming `field`.
fn word<T: DeserializeOwned>(field: &str, value: &str) -> Result<T, CliError> {
    serde_json::from_value(json!(value))
        .map_err(|_| CliError::Usage(format!("--{field}: unknown value {value:?}")))
}

fn maybe<T: DeserializeOwned>(field: &str, value: Option<String>) -> Result<Option<T>, CliError> {
    value.map(|v| word(field, &v)).transpose()
}

/// `/api/v1/releases/{id}{rest}`.
fn path(id: &str, rest: &str) -> String {
    format!("/api/v1/releases/{}{rest}", segment(id))
}

/// Prints the item an action changed (`risk-2 added: …`), or the server's JSON.
fn done(
    json: bool,
    answer: &Answer,
    item: impl Fn(&Release) -> Option<String>,
    what: &str,
) -> Result<(), CliError> {
    if json {
        print_json(&answer.body);
    } else {
        let line = item(&read_release(answer)?).unwrap_or_default();
        println!("{what}: {line}");
    }
    Ok(())
}

/// One risk: id, status, likelihood/impact, owner, description (and its incident).
pub(crate) fn risk_line(risk: &LoggedRisk) -> String {
    let incident = risk
        .incident
        .as_ref()
        .map(|i| format!(" → {i}"))
        .unwrap_or_default();
    format!(
        "{:<8} {:<10} likelihood {:<6} impact {:<6} owner {:<12} {}{incident}",
        risk.id,
        risk.status.as_str(),
        risk.likelihood.as_str(),
        risk.impact.as_str(),
        if risk.owner.is_empty() {
            "-"
        } else {
            &risk.owner
        },
        one(&risk.description),
    )
}

/// The risk log, one line per risk.
pub(crate) fn risks(log: &[LoggedRisk]) -> String {
    if log.is_empty() {
        return "no risks logged\n".to_owned();
    }
    log.iter().map(|r| risk_line(r) + "\n").collect()
}

/// One incident: id, severity, status (or time to resolve), owner, what, actions.
pub(crate) fn incident_line(incident: &Incident) -> String {
    let status = match incident.seconds_to_resolve() {
        Some(seconds) => format!(
            "resolved in {}",
            crate::service::reports::text::duration(seconds)
        ),
        None => incident.status.as_str().to_owned(),
    };
    let risk = incident
        .risk
        .as_ref()
        .map(|r| format!(" (from {r})"))
        .unwrap_or_default();
    format!(
        "{:<10} {:<8} {:<20} owner {:<12} {}{risk}; {} action(s)",
        incident.id,
        incident.severity.as_str(),
        status,
        incident.owner,
        one(&incident.what),
        incident.actions.len()
    )
}

/// The incidents, one line per incident, then each action with its time.
pub(crate) fn incidents(list: &[Incident]) -> String {
    if list.is_empty() {
        return "no incidents\n".to_owned();
    }
    let mut out = String::new();
    for incident in list {
        let _ = writeln!(out, "{}", incident_line(incident));
        for action in &incident.actions {
            let at = crate::service::reports::text::rfc3339(action.at);
            let _ = writeln!(out, "    {at} {}: {}", action.by.name, one(&action.action));
        }
    }
    out
}

/// A free text on one line.
fn one(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `incident-1 [high] ` from an `incident` event's details (nothing for old events).
pub(crate) fn incident_tag(details: &Value) -> String {
    match (details["id"].as_str(), details["severity"].as_str()) {
        (Some(id), Some(severity)) => format!("{id} [{severity}] "),
        _ => String::new(),
    }
}

/// The timeline line of a risk log or incident change.
pub(crate) fn event_line(kind: EventKind, details: &Value) -> String {
    let changes = |d: &Value| {
        let (Some(from), Some(to)) = (d["from"].as_object(), d["to"].as_object()) else {
            return String::new();
        };
        to.iter()
            .map(|(field, after)| format!("{field} {} → {}", text(&from[field]), text(after)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match kind {
        EventKind::RiskAdded => format!(
            "{} {:?} added (likelihood {}, impact {})",
            text(&details["id"]),
            text(&details["risk"]["description"]),
            text(&details["risk"]["likelihood"]),
            text(&details["risk"]["impact"])
        ),
        EventKind::RiskUpdated => format!(
            "{} {:?}: {}",
            text(&details["id"]),
            text(&details["description"]),
            changes(details)
        ),
        _ => {
            let mut parts = Vec::new();
            if details.get("to").is_some() {
                parts.push(format!(
                    "{} → {}",
                    text(&details["from"]),
                    text(&details["to"])
                ));
            }
            for field in ["severity", "owner"] {
                if details.get(field).is_some() {
                    parts.push(format!(
                        "{field} {} → {}",
                        text(&details[field]["from"]),
                        text(&details[field]["to"])
                    ));
                }
            }
            if details.get("action").is_some() {
                parts.push(format!("action: {}", text(&details["action"])));
            }
            format!(
                "{} {:?}: {}",
                text(&details["id"]),
                text(&details["what"]),
                parts.join(", ")
            )
        }
    }
}
