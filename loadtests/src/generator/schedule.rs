//! The open-loop timeline: request `i` is due at `start + i / rate`, whatever the server
//! does. A releaser thread hands out tickets as they fall due; any idle connection takes
//! the oldest one and its latency is counted from the ticket's *intended* time, so a
//! server that stalls is charged for every request it delayed (no coordinated omission).
//!
//! The releaser sleeps on the operating system's high-resolution timer rather than on
//! tokio's millisecond wheel, so a ticket is handed out within about 0.1 ms of its due
//! time; that is the resolution of the latency figures of an open-loop run.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

/// The shortest sleep of the releaser between two checks of the clock.
const RELEASER_TICK: Duration = Duration::from_micros(100);

/// The tickets of one open-loop run.
#[derive(Debug)]
pub struct Schedule {
    start: Instant,
    rate: f64,
    total: u64,
    taken: AtomicU64,
    handed: AtomicU64,
    released: Semaphore,
    give_up: Instant,
}

impl Schedule {
    /// `rate` requests per second from `start` for `duration`; no ticket is handed out
    /// after `give_up` (a server far behind leaves the rest unsent).
    pub fn new(start: Instant, rate: f64, duration: Duration, give_up: Instant) -> Arc<Schedule> {
        let rate = if rate.is_finite() && rate > 0.0 {
            rate
        } else {
            1.0
        };
        Arc::new(Schedule {
            start,
            rate,
            total: (duration.as_secs_f64() * rate).floor() as u64,
            taken: AtomicU64::new(0),
            handed: AtomicU64::new(0),
            released: Semaphore::new(0),
            give_up,
        })
    }

    /// How many requests the timeline holds.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// How many tickets were handed to a connection (sent or attempted).
    pub fn taken(&self) -> u64 {
        self.handed.load(Ordering::Relaxed)
    }

    /// When ticket `index` is due.
    pub fn due(&self, index: u64) -> Instant {
        self.start + Duration::from_secs_f64(index as f64 / self.rate)
    }

    /// Waits for the next ticket and returns its intended send time; `None` when the
    /// timeline is over.
    pub async fn next(&self) -> Option<Instant> {
        let permit = tokio::time::timeout_at(self.give_up.into(), self.released.acquire())
            .await
            .ok()?
            .ok()?;
        permit.forget();
        let index = self.taken.fetch_add(1, Ordering::Relaxed);
        if index >= self.total || Instant::now() > self.give_up {
            return None;
        }
        self.handed.fetch_add(1, Ordering::Relaxed);
        Some(self.due(index))
    }

    /// Starts the releaser thread; `waiters` is how many connections take tickets (each
    /// gets one extra permit at the end, which tells it that the timeline is over).
    pub fn release(self: &Arc<Schedule>, waiters: usize) -> JoinHandle<()> {
        let schedule = Arc::clone(self);
        std::thread::spawn(move || schedule.run_releaser(waiters))
    }

    fn run_releaser(&self, waiters: usize) {
        let mut released = 0u64;
        loop {
            let now = Instant::now();
            let elapsed = now.saturating_duration_since(self.start).as_secs_f64();
            let due = ((elapsed * self.rate).floor() as u64 + 1).min(self.total);
            if due > released {
                self.released.add_permits((due - released) as usize);
                released = due;
            }
            if released >= self.total || now > self.give_up {
                self.released.add_permits(waiters);
                return;
            }
            let next = self.due(released).saturating_duration_since(Instant::now());
            std::thread::sleep(next.max(RELEASER_TICK));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_are_due_on_a_fixed_timeline() {
        let start = Instant::now();
        let schedule = Schedule::new(start, 1000.0, Duration::from_secs(2), start);
        assert_eq!(schedule.total(), 2000);
        assert_eq!(schedule.due(0), start);
        assert_eq!(schedule.due(500), start + Duration::from_millis(500));
    }

    #[test]
    fn a_nonsense_rate_becomes_one_per_second() {
        let start = Instant::now();
        let schedule = Schedule::new(start, f64::NAN, Duration::from_secs(3), start);
        assert_eq!(schedule.total(), 3);
    }
}
