//! Volunteers' accounts, the audit log and the events of pages' tasks ([`VolunteerStore`]).
//! The audit and task-event tables refuse updates and deletes themselves (triggers), so that
//! even a bug here cannot rewrite the record. An event is appended only on the view it was
//! decided on: under the writers' lock the task's events are counted, and `(queue_id, seq)` is
//! the primary key, so two servers can never both append the same step. Before that, the page's
//! row is locked, and a claim skips a page another process is acting on (`SKIP LOCKED`).

use std::collections::BTreeMap;

use postgres::types::ToSql;
use postgres::{Row, Transaction};
use veedor_core::entry::{Entry, Event, Recorded, Role};
use veedor_core::{Pseudonym, Sha256, Timestamp};
use veedor_store::{Account, AuditEvent, EndSessions, SessionRecord, StoreError, VolunteerStore};

use crate::{
    PostgresStore, Written, corrupt, counts_columns, counts_from, db_error, next_id, optional_u32,
    pseudonym, sha256, table_id, timestamp, to_i64,
};

const ACCOUNT_COLUMNS: &str =
    "pseudonym, role, created_at, signin_code_sha256, passphrase_hash, suspended_at";

fn account_from_row(row: &Row) -> Result<Account, StoreError> {
    let role: &str = row.get(1);
    Ok(Account {
        pseudonym: pseudonym(row.get(0))?,
        role: Role::parse(role).ok_or_else(|| corrupt(format!("role `{role}`")))?,
        created_at: timestamp(row.get(2))?,
        signin_code_sha256: row.get::<_, Option<&[u8]>>(3).map(sha256).transpose()?,
        passphrase_hash: row.get(4),
        suspended_at: row.get::<_, Option<&str>>(5).map(timestamp).transpose()?,
    })
}

pub(crate) fn insert_audit(
    transaction: &mut Transaction<'_>,
    event: &AuditEvent,
) -> Result<(), StoreError> {
    let id = next_id(transaction, "audit", "id")?;
    transaction
        .execute(
            "INSERT INTO audit (id, at, actor, action, object, detail) VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                &id,
                &event.at.to_string(),
                &event.actor.as_ref().map(Pseudonym::as_str),
                &event.action,
                &event.object,
                &event.detail,
            ],
        )
        .map_err(db_error)?;
    Ok(())
}

