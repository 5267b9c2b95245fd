//! The built-in traffic generator: `rate` checkout requests per second from random users
//! out of `users`, sent over HTTP to the application itself, so a demo runs on its own.

use std::time::Duration;

/// How often the generator sends a batch.
const TICK: Duration = Duration::from_millis(20);

/// Sends traffic to `base_url` until the process ends.
pub async fn generate(base_url: String, rate: f64, users: u64) {
    if rate <= 0.0 || users == 0 {
        return;
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    let per_tick = rate * TICK.as_secs_f64();
    let mut owed = 0.0;
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        owed += per_tick;
        while owed >= 1.0 {
            owed -= 1.0;
            let url = format!("{base_url}/checkout?user=user-{}", fastrand::u64(0..users));
            let client = client.clone();
            tokio::task::spawn_local(async move {
                // Answers (500s included) are counted by the server side's metrics.
                let _ = client.get(url).send().await;
            });
        }
    }
}
