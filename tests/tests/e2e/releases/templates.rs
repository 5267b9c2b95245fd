//! Release templates through the real binary: a team's process written once (tasks,
//! stages, KPIs, the watch) and releases created from it carrying its tasks, with the
//! request's own fields replacing the template's. Bad templates, a taken name and an
//! unknown template are a 4xx naming the problem, and write nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::cli::{ok, rollgate};
use super::support::Desk;

/// A standard launch: training and marketing tasks, two stages, a KPI and a watch.
fn standard() -> Value {
    json!({
        "name": "standard-launch",
        "description": "How we launch: beta first, the help desk trained, the press told",
        "stages": [
            { "audience": "beta", "percent": 100, "bake": "1h" },
            { "audience": "general", "percent": 100 }
        ],
        "analysis": { "interval": "1m", "checks": [
            { "name": "error-rate", "kind": "ratio", "errors": "sum(rate(errors[{{window}}]))",
              "total": "sum(rate(requests[{{window}}]))", "max": 0.02 } ] },
        "watch": { "duration": "7d", "on_regression": "rollback" },
        "kpis": [ { "name": "orders", "query": "sum(rate(orders_total[{{window}}]))", "target": { "min": 1 } } ],
        "tasks": [
            { "title": "Train the help desk", "area": "training", "owner": "support-lead" },
            { "title": "Press release", "area": "marketing", "owner": "pmm" }
        ],
        "approvals_required": 1,
        "notes": "from the template"
    })
}

async fn templates(desk: &Desk) -> Vec<Value> {
    let reply = desk
        .call(&desk.viewer, Method::GET, "/api/v1/templates", None)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body.as_array().unwrap().clone()
}

async fn releases(desk: &Desk) -> usize {
    let reply = desk
        .call(&desk.viewer, Method::GET, "/api/v1/releases", None)
        .await;
    reply.body.as_array().unwrap().len()
}

