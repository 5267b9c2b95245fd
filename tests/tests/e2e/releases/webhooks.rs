//! Webhooks end to end: a receiver in the test gets every subscribed release event as
//! signed JSON (HMAC-SHA256 over "timestamp.body"), the first delivery is refused with
//! a 500 and retried with the same body, and the delivery log shows every attempt;
//! a receiver that never answers ends up `failed` after the configured attempts.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use rollgate_e2e::{Server, wait};
use serde_json::{Value, json};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::support::{Desk, admin, canary, manual_clock};

/// One request the receiver got.
#[derive(Debug)]
pub(crate) struct Received {
    pub(crate) headers: BTreeMap<String, String>,
    pub(crate) body: String,
}

/// A tiny HTTP receiver: answers 500 to the first `failures` requests, then 200, and
/// hands every request to the test.
pub(crate) async fn receiver(failures: usize) -> (String, mpsc::UnboundedReceiver<Received>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    // A name, not the address: webhooks reach private addresses only through the names
    // of `webhooks.allow_private_hosts` (see `with_retries`).
    let url = format!(
        "http://localhost:{}/hooks/rollgate",
        listener.local_addr().unwrap().port()
    );
    let (sender, received) = mpsc::unbounded_channel();
    let count = Arc::new(AtomicUsize::new(0));
    tokio::spawn(async move {
        loop {
            let (mut stream, _) = listener.accept().await.unwrap();
            let (sender, count) = (sender.clone(), Arc::clone(&count));
            tokio::spawn(async move {
                let mut data = Vec::new();
                let mut buffer = [0u8; 8192];
                let (head, length) = loop {
                    let n = stream.read(&mut buffer).await.unwrap();
                    assert!(n > 0, "connection closed mid-request");
                    data.extend_from_slice(&buffer[..n]);
                    if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8(data[..end].to_vec()).unwrap();
                        let length = head
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap())
                            })
                            .unwrap_or(0);
                        data.drain(..end + 4);
                        break (head, length);
                    }
                };
                while data.len() < length {
                    let n = stream.read(&mut buffer).await.unwrap();
                    data.extend_from_slice(&buffer[..n]);
                }
                let headers = head
                    .lines()
                    .skip(1)
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                    .collect();
                let status = if count.fetch_add(1, Ordering::SeqCst) < failures {
                    "500 Internal Server Error"
                } else {
                    "200 OK"
                };
                let answer =
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                stream.write_all(answer.as_bytes()).await.unwrap();
                let _ = sender.send(Received {
                    headers,
                    body: String::from_utf8(data).unwrap(),
                });
            });
        }
    });
    (url, received)
}

fn verify(secret: &str, header: &str, body: &str) -> i64 {
    let (t, v1) = header.split_once(',').unwrap();
    let t = t.strip_prefix("t=").unwrap();
    let v1 = v1.strip_prefix("v1=").unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    mac.verify_slice(&hex::decode(v1).unwrap())
        .expect("the signature is an HMAC-SHA256 of t.body with the secret");
    t.parse().unwrap()
}

async fn next(received: &mut mpsc::UnboundedReceiver<Received>) -> Received {
    tokio::time::timeout(Duration::from_secs(30), received.recv())
        .await
        .expect("a delivery within 30 s")
        .unwrap()
}

fn with_retries(mut options: rollgate_e2e::Options) -> rollgate_e2e::Options {
    options.env.extend([
        (
            "ROLLGATE_WEBHOOKS__RETRY_INITIAL".to_owned(),
            "100ms".to_owned(),
        ),
        ("ROLLGATE_WEBHOOKS__MAX_ATTEMPTS".to_owned(), "3".to_owned()),
        // The receivers listen on loopback.
        (
            "ROLLGATE_WEBHOOKS__ALLOW_PRIVATE_HOSTS".to_owned(),
            "localhost".to_owned(),
        ),
    ]);
    options
}

