//! The catalog's read pages besides flags: segments (the rings `alpha`, `beta` and
//! `general` among them) and environments with their release policy, the webhooks with
//! each one's delivery log, and the audit log. Lists are paged; the audit log pages
//! backwards by revision, so a page stays the same while new writes land.

use askama::Template;

use crate::flags::HistoryRow;
use crate::layout::{Layout, Section};

/// A page of a list: which one, and how many there are.
#[derive(Clone, Debug, Default)]
pub struct Pager {
    /// The page shown, from 1.
    pub page: usize,
    /// How many pages.
    pub pages: usize,
    /// The link to a page without its number (`/segments?page=`).
    pub link: String,
}

impl Pager {
    /// The page `page` of `total` items, `size` a page, linked as `link` + number;
    /// a page past the end shows the last.
    pub fn new(page: usize, total: usize, size: usize, link: impl Into<String>) -> Pager {
        let pages = total.div_ceil(size.max(1)).max(1);
        Pager {
            page: page.clamp(1, pages),
            pages,
            link: link.into(),
        }
    }

    /// The range of items on the page.
    pub fn range(&self, total: usize, size: usize) -> std::ops::Range<usize> {
        let start = ((self.page - 1) * size).min(total);
        start..(start + size).min(total)
    }

    /// The link to page `page`.
    pub fn to(&self, page: usize) -> String {
        format!("{}{page}", self.link)
    }
}

/// One segment.
#[derive(Clone, Debug, Default)]
pub struct SegmentRow {
    /// Its key.
    pub key: String,
    /// Its description.
    pub description: String,
    /// Is it one of the built-in rings?
    pub ring: bool,
    /// Targeting keys always in it.
    pub included: usize,
    /// Targeting keys never in it.
    pub excluded: usize,
    /// Its rules, in JSON.
    pub rules: String,
    /// How many rules.
    pub rule_count: usize,
}

/// The segments.
#[derive(Template, Debug)]
#[template(path = "segments.html")]
pub struct SegmentList {
    /// The frame.
    pub layout: Layout,
    /// This page of segments.
    pub rows: Vec<SegmentRow>,
    /// Which page.
    pub pager: Pager,
}

/// One environment.
#[derive(Clone, Debug, Default)]
pub struct EnvironmentRow {
    /// Its key.
    pub key: String,
    /// Its description.
    pub description: String,
    /// The fewest approvals a release here needs.
    pub min_approvals: u32,
    /// The functions that must sign off every release here.
    pub signoffs: Vec<String>,
    /// Releases running or paused here.
    pub in_flight: usize,
}

/// The environments and their release policies.
#[derive(Template, Debug)]
#[template(path = "environments.html")]
pub struct EnvironmentList {
    /// The frame.
    pub layout: Layout,
    /// Every environment the signed-in person may see.
    pub rows: Vec<EnvironmentRow>,
}

/// One webhook subscription.
#[derive(Clone, Debug, Default)]
pub struct WebhookRow {
    /// Its id.
    pub id: String,
    /// Where it posts.
    pub url: String,
    /// What it is for.
    pub description: String,
    /// The events it is sent.
    pub events: Vec<String>,
    /// Is it sent events?
    pub active: bool,
    /// Who created it, and when.
    pub created: String,
}

/// The webhooks.
#[derive(Template, Debug)]
#[template(path = "webhooks.html")]
pub struct WebhookList {
    /// The frame.
    pub layout: Layout,
    /// Every subscription (no secrets).
    pub rows: Vec<WebhookRow>,
}

/// One delivery of a webhook.
#[derive(Clone, Debug, Default)]
pub struct DeliveryRow {
    /// Its id.
    pub id: String,
    /// The event.
    pub event: String,
    /// The release it is about.
    pub release: String,
    /// When it was made.
    pub created_at: String,
    /// Its state (`pending`, `delivered`, `failed`).
    pub state: String,
    /// Attempts so far.
    pub attempts: u32,
    /// The last answer or error, in words.
    pub last: String,
}

/// One webhook with its delivery log.
#[derive(Template, Debug)]
#[template(path = "webhook.html")]
pub struct WebhookPage {
    /// The frame.
    pub layout: Layout,
    /// The subscription.
    pub webhook: WebhookRow,
    /// This page of its deliveries, newest first.
    pub deliveries: Vec<DeliveryRow>,
    /// Which page.
    pub pager: Pager,
}

/// One entry of the audit log.
#[derive(Clone, Debug, Default)]
pub struct AuditRow {
    /// The kind of document changed.
    pub kind: String,
    /// Its key.
    pub key: String,
    /// Who, when, what, and the diff.
    pub entry: HistoryRow,
}

impl AuditRow {
    /// The dashboard page of the document changed, if it has one.
    pub fn link(&self) -> Option<String> {
        match self.kind.as_str() {
            "flag" => Some(format!("/flags/{}", self.key)),
            "release" => Some(format!("/releases/{}", self.key)),
            "webhook" => Some(format!("/webhooks/{}", self.key)),
            _ => None,
        }
    }
}

/// The audit log, newest first.
#[derive(Template, Debug)]
#[template(path = "audit.html")]
pub struct AuditLog {
    /// The frame.
    pub layout: Layout,
    /// The kind filter ("" for every kind).
    pub kind: String,
    /// Every kind, for the filter.
    pub kinds: Vec<String>,
    /// This page of entries.
    pub rows: Vec<AuditRow>,
    /// The link to the next (older) page, when there is one.
    pub older: Option<String>,
}
