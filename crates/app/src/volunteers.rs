//! Volunteers' accounts: created by a coordinator with a one-time sign-in code, a passphrase
//! set with that code (Argon2id), signing in, suspending; every action on the audit log. Only
//! pseudonyms: no real name, e-mail or phone number is asked for or kept.
//!
//! Randomness (the sign-in code, the passphrase's salt) and the time come in as values: this
//! crate reads no clock and no random source.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest as _, Sha256 as Hasher};
use veedor_core::entry::Role;
use veedor_core::{Pseudonym, Sha256, Timestamp};
use veedor_store::{Account, AuditEvent, Store, StoreError};

/// Why an account action failed. Nothing was stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The pseudonym is taken.
    #[error("the pseudonym {0} is taken: choose another")]
    Taken(Pseudonym),
    /// No such account.
    #[error("no volunteer {0}")]
    NoSuchAccount(Pseudonym),
    /// The sign-in code is wrong, used, or the account has a passphrase already.
    #[error("that sign-in code is not valid for {0}")]
    BadCode(Pseudonym),
    /// Pseudonym and passphrase do not match (the same answer whichever is wrong).
    #[error("wrong pseudonym or passphrase")]
    BadCredentials,
    /// A passphrase too short to resist guessing.
    #[error("a passphrase needs at least {MIN_PASSPHRASE_CHARS} characters")]
    ShortPassphrase,
    /// The account is suspended.
    #[error("{0} is suspended")]
    Suspended(Pseudonym),
    /// Hashing failed (a bad salt).
    #[error("passphrase hashing: {0}")]
    Hashing(String),
}

/// The shortest passphrase accepted (NIST SP 800-63B asks for at least 8; a phrase is better).
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// The characters of a sign-in code: Crockford's base32 (no I, L, O, U), easy to read aloud
/// and type on a phone.
const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A sign-in code from 15 random bytes: 24 characters in groups of four (120 bits).
#[must_use]
pub fn signin_code(random: [u8; 15]) -> String {
    let mut bits: u128 = 0;
    for byte in random {
        bits = (bits << 8) | u128::from(byte);
    }
    let mut code = String::with_capacity(29);
    for index in 0..24 {
        if index > 0 && index % 4 == 0 {
            code.push('-');
        }
        let shift = 5 * (23 - index);
        let digit = usize::try_from((bits >> shift) & 31).unwrap_or(0);
        code.push(char::from(CODE_ALPHABET[digit]));
    }
    code
}

/// The code as typed, normalised: upper case, without spaces or dashes, confusable letters
/// read as digits.
fn normalise_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

fn code_hash(code: &str) -> Sha256 {
    Sha256::from_bytes(Hasher::digest(normalise_code(code).as_bytes()).into())
}

fn audit(at: Timestamp, actor: Option<&Pseudonym>, action: &str, object: &Pseudonym) -> AuditEvent {
    AuditEvent {
        at,
        actor: actor.cloned(),
        action: action.to_owned(),
        object: object.as_str().to_owned(),
        detail: String::new(),
    }
}

/// Creates an account; returns the one-time sign-in code to hand to the volunteer (it is kept
/// only as its SHA-256). `by` is the coordinator, `None` for the command line's operator.
pub fn add_volunteer(
    store: &mut dyn Store,
    by: Option<&Pseudonym>,
    pseudonym: Pseudonym,
    role: Role,
    random: [u8; 15],
    now: Timestamp,
) -> Result<String, AccountError> {
    let code = signin_code(random);
    let account = Account {
        pseudonym: pseudonym.clone(),
        role,
        created_at: now,
        signin_code_sha256: Some(code_hash(&code)),
        passphrase_hash: None,
        suspended_at: None,
    };
    let mut event = audit(now, by, "user.add", &pseudonym);
    event.detail = format!("role {}", role.as_str());
    match store.add_account(&account, &event) {
        Ok(()) => Ok(code),
        Err(StoreError::Conflict(_)) => Err(AccountError::Taken(pseudonym)),
        Err(error) => Err(error.into()),
    }
}

