//! The overview's calendar from the releases a person may read: the announcement of
//! each release not ended (scheduled, or going out with the start), and every
//! maintenance window not over yet, soonest first.

use rollgate_dashboard::calendar::{AnnouncementRow, Calendar, WindowRow};
use time::OffsetDateTime;

use super::release_view::when;
use crate::service::WithVersion;
use crate::service::releases::Release;

/// Most entries of each list.
const SHOWN: usize = 10;

/// The calendar of `releases` at `now`.
pub(super) fn of(releases: &[WithVersion<Release>], now: OffsetDateTime) -> Calendar {
    let open = releases
        .iter()
        .map(|r| &r.doc)
        .filter(|r| !r.state.is_terminal());
    let mut announcements: Vec<(Option<OffsetDateTime>, AnnouncementRow)> = open
        .clone()
        .filter_map(|release| {
            let announcement = release.plan.announcement.as_ref()?;
            let at = release.plan.schedule.announce_at;
            Some((
                at,
                AnnouncementRow {
                    release_id: release.id.clone(),
                    release_name: release.plan.name.clone(),
                    title: announcement.title.clone(),
                    at: at.map(when).unwrap_or_default(),
                },
            ))
        })
        .collect();
    announcements.sort_by_key(|(at, _)| *at);
    let mut windows: Vec<(OffsetDateTime, WindowRow)> = open
        .flat_map(|release| {
            release
                .plan
                .schedule
                .maintenance_windows
                .iter()
                .filter(|w| w.end > now)
                .map(|w| {
                    (
                        w.start,
                        WindowRow {
                            release_id: release.id.clone(),
                            release_name: release.plan.name.clone(),
                            start: when(w.start),
                            end: when(w.end),
                            now: w.start <= now,
                        },
                    )
                })
        })
        .collect();
    windows.sort_by_key(|(start, _)| *start);
    Calendar {
        announcements: announcements
            .into_iter()
            .take(SHOWN)
            .map(|(_, a)| a)
            .collect(),
        windows: windows.into_iter().take(SHOWN).map(|(_, w)| w).collect(),
    }
}
