//! Volunteers' accounts and the audit log ([`VolunteerStore`]): two tables of migration 6. The
//! audit table refuses updates and deletes itself (triggers), so that even a bug here cannot
//! rewrite the record.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension as _, Row, TransactionBehavior, params};
use veedor_core::entry::{Entry, Event, Recorded, Role};
use veedor_core::{CentreCode, Counts, Pseudonym, Sha256, TableId, TableNumber, Timestamp};
use veedor_store::{Account, AuditEvent, EndSessions, SessionRecord, StoreError, VolunteerStore};

use crate::{SqliteStore, bump_version, corrupt, db_error, timestamp};

const ACCOUNT_COLUMNS: &str =
    "pseudonym, role, created_at, signin_code_sha256, passphrase_hash, suspended_at";

fn account_from_row(row: &Row<'_>) -> Result<Account, StoreError> {
    let text = |index: usize| -> Result<String, StoreError> { row.get(index).map_err(db_error) };
    let optional =
        |index: usize| -> Result<Option<String>, StoreError> { row.get(index).map_err(db_error) };
    let pseudonym = text(0)?;
    let role = text(1)?;
    Ok(Account {
        pseudonym: Pseudonym::new(&pseudonym).map_err(|e| corrupt(e.to_string()))?,
        role: Role::parse(&role).ok_or_else(|| corrupt(format!("role `{role}`")))?,
        created_at: timestamp(&text(2)?)?,
        signin_code_sha256: optional(3)?
            .map(|hex| Sha256::from_hex(&hex).map_err(|e| corrupt(e.to_string())))
            .transpose()?,
        passphrase_hash: optional(4)?,
        suspended_at: optional(5)?.map(|at| timestamp(&at)).transpose()?,
    })
}

fn insert_audit(
    transaction: &rusqlite::Transaction<'_>,
    event: &AuditEvent,
) -> Result<(), StoreError> {
    transaction
        .execute(
            "INSERT INTO audit (at, actor, action, object, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                event.at.to_string(),
                event.actor.as_ref().map(Pseudonym::as_str),
                event.action,
                event.object,
                event.detail
            ],
        )
        .map_err(db_error)?;
    Ok(())
}

impl SqliteStore {
    /// Runs `write` in one immediate transaction that also records `audit` and bumps the data
    /// version; `write` returning an error stores nothing.
    pub(crate) fn audited(
        &mut self,
        audit: &AuditEvent,
        write: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_error)?;
        write(&transaction)?;
        insert_audit(&transaction, audit)?;
        bump_version(&transaction)?;
        transaction.commit().map_err(db_error)
    }
}

