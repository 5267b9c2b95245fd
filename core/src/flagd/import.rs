//! flagd flag definitions → Rollgate flags and segments for one environment.
//!
//! All or nothing: every problem of the file is gathered (each flag is translated even
//! after another failed) and, if there is any, nothing is returned but the problems.
//! What is returned has passed the core's own validation and compiles without warning,
//! so the server can write it in one commit and serve it.
//!
//! A key that already exists is a conflict unless the caller asks to replace: a
//! replaced flag keeps its other environments, description and tags, and takes the
//! file's variants and this environment's configuration — and must still validate as a
//! whole (another environment serving a variant the file drops is a problem). A
//! replaced segment is overwritten.

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use serde_json::Value;

use super::catalog::CatalogView;
use super::dnf::normal_form;
use super::document::{FlagDefinition, read};
use super::finding::{Finding, Findings, Path};
use super::logic::{MAX_OPERATIONS, Translator};
use super::rules::lay_out;
use crate::compile::compile;
use crate::key::check_key;
use crate::model::{Flag, Segment, SegmentRule, VariantType};
use crate::validate::{Catalog, validate_flag, validate_segment};

/// Each flag's findings, by key.
type PerFlag = BTreeMap<String, Findings>;

/// How an import treats keys that already exist.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Overwrite existing flags' configuration in the environment (and their variants)
    /// and existing segments, instead of reporting each as a conflict.
    pub replace: bool,
}

/// One document the import would write.
#[derive(Clone, Debug, PartialEq)]
pub struct Written<T> {
    /// The whole document, as it is to be stored.
    pub document: T,
    /// A document with this key exists and is replaced.
    pub replaces: bool,
}

/// What an import produced: documents to write in one commit, and notes.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    /// The flags, by key.
    pub flags: Vec<Written<Flag>>,
    /// The segments made from shared evaluators, by key.
    pub segments: Vec<Written<Segment>>,
    /// What was translated with a remark (metadata left behind, numbers widened, …).
    pub notes: Vec<Finding>,
}

/// Translates the flagd file `bytes` into documents for `environment`, checked against
/// `catalog`; `Err` lists every problem, and then nothing is to be written.
pub fn import(
    bytes: &[u8],
    environment: &str,
    catalog: &dyn CatalogView,
    options: ImportOptions,
) -> Result<Imported, Vec<Finding>> {
    let mut file = Findings::new(None);
    let mut per_flag: PerFlag = BTreeMap::new();
    let environments: BTreeSet<String> = catalog.environments().into_iter().collect();
    let known = environments.contains(environment);
    if !known {
        file.problem(
            &Path::default(),
            format!("unknown environment {environment:?}; the environments are {environments:?}"),
        );
    }
    let read = read(bytes, &mut file, &mut per_flag);
    let mut flags: Vec<Flag> = Vec::new();
    let mut segments: BTreeMap<String, Segment> = BTreeMap::new();
    if let Some(read) = &read {
        if read.has_metadata {
            file.note(&Path::new("metadata"), "flag-set metadata is not imported");
        }
        let mut used = BTreeSet::new();
        let mut budget = MAX_OPERATIONS;
        for (key, definition) in &read.flags {
            let findings = flag_findings(&mut per_flag, key);
            let Some((flag, uses)) =
                translate(key, definition, read, environment, &mut budget, findings)
            else {
                continue;
            };
            for (segment, evaluator) in uses {
                used.insert(evaluator);
                segments.entry(segment.key.clone()).or_insert(segment);
            }
            flags.push(flag);
        }
        for name in read.evaluators.keys().filter(|name| !used.contains(*name)) {
            file.note(
                &Path::new("$evaluators").key(name),
                "no flag uses this evaluator as a segment; it is not imported on its own",
            );
        }
    }
    if !known {
        // The file's own problems are reported; checks against the catalog would only
        // repeat that the environment does not exist.
        flags.clear();
        segments.clear();
    }
    let mut written_flags = Vec::with_capacity(flags.len());
    for flag in flags {
        let findings = flag_findings(&mut per_flag, &flag.key);
        written_flags.extend(settle_flag(flag, environment, catalog, options, findings));
    }
    let mut written_segments = Vec::with_capacity(segments.len());
    for (key, segment) in segments {
        let replaces = catalog.segment(&key).is_some();
        let path = Path::new("$evaluators").key(&key);
        if replaces && !options.replace {
            file.problem(
                &path,
                format!("segment {key:?} already exists; import with replace to overwrite it"),
            );
        }
        for error in validate_segment(&segment) {
            file.problem(
                &path,
                format!("the segment made from this evaluator is not valid: {error}"),
            );
        }
        written_segments.push(Written {
            document: segment,
            replaces,
        });
    }
    check_compiles(
        environment,
        &written_flags,
        &written_segments,
        catalog,
        &mut file,
        &mut per_flag,
    );
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    for findings in std::iter::once(file).chain(per_flag.into_values()) {
        let (p, n) = findings.into_parts();
        problems.extend(p);
        notes.extend(n);
    }
    if !problems.is_empty() {
        problems.sort();
        return Err(problems);
    }
    notes.sort();
    written_flags.sort_by(|a, b| a.document.key.cmp(&b.document.key));
    Ok(Imported {
        flags: written_flags,
        segments: written_segments,
        notes,
    })
}

