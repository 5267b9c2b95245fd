//! `[cors]`: which web pages, by their origin, may call the evaluation routes from a
//! browser. Origins are checked when the settings are read, so a typo (a path, a missing
//! scheme) stops the server with its name instead of silently letting no page in; the
//! same check serves a frontend key's own origins.

use serde::{Deserialize, Deserializer};

/// Cross-origin access to the evaluation routes (OFREP, and the SDK sync routes).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct CorsSettings {
    /// Origins (`https://shop.example.com`) whose pages may evaluate, or `*` for any;
    /// empty: no cross-origin access at all.
    #[serde(deserialize_with = "origins")]
    pub allowed_origins: AllowedOrigins,
}

/// The origins `cors.allowed_origins` lets in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum AllowedOrigins {
    /// None: browsers on other origins are refused by their own CORS check.
    #[default]
    None,
    /// Any origin (`"*"`): for public keys used from pages anywhere.
    Any,
    /// These origins, each as a browser writes it in `Origin`.
    Listed(Vec<String>),
}

impl AllowedOrigins {
    /// Does a request with this `Origin` header get CORS answers?
    pub(crate) fn allows(&self, origin: &str) -> bool {
        match self {
            AllowedOrigins::None => false,
            AllowedOrigins::Any => true,
            AllowedOrigins::Listed(origins) => origins.iter().any(|o| o == origin),
        }
    }
}

/// An origin as a browser sends it in `Origin`: scheme, host and port other than the
/// scheme's default, lower case, nothing else. `Err` says what is wrong with `text`.
pub(crate) fn origin(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|error| {
        format!("{text:?} is not an origin ({error}); write it as https://app.example.com")
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!(
            "{text:?} is not an origin: an origin is http:// or https:// and a host"
        ));
    }
    let serialized = url.origin().ascii_serialization();
    let rest = !url.username().is_empty()
        || url.password().is_some()
        || url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some();
    if rest || text.ends_with('/') {
        return Err(format!(
            "{text:?} is not an origin: only scheme, host and port, without a path or a trailing slash ({serialized})"
        ));
    }
    Ok(serialized)
}

fn origins<'de, D: Deserializer<'de>>(deserializer: D) -> Result<AllowedOrigins, D::Error> {
    let texts = Vec::<String>::deserialize(deserializer)?;
    if texts.iter().any(|t| t == "*") {
        return if texts.len() == 1 {
            Ok(AllowedOrigins::Any)
        } else {
            Err(serde::de::Error::custom(
                "\"*\" already allows every origin: list it alone",
            ))
        };
    }
    if texts.is_empty() {
        return Ok(AllowedOrigins::None);
    }
    texts
        .iter()
        .map(|text| origin(text))
        .collect::<Result<Vec<_>, _>>()
        .map(AllowedOrigins::Listed)
        .map_err(serde::de::Error::custom)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn origins_are_normalized_as_browsers_write_them() {
        assert_eq!(
            origin("https://App.Example.com").unwrap(),
            "https://app.example.com"
        );
        assert_eq!(
            origin("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            origin("https://a.example:443").unwrap(),
            "https://a.example"
        );
    }

    #[test]
    fn what_is_not_an_origin_is_named() {
        for text in [
            "app.example.com",
            "https://a.example/",
            "https://a.example/path",
            "https://a.example?x=1",
            "https://user@a.example",
            "ftp://a.example",
            "null",
            "",
        ] {
            let error = origin(text).unwrap_err();
            assert!(error.contains("not an origin"), "{text}: {error}");
        }
    }
}
