//! Environments: namespaces of flag state. Only admins write them, and one in use
//! (configured on a flag, or bound to an SDK key) cannot be deleted.

use std::collections::BTreeMap;

use rollgate_core::FieldError;
use rollgate_core::model::Environment;
use rollgate_core::validate::validate_environment;

use super::documents::Document;
use super::{Conflict, ServiceError};
use crate::infra::auth::Role;
use crate::infra::hub::{Catalog, Versioned};
use crate::infra::store::Kind;

impl Document for Environment {
    const KIND: Kind = Kind::Environment;
    const WRITER: Role = Role::Admin;
    const SHARED: &'static str = "environments (and their release policies)";

    fn served(catalog: &Catalog) -> &BTreeMap<String, Versioned<Environment>> {
        &catalog.environments
    }

    fn served_mut(catalog: &mut Catalog) -> &mut BTreeMap<String, Versioned<Environment>> {
        &mut catalog.environments
    }

    fn validate(&self) -> Vec<FieldError> {
        validate_environment(self)
    }

    fn in_use(key: &str, catalog: &Catalog) -> Result<(), ServiceError> {
        let flags: Vec<String> = catalog
            .flags
            .values()
            .filter(|f| f.doc.environments.contains_key(key))
            .map(|f| f.doc.key.clone())
            .collect();
        if !flags.is_empty() {
            return Err(Conflict::EnvironmentConfigured {
                environment: key.to_owned(),
                flags,
            }
            .into());
        }
        let keys: Vec<String> = catalog
            .tokens
            .values()
            .filter(|t| t.doc.environment.as_deref() == Some(key))
            .map(|t| t.doc.name.clone())
            .collect();
        if !keys.is_empty() {
            return Err(Conflict::EnvironmentHasKeys {
                environment: key.to_owned(),
                keys,
            }
            .into());
        }
        Ok(())
    }
}
