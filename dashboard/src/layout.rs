//! What every page shares: who is signed in and what their role lets the page offer,
//! the anti-forgery token every form carries, the page's notice and its field errors.
//!
//! The role only shapes the page (a viewer gets no action buttons); the server's
//! services check the role again on every write, whatever the page offered.

/// The signed-in person, as the page shows them.
#[derive(Clone, Debug, Default)]
pub struct User {
    /// The token's name.
    pub name: String,
    /// The role's name (`viewer`, `editor`, `release_manager`, `admin`).
    pub role: String,
    /// Editor or above: may change flags.
    pub edits_flags: bool,
    /// Release manager or above: may run releases.
    pub runs_releases: bool,
    /// Admin: may manage tokens.
    pub manages_tokens: bool,
}

/// Which part of the dashboard a page belongs to, for the navigation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Section {
    /// The overview.
    #[default]
    Overview,
    /// Releases and the plan editor.
    Releases,
    /// Flags.
    Flags,
    /// Segments and rings.
    Segments,
    /// Environments and their release policies.
    Environments,
    /// Webhooks and their deliveries.
    Webhooks,
    /// The audit log.
    Audit,
    /// Tokens.
    Tokens,
    /// Signing in.
    SignIn,
}

/// One error on one field of a form (`field` is the JSON path the services name, or
/// the form field's name; empty when it concerns the whole form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldMessage {
    /// The field.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// The frame of every page.
#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// The page's title.
    pub title: String,
    /// Where in the navigation the page is.
    pub section: Section,
    /// Who is signed in; `None` on the sign-in page.
    pub user: Option<User>,
    /// The anti-forgery token of the session, for every form that changes something.
    pub csrf: String,
    /// A message about what just happened (an action done, a write refused).
    pub notice: Option<String>,
    /// Whether the notice reports a failure.
    pub notice_is_error: bool,
    /// Errors on the fields of the page's form.
    pub errors: Vec<FieldMessage>,
}

impl Layout {
    /// The errors on `field` (and on anything below it, `field.…` or `field[…]`).
    pub fn errors_on(&self, field: &str) -> Vec<&FieldMessage> {
        self.errors
            .iter()
            .filter(|e| {
                e.field == field
                    || e.field
                        .strip_prefix(field)
                        .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
            })
            .collect()
    }

    /// Is `section` the page's?
    pub fn is(&self, section: Section) -> bool {
        self.section == section
    }

    /// The signed-in person's name, or nothing.
    pub fn user_name(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.name.as_str())
    }

    /// May the signed-in person run releases?
    pub fn runs_releases(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.runs_releases)
    }

    /// May the signed-in person change flags?
    pub fn edits_flags(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.edits_flags)
    }

    /// May the signed-in person manage tokens?
    pub fn manages_tokens(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.manages_tokens)
    }
}
