//! What the release tests share: a server on a manual clock with a release manager,
//! an approver and an SDK key; flags and plans; moving time; and measuring, through
//! OFREP, who is exposed to a release among many users of the alpha, beta and general
//! rings.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use rollgate_e2e::{ADMIN_TOKEN, Options, Reply, Server};
use serde_json::{Value, json};

/// Where the manual clock starts.
pub const T0: &str = "2030-01-01T00:00:00Z";

/// The server's options for a manual clock at [`T0`].
pub fn manual_clock() -> Options {
    Options {
        env: vec![(
            "ROLLGATE_TESTING__MANUAL_CLOCK_START".to_owned(),
            T0.to_owned(),
        )],
        ..Options::default()
    }
}

/// A desk on a manual clock whose webhooks may reach this machine, with a new
/// subscription to `events` at a receiver that accepts every delivery: the desk, the
/// subscription's id, and the receiver's queue (kept open while the test runs).
pub(crate) async fn subscribed(
    events: &[&str],
) -> (
    Desk,
    String,
    tokio::sync::mpsc::UnboundedReceiver<super::webhooks::Received>,
) {
    let mut options = manual_clock();
    options.env.push((
        "ROLLGATE_WEBHOOKS__ALLOW_PRIVATE_HOSTS".to_owned(),
        "localhost".to_owned(),
    ));
    let desk = Desk::around(Server::start_with(options).await).await;
    desk.flag("new-checkout").await;
    let (url, received) = super::webhooks::receiver(0).await;
    let hook = desk
        .call(
            admin(),
            Method::POST,
            "/api/v1/webhooks",
            Some(json!({ "url": url, "events": events })),
        )
        .await;
    assert_eq!(hook.status, StatusCode::CREATED, "{}", hook.body);
    let hook = hook.body["id"].as_str().unwrap().to_owned();
    (desk, hook, received)
}

