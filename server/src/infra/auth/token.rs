//! Tokens: issuing, parsing and the stored record.

use rand::Rng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

/// What an admin token may do; each role includes the ones below it.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Role {
    /// Read everything.
    Viewer,
    /// Also write flags and segments.
    Editor,
    /// Also run releases and set rollout percentages.
    ReleaseManager,
    /// Also manage tokens and environments.
    Admin,
}

impl Role {
    /// The role's name on the wire.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::ReleaseManager => "release_manager",
            Role::Admin => "admin",
        }
    }
}

/// SDK key, frontend key or admin token.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TokenKind {
    /// Evaluates flags in one environment: OFREP, and the SDK's sync (the whole
    /// ruleset), for servers.
    Sdk,
    /// Evaluates flags in one environment through OFREP only, for web pages and
    /// mobile apps: public by nature, so it never reads rules or segment members.
    Frontend,
    /// Uses the admin API with a role.
    Admin,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            TokenKind::Sdk => "rg_sdk_",
            TokenKind::Frontend => "rg_fe_",
            TokenKind::Admin => "rg_adm_",
        }
    }
}

/// A token as stored: never the secret, only its digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TokenRecord {
    /// Public id.
    pub id: String,
    /// Who or what it was issued to.
    pub name: String,
    /// SDK key or admin token.
    pub kind: TokenKind,
    /// Role of an admin token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Environment of an SDK or frontend key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The environments an admin token may act in (flag configurations and releases);
    /// `None`: every environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environments: Option<Vec<String>>,
    /// The origins whose pages may use a frontend key; `None`: any origin CORS allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_origins: Option<Vec<String>>,
    /// Hex SHA-256 of the secret.
    pub secret_sha256: String,
    /// Who issued it.
    pub created_by: String,
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl TokenRecord {
    /// Does `secret` belong to this record? Constant time in the digest comparison; the
    /// stored digest is decoded on the stack (every request checks its token).
    pub(crate) fn verify(&self, secret: &str) -> bool {
        let mut expected = [0u8; 32];
        if hex::decode_to_slice(&self.secret_sha256, &mut expected).is_err() {
            return false;
        }
        let actual = Sha256::digest(secret.as_bytes());
        bool::from(actual.as_slice().ct_eq(&expected))
    }
}

/// A freshly issued token: the record to store and the secret to show once.
#[derive(Debug)]
pub(crate) struct IssuedToken {
    /// What to store.
    pub record: TokenRecord,
    /// The full bearer token, `rg_<kind>_<id>_<secret>`.
    pub token: String,
}

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const ID_LEN: usize = 12;
const SECRET_LEN: usize = 32;

/// `len` random characters of `[A-Za-z0-9]`, from the OS-seeded thread RNG.
pub(crate) fn random_text(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// Hex SHA-256 of a secret.
pub(crate) fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Issues a token. 32 characters of a 62-letter alphabet carry 190 bits.
pub(crate) fn issue(
    kind: TokenKind,
    name: String,
    role: Option<Role>,
    environment: Option<String>,
    created_by: String,
    created_at: OffsetDateTime,
) -> IssuedToken {
    let id = random_text(ID_LEN);
    let secret = random_text(SECRET_LEN);
    let token = format!("{}{id}_{secret}", kind.prefix());
    let record = TokenRecord {
        id,
        name,
        kind,
        role,
        environment,
        environments: None,
        allowed_origins: None,
        secret_sha256: hash_secret(&secret),
        created_by,
        created_at,
    };
    IssuedToken { record, token }
}

/// Splits a bearer token into `(kind, id, secret)`; `None` when it is not ours.
pub(crate) fn parse_token(token: &str) -> Option<(TokenKind, &str, &str)> {
    let (kind, rest) = if let Some(rest) = token.strip_prefix(TokenKind::Sdk.prefix()) {
        (TokenKind::Sdk, rest)
    } else if let Some(rest) = token.strip_prefix(TokenKind::Frontend.prefix()) {
        (TokenKind::Frontend, rest)
    } else {
        (
            TokenKind::Admin,
            token.strip_prefix(TokenKind::Admin.prefix())?,
        )
    };
    let (id, secret) = rest.split_once('_')?;
    (id.len() == ID_LEN && !secret.is_empty()).then_some((kind, id, secret))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn issued_tokens_parse_back_and_verify() {
        let issued = issue(
            TokenKind::Sdk,
            "svc".into(),
            None,
            Some("production".into()),
            "t".into(),
            OffsetDateTime::UNIX_EPOCH,
        );
        let (kind, id, secret) = parse_token(&issued.token).unwrap();
        assert_eq!(kind, TokenKind::Sdk);
        assert_eq!(id, issued.record.id);
        assert!(issued.record.verify(secret));
        assert!(!issued.record.verify("wrong"));
        assert!(!issued.record.secret_sha256.contains(secret));
    }

    #[test]
    fn tokens_are_random() {
        let a = issue(
            TokenKind::Admin,
            "a".into(),
            Some(Role::Admin),
            None,
            "t".into(),
            OffsetDateTime::UNIX_EPOCH,
        );
        let b = issue(
            TokenKind::Admin,
            "a".into(),
            Some(Role::Admin),
            None,
            "t".into(),
            OffsetDateTime::UNIX_EPOCH,
        );
        assert_ne!(a.token, b.token);
        assert_ne!(a.record.id, b.record.id);
    }

    #[test]
    fn foreign_strings_are_not_tokens() {
        assert_eq!(parse_token("Bearer x"), None);
        assert_eq!(parse_token("rg_sdk_short_secret"), None);
        assert_eq!(parse_token("rg_adm_ABCDEFGHIJKL_"), None);
    }

    #[test]
    fn roles_are_ordered_by_power() {
        assert!(
            Role::Viewer < Role::Editor
                && Role::Editor < Role::ReleaseManager
                && Role::ReleaseManager < Role::Admin
        );
    }
}
