//! The settings of each section (`[log]`, `[limits]`, `[store]`, `[redis]`, `[stream]`,
//! `[webhooks]`, `[tasks]`, `[controller]`, `[changelog]`, `[testing]`) with their defaults, the
//! `Secret` that never shows in logs, and how durations and times are written in the
//! settings. Read only through [`super::Settings::load`].

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// Outgoing webhook deliveries.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct WebhookSettings {
    /// How long one delivery attempt may take.
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    /// Wait before the first retry; doubled for each further one.
    #[serde(deserialize_with = "duration")]
    pub retry_initial: Duration,
    /// Longest wait between retries.
    #[serde(deserialize_with = "duration")]
    pub retry_max: Duration,
    /// Attempts before a delivery is marked failed.
    pub max_attempts: u32,
    /// Hosts (names or addresses) deliveries may reach although they are, or resolve
    /// to, private addresses: on-premise receivers.
    pub allow_private_hosts: Vec<String>,
}

impl Default for WebhookSettings {
    fn default() -> WebhookSettings {
        WebhookSettings {
            timeout: Duration::from_secs(10),
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(300),
            max_attempts: 8,
            allow_private_hosts: Vec::new(),
        }
    }
}

/// The Prometheus endpoints release analysis and reports may ask, besides
/// `prometheus_url` (whose credentials these top-level ones are).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct PrometheusSettings {
    /// Bearer token for `prometheus_url`.
    pub bearer_token: Option<Secret>,
    /// Basic-auth user for `prometheus_url`.
    pub username: Option<String>,
    /// Basic-auth password for `prometheus_url`.
    pub password: Option<Secret>,
    /// Other endpoints plans may name, by a name of the operator's.
    pub endpoints: BTreeMap<String, PrometheusEndpoint>,
}

impl PrometheusSettings {
    /// The credentials of `prometheus_url`.
    pub(crate) fn credentials(&self) -> PrometheusCredentials {
        PrometheusCredentials {
            bearer_token: self.bearer_token.clone(),
            username: self.username.clone(),
            password: self.password.clone(),
        }
    }
}

/// One more Prometheus endpoint plans may name.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PrometheusEndpoint {
    /// Its URL (no credentials: they go in the fields below).
    pub url: String,
    /// Bearer token.
    #[serde(default)]
    pub bearer_token: Option<Secret>,
    /// Basic-auth user.
    #[serde(default)]
    pub username: Option<String>,
    /// Basic-auth password.
    #[serde(default)]
    pub password: Option<Secret>,
}

impl PrometheusEndpoint {
    /// Its credentials.
    pub(crate) fn credentials(&self) -> PrometheusCredentials {
        PrometheusCredentials {
            bearer_token: self.bearer_token.clone(),
            username: self.username.clone(),
            password: self.password.clone(),
        }
    }
}

/// The credentials of one Prometheus endpoint: a bearer token, or a user and password.
#[derive(Clone, Debug, Default)]
pub(crate) struct PrometheusCredentials {
    /// `Authorization: Bearer …`.
    pub bearer_token: Option<Secret>,
    /// Basic-auth user.
    pub username: Option<String>,
    /// Basic-auth password.
    pub password: Option<Secret>,
}

/// The canary controller.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct ControllerSettings {
    /// Whether this replica runs the controller at all (one replica decides at a time
    /// either way).
    pub enabled: bool,
    /// How long one Prometheus query may take before it counts as a query error.
    #[serde(deserialize_with = "duration")]
    pub query_timeout: Duration,
}

impl Default for ControllerSettings {
    fn default() -> ControllerSettings {
        ControllerSettings {
            enabled: true,
            query_timeout: Duration::from_secs(5),
        }
    }
}

/// The background tasks (controller, scheduler, report writer, webhook sender).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct TaskSettings {
    /// How long a task's lease lasts without renewal; the holder renews it every third
    /// of that and stops acting after two thirds without a renewal.
    #[serde(deserialize_with = "duration")]
    pub lease_ttl: Duration,
}

impl Default for TaskSettings {
    fn default() -> TaskSettings {
        TaskSettings {
            lease_ttl: Duration::from_secs(15),
        }
    }
}

/// The shared Redis store (used when `redis_url` is set).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RedisSettings {
    /// The password, when it is not in the URL (it wins over the URL's).
    pub password: Option<Secret>,
    /// Every key starts with `{key_prefix}:` (one hash tag).
    pub key_prefix: String,
    /// The deadline of every call to Redis.
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    /// When set, `/readyz` answers 503 after this long without contact with the change
    /// feed. Off by default: in a Redis outage every replica loses the feed at once, and
    /// evaluations must go on from memory.
    #[serde(deserialize_with = "optional_duration")]
    pub max_feed_silence: Option<Duration>,
}

impl Default for RedisSettings {
    fn default() -> RedisSettings {
        RedisSettings {
            password: None,
            key_prefix: "rollgate".to_owned(),
            timeout: Duration::from_millis(750),
            max_feed_silence: None,
        }
    }
}

/// The changelog.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct ChangelogSettings {
    /// Serve the public changelog as an Atom feed at `/changelog.atom`, without a token.
    pub public_feed: bool,
}

