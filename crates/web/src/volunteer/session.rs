//! Server-side sessions and the sign-in limits.
//!
//! A session is a random 256-bit token in a cookie (`HttpOnly`, `SameSite=Strict`, `Secure`
//! behind TLS); the server keeps only its SHA-256, with the pseudonym, a CSRF token of its own
//! and when it was last used. It ends after [`DeskOptions::session_idle`] without use, after
//! [`DeskOptions::session_max`] in any case, at sign-out, and when the server restarts (the
//! volunteer signs in again). Sessions live in this process's memory: several servers behind
//! one load balancer need sticky sessions (docs/volunteers.md).
//!
//! Sign-in attempts are limited three ways: per client address (a burst, then a steady rate),
//! per account (after [`DeskOptions::sign_in_failures`] failures within
//! [`DeskOptions::sign_in_window`], that account's attempts wait until the window passes, so
//! guessing one volunteer's passphrase online is hopeless), and for the whole server (each
//! attempt costs an Argon2id hash).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256 as Hasher};
use veedor_core::Pseudonym;

use super::DeskOptions;

/// The most sessions the server keeps; the oldest idle one goes first beyond it.
const MAX_SESSIONS: usize = 50_000;
/// The most sessions one volunteer holds at once (a phone and a computer, and some).
const MAX_SESSIONS_PER_VOLUNTEER: usize = 8;
/// The most accounts whose failed sign-ins are remembered.
const MAX_FAILURE_RECORDS: usize = 100_000;

/// A signed-in volunteer's session.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    /// Who.
    pub pseudonym: Pseudonym,
    /// The token every form and JSON write must carry.
    pub csrf: String,
    created: Instant,
    last_seen: Instant,
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

fn key_of(token: &str) -> [u8; 32] {
    Hasher::digest(token.as_bytes()).into()
}

/// Compares two tokens in time independent of where they differ.
pub(crate) fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The sessions of this server.
#[derive(Debug)]
pub(crate) struct Sessions {
    map: Mutex<HashMap<[u8; 32], Session>>,
    idle: Duration,
    max_age: Duration,
}

impl Sessions {
    pub fn new(options: &DeskOptions) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            idle: options.session_idle,
            max_age: options.session_max,
        }
    }

    fn live(&self, session: &Session, now: Instant) -> bool {
        now.saturating_duration_since(session.last_seen) < self.idle
            && now.saturating_duration_since(session.created) < self.max_age
    }

    /// Opens a session for `pseudonym` with 64 random bytes (the token and the CSRF token);
    /// returns the cookie's token and the session.
    pub fn open(&self, pseudonym: Pseudonym, random: &[u8; 64], now: Instant) -> (String, Session) {
        let token = hex(&random[..32]);
        let session = Session {
            pseudonym: pseudonym.clone(),
            csrf: hex(&random[32..]),
            created: now,
            last_seen: now,
        };
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.retain(|_, session| self.live(session, now));
        let mut own: Vec<([u8; 32], Instant)> = map
            .iter()
            .filter(|(_, held)| held.pseudonym == pseudonym)
            .map(|(key, held)| (*key, held.last_seen))
            .collect();
        own.sort_by_key(|(_, seen)| *seen);
        while own.len() >= MAX_SESSIONS_PER_VOLUNTEER {
            let (key, _) = own.remove(0);
            map.remove(&key);
        }
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map
                .iter()
                .min_by_key(|(_, held)| held.last_seen)
                .map(|(key, _)| *key)
        {
            map.remove(&oldest);
        }
        map.insert(key_of(&token), session.clone());
        (token, session)
    }

    /// The session of a cookie's token, if it is live; using it keeps it alive.
    pub fn get(&self, token: &str, now: Instant) -> Option<Session> {
        let key = key_of(token);
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let live = map.get(&key).is_some_and(|session| self.live(session, now));
        if !live {
            map.remove(&key);
            return None;
        }
        let session = map.get_mut(&key)?;
        session.last_seen = now;
        Some(session.clone())
    }

    /// Ends a session.
    pub fn close(&self, token: &str) {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&key_of(token));
    }

    /// Ends every session of a volunteer (suspended).
    pub fn close_all(&self, pseudonym: &Pseudonym) {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .retain(|_, session| &session.pseudonym != pseudonym);
    }
}

/// The longest name a failure is recorded under: a pseudonym has at most 40 characters, and a
/// longer name (which is no account) must not make the record grow with what a client sends.
const MAX_RECORDED_NAME: usize = 41;

fn record_key(account: &str) -> String {
    account.chars().take(MAX_RECORDED_NAME).collect()
}

/// Failed sign-ins per account: after `max` failures within `window`, that account's attempts
/// wait until the window that began with the first of them is over.
#[derive(Debug)]
pub(crate) struct Failures {
    map: Mutex<HashMap<String, (u32, Instant)>>,
    max: u32,
    window: Duration,
}

