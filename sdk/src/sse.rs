//! An incremental Server-Sent Events decoder (the WHATWG event-stream format): feed it
//! bytes as they arrive, take complete events out. Used by the client's stream and by
//! tools (the propagation load test) that read raw streams.
//!
//! Lines end in `\n`, `\r\n` or `\r`; `:` starts a comment; `event`, `data` (joined with
//! `\n` when repeated), `id` and `retry` are the fields; a blank line dispatches the event.

use bytes::{Buf, BytesMut};

/// One dispatched event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event {
    /// The `event:` field (`message` when absent).
    pub name: String,
    /// The `data:` lines, joined with `\n`.
    pub data: String,
    /// The last `id:` seen on the stream (it persists across events, as in browsers).
    pub id: Option<String>,
    /// The `retry:` hint in milliseconds, when this event carried one.
    pub retry: Option<u64>,
}

/// The decoder's state between chunks.
#[derive(Debug, Default)]
pub struct Decoder {
    buffer: BytesMut,
    name: String,
    data: String,
    has_data: bool,
    last_id: Option<String>,
    retry: Option<u64>,
    /// A `\r` ended the previous chunk: a `\n` opening the next one belongs to it.
    after_cr: bool,
    comments: u64,
}

impl Decoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// Comment lines (heartbeats) seen so far.
    pub fn comments(&self) -> u64 {
        self.comments
    }

    /// Appends `chunk` and returns the events it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Event> {
        let mut chunk = chunk;
        if self.after_cr && chunk.first() == Some(&b'\n') {
            chunk = &chunk[1..];
        }
        self.after_cr = false;
        self.buffer.extend_from_slice(chunk);
        let mut events = Vec::new();
        while let Some(end) = self.buffer.iter().position(|&b| b == b'\n' || b == b'\r') {
            let line = self.buffer.split_to(end);
            let terminator = self.buffer[0];
            self.buffer.advance(1);
            if terminator == b'\r' {
                match self.buffer.first() {
                    Some(b'\n') => self.buffer.advance(1),
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            if let Some(event) = self.line(&line) {
                events.push(event);
            }
        }
        events
    }

    fn line(&mut self, line: &[u8]) -> Option<Event> {
        if line.is_empty() {
            return self.dispatch();
        }
        if line[0] == b':' {
            self.comments += 1;
            return None;
        }
        let text = String::from_utf8_lossy(line);
        let (field, value) = match text.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (text.as_ref(), ""),
        };
        match field {
            "event" => self.name = value.to_owned(),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            "retry" => self.retry = value.parse().ok(),
            _ => {}
        }
        None
    }

    fn dispatch(&mut self) -> Option<Event> {
        let name = std::mem::take(&mut self.name);
        let retry = self.retry.take();
        if !self.has_data {
            return None;
        }
        self.has_data = false;
        Some(Event {
            name: if name.is_empty() {
                "message".to_owned()
            } else {
                name
            },
            data: std::mem::take(&mut self.data),
            id: self.last_id.clone(),
            retry,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_and_line_endings_come_out_whole() {
        let stream = b"retry: 1000\n\n: heartbeat\n\nevent: ruleset\r\nid: 3\rdata: {\"a\":\ndata: 1}\r\n\r\nevent: change\nid: 4\ndata: x\n\n";
        for split in 0..stream.len() {
            let mut decoder = Decoder::new();
            let mut events = decoder.feed(&stream[..split]);
            events.extend(decoder.feed(&stream[split..]));
            assert_eq!(events.len(), 2, "split at {split}: {events:?}");
            assert_eq!(events[0].name, "ruleset");
            assert_eq!(events[0].id.as_deref(), Some("3"));
            assert_eq!(events[0].data, "{\"a\":\n1}");
            assert_eq!(events[1].name, "change");
            assert_eq!(events[1].id.as_deref(), Some("4"));
            assert_eq!(decoder.comments(), 1);
        }
    }

    #[test]
    fn an_event_without_a_name_is_a_message_and_the_id_persists() {
        let mut decoder = Decoder::new();
        let events = decoder.feed(b"id: 9\ndata: a\n\ndata: b\n\nevent\ndata\n\n");
        assert_eq!(events[0].name, "message");
        assert_eq!(events[1].id.as_deref(), Some("9"));
        assert_eq!(events[2].data, "");
    }
}
