//! OFREP contexts are read as strictly as admin documents: a context naming an
//! attribute twice, or a body that is not a JSON object, is `400 INVALID_CONTEXT`.

use rollgate_e2e::Server;
use rollgate_e2e::ofrep::post;

#[tokio::test]
async fn duplicate_attributes_and_bodies_that_are_not_objects_are_invalid_contexts() {
    let server = Server::start().await;
    let sdk = server.sdk_key("production").await;
    for path in [
        "/ofrep/v1/evaluate/flags",
        "/ofrep/v1/evaluate/flags/new-checkout",
    ] {
        for body in [
            r#"{"context":{"targetingKey":"user-1","targetingKey":"admin"}}"#,
            r#"{"context":{"plan":"free","country":"NL","plan":"pro"}}"#,
            "[]",
            r#"[{"targetingKey":"user-1"}]"#,
            r#""user-1""#,
            "42",
            "true",
            "null",
        ] {
            let reply = post(&server, path, Some(&sdk), Some(body)).await;
            assert_eq!(reply.status.as_u16(), 400, "{path} {body}: {}", reply.text);
            let json = reply.json();
            assert_eq!(
                json["errorCode"], "INVALID_CONTEXT",
                "{path} {body}: {json}"
            );
            assert!(!json["errorDetails"].as_str().unwrap().is_empty());
        }
    }
}
