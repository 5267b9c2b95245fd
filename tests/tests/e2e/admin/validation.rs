//! Every way a write can be refused for its input, as one table run by one loop: each
//! case names the request, the status (400/413/415/422), the problem `type`, the field
//! and a fragment of the detail. After each case, the stored state and the audit log are
//! exactly as before: a refused write writes nothing.

use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use rollgate_e2e::{ADMIN_TOKEN, Options, Server};

/// The body limit of the server under test (`limits.max_body_bytes`).
const LIMIT: usize = 4096;

/// A valid flag; the cases below break it one way at a time.
const FLAG: &str = r#"{"variants": {"on": true, "off": false}, "environments": {"production":
    {"enabled": true, "off_variant": "off", "default": {"variant": "on"}}}}"#;

/// A flag whose `production` configuration is `config`.
fn with_config(config: &str) -> String {
    format!(
        r#"{{"variants": {{"on": true, "off": false}}, "environments": {{"production": {config}}}}}"#
    )
}

/// A flag whose `production` configuration has the one rule `rule`.
fn with_rule(rule: &str) -> String {
    with_config(&format!(
        r#"{{"enabled": true, "off_variant": "off", "rules": [{rule}], "default": {{"variant": "on"}}}}"#
    ))
}

/// A flag whose one rule has the one condition `condition`.
fn with_condition(condition: &str) -> String {
    with_rule(&format!(
        r#"{{"conditions": [{condition}], "serve": {{"variant": "on"}}}}"#
    ))
}

/// A flag whose `production` default serve is `serve`.
fn with_default(serve: &str) -> String {
    with_config(&format!(
        r#"{{"enabled": true, "off_variant": "off", "default": {serve}}}"#
    ))
}

/// A flag with the given variants (and a configuration naming `a`).
fn with_variants(variants: &str) -> String {
    format!(
        r#"{{"variants": {variants}, "environments": {{"production":
        {{"enabled": true, "off_variant": "a", "default": {{"variant": "a"}}}}}}}}"#
    )
}

/// A valid flag document padded to exactly `size` bytes.
fn padded_flag(size: usize) -> String {
    let head = r#"{"variants": {"on": true}, "description": ""#;
    let tail = r#""}"#;
    format!("{head}{}{tail}", "x".repeat(size - head.len() - tail.len()))
}

enum Body {
    None,
    Text(String),
    /// A valid document of this many bytes, sent with `Content-Length`.
    Sized(usize),
    /// A valid document of this many bytes, streamed in chunks without a length.
    Streamed(usize),
}

struct Case {
    what: &'static str,
    method: Method,
    path: String,
    headers: Vec<(&'static str, &'static str)>,
    body: Body,
    status: u16,
    kind: &'static str,
    field: Option<&'static str>,
    fragment: &'static str,
}

impl Case {
    fn new(what: &'static str, method: Method, path: &str, body: Body) -> Case {
        Case {
            what,
            method,
            path: path.to_owned(),
            headers: Vec::new(),
            body,
            status: 0,
            kind: "",
            field: None,
            fragment: "",
        }
    }

    fn put(what: &'static str, path: &str, body: impl Into<String>) -> Case {
        Case::new(what, Method::PUT, path, Body::Text(body.into()))
    }

    fn flag(what: &'static str, body: impl Into<String>) -> Case {
        Case::put(what, "/api/v1/flags/refused", body)
    }

    fn header(mut self, name: &'static str, value: &'static str) -> Case {
        self.headers.push((name, value));
        self
    }

    /// The expected answer: status, problem type, field, detail fragment.
    fn answers(
        mut self,
        status: u16,
        kind: &'static str,
        field: Option<&'static str>,
        fragment: &'static str,
    ) -> Case {
        self.status = status;
        self.kind = kind;
        self.field = field;
        self.fragment = fragment;
        self
    }

    fn invalid(self, field: &'static str, fragment: &'static str) -> Case {
        self.answers(422, "validation", Some(field), fragment)
    }

    fn malformed(self) -> Case {
        self.answers(400, "malformed-json", None, "malformed JSON")
    }
}

