//! Operands of comparisons: a context attribute (`var`) or a literal. `var` is read as
//! Rollgate can state it — a top-level attribute, no default — and `$flagd.flagKey` is
//! the flag's key, a literal for a given flag.

use serde_json::Value;

use super::{Operand, Translator};
use crate::flagd::document::kind;
use crate::flagd::finding::Path;

/// Longest attribute name (as Rollgate conditions allow).
const MAX_ATTRIBUTE_BYTES: usize = 256;

impl<'a> Translator<'a> {
    /// A value compared by a condition: a `var` or a literal.
    pub(in crate::flagd) fn operand(&mut self, value: &'a Value, path: &Path) -> Option<Operand> {
        if !value.is_object() {
            return Some(Operand::Constant(value.clone()));
        }
        let (op, argument) = self.operation(value, path)?;
        if op != "var" {
            return self.problem(
                &path.key(op),
                format!(
                    "operator `{op}` here is not supported: a comparison takes a context attribute (`var`) and literals"
                ),
            );
        }
        let path = path.key("var");
        let name = match argument {
            Value::String(name) => name,
            Value::Array(items) => match items.as_slice() {
                [Value::String(name)] | [Value::String(name), Value::Null] => name,
                [Value::String(_), _] => {
                    return self.problem(&path, "`var` with a default value is not supported");
                }
                _ => return self.problem(&path, "`var` takes an attribute name"),
            },
            other => {
                return self.problem(
                    &path,
                    format!("`var` takes an attribute name, got {}", kind(other)),
                );
            }
        };
        match name.as_str() {
            "" => self.problem(&path, "`var` of the whole context is not supported"),
            "$flagd.flagKey" => {
                self.flag_key_reads += 1;
                Some(Operand::Constant(Value::String(self.flag_key.to_owned())))
            }
            "$flagd.timestamp" => self.problem(
                &path,
                "`$flagd.timestamp` is not supported: Rollgate reads no clock while evaluating; schedule the change with a release instead",
            ),
            name if name.starts_with("$flagd") => {
                self.problem(&path, format!("unknown flagd property {name:?}"))
            }
            name if name.contains('.') => self.problem(
                &path,
                format!(
                    "nested attribute {name:?} is not supported: Rollgate reads top-level context attributes; send it as one"
                ),
            ),
            name if name.len() > MAX_ATTRIBUTE_BYTES => self.problem(
                &path,
                format!("attribute names are at most {MAX_ATTRIBUTE_BYTES} bytes"),
            ),
            name => Some(Operand::Attribute(name.to_owned())),
        }
    }
}
