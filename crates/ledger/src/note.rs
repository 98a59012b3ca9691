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

#[cfg(test)]
mod tests {
    use super::*;

    // The keys and signatures of Go's golang.org/x/mod/sumdb/note tests
    // (note_test.go: TestNewVerifier, TestNewSigner, TestSign, TestOpen).
    const PETER_VERIFIER: &str =
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const PETER_SIGNER: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const ENOCH_VERIFIER: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                        then you don't know what your problem is.\n";
    const PETER_SIGNATURE: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const ENOCH_SIGNATURE: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    fn peter() -> Result<VerifierKey, Error> {
        VerifierKey::parse(PETER_VERIFIER)
    }

    #[test]
    fn go_keys_parse_and_print() -> Result<(), Error> {
        let verifier = peter()?;
        assert_eq!(verifier.name(), "PeterNeumann");
        assert_eq!(verifier.key_id(), 0xc74f_20a3);
        assert_eq!(verifier.to_string(), PETER_VERIFIER);
        assert_eq!(PETER_VERIFIER.parse::<VerifierKey>()?, verifier);
        let signer = SignerKey::parse(PETER_SIGNER)?;
        assert_eq!(signer.to_key_string(), PETER_SIGNER);
        assert_eq!(signer.verifier_key(), verifier);
        assert_eq!(
            key_id("PeterNeumann", verifier.verifying_key.as_bytes()),
            0xc74f_20a3
        );
        // Debug must not print the seed.
        assert!(!format!("{signer:?}").contains("AYEK"));
        Ok(())
    }

    #[test]
    fn mangled_keys_are_rejected() {
        // Go's TestNewVerifier and TestNewSigner: every proper substring and
        // every single-byte increment of the key strings must fail.
        for (key, parse) in [
            (
                PETER_VERIFIER,
                (|text: &str| VerifierKey::parse(text).is_ok()) as fn(&str) -> bool,
            ),
            (PETER_SIGNER, |text: &str| SignerKey::parse(text).is_ok()),
        ] {
            let bytes = key.as_bytes();
            for start in 0..=bytes.len() {
                for end in start + 1..=bytes.len() {
                    if (start, end) != (0, bytes.len()) {
                        let part = &key[start..end];
                        assert!(!parse(part), "{part:?} parsed");
                    }
                }
            }
            for position in 0..bytes.len() {
                let mut changed = bytes.to_vec();
                changed[position] += 1;
                let changed = String::from_utf8(changed).unwrap_or_default();
                assert!(!parse(&changed), "{changed:?} parsed");
            }
        }
        // Go's TestNewVerifier: a key of the wrong length and an unknown
        // algorithm, each with a matching key id.
        assert!(
            VerifierKey::parse(
                "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
            )
            .is_err()
        );
        assert!(
            VerifierKey::parse(
                "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
            )
            .is_err()
        );
    }

    #[test]
    fn key_names() {
        for good in ["PeterNeumann", "veedor.example/ve2024", "a", "ñandú"] {
            assert!(is_valid_key_name(good), "{good:?}");
        }
        for bad in ["", "a+b", "a b", "a\tb", "a\u{a0}b", "a\u{2003}b", "a\nb"] {
            assert!(!is_valid_key_name(bad), "{bad:?}");
            assert!(SignerKey::generate([1; 32], bad).is_err());
        }
    }

    #[test]
    fn signs_like_go() -> Result<(), Error> {
        // Go's TestSign: Ed25519 is deterministic, so the note is byte for
        // byte the one Go writes.
        let signer = SignerKey::parse(PETER_SIGNER)?;
        assert_eq!(
            signer.sign_text(TEXT)?,
            format!("{TEXT}\n{PETER_SIGNATURE}")
        );
        assert!(signer.sign_text("abc").is_err());
        assert!(signer.sign_text("a\u{1}b\n").is_err());
        Ok(())
    }

