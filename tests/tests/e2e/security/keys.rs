//! Keys made only of dots (`.`, `..`, `...`) are refused: HTTP clients, our own CLI
//! included, remove `.` and `..` from paths, so such a document could never be read,
//! changed or deleted again.

use reqwest::{Method, StatusCode};
use rollgate_e2e::{ADMIN_TOKEN, Server};
use serde_json::json;
use tokio::io::AsyncWriteExt;

use super::support::{answer_within, connect, status_of};

#[tokio::test]
async fn keys_made_of_dots_are_refused_for_every_kind() {
    let server = Server::start().await;
    for key in ["...", "...."] {
        for (path, body) in [
            (
                format!("/api/v1/flags/{key}"),
                json!({ "variants": { "on": true } }),
            ),
            (format!("/api/v1/segments/{key}"), json!({ "rules": [] })),
            (format!("/api/v1/environments/{key}"), json!({})),
        ] {
            let reply = server.admin(Method::PUT, &path, Some(body)).await;
            assert_eq!(
                reply.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{path}: {:?}",
                reply.body
            );
            assert_eq!(reply.body["field"], "key", "{path}: {:?}", reply.body);
        }
    }
    // `.` and `..` as the client sent them, byte for byte.
    for key in [".", "..", "%2e%2e", ".%2E"] {
        let mut stream = connect(&server).await;
        let body = r#"{"variants":{"on":true}}"#;
        let request = format!(
            "PUT /api/v1/flags/{key} HTTP/1.1\r\nHost: rollgate\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let answer = answer_within(&mut stream, std::time::Duration::from_secs(5))
            .await
            .unwrap();
        let status = status_of(&answer);
        assert_eq!(status, 422, "PUT /api/v1/flags/{key} → {answer}");
    }
    let flags = server.admin(Method::GET, "/api/v1/flags", None).await;
    assert_eq!(flags.body, json!([]), "nothing was written");
}
