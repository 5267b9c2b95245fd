//! Evaluates the demo flags locally and prints every change as it streams in.
//!
//! Start a server with the demo data (`cargo run --bin rollgate -- serve --demo`), then
//! run, with the SDK key it printed:
//!
//! ```sh
//! cargo run -p rollgate-sdk --example quickstart -- http://127.0.0.1:8070 rg_sdk_… 30
//! ```
//!
//! and change a flag through the admin API meanwhile: the new values print at once.

use std::time::Duration;

use rollgate_sdk::{Client, ClientEvent, Context};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(key)) = (args.next(), args.next()) else {
        eprintln!("usage: quickstart <server URL> <SDK key> [seconds to watch]");
        std::process::exit(2);
    };
    let seconds: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(10);
    let client = Client::builder(url, key)
        .ready_timeout(Duration::from_secs(5))
        .build()
        .await?;
    let user = Context::with_targeting_key("user-42")
        .set("country", "NL")
        .set("plan", "pro");
    let show = |client: &Client| {
        println!(
            "revision {}: new-checkout={} (cohort {:?}), checkout-theme={}, cart-limit={}",
            client.revision(),
            client.bool_value("new-checkout", &user, false),
            client.cohort("new-checkout", &user),
            client.string_value("checkout-theme", &user, "classic"),
            client.i64_value("cart-limit", &user, 20),
        );
    };
    show(&client);
    let mut events = client.events();
    let watching = tokio::time::sleep(Duration::from_secs(seconds));
    tokio::pin!(watching);
    loop {
        tokio::select! {
            _ = &mut watching => break,
            event = events.recv() => match event {
                Ok(ClientEvent::Changed { flags, .. }) => {
                    println!("changed: {flags:?}");
                    show(&client);
                }
                Ok(other) => println!("{other:?}"),
                Err(_) => break,
            },
        }
    }
    client.close().await?;
    Ok(())
}
