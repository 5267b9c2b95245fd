//! `kill -9` at the store level: a child process commits documents one by one and
//! acknowledges each on stdout; the parent kills it with SIGKILL right after reading a
//! chosen acknowledgement, reopens the store, and checks that every acknowledged write
//! is there. Ten rounds on the same data directory, each killed at another point, so
//! every round after the first also opens a store the previous crash left behind.
//!
//! The child is this test binary itself, re-run with [`WRITER_DIR`] set, selecting
//! only [`crash_writer`].

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking"
)]

use std::io::{BufRead, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};

use rollgate_server::infra::store::embedded::{EmbeddedOptions, EmbeddedStore};
use rollgate_server::infra::store::{Commit, Expect, Kind, Store, Write};
use time::OffsetDateTime;

/// Set in the child's environment: the data directory it writes to.
const WRITER_DIR: &str = "ROLLGATE_TEST_CRASH_WRITER_DIR";

/// Prefix of an acknowledgement line; anything else on stdout is the test harness.
const ACK: &str = "ack ";

const ROUNDS: u64 = 10;
const SEED: u64 = 0x5eed_0fc0_ffee;

/// The body of the document with sequence number `n`; its size varies so that commits
/// split and grow pages differently.
fn body(n: u64) -> Vec<u8> {
    let pad = "x".repeat((n as usize * 37) % 900);
    format!(r#"{{"n":{n},"pad":"{pad}"}}"#).into_bytes()
}

fn key(n: u64) -> String {
    format!("doc-{n:06}")
}

/// splitmix64: a seeded, reproducible choice of kill points.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The child: continues from the last sequence number in the store and commits until
/// it is killed, each commit writing a new document and advancing a counter.
#[tokio::test]
async fn crash_writer() {
    let Some(dir) = std::env::var_os(WRITER_DIR) else {
        return; // Not the child: nothing to do.
    };
    let store = EmbeddedStore::open(Path::new(&dir), EmbeddedOptions::default()).unwrap();
    let counter = store.get(Kind::Meta, "counter").await.unwrap();
    let mut n = counter.map_or(0, |c| c.version);
    let mut stdout = std::io::stdout();
    // The harness has written "test crash_writer ... " without ending the line.
    writeln!(stdout).unwrap();
    loop {
        let commit = Commit {
            actor: "system:crash-test".to_owned(),
            action: "doc.create".to_owned(),
            at: OffsetDateTime::UNIX_EPOCH,
            writes: vec![
                Write::put(Kind::Flag, key(n), Expect::Absent, body(n)),
                Write::put(
                    Kind::Meta,
                    "counter",
                    Expect::Any,
                    n.to_string().into_bytes(),
                ),
            ],
            checks: Vec::new(),
            audited: true,
            expect_revision: None,
        };
        store.commit(commit).await.unwrap();
        writeln!(stdout, "{ACK}{n}").unwrap();
        stdout.flush().unwrap();
        n += 1;
    }
}

#[tokio::test]
async fn acknowledged_commits_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut acknowledged = 0;
    for round in 0..ROUNDS {
        let kill_after = 1 + mix(SEED ^ round) % 40;
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["crash_writer", "--exact", "--nocapture", "--test-threads=1"])
            .env(WRITER_DIR, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut acks = 0;
        while acks < kill_after {
            let Some(line) = lines.next() else {
                let output = child.wait_with_output().unwrap();
                panic!(
                    "round {round}: the writer stopped after {acks} acks: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            };
            if let Some(n) = line.unwrap().strip_prefix(ACK) {
                assert_eq!(n.parse::<u64>().unwrap(), acknowledged, "round {round}");
                acknowledged += 1;
                acks += 1;
            }
        }
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();

        let store = EmbeddedStore::open(dir.path(), EmbeddedOptions::default())
            .unwrap_or_else(|e| panic!("round {round}: the store did not reopen: {e}"));
        assert!(store.repaired_on_open(), "round {round}: killed, yet clean");
        // The writer runs ahead of what was read, and a commit in flight at the kill may
        // have landed too: the counter says how far it got, and every commit up to
        // there must be whole.
        let counter = store.get(Kind::Meta, "counter").await.unwrap().unwrap();
        let last: u64 = std::str::from_utf8(&counter.body).unwrap().parse().unwrap();
        assert!(
            last + 1 >= acknowledged,
            "round {round}: acknowledged writes lost"
        );
        assert_eq!(counter.version, last + 1, "round {round}: torn commit");
        assert_eq!(store.revision().await.unwrap(), last + 1);
        for n in 0..=last {
            let doc = store.get(Kind::Flag, &key(n)).await.unwrap();
            let doc = doc.unwrap_or_else(|| panic!("round {round}: document {n} is lost"));
            assert_eq!((doc.version, &*doc.body), (1, &body(n)[..]));
        }
        assert!(
            store
                .get(Kind::Flag, &key(last + 1))
                .await
                .unwrap()
                .is_none()
        );
        acknowledged = last + 1;
    }
}
