//! The embedded store (redb): one file in the data directory, fsync on every commit.
//!
//! redb is synchronous, so every call runs on tokio's blocking pool and async callers
//! never stall the runtime. Commits are serialised by one async mutex held from the
//! write transaction until its change is on the broadcast channel: that is what keeps
//! the live feed in revision order when several tasks commit at once.

mod copy;
mod read;
mod tables;
mod write;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use async_trait::async_trait;
use redb::Database;
use tokio::sync::{Mutex, broadcast, watch};

use super::{
    AuditEvent, AuditQuery, Change, ChangesSince, Commit, Document, Dump, FeedStatus, Kind, Store,
};
use super::{StoreError, rules};

/// The database file's name inside the data directory.
pub const DATABASE_FILE: &str = "rollgate.redb";

/// How an [`EmbeddedStore`] is opened.
#[derive(Clone, Debug)]
pub struct EmbeddedOptions {
    /// How many of the latest changes the change log keeps for
    /// [`Store::changes_since`]; at least 1. A reader further behind reloads everything.
    pub retention: u64,
    /// How many changes the live feed buffers for a slow subscriber before it lags;
    /// at least 1.
    pub feed_capacity: usize,
    /// Ceiling of redb's page cache, in bytes (it splits it 90 % reads, 10 % writes).
    pub cache_size: usize,
}

/// redb's own default page cache is 1 GiB, a ceiling it grows into as pages are read or
/// written and never gives back: with 10 000 flags every page of the file (documents,
/// change log, audit trail — tens of MB) ended up resident. The hub keeps the documents
/// in memory and the store is read on startup, on writes and for the change feed, so
/// the cache only has to hold the B-trees' interior pages.
pub(crate) const DEFAULT_CACHE_SIZE: usize = 4 << 20;

impl Default for EmbeddedOptions {
    fn default() -> Self {
        EmbeddedOptions {
            retention: 100_000,
            feed_capacity: 4096,
            cache_size: DEFAULT_CACHE_SIZE,
        }
    }
}

/// The default store: documents, change log and audit trail in one redb file.
#[derive(Clone)]
pub struct EmbeddedStore {
    shared: Arc<Shared>,
}

struct Shared {
    db: Database,
    path: PathBuf,
    retention: u64,
    feed: broadcast::Sender<Arc<Change>>,
    /// Held from the start of a write transaction until its change is published.
    writer: Arc<Mutex<()>>,
    repaired: bool,
    /// The revision of the last commit.
    head: AtomicU64,
}

