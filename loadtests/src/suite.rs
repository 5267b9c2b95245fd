//! `loadtest all`: starts the release `rollgate` (demo data plus the 50 realistic flags of
//! [`crate::seed`]) and the baseline side by side, runs every scenario against both in
//! alternating rounds with the same settings, and measures each server's CPU time per
//! request; then the memory figures. The medians and ratios are in [`crate::results`].

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::Serialize;

use crate::generator::{self, Mode, Outcome, Plan, Workload};
use crate::process::{self, Machine, Memory, Server};
use crate::scenarios::{self, NotAvailable, Scenario, Traffic};
use crate::seed;

/// Settings of a whole run (the command-line flags of `loadtest all`).
#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    /// Rounds; each measures every scenario on both servers, the order alternating.
    pub rounds: usize,
    /// Connections of the measured traffic.
    pub connections: usize,
    /// Length of each measurement.
    pub duration: Duration,
    /// Unrecorded closed-loop traffic before each measurement.
    pub warmup: Duration,
    /// Longest wait for one response.
    pub timeout: Duration,
    /// Admin writes per second in the reads-during-writes scenario.
    pub write_rate: f64,
    /// The scenarios to run.
    pub scenarios: Vec<Scenario>,
    /// Flags loaded for the memory figure (0 skips it).
    pub memory_flags: usize,
    /// CPUs of the servers and of the load generator (`taskset` lists), when pinned.
    pub pinning: Option<(String, String)>,
    /// Worker threads of the load generator.
    pub generator_threads: usize,
}

/// Which server a measurement is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The real server.
    Rollgate,
    /// The bare actix-web server.
    Baseline,
}

/// One scenario on one server in one round.
#[derive(Clone, Debug, Serialize)]
pub struct Measurement {
    /// Round number, from 0.
    pub round: usize,
    /// What was measured.
    pub scenario: Scenario,
    /// Against which server.
    pub side: Side,
    /// Closed loop at max (for reads-during-writes: the reads, while the writes ran).
    pub max: Outcome,
    /// Server CPU time per answered request of the max run, in µs.
    pub server_cpu_us_per_request: f64,
    /// The load generator's CPU time per answered request of the max run, in µs.
    pub generator_cpu_us_per_request: f64,
    /// Open loop at half of `max` (latency at half load); not for reads-during-writes.
    pub half_load: Option<Outcome>,
    /// Reads-during-writes: the same reads without writes, in slices alternating with
    /// those of `max`.
    pub reads_alone: Option<Outcome>,
    /// Reads-during-writes: server CPU µs per read without writes.
    pub reads_alone_cpu_us_per_request: Option<f64>,
    /// Reads-during-writes: the writes.
    pub writes: Option<Outcome>,
    /// Load average right after the measurement.
    pub load_average: [f64; 3],
}

/// Resident memory figures.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MemoryFigures {
    /// `rollgate` after the throughput rounds (demo data + 50 flags).
    pub after_rounds: Option<Memory>,
    /// The baseline after the throughput rounds.
    pub baseline_after_rounds: Option<Memory>,
    /// A fresh `rollgate` before any flag was written (seeded store only).
    pub empty: Option<Memory>,
    /// The same server with `flags` realistic flags written through the admin API.
    pub loaded: Option<Memory>,
    /// A server started on that store: the flags loaded at startup, no write history.
    pub restarted: Option<Memory>,
    /// How many flags `loaded` holds.
    pub flags: usize,
    /// Seconds it took to write them.
    pub seed_seconds: f64,
}

/// Everything a run measured.
#[derive(Clone, Debug, Serialize)]
pub struct Run {
    /// The settings.
    pub settings: Settings,
    /// The machine.
    pub machine: Machine,
    /// Load average when the run started.
    pub load_average_start: [f64; 3],
    /// Scenarios that could not run, and why.
    pub not_available: BTreeMap<Scenario, String>,
    /// Every measurement, in the order made.
    pub measurements: Vec<Measurement>,
    /// Memory figures.
    pub memory: MemoryFigures,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
}

/// Longest time the 50 load-test flags may take to write.
const SEEDING: Duration = Duration::from_secs(120);

/// Longest time the flags of the memory figure may take to write.
const LOADING: Duration = Duration::from_secs(900);

/// Where the binaries are and how to start them.
#[derive(Clone, Debug)]
pub struct Binaries {
    /// The release `rollgate`.
    pub rollgate: PathBuf,
    /// The release `baseline`.
    pub baseline: PathBuf,
}

/// The admin token the started servers are bootstrapped with.
fn admin_token() -> String {
    use rand::Rng;
    let n: u128 = rand::rng().random();
    format!("loadtest-admin-{n:032x}")
}