/// Sets a volunteer's passphrase with their one-time sign-in code; the code is spent.
pub fn set_passphrase(
    store: &mut dyn Store,
    pseudonym: &Pseudonym,
    code: &str,
    passphrase: &str,
    salt: [u8; 16],
    now: Timestamp,
) -> Result<(), AccountError> {
    let mut account = store
        .account(pseudonym)?
        .ok_or_else(|| AccountError::NoSuchAccount(pseudonym.clone()))?;
    if account.suspended_at.is_some() {
        return Err(AccountError::Suspended(pseudonym.clone()));
    }
    if account.signin_code_sha256 != Some(code_hash(code)) {
        return Err(AccountError::BadCode(pseudonym.clone()));
    }
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(AccountError::ShortPassphrase);
    }
    let salt = SaltString::encode_b64(&salt).map_err(|e| AccountError::Hashing(e.to_string()))?;
    let hash = Argon2::default()
        .hash_password(passphrase.as_bytes(), &salt)
        .map_err(|e| AccountError::Hashing(e.to_string()))?;
    account.passphrase_hash = Some(hash.to_string());
    account.signin_code_sha256 = None;
    store.update_account(
        &account,
        &audit(now, Some(pseudonym), "user.passphrase", pseudonym),
    )?;
    Ok(())
}

/// Checks a volunteer's passphrase; records the sign-in (or the failed attempt) on the audit
/// log. The same error whether the pseudonym or the passphrase is wrong.
pub fn sign_in(
    store: &mut dyn Store,
    pseudonym: &Pseudonym,
    passphrase: &str,
    now: Timestamp,
) -> Result<Account, AccountError> {
    let account = store.account(pseudonym)?;
    let stored = account
        .as_ref()
        .and_then(|account| account.passphrase_hash.as_deref())
        .and_then(|stored| PasswordHash::new(stored).ok());
    let verified = match stored {
        Some(hash) => Argon2::default()
            .verify_password(passphrase.as_bytes(), &hash)
            .is_ok(),
        None => {
            // No account, or no passphrase yet: spend what a verification costs anyway, so
            // that the answer's time does not tell which pseudonyms exist.
            if let Ok(salt) = SaltString::encode_b64(&[0; 16]) {
                let _ = Argon2::default().hash_password(passphrase.as_bytes(), &salt);
            }
            false
        }
    };
    match account {
        Some(account) if verified && account.suspended_at.is_none() => {
            store.record_audit(&audit(now, Some(pseudonym), "sign_in", pseudonym))?;
            Ok(account)
        }
        Some(account) if verified => {
            store.record_audit(&audit(now, Some(pseudonym), "sign_in.suspended", pseudonym))?;
            Err(AccountError::Suspended(account.pseudonym))
        }
        _ => {
            store.record_audit(&audit(now, None, "sign_in.failed", pseudonym))?;
            Err(AccountError::BadCredentials)
        }
    }
}

/// Suspends a volunteer, with the reason on the audit log, and ends their sessions. Their
/// entries that no one else confirmed stop counting (`veedor_core::entry`); what others
/// confirmed stays.
pub fn suspend(
    store: &mut dyn Store,
    by: Option<&Pseudonym>,
    pseudonym: &Pseudonym,
    reason: &str,
    now: Timestamp,
) -> Result<(), AccountError> {
    let mut account = store
        .account(pseudonym)?
        .ok_or_else(|| AccountError::NoSuchAccount(pseudonym.clone()))?;
    if account.suspended_at.is_some() {
        return Ok(());
    }
    account.suspended_at = Some(now);
    let mut event = audit(now, by, "user.suspend", pseudonym);
    event.detail = reason.to_owned();
    store.update_account(&account, &event)?;
    // Their sessions go too (every request checks the account besides).
    store.end_sessions(veedor_store::EndSessions::Of(pseudonym))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_24_readable_characters_and_typing_slips_are_forgiven() {
        let code = signin_code([0xA5; 15]);
        assert_eq!(code.len(), 29);
        assert_eq!(code.split('-').count(), 6);
        assert!(
            code.bytes()
                .all(|b| b == b'-' || CODE_ALPHABET.contains(&b))
        );
        assert_ne!(code, signin_code([0x5A; 15]));
        let typed = code.to_ascii_lowercase().replace('-', " ");
        assert_eq!(code_hash(&typed), code_hash(&code));
    }
}
