//! Release announcements are Markdown written by release managers and read by end
//! users: in the Atom feed as HTML, in the Markdown changelog as Markdown. Neither may
//! carry markup or links the author did not mean as Markdown:
//!
//! - **HTML for the feed** is rendered with `pulldown-cmark`, with every raw HTML block
//!   or inline tag turned into text (so `<script>` shows as `<script>`), and links and
//!   images kept only when their target is `http`, `https` or `mailto` (a
//!   `javascript:` link becomes its text, an image its alt text);
//! - **Markdown for the changelog** is the author's text with the same raw HTML
//!   escaped where the parser found it — everything else stays as written, so a
//!   Markdown viewer renders it as the author saw it.

use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd, html};

/// The parser options: GitHub's tables and strikethrough, nothing that reads HTML.
fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH
}

/// May a feed reader follow this link?
fn safe_target(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

/// The announcement's body as HTML safe to put in an Atom `content` of type `html`.
pub(crate) fn to_html(markdown: &str) -> String {
    // Links and images whose target is refused are dropped with their closing tag;
    // their text stays.
    let mut dropped: Vec<bool> = Vec::new();
    let mut in_refused_image = 0usize;
    let events = Parser::new_ext(markdown, options()).filter_map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) => {
            let keep = link_type == LinkType::Email || safe_target(&dest_url);
            dropped.push(!keep);
            keep.then_some(Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }))
        }
        Event::End(TagEnd::Link) => match dropped.pop() {
            Some(true) => None,
            _ => Some(Event::End(TagEnd::Link)),
        },
        Event::Start(Tag::Image { dest_url, .. }) if !safe_target(&dest_url) => {
            in_refused_image += 1;
            None
        }
        Event::End(TagEnd::Image) if in_refused_image > 0 => {
            in_refused_image -= 1;
            None
        }
        other => Some(other),
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, events);
    out
}

/// The announcement's body as Markdown with raw HTML escaped.
pub(crate) fn to_markdown(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut copied = 0;
    for (event, range) in Parser::new_ext(markdown, options()).into_offset_iter() {
        if matches!(event, Event::Html(_) | Event::InlineHtml(_)) && range.start >= copied {
            out.push_str(&markdown[copied..range.start]);
            for c in markdown[range.clone()].chars() {
                match c {
                    '<' => out.push_str("&lt;"),
                    '>' => out.push_str("&gt;"),
                    c => out.push(c),
                }
            }
            copied = range.end;
        }
    }
    out.push_str(&markdown[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_html_without_raw_markup() {
        let html = to_html(
            "## Faster checkout\n\nPay in **one** step.<script>alert(1)</script>\n\n<iframe src=x></iframe>",
        );
        assert!(html.contains("<h2>Faster checkout</h2>"), "{html}");
        assert!(html.contains("<strong>one</strong>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<iframe"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn only_web_and_mail_links_survive() {
        let html = to_html(
            "[docs](https://example.com/a?b=1&c=2) [evil](javascript:alert(1)) ![x](data:image/png;base64,AA) <mailto:team@example.com>",
        );
        assert!(
            html.contains("<a href=\"https://example.com/a?b=1&amp;c=2\">docs</a>"),
            "{html}"
        );
        assert!(!html.contains("javascript:"), "{html}");
        assert!(
            html.contains("evil"),
            "the refused link keeps its text: {html}"
        );
        assert!(!html.contains("data:image"), "{html}");
        assert!(html.contains("mailto:team@example.com"), "{html}");
    }

    #[test]
    fn markdown_keeps_what_the_author_wrote_but_not_raw_html() {
        let text = "# New\n\n- one `<b>` code\n- <b>bold</b> [link](https://x.example/?a=1&b=2)";
        let out = to_markdown(text);
        assert!(out.contains("# New\n\n- one `<b>` code"), "{out}");
        assert!(out.contains("&lt;b&gt;bold&lt;/b&gt;"), "{out}");
        assert!(out.contains("(https://x.example/?a=1&b=2)"), "{out}");
    }
}
