//! The command line's HTTP client for the admin API: bearer token, JSON in and out,
//! and problem documents turned into readable errors. Answers are read into the very
//! types the server writes ([`Answer::read`]); `--json` prints the body as it came.

use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::CliError;

/// Talks to one server with one token.
pub(crate) struct Client {
    http: reqwest::Client,
    url: String,
    token: String,
}

/// A successful answer: the JSON body and the `ETag`, if any.
pub(crate) struct Answer {
    /// The body (`Null` when empty).
    pub body: Value,
    /// The `ETag` header.
    pub etag: Option<String>,
}

impl Answer {
    /// The body read as `T`, the type the server wrote it from.
    pub(crate) fn read<T: DeserializeOwned>(&self) -> Result<T, CliError> {
        T::deserialize(&self.body).map_err(|e| CliError::Answer(e.to_string()))
    }
}

impl Client {
    /// A client for the server at `url` (e.g. `http://127.0.0.1:8070`).
    pub(crate) fn new(url: &str, token: &str) -> Result<Client, CliError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("rollgate-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CliError::Usage(format!("cannot build an HTTP client: {e}")))?;
        Ok(Client {
            http,
            url: url.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        })
    }

    /// `GET path`.
    pub(crate) async fn get(&self, path: &str) -> Result<Answer, CliError> {
        self.send(Method::GET, path, None::<&Value>, None).await
    }

    /// `POST path` with a JSON body.
    pub(crate) async fn post(&self, path: &str, body: &impl Serialize) -> Result<Answer, CliError> {
        self.send(Method::POST, path, Some(body), None).await
    }

    /// `POST path` with a JSON document sent byte for byte as the file holds it (so
    /// that the server, not this client, judges it: duplicate keys, its size).
    pub(crate) async fn post_text(&self, path: &str, text: String) -> Result<Answer, CliError> {
        let request = self
            .http
            .post(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .header("Content-Type", "application/json")
            .body(text);
        self.answer(request).await
    }

    /// `PUT path` with a JSON body and `If-Match`.
    pub(crate) async fn put(
        &self,
        path: &str,
        body: &impl Serialize,
        etag: &str,
    ) -> Result<Answer, CliError> {
        self.send(Method::PUT, path, Some(body), Some(etag)).await
    }

    /// `GET path`, the body as it came (Markdown, HTML, JSON bytes as stored).
    pub(crate) async fn get_raw(&self, path: &str) -> Result<Vec<u8>, CliError> {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| self.unreachable(e))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| CliError::Connection(format!("the answer was cut short: {e}")))?;
        if status.is_success() {
            return Ok(body.to_vec());
        }
        let problem_body = serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
        Err(problem(status, &problem_body))
    }

    fn unreachable(&self, error: reqwest::Error) -> CliError {
        CliError::Connection(format!("cannot reach the server at {}: {error}", self.url))
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&impl Serialize>,
        if_match: Option<&str>,
    ) -> Result<Answer, CliError> {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(etag) = if_match {
            request = request.header("If-Match", etag);
        }
        self.answer(request).await
    }

    /// Sends `request` and reads its answer: the JSON body, or the problem.
    async fn answer(&self, request: reqwest::RequestBuilder) -> Result<Answer, CliError> {
        let response = request.send().await.map_err(|e| self.unreachable(e))?;
        let status = response.status();
        let etag = response
            .headers()
            .get("ETag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response
            .text()
            .await
            .map_err(|e| CliError::Connection(format!("the answer was cut short: {e}")))?;
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        if status.is_success() {
            Ok(Answer { body, etag })
        } else {
            Err(problem(status, &body))
        }
    }
}

fn problem(status: StatusCode, body: &Value) -> CliError {
    let detail = body["detail"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| body.to_string());
    let notes: Vec<String> = body["warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|w| {
            format!(
                "{}: {}",
                w["code"].as_str().unwrap_or_default(),
                w["message"].as_str().unwrap_or_default()
            )
        })
        .collect();
    // The warnings are listed one per line below; the detail would list them again.
    let detail = if notes.is_empty() {
        detail
    } else {
        "the start needs each warning acknowledged by its code".to_owned()
    };
    CliError::Server {
        status: status.as_u16(),
        detail,
        field: body["field"].as_str().map(str::to_owned),
        notes,
    }
}
