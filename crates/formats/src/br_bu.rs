//! Brazil's boletim de urna (BU) QR codes: assembling a ballot box's report from its QR texts,
//! checking the SHA-512 hash chain between them and the Ed25519 signature with the key of the
//! report's state and phase, and reading the report's figures. No I/O.
//!
//! # The format
//!
//! Every Brazilian voting machine (urna) prints its report, the boletim de urna, and one or more
//! QR codes carrying the same figures. Each QR text is a list of `KEY:VALUE` fields separated by
//! single spaces:
//!
//! ```text
//! QRBU:i:n [VRQR:x.y] [VRCH:yyyymmdd] <data_i> HASH:<128 hex digits> [ASSI:<hex>]
//! QRBU:1:1 VRQR:1.5 VRCH:20240507 ORIG:VOTA ... UNFE:AC MUNI:1120 ZONA:8 SECA:2 ... APTO:144
//!   COMP:2 FALT:142 ... IDEL:1101 CARG:13 TIPO:1 ... PART:93 93001:1 LEGP:0 TOTP:1 ... NOMI:1
//!   LEGC:0 BRAN:1 NULO:0 TOTC:2 ... HASH:57D1...05FC ASSI:B2FA...F906
//! ```
//!
//! `QRBU:i:n` says this is part `i` of `n`; `VRQR` is the version of the QR layout and `VRCH` that
//! of the signing keys; these three header fields stand at the head of each text only (in a 2016
//! example a `VRQR:4.0` field stands inside the data, and is data). A report longer than one QR
//! code (at most 1,100 characters each) is cut at a space, which is dropped: the parts are
//! joined again with one space. The data fields are, in order: the report's own (origin `ORIG`,
//! process `PROC`, election date `DTPL`, `PLEI`, round `TURN`, phase `FASE`, state `UNFE`,
//! municipality `MUNI`, zone `ZONA`, section `SECA`, electors able to vote `APTO`, turnout
//! `COMP`, absent `FALT`, and others kept verbatim), then for each election `IDEL`, for each of
//! its offices `CARG` with its kind `TIPO` (0 majoritarian, 1 proportional, 2 popular
//! consultation), the votes as `<number>:<votes>` (for a proportional office, grouped by party:
//! `PART:<party>`, its candidates, its list votes `LEGP` and total `TOTP`), and the office's
//! totals (`APTA`, `NOMI` nominal, `LEGC` list, `BRAN` blank, `NULO` null, `TOTC` total).
//!
//! # The hash chain
//!
//! `HASH_1 = SHA-512(data_1)` and `HASH_i = SHA-512(data_1 " HASH:" HASH_1 " " data_2 ... " "
//! data_i)`: each part's hash covers every part before it with its printed hash (upper-case
//! hexadecimal), and the data of its own. The chain tells a part altered in transcription or
//! mixed in from another report; it does not authenticate, since anyone can compute it.
//!
//! # The signature
//!
//! QR layouts 1.x (and the 2016 example without a `VRQR` header): `ASSI`, on the last part, is
//! an Ed25519 signature over the 64 raw bytes of the last `HASH` (not its hexadecimal, not a
//! hash of it), by the key of the report's state and phase, published by TSE as
//! `http://qrcodenobu.tse.jus.br/tse.qrcodebu/<VRCH>/<LEGAL|COMUNITARIA>/<o|s><uf>qrcode.pub`
//! (32 raw bytes; `o` official, `s` simulated) with a list of their SHA-512 digests
//! ([`parse_key_digests`], [`PublicKey::tse_digest`]). The caller gives the keys ([`KeyRing`]):
//! veedor does not fetch them. Layout 6.x (2026): the urna signs with its own hardware key
//! (Ed521 or ECDSA P-521), whose certificate is printed in separate `QRCE` codes; veedor does
//! not check that signature and says so.
//!
//! # What comes back
//!
//! [`assemble`] groups a set of QR texts (in any order, from one or several pages, read more
//! than once) into reports, using the hash chain to tell which part follows which, and refuses
//! what cannot be one whole report: a missing part, two different versions of a part, parts of
//! several incomplete reports that cannot be told apart, a part whose `n` disagrees. [`verify`]
//! checks a report's chain and signature and its totals, and gives a [`Verdict`]: `Verified`,
//! `Failed` (with the finding that says why), or `NotCheckable` (the chain holds, but no key was
//! given for the state and phase, or the report is signed by the urna's own key). Findings have
//! stable codes ([`FindingCode::code`], `br-bu.*`).
//!
//! # Sources
//!
//! TSE, *QR code no boletim de urna*, manual editions 1.4 (2016), 2024 (VRQR 1.5, VRCH 20240507)
//! and 2026 (VRQR 6.0), and TSE's list of the 2022 keys' SHA-512 digests; every rule here is
//! confirmed by the vectors in `shared/data/br-bu/` (see its README.md), which the tests run.

