//! Evaluation: what one context gets for one flag, following docs/product.md §2 exactly.
//!
//! The hit path borrows everything from the snapshot and the context: no allocation, no
//! lock, no clock. Only an error allocates, to say what went wrong.

use std::borrow::Cow;

use serde_json::Value;

use crate::compile::{CompiledFlag, CompiledServe, Snapshot};
use crate::context::Context;
use crate::ofrep::{ErrorCode, Reason};

/// The outcome of one evaluation, borrowing from the snapshot.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation<'s> {
    /// The served value; `None` on error (the caller's default applies).
    pub value: Option<&'s Value>,
    /// The served variant's name.
    pub variant: Option<&'s str>,
    /// Why.
    pub reason: Reason,
    /// What went wrong, when `reason` is [`Reason::Error`].
    pub error: Option<ErrorCode>,
    /// Human detail for the error.
    pub error_details: Option<Cow<'static, str>>,
    /// For a shadow serve (a dark launch): the variant the caller would have had; the
    /// served `variant` is then the flag's `off_variant`.
    pub shadow_variant: Option<&'s str>,
    flag_index: Option<u32>,
    variant_index: Option<u16>,
    rule_index: Option<u16>,
}

impl<'s> Evaluation<'s> {
    fn served(
        flag: &'s CompiledFlag,
        flag_index: usize,
        variant: u16,
        reason: Reason,
    ) -> Evaluation<'s> {
        let (name, value) = flag
            .variants
            .get(usize::from(variant))
            .map_or((None, None), |(name, value)| (Some(&**name), Some(value)));
        Evaluation {
            value,
            variant: name,
            reason,
            error: None,
            error_details: None,
            shadow_variant: None,
            flag_index: Some(flag_index as u32),
            variant_index: Some(variant),
            rule_index: None,
        }
    }

    fn failed(
        flag_index: Option<usize>,
        code: ErrorCode,
        details: impl Into<Cow<'static, str>>,
    ) -> Evaluation<'s> {
        Evaluation {
            value: None,
            variant: None,
            reason: Reason::Error,
            error: Some(code),
            error_details: Some(details.into()),
            shadow_variant: None,
            flag_index: flag_index.map(|i| i as u32),
            variant_index: None,
            rule_index: None,
        }
    }

    /// Position of the flag in the snapshot (for per-flag counters), when it exists.
    pub fn flag_index(&self) -> Option<usize> {
        self.flag_index.map(|i| i as usize)
    }

    /// Position of the served variant in the flag's declared variants.
    pub fn variant_index(&self) -> Option<usize> {
        self.variant_index.map(usize::from)
    }

    /// Position of the targeting rule that matched in the environment's `rules` (from
    /// 0), when one did: the reason is then `TARGETING_MATCH`, or `SPLIT` for a rule
    /// that serves a rollout. Set by the loop that found it, so asking costs nothing.
    pub fn rule_index(&self) -> Option<usize> {
        self.rule_index.map(usize::from)
    }
}

/// Evaluates `flag_key` for `context`.
#[inline]
pub fn evaluate<'s>(snapshot: &'s Snapshot, flag_key: &str, context: &Context) -> Evaluation<'s> {
    match snapshot.flag_index(flag_key) {
        Some(index) => evaluate_index(snapshot, index, context),
        None => Evaluation::failed(
            None,
            ErrorCode::FlagNotFound,
            format!(
                "flag {flag_key:?} is not configured in environment {:?}",
                snapshot.environment()
            ),
        ),
    }
}

/// Evaluates every flag of the snapshot for one context, in key order.
pub fn evaluate_all<'s, 'c>(
    snapshot: &'s Snapshot,
    context: &'c Context,
) -> impl ExactSizeIterator<Item = (&'s str, Evaluation<'s>)> + use<'s, 'c> {
    let targeting_key = targeting_key(context);
    snapshot
        .flags()
        .iter()
        .enumerate()
        .map(move |(index, flag)| {
            (
                &*flag.key,
                evaluate_flag(flag, index, context, targeting_key),
            )
        })
}

/// Evaluates the flag at `index` (see [`Snapshot::flag_index`]).
#[inline]
pub fn evaluate_index<'s>(
    snapshot: &'s Snapshot,
    index: usize,
    context: &Context,
) -> Evaluation<'s> {
    match snapshot.flag(index) {
        Some(flag) => evaluate_flag(flag, index, context, targeting_key(context)),
        None => Evaluation::failed(None, ErrorCode::FlagNotFound, "no flag at this index"),
    }
}

/// The context's `targetingKey` was there but not a string.
#[derive(Clone, Copy, Debug)]
struct NotAString;

/// The targeting key, read once per context: every rule and rollout of every flag
/// evaluated for the context uses it. Absent and `null` are both no key.
#[inline]
fn targeting_key(context: &Context) -> Result<Option<&str>, NotAString> {
    match context.targeting_key() {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(key)) => Ok(Some(key)),
        Some(_) => Err(NotAString),
    }
}

