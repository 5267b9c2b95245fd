//! Webhooks reach public addresses only. A literal private, loopback, link-local,
//! unique-local or unspecified address is refused at creation in every spelling the URL
//! standard accepts; a host name is accepted and checked at every delivery against the
//! addresses it resolves to (the connection goes only to those checked), so a name that
//! resolves privately never gets a request — unless the operator names it in
//! `webhooks.allow_private_hosts`. Creating, replacing and deleting a webhook is
//! audited, and the audit log never shows its secret.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rollgate_e2e::{Options, Server, wait};
use serde_json::{Value, json};

use super::support::{Receiver, create_flag, setting, start_release};

/// A plan that needs no approval and has no analysis.
fn plan() -> Value {
    json!({
        "name": "Checkout v2", "release_version": "2.4.0", "environment": "production",
        "flags": [ { "key": super::support::FLAG, "variant": "on" } ],
        "stages": [ { "audience": "general", "percent": 100 } ],
        "approvals_required": 0
    })
}

async fn create(server: &Server, url: &str) -> rollgate_e2e::Reply {
    server
        .admin(
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({ "url": url, "events": ["started"] })),
        )
        .await
}

/// The delivery log of `hook` once its first delivery has an attempt.
async fn first_attempt(server: &Server, hook: &str) -> Value {
    wait::until(Duration::from_secs(30), "a delivery attempt", || async {
        let log = server
            .admin(
                Method::GET,
                &format!("/api/v1/webhooks/{hook}/deliveries"),
                None,
            )
            .await
            .body;
        match log[0]["attempts"][0].clone() {
            Value::Null => Err(log.to_string()),
            attempt => Ok(attempt),
        }
    })
    .await
}

#[tokio::test]
async fn literal_private_addresses_are_refused_in_every_spelling() {
    let server = Server::start().await;
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://2852039166/",
        "http://0xa9fea9fe/",
        "http://0251.0376.0251.0376/",
        "http://169.254.43518/",
        "http://[::ffff:169.254.169.254]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://127.0.0.1:8080/",
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://017700000001/",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.0.1/",
        "http://100.100.100.200/",
        "http://0.0.0.0/",
        "http://0/",
        "http://[::]/",
        "http://[::1]/",
        "http://[fd00:ec2::254]/",
        "http://[fe80::1]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "ftp://hooks.example.com/",
        "file:///etc/passwd",
    ] {
        let reply = create(&server, url).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{url}: {:?}",
            reply.body
        );
        assert_eq!(reply.body["field"], "url", "{url}: {:?}", reply.body);
    }
    for url in [
        "https://hooks.example.com/rollgate",
        "http://93.184.216.34/hook",
        "http://[2606:2800:220:1:248:1893:25c8:1946]/hook",
        // A name may not resolve yet: it is checked at every delivery.
        "https://not-yet.example.com/",
        "http://localhost:9/",
    ] {
        let reply = create(&server, url).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{url}: {:?}", reply.body);
    }
}

#[tokio::test]
async fn a_name_that_resolves_to_a_private_address_gets_no_request() {
    let receiver = Receiver::ok().await;
    let server = Server::start().await;
    create_flag(&server).await;
    let url = format!("http://localhost:{}/hook", receiver.port);
    let created = create(&server, &url).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let hook = created.body["id"].as_str().unwrap().to_owned();
    start_release(&server, plan()).await;
    let attempt = first_attempt(&server, &hook).await;
    let error = attempt["error"].as_str().unwrap_or_default();
    assert!(attempt["status"].is_null(), "{attempt}");
    assert!(
        error.contains("127.0.0.1") && error.contains("webhooks.allow_private_hosts"),
        "the reason is in the delivery log: {attempt}"
    );
    assert!(receiver.requests().is_empty(), "{:?}", receiver.requests());
}

#[tokio::test]
async fn named_private_receivers_the_settings_allow_get_deliveries_and_every_change_is_audited() {
    let receiver = Receiver::ok().await;
    let server = Server::start_with(Options {
        env: vec![setting(
            "ROLLGATE_WEBHOOKS__ALLOW_PRIVATE_HOSTS",
            "localhost",
        )],
        ..Options::default()
    })
    .await;
    create_flag(&server).await;
    let secret = "a-webhook-signing-secret-0123456789";
    let url = format!("http://localhost:{}/hook", receiver.port);
    let created = server
        .admin(
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({ "url": url, "events": ["started"], "secret": secret })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let hook = created.body["id"].as_str().unwrap().to_owned();
    // The allowance is for the name only: the address itself stays refused.
    let literal = create(&server, &format!("http://127.0.0.1:{}/hook", receiver.port)).await;
    assert_eq!(
        literal.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        literal.body
    );

    start_release(&server, plan()).await;
    let attempt = first_attempt(&server, &hook).await;
    assert_eq!(attempt["status"], 200, "{attempt}");
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "POST");
    assert!(
        requests[0].body.contains(r#""type":"started""#),
        "{:?}",
        requests[0]
    );

    let replaced = server
        .call(
            server
                .request(
                    Method::PUT,
                    &format!("/api/v1/webhooks/{hook}"),
                    Some(rollgate_e2e::ADMIN_TOKEN),
                )
                .header("If-Match", "\"1\"")
                .json(
                    &json!({ "url": "https://hooks.example.com/elsewhere", "events": ["started"],
                               "secret": "another-signing-secret-0123456789" }),
                ),
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{:?}", replaced.body);
    let deleted = server
        .call(
            server
                .request(
                    Method::DELETE,
                    &format!("/api/v1/webhooks/{hook}"),
                    Some(rollgate_e2e::ADMIN_TOKEN),
                )
                .header("If-Match", "\"2\""),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{:?}", deleted.body);

    let audit = server
        .admin(
            Method::GET,
            &format!("/api/v1/audit?kind=webhook&key={hook}"),
            None,
        )
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{:?}", audit.body);
    let actions: Vec<&str> = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["webhook.delete", "webhook.replace", "webhook.create"]
    );
    let text = audit.body.to_string();
    assert!(text.contains("hooks.example.com/elsewhere"), "{text}");
    assert!(
        !text.contains(secret) && !text.contains("another-signing-secret"),
        "the audit log never shows a signing secret: {text}"
    );
}
