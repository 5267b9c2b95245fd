//! The Prometheus query client — the only code that knows Prometheus' HTTP API.
//!
//! It runs instant queries (`GET /api/v1/query`) against an [`Endpoint`] of the
//! settings and turns every answer into one of three things the decision logic can
//! rely on: a value, *no data* (an empty result or `NaN`), or a query error (timeout,
//! transport failure, non-2xx status, a body that is not JSON, `status: "error"`, or a
//! result of the wrong shape). No data and errors are kept apart on purpose: no data
//! holds a stage, repeated errors pause it.
//!
//! Errors end up on release timelines and in reports, which viewers read, so they say
//! what went wrong and carry nothing of the answer but Prometheus' own `error`
//! message: never a body, a header or a URL with its query. Redirects are not followed:
//! a query goes to the endpoint the operator chose, or nowhere.

use std::time::Duration;

use rollgate_core::analysis::QueryOutcome;
use serde::Deserialize;
use time::OffsetDateTime;

use super::endpoints::{Endpoint, Unavailable};
use crate::infra::outbound::chain;

/// What one query gave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Sample {
    /// A number (possibly `±inf`, e.g. a quantile in the `+Inf` bucket).
    Value(f64),
    /// An empty result or `NaN`: nothing to judge.
    NoData,
}

/// Why a query failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum QueryError {
    /// No answer within the timeout.
    #[error("Prometheus did not answer within {0:?}")]
    Timeout(Duration),
    /// The connection failed.
    #[error("cannot reach Prometheus: {0}")]
    Transport(String),
    /// Prometheus answered with `status: "error"`.
    #[error("Prometheus refused the query ({kind}): {message}")]
    Refused {
        /// `errorType`, e.g. `bad_data`.
        kind: String,
        /// `error`.
        message: String,
    },
    /// A non-2xx status without Prometheus' error body.
    #[error("Prometheus answered HTTP {status}{}", if (300..400).contains(status) { " (redirects are not followed)" } else { "" })]
    Status {
        /// HTTP status.
        status: u16,
    },
    /// Not Prometheus' JSON, or a result this client cannot judge.
    #[error("unexpected answer from Prometheus: {0}")]
    Malformed(String),
}

/// An HTTP client for Prometheus' query API.
#[derive(Clone, Debug)]
pub(crate) struct PrometheusClient {
    http: reqwest::Client,
    timeout: Duration,
}

#[derive(Deserialize)]
struct Answer {
    status: String,
    #[serde(default)]
    data: Option<Data>,
    #[serde(default, rename = "errorType")]
    error_type: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

impl PrometheusClient {
    /// What one planned query gave, as an analysis record says it: the template could
    /// not be filled (`promql` is that error), there is no Prometheus to ask (the
    /// endpoint is `Unavailable`), or what the endpoint answered for it at `at`.
    pub(crate) async fn outcome(
        &self,
        prometheus: Result<&Endpoint, &Unavailable>,
        promql: &Result<String, String>,
        at: OffsetDateTime,
    ) -> QueryOutcome {
        match (promql, prometheus) {
            (Err(message), _) => QueryOutcome::Error {
                message: message.clone(),
            },
            (Ok(_), Err(unavailable)) => QueryOutcome::Error {
                message: unavailable.to_string(),
            },
            (Ok(promql), Ok(endpoint)) => match self.query(endpoint, promql, at).await {
                Ok(Sample::Value(value)) => QueryOutcome::Value { value },
                Ok(Sample::NoData) => QueryOutcome::NoData,
                Err(error) => QueryOutcome::Error {
                    message: error.to_string(),
                },
            },
        }
    }

    /// A client whose queries give up after `timeout`.
    pub(crate) fn new(timeout: Duration) -> PrometheusClient {
        let http = reqwest::Client::builder()
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        PrometheusClient { http, timeout }
    }

