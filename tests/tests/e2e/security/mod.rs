//! Security: what an attacker with a stolen token, an SDK key taken from a browser app
//! or a plain network connection tries, and what the server does about it — no request
//! to an address the operator did not allow, no trust in forgeable headers, no
//! connection held open by a slow client, nothing stored that breaks a page for good,
//! no guessing at tokens at full speed.

mod auth;
mod connections;
mod if_match;
mod keys;
mod ofrep_context;
mod openapi;
mod prometheus;
mod public_url;
mod streams;
mod support;
mod text;
mod webhooks;
