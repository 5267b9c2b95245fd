//! Reading a flagd flag-definition file: the JSON itself, then its shape.
//!
//! The JSON is read into `serde_json::Value`, but refusing an object that names a key
//! twice (serde keeps the last silently, and a flag defined twice would import as
//! whichever came second). Nesting is bounded by the parser's own recursion limit, the
//! size by [`MAX_FILE_BYTES`]. The shape follows flagd's schema: `flags` with `state`,
//! `variants`, `defaultVariant`, `targeting` and `metadata`; `$evaluators`; `$schema`
//! and `metadata` at the top. Unknown members are refused, since a misspelt
//! `defaultVariant` would otherwise change what users get without a word.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::finding::{Findings, Path};

/// Largest file read, in bytes.
pub const MAX_FILE_BYTES: usize = 8 << 20;
/// Most flags in one file.
pub const MAX_FLAGS: usize = 10_000;

/// A flag as the file defines it, its shape checked.
#[derive(Debug)]
pub(super) struct FlagDefinition {
    /// `state` is `ENABLED`.
    pub(super) enabled: bool,
    /// Variant name → value, in the file's order of names.
    pub(super) variants: Vec<(String, Value)>,
    /// `defaultVariant`, when given as a string.
    pub(super) default_variant: Option<String>,
    /// `targeting`, unless absent, `null` or `{}` (all three mean none).
    pub(super) targeting: Option<Value>,
    /// The flag carries `metadata`.
    pub(super) has_metadata: bool,
}

/// The file: its flags (those whose shape is right) and shared evaluators.
#[derive(Debug, Default)]
pub(super) struct FlagFile {
    pub(super) flags: Vec<(String, FlagDefinition)>,
    pub(super) evaluators: Map<String, Value>,
    pub(super) has_metadata: bool,
}

/// Reads `bytes`; problems of the file as a whole go to `file`, each flag's to its own
/// entry of `flags` (keyed like the file). Returns `None` when nothing can be read.
pub(super) fn read(
    bytes: &[u8],
    file: &mut Findings,
    flag_findings: &mut BTreeMap<String, Findings>,
) -> Option<FlagFile> {
    let root = Path::default();
    if bytes.len() > MAX_FILE_BYTES {
        file.problem(
            &root,
            format!(
                "the file is {} bytes; at most {MAX_FILE_BYTES} are read",
                bytes.len()
            ),
        );
        return None;
    }
    let value = match parse_strict(bytes) {
        Ok(value) => value,
        Err(error) => {
            file.problem(&root, format!("malformed JSON: {error}"));
            return None;
        }
    };
    let Value::Object(mut top) = value else {
        file.problem(
            &root,
            format!(
                "a flagd file is a JSON object with `flags`, got {}",
                kind(&value)
            ),
        );
        return None;
    };
    let mut read = FlagFile {
        has_metadata: top.remove("metadata").is_some(),
        ..FlagFile::default()
    };
    top.remove("$schema");
    match top.remove("$evaluators") {
        None | Some(Value::Null) => {}
        Some(Value::Object(evaluators)) => read.evaluators = evaluators,
        Some(other) => file.problem(
            &root.key("$evaluators"),
            format!(
                "must be an object of named JsonLogic rules, got {}",
                kind(&other)
            ),
        ),
    }
    let flags = top.remove("flags");
    for unknown in top.keys() {
        file.problem(
            &root.key(unknown),
            format!(
                "unknown member `{unknown}`; a flagd file has `flags`, `$evaluators`, `$schema` and `metadata`"
            ),
        );
    }
    let flags_path = root.key("flags");
    let flags = match flags {
        Some(Value::Object(flags)) => flags,
        Some(other) => {
            file.problem(
                &flags_path,
                format!(
                    "must be an object of flag definitions by key, got {}",
                    kind(&other)
                ),
            );
            return None;
        }
        None => {
            file.problem(&flags_path, "missing: a flagd file defines its flags here");
            return None;
        }
    };
    if flags.len() > MAX_FLAGS {
        file.problem(
            &flags_path,
            format!(
                "{} flags; at most {MAX_FLAGS} are imported at once",
                flags.len()
            ),
        );
        return None;
    }
    for (key, definition) in flags {
        let mut findings = Findings::new(Some(&key));
        let path = flags_path.key(&key);
        if let Some(flag) = flag_definition(definition, &path, &mut findings) {
            read.flags.push((key.clone(), flag));
        }
        flag_findings.insert(key, findings);
    }
    Some(read)
}

