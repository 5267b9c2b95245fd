//! A stand-in for Prometheus that the test holds back: it answers every query with a
//! healthy number, but only while its gate is open, so a test can act while the
//! controller waits for an answer.

use std::time::Duration;

use rollgate_e2e::wait;

/// A stand-in for Prometheus that answers every query with a healthy number — but only
/// while the test holds its gate open, so a test can act while the controller waits for
/// it (and let the preflight of submit and start through first).
pub struct GatedPrometheus {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    gate: tokio::sync::watch::Sender<bool>,
    asked: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl GatedPrometheus {
    /// Starts it with the gate closed.
    pub async fn start() -> GatedPrometheus {
        use std::sync::atomic::Ordering;
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (gate, _) = tokio::sync::watch::channel(false);
        let asked = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (opened, counter) = (gate.subscribe(), std::sync::Arc::clone(&asked));
        tokio::spawn(async move {
            loop {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let (mut opened, counter) = (opened.clone(), std::sync::Arc::clone(&counter));
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 4096];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                    }
                    counter.fetch_add(1, Ordering::SeqCst);
                    let _ = opened.wait_for(|open| *open).await;
                    let line = String::from_utf8_lossy(&request);
                    let line = line.lines().next().unwrap_or_default();
                    // Healthy numbers: 1000 requests per arm, 2 of them errors, a 100 ms
                    // p99, exposures at the split's 30 %.
                    let value = if line.contains("histogram_quantile") {
                        "0.1"
                    } else if line.contains("rollgate_evaluations_total") {
                        if line.contains("%22on%22") {
                            "300"
                        } else {
                            "700"
                        }
                    } else if line.contains("5..") {
                        "2"
                    } else {
                        "1000"
                    };
                    let body = format!(
                        r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{}},"value":[1,"{value}"]}}]}}}}"#
                    );
                    let response = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                });
            }
        });
        GatedPrometheus { url, gate, asked }
    }

    /// Waits until at least `count` queries have arrived (answered or held).
    pub async fn until_asked(&self, count: usize) {
        wait::until(Duration::from_secs(30), "the controller to ask", || async {
            let asked = self.asked.load(std::sync::atomic::Ordering::SeqCst);
            wait::holds(asked >= count, || format!("{asked} queries"))
        })
        .await;
    }

    /// Lets every held and future query through.
    pub fn open(&self) {
        self.gate.send_replace(true);
    }

    /// Holds every future query again, and counts afresh.
    pub fn close(&self) {
        self.gate.send_replace(false);
        self.asked.store(0, std::sync::atomic::Ordering::SeqCst);
    }
}
