//! Tracked issues: an incident's severity and where it stands. The incident itself —
//! who logged it, the actions taken with their times — is kept by the server beside
//! the plan; this module holds the words and the steps, so that every caller judges a
//! change alike.
//!
//! `resolved` is final: an issue that comes back is a new incident, so that the time
//! to resolve each one stays what it was. A mitigation that did not hold sends a
//! `mitigated` incident back to `open`.

use serde::{Deserialize, Serialize};

/// How bad an incident is.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// A nuisance; users barely notice.
    Low,
    /// Some users are hindered (the default when the logger does not say).
    #[default]
    Medium,
    /// Many users are hindered.
    High,
    /// Users cannot do what the release is for.
    Critical,
}

impl Severity {
    /// Every severity, worst last.
    pub const ALL: [Severity; 4] = [
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// The severity's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// Where an incident stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum IncidentStatus {
    /// Happening.
    #[default]
    Open,
    /// Contained: users are no longer hurt, the cause is not fixed yet.
    Mitigated,
    /// Over (final).
    Resolved,
}

impl IncidentStatus {
    /// Every status.
    pub const ALL: [IncidentStatus; 3] = [
        IncidentStatus::Open,
        IncidentStatus::Mitigated,
        IncidentStatus::Resolved,
    ];

    /// The status's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Open => "open",
            IncidentStatus::Mitigated => "mitigated",
            IncidentStatus::Resolved => "resolved",
        }
    }

    /// The statuses `self` may become, in [`IncidentStatus::ALL`]'s order.
    pub fn next(self) -> Vec<IncidentStatus> {
        IncidentStatus::ALL
            .into_iter()
            .filter(|to| self.can_become(*to))
            .collect()
    }

    /// May an incident go from `self` to `to`? An open incident is mitigated or
    /// resolved; a mitigated one is resolved, or open again when the mitigation did not
    /// hold; a resolved one is final. Staying put is not a step.
    pub fn can_become(self, to: IncidentStatus) -> bool {
        self != to && self != IncidentStatus::Resolved
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn resolved_is_final() {
        use IncidentStatus::*;
        assert_eq!(Open.next(), vec![Mitigated, Resolved]);
        assert_eq!(Mitigated.next(), vec![Open, Resolved]);
        assert!(Resolved.next().is_empty());
    }

    #[test]
    fn severities_order_worst_last() {
        assert!(Severity::ALL.windows(2).all(|w| w[0] < w[1]));
    }

    proptest! {
        /// Whatever steps are tried, once resolved an incident stays resolved, and it
        /// is resolved exactly when the last step taken was to resolved.
        #[test]
        fn resolved_stays_resolved(
            steps in proptest::collection::vec(proptest::sample::select(IncidentStatus::ALL.to_vec()), 0..20)
        ) {
            let mut at = IncidentStatus::Open;
            let mut resolved = false;
            for to in steps {
                if at.can_become(to) {
                    prop_assert!(!resolved);
                    at = to;
                    resolved = to == IncidentStatus::Resolved;
                }
            }
            prop_assert_eq!(resolved, at == IncidentStatus::Resolved);
        }
    }
}
