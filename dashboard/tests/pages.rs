//! The pages as HTML: every person-written text is escaped wherever it lands, and a
//! page of the demo's data stays small.

#![allow(clippy::unwrap_used, reason = "tests")]

mod common;

use rollgate_dashboard::render;

const PAYLOAD: &str = r#"<script>alert(1)</script><img src=x onerror="alert(1)">"#;

fn pages() -> Vec<(&'static str, String)> {
    vec![
        ("overview", render(&common::overview(PAYLOAD)).unwrap()),
        ("release", render(&common::release_page(PAYLOAD)).unwrap()),
        (
            "flags",
            render(&common::flag_list(10_000, PAYLOAD)).unwrap(),
        ),
        ("flag", render(&common::flag_page(PAYLOAD)).unwrap()),
        ("segments", render(&common::segment_list(PAYLOAD)).unwrap()),
        (
            "environments",
            render(&common::environment_list(PAYLOAD)).unwrap(),
        ),
        ("webhook", render(&common::webhook_page(PAYLOAD)).unwrap()),
        ("audit", render(&common::audit_log(PAYLOAD)).unwrap()),
    ]
}

#[test]
fn person_written_text_is_escaped_everywhere() {
    for (name, html) in pages() {
        assert!(
            !html.contains("<script>alert"),
            "{name}: a script tag got through"
        );
        assert!(
            !html.contains("<img src=x"),
            "{name}: an element got through"
        );
        assert!(
            html.contains("&#60;script&#62;alert(1)"),
            "{name}: the payload shows as text"
        );
        assert!(
            !html.contains(" style="),
            "{name}: no inline style (the policy forbids it)"
        );
        assert!(!html.contains("<script>"), "{name}: no inline script");
    }
}

#[test]
fn a_page_of_demo_data_weighs_under_100_kb() {
    for (name, html) in pages() {
        assert!(html.len() < 100_000, "{name}: {} bytes", html.len());
        assert!(html.starts_with("<!DOCTYPE html>"), "{name}");
    }
}
