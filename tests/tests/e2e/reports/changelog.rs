//! The changelog end to end: JSON and Markdown for the team (internal and public view),
//! the Atom feed for end users (no token, nothing internal, well-formed, with the
//! elements RFC 4287 requires), the switch that turns the feed off, and the CLI.

use quick_xml::Reader;
use quick_xml::events::Event;
use reqwest::StatusCode;
use rollgate_e2e::Server;
use rollgate_e2e::openapi::ApiDocument;
use serde_json::{Value, json};

use super::support::{cli, get, rolled_back_by_hand, view};
use crate::releases::support::{Desk, canary, manual_clock};

/// Words that must never reach end users: incident texts, reasons, comments, token
/// names.
const INTERNAL: [&str; 7] = [
    "Checkout errors at 4 %",
    "payments team paged",
    "payment provider timeouts",
    "error spike",
    "e2e-release_manager",
    "approver",
    "Marketing materials",
];

/// Three releases: one completed (every audience), one rolled back after beta, one
/// running at beta; and one draft that is in no changelog.
async fn releases(desk: &Desk) -> (String, String, String) {
    for flag in ["dark-mode", "search-v2"] {
        desk.flag(flag).await;
    }
    let m = desk.manager.clone();
    let mut dark = canary(&["dark-mode"]);
    dark["name"] = json!("Dark mode");
    dark["release_version"] = json!("1.2.0");
    dark["announcement"] = json!({
        "title": "Easy on the eyes: dark mode",
        "body": "Switch it on in **Settings**. <script>alert(1)</script> [How](https://help.example/dark?a=1&b=2)"
    });
    let completed = desk.approved(dark).await;
    desk.must(&m, &completed, "start", json!({})).await;
    for _ in 0..6 {
        desk.advance("1m").await;
        desk.must(&m, &completed, "promote", json!({})).await;
    }
    let rolled_back = rolled_back_by_hand(desk).await;
    let mut search = canary(&["search-v2"]);
    search["name"] = json!("Search v2");
    search["release_version"] = json!("3.0.0");
    let running = desk.approved(search).await;
    desk.must(&m, &running, "start", json!({})).await;
    desk.advance("1m").await;
    desk.must(&m, &running, "promote", json!({})).await;
    desk.create(canary(&["dark-mode"])).await;
    (completed, rolled_back, running)
}

fn entry<'a>(list: &'a Value, id: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|e| e["release"] == id)
        .unwrap_or_else(|| panic!("{id} not in {list}"))
}

