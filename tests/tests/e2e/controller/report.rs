//! The validation report of a controller release, as the server sends it: fetched
//! raw (the exact bytes, to compare two fetches) in JSON, Markdown or HTML; and the
//! checks every ended controller release's report must pass (stored once, each format
//! by `?format=` and by `Accept`, stages with their times, real values per arm).

use reqwest::{Method, StatusCode};
use rollgate_e2e::ADMIN_TOKEN;
use serde_json::Value;

use super::support::{Stack, events};

/// A report as sent.
pub struct Fetched {
    /// Its `Content-Type`.
    pub content_type: String,
    /// Its `ETag`, if any.
    pub etag: Option<String>,
    /// The body, byte for byte.
    pub text: String,
}

impl Fetched {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("{e}: {}", self.text))
    }
}

impl Stack {
    /// `GET /api/v1/releases/{id}/report` with `query` (e.g. `?format=md`) and `Accept`
    /// (if any); it must answer 200.
    pub async fn report(&self, id: &str, query: &str, accept: Option<&str>) -> Fetched {
        let mut request = self.server.request(
            Method::GET,
            &format!("/api/v1/releases/{id}/report{query}"),
            Some(ADMIN_TOKEN),
        );
        if let Some(accept) = accept {
            request = request.header("Accept", accept);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header("content-type").unwrap_or_default();
        let etag = header("etag");
        let text = response.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "report of {id}: {text}");
        Fetched {
            content_type,
            etag,
            text,
        }
    }
}

/// The report of ended release `id` (as JSON): final, stored once (two fetches give the
/// same bytes and `ETag: "1"`), the same document by `?format=json`, and served as
/// Markdown and HTML by `?format=` and by `Accept`. `release` is the release as the API
/// gives it after its end.
pub async fn final_report(stack: &Stack, id: &str, release: &Value) -> Value {
    let first = stack.report(id, "", None).await;
    let second = stack.report(id, "?format=json", None).await;
    assert_eq!(first.text, second.text, "stored once: the same bytes");
    assert!(first.content_type.starts_with("application/json"));
    assert_eq!(
        first.etag.as_deref(),
        Some("\"1\""),
        "stored, never rewritten"
    );
    let report = first.json();
    assert_eq!(report["final"], true, "{report}");
    assert_eq!(report["outcome"], release["state"]);
    assert_eq!(report["release"]["id"], id);
    for (query, accept, mime, title) in [
        (
            "?format=md",
            None,
            "text/markdown",
            "# Validation report: Checkout v2 2.4.0",
        ),
        (
            "",
            Some("text/markdown"),
            "text/markdown",
            "# Validation report: Checkout v2 2.4.0",
        ),
        (
            "?format=html",
            None,
            "text/html",
            "<h1>Validation report: Checkout v2 2.4.0</h1>",
        ),
        (
            "",
            Some("text/html"),
            "text/html",
            "<h1>Validation report: Checkout v2 2.4.0</h1>",
        ),
    ] {
        let page = stack.report(id, query, accept).await;
        assert!(
            page.content_type.starts_with(mime),
            "{query} {accept:?}: {}",
            page.content_type
        );
        assert!(
            page.text.contains(title),
            "{query} {accept:?}: {}",
            page.text
        );
        assert!(!page.text.contains("Interim report"), "a final report");
    }
    // Every analysis record on the timeline reached the report.
    let records = events(release)
        .iter()
        .filter(|e| e["analysis"].is_object())
        .count();
    assert!(records > 0);
    assert_eq!(report["analysis_records"], records, "every record read");
    report
}

/// The report's stages: the reached ones (`reached` of them) opened and closed in turn —
/// each opening when the one before it closed — at their planned percentage; the rest
/// never reached. Returns the reached stages.
pub fn reached_stages(report: &Value, planned: &[f64], reached: usize) -> Vec<Value> {
    let stages = report["stages"].as_array().unwrap();
    assert_eq!(stages.len(), planned.len());
    let mut previous_close: Option<&Value> = None;
    for (index, (stage, percent)) in stages.iter().zip(planned).enumerate() {
        assert_eq!(stage["index"], index);
        assert_eq!(stage["planned_percent"].as_f64(), Some(*percent), "{stage}");
        if index < reached {
            assert!(stage["opened_at"].is_string(), "{stage}");
            assert!(stage["closed_at"].is_string(), "{stage}");
            assert!(
                stage["opened_at"].as_str() < stage["closed_at"].as_str(),
                "{stage}"
            );
            if let Some(close) = previous_close {
                assert_eq!(
                    &stage["opened_at"], close,
                    "opens when the one before closes"
                );
            } else {
                assert_eq!(stage["opened_at"], report["dates"]["started_at"]);
            }
            assert_eq!(stage["percentages"][0].as_f64(), Some(*percent), "{stage}");
            assert!(stage["analyses"].as_u64().unwrap() >= 1, "{stage}");
            previous_close = Some(&stage["closed_at"]);
        } else {
            assert_eq!(stage["end"], "not_reached", "{stage}");
            assert!(stage["opened_at"].is_null() && stage["closed_at"].is_null());
        }
    }
    assert_eq!(previous_close, Some(&report["dates"]["ended_at"]));
    stages[..reached].to_vec()
}

/// The summary of check `name` in `stage`.
pub fn check<'a>(stage: &'a Value, name: &str) -> &'a Value {
    stage["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check {name} in {stage}"))
}

/// A spread (`min`, `max`, `last`) of real numbers.
pub fn assert_spread(spread: &Value) {
    for field in ["min", "max", "last"] {
        assert!(
            spread[field].as_f64().is_some_and(f64::is_finite),
            "{spread}"
        );
    }
    assert!(spread["min"].as_f64() <= spread["max"].as_f64(), "{spread}");
}

/// The health series of check `name`: each point with data has real numbers for the
/// treatment (and the control, when `with_control` holds for its stage).
pub fn health<'a>(report: &'a Value, name: &str) -> &'a [Value] {
    let series = report["health"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["check"] == name)
        .unwrap_or_else(|| panic!("no health series {name}"));
    let points = series["points"].as_array().unwrap();
    for point in points {
        if ["pass", "breach", "regression"].contains(&point["verdict"].as_str().unwrap()) {
            assert!(
                point["treatment"].as_f64().is_some_and(f64::is_finite),
                "{point}"
            );
        }
    }
    points
}

/// The report's issues of `kind`.
pub fn issues<'a>(report: &'a Value, kind: &str) -> Vec<&'a Value> {
    report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == kind)
        .collect()
}

/// The actions of `issue`, as `(by, action)`.
pub fn actions(issue: &Value) -> Vec<(&str, &str)> {
    issue["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["by"].as_str().unwrap(), a["action"].as_str().unwrap()))
        .collect()
}