impl VolunteerStore for SqliteStore {
    fn add_account(&mut self, account: &Account, audit: &AuditEvent) -> Result<(), StoreError> {
        self.audited(audit, |transaction| {
            let inserted = transaction
                .execute(
                    &format!(
                        "INSERT INTO accounts ({ACCOUNT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT (pseudonym) DO NOTHING"
                    ),
                    params![
                        account.pseudonym.as_str(),
                        account.role.as_str(),
                        account.created_at.to_string(),
                        account.signin_code_sha256.map(|sha| sha.to_hex()),
                        account.passphrase_hash,
                        account.suspended_at.map(|at| at.to_string()),
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
                    "UPDATE accounts SET signin_code_sha256 = ?2, passphrase_hash = ?3,
                         suspended_at = ?4 WHERE pseudonym = ?1",
                    params![
                        account.pseudonym.as_str(),
                        account.signin_code_sha256.map(|sha| sha.to_hex()),
                        account.passphrase_hash,
                        account.suspended_at.map(|at| at.to_string()),
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
        self.connection
            .query_row(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE pseudonym = ?1"),
                [pseudonym.as_str()],
                |row| Ok(account_from_row(row)),
            )
            .optional()
            .map_err(db_error)?
            .transpose()
    }

    fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        let mut statement = self
            .connection
            .prepare(&format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY pseudonym"
            ))
            .map_err(db_error)?;
        let mut rows = statement.query([]).map_err(db_error)?;
        let mut accounts = Vec::new();
        while let Some(row) = rows.next().map_err(db_error)? {
            accounts.push(account_from_row(row)?);
        }
        Ok(accounts)
    }

    fn record_audit(&mut self, event: &AuditEvent) -> Result<(), StoreError> {
        self.audited(event, |_| Ok(()))
    }

    fn append_task_event(
        &mut self,
        queue_id: i64,
        expected: usize,
        event: &Recorded,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.append_event(queue_id, expected, event, audit)
    }

    fn task_events(&self, queue_id: i64) -> Result<Vec<Recorded>, StoreError> {
        self.events(queue_id)
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
        let mut statement = self
            .connection
            .prepare(
                "SELECT at, kind, actor, typist, until, reason, entry, queue_id FROM task_events
                 ORDER BY queue_id, seq",
            )
            .map_err(db_error)?;
        let mut rows = statement.query([]).map_err(db_error)?;
        let mut events: BTreeMap<i64, Vec<Recorded>> = BTreeMap::new();
        while let Some(row) = rows.next().map_err(db_error)? {
            let queue_id: i64 = row.get(7).map_err(db_error)?;
            events
                .entry(queue_id)
                .or_default()
                .push(event_from_row(row)?);
        }
        Ok(events)
    }

    fn audit(&self) -> Result<Vec<AuditEvent>, StoreError> {
        let mut statement = self
            .connection
            .prepare("SELECT at, actor, action, object, detail FROM audit ORDER BY id")
            .map_err(db_error)?;
        let mut rows = statement.query([]).map_err(db_error)?;
        let mut events = Vec::new();
        while let Some(row) = rows.next().map_err(db_error)? {
            let actor: Option<String> = row.get(1).map_err(db_error)?;
            events.push(AuditEvent {
                at: timestamp(&row.get::<_, String>(0).map_err(db_error)?)?,
                actor: actor
                    .map(|a| Pseudonym::new(&a).map_err(|e| corrupt(e.to_string())))
                    .transpose()?,
                action: row.get(2).map_err(db_error)?,
                object: row.get(3).map_err(db_error)?,
                detail: row.get(4).map_err(db_error)?,
            });
        }
        Ok(events)
    }
}

/// An entry as one column: `<centre>.<number>|<cells or candidates>|<counts>|<null>|<valid>|
/// <registered>`, `-` for a count not given.
fn entry_text(entry: &Entry) -> String {
    let (kind, values) = match &entry.counts {
        Counts::Cells(values) => ("cells", values),
        Counts::Candidates(values) => ("candidates", values),
    };
    let optional = |value: Option<u32>| value.map_or_else(|| "-".to_owned(), |v| v.to_string());
    // The declared counts are a seventh part, only when there are any: an entry without them
    // reads as entries stored before they existed.
    let declared = if entry.declared_counts.is_empty() {
        String::new()
    } else {
        let pairs: Vec<String> = entry
            .declared_counts
            .iter()
            .map(|(id, value)| format!("{id}={value}"))
            .collect();
        format!("|{}", pairs.join(","))
    };
    format!(
        "{}.{}|{kind}|{}|{}|{}|{}{declared}",
        entry.table.centre.get(),
        entry.table.number.get(),
        values
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(","),
        optional(entry.null_votes),
        optional(entry.stated_valid_votes),
        optional(entry.stated_registered),
    )
}

fn parse_entry(text: &str) -> Result<Entry, StoreError> {
    let bad = || corrupt(format!("task entry `{text}`"));
    let parts: Vec<&str> = text.split('|').collect();
    let (table, kind, counts, null, valid, registered, declared) = match parts[..] {
        [table, kind, counts, null, valid, registered] => {
            (table, kind, counts, null, valid, registered, "")
        }
        [table, kind, counts, null, valid, registered, declared] => {
            (table, kind, counts, null, valid, registered, declared)
        }
        _ => return Err(bad()),
    };
    let declared_counts = if declared.is_empty() {
        Vec::new()
    } else {
        declared
            .split(',')
            .map(|pair| {
                let (id, value) = pair.split_once('=').ok_or_else(bad)?;
                Ok((id.to_owned(), value.parse::<u32>().map_err(|_| bad())?))
            })
            .collect::<Result<Vec<_>, StoreError>>()?
    };
    let (centre, number) = table.split_once('.').ok_or_else(bad)?;
    let values = if counts.is_empty() {
        Vec::new()
    } else {
        counts
            .split(',')
            .map(|v| v.parse::<u32>().map_err(|_| bad()))
            .collect::<Result<Vec<_>, _>>()?
    };
    let optional = |text: &str| -> Result<Option<u32>, StoreError> {
        match text {
            "-" => Ok(None),
            number => number.parse().map(Some).map_err(|_| bad()),
        }
    };
    Ok(Entry {
        table: TableId::new(
            CentreCode::new(centre.parse().map_err(|_| bad())?),
            TableNumber::new(number.parse().map_err(|_| bad())?),
        ),
        counts: match kind {
            "cells" => Counts::Cells(values),
            "candidates" => Counts::Candidates(values),
            _ => return Err(bad()),
        },
        null_votes: optional(null)?,
        stated_valid_votes: optional(valid)?,
        stated_registered: optional(registered)?,
        declared_counts,
    })
}

/// The columns of an event: kind, actor, typist, until, reason, entry.
type EventColumns = (
    &'static str,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn event_columns(event: &Event) -> EventColumns {
    match event {
        Event::Claimed { by, until } => (
            "claimed",
            by.as_str().to_owned(),
            None,
            Some(until.to_string()),
            None,
            None,
        ),
        Event::Entered { by, entry } => (
            "entered",
            by.as_str().to_owned(),
            None,
            None,
            None,
            Some(entry_text(entry)),
        ),
        Event::Kept { by, typist, reason } => (
            "kept",
            by.as_str().to_owned(),
            Some(typist.as_str().to_owned()),
            None,
            Some(reason.clone()),
            None,
        ),
        Event::Returned { by, typist, reason } => (
            "returned",
            by.as_str().to_owned(),
            Some(typist.as_str().to_owned()),
            None,
            Some(reason.clone()),
            None,
        ),
        Event::Discarded { by, reason } => (
            "discarded",
            by.as_str().to_owned(),
            None,
            None,
            Some(reason.clone()),
            None,
        ),
    }
}

fn event_from_row(row: &Row<'_>) -> Result<Recorded, StoreError> {
    let get =
        |index: usize| -> Result<Option<String>, StoreError> { row.get(index).map_err(db_error) };
    let at: String = row.get(0).map_err(db_error)?;
    let kind: String = row.get(1).map_err(db_error)?;
    let actor: String = row.get(2).map_err(db_error)?;
    let pseudonym = |text: &str| Pseudonym::new(text).map_err(|e| corrupt(e.to_string()));
    let by = pseudonym(&actor)?;
    let missing = |what: &str| corrupt(format!("task event `{kind}` without its {what}"));
    let typist = || -> Result<Pseudonym, StoreError> {
        pseudonym(&get(3)?.ok_or_else(|| missing("typist"))?)
    };
    let reason = || -> Result<String, StoreError> { get(5)?.ok_or_else(|| missing("reason")) };
    let event = match kind.as_str() {
        "claimed" => Event::Claimed {
            by,
            until: timestamp(&get(4)?.ok_or_else(|| missing("time"))?)?,
        },
        "entered" => Event::Entered {
            by,
            entry: parse_entry(&get(6)?.ok_or_else(|| missing("entry"))?)?,
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
        at: timestamp(&at)?,
        event,
    })
}

impl SqliteStore {
    pub(crate) fn append_event(
        &mut self,
        queue_id: i64,
        expected: usize,
        event: &Recorded,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.audited(audit, |transaction| {
            let count: i64 = transaction
                .query_row(
                    "SELECT count(*) FROM task_events WHERE queue_id = ?1",
                    [queue_id],
                    |row| row.get(0),
                )
                .map_err(db_error)?;
            if usize::try_from(count).ok() != Some(expected) {
                return Err(StoreError::Conflict(format!(
                    "the page's task has {count} events, not the {expected} the action was decided on"
                )));
            }
            let (kind, actor, typist, until, reason, entry) = event_columns(&event.event);
            transaction
                .execute(
                    "INSERT INTO task_events
                         (queue_id, seq, at, kind, actor, typist, until, reason, entry)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    params![
                        queue_id,
                        count,
                        event.at.to_string(),
                        kind,
                        actor,
                        typist,
                        until,
                        reason,
                        entry
                    ],
                )
                .map_err(db_error)?;
            Ok(())
        })
    }

    pub(crate) fn events(&self, queue_id: i64) -> Result<Vec<Recorded>, StoreError> {
        let mut statement = self
            .connection
            .prepare(
                "SELECT at, kind, actor, typist, until, reason, entry FROM task_events
                 WHERE queue_id = ?1 ORDER BY seq",
            )
            .map_err(db_error)?;
        let mut rows = statement.query([queue_id]).map_err(db_error)?;
        let mut events = Vec::new();
        while let Some(row) = rows.next().map_err(db_error)? {
            events.push(event_from_row(row)?);
        }
        Ok(events)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_back_with_and_without_declared_counts() {
        let mut entry = Entry {
            table: TableId::new(CentreCode::new(1_001_001), TableNumber::new(2)),
            counts: Counts::Cells(vec![3, 0, 7]),
            null_votes: Some(1),
            stated_valid_votes: None,
            stated_registered: Some(300),
            declared_counts: Vec::new(),
        };
        let text = entry_text(&entry);
        assert_eq!(text, "1001001.2|cells|3,0,7|1|-|300");
        assert_eq!(parse_entry(&text).ok(), Some(entry.clone()));
        entry.declared_counts = vec![
            ("ballots_received".to_owned(), 300),
            ("blank".to_owned(), 0),
        ];
        let text = entry_text(&entry);
        assert_eq!(
            text,
            "1001001.2|cells|3,0,7|1|-|300|ballots_received=300,blank=0"
        );
        assert_eq!(parse_entry(&text).ok(), Some(entry));
        assert!(parse_entry("1001001.2|cells|3|1|-|300|blank").is_err());
    }
}
