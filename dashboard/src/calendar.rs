//! The overview's calendar: the announcements releases make to their users (scheduled
//! or sent) and the maintenance windows in which nothing advances by itself, now or to
//! come — so a release manager sees what is planned besides the starts.

/// An announcement of a release.
#[derive(Clone, Debug, Default)]
pub struct AnnouncementRow {
    /// The release.
    pub release_id: String,
    /// Its name.
    pub release_name: String,
    /// The headline users read.
    pub title: String,
    /// When it goes (or went) out; empty when it goes with the start.
    pub at: String,
}

/// A maintenance window of a release.
#[derive(Clone, Debug, Default)]
pub struct WindowRow {
    /// The release.
    pub release_id: String,
    /// Its name.
    pub release_name: String,
    /// From.
    pub start: String,
    /// Until.
    pub end: String,
    /// Is it on now?
    pub now: bool,
}

/// Announcements and maintenance windows, soonest first.
#[derive(Clone, Debug, Default)]
pub struct Calendar {
    /// Announcements of releases not ended.
    pub announcements: Vec<AnnouncementRow>,
    /// Windows not over yet.
    pub windows: Vec<WindowRow>,
}