#[tokio::test]
async fn a_release_created_from_a_template_carries_its_tasks_and_takes_the_requests_fields() {
    let desk = Desk::open().await;
    desk.flag("new-checkout").await;
    let created = desk
        .call(
            &desk.manager,
            Method::POST,
            "/api/v1/templates",
            Some(standard()),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    assert_eq!(created.header("etag"), Some("\"1\""));
    let listed = templates(&desk).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["name"], "standard-launch");
    assert_eq!(listed[0]["tasks"].as_array().unwrap().len(), 2);

    let reply = desk
        .call(
            &desk.manager,
            Method::POST,
            "/api/v1/releases",
            Some(json!({
                "template": "standard-launch",
                "name": "Checkout v2", "release_version": "2.4.0", "environment": "production",
                "flags": [ { "key": "new-checkout", "variant": "on" } ],
                "notes": "ours"
            })),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let release = reply.body;
    let titles: Vec<&str> = release["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Train the help desk", "Press release"]);
    assert_eq!(release["tasks"][0]["status"], "todo");
    assert_eq!(release["stages"].as_array().unwrap().len(), 2);
    assert_eq!(release["watch"]["duration"], "7d");
    assert_eq!(release["watch"]["on_regression"], "rollback");
    assert_eq!(release["kpis"][0]["name"], "orders");
    assert_eq!(
        release["notes"], "ours",
        "the request's field replaces the template's"
    );
    assert!(release.get("template").is_none());

    // Replacing the template later does not change the release made from it.
    let mut changed = standard();
    changed["tasks"] = json!([]);
    let replaced = desk
        .server
        .call(
            desk.server
                .request(
                    Method::PUT,
                    "/api/v1/templates/standard-launch",
                    Some(&desk.manager),
                )
                .header("If-Match", "\"1\"")
                .json(&changed),
        )
        .await;
    assert_eq!(replaced.status, StatusCode::OK, "{}", replaced.body);
    assert_eq!(replaced.body["version"], 2);
    let id = release["id"].as_str().unwrap();
    assert_eq!(desk.release(id).await["tasks"].as_array().unwrap().len(), 2);

    // Deleting needs the version; then it is gone.
    let path = "/api/v1/templates/standard-launch";
    let unversioned = desk.call(&desk.manager, Method::DELETE, path, None).await;
    assert_eq!(unversioned.status, StatusCode::PRECONDITION_REQUIRED);
    let deleted = desk
        .server
        .call(
            desk.server
                .request(Method::DELETE, path, Some(&desk.manager))
                .header("If-Match", "\"2\""),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    let gone = desk.call(&desk.viewer, Method::GET, path, None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    // A viewer reads templates but does not write them.
    let refused = desk
        .call(
            &desk.viewer,
            Method::POST,
            "/api/v1/templates",
            Some(standard()),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn bad_templates_a_taken_name_and_an_unknown_template_are_refused_and_write_nothing() {
    let desk = Desk::open().await;
    desk.flag("new-checkout").await;
    let post = |body: Value| {
        let desk = &desk;
        async move {
            desk.call(&desk.manager, Method::POST, "/api/v1/templates", Some(body))
                .await
        }
    };
    assert_eq!(post(standard()).await.status, StatusCode::CREATED);
    let clash = post(standard()).await;
    assert_eq!(clash.status, StatusCode::CONFLICT, "{}", clash.body);
    assert_eq!(clash.body["field"], "name");
    assert!(clash.body.to_string().contains("standard-launch"));

    let named = |edit: &dyn Fn(&mut Value)| {
        let mut template = standard();
        template["name"] = json!("other");
        edit(&mut template);
        template
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "zero watch",
            named(&|t| t["watch"]["duration"] = json!("0s")),
            "watch",
        ),
        (
            "negative watch",
            named(&|t| t["watch"]["duration"] = json!("-1h")),
            "watch",
        ),
        (
            "oversized watch",
            named(&|t| t["watch"]["duration"] = json!("91d")),
            "watch.duration",
        ),
        (
            "unknown on_regression",
            named(&|t| t["watch"]["on_regression"] = json!("page")),
            "page",
        ),
        (
            "unknown watch field",
            named(&|t| t["watch"]["sound"] = json!(true)),
            "sound",
        ),
        (
            "unknown field",
            named(&|t| t["colour"] = json!("red")),
            "colour",
        ),
        (
            "a release's field",
            named(&|t| t["flags"] = json!([])),
            "flags",
        ),
        (
            "a due date",
            named(&|t| t["tasks"][0]["due"] = json!("2030-02-01T00:00:00Z")),
            "tasks[0].due",
        ),
        (
            "a bad name",
            named(&|t| t["name"] = json!("no spaces")),
            "name",
        ),
    ];
    for (case, body, word) in cases {
        let reply = post(body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{case}: {}",
            reply.body
        );
        assert!(
            reply.body.to_string().contains(word),
            "{case}: {}",
            reply.body
        );
    }
    assert_eq!(templates(&desk).await.len(), 1, "nothing half-written");

    let release = |template: Value| {
        json!({
            "template": template,
            "name": "Checkout v2", "release_version": "2.4.0", "environment": "production",
            "flags": [ { "key": "new-checkout", "variant": "on" } ]
        })
    };
    for (case, body, field) in [
        ("unknown template", release(json!("nope")), "template"),
        ("not a name", release(json!(7)), "template"),
    ] {
        let reply = desk
            .call(&desk.manager, Method::POST, "/api/v1/releases", Some(body))
            .await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{case}: {}",
            reply.body
        );
        assert_eq!(reply.body["field"], field, "{case}: {}", reply.body);
    }
    // A request field that breaks the filled plan is refused with the plan's field.
    let mut broken = release(json!("standard-launch"));
    broken["watch"] = json!({ "duration": "1d", "checks": ["nope"] });
    let reply = desk
        .call(
            &desk.manager,
            Method::POST,
            "/api/v1/releases",
            Some(broken),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert!(
        reply.body.to_string().contains("watch.checks[0]"),
        "{}",
        reply.body
    );
    assert_eq!(releases(&desk).await, 0, "no release was created");
}

#[tokio::test]
async fn templates_from_the_terminal() {
    let desk = Desk::open().await;
    desk.flag("new-checkout").await;
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("template.json");
    std::fs::write(&template, standard().to_string()).unwrap();
    let m = desk.manager.clone();
    let created = ok(
        &desk,
        &m,
        &["template", "create", template.to_str().unwrap()],
    )
    .await;
    assert!(
        created.starts_with("standard-launch — How we launch"),
        "{created}"
    );
    assert!(
        created.contains("  stages: beta 100 % → general 100 %"),
        "{created}"
    );
    assert!(
        created.contains("  task [training] Train the help desk (support-lead)"),
        "{created}"
    );
    assert!(
        created.contains("  watch 7d after release, on regression: rollback"),
        "{created}"
    );
    let listed = ok(&desk, &desk.viewer, &["template", "list"]).await;
    assert_eq!(listed, created);
    let clash = rollgate(
        &desk,
        &m,
        &["template", "create", template.to_str().unwrap()],
    )
    .await;
    assert_eq!(clash.status, 1);
    assert!(clash.stderr.contains("exists already"), "{}", clash.stderr);

    let plan = dir.path().join("plan.json");
    let fields = json!({
        "name": "Checkout v2", "release_version": "2.4.0", "environment": "production",
        "flags": [ { "key": "new-checkout", "variant": "on" } ]
    });
    std::fs::write(&plan, fields.to_string()).unwrap();
    let release: Value = serde_json::from_str(
        &ok(
            &desk,
            &m,
            &[
                "release",
                "create",
                plan.to_str().unwrap(),
                "--template",
                "standard-launch",
                "--json",
            ],
        )
        .await,
    )
    .unwrap();
    assert_eq!(release["tasks"][1]["title"], "Press release");
    let unknown = rollgate(
        &desk,
        &m,
        &[
            "release",
            "create",
            plan.to_str().unwrap(),
            "--template",
            "nope",
        ],
    )
    .await;
    assert_eq!(unknown.status, 1);
    assert!(
        unknown.stderr.contains("[field: template]"),
        "{}",
        unknown.stderr
    );
}
