//! The dashboard's pages: what release managers see in the browser.
//!
//! This crate turns view models — plain structs of text and numbers that the server
//! fills from its services — into HTML through askama templates, which are checked at
//! compile time and escape every value they print, so a release name or a flag
//! description written by anyone can never become markup or script. It also holds the
//! one stylesheet and the one script the pages use ([`assets`]), embedded in the
//! binary: nothing is fetched from elsewhere, and no Node toolchain is needed.
//!
//! It knows nothing of HTTP: the server's `http/dashboard` module reads the session,
//! calls the services, builds these models and answers with what [`render`] makes.
//! Keeping the pages here makes them cheap to benchmark (`benches/pages.rs`) and keeps
//! the server's handlers free of markup.

pub mod assets;
pub mod calendar;
pub mod catalog;
pub mod flags;
pub mod layout;
pub mod plan_form;
pub mod release_charts;
pub mod releases;
pub mod signin;
pub mod tokens;

pub use askama::Template;

/// Renders a page; a template only fails when writing to the string fails, which the
/// server answers as an internal error.
pub fn render(page: &impl Template) -> Result<String, askama::Error> {
    page.render()
}
