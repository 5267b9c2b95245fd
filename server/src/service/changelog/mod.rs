//! The changelog (docs/product.md §6): per release, the features delivered to each audience
//! and the version, built from the release documents alone — as JSON and Markdown for
//! the team (`/api/v1/changelog`, internal or public view) and as an Atom feed for end
//! users (`/changelog.atom`, public view, no token: see [`public`]).

mod announcement;
pub(crate) mod atom;
mod entry;
pub(crate) mod markdown;

pub(crate) use entry::{ChangelogEntry, Feature, View, changelog, detail, entry, features};

use crate::infra::auth::Role;
use crate::service::App;
use crate::service::ServiceError;
use crate::service::releases::{Release, read_all};
use crate::service::{Principal, require_role};

/// The changelog for an admin token (any role): `view` internal or public, optionally
/// of one environment.
pub(crate) async fn for_team(
    app: &App,
    principal: &Principal,
    view: View,
    environment: Option<&str>,
) -> Result<Vec<ChangelogEntry>, ServiceError> {
    require_role(principal, Role::Viewer)?;
    entries(app, view, environment).await
}

/// The public changelog, for anyone: the Atom feed needs no token because feed readers
/// cannot send one and it says only what end users are told anyway — names, versions,
/// flags and variants, audiences and dates; never incidents, reasons, exposures, risks
/// or who did what. `changelog.public_feed = false` turns it off.
pub(crate) async fn public(
    app: &App,
    environment: Option<&str>,
) -> Result<Vec<ChangelogEntry>, ServiceError> {
    entries(app, View::Public, environment).await
}

async fn entries(
    app: &App,
    view: View,
    environment: Option<&str>,
) -> Result<Vec<ChangelogEntry>, ServiceError> {
    let releases: Vec<Release> = read_all(app)
        .await?
        .into_iter()
        .map(|stored| stored.release)
        .filter(|r| environment.is_none_or(|e| r.plan.environment == e))
        .collect();
    Ok(changelog(&releases, view))
}

#[cfg(test)]
mod tests;