impl PostgresStore {
    /// Runs `write` in one write transaction that also records `audit`; `write` returning an
    /// error stores nothing.
    pub(crate) fn audited(
        &self,
        audit: &AuditEvent,
        write: impl FnOnce(&mut Transaction<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.audited_after(|_| Ok(()), audit, write)
    }

    /// [`Self::audited`], with `first` run before the writers' turn ([`Self::write_after`]).
    fn audited_after(
        &self,
        first: impl FnOnce(&mut Transaction<'_>) -> Result<(), StoreError>,
        audit: &AuditEvent,
        write: impl FnOnce(&mut Transaction<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.write_after(first, |transaction| {
            write(transaction)?;
            insert_audit(transaction, audit)?;
            Ok(Written::Stored(()))
        })
    }
}

impl VolunteerStore for PostgresStore {
    fn add_account(&mut self, account: &Account, audit: &AuditEvent) -> Result<(), StoreError> {
        self.audited(audit, |transaction| {
            let inserted = transaction
                .execute(
                    &format!(
                        "INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
                         ON CONFLICT (pseudonym) DO NOTHING"
                    ),
                    &[
                        &account.pseudonym.as_str(),
                        &account.role.as_str(),
                        &account.created_at.to_string(),
                        &account
                            .signin_code_sha256
                            .map(|sha| sha.as_bytes().to_vec()),
                        &account.passphrase_hash,
                        &account.suspended_at.map(|at| at.to_string()),
                    ],
                )
                .map_err(db_error)?;
            if inserted == 0 {
                return Err(StoreError::Conflict(format!(
                    "the pseudonym {} is taken",
                    account.pseudonym
                )));
            }
            Ok(())
        })
    }

    fn update_account(&mut self, account: &Account, audit: &AuditEvent) -> Result<(), StoreError> {
        self.audited(audit, |transaction| {
            let updated = transaction
                .execute(
                    "UPDATE accounts SET signin_code_sha256 = $2, passphrase_hash = $3,
                         suspended_at = $4 WHERE pseudonym = $1",
                    &[
                        &account.pseudonym.as_str(),
                        &account
                            .signin_code_sha256
                            .map(|sha| sha.as_bytes().to_vec()),
                        &account.passphrase_hash,
                        &account.suspended_at.map(|at| at.to_string()),
                    ],
                )
                .map_err(db_error)?;
            if updated == 0 {
                return Err(StoreError::Conflict(format!(
                    "no account {}",
                    account.pseudonym
                )));
            }
            Ok(())
        })
    }

    fn account(&self, pseudonym: &Pseudonym) -> Result<Option<Account>, StoreError> {
        self.client()
            .query_opt(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE pseudonym = $1"),
                &[&pseudonym.as_str()],
            )
            .map_err(db_error)?
            .as_ref()
            .map(account_from_row)
            .transpose()
    }

    fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.client()
            .query(
                // Byte order, as SQLite's, whatever the database's collation.
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY pseudonym COLLATE \"C\""),
                &[],
            )
            .map_err(db_error)?
            .iter()
            .map(account_from_row)
            .collect()
    }

    fn record_audit(&mut self, event: &AuditEvent) -> Result<(), StoreError> {
        self.audited(event, |_| Ok(()))
    }

    fn audit(&self) -> Result<Vec<AuditEvent>, StoreError> {
        self.client()
            .query(
                "SELECT at, actor, action, object, detail FROM audit ORDER BY id",
                &[],
            )
            .map_err(db_error)?
            .iter()
            .map(|row| {
                Ok(AuditEvent {
                    at: timestamp(row.get(0))?,
                    actor: row.get::<_, Option<&str>>(1).map(pseudonym).transpose()?,
                    action: row.get(2),
                    object: row.get(3),
                    detail: row.get(4),
                })
            })
            .collect()
    }

    fn append_task_event(
        &mut self,
        queue_id: i64,
        expected: usize,
        event: &Recorded,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let claim = matches!(event.event, Event::Claimed { .. });
        let lock = |transaction: &mut Transaction<'_>| lock_task(transaction, queue_id, claim);
        self.audited_after(lock, audit, |transaction| {
            let count: i64 = transaction
                .query_one(
                    "SELECT count(*) FROM task_events WHERE queue_id = $1",
                    &[&queue_id],
                )
                .map_err(db_error)?
                .get(0);
            if usize::try_from(count).ok() != Some(expected) {
                return Err(StoreError::Conflict(format!(
                    "the page's task has {count} events, not the {expected} the action was decided on"
                )));
            }
            let columns = EventColumns::of(&event.event);
            let at = event.at.to_string();
            let values: [&(dyn ToSql + Sync); 16] = [
                &queue_id,
                &count,
                &at,
                &columns.kind,
                &columns.actor,
                &columns.typist,
                &columns.until,
                &columns.reason,
                &columns.centre,
                &columns.number,
                &columns.counts_kind,
                &columns.counts,
                &columns.null_votes,
                &columns.stated_valid,
                &columns.stated_registered,
                &columns.declared_counts,
            ];
            transaction
                .execute(
                    "INSERT INTO task_events (queue_id, seq, at, kind, actor, typist, until, reason,
                         entry_centre, entry_number, entry_counts_kind, entry_counts,
                         entry_null_votes, entry_stated_valid, entry_stated_registered,
                         entry_declared_counts)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                    &values,
                )
                .map_err(db_error)?;
            Ok(())
        })
    }

    fn task_events(&self, queue_id: i64) -> Result<Vec<Recorded>, StoreError> {
        self.client()
            .query(
                "SELECT at, kind, actor, typist, until, reason, entry_centre, entry_number,
                     entry_counts_kind, entry_counts, entry_null_votes, entry_stated_valid,
                     entry_stated_registered, entry_declared_counts
                 FROM task_events WHERE queue_id = $1 ORDER BY seq",
                &[&queue_id],
            )
            .map_err(db_error)?
            .iter()
            .map(event_from_row)
            .collect()
    }

