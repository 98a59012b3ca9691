//! Volunteers' accounts and the audit log ([`VolunteerStore`]): two tables of migration 6. The
//! audit table refuses updates and deletes itself (triggers), so that even a bug here cannot
//! rewrite the record.

use rusqlite::{OptionalExtension as _, Row, TransactionBehavior, params};
use veedor_core::entry::Role;
use veedor_core::{Pseudonym, Sha256};
use veedor_store::{Account, AuditEvent, StoreError, VolunteerStore};

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

impl VolunteerStore for SqliteStore {
    fn add_account(&mut self, account: &Account, audit: &AuditEvent) -> Result<(), StoreError> {
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_error)?;
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
        insert_audit(&transaction, audit)?;
        bump_version(&transaction)?;
        transaction.commit().map_err(db_error)
    }

    fn update_account(&mut self, account: &Account, audit: &AuditEvent) -> Result<(), StoreError> {
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_error)?;
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
        insert_audit(&transaction, audit)?;
        bump_version(&transaction)?;
        transaction.commit().map_err(db_error)
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
        let transaction = self
            .connection
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_error)?;
        insert_audit(&transaction, event)?;
        bump_version(&transaction)?;
        transaction.commit().map_err(db_error)
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
