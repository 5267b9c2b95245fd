//! The release manager's command line: `rollgate release …`, `rollgate flag …`,
//! `rollgate template …`, `rollgate changelog`, `rollgate export` and `rollgate import` (the catalog, or flagd
//! files), a client of the admin API (`--url` / `ROLLGATE_URL`,
//! `--token` / `ROLLGATE_TOKEN`), printing for people by default and the server's JSON
//! with `--json`; and `rollgate admin-token create`, which works offline on a stopped
//! server's store.
//!
//! For people, stages and checklist items are numbered from 1 (the API numbers them
//! from 0), times are RFC 3339 to the second, and every timeline line says what
//! changed.

mod admin_token;
mod catalog;
mod client;
mod flag;
mod flagd;
mod log_items;
mod plan_items;
mod preview;
mod release;
mod report;
mod show;
mod store;
mod template;
#[cfg(test)]
mod tests;
mod timeline;

use clap::Args;

pub use admin_token::{AdminTokenArgs, admin_token};
pub use catalog::{ExportArgs, ImportArgs};
pub use flag::FlagArgs;
pub use release::ReleaseArgs;
pub use report::ChangelogArgs;
pub use store::StoreArgs;
pub use template::{TemplateArgs, template};

/// Where the server is and who is calling; shared by every client command.
#[derive(Debug, Clone, Args)]
pub(crate) struct ClientOptions {
    /// The server's base URL.
    #[arg(
        long,
        env = "ROLLGATE_URL",
        default_value = "http://127.0.0.1:8070",
        global = true
    )]
    pub url: String,
    /// An admin token (a release manager's for release actions).
    #[arg(long, env = "ROLLGATE_TOKEN", global = true, hide_env_values = true)]
    pub token: Option<String>,
    /// Print the server's JSON instead of a summary.
    #[arg(long, global = true)]
    pub json: bool,
}

/// Why a client command failed; the binary prints it and exits with status 1 (2 for
/// usage errors).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line or an input file is wrong.
    #[error("{0}")]
    Usage(String),
    /// The server could not be reached.
    #[error("{0}")]
    Connection(String),
    /// The server's answer is not what this command expects.
    #[error("the server's answer could not be read: {0}")]
    Answer(String),
    /// The server refused.
    #[error("{detail}{} (HTTP {status}){}", field.as_ref().map(|f| format!(" [field: {f}]")).unwrap_or_default(), notes.iter().map(|n| format!("\n  {n}")).collect::<String>())]
    Server {
        /// HTTP status.
        status: u16,
        /// The problem's detail.
        detail: String,
        /// The offending field.
        field: Option<String>,
        /// More lines: each warning of a start that needs acknowledging, and how.
        notes: Vec<String>,
    },
}

impl ClientOptions {
    fn client(&self) -> Result<client::Client, CliError> {
        let token = self.token.as_deref().ok_or_else(|| {
            CliError::Usage("no token: pass --token or set ROLLGATE_TOKEN".to_owned())
        })?;
        client::Client::new(&self.url, token)
    }
}

/// Runs a `release` command to completion.
pub fn release(args: ReleaseArgs) -> Result<(), CliError> {
    block_on(release::run(args))
}

/// Runs `changelog` to completion.
pub fn changelog(args: ChangelogArgs) -> Result<(), CliError> {
    block_on(report::changelog(args))
}

/// Runs `export` to completion.
pub fn export(args: ExportArgs) -> Result<(), CliError> {
    block_on(catalog::export(args))
}

/// Runs `import` to completion.
pub fn import(args: ImportArgs) -> Result<(), CliError> {
    block_on(catalog::import(args))
}

/// Runs a `store` command (the operator's, on stores directly) to completion.
pub fn store(args: StoreArgs) -> Result<(), CliError> {
    block_on(store::run(args))
}

/// Runs a `flag` command to completion.
pub fn flag(args: FlagArgs) -> Result<(), CliError> {
    block_on(flag::run(args))
}

fn block_on<F: std::future::Future<Output = Result<(), CliError>>>(
    future: F,
) -> Result<(), CliError> {
    block_on_value(future)
}

/// Runs `future` to completion on a runtime of its own.
fn block_on_value<T, F: std::future::Future<Output = Result<T, CliError>>>(
    future: F,
) -> Result<T, CliError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the runtime: {e}")))?
        .block_on(future)
}

/// Prints JSON, pretty.
fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
    );
}

/// Percent-encodes a path segment typed by a person (ids and keys are plain already,
/// but a stray character must not change the route).
fn segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
