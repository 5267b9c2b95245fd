//! What a new store starts with: the default environments, the built-in audience
//! rings, the operator's bootstrap admin token, and (with `--demo`) demo flags and keys
//! and a release policy of one approval on production; and the offline way back in,
//! an admin token minted into a stopped server's store.

use rollgate_core::model::{BUILTIN_SEGMENTS, Environment, Flag, ReleasePolicy, builtin_segment};
use serde_json::json;
use time::OffsetDateTime;

use crate::infra::auth::{BOOTSTRAP_ID, Role, TokenKind, TokenRecord, hash_secret, issue};
use crate::infra::config::Secret;
use crate::infra::store::{Commit, Expect, Kind, Store, StoreError, Write};

/// What `--demo` did.
#[derive(Debug)]
pub enum Demo {
    /// Not asked for.
    Off,
    /// Seeded now: the credentials, shown once.
    Seeded(DemoCredentials),
    /// The store already holds the demo: its credentials were shown when it was seeded.
    AlreadySeeded,
}

/// Credentials created for the demo, shown once on the console.
#[derive(Debug)]
pub struct DemoCredentials {
    /// An admin token.
    pub admin_token: String,
    /// `(environment, SDK key)` pairs.
    pub sdk_keys: Vec<(String, String)>,
}

const SEED_ACTOR: &str = "system:seed";

fn body<T: serde::Serialize>(doc: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(doc).map_err(|e| StoreError::Backend(Box::new(e)))
}

fn seed_commit(action: &str, at: OffsetDateTime, writes: Vec<Write>) -> Commit {
    Commit {
        actor: SEED_ACTOR.to_owned(),
        action: action.to_owned(),
        at,
        writes,
        checks: Vec::new(),
        audited: true,
        expect_revision: None,
    }
}

/// Seeds an empty store, installs the bootstrap admin token when no token exists, and
/// loads the demo when asked (once per store).
pub(crate) async fn prepare(
    store: &dyn Store,
    admin_token: Option<&Secret>,
    demo: bool,
    now: OffsetDateTime,
) -> Result<Demo, StoreError> {
    if store.revision().await? == 0 {
        let mut writes = Vec::new();
        for environment in Environment::defaults() {
            writes.push(Write::put(
                Kind::Environment,
                environment.key.clone(),
                Expect::Absent,
                body(&environment)?,
            ));
        }
        for key in BUILTIN_SEGMENTS {
            if let Some(segment) = builtin_segment(key) {
                writes.push(Write::put(
                    Kind::Segment,
                    key,
                    Expect::Absent,
                    body(&segment)?,
                ));
            }
        }
        store.commit(seed_commit("store.seed", now, writes)).await?;
        tracing::info!(
            "new store seeded with environments development, production and segments alpha, beta, general"
        );
    }
    if let Some(secret) = admin_token
        && store.list(Kind::Token).await?.is_empty()
    {
        let record = TokenRecord {
            id: BOOTSTRAP_ID.to_owned(),
            name: "ROLLGATE_ADMIN_TOKEN".to_owned(),
            kind: TokenKind::Admin,
            role: Some(Role::Admin),
            environment: None,
            environments: None,
            allowed_origins: None,
            secret_sha256: hash_secret(secret.expose()),
            created_by: SEED_ACTOR.to_owned(),
            created_at: now,
        };
        let write = Write::put(Kind::Token, BOOTSTRAP_ID, Expect::Absent, body(&record)?);
        store
            .commit(seed_commit("token.bootstrap", now, vec![write]))
            .await?;
        tracing::info!("ROLLGATE_ADMIN_TOKEN installed as the first admin token");
    }
    if !demo {
        return Ok(Demo::Off);
    }
    if store.get(Kind::Meta, "demo").await?.is_some() {
        return Ok(Demo::AlreadySeeded);
    }
    seed_demo(store, now).await.map(Demo::Seeded)
}

