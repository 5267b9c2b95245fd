//! `rollgate export` and `rollgate import`: the whole catalog (environments, segments,
//! flags) as one JSON document, through the admin API. The Rollgate document is the
//! default format; other formats (flagd) come as subcommands of their own.

use std::path::PathBuf;

use clap::Args;

use super::{CliError, ClientOptions, print_json};

/// Write the catalog as one JSON document.
#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    options: ClientOptions,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// Write a catalog document back: validated whole, then one commit (all or nothing).
#[derive(Debug, Args)]
pub struct ImportArgs {
    #[command(flatten)]
    options: ClientOptions,
    /// The catalog document (`rollgate export` wrote it); `-` reads standard input.
    #[arg(value_name = "FILE")]
    file: PathBuf,
}

pub(super) async fn export(args: ExportArgs) -> Result<(), CliError> {
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
    let client = args.options.client()?;
    let text = if args.file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(&args.file)
    }
    .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", args.file.display())))?;
    let document: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| CliError::Usage(format!("{} is not JSON: {e}", args.file.display())))?;
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
