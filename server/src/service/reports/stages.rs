//! The stages of a release, read from its timeline: when each opened and closed, the
//! percentages applied in it, how long it was paused, how it ended — and the rollout
//! percentage over time.
//!
//! `started` and `stage_advanced` open the stage they name (closing the one before as
//! advanced); `percent_set` adds a percentage to the open stage; `paused`/`resumed`
//! count paused time and mark the pauses; `completed` and `rolled_back` close the open stage and end the
//! release (the rollout then is 100 % of everyone, or 0 %); `cancelled` ends it.

use time::OffsetDateTime;

use rollgate_core::release::validate::EVERYONE;

use super::model::{PauseSpan, RolloutPoint, StageEnd};
use crate::service::releases::{EventKind, Release};

/// One planned stage as it went.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Span {
    /// When it was applied.
    pub opened_at: Option<OffsetDateTime>,
    /// When it stopped being applied.
    pub closed_at: Option<OffsetDateTime>,
    /// How it ended.
    pub end: StageEnd,
    /// Percentages applied in it, in order.
    pub percentages: Vec<f64>,
    /// Seconds spent paused.
    pub paused_seconds: u64,
}

impl Span {
    /// The stage's time range, to `now` while it is open; `None` if never applied.
    pub(crate) fn range(&self, now: OffsetDateTime) -> Option<(OffsetDateTime, OffsetDateTime)> {
        let opened = self.opened_at?;
        Some((opened, self.closed_at.unwrap_or(now).max(opened)))
    }
}

/// The walk of a release's timeline.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Walk {
    /// One span per planned stage.
    pub spans: Vec<Span>,
    /// The rollout percentage over time.
    pub rollout: Vec<RolloutPoint>,
    /// When the release was paused, and until when.
    pub pauses: Vec<PauseSpan>,
    /// When the first stage was applied.
    pub started_at: Option<OffsetDateTime>,
    /// When the release completed, was rolled back or cancelled.
    pub ended_at: Option<OffsetDateTime>,
    /// The furthest stage applied.
    pub reached: Option<usize>,
    /// The start of a pause still running.
    pub paused_since: Option<OffsetDateTime>,
}

impl Walk {
    /// The whole release's time range (to `now` while it runs).
    pub(crate) fn range(&self, now: OffsetDateTime) -> Option<(OffsetDateTime, OffsetDateTime)> {
        let started = self.started_at?;
        Some((started, self.ended_at.unwrap_or(now).max(started)))
    }
}

/// Walks the timeline of `release`.
pub(crate) fn walk(release: &Release) -> Walk {
    let stages = &release.plan.stages;
    let mut spans: Vec<Span> = stages
        .iter()
        .map(|_| Span {
            opened_at: None,
            closed_at: None,
            end: StageEnd::NotReached,
            percentages: Vec::new(),
            paused_seconds: 0,
        })
        .collect();
    let mut walk = Walk {
        spans: Vec::new(),
        rollout: Vec::new(),
        pauses: Vec::new(),
        started_at: None,
        ended_at: None,
        reached: None,
        paused_since: None,
    };
    let mut current: Option<usize> = None;
    let mut paused_since: Option<OffsetDateTime> = None;
    let audience = |stage: usize| {
        stages
            .get(stage)
            .map_or_else(String::new, |s| s.audience.clone())
    };
    for event in &release.timeline {
        let at = event.at;
        match event.event {
            EventKind::Started | EventKind::StageAdvanced | EventKind::PercentSet => {
                let Some(stage) = event.stage.filter(|s| *s < spans.len()) else {
                    continue;
                };
                let percent = event.percent.map_or(0.0, |p| p.as_f64());
                walk.started_at.get_or_insert(at);
                if current != Some(stage) {
                    if let Some(open) = current {
                        close(&mut spans[open], at, StageEnd::Advanced, &mut paused_since);
                    }
                    let span = &mut spans[stage];
                    span.opened_at.get_or_insert(at);
                    span.closed_at = None;
                    span.end = StageEnd::Open;
                    current = Some(stage);
                }
                spans[stage].percentages.push(percent);
                walk.reached = Some(walk.reached.map_or(stage, |r| r.max(stage)));
                let audience = audience(stage);
                walk.rollout.push(RolloutPoint {
                    at,
                    stage: Some(stage),
                    everyone: if audience == EVERYONE { percent } else { 0.0 },
                    audience,
                    percent,
                    event: event.event.as_str().to_owned(),
                });
            }
            EventKind::Paused => {
                if paused_since.is_none() {
                    walk.pauses.push(PauseSpan {
                        from: at,
                        until: None,
                    });
                }
                paused_since.get_or_insert(at);
            }
            EventKind::Resumed => {
                end_pause(&mut walk.pauses, at);
                if let (Some(since), Some(open)) = (paused_since.take(), current) {
                    spans[open].paused_seconds += seconds(since, at);
                }
            }
            EventKind::Completed | EventKind::RolledBack => {
                end_pause(&mut walk.pauses, at);
                let completed = event.event == EventKind::Completed;
                if let Some(open) = current.take() {
                    let end = if completed {
                        StageEnd::Completed
                    } else {
                        StageEnd::RolledBack
                    };
                    close(&mut spans[open], at, end, &mut paused_since);
                }
                walk.ended_at = Some(at);
                walk.rollout.push(RolloutPoint {
                    at,
                    stage: None,
                    audience: if completed {
                        "general".to_owned()
                    } else {
                        event.stage.map_or_else(|| "general".to_owned(), &audience)
                    },
                    percent: if completed { 100.0 } else { 0.0 },
                    everyone: if completed { 100.0 } else { 0.0 },
                    event: event.event.as_str().to_owned(),
                });
            }
            EventKind::Cancelled => walk.ended_at = Some(at),
            _ => {}
        }
    }
    walk.spans = spans;
    walk.paused_since = paused_since.filter(|_| current.is_some());
    walk
}

/// Ends the pause still running, if any, at `at`.
fn end_pause(pauses: &mut [PauseSpan], at: OffsetDateTime) {
    if let Some(pause) = pauses.last_mut().filter(|p| p.until.is_none()) {
        pause.until = Some(at);
    }
}

/// Closes a span at `at`, counting a pause still running.
fn close(
    span: &mut Span,
    at: OffsetDateTime,
    end: StageEnd,
    paused_since: &mut Option<OffsetDateTime>,
) {
    if let Some(since) = paused_since.take() {
        span.paused_seconds += seconds(since, at);
    }
    span.closed_at = Some(at);
    span.end = end;
}

/// Whole seconds from `from` to `to` (0 if `to` is earlier).
pub(crate) fn seconds(from: OffsetDateTime, to: OffsetDateTime) -> u64 {
    u64::try_from((to - from).whole_seconds()).unwrap_or(0)
}