#[tokio::test]
async fn the_changelog_says_what_each_release_delivered_to_whom_in_every_form() {
    let (desk, _stub) = super::support::desk_with_prometheus().await;
    let (completed, rolled_back, running) = releases(&desk).await;

    // Internal JSON.
    let internal = view(&desk, "/api/v1/changelog", None).await;
    assert_eq!(internal.status, StatusCode::OK, "{}", internal.text);
    let list = internal.json();
    let api = ApiDocument::fetch(&desk.server).await;
    api.assert_valid(
        "the changelog",
        &api.response_schema(&reqwest::Method::GET, "/api/v1/changelog", 200),
        &list,
    );
    assert_eq!(
        list.as_array().unwrap().len(),
        3,
        "the draft is in no changelog"
    );
    let done = entry(&list, &completed);
    assert_eq!(done["status"], "delivered");
    assert_eq!(done["release_version"], "1.2.0");
    let audiences: Vec<&str> = done["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["audience"].as_str().unwrap())
        .collect();
    assert_eq!(audiences, vec!["alpha", "beta", "general"]);
    let withdrawn = entry(&list, &rolled_back);
    assert_eq!(withdrawn["status"], "withdrawn");
    assert_eq!(withdrawn["rollback"]["reason"], "payment provider timeouts");
    assert_eq!(withdrawn["incidents"][0]["what"], "Checkout errors at 4 %");
    assert_eq!(withdrawn["exposures"][2]["percent"], 5.0);
    let rolling = entry(&list, &running);
    assert_eq!(rolling["status"], "in_progress");
    assert_eq!(
        rolling["deliveries"].as_array().unwrap().len(),
        2,
        "alpha and beta so far"
    );
    assert_eq!(
        list[0]["release"], running,
        "the most recently changed first"
    );

    // Public JSON: the same deliveries, nothing internal.
    let public = view(&desk, "/api/v1/changelog?view=public", None).await;
    for secret in INTERNAL {
        assert!(
            !public.text.contains(secret),
            "{secret} in the public view: {}",
            public.text
        );
    }
    let public = public.json();
    assert_eq!(
        entry(&public, &rolled_back)["deliveries"],
        withdrawn["deliveries"]
    );
    assert!(entry(&public, &rolled_back).get("rollback").is_none());

    // End users read the announcement, never flag keys; the team keeps them.
    let announced = entry(&public, &completed);
    assert_eq!(
        announced["announcement"]["title"],
        "Easy on the eyes: dark mode"
    );
    assert!(announced.get("features").is_none(), "{announced}");
    assert_eq!(done["features"][0]["flag"], "dark-mode");
    for key in ["dark-mode", "search-v2", "new-checkout"] {
        assert!(
            !public.to_string().contains(key),
            "{key} in the public view"
        );
    }

    // Markdown.
    let markdown = view(&desk, "/api/v1/changelog", Some("text/markdown")).await;
    assert_eq!(
        markdown.header("content-type"),
        "text/markdown; charset=utf-8"
    );
    assert!(markdown.text.starts_with("# Changelog"));
    assert!(
        markdown.text.contains("## Dark mode 1.2.0")
            && markdown.text.contains("**delivered to everyone**")
    );
    assert!(markdown.text.contains("Incidents:"));
    let public_md = view(&desk, "/api/v1/changelog?view=public&format=md", None).await;
    assert!(public_md.text.contains("## Search v2 3.0.0"));
    assert!(
        public_md
            .text
            .contains("## Easy on the eyes: dark mode\n\nDark mode 1.2.0"),
        "{}",
        public_md.text
    );
    assert!(public_md.text.contains("Switch it on in **Settings**."));
    assert!(
        public_md.text.contains("&lt;script&gt;"),
        "raw HTML escaped"
    );
    assert!(!public_md.text.contains("dark-mode"));
    for secret in INTERNAL {
        assert!(
            !public_md.text.contains(secret),
            "{secret} in {}",
            public_md.text
        );
    }

    // Atom: no token, public view, well-formed, the required elements.
    let feed = get(
        &desk.server,
        "/changelog.atom?environment=production",
        None,
        None,
    )
    .await;
    assert_eq!(feed.status, StatusCode::OK, "{}", feed.text);
    assert_eq!(
        feed.header("content-type"),
        "application/atom+xml; charset=utf-8"
    );
    for secret in INTERNAL {
        assert!(
            !feed.text.contains(secret),
            "{secret} in the feed: {}",
            feed.text
        );
    }
    let atom = parse_atom(&feed.text);
    assert_eq!(atom.feed_ids.len(), 1, "feed id");
    assert_eq!(atom.feed_titles.len(), 1, "feed title");
    assert_eq!(atom.feed_updated.len(), 1, "feed updated");
    assert!(
        atom.feed_has_author,
        "a feed-level author stands in for the entries'"
    );
    assert_eq!(atom.entries.len(), 3);
    for entry in &atom.entries {
        assert_eq!(entry.ids.len(), 1, "entry id: {entry:?}");
        assert_eq!(entry.titles.len(), 1, "entry title: {entry:?}");
        assert_eq!(entry.updated.len(), 1, "entry updated: {entry:?}");
        assert!(entry.has_content, "an entry without a link needs content");
        for stamp in entry.updated.iter().chain(&atom.feed_updated) {
            time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339)
                .unwrap_or_else(|e| panic!("{stamp} is not RFC 3339: {e}"));
        }
    }
    assert!(
        atom.entries
            .iter()
            .any(|e| e.titles[0] == "Easy on the eyes: dark mode: available to everyone"),
        "{atom:?}"
    );
    let content = &atom
        .entries
        .iter()
        .find(|e| e.titles[0].starts_with("Easy on the eyes"))
        .unwrap()
        .content;
    assert!(content.contains("<strong>Settings</strong>"), "{content}");
    assert!(
        content.contains("<a href=\"https://help.example/dark?a=1&amp;b=2\">How</a>"),
        "{content}"
    );
    assert!(!content.contains("<script"), "{content}");
    assert!(!feed.text.contains("dark-mode"), "no flag key in the feed");
    assert!(
        atom.entries
            .iter()
            .any(|e| e.titles[0] == "Checkout v2 2.4.0: withdrawn")
    );
    assert!(
        atom.entries
            .iter()
            .any(|e| e.ids[0] == format!("urn:rollgate:release:production:{completed}"))
    );
    let elsewhere = get(
        &desk.server,
        "/changelog.atom?environment=development",
        None,
        None,
    )
    .await;
    assert_eq!(parse_atom(&elsewhere.text).entries.len(), 0);

    // The bad and the unauthorised.
    let bad = view(&desk, "/api/v1/changelog?view=secret", None).await;
    assert_eq!(
        (bad.status, bad.json()["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("view"))
    );
    assert_eq!(
        get(&desk.server, "/api/v1/changelog", None, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let html = view(&desk, "/api/v1/changelog", Some("text/html")).await;
    assert_eq!(html.status, StatusCode::NOT_ACCEPTABLE);

    // The CLI.
    let output = cli(&desk, &["changelog", "--public", "--format", "json"]).await;
    assert!(output.status.success());
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed, public);
    let output = cli(&desk, &["changelog"]).await;
    let printed = String::from_utf8(output.stdout).unwrap();
    assert_eq!(printed.trim_end(), markdown.text.trim_end());
}

#[tokio::test]
async fn the_public_feed_can_be_turned_off() {
    let mut options = manual_clock();
    options.env.push((
        "ROLLGATE_CHANGELOG__PUBLIC_FEED".to_owned(),
        "false".to_owned(),
    ));
    let server = Server::start_with(options).await;
    let feed = get(&server, "/changelog.atom", None, None).await;
    assert_eq!(feed.status, StatusCode::NOT_FOUND);
    assert!(
        feed.json()["detail"]
            .as_str()
            .unwrap()
            .contains("changelog.public_feed")
    );
}

/// What the feed holds, element by element.
#[derive(Debug, Default)]
struct Atom {
    feed_ids: Vec<String>,
    feed_titles: Vec<String>,
    feed_updated: Vec<String>,
    feed_has_author: bool,
    entries: Vec<AtomEntry>,
}

#[derive(Debug, Default)]
struct AtomEntry {
    ids: Vec<String>,
    titles: Vec<String>,
    updated: Vec<String>,
    has_content: bool,
    /// The content, unescaped once (HTML for `type="html"`).
    content: String,
}

/// Parses the feed with quick-xml (which fails on XML that is not well-formed) and
/// collects the elements RFC 4287 requires of a feed and its entries.
fn parse_atom(text: &str) -> Atom {
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut atom = Atom::default();
    let mut path: Vec<String> = Vec::new();
    let mut root_namespace = None;
    let mut content = String::new();
    loop {
        let event = reader
            .read_event()
            .unwrap_or_else(|e| panic!("not well-formed XML ({e}): {text}"));
        match event {
            Event::Start(start) => {
                let name = String::from_utf8(start.name().as_ref().to_vec()).unwrap();
                if path.is_empty() {
                    assert_eq!(name, "feed", "the root is <feed>");
                    root_namespace = start
                        .try_get_attribute("xmlns")
                        .unwrap()
                        .map(|a| a.unescape_value().unwrap().into_owned());
                }
                if name == "entry" && path.len() == 1 {
                    atom.entries.push(AtomEntry::default());
                }
                if name == "author" && path.len() == 1 {
                    atom.feed_has_author = true;
                }
                if name == "content" && path.len() == 2 {
                    atom.entries.last_mut().unwrap().has_content = true;
                }
                path.push(name);
                content.clear();
            }
            Event::Text(part) => content.push_str(&part.decode().unwrap()),
            Event::GeneralRef(reference) => {
                let name = reference.decode().unwrap().into_owned();
                let resolved = match reference.resolve_char_ref().unwrap() {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&name)
                        .unwrap_or_else(|| panic!("unknown entity &{name};"))
                        .to_owned(),
                };
                content.push_str(&resolved);
            }
            Event::End(_) => {
                let names: Vec<&str> = path.iter().map(String::as_str).collect();
                let value = std::mem::take(&mut content);
                match names.as_slice() {
                    ["feed", "id"] => atom.feed_ids.push(value),
                    ["feed", "title"] => atom.feed_titles.push(value),
                    ["feed", "updated"] => atom.feed_updated.push(value),
                    ["feed", "entry", "id"] => atom.entries.last_mut().unwrap().ids.push(value),
                    ["feed", "entry", "title"] => {
                        atom.entries.last_mut().unwrap().titles.push(value)
                    }
                    ["feed", "entry", "updated"] => {
                        atom.entries.last_mut().unwrap().updated.push(value)
                    }
                    ["feed", "entry", "content"] => {
                        atom.entries.last_mut().unwrap().content = value
                    }
                    _ => {}
                }
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(path.is_empty(), "unclosed elements: {path:?}");
    assert_eq!(
        root_namespace.as_deref(),
        Some("http://www.w3.org/2005/Atom")
    );
    atom
}
