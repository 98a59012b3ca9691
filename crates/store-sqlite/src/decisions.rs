//! Coordinators' decisions on tables in conflict (migration 8): inserted with their log entry
//! and audit event in one transaction, never updated or deleted (triggers refuse both).

use rusqlite::{Connection, params};
use veedor_core::{Decision, EvidenceRef, Pseudonym, Reason};
use veedor_store::{AuditEvent, StoreError};

use crate::{SqliteStore, corrupt, db_error, table_id, timestamp};

fn evidence(text: &str) -> Result<EvidenceRef, StoreError> {
    EvidenceRef::parse(text).ok_or_else(|| corrupt(format!("decision's copy `{text}`")))
}

impl SqliteStore {
    /// [`veedor_store::ResultStore::record_decision`].
    pub(crate) fn insert_decision(
        &mut self,
        decision: &Decision,
        log_entry: &[u8],
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.audited(audit, |transaction| {
            let log_size: i64 = transaction
                .query_row("SELECT count(*) FROM log_entries", [], |row| row.get(0))
                .map_err(db_error)?;
            transaction
                .execute(
                    "INSERT INTO log_entries (idx, copy_id, entry, leaf_hash) VALUES (?1, NULL, ?2, ?3)",
                    params![
                        log_size,
                        log_entry,
                        &veedor_ledger::leaf_hash(log_entry).as_bytes()[..]
                    ],
                )
                .map_err(db_error)?;
            let overruled = decision
                .overruled
                .iter()
                .map(EvidenceRef::describe)
                .collect::<Vec<_>>()
                .join(",");
            transaction
                .execute(
                    "INSERT INTO decisions (centre, number, keep, overruled, coordinator, reason,
                                            decided_at, log_idx)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                    params![
                        i64::try_from(decision.table.centre.get()).unwrap_or(i64::MAX),
                        i64::from(decision.table.number.get()),
                        decision.keep.describe(),
                        overruled,
                        decision.coordinator.as_str(),
                        decision.reason.as_str(),
                        decision.decided_at.to_string(),
                        log_size,
                    ],
                )
                .map_err(db_error)?;
            Ok(())
        })
    }
}

/// Every decision, in the order recorded, with its log index.
pub(crate) fn read_decisions(connection: &Connection) -> Result<Vec<Decision>, StoreError> {
    let mut statement = connection
        .prepare_cached(
            "SELECT centre, number, keep, overruled, coordinator, reason, decided_at, log_idx
             FROM decisions ORDER BY id",
        )
        .map_err(db_error)?;
    let mut rows = statement.query([]).map_err(db_error)?;
    let mut decisions = Vec::new();
    while let Some(row) = rows.next().map_err(db_error)? {
        let text = |index: usize| row.get::<_, String>(index).map_err(db_error);
        let overruled = text(3)?;
        decisions.push(Decision {
            table: table_id(row.get(0).map_err(db_error)?, row.get(1).map_err(db_error)?)?,
            keep: evidence(&text(2)?)?,
            overruled: if overruled.is_empty() {
                Vec::new()
            } else {
                overruled
                    .split(',')
                    .map(evidence)
                    .collect::<Result<_, _>>()?
            },
            coordinator: Pseudonym::new(&text(4)?).map_err(|e| corrupt(e.to_string()))?,
            reason: Reason::new(&text(5)?).map_err(|e| corrupt(e.to_string()))?,
            decided_at: timestamp(&text(6)?)?,
            log_index: u64::try_from(row.get::<_, i64>(7).map_err(db_error)?).ok(),
        });
    }
    Ok(decisions)
}
