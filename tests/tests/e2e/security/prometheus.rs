//! Prometheus is the operator's choice: a plan may name only an endpoint of the
//! server's settings, and is refused (422, `analysis.prometheus_url`) for any other URL —
//! the metadata address in its spellings, a private address, credentials in the URL —
//! before any request is made. Queries go to the endpoint's path with its query string
//! kept, carry the credentials of the settings, follow no redirect, and record only
//! Prometheus' own error message, never a body. A running release's report measures
//! its KPIs at most once per analysis interval, however often it is read.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use rollgate_e2e::{Options, Server};
use serde_json::json;

use super::support::{Receiver, analysed_plan, create_flag, release_until, setting, start_release};

/// A Prometheus answer with one sample.
fn sample(value: f64) -> super::support::Answer {
    (
        "200 OK".to_owned(),
        vec!["content-type: application/json".to_owned()],
        format!(
            r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{}},"value":[1,"{value}"]}}]}}}}"#
        ),
    )
}

#[tokio::test]
async fn plans_may_name_only_the_prometheus_endpoints_of_the_settings() {
    let default = Receiver::start(Arc::new(|_| sample(0.0))).await;
    let other = Receiver::start(Arc::new(|_| sample(0.0))).await;
    let server = Server::start_with(Options {
        env: vec![
            setting("ROLLGATE_PROMETHEUS_URL", &default.url),
            setting("ROLLGATE_PROMETHEUS__ENDPOINTS__EU__URL", &other.url),
        ],
        ..Options::default()
    })
    .await;
    create_flag(&server).await;
    let port = default.port;
    for refused in [
        "http://169.254.169.254/latest/meta-data".to_owned(),
        "http://[::ffff:169.254.169.254]/".to_owned(),
        "http://2852039166/".to_owned(),
        "http://0xa9fea9fe/".to_owned(),
        "http://10.0.0.7:9090".to_owned(),
        "http://192.168.1.20:9090".to_owned(),
        format!("http://user:pw@127.0.0.1:{port}"),
        format!("http://127.0.0.1:{port}/api/v1/admin/tsdb/snapshot#"),
        format!("http://127.0.0.1:{}", port + 1),
        "https://prometheus.example.com".to_owned(),
    ] {
        let plan = analysed_plan(Some(&refused), &["up"]);
        let reply = server
            .admin(Method::POST, "/api/v1/releases", Some(plan))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{refused}: {:?}",
            reply.body
        );
        assert_eq!(
            reply.body["field"], "analysis.prometheus_url",
            "{refused}: {:?}",
            reply.body
        );
        assert!(
            !reply.body.to_string().contains("pw@"),
            "credentials are never echoed: {:?}",
            reply.body
        );
    }
    // The endpoints of the settings, by their URL, or none for the default.
    let mut ids = Vec::new();
    for allowed in [
        Some(default.url.clone()),
        Some(format!("{}/", default.url)),
        Some(other.url.clone()),
        None,
    ] {
        let plan = analysed_plan(allowed.as_deref(), &["up"]);
        let reply = server
            .admin(Method::POST, "/api/v1/releases", Some(plan))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::CREATED,
            "{allowed:?}: {:?}",
            reply.body
        );
        ids.push(reply.body["id"].as_str().unwrap().to_owned());
    }
    // Replacing a plan is checked the same way.
    let replaced = server
        .call(
            server
                .request(
                    Method::PUT,
                    &format!("/api/v1/releases/{}", ids[0]),
                    Some(rollgate_e2e::ADMIN_TOKEN),
                )
                .header("If-Match", "\"1\"")
                .json(&analysed_plan(Some("http://169.254.169.254/"), &["up"])),
        )
        .await;
    assert_eq!(
        replaced.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        replaced.body
    );
    assert_eq!(replaced.body["field"], "analysis.prometheus_url");
    assert!(
        default.requests().is_empty() && other.requests().is_empty(),
        "checking a plan sends no query"
    );
}

#[tokio::test]
async fn queries_follow_no_redirect_keep_the_endpoint_path_and_record_only_prometheus_errors() {
    let elsewhere = Receiver::ok().await;
    let target = format!("{}/stolen", elsewhere.url);
    let hostile = Receiver::start(Arc::new(move |request| {
        let query = request.target.as_str();
        if query.contains("query=redirected") {
            (
                "302 Found".to_owned(),
                vec![format!("location: {target}")],
                "SECRET-IN-REDIRECT".to_owned(),
            )
        } else if query.contains("query=html") {
            (
                "500 Internal Server Error".to_owned(),
                vec!["content-type: text/html".to_owned()],
                "<html>SECRET-IN-HTML</html>".to_owned(),
            )
        } else if query.contains("query=refused") {
            (
                "400 Bad Request".to_owned(),
                vec!["content-type: application/json".to_owned()],
                r#"{"status":"error","errorType":"bad_data","error":"parse error at char 3","leak":"SECRET-IN-JSON"}"#.to_owned(),
            )
        } else {
            sample(0.0)
        }
    }))
    .await;
    let base = format!("{}/tenant-a/prom?org=a%20b", hostile.url);
    let server = Server::start_with(Options {
        env: vec![
            setting("ROLLGATE_PROMETHEUS_URL", &base),
            setting(
                "ROLLGATE_PROMETHEUS__BEARER_TOKEN",
                "prometheus-bearer-secret",
            ),
        ],
        ..Options::default()
    })
    .await;
    create_flag(&server).await;
    let id = start_release(
        &server,
        analysed_plan(None, &["redirected", "html", "refused"]),
    )
    .await;
    let text = release_until(
        &server,
        &id,
        "an analysis with the three query errors",
        |text| {
            text.contains("parse error at char 3") && text.contains("302") && text.contains("500")
        },
    )
    .await;
    assert!(!text.contains("SECRET"), "no body is ever recorded: {text}");
    assert!(!text.contains("prometheus-bearer-secret"), "{text}");
    assert!(
        elsewhere.requests().is_empty(),
        "the redirect was not followed: {:?}",
        elsewhere.requests()
    );
    let requests = hostile.requests();
    assert!(!requests.is_empty());
    for request in &requests {
        assert!(
            request
                .target
                .starts_with("/tenant-a/prom/api/v1/query?org=a%20b&query=")
                || request
                    .target
                    .starts_with("/tenant-a/prom/api/v1/query?org=a+b&query="),
            "the endpoint's path and query string are kept: {}",
            request.target
        );
        assert!(
            request
                .headers
                .iter()
                .any(|h| h == "authorization: Bearer prometheus-bearer-secret"),
            "the settings' bearer token is sent: {:?}",
            request.headers
        );
    }
}