/// The delivery log of `hook` once `settled` holds (within 30 s), read as a viewer.
async fn settled_log(desk: &Desk, hook: &str, settled: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let path = format!("/api/v1/webhooks/{hook}/deliveries");
    wait::until(
        Duration::from_secs(30),
        "the delivery log to settle",
        || async {
            let reply = desk.call(&desk.viewer, Method::GET, &path, None).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            let log = reply.body.as_array().unwrap().clone();
            if settled(&log) {
                Ok(log)
            } else {
                Err(format!("{log:?}"))
            }
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribed_events_arrive_signed_and_a_refused_delivery_is_retried() {
    let desk = Desk::around(Server::start_with(with_retries(manual_clock())).await).await;
    desk.flag("new-checkout").await;
    let (url, mut received) = receiver(1).await;
    let subscribed = [
        "approved",
        "started",
        "stage_advanced",
        "percent_set",
        "paused",
        "resumed",
        "rolled_back",
        "incident",
    ];
    let created = desk
        .call(
            admin(),
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({ "url": url, "events": subscribed, "description": "release room" })),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    let hook = created.body["id"].as_str().unwrap().to_owned();
    let shown = desk
        .call(
            admin(),
            Method::GET,
            &format!("/api/v1/webhooks/{hook}"),
            None,
        )
        .await;
    assert!(
        shown.body.get("secret").is_none(),
        "the secret is shown once"
    );

    let id = desk.create(canary(&["new-checkout"])).await;
    desk.must(&desk.manager, &id, "submit", json!({})).await;
    desk.must(
        &desk.approver,
        &id,
        "approve",
        json!({ "comment": "ship it" }),
    )
    .await;
    desk.must(&desk.manager, &id, "checklist/0", json!({ "done": true }))
        .await;
    desk.must(&desk.manager, &id, "start", json!({})).await;
    desk.must(&desk.manager, &id, "promote", json!({})).await;
    desk.must(
        &desk.manager,
        &id,
        "incidents",
        json!({ "what": "5xx in EU", "action": "paged on-call" }),
    )
    .await;
    desk.must(&desk.manager, &id, "pause", json!({})).await;
    desk.must(&desk.manager, &id, "resume", json!({})).await;
    desk.must(
        &desk.manager,
        &id,
        "rollback",
        json!({ "reason": "errors" }),
    )
    .await;

    // Seven events, the first refused once: eight requests.
    let expected = [
        "approved",
        "started",
        "stage_advanced",
        "incident",
        "paused",
        "resumed",
        "rolled_back",
    ];
    let mut by_delivery: BTreeMap<String, Vec<Received>> = BTreeMap::new();
    for _ in 0..expected.len() + 1 {
        let request = next(&mut received).await;
        let delivery = request.headers["rollgate-delivery"].clone();
        by_delivery.entry(delivery).or_default().push(request);
    }
    assert_eq!(by_delivery.len(), expected.len());
    let mut kinds = Vec::new();
    for (delivery, requests) in &by_delivery {
        let first = &requests[0];
        let timestamp = verify(&secret, &first.headers["rollgate-signature"], &first.body);
        assert_eq!(
            timestamp, 1_893_456_000,
            "signed at the server's (manual) time"
        );
        let body: Value = serde_json::from_str(&first.body).unwrap();
        assert_eq!(body["id"], delivery.as_str());
        assert_eq!(
            first.headers["rollgate-event"],
            body["type"].as_str().unwrap()
        );
        assert_eq!(first.headers["content-type"], "application/json");
        assert_eq!(body["release"]["id"], id.as_str());
        assert_eq!(body["release"]["name"], "Checkout v2");
        assert_eq!(body["event"]["event"], body["type"]);
        for retry in &requests[1..] {
            assert_eq!(retry.body, first.body, "a retry sends the same body");
            verify(&secret, &retry.headers["rollgate-signature"], &retry.body);
        }
        kinds.push(body["type"].as_str().unwrap().to_owned());
        match body["type"].as_str().unwrap() {
            "approved" => {
                assert_eq!(requests.len(), 2, "refused once, then accepted");
                assert_eq!(body["event"]["by"]["name"], "approver");
                assert_eq!(body["event"]["comment"], "ship it");
                assert_eq!(body["release"]["state"], "approved");
            }
            "stage_advanced" => {
                assert_eq!(body["release"]["current_stage"], 1);
                assert_eq!(body["event"]["details"]["audience"], "beta");
            }
            "incident" => assert_eq!(
                body["event"]["details"],
                json!({
                    "id": "incident-1",
                    "what": "5xx in EU",
                    "action": "paged on-call",
                    "severity": "medium",
                    "owner": "e2e-release_manager",
                    "risk": null,
                })
            ),
            "rolled_back" => assert_eq!(body["event"]["comment"], "errors"),
            _ => assert_eq!(requests.len(), 1),
        }
    }
    kinds.sort();
    let mut expected = expected.map(str::to_owned).to_vec();
    expected.sort();
    assert_eq!(kinds, expected, "exactly the subscribed events");

    // The log is written once the receiver has answered: poll it until it settles.
    let log = settled_log(&desk, &hook, |log| {
        log.len() == 7 && log.iter().all(|d| d["state"] == "delivered")
    })
    .await;
    let approved = log.iter().find(|d| d["event"] == "approved").unwrap();
    let statuses: Vec<&Value> = approved["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["status"])
        .collect();
    assert_eq!(statuses, [&json!(500), &json!(200)]);
    assert_eq!(approved["state"], "delivered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_never_answers_is_marked_failed_after_the_last_attempt() {
    let desk = Desk::around(Server::start_with(with_retries(manual_clock())).await).await;
    desk.flag("new-checkout").await;
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://localhost:{}/gone",
        closed.local_addr().unwrap().port()
    );
    drop(closed);
    let created = desk
        .call(admin(), Method::POST, "/api/v1/webhooks", Some(json!({ "url": url, "events": ["cancelled"], "secret": "a-shared-secret-of-some-length" })))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let hook = created.body["id"].as_str().unwrap().to_owned();
    let id = desk.create(canary(&["new-checkout"])).await;
    desk.must(
        &desk.manager,
        &id,
        "cancel",
        json!({ "comment": "postponed" }),
    )
    .await;

    let log = settled_log(&desk, &hook, |log| {
        log.first().is_some_and(|d| d["state"] == "failed")
    })
    .await;
    let delivery = &log[0];
    let attempts = delivery["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 3, "max_attempts = 3");
    assert!(
        attempts
            .iter()
            .all(|a| a["status"].is_null() && a["error"].is_string())
    );
    assert_eq!(delivery["event"], "cancelled");
}
