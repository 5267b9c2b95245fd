//! The admin API (`/api/v1/`): flags, segments, environments, tokens, roles, the audit
//! log, the refusals of bad writes, and the OpenAPI document that describes it all.

mod audit;
mod environments;
mod flag_environments;
mod flags;
mod openapi;
mod policy;
mod roles;
mod scopes;
mod segments;
mod tokens;
mod validation;
