//! Volunteers' sessions ([`VolunteerStore::open_session`] and the rest): one table of migration
//! 10, changed in place (a session is used, then ended), written without touching
//! `data_version`, so that a server does not reload its snapshot because someone signed in.

use rusqlite::{OptionalExtension as _, TransactionBehavior, params};
use veedor_core::{Pseudonym, Sha256, Timestamp};
use veedor_store::{EndSessions, SessionRecord, StoreError};

use crate::{SqliteStore, corrupt, db_error};

fn from_seconds(seconds: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_second(seconds).map_err(|_| corrupt(format!("session time {seconds}")))
}

impl SqliteStore {
    pub(crate) fn insert_session(
        &mut self,
        session: &SessionRecord,
        most: usize,
    ) -> Result<(), StoreError> {
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_error)?;
        transaction
            .execute(
                "INSERT INTO sessions (token_sha256, pseudonym, csrf, created_at, last_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    session.token_sha256.as_bytes().as_slice(),
                    session.pseudonym.as_str(),
                    session.csrf,
                    session.created_at.as_second(),
                    session.last_seen.as_second(),
                ],
            )
            .map_err(db_error)?;
        transaction
            .execute(
                "DELETE FROM sessions WHERE pseudonym = ?1 AND token_sha256 NOT IN (
                     SELECT token_sha256 FROM sessions WHERE pseudonym = ?1
                     ORDER BY token_sha256 = ?2 DESC, last_seen DESC LIMIT ?3)",
                params![
                    session.pseudonym.as_str(),
                    session.token_sha256.as_bytes().as_slice(),
                    i64::try_from(most.max(1)).unwrap_or(i64::MAX),
                ],
            )
            .map_err(db_error)?;
        transaction.commit().map_err(db_error)
    }

    pub(crate) fn read_session(
        &self,
        token_sha256: &Sha256,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let row = self
            .connection
            .query_row(
                "SELECT pseudonym, csrf, created_at, last_seen FROM sessions
                 WHERE token_sha256 = ?1",
                [token_sha256.as_bytes().as_slice()],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, i64>(2)?,
                        row.get::<_, i64>(3)?,
                    ))
                },
            )
            .optional()
            .map_err(db_error)?;
        row.map(|(pseudonym, csrf, created_at, last_seen)| {
            Ok(SessionRecord {
                token_sha256: *token_sha256,
                pseudonym: Pseudonym::new(&pseudonym).map_err(|e| corrupt(e.to_string()))?,
                csrf,
                created_at: from_seconds(created_at)?,
                last_seen: from_seconds(last_seen)?,
            })
        })
        .transpose()
    }

    pub(crate) fn touch(&mut self, token_sha256: &Sha256, at: Timestamp) -> Result<(), StoreError> {
        self.connection
            .execute(
                "UPDATE sessions SET last_seen = max(last_seen, ?2) WHERE token_sha256 = ?1",
                params![token_sha256.as_bytes().as_slice(), at.as_second()],
            )
            .map_err(db_error)?;
        Ok(())
    }

    pub(crate) fn end(&mut self, which: EndSessions<'_>) -> Result<u64, StoreError> {
        let ended = match which {
            EndSessions::Token(token) => self.connection.execute(
                "DELETE FROM sessions WHERE token_sha256 = ?1",
                [token.as_bytes().as_slice()],
            ),
            EndSessions::Of(pseudonym) => self.connection.execute(
                "DELETE FROM sessions WHERE pseudonym = ?1",
                [pseudonym.as_str()],
            ),
            EndSessions::Expired {
                idle_since,
                started_before,
            } => self.connection.execute(
                "DELETE FROM sessions WHERE last_seen < ?1 OR created_at < ?2",
                [idle_since.as_second(), started_before.as_second()],
            ),
        }
        .map_err(db_error)?;
        Ok(u64::try_from(ended).unwrap_or(u64::MAX))
    }
}
