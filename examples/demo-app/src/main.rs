//! A demo shop for Rollgate's canary analysis.
//!
//! `GET /checkout?user=ID` evaluates the release's flag for the user with the Rust SDK
//! (locally, no call to Rollgate), serves the new or the classic checkout, and counts
//! the request in `http_requests_total{variant,code}` and
//! `http_request_duration_seconds{variant}` with the SDK's cohort helper — the labels
//! the analysis checks split treatment from control by. `GET /metrics` exposes them for
//! Prometheus. `POST /faults` with `{"error_rate": 0.3, "latency_ms": 200}` makes the
//! *new* checkout (the treatment) fail or slow down; control is never touched. A
//! built-in generator sends `--traffic` requests per second from random users.
//!
//! ```sh
//! rollgate-demo-app --rollgate http://127.0.0.1:8070 --sdk-key rg_sdk_… --bind 127.0.0.1:8080
//! ```
//!
//! It prints `demo app listening on http://ADDR` once it serves.

mod faults;
mod metrics;
mod traffic;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use clap::Parser;
use rollgate_sdk::{Client, Context};
use serde::Deserialize;
use serde_json::json;

use self::faults::{Faults, Knob};
use self::metrics::Metrics;

/// The demo shop.
#[derive(Debug, Parser)]
#[command(name = "rollgate-demo-app", version, about)]
struct Args {
    /// Rollgate's base URL.
    #[arg(
        long,
        env = "DEMO_ROLLGATE_URL",
        default_value = "http://127.0.0.1:8070"
    )]
    rollgate: String,
    /// An SDK key of the environment to evaluate in.
    #[arg(long, env = "DEMO_SDK_KEY")]
    sdk_key: String,
    /// The boolean flag that switches the new checkout on.
    #[arg(long, default_value = "new-checkout")]
    flag: String,
    /// Address to serve on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    bind: String,
    /// Requests per second the built-in generator sends (0: none).
    #[arg(long, default_value_t = 100.0)]
    traffic: f64,
    /// How many distinct users the generator draws from.
    #[arg(long, default_value_t = 10_000)]
    users: u64,
    /// Share of every request (both cohorts) that fails anyway, for realism.
    #[arg(long, default_value_t = 0.002)]
    base_error_rate: f64,
    /// Treatment-only error rate at start (see POST /faults).
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Treatment-only extra latency at start, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// How often the SDK reports exposures to Rollgate.
    #[arg(long, default_value = "5s", value_parser = humantime::parse_duration)]
    exposure_interval: Duration,
}

/// What every request shares.
struct Shop {
    client: Client,
    flag: String,
    metrics: Metrics,
    knob: Knob,
    base_error_rate: f64,
}

#[derive(Debug, Deserialize)]
struct CheckoutQuery {
    user: String,
}

async fn checkout(shop: web::Data<Arc<Shop>>, query: web::Query<CheckoutQuery>) -> HttpResponse {
    let started = Instant::now();
    let user = Context::with_targeting_key(query.user.as_str());
    let new_checkout = shop.client.bool_value(&shop.flag, &user, false);
    let variant = shop.client.cohort(&shop.flag, &user);
    // The work itself: a few milliseconds, plus whatever the fault knob adds to the new
    // checkout.
    let mut work = Duration::from_micros(1_000 + fastrand::u64(0..4_000));
    let mut failed = fastrand::f64() < shop.base_error_rate;
    if new_checkout {
        let faults = shop.knob.get();
        work += faults.latency();
        failed |= fastrand::f64() < faults.error_rate;
    }
    tokio::time::sleep(work).await;
    let code = if failed { 500 } else { 200 };
    shop.metrics
        .observe(&variant, code, started.elapsed().as_secs_f64());
    let body = json!({
        "user": query.user,
        "checkout": if new_checkout { "new" } else { "classic" },
        "variant": variant,
    });
    if failed {
        HttpResponse::InternalServerError()
            .json(json!({ "error": "checkout failed", "detail": body }))
    } else {
        HttpResponse::Ok().json(body)
    }
}

async fn metrics(shop: web::Data<Arc<Shop>>) -> HttpResponse {
    match shop.metrics.render() {
        Ok(text) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4")
            .body(text),
        Err(error) => HttpResponse::InternalServerError().body(error.to_string()),
    }
}

async fn get_faults(shop: web::Data<Arc<Shop>>) -> HttpResponse {
    HttpResponse::Ok().json(shop.knob.get())
}

async fn set_faults(shop: web::Data<Arc<Shop>>, body: web::Bytes) -> HttpResponse {
    let faults = serde_json::from_slice::<Faults>(&body)
        .map_err(|e| e.to_string())
        .and_then(Faults::checked);
    match faults {
        Ok(faults) => {
            shop.knob.set(faults);
            println!("faults in the new checkout: {faults:?}");
            HttpResponse::Ok().json(faults)
        }
        Err(error) => HttpResponse::BadRequest().json(json!({
            "error": error,
            "example": { "error_rate": 0.3, "latency_ms": 200 },
        })),
    }
}

async fn health(shop: web::Data<Arc<Shop>>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "status": "ok",
        "sdk": format!("{:?}", shop.client.status()),
        "revision": shop.client.revision(),
    }))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let faults = Faults {
        error_rate: args.error_rate,
        latency_ms: args.latency_ms,
    }
    .checked()
    .map_err(std::io::Error::other)?;
    let client = Client::builder(args.rollgate.clone(), args.sdk_key.clone())
        .exposure_interval(Some(args.exposure_interval))
        .build()
        .await
        .map_err(|e| std::io::Error::other(format!("cannot start the Rollgate SDK: {e}")))?;
    let knob = Knob::default();
    knob.set(faults);
    let shop = Arc::new(Shop {
        client: client.clone(),
        flag: args.flag.clone(),
        metrics: Metrics::new().map_err(std::io::Error::other)?,
        knob,
        base_error_rate: args.base_error_rate.clamp(0.0, 1.0),
    });
    let listener = TcpListener::bind(&args.bind)?;
    let address = listener.local_addr()?;
    let data = web::Data::new(Arc::clone(&shop));
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/checkout", web::get().to(checkout))
            .route("/metrics", web::get().to(metrics))
            .route("/faults", web::get().to(get_faults))
            .route("/faults", web::post().to(set_faults))
            .route("/health", web::get().to(health))
    })
    .workers(2)
    // The generator keeps connections busy: do not wait long for them on shutdown.
    .shutdown_timeout(2)
    .listen(listener)?
    .run();
    println!("demo app listening on http://{address}");
    let base_url = format!("http://{address}");
    actix_web::rt::spawn(traffic::generate(base_url, args.traffic, args.users));
    let served = server.await;
    let _ = client.close().await;
    served
}