/// Starts a `rollgate` in a fresh data directory.
async fn start_rollgate(
    binaries: &Binaries,
    settings: &Settings,
    data: &std::path::Path,
    token: &str,
    demo: bool,
) -> anyhow::Result<Server> {
    let cpus = settings.pinning.as_ref().map(|(server, _)| server.as_str());
    let mut command = process::command(&binaries.rollgate, cpus);
    command
        .arg("serve")
        .arg("--bind")
        .arg("127.0.0.1:0")
        .arg("--data-dir")
        .arg(data);
    if demo {
        command.arg("--demo");
    }
    // The server's settings are its defaults: nothing of this process's environment.
    for (name, _) in std::env::vars() {
        if name.starts_with("ROLLGATE_") {
            command.env_remove(name);
        }
    }
    command.env("ROLLGATE_ADMIN_TOKEN", token);
    // Only the startup lines are quieted: the server logs nothing per request.
    command.env("ROLLGATE_LOG__LEVEL", "warn");
    Server::start("rollgate", command).await
}

/// Runs the closed-loop measurement `plan` and reads both CPU clocks around it.
async fn measured(
    server: &Server,
    workload: Arc<Workload>,
    plan: Plan,
) -> anyhow::Result<(Outcome, f64, f64)> {
    let me = std::process::id();
    let (server_before, me_before) = (server.cpu_time()?, process::cpu_time(me)?);
    let outcome = generator::run(workload, plan).await;
    let (server_after, me_after) = (server.cpu_time()?, process::cpu_time(me)?);
    let answered = outcome.answered().max(1) as f64;
    let per = |a: Duration, b: Duration| a.saturating_sub(b).as_secs_f64() * 1e6 / answered;
    Ok((
        outcome,
        per(server_after, server_before),
        per(me_after, me_before),
    ))
}

/// One scenario against one server.
async fn measure(
    settings: &Settings,
    server: &Server,
    side: Side,
    scenario: Scenario,
    traffic: &Traffic,
    round: usize,
) -> anyhow::Result<Measurement> {
    let expected = match side {
        Side::Rollgate => traffic.expected,
        Side::Baseline => hyper::StatusCode::OK,
    };
    let reads = Arc::new(Workload {
        address: server.address,
        requests: traffic.reads.clone(),
        expected: vec![expected],
    });
    let closed = Plan {
        connections: settings.connections,
        duration: settings.duration,
        mode: Mode::Closed,
        timeout: settings.timeout,
    };
    let warmup = Plan {
        duration: settings.warmup,
        ..closed
    };
    generator::run(Arc::clone(&reads), warmup).await;
    let (mut half_load, mut reads_alone, mut writes) = (None, None, None);
    let mut reads_alone_cpu = None;
    let (max, server_cpu, generator_cpu) = if traffic.writes.is_empty() {
        let (max, server_cpu, generator_cpu) = measured(server, Arc::clone(&reads), closed).await?;
        let half = Plan {
            mode: Mode::Open {
                rate: (max.requests_per_s / 2.0).max(1.0),
            },
            ..closed
        };
        half_load = Some(generator::run(reads, half).await);
        (max, server_cpu, generator_cpu)
    } else {
        let written = Arc::new(Workload {
            address: server.address,
            requests: traffic.writes.clone(),
            expected: vec![hyper::StatusCode::OK],
        });
        let during = during_writes(server, settings, &reads, &written, closed).await?;
        reads_alone = Some(during.alone);
        reads_alone_cpu = Some(during.alone_cpu);
        writes = Some(during.writes);
        (during.with, during.with_cpu, during.generator_cpu)
    };
    Ok(Measurement {
        round,
        scenario,
        side,
        max,
        server_cpu_us_per_request: server_cpu,
        generator_cpu_us_per_request: generator_cpu,
        half_load,
        reads_alone,
        reads_alone_cpu_us_per_request: reads_alone_cpu,
        writes,
        load_average: process::load_average(),
    })
}

/// Slices of reads-during-writes: reads alone and reads with writes alternate, so that
/// a change of the machine's load (it is shared) weighs on both alike.
pub const WRITE_SLICES: u32 = 5;

/// What reads-during-writes measured.
struct DuringWrites {
    alone: Outcome,
    alone_cpu: f64,
    with: Outcome,
    with_cpu: f64,
    generator_cpu: f64,
    writes: Outcome,
}

/// Reads at max in [`WRITE_SLICES`] pairs of slices, alone then with `writes` at the
/// configured rate; the slices of each kind add up to `plan.duration`.
async fn during_writes(
    server: &Server,
    settings: &Settings,
    reads: &Arc<Workload>,
    writes: &Arc<Workload>,
    plan: Plan,
) -> anyhow::Result<DuringWrites> {
    let slice = Plan {
        duration: plan.duration / WRITE_SLICES,
        ..plan
    };
    let paced = Plan {
        connections: 2,
        mode: Mode::Open {
            rate: settings.write_rate,
        },
        ..slice
    };
    let (mut alone, mut with, mut written) = (Vec::new(), Vec::new(), Vec::new());
    let (mut alone_cpu, mut with_cpu, mut generator_cpu) = (0.0, 0.0, 0.0);
    for _ in 0..WRITE_SLICES {
        let (outcome, cpu, _) = measured(server, Arc::clone(reads), slice).await?;
        alone_cpu += cpu * outcome.answered() as f64;
        alone.push(outcome);
        let writing = tokio::spawn(generator::run(Arc::clone(writes), paced));
        let (outcome, cpu, generator) = measured(server, Arc::clone(reads), slice).await?;
        with_cpu += cpu * outcome.answered() as f64;
        generator_cpu += generator * outcome.answered() as f64;
        with.push(outcome);
        written.push(writing.await.context("the writes task failed")?);
    }
    let (alone, with) = (Outcome::combine(&alone), Outcome::combine(&with));
    let per = |total: f64, outcome: &Outcome| total / outcome.answered().max(1) as f64;
    Ok(DuringWrites {
        alone_cpu: per(alone_cpu, &alone),
        with_cpu: per(with_cpu, &with),
        generator_cpu: per(generator_cpu, &with),
        alone,
        with,
        writes: Outcome::combine(&written),
    })
}

