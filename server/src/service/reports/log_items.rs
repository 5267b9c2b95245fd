//! The report's risk log and tracked incidents: built from the release (the log as it
//! stands, its history from the timeline, the incidents counted by severity and status
//! with their time to resolve and actions), and shown as titled tables beside the plan's
//! other living parts ([`super::plan_items`]).

use std::collections::BTreeMap;

use serde_json::Value;

use super::model::{IncidentSummary, Report, RiskNote, SeverityCount};
use super::plan_items::{Section, row};
use super::text;
use crate::service::releases::incidents::Incident;
use crate::service::releases::{EventKind, Release};

/// Every `risk_added` and `risk_updated` event, in words.
pub(crate) fn risk_history(release: &Release) -> Vec<RiskNote> {
    release
        .timeline
        .iter()
        .filter(|e| matches!(e.event, EventKind::RiskAdded | EventKind::RiskUpdated))
        .map(|event| {
            let details = event.details.clone().unwrap_or_default();
            let change = if event.event == EventKind::RiskAdded {
                "added".to_owned()
            } else {
                changes(&details)
            };
            RiskNote {
                at: event.at,
                by: event.by.name.clone(),
                risk: details["id"].as_str().unwrap_or_default().to_owned(),
                change,
                reason: event.comment.clone(),
            }
        })
        .collect()
}

/// `status open → closed; owner "" → "dana"` from a `risk_updated` event's details.
fn changes(details: &Value) -> String {
    let (Some(from), Some(to)) = (details["from"].as_object(), details["to"].as_object()) else {
        return "changed".to_owned();
    };
    let word = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "—".to_owned(),
        Some(other) => other.to_string(),
    };
    to.iter()
        .map(|(field, after)| format!("{field} {} → {}", word(from.get(field)), word(Some(after))))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The incidents counted.
pub(crate) fn incident_summary(incidents: &[Incident]) -> IncidentSummary {
    let mut by: BTreeMap<std::cmp::Reverse<_>, Vec<&Incident>> = BTreeMap::new();
    for incident in incidents {
        by.entry(std::cmp::Reverse(incident.severity))
            .or_default()
            .push(incident);
    }
    let count = |status| incidents.iter().filter(|i| i.status == status).count();
    let times: Vec<u64> = incidents
        .iter()
        .filter_map(Incident::seconds_to_resolve)
        .collect();
    IncidentSummary {
        total: incidents.len(),
        by_severity: by
            .into_iter()
            .map(|(std::cmp::Reverse(severity), group)| {
                let times: Vec<u64> = group
                    .iter()
                    .filter_map(|i| i.seconds_to_resolve())
                    .collect();
                SeverityCount {
                    severity,
                    count: group.len(),
                    resolved: times.len(),
                    mean_seconds_to_resolve: mean(&times),
                    actions: group.iter().map(|i| i.actions.len()).sum(),
                }
            })
            .collect(),
        open: count(rollgate_core::release::IncidentStatus::Open),
        mitigated: count(rollgate_core::release::IncidentStatus::Mitigated),
        resolved: count(rollgate_core::release::IncidentStatus::Resolved),
        mean_seconds_to_resolve: mean(&times),
        longest_seconds_to_resolve: times.iter().copied().max(),
        actions: incidents.iter().map(|i| i.actions.len()).sum(),
        incidents: incidents.to_vec(),
    }
}

fn mean(values: &[u64]) -> Option<u64> {
    (!values.is_empty()).then(|| values.iter().sum::<u64>() / values.len() as u64)
}

/// The sections, in the order the report shows them.
pub(crate) fn sections(report: &Report) -> Vec<Section> {
    vec![
        risks(report),
        history(report),
        incident_counts(report),
        incidents(report),
    ]
}

fn risks(report: &Report) -> Section {
    let rows = report
        .risk_log
        .iter()
        .map(|risk| {
            let mut status = risk.status.as_str().to_owned();
            if let Some(incident) = &risk.incident {
                status = format!("{status}: {incident}");
            }
            row(vec![
                risk.id.clone(),
                risk.description.clone(),
                risk.likelihood.as_str().to_owned(),
                risk.impact.as_str().to_owned(),
                risk.mitigation.clone(),
                risk.owner.clone(),
                status,
            ])
        })
        .collect();
    Section {
        title: "Risk log",
        header: &[
            "Risk",
            "Description",
            "Likelihood",
            "Impact",
            "Mitigation",
            "Owner",
            "Status",
        ],
        rows,
        empty: "No risks were logged.",
    }
}

fn history(report: &Report) -> Section {
    let rows = report
        .risk_history
        .iter()
        .map(|note| {
            row(vec![
                text::time(note.at),
                note.by.clone(),
                note.risk.clone(),
                note.change.clone(),
                note.reason.clone().unwrap_or_default(),
            ])
        })
        .collect();
    Section {
        title: "Risk log history",
        header: &["When", "Who", "Risk", "Change", "Why"],
        rows,
        empty: "The risk log did not change.",
    }
}

