//! Where a stage change puts a release: the position after the current one (within
//! one audience the percentage never goes down), and placing the release there.

use rollgate_core::release::Position;

use super::super::Release;
use crate::service::Refusal;
use crate::service::ServiceError;

/// Puts the release at `position` from `now`.
pub(super) fn place(release: &mut Release, position: Position, now: time::OffsetDateTime) {
    release.current_stage = Some(position.stage);
    release.current_percent = position.percent;
    release.stage_started_at = Some(now);
}

/// The position after the current one; `None` after the last stage. Within one
/// audience the percentage never goes down, even if it was set above the next stage's.
pub(super) fn following(release: &Release) -> Result<Option<Position>, ServiceError> {
    let Some(position) = release.position() else {
        return Err(Refusal::NotStarted.into());
    };
    let stages = &release.plan.stages;
    let Some(next) = stages.get(position.stage + 1) else {
        return Ok(None);
    };
    let same_audience = stages[position.stage].audience == next.audience;
    let percent = if same_audience {
        next.percent.max(position.percent)
    } else {
        next.percent
    };
    Ok(Some(Position {
        stage: position.stage + 1,
        percent,
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use serde_json::json;

    use super::*;

    fn release(stage: usize, percent: f64) -> Release {
        serde_json::from_value(json!({
            "id": "rel-1", "salt": "rel-1", "name": "n", "release_version": "1.0.0",
            "environment": "production", "flags": [ { "key": "f", "variant": "on" } ],
            "stages": [
                { "audience": "beta", "percent": 20 },
                { "audience": "beta", "percent": 100 },
                { "audience": "general", "percent": 5 },
                { "audience": "general", "percent": 50 },
                { "audience": "general", "percent": 100 }
            ],
            "state": "running", "author": { "id": "a", "name": "a" },
            "current_stage": stage, "current_percent": percent,
            "created_at": "2030-01-01T00:00:00Z"
        }))
        .unwrap()
    }

    fn next(stage: usize, percent: f64) -> Option<(usize, f64)> {
        following(&release(stage, percent))
            .unwrap()
            .map(|p| (p.stage, p.percent.as_f64()))
    }

    #[test]
    fn promoting_never_lowers_the_percentage_within_an_audience() {
        assert_eq!(next(0, 20.0), Some((1, 100.0)));
        assert_eq!(next(2, 5.0), Some((3, 50.0)));
        assert_eq!(
            next(2, 70.0),
            Some((3, 70.0)),
            "set by hand above the next stage"
        );
        assert_eq!(next(3, 50.0), Some((4, 100.0)));
        assert_eq!(next(4, 100.0), None, "after the last stage: complete");
    }

    #[test]
    fn a_new_audience_starts_at_its_own_percentage() {
        assert_eq!(next(1, 100.0), Some((2, 5.0)));
    }
}
