//! `loadtest`: `all` measures the release `rollgate` against the baseline and writes the
//! results; `run` drives one scenario against a server that is already running (for
//! profiling); `seed` writes the load-test flags into a running server.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};
use rollgate_loadtests::generator::{self, Mode, Plan, Workload};
use rollgate_loadtests::process;
use rollgate_loadtests::results::{self, Report};
use rollgate_loadtests::scenarios::{self, Scenario};
use rollgate_loadtests::seed;
use rollgate_loadtests::suite::{self, Binaries, Settings};

/// Load tests of Rollgate against the bare actix-web limit.
#[derive(Debug, Parser)]
#[command(name = "loadtest")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build and start the release rollgate and the baseline, run every scenario against
    /// both in alternating rounds, and write results/<date>.json and RESULTS.md.
    All(AllArgs),
    /// Drive one scenario against a running rollgate and print the figures.
    Run(RunArgs),
    /// Write the load-test environment and flags into a running rollgate; prints the
    /// SDK key.
    Seed(SeedArgs),
}

#[derive(Debug, Args)]
struct Load {
    /// Keep-alive connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Seconds per measurement.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Longest wait for one response, in seconds.
    #[arg(long, default_value_t = 5.0)]
    timeout: f64,
    /// Worker threads of the load generator (0: one per CPU it may use).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

#[derive(Debug, Args)]
struct AllArgs {
    #[command(flatten)]
    load: Load,
    /// Rounds (each measures every scenario on both servers, alternating their order).
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Seconds of unrecorded traffic before each measurement.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Admin writes per second of the reads-during-writes scenario.
    #[arg(long, default_value_t = 50.0)]
    write_rate: f64,
    /// Scenarios to run, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    scenarios: Vec<String>,
    /// Flags to load for the memory figure (0 skips it).
    #[arg(long, default_value_t = 10_000)]
    memory_flags: usize,
    /// Pin the servers to the first CPU(s) and the load generator to the last one.
    #[arg(long)]
    pin: bool,
    /// Do not run `cargo build --release` first (use the binaries next to this one).
    #[arg(long)]
    no_build: bool,
    /// Measure this `rollgate` binary instead of the release build of the sources (for
    /// a before/after comparison with an older build).
    #[arg(long, value_name = "PATH")]
    rollgate: Option<PathBuf>,
    /// Where results/<date>.json and RESULTS.md go.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR")))]
    out: PathBuf,
}

#[derive(Debug, Args)]
struct RunArgs {
    #[command(flatten)]
    load: Load,
    /// The server, `host:port`.
    #[arg(long, default_value = "127.0.0.1:8070")]
    address: String,
    /// The scenario.
    #[arg(long, default_value = "ofrep-flag")]
    scenario: String,
    /// SDK key of the `loadtest` environment (see `loadtest seed`).
    #[arg(long)]
    sdk_key: String,
    /// Admin token (for reads-during-writes).
    #[arg(long, default_value = "")]
    admin_token: String,
    /// Open loop at this many requests per second (default: closed loop at max).
    #[arg(long)]
    rate: Option<f64>,
    /// Print the outcome as JSON.
    #[arg(long)]
    json: bool,
    /// Process id of the server, to report its CPU time per request.
    #[arg(long)]
    pid: Option<u32>,
}

#[derive(Debug, Args)]
struct SeedArgs {
    /// The server, `host:port`.
    #[arg(long, default_value = "127.0.0.1:8070")]
    address: String,
    /// An admin token.
    #[arg(long)]
    admin_token: String,
    /// How many realistic flags.
    #[arg(long, default_value_t = 50)]
    flags: usize,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (threads, pinning) = match &cli.command {
        Command::All(args) => (args.load.threads, args.pin.then(pinning).transpose()?),
        Command::Run(args) => (args.load.threads, None),
        Command::Seed(_) => (1, None),
    };
    if let Some((_, generator)) = &pinning {
        process::pin_self(generator)?;
    }
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::All(args) => all(args, threads, pinning).await,
            Command::Run(args) => run(args).await,
            Command::Seed(args) => {
                let address = suite::address(&args.address)?;
                println!(
                    "{}",
                    seed::seed(address, &args.admin_token, args.flags).await?
                );
                Ok(())
            }
        }
    })
}

