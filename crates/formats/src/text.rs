//! Text encodings of files that circulate: UTF-8 with or without a byte-order mark, and
//! Latin-1 (as Windows-1252, its superset that spreadsheets actually write).

use std::borrow::Cow;

use crate::FormatError;
use crate::limits::NAME_CHARS;

/// The encoding a file was read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8 starting with a byte-order mark.
    Utf8WithBom,
    /// UTF-8.
    Utf8,
    /// Not valid UTF-8: read as Windows-1252 (Latin-1).
    Latin1,
}

impl TextEncoding {
    /// A name for reports.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Utf8WithBom => "UTF-8 with BOM",
            Self::Utf8 => "UTF-8",
            Self::Latin1 => "Latin-1 (Windows-1252)",
        }
    }
}

/// Decodes a whole file: a UTF-8 BOM means UTF-8; valid UTF-8 is UTF-8; anything else is
/// Latin-1, which every byte sequence is.
#[must_use]
pub fn decode(bytes: &[u8]) -> (Cow<'_, str>, TextEncoding) {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        let (text, _) = encoding_rs::UTF_8.decode_without_bom_handling(rest);
        return (text, TextEncoding::Utf8WithBom);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => (Cow::Borrowed(text), TextEncoding::Utf8),
        Err(_) => {
            let (text, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            (text, TextEncoding::Latin1)
        }
    }
}

/// Refuses `bytes` when they are more than `limit`, or when a line is longer than `line_limit`
/// bytes (a line ends at `\n`, `\r\n` or a lone `\r`; the line end is not counted). Checked
/// before anything is decoded or parsed.
pub(crate) fn check_size(bytes: &[u8], limit: usize, line_limit: usize) -> Result<(), FormatError> {
    if bytes.len() > limit {
        return Err(FormatError::FileTooLarge {
            bytes: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
            limit: u64::try_from(limit).unwrap_or(u64::MAX),
        });
    }
    for (index, line) in bytes.split(|&byte| byte == b'\n').enumerate() {
        if line.len() > line_limit
            && line
                .split(|&byte| byte == b'\r')
                .any(|part| part.len() > line_limit)
        {
            return Err(FormatError::LineTooLong {
                line: u64::try_from(index + 1).unwrap_or(u64::MAX),
                limit: line_limit,
            });
        }
    }
    Ok(())
}

/// Whether the last line of a non-empty file ends with a line break (`\n`, or `\r` as the old
/// Mac line end). A file cut off in transfer almost never ends exactly at one, and a cut inside
/// the last field (`107` become `1`) leaves a row that cannot otherwise be told from a whole one.
pub(crate) fn ends_with_line_end(bytes: &[u8]) -> bool {
    matches!(bytes.last(), None | Some(b'\n' | b'\r'))
}

/// The line of the last line of `bytes`, counting from 1.
pub(crate) fn last_line(bytes: &[u8]) -> u64 {
    let breaks = bytes.iter().filter(|&&byte| byte == b'\n').count();
    u64::try_from(breaks + 1).unwrap_or(u64::MAX)
}

/// Checks a name (an area's, a candidate's, a device's): at most [`NAME_CHARS`] characters and
/// no control character (C0, DEL or C1: an escape sequence would drive a terminal, a line break
/// would forge a line of the log or of a report). The message says what was found and expected.
pub fn check_name(name: &str) -> Result<(), String> {
    if let Some((position, control)) = name.chars().enumerate().find(|(_, c)| c.is_control()) {
        return Err(format!(
            "a control character (U+{:04X}) at character {}: expected printable text",
            u32::from(control),
            position + 1
        ));
    }
    let length = name.chars().count();
    if length > NAME_CHARS {
        return Err(format!(
            "{length} characters long: expected at most {NAME_CHARS}"
        ));
    }
    Ok(())
}

/// A log entry's text: its first line `header`, then one `key: value` line for each of `keys`
/// in order. Returns the whole text and the values; the error names the line and what was
/// expected (the caller checks what the values say, and how the text ends).
pub(crate) fn keyed_lines<'a, const N: usize>(
    bytes: &'a [u8],
    header: &str,
    keys: &[&str; N],
) -> Result<(&'a str, [&'a str; N]), String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_owned())?;
    let mut lines = text.split_terminator('\n');
    if lines.next() != Some(header) {
        return Err(format!("expected the first line `{header}`"));
    }
    let mut values = Vec::with_capacity(N);
    for (index, line) in lines.enumerate() {
        let expected = keys
            .get(index)
            .ok_or_else(|| format!("line {}: expected the end of the entry", index + 2))?;
        let value = line
            .strip_prefix(expected)
            .and_then(|rest| rest.strip_prefix(": "))
            .ok_or_else(|| format!("line {}: expected `{expected}: ...`", index + 2))?;
        values.push(value);
    }
    let found = values.len();
    let values: [&str; N] = values
        .try_into()
        .map_err(|_| format!("expected {N} fields, found {found}"))?;
    Ok((text, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_lines_and_line_ends() {
        assert!(check_size(b"ab\ncd\n", 5, 2).is_err());
        assert!(check_size(b"ab\ncd\n", 6, 2).is_ok());
        assert!(check_size(b"ab\r\ncd\r\n", 100, 2).is_ok());
        assert!(check_size(b"ab\rcd\r", 100, 2).is_ok());
        let error = check_size(b"ab\nabc\n", 100, 2).map_err(|e| e.to_string());
        assert_eq!(
            error,
            Err("line 2 is longer than 2 bytes, the limit for a line: expected rows of text, each ending with a line break".to_owned())
        );
        assert!(ends_with_line_end(b""));
        assert!(ends_with_line_end(b"a\n"));
        assert!(ends_with_line_end(b"a\r\n"));
        assert!(ends_with_line_end(b"a\r"));
        assert!(!ends_with_line_end(b"a\nb"));
        assert_eq!(last_line(b"a\nb"), 2);
    }

    #[test]
    fn names_without_control_characters() {
        assert_eq!(check_name("PQ. EL RECREO"), Ok(()));
        assert_eq!(check_name("Bolívar – Ñ"), Ok(()));
        assert_eq!(
            check_name("EL\u{1b}[2JRECREO"),
            Err("a control character (U+001B) at character 3: expected printable text".to_owned())
        );
        assert!(check_name("a\u{85}b").is_err());
        assert!(check_name("a\nb").is_err());
        assert!(check_name(&"x".repeat(NAME_CHARS)).is_ok());
        assert_eq!(
            check_name(&"x".repeat(NAME_CHARS + 1)),
            Err("257 characters long: expected at most 256".to_owned())
        );
    }

    #[test]
    fn encodings_are_told_apart() {
        assert_eq!(
            decode(b"\xEF\xBB\xBFa\xC3\xA1"),
            (Cow::Borrowed("aá"), TextEncoding::Utf8WithBom)
        );
        assert_eq!(decode("aá".as_bytes()).1, TextEncoding::Utf8);
        let (text, encoding) = decode(b"Bol\xEDvar");
        assert_eq!((text.as_ref(), encoding), ("Bolívar", TextEncoding::Latin1));
    }
}
