//! The HTTP layer — the only module that knows actix-web. Each submodule registers its
//! routes in `configure` and its handlers only extract, call a service, and map the
//! result; [`problem`] is the one place errors become responses.

mod access;
mod documents;
mod extract;
mod health;
mod ofrep;
pub mod openapi;
pub mod problem;
mod rate;
mod sdk;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use actix_web::dev::{ServerHandle, Service};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use self::problem::ApiError;
use self::rate::RateLimiter;
use crate::state::App;

/// The running HTTP server.
pub struct HttpService {
    handle: ServerHandle,
    task: actix_rt::task::JoinHandle<std::io::Result<()>>,
}

impl HttpService {
    /// Stops accepting connections, lets in-flight requests finish (up to the
    /// shutdown timeout), and waits for the server to end.
    pub async fn stop(self) -> std::io::Result<()> {
        self.handle.stop(true).await;
        self.task.await.map_err(std::io::Error::other)?
    }
}

/// Starts serving `app` on `listener`.
pub fn start(
    app: Arc<App>,
    listener: TcpListener,
    workers: usize,
    shutdown_timeout: u64,
) -> std::io::Result<HttpService> {
    let data = web::Data::from(app);
    let limiter = web::Data::new(RateLimiter::new(
        data.settings.limits.ofrep_requests_per_second,
    ));
    let server = actix_web::HttpServer::new(move || {
        let metrics = data.metrics.clone();
        actix_web::App::new()
            .app_data(data.clone())
            .app_data(limiter.clone())
            .app_data(web::QueryConfig::default().error_handler(|error, _| {
                ApiError::request(
                    StatusCode::BAD_REQUEST,
                    "bad-query",
                    format!("invalid query parameters: {error}"),
                    None,
                )
                .into()
            }))
            .app_data(web::PathConfig::default().error_handler(|error, _| {
                ApiError::request(
                    StatusCode::BAD_REQUEST,
                    "bad-path",
                    format!("invalid path: {error}"),
                    None,
                )
                .into()
            }))
            .wrap_fn(move |request, service| {
                let started = Instant::now();
                let method = request.method().clone();
                let metrics = metrics.clone();
                let response = service.call(request);
                async move {
                    let response = response.await?;
                    let route = response
                        .request()
                        .match_pattern()
                        .unwrap_or_else(|| "unmatched".to_owned());
                    let status = response.status();
                    metrics
                        .http_requests
                        .with_label_values(&[&route, method.as_str(), status.as_str()])
                        .inc();
                    metrics
                        .http_duration
                        .with_label_values(&[&route])
                        .observe(started.elapsed().as_secs_f64());
                    Ok(response)
                }
            })
            .configure(documents::configure)
            .configure(access::configure)
            .configure(ofrep::configure)
            .configure(sdk::configure)
            .configure(health::configure)
            .configure(openapi::configure)
            .default_service(web::to(not_found))
    })
    .workers(workers)
    .disable_signals()
    .shutdown_timeout(shutdown_timeout)
    .listen(listener)?
    .run();
    let handle = server.handle();
    Ok(HttpService {
        handle,
        task: actix_rt::spawn(server),
    })
}

/// A resource whose unsupported methods answer `405` with a problem document.
pub(crate) fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

async fn not_found(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::request(
        StatusCode::NOT_FOUND,
        "not-found",
        format!("no route for {}", request.path()),
        None,
    ))
}

async fn method_not_allowed(request: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::request(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        format!(
            "{} is not supported on {}",
            request.method(),
            request.path()
        ),
        None,
    ))
}
