//! The load generator's own tests, against a test server of known behaviour (answers
//! after a fixed delay, with a fixed status, or never): the percentiles it reports, the
//! rate an open-loop run achieves, latency counted from the intended send time, and
//! that every run stops by itself within its bound.

#![allow(clippy::unwrap_used, reason = "tests")]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rollgate_loadtests::generator::{self, Mode, Outcome, Plan, Prepared, Workload};
use tokio::net::TcpListener;

/// How the test server answers.
#[derive(Clone, Copy)]
enum Behaviour {
    /// After `delay`, with `status`.
    Answer { delay: Duration, status: u16 },
    /// Never (the connection stays open).
    Silent,
}

/// Starts a keep-alive HTTP/1.1 server on a free port; it lives as long as the runtime.
async fn server(behaviour: Behaviour) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let service = service_fn(move |_request| async move {
                    match behaviour {
                        Behaviour::Answer { delay, status } => {
                            tokio::time::sleep(delay).await;
                            let mut response = Response::new(Full::new(Bytes::from_static(b"{}")));
                            *response.status_mut() = StatusCode::from_u16(status).unwrap();
                            Ok::<_, Infallible>(response)
                        }
                        Behaviour::Silent => std::future::pending().await,
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    address
}

fn workload(address: SocketAddr) -> Arc<Workload> {
    Arc::new(Workload {
        address,
        requests: vec![Prepared::new(Method::POST, "/evaluate").json(r#"{"context":{}}"#)],
        expected: vec![StatusCode::OK],
    })
}

fn plan(connections: usize, seconds: f64, mode: Mode) -> Plan {
    Plan {
        connections,
        duration: Duration::from_secs_f64(seconds),
        mode,
        timeout: Duration::from_secs(2),
    }
}

/// Runs `plan` and checks that it ended within its bound.
async fn bounded_run(address: SocketAddr, plan: Plan) -> Outcome {
    let started = Instant::now();
    let outcome = generator::run(workload(address), plan).await;
    let took = started.elapsed();
    assert!(
        took <= plan.bound(),
        "the run took {took:?}, beyond its bound of {:?}",
        plan.bound()
    );
    outcome
}

fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_loop_reports_the_known_latency_of_the_server() {
    let delay = Duration::from_millis(20);
    let address = server(Behaviour::Answer { delay, status: 200 }).await;
    let outcome = bounded_run(address, plan(4, 1.5, Mode::Closed)).await;
    let latency = &outcome.latency_us;
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    // tokio's timer wakes the server at the next millisecond, and the machine is shared:
    // a few milliseconds of slack above the delay, none below it.
    assert!(
        (20.0..28.0).contains(&ms(latency.p50)),
        "p50 {} ms",
        ms(latency.p50)
    );
    assert!(
        (20.0..45.0).contains(&ms(latency.p90)),
        "p90 {} ms",
        ms(latency.p90)
    );
    assert!(latency.p99 >= latency.p90 && latency.max >= latency.p999);
    // Four connections, one request each per ~21 ms.
    let expected = 4.0 / 0.021;
    assert!(
        outcome.requests_per_s > expected * 0.6 && outcome.requests_per_s < expected * 1.05,
        "{} req/s, expected about {expected:.0}",
        outcome.requests_per_s
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_achieves_the_target_rate_when_the_server_keeps_up() {
    let delay = Duration::from_millis(2);
    let address = server(Behaviour::Answer { delay, status: 200 }).await;
    let outcome = bounded_run(address, plan(8, 1.5, Mode::Open { rate: 400.0 })).await;
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    assert_eq!(outcome.ok, 600, "every request of the timeline is sent");
    assert!(
        (360.0..=420.0).contains(&outcome.requests_per_s),
        "achieved {} req/s for a target of 400",
        outcome.requests_per_s
    );
    assert!(
        outcome.elapsed_s >= 1.49,
        "the timeline lasts its duration: {} s",
        outcome.elapsed_s
    );
    assert!(
        ms(outcome.latency_us.p50) < 15.0,
        "p50 {} ms",
        ms(outcome.latency_us.p50)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_counts_latency_from_the_intended_send_time() {
    // One connection to a server that needs 50 ms a request, asked for 100 a second:
    // requests queue, and each one's latency includes its time in the queue.
    let delay = Duration::from_millis(50);
    let address = server(Behaviour::Answer { delay, status: 200 }).await;
    let mut paced = plan(1, 1.0, Mode::Open { rate: 100.0 });
    paced.timeout = Duration::from_millis(500);
    let outcome = bounded_run(address, paced).await;
    let latency = &outcome.latency_us;
    assert!(
        ms(latency.p90) > 400.0,
        "queueing must show: p90 {} ms although the server answers in 50 ms",
        ms(latency.p90)
    );
    assert!(
        ms(latency.max) > 1000.0,
        "the last answered request waited about 1 s: max {} ms",
        ms(latency.max)
    );
    let unsent = outcome.errors.get("unsent").copied().unwrap_or_default();
    assert!(
        unsent > 50,
        "a server this far behind leaves most of the timeline unsent: {:?}",
        outcome.errors
    );
    assert_eq!(outcome.ok + unsent, 100, "{:?}", outcome);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_cannot_hold_a_run_past_its_bound() {
    let address = server(Behaviour::Silent).await;
    let mut stuck = plan(3, 0.3, Mode::Closed);
    stuck.timeout = Duration::from_millis(400);
    let outcome = bounded_run(address, stuck).await;
    assert_eq!(outcome.ok, 0);
    assert_eq!(
        outcome.errors.get("timeout"),
        Some(&3),
        "{:?}",
        outcome.errors
    );
    let mut paced = plan(2, 0.3, Mode::Open { rate: 50.0 });
    paced.timeout = Duration::from_millis(400);
    let outcome = bounded_run(address, paced).await;
    assert_eq!(outcome.ok, 0);
    assert!(
        outcome.errors.contains_key("timeout"),
        "{:?}",
        outcome.errors
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unexpected_statuses_and_refused_connections_are_errors_by_kind() {
    let address = server(Behaviour::Answer {
        delay: Duration::ZERO,
        status: 503,
    })
    .await;
    let outcome = bounded_run(address, plan(2, 0.3, Mode::Open { rate: 100.0 })).await;
    assert_eq!(outcome.ok, 0);
    assert_eq!(
        outcome.errors.get("status 503"),
        Some(&30),
        "{:?}",
        outcome.errors
    );
    assert_eq!(outcome.requests_per_s, 0.0);

    // A port nobody listens on: bind one, then let it go.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let outcome = bounded_run(closed, plan(2, 0.3, Mode::Closed)).await;
    assert_eq!(outcome.ok, 0);
    assert!(
        outcome
            .errors
            .keys()
            .all(|kind| kind.starts_with("connect")),
        "{:?}",
        outcome.errors
    );
}
