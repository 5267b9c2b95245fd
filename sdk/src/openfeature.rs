//! An OpenFeature provider backed by the Rollgate client (cargo feature `openfeature`):
//! the OpenFeature SDK's evaluation calls evaluate locally, with Rollgate's variants,
//! OpenFeature reasons and error codes, and flag metadata naming the environment and the
//! ruleset's revision.
//!
//! The `open-feature` crate (0.2) has no provider event API yet; the provider reports
//! its state through `status()` (`NotReady` until the first ruleset, `Ready`, `STALE`
//! while the server cannot be reached, `Error` once the key was refused), and
//! configuration-change events are available from [`RollgateProvider::client`]'s
//! [`crate::Client::events`].

use async_trait::async_trait;
use open_feature::provider::{
    FeatureProvider, ProviderMetadata, ProviderStatus, ResolutionDetails,
};
use open_feature::{
    EvaluationContext, EvaluationContextFieldValue, EvaluationError, EvaluationErrorCode,
    EvaluationReason, EvaluationResult, FlagMetadata, StructValue, Value as OfValue,
};
use serde_json::{Map, Value};

use crate::{Client, Context, Details, ErrorKind, Reason, Status};

/// The provider; build the [`Client`] first (its `build` waits for the ruleset).
#[derive(Debug)]
pub struct RollgateProvider {
    client: Client,
    metadata: ProviderMetadata,
}

impl RollgateProvider {
    /// A provider evaluating with `client`.
    pub fn new(client: Client) -> RollgateProvider {
        RollgateProvider {
            client,
            metadata: ProviderMetadata::new("rollgate"),
        }
    }

    /// The client, for status, events and the cohort helper.
    pub fn client(&self) -> &Client {
        &self.client
    }

    fn resolve<T>(&self, details: Details<T>) -> EvaluationResult<ResolutionDetails<T>> {
        if let Some(error) = details.error {
            let code = match error {
                ErrorKind::NotReady => EvaluationErrorCode::ProviderNotReady,
                ErrorKind::FlagNotFound => EvaluationErrorCode::FlagNotFound,
                ErrorKind::TargetingKeyMissing => EvaluationErrorCode::TargetingKeyMissing,
                ErrorKind::InvalidContext => EvaluationErrorCode::InvalidContext,
                ErrorKind::TypeMismatch => EvaluationErrorCode::TypeMismatch,
                ErrorKind::ParseError => EvaluationErrorCode::ParseError,
                ErrorKind::General => EvaluationErrorCode::General(error.as_str().to_owned()),
            };
            return Err(EvaluationError {
                code,
                message: details.error_message,
            });
        }
        let reason = match details.reason {
            Reason::Static => EvaluationReason::Static,
            Reason::Default => EvaluationReason::Default,
            Reason::TargetingMatch => EvaluationReason::TargetingMatch,
            Reason::Split => EvaluationReason::Split,
            Reason::Disabled => EvaluationReason::Disabled,
            Reason::Error => EvaluationReason::Error,
        };
        let metadata = FlagMetadata::default()
            .with_value(
                "revision",
                i64::try_from(self.client.revision()).unwrap_or(i64::MAX),
            )
            .with_value("provider", "rollgate");
        Ok(ResolutionDetails {
            value: details.value,
            variant: details.variant,
            reason: Some(reason),
            flag_metadata: Some(metadata),
        })
    }
}

/// OpenFeature's context as Rollgate's: `targetingKey` plus the custom fields (date-times
/// as RFC 3339 strings; opaque structures are left out).
pub fn context(of: &EvaluationContext) -> Context {
    let mut map = Map::new();
    if let Some(key) = &of.targeting_key {
        map.insert(
            rollgate_core::context::TARGETING_KEY.to_owned(),
            Value::String(key.clone()),
        );
    }
    for (name, field) in &of.custom_fields {
        let value = match field {
            EvaluationContextFieldValue::Bool(b) => Value::Bool(*b),
            EvaluationContextFieldValue::Int(i) => Value::from(*i),
            EvaluationContextFieldValue::Float(f) => Value::from(*f),
            EvaluationContextFieldValue::String(s) => Value::String(s.clone()),
            EvaluationContextFieldValue::DateTime(t) => {
                match t.format(&time::format_description::well_known::Rfc3339) {
                    Ok(text) => Value::String(text),
                    Err(_) => continue,
                }
            }
            EvaluationContextFieldValue::Struct(_) => continue,
        };
        map.insert(name.clone(), value);
    }
    Context::from(map)
}

