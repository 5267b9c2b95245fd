//! What each throughput scenario sends. The same requests go to `rollgate` and to the
//! baseline (which answers anything with its fixed body), so the two are measured on the
//! same traffic.

use std::net::SocketAddr;

use hyper::header::{AUTHORIZATION, ETAG, IF_MATCH, IF_NONE_MATCH};
use hyper::{Method, StatusCode};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::{Value, json};

use crate::generator::{Prepared, request_once};
use crate::seed::{SINGLE_FLAG, WRITTEN_FLAG, admin};

/// How many different requests (contexts, writes) each scenario cycles through.
pub const VARIETY: usize = 1024;

/// The path of the SDK ruleset (docs/product.md §4.2).
pub const RULESET_PATH: &str = "/sdk/v1/ruleset";

/// A throughput scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// OFREP single-flag evaluation of a segment rule + 25 % rollout, varied contexts.
    OfrepFlag,
    /// OFREP bulk evaluation: the 50 flags of the environment for one context.
    OfrepBulk,
    /// The SDK ruleset download (50 flags), without `If-None-Match`.
    Ruleset,
    /// The SDK ruleset with a current `If-None-Match`: the `304` path.
    Ruleset304,
    /// OFREP single-flag reads at max while admin writes run at a fixed rate.
    ReadsDuringWrites,
}

impl Scenario {
    /// Every scenario, in the order a run measures them.
    pub const ALL: [Scenario; 5] = [
        Scenario::OfrepFlag,
        Scenario::OfrepBulk,
        Scenario::Ruleset,
        Scenario::Ruleset304,
        Scenario::ReadsDuringWrites,
    ];

    /// The name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::OfrepFlag => "ofrep-flag",
            Scenario::OfrepBulk => "ofrep-bulk",
            Scenario::Ruleset => "ruleset",
            Scenario::Ruleset304 => "ruleset-304",
            Scenario::ReadsDuringWrites => "reads-during-writes",
        }
    }

    /// The scenario called `name`.
    pub fn named(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.name() == name)
    }

    /// What it measures, for the report.
    pub fn describe(self) -> &'static str {
        match self {
            Scenario::OfrepFlag => {
                "POST /ofrep/v1/evaluate/flags/flag-00001 (alpha segment rule + 25 % rollout), 1 024 contexts"
            }
            Scenario::OfrepBulk => {
                "POST /ofrep/v1/evaluate/flags: 50 realistic flags, one context per request"
            }
            Scenario::Ruleset => "GET /sdk/v1/ruleset (50 flags), no If-None-Match",
            Scenario::Ruleset304 => {
                "GET /sdk/v1/ruleset with the current ETag in If-None-Match (304)"
            }
            Scenario::ReadsDuringWrites => {
                "ofrep-flag at max while PUT /api/v1/flags/flag-00009/environments/loadtest runs at 50/s"
            }
        }
    }
}

/// The requests of one scenario.
#[derive(Clone, Debug)]
pub struct Traffic {
    /// The measured requests.
    pub reads: Vec<Prepared>,
    /// The status Rollgate answers them with.
    pub expected: StatusCode,
    /// Requests sent alongside at a fixed rate (admin writes), when the scenario has them.
    pub writes: Vec<Prepared>,
}

/// Why a scenario cannot run against this server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotAvailable(pub String);

/// A varied, realistic evaluation context: random targeting key, ring, country, plan.
pub fn context(rng: &mut SmallRng) -> Value {
    const COUNTRIES: [&str; 8] = ["NL", "BE", "DE", "US", "CA", "FR", "GB", "MX"];
    const PLANS: [&str; 3] = ["free", "pro", "enterprise"];
    let ring = match rng.random_range(0..100) {
        0..5 => "alpha",
        5..20 => "beta",
        _ => "general",
    };
    let user = rng.random_range(0..10_000_000u32);
    json!({ "context": {
        "targetingKey": format!("user-{user:07}"),
        "ring": ring,
        "country": COUNTRIES[rng.random_range(0..COUNTRIES.len())],
        "plan": PLANS[rng.random_range(0..PLANS.len())],
        "email": format!("user{user}@example.com"),
        "app_version": format!("{}.{}.{}", rng.random_range(1..4), rng.random_range(0..10), rng.random_range(0..20)),
        "orders": rng.random_range(0..50),
        "created_at": "2024-05-17T08:30:00Z",
        "beta_opt_in": rng.random_bool(0.2)
    } })
}

