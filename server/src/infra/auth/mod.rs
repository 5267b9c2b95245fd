//! Authentication: admin tokens with roles, SDK keys bound to one environment, and
//! the in-memory index that checks them.
//!
//! A token is `rg_<kind>_<id>_<secret>`. The id is public and addresses the stored
//! record; the secret (≥ 190 bits from the OS RNG) is shown once and stored only as its
//! SHA-256 digest, compared in constant time. A fast hash is enough: the secret is
//! random, not a password.

mod index;
mod token;

pub use index::{BOOTSTRAP_ID, TokenIndex};
pub(crate) use token::random_text;
pub use token::{IssuedToken, Role, TokenKind, TokenRecord, hash_secret, issue, parse_token};

/// Why a request is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No usable credentials.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// Credentials fine, permission missing.
    #[error("{0}")]
    Forbidden(String),
}
