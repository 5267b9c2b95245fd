//! Pages filled as the server fills them with the demo's data (`serve --demo`: seven
//! flags, a release in flight with a timeline) and with a catalog of 10 000 flags (a
//! page of the list), for the rendering benchmark and the tests of size and escaping.

#![allow(dead_code, reason = "each user takes what it needs")]

use rollgate_dashboard::flags::{EnvironmentConfig, FlagList, FlagPage, FlagRow, HistoryRow};
use rollgate_dashboard::layout::{Layout, Section, User};
use rollgate_dashboard::releases::{
    Actions, ApprovalRow, CheckItem, EventRow, IncidentRow, Overview, ReleasePage, ReleaseRow,
    ReleaseView, RiskRow, StageRow,
};

/// The demo's flags, with their descriptions.
pub const DEMO_FLAGS: [(&str, &str); 7] = [
    (
        "new-checkout",
        "One-page checkout, rolled out to 25 % of everyone",
    ),
    (
        "checkout-theme",
        "Colour theme of the checkout (multivariate)",
    ),
    (
        "search-v2",
        "New search engine, for the alpha and beta rings only",
    ),
    ("cart-limit", "Most items in a cart (integer)"),
    ("discount-rate", "Loyalty discount (float)"),
    (
        "banner",
        "Home page banner (object), holiday banner for app 2.x and later",
    ),
    (
        "maintenance-mode",
        "Read-only mode during maintenance (off)",
    ),
];

/// The frame of a release manager's page, with `text` wherever a person writes.
pub fn layout(section: Section) -> Layout {
    Layout {
        title: "Checkout v2".to_owned(),
        section,
        user: Some(User {
            name: "demo admin".to_owned(),
            role: "admin".to_owned(),
            edits_flags: true,
            runs_releases: true,
            manages_tokens: true,
        }),
        csrf: "0123456789abcdef0123456789abcdef".to_owned(),
        ..Layout::default()
    }
}

/// A release in flight: six stages, the fourth current, 40 timeline events.
pub fn release(text: &str) -> ReleaseView {
    let stages = [
        ("alpha", 100),
        ("beta", 100),
        ("general", 1),
        ("general", 10),
        ("general", 50),
        ("general", 100),
    ];
    ReleaseView {
        id: "rel-demo0000001".to_owned(),
        version: 42,
        name: format!("Checkout v2 {text}"),
        release_version: "2.4.0".to_owned(),
        environment: "production".to_owned(),
        state: "running".to_owned(),
        author: "alice".to_owned(),
        flags: vec![
            "new-checkout → on".to_owned(),
            "checkout-theme → ocean".to_owned(),
        ],
        position: "stage 4 of 6: general at 10 %".to_owned(),
        exposure: 10.0,
        percent: 10.0,
        verdict: "hold: 15 s of 20 s baked with data".to_owned(),
        stages: stages
            .iter()
            .enumerate()
            .map(|(i, (audience, percent))| StageRow {
                number: i + 1,
                audience: (*audience).to_owned(),
                percent: format!("{percent} %"),
                bake: "15m".to_owned(),
                current: i == 3,
                done: i < 3,
            })
            .collect(),
        checklist: (0..3)
            .map(|index| CheckItem {
                index,
                item: format!("Item {index} {text}"),
                owner: "ops".to_owned(),
                done: true,
            })
            .collect(),
        approvals: vec![ApprovalRow {
            by: "bob".to_owned(),
            at: "2030-01-01T00:00:00Z".to_owned(),
            comment: format!("fine {text}"),
        }],
        approvals_required: 1,
        risks: vec![RiskRow {
            description: format!("Payment timeouts {text}"),
            rating: "likelihood low, impact high".to_owned(),
            mitigation: "Roll back on error rate".to_owned(),
            id: "risk-1".to_owned(),
            owner: format!("dana {text}"),
            status: "occurred".to_owned(),
            incident: "incident-1".to_owned(),
        }],
        incidents: vec![IncidentRow {
            release_id: "rel-demo0000001".to_owned(),
            release_name: format!("Checkout {text}"),
            at: "2030-01-01T00:00:00Z".to_owned(),
            what: format!("Payment timeouts {text}"),
            id: "incident-1".to_owned(),
            severity: "high".to_owned(),
            status: "resolved in 1h".to_owned(),
            owner: format!("carol {text}"),
            actions: vec![format!("2030-01-01T00:00:00Z carol: paged {text}")],
        }],
        kpis: vec!["conversion: sum(rate(orders_total[5m]))".to_owned()],
        notes: format!("Notes {text}"),
        timeline: (0..40)
            .map(|i| EventRow {
                at: "2030-01-01T00:00:00Z".to_owned(),
                event: "analysis".to_owned(),
                by: "controller".to_owned(),
                text: format!("hold: {i} s of 20 s baked with data {text}"),
            })
            .collect(),
        actions: Actions {
            pause: true,
            promote: true,
            percent: true,
            rollback: true,
            incident: true,
            ..Actions::default()
        },
    }
}

