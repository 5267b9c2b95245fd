//! The stream service end to end without HTTP: which environments a change wakes,
//! delivery tracking, the per-key limit and closing.

#![allow(clippy::unwrap_used, reason = "tests")]

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use rollgate_core::model::{Environment, Flag};
use serde_json::json;

use super::*;
use crate::infra::hub::Versioned;

fn catalog(revision: u64, production_variant: &str, development_variant: &str) -> Catalog {
    let flag: Flag = serde_json::from_value(json!({
        "key": "a", "variants": { "on": true, "off": false },
        "environments": {
            "production": { "enabled": true, "off_variant": "off", "default": { "variant": production_variant } },
            "development": { "enabled": true, "off_variant": "off", "default": { "variant": development_variant } }
        }
    }))
    .unwrap();
    let mut catalog = Catalog {
        revision,
        ..Catalog::default()
    };
    for environment in Environment::defaults() {
        catalog.environments.insert(
            environment.key.clone(),
            Versioned {
                version: 1,
                revision,
                doc: Arc::new(environment),
            },
        );
    }
    catalog.flags.insert(
        "a".into(),
        Versioned {
            version: revision,
            revision,
            doc: Arc::new(flag),
        },
    );
    catalog
}

fn all() -> BTreeSet<String> {
    ["development", "production"].map(String::from).into()
}

async fn next_text(subscription: &mut Subscription) -> String {
    let chunk = tokio::time::timeout(Duration::from_secs(5), subscription.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    String::from_utf8(chunk.to_vec()).unwrap()
}

#[tokio::test]
async fn a_change_wakes_only_the_environments_whose_ruleset_changed() {
    let streams = Streams::new(StreamOptions::default());
    streams.publish(&catalog(1, "on", "on"), &all());
    let mut production = streams
        .subscribe("production", "k1", None, Flavor::Sdk)
        .unwrap();
    let mut development = streams
        .subscribe("development", "k2", None, Flavor::Sdk)
        .unwrap();
    assert!(next_text(&mut production).await.starts_with("retry:"));
    assert!(
        next_text(&mut production)
            .await
            .starts_with("event: ruleset\nid: 1\n")
    );
    next_text(&mut development).await;
    next_text(&mut development).await;
    streams.publish(&catalog(2, "off", "on"), &all());
    let change = next_text(&mut production).await;
    assert!(change.starts_with("event: change\nid: 2\n"), "{change}");
    assert_eq!(streams.head("production").unwrap().revision, 2);
    assert_eq!(streams.head("development").unwrap().revision, 1);
    streams.publish(&catalog(3, "off", "off"), &all());
    assert!(
        next_text(&mut development)
            .await
            .starts_with("event: change\nid: 3\n")
    );
    assert_eq!(streams.metrics().connected.get(), 2);
    drop(development);
    assert_eq!(streams.metrics().connected.get(), 1);
}

#[tokio::test]
async fn streams_count_as_having_received_a_revision_once_it_was_handed_out() {
    let streams = Streams::new(StreamOptions::default());
    streams.publish(&catalog(1, "on", "on"), &all());
    let mut fast = streams
        .subscribe("production", "k1", None, Flavor::Sdk)
        .unwrap();
    let mut slow = streams
        .subscribe("production", "k2", None, Flavor::Sdk)
        .unwrap();
    let gone = streams
        .subscribe("production", "k3", None, Flavor::Sdk)
        .unwrap();
    drop(gone);
    let count = |revision| streams.delivered("production", revision);
    assert_eq!(
        count(1),
        Delivered {
            connected: 2,
            received: 0
        }
    );
    next_text(&mut fast).await;
    next_text(&mut fast).await;
    assert_eq!(count(1).received, 1, "the initial ruleset is out");
    next_text(&mut slow).await;
    next_text(&mut slow).await;
    streams.publish(&catalog(2, "off", "on"), &all());
    assert_eq!(
        count(2),
        Delivered {
            connected: 2,
            received: 0
        }
    );
    next_text(&mut fast).await;
    assert_eq!(
        count(2),
        Delivered {
            connected: 2,
            received: 1
        }
    );
    next_text(&mut slow).await;
    assert_eq!(count(2).received, 2);
    assert_eq!(streams.delivered("development", 1).connected, 0);
}

#[tokio::test(start_paused = true)]
async fn a_waiter_is_woken_as_streams_take_the_revision_or_close_and_gives_up_at_its_deadline() {
    let streams = Streams::new(StreamOptions::default());
    streams.publish(&catalog(1, "on", "on"), &all());
    let mut reader = streams
        .subscribe("production", "k1", None, Flavor::Sdk)
        .unwrap();
    let closer = streams
        .subscribe("production", "k2", None, Flavor::Sdk)
        .unwrap();
    next_text(&mut reader).await;
    next_text(&mut reader).await;
    streams.publish(&catalog(2, "off", "on"), &all());
    let started = tokio::time::Instant::now();
    let wait = streams.delivered_within("production", 2, Duration::from_secs(3600));
    let moves = async {
        next_text(&mut reader).await;
        drop(closer);
    };
    let (delivered, ()) = tokio::join!(wait, moves);
    assert_eq!(
        delivered,
        Delivered {
            connected: 1,
            received: 1
        }
    );
    assert!(
        started.elapsed() < Duration::from_secs(3600),
        "woken by the streams, not by the deadline"
    );
    streams.publish(&catalog(3, "on", "on"), &all());
    let nobody_reads = streams
        .delivered_within("production", 3, Duration::from_secs(1))
        .await;
    assert_eq!(
        nobody_reads,
        Delivered {
            connected: 1,
            received: 0
        }
    );
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the deadline ended it"
    );
}

