//! Pages filled as the server fills them with the demo's data (`serve --demo`: seven
//! flags, a release in flight with a timeline) and with a catalog of 10 000 flags (a
//! page of the list), for the rendering benchmark and the tests of size and escaping.

#![allow(dead_code, reason = "each user takes what it needs")]

use rollgate_dashboard::calendar::{AnnouncementRow, Calendar, WindowRow};
use rollgate_dashboard::catalog::{
    AuditLog, AuditRow, DeliveryRow, EnvironmentList, EnvironmentRow, Pager, SegmentList,
    SegmentRow, WebhookPage, WebhookRow,
};
use rollgate_dashboard::flags::{EnvironmentConfig, FlagList, FlagPage, FlagRow, HistoryRow};
use rollgate_dashboard::layout::{Layout, Section, User};
use rollgate_dashboard::release_charts::CheckChart;
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
        charts: vec![chart(&format!("error-rate {text}"))],
    }
}

/// A chart of 60 intervals shaped like the server's (two arms of points and lines, a
/// bound), for the page's weight and rendering time.
pub fn chart(check: &str) -> CheckChart {
    let mut svg = String::from(
        r#"<svg width="960" height="300" viewBox="0 0 960 300" xmlns="http://www.w3.org/2000/svg">"#,
    );
    for arm in ["#D62728", "#1F77B4"] {
        let points: Vec<String> = (0..60)
            .map(|i| format!("{},{}", 80 + i * 14, 150 + (i % 7) * 5))
            .collect();
        svg.push_str(&format!(
            r#"<polyline fill="none" opacity="1" stroke="{arm}" stroke-width="2" points="{}"/>"#,
            points.join(" ")
        ));
        for i in 0..60 {
            svg.push_str(&format!(
                r#"<circle cx="{}" cy="{}" r="3" opacity="1" fill="{arm}" stroke="none" stroke-width="0"/>"#,
                80 + i * 14,
                150 + (i % 7) * 5
            ));
        }
    }
    svg.push_str("</svg>");
    CheckChart {
        check: check.to_owned(),
        bound: "≤ 0.05".to_owned(),
        has_data: true,
        shown: 60,
        recorded: 240,
        svg,
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
        calendar: Calendar {
            announcements: (0..3)
                .map(|i| AnnouncementRow {
                    release_id: format!("rel-demo{i:07}"),
                    release_name: format!("Release {i}"),
                    title: format!("A faster checkout {text}"),
                    at: "2030-01-02T09:00:00Z".to_owned(),
                })
                .collect(),
            windows: (0..2)
                .map(|i| WindowRow {
                    release_id: format!("rel-demo{i:07}"),
                    release_name: format!("Release {i} {text}"),
                    start: "2030-01-03T22:00:00Z".to_owned(),
                    end: "2030-01-04T02:00:00Z".to_owned(),
                    now: i == 0,
                })
                .collect(),
        },
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

/// A page of segments: the rings and ours, with `text` in each description.
pub fn segment_list(text: &str) -> SegmentList {
    SegmentList {
        layout: layout(Section::Segments),
        rows: (0..50)
            .map(|i| SegmentRow {
                key: format!("segment-{i}"),
                description: format!("Segment {i} {text}"),
                ring: i < 3,
                included: 12,
                excluded: 1,
                rules: format!(
                    "[{{\"attribute\": \"plan\", \"op\": \"in\", \"values\": [\"{text}\"]}}]"
                ),
                rule_count: 1,
            })
            .collect(),
        pager: Pager::new(1, 120, 50, "/segments?page="),
    }
}

/// The environments with their policies.
pub fn environment_list(text: &str) -> EnvironmentList {
    EnvironmentList {
        layout: layout(Section::Environments),
        rows: ["development", "staging", "production"]
            .iter()
            .map(|key| EnvironmentRow {
                key: (*key).to_owned(),
                description: format!("{key} {text}"),
                min_approvals: 1,
                signoffs: vec![text.to_owned()],
                in_flight: 1,
            })
            .collect(),
    }
}

/// A webhook and a page of its deliveries.
pub fn webhook_page(text: &str) -> WebhookPage {
    let webhook = WebhookRow {
        id: "wh-0001".to_owned(),
        url: format!("https://hooks.example/{text}"),
        description: text.to_owned(),
        events: vec!["started".to_owned(), "rolled_back".to_owned()],
        active: true,
        created: "admin at 2030-01-01T00:00:00Z".to_owned(),
    };
    WebhookPage {
        layout: layout(Section::Webhooks),
        webhook,
        deliveries: (0..50)
            .map(|i| DeliveryRow {
                id: format!("dl-{i}"),
                event: "started".to_owned(),
                release: "rel-demo0000001".to_owned(),
                created_at: "2030-01-01T00:00:00Z".to_owned(),
                state: "failed".to_owned(),
                attempts: 5,
                last: format!("error sending request {text}"),
            })
            .collect(),
        pager: Pager::new(1, 400, 50, "/webhooks/wh-0001?page="),
    }
}

/// A page of the audit log.
pub fn audit_log(text: &str) -> AuditLog {
    AuditLog {
        layout: layout(Section::Audit),
        kind: String::new(),
        kinds: vec!["flag".to_owned(), "release".to_owned()],
        rows: (0..50)
            .map(|i| AuditRow {
                kind: "flag".to_owned(),
                key: format!("flag-{i}"),
                entry: HistoryRow {
                    revision: 1000 - i,
                    at: "2030-01-01T00:00:00Z".to_owned(),
                    actor: "admin".to_owned(),
                    action: "flag.put".to_owned(),
                    diff: vec![
                        format!("- \"description\": \"{text}\""),
                        "+ \"enabled\": true".to_owned(),
                    ],
                    restorable: false,
                },
            })
            .collect(),
        older: Some("/audit?kind=&before=950".to_owned()),
    }
}
