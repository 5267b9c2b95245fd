//! The messages of SDK sync (docs/product.md §4.2), defined once for the server that
//! writes them and the SDK that reads them: an environment's [`Ruleset`]
//! (`GET /sdk/v1/ruleset`, the stream's `ruleset` event, an SDK's bootstrap file), a
//! [`Change`] to it (the stream's `change` event), and the [`exposure`] report an SDK
//! sends (`POST /sdk/v1/exposures`) with its answer.
//!
//! Plain data with serde; no I/O. A ruleset and a change are generic over how they hold
//! their documents: the SDK parses them into the model ([`Flag`], [`Segment`], the
//! defaults); the server keeps every document serialized once per version and writes a
//! message from those bytes ([`Serialized`], `to_json`), which gives exactly the JSON
//! of the same message serialized from the model.

mod change;
pub mod exposure;
mod ruleset;

use std::ops::Range;

pub use change::Change;
pub use ruleset::{FlagIn, Ruleset};

#[cfg(doc)]
use crate::model::{Flag, Segment};

/// A flag or segment already serialized as JSON (as the server caches them): written
/// into a message as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Serialized<B>(pub B);

/// Writes `items` as a JSON array, noting where each one landed in `out`.
fn array<B: AsRef<[u8]>>(
    out: &mut Vec<u8>,
    items: &[Serialized<B>],
    spans: &mut Vec<Range<usize>>,
) {
    out.push(b'[');
    for (i, Serialized(item)) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let item = item.as_ref();
        spans.push(out.len()..out.len() + item.len());
        out.extend_from_slice(item);
    }
    out.push(b']');
}

/// Writes `value` (a string or a list of keys) as JSON.
fn value(out: &mut Vec<u8>, value: &impl serde::Serialize) {
    // Strings and lists of strings always serialize: the error cannot happen.
    let _ = serde_json::to_writer(out, value);
}

/// Writes a `u64` as JSON.
fn number(out: &mut Vec<u8>, number: u64) {
    out.extend_from_slice(itoa::Buffer::new().format(number).as_bytes());
}
