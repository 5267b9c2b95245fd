//! The living risk log: the risks of a release as they stand now, kept beside the plan
//! rather than in it, so that a new risk, a better mitigation or a closed risk never
//! sends an approved plan back for approval.
//!
//! The plan's `risks` seed the log ([`seed`]): when the release is created, and when a
//! revision adds a risk whose description the log does not hold yet. From then on the log
//! is the record — a risk changes, closes or occurs through the log, with a reason, on
//! the timeline; rewording or removing a risk in the plan leaves its entry as it is.
//!
//! A risk's status moves by [`RiskStatus::can_become`]: `occurred` is final and is
//! reached only with the incident the risk became (so an occurred risk always names
//! one, and no other risk does).

use serde::{Deserialize, Serialize};

use super::{Level, Risk};
use crate::validate::{FieldError, Lines, MAX_DESCRIPTION, check_text};

/// Most entries in one release's risk log (and incidents in one release).
pub const MAX_ENTRIES: usize = 500;

/// Longest owner name, in bytes.
pub const MAX_OWNER: usize = 128;

/// One risk of the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoggedRisk {
    /// Its id within the release, `risk-1`, `risk-2`… in the order risks were logged.
    pub id: String,
    /// What could go wrong.
    pub description: String,
    /// How likely.
    pub likelihood: Level,
    /// How bad.
    pub impact: Level,
    /// What reduces it.
    #[serde(default)]
    pub mitigation: String,
    /// Who watches it.
    #[serde(default)]
    pub owner: String,
    /// Where it stands.
    #[serde(default)]
    pub status: RiskStatus,
    /// The incident it became (exactly when `occurred`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incident: Option<String>,
    /// Whether it came from the plan's `risks` (else it was added to the log).
    #[serde(default)]
    pub from_plan: bool,
}

/// Where a risk stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RiskStatus {
    /// Known, nothing done yet.
    #[default]
    Open,
    /// Its mitigation is under way.
    Mitigating,
    /// No longer a concern.
    Closed,
    /// It happened: it became an incident.
    Occurred,
}

impl RiskStatus {
    /// Every status.
    pub const ALL: [RiskStatus; 4] = [
        RiskStatus::Open,
        RiskStatus::Mitigating,
        RiskStatus::Closed,
        RiskStatus::Occurred,
    ];

    /// The status's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskStatus::Open => "open",
            RiskStatus::Mitigating => "mitigating",
            RiskStatus::Closed => "closed",
            RiskStatus::Occurred => "occurred",
        }
    }

    /// The statuses `self` may become, in [`RiskStatus::ALL`]'s order.
    pub fn next(self) -> Vec<RiskStatus> {
        RiskStatus::ALL
            .into_iter()
            .filter(|to| self.can_become(*to))
            .collect()
    }

    /// May a risk go from `self` to `to`? Open and mitigating risks move freely; a
    /// closed risk is reopened before it is mitigated again; any risk not yet occurred
    /// may occur (closing a risk does not stop it from happening); an occurred risk is
    /// final — the incident carries the story on. Staying put is not a step.
    pub fn can_become(self, to: RiskStatus) -> bool {
        use RiskStatus::*;
        match (self, to) {
            (from, to) if from == to => false,
            (Occurred, _) => false,
            (Closed, Mitigating) => false,
            _ => true,
        }
    }
}

impl Level {
    /// The level's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
        }
    }
}

/// The id of the `n`th entry (from 1) of a log whose ids start with `prefix`.
pub fn nth_id(prefix: &str, n: usize) -> String {
    format!("{prefix}-{n}")
}

/// The plan's risks the log does not hold yet (by description), as new entries with
/// the ids that follow `log`'s. Idempotent: seeding the result again adds nothing.
pub fn seed(plan: &[Risk], log: &[LoggedRisk]) -> Vec<LoggedRisk> {
    let mut added: Vec<LoggedRisk> = Vec::new();
    for risk in plan {
        let known = log
            .iter()
            .chain(&added)
            .any(|r| r.description == risk.description);
        if !known {
            added.push(LoggedRisk {
                id: nth_id("risk", log.len() + added.len() + 1),
                description: risk.description.clone(),
                likelihood: risk.likelihood,
                impact: risk.impact,
                mitigation: risk.mitigation.clone(),
                owner: String::new(),
                status: RiskStatus::Open,
                incident: None,
                from_plan: true,
            });
        }
    }
    added
}

