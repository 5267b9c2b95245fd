//! Signing in with an admin token, and the page of an error.

use askama::Template;

use crate::layout::{Layout, Section};

/// The sign-in form.
#[derive(Template, Debug)]
#[template(path = "signin.html")]
pub struct SignIn {
    /// The frame (no user).
    pub layout: Layout,
}

/// A page that says what went wrong (not found, not allowed).
#[derive(Template, Debug)]
#[template(path = "error.html")]
pub struct ErrorPage {
    /// The frame.
    pub layout: Layout,
    /// The status.
    pub status: u16,
    /// What went wrong.
    pub message: String,
}
