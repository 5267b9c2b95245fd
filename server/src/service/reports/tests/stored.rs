//! The final report: written once when a release has ended, then served byte for byte
//! — even when a fresh generation would say something else; a rolled-back release's
//! only once its propagation record is on the timeline (or the grace is over).

use std::sync::Arc;

use serde_json::json;

use crate::infra::auth::{Role, TokenIndex, TokenKind, TokenRecord};
use crate::infra::clock::{Clock, ManualClock};
use crate::infra::config::Settings;
use crate::infra::hub::Hub;
use crate::infra::metrics::Metrics;
use crate::infra::store::embedded::{EmbeddedOptions, EmbeddedStore};
use crate::infra::store::{Commit, Expect, Kind, Store, Write};
use crate::infra::wake::Wake;
use crate::service::App;
use crate::service::Principal;
use crate::service::releases::Release;
use crate::service::reports::report;
use crate::service::reports::testing::{at, event, release, steps};
use crate::tasks::report_writer as writer;

fn app(dir: &std::path::Path) -> Arc<App> {
    let store: Arc<dyn Store> =
        Arc::new(EmbeddedStore::open(dir, EmbeddedOptions::default()).unwrap());
    let tokens = Arc::new(TokenIndex::default());
    let metrics = Metrics::new().unwrap();
    let clock = Arc::new(ManualClock::new(at(60)));
    Arc::new(App {
        settings: Settings::default(),
        store,
        hub: Arc::new(Hub::new(Arc::clone(&tokens), metrics.clone())),
        tokens,
        metrics,
        clock: Arc::clone(&clock) as Arc<dyn Clock>,
        manual_clock: Some(clock),
        wake: Arc::new(Wake::default()),
        kpis: Default::default(),
    })
}

fn viewer() -> Principal {
    Principal::new(Arc::new(TokenRecord {
        id: "tok-viewer".into(),
        name: "viewer".into(),
        kind: TokenKind::Admin,
        role: Some(Role::Viewer),
        environment: None,
        environments: None,
        allowed_origins: None,
        secret_sha256: String::new(),
        created_by: "test".into(),
        created_at: at(0),
    }))
}

async fn put(app: &App, release: &Release, expect: Expect) {
    app.store
        .commit(Commit {
            actor: "test".into(),
            action: "release.test".into(),
            at: app.clock.now(),
            writes: vec![Write::put(
                Kind::Release,
                release.id.clone(),
                expect,
                serde_json::to_vec(release).unwrap(),
            )],
            checks: Vec::new(),
            audited: false,
            expect_revision: None,
        })
        .await
        .unwrap();
}

fn ended() -> Release {
    release(
        "rolled_back",
        vec![
            event("started", 0, "alice", json!({ "stage": 0, "percent": 100 })),
            event(
                "rolled_back",
                5,
                "alice",
                json!({ "stage": 0, "percent": 100, "comment": "errors" }),
            ),
        ],
    )
}

#[tokio::test]
async fn a_final_report_is_written_once_and_served_byte_for_byte_ever_after() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let mut release = ended();
    put(&app, &release, Expect::Absent).await;
    let first = report(&app, &viewer(), &release.id).await.unwrap();
    assert_eq!(first.version, Some(1));
    assert!(first.report.is_final);

    // Everything a fresh generation depends on moves: the clock, the timeline, the KPI
    // source. The stored report does not.
    let incident = event(
        "incident",
        30,
        "carol",
        json!({ "details": { "what": "late", "action": "noted" } }),
    );
    release
        .timeline
        .push(serde_json::from_value(incident).unwrap());
    put(&app, &release, Expect::Version(1)).await;
    app.manual_clock
        .as_ref()
        .unwrap()
        .advance(time::Duration::hours(5));
    let again = report(&app, &viewer(), &release.id).await.unwrap();
    assert_eq!(&*again.json, &*first.json, "byte for byte");
    assert_eq!(again.version, Some(1));
    assert_eq!(
        writer::pass(&app).await.unwrap(),
        0,
        "nothing left to write"
    );
    let stored = app
        .store
        .get(Kind::Report, &release.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.version, 1, "never rewritten");
    assert_eq!(&*stored.body, &*first.json);
}

#[tokio::test]
async fn the_writer_writes_the_report_of_every_ended_release_and_only_those() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let ended = ended();
    let mut running = release("running", steps(&[0]));
    running.id = "rel-running".into();
    put(&app, &ended, Expect::Absent).await;
    put(&app, &running, Expect::Absent).await;
    assert_eq!(writer::pass(&app).await.unwrap(), 1);
    assert!(
        app.store
            .get(Kind::Report, &ended.id)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        app.store
            .get(Kind::Report, &running.id)
            .await
            .unwrap()
            .is_none(),
        "an interim report is not stored"
    );
    let interim = report(&app, &viewer(), &running.id).await.unwrap();
    assert_eq!(interim.version, None);
    assert!(!interim.report.is_final);
    assert!(
        app.store
            .get(Kind::Report, &running.id)
            .await
            .unwrap()
            .is_none()
    );
    // The report and a request racing for it: one write, the loser reads the winner's.
    let viewer = viewer();
    let (a, b) = tokio::join!(report(&app, &viewer, &ended.id), writer::pass(&app));
    assert_eq!(a.unwrap().version, Some(1));
    assert_eq!(b.unwrap(), 0);
}

