//! Measures how fast one flag change reaches every connected SSE client.
//!
//! ```sh
//! cargo build --release -p rollgate-server
//! cargo run --release -p rollgate-loadtests --bin propagation -- 1000 10000
//! ```
//!
//! Arguments: client counts (default `1000 10000`). `ROLLGATE_BIN` picks the server
//! binary (default `target/release/rollgate`). Prints one Markdown table row per change.

use std::time::Duration;

use rollgate_loadtests::propagation::{self, Scenario};
use rollgate_loadtests::server::{Spawned, binary};

const CHANGES: usize = 5;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let limit = rlimit::increase_nofile_limit(u64::MAX)?;
    let counts: Vec<usize> = {
        let given: Vec<usize> = std::env::args()
            .skip(1)
            .filter_map(|a| a.parse().ok())
            .collect();
        if given.is_empty() {
            vec![1000, 10_000]
        } else {
            given
        }
    };
    println!("open files limit: {limit}; server: {}", binary().display());
    println!(
        "| clients | change | write | p50 | p99 | max | server CPU | connect all | RSS idle | RSS with streams | peak RSS |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for clients in counts {
        let max = (clients + 10).to_string();
        let server = Spawned::start(
            &binary(),
            &[
                ("ROLLGATE_LIMITS__MAX_STREAMS_PER_SDK_KEY", max.as_str()),
                ("ROLLGATE_STREAM__HEARTBEAT_INTERVAL", "30s"),
            ],
        )
        .await?;
        let scenario = Scenario {
            clients,
            changes: CHANGES,
            connect_concurrency: 100,
            timeout: Duration::from_secs(60),
        };
        let report = propagation::run(&server, &scenario).await?;
        let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
        let mib = |k: u64| format!("{:.1} MiB", k as f64 / 1024.0);
        for (i, change) in report.changes.iter().enumerate() {
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                report.clients,
                i + 1,
                ms(change.write),
                ms(change.p50),
                ms(change.p99),
                ms(change.max),
                ms(change.server_cpu),
                ms(report.connect),
                mib(report.rss_idle_kib),
                mib(report.rss_streams_kib),
                mib(report.rss_peak_kib),
            );
        }
    }
    Ok(())
}