fn flag_definition(value: Value, path: &Path, findings: &mut Findings) -> Option<FlagDefinition> {
    let Value::Object(mut members) = value else {
        findings.problem(
            path,
            format!("a flag definition is an object, got {}", kind(&value)),
        );
        return None;
    };
    let enabled = match members.remove("state") {
        Some(Value::String(state)) if state == "ENABLED" => Some(true),
        Some(Value::String(state)) if state == "DISABLED" => Some(false),
        Some(other) => {
            findings.problem(
                &path.key("state"),
                format!("must be \"ENABLED\" or \"DISABLED\", got {other}"),
            );
            None
        }
        None => {
            findings.problem(&path.key("state"), "missing: \"ENABLED\" or \"DISABLED\"");
            None
        }
    };
    let variants = match members.remove("variants") {
        Some(Value::Object(variants)) if variants.is_empty() => {
            findings.problem(&path.key("variants"), "a flag needs at least one variant");
            None
        }
        Some(Value::Object(variants)) => Some(variants.into_iter().collect::<Vec<_>>()),
        Some(other) => {
            findings.problem(
                &path.key("variants"),
                format!(
                    "must be an object of variant name → value, got {}",
                    kind(&other)
                ),
            );
            None
        }
        None => {
            findings.problem(&path.key("variants"), "missing: the flag's variants");
            None
        }
    };
    let default_variant = match members.remove("defaultVariant") {
        Some(Value::String(name)) => Some(name),
        None | Some(Value::Null) => {
            findings.problem(
                &path.key("defaultVariant"),
                "missing: flagd then defers to the caller's code default, but a Rollgate flag always serves one of its variants; name the variant to serve by default",
            );
            None
        }
        Some(other) => {
            findings.problem(
                &path.key("defaultVariant"),
                format!("must be the name of a variant, got {other}"),
            );
            None
        }
    };
    let targeting = match members.remove("targeting") {
        None | Some(Value::Null) => None,
        Some(Value::Object(rule)) if rule.is_empty() => None,
        Some(rule @ Value::Object(_)) => Some(rule),
        Some(other) => {
            findings.problem(
                &path.key("targeting"),
                format!("must be a JsonLogic object, got {}", kind(&other)),
            );
            None
        }
    };
    let has_metadata = members.remove("metadata").is_some();
    for unknown in members.keys() {
        findings.problem(
            &path.key(unknown),
            format!(
                "unknown member `{unknown}`; a flag has `state`, `variants`, `defaultVariant`, `targeting` and `metadata`"
            ),
        );
    }
    if let (Some(variants), Some(name)) = (&variants, &default_variant)
        && !variants.iter().any(|(variant, _)| variant == name)
    {
        findings.problem(
            &path.key("defaultVariant"),
            format!(
                "{name:?} is not among the flag's variants {:?}",
                variant_names(variants)
            ),
        );
    }
    if !findings.is_clean() {
        return None;
    }
    Some(FlagDefinition {
        enabled: enabled?,
        variants: variants?,
        default_variant,
        targeting,
        has_metadata,
    })
}

/// The names of `variants`, for messages.
pub(super) fn variant_names(variants: &[(String, Value)]) -> Vec<&str> {
    variants.iter().map(|(name, _)| name.as_str()).collect()
}

/// A word for the JSON type of `value`, for messages.
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Parses JSON, refusing objects that name a key twice.
pub(super) fn parse_strict(bytes: &[u8]) -> Result<Value, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let Strict(value) = Strict::deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(value)
}

