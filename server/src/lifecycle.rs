//! The server's lifecycle: `run(settings, listener, shutdown)` opens the store, serves
//! HTTP, seeds the store and loads the snapshots (retrying while a shared store is out
//! of reach), starts the background tasks, serves until `shutdown` resolves, then
//! drains in-flight requests and stops the tasks. Nothing here reads the environment.
//!
//! HTTP answers from the start, so that a replica started while Redis is down can say
//! so: `/readyz` answers 503 and every other route a `503` problem until the catalog is
//! loaded. The embedded store loads at once, so there the first request already finds
//! it loaded.

use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, watch};

use crate::infra::auth::TokenIndex;
use crate::infra::clock::{Clock, ManualClock, SystemClock};
use crate::infra::config::Settings;
use crate::infra::hub::Hub;
use crate::infra::metrics::Metrics;
use crate::infra::store::embedded::{EmbeddedOptions, EmbeddedStore};
use crate::infra::store::redis::{RedisOptions, RedisStore, redacted};
use crate::infra::store::{Change, Store, StoreError};
use crate::infra::stream::{StreamOptions, Streams};
use crate::infra::wake::Wake;
use crate::service::App;
use crate::service::seed::{self, Demo};

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The store could not be opened or read.
    #[error("store: {0}")]
    Store(#[from] StoreError),
    /// The HTTP server failed.
    #[error("http: {0}")]
    Http(#[from] std::io::Error),
    /// Metrics could not be registered.
    #[error("metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// A setting cannot be honoured.
    #[error("{0}")]
    Unsupported(String),
}

/// Opens the store the settings name. The Redis store connects on first use.
pub(crate) fn open_store(settings: &Settings) -> Result<Arc<dyn Store>, RunError> {
    if let Some(url) = &settings.redis_url {
        let options = RedisOptions {
            url: url.expose().to_owned(),
            password: settings
                .redis
                .password
                .as_ref()
                .map(|p| p.expose().to_owned()),
            prefix: settings.redis.key_prefix.clone(),
            timeout: settings.redis.timeout,
            retention: settings.store.change_retention,
            feed_capacity: 4096,
        };
        tracing::info!(
            redis = redacted(url.expose()),
            prefix = options.prefix,
            "store: Redis"
        );
        return Ok(Arc::new(RedisStore::open(options)?));
    }
    let options = EmbeddedOptions {
        retention: settings.store.change_retention,
        ..EmbeddedOptions::default()
    };
    Ok(Arc::new(EmbeddedStore::open(&settings.data_dir, options)?))
}

/// Runs the server on `listener` until `shutdown` resolves. `on_ready` is called once
/// the catalog is loaded and the server serves it, with what `--demo` did (the
/// credentials when it seeded the demo now).
pub async fn run(
    settings: Settings,
    listener: TcpListener,
    shutdown: impl Future<Output = ()>,
    on_ready: impl FnOnce(Demo),
) -> Result<(), RunError> {
    let store = open_store(&settings)?;
    let manual_clock = settings.testing.manual_clock_start.map(|start| {
        tracing::warn!(%start, "testing.manual_clock_start is set: time only moves through POST /api/v1/testing/clock");
        Arc::new(ManualClock::new(start))
    });
    let clock: Arc<dyn Clock> = match &manual_clock {
        Some(manual) => Arc::clone(manual) as Arc<dyn Clock>,
        None => Arc::new(SystemClock),
    };
    let metrics = Metrics::new()?;
    crate::tasks::controller::register_causes(&metrics);
    let tokens = Arc::new(TokenIndex::default());
    let streams = Arc::new(Streams::new(StreamOptions {
        heartbeat_interval: settings.stream.heartbeat_interval,
        client_buffer: settings.stream.client_buffer,
        history: settings.stream.history,
        max_sdk_streams_per_key: settings.limits.max_streams_per_sdk_key,
        max_ofrep_streams_per_key: settings.limits.max_ofrep_streams_per_sdk_key,
    }));
    streams.register(metrics.registry())?;
    let hub = Arc::new(Hub::with_streams(
        Arc::clone(&tokens),
        metrics.clone(),
        Arc::clone(&streams),
    ));
    crate::infra::hub::register_feed_metrics(&metrics, Arc::clone(&store), Arc::clone(&hub))?;

    let (stop_tasks, tasks_stopped) = watch::channel(false);
    // The feed runs from the start: with Redis it is also how the store learns where the
    // shared revision stands, and how a replica notices the store is back.
    let feed_task = {
        let (store, stopped) = (Arc::clone(&store), tasks_stopped.clone());
        actix_rt::spawn(async move { store.run_feed(stopped).await })
    };
    let workers = match settings.workers {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    let shutdown_timeout = settings.shutdown_timeout.as_secs().max(1);
    let app = Arc::new(App {
        settings,
        store: Arc::clone(&store),
        hub: Arc::clone(&hub),
        tokens,
        metrics,
        clock,
        manual_clock,
        wake: Arc::new(Wake::default()),
        kpis: Default::default(),
    });
    let http = crate::http::start(Arc::clone(&app), listener, workers, shutdown_timeout)?;

    let mut shutdown = std::pin::pin!(shutdown);
    let prepared = tokio::select! {
        prepared = prepare(&app) => Some(prepared),
        () = &mut shutdown => None,
    };
    let (demo, feed) = match prepared {
        Some(Ok(ready)) => ready,
        stopped_or_failed => {
            streams.close();
            let _ = http.stop().await;
            let _ = stop_tasks.send(true);
            let _ = feed_task.await;
            return match stopped_or_failed {
                Some(Err(error)) => Err(error.into()),
                _ => Ok(()),
            };
        }
    };

    let follower = {
        let (hub, store) = (Arc::clone(&hub), Arc::clone(&store));
        let stopped = tasks_stopped.clone();
        actix_rt::spawn(async move { hub.follow(store.as_ref(), feed, stopped).await })
    };
    let heartbeats = {
        let streams = Arc::clone(&streams);
        actix_rt::spawn(async move { streams.run_heartbeats(tasks_stopped).await })
    };
    let scheduler = actix_rt::spawn(crate::tasks::scheduler::run_scheduler(
        Arc::clone(&app),
        stop_tasks.subscribe(),
    ));
    let sender = actix_rt::spawn(crate::tasks::webhook_sender::run(
        Arc::clone(&app),
        stop_tasks.subscribe(),
    ));
    let controller = actix_rt::spawn(crate::tasks::controller::run_controller(
        Arc::clone(&app),
        stop_tasks.subscribe(),
    ));
    let reports = actix_rt::spawn(crate::tasks::report_writer::run(
        Arc::clone(&app),
        stop_tasks.subscribe(),
    ));
    let nudges = actix_rt::spawn(crate::tasks::nudge_on_changes(
        Arc::clone(&app),
        stop_tasks.subscribe(),
    ));
    drop(app);
    on_ready(demo);
    shutdown.await;
    tracing::info!("shutting down: finishing in-flight requests");
    // Event streams never end by themselves: end them so the drain does not wait for them.
    streams.close();
    let served = http.stop().await;
    let _ = stop_tasks.send(true);
    let _ = follower.await;
    let _ = scheduler.await;
    let _ = sender.await;
    let _ = controller.await;
    let _ = heartbeats.await;
    let _ = reports.await;
    let _ = nudges.await;
    let _ = feed_task.await;
    tracing::info!("stopped");
    served.map_err(RunError::Http)
}

/// How many times seeding may find another replica seeding the same store first.
const SEED_RACES: u32 = 5;

/// The longest wait between two attempts to reach a store that is out of reach.
const MAX_RETRY: Duration = Duration::from_secs(5);

/// Seeds the store and loads the catalog; while the store is out of reach (or another
/// replica seeds it at the same moment), tries again with backoff, saying so in the log.
/// Returns what `--demo` did and the feed the hub follows, subscribed before loading
/// so that nothing committed in between is missed.
async fn prepare(app: &App) -> Result<(Demo, broadcast::Receiver<Arc<Change>>), StoreError> {
    let mut pause = Duration::from_millis(100);
    let mut attempt = 1u32;
    loop {
        let feed = app.store.subscribe();
        let settings = &app.settings;
        let loaded = async {
            let demo = seed::prepare(
                app.store.as_ref(),
                settings.admin_token.as_ref(),
                settings.demo,
                app.clock.now(),
            )
            .await?;
            app.hub.load(app.store.as_ref()).await?;
            Ok::<_, StoreError>(demo)
        }
        .await;
        match loaded {
            Ok(demo) => {
                if attempt > 1 {
                    tracing::info!(attempt, "store reached; catalog loaded, now ready");
                }
                return Ok((demo, feed));
            }
            // Another replica seeded the same documents first: look again.
            Err(StoreError::Conflict { .. }) if attempt < SEED_RACES => {}
            Err(StoreError::Unavailable(why)) => {
                app.hub.loading_failed(format!("store out of reach: {why}"));
                tracing::warn!(
                    attempt,
                    retry_in = ?pause,
                    %why,
                    "store out of reach at start; not ready until the catalog is loaded"
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(MAX_RETRY);
            }
            Err(other) => return Err(other),
        }
        attempt += 1;
    }
}
