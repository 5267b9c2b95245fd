//! The commit rules every backend applies the same way: which commits are acceptable at
//! all, what a JSON body must be, and when an expectation holds. Keeping them here means
//! the embedded and Redis stores cannot drift apart on what a conflict is.

use serde::de::IgnoredAny;

use super::{Commit, Expect, Kind, StoreError};

/// Refuses a commit that can never be applied (no writes, a body that is not JSON) and
/// trims JSON whitespace around each body, so that a body reads back byte for byte the
/// same from the document, from the live feed and from the stored change log.
pub(crate) fn prepare(commit: &mut Commit) -> Result<(), StoreError> {
    if commit.writes.is_empty() {
        return Err(StoreError::EmptyCommit);
    }
    for write in &mut commit.writes {
        if let Some(body) = &mut write.body {
            serde_json::from_slice::<IgnoredAny>(body).map_err(|source| {
                StoreError::InvalidBody {
                    kind: write.kind,
                    key: write.key.clone(),
                    source,
                }
            })?;
            trim_json_whitespace(body);
        }
    }
    Ok(())
}

/// Checks `expect` against the version found under `(kind, key)` (`None`: absent).
pub(crate) fn check(
    kind: Kind,
    key: &str,
    expect: Expect,
    found: Option<u64>,
) -> Result<(), StoreError> {
    let holds = match expect {
        Expect::Any => true,
        Expect::Absent => found.is_none(),
        Expect::Present => found.is_some(),
        Expect::Version(version) => found == Some(version),
    };
    if holds {
        Ok(())
    } else {
        Err(StoreError::Conflict {
            kind,
            key: key.to_owned(),
            expected: expect,
            found,
        })
    }
}

/// Checks `Commit::expect_revision` against the store's current revision.
pub(crate) fn check_revision(expected: Option<u64>, current: u64) -> Result<(), StoreError> {
    match expected {
        Some(expected) if expected != current => Err(StoreError::Stale {
            expected,
            found: current,
        }),
        _ => Ok(()),
    }
}

/// A stored body as a JSON value, for the audit trail. Stored bodies were checked when
/// written, so a failure here means the data was damaged on disk.
pub(crate) fn parse_body(body: &[u8]) -> Result<serde_json::Value, StoreError> {
    serde_json::from_slice(body).map_err(|source| StoreError::Backend(Box::new(source)))
}

fn trim_json_whitespace(body: &mut Vec<u8>) {
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let end = body.len() - body.iter().rev().take_while(|b| is_space(b)).count();
    body.truncate(end);
    let start = body.iter().take_while(|b| is_space(b)).count();
    body.drain(..start);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trimming_keeps_the_json_value_and_drops_surrounding_whitespace() {
        let mut body = b" \n{\"a\": [1, 2]}\r\n\t".to_vec();
        trim_json_whitespace(&mut body);
        assert_eq!(body, b"{\"a\": [1, 2]}");
    }

    #[test]
    fn an_expectation_holds_only_for_what_it_names() {
        let cases = [
            (Expect::Any, None, true),
            (Expect::Any, Some(3), true),
            (Expect::Absent, None, true),
            (Expect::Absent, Some(1), false),
            (Expect::Present, None, false),
            (Expect::Present, Some(1), true),
            (Expect::Version(2), Some(2), true),
            (Expect::Version(2), Some(3), false),
            (Expect::Version(2), None, false),
        ];
        for (expect, found, holds) in cases {
            assert_eq!(
                check(Kind::Flag, "k", expect, found).is_ok(),
                holds,
                "{expect:?} against {found:?}"
            );
        }
    }
}
