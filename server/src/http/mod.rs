//! The HTTP layer — the only module that knows actix-web. Each submodule registers its
//! routes in `configure` and its handlers only extract, call a service, and map the
//! result; [`problem`] is the one place errors become responses.

mod access;
mod catalog;
mod cors;
mod dashboard;
mod documents;
mod extract;
mod guard;
mod health;
mod ofrep;
pub(crate) mod openapi;
mod origin;
pub(crate) mod problem;
mod rate;
mod release_log;
mod release_plan;
mod releases;
mod reports;
mod request_error;
mod sdk;
mod templates;
mod testing;
mod webhooks;

use std::cell::{OnceCell, RefCell};
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::TryFutureExt;
use futures_util::future::{Either, ready};
use tokio::sync::mpsc;

use actix_web::dev::{ServerHandle, Service};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use prometheus::{Histogram, IntCounter};

use self::problem::ApiError;
use self::rate::RateLimiter;
use self::request_error::RequestError;
use crate::infra::metrics::Metrics;
use crate::service::App;

/// What a handler answers: a response, or an error [`problem`] turns into one.
pub(crate) type Answer = Result<HttpResponse, ApiError>;

/// The running HTTP server.
pub(crate) struct HttpService {
    handle: ServerHandle,
    task: actix_rt::task::JoinHandle<std::io::Result<()>>,
    /// Closes once every worker has let go of its app (see [`WorkerAlive`]).
    workers_gone: mpsc::Receiver<()>,
}

/// Held by every worker's app (and by the factory that makes them): once the last one
/// is dropped, the channel closes, which tells [`HttpService::stop`] that no worker
/// holds the app any more. Nothing is ever sent on it.
#[derive(Clone)]
struct WorkerAlive {
    _sender: mpsc::Sender<()>,
}

/// How long [`HttpService::stop`] waits for the worker threads to let go of the app.
const WORKERS_RELEASE: Duration = Duration::from_secs(5);

impl HttpService {
    /// Stops accepting connections, lets in-flight requests finish (up to the
    /// shutdown timeout), and waits for the server to end and its worker threads to
    /// drop their handles on the app, so that the store can then close cleanly.
    pub(crate) async fn stop(self) -> std::io::Result<()> {
        self.handle.stop(true).await;
        let served = self.task.await.map_err(std::io::Error::other)?;
        // A worker acknowledges the stop before its thread drops its app.
        let mut workers_gone = self.workers_gone;
        let _ = actix_rt::time::timeout(WORKERS_RELEASE, workers_gone.recv()).await;
        served
    }
}