/// The release page.
pub fn release_page(text: &str) -> ReleasePage {
    ReleasePage {
        layout: layout(Section::Releases),
        release: release(text),
    }
}

/// The overview with the demo's release in flight and a few more.
pub fn overview(text: &str) -> Overview {
    let row = |i: usize| ReleaseRow {
        id: format!("rel-demo{i:07}"),
        name: format!("Release {i} {text}"),
        environment: "production".to_owned(),
        state: "running".to_owned(),
        position: "stage 4 of 6: general at 10 %".to_owned(),
        exposure: 10.0,
        verdict: "hold: 15 s of 20 s baked with data".to_owned(),
        starts_at: String::new(),
        approvals: "1 of 1".to_owned(),
    };
    Overview {
        layout: layout(Section::Overview),
        in_flight: (0..5).map(row).collect(),
        awaiting_approval: (5..8).map(row).collect(),
        scheduled: (8..10).map(row).collect(),
        incidents: (0..10)
            .map(|i| IncidentRow {
                release_id: format!("rel-demo{i:07}"),
                release_name: format!("Release {i}"),
                at: "2030-01-01T00:00:00Z".to_owned(),
                what: format!("Latency {text}"),
                ..IncidentRow::default()
            })
            .collect(),
    }
}

/// One page (50 rows) of a list of `total` flags.
pub fn flag_list(total: usize, text: &str) -> FlagList {
    FlagList {
        layout: layout(Section::Flags),
        environment: "production".to_owned(),
        environments: vec!["development".into(), "staging".into(), "production".into()],
        query: String::new(),
        rows: (0..total.min(50))
            .map(|i| {
                let (key, description) = DEMO_FLAGS[i % DEMO_FLAGS.len()];
                FlagRow {
                    key: format!("{key}-{i}"),
                    description: format!("{description} {text}"),
                    state: "on".to_owned(),
                    rollout: Some(25.0),
                    owner: String::new(),
                }
            })
            .collect(),
        page: 1,
        pages: total.div_ceil(50),
        total,
    }
}

/// The page of `new-checkout` with 20 history entries.
pub fn flag_page(text: &str) -> FlagPage {
    let config = r#"{ "enabled": true, "off_variant": "off", "rules": [], "default": { "rollout": [ { "variant": "on", "weight": 2500 }, { "variant": "off", "weight": 7500 } ] } }"#;
    FlagPage {
        layout: layout(Section::Flags),
        key: "new-checkout".to_owned(),
        description: format!("One-page checkout {text}"),
        version: 7,
        variants: vec!["on = true".into(), "off = false".into()],
        environments: ["development", "staging", "production"]
            .iter()
            .map(|e| EnvironmentConfig {
                environment: (*e).to_owned(),
                enabled: true,
                rollout: Some(25.0),
                json: config.to_owned(),
                typed_percent: "25".to_owned(),
            })
            .collect(),
        history: (0..20u64)
            .map(|revision| HistoryRow {
                revision,
                at: "2030-01-01T00:00:00Z".to_owned(),
                actor: "alice (tok1)".to_owned(),
                action: "flag.configure".to_owned(),
                diff: vec![
                    "- \"weight\": 2500".to_owned(),
                    "+ \"weight\": 3000".to_owned(),
                ],
                restorable: true,
            })
            .collect(),
        evaluate_in: "production".to_owned(),
        evaluation: None,
        conflict: None,
    }
}
