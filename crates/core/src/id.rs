//! Identifiers. Every identifier is a newtype, never a bare integer or string, so that a
//! table number cannot be passed where a centre code is expected.

use std::fmt;

use crate::CoreError;

/// The code of a voting centre: a number of up to `Geography::centre_digits` decimal digits
/// whose leading digits are the codes of the areas that hold it (for Venezuela, the 9 digits
/// `EE MM PP CCC`: state, municipality, parish, centre).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CentreCode(u64);

impl CentreCode {
    /// Wraps a centre code. The caller has checked it against the geography's digit count.
    #[must_use]
    pub const fn new(code: u64) -> Self {
        Self(code)
    }

    /// The code as a number.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }

    /// The code zero-padded to `digits` digits, as it is printed on actas.
    #[must_use]
    pub fn padded(self, digits: u8) -> String {
        format!("{:0width$}", self.0, width = usize::from(digits))
    }

    /// Parses a centre code written with at most `digits` decimal digits. Shorter codes are
    /// accepted and mean the same as their zero-padded form (spreadsheets drop leading zeros).
    pub fn parse(text: &str, digits: u8) -> Result<Self, CoreError> {
        let text = text.trim();
        if text.is_empty()
            || text.len() > usize::from(digits)
            || !text.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(CoreError::InvalidCentreCode {
                text: text.to_owned(),
                digits,
            });
        }
        text.parse::<u64>()
            .map(Self)
            .map_err(|_| CoreError::InvalidCentreCode {
                text: text.to_owned(),
                digits,
            })
    }
}

/// The number of a table (mesa) within its centre, from 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableNumber(u16);

impl TableNumber {
    /// Wraps a table number.
    #[must_use]
    pub const fn new(number: u16) -> Self {
        Self(number)
    }

    /// The number.
    #[must_use]
    pub const fn get(self) -> u16 {
        self.0
    }

    /// Parses a table number: a positive decimal integer below 65,536.
    pub fn parse(text: &str) -> Result<Self, CoreError> {
        let text = text.trim();
        match text.parse::<u16>() {
            Ok(number) if number > 0 && text.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(Self(number))
            }
            _ => Err(CoreError::InvalidTableNumber {
                text: text.to_owned(),
            }),
        }
    }
}

impl fmt::Display for TableNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One polling table: its centre and its number there. Each table has one true result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableId {
    /// The centre that holds the table.
    pub centre: CentreCode,
    /// The table's number within the centre.
    pub number: TableNumber,
}

impl TableId {
    /// A table id from its parts.
    #[must_use]
    pub const fn new(centre: CentreCode, number: TableNumber) -> Self {
        Self { centre, number }
    }

    /// The canonical text form, `<padded centre code>.<two-digit table number>`, as the table
    /// part of a Venezuelan acta id (`201301006.01`).
    #[must_use]
    pub fn display(self, centre_digits: u8) -> String {
        format!(
            "{}.{:02}",
            self.centre.padded(centre_digits),
            self.number.get()
        )
    }

    /// Parses the canonical text form (`201301006.01`, also `201301006-1`).
    pub fn parse(text: &str, centre_digits: u8) -> Result<Self, CoreError> {
        let text = text.trim();
        let (centre, number) =
            text.split_once(['.', '-', '/'])
                .ok_or_else(|| CoreError::InvalidTableId {
                    text: text.to_owned(),
                })?;
        Ok(Self {
            centre: CentreCode::parse(centre, centre_digits)?,
            number: TableNumber::parse(number)?,
        })
    }
}

/// A stable, dense number the store gives each known table. The voter registry maps voters to
/// these so that it stays compact.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TableKey(u32);

impl TableKey {
    /// Wraps a key.
    #[must_use]
    pub const fn new(key: u32) -> Self {
        Self(key)
    }

    /// The key.
    #[must_use]
    pub const fn get(self) -> u32 {
        self.0
    }
}

/// A voter's identity number (for Venezuela, the cédula). Stored as a number: no names, no
/// other personal data. A one-letter prefix that the election allows (`V-12.345.678`) is
/// dropped when parsing; it is not part of the number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VoterId(u64);

impl VoterId {
    /// The largest number of digits a voter id may have (fits in 64 bits).
    pub const MAX_DIGITS: usize = 18;

    /// Wraps a voter number.
    #[must_use]
    pub const fn new(number: u64) -> Self {
        Self(number)
    }

    /// The number.
    #[must_use]
    pub const fn get(self) -> u64 {
        self.0
    }