impl EmbeddedStore {
    /// Opens (or creates) the store in `dir`, creating the directory if needed. A file
    /// left behind by a crash is repaired first: it then holds every acknowledged commit
    /// (and perhaps the one in flight), each whole. Blocks while it opens: call it before
    /// serving.
    pub fn open(dir: &Path, options: EmbeddedOptions) -> Result<EmbeddedStore, StoreError> {
        create_dir_durably(dir).map_err(backend)?;
        let path = dir.join(DATABASE_FILE);
        let created = !path.exists();
        let repaired = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&repaired);
        let db = Database::builder()
            .set_cache_size(options.cache_size)
            .set_repair_callback(move |_| flag.store(true, Ordering::Relaxed))
            .create(&path)
            .map_err(|error| match error {
                redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Unavailable(format!(
                    "{} is in use by another process (a running rollgate server?)",
                    path.display()
                )),
                other => backend(other),
            })?;
        if created {
            // fsync makes the file's contents durable, not its name in the directory.
            sync_dir(dir).map_err(backend)?;
        }
        create_tables(&db)?;
        let (feed, _) = broadcast::channel(options.feed_capacity.max(1));
        let repaired = repaired.load(Ordering::Relaxed);
        if repaired {
            tracing::warn!(path = %path.display(), "store not closed cleanly: repaired");
        }
        let head = read::revision(&db)?;
        Ok(EmbeddedStore {
            shared: Arc::new(Shared {
                db,
                path,
                retention: options.retention.max(1),
                feed,
                writer: Arc::new(Mutex::new(())),
                repaired,
                head: AtomicU64::new(head),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Whether opening had to repair the file, i.e. the last process using it did not
    /// close it (it crashed or was killed).
    pub fn repaired_on_open(&self) -> bool {
        self.shared.repaired
    }

    /// Runs a read on the blocking pool.
    async fn read<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
    {
        let shared = Arc::clone(&self.shared);
        tokio::task::spawn_blocking(move || read(&shared.db))
            .await
            .map_err(backend)?
    }
}

/// Creates `dir` and its missing parents, and makes their names durable.
fn create_dir_durably(dir: &Path) -> std::io::Result<()> {
    let missing: Vec<&Path> = dir.ancestors().take_while(|d| !d.exists()).collect();
    std::fs::create_dir_all(dir)?;
    for created in missing.into_iter().rev() {
        if let Some(parent) = created.parent() {
            sync_dir(parent)?;
        }
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    std::fs::File::open(dir)?.sync_all()
}

/// Creates every table, so that read transactions always find them.
fn create_tables(db: &Database) -> Result<(), StoreError> {
    let txn = db.begin_write().map_err(backend)?;
    txn.open_table(tables::DOCUMENTS).map_err(backend)?;
    txn.open_table(tables::META).map_err(backend)?;
    txn.open_table(tables::CHANGES).map_err(backend)?;
    txn.open_table(tables::AUDIT).map_err(backend)?;
    txn.open_table(tables::AUDIT_BY_KIND).map_err(backend)?;
    txn.open_table(tables::AUDIT_BY_DOCUMENT).map_err(backend)?;
    txn.commit().map_err(backend)
}

/// A redb (or blocking pool) failure, cause kept.
fn backend(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Backend(Box::new(error))
}

#[async_trait]
impl Store for EmbeddedStore {
    async fn get(&self, kind: Kind, key: &str) -> Result<Option<Document>, StoreError> {
        let key = key.to_owned();
        self.read(move |db| read::get(db, kind, &key)).await
    }

    async fn list(&self, kind: Kind) -> Result<Vec<Document>, StoreError> {
        self.read(move |db| read::list(db, kind)).await
    }

    async fn commit(&self, mut commit: Commit) -> Result<Arc<Change>, StoreError> {
        rules::prepare(&mut commit)?;
        // The guard moves into the blocking task, so that even if this future is dropped
        // mid-commit, the change is published before the next commit can start.
        let guard = Arc::clone(&self.shared.writer).lock_owned().await;
        let shared = Arc::clone(&self.shared);
        tokio::task::spawn_blocking(move || {
            let change = Arc::new(write::apply(&shared.db, commit, shared.retention)?);
            shared.head.store(change.revision, Ordering::Relaxed);
            // No subscriber is not an error: the change is in the log.
            let _ = shared.feed.send(Arc::clone(&change));
            drop(guard);
            Ok(change)
        })
        .await
        .map_err(backend)?
    }

    async fn revision(&self) -> Result<u64, StoreError> {
        self.read(read::revision).await
    }

    async fn changes_since(&self, after: u64, limit: usize) -> Result<ChangesSince, StoreError> {
        self.read(move |db| read::changes_since(db, after, limit))
            .await
    }

    async fn audit(&self, query: AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        self.read(move |db| read::audit(db, query)).await
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.shared.feed.subscribe()
    }

    async fn dump(&self) -> Result<Dump, StoreError> {
        self.read(copy::dump).await
    }

    async fn restore(&self, dump: &Dump) -> Result<(), StoreError> {
        let guard = Arc::clone(&self.shared.writer).lock_owned().await;
        let (shared, dump) = (Arc::clone(&self.shared), dump.clone());
        tokio::task::spawn_blocking(move || {
            copy::restore(&shared.db, &dump)?;
            shared.head.store(dump.revision, Ordering::Relaxed);
            drop(guard);
            Ok(())
        })
        .await
        .map_err(backend)?
    }

    fn feed_status(&self) -> FeedStatus {
        FeedStatus {
            head: self.shared.head.load(Ordering::Relaxed),
            last_contact: Some(Instant::now()),
            available: true,
        }
    }

    async fn run_feed(&self, mut shutdown: watch::Receiver<bool>) {
        let _ = shutdown.wait_for(|stop| *stop).await;
    }
}