fn flag_findings<'f>(per_flag: &'f mut PerFlag, key: &str) -> &'f mut Findings {
    per_flag
        .entry(key.to_owned())
        .or_insert_with(|| Findings::new(Some(key)))
}

/// One flag: variants, then targeting laid out as rules. Returns the flag and the
/// segments its rules use (with the evaluator each came from).
fn translate(
    key: &str,
    definition: &FlagDefinition,
    read: &super::document::FlagFile,
    environment: &str,
    budget: &mut usize,
    findings: &mut Findings,
) -> Option<(Flag, Vec<(Segment, String)>)> {
    let path = Path::new("flags").key(key);
    if let Err(message) = check_key(key) {
        findings.problem(&path, format!("the flag key {message}"));
    }
    let variants = variants(definition, &path, findings);
    let targeting = definition.targeting.as_ref().and_then(|rule| {
        let mut translator = Translator::new(
            key,
            &definition.variants,
            &read.evaluators,
            budget,
            findings,
        );
        translator.targeting(rule, &path.key("targeting"))
    });
    if definition.targeting.is_some() && targeting.is_none() {
        return None;
    }
    let default_variant = definition.default_variant.as_deref()?;
    let laid = lay_out(targeting, definition.enabled, default_variant, findings)?;
    if definition.has_metadata {
        findings.note(&path.key("metadata"), "flag metadata is not imported");
    }
    let mut used = Vec::with_capacity(laid.segments.len());
    for segment in laid.segments {
        let rules = match normal_form(&segment.body, true) {
            Ok(ands) => ands,
            Err(_) => {
                findings.problem(
                    &Path::new("$evaluators").key(&segment.key),
                    "this evaluator expands into too many rules for a segment",
                );
                return None;
            }
        };
        let rules = rules
            .into_iter()
            .map(|and| SegmentRule {
                conditions: and
                    .into_iter()
                    .filter_map(|literal| match literal {
                        super::dnf::Literal::Condition(condition) => Some(condition),
                        super::dnf::Literal::Segment(_) => None,
                    })
                    .collect(),
            })
            .collect();
        used.push((
            Segment {
                key: segment.key.clone(),
                description: format!("Imported from flagd: $evaluators.{}", segment.key),
                include: Vec::new(),
                exclude: Vec::new(),
                rules,
            },
            segment.key.clone(),
        ));
    }
    let flag = Flag {
        key: key.to_owned(),
        description: String::new(),
        variants: variants?,
        tags: Vec::new(),
        environments: [(environment.to_owned(), Box::new(laid.config))].into(),
    };
    findings.is_clean().then_some((flag, used))
}

