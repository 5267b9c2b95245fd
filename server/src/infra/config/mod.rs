//! Settings: read in one place, into one typed struct.
//!
//! Layers, later ones winning: built-in defaults, the config file (`--config`), the
//! `ROLLGATE_*` environment variables (nested keys with `__`, e.g.
//! `ROLLGATE_LIMITS__MAX_BODY_BYTES`), then command-line flags. Unknown keys are errors,
//! so a typo never silently does nothing. `config/rollgate.example.toml` documents
//! every setting; a test keeps the two in step.
//!
//! This file reads; `sections.rs` holds the settings of each section.

mod cors;
mod sections;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

#[cfg(test)]
pub(crate) use sections::PrometheusEndpoint;
pub(crate) use sections::{
    ChangelogSettings, ControllerSettings, Limits, PrometheusCredentials, PrometheusSettings,
    RedisSettings, Secret, StoreSettings, StreamSettings, TaskSettings, TestingSettings,
    WebhookSettings,
};
pub use sections::{LogFormat, LogSettings};

pub(crate) use cors::{AllowedOrigins, CorsSettings, origin};
use sections::duration;

use crate::infra::promql::endpoints::endpoint;

/// Environment variables with the `ROLLGATE_` prefix that belong to the command-line
/// client, not to the server's settings.
const CLIENT_VARIABLES: [&str; 2] = ["ROLLGATE_URL", "ROLLGATE_TOKEN"];

/// Every setting of `rollgate serve`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// The URL clients reach this server at, for the absolute URLs it hands out.
    #[serde(deserialize_with = "sections::optional_url")]
    pub(crate) public_url: Option<url::Url>,
    /// Proxies whose `Forwarded`/`X-Forwarded-*` headers are believed.
    #[serde(deserialize_with = "sections::networks")]
    pub(crate) trusted_proxies: Vec<ipnet::IpNet>,
    /// Directory of the embedded store.
    pub(crate) data_dir: PathBuf,
    /// Redis URL: use the shared store instead of the embedded one. A secret, since it
    /// may carry a password.
    pub(crate) redis_url: Option<Secret>,
    /// On an empty store, this becomes the first admin token.
    pub(crate) admin_token: Option<Secret>,
    /// Default Prometheus for release analysis.
    pub(crate) prometheus_url: Option<String>,
    /// Its credentials, and the other endpoints plans may name.
    pub(crate) prometheus: PrometheusSettings,
    /// Seed demo data on an empty store and print credentials.
    pub(crate) demo: bool,
    /// HTTP worker threads; 0 means one per core.
    pub(crate) workers: usize,
    /// How long a graceful shutdown waits for in-flight requests.
    #[serde(deserialize_with = "duration")]
    pub(crate) shutdown_timeout: Duration,
    /// Logging.
    pub log: LogSettings,
    /// Bounds on what callers may send.
    pub(crate) limits: Limits,
    /// Store tuning.
    pub(crate) store: StoreSettings,
    /// The shared Redis store.
    pub(crate) redis: RedisSettings,
    /// The background tasks.
    pub(crate) tasks: TaskSettings,
    /// Outgoing webhook deliveries.
    pub(crate) webhooks: WebhookSettings,
    /// The canary controller.
    pub(crate) controller: ControllerSettings,
    /// The changelog.
    pub(crate) changelog: ChangelogSettings,
    /// Test-only switches; all off by default.
    pub(crate) testing: TestingSettings,
    /// SDK streams.
    pub(crate) stream: StreamSettings,
    /// Browsers on other origins.
    pub(crate) cors: CorsSettings,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            bind: SocketAddr::from(([127, 0, 0, 1], 8070)),
            public_url: None,
            trusted_proxies: Vec::new(),
            data_dir: PathBuf::from("./data"),
            redis_url: None,
            admin_token: None,
            prometheus_url: None,
            prometheus: PrometheusSettings::default(),
            demo: false,
            workers: 0,
            shutdown_timeout: Duration::from_secs(30),
            log: LogSettings::default(),
            limits: Limits::default(),
            store: StoreSettings::default(),
            redis: RedisSettings::default(),
            tasks: TaskSettings::default(),
            webhooks: WebhookSettings::default(),
            controller: ControllerSettings::default(),
            changelog: ChangelogSettings::default(),
            testing: TestingSettings::default(),
            stream: StreamSettings::default(),
            cors: CorsSettings::default(),
        }
    }
}

