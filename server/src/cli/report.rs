//! `rollgate release report <id>` and `rollgate changelog`: the validation report and
//! the changelog as the server renders them, printed or written to a file.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::{CliError, ClientOptions, segment};

/// A format of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// Markdown (the default: readable in a terminal).
    Md,
    /// A standalone HTML page with charts.
    Html,
    /// The JSON document.
    Json,
}

/// `rollgate release report <id>`.
#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The release id.
    pub id: String,
    /// Markdown, a standalone HTML page, or JSON (`--json` means `--format json`).
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Prints (or writes) the report of a release.
pub(super) async fn report(options: &ClientOptions, args: ReportArgs) -> Result<(), CliError> {
    let format = match (args.format, options.json) {
        (Some(format), _) => format,
        (None, true) => ReportFormat::Json,
        (None, false) => ReportFormat::Md,
    };
    let name = match format {
        ReportFormat::Md => "md",
        ReportFormat::Html => "html",
        ReportFormat::Json => "json",
    };
    let body = options
        .client()?
        .get_raw(&format!(
            "/api/v1/releases/{}/report?format={name}",
            segment(&args.id)
        ))
        .await?;
    deliver(&body, args.output.as_deref())
}

/// A format of the changelog.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ChangelogFormat {
    /// Markdown (the default).
    Md,
    /// JSON.
    Json,
}

/// `rollgate changelog`: what each release delivered to which audience.
#[derive(Debug, Args)]
pub struct ChangelogArgs {
    #[command(flatten)]
    options: ClientOptions,
    /// Markdown or JSON (`--json` means `--format json`).
    #[arg(long, value_enum)]
    format: Option<ChangelogFormat>,
    /// What end users see: no exposures, rollback reasons or incidents.
    #[arg(long)]
    public: bool,
    /// Only releases of this environment.
    #[arg(long)]
    environment: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Prints (or writes) the changelog.
pub(super) async fn changelog(args: ChangelogArgs) -> Result<(), CliError> {
    let format = match (args.format, args.options.json) {
        (Some(ChangelogFormat::Json), _) | (None, true) => "json",
        _ => "md",
    };
    let view = if args.public { "public" } else { "internal" };
    let mut path = format!("/api/v1/changelog?format={format}&view={view}");
    if let Some(environment) = &args.environment {
        path.push_str(&format!("&environment={}", segment(environment)));
    }
    let body = args.options.client()?.get_raw(&path).await?;
    deliver(&body, args.output.as_deref())
}

/// Writes `body` to `output`, or to standard output (with a final newline).
fn deliver(body: &[u8], output: Option<&Path>) -> Result<(), CliError> {
    match output {
        Some(file) => std::fs::write(file, body)
            .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", file.display()))),
        None => {
            let text = String::from_utf8_lossy(body);
            if text.ends_with('\n') {
                print!("{text}");
            } else {
                println!("{text}");
            }
            Ok(())
        }
    }
}
