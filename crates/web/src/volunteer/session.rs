//! Server-side sessions and the sign-in limits.
//!
//! A session is a random 256-bit token in a cookie (`HttpOnly`, `SameSite=Strict`, `Secure`
//! behind TLS); the store keeps only its SHA-256, with the pseudonym, a CSRF token of its own
//! and when it began and was last used ([`SessionRecord`]). So every server on one store knows
//! every session (no sticky sessions behind a load balancer), a restart signs no one out, and a
//! copy of the database opens no session. It ends after [`DeskOptions::session_idle`] without
//! use, after [`DeskOptions::session_max`] in any case, at sign-out, and when its volunteer is
//! suspended. Times are the wall clock's, to the second; a use is written when the last one
//! written is older than a quarter of the idle time or a minute, whichever is less, so a session
//! may end up to that much (and a second) before its idle time. Every desk server on one store
//! needs the same idle and maximum times and a synchronised clock: each ends the sessions it
//! finds expired by its own.
//!
//! Sign-in attempts are limited three ways: per client address (a burst, then a steady rate),
//! per account (after [`DeskOptions::sign_in_failures`] failures within
//! [`DeskOptions::sign_in_window`], that account's attempts wait until the window passes, so
//! guessing one volunteer's passphrase online is hopeless), and for the whole server (each
//! attempt costs an Argon2id hash). These counts are this process's own: with several servers,
//! each keeps its own.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest as _, Sha256 as Hasher};
use veedor_core::{Pseudonym, Sha256, Timestamp};
use veedor_store::{EndSessions, SessionRecord, Store, StoreError};

use super::DeskOptions;

/// The most sessions one volunteer holds at once (a phone and a computer, and some); opening
/// one more ends the least recently used.
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
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

fn key_of(token: &str) -> Sha256 {
    Sha256::from_bytes(Hasher::digest(token.as_bytes()).into())
}

/// Compares two tokens in time independent of where they differ.
pub(crate) fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `at` less `duration`, or the earliest time there is.
fn before(at: Timestamp, duration: Duration) -> Timestamp {
    at.checked_sub(duration).unwrap_or(Timestamp::MIN)
}

/// The sessions' rules; the sessions themselves are in the store.
#[derive(Debug)]
pub(crate) struct Sessions {
    idle: Duration,
    max_age: Duration,
}

impl Sessions {
    pub fn new(options: &DeskOptions) -> Self {
        Self {
            idle: options.session_idle,
            max_age: options.session_max,
        }
    }

    fn live(&self, session: &SessionRecord, now: Timestamp) -> bool {
        session.last_seen > before(now, self.idle) && session.created_at > before(now, self.max_age)
    }

    /// How long a use may go unwritten.
    fn touch_every(&self) -> Duration {
        (self.idle / 4).min(Duration::from_secs(60))
    }

    /// Opens a session for `pseudonym` with 64 random bytes (the token and the CSRF token),
    /// ending expired sessions first; returns the cookie's token and the session.
    pub fn open(
        &self,
        store: &mut dyn Store,
        pseudonym: Pseudonym,
        random: &[u8; 64],
        now: Timestamp,
    ) -> Result<(String, Session), StoreError> {
        let token = hex(&random[..32]);
        let session = Session {
            pseudonym: pseudonym.clone(),
            csrf: hex(&random[32..]),
        };
        store.end_sessions(EndSessions::Expired {
            idle_since: before(now, self.idle),
            started_before: before(now, self.max_age),
        })?;
        store.open_session(
            &SessionRecord {
                token_sha256: key_of(&token),
                pseudonym,
                csrf: session.csrf.clone(),
                created_at: now,
                last_seen: now,
            },
            MAX_SESSIONS_PER_VOLUNTEER,
        )?;
        Ok((token, session))
    }

    /// The session of a cookie's token, if it is live; using it keeps it alive. A session
    /// found dead is ended.
    pub fn get(
        &self,
        store: &mut dyn Store,
        token: &str,
        now: Timestamp,
    ) -> Result<Option<Session>, StoreError> {
        let key = key_of(token);
        let Some(record) = store.session(&key)? else {
            return Ok(None);
        };
        // Writing the end or the use is housekeeping: a store busy with another writer (an
        // import holding SQLite's write lock) must not fail the request, which only reads.
        if !self.live(&record, now) {
            if let Err(error) = store.end_sessions(EndSessions::Token(&key)) {
                tracing::warn!(%error, "volunteer desk: a dead session was not deleted");
            }
            return Ok(None);
        }
        if record.last_seen <= before(now, self.touch_every())
            && let Err(error) = store.touch_session(&key, now)
        {
            tracing::warn!(%error, "volunteer desk: a session's use was not recorded");
        }
        Ok(Some(Session {
            pseudonym: record.pseudonym,
            csrf: record.csrf,
        }))
    }

