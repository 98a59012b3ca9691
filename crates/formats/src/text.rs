//! Text encodings of files that circulate: UTF-8 with or without a byte-order mark, and
//! Latin-1 (as Windows-1252, its superset that spreadsheets actually write).

use std::borrow::Cow;

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

#[cfg(test)]
mod tests {
    use super::*;

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