impl Failures {
    pub fn new(options: &DeskOptions) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            max: options.sign_in_failures,
            window: options.sign_in_window,
        }
    }

    /// `Err(wait)` while the account is held back.
    pub fn check(&self, account: &str, now: Instant) -> Result<(), Duration> {
        let map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match map.get(&record_key(account)) {
            Some((count, since)) if *count >= self.max => {
                let elapsed = now.saturating_duration_since(*since);
                if elapsed < self.window {
                    Err(self.window - elapsed)
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    /// Records a failure (a name that is no account counts too: the answer must not tell).
    pub fn fail(&self, account: &str, now: Instant) {
        let mut map = self
            .map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= MAX_FAILURE_RECORDS {
            map.retain(|_, (_, since)| now.saturating_duration_since(*since) < self.window);
        }
        let key = record_key(account);
        if map.len() >= MAX_FAILURE_RECORDS && !map.contains_key(&key) {
            return;
        }
        let entry = map.entry(key).or_insert((0, now));
        if now.saturating_duration_since(entry.1) >= self.window {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    /// Forgets an account's failures (it signed in).
    pub fn clear(&self, account: &str) {
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&record_key(account));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> DeskOptions {
        DeskOptions {
            session_idle: Duration::from_secs(60),
            session_max: Duration::from_secs(600),
            sign_in_failures: 3,
            sign_in_window: Duration::from_secs(900),
            ..DeskOptions::default()
        }
    }

    fn owl() -> Pseudonym {
        Pseudonym::new("owl-7").expect("a pseudonym")
    }

    #[test]
    fn a_session_lives_while_used_and_ends_when_idle_or_old() {
        let sessions = Sessions::new(&options());
        let start = Instant::now();
        let mut random = [7u8; 64];
        random[32..].fill(9);
        let (token, session) = sessions.open(owl(), &random, start);
        assert_eq!(token.len(), 64);
        assert_ne!(session.csrf, token[..]);
        assert!(
            sessions
                .get(&token, start + Duration::from_secs(50))
                .is_some()
        );
        assert!(
            sessions
                .get(&token, start + Duration::from_secs(100))
                .is_some()
        );
        // Idle for 61 s: gone, and gone for good.
        assert!(
            sessions
                .get(&token, start + Duration::from_secs(161))
                .is_none()
        );
        assert!(
            sessions
                .get(&token, start + Duration::from_secs(162))
                .is_none()
        );
        // Used every 50 s, it still ends at its maximum age.
        let (token, _) = sessions.open(owl(), &[8; 64], start);
        let mut at = start;
        for _ in 0..11 {
            at += Duration::from_secs(50);
            assert!(sessions.get(&token, at).is_some());
        }
        assert!(sessions.get(&token, at + Duration::from_secs(50)).is_none());
        assert!(sessions.get("not a token", start).is_none());
    }

    #[test]
    fn a_volunteer_holds_a_bounded_number_of_sessions_and_suspension_ends_them_all() {
        let sessions = Sessions::new(&options());
        let now = Instant::now();
        let tokens: Vec<String> = (0..10u8)
            .map(|i| {
                sessions
                    .open(owl(), &[i; 64], now + Duration::from_secs(u64::from(i)))
                    .0
            })
            .collect();
        let later = now + Duration::from_secs(10);
        assert!(sessions.get(&tokens[0], later).is_none(), "the oldest went");
        assert!(sessions.get(&tokens[9], later).is_some());
        sessions.close_all(&owl());
        assert!(sessions.get(&tokens[9], later).is_none());
    }

    #[test]
    fn failures_hold_an_account_back_for_the_window() {
        let failures = Failures::new(&options());
        let now = Instant::now();
        for _ in 0..3 {
            assert!(failures.check("owl-7", now).is_ok());
            failures.fail("owl-7", now);
        }
        let wait = failures.check("owl-7", now).expect_err("held back");
        assert_eq!(wait, Duration::from_secs(900));
        assert!(
            failures.check("beto", now).is_ok(),
            "other accounts are not"
        );
        assert!(
            failures
                .check("owl-7", now + Duration::from_secs(901))
                .is_ok()
        );
        failures.clear("owl-7");
        assert!(failures.check("owl-7", now).is_ok());
    }

    #[test]
    fn a_long_name_is_recorded_by_its_first_characters_only() {
        let failures = Failures::new(&options());
        let now = Instant::now();
        let long = "x".repeat(30_000);
        for _ in 0..3 {
            failures.fail(&long, now);
        }
        let map = failures.map.lock().unwrap();
        assert_eq!(map.len(), 1);
        assert!(map.keys().all(|key| key.len() <= MAX_RECORDED_NAME));
        drop(map);
        // Held back all the same, whatever follows the first characters.
        assert!(failures.check(&format!("{long}y"), now).is_err());
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("abc", "ab"));
    }
}
