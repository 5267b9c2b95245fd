//! The audit log over the admin API: who changed what and when, before → after, newest
//! first, filtered by kind and key, paged backwards with `before`, with bounded pages.

use std::time::{SystemTime, UNIX_EPOCH};

use reqwest::{Method, StatusCode};
use rollgate_e2e::Server;
use rollgate_e2e::examples::{boolean_flag, listed_segment};
use serde_json::{Value, json};

/// Seconds since the epoch of an RFC 3339 UTC time (`2026-05-01T12:00:00Z`, optionally
/// with a fraction).
fn epoch_seconds(text: &str) -> u64 {
    let (date, time) = text.split_once('T').unwrap();
    let mut date = date.split('-').map(|n| n.parse::<i64>().unwrap());
    let (y, m, d) = (
        date.next().unwrap(),
        date.next().unwrap(),
        date.next().unwrap(),
    );
    let time = time.trim_end_matches('Z');
    let time = time.split(['.', '+']).next().unwrap();
    let mut hms = time.split(':').map(|n| n.parse::<i64>().unwrap());
    let (hh, mm, ss) = (
        hms.next().unwrap(),
        hms.next().unwrap(),
        hms.next().unwrap(),
    );
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).unwrap()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn revisions(events: &[Value]) -> Vec<u64> {
    events
        .iter()
        .map(|e| e["revision"].as_u64().unwrap())
        .collect()
}

/// Every event matching `filter` (`kind=flag&` or empty), read in pages of `size`.
async fn walk(server: &Server, filter: &str, size: usize) -> Vec<Value> {
    let mut walked = Vec::new();
    let mut query = format!("{filter}limit={size}");
    loop {
        let page = server.audit(&query).await;
        let Some(last) = page.last() else {
            return walked;
        };
        let last = last["revision"].as_u64().unwrap();
        let single_revision = page.iter().all(|e| e["revision"] == last);
        assert!(page.len() <= size || single_revision, "{page:?}");
        walked.extend(page);
        query = format!("{filter}limit={size}&before={last}");
    }
}

#[tokio::test]
async fn every_write_is_recorded_with_who_when_and_before_after() {
    let server = Server::start().await;
    let editor = server
        .admin(
            Method::POST,
            "/api/v1/tokens",
            Some(json!({ "kind": "admin", "role": "editor", "name": "alice" })),
        )
        .await;
    let (secret, editor_id) = (
        editor.body["token"].as_str().unwrap().to_owned(),
        editor.body["id"].as_str().unwrap().to_owned(),
    );
    let started = now();
    let put = |body: Value, if_match: Option<&str>| {
        let mut request = server
            .request(Method::PUT, "/api/v1/flags/audited", Some(&secret))
            .json(&body);
        if let Some(v) = if_match {
            request = request.header("If-Match", v);
        }
        server.call(request)
    };
    let stored = |reply: rollgate_e2e::Reply| {
        let mut body = reply.body;
        body.as_object_mut().unwrap().remove("version");
        body
    };
    let first = stored(put(boolean_flag("first"), None).await);
    let second = stored(put(boolean_flag("second"), Some("\"1\"")).await);
    assert_eq!(first["description"], "first");
    assert_eq!(second["description"], "second");
    server
        .call(
            server
                .request(Method::DELETE, "/api/v1/flags/audited", Some(&secret))
                .header("If-Match", "\"2\""),
        )
        .await
        .expect(StatusCode::NO_CONTENT);
    let finished = now();

    let events = server.audit("kind=flag&key=audited").await;
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["flag.delete", "flag.put", "flag.put"]);
    let (deleted, replaced, created) = (&events[0], &events[1], &events[2]);
    assert_eq!(created["before"], Value::Null);
    assert_eq!(created["after"], first);
    assert_eq!(replaced["before"], first);
    assert_eq!(replaced["after"], second);
    assert_eq!(deleted["before"], second);
    assert_eq!(deleted["after"], Value::Null);
    for event in &events {
        assert_eq!(event["kind"], "flag");
        assert_eq!(event["key"], "audited");
        let actor = event["actor"].as_str().unwrap();
        assert!(
            actor.contains("alice") && actor.contains(&editor_id),
            "{actor}"
        );
        let at = epoch_seconds(event["at"].as_str().unwrap());
        assert!(
            (started.saturating_sub(1)..=finished + 1).contains(&at),
            "{at} not within the test's {started}..{finished}"
        );
    }
    let revs = revisions(&events);
    assert!(
        revs.windows(2).all(|w| w[0] > w[1]),
        "newest first: {revs:?}"
    );

    // The issuing of alice's token is recorded as the bootstrap admin's doing.
    let issued = server.audit(&format!("kind=token&key={editor_id}")).await;
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0]["action"], "token.create");
    assert_eq!(issued[0]["key"], editor_id.as_str());
    assert!(issued[0]["actor"].as_str().unwrap().contains("(bootstrap)"));
}

#[tokio::test]
async fn filters_and_pages_walk_the_whole_log_without_gaps_or_repeats() {
    let server = Server::start().await;
    for i in 0..7 {
        server
            .create(&format!("/api/v1/flags/f{i}"), boolean_flag("paged"))
            .await;
    }
    server
        .create("/api/v1/segments/vip", listed_segment(&["u1"]))
        .await;
    // A new store's log holds its seeding: one commit of several events, then the
    // bootstrap token.
    let all = server.audit("").await;
    let seeded = all.len() - 8;
    assert!(seeded >= 3, "{all:?}");

    let flags = server.audit("kind=flag").await;
    assert_eq!(flags.len(), 7);
    assert!(flags.iter().all(|e| e["kind"] == "flag"));
    let segments = server.audit("kind=segment").await;
    assert_eq!(segments[0]["key"], "vip");
    assert!(segments[1..].iter().all(|e| e["action"] == "store.seed"));
    let one = server.audit("kind=flag&key=f3").await;
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["key"], "f3");
    assert!(server.audit("kind=flag&key=nobody").await.is_empty());

    // Pages walk the whole log, each starting before the last revision of the previous
    // one; a page never splits a revision (the seeding commit comes whole, even though
    // it holds more events than a small page).
    for size in [1, 2, 3, 4] {
        assert_eq!(walk(&server, "", size).await, all, "pages of {size}");
        assert_eq!(
            walk(&server, "kind=flag&", size).await,
            flags,
            "pages of {size}"
        );
    }

    // Limits: 1 and 500 are the bounds.
    assert_eq!(server.audit("limit=1").await.len(), 1);
    assert_eq!(server.audit("limit=500").await.len(), all.len());
    for (query, field) in [("limit=0", "limit"), ("limit=501", "limit")] {
        server
            .admin(Method::GET, &format!("/api/v1/audit?{query}"), None)
            .await
            .expect_problem(StatusCode::UNPROCESSABLE_ENTITY, Some(field), "500");
    }
}
