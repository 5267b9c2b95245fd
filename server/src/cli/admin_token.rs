//! `rollgate admin-token create`: the way back in when every admin token is lost. It
//! writes a new admin token straight into the store of a *stopped* server (the embedded
//! store admits one process at a time, so a running server makes it refuse, saying so),
//! audited as `system:admin-token`, and prints it once.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::CliError;
use crate::infra::config::{Overrides, Settings};
use crate::infra::store::StoreError;
use crate::infra::store::embedded::DATABASE_FILE;

/// Mint an admin token offline.
#[derive(Debug, Args)]
pub struct AdminTokenArgs {
    #[command(subcommand)]
    command: AdminTokenCommand,
}

/// The admin-token commands.
#[derive(Debug, Subcommand)]
enum AdminTokenCommand {
    /// Write a new admin token (role admin) into a stopped server's store and print it.
    Create {
        /// Config file (TOML), as for `serve`.
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Directory of the embedded store [default: ./data].
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Who the token is for, in lists and the audit log.
        #[arg(long, default_value = "recovery")]
        name: String,
    },
}

/// Runs an `admin-token` command.
pub fn admin_token(args: AdminTokenArgs) -> Result<(), CliError> {
    let AdminTokenCommand::Create {
        config,
        data_dir,
        name,
    } = args.command;
    let overrides = Overrides {
        data_dir,
        ..Overrides::default()
    };
    let settings = Settings::load(config.as_deref(), std::env::vars(), &overrides)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let token = mint(&settings, &name)?;
    println!("{token}");
    eprintln!(
        "rollgate: admin token {name:?} written to the store in {}; it is shown this once",
        settings.data_dir.display()
    );
    Ok(())
}

fn mint(settings: &Settings, name: &str) -> Result<String, CliError> {
    let dir: &Path = &settings.data_dir;
    if name.trim().is_empty() || name.len() > 128 {
        return Err(CliError::Usage(
            "--name must be 1 to 128 characters".to_owned(),
        ));
    }
    if !dir.join(DATABASE_FILE).is_file() {
        return Err(CliError::Usage(format!(
            "no Rollgate store in {}: run `rollgate serve --data-dir {}` once first",
            dir.display(),
            dir.display()
        )));
    }
    let store = crate::lifecycle::open_store(settings).map_err(|error| match error {
        crate::lifecycle::RunError::Store(StoreError::Unavailable(why)) => CliError::Usage(format!(
            "{why}: stop the server first — admin-token create works on a stopped server's store"
        )),
        other => CliError::Usage(other.to_string()),
    })?;
    let now = time::OffsetDateTime::now_utc();
    let minted = super::block_on_value(async {
        crate::service::seed::mint_admin_token(store.as_ref(), name, now)
            .await
            .map_err(|e| CliError::Usage(format!("cannot write the token: {e}")))
    })?;
    minted.ok_or_else(|| {
        CliError::Usage(format!(
            "the store in {} was never started: run `rollgate serve --data-dir {}` once first",
            dir.display(),
            dir.display()
        ))
    })
}
