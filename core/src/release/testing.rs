//! Fixtures shared by the release tests: a catalog with the built-in rings and two
//! flags configured in `production`, and a plan like the complete one of docs/release-plan.md.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::collections::BTreeMap;

use serde_json::json;

use super::{PlanCatalog, ReleasePlan};
use crate::model::Flag;

pub(crate) struct TestCatalog {
    pub(crate) flags: BTreeMap<String, Flag>,
}

impl TestCatalog {
    pub(crate) fn new() -> TestCatalog {
        let flag = |key: &str, stickiness: Option<&str>| -> Flag {
            let mut doc = json!({
                "key": key,
                "variants": { "on": true, "off": false },
                "environments": { "production": {
                    "enabled": true, "off_variant": "off",
                    "rules": [ { "conditions": [ { "attribute": "country", "op": "in", "values": ["NL"] } ],
                                 "serve": { "variant": "on" } } ],
                    "default": { "variant": "off" } } }
            });
            if let Some(s) = stickiness {
                doc["environments"]["production"]["stickiness"] = json!(s);
            }
            serde_json::from_value(doc).unwrap()
        };
        let mut flags = BTreeMap::new();
        for (key, stickiness) in [
            ("new-checkout", None),
            ("one-click-pay", None),
            ("by-account", Some("accountId")),
        ] {
            flags.insert(key.to_owned(), flag(key, stickiness));
        }
        TestCatalog { flags }
    }
}

impl PlanCatalog for TestCatalog {
    fn has_environment(&self, key: &str) -> bool {
        matches!(key, "production" | "development")
    }
    fn has_segment(&self, key: &str) -> bool {
        matches!(key, "alpha" | "beta" | "general" | "nl-customers")
    }
    fn flag(&self, key: &str) -> Option<&Flag> {
        self.flags.get(key)
    }
}

/// A plan like the complete one of docs/release-plan.md, as JSON.
pub(crate) fn example_json() -> serde_json::Value {
    json!({
      "name": "Checkout v2",
      "release_version": "2.4.0",
      "environment": "production",
      "flags": [ { "key": "new-checkout", "variant": "on" } ],
      "strategy": "canary",
      "stages": [
        { "audience": "alpha",   "percent": 100, "bake": "10m" },
        { "audience": "beta",    "percent": 100, "bake": "30m" },
        { "audience": "general", "percent": 1,   "bake": "15m" },
        { "audience": "general", "percent": 10,  "bake": "15m" },
        { "audience": "general", "percent": 50,  "bake": "30m" },
        { "audience": "general", "percent": 100 }
      ],
      "analysis": {
        "prometheus_url": "http://127.0.0.1:9090",
        "interval": "1m", "window": "2m", "alpha": 0.05, "min_samples": 200,
        "max_consecutive_errors": 4, "max_stage_duration": "2h", "on_no_data": "hold",
        "checks": [
          { "name": "error-rate", "kind": "ratio", "critical": true,
            "errors": "sum(increase(http_requests_total{variant=\"{{variant}}\",code=~\"5..\"}[{{window}}]))",
            "total":  "sum(increase(http_requests_total{variant=\"{{variant}}\"}[{{window}}]))",
            "max": 0.02, "consecutive_breaches": 2, "max_relative_increase": 0.25 },
          { "name": "p99-latency", "kind": "value",
            "query": "histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{variant=\"{{variant}}\"}[{{window}}])))",
            "max": 0.3, "consecutive_breaches": 2 }
        ]
      },
      "kpis": [ { "name": "conversion", "query": "sum(rate(orders_total{variant=\"{{variant}}\"}[{{window}}]))", "target": { "min": 0.031 } } ],
      "schedule": { "announce_at": "2026-12-01T09:00:00Z", "start_at": "2026-12-03T09:00:00Z",
                    "maintenance_windows": [ { "start": "2026-12-05T22:00:00Z", "end": "2026-12-06T02:00:00Z" } ] },
      "approvals_required": 1,
      "checklist": [ { "item": "Marketing materials package", "owner": "pmm", "done": false } ],
      "risks": [ { "description": "Payment provider timeouts", "likelihood": "low", "impact": "high",
                   "mitigation": "Automatic rollback on error rate" } ],
      "notes": ""
    })
}

pub(crate) fn example() -> ReleasePlan {
    serde_json::from_value(example_json()).unwrap()
}
