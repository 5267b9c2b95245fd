//! The data a run needs, written through the admin API like an operator would: an
//! environment `loadtest` holding exactly the realistic flags of the core benchmarks
//! (the same generator, so the figures of both speak of the same flags), and an SDK key
//! for it. The demo data of `rollgate --demo` stays in its own environments.

#[path = "../../core/tests/common/mod.rs"]
#[allow(
    missing_docs,
    reason = "test fixtures of rollgate-core, shared with it"
)]
mod fixtures;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context as _, anyhow, bail};
use hyper::header::{AUTHORIZATION, IF_MATCH};
use hyper::{Method, StatusCode};
use serde_json::{Value, json};

use crate::generator::{Answer, Connection, Prepared};

/// The environment the load tests evaluate in.
pub const ENVIRONMENT: &str = "loadtest";

/// The flag of the single-flag scenario: an `alpha` segment rule, then a 25 % rollout
/// (flag 1 of the realistic mix).
pub const SINGLE_FLAG: &str = "flag-00001";

/// A flag of the same shape that the admin writes of the reads-during-writes scenario
/// change (flag 9 of the realistic mix), so the flag being read is not the one written.
pub const WRITTEN_FLAG: &str = "flag-00009";

/// The key of the `i`-th realistic flag.
pub fn flag_key(i: usize) -> String {
    format!("flag-{i:05}")
}

/// The `i`-th realistic flag as the admin API takes it, configured in [`ENVIRONMENT`].
pub fn flag_document(i: usize) -> anyhow::Result<Value> {
    let flag = fixtures::realistic_flag(i, fixtures::REALISTIC_PATTERNS);
    let mut document = serde_json::to_value(&flag)?;
    let environments = document
        .get_mut("environments")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| anyhow!("flag {i} has no environments"))?;
    let config = environments
        .remove(fixtures::ENV)
        .ok_or_else(|| anyhow!("flag {i} is not configured in {}", fixtures::ENV))?;
    environments.insert(ENVIRONMENT.to_owned(), config);
    Ok(document)
}

/// An admin API request with the bearer token.
pub fn admin(method: Method, path: &str, token: &str) -> Prepared {
    Prepared::new(method, path).header(AUTHORIZATION, &format!("Bearer {token}"))
}

/// Sends `request` and insists on one of `statuses`.
async fn expect(
    connection: &mut Connection,
    request: &Prepared,
    statuses: &[StatusCode],
) -> anyhow::Result<Answer> {
    let answer = connection
        .send(request)
        .await
        .with_context(|| format!("{} {}", request.method, request.path))?;
    if !statuses.contains(&answer.status) {
        bail!(
            "{} {} answered {}: {}",
            request.method,
            request.path,
            answer.status,
            String::from_utf8_lossy(&answer.body)
        );
    }
    Ok(answer)
}

/// Creates the document at `path`, or replaces it when it exists already (a server
/// seeded by an earlier run).
async fn put(
    connection: &mut Connection,
    token: &str,
    path: &str,
    body: &Value,
) -> anyhow::Result<()> {
    let create = admin(Method::PUT, path, token).json(serde_json::to_vec(body)?);
    let answer = expect(
        connection,
        &create,
        &[
            StatusCode::CREATED,
            StatusCode::OK,
            StatusCode::PRECONDITION_REQUIRED,
        ],
    )
    .await?;
    if answer.status == StatusCode::PRECONDITION_REQUIRED {
        let replace = create.header(IF_MATCH, "*");
        expect(connection, &replace, &[StatusCode::OK]).await?;
    }
    Ok(())
}

/// Flags `range` written with `concurrency` connections at once.
pub async fn put_flags(
    address: SocketAddr,
    token: &str,
    range: std::ops::Range<usize>,
    concurrency: usize,
) -> anyhow::Result<()> {
    let next = Arc::new(AtomicUsize::new(range.start));
    let mut writers = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (next, token, end) = (Arc::clone(&next), token.to_owned(), range.end);
        writers.push(tokio::spawn(async move {
            let mut connection = Connection::open(address).await?;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= end {
                    return anyhow::Ok(());
                }
                let path = format!("/api/v1/flags/{}", flag_key(i));
                put(&mut connection, &token, &path, &flag_document(i)?).await?;
            }
        }));
    }
    for writer in writers {
        writer.await??;
    }
    Ok(())
}

/// Creates [`ENVIRONMENT`] with `flags` realistic flags and returns a new SDK key for it.
pub async fn seed(address: SocketAddr, token: &str, flags: usize) -> anyhow::Result<String> {
    let mut connection = Connection::open(address).await?;
    let environment = json!({ "key": ENVIRONMENT, "description": "load tests" });
    let path = format!("/api/v1/environments/{ENVIRONMENT}");
    put(&mut connection, token, &path, &environment).await?;
    drop(connection);
    put_flags(address, token, 0..flags, 4).await?;
    // A new connection: writing many flags takes longer than the server keeps an idle
    // connection open.
    let mut connection = Connection::open(address).await?;
    let new_key = json!({ "kind": "sdk", "name": "loadtest", "environment": ENVIRONMENT });
    let request = admin(Method::POST, "/api/v1/tokens", token).json(serde_json::to_vec(&new_key)?);
    let answer = expect(&mut connection, &request, &[StatusCode::CREATED]).await?;
    let issued: Value = serde_json::from_slice(&answer.body)?;
    issued
        .get("token")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("POST /api/v1/tokens answered without a token"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn realistic_flags_move_to_the_load_test_environment() {
        let document = flag_document(1).unwrap_or_default();
        assert_eq!(document["key"], SINGLE_FLAG);
        let environments = document["environments"].as_object();
        let keys: Vec<&String> = environments.map(|e| e.keys().collect()).unwrap_or_default();
        assert_eq!(keys, [ENVIRONMENT]);
        assert_eq!(
            document["environments"][ENVIRONMENT]["rules"][0]["segment"],
            "alpha"
        );
        assert_eq!(flag_document(9).unwrap_or_default()["key"], WRITTEN_FLAG);
    }
}
