//! C2SP signed-note with Ed25519 keys, and the key strings of Go's
//! `golang.org/x/mod/sumdb/note`.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use crate::Error;
use crate::checkpoint::Checkpoint;

/// The signature type byte of Ed25519 (C2SP signed-note, "Signature types").
const ALGORITHM_ED25519: u8 = 0x01;

/// The most signature lines a note may carry, as Go's `note.Open` allows
/// (the spec asks verifiers to accept at least 16).
pub const MAX_SIGNATURES: usize = 100;

/// What starts a signature line: an em dash and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Whether `name` may name a key: non-empty, without Unicode white space or
/// `+` (C2SP signed-note, "Format"; Go's `isValidName`).
#[must_use]
pub fn is_valid_key_name(name: &str) -> bool {
    !name.is_empty() && !name.chars().any(|c| c.is_whitespace() || c == '+')
}

/// The key ID of an Ed25519 key: the first four bytes, big-endian, of
/// `SHA-256(name || 0x0A || 0x01 || public key)` (C2SP signed-note,
/// "Ed25519 signatures").
#[must_use]
pub fn key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', ALGORITHM_ED25519]);
    hasher.update(public_key);
    let digest = hasher.finalize();
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

fn check_name(name: &str) -> Result<(), Error> {
    if is_valid_key_name(name) {
        Ok(())
    } else {
        Err(Error::InvalidKeyName {
            name: name.to_owned(),
        })
    }
}

/// Decodes `<hex key id>+<base64 of 0x01 || 32 bytes>`, the tail of both key
/// strings.
fn parse_id_and_key(kind: &'static str, text: &str) -> Result<(u32, [u8; 32]), Error> {
    let malformed = |reason| Error::MalformedKey { kind, reason };
    let (id_text, key_text) = text
        .split_once('+')
        .ok_or_else(|| malformed("expected <name>+<key id>+<key>"))?;
    if id_text.len() != 8 {
        return Err(malformed("the key id must be 8 hex digits"));
    }
    let id = u32::from_str_radix(id_text, 16)
        .map_err(|_| malformed("the key id must be 8 hex digits"))?;
    let bytes = BASE64
        .decode(key_text)
        .map_err(|_| malformed("the key must be standard base64"))?;
    match bytes.split_first() {
        Some((&ALGORITHM_ED25519, key)) => {
            let key = <[u8; 32]>::try_from(key)
                .map_err(|_| malformed("an Ed25519 key must be 32 bytes"))?;
            Ok((id, key))
        }
        Some(_) => Err(malformed(
            "unknown signature algorithm (only Ed25519, 0x01, is supported)",
        )),
        None => Err(malformed("the key is empty")),
    }
}

/// The private key that signs checkpoints.
///
/// Its string form is Go's `note` signer key,
/// `PRIVATE+KEY+<name>+<hex key id>+<base64 of 0x01 || 32-byte seed>`, for
/// the store to keep in a file. There is deliberately no `Display`, and
/// `Debug` hides the seed, so the key does not end up in a log by accident.
#[derive(Clone)]
pub struct SignerKey {
    name: String,
    id: u32,
    signing_key: SigningKey,
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("SignerKey")
            .field("name", &self.name)
            .field("id", &format_args!("{:08x}", self.id))
            .finish_non_exhaustive()
    }
}

impl SignerKey {
    /// The key with this Ed25519 seed and name. The caller draws the seed
    /// from a cryptographic RNG (this crate has no randomness of its own).
    ///
    /// # Errors
    /// [`Error::InvalidKeyName`].
    pub fn generate(seed: [u8; 32], name: &str) -> Result<Self, Error> {
        check_name(name)?;
        let signing_key = SigningKey::from_bytes(&seed);
        let id = key_id(name, signing_key.verifying_key().as_bytes());
        Ok(Self {
            name: name.to_owned(),
            id,
            signing_key,
        })
    }

