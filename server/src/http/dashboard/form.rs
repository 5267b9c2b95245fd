//! A submitted form as its fields, in order (a name may repeat, as the acknowledgements
//! of a start do), and the JSON bodies the services take, built from them.

use serde::Deserialize;

use crate::service::IfMatch;

/// The fields of an `application/x-www-form-urlencoded` body.
#[derive(Debug, Default, Deserialize)]
#[serde(transparent)]
pub(super) struct Fields(Vec<(String, String)>);

impl Fields {
    /// The first value of `name`.
    pub(super) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`.
    pub(super) fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Every field, in order.
    pub(super) fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The value of `name`, or `None` when absent or blank.
    pub(super) fn text(&self, name: &str) -> Option<&str> {
        self.get(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// The version the page showed (the form's `version`), as the write's `If-Match`:
    /// a form sent twice, or after someone else acted, names a version that is gone
    /// and changes nothing.
    pub(super) fn if_match(&self) -> Option<IfMatch> {
        self.get("version")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(IfMatch::Version)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::Fields;

    #[test]
    fn repeated_names_are_kept_in_order() {
        let fields: Fields =
            serde_urlencoded::from_str("acknowledge=a&csrf=x&acknowledge=b&version=3").unwrap();
        assert_eq!(fields.all("acknowledge"), ["a", "b"]);
        assert_eq!(fields.get("csrf"), Some("x"));
        assert!(fields.if_match().is_some());
        assert_eq!(fields.text("missing"), None);
    }
}