fn cases() -> Vec<Case> {
    let get = |what, path: &str| Case::new(what, Method::GET, path, Body::None);
    let long_key = format!("/api/v1/flags/{}", "k".repeat(129));
    vec![
        // Not JSON.
        Case::flag("truncated JSON", r#"{"variants": "#)
            .answers(400, "malformed-json", Some("variants"), "malformed JSON"),
        Case::flag("trailing garbage", format!("{FLAG} and more")).malformed(),
        Case::flag("an empty body", "").malformed(),
        Case::flag("form data sent as JSON", "variants=on").malformed(),
        Case::put("malformed segment", "/api/v1/segments/vip", "{").malformed(),
        Case::put("malformed environment", "/api/v1/environments/qa", "{,}").malformed(),
        Case::new("malformed token request", Method::POST, "/api/v1/tokens", Body::Text("{\"kind\"".into())).malformed(),
        Case::put("malformed flag configuration", "/api/v1/flags/existing/environments/development", "{")
            .header("If-Match", "\"1\"").malformed(),
        Case::put("a flag configuration without a default", "/api/v1/flags/existing/environments/development",
            r#"{"off_variant": "on"}"#)
            .header("If-Match", "\"1\"").invalid("environments.development.default", "missing field"),
        Case::flag("a JSON array instead of an object", "[]")
            .answers(422, "validation", None, "invalid type"),
        // Size and media type.
        Case::new("a body over the limit, with Content-Length", Method::PUT, "/api/v1/flags/refused", Body::Sized(LIMIT + 1))
            .answers(413, "payload-too-large", None, "4096"),
        Case::new("a body over the limit, streamed", Method::PUT, "/api/v1/flags/refused", Body::Streamed(LIMIT + 1))
            .answers(413, "payload-too-large", None, "4096"),
        Case::new("a segment over the limit", Method::PUT, "/api/v1/segments/big", Body::Sized(3 * LIMIT))
            .answers(413, "payload-too-large", None, "max_body_bytes"),
        Case::flag("text/plain", FLAG).header("Content-Type", "text/plain")
            .answers(415, "unsupported-media-type", Some("Content-Type"), "text/plain"),
        Case::flag("a form", FLAG).header("Content-Type", "application/x-www-form-urlencoded")
            .answers(415, "unsupported-media-type", Some("Content-Type"), "application/json"),
        Case::new("a token request as text", Method::POST, "/api/v1/tokens", Body::Text("{}".into()))
            .header("Content-Type", "text/plain")
            .answers(415, "unsupported-media-type", Some("Content-Type"), "text/plain"),
        // Wrong JSON types.
        Case::flag("tags as a string", r#"{"variants": {"on": true}, "tags": "checkout"}"#).invalid("tags", "invalid type"),
        Case::flag("variants as a list", r#"{"variants": ["on", "off"]}"#).invalid("variants", "invalid type"),
        Case::flag("description as a number", r#"{"variants": {"on": true}, "description": 7}"#).invalid("description", "invalid type"),
        Case::flag("enabled as a string", with_config(r#"{"enabled": "yes", "off_variant": "off", "default": {"variant": "on"}}"#))
            .invalid("environments.production.enabled", "invalid type"),
        Case::flag("a weight as a string", with_default(r#"{"rollout": [{"variant": "on", "weight": "10000"}]}"#))
            .invalid("environments.production.default.rollout[0].weight", "invalid type"),
        Case::flag("a negative weight", with_default(r#"{"rollout": [{"variant": "on", "weight": -1}]}"#))
            .invalid("environments.production.default.rollout[0].weight", "-1"),
        Case::flag("values not a list", with_condition(r#"{"attribute": "country", "op": "in", "values": "NL"}"#))
            .invalid("environments.production.rules[0].conditions[0].values", "invalid type"),
        Case::flag("a version that is not a number", r#"{"variants": {"on": true}, "version": "3"}"#).invalid("version", "integer"),
        // Unknown fields, at every depth.
        Case::flag("a typo at the top", r#"{"variants": {"on": true}, "descripton": "x"}"#).invalid("descripton", "unknown field"),
        Case::flag("a typo in a configuration", with_config(r#"{"enabeld": true, "off_variant": "off", "default": {"variant": "on"}}"#))
            .invalid("environments.production.enabeld", "unknown field"),
        Case::flag("a typo in a condition", with_condition(r#"{"atribute": "country", "op": "in", "values": ["NL"]}"#))
            .invalid("environments.production.rules[0].conditions[0].atribute", "unknown field"),
        Case::flag("a typo in a serve", with_default(r#"{"varient": "on"}"#))
            .invalid("environments.production.default.varient", "unknown field"),
        Case::put("a typo in a segment", "/api/v1/segments/vip", r#"{"includes": ["u1"]}"#).invalid("includes", "unknown field"),
        Case::put("a typo in an environment", "/api/v1/environments/qa", r#"{"descripton": "x"}"#).invalid("descripton", "unknown field"),
        Case::new("a typo in a token request", Method::POST, "/api/v1/tokens",
            Body::Text(r#"{"kind": "admin", "rol": "viewer", "name": "x"}"#.into())).invalid("rol", "unknown field"),
        Case::put("a typo in a flag configuration", "/api/v1/flags/existing/environments/development",
            r#"{"enabeld": true, "off_variant": "off", "default": {"variant": "on"}}"#)
            .header("If-Match", "\"1\"").invalid("environments.development.enabeld", "unknown field"),
        // Serves and variants.
        Case::flag("an unknown variant in the default serve", with_default(r#"{"variant": "maybe"}"#))
            .invalid("environments.production.default.variant", "unknown variant \"maybe\""),
        Case::flag("an unknown variant in a rollout", with_rule(
            r#"{"serve": {"rollout": [{"variant": "on", "weight": 5000}, {"variant": "maybe", "weight": 5000}]}}"#))
            .invalid("environments.production.rules[0].serve.rollout[1].variant", "unknown variant"),
        Case::flag("an unknown off variant", with_config(r#"{"enabled": true, "off_variant": "none", "default": {"variant": "on"}}"#))
            .invalid("environments.production.off_variant", "unknown variant"),
        Case::put("an unknown variant in a flag configuration", "/api/v1/flags/existing/environments/development",
            r#"{"enabled": true, "off_variant": "off", "default": {"variant": "maybe"}}"#)
            .header("If-Match", "\"1\"").invalid("environments.development.default.variant", "unknown variant"),
        Case::flag("weights summing to 50 %", with_default(r#"{"rollout": [{"variant": "on", "weight": 2500}, {"variant": "off", "weight": 2500}]}"#))
            .invalid("environments.production.default.rollout", "10000"),
        Case::flag("a weight above 100 %", with_default(r#"{"rollout": [{"variant": "on", "weight": 10001}]}"#))
            .invalid("environments.production.default.rollout[0].weight", "10000"),
        Case::flag("a variant twice in a rollout", with_default(r#"{"rollout": [{"variant": "on", "weight": 5000}, {"variant": "on", "weight": 5000}]}"#))
            .invalid("environments.production.default.rollout[1].variant", "duplicate"),
        Case::flag("an empty rollout", with_default(r#"{"rollout": []}"#))
            .invalid("environments.production.default.rollout", "at least one"),
        Case::flag("both variant and rollout", with_default(r#"{"variant": "on", "rollout": [{"variant": "on", "weight": 10000}]}"#))
            .invalid("environments.production.default", "not both"),
        Case::flag("neither variant nor rollout", with_default("{}"))
            .invalid("environments.production.default", "one of"),
        Case::flag("mixed variant types", with_variants(r#"{"a": true, "b": "yes"}"#)).invalid("variants.b", "mixed variant types"),
        Case::flag("integer and float variants", with_variants(r#"{"a": 1, "b": 1.5}"#)).invalid("variants.b", "float"),
        Case::flag("a null variant", with_variants(r#"{"a": 1, "b": null}"#)).invalid("variants.b", "null"),
        Case::flag("no variants", r#"{"variants": {}}"#).invalid("variants", "at least one"),
        Case::flag("no variants at all", r#"{"description": "x"}"#).invalid("variants", "missing field `variants`"),
        // Conditions.
        Case::flag("a bad regex", with_condition(r#"{"attribute": "email", "op": "matches", "values": ["(unclosed"]}"#))
            .invalid("environments.production.rules[0].conditions[0].values[0]", "regex"),
        Case::flag("a bad semver", with_condition(r#"{"attribute": "version", "op": "semver_gt", "values": ["1.x"]}"#))
            .invalid("environments.production.rules[0].conditions[0].values[0]", "semver"),
        Case::flag("a bad time", with_condition(r#"{"attribute": "now", "op": "before", "values": ["yesterday"]}"#))
            .invalid("environments.production.rules[0].conditions[0].values[0]", "RFC 3339"),
        Case::flag("a word where a number belongs", with_condition(r#"{"attribute": "age", "op": "gt", "values": ["ten"]}"#))
            .invalid("environments.production.rules[0].conditions[0].values[0]", "number"),
        Case::flag("an unknown operator", with_condition(r#"{"attribute": "country", "op": "like", "values": ["NL"]}"#))
            .invalid("environments.production.rules[0].conditions[0].op", "unknown variant `like`"),
        Case::flag("an operator without values", with_condition(r#"{"attribute": "country", "op": "in", "values": []}"#))
            .invalid("environments.production.rules[0].conditions[0].values", "at least one value"),
        Case::flag("exists with values", with_condition(r#"{"attribute": "country", "op": "exists", "values": ["NL"]}"#))
            .invalid("environments.production.rules[0].conditions[0].values", "no values"),
        Case::flag("an empty attribute", with_condition(r#"{"attribute": "", "op": "exists"}"#))
            .invalid("environments.production.rules[0].conditions[0].attribute", "1 to 256"),
        Case::put("a bad regex in a segment", "/api/v1/segments/vip",
            r#"{"rules": [{"conditions": [{"attribute": "email", "op": "matches", "values": ["[z-a]"]}]}]}"#)
            .invalid("rules[0].conditions[0].values[0]", "regex"),
        // References.
        Case::flag("an unknown segment", with_rule(r#"{"segment": "gold", "serve": {"variant": "on"}}"#))
            .invalid("environments.production.rules[0].segment", "unknown segment \"gold\""),
        Case::flag("an empty segment key", with_rule(r#"{"segment": "", "serve": {"variant": "on"}}"#))
            .invalid("environments.production.rules[0].segment", "unknown segment \"\""),
        Case::flag("an unknown environment", r#"{"variants": {"on": true}, "environments": {"staging":
            {"off_variant": "on", "default": {"variant": "on"}}}}"#)
            .invalid("environments.staging", "unknown environment"),
        Case::put("configuring an unknown environment", "/api/v1/flags/existing/environments/staging",
            r#"{"off_variant": "on", "default": {"variant": "on"}}"#)
            .header("If-Match", "\"1\"").invalid("environments.staging", "unknown environment"),
        Case::new("an SDK key for an unknown environment", Method::POST, "/api/v1/tokens",
            Body::Text(r#"{"kind": "sdk", "environment": "staging", "name": "x"}"#.into()))
            .invalid("environment", "unknown environment"),
        // Duplicates.
        Case::flag("a variant name twice", r#"{"variants": {"on": true, "on": false}}"#).invalid("variants", "duplicate key \"on\""),
        Case::flag("an environment twice", r#"{"variants": {"on": true}, "environments": {
            "production": {"off_variant": "on", "default": {"variant": "on"}},
            "production": {"off_variant": "on", "default": {"variant": "on"}}}}"#)
            .invalid("environments", "duplicate key \"production\""),
        Case::flag("a top-level field twice", r#"{"variants": {"on": true}, "tags": [], "tags": []}"#)
            .invalid("tags", "duplicate field `tags`"),
        Case::flag("a tag twice", r#"{"variants": {"on": true}, "tags": ["a", "b", "a"]}"#).invalid("tags[2]", "duplicate"),
        Case::put("a segment listing a user twice", "/api/v1/segments/vip", r#"{"include": ["u1", "u1"]}"#)
            .invalid("include[1]", "duplicate"),
        // Empty and foreign keys.
        Case::flag("an empty variant name", with_variants(r#"{"a": true, "": false}"#)).invalid("variants.", "empty"),
        Case::flag("an empty tag", r#"{"variants": {"on": true}, "tags": [""]}"#).invalid("tags[0]", "1 to 64"),
        Case::flag("an empty salt", with_config(r#"{"off_variant": "on", "salt": "", "default": {"variant": "on"}}"#))
            .invalid("environments.production.salt", "1 to 256"),
        Case::flag("a body naming another key", r#"{"key": "other", "variants": {"on": true}}"#).invalid("key", "\"other\""),
        Case::flag("an empty key in the body", r#"{"key": "", "variants": {"on": true}}"#).invalid("key", "URL names"),
        Case::put("a slash in the key", "/api/v1/flags/a%2Fb", FLAG).invalid("key", "'/'"),
        Case::put("a space in the key", "/api/v1/flags/a%20b", FLAG).invalid("key", "' '"),
        Case::put("unicode in the key", "/api/v1/flags/%C3%A9t%C3%A9", FLAG).invalid("key", "'é'"),
        Case::put("a key of 129 characters", &long_key, FLAG).invalid("key", "at most 128"),
        Case::put("a space in a segment key", "/api/v1/segments/v%20ip", "{}").invalid("key", "' '"),
        Case::put("unicode in an environment key", "/api/v1/environments/pr%C3%B6d", "{}").invalid("key", "'ö'"),
        // If-Match.
        Case::put("If-Match that is not a version", "/api/v1/flags/existing", FLAG).header("If-Match", "abc")
            .answers(400, "bad-header", Some("If-Match"), "\"abc\""),
        Case::put("If-Match listing two versions", "/api/v1/flags/existing", FLAG).header("If-Match", "\"1\", \"2\"")
            .answers(400, "bad-header", Some("If-Match"), "version"),
        Case::put("a negative If-Match", "/api/v1/flags/existing", FLAG).header("If-Match", "\"-1\"")
            .answers(400, "bad-header", Some("If-Match"), "version"),
        Case::new("If-Match on a delete that is not a version", Method::DELETE, "/api/v1/flags/existing", Body::None)
            .header("If-Match", "v1").answers(400, "bad-header", Some("If-Match"), "\"v1\""),
        Case::new("If-Match on a segment delete", Method::DELETE, "/api/v1/segments/alpha", Body::None)
            .header("If-Match", "one").answers(400, "bad-header", Some("If-Match"), "version"),
        // The audit log's query.
        get("a limit that is not a number", "/api/v1/audit?limit=ten").answers(400, "bad-query", Some("limit"), "ten"),
        get("a negative before", "/api/v1/audit?before=-1").answers(400, "bad-query", Some("before"), "-1"),
        get("an unknown parameter", "/api/v1/audit?kinds=flag").answers(400, "bad-query", None, "kinds"),
        get("a limit of 0", "/api/v1/audit?limit=0").invalid("limit", "between 1 and 500"),
        get("a limit above 500", "/api/v1/audit?limit=501").invalid("limit", "between 1 and 500"),
        get("an unknown kind", "/api/v1/audit?kind=flags").invalid("kind", "unknown kind"),
        get("a key without a kind", "/api/v1/audit?key=existing").invalid("key", "kind"),
    ]
}

async fn send(server: &Server, case: &Case) -> rollgate_e2e::Reply {
    let mut request = server.request(case.method.clone(), &case.path, Some(ADMIN_TOKEN));
    let has_type = case.headers.iter().any(|(n, _)| *n == "Content-Type");
    if !has_type && !matches!(case.body, Body::None) {
        request = request.header("Content-Type", "application/json");
    }
    for (name, value) in &case.headers {
        request = request.header(*name, *value);
    }
    request = match &case.body {
        Body::None => request,
        Body::Text(text) => request.body(text.clone()),
        Body::Sized(size) => request.body(padded_flag(*size)),
        Body::Streamed(size) => {
            let text = padded_flag(*size).into_bytes();
            let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
                text.chunks(1000).map(|c| Ok(c.to_vec())).collect();
            request.body(reqwest::Body::wrap_stream(
                futures_util::stream::iter(chunks).boxed(),
            ))
        }
    };
    server.call(request).await
}

#[tokio::test]
async fn every_refused_write_names_the_problem_and_writes_nothing() {
    let server = Server::start_with(Options {
        env: vec![("ROLLGATE_LIMITS__MAX_BODY_BYTES".into(), LIMIT.to_string())],
        ..Options::default()
    })
    .await;
    server
        .create(
            "/api/v1/flags/existing",
            serde_json::from_str(FLAG).unwrap(),
        )
        .await;
    let before = server.stored_state().await;
    let mut failures = Vec::new();
    for case in cases() {
        let reply = send(&server, &case).await;
        let body = &reply.body;
        let problems = [
            (reply.status.as_u16() != case.status).then(|| format!("status {}", reply.status)),
            (reply.header("content-type") != Some("application/problem+json"))
                .then(|| format!("content type {:?}", reply.header("content-type"))),
            (reply.problem_type() != case.kind).then(|| format!("type {:?}", body["type"])),
            (body["field"].as_str() != case.field).then(|| format!("field {:?}", body["field"])),
            (!body["detail"]
                .as_str()
                .unwrap_or_default()
                .contains(case.fragment))
            .then(|| format!("detail lacks {:?}", case.fragment)),
            (body["status"] != case.status).then(|| format!("body status {}", body["status"])),
        ];
        let problems: Vec<String> = problems.into_iter().flatten().collect();
        if !problems.is_empty() {
            failures.push(format!("{}: {} — {body}", case.what, problems.join(", ")));
        }
        if case.method != Method::GET {
            let after = server.stored_state().await;
            if after != before {
                failures.push(format!(
                    "{}: the refused write changed the store",
                    case.what
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // The limit is the limit: a body of exactly LIMIT bytes is accepted.
    let request = server
        .request(Method::PUT, "/api/v1/flags/at-limit", Some(ADMIN_TOKEN))
        .header("Content-Type", "application/json")
        .body(padded_flag(LIMIT));
    server.call(request).await.expect(StatusCode::CREATED);
}