use std::fmt;

mod assemble;
mod fields;
mod keys;
mod verify;

pub use assemble::{Assembled, Refusal, assemble};
pub use fields::{BuElection, BuOffice, BuReport, Candidate, OfficeKind, Party, Phase, Uf};
pub use keys::{KeyError, KeyId, KeyRing, PublicKey, parse_key_digests};
pub use verify::{Finding, FindingCode, Severity, Verdict, Verification, verify};

/// Longest QR text accepted: 2,953 bytes, the most a QR code holds (version 40, byte mode, low
/// error correction). TSE cuts its texts at 1,100 characters; the longest vector is 1,073.
pub const MAX_PAYLOAD_BYTES: usize = 2_953;

/// Most parts a report may have (`n` of `QRBU:i:n`): 64. The longest known report has 4 parts,
/// for some 500 proportional candidates; 64 parts hold 70 KB of figures.
pub const MAX_PARTS: usize = 64;

/// Most QR texts [`assemble`] takes at once: 256. Telling which part follows which hashes each
/// candidate after each first part, so the work grows with the square of this bound; a scanned
/// file of a few reports has a few dozen codes.
pub const MAX_PAYLOADS: usize = 256;

/// The prefix of a BU QR text; [`is_bu_payload`] tells it from other QR codes (`QRCE`, the 2026
/// urna certificate, or anything else on the page).
pub const PREFIX: &str = "QRBU:";

/// Whether a QR text is a part of a boletim de urna (starts with `QRBU:`).
#[must_use]
pub fn is_bu_payload(text: &str) -> bool {
    text.starts_with(PREFIX)
}

/// Part `index` of `count`, as `QRBU:index:count` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartNumber {
    /// From 1.
    pub index: usize,
    /// How many parts the report has.
    pub count: usize,
}

impl fmt::Display for PartNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "part {} of {}", self.index, self.count)
    }
}

/// Why QR texts could not be read: which payload or part, which field, what was expected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuError {
    /// More QR texts than [`MAX_PAYLOADS`].
    #[error("{count} QR texts: expected at most {MAX_PAYLOADS} in one call")]
    TooManyPayloads {
        /// How many were given.
        count: usize,
    },
    /// A QR text that is not a well-formed BU part.
    #[error("payload{}{}: {field}: {problem}", display_position(*position), part.map(|part| format!(" ({part})")).unwrap_or_default())]
    Payload {
        /// Its position among the texts given, from 1; 0 when parsed alone.
        position: usize,
        /// Its part number, when the header could be read.
        part: Option<PartNumber>,
        /// The field (`QRBU`, `HASH`, `ASSI`, `header`, `text`).
        field: String,
        /// What was found and what was expected.
        problem: String,
    },
    /// A data field of an assembled report that cannot be read.
    #[error("{part}: field `{field}`: {problem}")]
    Field {
        /// The part the field stands in.
        part: PartNumber,
        /// The field's key.
        field: String,
        /// What was found and what was expected.
        problem: String,
    },
}

fn display_position(position: usize) -> String {
    if position == 0 {
        String::new()
    } else {
        format!(" {position}")
    }
}

fn payload_error(part: Option<PartNumber>, field: &str, problem: String) -> BuError {
    BuError::Payload {
        position: 0,
        part,
        field: field.to_owned(),
        problem,
    }
}

/// At most this many characters of a bad value are quoted in an error.
const SHOWN: usize = 40;

fn shown(text: &str) -> String {
    text.chars().take(SHOWN).collect()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |byte: u8| match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    };
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

fn is_upper_hex(text: &str) -> bool {
    text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F'))
}

/// One QR text of a report, read but not yet checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuPart {
    /// `QRBU:i:n`.
    pub number: PartNumber,
    /// `VRQR`, the QR layout's version, when the header has it.
    pub layout: Option<String>,
    /// `VRCH`, the signing keys' version, when the header has it.
    pub key_version: Option<String>,
    /// The data fields between the header and `HASH`, as printed (what the chain hashes).
    pub data: String,
    /// `HASH`, as printed: 128 upper-case hexadecimal digits.
    pub hash_hex: String,
    /// `HASH`, decoded.
    pub hash: [u8; 64],
    /// `ASSI`, decoded, on the last part.
    pub signature: Option<Vec<u8>>,
    /// The whole QR text.
    pub text: String,
}

