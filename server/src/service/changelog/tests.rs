//! Unit tests of the changelog: deliveries per audience, partial and rolled-back
//! releases, the public view, Markdown and the Atom feed.

#![allow(clippy::unwrap_used, reason = "tests")]

use serde_json::json;

use super::atom::{FeedLocation, feed, xml_text};
use super::entry::DeliveryStatus;
use super::markdown;
use super::{View, changelog, entry};
use crate::service::reports::testing::{at, event, plan, release, release_of, steps};

fn walked(state: &str, upto: usize) -> crate::service::releases::Release {
    let mut timeline = steps(&[0, 10, 20, 30][..upto]);
    match state {
        "completed" => timeline.push(event("completed", 40, "alice", json!({}))),
        "rolled_back" => {
            timeline.push(event(
                "incident",
                24,
                "carol",
                json!({ "details": { "what": "errors", "action": "paged" } }),
            ));
            timeline.push(event(
                "rolled_back",
                25,
                "bob",
                json!({ "comment": "error rate" }),
            ));
        }
        _ => {}
    }
    release(state, timeline)
}

#[test]
fn a_completed_release_delivers_to_every_audience_when_it_reached_100_percent() {
    let entry = entry(&walked("completed", 4), View::Public);
    assert_eq!(entry.status, DeliveryStatus::Delivered);
    let deliveries: Vec<_> = entry
        .deliveries
        .iter()
        .map(|d| (d.audience.as_str(), d.delivered_at))
        .collect();
    assert_eq!(
        deliveries,
        vec![("alpha", at(0)), ("beta", at(10)), ("general", at(30))]
    );
    assert_eq!(entry.updated_at, at(40));
    assert!(
        entry.features.is_empty(),
        "end users are not told flag keys"
    );
    assert_eq!(entry.release_version, "2.4.0");
    let internal = super::entry(&walked("completed", 4), View::Internal);
    assert_eq!(internal.features[0].flag, "new-checkout");
}

#[test]
fn a_running_release_has_delivered_only_the_audiences_at_100_percent() {
    let entry = entry(&walked("running", 3), View::Internal);
    assert_eq!(entry.status, DeliveryStatus::InProgress);
    let audiences: Vec<_> = entry
        .deliveries
        .iter()
        .map(|d| d.audience.as_str())
        .collect();
    assert_eq!(
        audiences,
        vec!["alpha", "beta"],
        "general at 10 % is an exposure, not a delivery"
    );
    let exposures = entry.exposures.unwrap();
    assert_eq!(
        (exposures[2].audience.as_str(), exposures[2].percent),
        ("general", 10.0)
    );
}

#[test]
fn a_rolled_back_release_delivers_nothing_and_says_when_it_withdrew() {
    let internal = entry(&walked("rolled_back", 3), View::Internal);
    assert_eq!(internal.status, DeliveryStatus::Withdrawn);
    assert!(
        internal
            .deliveries
            .iter()
            .all(|d| d.withdrawn_at == Some(at(25)))
    );
    assert_eq!(internal.rollback.as_ref().unwrap().reason, "error rate");
    assert_eq!(internal.incidents.as_ref().unwrap()[0].what, "errors");
    let public = entry(&walked("rolled_back", 3), View::Public);
    assert!(public.rollback.is_none() && public.incidents.is_none() && public.exposures.is_none());
    assert!(
        public.listed_in(View::Public),
        "subscribers who saw beta get it learn it is gone"
    );
    let early = entry(&walked("rolled_back", 0), View::Public);
    assert!(!early.listed_in(View::Public), "nothing was ever public");
    assert!(early.listed_in(View::Internal));
}

#[test]
fn a_shadow_release_delivers_only_when_it_completes() {
    let mut shadow = plan();
    shadow["strategy"] = json!("shadow");
    let timeline = vec![
        event("started", 0, "alice", json!({ "stage": 0, "percent": 100 })),
        event(
            "stage_advanced",
            10,
            "alice",
            json!({ "stage": 1, "percent": 100 }),
        ),
    ];
    let running = entry(
        &release_of(shadow.clone(), "running", timeline.clone()),
        View::Public,
    );
    assert!(running.deliveries.is_empty());
    let mut done = timeline;
    done.push(event("completed", 20, "alice", json!({})));
    let completed = entry(&release_of(shadow, "completed", done), View::Public);
    assert!(
        completed
            .deliveries
            .iter()
            .all(|d| d.delivered_at == at(20))
    );
    assert_eq!(completed.deliveries.len(), 3);
}

#[test]
fn releases_that_never_started_are_not_in_the_changelog_and_the_newest_comes_first() {
    let mut old = walked("completed", 4);
    old.id = "rel-old".into();
    let mut newer = walked("running", 1);
    newer.id = "rel-new".into();
    newer.timeline[0].at = at(50);
    let draft = release("draft", vec![]);
    let cancelled = release("cancelled", vec![event("cancelled", 1, "alice", json!({}))]);
    let list = changelog([&old, &newer, &draft, &cancelled], View::Internal);
    let ids: Vec<_> = list.iter().map(|e| e.release.as_str()).collect();
    assert_eq!(ids, vec!["rel-new", "rel-old"]);
}