/// Servers on every CPU but the last, the load generator on the last.
fn pinning() -> anyhow::Result<(String, String)> {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    if cpus < 2 {
        bail!("--pin needs at least 2 CPUs");
    }
    let servers = if cpus == 2 {
        "0".to_owned()
    } else {
        format!("0-{}", cpus - 2)
    };
    Ok((servers, (cpus - 1).to_string()))
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// The release binaries, built first unless `no_build`.
fn binaries(no_build: bool) -> anyhow::Result<Binaries> {
    if !no_build {
        let status = std::process::Command::new(
            std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()),
        )
        .current_dir(workspace_root())
        .args([
            "build",
            "--release",
            "-p",
            "rollgate-server",
            "--bin",
            "rollgate",
        ])
        .args(["-p", "rollgate-loadtests", "--bin", "baseline"])
        .status()
        .context("cannot run cargo build")?;
        if !status.success() {
            bail!("cargo build --release failed: {status}");
        }
    }
    let exe = std::env::current_exe()?;
    let release = exe
        .parent()
        .and_then(Path::parent)
        .map(|target| target.join("release"))
        .context("cannot locate the target directory")?;
    let binaries = Binaries {
        rollgate: release.join("rollgate"),
        baseline: release.join("baseline"),
    };
    for path in [&binaries.rollgate, &binaries.baseline] {
        if !path.is_file() {
            bail!(
                "{} is missing (build it or drop --no-build)",
                path.display()
            );
        }
    }
    Ok(binaries)
}

fn git(args: &[&str]) -> String {
    std::process::Command::new("git")
        .current_dir(workspace_root())
        .args(args)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

async fn all(
    args: AllArgs,
    threads: usize,
    pinning: Option<(String, String)>,
) -> anyhow::Result<()> {
    let scenarios = if args.scenarios.is_empty() {
        Scenario::ALL.to_vec()
    } else {
        args.scenarios
            .iter()
            .map(|name| Scenario::named(name).with_context(|| format!("no scenario {name:?}")))
            .collect::<anyhow::Result<_>>()?
    };
    let mut binaries = binaries(args.no_build)?;
    if let Some(rollgate) = &args.rollgate {
        binaries.rollgate = rollgate.clone();
    }
    let settings = Settings {
        rounds: args.rounds.max(1),
        connections: args.load.connections,
        duration: Duration::from_secs_f64(args.load.duration),
        warmup: Duration::from_secs_f64(args.warmup),
        timeout: Duration::from_secs_f64(args.load.timeout),
        write_rate: args.write_rate,
        scenarios,
        memory_flags: args.memory_flags,
        pinning,
        generator_threads: threads,
    };
    let run = suite::run(settings, &binaries).await?;
    let summary = results::summarize(&run);
    let targets = results::check_targets(&run, &summary);
    let now = time::OffsetDateTime::now_utc();
    let date = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let file = format!(
        "{:04}-{:02}-{:02}T{:02}{:02}Z.json",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute()
    );
    let dirty = if git(&["status", "--porcelain"]).is_empty() {
        ""
    } else {
        "+dirty"
    };
    let command: Vec<String> = std::env::args().skip(1).collect();
    let report = Report {
        date,
        command: format!(
            "cargo run --release -p rollgate-loadtests --bin loadtest -- {}",
            command.join(" ")
        ),
        commit: format!("{}{dirty}", git(&["rev-parse", "--short", "HEAD"])),
        summary: &summary,
        targets: &targets,
        run: &run,
    };
    let results_dir = args.out.join("results");
    std::fs::create_dir_all(&results_dir)?;
    let json_path = results_dir.join(&file);
    std::fs::write(&json_path, serde_json::to_vec_pretty(&report)?)?;
    let section = results::markdown(&report, &format!("results/{file}"));
    results::update_results_md(&args.out.join("RESULTS.md"), &section)?;
    println!("{section}");
    eprintln!(
        "wrote {} and {}",
        json_path.display(),
        args.out.join("RESULTS.md").display()
    );
    Ok(())
}

async fn run(args: RunArgs) -> anyhow::Result<()> {
    let address = suite::address(&args.address)?;
    let scenario = Scenario::named(&args.scenario)
        .with_context(|| format!("no scenario {:?}", args.scenario))?;
    let traffic = scenarios::traffic(scenario, address, &args.sdk_key, &args.admin_token)
        .await
        .map_err(|e| anyhow::anyhow!("{} is not available: {}", scenario.name(), e.0))?;
    let workload = Arc::new(Workload {
        address,
        requests: traffic.reads,
        expected: vec![traffic.expected],
    });
    let plan = Plan {
        connections: args.load.connections,
        duration: Duration::from_secs_f64(args.load.duration),
        mode: args.rate.map_or(Mode::Closed, |rate| Mode::Open { rate }),
        timeout: Duration::from_secs_f64(args.load.timeout),
    };
    let before = args.pid.map(process::cpu_time).transpose()?;
    let outcome = generator::run(workload, plan).await;
    let cpu = match (args.pid, before) {
        (Some(pid), Some(before)) => {
            let spent = process::cpu_time(pid)?.saturating_sub(before);
            let answered = outcome.answered().max(1) as f64;
            format!(
                "  server cpu {:.2} µs/req",
                spent.as_secs_f64() * 1e6 / answered
            )
        }
        _ => String::new(),
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    } else {
        println!("{:<20} {}{cpu}", scenario.name(), outcome.line());
    }
    Ok(())
}
