//! Sustained load: a fresh release `rollgate` held at half of its maximum for 10 minutes
//! (by default) with a mix of evaluations, ruleset downloads and admin writes; prints the
//! errors, latency and the server's memory over time, and whether the sustained-load
//! target of loadtests/README.md is met (0 errors, RSS growth ≤ 5 % after warm-up).
//!
//! ```sh
//! cargo build --release -p rollgate-server
//! cargo run --release -p rollgate-loadtests --bin soak -- --minutes 10
//! ```
//!
//! `ROLLGATE_BIN` picks the server binary (default `target/release/rollgate`).

use std::time::Duration;

use clap::Parser;
use rollgate_loadtests::server::{Spawned, binary};
use rollgate_loadtests::soak::{self, Soak};

/// Sustained load at half of the measured maximum.
#[derive(Debug, Parser)]
#[command(name = "soak")]
struct Cli {
    /// Minutes the load is held.
    #[arg(long, default_value_t = 10.0)]
    minutes: f64,
    /// Seconds at the start whose memory does not count.
    #[arg(long, default_value_t = 60.0)]
    warmup: f64,
    /// Seconds between two readings of the server's RSS.
    #[arg(long, default_value_t = 10.0)]
    sample_every: f64,
    /// Keep-alive connections of the reads.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Admin writes per second alongside the reads.
    #[arg(long, default_value_t = 10.0)]
    write_rate: f64,
    /// Print the whole report as JSON too.
    #[arg(long)]
    json: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let soak = Soak {
        duration: Duration::from_secs_f64(cli.minutes * 60.0),
        warmup: Duration::from_secs_f64(cli.warmup),
        sample_every: Duration::from_secs_f64(cli.sample_every.max(0.1)),
        connections: cli.connections,
        probe: Duration::from_secs(5),
        write_rate: cli.write_rate,
        timeout: Duration::from_secs(5),
    };
    let server = Spawned::start(&binary(), &[]).await?;
    println!("server: {} (pid {})", binary().display(), server.pid());
    let report = soak::run(&server, &soak).await?;
    println!(
        "maximum {:.0} req/s; held {:.0} req/s for {:.0} s, server CPU {:.2} µs/read",
        report.max_per_s, report.rate_per_s, report.reads.elapsed_s, report.server_cpu_us_per_read
    );
    println!("reads:  {}", report.reads.line());
    println!("writes: {}", report.writes.line());
    println!("| seconds | RSS |\n|---:|---:|");
    for sample in &report.samples {
        println!(
            "| {:.0} | {:.1} MiB |",
            sample.at_s,
            sample.rss_kib as f64 / 1024.0
        );
    }
    let errors = report.reads.error_count() + report.writes.error_count();
    match report.growth {
        Some(growth) => println!(
            "errors {errors} (target 0: {}); RSS after warm-up {:.1} MiB, peak {:.1} MiB, end {:.1} MiB: growth {:.1} % (target ≤ 5 %: {})",
            if errors == 0 { "met" } else { "missed" },
            growth.after_warmup_kib as f64 / 1024.0,
            growth.peak_kib as f64 / 1024.0,
            growth.end_kib as f64 / 1024.0,
            growth.percent,
            if growth.percent <= 5.0 {
                "met"
            } else {
                "missed"
            },
        ),
        None => println!("errors {errors}; no memory sample after the warm-up"),
    }
    if let Some(late) = report.second_half {
        println!(
            "second half alone: RSS {:.1} MiB at its start, peak {:.1} MiB: growth {:.1} %",
            late.after_warmup_kib as f64 / 1024.0,
            late.peak_kib as f64 / 1024.0,
            late.percent
        );
    }
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    }
    Ok(())
}
