//! What the controller tests share: a real Prometheus (Debian's package, started on a
//! free port with a 1 s scrape interval and a temporary storage directory), the real
//! demo application, and the real `rollgate` binary — wired together as a [`Stack`] —
//! plus release plans with short intervals and waits on the release with deadlines.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use rollgate_e2e::{Options, Server, built, wait};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The flag the demo application switches its new checkout with.
pub const FLAG: &str = "new-checkout";

/// The `prometheus` binary: `$RG_E2E_PROMETHEUS` (scripts/test exports it), else the one
/// on the PATH.
fn prometheus_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("RG_E2E_PROMETHEUS") {
        return PathBuf::from(path);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("prometheus"))
        .find(|path| path.is_file())
        .expect("no prometheus binary: run scripts/test (it installs Debian's prometheus and exports RG_E2E_PROMETHEUS)")
}

/// The demo application's binary, checked to be newer than its sources and the SDK's.
fn demo_binary() -> PathBuf {
    built(
        "rollgate-demo-app",
        "rollgate-demo-app",
        &["examples/demo-app/src", "sdk/src", "core/src"],
    )
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A Prometheus scraping some targets every second.
pub struct Prometheus {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    port: u16,
    dir: tempfile::TempDir,
    http: reqwest::Client,
}

impl Prometheus {
    /// Starts Prometheus on `port` (one a server's settings already name), scraping
    /// `targets` (`host:port`, each its own job) every second.
    pub async fn start_on(port: u16, targets: &[(&str, &str)]) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let jobs: Vec<String> = targets
            .iter()
            .map(|(job, target)| {
                format!(
                    "  - job_name: {job}\n    static_configs:\n      - targets: [\"{target}\"]\n"
                )
            })
            .collect();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n{}",
            jobs.concat()
        );
        std::fs::write(dir.path().join("prometheus.yml"), config).unwrap();
        let mut prometheus = Prometheus {
            child: None,
            url: format!("http://127.0.0.1:{port}"),
            port,
            dir,
            http: reqwest::Client::new(),
        };
        prometheus.spawn().await;
        prometheus
    }

    async fn spawn(&mut self) {
        let child = Command::new(prometheus_binary())
            .arg(format!(
                "--config.file={}",
                self.dir.path().join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                self.dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{}", self.port))
            .arg("--log.level=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start prometheus");
        self.child = Some(child);
        let ready = format!("{}/-/ready", self.url);
        wait::until(
            Duration::from_secs(60),
            "prometheus to be ready",
            || async {
                match self.http.get(&ready).send().await {
                    Ok(response) if response.status() == StatusCode::OK => Ok(()),
                    Ok(response) => Err(response.status().to_string()),
                    Err(e) => Err(e.to_string()),
                }
            },
        )
        .await;
    }

    /// Runs an instant query; the first value, if any.
    pub async fn value(&self, promql: &str) -> Option<f64> {
        let response = self
            .http
            .get(format!("{}/api/v1/query", self.url))
            .query(&[("query", promql)])
            .send()
            .await
            .ok()?;
        let body: Value = response.json().await.ok()?;
        body["data"]["result"][0]["value"][1].as_str()?.parse().ok()
    }

    /// Waits until `promql` gives a value that `done` accepts.
    pub async fn until(&self, promql: &str, done: impl Fn(f64) -> bool) {
        wait::until(Duration::from_secs(60), promql, || async {
            match self.value(promql).await {
                Some(value) if done(value) => Ok(()),
                value => Err(format!("{value:?}")),
            }
        })
        .await;
    }

    /// Stops Prometheus (SIGTERM, then waits for it to exit).
    pub async fn stop(&mut self) {
        let mut child = self.child.take().expect("prometheus is running");
        let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id().unwrap()).unwrap());
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
        tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .expect("prometheus stops within 30 s")
            .unwrap();
    }

    /// Starts it again on the same port and storage.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "stop it first");
        self.spawn().await;
    }
}

