//! The Redis store: the same documents, commit rules, revisions, audit trail and change
//! feed as the embedded store, shared by every replica that names the same Redis.
//!
//! - Every commit is one script run by Redis (`commit.lua`, see [`commit`]): checks,
//!   versions, `expect_revision`, the next revision, the documents, the audit events and
//!   the change, all or nothing. With `appendonly yes` and `appendfsync always`, Redis
//!   answers only once the whole commit is on disk; [`durability`] warns at start when
//!   Redis runs with weaker settings.
//! - Keys share one hash tag ([`keys`]), so the layout also works on Redis Cluster.
//! - The change feed is a stream keyed by revision; [`Store::run_feed`] reads it with
//!   blocking reads and publishes it locally in revision order ([`feed`]).
//! - Every call has a deadline (`redis.timeout`): when Redis is down or slow, callers
//!   get [`StoreError::Unavailable`] within it instead of waiting, and the connection is
//!   re-established in the background on the next call.
//! - All Redis traffic runs on the runtime that opened the store, so connections outlive
//!   whichever worker thread happened to use them first.

mod commit;
mod copy;
mod durability;
mod feed;
mod keys;
mod read;

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{Client, ErrorKind, RedisError, RedisResult, ServerErrorKind};
use async_trait::async_trait;
use tokio::sync::{broadcast, watch};

use self::feed::Sequencer;
use self::keys::Keys;
use super::{AuditEvent, AuditQuery, Change, ChangesSince, Commit, Document, Dump, Kind, Store};
use super::{FeedStatus, StoreError, rules};

/// How the Redis store connects.
#[derive(Clone)]
pub struct RedisOptions {
    /// `redis://[user:password@]host:port/db`, or `rediss://` for TLS.
    pub url: String,
    /// Overrides the URL's password when set.
    pub password: Option<String>,
    /// Every key starts with `{prefix}:`.
    pub prefix: String,
    /// The deadline of every call.
    pub timeout: Duration,
    /// How many of the latest changes the feed keeps; at least 1.
    pub retention: u64,
    /// How many changes the local feed buffers for a slow subscriber before it lags.
    pub feed_capacity: usize,
}

impl std::fmt::Debug for RedisOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisOptions")
            .field("url", &redacted(&self.url))
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// The URL without its password, for logs and errors.
pub fn redacted(url: &str) -> String {
    match (url.split_once("://"), url.rfind('@')) {
        (Some((scheme, rest)), Some(at)) => {
            let host = &url[at + 1..];
            let user = rest
                .split_once('@')
                .map(|(credentials, _)| credentials.split(':').next().unwrap_or_default())
                .unwrap_or_default();
            format!("{scheme}://{user}:…@{host}")
        }
        _ => url.to_owned(),
    }
}

/// The store on Redis. Cheap to clone.
#[derive(Clone)]
pub struct RedisStore {
    shared: Arc<Shared>,
}

struct Shared {
    keys: Keys,
    /// Commands.
    commands: ConnectionManager,
    /// The blocking reads of the feed, on a connection of their own.
    feed_connection: ConnectionManager,
    runtime: tokio::runtime::Handle,
    timeout: Duration,
    retention: u64,
    sequencer: Sequencer,
    /// The newest revision seen in Redis.
    head: AtomicU64,
    /// Whether the last call reached Redis.
    available: AtomicBool,
    last_contact: Mutex<Option<Instant>>,
    /// Where to log: the URL without its password.
    name: String,
}