#[test]
fn markdown_lists_deliveries_and_only_the_internal_view_has_incidents() {
    let releases = [walked("rolled_back", 3)];
    let internal = markdown::changelog(&changelog(&releases, View::Internal), View::Internal);
    assert!(internal.contains("## Checkout v2 2.4.0"));
    assert!(
        internal.contains("| beta | 2030-01-01 09:10:00 UTC | 2030-01-01 09:25:00 UTC |"),
        "{internal}"
    );
    assert!(
        internal.contains("Incidents:")
            && internal.contains("errors")
            && internal.contains("by bob: error rate"),
        "{internal}"
    );
    let public = markdown::changelog(&changelog(&releases, View::Public), View::Public);
    for secret in [
        "Incidents",
        "paged",
        "error rate",
        "bob",
        "carol",
        "Exposure",
    ] {
        assert!(!public.contains(secret), "{secret} in {public}");
    }
}

#[test]
fn the_atom_feed_has_the_required_elements_and_nothing_internal() {
    let mut named = plan();
    named["name"] = json!("Checkout <v2> & \"more\"");
    let mut release = release_of(named, "rolled_back", vec![]);
    release.timeline = walked("rolled_back", 3).timeline;
    let xml = String::from_utf8(feed(
        &changelog([&release], View::Public),
        &FeedLocation {
            self_url: "http://example.test/changelog.atom",
            environment: Some("production"),
        },
    ))
    .unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
    assert!(xml.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
    assert!(xml.contains("<id>urn:rollgate:changelog:production</id>"));
    assert!(xml.contains("<id>urn:rollgate:release:production:rel-test</id>"));
    assert!(xml.contains("<updated>2030-01-01T09:25:00Z</updated>"));
    assert!(
        xml.contains("Checkout &lt;v2&gt; &amp; &quot;more&quot; 2.4.0: withdrawn"),
        "{xml}"
    );
    for secret in ["error rate", "paged", "bob", "carol", "alice", "incident"] {
        assert!(!xml.contains(secret), "{secret} leaked into {xml}");
    }
}

#[test]
fn characters_xml_cannot_hold_are_dropped_from_stored_names() {
    // Stored before free text was checked: the feed must still parse.
    let mut named = plan();
    named["name"] = json!("Checkout\u{1}\u{1b}[31m v2\u{FFFE}");
    let mut release = release_of(named, "completed", vec![]);
    release.timeline = walked("completed", 4).timeline;
    let xml = String::from_utf8(feed(
        &changelog([&release], View::Public),
        &FeedLocation {
            self_url: "http://example.test/changelog.atom",
            environment: None,
        },
    ))
    .unwrap();
    assert!(xml.contains("Checkout[31m v2 2.4.0"), "{xml}");
    assert!(!xml.contains(['\u{1}', '\u{1b}', '\u{FFFE}']), "{xml:?}");
    let mut reader = quick_xml::Reader::from_str(&xml);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(error) => panic!("{error}: {xml}"),
        }
    }
    assert_eq!(xml_text("tab\tand\nlines"), "tab\tand\nlines");
    assert!(matches!(xml_text("plain"), std::borrow::Cow::Borrowed(_)));
}

#[test]
fn end_users_read_the_announcement_instead_of_flag_keys() {
    let mut announced = plan();
    announced["announcement"] = json!({
        "title": "A one-page checkout",
        "body": "Pay in **one** step. <img src=x onerror=alert(1)> [More](https://shop.example/new?a=1&b=2) [x](javascript:alert(1))"
    });
    let mut release = release_of(announced, "completed", vec![]);
    release.timeline = walked("completed", 4).timeline;
    let public = changelog([&release], View::Public);
    let markdown = markdown::changelog(&public, View::Public);
    assert!(
        markdown.contains("## A one-page checkout\n\nCheckout v2 2.4.0"),
        "{markdown}"
    );
    assert!(markdown.contains("Pay in **one** step."), "{markdown}");
    assert!(
        markdown.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{markdown}"
    );
    assert!(!markdown.contains("new-checkout"), "{markdown}");
    let xml = String::from_utf8(feed(
        &public,
        &FeedLocation {
            self_url: "http://example.test/changelog.atom",
            environment: None,
        },
    ))
    .unwrap();
    assert!(
        xml.contains("<title>A one-page checkout: available to everyone</title>"),
        "{xml}"
    );
    assert!(xml.contains("<content type=\"html\">"), "{xml}");
    // The HTML is escaped once more inside the XML.
    assert!(xml.contains("&lt;strong&gt;one&lt;/strong&gt;"), "{xml}");
    assert!(
        xml.contains("href=&quot;https://shop.example/new?a=1&amp;amp;b=2&quot;"),
        "{xml}"
    );
    assert!(
        !xml.contains("&lt;img"),
        "raw HTML never becomes markup: {xml}"
    );
    assert!(!xml.contains("javascript:"), "{xml}");
    assert!(!xml.contains("new-checkout"), "{xml}");
    let internal = markdown::changelog(&changelog([&release], View::Internal), View::Internal);
    assert!(
        internal.contains("Features: new-checkout → on"),
        "{internal}"
    );
}
