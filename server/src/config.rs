//! Settings: read in one place, into one typed struct.
//!
//! Layers, later ones winning: built-in defaults, the config file (`--config`), the
//! `ROLLGATE_*` environment variables (nested keys with `__`, e.g.
//! `ROLLGATE_LIMITS__MAX_BODY_BYTES`), then command-line flags. Unknown keys are errors,
//! so a typo never silently does nothing. `config/rollgate.example.toml` documents
//! every setting; a test keeps the two in step.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// Environment variables with the `ROLLGATE_` prefix that belong to the command-line
/// client, not to the server's settings.
const CLIENT_VARIABLES: [&str; 2] = ["ROLLGATE_URL", "ROLLGATE_TOKEN"];

/// Every setting of `rollgate serve`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// Directory of the embedded store.
    pub data_dir: PathBuf,
    /// Redis URL: use the shared store instead of the embedded one.
    pub redis_url: Option<String>,
    /// On an empty store, this becomes the first admin token.
    pub admin_token: Option<Secret>,
    /// Default Prometheus for release analysis.
    pub prometheus_url: Option<String>,
    /// Seed demo data on an empty store and print credentials.
    pub demo: bool,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// How long a graceful shutdown waits for in-flight requests.
    #[serde(deserialize_with = "duration")]
    pub shutdown_timeout: Duration,
    /// Logging.
    pub log: LogSettings,
    /// Bounds on what callers may send.
    pub limits: Limits,
    /// Store tuning.
    pub store: StoreSettings,
    /// Outgoing webhook deliveries.
    pub webhooks: WebhookSettings,
    /// The canary controller.
    pub controller: ControllerSettings,
    /// The changelog.
    pub changelog: ChangelogSettings,
    /// Test-only switches; all off by default.
    pub testing: TestingSettings,
    /// SDK streams.
    pub stream: StreamSettings,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            bind: SocketAddr::from(([127, 0, 0, 1], 8070)),
            data_dir: PathBuf::from("./data"),
            redis_url: None,
            admin_token: None,
            prometheus_url: None,
            demo: false,
            workers: 0,
            shutdown_timeout: Duration::from_secs(30),
            log: LogSettings::default(),
            limits: Limits::default(),
            store: StoreSettings::default(),
            webhooks: WebhookSettings::default(),
            controller: ControllerSettings::default(),
            changelog: ChangelogSettings::default(),
            testing: TestingSettings::default(),
            stream: StreamSettings::default(),
        }
    }
}

/// Outgoing webhook deliveries.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookSettings {
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
}

impl Default for WebhookSettings {
    fn default() -> WebhookSettings {
        WebhookSettings {
            timeout: Duration::from_secs(10),
            retry_initial: Duration::from_secs(1),
            retry_max: Duration::from_secs(300),
            max_attempts: 8,
        }
    }
}

/// The canary controller.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControllerSettings {
    /// Whether this replica runs the controller at all (one replica decides at a time
    /// either way).
    pub enabled: bool,
    /// How long the controller's lease lasts without renewal; the holder renews it every
    /// third of that and stops deciding after two thirds without a renewal.
    #[serde(deserialize_with = "duration")]
    pub lease_ttl: Duration,
    /// How long one Prometheus query may take before it counts as a query error.
    #[serde(deserialize_with = "duration")]
    pub query_timeout: Duration,
}

impl Default for ControllerSettings {
    fn default() -> ControllerSettings {
        ControllerSettings {
            enabled: true,
            lease_ttl: Duration::from_secs(15),
            query_timeout: Duration::from_secs(5),
        }
    }
}

/// The changelog.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ChangelogSettings {
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
pub struct TestingSettings {
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
pub struct Limits {
    /// Largest admin request body, in bytes (413 above).
    pub max_body_bytes: usize,
    /// Largest OFREP request body (the evaluation context), in bytes.
    pub max_context_bytes: usize,
    /// OFREP requests per second allowed per SDK key; 0 for no limit (429 above).
    pub ofrep_requests_per_second: u32,
    /// Event streams (SDK and OFREP) one SDK key may hold open at once (429 above).
    pub max_streams_per_sdk_key: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 1 << 20,
            max_context_bytes: 64 << 10,
            ofrep_requests_per_second: 0,
            max_streams_per_sdk_key: 1000,
        }
    }
}

