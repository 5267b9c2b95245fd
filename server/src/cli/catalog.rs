//! `rollgate export` and `rollgate import`: the whole catalog (environments, segments,
//! flags) as one JSON document, through the admin API. The Rollgate document is the
//! default format; other formats (flagd) come as subcommands of their own.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::flagd::{FlagdExportArgs, FlagdImportArgs};
use super::{CliError, ClientOptions, print_json};

/// Write the catalog as one JSON document (or, with `flagd`, one environment as a flagd
/// file).
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ExportArgs {
    #[command(flatten)]
    options: ClientOptions,
    /// Another format than Rollgate's own.
    #[command(subcommand)]
    format: Option<ExportFormat>,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// The other formats `rollgate export` writes.
#[derive(Debug, Subcommand)]
enum ExportFormat {
    /// One environment's flags as a flagd flag-definition file; flags flagd cannot
    /// state are left out and listed on standard error.
    Flagd(FlagdExportArgs),
}

/// Write a catalog document back: validated whole, then one commit (all or nothing).
/// `rollgate import flagd FILE --environment ENV` reads a flagd file instead.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ImportArgs {
    #[command(flatten)]
    options: ClientOptions,
    /// Another format than Rollgate's own.
    #[command(subcommand)]
    format: Option<ImportFormat>,
    /// The catalog document (`rollgate export` wrote it); `-` reads standard input.
    #[arg(value_name = "FILE", required = true)]
    file: Option<PathBuf>,
}

/// The other formats `rollgate import` reads.
#[derive(Debug, Subcommand)]
enum ImportFormat {
    /// A flagd flag-definition file into one environment: its flags, and segments from
    /// its shared evaluators, in one commit; nothing when anything cannot be imported.
    Flagd(FlagdImportArgs),
}

/// The contents of `file` (`-`: standard input).
pub(super) fn read_input(file: &std::path::Path) -> Result<String, CliError> {
    if file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(file)
    }
    .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))
}

pub(super) async fn export(args: ExportArgs) -> Result<(), CliError> {
    if let Some(ExportFormat::Flagd(flagd)) = args.format {
        return super::flagd::export(&args.options, flagd).await;
    }
    let client = args.options.client()?;
    let document = client.get_raw("/api/v1/catalog").await?;
    match args.output {
        None => {
            let value: serde_json::Value = serde_json::from_slice(&document)
                .map_err(|e| CliError::Connection(format!("the server sent no JSON: {e}")))?;
            print_json(&value);
        }
        Some(path) => std::fs::write(&path, &document)
            .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", path.display())))?,
    }
    Ok(())
}

pub(super) async fn import(args: ImportArgs) -> Result<(), CliError> {
    let file = match (args.format, args.file) {
        (Some(ImportFormat::Flagd(flagd)), _) => {
            return super::flagd::import(&args.options, flagd).await;
        }
        (None, Some(file)) => file,
        (None, None) => return Err(CliError::Usage("name the file to import".to_owned())),
    };
    let client = args.options.client()?;
    let text = read_input(&file)?;
    let document: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("{} is not JSON: {e}", file.display())))?;
    let answer = client.post("/api/v1/catalog", &document).await?;
    if args.options.json {
        print_json(&answer.body);
    } else {
        let count = |name: &str| answer.body[name].as_u64().unwrap_or(0);
        println!(
            "imported: {} created, {} replaced, {} unchanged{}",
            count("created"),
            count("replaced"),
            count("unchanged"),
            answer.body["revision"]
                .as_u64()
                .map(|r| format!(" (revision {r})"))
                .unwrap_or_default()
        );
    }
    Ok(())
}