/// The timeline events of `kind` in a release as the API shows it.
pub fn events_of(release: &Value, kind: &str) -> Vec<Value> {
    release["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == kind)
        .cloned()
        .collect()
}

/// A server on a manual clock and the people who run releases on it.
pub struct Desk {
    /// The server.
    pub server: Server,
    /// A release manager: the author of the releases.
    pub manager: String,
    /// Another release manager: the approver.
    pub approver: String,
    /// A viewer.
    pub viewer: String,
    /// An SDK key for production.
    pub sdk: String,
}

impl Desk {
    /// Starts a fresh server.
    pub async fn open() -> Desk {
        Desk::around(Server::start_with(manual_clock()).await).await
    }

    /// Issues the tokens on a running server.
    pub async fn around(server: Server) -> Desk {
        let manager = server.admin_token("release_manager").await;
        let approver = server
            .issue_token(json!({ "kind": "admin", "role": "release_manager", "name": "approver" }))
            .await;
        let viewer = server.admin_token("viewer").await;
        let sdk = server.sdk_key("production").await;
        Desk {
            server,
            manager,
            approver,
            viewer,
            sdk,
        }
    }

    /// `method path` with `token` and an optional JSON body.
    pub async fn call(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.server.request(method, path, Some(token));
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.server.call(request).await
    }

    /// Creates a boolean flag with a production configuration that has a rule of its
    /// own (which the release takes over) and serves control to everyone, so that its
    /// start needs no acknowledgement.
    pub async fn flag(&self, key: &str) {
        let reply = self
            .server
            .admin(
                Method::PUT,
                &format!("/api/v1/flags/{key}"),
                Some(json!({
                    "variants": { "on": true, "off": false },
                    "environments": { "production": {
                        "enabled": true, "off_variant": "off",
                        "rules": [ { "conditions": [ { "attribute": "country", "op": "in", "values": ["NL"] } ],
                                     "serve": { "variant": "off" } } ],
                        "default": { "variant": "off" } } }
                })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    }

    /// Creates a release as the manager; returns its id.
    pub async fn create(&self, plan: Value) -> String {
        let reply = self
            .call(&self.manager, Method::POST, "/api/v1/releases", Some(plan))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
        reply.body["id"].as_str().unwrap().to_owned()
    }

    /// `POST /api/v1/releases/{id}/{action}` with `token`.
    pub async fn act(&self, token: &str, id: &str, action: &str, body: Value) -> Reply {
        self.call(
            token,
            Method::POST,
            &format!("/api/v1/releases/{id}/{action}"),
            Some(body),
        )
        .await
    }

    /// Runs an action that must succeed; returns the release.
    pub async fn must(&self, token: &str, id: &str, action: &str, body: Value) -> Value {
        let reply = self.act(token, id, action, body).await;
        assert_eq!(reply.status, StatusCode::OK, "{action}: {}", reply.body);
        reply.body
    }

    /// Creates, submits, approves and ticks the checklist of a release: ready to start.
    pub async fn approved(&self, plan: Value) -> String {
        let id = self.create(plan).await;
        self.must(&self.manager, &id, "submit", json!({})).await;
        let done = self.must(&self.approver, &id, "approve", json!({})).await;
        assert_eq!(done["state"], "approved");
        let items = done["checklist"].as_array().map_or(0, Vec::len);
        for index in 0..items {
            self.must(
                &self.manager,
                &id,
                &format!("checklist/{index}"),
                json!({ "done": true }),
            )
            .await;
        }
        id
    }

    /// The release as stored.
    pub async fn release(&self, id: &str) -> Value {
        let reply = self
            .call(
                &self.viewer,
                Method::GET,
                &format!("/api/v1/releases/{id}"),
                None,
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body
    }

    /// Moves the manual clock forward; returns once the scheduler has acted.
    pub async fn advance(&self, by: &str) -> String {
        let reply = self
            .server
            .admin(
                Method::POST,
                "/api/v1/testing/clock",
                Some(json!({ "advance": by })),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        reply.body["now"].as_str().unwrap().to_owned()
    }
}

/// A canary plan for `flags` (each releasing `on`): alpha, beta, then general 1, 10,
/// 50 and 100 %, with one readiness item.
pub fn canary(flags: &[&str]) -> Value {
    json!({
        "name": "Checkout v2",
        "release_version": "2.4.0",
        "environment": "production",
        "flags": flags.iter().map(|f| json!({ "key": f, "variant": "on" })).collect::<Vec<_>>(),
        "strategy": "canary",
        "stages": [
            { "audience": "alpha",   "percent": 100, "bake": "10m" },
            { "audience": "beta",    "percent": 100, "bake": "30m" },
            { "audience": "general", "percent": 1,   "bake": "15m" },
            { "audience": "general", "percent": 10,  "bake": "15m" },
            { "audience": "general", "percent": 50,  "bake": "30m" },
            { "audience": "general", "percent": 100 }
        ],
        "approvals_required": 1,
        "checklist": [ { "item": "Marketing materials package", "owner": "pmm", "done": false } ],
        "risks": [ { "description": "Payment provider timeouts", "likelihood": "low", "impact": "high",
                     "mitigation": "Roll back on error rate" } ]
    })
}

/// One user of the population.
#[derive(Clone, Debug)]
pub struct User {
    /// Targeting key.
    pub key: String,
    /// `alpha`, `beta`, or none (general).
    pub ring: Option<&'static str>,
    /// The user's bucket under the release's salt (docs/product.md §3), when known.
    pub bucket: Option<u16>,
}

/// A seeded xorshift generator of random-looking keys (a failure can be replayed).
fn keys(seed: u64) -> impl FnMut() -> String {
    let mut state = seed | 1;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        format!("user-{state:016x}")
    }
}

/// `alpha` and `beta` users, then general users with random keys stratified by their
/// bucket under `salt`: `per_bucket` rounds, each with exactly one user in every one
/// of the 10 000 buckets. Any prefix of whole rounds therefore holds exactly `w` users
/// per 10 000 below weight `w`: the share a stage promises is then exact, and every
/// user's exposure can be checked one by one — no sampling error, no flaky tolerance.
pub fn stratified(
    seed: u64,
    salt: &str,
    per_bucket: usize,
    alpha: usize,
    beta: usize,
) -> Vec<User> {
    let mut next = keys(seed);
    let hasher = rollgate_core::bucket::SaltedHasher::new(salt);
    let mut users = Vec::with_capacity(alpha + beta + per_bucket * 10_000);
    for (count, ring) in [(alpha, "alpha"), (beta, "beta")] {
        for _ in 0..count {
            let key = next();
            let bucket = Some(hasher.bucket(&key));
            users.push(User {
                key,
                ring: Some(ring),
                bucket,
            });
        }
    }
    let mut rounds: Vec<Vec<Option<String>>> = vec![vec![None; 10_000]; per_bucket];
    let mut missing = per_bucket * 10_000;
    while missing > 0 {
        let key = next();
        let bucket = usize::from(hasher.bucket(&key));
        if let Some(slot) = rounds
            .iter_mut()
            .map(|r| &mut r[bucket])
            .find(|s| s.is_none())
        {
            *slot = Some(key);
            missing -= 1;
        }
    }
    for round in rounds {
        for (bucket, key) in round.into_iter().enumerate() {
            users.push(User {
                key: key.unwrap(),
                ring: None,
                bucket: Some(bucket as u16),
            });
        }
    }
    users
}

/// `alpha` + `beta` + `general` users with random keys (buckets unknown).
pub fn population(seed: u64, alpha: usize, beta: usize, general: usize) -> Vec<User> {
    let mut next = keys(seed);
    let mut users = Vec::with_capacity(alpha + beta + general);
    for (count, ring) in [
        (alpha, Some("alpha")),
        (beta, Some("beta")),
        (general, None),
    ] {
        for _ in 0..count {
            users.push(User {
                key: next(),
                ring,
                bucket: None,
            });
        }
    }
    users
}

/// What one user gets for the release's flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// Served `on` (for a shadow release: would have been).
    pub exposed: bool,
    /// The variant served for the first flag.
    pub variant: String,
}

/// Evaluates every user through OFREP's bulk endpoint (32 at a time) and returns what
/// each sees of `flags`; asserts that the flags of one release agree for every user
/// (coherent cohorts). `shadow` reads exposure from `metadata.shadowVariant`.
pub async fn observe(
    server: &Server,
    sdk: &str,
    users: &[User],
    flags: &[&str],
    shadow: bool,
) -> Vec<Seen> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let url = format!("{}/ofrep/v1/evaluate/flags", server.url);
    let users = Arc::new(users.to_vec());
    let flags: Arc<Vec<String>> = Arc::new(flags.iter().map(|f| (*f).to_owned()).collect());
    let workers = 32;
    let mut tasks = Vec::new();
    for worker in 0..workers {
        let (client, url, users, flags, sdk) = (
            client.clone(),
            url.clone(),
            Arc::clone(&users),
            Arc::clone(&flags),
            sdk.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            for index in (worker..users.len()).step_by(workers) {
                let user = &users[index];
                let mut context = json!({ "targetingKey": user.key });
                if let Some(ring) = user.ring {
                    context["ring"] = json!(ring);
                }
                let response = client
                    .post(&url)
                    .bearer_auth(&sdk)
                    .json(&json!({ "context": context }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), StatusCode::OK);
                let body: Value = response.json().await.unwrap();
                let results: Vec<(String, bool)> = flags
                    .iter()
                    .map(|flag| {
                        let result = body["flags"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .find(|r| r["key"] == flag.as_str())
                            .unwrap_or_else(|| panic!("{flag} missing from {body}"));
                        let variant = result["variant"].as_str().unwrap().to_owned();
                        let exposed = if shadow {
                            result["metadata"]["shadowVariant"] == "on"
                        } else {
                            variant == "on"
                        };
                        (variant, exposed)
                    })
                    .collect();
                assert!(
                    results.iter().all(|r| *r == results[0]),
                    "the flags of one release disagree for {}: {results:?}",
                    user.key
                );
                seen.push((
                    index,
                    Seen {
                        exposed: results[0].1,
                        variant: results[0].0.clone(),
                    },
                ));
            }
            seen
        }));
    }
    let mut all: Vec<Option<Seen>> = vec![None; users.len()];
    for task in tasks {
        for (index, seen) in task.await.unwrap() {
            all[index] = Some(seen);
        }
    }
    all.into_iter().map(Option::unwrap).collect()
}

/// The share of `users` in `ring` that is exposed, in percent.
pub fn share(users: &[User], seen: &[Seen], ring: Option<&str>) -> f64 {
    let (mut exposed, mut total) = (0usize, 0usize);
    for (user, seen) in users.iter().zip(seen) {
        if user.ring == ring {
            total += 1;
            exposed += usize::from(seen.exposed);
        }
    }
    100.0 * exposed as f64 / total as f64
}

/// The bootstrap admin token (for calls that need the admin role).
pub fn admin() -> &'static str {
    ADMIN_TOKEN
}
