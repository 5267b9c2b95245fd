//! The translation of targeting: problems with paths, `$ref`s, bounded depth.

use super::*;
use serde_json::json;

fn translate(targeting: Value, evaluators: Value) -> (Option<Targeting>, Vec<String>) {
    let variants = vec![
        ("on".to_owned(), json!(true)),
        ("off".to_owned(), json!(false)),
    ];
    let Value::Object(evaluators) = evaluators else {
        panic!("evaluators are an object")
    };
    let mut findings = Findings::new(Some("f"));
    let mut budget = MAX_OPERATIONS;
    let targeting = {
        let mut t = Translator::new("f", &variants, &evaluators, &mut budget, &mut findings);
        t.targeting(&targeting, &Path::new("flags.f.targeting"))
    };
    let (problems, _) = findings.into_parts();
    (
        targeting,
        problems.iter().map(ToString::to_string).collect(),
    )
}

#[test]
fn every_problem_of_a_rule_is_reported_with_its_path() {
    let (targeting, problems) = translate(
        json!({"if": [
            {"<": [{"var": "name"}, "m"]}, "on",
            {"cat": ["a"]}, "off",
            {"==": [{"var": "user.name"}, "x"]}, "maybe"
        ]}),
        json!({}),
    );
    assert!(targeting.is_none());
    let text = problems.join("\n");
    assert!(
        text.contains("flags.f.targeting.if[0].<: operator `<` on strings is not supported"),
        "{text}"
    );
    assert!(
        text.contains("flags.f.targeting.if[2].cat: operator `cat` is not supported"),
        "{text}"
    );
    assert!(
        text.contains("flags.f.targeting.if[4].==[0].var: nested attribute \"user.name\""),
        "{text}"
    );
    assert!(
        text.contains("flags.f.targeting.if[5]: \"maybe\" is not among the flag's variants"),
        "{text}"
    );
}

#[test]
fn refs_resolve_and_cycles_are_named() {
    let (targeting, problems) = translate(
        json!({"if": [{"$ref": "a"}, "on", "off"]}),
        json!({"a": {"and": [{"$ref": "b"}]}, "b": {"or": [{"$ref": "a"}]}}),
    );
    assert!(targeting.is_none());
    assert!(
        problems
            .iter()
            .any(|p| p.contains("$evaluators.b.or[0].$ref: cyclic `$ref`: a → b → a")),
        "{problems:?}"
    );
    let (_, problems) = translate(
        json!({"if": [{"$ref": "nope"}, "on", "off"]}),
        json!({"a": true}),
    );
    assert!(
        problems[0].contains("unknown evaluator \"nope\"; `$evaluators` defines [\"a\"]"),
        "{problems:?}"
    );
    let (targeting, problems) = translate(
        json!({"if": [{"$ref": "a"}, "on", "off"]}),
        json!({"a": {"==": [{"var": "email"}, "x@y"]}}),
    );
    assert!(problems.is_empty(), "{problems:?}");
    let Some(Targeting::If(pairs, _)) = targeting else {
        panic!("an if")
    };
    assert!(matches!(&pairs[0].0, Test::Segment(used) if used.key == "a"));
}

#[test]
fn depth_is_bounded() {
    let mut rule = json!({"==": [{"var": "a"}, 1]});
    for _ in 0..200 {
        rule = json!({"!": rule});
    }
    let (targeting, problems) = translate(json!({"if": [rule, "on", "off"]}), json!({}));
    assert!(targeting.is_none());
    assert!(
        problems
            .iter()
            .any(|p| p.contains("nested more than 64 levels deep")),
        "{problems:?}"
    );
}
