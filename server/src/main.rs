//! The `rollgate` binary: `rollgate serve` runs the server; `rollgate admin-token create`
//! mints an admin token into a stopped server's store; the other subcommands are the
//! release manager's command-line client. Without a subcommand it prints its help and
//! exits with status 2, like any other usage error: it never starts a server unasked.

use std::io::IsTerminal;
use std::net::TcpListener;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use rollgate_server::infra::config::{LogFormat, Overrides, Settings};
use rollgate_server::service::seed::Demo;

/// Feature flags and progressive delivery.
#[derive(Debug, Parser)]
#[command(name = "rollgate", version, about, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Mint an admin token into a stopped server's store (when every admin token is lost).
    AdminToken(rollgate_server::cli::AdminTokenArgs),
    /// Plan, approve and drive releases on a server (a client of the admin API).
    Release(rollgate_server::cli::ReleaseArgs),
    /// Release templates: a team's process written once.
    Template(rollgate_server::cli::TemplateArgs),
    /// List flags and set rollout percentages on a server.
    Flag(rollgate_server::cli::FlagArgs),
    /// Print the changelog: what each release delivered to which audience.
    Changelog(rollgate_server::cli::ChangelogArgs),
    /// Write the catalog (environments, segments, flags) as one JSON document, or one
    /// environment as a flagd file (`export flagd`).
    Export(rollgate_server::cli::ExportArgs),
    /// Write a catalog document back in one commit (all or nothing), or import a flagd
    /// file into one environment (`import flagd`).
    Import(rollgate_server::cli::ImportArgs),
    /// Copy a whole store between a data directory and Redis (the servers stopped).
    Store(rollgate_server::cli::StoreArgs),
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Config file (TOML); every setting is documented in config/rollgate.example.toml.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8070].
    #[arg(long, value_name = "ADDR")]
    bind: Option<String>,
    /// Directory of the embedded store [default: ./data].
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Use the shared Redis store at this URL instead of the embedded one.
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
    /// Seed demo flags and print an admin token and SDK keys (once per store).
    #[arg(long)]
    demo: bool,
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::AdminToken(args) => client(rollgate_server::cli::admin_token(args)),
        Command::Release(args) => client(rollgate_server::cli::release(args)),
        Command::Template(args) => client(rollgate_server::cli::template(args)),
        Command::Flag(args) => client(rollgate_server::cli::flag(args)),
        Command::Changelog(args) => client(rollgate_server::cli::changelog(args)),
        Command::Export(args) => client(rollgate_server::cli::export(args)),
        Command::Import(args) => client(rollgate_server::cli::import(args)),
        Command::Store(args) => client(rollgate_server::cli::store(args)),
    };
    if let Err(error) = result {
        // The chain of causes, without a backtrace: these are the operator's errors.
        eprintln!("rollgate: {error:#}");
        std::process::exit(2);
    }
}

/// Ends a client command: errors go to stderr with exit status 1 (2 for usage).
fn client(result: Result<(), rollgate_server::cli::CliError>) -> anyhow::Result<()> {
    if let Err(error) = result {
        eprintln!("rollgate: {error}");
        let status = match error {
            rollgate_server::cli::CliError::Usage(_) => 2,
            _ => 1,
        };
        std::process::exit(status);
    }
    Ok(())
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let overrides = Overrides {
        bind: args.bind,
        data_dir: args.data_dir,
        redis_url: args.redis,
        demo: args.demo,
    };
    let settings = Settings::load(args.config.as_deref(), std::env::vars(), &overrides)?;
    init_logging(settings.log.format, &settings.log.level)?;
    raise_open_files_limit();
    let listener = TcpListener::bind(settings.bind)
        .with_context(|| format!("cannot listen on {}", settings.bind))?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;
    let data_dir = settings.data_dir().to_path_buf();
    actix_rt::System::new().block_on(async move {
        rollgate_server::lifecycle::run(settings, listener, shutdown_signal(), |demo| {
            println!("rollgate listening on http://{address}");
            match demo {
                Demo::Seeded(demo) => {
                    println!("demo data loaded; these credentials are shown once:");
                    println!("  {:<26} {}", "admin token:", demo.admin_token);
                    for (environment, key) in &demo.sdk_keys {
                        println!("  {:<26} {key}", format!("SDK key ({environment}):"));
                    }
                }
                Demo::AlreadySeeded => {
                    println!(
                        "demo data already loaded in {}: its credentials were shown when it was seeded",
                        data_dir.display()
                    );
                    println!(
                        "  lost them? stop the server and run: rollgate admin-token create --data-dir {}",
                        data_dir.display()
                    );
                }
                Demo::Off => {}
            }
        })
        .await
    })?;
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut terminate) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = interrupt.await;
            return;
        };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

fn init_logging(format: LogFormat, level: &str) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .with_context(|| format!("invalid log.level {level:?}"))?;
    // Colour only for a person at a terminal, never into a file or a pipe.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
    Ok(())
}

/// Every SDK stream holds a socket open: raise the soft limit on open files to the hard
/// limit, so thousands of streams do not run out of descriptors.
fn raise_open_files_limit() {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => tracing::debug!(limit, "open files limit"),
        Err(error) => tracing::warn!(%error, "could not raise the open files limit"),
    }
}
