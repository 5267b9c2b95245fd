//! An honest start: what starting a release will do, said before it does it, and the
//! warnings a release manager must acknowledge by code for the start to go ahead.
//!
//! `GET /api/v1/releases/{id}/preview` (and `rollgate release start --dry-run`) shows,
//! per released flag, its configuration now and at the first stage and each audience's
//! share of the released variant before → after (`rollgate_core::release::preview`),
//! the preflight, what would still block the start, and the warnings. `start` computes
//! the same warnings again, from the flags as they are at that moment, and refuses
//! with `409` listing those its body does not acknowledge.

use std::collections::BTreeSet;

use rollgate_core::release::preview::{FlagPreview, preview_flag};
use rollgate_core::release::{ReleaseState, Step, Warning, WarningCode, transition};
use serde::{Deserialize, Serialize};

use super::guards::check_ready;
use super::preflight::{self, Preflight};
use super::rollout::CurrentFlags;
use super::{Release, load};
use crate::infra::auth::Role;
use crate::service::{App, Principal, Refusal, ServiceError, require_role};

/// What starting a release would do now.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StartPreview {
    /// The release id.
    pub release: String,
    /// Its state.
    pub state: ReleaseState,
    /// Would `start` go ahead now (state, checklist, approvals, plan and flags
    /// allowing), once the warnings are acknowledged?
    pub ready: bool,
    /// What would refuse the start, besides the warnings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_by: Option<String>,
    /// Each released flag: its configuration before → after and each audience's share
    /// of the released variant before → after.
    #[schema(value_type = Vec<Object>)]
    pub flags: Vec<FlagPreview>,
    /// The preflight, run now (not recorded); absent when the plan has neither
    /// analysis checks nor KPIs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preflight: Option<Preflight>,
    /// What `start` must acknowledge by code: `{"acknowledge": ["exposure_decrease"]}`.
    #[schema(value_type = Vec<Object>)]
    pub warnings: Vec<Warning>,
}

/// What the start would do to each flag, the preflight, and the warnings of both.
pub(crate) struct Assessment {
    /// Per flag.
    pub flags: Vec<FlagPreview>,
    /// The preflight, if the plan has queries.
    pub preflight: Option<Preflight>,
    /// Every warning, flags first.
    pub warnings: Vec<Warning>,
}

/// Assesses the start of `release` against the flags as `read` from the store.
pub(crate) async fn assess(
    app: &App,
    release: &Release,
    read: &CurrentFlags,
) -> Result<Assessment, ServiceError> {
    let mut flags = Vec::new();
    let mut warnings = Vec::new();
    for released in &release.plan.flags {
        let Some((flag, _)) = read.0.get(&released.key) else {
            continue;
        };
        let preview = preview_flag(&release.plan, &release.salt, flag, &released.variant)
            .map_err(|e| ServiceError::Invalid(vec![e]))?;
        if let Some((preview, found)) = preview {
            flags.push(preview);
            warnings.extend(found);
        }
    }
    let preflight = preflight::run(app, release).await;
    warnings.extend(preflight.as_ref().and_then(Preflight::warning));
    Ok(Assessment {
        flags,
        preflight,
        warnings,
    })
}

/// The preview of release `id`, for a viewer. Only a release that has not started has
/// one.
pub(crate) async fn preview(
    app: &App,
    principal: &Principal,
    id: &str,
) -> Result<StartPreview, ServiceError> {
    require_role(principal, Role::Viewer)?;
    let release = load(app, id).await?.release;
    if !release.state.is_editable() {
        return Err(Refusal::NoPreview {
            id: release.id.clone(),
            state: release.state,
        }
        .into());
    }
    let blocked_by = match transition(release.state, Step::Start) {
        Err(error) => Some(Refusal::from(error).to_string()),
        Ok(_) => check_ready(app, &release)
            .await
            .err()
            .map(|e| e.to_string()),
    };
    let read = CurrentFlags::read(app, &release).await?;
    let Assessment {
        flags,
        preflight,
        warnings,
    } = assess(app, &release, &read).await?;
    Ok(StartPreview {
        release: release.id,
        state: release.state,
        ready: blocked_by.is_none(),
        blocked_by,
        flags,
        preflight,
        warnings,
    })
}

/// Checks a start's acknowledgements against the warnings of this moment: a code
/// acknowledged but not warned about is a `422` (the caller's picture is out of date),
/// a warning not acknowledged a `409` listing every such warning.
pub(crate) fn check_acknowledged(
    acknowledged: &[WarningCode],
    warnings: &[Warning],
) -> Result<(), ServiceError> {
    let warned: BTreeSet<WarningCode> = warnings.iter().map(|w| w.code).collect();
    if let Some((index, code)) = acknowledged
        .iter()
        .enumerate()
        .find(|(_, code)| !warned.contains(code))
    {
        let now: Vec<&str> = warned.iter().map(|c| c.as_str()).collect();
        return Err(ServiceError::invalid(
            format!("acknowledge[{index}]"),
            format!(
                "nothing is warned about {code}; the warnings now are {now:?} (GET /api/v1/releases/{{id}}/preview)"
            ),
        ));
    }
    let open: Vec<Warning> = warnings
        .iter()
        .filter(|w| !acknowledged.contains(&w.code))
        .cloned()
        .collect();
    if open.is_empty() {
        Ok(())
    } else {
        Err(Refusal::Unacknowledged(open).into())
    }
}