#[tokio::test]
async fn streams_per_key_are_bounded_and_released_when_closed() {
    let settings = StreamOptions {
        max_sdk_streams_per_key: 2,
        max_ofrep_streams_per_key: 1,
        ..StreamOptions::default()
    };
    let streams = Streams::new(settings);
    streams.publish(&catalog(1, "on", "on"), &all());
    let first = streams
        .subscribe("production", "k", None, Flavor::Sdk)
        .unwrap();
    let _second = streams
        .subscribe("development", "k", None, Flavor::Sdk)
        .unwrap();
    assert_eq!(
        streams
            .subscribe("production", "k", None, Flavor::Sdk)
            .unwrap_err(),
        SubscribeError::TooManyStreams {
            limit: 2,
            setting: "limits.max_streams_per_sdk_key"
        }
    );
    // OFREP event streams have a bound of their own.
    let notify = streams
        .subscribe("production", "k", None, Flavor::Notify)
        .unwrap();
    assert!(matches!(
        streams.subscribe("production", "k", None, Flavor::Notify),
        Err(SubscribeError::TooManyStreams { limit: 1, .. })
    ));
    drop(notify);
    assert!(
        streams
            .subscribe("production", "other", None, Flavor::Sdk)
            .is_ok()
    );
    drop(first);
    assert!(
        streams
            .subscribe("production", "k", None, Flavor::Sdk)
            .is_ok()
    );
    assert_eq!(
        streams
            .subscribe("staging", "k2", None, Flavor::Sdk)
            .unwrap_err(),
        SubscribeError::UnknownEnvironment("staging".into())
    );
}

#[tokio::test]
async fn closing_ends_open_streams_and_refuses_new_ones() {
    let streams = Streams::new(StreamOptions::default());
    streams.publish(&catalog(1, "on", "on"), &all());
    let mut open = streams
        .subscribe("production", "k", None, Flavor::Sdk)
        .unwrap();
    streams.close();
    next_text(&mut open).await;
    next_text(&mut open).await;
    let end = tokio::time::timeout(Duration::from_secs(5), open.next())
        .await
        .unwrap();
    assert!(end.is_none());
    assert_eq!(
        streams
            .subscribe("production", "k", None, Flavor::Sdk)
            .unwrap_err(),
        SubscribeError::Closed
    );
}