#[tokio::test]
async fn credentials_of_the_settings_are_sent_and_never_shown() {
    let prometheus = Receiver::start(Arc::new(|_| sample(0.0))).await;
    let server = Server::start_with(Options {
        env: vec![
            setting("ROLLGATE_PROMETHEUS_URL", &prometheus.url),
            setting("ROLLGATE_PROMETHEUS__USERNAME", "rollgate"),
            setting(
                "ROLLGATE_PROMETHEUS__PASSWORD",
                "prometheus-password-secret",
            ),
        ],
        ..Options::default()
    })
    .await;
    create_flag(&server).await;
    let id = start_release(&server, analysed_plan(None, &["up"])).await;
    rollgate_e2e::wait::until(
        std::time::Duration::from_secs(30),
        "the controller's queries",
        || async {
            let asked = prometheus.requests().len();
            rollgate_e2e::wait::holds(asked > 0, || asked)
        },
    )
    .await;
    let text = release_until(&server, &id, "the release", |_| true).await;
    assert!(!text.contains("prometheus-password-secret"));
    let report = server
        .admin(Method::GET, &format!("/api/v1/releases/{id}/report"), None)
        .await;
    assert!(
        !report
            .body
            .to_string()
            .contains("prometheus-password-secret")
    );
    let requests = prometheus.requests();
    assert!(!requests.is_empty());
    // base64("rollgate:prometheus-password-secret")
    let basic = "authorization: Basic cm9sbGdhdGU6cHJvbWV0aGV1cy1wYXNzd29yZC1zZWNyZXQ=";
    for request in &requests {
        assert!(
            request.headers.iter().any(|h| h == basic),
            "{:?}",
            request.headers
        );
    }
}

#[tokio::test]
async fn reading_a_running_report_queries_prometheus_at_most_once_per_analysis_interval() {
    let prometheus = Receiver::start(Arc::new(|_| sample(0.05))).await;
    let mut options = crate::releases::support::manual_clock();
    options
        .env
        .push(setting("ROLLGATE_PROMETHEUS_URL", &prometheus.url));
    // The controller would query too; keep it out so every query is the report's.
    options
        .env
        .push(setting("ROLLGATE_CONTROLLER__ENABLED", "false"));
    let server = Server::start_with(options).await;
    create_flag(&server).await;
    let mut plan = analysed_plan(None, &["up"]);
    plan["analysis"]["interval"] = json!("1m");
    plan["kpis"] = json!([ { "name": "conversion",
        "query": "sum(rate(orders_total{variant=\"{{variant}}\"}[{{window}}]))",
        "target": { "min": 0.03 } } ]);
    let id = start_release(&server, plan).await;
    // The preflight of submit and start asked already; count from here.
    let before = prometheus.requests().len();
    let clock = |advance: &'static str| {
        server.admin(
            Method::POST,
            "/api/v1/testing/clock",
            Some(json!({ "advance": advance })),
        )
    };
    assert_eq!(clock("5m").await.status, StatusCode::OK);
    let path = format!("/api/v1/releases/{id}/report");
    let first = server.admin(Method::GET, &path, None).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(
        first.body["kpis"]["measured"], true,
        "{:?}",
        first.body["kpis"]
    );
    let one_report = prometheus.requests().len() - before;
    assert!(one_report > 0);
    for _ in 0..20 {
        let again = server.admin(Method::GET, &path, None).await;
        assert_eq!(again.status, StatusCode::OK);
        assert_eq!(again.body["kpis"], first.body["kpis"]);
    }
    assert_eq!(
        prometheus.requests().len(),
        before + one_report,
        "20 more reads within the interval sent no query"
    );
    assert_eq!(clock("1m").await.status, StatusCode::OK);
    let later = server.admin(Method::GET, &path, None).await;
    assert_eq!(later.status, StatusCode::OK);
    assert_eq!(
        prometheus.requests().len(),
        before + 2 * one_report,
        "one interval later, measured once more"
    );
}