    fn open_session(&mut self, session: &SessionRecord, most: usize) -> Result<(), StoreError> {
        self.insert_session(session, most)
    }

    fn session(&self, token_sha256: &Sha256) -> Result<Option<SessionRecord>, StoreError> {
        self.read_session(token_sha256)
    }

    fn touch_session(&mut self, token_sha256: &Sha256, at: Timestamp) -> Result<(), StoreError> {
        self.touch(token_sha256, at)
    }

    fn end_sessions(&mut self, which: EndSessions<'_>) -> Result<u64, StoreError> {
        self.end(which)
    }

    fn all_task_events(&self) -> Result<BTreeMap<i64, Vec<Recorded>>, StoreError> {
        let mut events: BTreeMap<i64, Vec<Recorded>> = BTreeMap::new();
        for row in self
            .client()
            .query(
                "SELECT at, kind, actor, typist, until, reason, entry_centre, entry_number,
                     entry_counts_kind, entry_counts, entry_null_votes, entry_stated_valid,
                     entry_stated_registered, entry_declared_counts, queue_id
                 FROM task_events ORDER BY queue_id, seq",
                &[],
            )
            .map_err(db_error)?
        {
            events
                .entry(row.get(14))
                .or_default()
                .push(event_from_row(&row)?);
        }
        Ok(events)
    }
}

/// Locks the row of queued page `queue_id` until the transaction ends, before the writers'
/// turn. A claim skips a page that another process is acting on at this moment
/// (`FOR NO KEY UPDATE SKIP LOCKED`) and is refused at once with a [`StoreError::Conflict`], so
/// that a desk looking for the next page to hand out moves on to another page instead of
/// waiting for this one, and two servers never hand out one page. Any other event (an entry, a
/// decision) waits for the row. `NO KEY UPDATE` is the weakest row lock that two claimers cannot
/// both hold; unlike `UPDATE`, it leaves the foreign-key checks of other rows that name the page
/// (`KEY SHARE`) free. Nothing that holds the writers' turn ever waits for a queue row (the queue
/// is only inserted into), so taking the row first cannot deadlock with them.
fn lock_task(
    transaction: &mut Transaction<'_>,
    queue_id: i64,
    claim: bool,
) -> Result<(), StoreError> {
    let sql = if claim {
        "SELECT id FROM queue WHERE id = $1 FOR NO KEY UPDATE SKIP LOCKED"
    } else {
        "SELECT id FROM queue WHERE id = $1 FOR NO KEY UPDATE"
    };
    let rows = transaction.query(sql, &[&queue_id]).map_err(db_error)?;
    if rows.is_empty() {
        return Err(StoreError::Conflict(if claim {
            format!(
                "page {queue_id} is missing or being claimed by another volunteer at this moment"
            )
        } else {
            format!("no page {queue_id} in the queue")
        }));
    }
    Ok(())
}

/// The columns of an event.
#[derive(Default)]
struct EventColumns {
    kind: &'static str,
    actor: String,
    typist: Option<String>,
    until: Option<String>,
    reason: Option<String>,
    centre: Option<i64>,
    number: Option<i64>,
    counts_kind: Option<&'static str>,
    counts: Option<Vec<i64>>,
    null_votes: Option<i64>,
    stated_valid: Option<i64>,
    stated_registered: Option<i64>,
    declared_counts: Option<Vec<String>>,
}

