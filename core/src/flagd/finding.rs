//! What the translation says about a document, and where.
//!
//! A finding names the flag it concerns and the place in the document: on import a path
//! into the flagd file in the words of its JSON (`flags.my-flag.targeting.if[0].<`, the
//! last step being the operator's own key), on export a path into the Rollgate flag
//! (`environments.production.rules[0].conditions[1]`). The same shape serves problems
//! (nothing is imported) and notes (imported, but worth knowing).

use std::fmt;

/// One thing to say about one place in a document.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// The flag concerned; `None` for the file as a whole.
    pub flag: Option<String>,
    /// Where, as a JSON path; `""` for the document itself.
    pub field: String,
    /// What, in words for the person migrating.
    pub message: String,
}

impl Finding {
    /// A finding about `flag` (if any) at `path`.
    pub(super) fn at(flag: Option<&str>, path: &Path, message: impl Into<String>) -> Finding {
        Finding {
            flag: flag.map(str::to_owned),
            field: path.0.clone(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(flag) = &self.flag {
            write!(f, "flag {flag:?}: ")?;
        }
        if self.field.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.field, self.message)
        }
    }
}

/// A JSON path being walked: object keys joined by `.`, list positions in brackets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Path(String);

impl Path {
    /// The path `text` (e.g. `flags.checkout`).
    pub(super) fn new(text: impl Into<String>) -> Path {
        Path(text.into())
    }

    /// The member `key` of this object.
    pub(super) fn key(&self, key: &str) -> Path {
        if self.0.is_empty() {
            Path(key.to_owned())
        } else {
            Path(format!("{}.{key}", self.0))
        }
    }

    /// The element `index` of this list.
    pub(super) fn index(&self, index: usize) -> Path {
        Path(format!("{}[{index}]", self.0))
    }

    /// The path as text.
    pub(super) fn as_str(&self) -> &str {
        &self.0
    }
}

/// Findings being gathered for one flag (or the file): translation goes on after a
/// problem so that one run reports every problem, not the first.
#[derive(Debug, Default)]
pub(super) struct Findings {
    flag: Option<String>,
    problems: Vec<Finding>,
    notes: Vec<Finding>,
}

impl Findings {
    /// Findings about `flag` (`None`: the file).
    pub(super) fn new(flag: Option<&str>) -> Findings {
        Findings {
            flag: flag.map(str::to_owned),
            ..Findings::default()
        }
    }

    /// Something that cannot be imported (or exported).
    pub(super) fn problem(&mut self, path: &Path, message: impl Into<String>) {
        let finding = Finding::at(self.flag.as_deref(), path, message);
        // A shared evaluator used twice by a flag reports its problem once.
        if !self.problems.contains(&finding) {
            self.problems.push(finding);
        }
    }

    /// Something translated that is worth saying.
    pub(super) fn note(&mut self, path: &Path, message: impl Into<String>) {
        let finding = Finding::at(self.flag.as_deref(), path, message);
        if !self.notes.contains(&finding) {
            self.notes.push(finding);
        }
    }

    /// Number of problems so far.
    pub(super) fn problem_count(&self) -> usize {
        self.problems.len()
    }

    /// True when nothing has gone wrong.
    pub(super) fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// The problems and the notes.
    pub(super) fn into_parts(self) -> (Vec<Finding>, Vec<Finding>) {
        (self.problems, self.notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_like_the_json_they_point_into() {
        let flag = Path::new("flags").key("my-flag");
        let branch = flag.key("targeting").key("if").index(0).key("<");
        assert_eq!(branch.as_str(), "flags.my-flag.targeting.if[0].<");
        assert_eq!(Path::default().key("flags").as_str(), "flags");
        let finding = Finding::at(Some("my-flag"), &branch, "not supported");
        assert_eq!(
            finding.to_string(),
            "flag \"my-flag\": flags.my-flag.targeting.if[0].<: not supported"
        );
    }

    #[test]
    fn a_problem_said_twice_is_kept_once() {
        let mut findings = Findings::new(Some("f"));
        let path = Path::new("$evaluators.shared");
        findings.problem(&path, "unknown operator `x`");
        findings.problem(&path, "unknown operator `x`");
        findings.note(&path, "n");
        assert_eq!(findings.problem_count(), 1);
        let (problems, notes) = findings.into_parts();
        assert_eq!((problems.len(), notes.len()), (1, 1));
    }
}
