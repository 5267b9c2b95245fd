//! What releases leave behind: the validation report (JSON, Markdown, HTML rendered in
//! Chromium) and the changelog (JSON, Markdown, Atom).

mod changelog;
mod chromium;
mod support;
mod validation;