/// Issues an admin token straight into `store`, with no server running: the way back in
/// when every admin token is lost (`rollgate admin-token create`). The store must have
/// been seeded by a server before (its first commit seeds it; a token written first
/// would stop that). Audited as `system:admin-token`.
pub async fn mint_admin_token(
    store: &dyn Store,
    name: &str,
    now: OffsetDateTime,
) -> Result<Option<String>, StoreError> {
    if store.revision().await? == 0 {
        return Ok(None);
    }
    let issued = issue(
        TokenKind::Admin,
        name.to_owned(),
        Some(Role::Admin),
        None,
        OFFLINE_ACTOR.to_owned(),
        now,
    );
    let write = Write::put(
        Kind::Token,
        issued.record.id.clone(),
        Expect::Absent,
        body(&issued.record)?,
    );
    let mut commit = seed_commit("token.create", now, vec![write]);
    commit.actor = OFFLINE_ACTOR.to_owned();
    store.commit(commit).await?;
    Ok(Some(issued.token))
}

/// Who mints tokens offline, in the audit log.
const OFFLINE_ACTOR: &str = "system:admin-token";

async fn seed_demo(store: &dyn Store, now: OffsetDateTime) -> Result<DemoCredentials, StoreError> {
    let mut writes = Vec::new();
    for flag in demo_flags() {
        if store.get(Kind::Flag, &flag.key).await?.is_none() {
            writes.push(Write::put(
                Kind::Flag,
                flag.key.clone(),
                Expect::Absent,
                body(&flag)?,
            ));
        }
    }
    let admin = issue(
        TokenKind::Admin,
        "demo admin".into(),
        Some(Role::Admin),
        None,
        SEED_ACTOR.into(),
        now,
    );
    writes.push(Write::put(
        Kind::Token,
        admin.record.id.clone(),
        Expect::Absent,
        body(&admin.record)?,
    ));
    if let Some(document) = store.get(Kind::Environment, "production").await? {
        let mut production: Environment =
            serde_json::from_slice(&document.body).map_err(|e| StoreError::Backend(Box::new(e)))?;
        if production.release_policy.is_none() {
            // Four eyes on every production release of the demo.
            production.release_policy = Some(ReleasePolicy {
                min_approvals: 1,
                ..ReleasePolicy::default()
            });
            writes.push(Write::put(
                Kind::Environment,
                "production",
                Expect::Version(document.version),
                body(&production)?,
            ));
        }
    }
    let mut sdk_keys = Vec::new();
    for environment in ["production", "development"] {
        if store.get(Kind::Environment, environment).await?.is_none() {
            continue;
        }
        let key = issue(
            TokenKind::Sdk,
            format!("demo sdk ({environment})"),
            None,
            Some(environment.into()),
            SEED_ACTOR.into(),
            now,
        );
        writes.push(Write::put(
            Kind::Token,
            key.record.id.clone(),
            Expect::Absent,
            body(&key.record)?,
        ));
        sdk_keys.push((environment.to_owned(), key.token));
    }
    writes.push(Write::put(
        Kind::Meta,
        "demo",
        Expect::Absent,
        body(&json!({ "seeded_at": now.unix_timestamp() }))?,
    ));
    store.commit(seed_commit("demo.seed", now, writes)).await?;
    Ok(DemoCredentials {
        admin_token: admin.token,
        sdk_keys,
    })
}