    /// Parses what a person types: optional spaces, an optional letter prefix among `prefixes`
    /// (case-insensitive, optionally followed by `-`), digits with optional `.` or `,`
    /// thousands separators.
    pub fn parse(text: &str, prefixes: &[String]) -> Result<Self, CoreError> {
        let invalid = || CoreError::InvalidVoterId {
            text: text.chars().take(40).collect(),
        };
        let mut rest = text.trim();
        if let Some(first) = rest.chars().next().filter(char::is_ascii_alphabetic) {
            if !prefixes
                .iter()
                .any(|prefix| prefix.eq_ignore_ascii_case(&first.to_string()))
            {
                return Err(invalid());
            }
            rest = rest[first.len_utf8()..].trim_start();
            rest = rest.strip_prefix('-').unwrap_or(rest).trim_start();
        }
        let mut number: u64 = 0;
        let mut digits = 0usize;
        for byte in rest.bytes() {
            match byte {
                b'0'..=b'9' => {
                    digits += 1;
                    if digits > Self::MAX_DIGITS {
                        return Err(invalid());
                    }
                    number = number * 10 + u64::from(byte - b'0');
                }
                b'.' | b',' if digits > 0 => {}
                _ => return Err(invalid()),
            }
        }
        if digits == 0 || number == 0 {
            return Err(invalid());
        }
        Ok(Self(number))
    }
}

impl fmt::Display for VoterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A SHA-256 digest: of a scan, of an imported file. Shown as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sha256([u8; 32]);

impl Sha256 {
    /// Wraps digest bytes computed elsewhere (the core does no hashing of files).
    #[must_use]
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The digest bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The lower-case hex form.
    #[must_use]
    pub fn to_hex(&self) -> String {
        use fmt::Write as _;
        let mut out = String::with_capacity(64);
        for byte in self.0 {
            let _ = write!(out, "{byte:02x}");
        }
        out
    }

    /// Parses 64 hex digits.
    pub fn from_hex(text: &str) -> Result<Self, CoreError> {
        let invalid = || CoreError::InvalidDigest {
            text: text.chars().take(80).collect(),
        };
        let bytes = text.trim().as_bytes();
        if bytes.len() != 64 {
            return Err(invalid());
        }
        let mut out = [0u8; 32];
        for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            let text = std::str::from_utf8(pair).map_err(|_| invalid())?;
            *slot = u8::from_str_radix(text, 16).map_err(|_| invalid())?;
        }
        Ok(Self(out))
    }
}

impl fmt::Display for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Sha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256({})", self.to_hex())
    }
}

/// The store's id of one acta copy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CopyId(i64);

impl CopyId {
    /// Wraps a copy id.
    #[must_use]
    pub const fn new(id: i64) -> Self {
        Self(id)
    }

    /// The id.
    #[must_use]
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for CopyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The pseudonym under which a volunteer appears in everything published. Never a real name.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pseudonym(String);

impl Pseudonym {
    /// Wraps a pseudonym: 1 to 40 letters, digits, `-` or `_`.
    pub fn new(text: &str) -> Result<Self, CoreError> {
        if text.is_empty()
            || text.len() > 40
            || !text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(CoreError::InvalidPseudonym {
                text: text.chars().take(40).collect(),
            });
        }
        Ok(Self(text.to_owned()))
    }

    /// The pseudonym.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Pseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voter(text: &str) -> Option<u64> {
        VoterId::parse(text, &["V".to_owned()])
            .ok()
            .map(VoterId::get)
    }

    #[test]
    fn voter_ids_parse_as_people_type_them() {
        assert_eq!(voter("12345678"), Some(12_345_678));
        assert_eq!(voter(" V-12.345.678 "), Some(12_345_678));
        assert_eq!(voter("v 12345678"), Some(12_345_678));
        assert_eq!(voter("E-12345678"), None);
        assert_eq!(voter("12a45"), None);
        assert_eq!(voter(""), None);
        assert_eq!(voter("0"), None);
        assert_eq!(voter("1234567890123456789"), None);
        assert_eq!(voter("123456789012345678"), Some(123_456_789_012_345_678));
    }

    #[test]
    fn centre_codes_are_padded_and_bounded() {
        let code = CentreCode::parse("10113042", 9).ok();
        assert_eq!(code.map(|c| c.padded(9)), Some("010113042".to_owned()));
        assert!(CentreCode::parse("1234567890", 9).is_err());
        assert!(CentreCode::parse("12-4", 9).is_err());
        assert!(CentreCode::parse("", 9).is_err());
    }

    #[test]
    fn table_ids_round_trip() {
        let table = TableId::parse("201301006.01", 9).ok();
        assert_eq!(table.map(|t| t.display(9)), Some("201301006.01".to_owned()));
        assert_eq!(
            TableId::parse("10113042-2", 9).ok().map(|t| t.display(9)),
            Some("010113042.02".to_owned())
        );
        assert!(TableId::parse("201301006.0", 9).is_err());
        assert!(TableId::parse("201301006", 9).is_err());
    }

    #[test]
    fn digests_round_trip_hex() {
        let hex = "d5096b015bb38c54139ae7b55b5279baaff3d3ccc42fb088e8e2323689452145";
        assert_eq!(
            Sha256::from_hex(hex).map(|d| d.to_hex()).ok(),
            Some(hex.to_owned())
        );
        assert!(Sha256::from_hex("d5").is_err());
        assert!(Sha256::from_hex(&"zz".repeat(32)).is_err());
    }
}
