//! The dashboard in a real browser: headless Chromium driven over WebDriver signs in,
//! reads and clicks as release managers do, while the tests check what the server and
//! OFREP say after each step. Every page is also checked for console errors, for
//! script payloads staying text, and photographed at 1280 and 375 px.

mod catalog;
mod charts;
mod forgery;
mod live;
mod pages;
mod plan_form;
mod release_by_clicks;
mod sessions;
mod support;
