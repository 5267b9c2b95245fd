//! The stylesheet and the script, embedded in the binary, and the security headers
//! every page carries.
//!
//! Pages read and act without the script (plain links and forms); the script only adds
//! live updates of an open release page and small conveniences. It is a file of our
//! own, served from this server, so the Content-Security-Policy can forbid every inline
//! script and every other origin.

/// The stylesheet.
pub const STYLESHEET: &str = include_str!("../assets/dashboard.css");
/// The script.
pub const SCRIPT: &str = include_str!("../assets/dashboard.js");

/// The icon browsers show in the tab.
pub const ICON: &str = include_str!("../assets/favicon.svg");

/// The Content-Security-Policy of every dashboard page: only this origin's own files,
/// no inline script or style, no framing, forms posted only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Headers every dashboard answer carries, besides the policy.
pub const SECURITY_HEADERS: [(&str, &str); 4] = [
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cache-Control", "no-store"),
];
