//! The tokens page: who may use Rollgate, a new token (its secret shown this once) and
//! revocation.

use askama::Template;

use crate::layout::{Layout, Section};

/// One token.
#[derive(Clone, Debug, Default)]
pub struct TokenRow {
    /// Its public id.
    pub id: String,
    /// Who it was issued to.
    pub name: String,
    /// `admin` or `sdk`.
    pub kind: String,
    /// The role, or the SDK key's environment.
    pub scope: String,
    /// When it was created.
    pub created_at: String,
}

/// The tokens.
#[derive(Template, Debug)]
#[template(path = "tokens.html")]
pub struct TokenList {
    /// The frame.
    pub layout: Layout,
    /// Every token.
    pub rows: Vec<TokenRow>,
    /// The secret of a token just created: shown on this page only.
    pub new_secret: Option<String>,
    /// Every environment, for SDK keys.
    pub environments: Vec<String>,
}
