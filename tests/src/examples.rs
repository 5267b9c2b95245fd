//! Documents the tests send: the examples of docs/product.md §1, and small valid
//! flags and segments to build on.

use serde_json::{Value, json};

/// The flag of docs/product.md §1.1, as written there (with `key` and a `version` the server
/// ignores).
pub fn checkout_flag() -> Value {
    json!({
      "key": "new-checkout",
      "description": "One-page checkout",
      "variants": { "on": true, "off": false },
      "tags": ["checkout"],
      "environments": {
        "production": {
          "enabled": true,
          "off_variant": "off",
          "salt": "new-checkout",
          "stickiness": "targetingKey",
          "rules": [
            { "segment": "alpha", "serve": { "variant": "on" } },
            { "conditions": [ { "attribute": "country", "op": "in", "values": ["NL", "BE"] } ],
              "serve": { "rollout": [ { "variant": "on", "weight": 5000 }, { "variant": "off", "weight": 5000 } ] } }
          ],
          "default": { "rollout": [ { "variant": "on", "weight": 2500 }, { "variant": "off", "weight": 7500 } ] }
        }
      },
      "version": 3
    })
}

/// The segment of docs/product.md §1.6 (`beta`, a built-in that exists on every store).
pub fn beta_segment() -> Value {
    json!({ "key": "beta", "description": "Opted-in customers", "include": ["user-7"], "exclude": [],
      "rules": [ { "conditions": [ { "attribute": "ring", "op": "in", "values": ["beta"] } ] } ],
      "version": 1 })
}

/// The SDK key request of docs/product.md §1.8.
pub fn sdk_key_request() -> Value {
    json!({ "kind": "sdk", "environment": "production", "name": "checkout-service" })
}

/// The admin token request of docs/product.md §1.8.
pub fn admin_token_request() -> Value {
    json!({ "kind": "admin", "role": "release_manager", "name": "alice" })
}

/// A boolean flag that is on for everyone in `production` (no `key`: the URL names it).
pub fn boolean_flag(description: &str) -> Value {
    json!({
        "description": description,
        "variants": { "on": true, "off": false },
        "environments": {
            "production": { "enabled": true, "off_variant": "off", "default": { "variant": "on" } }
        }
    })
}

/// A string flag whose `production` config targets `segment` with `on`.
pub fn flag_using_segment(segment: &str) -> Value {
    json!({
        "variants": { "on": "yes", "off": "no" },
        "environments": {
            "production": {
                "enabled": true,
                "off_variant": "off",
                "rules": [ { "segment": segment, "serve": { "variant": "on" } } ],
                "default": { "variant": "off" }
            }
        }
    })
}

/// A plain segment of listed users.
pub fn listed_segment(users: &[&str]) -> Value {
    json!({ "description": "listed users", "include": users })
}