impl RedisStore {
    /// Prepares the store; connects on first use (so a server can start while Redis is
    /// down and say so). Call it inside a Tokio runtime: that runtime carries all of the
    /// store's traffic.
    pub fn open(options: RedisOptions) -> Result<RedisStore, StoreError> {
        let name = redacted(&options.url);
        let client = client(&options).map_err(|error| {
            StoreError::Backend(format!("the Redis URL {name} cannot be used: {error}").into())
        })?;
        let connection = |response_timeout| {
            let config = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(options.timeout))
                .set_response_timeout(Some(response_timeout))
                .set_number_of_retries(1)
                .set_min_delay(Duration::from_millis(50))
                .set_max_delay(Duration::from_secs(1));
            ConnectionManager::new_lazy_with_config(client.clone(), config)
                .map_err(|e| StoreError::Backend(Box::new(e)))
        };
        let commands = connection(options.timeout)?;
        let feed_connection = connection(feed::BLOCK + options.timeout)?;
        Ok(RedisStore {
            shared: Arc::new(Shared {
                keys: Keys::new(&options.prefix),
                commands,
                feed_connection,
                runtime: tokio::runtime::Handle::current(),
                timeout: options.timeout,
                retention: options.retention.max(1),
                sequencer: Sequencer::new(options.feed_capacity),
                head: AtomicU64::new(0),
                available: AtomicBool::new(false),
                last_contact: Mutex::new(None),
                name,
            }),
        })
    }

    /// Runs one read against Redis: [`RedisStore::call`], tried once more after any
    /// connection failure (a read can be repeated safely).
    async fn read<T, F, Fut>(&self, call: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(ConnectionManager, Keys) -> Fut,
        Fut: Future<Output = RedisResult<Result<T, StoreError>>> + Send + 'static,
    {
        self.call(true, call).await
    }

    /// Runs one call against Redis on the store's runtime, within the deadline. A call
    /// refused at connecting (nothing was sent) — or, when `repeatable`, failed on its
    /// connection in any way — is tried once more: the first call after Redis came back
    /// finds the broken connection of the outage, and its failure is what makes the
    /// connection manager connect again.
    async fn call<T, F, Fut>(&self, repeatable: bool, call: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(ConnectionManager, Keys) -> Fut,
        Fut: Future<Output = RedisResult<Result<T, StoreError>>> + Send + 'static,
    {
        let shared = &self.shared;
        let deadline = tokio::time::Instant::now() + shared.timeout;
        let mut tries = 0;
        let result = loop {
            tries += 1;
            let future = call(shared.commands.clone(), shared.keys.clone());
            let answer = shared
                .runtime
                .spawn(async move { tokio::time::timeout_at(deadline, future).await })
                .await;
            break match answer {
                Ok(Ok(Ok(result))) => result,
                Ok(Ok(Err(error)))
                    if tries < 2
                        && (error.is_connection_refusal()
                            || repeatable
                                && (error.is_io_error() || error.is_connection_dropped())) =>
                {
                    continue;
                }
                Ok(Ok(Err(error))) => Err(classify(&error)),
                Ok(Err(_)) => Err(StoreError::Unavailable(format!(
                    "Redis did not answer within {:?}",
                    shared.timeout
                ))),
                Err(join) => Err(StoreError::Backend(Box::new(join))),
            };
        };
        let reached = !matches!(result, Err(StoreError::Unavailable(_)));
        shared.available.store(reached, Ordering::Relaxed);
        result
    }

    fn saw_head(&self, revision: u64) {
        self.shared.head.fetch_max(revision, Ordering::Relaxed);
    }

    /// One blocking read of the feed (initialising the order first if needed). A feed
    /// out of reach marks the store unavailable.
    async fn read_feed(&self) -> Result<(), StoreError> {
        let read = self.read_feed_once().await;
        if let Err(StoreError::Unavailable(_)) = read {
            self.shared.available.store(false, Ordering::Relaxed);
        }
        read
    }

    async fn read_feed_once(&self) -> Result<(), StoreError> {
        let shared = &self.shared;
        let after = match shared.sequencer.published() {
            Some(after) => after,
            None => {
                let head = self.read(read::revision).await?;
                self.saw_head(head);
                shared.sequencer.start_at(head);
                self.warn_about_durability().await;
                shared.sequencer.published().unwrap_or(head)
            }
        };
        let command = feed::read_command(&shared.keys.changes(), after);
        let connection = shared.feed_connection.clone();
        let deadline = feed::BLOCK + shared.timeout;
        let answer = shared
            .runtime
            .spawn(async move {
                let mut connection = connection;
                tokio::time::timeout(deadline, command.query_async(&mut connection)).await
            })
            .await;
        let reply = match answer {
            Ok(Ok(Ok(reply))) => reply,
            Ok(Ok(Err(error))) => Err(classify(&error))?,
            Ok(Err(_)) => Err(StoreError::Unavailable(format!(
                "the change feed did not answer within {deadline:?}"
            )))?,
            Err(join) => Err(StoreError::Backend(Box::new(join)))?,
        };
        *shared
            .last_contact
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
        shared.available.store(true, Ordering::Relaxed);
        let changes = feed::changes(reply)?;
        if let Some(first) = changes.first()
            && first.revision > after + 1
        {
            tracing::warn!(
                from = after + 1,
                to = first.revision - 1,
                "changes were trimmed from the feed before this replica read them; the hub reloads"
            );
            shared.sequencer.skip_to(first.revision);
        }
        for change in changes {
            self.saw_head(change.revision);
            shared.sequencer.offer(change);
        }
        Ok(())
    }

    async fn warn_about_durability(&self) {
        let mut connection = self.shared.commands.clone();
        let read = tokio::time::timeout(self.shared.timeout * 3, async move {
            durability::read(&mut connection).await
        });
        let settings = self
            .shared
            .runtime
            .spawn(read)
            .await
            .ok()
            .and_then(Result::ok);
        let risks = durability::risks(&settings.unwrap_or_default());
        for risk in &risks {
            tracing::warn!(redis = self.shared.name, "{risk}");
        }
        if risks.is_empty() {
            tracing::info!(
                redis = self.shared.name,
                "Redis is durable: appendonly yes, appendfsync always, noeviction"
            );
        }
    }
}

/// The client for the URL, with the password from the settings when given.
fn client(options: &RedisOptions) -> RedisResult<Client> {
    let client = Client::open(options.url.as_str())?;
    match &options.password {
        None => Ok(client),
        Some(password) => {
            let info = client.get_connection_info().clone();
            let settings = info.redis_settings().clone().set_password(password);
            Client::open(info.set_redis_settings(settings))
        }
    }
}

/// A Redis failure as the store's: Redis out of reach, loading, read-only or out of
/// memory is "unavailable, try again"; anything else is a failure.
fn classify(error: &RedisError) -> StoreError {
    let unreachable = error.is_io_error()
        || error.is_timeout()
        || error.is_connection_dropped()
        || error.is_connection_refusal()
        || matches!(
            error.kind(),
            ErrorKind::Server(
                ServerErrorKind::BusyLoading
                    | ServerErrorKind::TryAgain
                    | ServerErrorKind::ClusterDown
                    | ServerErrorKind::MasterDown
                    | ServerErrorKind::ReadOnly
            )
        )
        || error.code() == Some("OOM");
    if unreachable {
        StoreError::Unavailable(format!("Redis: {error}"))
    } else {
        StoreError::Backend(format!("Redis: {error}").into())
    }
}

#[async_trait]
impl Store for RedisStore {
    async fn get(&self, kind: Kind, key: &str) -> Result<Option<Document>, StoreError> {
        let key = key.to_owned();
        self.read(move |c, k| read::get(c, k, kind, key.clone()))
            .await
    }

    async fn list(&self, kind: Kind) -> Result<Vec<Document>, StoreError> {
        self.read(move |c, k| read::list(c, k, kind)).await
    }

    async fn commit(&self, mut commit: Commit) -> Result<Arc<Change>, StoreError> {
        rules::prepare(&mut commit)?;
        let commit = Arc::new(commit);
        let retention = self.shared.retention;
        let reply: Vec<String> = self
            .call(false, {
                let commit = Arc::clone(&commit);
                move |mut c, keys| {
                    let script = commit::invocation(&keys, &commit, retention);
                    async move {
                        let script = match script {
                            Ok(script) => script,
                            Err(error) => return Ok(Err(error)),
                        };
                        let reply: Vec<String> = script.invoke_async(&mut c).await?;
                        Ok(Ok(reply))
                    }
                }
            })
            .await?;
        let change = commit::outcome(&commit, reply)?;
        self.saw_head(change.revision);
        self.shared.sequencer.offer(Arc::clone(&change));
        Ok(change)
    }

    async fn revision(&self) -> Result<u64, StoreError> {
        let revision = self.read(read::revision).await?;
        self.saw_head(revision);
        Ok(revision)
    }

    async fn changes_since(&self, after: u64, limit: usize) -> Result<ChangesSince, StoreError> {
        self.read(move |c, k| read::changes_since(c, k, after, limit))
            .await
    }

    async fn audit(&self, query: AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        self.read(move |c, k| read::audit(c, k, query.clone()))
            .await
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.shared.sequencer.subscribe()
    }

    async fn dump(&self) -> Result<Dump, StoreError> {
        self.call(true, copy::dump).await
    }

    async fn restore(&self, dump: &Dump) -> Result<(), StoreError> {
        let revision = dump.revision;
        let dump = Arc::new(dump.clone());
        self.call(false, move |c, k| copy::restore(c, k, Arc::clone(&dump)))
            .await?;
        self.saw_head(revision);
        Ok(())
    }

    fn feed_status(&self) -> FeedStatus {
        let shared = &self.shared;
        FeedStatus {
            head: shared.head.load(Ordering::Relaxed),
            last_contact: *shared
                .last_contact
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
            available: shared.available.load(Ordering::Relaxed),
        }
    }

    async fn run_feed(&self, mut shutdown: watch::Receiver<bool>) {
        let mut pause = Duration::from_millis(50);
        let mut lost_since: Option<Instant> = None;
        loop {
            let read = tokio::select! {
                read = self.read_feed() => read,
                _ = shutdown.changed() => return,
            };
            match read {
                Ok(()) => {
                    if let Some(since) = lost_since.take() {
                        // The commands' connection broke too: replace it now rather
                        // than on the next write.
                        let _ = self.read(read::revision).await;
                        tracing::info!(
                            redis = self.shared.name,
                            after = ?since.elapsed(),
                            "change feed reached again; catching up"
                        );
                    }
                    pause = Duration::from_millis(50);
                }
                Err(error) => {
                    if lost_since.is_none() {
                        tracing::warn!(
                            redis = self.shared.name,
                            %error,
                            "change feed out of reach; serving what is loaded and retrying with backoff"
                        );
                        lost_since = Some(Instant::now());
                    } else {
                        tracing::debug!(%error, ?pause, "change feed still out of reach");
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(pause) => {}
                        _ = shutdown.changed() => return,
                    }
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show_in_the_name_logged() {
        assert_eq!(
            redacted("redis://:s3cret@cache:6379/2"),
            "redis://:…@cache:6379/2"
        );
        assert_eq!(
            redacted("rediss://app:s3cret@cache:6380/0"),
            "rediss://app:…@cache:6380/0"
        );
        assert_eq!(redacted("redis://cache:6379"), "redis://cache:6379");
    }
}
