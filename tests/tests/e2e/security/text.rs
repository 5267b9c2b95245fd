//! Free text is XML- and terminal-safe: a control character (other than tab and newline
//! in text that may span lines) is refused with 422 naming the field, wherever free text
//! enters — names, notes, the checklist, risks, descriptions, token and webhook
//! descriptions, comments, reasons, incidents — so the public Atom feed always parses.

use reqwest::{Method, StatusCode};
use rollgate_e2e::Server;
use serde_json::{Value, json};

use super::support::{FLAG, create_flag, start_release};

/// A release plan that needs no approval, named `name`.
fn plan(name: &str) -> Value {
    json!({
        "name": name, "release_version": "2.4.0", "environment": "production",
        "flags": [ { "key": FLAG, "variant": "on" } ],
        "stages": [ { "audience": "general", "percent": 100 } ],
        "approvals_required": 0,
        "notes": "Line one\n\tindented line two",
        "checklist": [ { "item": "Release notes", "owner": "pmm", "done": true } ],
        "risks": [ { "description": "Timeouts\nat peak", "likelihood": "low", "impact": "high",
                     "mitigation": "Roll back" } ]
    })
}

/// Asserts that `reply` is a 422 naming `field`.
fn refused(reply: &rollgate_e2e::Reply, field: &str, what: &str) {
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {:?}",
        reply.body
    );
    assert_eq!(reply.body["field"], field, "{what}: {:?}", reply.body);
}

/// `POST /api/v1/releases/{id}/{name}` as the admin.
async fn action(server: &Server, id: &str, name: &str, body: Value) -> rollgate_e2e::Reply {
    server
        .admin(
            Method::POST,
            &format!("/api/v1/releases/{id}/{name}"),
            Some(body),
        )
        .await
}

#[tokio::test]
async fn control_characters_are_refused_wherever_free_text_enters() {
    let server = Server::start().await;
    create_flag(&server).await;

    // Release plans: one field at a time.
    for (field, change) in [
        ("name", json!({ "name": "Checkout\u{1} v2" })),
        ("name", json!({ "name": "Checkout\nv2" })),
        ("notes", json!({ "notes": "\u{1b}[2J\u{1b}[31mcleared" })),
        ("notes", json!({ "notes": "carriage\rreturn" })),
        (
            "checklist[0].item",
            json!({ "checklist": [ { "item": "Notes\u{7}", "owner": "pmm" } ] }),
        ),
        (
            "checklist[0].owner",
            json!({ "checklist": [ { "item": "Notes", "owner": "p\tmm" } ] }),
        ),
        (
            "risks[0].description",
            json!({ "risks": [ { "description": "x\u{0}", "likelihood": "low", "impact": "low", "mitigation": "" } ] }),
        ),
        (
            "risks[0].mitigation",
            json!({ "risks": [ { "description": "x", "likelihood": "low", "impact": "low", "mitigation": "\u{9b}31m" } ] }),
        ),
    ] {
        let mut body = plan("Checkout v2");
        for (key, value) in change.as_object().unwrap() {
            body[key] = value.clone();
        }
        refused(
            &server
                .admin(Method::POST, "/api/v1/releases", Some(body))
                .await,
            field,
            &change.to_string(),
        );
    }
    // Flags, segments, environments, tokens and webhooks.
    refused(
        &server
            .admin(
                Method::PUT,
                "/api/v1/flags/bell",
                Some(json!({ "description": "ding\u{7}", "variants": { "on": true } })),
            )
            .await,
        "description",
        "flag description",
    );
    refused(
        &server
            .admin(
                Method::PUT,
                "/api/v1/segments/staff",
                Some(json!({ "description": "\u{1b}]0;title\u{7}", "rules": [] })),
            )
            .await,
        "description",
        "segment description",
    );
    refused(
        &server
            .admin(
                Method::PUT,
                "/api/v1/environments/staging",
                Some(json!({ "description": "\u{8}\u{8}\u{8}" })),
            )
            .await,
        "description",
        "environment description",
    );
    refused(
        &server
            .admin(
                Method::POST,
                "/api/v1/tokens",
                Some(json!({ "kind": "admin", "role": "viewer", "name": "bob\u{1b}[8m" })),
            )
            .await,
        "name",
        "token name",
    );
    refused(
        &server.admin(
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({ "url": "https://hooks.example.com/", "events": ["started"], "description": "\u{7f}" })),
        )
        .await,
        "description",
        "webhook description",
    );

    // Comments, reasons and incidents on a running release.
    let id = start_release(&server, plan("Checkout v2")).await;
    refused(
        &action(&server, &id, "pause", json!({ "comment": "\u{1b}[1A" })).await,
        "comment",
        "comment",
    );
    refused(
        &action(
            &server,
            &id,
            "incidents",
            json!({ "what": "errors\u{0}", "action": "paged" }),
        )
        .await,
        "what",
        "incident",
    );
    refused(
        &action(
            &server,
            &id,
            "incidents",
            json!({ "what": "errors", "action": "\u{85}paged" }),
        )
        .await,
        "action",
        "incident action",
    );
    refused(
        &action(&server, &id, "rollback", json!({ "reason": "bad\u{1}" })).await,
        "reason",
        "rollback reason",
    );
    // Tabs and newlines are fine where text spans lines.
    let paused = action(
        &server,
        &id,
        "pause",
        json!({ "comment": "checking:\n\t- errors" }),
    )
    .await;
    assert_eq!(paused.status, StatusCode::OK, "{:?}", paused.body);
}

#[tokio::test]
async fn a_release_named_with_a_control_character_never_reaches_the_feed_which_parses() {
    let server = Server::start().await;
    create_flag(&server).await;
    let refused_plan = server
        .admin(
            Method::POST,
            "/api/v1/releases",
            Some(plan("Checkout\u{1} v2")),
        )
        .await;
    assert_eq!(refused_plan.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused_plan.body["field"], "name");
    let id = start_release(&server, plan("Checkout <v2> & \"more\" — ünïcode")).await;
    let feed = server
        .call(server.request(Method::GET, "/changelog.atom", None))
        .await;
    assert_eq!(feed.status, StatusCode::OK);
    let text = feed.body.as_str().unwrap().to_owned();
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut titles = Vec::new();
    let mut in_title = false;
    loop {
        match reader.read_event().unwrap() {
            quick_xml::events::Event::Start(start) => in_title = start.name().as_ref() == b"title",
            quick_xml::events::Event::Text(t) if in_title => {
                titles.push(t.decode().unwrap().into_owned());
            }
            quick_xml::events::Event::Eof => break,
            _ => in_title = false,
        }
    }
    assert!(
        titles.iter().any(|t| t.contains("Checkout")),
        "release {id} is in the feed: {titles:?} {text}"
    );
}
