//! Release templates (docs/release-plan.md, "Templates"): the service behind
//! `/api/v1/templates` — create, list, read, replace and delete — and the plan a
//! release created with `template` starts from.
//!
//! A template is a document of its own kind, written through the one commit path
//! (versioned, audited). It is checked in itself when written (its shape as part of a
//! plan, its watch, no due dates); the rest of a plan's rules need the release's own
//! fields (its environment, its flags) and are checked when a release is created from
//! it, which then writes nothing if they fail.

use rollgate_core::FieldError;
use rollgate_core::release::{Template, check_template};
use rollgate_core::validate::{parse, parse_value};

use super::{
    App, IfMatch, Principal, ServiceError, WithVersion, change_by, check_path_key, commit,
    expect_required, read, read_all, require_role, to_body,
};
use crate::infra::auth::Role;
use crate::infra::store::{Expect, Kind, Write};

/// Every template.
pub(crate) async fn list(
    app: &App,
    principal: &Principal,
) -> Result<Vec<WithVersion<Template>>, ServiceError> {
    require_role(principal, Role::Viewer)?;
    read_all(app, Kind::Template).await
}

/// One template.
pub(crate) async fn get(
    app: &App,
    principal: &Principal,
    name: &str,
) -> Result<WithVersion<Template>, ServiceError> {
    require_role(principal, Role::Viewer)?;
    read(app, Kind::Template, name).await
}

/// Creates a template; a name already taken is a `409` naming it.
pub(crate) async fn create(
    app: &App,
    principal: &Principal,
    body: &[u8],
) -> Result<WithVersion<Template>, ServiceError> {
    require_role(principal, Role::ReleaseManager)?;
    let template = checked(body, None)?;
    if app
        .store
        .get(Kind::Template, &template.name)
        .await
        .map_err(ServiceError::from)?
        .is_some()
    {
        return Err(super::Conflict::TemplateExists(template.name).into());
    }
    write(app, principal, template, Expect::Absent, "template.create").await
}

/// Replaces template `name` (If-Match required).
pub(crate) async fn replace(
    app: &App,
    principal: &Principal,
    name: &str,
    body: &[u8],
    if_match: Option<IfMatch>,
) -> Result<WithVersion<Template>, ServiceError> {
    require_role(principal, Role::ReleaseManager)?;
    check_path_key("name", name)?;
    let template = checked(body, Some(name))?;
    let current = read::<Template>(app, Kind::Template, name).await?;
    let expect = expect_required(if_match, Kind::Template, name, current.version)?;
    write(app, principal, template, expect, "template.replace").await
}

/// Deletes template `name` (If-Match required). Releases created from it keep their
/// plan: a template is copied, not referred to.
pub(crate) async fn delete(
    app: &App,
    principal: &Principal,
    name: &str,
    if_match: Option<IfMatch>,
) -> Result<(), ServiceError> {
    require_role(principal, Role::ReleaseManager)?;
    let current = read::<Template>(app, Kind::Template, name).await?;
    let expect = expect_required(if_match, Kind::Template, name, current.version)?;
    let writes = vec![Write::delete(Kind::Template, name, expect)];
    commit(app, change_by(app, principal, "template.delete", writes)).await?;
    Ok(())
}

/// The plan fields of a release created from template `name` with the request's own
/// `fields` (which replace the template's, field by field). An unknown template is an
/// invalid field naming it, not a `404`: the URL was right, the body was not.
pub(crate) async fn fill(
    app: &App,
    name: &serde_json::Value,
    fields: serde_json::Map<String, serde_json::Value>,
) -> Result<serde_json::Map<String, serde_json::Value>, ServiceError> {
    let Some(name) = name.as_str() else {
        return Err(ServiceError::invalid(
            "template",
            "must be the name of a template (a string)",
        ));
    };
    match read::<Template>(app, Kind::Template, name).await {
        Ok(template) => Ok(template.doc.fill(fields)),
        Err(ServiceError::NotFound { .. }) => Err(ServiceError::invalid(
            "template",
            format!("no template is named {name:?} (GET /api/v1/templates lists them)"),
        )),
        Err(other) => Err(other),
    }
}

/// Parses and checks a template body; `path_name` is the URL's name, which the body's
/// must match when it gives one.
fn checked(body: &[u8], path_name: Option<&str>) -> Result<Template, ServiceError> {
    let mut fields: serde_json::Map<String, serde_json::Value> = parse(body)?;
    fields.remove("version");
    if let Some(name) = path_name {
        match fields.get("name").and_then(|v| v.as_str()) {
            Some(sent) if sent != name => {
                return Err(ServiceError::invalid(
                    "name",
                    format!("the body names {sent:?} but the URL names {name:?}"),
                ));
            }
            _ => {
                fields.insert("name".to_owned(), serde_json::json!(name));
            }
        }
    }
    let template: Template = parse_value(serde_json::Value::Object(fields))?;
    let errors: Vec<FieldError> = check_template(&template);
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors));
    }
    Ok(template)
}

async fn write(
    app: &App,
    principal: &Principal,
    template: Template,
    expect: Expect,
    action: &str,
) -> Result<WithVersion<Template>, ServiceError> {
    let writes = vec![Write::put(
        Kind::Template,
        template.name.clone(),
        expect,
        to_body(&template)?,
    )];
    let change = commit(app, change_by(app, principal, action, writes)).await?;
    let version = change.entries.first().map_or(1, |e| e.version);
    Ok(WithVersion {
        doc: template,
        version,
    })
}