/// Values given on the command line; they win over every other layer.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// `--bind`.
    pub bind: Option<String>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--redis`.
    pub redis_url: Option<String>,
    /// `--demo`.
    pub demo: bool,
}

/// Why the settings could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A layer could not be read or did not fit the settings' shape.
    #[error("invalid configuration: {0}")]
    Load(#[from] config::ConfigError),
    /// A layer did not fit, for a key that an environment variable can also set.
    #[error(
        "invalid configuration: {message} (environment variable {variable}, or the config file)"
    )]
    Named {
        /// What config reported.
        message: String,
        /// The variable that sets the key.
        variable: String,
    },
    /// A value is out of its range.
    #[error("invalid configuration: {field}: {message}")]
    Range {
        /// The setting.
        field: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl Settings {
    /// The directory of the embedded store.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// Reads the settings from the file (if any), `vars` (the process environment, as
    /// name/value pairs) and the command-line overrides.
    pub fn load(
        file: Option<&Path>,
        vars: impl IntoIterator<Item = (String, String)>,
        overrides: &Overrides,
    ) -> Result<Settings, ConfigError> {
        let mut builder = config::Config::builder();
        if let Some(file) = file {
            builder = builder.add_source(
                config::File::from(file)
                    .format(config::FileFormat::Toml)
                    .required(true),
            );
        }
        let vars: config::Map<String, String> = vars
            .into_iter()
            .filter(|(name, _)| {
                name.starts_with("ROLLGATE_") && !CLIENT_VARIABLES.contains(&name.as_str())
            })
            .collect();
        builder = builder.add_source(
            config::Environment::with_prefix("ROLLGATE")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .list_separator(",")
                .with_list_parse_key("trusted_proxies")
                .with_list_parse_key("webhooks.allow_private_hosts")
                .with_list_parse_key("cors.allowed_origins")
                .source(Some(vars)),
        );
        if let Some(bind) = &overrides.bind {
            builder = builder.set_override("bind", bind.as_str())?;
        }
        if let Some(dir) = &overrides.data_dir {
            builder = builder.set_override("data_dir", dir.to_string_lossy().into_owned())?;
        }
        if let Some(redis) = &overrides.redis_url {
            builder = builder.set_override("redis_url", redis.as_str())?;
        }
        if overrides.demo {
            builder = builder.set_override("demo", true)?;
        }
        let settings: Settings = builder
            .build()?
            .try_deserialize()
            .map_err(name_the_variable)?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let range = |field, message: String| Err(ConfigError::Range { field, message });
        if self.workers > 1024 {
            return range(
                "workers",
                format!("must be at most 1024, got {}", self.workers),
            );
        }
        if !(1024..=(64 << 20)).contains(&self.limits.max_body_bytes) {
            return range(
                "limits.max_body_bytes",
                "must be between 1 KiB and 64 MiB".to_owned(),
            );
        }
        if !(256..=(16 << 20)).contains(&self.limits.max_context_bytes) {
            return range(
                "limits.max_context_bytes",
                "must be between 256 bytes and 16 MiB".to_owned(),
            );
        }
        if self.store.change_retention < 100 {
            return range(
                "store.change_retention",
                "must keep at least 100 changes".to_owned(),
            );
        }
        if !(1..=100).contains(&self.webhooks.max_attempts) {
            return range(
                "webhooks.max_attempts",
                format!(
                    "must be between 1 and 100, got {}",
                    self.webhooks.max_attempts
                ),
            );
        }
        if self.webhooks.retry_initial.is_zero()
            || self.webhooks.retry_max < self.webhooks.retry_initial
        {
            return range(
                "webhooks.retry_initial",
                "must be above zero and at most webhooks.retry_max".to_owned(),
            );
        }
        if let Some(entry) = self
            .webhooks
            .allow_private_hosts
            .iter()
            .find(|entry| crate::infra::outbound::normalize_host(entry).is_none())
        {
            return range(
                "webhooks.allow_private_hosts",
                format!("{entry:?} is not a host name or address"),
            );
        }
        if self.webhooks.timeout.is_zero() {
            return range("webhooks.timeout", "must be above zero".to_owned());
        }
        if !(Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&self.tasks.lease_ttl) {
            return range(
                "tasks.lease_ttl",
                "must be between 1 second and one hour".to_owned(),
            );
        }
        if !(Duration::from_millis(50)..=Duration::from_secs(60)).contains(&self.redis.timeout) {
            return range(
                "redis.timeout",
                "must be between 50 milliseconds and 1 minute".to_owned(),
            );
        }
        if self
            .redis
            .max_feed_silence
            .is_some_and(|silence| silence < Duration::from_secs(1))
        {
            return range(
                "redis.max_feed_silence",
                "must be at least 1 second (the feed is read in 1 s blocks)".to_owned(),
            );
        }
        if self.redis.key_prefix.is_empty()
            || self.redis.key_prefix.len() > 64
            || self.redis.key_prefix.contains(['{', '}'])
        {
            return range(
                "redis.key_prefix",
                "must be 1 to 64 characters without braces".to_owned(),
            );
        }
        if !(Duration::from_millis(100)..=Duration::from_secs(300))
            .contains(&self.controller.query_timeout)
        {
            return range(
                "controller.query_timeout",
                "must be between 100 milliseconds and 5 minutes".to_owned(),
            );
        }
        if self.limits.max_streams_per_sdk_key == 0 {
            return range(
                "limits.max_streams_per_sdk_key",
                "must allow at least one stream".to_owned(),
            );
        }
        if !(Duration::from_millis(100)..=Duration::from_secs(600))
            .contains(&self.limits.read_timeout)
        {
            return range(
                "limits.read_timeout",
                "must be between 100 milliseconds and 10 minutes".to_owned(),
            );
        }
        if !(1..=1_000_000).contains(&self.limits.auth_failure_burst) {
            return range(
                "limits.auth_failure_burst",
                "must be between 1 and 1000000".to_owned(),
            );
        }
        if !(1..=1_000_000).contains(&self.limits.auth_failures_per_minute) {
            return range(
                "limits.auth_failures_per_minute",
                "must be between 1 and 1000000".to_owned(),
            );
        }
        if self.limits.max_ofrep_streams_per_sdk_key == 0 {
            return range(
                "limits.max_ofrep_streams_per_sdk_key",
                "must allow at least one stream".to_owned(),
            );
        }
        if !(Duration::from_millis(10)..=Duration::from_secs(3600))
            .contains(&self.stream.heartbeat_interval)
        {
            return range(
                "stream.heartbeat_interval",
                "must be between 10ms and 1h".to_owned(),
            );
        }
        if !(1..=65_536).contains(&self.stream.client_buffer) {
            return range(
                "stream.client_buffer",
                "must be between 1 and 65536 events".to_owned(),
            );
        }
        if self.stream.history > 1_000_000 {
            return range(
                "stream.history",
                "must be at most 1000000 events".to_owned(),
            );
        }
        if let Some(url) = &self.prometheus_url
            && let Err(message) = endpoint(
                "prometheus_url".to_owned(),
                url,
                &self.prometheus.credentials(),
            )
        {
            return range("prometheus_url", message);
        }
        for (name, settings) in &self.prometheus.endpoints {
            if let Err(message) = endpoint(name.clone(), &settings.url, &settings.credentials()) {
                return Err(ConfigError::Range {
                    field: "prometheus.endpoints",
                    message: format!("{name}: {message}"),
                });
            }
        }
        if let Some(url) = &self.public_url
            && (!matches!(url.scheme(), "http" | "https")
                || url.host().is_none()
                || !url.username().is_empty()
                || url.password().is_some()
                || url.query().is_some()
                || url.fragment().is_some())
        {
            return range(
                "public_url",
                format!(
                    "must be an http:// or https:// URL with a host and no credentials, query or fragment, got {url}"
                ),
            );
        }
        if let Some(token) = &self.admin_token
            && token.expose().len() < 16
        {
            return range("admin_token", "must be at least 16 characters".to_owned());
        }
        Ok(())
    }
}

/// Settings errors name keys (`limits.max_body_bytes`); add the environment variable that
/// sets the key, since that is often where it came from.
fn name_the_variable(error: config::ConfigError) -> ConfigError {
    let text = error.to_string();
    let key = text
        .split('`')
        .nth(1)
        .filter(|_| text.starts_with("unknown field"))
        .map(str::to_owned)
        .or_else(|| {
            text.rsplit_once(" for key `")
                .and_then(|(_, rest)| rest.split('`').next())
                .map(str::to_owned)
        });
    match key {
        Some(key) if !key.is_empty() => {
            let variable = format!("ROLLGATE_{}", key.replace('.', "__").to_ascii_uppercase());
            ConfigError::Named {
                message: text,
                variable,
            }
        }
        _ => ConfigError::Load(error),
    }
}
