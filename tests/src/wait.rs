//! Waiting for a condition, the one way the e2e tests wait: the server, Prometheus, an
//! SDK or a receiver acts in its own time, so a test looks again and again until what
//! it expects is there, and fails at a deadline with what it was waiting for and what
//! it saw last. No test sleeps for a duration to let something happen.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// The first pause between two looks; it doubles up to [`MAX_INTERVAL`], so a condition
/// that holds at once costs nothing and a long wait does not hammer the server.
const FIRST_INTERVAL: Duration = Duration::from_millis(5);

/// The longest pause between two looks.
const MAX_INTERVAL: Duration = Duration::from_millis(100);

/// Calls `check` until it returns `Ok(value)` and returns the value; panics once
/// `within` has passed, naming `what` was awaited and the last `Err(observation)`.
pub async fn until<T, E, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    E: Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let deadline = Instant::now() + within;
    let mut interval = FIRST_INTERVAL;
    loop {
        let last = match check().await {
            Ok(value) => return value,
            Err(observation) => observation,
        };
        let now = Instant::now();
        assert!(
            now < deadline,
            "waited {within:?} for {what}; last seen: {last}"
        );
        tokio::time::sleep(interval.min(deadline - now)).await;
        interval = (interval * 2).min(MAX_INTERVAL);
    }
}

/// `Ok(())` when `done`, else `Err(observation)`: the shape [`until`] expects, for a
/// check that is a yes-or-no question.
pub fn holds<E>(done: bool, observation: impl FnOnce() -> E) -> Result<(), E> {
    if done { Ok(()) } else { Err(observation()) }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn the_value_is_returned_once_the_condition_holds() {
        let looks = AtomicU32::new(0);
        let value = until(Duration::from_secs(10), "the third look", || async {
            let n = looks.fetch_add(1, Ordering::SeqCst) + 1;
            if n == 3 { Ok(n * 10) } else { Err(n) }
        })
        .await;
        assert_eq!(value, 30);
        assert_eq!(looks.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    #[should_panic(expected = "waited 50ms for the impossible; last seen: still nothing")]
    async fn the_failure_names_what_was_awaited_and_the_last_observation() {
        until(Duration::from_millis(50), "the impossible", || async {
            Err::<(), _>("still nothing")
        })
        .await;
    }
}