    /// Parses a signer key string, checking its key id against its key.
    ///
    /// # Errors
    /// [`Error::MalformedKey`] or [`Error::InvalidKeyName`].
    pub fn parse(text: &str) -> Result<Self, Error> {
        let malformed = |reason| Error::MalformedKey {
            kind: "signer",
            reason,
        };
        let rest = text
            .strip_prefix("PRIVATE+KEY+")
            .ok_or_else(|| malformed("expected it to start with PRIVATE+KEY+"))?;
        let (name, rest) = rest
            .split_once('+')
            .ok_or_else(|| malformed("expected PRIVATE+KEY+<name>+<key id>+<key>"))?;
        check_name(name)?;
        let (id, seed) = parse_id_and_key("signer", rest)?;
        let key = Self::generate(seed, name)?;
        if key.id != id {
            return Err(malformed("the key id does not match the key"));
        }
        Ok(key)
    }

    /// The key string [`SignerKey::parse`] reads. Keep it secret.
    #[must_use]
    pub fn to_key_string(&self) -> String {
        let mut bytes = vec![ALGORITHM_ED25519];
        bytes.extend_from_slice(self.signing_key.as_bytes());
        format!(
            "PRIVATE+KEY+{}+{:08x}+{}",
            self.name,
            self.id,
            BASE64.encode(bytes)
        )
    }

    /// The key's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key's ID.
    #[must_use]
    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// The public half, to publish.
    #[must_use]
    pub fn verifier_key(&self) -> VerifierKey {
        VerifierKey {
            name: self.name.clone(),
            id: self.id,
            verifying_key: self.signing_key.verifying_key(),
        }
    }

    /// Signs a checkpoint: its text, a blank line, one signature line.
    ///
    /// # Errors
    /// [`Error::MalformedCheckpoint`] if the checkpoint breaks the format
    /// (see [`Checkpoint::validate`]).
    pub fn sign(&self, checkpoint: &Checkpoint) -> Result<String, Error> {
        checkpoint.validate()?;
        self.sign_text(&checkpoint.to_text())
    }

    /// Signs any note text, which must end in a newline and hold no control
    /// characters but newlines.
    ///
    /// # Errors
    /// [`Error::MalformedNote`].
    pub fn sign_text(&self, text: &str) -> Result<String, Error> {
        if !text.ends_with('\n') {
            return Err(Error::MalformedNote {
                reason: "the text must end with a newline",
            });
        }
        check_characters(text)?;
        let signature = self.signing_key.sign(text.as_bytes());
        let mut bytes = self.id.to_be_bytes().to_vec();
        bytes.extend_from_slice(&signature.to_bytes());
        Ok(format!(
            "{text}\n{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            BASE64.encode(bytes)
        ))
    }
}

/// The public key that verifies checkpoints.
///
/// `Display` and [`VerifierKey::parse`] use Go's `note` verifier key string,
/// `<name>+<hex key id>+<base64 of 0x01 || 32-byte public key>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    id: u32,
    verifying_key: VerifyingKey,
}

impl VerifierKey {
    /// Parses a verifier key string, checking its key id against its key.
    ///
    /// # Errors
    /// [`Error::MalformedKey`] or [`Error::InvalidKeyName`].
    pub fn parse(text: &str) -> Result<Self, Error> {
        let malformed = |reason| Error::MalformedKey {
            kind: "verifier",
            reason,
        };
        let (name, rest) = text
            .split_once('+')
            .ok_or_else(|| malformed("expected <name>+<key id>+<key>"))?;
        check_name(name)?;
        let (id, public_key) = parse_id_and_key("verifier", rest)?;
        if key_id(name, &public_key) != id {
            return Err(malformed("the key id does not match the key"));
        }
        let verifying_key = VerifyingKey::from_bytes(&public_key)
            .map_err(|_| malformed("the key is not a valid Ed25519 public key"))?;
        Ok(Self {
            name: name.to_owned(),
            id,
            verifying_key,
        })
    }