#[async_trait]
impl FeatureProvider for RollgateProvider {
    fn metadata(&self) -> &ProviderMetadata {
        &self.metadata
    }

    fn status(&self) -> ProviderStatus {
        match self.client.status() {
            Status::Starting => ProviderStatus::NotReady,
            Status::Ready | Status::Closed => ProviderStatus::Ready,
            Status::Stale => ProviderStatus::STALE,
            Status::Failed(_) => ProviderStatus::Error,
        }
    }

    async fn resolve_bool_value(
        &self,
        flag_key: &str,
        evaluation_context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<bool>> {
        self.resolve(
            self.client
                .bool_details(flag_key, &context(evaluation_context), false),
        )
    }

    async fn resolve_int_value(
        &self,
        flag_key: &str,
        evaluation_context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<i64>> {
        self.resolve(
            self.client
                .i64_details(flag_key, &context(evaluation_context), 0),
        )
    }

    async fn resolve_float_value(
        &self,
        flag_key: &str,
        evaluation_context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<f64>> {
        self.resolve(
            self.client
                .f64_details(flag_key, &context(evaluation_context), 0.0),
        )
    }

    async fn resolve_string_value(
        &self,
        flag_key: &str,
        evaluation_context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<String>> {
        self.resolve(
            self.client
                .string_details(flag_key, &context(evaluation_context), ""),
        )
    }

    async fn resolve_struct_value(
        &self,
        flag_key: &str,
        evaluation_context: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<StructValue>> {
        let details = self
            .client
            .json_details(flag_key, &context(evaluation_context), Value::Null);
        let converted = match (&details.error, OfValue::try_from(&details.value)) {
            (None, Ok(OfValue::Struct(value))) => Ok(value),
            (None, _) => Err(ErrorKind::TypeMismatch),
            (Some(error), _) => Err(*error),
        };
        let structured = match converted {
            Ok(value) => Details {
                value,
                variant: details.variant,
                reason: details.reason,
                error: None,
                error_message: None,
            },
            Err(error) => Details {
                value: StructValue::default(),
                variant: None,
                reason: Reason::Error,
                error: Some(error),
                error_message: details
                    .error_message
                    .or_else(|| Some(format!("flag {flag_key:?} does not serve an object"))),
            },
        };
        self.resolve(structured)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use serde_json::json;

    use super::*;

    async fn provider() -> (RollgateProvider, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ruleset.json");
        let ruleset = json!({
            "environment": "production", "revision": 9,
            "flags": [ { "key": "a", "variants": { "on": true, "off": false },
                "environments": { "production": { "enabled": true, "off_variant": "off",
                    "rules": [ { "conditions": [ { "attribute": "country", "op": "in", "values": ["NL"] } ],
                                 "serve": { "variant": "on" } } ],
                    "default": { "variant": "off" } } } } ],
            "segments": []
        });
        std::fs::write(&path, ruleset.to_string()).unwrap();
        let client = Client::builder("http://127.0.0.1:9", "k")
            .offline(&path)
            .build()
            .await
            .unwrap();
        (RollgateProvider::new(client), dir)
    }

    #[tokio::test]
    async fn resolutions_carry_variant_reason_metadata_and_openfeature_error_codes() {
        let (provider, _dir) = provider().await;
        assert_eq!(provider.status(), ProviderStatus::Ready);
        let context = EvaluationContext::default()
            .with_targeting_key("u1")
            .with_custom_field("country", "NL");
        let details = provider.resolve_bool_value("a", &context).await.unwrap();
        assert!(details.value);
        assert_eq!(details.variant.as_deref(), Some("on"));
        assert_eq!(details.reason, Some(EvaluationReason::TargetingMatch));
        let metadata = details.flag_metadata.unwrap();
        assert!(metadata.values.contains_key("revision"));
        let missing = provider
            .resolve_bool_value("b", &context)
            .await
            .unwrap_err();
        assert_eq!(missing.code, EvaluationErrorCode::FlagNotFound);
        let wrong = provider
            .resolve_string_value("a", &context)
            .await
            .unwrap_err();
        assert_eq!(wrong.code, EvaluationErrorCode::TypeMismatch);
        let not_object = provider
            .resolve_struct_value("a", &context)
            .await
            .unwrap_err();
        assert_eq!(not_object.code, EvaluationErrorCode::TypeMismatch);
    }
}
