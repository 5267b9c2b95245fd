//! A stand-in for Prometheus' query API (`GET /api/v1/query`) on a free local port:
//! it answers each query with the value a test chooses for it and remembers every
//! query it was sent (PromQL and evaluation time), so a test can check both what
//! Rollgate asked and what it made of the answers.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the stub answers for one PromQL query: `Some(value)`, or `None` for an empty
/// result (no data).
pub type Answer = Arc<dyn Fn(&str) -> Option<f64> + Send + Sync>;

/// One query received.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The PromQL.
    pub promql: String,
    /// The `time` parameter (Unix seconds).
    pub time: String,
}

/// A running stub.
pub struct PrometheusStub {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    queries: Arc<Mutex<Vec<Query>>>,
    answer: Arc<Mutex<Answer>>,
    task: tokio::task::JoinHandle<()>,
}

impl PrometheusStub {
    /// Starts a stub answering with `answer`.
    pub async fn start(answer: Answer) -> PrometheusStub {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let queries = Arc::new(Mutex::new(Vec::new()));
        let answer = Arc::new(Mutex::new(answer));
        let (seen, answers) = (Arc::clone(&queries), Arc::clone(&answer));
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let (seen, answers) = (Arc::clone(&seen), Arc::clone(&answers));
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 4096];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&request).into_owned();
                    let target = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
                    let query = parse(&target);
                    let value = (answers.lock().unwrap())(&query.promql);
                    seen.lock().unwrap().push(query);
                    let result = match value {
                        Some(v) => format!(r#"[{{"metric":{{}},"value":[1,"{v}"]}}]"#),
                        None => "[]".to_owned(),
                    };
                    let body = format!(
                        r#"{{"status":"success","data":{{"resultType":"vector","result":{result}}}}}"#
                    );
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        PrometheusStub {
            url,
            queries,
            answer,
            task,
        }
    }

    /// Every query received so far, in order.
    pub fn queries(&self) -> Vec<Query> {
        self.queries.lock().unwrap().clone()
    }

    /// Answers differently from now on.
    pub fn answer_with(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }
}

impl Drop for PrometheusStub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `/api/v1/query?query=…&time=…` → the query.
fn parse(target: &str) -> Query {
    let mut query = Query {
        promql: String::new(),
        time: String::new(),
    };
    let parameters = target.split_once('?').map_or("", |(_, q)| q);
    for pair in parameters.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value = decode(value);
        match name {
            "query" => query.promql = value,
            "time" => query.time = value,
            _ => {}
        }
    }
    query
}

/// Percent-decoding of a query parameter (`+` is a space).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' if index + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        out.push(byte);
                        index += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