/// Starts serving `app` on `listener`.
pub(crate) fn start(
    app: Arc<App>,
    listener: TcpListener,
    workers: usize,
    shutdown_timeout: u64,
) -> std::io::Result<HttpService> {
    let read_timeout = app.settings.limits.read_timeout;
    let max_body = app.settings.limits.max_body_bytes;
    let guard = web::Data::new(
        guard::Guard::new(
            guard::Allowance {
                burst: app.settings.limits.auth_failure_burst,
                per_minute: app.settings.limits.auth_failures_per_minute,
            },
            app.settings.trusted_proxies.clone(),
            app.metrics.registry(),
        )
        .map_err(std::io::Error::other)?,
    );
    let data = web::Data::from(app);
    let limiter = web::Data::new(RateLimiter::new(
        data.settings.limits.ofrep_requests_per_second,
    ));
    let (sender, workers_gone) = mpsc::channel(1);
    let alive = WorkerAlive { _sender: sender };
    let server = actix_web::HttpServer::new(move || {
        let metrics = data.metrics.clone();
        actix_web::App::new()
            .app_data(data.clone())
            .app_data(alive.clone())
            .app_data(limiter.clone())
            .app_data(guard.clone())
            .app_data(web::QueryConfig::default().error_handler(|error, _| {
                ApiError::from(RequestError::Query(error.to_string())).into()
            }))
            .app_data(web::PathConfig::default().error_handler(|error, _| {
                ApiError::from(RequestError::Path(error.to_string())).into()
            }))
            // The dashboard's forms (a plan is the largest), bounded as API bodies are.
            .app_data(web::FormConfig::default().limit(max_body))
            .wrap_fn(move |request, service| {
                let started = Instant::now();
                let method = request.method().clone();
                let metrics = metrics.clone();
                let response = service.call(request);
                async move {
                    let response = response.await?;
                    let status = response.status();
                    match response.request().app_data::<RouteLabel>() {
                        Some(label) => label.observe(&metrics, &method, status, started),
                        None => {
                            let route = response
                                .request()
                                .match_pattern()
                                .unwrap_or_else(|| "unmatched".to_owned());
                            metrics
                                .http_requests
                                .with_label_values(&[&route, method.as_str(), status.as_str()])
                                .inc();
                            metrics
                                .http_duration
                                .with_label_values(&[&route])
                                .observe(started.elapsed().as_secs_f64());
                        }
                    }
                    Ok(response)
                }
            })
            // Until the catalog is loaded, only health, readiness and metrics answer.
            .wrap_fn(|request, service| {
                let loaded = request
                    .app_data::<web::Data<App>>()
                    .is_none_or(|app| app.hub.is_loaded());
                if loaded || health::served_while_loading(request.path()) {
                    Either::Left(service.call(request).map_ok(|r| r.map_into_left_body()))
                } else {
                    let response = request.into_response(health::loading());
                    Either::Right(ready(Ok(response.map_into_right_body())))
                }
            })
            // Outermost, so that preflights are answered before anything else and every
            // answer of an evaluation route, refusals included, carries its CORS headers.
            .wrap_fn(|request, service| {
                let answer = match request.app_data::<web::Data<App>>() {
                    Some(app) => cors::classify(&request, &app.settings.cors.allowed_origins),
                    None => cors::Cors::Untouched,
                };
                match answer {
                    cors::Cors::Preflight(allow) => {
                        let response = request.into_response(cors::preflight(allow));
                        Either::Right(ready(Ok(response.map_into_right_body())))
                    }
                    answer => Either::Left(service.call(request).map_ok(move |mut response| {
                        cors::decorate(response.headers_mut(), answer);
                        response.map_into_left_body()
                    })),
                }
            })
            // OFREP first: the router tries resources in order, each dynamic one with a
            // regular expression, and evaluations are most of the traffic. The SDK's few
            // static paths go just before it, because OFREP's catch-all would answer
            // `/ofrep/v1/event-stream`.
            .configure(sdk::configure)
            .configure(ofrep::configure)
            .configure(documents::configure)
            .configure(access::configure)
            .configure(catalog::configure)
            .configure(health::configure)
            .configure(openapi::configure)
            .configure(reports::configure)
            .configure(release_plan::configure)
            .configure(release_log::configure)
            .configure(releases::configure)
            .configure(templates::configure)
            .configure(webhooks::configure)
            .configure(testing::configure)
            .configure(dashboard::configure)
            .default_service(web::to(not_found))
    })
    .workers(workers)
    // The address each connection reached, for URLs that name this server.
    .on_connect(|connection, data| {
        if let Some(tcp) = connection.downcast_ref::<actix_web::rt::net::TcpStream>()
            && let Ok(local) = tcp.local_addr()
        {
            data.insert(origin::LocalAddress(local));
        }
    })
    // A request head must arrive within `limits.read_timeout` (408 after); its body is
    // held to the same time by the extractors.
    .client_request_timeout(read_timeout)
    // A client that closes its side has gone: end its request at once, so an event
    // stream gives its place back when its connection closes, not when the next
    // heartbeat fails to be written (an HTTP/1.1 client never half-closes and then
    // waits for an answer).
    .h1_allow_half_closed(false)
    .disable_signals()
    .shutdown_timeout(shutdown_timeout)
    .listen(listener)?
    .run();
    let handle = server.handle();
    Ok(HttpService {
        handle,
        task: actix_rt::spawn(server),
        workers_gone,
    })
}

/// A resource whose unsupported methods answer `405` with a problem document.
pub(crate) fn resource(path: &str) -> actix_web::Resource {
    web::resource(path)
        .app_data(RouteLabel::new(path))
        .default_service(web::to(method_not_allowed))
}

/// The route pattern of a resource, as the HTTP metrics label it, with the metric
/// handles of that label resolved on first use. Every resource carries one (one per
/// worker), so the metrics middleware neither walks the routing table again with
/// `match_pattern()` (a regular expression per dynamic resource) nor hashes the labels
/// on every request.
#[derive(Debug)]
pub(crate) struct RouteLabel {
    pattern: String,
    duration: OnceCell<Histogram>,
    /// Counters by method and status, as met.
    requests: RefCell<Vec<(Method, StatusCode, IntCounter)>>,
}

impl RouteLabel {
    /// The label of the resource at `pattern`.
    pub(crate) fn new(pattern: &str) -> RouteLabel {
        RouteLabel {
            pattern: pattern.to_owned(),
            duration: OnceCell::new(),
            requests: RefCell::new(Vec::new()),
        }
    }

    /// Counts one answered request and its latency.
    fn observe(&self, metrics: &Metrics, method: &Method, status: StatusCode, started: Instant) {
        let mut requests = self.requests.borrow_mut();
        match requests
            .iter()
            .find(|(m, s, _)| m == method && *s == status)
        {
            Some((_, _, counter)) => counter.inc(),
            None => {
                let counter = metrics.http_requests.with_label_values(&[
                    &self.pattern,
                    method.as_str(),
                    status.as_str(),
                ]);
                counter.inc();
                requests.push((method.clone(), status, counter));
            }
        }
        self.duration
            .get_or_init(|| metrics.http_duration.with_label_values(&[&self.pattern]))
            .observe(started.elapsed().as_secs_f64());
    }
}

async fn not_found(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(RequestError::NoRoute(request.path().to_owned()).into())
}

/// `405` for a method a resource does not have, with `Allow` listing the methods the
/// OpenAPI document gives its route (RFC 9110 requires it).
async fn method_not_allowed(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    let allowed = request
        .app_data::<RouteLabel>()
        .and_then(|label| openapi::allowed_methods(&label.pattern));
    Err(RequestError::MethodNotAllowed {
        method: request.method().to_string(),
        path: request.path().to_owned(),
        allowed,
    }
    .into())
}