/// The demo flags: realistic examples of each variant type and targeting style.
pub(crate) fn demo_flags() -> Vec<Flag> {
    let documents = [
        json!({
            "key": "new-checkout", "description": "One-page checkout, rolled out to 25 % of everyone",
            "variants": { "on": true, "off": false }, "tags": ["checkout"],
            "environments": {
                "production": { "enabled": true, "off_variant": "off",
                    "default": { "rollout": [ { "variant": "on", "weight": 2500 }, { "variant": "off", "weight": 7500 } ] } },
                "development": { "enabled": true, "off_variant": "off", "default": { "variant": "on" } }
            }
        }),
        json!({
            "key": "checkout-theme", "description": "Colour theme of the checkout (multivariate)",
            "variants": { "classic": "classic", "ocean": "ocean", "sunset": "sunset" }, "tags": ["checkout", "design"],
            "environments": {
                "production": { "enabled": true, "off_variant": "classic",
                    "rules": [ { "conditions": [ { "attribute": "country", "op": "in", "values": ["NL", "BE"] } ],
                                 "serve": { "variant": "ocean" } } ],
                    "default": { "rollout": [ { "variant": "classic", "weight": 5000 },
                                              { "variant": "ocean", "weight": 2500 },
                                              { "variant": "sunset", "weight": 2500 } ] } },
                "development": { "enabled": true, "off_variant": "classic", "default": { "variant": "sunset" } }
            }
        }),
        json!({
            "key": "search-v2", "description": "New search engine, for the alpha and beta rings only",
            "variants": { "on": true, "off": false }, "tags": ["search"],
            "environments": {
                "production": { "enabled": true, "off_variant": "off",
                    "rules": [ { "segment": "alpha", "serve": { "variant": "on" } },
                               { "segment": "beta", "serve": { "variant": "on" } } ],
                    "default": { "variant": "off" } },
                "development": { "enabled": true, "off_variant": "off", "default": { "variant": "on" } }
            }
        }),
        json!({
            "key": "cart-limit", "description": "Most items in a cart (integer)",
            "variants": { "standard": 20, "extended": 50 }, "tags": ["checkout"],
            "environments": {
                "production": { "enabled": true, "off_variant": "standard",
                    "rules": [ { "conditions": [ { "attribute": "plan", "op": "in", "values": ["pro", "enterprise"] } ],
                                 "serve": { "variant": "extended" } } ],
                    "default": { "variant": "standard" } }
            }
        }),
        json!({
            "key": "discount-rate", "description": "Loyalty discount (float)",
            "variants": { "none": 0.0, "small": 0.05, "large": 0.15 }, "tags": ["pricing"],
            "environments": {
                "production": { "enabled": true, "off_variant": "none",
                    "rules": [ { "conditions": [ { "attribute": "orders", "op": "gte", "values": [10] } ],
                                 "serve": { "variant": "large" } },
                               { "conditions": [ { "attribute": "orders", "op": "gte", "values": [3] } ],
                                 "serve": { "variant": "small" } } ],
                    "default": { "variant": "none" } }
            }
        }),
        json!({
            "key": "banner", "description": "Home page banner (object), holiday banner for app 2.x and later",
            "variants": { "plain": { "title": "Welcome", "color": "#333333" },
                          "holiday": { "title": "Happy holidays", "color": "#c0392b" } }, "tags": ["home"],
            "environments": {
                "production": { "enabled": true, "off_variant": "plain",
                    "rules": [ { "conditions": [ { "attribute": "app_version", "op": "semver_gt", "values": ["1.99.99"] } ],
                                 "serve": { "variant": "holiday" } } ],
                    "default": { "variant": "plain" } }
            }
        }),
        json!({
            "key": "maintenance-mode", "description": "Read-only mode during maintenance (off)",
            "variants": { "on": true, "off": false }, "tags": ["ops"],
            "environments": {
                "production": { "enabled": false, "off_variant": "off", "default": { "variant": "on" } },
                "development": { "enabled": false, "off_variant": "off", "default": { "variant": "on" } }
            }
        }),
    ];
    documents
        .into_iter()
        .filter_map(|doc| serde_json::from_value(doc).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_flag_parses_and_validates() {
        let flags = demo_flags();
        assert_eq!(flags.len(), 7, "a demo flag failed to parse");
        let catalog = rollgate_core::validate::Catalog {
            environments: ["development", "production"].map(String::from).into(),
            segments: BUILTIN_SEGMENTS.map(String::from).into(),
        };
        for flag in &flags {
            assert_eq!(
                rollgate_core::validate::validate_flag(flag, &catalog),
                vec![],
                "{}",
                flag.key
            );
        }
    }
}
