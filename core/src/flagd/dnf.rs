//! Tests on the context and their normal form as Rollgate rules.
//!
//! JsonLogic nests `and`, `or` and `!` freely; a Rollgate rule is one AND of conditions
//! (each of which may be negated) plus at most one segment, and a flag's rules are
//! tried in order. So a test is brought into disjunctive normal form — an OR of ANDs of
//! literals, negations pushed down to the conditions by De Morgan — and each AND
//! becomes one rule with the same serve. A literal negated here means exactly what `!`
//! means in JsonLogic, because a Rollgate condition on a missing attribute is false
//! before its `negate` applies, as a JsonLogic comparison with `null` is false before
//! `!` applies.
//!
//! Normal forms can grow exponentially; the expansion stops at [`MAX_BRANCHES`] ANDs.

use std::rc::Rc;

use crate::model::Condition;
use crate::validate::flag::MAX_RULES;

/// Most ANDs one test may expand into (a flag has at most this many rules).
pub(super) const MAX_BRANCHES: usize = MAX_RULES;

/// A test on the context.
#[derive(Clone, Debug)]
pub(super) enum Test {
    /// True or false whatever the context.
    Always(bool),
    /// One Rollgate condition.
    Condition(Condition),
    /// A shared evaluator that is imported as a segment.
    Segment(Rc<SegmentUse>),
    /// All must hold.
    All(Vec<Test>),
    /// Any must hold.
    Any(Vec<Test>),
    /// Must not hold.
    Not(Box<Test>),
}

/// A shared evaluator used as a segment: its key and what it tests, for the places a
/// segment cannot go (under a negation, or a second segment in one rule).
#[derive(Debug)]
pub(super) struct SegmentUse {
    pub(super) key: String,
    pub(super) body: Test,
}

/// One term of an AND.
#[derive(Clone, Debug)]
pub(super) enum Literal {
    Condition(Condition),
    Segment(Rc<SegmentUse>),
}

impl PartialEq for Literal {
    fn eq(&self, other: &Literal) -> bool {
        match (self, other) {
            (Literal::Condition(a), Literal::Condition(b)) => a == b,
            (Literal::Segment(a), Literal::Segment(b)) => a.key == b.key,
            _ => false,
        }
    }
}

/// An AND of literals; the empty AND is true.
pub(super) type Conjunction = Vec<Literal>;

/// The test expands into more than [`MAX_BRANCHES`] ANDs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct TooLarge;

/// `test` as an OR of ANDs (empty: false), each AND with at most one segment. With
/// `inline`, segments are replaced by what they test (for a segment's own rules).
pub(super) fn normal_form(test: &Test, inline: bool) -> Result<Vec<Conjunction>, TooLarge> {
    let ors = expand(test, true, inline)?;
    let mut rules = Vec::with_capacity(ors.len());
    for and in ors {
        rules.extend(one_segment(and)?);
        if rules.len() > MAX_BRANCHES {
            return Err(TooLarge);
        }
    }
    Ok(rules)
}

fn expand(test: &Test, positive: bool, inline: bool) -> Result<Vec<Conjunction>, TooLarge> {
    Ok(match test {
        Test::Always(value) => {
            if *value == positive {
                vec![Vec::new()]
            } else {
                Vec::new()
            }
        }
        Test::Condition(condition) => {
            let mut condition = condition.clone();
            condition.negate ^= !positive;
            vec![vec![Literal::Condition(condition)]]
        }
        Test::Segment(used) if positive && !inline => vec![vec![Literal::Segment(Rc::clone(used))]],
        Test::Segment(used) => expand(&used.body, positive, true)?,
        Test::Not(inner) => expand(inner, !positive, inline)?,
        Test::All(tests) if positive => product(tests, positive, inline)?,
        Test::Any(tests) if !positive => product(tests, positive, inline)?,
        Test::All(tests) | Test::Any(tests) => {
            let mut union = Vec::new();
            for test in tests {
                union.extend(expand(test, positive, inline)?);
                if union.len() > MAX_BRANCHES {
                    return Err(TooLarge);
                }
            }
            union
        }
    })
}

/// The AND of `tests` (each taken with `positive`), distributed over their ORs.
fn product(tests: &[Test], positive: bool, inline: bool) -> Result<Vec<Conjunction>, TooLarge> {
    let mut ands: Vec<Conjunction> = vec![Vec::new()];
    for test in tests {
        let ors = expand(test, positive, inline)?;
        if ors.is_empty() {
            return Ok(Vec::new());
        }
        ands = distribute(&ands, &ors)?;
    }
    Ok(ands)
}

