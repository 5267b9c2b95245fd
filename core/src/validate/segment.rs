//! Validation of segment documents.

use super::{
    FieldError, Lines, MAX_DESCRIPTION, count_field, key_field, text_field, unique_field,
    validate_condition,
};
use crate::model::Segment;
use crate::validate::flag::MAX_CONDITIONS;

/// Most keys in a segment's `include` or `exclude` list.
pub const MAX_LISTED_KEYS: usize = 100_000;
/// Most rules in a segment.
pub const MAX_SEGMENT_RULES: usize = 500;

/// Checks a segment document.
pub fn validate_segment(segment: &Segment) -> Vec<FieldError> {
    let mut errors = Vec::new();
    key_field(&mut errors, "key", &segment.key);
    text_field(
        &mut errors,
        "description",
        &segment.description,
        MAX_DESCRIPTION,
        Lines::Many,
    );
    for (field, keys) in [("include", &segment.include), ("exclude", &segment.exclude)] {
        if count_field(&mut errors, field, keys, MAX_LISTED_KEYS) {
            for (index, key) in keys.iter().enumerate() {
                if key.is_empty() || key.len() > 1024 {
                    errors.push(FieldError::new(
                        format!("{field}[{index}]"),
                        "must be 1 to 1024 bytes",
                    ));
                }
            }
            unique_field(&mut errors, field, keys.iter().map(String::as_str));
        }
    }
    if count_field(&mut errors, "rules", &segment.rules, MAX_SEGMENT_RULES) {
        for (r, rule) in segment.rules.iter().enumerate() {
            let field = format!("rules[{r}].conditions");
            if count_field(&mut errors, &field, &rule.conditions, MAX_CONDITIONS) {
                for (c, condition) in rule.conditions.iter().enumerate() {
                    errors.extend(validate_condition(&format!("{field}[{c}]"), condition));
                }
            }
        }
    }
    errors
}
