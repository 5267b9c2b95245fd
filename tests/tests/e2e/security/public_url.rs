//! Absolute URLs the server hands out — the OFREP `eventStreams` URL, which carries the
//! stream credential, and the Atom feed's `self` link — come from `public_url`, else
//! from a trusted proxy's `Forwarded`/`X-Forwarded-*`, else from the address the
//! connection reached; a `Host` is used only when it names this server. A client's
//! forged headers never send its credential elsewhere.

use reqwest::{Method, StatusCode};
use rollgate_e2e::{Options, Server};
use serde_json::Value;

use super::support::setting;

/// The headers an attacker (or a misconfigured client) sends.
const FORGED: [(&str, &str); 4] = [
    ("X-Forwarded-Host", "evil.example"),
    ("X-Forwarded-Proto", "https"),
    ("Forwarded", "for=203.0.113.9;host=evil.example;proto=https"),
    ("X-Forwarded-Port", "4443"),
];

/// The `eventStreams` URL of a bulk evaluation sent with `headers`.
async fn event_stream_url(server: &Server, sdk: &str, headers: &[(&str, &str)]) -> String {
    let mut request = server
        .request(Method::POST, "/ofrep/v1/evaluate/flags", Some(sdk))
        .header("Content-Type", "application/json")
        .body(r#"{"context":{"targetingKey":"user-1"}}"#);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let reply = server.call(request).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    reply.body["eventStreams"][0]["url"]
        .as_str()
        .unwrap_or_else(|| panic!("no eventStreams: {}", reply.body))
        .to_owned()
}

/// The `self` link of the Atom feed fetched with `headers`.
async fn feed_self(server: &Server, headers: &[(&str, &str)]) -> String {
    let mut request = server.request(Method::GET, "/changelog.atom", None);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let reply = server.call(request).await;
    assert_eq!(reply.status, StatusCode::OK);
    let Value::String(text) = reply.body else {
        panic!("not XML: {:?}", reply.body)
    };
    let start = text.find("rel=\"self\" href=\"").unwrap() + "rel=\"self\" href=\"".len();
    text[start..].split('"').next().unwrap().to_owned()
}

fn port(server: &Server) -> &str {
    server.url.rsplit(':').next().unwrap()
}

#[tokio::test]
async fn forged_forwarding_headers_and_foreign_hosts_are_ignored() {
    let server = Server::start().await;
    let sdk = server.sdk_key("production").await;
    let own = format!("http://127.0.0.1:{}/", port(&server));
    let mut forged: Vec<(&str, &str)> = FORGED.to_vec();
    let url = event_stream_url(&server, &sdk, &forged).await;
    assert!(
        url.starts_with(&format!("{own}ofrep/v1/event-stream?token=")),
        "{url}"
    );
    assert!(
        feed_self(&server, &forged)
            .await
            .starts_with(&format!("{own}changelog.atom"))
    );
    forged.push(("Host", "evil.example"));
    let url = event_stream_url(&server, &sdk, &forged).await;
    assert!(url.starts_with(&own), "a foreign Host is not used: {url}");
    assert!(!feed_self(&server, &forged).await.contains("evil"));
    // A Host that names this server is kept.
    let host = format!("localhost:{}", port(&server));
    let url = event_stream_url(&server, &sdk, &[("Host", &host)]).await;
    assert!(url.starts_with(&format!("http://{host}/ofrep/")), "{url}");
}

#[tokio::test]
async fn the_public_url_is_used_for_every_absolute_url() {
    let server = Server::start_with(Options {
        env: vec![setting(
            "ROLLGATE_PUBLIC_URL",
            "https://flags.example.com/rollgate",
        )],
        ..Options::default()
    })
    .await;
    let sdk = server.sdk_key("production").await;
    let url = event_stream_url(&server, &sdk, &FORGED).await;
    assert!(
        url.starts_with("https://flags.example.com/rollgate/ofrep/v1/event-stream?token="),
        "{url}"
    );
    assert_eq!(
        feed_self(&server, &FORGED).await,
        "https://flags.example.com/rollgate/changelog.atom"
    );
    // The URL works behind the prefix a proxy strips: the token authenticates the stream.
    let token = url.split("token=").nth(1).unwrap();
    let stream = server
        .request(
            Method::GET,
            &format!("/ofrep/v1/event-stream?token={token}"),
            None,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
}

#[tokio::test]
async fn forwarding_headers_are_honoured_from_trusted_proxies_only() {
    let server = Server::start_with(Options {
        env: vec![setting(
            "ROLLGATE_TRUSTED_PROXIES",
            "10.0.0.0/8,127.0.0.1/32",
        )],
        ..Options::default()
    })
    .await;
    let sdk = server.sdk_key("production").await;
    let url = event_stream_url(
        &server,
        &sdk,
        &[
            ("X-Forwarded-Host", "flags.example.com"),
            ("X-Forwarded-Proto", "https"),
        ],
    )
    .await;
    assert!(
        url.starts_with("https://flags.example.com/ofrep/v1/event-stream?token="),
        "{url}"
    );
    let url = event_stream_url(
        &server,
        &sdk,
        &[(
            "Forwarded",
            "for=203.0.113.9;host=proxy.example.org;proto=https",
        )],
    )
    .await;
    assert!(url.starts_with("https://proxy.example.org/ofrep/"), "{url}");
    assert_eq!(
        feed_self(
            &server,
            &[
                ("X-Forwarded-Host", "flags.example.com"),
                ("X-Forwarded-Proto", "https")
            ]
        )
        .await,
        "https://flags.example.com/changelog.atom"
    );

    // The same headers from a peer outside `trusted_proxies` are ignored.
    let untrusted = Server::start_with(Options {
        env: vec![setting("ROLLGATE_TRUSTED_PROXIES", "10.0.0.0/8")],
        ..Options::default()
    })
    .await;
    let sdk = untrusted.sdk_key("production").await;
    let url = event_stream_url(&untrusted, &sdk, &FORGED).await;
    assert!(
        url.starts_with(&format!("http://127.0.0.1:{}/", port(&untrusted))),
        "{url}"
    );
}