fn incident_counts(report: &Report) -> Section {
    let summary = &report.incidents;
    let time = |t: Option<u64>| t.map_or_else(|| "—".to_owned(), text::duration);
    let mut rows: Vec<_> = summary
        .by_severity
        .iter()
        .map(|c| {
            row(vec![
                c.severity.as_str().to_owned(),
                c.count.to_string(),
                c.resolved.to_string(),
                time(c.mean_seconds_to_resolve),
                c.actions.to_string(),
            ])
        })
        .collect();
    if summary.total > 0 {
        rows.push(row(vec![
            format!(
                "all ({} open, {} mitigated)",
                summary.open, summary.mitigated
            ),
            summary.total.to_string(),
            summary.resolved.to_string(),
            format!(
                "{} (longest {})",
                time(summary.mean_seconds_to_resolve),
                time(summary.longest_seconds_to_resolve)
            ),
            summary.actions.to_string(),
        ]));
    }
    Section {
        title: "Incidents by severity",
        header: &[
            "Severity",
            "Incidents",
            "Resolved",
            "Mean time to resolve",
            "Actions",
        ],
        rows,
        empty: "No incidents were logged.",
    }
}

fn incidents(report: &Report) -> Section {
    let rows = report
        .incidents
        .incidents
        .iter()
        .map(|incident| {
            let status = match incident.seconds_to_resolve() {
                Some(seconds) => format!("resolved in {}", text::duration(seconds)),
                None => incident.status.as_str().to_owned(),
            };
            let actions = incident
                .actions
                .iter()
                .map(|a| format!("{} {}: {}", text::time(a.at), a.by.name, a.action))
                .collect::<Vec<_>>()
                .join("; ");
            row(vec![
                incident.id.clone(),
                incident.severity.as_str().to_owned(),
                incident.what.clone(),
                incident.owner.clone(),
                text::time(incident.opened_at),
                status,
                actions,
            ])
        })
        .collect();
    Section {
        title: "Incident log",
        header: &[
            "Incident",
            "Severity",
            "What",
            "Owner",
            "Logged",
            "Status",
            "Actions taken",
        ],
        rows,
        empty: "No incidents were logged.",
    }
}

#[cfg(test)]
mod tests {
    use rollgate_core::release::{IncidentStatus, Severity};
    use time::macros::datetime;

    use super::*;
    use crate::service::releases::Actor;
    use crate::service::releases::incidents::IncidentAction;

    fn incident(id: &str, severity: Severity, minutes: Option<i64>, actions: usize) -> Incident {
        let at = datetime!(2030-01-01 00:00 UTC);
        let by = Actor {
            id: "tok-1".into(),
            name: "carol".into(),
        };
        Incident {
            id: id.into(),
            what: "errors".into(),
            severity,
            owner: "carol".into(),
            status: if minutes.is_some() {
                IncidentStatus::Resolved
            } else {
                IncidentStatus::Open
            },
            risk: None,
            opened_by: by.clone(),
            opened_at: at,
            stage: None,
            percent: None,
            mitigated_at: None,
            resolved_at: minutes.map(|m| at + time::Duration::minutes(m)),
            actions: (0..actions)
                .map(|_| IncidentAction {
                    at,
                    by: by.clone(),
                    action: "paged".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn incidents_are_counted_worst_first_with_their_time_to_resolve() {
        let summary = incident_summary(&[
            incident("incident-1", Severity::Low, Some(10), 1),
            incident("incident-2", Severity::Critical, Some(30), 3),
            incident("incident-3", Severity::Critical, Some(90), 1),
            incident("incident-4", Severity::Low, None, 2),
        ]);
        assert_eq!(summary.total, 4);
        assert_eq!(
            (summary.open, summary.mitigated, summary.resolved),
            (1, 0, 3)
        );
        assert_eq!(summary.actions, 7);
        assert_eq!(summary.mean_seconds_to_resolve, Some(43 * 60 + 20));
        assert_eq!(summary.longest_seconds_to_resolve, Some(90 * 60));
        let critical = &summary.by_severity[0];
        assert_eq!(critical.severity, Severity::Critical);
        assert_eq!(
            (critical.count, critical.resolved, critical.actions),
            (2, 2, 4)
        );
        assert_eq!(critical.mean_seconds_to_resolve, Some(60 * 60));
        let low = &summary.by_severity[1];
        assert_eq!((low.count, low.resolved), (2, 1));
        assert_eq!(
            summary.by_severity.len(),
            2,
            "only severities that occurred"
        );
    }

    #[test]
    fn no_incidents_count_nothing_and_say_no_time() {
        let summary = incident_summary(&[]);
        assert_eq!(summary.total, 0);
        assert_eq!(summary.mean_seconds_to_resolve, None);
        assert!(summary.by_severity.is_empty());
    }
}
