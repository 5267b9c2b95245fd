//! The Rollgate client as an OpenFeature provider.
//!
//! ```sh
//! cargo run -p rollgate-sdk --features openfeature --example openfeature -- http://127.0.0.1:8070 rg_sdk_…
//! ```

use std::time::Duration;

use open_feature::{EvaluationContext, OpenFeature};
use rollgate_sdk::Client;
use rollgate_sdk::openfeature::RollgateProvider;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(key)) = (args.next(), args.next()) else {
        eprintln!("usage: openfeature <server URL> <SDK key>");
        std::process::exit(2);
    };
    let client = Client::builder(url, key)
        .ready_timeout(Duration::from_secs(5))
        .build()
        .await?;
    let mut api = OpenFeature::singleton_mut().await;
    api.set_provider(RollgateProvider::new(client.clone()))
        .await;
    let openfeature = api.create_client();
    drop(api);
    let context = EvaluationContext::default()
        .with_targeting_key("user-42")
        .with_custom_field("country", "NL");
    let details = openfeature
        .get_bool_details("new-checkout", Some(&context), None)
        .await;
    println!("new-checkout: {details:?}");
    client.close().await?;
    Ok(())
}