/// Store tuning.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreSettings {
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
pub struct StreamSettings {
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
pub struct Secret(String);

impl Secret {
    /// The secret itself; call only where it is used.
    pub fn expose(&self) -> &str {
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
        if self.webhooks.timeout.is_zero() {
            return range("webhooks.timeout", "must be above zero".to_owned());
        }
        if !(Duration::from_secs(3)..=Duration::from_secs(3600))
            .contains(&self.controller.lease_ttl)
        {
            return range(
                "controller.lease_ttl",
                "must be between 3 seconds and one hour".to_owned(),
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
        if let Some(token) = &self.admin_token
            && token.expose().len() < 16
        {
            return range("admin_token", "must be at least 16 characters".to_owned());
        }
        Ok(())
    }
}

fn optional_time<'de, D: Deserializer<'de>>(
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

fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    humantime::parse_duration(&text).map_err(|e| {
        serde::de::Error::custom(format!("{text:?} is not a duration such as \"30s\": {e}"))
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn defaults_apply_without_any_layer() {
        let settings = Settings::load(None, vars(&[]), &Overrides::default()).unwrap();
        assert_eq!(settings.bind.to_string(), "127.0.0.1:8070");
        assert_eq!(settings.data_dir, PathBuf::from("./data"));
    }

    #[test]
    fn environment_overrides_file_and_flags_override_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("rollgate.toml");
        std::fs::write(&file, "bind = \"127.0.0.1:9000\"\ndata_dir = \"/from/file\"\n[limits]\nmax_body_bytes = 4096\n")
            .unwrap();
        let env = vars(&[
            ("ROLLGATE_DATA_DIR", "/from/env"),
            ("ROLLGATE_LIMITS__MAX_BODY_BYTES", "8192"),
        ]);
        let overrides = Overrides {
            bind: Some("127.0.0.1:9100".into()),
            ..Overrides::default()
        };
        let settings = Settings::load(Some(&file), env, &overrides).unwrap();
        assert_eq!(settings.bind.port(), 9100);
        assert_eq!(settings.data_dir, PathBuf::from("/from/env"));
        assert_eq!(settings.limits.max_body_bytes, 8192);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let error = Settings::load(None, vars(&[("ROLLGATE_BIDN", "x")]), &Overrides::default())
            .unwrap_err();
        assert!(error.to_string().contains("bidn"), "{error}");
        let error = Settings::load(
            None,
            vars(&[("ROLLGATE_BIND", "nowhere")]),
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(error.to_string().contains("bind"), "{error}");
        let error = Settings::load(
            None,
            vars(&[("ROLLGATE_LIMITS__MAX_BODY_BYTES", "10")]),
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("limits.max_body_bytes"),
            "{error}"
        );
        let error = Settings::load(
            None,
            vars(&[("ROLLGATE_SHUTDOWN_TIMEOUT", "soon")]),
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(error.to_string().contains("duration"), "{error}");
    }

    #[test]
    fn client_variables_are_not_server_settings() {
        let env = vars(&[("ROLLGATE_URL", "http://x"), ("ROLLGATE_TOKEN", "t")]);
        assert!(Settings::load(None, env, &Overrides::default()).is_ok());
    }

    #[test]
    fn secrets_do_not_leak_into_debug_output() {
        let env = vars(&[("ROLLGATE_ADMIN_TOKEN", "super-secret-admin-token")]);
        let settings = Settings::load(None, env, &Overrides::default()).unwrap();
        assert!(!format!("{settings:?}").contains("super-secret"));
    }

    #[test]
    fn the_example_file_documents_every_setting_and_loads() {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/rollgate.example.toml");
        let settings = Settings::load(Some(&example), vars(&[]), &Overrides::default()).unwrap();
        assert_eq!(settings.bind.to_string(), "127.0.0.1:8070");
        let text = std::fs::read_to_string(&example).unwrap();
        for key in [
            "bind",
            "data_dir",
            "redis_url",
            "admin_token",
            "prometheus_url",
            "demo",
            "workers",
            "shutdown_timeout",
            "[log]",
            "format",
            "level",
            "[limits]",
            "max_body_bytes",
            "max_context_bytes",
            "ofrep_requests_per_second",
            "max_streams_per_sdk_key",
            "[stream]",
            "heartbeat_interval",
            "client_buffer",
            "history",
            "[store]",
            "change_retention",
            "[webhooks]",
            "timeout",
            "retry_initial",
            "retry_max",
            "max_attempts",
            "[controller]",
            "enabled",
            "lease_ttl",
            "query_timeout",
            "[testing]",
            "manual_clock_start",
        ] {
            assert!(
                text.contains(key),
                "config/rollgate.example.toml does not mention {key}"
            );
        }
    }
}