impl EventColumns {
    fn of(event: &Event) -> Self {
        match event {
            Event::Claimed { by, until } => Self {
                kind: "claimed",
                actor: by.as_str().to_owned(),
                until: Some(until.to_string()),
                ..Self::default()
            },
            Event::Entered { by, entry } => {
                let (counts_kind, counts) = counts_columns(&entry.counts);
                Self {
                    kind: "entered",
                    actor: by.as_str().to_owned(),
                    centre: Some(to_i64(entry.table.centre.get())),
                    number: Some(i64::from(entry.table.number.get())),
                    counts_kind: Some(counts_kind),
                    counts: Some(counts),
                    null_votes: entry.null_votes.map(i64::from),
                    stated_valid: entry.stated_valid_votes.map(i64::from),
                    stated_registered: entry.stated_registered.map(i64::from),
                    declared_counts: Some(
                        entry
                            .declared_counts
                            .iter()
                            .flat_map(|(id, value)| [id.clone(), value.to_string()])
                            .collect(),
                    ),
                    ..Self::default()
                }
            }
            Event::Kept { by, typist, reason } => Self {
                kind: "kept",
                actor: by.as_str().to_owned(),
                typist: Some(typist.as_str().to_owned()),
                reason: Some(reason.clone()),
                ..Self::default()
            },
            Event::Returned { by, typist, reason } => Self {
                kind: "returned",
                actor: by.as_str().to_owned(),
                typist: Some(typist.as_str().to_owned()),
                reason: Some(reason.clone()),
                ..Self::default()
            },
            Event::Discarded { by, reason } => Self {
                kind: "discarded",
                actor: by.as_str().to_owned(),
                reason: Some(reason.clone()),
                ..Self::default()
            },
        }
    }
}

fn event_from_row(row: &Row) -> Result<Recorded, StoreError> {
    let kind: &str = row.get(1);
    let by = pseudonym(row.get(2))?;
    let missing = |what: &str| corrupt(format!("task event `{kind}` without its {what}"));
    let typist = || -> Result<Pseudonym, StoreError> {
        pseudonym(
            row.get::<_, Option<&str>>(3)
                .ok_or_else(|| missing("typist"))?,
        )
    };
    let reason = || -> Result<String, StoreError> {
        row.get::<_, Option<String>>(5)
            .ok_or_else(|| missing("reason"))
    };
    let event = match kind {
        "claimed" => Event::Claimed {
            by,
            until: timestamp(
                row.get::<_, Option<&str>>(4)
                    .ok_or_else(|| missing("time"))?,
            )?,
        },
        "entered" => Event::Entered {
            by,
            entry: entry_from_row(row).ok_or_else(|| missing("entry"))??,
        },
        "kept" => Event::Kept {
            by,
            typist: typist()?,
            reason: reason()?,
        },
        "returned" => Event::Returned {
            by,
            typist: typist()?,
            reason: reason()?,
        },
        "discarded" => Event::Discarded {
            by,
            reason: reason()?,
        },
        other => return Err(corrupt(format!("task event kind `{other}`"))),
    };
    Ok(Recorded {
        at: timestamp(row.get(0))?,
        event,
    })
}

/// The entry of an `entered` event: `None` where its columns are missing.
fn entry_from_row(row: &Row) -> Option<Result<Entry, StoreError>> {
    let centre: i64 = row.get::<_, Option<i64>>(6)?;
    let number: i64 = row.get::<_, Option<i64>>(7)?;
    let counts_kind: &str = row.get::<_, Option<&str>>(8)?;
    let counts: Vec<i64> = row.get::<_, Option<Vec<i64>>>(9)?;
    Some((|| {
        Ok(Entry {
            table: table_id(centre, number)?,
            counts: counts_from(counts_kind, &counts)?,
            null_votes: optional_u32(row.get(10), "null votes")?,
            stated_valid_votes: optional_u32(row.get(11), "valid votes")?,
            stated_registered: optional_u32(row.get(12), "registered voters")?,
            declared_counts: declared_pairs(
                &row.get::<_, Option<Vec<String>>>(13).unwrap_or_default(),
            )?,
        })
    })())
}

/// `[id, count, id, count...]` as (id, count) pairs.
pub(crate) fn declared_pairs(flat: &[String]) -> Result<Vec<(String, u32)>, StoreError> {
    if !flat.len().is_multiple_of(2) {
        return Err(corrupt("declared counts of an odd length"));
    }
    flat.chunks_exact(2)
        .map(|pair| {
            pair[1]
                .parse::<u32>()
                .map(|value| (pair[0].clone(), value))
                .map_err(|_| corrupt("a declared count that is not one"))
        })
        .collect()
}
