//! Keys: the names of flags, segments, environments and variants.
//!
//! A key is what appears in URLs, PromQL label matchers and SDK code, so it is kept to a
//! small alphabet that needs no escaping anywhere: `[A-Za-z0-9._-]`, 1 to 128 bytes,
//! and not dots alone (`.` and `..` are path segments that URLs resolve away).

/// Longest key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 128;

/// Why a key is not acceptable, in words meant for the caller.
pub fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if key.len() > MAX_KEY_LEN {
        return Err(format!(
            "must be at most {MAX_KEY_LEN} characters, got {}",
            key.len()
        ));
    }
    if key.bytes().all(|b| b == b'.') {
        return Err(
            "must not be made of dots only: HTTP clients remove \".\" and \"..\" from URLs, so the document could never be addressed"
                .to_owned(),
        );
    }
    if let Some(bad) = key
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "contains {bad:?}; only letters, digits, '.', '_' and '-' are allowed"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_key_alphabet() {
        assert!(check_key("new-checkout_v2.1").is_ok());
    }

    #[test]
    fn rejects_empty_long_and_foreign_characters() {
        assert_eq!(check_key("").unwrap_err(), "must not be empty");
        assert!(
            check_key(&"a".repeat(129))
                .unwrap_err()
                .contains("at most 128")
        );
        assert!(check_key("a b").unwrap_err().contains("' '"));
        assert!(check_key("é").is_err());
        assert!(check_key("a/b").is_err());
    }

    #[test]
    fn rejects_keys_made_of_dots_only() {
        for key in [".", "..", "...", "...."] {
            assert!(check_key(key).unwrap_err().contains("dots"), "{key}");
        }
        assert!(check_key(".hidden").is_ok());
        assert!(check_key("v1..2").is_ok());
    }
}
