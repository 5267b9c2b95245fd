//! Server-Sent Events framing: an event is `event:`, `id:` and one `data:` line (our
//! JSON is compact, so it never holds a newline), then a blank line.

use bytes::{BufMut, Bytes, BytesMut};

/// The heartbeat: an SSE comment, ignored by clients, that keeps proxies from closing an
/// idle stream and lets the server notice clients that stopped reading.
pub(crate) const HEARTBEAT: &[u8] = b": heartbeat\n\n";

/// Tells an `EventSource` how long to wait before reconnecting, in milliseconds.
pub(crate) const RETRY: &[u8] = b"retry: 1000\n\n";

/// An event named `name` with id `revision` and `data` (a single line).
pub(crate) fn event(name: &str, revision: u64, data: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(data.len() + name.len() + 40);
    out.put_slice(b"event: ");
    out.put_slice(name.as_bytes());
    out.put_slice(b"\nid: ");
    out.put_slice(itoa::Buffer::new().format(revision).as_bytes());
    out.put_slice(b"\ndata: ");
    out.put_slice(data);
    out.put_slice(b"\n\n");
    out.freeze()
}

/// The `data` of `event`, made by [`event`] with data `len` bytes long: a view of the
/// same bytes, not a copy.
pub(crate) fn data(event: &Bytes, len: usize) -> Bytes {
    let end = event.len().saturating_sub(2);
    event.slice(end.saturating_sub(len)..end)
}

/// OFREP's notification (ADR 0008): a `message` telling web clients to refetch their
/// bulk evaluation; `etag` is the ruleset's revision.
pub(crate) fn refetch(revision: u64) -> Bytes {
    let data = format!(r#"{{"type":"refetchEvaluation","etag":"\"{revision}\""}}"#);
    event("message", revision, data.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_three_fields_and_a_blank_line() {
        let change = event("change", 42, b"{\"a\":1}");
        assert_eq!(&change[..], b"event: change\nid: 42\ndata: {\"a\":1}\n\n");
        assert_eq!(&data(&change, 7)[..], b"{\"a\":1}");
        let notification = refetch(7);
        let text = std::str::from_utf8(&notification).unwrap_or_default();
        assert!(text.starts_with("event: message\nid: 7\ndata: "), "{text}");
        let data: serde_json::Value = serde_json::from_str(
            text.lines()
                .nth(2)
                .unwrap_or_default()
                .trim_start_matches("data: "),
        )
        .unwrap_or_default();
        assert_eq!(data["type"], "refetchEvaluation");
        assert_eq!(data["etag"], "\"7\"");
    }
}
