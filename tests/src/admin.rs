//! Shortcuts for the admin API used across the e2e tests: reading documents, the head
//! of the audit log, a snapshot of everything stored, and assertions on replies and
//! problem documents.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{Reply, Server};

/// The `type` every problem document starts with.
pub const PROBLEM_BASE: &str = "https://rollgate.dev/problems/";

impl Server {
    /// `GET path` as the bootstrap admin; panics unless `200`.
    pub async fn read(&self, path: &str) -> Value {
        let reply = self.admin(Method::GET, path, None).await;
        reply.expect(StatusCode::OK);
        reply.body
    }

    /// `PUT path` creating a document (no `If-Match`); panics unless `201`.
    pub async fn create(&self, path: &str, body: Value) -> Value {
        let reply = self.admin(Method::PUT, path, Some(body)).await;
        reply.expect(StatusCode::CREATED);
        reply.body
    }

    /// A write as the bootstrap admin with an `If-Match` header.
    pub async fn admin_if_match(
        &self,
        method: Method,
        path: &str,
        if_match: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self
            .request(method, path, Some(crate::ADMIN_TOKEN))
            .header("If-Match", if_match);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.call(request).await
    }

    /// The `key` of every document of a list (`/api/v1/flags`, …), in order.
    pub async fn keys(&self, path: &str) -> Vec<String> {
        self.read(path)
            .await
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["key"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The variant names of flag `key`, in the order the server writes them.
    pub async fn variant_order(&self, key: &str) -> Vec<String> {
        let response = self
            .request(
                Method::GET,
                &format!("/api/v1/flags/{key}"),
                Some(crate::ADMIN_TOKEN),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        variant_names(&response.text().await.unwrap())
    }

    /// One page of the audit log (`query` without the `?`).
    pub async fn audit(&self, query: &str) -> Vec<Value> {
        let path = if query.is_empty() {
            "/api/v1/audit".to_owned()
        } else {
            format!("/api/v1/audit?{query}")
        };
        self.read(&path).await.as_array().unwrap().clone()
    }

    /// The revision of the newest audit event (0 when there is none).
    pub async fn audit_head(&self) -> u64 {
        self.audit("limit=1")
            .await
            .first()
            .map_or(0, |e| e["revision"].as_u64().unwrap())
    }

    /// Everything the admin API can list, with the audit head: two snapshots are equal
    /// exactly when nothing was written in between.
    pub async fn stored_state(&self) -> Value {
        json!({
            "flags": self.read("/api/v1/flags").await,
            "segments": self.read("/api/v1/segments").await,
            "environments": self.read("/api/v1/environments").await,
            "tokens": self.read("/api/v1/tokens").await,
            "audit_head": self.audit_head().await,
        })
    }
}

impl Reply {
    /// Panics unless the status is `status`, showing the body.
    #[track_caller]
    pub fn expect(&self, status: StatusCode) -> &Reply {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        self
    }

    /// The `ETag` header.
    pub fn etag(&self) -> Option<&str> {
        self.header("etag")
    }

    /// Panics unless this is a problem document (`application/problem+json`) with
    /// `status`, naming `field` (`None`: no field), whose `detail` contains `fragment`.
    #[track_caller]
    pub fn expect_problem(&self, status: StatusCode, field: Option<&str>, fragment: &str) {
        self.expect(status);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "problems are application/problem+json: {}",
            self.body
        );
        let kind = self.body["type"].as_str().unwrap_or_default();
        assert!(kind.starts_with(PROBLEM_BASE), "problem type {kind:?}");
        assert_eq!(self.body["status"], json!(status.as_u16()), "{}", self.body);
        assert!(
            self.body["title"].as_str().is_some_and(|t| !t.is_empty()),
            "{}",
            self.body
        );
        assert_eq!(
            self.body["field"].as_str(),
            field,
            "problem field; body: {}",
            self.body
        );
        let detail = self.body["detail"].as_str().unwrap_or_default();
        assert!(
            detail.contains(fragment),
            "detail {detail:?} should contain {fragment:?}"
        );
    }

    /// The `field` of each entry of a problem's `errors` (none when it has no list).
    pub fn error_fields(&self) -> Vec<&str> {
        self.body["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["field"].as_str())
            .collect()
    }

    /// The problem's `type` with the common base cut off (e.g. `malformed-json`).
    pub fn problem_type(&self) -> &str {
        self.body["type"]
            .as_str()
            .unwrap_or_default()
            .trim_start_matches(PROBLEM_BASE)
    }
}

/// The variant names of a flag document's text, in the order written (a JSON value
/// would not keep it).
pub fn variant_names(text: &str) -> Vec<String> {
    let fields: indexmap::IndexMap<String, Box<serde_json::value::RawValue>> =
        serde_json::from_str(text).unwrap();
    let variants: indexmap::IndexMap<String, Value> =
        serde_json::from_str(fields["variants"].get()).unwrap();
    variants.into_keys().collect()
}
