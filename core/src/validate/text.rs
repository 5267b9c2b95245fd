//! Free text — names, notes, descriptions, comments, reasons — as people write it, and
//! nothing that would act on a page or a terminal instead of being shown.
//!
//! Free text ends up in the public Atom feed (XML 1.0 forbids most control
//! characters, and one of them would break the feed for every reader), in Markdown and
//! HTML reports, in the CLI's output (an escape sequence would rewrite the operator's
//! terminal) and in webhook payloads. So every control character is refused — the C0
//! range, DEL and the C1 range, which includes the single-byte CSI of some terminals —
//! except tab and newline in text that may span lines; and the two non-characters
//! U+FFFE and U+FFFF, which XML forbids too. A carriage return is refused as well: a
//! line ends with a newline alone.

/// Whether a text may span lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lines {
    /// One line: a name, an owner, a checklist item.
    One,
    /// Lines separated by `\n`, which may be indented with tabs: notes, descriptions,
    /// comments.
    Many,
}

/// Why `text` may not be stored, in words meant for the caller; `Ok` when it may.
pub fn check_text(text: &str, lines: Lines) -> Result<(), String> {
    let Some((index, bad)) = text.chars().enumerate().find(|&(_, c)| !allowed(c, lines)) else {
        return Ok(());
    };
    let rule = match lines {
        Lines::One => "this text is one line of printable characters",
        Lines::Many => "besides printable characters only tab and newline may appear",
    };
    Err(format!(
        "contains the control character U+{:04X} at character {index}; {rule}",
        u32::from(bad)
    ))
}

/// Whether `c` may appear in a text of `lines`.
fn allowed(c: char, lines: Lines) -> bool {
    match c {
        '\t' | '\n' => lines == Lines::Many,
        '\u{FFFE}' | '\u{FFFF}' => false,
        c => !c.is_control(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_text_of_any_script_is_accepted() {
        for text in [
            "",
            "Checkout v2",
            "Ünïcode — 中文 — עברית 🚀",
            "<b>&amp;</b>",
        ] {
            assert_eq!(check_text(text, Lines::One), Ok(()), "{text}");
            assert_eq!(check_text(text, Lines::Many), Ok(()), "{text}");
        }
    }

    #[test]
    fn tab_and_newline_are_for_text_that_spans_lines() {
        let notes = "Line one\n\t- indented\n";
        assert_eq!(check_text(notes, Lines::Many), Ok(()));
        let error = check_text(notes, Lines::One).unwrap_err();
        assert!(error.contains("U+000A at character 8"), "{error}");
        assert!(check_text("a\tb", Lines::One).is_err());
    }

    #[test]
    fn every_control_character_and_the_xml_non_characters_are_refused() {
        let refused = (0u32..0x20)
            .filter(|c| *c != 0x09 && *c != 0x0A)
            .chain(0x7F..=0x9F)
            .chain([0xFFFE, 0xFFFF])
            .filter_map(char::from_u32);
        for c in refused {
            let text = format!("ok{c}");
            let error = check_text(&text, Lines::Many).unwrap_err();
            assert!(
                error.contains(&format!("U+{:04X} at character 2", u32::from(c))),
                "{error}"
            );
        }
    }
}
