//! Browsers and the other OpenFeature SDKs: CORS on the evaluation routes, frontend
//! keys (OFREP only, public by nature), and the real JavaScript clients — the server
//! SDK in Node and the web SDK in headless Chromium, on a page served from another
//! origin.

mod cors;
mod frontend;
mod openfeature_node;
mod openfeature_web;
mod page;