/// `ands AND ors`, both in normal form, in normal form.
fn distribute(ands: &[Conjunction], ors: &[Conjunction]) -> Result<Vec<Conjunction>, TooLarge> {
    if ands.len().saturating_mul(ors.len()) > MAX_BRANCHES {
        return Err(TooLarge);
    }
    Ok(ands
        .iter()
        .flat_map(|and| ors.iter().filter_map(move |or| join(and, or)))
        .collect())
}

/// `a AND b` without repeated literals; `None` when it contains a literal and its
/// negation, so can never hold.
fn join(a: &Conjunction, b: &Conjunction) -> Option<Conjunction> {
    let mut joined = a.clone();
    for literal in b {
        if joined.contains(literal) {
            continue;
        }
        if let Literal::Condition(condition) = literal {
            let mut opposite = condition.clone();
            opposite.negate = !opposite.negate;
            if joined.contains(&Literal::Condition(opposite)) {
                return None;
            }
        }
        joined.push(literal.clone());
    }
    Some(joined)
}

/// A rule has at most one segment: the first stays, the others are inlined.
fn one_segment(and: Conjunction) -> Result<Vec<Conjunction>, TooLarge> {
    let mut kept = false;
    let mut base = Vec::with_capacity(and.len());
    let mut inlined = Vec::new();
    for literal in and {
        match literal {
            Literal::Segment(used) if kept => inlined.push(used),
            Literal::Segment(used) => {
                kept = true;
                base.push(Literal::Segment(used));
            }
            condition => base.push(condition),
        }
    }
    let mut ands = vec![base];
    for used in inlined {
        ands = distribute(&ands, &expand(&used.body, true, true)?)?;
    }
    Ok(ands)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Operator;
    use serde_json::json;

    fn is(attribute: &str, value: &str) -> Test {
        Test::Condition(Condition {
            attribute: attribute.to_owned(),
            op: Operator::In,
            values: vec![json!(value)],
            negate: false,
        })
    }

    fn describe(ors: &[Conjunction]) -> Vec<Vec<String>> {
        ors.iter()
            .map(|and| {
                and.iter()
                    .map(|literal| match literal {
                        Literal::Condition(c) => format!(
                            "{}{}={}",
                            if c.negate { "!" } else { "" },
                            c.attribute,
                            c.values[0]
                        ),
                        Literal::Segment(s) => format!("@{}", s.key),
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn negation_is_pushed_down_by_de_morgan() {
        let test = Test::Not(Box::new(Test::All(vec![is("a", "1"), is("b", "2")])));
        let ors = normal_form(&test, false).unwrap();
        assert_eq!(describe(&ors), [["!a=\"1\""], ["!b=\"2\""]]);
        let test = Test::Not(Box::new(Test::Any(vec![is("a", "1"), is("b", "2")])));
        let ors = normal_form(&test, false).unwrap();
        assert_eq!(describe(&ors), [["!a=\"1\"", "!b=\"2\""]]);
    }

    #[test]
    fn and_distributes_over_or_and_drops_contradictions() {
        let test = Test::All(vec![
            Test::Any(vec![is("a", "1"), is("b", "2")]),
            Test::Any(vec![is("a", "1"), Test::Not(Box::new(is("a", "1")))]),
        ]);
        let ors = normal_form(&test, false).unwrap();
        assert_eq!(
            describe(&ors),
            vec![
                vec!["a=\"1\""],
                vec!["b=\"2\"", "a=\"1\""],
                vec!["b=\"2\"", "!a=\"1\""]
            ]
        );
        assert!(normal_form(&Test::Always(false), false).unwrap().is_empty());
        assert_eq!(normal_form(&Test::Always(true), false).unwrap().len(), 1);
    }

    #[test]
    fn a_rule_keeps_one_segment_and_inlines_the_rest() {
        let segment = |key: &str, body: Test| {
            Test::Segment(Rc::new(SegmentUse {
                key: key.to_owned(),
                body,
            }))
        };
        let test = Test::All(vec![
            segment("s1", is("a", "1")),
            segment("s2", Test::Any(vec![is("b", "1"), is("b", "2")])),
        ]);
        let ors = normal_form(&test, false).unwrap();
        assert_eq!(describe(&ors), [["@s1", "b=\"1\""], ["@s1", "b=\"2\""]]);
        let negated = Test::Not(Box::new(segment("s1", is("a", "1"))));
        assert_eq!(
            describe(&normal_form(&negated, false).unwrap()),
            [["!a=\"1\""]]
        );
        assert_eq!(describe(&normal_form(&test, true).unwrap()).len(), 2);
    }

    #[test]
    fn expansion_is_bounded() {
        // (a1 or b1) and (a2 or b2) and … 10 times: 1024 ANDs.
        let test = Test::All(
            (0..10)
                .map(|i| Test::Any(vec![is("a", &i.to_string()), is("b", &i.to_string())]))
                .collect(),
        );
        assert_eq!(normal_form(&test, false).unwrap_err(), TooLarge);
    }
}
