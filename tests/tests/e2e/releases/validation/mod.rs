//! Bad input on every release, webhook and test-clock endpoint: a 4xx naming the field,
//! never a 5xx and never a half-applied write; stale versions answer 412; roles and the
//! four-eyes rule hold; revising what ships sends an approved plan back for approval.

mod actions;
mod endpoints;
mod plans;
mod versions;

use reqwest::StatusCode;
use serde_json::Value;

/// Asserts `status` and, when given, the problem's `field`.
fn expect(reply: &rollgate_e2e::Reply, status: StatusCode, field: Option<&str>, case: &str) {
    assert_eq!(reply.status, status, "{case}: {}", reply.body);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json"),
        "{case}"
    );
    if let Some(field) = field {
        assert_eq!(reply.body["field"], field, "{case}: {}", reply.body);
    }
}

/// `plan` changed by `edit`.
fn with(mut plan: Value, edit: impl FnOnce(&mut Value)) -> Value {
    edit(&mut plan);
    plan
}
