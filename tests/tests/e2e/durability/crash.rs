//! The crash test of the embedded store, through HTTP: clients write flags one by one on a few
//! connections and record every acknowledged write; the server is killed with SIGKILL
//! after a pseudo-random number of acknowledgements; after a restart on the same data
//! directory the store opens cleanly and every acknowledged flag is there with its body.
//! Ten rounds, each on a new directory with its own kill point (seeded: set
//! `RG_E2E_CRASH_SEED` to replay a failure). A new directory per round keeps the rounds
//! independent and each restart's load and check small.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use rollgate_e2e::{ADMIN_TOKEN, Options, Server};
use serde_json::{Value, json};
use tokio::sync::watch;

const ROUNDS: usize = 10;
const FLAGS_PER_ROUND: usize = 500;
const CONNECTIONS: usize = 4;

/// SplitMix64: a small, well-mixed, seeded sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `1..=max`.
    fn between_1_and(&mut self, max: usize) -> usize {
        1 + usize::try_from(self.next() % max as u64).unwrap()
    }
}

/// The flag written as number `index` of `round`: its body says which it is.
fn flag(round: usize, index: usize) -> (String, Value) {
    let key = format!("r{round}-f{index}");
    let body = json!({
        "description": format!("round {round}, flag {index}"),
        "variants": { "control": index, "treatment": index + 1_000_000 },
        "tags": [format!("round-{round}")],
        "environments": { "production": {
            "enabled": index.is_multiple_of(2), "off_variant": "control",
            "default": { "rollout": [ { "variant": "control", "weight": 5000 },
                                      { "variant": "treatment", "weight": 5000 } ] } } }
    });
    (key, body)
}

/// What the writers saw: acknowledged writes, and writes whose fate is unknown.
#[derive(Default)]
struct Outcome {
    acknowledged: Vec<usize>,
    in_doubt: Vec<usize>,
}

/// Writes flags `0..FLAGS_PER_ROUND` of `round` on `CONNECTIONS` connections until
/// the server goes away; `acks` counts acknowledgements (and closes when every writer
/// has stopped).
async fn write_round(url: String, round: usize, acks: watch::Sender<usize>) -> Outcome {
    let acks = Arc::new(acks);
    let next = Arc::new(AtomicUsize::new(0));
    let outcome = Arc::new(Mutex::new(Outcome::default()));
    let mut writers = Vec::new();
    for _ in 0..CONNECTIONS {
        let (url, next, outcome, acks) = (
            url.clone(),
            Arc::clone(&next),
            Arc::clone(&outcome),
            Arc::clone(&acks),
        );
        writers.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap();
            loop {
                let index = next.fetch_add(1, Ordering::SeqCst);
                if index >= FLAGS_PER_ROUND {
                    return;
                }
                let (key, body) = flag(round, index);
                let reply = client
                    .put(format!("{url}/api/v1/flags/{key}"))
                    .bearer_auth(ADMIN_TOKEN)
                    .json(&body)
                    .send()
                    .await;
                match reply {
                    Ok(response) if response.status() == StatusCode::CREATED => {
                        outcome.lock().unwrap().acknowledged.push(index);
                        acks.send_modify(|count| *count += 1);
                    }
                    Ok(response) => panic!("{key}: unexpected {}", response.status()),
                    Err(_) => {
                        outcome.lock().unwrap().in_doubt.push(index);
                        return;
                    }
                }
            }
        }));
    }
    drop(acks);
    for writer in writers {
        writer.await.unwrap();
    }
    Arc::try_unwrap(outcome).ok().unwrap().into_inner().unwrap()
}

/// Every flag the restarted server holds, by key, without its version.
async fn stored_flags(server: &Server) -> BTreeMap<String, Value> {
    let mut flags = BTreeMap::new();
    for mut flag in server
        .read("/api/v1/flags")
        .await
        .as_array()
        .unwrap()
        .clone()
    {
        assert_eq!(flag["version"], 1, "{flag}");
        flag.as_object_mut().unwrap().remove("version");
        flags.insert(flag["key"].as_str().unwrap().to_owned(), flag);
    }
    flags
}

/// Panics unless the stored flag is the one sent (its key and version aside).
fn assert_same(context: &str, found: &Value, sent: &Value) {
    for field in ["description", "variants", "tags", "environments"] {
        let mut expected = sent[field].clone();
        if field == "environments" {
            // Stored with its defaults spelled out.
            expected["production"]["rules"] = json!([]);
        }
        assert_eq!(
            found[field], expected,
            "{context}: {field} of {}",
            found["key"]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_write_survives_sigkill() {
    let seed = std::env::var("RG_E2E_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_2026_u64);
    let mut rng = Rng(seed);
    for round in 0..ROUNDS {
        let kill_after = rng.between_1_and(FLAGS_PER_ROUND);
        let context = format!("seed {seed:#x}, round {round}, kill after {kill_after}");
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start_in(dir.path(), Options::default()).await;
        let (acks, mut acknowledged) = watch::channel(0);
        let writing = tokio::spawn(write_round(server.url.clone(), round, acks));
        // Until the kill point, or until every writer has stopped (the channel closes:
        // the count is then checked below).
        let reached = acknowledged.wait_for(|count| *count >= kill_after);
        let _ = tokio::time::timeout(Duration::from_secs(60), reached)
            .await
            .unwrap_or_else(|_| panic!("{context}: {kill_after} writes not acknowledged in 60 s"));
        server.kill().await;
        let outcome = writing.await.unwrap();
        assert!(
            outcome.acknowledged.len() >= kill_after,
            "{context}: only {} acknowledged",
            outcome.acknowledged.len()
        );

        // The store opens cleanly (the harness waits for /readyz 200) …
        let server = Server::start_in(dir.path(), Options::default()).await;
        let ready = server
            .call(server.request(reqwest::Method::GET, "/readyz", None))
            .await;
        assert_eq!(ready.status, StatusCode::OK, "{context}: {}", ready.body);
        let stored = stored_flags(&server).await;
        // … with every acknowledged flag, whole …
        for index in &outcome.acknowledged {
            let (key, sent) = flag(round, *index);
            let found = stored
                .get(&key)
                .unwrap_or_else(|| panic!("{context}: {key} lost"));
            assert_same(&context, found, &sent);
        }
        // … nothing that was never sent, and in-doubt flags whole or absent.
        for (key, found) in &stored {
            let index: usize = key.rsplit('f').next().unwrap().parse().unwrap();
            assert!(
                outcome.acknowledged.contains(&index) || outcome.in_doubt.contains(&index),
                "{context}: {key} was never written"
            );
            assert_same(&context, found, &flag(round, index).1);
        }
        // The audit log committed with the documents: one creation per flag.
        let mut created = 0;
        let mut page = server.audit("kind=flag&limit=500").await;
        while let Some(last) = page.last() {
            created += page.len();
            let before = last["revision"].as_u64().unwrap();
            page = server
                .audit(&format!("kind=flag&limit=500&before={before}"))
                .await;
        }
        assert_eq!(
            created,
            stored.len(),
            "{context}: flag creations in the audit log"
        );
        assert!(server.terminate().await.success());
    }
}