/// [`VARIETY`] POSTs of varied contexts to `path`.
fn evaluations(path: &str, sdk_key: &str, seed: u64) -> Vec<Prepared> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let bearer = format!("Bearer {sdk_key}");
    (0..VARIETY)
        .map(|_| {
            Prepared::new(Method::POST, path)
                .header(AUTHORIZATION, &bearer)
                .json(context(&mut rng).to_string())
        })
        .collect()
}

/// Admin writes that move the rollout of [`WRITTEN_FLAG`] between 1 % and 99 %.
fn rollout_writes(admin_token: &str) -> Vec<Prepared> {
    let path = format!(
        "/api/v1/flags/{WRITTEN_FLAG}/environments/{}",
        crate::seed::ENVIRONMENT
    );
    (1..100)
        .map(|percent: u32| {
            let config = json!({
                "enabled": true, "off_variant": "off",
                "rules": [ { "segment": "alpha", "serve": { "variant": "on" } } ],
                "default": { "rollout": [
                    { "variant": "on", "weight": percent * 100 },
                    { "variant": "off", "weight": 10_000 - percent * 100 } ] }
            });
            admin(Method::PUT, &path, admin_token)
                .header(IF_MATCH, "*")
                .json(config.to_string())
        })
        .collect()
}

/// The traffic of `scenario` against the Rollgate at `address` (probed for the
/// endpoints it needs).
pub async fn traffic(
    scenario: Scenario,
    address: SocketAddr,
    sdk_key: &str,
    admin_token: &str,
) -> Result<Traffic, NotAvailable> {
    let single = format!("/ofrep/v1/evaluate/flags/{SINGLE_FLAG}");
    let traffic = |reads, expected| Traffic {
        reads,
        expected,
        writes: Vec::new(),
    };
    match scenario {
        Scenario::OfrepFlag => Ok(traffic(evaluations(&single, sdk_key, 1), StatusCode::OK)),
        Scenario::OfrepBulk => Ok(traffic(
            evaluations("/ofrep/v1/evaluate/flags", sdk_key, 2),
            StatusCode::OK,
        )),
        Scenario::Ruleset | Scenario::Ruleset304 => {
            let fetch = Prepared::new(Method::GET, RULESET_PATH)
                .header(AUTHORIZATION, &format!("Bearer {sdk_key}"));
            let answer = request_once(address, &fetch)
                .await
                .map_err(|e| NotAvailable(format!("GET {RULESET_PATH}: {e}")))?;
            if answer.status != StatusCode::OK {
                return Err(NotAvailable(format!(
                    "GET {RULESET_PATH} answered {} (a server without SDK sync)",
                    answer.status
                )));
            }
            if scenario == Scenario::Ruleset {
                return Ok(traffic(vec![fetch], StatusCode::OK));
            }
            let etag = answer
                .headers
                .get(ETAG)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| NotAvailable(format!("GET {RULESET_PATH} sent no ETag")))?;
            let conditional = fetch.header(IF_NONE_MATCH, etag);
            Ok(traffic(vec![conditional], StatusCode::NOT_MODIFIED))
        }
        Scenario::ReadsDuringWrites => Ok(Traffic {
            reads: evaluations(&single, sdk_key, 1),
            expected: StatusCode::OK,
            writes: rollout_writes(admin_token),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_vary_and_cover_every_ring() {
        let mut rng = SmallRng::seed_from_u64(7);
        let contexts: Vec<Value> = (0..500).map(|_| context(&mut rng)).collect();
        let keys: std::collections::HashSet<&Value> = contexts
            .iter()
            .map(|c| &c["context"]["targetingKey"])
            .collect();
        assert!(keys.len() > 490, "targeting keys repeat: {}", keys.len());
        for ring in ["alpha", "beta", "general"] {
            assert!(
                contexts.iter().any(|c| c["context"]["ring"] == ring),
                "{ring}"
            );
        }
    }

    #[test]
    fn every_scenario_has_a_name_that_finds_it() {
        for scenario in Scenario::ALL {
            assert_eq!(Scenario::named(scenario.name()), Some(scenario));
        }
    }
}
