//! Deserializes JSON objects into maps, refusing duplicate keys.
//!
//! serde's map impls keep the last of two equal keys without a word; for variants and
//! environments that would silently drop half of what the author wrote.

use std::collections::BTreeSet;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, Error, MapAccess, Visitor};

/// `deserialize_with` target for any map that can be collected from `(String, V)`.
pub fn deserialize<'de, D, M, V>(deserializer: D) -> Result<M, D::Error>
where
    D: Deserializer<'de>,
    V: Deserialize<'de>,
    M: FromIterator<(String, V)>,
{
    struct Unique<M, V>(PhantomData<(M, V)>);

    impl<'de, M, V> Visitor<'de> for Unique<M, V>
    where
        V: Deserialize<'de>,
        M: FromIterator<(String, V)>,
    {
        type Value = M;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object with unique keys")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<M, A::Error> {
            let mut seen = BTreeSet::new();
            let mut entries = Vec::with_capacity(access.size_hint().unwrap_or(0).min(256));
            while let Some((key, value)) = access.next_entry::<String, V>()? {
                if !seen.insert(key.clone()) {
                    return Err(A::Error::custom(format!("duplicate key {key:?}")));
                }
                entries.push((key, value));
            }
            Ok(entries.into_iter().collect())
        }
    }

    deserializer.deserialize_map(Unique(PhantomData))
}