/// Checks a risk's free texts (description, mitigation, owner) as a log entry holds
/// them, naming each field as the request does.
pub fn check_texts(risk: &LoggedRisk) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if risk.description.trim().is_empty() {
        errors.push(FieldError::new("description", "must describe the risk"));
    }
    for (field, value, max, lines) in [
        (
            "description",
            &risk.description,
            MAX_DESCRIPTION,
            Lines::Many,
        ),
        ("mitigation", &risk.mitigation, MAX_DESCRIPTION, Lines::Many),
        ("owner", &risk.owner, MAX_OWNER, Lines::One),
    ] {
        if value.len() > max {
            errors.push(FieldError::new(
                field,
                format!("must be at most {max} bytes, got {}", value.len()),
            ));
        } else if let Err(message) = check_text(value, lines) {
            errors.push(FieldError::new(field, message));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn status() -> impl Strategy<Value = RiskStatus> {
        proptest::sample::select(RiskStatus::ALL.to_vec())
    }

    #[test]
    fn an_occurred_risk_is_final_and_a_closed_one_is_reopened_first() {
        use RiskStatus::*;
        assert_eq!(Open.next(), vec![Mitigating, Closed, Occurred]);
        assert_eq!(Mitigating.next(), vec![Open, Closed, Occurred]);
        assert_eq!(Closed.next(), vec![Open, Occurred]);
        assert!(Occurred.next().is_empty());
    }

    proptest! {
        /// Whatever steps are taken, a risk that occurred never moves again, and no
        /// status is a step to itself.
        #[test]
        fn walks_never_leave_occurred(steps in proptest::collection::vec(status(), 0..20)) {
            let mut at = RiskStatus::Open;
            let mut occurred = false;
            for to in steps {
                prop_assert!(!at.can_become(at));
                if at.can_become(to) {
                    prop_assert!(!occurred, "moved from occurred to {to:?}");
                    at = to;
                    occurred |= to == RiskStatus::Occurred;
                }
            }
            prop_assert_eq!(occurred, at == RiskStatus::Occurred);
        }

        /// Every status but occurred can reach every other one.
        #[test]
        fn every_live_status_reaches_every_other(from in status(), to in status()) {
            prop_assume!(from != RiskStatus::Occurred && from != to);
            let direct = from.can_become(to);
            let via_open = from.can_become(RiskStatus::Open) && RiskStatus::Open.can_become(to);
            prop_assert!(direct || via_open, "{from:?} cannot reach {to:?}");
        }
    }

    #[test]
    fn seeding_adds_only_what_the_log_lacks_with_following_ids() {
        let risk = |d: &str| Risk {
            description: d.to_owned(),
            likelihood: Level::Low,
            impact: Level::High,
            mitigation: String::new(),
        };
        let first = seed(&[risk("a"), risk("b"), risk("a")], &[]);
        assert_eq!(
            first.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["risk-1", "risk-2"]
        );
        assert!(seed(&[risk("b"), risk("a")], &first).is_empty());
        let more = seed(&[risk("a"), risk("c")], &first);
        assert_eq!(more.len(), 1);
        assert_eq!(more[0].id, "risk-3");
        assert!(more[0].from_plan);
    }

    #[test]
    fn hostile_texts_are_named_by_field() {
        let mut risk = seed(
            &[Risk {
                description: "x".into(),
                likelihood: Level::Low,
                impact: Level::Low,
                mitigation: String::new(),
            }],
            &[],
        )
        .remove(0);
        risk.owner = "a\u{1b}[2J".into();
        risk.mitigation = "m".repeat(MAX_DESCRIPTION + 1);
        let fields: Vec<String> = check_texts(&risk).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["mitigation", "owner"]);
    }
}