/// The whole run.
pub async fn run(settings: Settings, binaries: &Binaries) -> anyhow::Result<Run> {
    let started = Instant::now();
    let machine = Machine::describe();
    let load_average_start = process::load_average();
    let token = admin_token();
    let data = tempfile::tempdir()?;
    let rollgate = start_rollgate(binaries, &settings, data.path(), &token, true).await?;
    let cpus = settings.pinning.as_ref().map(|(server, _)| server.as_str());
    let baseline = Server::start("baseline", process::command(&binaries.baseline, cpus)).await?;
    eprintln!(
        "rollgate on {} (pid {}), baseline on {} (pid {})",
        rollgate.address,
        rollgate.pid()?,
        baseline.address,
        baseline.pid()?
    );
    let sdk_key = tokio::time::timeout(SEEDING, seed::seed(rollgate.address, &token, 50))
        .await
        .context("seeding the load-test flags took too long")?
        .context("seeding the load-test flags")?;
    let mut not_available = BTreeMap::new();
    let mut measurements = Vec::new();
    for round in 0..settings.rounds {
        let order = if round % 2 == 0 {
            [(&rollgate, Side::Rollgate), (&baseline, Side::Baseline)]
        } else {
            [(&baseline, Side::Baseline), (&rollgate, Side::Rollgate)]
        };
        // Prepared afresh each round: the writes of `reads-during-writes` change the
        // ruleset, so the ETag of `ruleset-304` must be the current one.
        let mut traffic = Vec::new();
        for &scenario in &settings.scenarios {
            match scenarios::traffic(scenario, rollgate.address, &sdk_key, &token).await {
                Ok(t) => traffic.push((scenario, t)),
                Err(NotAvailable(why)) => {
                    if round == 0 {
                        eprintln!("{}: not available: {why}", scenario.name());
                    }
                    not_available.entry(scenario).or_insert(why);
                }
            }
        }
        for (scenario, traffic) in &traffic {
            for (server, side) in order {
                let m = measure(&settings, server, side, *scenario, traffic, round).await?;
                eprintln!(
                    "round {} {:<20} {:<8} {}  cpu {:.1} µs/req",
                    round + 1,
                    scenario.name(),
                    format!("{side:?}").to_lowercase(),
                    m.max.line(),
                    m.server_cpu_us_per_request
                );
                measurements.push(m);
            }
        }
    }
    let mut memory = MemoryFigures {
        after_rounds: rollgate.memory().ok(),
        baseline_after_rounds: baseline.memory().ok(),
        flags: settings.memory_flags,
        ..MemoryFigures::default()
    };
    rollgate.stop().await;
    baseline.stop().await;
    if settings.memory_flags > 0 {
        tokio::time::timeout(LOADING, load_flags(&settings, binaries, &mut memory))
            .await
            .with_context(|| {
                format!(
                    "writing {} flags took longer than {LOADING:?}",
                    settings.memory_flags
                )
            })??;
    }
    Ok(Run {
        settings,
        machine,
        load_average_start,
        not_available,
        measurements,
        memory,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// RSS of a fresh `rollgate`, then of the same server holding `memory.flags` flags.
async fn load_flags(
    settings: &Settings,
    binaries: &Binaries,
    memory: &mut MemoryFigures,
) -> anyhow::Result<()> {
    let token = admin_token();
    let data = tempfile::tempdir()?;
    let server = start_rollgate(binaries, settings, data.path(), &token, false).await?;
    memory.empty = server.memory().ok();
    let started = Instant::now();
    seed::seed(server.address, &token, 0).await?;
    seed::put_flags(server.address, &token, 0..memory.flags, 4)
        .await
        .context("loading the flags of the memory figure")?;
    memory.seed_seconds = started.elapsed().as_secs_f64();
    memory.loaded = server.memory().ok();
    server.stop().await;
    let server = start_rollgate(binaries, settings, data.path(), &token, false).await?;
    memory.restarted = server.memory().ok();
    server.stop().await;
    eprintln!(
        "memory: {} flags written in {:.1} s; RSS {:?}, after a restart {:?}",
        memory.flags, memory.seed_seconds, memory.loaded, memory.restarted
    );
    Ok(())
}

/// The address a `host:port` argument names.
pub fn address(text: &str) -> anyhow::Result<SocketAddr> {
    use std::net::ToSocketAddrs;
    text.to_socket_addrs()?
        .next()
        .with_context(|| format!("{text} names no address"))
}
