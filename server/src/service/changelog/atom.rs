//! The public changelog as an Atom feed (RFC 4287) that end users subscribe to.
//!
//! Written with `quick-xml`, which escapes every text and attribute, from the *public*
//! entries only: no incidents, no rollback reasons, no exposures, no actor names, no
//! flag keys. An entry's title is its announcement's (or the release's name and
//! version), its content HTML: the announcement's Markdown rendered without raw markup
//! or unsafe links (see [`super::announcement`]), then who has the release since when. The
//! ids are URNs made of the release id, so an entry keeps its id when it changes (a
//! delivery to the next audience, a withdrawal) and feed readers update it in place.
//!
//! Escaping cannot make every character XML: 1.0 has no way to write most control
//! characters at all. Free text is refused with them when it is written, and the
//! writer drops any that a document stored before that rule still holds
//! ([`xml_text`]), so no stored document can break the feed for its readers.

use std::borrow::Cow;
use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use time::OffsetDateTime;

use super::entry::{ChangelogEntry, DeliveryStatus};
use crate::service::reports::text;

/// The Atom namespace.
pub(crate) const NAMESPACE: &str = "http://www.w3.org/2005/Atom";

/// Where the feed lives, for its `self` link and id.
pub(crate) struct FeedLocation<'a> {
    /// The feed's own absolute URL (`http://host/changelog.atom?…`).
    pub self_url: &'a str,
    /// The environment the feed is limited to, if any.
    pub environment: Option<&'a str>,
}

/// The feed of `entries` (public view), newest first.
pub(crate) fn feed(entries: &[ChangelogEntry], location: &FeedLocation<'_>) -> Vec<u8> {
    // Writing to a Vec cannot fail; an error here would be a bug in the writer.
    write(entries, location).unwrap_or_default()
}

fn write(entries: &[ChangelogEntry], location: &FeedLocation<'_>) -> io::Result<Vec<u8>> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    let updated = entries
        .iter()
        .map(|e| e.updated_at)
        .max()
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let (id, title) = match location.environment {
        Some(environment) => (
            format!("urn:rollgate:changelog:{environment}"),
            format!("Changelog ({environment})"),
        ),
        None => ("urn:rollgate:changelog".to_owned(), "Changelog".to_owned()),
    };
    writer
        .create_element("feed")
        .with_attribute(("xmlns", NAMESPACE))
        .write_inner_content(|w| {
            element(w, "id", &id)?;
            element(w, "title", &title)?;
            element(w, "updated", &text::rfc3339(updated))?;
            w.create_element("link")
                .with_attributes([("rel", "self"), ("href", location.self_url)])
                .write_empty()?;
            w.create_element("author")
                .write_inner_content(|w| element(w, "name", "Rollgate"))?;
            element(w, "generator", "Rollgate")?;
            for entry in entries {
                write_entry(w, entry)?;
            }
            Ok(())
        })?;
    Ok(writer.into_inner())
}

fn write_entry(w: &mut Writer<Vec<u8>>, entry: &ChangelogEntry) -> io::Result<()> {
    let headline = match entry.status {
        DeliveryStatus::Delivered => "available to everyone",
        DeliveryStatus::InProgress => "rolling out",
        DeliveryStatus::Withdrawn => "withdrawn",
        DeliveryStatus::NotStarted => "planned",
    };
    let title = match &entry.announcement {
        Some(announcement) => format!("{}: {headline}", announcement.title),
        None => format!("{} {}: {headline}", entry.name, entry.release_version),
    };
    w.create_element("entry").write_inner_content(|w| {
        element(
            w,
            "id",
            &format!(
                "urn:rollgate:release:{}:{}",
                entry.environment, entry.release
            ),
        )?;
        element(w, "title", &title)?;
        element(w, "updated", &text::rfc3339(entry.updated_at))?;
        if let Some(started) = entry.started_at {
            element(w, "published", &text::rfc3339(started))?;
        }
        w.create_element("category")
            .with_attribute(("term", entry.environment.as_str()))
            .write_empty()?;
        w.create_element("content")
            .with_attribute(("type", "html"))
            .write_text_content(BytesText::new(&xml_text(&content(entry))))?;
        Ok(())
    })?;
    Ok(())
}

/// The entry's content as HTML (escaped once more by the writer, as Atom's `html`
/// type wants): the announcement, then who has the release since when.
fn content(entry: &ChangelogEntry) -> String {
    let mut out = String::new();
    if let Some(announcement) = &entry.announcement {
        out.push_str(&super::announcement::to_html(&announcement.body));
    }
    let mut lines = vec![format!(
        "{} {} ({})",
        entry.name, entry.release_version, entry.environment
    )];
    for feature in &entry.features {
        lines.push(format!("Feature: {} = {}", feature.flag, feature.variant));
    }
    for delivery in &entry.deliveries {
        let mut line = format!(
            "Available to {} since {}",
            delivery.audience,
            text::time(delivery.delivered_at)
        );
        if let Some(withdrawn) = delivery.withdrawn_at {
            line.push_str(&format!("; withdrawn {}", text::time(withdrawn)));
        }
        lines.push(line);
    }
    if entry.status == DeliveryStatus::Withdrawn {
        lines.push("This release was withdrawn: its features are no longer available.".into());
    }
    for line in lines {
        out.push_str("<p>");
        out.push_str(&text::html(&line));
        out.push_str("</p>\n");
    }
    out
}

fn element(w: &mut Writer<Vec<u8>>, name: &str, value: &str) -> io::Result<()> {
    w.create_element(name)
        .write_text_content(BytesText::new(&xml_text(value)))?;
    Ok(())
}

/// `text` without the characters XML 1.0 cannot hold (most C0 controls, surrogates,
/// U+FFFE and U+FFFF); borrowed when there are none, as there almost always are.
pub(crate) fn xml_text(text: &str) -> Cow<'_, str> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
            || c >= '\u{10000}'
    };
    if text.chars().all(allowed) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|&c| allowed(c)).collect())
    }
}
