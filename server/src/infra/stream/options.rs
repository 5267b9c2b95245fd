//! How streams behave ([`StreamOptions`], from the settings) and what they count
//! ([`StreamMetrics`]).

use std::time::Duration;

use prometheus::{IntCounter, IntGauge};

/// How streams behave (from `[stream]` and `[limits]` in the settings).
#[derive(Clone, Debug)]
pub(crate) struct StreamOptions {
    /// Time between heartbeat comments on every stream.
    pub heartbeat_interval: Duration,
    /// Frames queued per client before it counts as too slow and is dropped.
    pub client_buffer: usize,
    /// Change events kept per environment for clients that resume.
    pub history: usize,
    /// Open SDK streams (`/sdk/v1/stream`) allowed per SDK key.
    pub max_sdk_streams_per_key: usize,
    /// Open OFREP event streams allowed per SDK key: bounded apart from the SDK's, so a
    /// web client's notification stream never takes an SDK's place.
    pub max_ofrep_streams_per_key: usize,
}

impl Default for StreamOptions {
    fn default() -> StreamOptions {
        StreamOptions {
            heartbeat_interval: Duration::from_secs(15),
            client_buffer: 64,
            history: 1024,
            max_sdk_streams_per_key: 1000,
            max_ofrep_streams_per_key: 1000,
        }
    }
}

/// The stream metrics (registered in the server's registry by [`Streams::register`]).
#[derive(Clone, Debug)]
pub(crate) struct StreamMetrics {
    /// Open streams.
    pub connected: IntGauge,
    /// Events queued to clients (rulesets and changes; heartbeats not counted).
    pub events: IntCounter,
    /// Clients dropped because they fell too far behind.
    pub dropped: IntCounter,
}

impl StreamMetrics {
    #[allow(
        clippy::expect_used,
        reason = "constant, valid names and help texts: these constructors cannot fail"
    )]
    pub(super) fn new() -> StreamMetrics {
        StreamMetrics {
            connected: IntGauge::new("rollgate_sdk_streams", "SDK and OFREP event streams open.")
                .expect("valid gauge"),
            events: IntCounter::new(
                "rollgate_sdk_stream_events_total",
                "Events queued to stream clients (rulesets and changes).",
            )
            .expect("valid counter"),
            dropped: IntCounter::new(
                "rollgate_sdk_stream_dropped_total",
                "Stream clients dropped because they fell too far behind.",
            )
            .expect("valid counter"),
        }
    }
}
