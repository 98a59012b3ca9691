//! Coordinators' decisions on tables in conflict (migration 2): inserted with their log entry
//! and audit event in one transaction, never updated or deleted (triggers refuse both).

use postgres::Transaction;
use veedor_core::{Decision, EvidenceRef, Pseudonym, Reason};
use veedor_store::{AuditEvent, StoreError};

use crate::{
    PostgresStore, append_log_entry, corrupt, db_error, next_id, table_id, timestamp, to_i64,
};

fn evidence(text: &str) -> Result<EvidenceRef, StoreError> {
    EvidenceRef::parse(text).ok_or_else(|| corrupt(format!("decision's copy `{text}`")))
}

impl PostgresStore {
    /// [`veedor_store::ResultStore::record_decision`].
    pub(crate) fn insert_decision(
        &self,
        decision: &Decision,
        log_entry: &[u8],
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.audited(audit, |transaction| {
            let index = append_log_entry(transaction, log_entry)?;
            let id = next_id(transaction, "decisions", "id")?;
            let overruled = decision
                .overruled
                .iter()
                .map(EvidenceRef::describe)
                .collect::<Vec<_>>()
                .join(",");
            transaction
                .execute(
                    "INSERT INTO decisions (id, centre, number, keep, overruled, coordinator, reason,
                                            decided_at, log_idx)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    &[
                        &id,
                        &to_i64(decision.table.centre.get()),
                        &i64::from(decision.table.number.get()),
                        &decision.keep.describe(),
                        &overruled,
                        &decision.coordinator.as_str(),
                        &decision.reason.as_str(),
                        &decision.decided_at.to_string(),
                        &index,
                    ],
                )
                .map_err(db_error)?;
            Ok(())
        })
    }
}

/// Every decision, in the order recorded, with its log index.
pub(crate) fn read_decisions(
    transaction: &mut Transaction<'_>,
) -> Result<Vec<Decision>, StoreError> {
    transaction
        .query(
            "SELECT centre, number, keep, overruled, coordinator, reason, decided_at, log_idx
             FROM decisions ORDER BY id",
            &[],
        )
        .map_err(db_error)?
        .iter()
        .map(|row| {
            let overruled: &str = row.get(3);
            Ok(Decision {
                table: table_id(row.get(0), row.get(1))?,
                keep: evidence(row.get(2))?,
                overruled: if overruled.is_empty() {
                    Vec::new()
                } else {
                    overruled
                        .split(',')
                        .map(evidence)
                        .collect::<Result<_, _>>()?
                },
                coordinator: Pseudonym::new(row.get(4)).map_err(|e| corrupt(e.to_string()))?,
                reason: Reason::new(row.get(5)).map_err(|e| corrupt(e.to_string()))?,
                decided_at: timestamp(row.get(6))?,
                log_index: u64::try_from(row.get::<_, i64>(7)).ok(),
            })
        })
        .collect()
}