    /// The key's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key's ID.
    #[must_use]
    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// Verifies a signed checkpoint and returns it.
    ///
    /// # Errors
    /// As [`VerifierKey::verify_text`]; then [`Error::MalformedCheckpoint`]
    /// if the signed text is not a checkpoint.
    pub fn verify(&self, note: &str) -> Result<Checkpoint, Error> {
        Checkpoint::parse(self.verify_text(note)?)
    }

    /// Verifies a signed note and returns its text (with its final newline).
    ///
    /// Signature lines by other keys (another name or another key ID) are
    /// ignored, as the spec requires; every line by this key must verify.
    ///
    /// # Errors
    /// [`Error::MalformedNote`] if the note breaks the format;
    /// [`Error::InvalidSignature`] if a signature by this key does not verify;
    /// [`Error::NoVerifiedSignature`] if no line is by this key.
    pub fn verify_text<'note>(&self, note: &'note str) -> Result<&'note str, Error> {
        let malformed = |reason| Error::MalformedNote { reason };
        check_characters(note)?;
        let split = note
            .rfind("\n\n")
            .ok_or_else(|| malformed("no blank line separates the text from the signatures"))?;
        let text = &note[..=split];
        let signatures = &note[split + 2..];
        let Some(signatures) = signatures.strip_suffix('\n') else {
            return Err(malformed("the signatures must end with a newline"));
        };
        let mut verified = false;
        for (count, line) in signatures.split('\n').enumerate() {
            if count >= MAX_SIGNATURES {
                return Err(malformed("more than 100 signatures"));
            }
            let line = line.strip_prefix(SIGNATURE_PREFIX).ok_or_else(|| {
                malformed("a signature line must start with an em dash and a space")
            })?;
            let (name, encoded) = line
                .split_once(' ')
                .ok_or_else(|| malformed("a signature line must be a key name, a space, base64"))?;
            if !is_valid_key_name(name) {
                return Err(malformed("a signature line has an invalid key name"));
            }
            let bytes = BASE64
                .decode(encoded)
                .map_err(|_| malformed("a signature is not standard base64"))?;
            let Some((id_bytes, signature)) = bytes.split_first_chunk::<4>() else {
                return Err(malformed("a signature is shorter than its key id"));
            };
            if signature.is_empty() {
                return Err(malformed("a signature is empty"));
            }
            if name != self.name || u32::from_be_bytes(*id_bytes) != self.id {
                // Another key's signature: a witness, a rotated key. Ignored.
                continue;
            }
            let valid = Signature::from_slice(signature).is_ok_and(|signature| {
                self.verifying_key
                    .verify_strict(text.as_bytes(), &signature)
                    .is_ok()
            });
            if !valid {
                return Err(Error::InvalidSignature {
                    key: self.short_name(),
                });
            }
            verified = true;
        }
        if verified {
            Ok(text)
        } else {
            Err(Error::NoVerifiedSignature {
                key: self.short_name(),
            })
        }
    }

    /// `name+hexid`, how errors name the key.
    fn short_name(&self) -> String {
        format!("{}+{:08x}", self.name, self.id)
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut bytes = vec![ALGORITHM_ED25519];
        bytes.extend_from_slice(self.verifying_key.as_bytes());
        write!(
            formatter,
            "{}+{:08x}+{}",
            self.name,
            self.id,
            BASE64.encode(bytes)
        )
    }
}

impl FromStr for VerifierKey {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        Self::parse(text)
    }
}

/// Notes are UTF-8 (guaranteed by `&str`) without control characters other
/// than newline (C2SP signed-note, "Format").
fn check_characters(text: &str) -> Result<(), Error> {
    if text.chars().any(|c| c < ' ' && c != '\n') {
        return Err(Error::MalformedNote {
            reason: "it holds a control character other than newline",
        });
    }
    Ok(())
}
