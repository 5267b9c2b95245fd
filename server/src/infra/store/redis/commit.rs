//! A commit as one server-side script (`commit.lua`): the checks, the version of every
//! document it writes, `expect_revision`, the next revision, the documents, the audit
//! events and the change on the feed — all or nothing, in one round trip.
//!
//! What the script needs as JSON text (actor, action, time, keys) is encoded here, so
//! that it only splices strings; bodies travel as they are and are never re-encoded.

use std::sync::{Arc, LazyLock};

use redis::Script;
use time::format_description::well_known::Rfc3339;

use super::keys::Keys;
use crate::infra::store::{Change, Commit, Expect, StoreError};

static COMMIT: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("commit.lua")));

/// The script with its keys and arguments for `commit` (already prepared by
/// `rules::prepare`).
pub(super) fn invocation(
    keys: &Keys,
    commit: &Commit,
    retention: u64,
) -> Result<redis::ScriptInvocation<'static>, StoreError> {
    let json = |text: &str| serde_json::to_string(text).map_err(backend);
    let at = commit
        .at
        .format(&Rfc3339)
        .map_err(|e| StoreError::Backend(Box::new(e)))?;
    let mut script = COMMIT.prepare_invoke();
    script
        .key(keys.revision())
        .key(keys.changes())
        .key(keys.audit())
        .key(keys.audit_all());
    script
        .arg(json(&commit.actor)?)
        .arg(json(&commit.action)?)
        .arg(json(&at)?)
        .arg(if commit.audited { "1" } else { "0" })
        .arg(
            commit
                .expect_revision
                .map_or(String::new(), |r| r.to_string()),
        )
        .arg(retention.max(1))
        .arg(commit.checks.len())
        .arg(commit.writes.len());
    for check in &commit.checks {
        let (expect, version) = expectation(check.expect);
        script.key(keys.documents(check.kind));
        script
            .arg(check.kind.as_str())
            .arg(check.key.as_str())
            .arg(expect)
            .arg(version);
    }
    for write in &commit.writes {
        let (expect, version) = expectation(write.expect);
        script
            .key(keys.documents(write.kind))
            .key(keys.audit_of_kind(write.kind))
            .key(keys.audit_of_document(write.kind, &write.key));
        script
            .arg(write.kind.as_str())
            .arg(write.key.as_str())
            .arg(json(&write.key)?)
            .arg(expect)
            .arg(version)
            .arg(if write.body.is_some() { "1" } else { "0" })
            .arg(write.body.as_deref().unwrap_or_default());
    }
    Ok(script)
}

fn expectation(expect: Expect) -> (&'static str, u64) {
    match expect {
        Expect::Any => ("any", 0),
        Expect::Absent => ("absent", 0),
        Expect::Present => ("present", 0),
        Expect::Version(version) => ("version", version),
    }
}

/// Reads the script's answer: the change, or why nothing was written.
pub(super) fn outcome(commit: &Commit, reply: Vec<String>) -> Result<Arc<Change>, StoreError> {
    let field = |n: usize| reply.get(n).map(String::as_str).unwrap_or_default();
    let number = |n: usize| field(n).parse::<u64>().ok();
    match field(0) {
        "ok" => serde_json::from_str::<Change>(field(1))
            .map(Arc::new)
            .map_err(backend),
        "stale" => Err(StoreError::Stale {
            expected: commit.expect_revision.unwrap_or_default(),
            found: number(1).unwrap_or_default(),
        }),
        "conflict" => {
            let index = number(2).and_then(|i| usize::try_from(i).ok()?.checked_sub(1));
            let (kind, key, expected) = match (field(1), index) {
                ("check", Some(i)) if i < commit.checks.len() => {
                    let check = &commit.checks[i];
                    (check.kind, check.key.clone(), check.expect)
                }
                ("write", Some(i)) if i < commit.writes.len() => {
                    let write = &commit.writes[i];
                    (write.kind, write.key.clone(), write.expect)
                }
                _ => return Err(unexpected(&reply)),
            };
            Err(StoreError::Conflict {
                kind,
                key,
                expected,
                found: number(3),
            })
        }
        "diverged" => Err(StoreError::Backend(
            format!(
                "Redis's revision counter is behind its change feed (which reaches revision {}): \
                 Redis lost acknowledged writes; nothing was written",
                field(1)
            )
            .into(),
        )),
        _ => Err(unexpected(&reply)),
    }
}

fn unexpected(reply: &[String]) -> StoreError {
    StoreError::Backend(format!("unexpected answer from the commit script: {reply:?}").into())
}

fn backend(error: serde_json::Error) -> StoreError {
    StoreError::Backend(Box::new(error))
}

/// Kinds are written into the script's JSON as they are: they must need no escaping.
#[cfg(test)]
mod tests {
    use crate::infra::store::Kind;

    #[test]
    fn kind_names_need_no_json_escaping() {
        for kind in Kind::ALL {
            let name = kind.as_str();
            assert_eq!(
                serde_json::to_string(name).ok(),
                Some(format!("\"{name}\""))
            );
        }
    }
}