#[tokio::test]
async fn two_first_requests_at_once_store_one_report() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let ended = ended();
    put(&app, &ended, Expect::Absent).await;
    let viewer = viewer();
    let (a, b) = tokio::join!(
        report(&app, &viewer, &ended.id),
        report(&app, &viewer, &ended.id)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(&*a.json, &*b.json, "the loser serves the winner's report");
    assert_eq!(
        app.store
            .get(Kind::Report, &ended.id)
            .await
            .unwrap()
            .unwrap()
            .version,
        1
    );
}

#[tokio::test]
async fn the_writer_task_writes_the_report_of_a_release_as_soon_as_it_ends() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let mut running = release("running", steps(&[0]));
    put(&app, &running, Expect::Absent).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(writer::run(Arc::clone(&app), stopped));
    running.state = rollgate_core::release::ReleaseState::RolledBack;
    running.timeline.push(
        serde_json::from_value(event(
            "rolled_back",
            5,
            "alice",
            json!({ "comment": "errors" }),
        ))
        .unwrap(),
    );
    put(&app, &running, Expect::Version(1)).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let report = loop {
        if let Some(report) = app.store.get(Kind::Report, &running.id).await.unwrap() {
            break report;
        }
        assert!(std::time::Instant::now() < deadline, "no report written");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    };
    let report: crate::service::reports::Report = serde_json::from_slice(&report.body).unwrap();
    assert!(report.is_final);
    assert_eq!(report.dates.ended_at, Some(at(5)));
    stop.send(true).unwrap();
    task.await.unwrap();
}

#[tokio::test]
async fn the_writer_reads_only_releases_a_change_left_ended() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let ended_release = ended();
    let mut running = release("running", vec![]);
    running.id = "rel-running".into();
    let change = app
        .store
        .commit(Commit {
            actor: "test".into(),
            action: "test".into(),
            at: app.clock.now(),
            writes: vec![
                Write::put(
                    Kind::Release,
                    ended_release.id.clone(),
                    Expect::Absent,
                    serde_json::to_vec(&ended_release).unwrap(),
                ),
                Write::put(
                    Kind::Release,
                    running.id.clone(),
                    Expect::Absent,
                    serde_json::to_vec(&running).unwrap(),
                ),
                Write::put(
                    Kind::Report,
                    "rel-other",
                    Expect::Absent,
                    b"{\"state\":\"completed\",\"id\":\"x\"}".to_vec(),
                ),
            ],
            checks: Vec::new(),
            audited: false,
            expect_revision: None,
        })
        .await
        .unwrap();
    assert_eq!(writer::ended(&change), vec![ended_release.id]);
}

#[tokio::test]
async fn a_rollback_report_waits_for_the_propagation_record_then_carries_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = app(dir.path());
    let clock = app.manual_clock.clone().unwrap();
    let mut release = release(
        "rolled_back",
        vec![
            event("started", 0, "alice", json!({ "stage": 0, "percent": 100 })),
            event(
                "rolled_back",
                60,
                "system:controller",
                json!({ "stage": 0, "percent": 100, "comment": "errors" }),
            ),
        ],
    );
    put(&app, &release, Expect::Absent).await;
    // Just rolled back, the record still to come: an interim report, nothing stored.
    let interim = report(&app, &viewer(), &release.id).await.unwrap();
    assert_eq!(interim.version, None);
    assert!(!interim.report.is_final);
    assert_eq!(interim.report.rollback, None);
    assert_eq!(writer::pass(&app).await.unwrap(), 0);
    assert!(
        app.store
            .get(Kind::Report, &release.id)
            .await
            .unwrap()
            .is_none()
    );

    let propagated = event(
        "rollback_propagated",
        60,
        "system:controller",
        json!({ "details": { "revision": 42, "written_at": crate::service::reports::text::rfc3339(at(60)),
                             "served_at": crate::service::reports::text::rfc3339(at(60) + time::Duration::milliseconds(40)),
                             "sdk_streams": { "connected": 3, "received": 2 } } }),
    );
    release
        .timeline
        .push(serde_json::from_value(propagated).unwrap());
    put(&app, &release, Expect::Version(1)).await;
    assert_eq!(writer::pass(&app).await.unwrap(), 1);
    let stored = report(&app, &viewer(), &release.id).await.unwrap();
    assert_eq!(stored.version, Some(1));
    assert!(stored.report.is_final);
    let record = stored.report.rollback.clone().unwrap();
    assert_eq!(record.revision, 42);
    assert_eq!(
        (record.sdk_streams_connected, record.sdk_streams_received),
        (Some(3), Some(2))
    );
    let rolled = stored
        .report
        .issues
        .iter()
        .find(|i| i.kind == crate::service::reports::model::IssueKind::RolledBack)
        .unwrap();
    assert_eq!(rolled.actions[0].by, "system:controller");
    assert!(
        rolled.actions[1].action.contains("store revision 42")
            && rolled.actions[1].action.contains("served 40 ms after")
            && rolled.actions[1]
                .action
                .contains("2 of 3 connected SDK stream"),
        "{:?}",
        rolled.actions
    );

    // Without a record, the report is stored once the grace is over.
    let mut unrecorded = release.clone();
    unrecorded.id = "rel-unrecorded".into();
    unrecorded.timeline.pop();
    put(&app, &unrecorded, Expect::Absent).await;
    assert!(
        !report(&app, &viewer(), &unrecorded.id)
            .await
            .unwrap()
            .report
            .is_final
    );
    clock.advance(time::Duration::seconds(10));
    let late = report(&app, &viewer(), &unrecorded.id).await.unwrap();
    assert_eq!(late.version, Some(1));
    assert!(late.report.is_final);
    assert_eq!(late.report.rollback, None);
}