    /// Ends a session.
    pub fn close(&self, store: &mut dyn Store, token: &str) -> Result<(), StoreError> {
        store.end_sessions(EndSessions::Token(&key_of(token)))?;
        Ok(())
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
    use veedor_store::VolunteerStore as _;

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

    /// A real SQLite store in a temporary folder, with the account `owl-7`.
    fn store() -> (tempfile::TempDir, veedor_store_sqlite::SqliteStore) {
        use veedor_store::VolunteerStore as _;
        let dir = tempfile::tempdir().expect("a temporary folder");
        let definition = include_str!("../../../../elections/ve-2024-presidential.toml");
        let first = veedor_formats::log_entry::election_entry(definition);
        let at = Timestamp::from_second(1_722_200_000).expect("a time");
        let mut store = veedor_store_sqlite::SqliteStore::create(
            dir.path(),
            definition,
            &first,
            &|text| veedor_formats::parse_election(text).map_err(|e| e.to_string()),
            at,
        )
        .expect("a store");
        let account = veedor_store::Account {
            pseudonym: owl(),
            role: veedor_core::entry::Role::Typist,
            created_at: at,
            signin_code_sha256: None,
            passphrase_hash: None,
            suspended_at: None,
        };
        let audit = veedor_store::AuditEvent {
            at,
            actor: None,
            action: "user.add".to_owned(),
            object: "owl-7".to_owned(),
            detail: String::new(),
        };
        store.add_account(&account, &audit).expect("an account");
        (dir, store)
    }

    fn at(second: u64) -> Timestamp {
        Timestamp::from_second(1_722_300_000 + i64::try_from(second).expect("small"))
            .expect("a time")
    }

    #[test]
    fn a_session_lives_while_used_and_ends_when_idle_or_old() {
        let (_dir, mut store) = store();
        let sessions = Sessions::new(&options());
        let mut random = [7u8; 64];
        random[32..].fill(9);
        let (token, session) = sessions.open(&mut store, owl(), &random, at(0)).unwrap();
        assert_eq!(token.len(), 64);
        assert_ne!(session.csrf, token[..]);
        let stored = store.session(&key_of(&token)).unwrap().expect("stored");
        assert_ne!(
            stored.token_sha256.to_hex(),
            token,
            "only the token's hash is stored"
        );
        assert!(sessions.get(&mut store, &token, at(50)).unwrap().is_some());
        assert!(sessions.get(&mut store, &token, at(100)).unwrap().is_some());
        // Idle for 61 s: gone, and gone for good.
        assert!(sessions.get(&mut store, &token, at(161)).unwrap().is_none());
        assert!(store.session(&key_of(&token)).unwrap().is_none(), "ended");
        assert!(sessions.get(&mut store, &token, at(162)).unwrap().is_none());
        // Used every 50 s, it still ends at its maximum age.
        let (token, _) = sessions.open(&mut store, owl(), &[8; 64], at(0)).unwrap();
        let mut second = 0;
        for _ in 0..11 {
            second += 50;
            assert!(
                sessions
                    .get(&mut store, &token, at(second))
                    .unwrap()
                    .is_some()
            );
        }
        assert!(
            sessions
                .get(&mut store, &token, at(second + 50))
                .unwrap()
                .is_none()
        );
        assert!(
            sessions
                .get(&mut store, "not a token", at(0))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_volunteer_holds_a_bounded_number_of_sessions_and_suspension_ends_them_all() {
        let (_dir, mut store) = store();
        let sessions = Sessions::new(&options());
        let tokens: Vec<String> = (0..10u8)
            .map(|i| {
                sessions
                    .open(&mut store, owl(), &[i; 64], at(u64::from(i)))
                    .unwrap()
                    .0
            })
            .collect();
        let later = at(10);
        assert!(
            sessions
                .get(&mut store, &tokens[0], later)
                .unwrap()
                .is_none(),
            "the oldest went"
        );
        assert!(
            sessions
                .get(&mut store, &tokens[1], later)
                .unwrap()
                .is_none()
        );
        assert!(
            sessions
                .get(&mut store, &tokens[2], later)
                .unwrap()
                .is_some()
        );
        assert!(
            sessions
                .get(&mut store, &tokens[9], later)
                .unwrap()
                .is_some()
        );
        // Suspension, as the desk and the command line do it, ends them all.
        veedor_app::volunteers::suspend(&mut store, None, &owl(), "a lost phone", later).unwrap();
        assert!(
            sessions
                .get(&mut store, &tokens[9], later)
                .unwrap()
                .is_none()
        );
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