    /// Runs `promql` as an instant query at `at` against `endpoint`.
    pub(crate) async fn query(
        &self,
        endpoint: &Endpoint,
        promql: &str,
        at: OffsetDateTime,
    ) -> Result<Sample, QueryError> {
        let time = format!("{}.{:03}", at.unix_timestamp(), at.millisecond());
        let request = endpoint
            .authorize(self.http.get(endpoint.query_url(promql, &time)))
            .send();
        let response = match tokio::time::timeout(self.timeout, request).await {
            Err(_) => return Err(QueryError::Timeout(self.timeout)),
            Ok(Err(error)) if error.is_timeout() => return Err(QueryError::Timeout(self.timeout)),
            Ok(Err(error)) => return Err(QueryError::Transport(chain(&error.without_url()))),
            Ok(Ok(response)) => response,
        };
        let status = response.status().as_u16();
        let body = match tokio::time::timeout(self.timeout, response.bytes()).await {
            Err(_) => return Err(QueryError::Timeout(self.timeout)),
            Ok(Err(error)) => return Err(QueryError::Transport(chain(&error.without_url()))),
            Ok(Ok(body)) => body,
        };
        interpret(status, &body)
    }
}

/// The longest Prometheus error message kept.
const MAX_MESSAGE: usize = 1000;

/// Turns an HTTP status and body from `/api/v1/query` into a sample or an error.
pub(crate) fn interpret(status: u16, body: &[u8]) -> Result<Sample, QueryError> {
    let answer: Answer = match serde_json::from_slice(body) {
        Ok(answer) => answer,
        Err(_) if !(200..300).contains(&status) => return Err(QueryError::Status { status }),
        Err(error) => {
            return Err(QueryError::Malformed(format!(
                "not Prometheus' JSON ({} bytes: {error})",
                body.len()
            )));
        }
    };
    if answer.status != "success" {
        return Err(QueryError::Refused {
            kind: bounded(answer.error_type.as_deref().unwrap_or("unknown"), 64),
            message: bounded(answer.error.as_deref().unwrap_or_default(), MAX_MESSAGE),
        });
    }
    if !(200..300).contains(&status) {
        return Err(QueryError::Status { status });
    }
    let data = answer
        .data
        .ok_or_else(|| QueryError::Malformed("`data` is missing".to_owned()))?;
    match data.result_type.as_str() {
        "scalar" => sample_value(&data.result),
        "vector" => {
            let series = data
                .result
                .as_array()
                .ok_or_else(|| QueryError::Malformed("a vector that is not a list".to_owned()))?;
            match series.as_slice() {
                [] => Ok(Sample::NoData),
                [one] => sample_value(one.get("value").unwrap_or(&serde_json::Value::Null)),
                many => Err(QueryError::Malformed(format!(
                    "the query returned {} series; a check needs one number — aggregate it, e.g. with sum(…)",
                    many.len()
                ))),
            }
        }
        other => Err(QueryError::Malformed(format!(
            "a {other} result; a check needs an instant vector or a scalar"
        ))),
    }
}

/// `[<unix time>, "<value>"]` → a sample.
fn sample_value(pair: &serde_json::Value) -> Result<Sample, QueryError> {
    let text = pair
        .as_array()
        .and_then(|pair| pair.get(1))
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| {
            QueryError::Malformed("a sample that is not [time, \"value\"]".to_owned())
        })?;
    let value = match text {
        "NaN" => return Ok(Sample::NoData),
        "+Inf" | "Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        number => number
            .parse::<f64>()
            .map_err(|_| QueryError::Malformed("a value that is not a number".to_owned()))?,
    };
    Ok(if value.is_nan() {
        Sample::NoData
    } else {
        Sample::Value(value)
    })
}

