//! A replica cut off from the change feed (a proxy between it and Redis drops every
//! connection) says so — `rollgate_served_age_seconds` grows, `/readyz`'s body shows the
//! age and that the store is out of reach — while the others go on. With
//! `redis.max_feed_silence` it turns not-ready; without, it stays ready (a Redis outage
//! cuts every replica off at once, and they must keep answering). Reconnected, it
//! catches up to the others' revision.

use reqwest::{Method, StatusCode};
use rollgate_e2e::redis::RedisServer;
use rollgate_e2e::{Server, wait};

use super::support::{flag, metric, readiness, replica_options, served_revision};
use crate::sdk::support::{DEADLINE, Proxy, put_flag};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_cut_off_from_the_feed_says_so_and_with_the_strict_setting_turns_not_ready() {
    let redis = RedisServer::start().await;
    let through = |proxy: &Proxy| proxy.url.replacen("http://", "redis://", 1) + "/0";
    let direct = Server::start_with(replica_options(&redis.url(), &[])).await;
    let to_redis = format!("http://127.0.0.1:{}", redis.port);
    let (lenient_link, strict_link) =
        (Proxy::start(&to_redis).await, Proxy::start(&to_redis).await);
    let lenient = Server::start_with(replica_options(&through(&lenient_link), &[])).await;
    let strict = Server::start_with(replica_options(
        &through(&strict_link),
        &[("ROLLGATE_REDIS__MAX_FEED_SILENCE", "2s")],
    ))
    .await;
    put_flag(&direct, flag("before", 0)).await;

    for link in [&lenient_link, &strict_link] {
        link.set_up(false);
        link.cut();
    }
    let revision = put_flag(&direct, flag("while-cut-off", 1)).await;
    let body = wait::until(DEADLINE, "the strict replica to turn not-ready", || async {
        match readiness(&strict).await {
            (StatusCode::SERVICE_UNAVAILABLE, body) => Ok(body),
            (status, body) => Err(format!("{status} {body}")),
        }
    })
    .await;
    assert_eq!(body["status"], "stale", "{body}");
    assert!(body["age_seconds"].as_f64().unwrap() > 2.0, "{body}");
    assert_eq!(body["store_available"], false, "{body}");
    assert!(
        body["served_revision"].as_u64().unwrap() < revision,
        "{body}"
    );

    let (status, body) = readiness(&lenient).await;
    assert_eq!(status, StatusCode::OK, "off by default: {body}");
    assert!(body["age_seconds"].as_f64().unwrap() > 2.0, "{body}");
    assert_eq!(body["store_available"], false, "{body}");
    let age = metric(&lenient, "rollgate_served_age_seconds", &[])
        .await
        .unwrap();
    assert!(age > 2.0, "rollgate_served_age_seconds {age}");
    assert_eq!(
        metric(&lenient, "rollgate_store_available", &[]).await,
        Some(0.0)
    );
    let (status, body) = readiness(&direct).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["age_seconds"].as_f64().unwrap() < 2.0, "{body}");

    for link in [&lenient_link, &strict_link] {
        link.set_up(true);
    }
    for replica in [&lenient, &strict] {
        wait::until(DEADLINE, "the replica to catch up", || async {
            let (status, body) = readiness(replica).await;
            let caught_up = status == StatusCode::OK && served_revision(replica).await >= revision;
            wait::holds(caught_up, || format!("{status} {body}"))
        })
        .await;
        let flags = replica.keys("/api/v1/flags").await;
        assert!(flags.contains(&"while-cut-off".to_owned()), "{flags:?}");
        let reply = replica
            .admin(Method::GET, "/api/v1/flags/while-cut-off", None)
            .await;
        assert_eq!(reply.status, StatusCode::OK);
    }
    assert_eq!(
        metric(&strict, "rollgate_feed_lag_revisions", &[]).await,
        Some(0.0)
    );
}
