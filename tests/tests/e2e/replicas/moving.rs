//! Moving data: `rollgate store copy` takes an embedded store to Redis (and back) with
//! every version, and `rollgate export` / `rollgate import` carry the catalog as one
//! JSON document — validated whole, written in one commit, all or nothing.

use std::path::Path;
use std::process::Output;

use reqwest::{Method, StatusCode};
use rollgate_e2e::redis::RedisServer;
use rollgate_e2e::{ADMIN_TOKEN, Server, binary};
use serde_json::{Value, json};

use super::support::{flag, replica_options};
use crate::sdk::support::put_flag;

async fn rollgate(args: &[&str], url: Option<&str>) -> Output {
    let mut command = tokio::process::Command::new(binary());
    command.args(args).env("ROLLGATE_TOKEN", ADMIN_TOKEN);
    if let Some(url) = url {
        command.env("ROLLGATE_URL", url);
    }
    command.output().await.unwrap()
}

fn succeeded(output: &Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

async fn version(server: &Server, key: &str) -> Value {
    let reply = server
        .admin(Method::GET, &format!("/api/v1/flags/{key}"), None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{key}: {}", reply.body);
    reply.body["version"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embedded_store_copied_to_redis_serves_the_same_flags_at_the_same_versions_and_back() {
    let embedded = Server::start().await;
    for n in 0..3 {
        put_flag(&embedded, flag("checkout", n)).await;
    }
    put_flag(&embedded, flag("search", 0)).await;
    let dir = embedded.kill().await;
    let redis = RedisServer::start().await;

    let from = dir.to_string_lossy().into_owned();
    let copied = succeeded(
        &rollgate(
            &["store", "copy", "--from", &from, "--to", &redis.url()],
            None,
        )
        .await,
    );
    assert!(copied.contains("copied"), "{copied}");
    let again = rollgate(
        &["store", "copy", "--from", &from, "--to", &redis.url()],
        None,
    )
    .await;
    assert!(
        !again.status.success(),
        "a second copy must not overwrite a store with data"
    );

    let replica = Server::start_with(replica_options(&redis.url(), &[])).await;
    assert_eq!(version(&replica, "checkout").await, 3);
    assert_eq!(version(&replica, "search").await, 1);
    let audit = replica
        .admin(Method::GET, "/api/v1/audit?kind=flag&key=checkout", None)
        .await;
    assert_eq!(audit.body.as_array().unwrap().len(), 3, "{}", audit.body);
    put_flag(&replica, flag("checkout", 9)).await;
    assert_eq!(version(&replica, "checkout").await, 4);

    let back = tempfile::tempdir().unwrap();
    let to = back.path().join("data").to_string_lossy().into_owned();
    succeeded(
        &rollgate(
            &["store", "copy", "--from", &redis.url(), "--to", &to],
            None,
        )
        .await,
    );
    let restored = Server::start_in(Path::new(&to), Default::default()).await;
    assert_eq!(version(&restored, "checkout").await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_and_import_carry_the_catalog_in_one_document_all_or_nothing() {
    let source = Server::start().await;
    let segment = json!({ "key": "staff", "rules": [ { "conditions": [
        { "attribute": "email", "op": "ends_with", "values": ["@example.com"] } ] } ] });
    let created = source
        .admin(Method::PUT, "/api/v1/segments/staff", Some(segment))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    put_flag(&source, flag("checkout", 0)).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("catalog.json");
    let file_arg = file.to_string_lossy().into_owned();
    succeeded(&rollgate(&["export", "--output", &file_arg], Some(&source.url)).await);
    let document: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(document["format"], "rollgate.catalog/v1");

    let target = Server::start().await;
    let imported = succeeded(&rollgate(&["import", &file_arg], Some(&target.url)).await);
    assert!(imported.contains("created"), "{imported}");
    assert_eq!(version(&target, "checkout").await, 1);
    let staff = target
        .admin(Method::GET, "/api/v1/segments/staff", None)
        .await;
    assert_eq!(staff.status, StatusCode::OK);
    let exported_again = target
        .admin(Method::GET, "/api/v1/catalog", None)
        .await
        .body;
    assert_eq!(exported_again["flags"], document["flags"]);
    let unchanged = target
        .admin(Method::POST, "/api/v1/catalog", Some(document.clone()))
        .await;
    assert_eq!(
        unchanged.body["revision"],
        Value::Null,
        "{}",
        unchanged.body
    );
    assert_eq!(unchanged.body["created"], 0);

    // One bad flag refuses the whole document, and names it.
    let mut bad = document.clone();
    let mut broken = flag("broken", 0);
    broken["environments"]["production"]["default"]["variant"] = json!("missing");
    bad["flags"].as_array_mut().unwrap().push(broken);
    bad["flags"].as_array_mut().unwrap().push(flag("fine", 0));
    let refused = target
        .admin(Method::POST, "/api/v1/catalog", Some(bad))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body["field"]
            .as_str()
            .unwrap()
            .starts_with("flags[1]"),
        "{}",
        refused.body
    );
    let keys = target.keys("/api/v1/flags").await;
    assert!(
        !keys.contains(&"fine".to_owned()),
        "half an import was written: {keys:?}"
    );
}