impl BuPart {
    /// Reads one QR text strictly: the header, the data (non-empty, `KEY:VALUE` fields separated
    /// by single spaces, printable ASCII), `HASH` and, on the last part only, `ASSI`.
    pub fn parse(text: &str) -> Result<Self, BuError> {
        if text.len() > MAX_PAYLOAD_BYTES {
            return Err(payload_error(
                None,
                "text",
                format!(
                    "{} bytes: expected at most {MAX_PAYLOAD_BYTES}, the most a QR code holds",
                    text.len()
                ),
            ));
        }
        if let Some(bad) = text.chars().find(|c| !c.is_ascii_graphic() && *c != ' ') {
            return Err(payload_error(
                None,
                "text",
                format!("character {bad:?}: expected printable ASCII and spaces"),
            ));
        }
        let tokens: Vec<&str> = text.split(' ').collect();
        if tokens.iter().any(|token| token.is_empty()) {
            return Err(payload_error(
                None,
                "text",
                "an empty field (two spaces in a row, or a space at either end): expected fields separated by single spaces".to_owned(),
            ));
        }
        let number = parse_qrbu(tokens.first().copied().unwrap_or_default())?;
        let mut rest = &tokens[1..];
        let mut header = |key: &str| -> Option<String> {
            let value = rest.first()?.strip_prefix(key)?.strip_prefix(':')?;
            rest = &rest[1..];
            Some(value.to_owned())
        };
        let layout = header("VRQR");
        let key_version = header("VRCH");
        let at = Some(number);
        let Some(hash_at) = rest.iter().position(|token| token.starts_with("HASH:")) else {
            return Err(payload_error(
                at,
                "HASH",
                "missing: expected `HASH:<128 hexadecimal digits>` after the data".to_owned(),
            ));
        };
        if hash_at == 0 {
            return Err(payload_error(
                at,
                "data",
                "empty: expected data fields between the header and HASH".to_owned(),
            ));
        }
        let data = rest[..hash_at].join(" ");
        let hash_hex = rest[hash_at].trim_start_matches("HASH:");
        let hash = decode_hex(hash_hex)
            .filter(|_| is_upper_hex(hash_hex))
            .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
            .ok_or_else(|| {
                payload_error(
                    at,
                    "HASH",
                    format!(
                        "`{}`: expected 128 upper-case hexadecimal digits (a SHA-512)",
                        shown(hash_hex)
                    ),
                )
            })?;
        let signature = match &rest[hash_at + 1..] {
            [] => None,
            [assi] => Some(parse_assi(assi, number)?),
            [_, extra, ..] => {
                return Err(payload_error(
                    at,
                    "text",
                    format!(
                        "`{}` after HASH: expected at most `ASSI:<hex>` after HASH",
                        shown(extra)
                    ),
                ));
            }
        };
        for token in &rest[..hash_at] {
            check_field(token, number)?;
        }
        Ok(Self {
            number,
            layout,
            key_version,
            data,
            hash_hex: hash_hex.to_owned(),
            hash,
            signature,
            text: text.to_owned(),
        })
    }
}

fn parse_qrbu(token: &str) -> Result<PartNumber, BuError> {
    let bad = || {
        payload_error(
            None,
            "QRBU",
            format!(
                "`{}`: expected `QRBU:i:n` first (part i of n, 1 <= i <= n <= {MAX_PARTS})",
                shown(token)
            ),
        )
    };
    let mut fields = token.split(':');
    let (Some("QRBU"), Some(index), Some(count), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(bad());
    };
    let small = |text: &str| {
        (text.len() <= 3 && text.bytes().all(|b| b.is_ascii_digit()))
            .then(|| text.parse::<usize>().ok())
            .flatten()
    };
    match (small(index), small(count)) {
        (Some(index), Some(count)) if 1 <= index && index <= count && count <= MAX_PARTS => {
            Ok(PartNumber { index, count })
        }
        _ => Err(bad()),
    }
}

fn parse_assi(token: &str, number: PartNumber) -> Result<Vec<u8>, BuError> {
    let at = Some(number);
    let Some(hex) = token.strip_prefix("ASSI:") else {
        return Err(payload_error(
            at,
            "text",
            format!(
                "`{}` after HASH: expected `ASSI:<hex>` or nothing",
                shown(token)
            ),
        ));
    };
    if number.index != number.count {
        return Err(payload_error(
            at,
            "ASSI",
            "a signature on a part other than the last: expected ASSI on the last part only"
                .to_owned(),
        ));
    }
    decode_hex(hex)
        .filter(|bytes| !bytes.is_empty() && is_upper_hex(hex))
        .ok_or_else(|| {
            payload_error(
                at,
                "ASSI",
                format!(
                    "`{}`: expected an even number of upper-case hexadecimal digits",
                    shown(hex)
                ),
            )
        })
}

fn check_field(token: &str, number: PartNumber) -> Result<(), BuError> {
    let well_formed = token.split_once(':').is_some_and(|(key, value)| {
        !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric()) && !value.is_empty()
    });
    if well_formed {
        Ok(())
    } else {
        Err(payload_error(
            Some(number),
            "data",
            format!(
                "`{}`: expected `KEY:VALUE` (a key of letters or digits, a non-empty value)",
                shown(token)
            ),
        ))
    }
}

#[cfg(test)]
mod tests;