/// A JSON value read with unique object keys.
struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Strict, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Strict, E> {
        Ok(Strict(Value::Bool(value)))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Strict, E> {
        Ok(Strict(Value::from(value)))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Strict, E> {
        Ok(Strict(Value::from(value)))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Strict, E> {
        Ok(Strict(
            serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number),
        ))
    }

    fn visit_str<E>(self, value: &str) -> Result<Strict, E> {
        Ok(Strict(Value::String(value.to_owned())))
    }

    fn visit_string<E>(self, value: String) -> Result<Strict, E> {
        Ok(Strict(Value::String(value)))
    }

    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Strict, A::Error> {
        let mut list = Vec::with_capacity(items.size_hint().unwrap_or(0).min(256));
        while let Some(Strict(item)) = items.next_element()? {
            list.push(item);
        }
        Ok(Strict(Value::Array(list)))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut entries: A) -> Result<Strict, A::Error> {
        let mut map = Map::new();
        while let Some(key) = entries.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(A::Error::custom(format!("duplicate key {key:?}")));
            }
            let Strict(value) = entries.next_value()?;
            map.insert(key, value);
        }
        Ok(Strict(Value::Object(map)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_one(text: &str) -> (Option<FlagFile>, Vec<String>) {
        let mut file = Findings::new(None);
        let mut flags = BTreeMap::new();
        let read = read(text.as_bytes(), &mut file, &mut flags);
        let mut messages: Vec<String> = Vec::new();
        let (problems, _) = file.into_parts();
        messages.extend(problems.iter().map(ToString::to_string));
        for (_, findings) in flags {
            let (problems, _) = findings.into_parts();
            messages.extend(problems.iter().map(ToString::to_string));
        }
        (read, messages)
    }

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        let error = parse_strict(br#"{"flags": {"a": {}, "a": {}}}"#).unwrap_err();
        assert!(error.to_string().contains("duplicate key \"a\""), "{error}");
        assert!(parse_strict(br#"[{"x": 1, "y": {"x": 2}}]"#).is_ok());
        assert!(parse_strict(b"{} trailing").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let error = parse_strict(deep.as_bytes()).unwrap_err();
        assert!(error.to_string().contains("recursion limit"), "{error}");
    }

    #[test]
    fn shape_problems_name_their_member() {
        let (read, messages) = read_one(
            r#"{"flags": {
                "a": {"state": "ON", "variants": {"on": true}, "defaultVariant": "on"},
                "b": {"state": "ENABLED", "variants": {}, "defaultVariant": "x"},
                "c": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "off", "defaultVarient": 1},
                "d": {"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "on", "targeting": {}}
              }, "extra": 1}"#,
        );
        let text = messages.join("\n");
        assert!(
            text.contains("flags.a.state: must be \"ENABLED\" or \"DISABLED\""),
            "{text}"
        );
        assert!(
            text.contains("flags.b.variants: a flag needs at least one variant"),
            "{text}"
        );
        assert!(
            text.contains("flags.c.defaultVarient: unknown member"),
            "{text}"
        );
        assert!(
            text.contains(
                "flags.c.defaultVariant: \"off\" is not among the flag's variants [\"on\"]"
            ),
            "{text}"
        );
        assert!(text.contains("extra: unknown member `extra`"), "{text}");
        let read = read.unwrap();
        assert_eq!(read.flags.len(), 1, "only `d` is well formed");
        assert!(
            read.flags[0].1.targeting.is_none(),
            "`{{}}` is no targeting"
        );
    }

    #[test]
    fn unreadable_files_say_why() {
        for (text, expected) in [
            ("{\"flags\": ", "malformed JSON"),
            ("[1]", "a flagd file is a JSON object"),
            ("{}", "flags: missing"),
            ("{\"flags\": []}", "flags: must be an object"),
        ] {
            let (read, messages) = read_one(text);
            assert!(read.is_none(), "{text}");
            assert!(
                messages.iter().any(|m| m.contains(expected)),
                "{text}: {messages:?}"
            );
        }
        let huge = vec![b' '; MAX_FILE_BYTES + 1];
        let mut file = Findings::new(None);
        assert!(read(&huge, &mut file, &mut BTreeMap::new()).is_none());
        assert!(!file.is_clean());
    }
}