/// `text`, cut to at most `max` bytes at a character boundary.
fn bounded(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    fn vector(values: &[&str]) -> String {
        let series: Vec<String> = values
            .iter()
            .map(|v| format!(r#"{{"metric":{{}},"value":[1700000000.123,"{v}"]}}"#))
            .collect();
        format!(
            r#"{{"status":"success","data":{{"resultType":"vector","result":[{}]}}}}"#,
            series.join(",")
        )
    }

    #[test]
    fn one_series_is_a_value_and_an_empty_vector_is_no_data() {
        assert_eq!(
            interpret(200, vector(&["0.0125"]).as_bytes()),
            Ok(Sample::Value(0.0125))
        );
        assert_eq!(interpret(200, vector(&[]).as_bytes()), Ok(Sample::NoData));
    }

    #[test]
    fn nan_is_no_data_and_infinities_are_values() {
        assert_eq!(
            interpret(200, vector(&["NaN"]).as_bytes()),
            Ok(Sample::NoData)
        );
        assert_eq!(
            interpret(200, vector(&["+Inf"]).as_bytes()),
            Ok(Sample::Value(f64::INFINITY))
        );
        assert_eq!(
            interpret(200, vector(&["-Inf"]).as_bytes()),
            Ok(Sample::Value(f64::NEG_INFINITY))
        );
    }

    #[test]
    fn scalars_are_read_too() {
        let body =
            r#"{"status":"success","data":{"resultType":"scalar","result":[1700000000,"42"]}}"#;
        assert_eq!(interpret(200, body.as_bytes()), Ok(Sample::Value(42.0)));
    }

    #[test]
    fn prometheus_errors_are_query_errors_with_their_reason() {
        let body = r#"{"status":"error","errorType":"bad_data","error":"parse error at char 5"}"#;
        assert_eq!(
            interpret(400, body.as_bytes()),
            Err(QueryError::Refused {
                kind: "bad_data".into(),
                message: "parse error at char 5".into()
            })
        );
    }

    #[test]
    fn bodies_that_are_not_prometheus_json_are_query_errors_that_never_quote_them() {
        assert_eq!(
            interpret(502, b"<html>Bad Gateway SECRET</html>"),
            Err(QueryError::Status { status: 502 })
        );
        assert_eq!(
            interpret(302, b"SECRET").unwrap_err().to_string(),
            "Prometheus answered HTTP 302 (redirects are not followed)"
        );
        let Err(error) = interpret(200, b"<html>login SECRET</html>") else {
            panic!("HTML is no sample");
        };
        assert!(matches!(error, QueryError::Malformed(_)));
        assert!(!error.to_string().contains("SECRET"), "{error}");
        let Err(error) = interpret(200, vector(&["SECRET"]).as_bytes()) else {
            panic!("not a number");
        };
        assert!(!error.to_string().contains("SECRET"), "{error}");
        assert!(matches!(
            interpret(200, br#"{"status":"success"}"#),
            Err(QueryError::Malformed(_))
        ));
        assert!(matches!(
            interpret(200, vector(&["abc"]).as_bytes()),
            Err(QueryError::Malformed(_))
        ));
        let matrix = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        assert!(matches!(
            interpret(200, matrix.as_bytes()),
            Err(QueryError::Malformed(_))
        ));
    }

    #[test]
    fn several_series_are_refused_with_advice() {
        let Err(QueryError::Malformed(message)) = interpret(200, vector(&["1", "2"]).as_bytes())
        else {
            panic!("two series must be refused");
        };
        assert!(message.contains("sum("), "{message}");
    }

    #[tokio::test]
    async fn an_unanswered_query_times_out_and_a_closed_port_is_a_transport_error() {
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = silent.local_addr().unwrap();
        let client = PrometheusClient::new(Duration::from_millis(200));
        let at = OffsetDateTime::UNIX_EPOCH;
        let endpoint = crate::infra::promql::endpoints::endpoint(
            "test".to_owned(),
            &format!("http://{address}"),
            &Default::default(),
        )
        .unwrap();
        // The listener accepts (the kernel backlog does) but never answers.
        assert_eq!(
            client.query(&endpoint, "up", at).await,
            Err(QueryError::Timeout(Duration::from_millis(200)))
        );
        drop(silent);
        let closed = client.query(&endpoint, "up", at).await;
        assert!(
            matches!(
                closed,
                Err(QueryError::Transport(_)) | Err(QueryError::Timeout(_))
            ),
            "{closed:?}"
        );
    }
}
