//! Volunteers' sessions ([`VolunteerStore::open_session`] and the rest): one table of migration
//! 4, changed in place (a session is used, then ended), written outside the writers' turn and
//! without touching `data_version`, so that no server reloads its snapshot because someone
//! signed in, and a session opened through one server is known to all.

use veedor_core::{Sha256, Timestamp};
use veedor_store::{EndSessions, SessionRecord, StoreError};

use crate::{PostgresStore, corrupt, db_error, pseudonym};

fn from_seconds(seconds: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_second(seconds).map_err(|_| corrupt(format!("session time {seconds}")))
}

impl PostgresStore {
    pub(crate) fn insert_session(
        &self,
        session: &SessionRecord,
        most: usize,
    ) -> Result<(), StoreError> {
        let mut client = self.client();
        let mut transaction = client.transaction().map_err(db_error)?;
        let token = session.token_sha256.as_bytes().as_slice();
        transaction
            .execute(
                "INSERT INTO sessions (token_sha256, pseudonym, csrf, created_at, last_seen)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &token,
                    &session.pseudonym.as_str(),
                    &session.csrf,
                    &session.created_at.as_second(),
                    &session.last_seen.as_second(),
                ],
            )
            .map_err(db_error)?;
        transaction
            .execute(
                "DELETE FROM sessions WHERE pseudonym = $1 AND token_sha256 NOT IN (
                     SELECT token_sha256 FROM sessions WHERE pseudonym = $1
                     ORDER BY token_sha256 = $2 DESC, last_seen DESC LIMIT $3)",
                &[
                    &session.pseudonym.as_str(),
                    &token,
                    &i64::try_from(most.max(1)).unwrap_or(i64::MAX),
                ],
            )
            .map_err(db_error)?;
        transaction.commit().map_err(db_error)
    }

    pub(crate) fn read_session(
        &self,
        token_sha256: &Sha256,
    ) -> Result<Option<SessionRecord>, StoreError> {
        self.client()
            .query_opt(
                "SELECT pseudonym, csrf, created_at, last_seen FROM sessions
                 WHERE token_sha256 = $1",
                &[&token_sha256.as_bytes().as_slice()],
            )
            .map_err(db_error)?
            .map(|row| {
                Ok(SessionRecord {
                    token_sha256: *token_sha256,
                    pseudonym: pseudonym(row.get(0))?,
                    csrf: row.get(1),
                    created_at: from_seconds(row.get(2))?,
                    last_seen: from_seconds(row.get(3))?,
                })
            })
            .transpose()
    }

    pub(crate) fn touch(&self, token_sha256: &Sha256, at: Timestamp) -> Result<(), StoreError> {
        self.client()
            .execute(
                "UPDATE sessions SET last_seen = greatest(last_seen, $2) WHERE token_sha256 = $1",
                &[&token_sha256.as_bytes().as_slice(), &at.as_second()],
            )
            .map_err(db_error)?;
        Ok(())
    }

    pub(crate) fn end(&self, which: EndSessions<'_>) -> Result<u64, StoreError> {
        let mut client = self.client();
        match which {
            EndSessions::Token(token) => client.execute(
                "DELETE FROM sessions WHERE token_sha256 = $1",
                &[&token.as_bytes().as_slice()],
            ),
            EndSessions::Of(pseudonym) => client.execute(
                "DELETE FROM sessions WHERE pseudonym = $1",
                &[&pseudonym.as_str()],
            ),
            EndSessions::Expired {
                idle_since,
                started_before,
            } => client.execute(
                "DELETE FROM sessions WHERE last_seen < $1 OR created_at < $2",
                &[&idle_since.as_second(), &started_before.as_second()],
            ),
        }
        .map_err(db_error)
    }
}