/// The variants, their names checked as Rollgate keys. Integers and fractions mixed in
/// one flag (one "number" type in flagd, two in Rollgate) are all made fractions.
fn variants(
    definition: &FlagDefinition,
    path: &Path,
    findings: &mut Findings,
) -> Option<IndexMap<String, Value>> {
    let path = path.key("variants");
    let before = findings.problem_count();
    for (name, value) in &definition.variants {
        if let Err(message) = check_key(name) {
            findings.problem(&path.key(name), format!("the variant name {message}"));
        }
        if value.is_null() {
            findings.problem(&path.key(name), "a variant's value cannot be null");
        }
    }
    let types: BTreeSet<&str> = definition
        .variants
        .iter()
        .filter_map(|(_, value)| VariantType::of(value).map(VariantType::as_str))
        .collect();
    let numbers = types.iter().all(|t| *t == "integer" || *t == "float");
    if types.len() > 1 && !numbers {
        findings.problem(
            &path,
            format!("all variants of a flag share one type; these are {types:?}"),
        );
    }
    if findings.problem_count() > before {
        return None;
    }
    let widen = types.len() > 1;
    if widen {
        findings.note(&path, "integer and fractional values mixed: every value is imported as a fraction (1 becomes 1.0)");
    }
    Some(
        definition
            .variants
            .iter()
            .map(|(name, value)| {
                let value = match value.as_f64() {
                    Some(number) if widen => serde_json::Number::from_f64(number)
                        .map_or_else(|| value.clone(), Value::Number),
                    _ => value.clone(),
                };
                (name.clone(), value)
            })
            .collect(),
    )
}

/// Conflicts with existing flags, the merge with a replaced one, and validation.
fn settle_flag(
    flag: Flag,
    environment: &str,
    catalog: &dyn CatalogView,
    options: ImportOptions,
    findings: &mut Findings,
) -> Option<Written<Flag>> {
    let path = Path::new("flags").key(&flag.key);
    let (document, replaces) = match catalog.flag(&flag.key) {
        None => (flag, false),
        Some(_) if !options.replace => {
            findings.problem(
                &path,
                format!("flag {:?} already exists; import with replace to overwrite its {environment:?} configuration and its variants", flag.key),
            );
            return None;
        }
        Some(existing) => {
            let mut merged = existing.clone();
            merged.variants = flag.variants;
            merged.environments.extend(flag.environments);
            (merged, true)
        }
    };
    let validation = Catalog {
        environments: catalog.environments().into_iter().collect(),
        segments: catalog
            .segment_keys()
            .into_iter()
            .chain(
                document
                    .environments
                    .values()
                    .flat_map(|config| config.rules.iter().filter_map(|rule| rule.segment.clone())),
            )
            .collect(),
    };
    for error in validate_flag(&document, &validation) {
        findings.problem(&path, format!("the translated flag is not valid: {error}"));
    }
    findings
        .is_clean()
        .then_some(Written { document, replaces })
}

/// The documents compile for `environment` without a warning (what validation passed,
/// compilation accepts; this is the last word before the server serves them).
fn check_compiles(
    environment: &str,
    flags: &[Written<Flag>],
    segments: &[Written<Segment>],
    catalog: &dyn CatalogView,
    file: &mut Findings,
    per_flag: &mut PerFlag,
) {
    let imported: BTreeSet<&str> = segments.iter().map(|s| s.document.key.as_str()).collect();
    let existing: Vec<&Segment> = flags
        .iter()
        .flat_map(|f| f.document.environments.get(environment).into_iter())
        .flat_map(|config| {
            config
                .rules
                .iter()
                .filter_map(|rule| rule.segment.as_deref())
        })
        .filter(|key| !imported.contains(key))
        .filter_map(|key| catalog.segment(key))
        .collect();
    let compiled = compile(
        environment,
        0,
        flags.iter().map(|f| &f.document),
        segments.iter().map(|s| &s.document).chain(existing),
    );
    for warning in compiled.warnings {
        let flag = flags.iter().map(|f| f.document.key.as_str()).find(|key| {
            let prefix = format!("flags.{key}");
            warning.field == prefix || warning.field.starts_with(&format!("{prefix}."))
        });
        let findings = match flag {
            Some(key) => flag_findings(per_flag, key),
            None => &mut *file,
        };
        findings.problem(
            &Path::default(),
            format!("the translated documents do not compile: {warning}"),
        );
    }
}