    #[test]
    fn opens_like_go() -> Result<(), Error> {
        // Go's TestOpen.
        let peter = peter()?;
        let enoch = VerifierKey::parse(ENOCH_VERIFIER)?;
        let both = format!("{TEXT}\n{PETER_SIGNATURE}{ENOCH_SIGNATURE}");
        assert_eq!(peter.verify_text(&both)?, TEXT);
        assert_eq!(enoch.verify_text(&both)?, TEXT);
        // Only an unknown key's signature.
        let only_enoch = format!("{TEXT}\n{ENOCH_SIGNATURE}");
        assert_eq!(
            peter.verify_text(&only_enoch),
            Err(Error::NoVerifiedSignature {
                key: "PeterNeumann+c74f20a3".into()
            })
        );
        // Duplicated lines.
        let doubled =
            format!("{TEXT}\n{PETER_SIGNATURE}{PETER_SIGNATURE}{ENOCH_SIGNATURE}{ENOCH_SIGNATURE}");
        assert_eq!(peter.verify_text(&doubled)?, TEXT);
        // Too many signatures.
        let many = format!("{TEXT}\n{}", PETER_SIGNATURE.repeat(101));
        assert!(matches!(
            peter.verify_text(&many),
            Err(Error::MalformedNote { .. })
        ));
        let hundred = format!("{TEXT}\n{}", PETER_SIGNATURE.repeat(100));
        assert!(peter.verify_text(&hundred).is_ok());
        // A corrupted signature by the trusted key.
        let corrupt = format!(
            "{TEXT}\n{}ABCD{}",
            &PETER_SIGNATURE[..60],
            &PETER_SIGNATURE[60..]
        );
        assert_eq!(
            peter.verify_text(&corrupt),
            Err(Error::InvalidSignature {
                key: "PeterNeumann+c74f20a3".into()
            })
        );
        // A corrupted signature by an unknown key is ignored.
        let corrupt_enoch = format!(
            "{TEXT}\n{PETER_SIGNATURE}{}ABCD{}",
            &ENOCH_SIGNATURE[..60],
            &ENOCH_SIGNATURE[60..]
        );
        assert_eq!(peter.verify_text(&corrupt_enoch)?, TEXT);
        // Another name or another key id: not this key, so no signature.
        let misnamed = PETER_SIGNATURE.replace("PeterNeumann", "CarmenSandiego");
        assert!(matches!(
            peter.verify_text(&format!("{TEXT}\n{misnamed}")),
            Err(Error::NoVerifiedSignature { .. })
        ));
        let other_id = PETER_SIGNATURE.replace("x08g", "xxxx");
        assert!(matches!(
            peter.verify_text(&format!("{TEXT}\n{other_id}")),
            Err(Error::NoVerifiedSignature { .. })
        ));
        // Modified text.
        let modified = format!("{}\n{PETER_SIGNATURE}", TEXT.replace("answer", "Answer"));
        assert!(matches!(
            peter.verify_text(&modified),
            Err(Error::InvalidSignature { .. })
        ));
        Ok(())
    }

    #[test]
    fn malformed_notes() -> Result<(), Error> {
        // Go's TestOpen, badMsgs, and a few more.
        let peter = peter()?;
        let bad_name = "\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=";
        for bad in [
            TEXT.to_owned(),
            format!("{TEXT}\n"),
            format!("{TEXT}\n{}", &PETER_SIGNATURE[..PETER_SIGNATURE.len() - 1]),
            format!("\u{1}{TEXT}\n{PETER_SIGNATURE}"),
            format!("{TEXT}\n{bad_name}"),
            format!("{TEXT}\n{bad_name}\n"),
            format!("{TEXT}\n{PETER_SIGNATURE}Unexpected line.\n"),
            format!("{TEXT}\n- PeterNeumann x08go/ZJku\n"),
            format!("{TEXT}\n\u{2014} PeterNeumann\n"),
            format!("{TEXT}\n\u{2014} PeterNeumann !!!!\n"),
            format!("{TEXT}\n\u{2014} PeterNeumann AAAA\n"),
            format!("{TEXT}\n\u{2014} PeterNeumann AAAAAA==\n"),
            format!("{TEXT}\r\n{PETER_SIGNATURE}"),
        ] {
            assert!(
                matches!(peter.verify_text(&bad), Err(Error::MalformedNote { .. })),
                "{bad:?} gave {:?}",
                peter.verify_text(&bad)
            );
        }
        Ok(())
    }

    #[test]
    fn checkpoints_sign_and_verify() -> Result<(), Error> {
        let signer = SignerKey::generate([7; 32], "veedor.example/ve2024")?;
        let verifier = VerifierKey::parse(&signer.verifier_key().to_string())?;
        assert_eq!(
            SignerKey::parse(&signer.to_key_string())?.to_key_string(),
            signer.to_key_string()
        );
        let mut checkpoint =
            Checkpoint::new("veedor.example/ve2024", 42, crate::leaf_hash(b"root"))?;
        checkpoint.extensions.push("batch 7".into());
        let note = signer.sign(&checkpoint)?;
        assert!(note.starts_with(&checkpoint.to_text()));
        assert_eq!(verifier.verify(&note)?, checkpoint);

        // Another key, even with the same name, does not verify it.
        let other = SignerKey::generate([8; 32], "veedor.example/ve2024")?;
        assert!(matches!(
            other.verifier_key().verify(&note),
            Err(Error::NoVerifiedSignature { .. })
        ));
        // A changed size breaks the signature.
        let tampered = note.replacen("\n42\n", "\n43\n", 1);
        assert!(matches!(
            verifier.verify(&tampered),
            Err(Error::InvalidSignature { .. })
        ));
        // A signed text that is not a checkpoint.
        let not_a_checkpoint = signer.sign_text("hello\n")?;
        assert!(matches!(
            verifier.verify(&not_a_checkpoint),
            Err(Error::MalformedCheckpoint { .. })
        ));
        // A checkpoint whose origin breaks the format is not signed.
        checkpoint.origin = "two\nlines".into();
        assert!(signer.sign(&checkpoint).is_err());
        Ok(())
    }
}
