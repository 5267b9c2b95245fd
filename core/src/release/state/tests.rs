//! The state machine against its declared graph: exhaustively for single steps, and by
//! property over random step sequences.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use proptest::prelude::{Strategy, prop_assert, prop_assert_eq, proptest};

use super::*;
use ReleaseState::*;

/// The graph of docs/release-plan.md ("States and actions"), written out independently of
/// `transition`.
const EDGES: &[(ReleaseState, &str, ReleaseState)] = &[
    (Draft, "submit", PendingApproval),
    (Draft, "submit+", Approved),
    (Draft, "revise", Draft),
    (Draft, "cancel", Cancelled),
    (PendingApproval, "approve", PendingApproval),
    (PendingApproval, "approve+", Approved),
    (PendingApproval, "revise", PendingApproval),
    (PendingApproval, "cancel", Cancelled),
    (Approved, "revise", PendingApproval),
    (Approved, "start", Running),
    (Approved, "cancel", Cancelled),
    (Running, "pause", Paused),
    (Running, "promote", Running),
    (Running, "percent", Running),
    (Running, "complete", Completed),
    (Running, "rollback", RolledBack),
    (Paused, "resume", Running),
    (Paused, "rollback", RolledBack),
    (Completed, "rollback-watched", RolledBack),
];

const STEPS: [(&str, Step); 14] = [
    ("submit", Step::Submit { approved: false }),
    ("submit+", Step::Submit { approved: true }),
    ("approve", Step::Approve { approved: false }),
    ("approve+", Step::Approve { approved: true }),
    ("revise", Step::Revise),
    ("start", Step::Start),
    ("pause", Step::Pause),
    ("resume", Step::Resume),
    ("promote", Step::Promote),
    ("percent", Step::SetPercent),
    ("complete", Step::Complete),
    ("rollback", Step::Rollback),
    ("rollback-watched", Step::RollbackWatched),
    ("cancel", Step::Cancel),
];

fn edge(from: ReleaseState, name: &str) -> Option<ReleaseState> {
    EDGES
        .iter()
        .find(|(f, n, _)| *f == from && *n == name)
        .map(|(_, _, to)| *to)
}

#[test]
fn every_state_and_step_follows_the_declared_graph() {
    for from in ReleaseState::ALL {
        for (name, step) in STEPS {
            assert_eq!(
                transition(from, step).ok(),
                edge(from, name),
                "{from} --{name}-->"
            );
        }
    }
}

#[test]
fn refusals_say_why() {
    let error = transition(Running, Step::Cancel).unwrap_err().to_string();
    assert_eq!(
        error,
        "cannot cancel a release that is running (it has started: roll it back instead)"
    );
    let error = transition(PendingApproval, Step::Start)
        .unwrap_err()
        .to_string();
    assert!(error.contains("needs its approvals"), "{error}");
    let error = transition(Completed, Step::Rollback)
        .unwrap_err()
        .to_string();
    assert!(error.contains("it is over"), "{error}");
    let error = transition(Paused, Step::Promote).unwrap_err().to_string();
    assert!(error.contains("resume it first"), "{error}");
}

#[test]
fn names_read_back() {
    for state in ReleaseState::ALL {
        assert_eq!(ReleaseState::parse(state.as_str()), Some(state));
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(json, format!("\"{}\"", state.as_str()));
    }
}

fn steps() -> impl Strategy<Value = Vec<usize>> {
    proptest::collection::vec(0..STEPS.len(), 0..60)
}

proptest! {
    #[test]
    fn no_illegal_transition_is_reachable(sequence in steps()) {
        let mut state = Draft;
        let mut approved_before_running = false;
        for index in sequence {
            let (name, step) = STEPS[index];
            match transition(state, step) {
                Ok(next) => {
                    prop_assert_eq!(Some(next), edge(state, name));
                    if state == Approved && next == Running {
                        approved_before_running = true;
                    }
                    if next.is_active() {
                        prop_assert!(approved_before_running, "{} reached without approval", next);
                    }
                    state = next;
                }
                Err(error) => {
                    prop_assert_eq!(edge(state, name), None);
                    prop_assert_eq!(error.from, state);
                }
            }
        }
    }

    /// Terminal states are terminal, but for the rollback of a completed release under
    /// watch (into `rolled_back`, which nothing leaves).
    #[test]
    fn terminal_states_are_terminal(sequence in steps(), tail in steps()) {
        let mut state = Draft;
        for index in sequence {
            if let Ok(next) = transition(state, STEPS[index].1) {
                state = next;
            }
            if state.is_terminal() {
                break;
            }
        }
        if state.is_terminal() {
            for index in tail {
                if let Ok(next) = transition(state, STEPS[index].1) {
                    prop_assert!(
                        state == Completed && STEPS[index].1 == Step::RollbackWatched && next == RolledBack
                    );
                }
            }
        }
    }
}
