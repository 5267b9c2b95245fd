//! `rollgate store copy --from … --to …`: a whole store (documents with their versions,
//! the audit trail, the revision) into an empty one, between a data directory and Redis
//! in either direction. It opens the stores itself: an embedded store must not be in use
//! by a server (its file is locked), and a Redis store must not be written meanwhile.

use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::CliError;
use crate::infra::store::Store;
use crate::infra::store::embedded::{EmbeddedOptions, EmbeddedStore};
use crate::infra::store::redis::{RedisOptions, RedisStore, redacted};

/// Operate on stores directly (the server stopped).
#[derive(Debug, Args)]
pub struct StoreArgs {
    #[command(subcommand)]
    command: StoreCommand,
}

#[derive(Debug, Subcommand)]
enum StoreCommand {
    /// Copy a whole store into an empty one: `--from ./data --to redis://host:6379/0`,
    /// or back.
    Copy {
        /// A data directory, or a `redis://` / `rediss://` URL.
        #[arg(long, value_name = "DIR|URL")]
        from: String,
        /// A data directory, or a `redis://` / `rediss://` URL; it must be empty.
        #[arg(long, value_name = "DIR|URL")]
        to: String,
        /// The key prefix in Redis (`redis.key_prefix`).
        #[arg(long, default_value = "rollgate")]
        redis_prefix: String,
    },
}

fn open(location: &str, prefix: &str) -> Result<Arc<dyn Store>, CliError> {
    let failed = |e: crate::infra::store::StoreError| {
        CliError::Usage(format!("cannot open {}: {e}", redacted(location)))
    };
    if location.starts_with("redis://") || location.starts_with("rediss://") {
        let store = RedisStore::open(RedisOptions {
            url: location.to_owned(),
            password: None,
            prefix: prefix.to_owned(),
            timeout: Duration::from_secs(30),
            retention: 10_000,
            feed_capacity: 16,
        })
        .map_err(failed)?;
        Ok(Arc::new(store))
    } else {
        let store =
            EmbeddedStore::open(location.as_ref(), EmbeddedOptions::default()).map_err(failed)?;
        Ok(Arc::new(store))
    }
}

pub(super) async fn run(args: StoreArgs) -> Result<(), CliError> {
    let StoreCommand::Copy {
        from,
        to,
        redis_prefix,
    } = args.command;
    let source = open(&from, &redis_prefix)?;
    let target = open(&to, &redis_prefix)?;
    let dump = source
        .dump()
        .await
        .map_err(|e| CliError::Connection(format!("cannot read {}: {e}", redacted(&from))))?;
    target
        .restore(&dump)
        .await
        .map_err(|e| CliError::Connection(format!("cannot fill {}: {e}", redacted(&to))))?;
    println!(
        "copied {} documents and {} audit events at revision {} from {} to {}",
        dump.documents.len(),
        dump.audit.len(),
        dump.revision,
        redacted(&from),
        redacted(&to)
    );
    Ok(())
}