impl Default for ChangelogSettings {
    fn default() -> ChangelogSettings {
        ChangelogSettings { public_feed: true }
    }
}

/// Test-only switches.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct TestingSettings {
    /// When set (RFC 3339), the server runs on a manual clock standing at this time,
    /// moved only through the admin-only `POST /api/v1/testing/clock`. For tests only.
    #[serde(deserialize_with = "optional_time")]
    pub manual_clock_start: Option<time::OffsetDateTime>,
}

/// Logging settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `text` for people, `json` for log pipelines.
    pub format: LogFormat,
    /// A `tracing` filter, e.g. `info` or `rollgate_server=debug,info`.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> LogSettings {
        LogSettings {
            format: LogFormat::Text,
            level: "info".to_owned(),
        }
    }
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Bounds on what callers may send.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Limits {
    /// Largest admin request body, in bytes (413 above).
    pub max_body_bytes: usize,
    /// Largest OFREP request body (the evaluation context), in bytes.
    pub max_context_bytes: usize,
    /// OFREP requests per second allowed per SDK key; 0 for no limit (429 above).
    pub ofrep_requests_per_second: u32,
    /// SDK streams (`/sdk/v1/stream`) one SDK key may hold open at once (429 above).
    pub max_streams_per_sdk_key: usize,
    /// OFREP event streams (`/ofrep/v1/event-stream`) one SDK key may hold open at once
    /// (429 above), apart from its SDK streams.
    pub max_ofrep_streams_per_sdk_key: usize,
    /// Failed authentications one client address may make in a row before it is
    /// throttled (429).
    pub auth_failure_burst: u32,
    /// Failed authentications per minute a throttled address earns back.
    pub auth_failures_per_minute: u32,
    /// How long a request's head, and then its body, may take to arrive (408 after).
    #[serde(deserialize_with = "duration")]
    pub read_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 1 << 20,
            max_context_bytes: 64 << 10,
            ofrep_requests_per_second: 0,
            max_streams_per_sdk_key: 1000,
            max_ofrep_streams_per_sdk_key: 1000,
            read_timeout: Duration::from_secs(5),
            auth_failure_burst: 20,
            auth_failures_per_minute: 30,
        }
    }
}

/// Store tuning.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct StoreSettings {
    /// How many past changes the change feed keeps for clients that resume.
    pub change_retention: u64,
}

impl Default for StoreSettings {
    fn default() -> StoreSettings {
        StoreSettings {
            change_retention: 100_000,
        }
    }
}

/// SDK streams (`GET /sdk/v1/stream`, the OFREP event stream).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct StreamSettings {
    /// Time between heartbeat comments on every open stream.
    #[serde(deserialize_with = "duration")]
    pub heartbeat_interval: Duration,
    /// Events queued per client before it counts as too slow and is dropped.
    pub client_buffer: usize,
    /// Change events kept per environment for clients that resume with `Last-Event-ID`.
    pub history: usize,
}

impl Default for StreamSettings {
    fn default() -> StreamSettings {
        StreamSettings {
            heartbeat_interval: Duration::from_secs(15),
            client_buffer: 64,
            history: 1024,
        }
    }
}

/// A secret that never appears in `Debug` output or logs.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub(crate) struct Secret(String);

impl Secret {
    /// The secret itself; call only where it is used.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

impl From<String> for Secret {
    fn from(secret: String) -> Secret {
        Secret(secret)
    }
}

/// An optional RFC 3339 time.
pub(super) fn optional_time<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<time::OffsetDateTime>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    text.map(|text| {
        time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339).map_err(
            |e| {
                serde::de::Error::custom(format!(
                    "{text:?} is not an RFC 3339 time such as \"2026-01-01T00:00:00Z\": {e}"
                ))
            },
        )
    })
    .transpose()
}

/// An optional URL.
pub(super) fn optional_url<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<url::Url>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    text.filter(|text| !text.is_empty())
        .map(|text| {
            url::Url::parse(&text).map_err(|e| {
                serde::de::Error::custom(format!(
                    "{text:?} is not a URL such as \"https://flags.example.com\": {e}"
                ))
            })
        })
        .transpose()
}

/// Networks in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`); a bare address is a
/// network of one.
pub(super) fn networks<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<ipnet::IpNet>, D::Error> {
    let texts = Vec::<String>::deserialize(deserializer)?;
    texts
        .iter()
        .map(|text| text.trim())
        .filter(|text| !text.is_empty())
        .map(|text| {
            text.parse::<ipnet::IpNet>()
                .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    serde::de::Error::custom(format!(
                        "{text:?} is not a network such as \"10.0.0.0/8\" or an address"
                    ))
                })
        })
        .collect()
}

/// An optional duration written for people.
pub(super) fn optional_duration<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Duration>, D::Error> {
    let text = Option::<String>::deserialize(deserializer)?;
    text.map(|text| {
        humantime::parse_duration(&text).map_err(|e| {
            serde::de::Error::custom(format!("{text:?} is not a duration such as \"30s\": {e}"))
        })
    })
    .transpose()
}

/// A duration written for people (`"30s"`, `"5m"`).
pub(super) fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    humantime::parse_duration(&text).map_err(|e| {
        serde::de::Error::custom(format!("{text:?} is not a duration such as \"30s\": {e}"))
    })
}
