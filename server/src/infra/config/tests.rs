//! The settings' layers, their errors, and the example file that documents every key.

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
    std::fs::write(
        &file,
        "bind = \"127.0.0.1:9000\"\ndata_dir = \"/from/file\"\n[limits]\nmax_body_bytes = 4096\n",
    )
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
    let error =
        Settings::load(None, vars(&[("ROLLGATE_BIDN", "x")]), &Overrides::default()).unwrap_err();
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
        "[prometheus]",
        "bearer_token",
        "username",
        "password",
        "[prometheus.endpoints.",
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
        "max_ofrep_streams_per_sdk_key",
        "read_timeout",
        "auth_failure_burst",
        "auth_failures_per_minute",
        "public_url",
        "trusted_proxies",
        "[stream]",
        "heartbeat_interval",
        "client_buffer",
        "history",
        "[store]",
        "change_retention",
        "[redis]",
        "password",
        "key_prefix",
        "max_feed_silence",
        "[tasks]",
        "lease_ttl",
        "[webhooks]",
        "timeout",
        "retry_initial",
        "retry_max",
        "max_attempts",
        "allow_private_hosts",
        "[controller]",
        "enabled",
        "query_timeout",
        "[testing]",
        "manual_clock_start",
        "[cors]",
        "allowed_origins",
    ] {
        assert!(
            text.contains(key),
            "config/rollgate.example.toml does not mention {key}"
        );
    }
}

#[test]
fn security_settings_are_read_from_the_environment_and_checked() {
    let env = vars(&[
        ("ROLLGATE_PUBLIC_URL", "https://flags.example.com/rollgate"),
        ("ROLLGATE_TRUSTED_PROXIES", "10.0.0.0/8,192.0.2.7"),
        (
            "ROLLGATE_WEBHOOKS__ALLOW_PRIVATE_HOSTS",
            "hooks.internal,10.1.2.3",
        ),
        ("ROLLGATE_PROMETHEUS_URL", "http://127.0.0.1:9090"),
        ("ROLLGATE_PROMETHEUS__BEARER_TOKEN", "prometheus-token"),
        (
            "ROLLGATE_PROMETHEUS__ENDPOINTS__EU__URL",
            "https://prometheus-eu.example.com/tenant-a",
        ),
        ("ROLLGATE_PROMETHEUS__ENDPOINTS__EU__USERNAME", "rollgate"),
        (
            "ROLLGATE_CORS__ALLOWED_ORIGINS",
            "https://Shop.example.com,http://127.0.0.1:3000",
        ),
    ]);
    let settings = Settings::load(None, env, &Overrides::default()).unwrap();
    assert_eq!(
        settings.public_url.as_ref().map(url::Url::as_str),
        Some("https://flags.example.com/rollgate")
    );
    let proxies: Vec<String> = settings
        .trusted_proxies
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(proxies, ["10.0.0.0/8", "192.0.2.7/32"]);
    assert_eq!(
        settings.webhooks.allow_private_hosts,
        ["hooks.internal", "10.1.2.3"]
    );
    assert_eq!(
        settings.prometheus.endpoints["eu"].username.as_deref(),
        Some("rollgate")
    );
    assert!(!format!("{settings:?}").contains("prometheus-token"));
    assert_eq!(
        settings.cors.allowed_origins,
        AllowedOrigins::Listed(vec![
            "https://shop.example.com".to_owned(),
            "http://127.0.0.1:3000".to_owned()
        ])
    );
    for (name, value, field) in [
        (
            "ROLLGATE_PROMETHEUS_URL",
            "http://u:p@127.0.0.1:9090",
            "prometheus_url",
        ),
        (
            "ROLLGATE_PUBLIC_URL",
            "https://flags.example.com/?x=1",
            "public_url",
        ),
        ("ROLLGATE_TRUSTED_PROXIES", "10.0.0.0/33", "trusted_proxies"),
        (
            "ROLLGATE_WEBHOOKS__ALLOW_PRIVATE_HOSTS",
            "a/b",
            "webhooks.allow_private_hosts",
        ),
        (
            "ROLLGATE_CORS__ALLOWED_ORIGINS",
            "https://shop.example.com/app",
            "cors.allowed_origins",
        ),
        (
            "ROLLGATE_CORS__ALLOWED_ORIGINS",
            "*,https://shop.example.com",
            "cors.allowed_origins",
        ),
        (
            "ROLLGATE_LIMITS__READ_TIMEOUT",
            "1ms",
            "limits.read_timeout",
        ),
    ] {
        let error = Settings::load(None, vars(&[(name, value)]), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(error.contains(field), "{name}={value}: {error}");
        assert!(!error.contains("u:p@"), "{error}");
    }
}
