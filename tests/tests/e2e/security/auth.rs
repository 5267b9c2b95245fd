//! Failed authentication is throttled per client address: after a burst of failures
//! the address gets 429 with `Retry-After` (for every credential, so a throttled
//! client cannot go on guessing), each failure is logged at warn with the address and
//! never the token, and `rollgate_auth_failures_total` counts them. The client address
//! is the connection's peer; `X-Forwarded-For` counts only from a trusted proxy.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rollgate_e2e::{ADMIN_TOKEN, Options, Server, wait};

use super::support::setting;

/// A token that looks real but is not.
const GUESS: &str = "rg_adm_guess0000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

async fn status(
    server: &Server,
    path: &str,
    token: &str,
    forwarded_for: Option<&str>,
) -> (StatusCode, Option<String>) {
    let mut request = server.request(Method::GET, path, Some(token));
    if let Some(address) = forwarded_for {
        request = request.header("X-Forwarded-For", address);
    }
    let response = request.send().await.unwrap();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (response.status(), retry)
}

#[tokio::test]
async fn two_hundred_bad_tokens_are_throttled_logged_and_counted() {
    let server = Server::start_with(Options {
        capture_stderr: true,
        ..Options::default()
    })
    .await;
    let mut statuses = Vec::new();
    for n in 0..200 {
        // A forged X-Forwarded-For does not make each guess a new client.
        let spoofed = format!("198.51.100.{}", n % 250);
        let (status, retry) = status(&server, "/api/v1/flags", GUESS, Some(&spoofed)).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            let seconds: u64 = retry.expect("Retry-After on 429").parse().unwrap();
            assert!((1..=60).contains(&seconds), "{seconds}");
        } else {
            assert_eq!(status, StatusCode::UNAUTHORIZED);
        }
        statuses.push(status);
    }
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(throttled >= 150, "{throttled} of 200 throttled");
    // OFREP callers of the same address are throttled too, in OFREP's error shape.
    let ofrep = server
        .call(
            server
                .request(Method::POST, "/ofrep/v1/evaluate/flags", Some(GUESS))
                .body("{}"),
        )
        .await;
    assert_eq!(
        ofrep.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{:?}",
        ofrep.body
    );
    assert_eq!(ofrep.body["errorCode"], "GENERAL");
    // While throttled, even a valid token is not checked; once the address has waited,
    // it is.
    let (valid, _) = status(&server, "/api/v1/flags", ADMIN_TOKEN, None).await;
    assert_eq!(valid, StatusCode::TOO_MANY_REQUESTS);
    wait::until(
        Duration::from_secs(10),
        "the throttle to let a request through",
        || async {
            let (status, _) = status(&server, "/api/v1/flags", ADMIN_TOKEN, None).await;
            wait::holds(status == StatusCode::OK, || status)
        },
    )
    .await;

    let logs = server.stderr();
    let failures: Vec<&String> = logs
        .iter()
        .filter(|l| l.contains("WARN") && l.contains("authentication failed"))
        .collect();
    assert!(!failures.is_empty(), "{logs:?}");
    assert!(
        failures.iter().all(|l| l.contains("127.0.0.1")),
        "{failures:?}"
    );
    assert!(logs.iter().any(|l| l.contains("throttl")), "{logs:?}");
    assert!(
        logs.iter()
            .all(|l| !l.contains(GUESS) && !l.contains("AAAAAAAA")),
        "{logs:?}"
    );
    let metrics = server.metrics().await;
    let counted: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("rollgate_auth_failures_total "))
        .expect("rollgate_auth_failures_total")
        .parse()
        .unwrap();
    assert!(counted >= 20.0, "{counted}");
    let refused: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("rollgate_auth_throttled_total "))
        .expect("rollgate_auth_throttled_total")
        .parse()
        .unwrap();
    assert!(refused >= 150.0, "{refused}");
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_is_throttled_alone() {
    let server = Server::start_with(Options {
        env: vec![setting("ROLLGATE_TRUSTED_PROXIES", "127.0.0.0/8")],
        capture_stderr: true,
        ..Options::default()
    })
    .await;
    let attacker = Some("203.0.113.5");
    let mut throttled = false;
    for _ in 0..100 {
        let (status, _) = status(&server, "/api/v1/flags", GUESS, attacker).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            throttled = true;
            break;
        }
    }
    assert!(throttled, "the forwarded client was throttled");
    let (other, _) = status(&server, "/api/v1/flags", ADMIN_TOKEN, Some("203.0.113.6")).await;
    assert_eq!(
        other,
        StatusCode::OK,
        "another client behind the proxy is not"
    );
    let (attacker_now, _) = status(&server, "/api/v1/flags", ADMIN_TOKEN, attacker).await;
    assert_eq!(attacker_now, StatusCode::TOO_MANY_REQUESTS);
    let logs = server.stderr();
    assert!(
        logs.iter()
            .any(|l| l.contains("authentication failed") && l.contains("203.0.113.5")),
        "{logs:?}"
    );
}
