//! Dashboard sessions: a person signs in with an admin token once, and the browser then
//! carries a cookie instead of the token.
//!
//! The cookie holds no secret and no server keeps a table of sessions, so every replica
//! accepts it and a restart loses nothing. It is
//! `<token id>.<nonce>.<expiry>.<MAC>`, the MAC an HMAC-SHA256 keyed with the token's
//! stored digest (which lives in the store, shared by the replicas, and never leaves
//! the server). So a session dies with its token (revoked: no record; rotated: another
//! key), cannot be stretched (the expiry is under the MAC), and ends when idle: each
//! answer renews the expiry, [`IDLE`] after the injected clock's now.
//!
//! Forms are protected twice against forgery from other sites: the cookie is
//! `SameSite=Strict`, and every state-changing form carries a token derived by HMAC from
//! the session (its id and nonce, so it survives renewals) which the server checks,
//! along with an `Origin` (or, without one, `Referer`) naming this server.

use std::sync::Arc;
use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::http::origin::absolute_url;
use crate::infra::auth::{TokenKind, TokenRecord};
use crate::service::{App, Principal};

/// The cookie's name.
pub(super) const COOKIE: &str = "rollgate_session";
/// How long a session lasts without a request.
pub(super) const IDLE: Duration = Duration::from_secs(30 * 60);
const SESSION_LABEL: &[u8] = b"rollgate dashboard session v1:";
const FORM_LABEL: &[u8] = b"rollgate dashboard form v1:";

/// A verified session.
#[derive(Clone, Debug)]
pub(super) struct Session {
    /// Who is signed in.
    pub principal: Principal,
    nonce: String,
}

/// Why a request has no session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NoSession {
    /// No cookie.
    Missing,
    /// A cookie that does not verify: forged, of a revoked or rotated token, or past
    /// its expiry.
    Ended,
}

fn mac(record: &TokenRecord, label: &[u8], parts: &[&str]) -> Option<[u8; 32]> {
    let mut mac = Hmac::<Sha256>::new_from_slice(record.secret_sha256.as_bytes()).ok()?;
    mac.update(label);
    for part in parts {
        mac.update(part.as_bytes());
        mac.update(b".");
    }
    Some(mac.finalize().into_bytes().into())
}

impl Session {
    /// A new session for a verified admin token.
    pub(super) fn open(record: Arc<TokenRecord>) -> Session {
        let nonce: [u8; 12] = rand::rng().random();
        Session {
            principal: Principal::new(record),
            nonce: hex::encode(nonce),
        }
    }

    /// The session the request's cookie carries, checked at `now`.
    pub(super) fn of(app: &App, req: &HttpRequest) -> Result<Session, NoSession> {
        let cookie = req.cookie(COOKIE).ok_or(NoSession::Missing)?;
        Session::verify(app, cookie.value(), app.clock.now())
    }

    /// Does the session the request's cookie carried still hold now: its token not
    /// revoked or rotated, its expiry ahead? For a stream that outlives its request.
    pub(super) fn still_holds(app: &App, cookie: &str) -> bool {
        Session::verify(app, cookie, app.clock.now()).is_ok()
    }

    fn verify(app: &App, value: &str, now: OffsetDateTime) -> Result<Session, NoSession> {
        let mut parts = value.split('.');
        let (Some(id), Some(nonce), Some(expires), Some(presented), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(NoSession::Ended);
        };
        let record = app
            .tokens
            .get(id)
            .filter(|r| r.kind == TokenKind::Admin)
            .ok_or(NoSession::Ended)?;
        let expected =
            mac(&record, SESSION_LABEL, &[id, nonce, expires]).ok_or(NoSession::Ended)?;
        let presented = hex::decode(presented).map_err(|_| NoSession::Ended)?;
        if !bool::from(expected.as_slice().ct_eq(&presented)) {
            return Err(NoSession::Ended);
        }
        let expires: i64 = expires.parse().map_err(|_| NoSession::Ended)?;
        if now.unix_timestamp() >= expires {
            return Err(NoSession::Ended);
        }
        Ok(Session {
            principal: Principal::new(record),
            nonce: nonce.to_owned(),
        })
    }

    /// The cookie that carries this session until [`IDLE`] after `now`.
    pub(super) fn cookie(&self, app: &App, req: &HttpRequest) -> Cookie<'static> {
        let record = self.principal.record();
        let expires = (app.clock.now() + IDLE).unix_timestamp().to_string();
        let tag = mac(record, SESSION_LABEL, &[&record.id, &self.nonce, &expires])
            .map(hex::encode)
            .unwrap_or_default();
        let value = format!("{}.{}.{expires}.{tag}", record.id, self.nonce);
        base_cookie(app, req, value)
    }

    /// The anti-forgery token of this session's forms.
    pub(super) fn form_token(&self) -> String {
        let record = self.principal.record();
        mac(record, FORM_LABEL, &[&record.id, &self.nonce])
            .map(|m| hex::encode(&m[..16]))
            .unwrap_or_default()
    }

    /// Does `presented` match this session's anti-forgery token?
    pub(super) fn form_token_matches(&self, presented: &str) -> bool {
        let expected = self.form_token();
        !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
    }
}

/// The session cookie with `value` and its attributes: `HttpOnly`, `SameSite=Strict`,
/// path `/`, and `Secure` when this server is reached over HTTPS.
fn base_cookie(app: &App, req: &HttpRequest, value: String) -> Cookie<'static> {
    let secure = absolute_url(req, &app.settings).starts_with("https://");
    Cookie::build(COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .finish()
}

/// The cookie that ends a session in the browser.
pub(super) fn removal(app: &App, req: &HttpRequest) -> Cookie<'static> {
    let mut cookie = base_cookie(app, req, String::new());
    cookie.make_removal();
    cookie
}

/// Does the request come from a page of this server? Its `Origin` (or, when a browser
/// sent none, its `Referer`) must name this server's origin; a request naming neither
/// is refused.
pub(super) fn same_origin(app: &App, req: &HttpRequest) -> bool {
    let base = absolute_url(req, &app.settings);
    let own = origin_of(&base);
    let header = |name| {
        req.headers()
            .get(name)
            .and_then(|v: &header::HeaderValue| v.to_str().ok())
    };
    match (header(header::ORIGIN), header(header::REFERER)) {
        (Some(origin), _) => origin.trim_end_matches('/') == own,
        (None, Some(referer)) => origin_of(referer) == own,
        (None, None) => false,
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    let Some(scheme_end) = url.find("://") else {
        return url;
    };
    let rest = &url[scheme_end + 3..];
    match rest.find('/') {
        Some(slash) => &url[..scheme_end + 3 + slash],
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn the_origin_of_a_url_is_its_scheme_and_authority() {
        assert_eq!(origin_of("http://a:80/x/y"), "http://a:80");
        assert_eq!(origin_of("https://a"), "https://a");
        assert_eq!(origin_of("https://a/"), "https://a");
    }
}
