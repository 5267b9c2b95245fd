//! `rollgate import flagd FILE --environment ENV` and `rollgate export flagd
//! --environment ENV`: flagd flag-definition files in and out of one environment,
//! through the admin API (`POST /api/v1/import/flagd`, `GET /api/v1/export/flagd`). The
//! file is sent as it is, so the server judges it whole; what it cannot import comes
//! back as one problem per construct, with its JSON path, and nothing is written.

use std::path::PathBuf;

use clap::Args;
use serde_json::Value;

use super::catalog::read_input;
use super::{CliError, ClientOptions, print_json, segment};

/// `rollgate import flagd`.
#[derive(Debug, Args)]
pub(crate) struct FlagdImportArgs {
    /// The flagd flag-definition file; `-` reads standard input.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The environment the file's flags are configured in.
    #[arg(long, short)]
    environment: String,
    /// Show what would be written, and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Overwrite flags and segments that exist (a flag keeps its other environments).
    #[arg(long)]
    replace: bool,
}

/// `rollgate export flagd`.
#[derive(Debug, Args)]
pub(crate) struct FlagdExportArgs {
    /// The environment whose flags are written.
    #[arg(long, short)]
    environment: String,
    /// Write to this file instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

pub(super) async fn import(options: &ClientOptions, args: FlagdImportArgs) -> Result<(), CliError> {
    let client = options.client()?;
    let text = read_input(&args.file)?;
    let path = format!(
        "/api/v1/import/flagd?environment={}&dry_run={}&replace={}",
        segment(&args.environment),
        args.dry_run,
        args.replace
    );
    let answer = client.post_text(&path, text).await?;
    if options.json {
        print_json(&answer.body);
        return Ok(());
    }
    let body = &answer.body;
    let heading = if args.dry_run {
        format!(
            "dry run: nothing written; into {} this would write",
            args.environment
        )
    } else {
        match body["revision"].as_u64() {
            Some(revision) => format!("imported into {} (revision {revision})", args.environment),
            None => format!(
                "nothing to import into {}: already as the file says",
                args.environment
            ),
        }
    };
    println!("{heading}:");
    for (kind, list) in [("flag", &body["flags"]), ("segment", &body["segments"])] {
        for written in list.as_array().into_iter().flatten() {
            println!(
                "  {kind} {} ({})",
                written["key"].as_str().unwrap_or_default(),
                written["action"].as_str().unwrap_or_default()
            );
        }
    }
    for note in body["notes"].as_array().into_iter().flatten() {
        println!("  note: {}", finding(note));
    }
    Ok(())
}

pub(super) async fn export(options: &ClientOptions, args: FlagdExportArgs) -> Result<(), CliError> {
    let client = options.client()?;
    let answer = client
        .get(&format!(
            "/api/v1/export/flagd?environment={}",
            segment(&args.environment)
        ))
        .await?;
    if options.json {
        print_json(&answer.body);
        return Ok(());
    }
    let file = &answer.body["flagd"];
    match &args.output {
        None => print_json(file),
        Some(path) => {
            let text =
                serde_json::to_string_pretty(file).map_err(|e| CliError::Answer(e.to_string()))?;
            std::fs::write(path, text + "\n")
                .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", path.display())))?;
        }
    }
    for left_out in answer.body["left_out"].as_array().into_iter().flatten() {
        eprintln!("left out: {}", finding(left_out));
    }
    Ok(())
}

/// A finding as one line: `flag "x": path: message`.
fn finding(value: &Value) -> String {
    let flag = value["flag"]
        .as_str()
        .map(|f| format!("flag {f:?}: "))
        .unwrap_or_default();
    format!(
        "{flag}{}: {}",
        value["field"].as_str().unwrap_or_default(),
        value["message"].as_str().unwrap_or_default()
    )
}
