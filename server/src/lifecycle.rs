//! The server's lifecycle: `run(settings, listener, shutdown)` opens the store, seeds
//! it, loads the snapshots, serves HTTP until `shutdown` resolves, then drains in-flight
//! requests and stops the background tasks. Nothing here reads the environment.

use std::future::Future;
use std::net::TcpListener;
use std::sync::Arc;

use tokio::sync::watch;

use crate::infra::auth::TokenIndex;
use crate::infra::clock::{Clock, ManualClock, SystemClock};
use crate::infra::config::Settings;
use crate::infra::hub::Hub;
use crate::infra::metrics::Metrics;
use crate::infra::store::embedded::{EmbeddedOptions, EmbeddedStore};
use crate::infra::store::{Store, StoreError};
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

/// Opens the store the settings name.
pub(crate) fn open_store(settings: &Settings) -> Result<Arc<dyn Store>, RunError> {
    if let Some(url) = &settings.redis_url {
        return Err(RunError::Unsupported(format!(
            "the Redis store ({url}) is not available in this build; leave redis_url unset to use the embedded store"
        )));
    }
    let options = EmbeddedOptions {
        retention: settings.store.change_retention,
        ..EmbeddedOptions::default()
    };
    Ok(Arc::new(EmbeddedStore::open(&settings.data_dir, options)?))
}

/// Runs the server on `listener` until `shutdown` resolves. `on_ready` is called once
/// the server accepts requests, with what `--demo` did (the credentials when it seeded
/// the demo now).
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

    let demo = seed::prepare(
        store.as_ref(),
        settings.admin_token.as_ref(),
        settings.demo,
        clock.now(),
    )
    .await?;
    let feed = store.subscribe();
    hub.load(store.as_ref()).await?;

    let (stop_tasks, tasks_stopped) = watch::channel(false);
    let follower = {
        let (hub, store) = (Arc::clone(&hub), Arc::clone(&store));
        let stopped = tasks_stopped.clone();
        actix_rt::spawn(async move { hub.follow(store.as_ref(), feed, stopped).await })
    };
    let heartbeats = {
        let streams = Arc::clone(&streams);
        actix_rt::spawn(async move { streams.run_heartbeats(tasks_stopped).await })
    };

    let workers = match settings.workers {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    let shutdown_timeout = settings.shutdown_timeout.as_secs().max(1);
    let app = Arc::new(App {
        settings,
        store,
        hub,
        tokens,
        metrics,
        clock,
        manual_clock,
        wake: Arc::new(Wake::default()),
        kpis: Default::default(),
    });
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
    let http = crate::http::start(app, listener, workers, shutdown_timeout)?;
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
    tracing::info!("stopped");
    served.map_err(RunError::Http)
}
