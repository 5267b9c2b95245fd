//! The load generator: a fixed number of keep-alive HTTP/1.1 connections driving one
//! server for a fixed time, either **closed loop** (each connection sends its next
//! request as soon as the previous answer is read: the server's maximum) or **open
//! loop** (requests due on a fixed timeline at a target rate, latency counted from the
//! intended send time; see [`schedule`]).
//!
//! Every run is bounded: no request is sent after the duration (plus, in open loop, one
//! timeout of grace for a server behind schedule), and every request has a timeout, so a
//! run ends within `duration + 3 × timeout` (connecting included) whatever the server does.

pub mod connection;
pub mod schedule;
pub mod stats;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper::StatusCode;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

pub use self::connection::{Answer, Connection, Failure, Prepared, request_once};
use self::schedule::Schedule;
pub use self::stats::{Outcome, Percentiles, Tally};

/// What to send, and to whom.
#[derive(Clone, Debug)]
pub struct Workload {
    /// The server.
    pub address: SocketAddr,
    /// Requests to choose from, uniformly at random for each request sent.
    pub requests: Vec<Prepared>,
    /// Statuses that count as success; any other is counted as an error `status N`.
    pub expected: Vec<StatusCode>,
}

/// How to pace the requests.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// As fast as the server answers.
    Closed,
    /// On a fixed timeline of `rate` requests per second.
    Open {
        /// Requests per second.
        rate: f64,
    },
}

/// How long, and over how many connections.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    /// Keep-alive connections, opened before the clock starts.
    pub connections: usize,
    /// How long requests are sent.
    pub duration: Duration,
    /// Pacing.
    pub mode: Mode,
    /// Longest wait for one response (connect included).
    pub timeout: Duration,
}

impl Plan {
    /// The latest time a run of this plan can end, counted from its start.
    pub fn bound(&self) -> Duration {
        self.duration + self.timeout * 3
    }
}

/// Pause after a failed connect before the connection tries again.
const RECONNECT_PAUSE: Duration = Duration::from_millis(10);

/// Runs `plan` against `workload` on the current tokio runtime.
pub async fn run(workload: Arc<Workload>, plan: Plan) -> Outcome {
    let connections = plan.connections.max(1);
    let mut tally = Tally::default();
    let mut connecting = Vec::with_capacity(connections);
    for _ in 0..connections {
        let address = workload.address;
        connecting.push(tokio::spawn(tokio::time::timeout(
            plan.timeout,
            Connection::open(address),
        )));
    }
    let mut opened = Vec::with_capacity(connections);
    for connect in connecting {
        match connect.await {
            Ok(Ok(Ok(connection))) => opened.push(Some(connection)),
            Ok(Ok(Err(failure))) => {
                tally.error(failure.kind());
                opened.push(None);
            }
            Ok(Err(_)) | Err(_) => {
                tally.error("connect: timeout");
                opened.push(None);
            }
        }
    }
    let start = Instant::now();
    let end = start + plan.duration;
    let schedule = match plan.mode {
        Mode::Closed => None,
        Mode::Open { rate } => Some(Schedule::new(
            start,
            rate,
            plan.duration,
            end + plan.timeout,
        )),
    };
    let releaser = schedule.as_ref().map(|s| s.release(connections));
    let mut tasks = Vec::with_capacity(connections);
    for (index, connection) in opened.into_iter().enumerate() {
        let driver = Driver {
            workload: Arc::clone(&workload),
            schedule: schedule.clone(),
            timeout: plan.timeout,
            end,
            rng: SmallRng::seed_from_u64(index as u64),
        };
        tasks.push(tokio::spawn(driver.drive(connection)));
    }
    let mut last = start;
    for task in tasks {
        match task.await {
            Ok((counts, finished)) => {
                tally.merge(counts);
                last = last.max(finished);
            }
            Err(_) => tally.error("generator task failed"),
        }
    }
    if let Some(releaser) = releaser {
        let _ = releaser.join();
    }
    if let Some(schedule) = &schedule {
        let unsent = schedule.total() - schedule.taken();
        if unsent > 0 {
            *tally.errors.entry("unsent".to_owned()).or_default() += unsent;
        }
    }
    Outcome::new(&tally, last.saturating_duration_since(start))
}

/// One connection's loop.
struct Driver {
    workload: Arc<Workload>,
    schedule: Option<Arc<Schedule>>,
    timeout: Duration,
    end: Instant,
    rng: SmallRng,
}

impl Driver {
    /// Sends until the timeline or the duration is over; returns the counters and when
    /// the last response arrived.
    async fn drive(mut self, mut connection: Option<Connection>) -> (Tally, Instant) {
        let mut tally = Tally::default();
        let mut last = Instant::now();
        let requests = &self.workload.requests;
        if requests.is_empty() {
            return (tally, last);
        }
        loop {
            let intended = match &self.schedule {
                Some(schedule) => match schedule.next().await {
                    Some(due) => due,
                    None => break,
                },
                None => {
                    let now = Instant::now();
                    if now >= self.end {
                        break;
                    }
                    now
                }
            };
            let request = &requests[self.rng.random_range(0..requests.len())];
            let sent = tokio::time::timeout(self.timeout, async {
                if connection.is_none() {
                    connection = Some(Connection::open(self.workload.address).await?);
                }
                match connection.as_mut() {
                    Some(open) => open.send(request).await,
                    None => Err(Failure::Connect(std::io::Error::other("not connected"))),
                }
            })
            .await;
            let now = Instant::now();
            match sent {
                Ok(Ok(answer)) => {
                    last = now;
                    tally.latency(now.saturating_duration_since(intended));
                    tally.bytes += answer.body.len() as u64;
                    if self.workload.expected.contains(&answer.status) {
                        tally.ok += 1;
                    } else {
                        tally.error(format!("status {}", answer.status.as_u16()));
                    }
                }
                Ok(Err(failure)) => {
                    tally.error(failure.kind());
                    let reconnect = matches!(failure, Failure::Connect(_));
                    connection = None;
                    if reconnect {
                        tokio::time::sleep(RECONNECT_PAUSE).await;
                    }
                }
                Err(_) => {
                    tally.error("timeout");
                    connection = None;
                }
            }
        }
        (tally, last)
    }
}
