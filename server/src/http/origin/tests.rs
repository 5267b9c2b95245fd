//! The client address and the absolute URL, for every way headers can lie.

#![allow(clippy::unwrap_used, reason = "tests")]

use actix_web::test::TestRequest;

use super::*;

fn settings(public_url: Option<&str>, trusted: &[&str]) -> Settings {
    Settings {
        public_url: public_url.map(|u| url::Url::parse(u).unwrap()),
        trusted_proxies: trusted.iter().map(|n| n.parse().unwrap()).collect(),
        ..Settings::default()
    }
}

fn request(peer: &str, headers: &[(&str, &str)]) -> HttpRequest {
    let mut request = TestRequest::default().peer_addr(peer.parse().unwrap());
    for (name, value) in headers {
        request = request.insert_header((*name, *value));
    }
    request.to_http_request()
}

const FORGED: [(&str, &str); 4] = [
    ("host", "evil.example"),
    ("x-forwarded-host", "evil.example"),
    ("x-forwarded-proto", "https"),
    (
        "forwarded",
        "for=198.51.100.7;host=evil.example;proto=https",
    ),
];

#[test]
fn without_trusted_proxies_only_the_peer_and_the_reached_address_count() {
    let settings = settings(None, &[]);
    let req = request("203.0.113.9:5555", &FORGED);
    assert_eq!(
        client_address(&req, &settings.trusted_proxies),
        "203.0.113.9".parse::<IpAddr>().unwrap()
    );
    assert_eq!(absolute_url(&req, &settings), "http://127.0.0.1:8070");
}

#[test]
fn a_host_that_names_this_server_is_kept() {
    let settings = settings(None, &[]);
    for host in ["127.0.0.1:8070", "localhost:8070", "LOCALHOST:8070"] {
        let req = request("127.0.0.1:5555", &[("host", host)]);
        assert_eq!(absolute_url(&req, &settings), format!("http://{host}"));
    }
    for host in [
        "127.0.0.1:9999",
        "localhost",
        "10.0.0.1:8070",
        "a@127.0.0.1:8070",
        "x/y",
    ] {
        let req = request("127.0.0.1:5555", &[("host", host)]);
        assert_eq!(
            absolute_url(&req, &settings),
            "http://127.0.0.1:8070",
            "{host}"
        );
    }
}

#[test]
fn the_public_url_wins_over_everything() {
    let settings = settings(Some("https://flags.example.com/rollgate/"), &["0.0.0.0/0"]);
    let req = request("127.0.0.1:5555", &FORGED);
    assert_eq!(
        absolute_url(&req, &settings),
        "https://flags.example.com/rollgate"
    );
}

#[test]
fn a_trusted_proxy_says_where_the_client_went_and_who_it_is() {
    let settings = settings(None, &["10.0.0.0/8"]);
    let req = request(
        "10.1.2.3:5555",
        &[
            ("x-forwarded-for", "198.51.100.7, 203.0.113.1, 10.9.9.9"),
            ("x-forwarded-host", "flags.example.com"),
            ("x-forwarded-proto", "https"),
        ],
    );
    assert_eq!(
        client_address(&req, &settings.trusted_proxies),
        "203.0.113.1".parse::<IpAddr>().unwrap(),
        "the nearest address that is not a trusted proxy"
    );
    assert_eq!(absolute_url(&req, &settings), "https://flags.example.com");
    let req = request(
        "10.1.2.3:5555",
        &[(
            "forwarded",
            "for=\"[2001:db8::7]:4711\";host=\"proxy.example:8443\";proto=https",
        )],
    );
    assert_eq!(
        client_address(&req, &settings.trusted_proxies),
        "2001:db8::7".parse::<IpAddr>().unwrap()
    );
    assert_eq!(absolute_url(&req, &settings), "https://proxy.example:8443");
    let req = request(
        "10.1.2.3:5555",
        &[
            ("x-forwarded-host", "flags.example.com"),
            ("x-forwarded-port", "8443"),
        ],
    );
    assert_eq!(
        absolute_url(&req, &settings),
        "http://flags.example.com:8443"
    );
}

#[test]
fn a_trusted_proxy_cannot_smuggle_a_path_a_user_or_a_strange_scheme() {
    let settings = settings(None, &["10.0.0.0/8"]);
    for headers in [
        [
            ("x-forwarded-host", "evil.example/steal?"),
            ("x-forwarded-proto", "https"),
        ],
        [
            ("x-forwarded-host", "user@evil.example"),
            ("x-forwarded-proto", "https"),
        ],
        [
            ("x-forwarded-host", "flags.example.com"),
            ("x-forwarded-proto", "javascript"),
        ],
    ] {
        let req = request("10.1.2.3:5555", &headers);
        assert_eq!(
            absolute_url(&req, &settings),
            "http://127.0.0.1:8070",
            "{headers:?}"
        );
    }
}

#[test]
fn mapped_addresses_are_their_ipv4_selves() {
    let settings = settings(None, &["127.0.0.1/32"]);
    let req = request(
        "[::ffff:127.0.0.1]:5555",
        &[("x-forwarded-for", "203.0.113.5")],
    );
    assert_eq!(
        client_address(&req, &settings.trusted_proxies),
        "203.0.113.5".parse::<IpAddr>().unwrap()
    );
}