/// The demo application, generating its own traffic.
pub struct DemoApp {
    _child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    http: reqwest::Client,
}

impl DemoApp {
    /// Starts it against Rollgate at `rollgate` with `sdk_key`, sending `traffic`
    /// requests per second.
    pub async fn start(rollgate: &str, sdk_key: &str, traffic: u32) -> DemoApp {
        let mut child = Command::new(demo_binary())
            .args(["--rollgate", rollgate, "--sdk-key", sdk_key, "--flag", FLAG])
            .args(["--bind", "127.0.0.1:0", "--users", "5000"])
            .args([
                "--traffic",
                &traffic.to_string(),
                "--exposure-interval",
                "1s",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("start the demo app");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(url) = line.strip_prefix("demo app listening on ") {
                    return url.trim().to_owned();
                }
            }
            panic!("the demo app exited before listening");
        })
        .await
        .expect("the demo app did not start in time");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        DemoApp {
            _child: child,
            url,
            http: reqwest::Client::new(),
        }
    }

    /// Injects faults into the treatment.
    pub async fn faults(&self, error_rate: f64, latency_ms: u64) {
        let response = self
            .http
            .post(format!("{}/faults", self.url))
            .json(&json!({ "error_rate": error_rate, "latency_ms": latency_ms }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }

    /// Which checkout `user` gets from the demo app (`new` or `classic`).
    pub async fn checkout(&self, user: &str) -> String {
        let body: Value = self
            .http
            .get(format!("{}/checkout", self.url))
            .query(&[("user", user)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let body = if body["detail"].is_object() {
            &body["detail"]
        } else {
            &body
        };
        body["checkout"].as_str().unwrap().to_owned()
    }

    /// The `host:port` Prometheus scrapes.
    pub fn target(&self) -> &str {
        self.url.trim_start_matches("http://")
    }
}

/// Creates [`FLAG`] (variants `on` and `off`), serving `off` to everyone in production.
pub async fn create_flag(server: &Server) {
    let flag = json!({
        "key": FLAG, "variants": { "on": true, "off": false },
        "environments": { "production": {
            "enabled": true, "off_variant": "off", "default": { "variant": "off" } } }
    });
    let created = server
        .admin(Method::PUT, &format!("/api/v1/flags/{FLAG}"), Some(flag))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
}

/// Rollgate, the demo application and Prometheus scraping both.
pub struct Stack {
    /// Rollgate.
    pub server: Server,
    /// An SDK key for production (the demo app's).
    pub sdk: String,
    /// The demo application.
    pub app: DemoApp,
    /// Prometheus.
    pub prometheus: Prometheus,
}

impl Stack {
    /// Starts everything, with [`FLAG`] serving control to everyone, and waits until
    /// Prometheus has scraped both targets.
    pub async fn start() -> Stack {
        Stack::start_with(Vec::new()).await
    }

    /// [`Stack::start`], with more settings for the server (`ROLLGATE_…` variables).
    pub async fn start_with(settings: Vec<(String, String)>) -> Stack {
        // Prometheus scrapes the server, so it starts last; the server's settings name
        // it (analysis asks only the Prometheus endpoints of the settings), on a port
        // chosen now.
        let port = free_port();
        let mut env = vec![(
            "ROLLGATE_PROMETHEUS_URL".to_owned(),
            format!("http://127.0.0.1:{port}"),
        )];
        env.extend(settings);
        let server = Server::start_with(Options {
            env,
            ..Options::default()
        })
        .await;
        create_flag(&server).await;
        let sdk = server.sdk_key("production").await;
        let app = DemoApp::start(&server.url, &sdk, 120).await;
        let rollgate = server.url.trim_start_matches("http://").to_owned();
        let prometheus =
            Prometheus::start_on(port, &[("demo", app.target()), ("rollgate", &rollgate)]).await;
        prometheus.until("count(up == 1)", |n| n >= 2.0).await;
        Stack {
            server,
            sdk,
            app,
            prometheus,
        }
    }

    /// A plan for [`FLAG`] with `stages`, analysed every second against this stack's
    /// Prometheus; `analysis` fields override the defaults.
    pub fn plan(&self, stages: Value, analysis: Value) -> Value {
        let mut settings = json!({
            "prometheus_url": self.prometheus.url,
            "interval": "1s", "window": "4s", "alpha": 0.05, "min_samples": 5,
            "max_consecutive_errors": 3, "max_stage_duration": "5m", "on_no_data": "hold",
            "checks": [
                { "name": "error-rate", "kind": "ratio", "critical": true,
                  "errors": "sum(increase(http_requests_total{variant=\"{{variant}}\",code=~\"5..\"}[{{window}}]))",
                  "total": "sum(increase(http_requests_total{variant=\"{{variant}}\"}[{{window}}]))",
                  "max": 0.05, "consecutive_breaches": 2, "max_relative_increase": 0.5 },
                { "name": "p99-latency", "kind": "value",
                  "query": "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{variant=\"{{variant}}\"}[{{window}}])))",
                  "max": 0.5, "consecutive_breaches": 2 }
            ]
        });
        for (key, value) in analysis.as_object().unwrap() {
            settings[key] = value.clone();
        }
        json!({
            "name": "Checkout v2", "release_version": "2.4.0", "environment": "production",
            "flags": [ { "key": FLAG, "variant": "on" } ],
            "stages": stages, "approvals_required": 0, "analysis": settings
        })
    }

    /// Creates, submits and starts a release; returns its id.
    pub async fn start_release(&self, plan: Value) -> String {
        let created = self
            .server
            .admin(Method::POST, "/api/v1/releases", Some(plan))
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
        let id = created.body["id"].as_str().unwrap().to_owned();
        for action in ["submit", "start"] {
            let reply = self
                .server
                .admin(
                    Method::POST,
                    &format!("/api/v1/releases/{id}/{action}"),
                    None,
                )
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{action}: {:?}", reply.body);
        }
        id
    }

    /// The release as the API returns it.
    pub async fn release(&self, id: &str) -> Value {
        let reply = self
            .server
            .admin(Method::GET, &format!("/api/v1/releases/{id}"), None)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.body
    }

    /// Polls the release until `done` holds, for at most `within`; panics with the
    /// timeline when it does not.
    pub async fn until(
        &self,
        id: &str,
        what: &str,
        within: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        wait::until(within, what, || async {
            let release = self.release(id).await;
            if done(&release) {
                Ok(release)
            } else {
                Err(format!(
                    "the release {} at stage {}; timeline:\n{}",
                    release["state"],
                    release["current_stage"],
                    summary(&release)
                ))
            }
        })
        .await
    }

    /// What `user` is served through OFREP.
    pub async fn served(&self, user: &str) -> String {
        let reply = self
            .server
            .evaluate(&self.sdk, FLAG, json!({ "targetingKey": user }))
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
        reply.body["variant"].as_str().unwrap().to_owned()
    }
}

/// The timeline's events.
pub fn events(release: &Value) -> &[Value] {
    release["timeline"].as_array().unwrap()
}

/// One line per event: kind, who, stage, comment.
pub fn summary(release: &Value) -> String {
    events(release)
        .iter()
        .map(|e| {
            format!(
                "  {} {} stage={} {}",
                e["event"].as_str().unwrap_or("?"),
                e["by"]["id"].as_str().unwrap_or("?"),
                e["stage"],
                e["comment"].as_str().unwrap_or("")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Events of `kind`.
pub fn of_kind<'a>(release: &'a Value, kind: &str) -> Vec<&'a Value> {
    events(release)
        .iter()
        .filter(|e| e["event"] == kind)
        .collect()
}
