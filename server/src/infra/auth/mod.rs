//! Authentication: admin tokens with roles, SDK keys bound to one environment, and
//! the in-memory index that checks them.
//!
//! A token is `rg_<kind>_<id>_<secret>`. The id is public and addresses the stored
//! record; the secret (≥ 190 bits from the OS RNG) is shown once and stored only as its
//! SHA-256 digest, compared in constant time. A fast hash is enough: the secret is
//! random, not a password.

mod index;
mod token;

pub(crate) use index::{BOOTSTRAP_ID, TokenIndex};
pub(crate) use token::random_text;
pub(crate) use token::{Role, TokenKind, TokenRecord, hash_secret, issue};

/// Why credentials were not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Unauthenticated {
    /// No credentials at all.
    #[error("missing Authorization header; send `Authorization: Bearer <token>`")]
    Missing,
    /// Credentials that are not a bearer token.
    #[error("the Authorization header must be `Bearer <token>`")]
    NotBearer,
    /// A token that no stored record verifies: never issued, revoked, or mistyped.
    #[error("unknown or revoked token")]
    UnknownToken,
    /// An event-stream credential that no SDK key's record verifies.
    #[error("unknown or revoked stream credential")]
    UnknownStreamCredential,
}
