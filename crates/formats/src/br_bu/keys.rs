//! The per-state public keys that sign layouts 1.x, given by the caller.

use std::collections::BTreeMap;
use std::fmt;

use ed25519_dalek::VerifyingKey;
use sha2::{Digest as _, Sha512};

use super::{Phase, Uf, decode_hex, shown};

/// Why a key, a key's name or a digest list could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// Not 64 hexadecimal digits.
    #[error("`{found}`: expected an Ed25519 public key as 64 hexadecimal digits (32 bytes)")]
    NotHex {
        /// The start of what was given.
        found: String,
    },
    /// 32 bytes, but not a point of the curve.
    #[error("`{found}`: 32 bytes, but not an Ed25519 public key")]
    NotAKey {
        /// The hexadecimal given.
        found: String,
    },
    /// A key's name that is not `<o|s><uf>qrcode.pub` or a state and phase.
    #[error(
        "`{found}`: expected a key named `<o|s><uf>qrcode.pub` (o official, s simulated, uf the state's two letters)"
    )]
    BadName {
        /// What was given.
        found: String,
    },
    /// A line of a digest list that is not `<128 hex digits>  <name>`.
    #[error("line {line}: expected `<SHA-512 in 128 hexadecimal digits>  <o|s><uf>qrcode.pub`")]
    BadDigestLine {
        /// The line, from 1.
        line: usize,
    },
}

/// Which key signs a report: its state's and phase's (TSE's key file `<o|s><uf>qrcode.pub`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeyId {
    /// The state (`UNFE`).
    pub uf: Uf,
    /// The phase (`FASE`).
    pub phase: Phase,
}

impl KeyId {
    /// A state's two letters and a phase's letter (`"AC"`, `"S"`), in either case.
    pub fn parse(uf: &str, phase: &str) -> Result<Self, KeyError> {
        let bad = || KeyError::BadName {
            found: format!("{}/{}", shown(uf), shown(phase)),
        };
        Ok(Self {
            uf: Uf::parse(uf).ok_or_else(bad)?,
            phase: Phase::parse(phase).ok_or_else(bad)?,
        })
    }

    /// The key of a TSE key file's name, `sacqrcode.pub` (simulated, Acre).
    pub fn from_file_name(name: &str) -> Result<Self, KeyError> {
        let bad = || KeyError::BadName { found: shown(name) };
        let stem = name.strip_suffix("qrcode.pub").ok_or_else(bad)?;
        let (phase, uf) = match stem.as_bytes() {
            [b'o' | b's', _, _] => stem.split_at(1),
            _ => return Err(bad()),
        };
        Self::parse(uf, phase).map_err(|_| bad())
    }

    /// TSE's file name for this key, `sacqrcode.pub`.
    #[must_use]
    pub fn file_name(self) -> String {
        format!(
            "{}{}qrcode.pub",
            self.phase.letter().to_ascii_lowercase(),
            self.uf.to_lower()
        )
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.uf, self.phase)
    }
}

/// An Ed25519 public key of TSE's (the 32 raw bytes of a `.pub` file), checked to be a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicKey(pub(super) VerifyingKey);

impl PublicKey {
    /// 64 hexadecimal digits, in either case (how the election file gives a key).
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let bytes = decode_hex(text)
            .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
            .ok_or_else(|| KeyError::NotHex { found: shown(text) })?;
        Self::from_bytes(&bytes).map_err(|_| KeyError::NotAKey { found: shown(text) })
    }

    /// The 32 raw bytes of a `.pub` file.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, KeyError> {
        VerifyingKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| KeyError::NotAKey {
                found: bytes.iter().map(|b| format!("{b:02x}")).collect(),
            })
    }

    /// The 32 raw bytes.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// SHA-512 of the 32 raw bytes: what TSE's list of key digests gives for the key's file
    /// ([`parse_key_digests`]), so a key given in the election file can be checked against it.
    #[must_use]
    pub fn tse_digest(&self) -> [u8; 64] {
        Sha512::digest(self.0.as_bytes()).into()
    }
}

/// The keys a caller trusts, one per state and phase (for one key version, `VRCH`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyRing {
    keys: BTreeMap<KeyId, PublicKey>,
}

impl KeyRing {
    /// No keys: every report's signature is then not checkable.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the key of a state and phase.
    pub fn insert(&mut self, id: KeyId, key: PublicKey) {
        self.keys.insert(id, key);
    }

    /// The key of a state and phase.
    #[must_use]
    pub fn get(&self, id: KeyId) -> Option<&PublicKey> {
        self.keys.get(&id)
    }

    /// How many keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Reads TSE's list of key digests (`<SHA-512 hex>  <o|s><uf>qrcode.pub`, one a line, as in
/// `20220829-LEGAL-qrcode-hashes.txt`); blank lines are skipped.
pub fn parse_key_digests(text: &str) -> Result<Vec<(KeyId, [u8; 64])>, KeyError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            let bad = || KeyError::BadDigestLine { line: index + 1 };
            let mut fields = line.split_whitespace();
            let (Some(digest), Some(name), None) = (fields.next(), fields.next(), fields.next())
            else {
                return Err(bad());
            };
            let digest = decode_hex(digest)
                .and_then(|bytes| <[u8; 64]>::try_from(bytes).ok())
                .ok_or_else(bad)?;
            Ok((KeyId::from_file_name(name)?, digest))
        })
        .collect()
}
