//! Validation of conditions: the operands each operator needs.
//!
//! The checks are the compilation itself ([`crate::compile::compile_condition`]): a
//! condition is valid exactly when it compiles, so the two can never disagree.

use super::FieldError;
use crate::compile::compile_condition;
use crate::model::Condition;

pub use crate::compile::MAX_REGEX_BYTES;

/// The problems of one condition, with `field` as the path prefix.
pub fn validate_condition(field: &str, condition: &Condition) -> Vec<FieldError> {
    match compile_condition(field, condition) {
        Ok(_) => Vec::new(),
        Err(errors) => errors,
    }
}
