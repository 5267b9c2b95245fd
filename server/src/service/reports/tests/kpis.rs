//! KPI queries planned per stage and for the whole release, judged against targets,
//! and "not measured" when Prometheus cannot be asked.

use rollgate_core::release::KpiTarget;
use serde_json::json;

use crate::infra::promql::client::PrometheusClient;
use crate::infra::promql::endpoints::{Unavailable, endpoint};
use crate::service::releases::Release;
use crate::service::reports::kpi::{judge, measure, plan};
use crate::service::reports::model::{KpiArm, KpiScope, KpiVerdict};
use crate::service::reports::stages::walk;
use crate::service::reports::testing::{at, event, plan as test_plan, release, release_of, steps};

fn completed() -> Release {
    let mut timeline = steps(&[0, 10, 40, 55]);
    timeline.push(event(
        "completed",
        95,
        "alice",
        json!({ "stage": 3, "percent": 100 }),
    ));
    release("completed", timeline)
}

#[test]
fn each_kpi_is_queried_over_every_stage_and_the_whole_release() {
    let release = completed();
    let results = plan(&release, &walk(&release), at(200));
    let scopes: Vec<(KpiScope, Option<usize>, &str)> = results
        .iter()
        .map(|r| (r.scope, r.stage, r.window.as_str()))
        .collect();
    assert_eq!(
        scopes,
        vec![
            (KpiScope::Stage, Some(0), "10m"),
            (KpiScope::Stage, Some(1), "30m"),
            (KpiScope::Stage, Some(2), "15m"),
            (KpiScope::Stage, Some(3), "40m"),
            (KpiScope::Release, None, "95m"),
        ]
    );
    let beta = &results[1];
    assert_eq!(
        (beta.from, beta.to),
        (at(10), at(40)),
        "evaluated at the stage's close"
    );
    assert_eq!(beta.flag.as_deref(), Some("new-checkout"));
    let arms: Vec<(KpiArm, Option<&str>, &str)> = beta
        .measurements
        .iter()
        .map(|m| (m.arm, m.variant.as_deref(), m.promql.as_str()))
        .collect();
    assert_eq!(
        arms,
        vec![
            (
                KpiArm::Treatment,
                Some("on"),
                "conversion{variant=\"on\"}[30m]"
            ),
            (
                KpiArm::Control,
                Some("off"),
                "conversion{variant=\"off\"}[30m]"
            ),
        ]
    );
}

#[test]
fn a_kpi_without_placeholders_is_one_query_for_everyone() {
    let mut plan_json = test_plan();
    plan_json["kpis"] = json!([ { "name": "signups", "query": "sum(increase(signups_total[{{window}}]))", "target": { "max": 10 } } ]);
    let release = release_of(plan_json, "running", steps(&[0]));
    let results = plan(&release, &walk(&release), at(3));
    assert_eq!(
        results.len(),
        2,
        "the open stage (to now) and the release so far"
    );
    assert_eq!(results[0].to, at(3));
    assert_eq!(results[0].flag, None);
    assert_eq!(results[0].measurements.len(), 1);
    assert_eq!(results[0].measurements[0].arm, KpiArm::All);
    assert_eq!(
        results[0].measurements[0].promql,
        "sum(increase(signups_total[3m]))"
    );
}

#[test]
fn a_release_that_never_started_has_nothing_to_measure() {
    let release = release("cancelled", vec![event("cancelled", 0, "alice", json!({}))]);
    assert!(plan(&release, &walk(&release), at(1)).is_empty());
}

#[test]
fn values_are_judged_against_the_targets_bounds() {
    let min = KpiTarget {
        min: Some(0.03),
        max: None,
    };
    let range = KpiTarget {
        min: Some(1.0),
        max: Some(2.0),
    };
    assert_eq!(judge(&min, Some(0.031)), KpiVerdict::Met);
    assert_eq!(
        judge(&min, Some(0.03)),
        KpiVerdict::Met,
        "bounds are inclusive"
    );
    assert_eq!(judge(&min, Some(0.029)), KpiVerdict::Missed);
    assert_eq!(judge(&range, Some(2.5)), KpiVerdict::Missed);
    assert_eq!(judge(&range, Some(0.5)), KpiVerdict::Missed);
    assert_eq!(judge(&range, Some(1.5)), KpiVerdict::Met);
    assert_eq!(judge(&min, None), KpiVerdict::NoData);
}

#[tokio::test]
async fn without_a_prometheus_kpis_are_not_measured() {
    let release = completed();
    let planned = plan(&release, &walk(&release), at(200));
    let client = PrometheusClient::new(std::time::Duration::from_millis(500));
    let report = measure(&client, Err(Unavailable::NoDefault), planned).await;
    assert!(!report.measured);
    assert!(
        report
            .note
            .as_deref()
            .unwrap()
            .contains("no Prometheus is configured")
    );
    assert_eq!(report.results.len(), 5);
    assert!(
        report
            .results
            .iter()
            .all(|r| r.verdict == KpiVerdict::NotMeasured)
    );
}

#[tokio::test]
async fn an_unreachable_prometheus_leaves_kpis_not_measured() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let release = completed();
    let planned = plan(&release, &walk(&release), at(200));
    let client = PrometheusClient::new(std::time::Duration::from_millis(500));
    let endpoint = endpoint(
        "test".to_owned(),
        &format!("http://{address}"),
        &Default::default(),
    )
    .unwrap();
    let report = measure(&client, Ok(&endpoint), planned).await;
    assert!(!report.measured);
    assert!(
        report.note.as_deref().unwrap().contains("unreachable"),
        "{:?}",
        report.note
    );
    assert!(
        report
            .results
            .iter()
            .all(|r| r.verdict == KpiVerdict::NotMeasured && r.value.is_none())
    );
}

#[test]
fn a_kpi_per_flag_is_measured_for_each_released_flag_with_its_own_variants() {
    let mut plan_json = test_plan();
    plan_json["flags"] = json!([ { "key": "new-checkout", "variant": "on" }, { "key": "dark-mode", "variant": "dark" } ]);
    plan_json["kpis"] = json!([ { "name": "errors", "query": "e{flag=\"{{flag}}\",variant=\"{{variant}}\"}", "target": { "max": 1 } } ]);
    let mut release = release_of(plan_json, "running", steps(&[0]));
    release.baseline.insert(
        "dark-mode".into(),
        serde_json::from_value(
            json!({ "enabled": true, "off_variant": "light", "default": { "variant": "light" } }),
        )
        .unwrap(),
    );
    let results = plan(&release, &walk(&release), at(1));
    let queries: Vec<(Option<&str>, Vec<&str>)> = results
        .iter()
        .filter(|r| r.scope == KpiScope::Release)
        .map(|r| {
            (
                r.flag.as_deref(),
                r.measurements.iter().map(|m| m.promql.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        queries,
        vec![
            (
                Some("new-checkout"),
                vec![
                    "e{flag=\"new-checkout\",variant=\"on\"}",
                    "e{flag=\"new-checkout\",variant=\"off\"}"
                ]
            ),
            (
                Some("dark-mode"),
                vec![
                    "e{flag=\"dark-mode\",variant=\"dark\"}",
                    "e{flag=\"dark-mode\",variant=\"light\"}"
                ]
            ),
        ]
    );
}