#[inline]
fn evaluate_flag<'s>(
    flag: &'s CompiledFlag,
    index: usize,
    context: &Context,
    targeting_key: Result<Option<&str>, NotAString>,
) -> Evaluation<'s> {
    let Ok(targeting_key) = targeting_key else {
        return Evaluation::failed(
            Some(index),
            ErrorCode::InvalidContext,
            "targetingKey must be a string",
        );
    };
    if !flag.enabled {
        return Evaluation::served(flag, index, flag.off, Reason::Disabled);
    }
    for (position, rule) in flag.rules.iter().enumerate() {
        let in_segment = rule
            .segment
            .as_ref()
            .is_none_or(|segment| segment.contains(context, targeting_key));
        if in_segment && rule.conditions.iter().all(|c| c.matches(context)) {
            let subject = Subject {
                context,
                targeting_key,
            };
            let mut served = serve(flag, index, &rule.serve, Reason::TargetingMatch, subject);
            // At most `MAX_RULES` (500) rules: the position fits.
            served.rule_index = u16::try_from(position).ok();
            return shadowed(flag, rule.shadow, served);
        }
    }
    let fixed = if flag.rules.is_empty() {
        Reason::Static
    } else {
        Reason::Default
    };
    let subject = Subject {
        context,
        targeting_key,
    };
    let served = serve(flag, index, &flag.default, fixed, subject);
    shadowed(flag, flag.default_shadow, served)
}

/// A shadow serve keeps its choice as the shadow variant and serves the flag's
/// `off_variant` instead (same reason). Borrowed names only: nothing allocates.
#[inline]
fn shadowed<'s>(
    flag: &'s CompiledFlag,
    shadow: bool,
    evaluation: Evaluation<'s>,
) -> Evaluation<'s> {
    if !shadow || evaluation.error.is_some() {
        return evaluation;
    }
    let index = evaluation.flag_index.map_or(0, |i| i as usize);
    let mut control = Evaluation::served(flag, index, flag.off, evaluation.reason);
    control.shadow_variant = evaluation.variant;
    control.rule_index = evaluation.rule_index;
    control
}

/// The context being evaluated, with its targeting key already read.
#[derive(Clone, Copy)]
struct Subject<'c> {
    context: &'c Context,
    targeting_key: Option<&'c str>,
}

#[inline]
fn serve<'s>(
    flag: &'s CompiledFlag,
    index: usize,
    serve: &CompiledServe,
    fixed: Reason,
    subject: Subject<'_>,
) -> Evaluation<'s> {
    let arms = match serve {
        CompiledServe::Variant(variant) => return Evaluation::served(flag, index, *variant, fixed),
        CompiledServe::Rollout(arms) => arms,
        CompiledServe::Weighted(total, arms) => {
            return weighted(flag, index, *total, arms, subject);
        }
    };
    let mut digits = itoa::Buffer::new();
    let unit = match unit(flag, index, subject, &mut digits) {
        Ok(unit) => unit,
        Err(failed) => return failed,
    };
    let bucket = flag.hasher.bucket(unit);
    let variant = arms
        .iter()
        .find(|(_, end)| bucket < *end)
        .or(arms.last())
        .map_or(flag.off, |(v, _)| *v);
    Evaluation::served(flag, index, variant, Reason::Split)
}

/// A rollout over a total weight of its own: the bucket is `(hash × total) >> 32`.
fn weighted<'s>(
    flag: &'s CompiledFlag,
    index: usize,
    total: u32,
    arms: &[(u16, u32)],
    subject: Subject<'_>,
) -> Evaluation<'s> {
    let mut digits = itoa::Buffer::new();
    let unit = match unit(flag, index, subject, &mut digits) {
        Ok(unit) => unit,
        Err(failed) => return failed,
    };
    let hash = flag.hasher.hash(unit.as_bytes());
    let bucket = ((u64::from(hash) * u64::from(total)) >> 32) as u32;
    Evaluation::served(flag, index, arm(arms, bucket, flag.off), Reason::Split)
}

/// The variant of the arm whose cumulative range holds `bucket` (the last arm's if the
/// weights fall short, which validation rules out; `off` for no arm at all). The
/// basis-point path in [`serve`] spells this out: as a shared helper it measured five
/// instructions more per evaluation under callgrind.
fn arm(arms: &[(u16, u32)], bucket: u32, off: u16) -> u16 {
    arms.iter()
        .find(|(_, end)| bucket < *end)
        .or(arms.last())
        .map_or(off, |(variant, _)| *variant)
}

/// The unit a rollout hashes: the targeting key, or the stickiness attribute (an integer
/// as its decimal digits, written into `digits`).
#[inline(always)]
fn unit<'u, 's>(
    flag: &'s CompiledFlag,
    index: usize,
    subject: Subject<'u>,
    digits: &'u mut itoa::Buffer,
) -> Result<&'u str, Evaluation<'s>> {
    match (&flag.stickiness, subject.targeting_key) {
        (None, Some(key)) => Ok(key),
        (None, None) => Err(Evaluation::failed(
            Some(index),
            ErrorCode::TargetingKeyMissing,
            "this flag rolls out by percentage and the context has no targetingKey",
        )),
        (Some(attribute), _) => match subject.context.get(attribute) {
            None | Some(Value::Null) => Err(Evaluation::failed(
                Some(index),
                ErrorCode::TargetingKeyMissing,
                format!("this flag rolls out by {attribute:?} and the context has none"),
            )),
            Some(Value::String(unit)) => Ok(unit),
            Some(Value::Number(n)) if n.is_i64() || n.is_u64() => {
                Ok(match (n.as_i64(), n.as_u64()) {
                    (Some(i), _) => digits.format(i),
                    (_, Some(u)) => digits.format(u),
                    _ => "",
                })
            }
            Some(_) => Err(Evaluation::failed(
                Some(index),
                ErrorCode::InvalidContext,
                format!("the stickiness attribute {attribute:?} must be a string or an integer"),
            )),
        },
    }
}
