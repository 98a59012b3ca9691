//! Conflicts between copies: the tables whose copies disagree, and a coordinator's decision on
//! one of them (`veedor_core::Decision`, whose rules are in `decision.rs` of core), stored with
//! its transparency-log entry (`veedor/decision/1`) and its audit event (`copy.decide`) in one
//! transaction. A decision never edits or removes a copy: it is a new record, published with its
//! coordinator's pseudonym and reason.
//!
//! Copies are named as the command line prints them: `#12` (the store's copy id, as `veedor
//! lookup` lists the copies), or by evidence, `<file sha256>:page 2` (or ` page 2`, `line 3`),
//! where the SHA-256 may be shortened to a prefix of at least 6 hex digits and the place left out
//! when one copy of the table matches.

use veedor_core::entry::Role;
use veedor_core::{
    ActaCopy, Decision, DecisionError, EvidenceRef, Location, Reason, Results, TableId,
    TableStatus, Timestamp,
};
use veedor_formats::DecisionEntry;
use veedor_store::{Account, AuditEvent, Store, StoreError};

/// The shortest SHA-256 prefix that names a copy.
pub const MIN_PREFIX_DIGITS: usize = 6;

/// Why a decision was not taken. Nothing was stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecideError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No such account.
    #[error("no volunteer {0}")]
    NoSuchAccount(String),
    /// Only coordinators decide.
    #[error("{pseudonym} is a {role}: only a coordinator decides between copies")]
    NotCoordinator {
        /// Who tried.
        pseudonym: String,
        /// Their role.
        role: &'static str,
    },
    /// A suspended coordinator.
    #[error("{0} is suspended")]
    Suspended(String),
    /// A table no source established (a table list, a results file defining tables).
    #[error("table {0} is not established: no table list or results file defines it")]
    UnknownTable(String),
    /// A copy name that is neither `#ID` nor `<sha256>[:page N]`.
    #[error(
        "copy `{0}`: expected `#ID` (as `veedor lookup` lists copies) or `<file sha256 or a prefix of at least {MIN_PREFIX_DIGITS} hex digits>[:page N | :line N]`"
    )]
    BadCopyName(String),
    /// No copy of the table is named so.
    #[error("table {table} has no copy `{copy}`; its copies: {copies}")]
    NoSuchCopy {
        /// The table.
        table: String,
        /// The name given.
        copy: String,
        /// The table's copies, as they can be named.
        copies: String,
    },
    /// Several of the table's copies are named so.
    #[error(
        "`{copy}` names {count} copies of table {table}: give the place (`:page N`) or more digits"
    )]
    AmbiguousCopy {
        /// The table.
        table: String,
        /// The name given.
        copy: String,
        /// How many.
        count: usize,
    },
    /// The domain refused the decision (no conflict, a copy with errors, a bad reason).
    #[error(transparent)]
    Refused(#[from] DecisionError),
}

/// A table whose copies disagree, with its copies and the decision on it, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableInConflict {
    /// The table.
    pub table: TableId,
    /// `Conflict` (waiting for a decision, or a decision that no longer covers a newer copy),
    /// `Decided`, or `AwaitingPerson` (decided, the kept copy now carrying an error finding).
    pub status: TableStatus,
    /// Its copies, oldest first.
    pub copies: Vec<ActaCopy>,
    /// The latest decision that keeps one of its copies.
    pub decision: Option<Decision>,
}

/// The established tables whose copies disagree, in table order: those in conflict and, with
/// `include_decided`, those a decision settled too.
#[must_use]
pub fn conflicts(results: &Results, include_decided: bool) -> Vec<TableInConflict> {
    results
        .tables()
        .filter(|(_, state)| state.table.is_some())
        .filter(|(_, state)| {
            state.assessment.status == TableStatus::Conflict
                || (include_decided && state.assessment.decision.is_some())
        })
        .map(|(id, state)| TableInConflict {
            table: *id,
            status: state.assessment.status,
            copies: results.copies_of(state).cloned().collect(),
            decision: state.assessment.decision.clone(),
        })
        .collect()
}

/// How a copy can be named: `<sha256>:page N`.
#[must_use]
pub fn copy_name(copy: &ActaCopy) -> String {
    let evidence = copy.provenance.evidence_ref();
    format!(
        "{}:{}",
        evidence.file_sha256.to_hex(),
        evidence.location.describe()
    )
}

/// The copy of `table` that `name` names (see the module's documentation), by its evidence.
pub fn find_copy(
    results: &Results,
    table: TableId,
    name: &str,
) -> Result<EvidenceRef, DecideError> {
    let digits = results.election().geography.centre_digits;
    let copies: Vec<&ActaCopy> = results
        .table(table)
        .map(|state| results.copies_of(state).collect())
        .unwrap_or_default();
    let name = name.trim();
    let matching: Vec<&ActaCopy> = if let Some(id) = name.strip_prefix('#') {
        let id: i64 = id
            .parse()
            .map_err(|_| DecideError::BadCopyName(name.to_owned()))?;
        copies
            .iter()
            .copied()
            .filter(|c| c.id.get() == id)
            .collect()
    } else {
        let (hex, place) = match name.split_once([':', ' ']) {
            Some((hex, place)) => (
                hex,
                Some(
                    Location::parse(place.trim())
                        .ok_or_else(|| DecideError::BadCopyName(name.to_owned()))?,
                ),
            ),
            None => (name, None),
        };
        let hex = hex.to_ascii_lowercase();
        if hex.len() < MIN_PREFIX_DIGITS
            || hex.len() > 64
            || !hex.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(DecideError::BadCopyName(name.to_owned()));
        }
        copies
            .iter()
            .copied()
            .filter(|c| c.provenance.file_sha256.to_hex().starts_with(&hex))
            .filter(|c| place.is_none_or(|place| c.provenance.location == place))
            .collect()
    };
    let mut evidence: Vec<EvidenceRef> = matching
        .iter()
        .map(|c| c.provenance.evidence_ref())
        .collect();
    evidence.sort_unstable();
    evidence.dedup();
    match evidence.as_slice() {
        [one] => Ok(*one),
        [] => Err(DecideError::NoSuchCopy {
            table: table.display(digits),
            copy: name.to_owned(),
            copies: copies
                .iter()
                .map(|c| format!("#{} {}", c.id, copy_name(c)))
                .collect::<Vec<_>>()
                .join(", "),
        }),
        many => Err(DecideError::AmbiguousCopy {
            table: table.display(digits),
            copy: name.to_owned(),
            count: many.len(),
        }),
    }
}

/// A coordinator keeps one copy of a table in conflict: checked against the store's data now
/// (`veedor_core::Decision::new`), then stored with its log entry and audit event in one
/// transaction. The account is read again from the store, so that a suspension since sign-in
/// counts. The caller signs a checkpoint afterwards, as after any write to the log.
pub fn decide(
    store: &mut dyn Store,
    actor: &Account,
    table: TableId,
    copy: &str,
    reason: &str,
    now: Timestamp,
) -> Result<Decision, DecideError> {
    let account = store
        .account(&actor.pseudonym)?
        .ok_or_else(|| DecideError::NoSuchAccount(actor.pseudonym.to_string()))?;
    if account.role != Role::Coordinator {
        return Err(DecideError::NotCoordinator {
            pseudonym: account.pseudonym.to_string(),
            role: account.role.as_str(),
        });
    }
    if account.suspended_at.is_some() {
        return Err(DecideError::Suspended(account.pseudonym.to_string()));
    }
    let reason = Reason::new(reason)?;
    let results = Results::compute(store.load_dataset()?);
    let election = results.election();
    let digits = election.geography.centre_digits;
    let Some(state) = results.table(table).filter(|state| state.table.is_some()) else {
        return Err(DecideError::UnknownTable(table.display(digits)));
    };
    let keep = find_copy(&results, table, copy)?;
    let copies: Vec<&ActaCopy> = results.copies_of(state).collect();
    let decision = Decision::new(
        table,
        &copies,
        state.assessment.status,
        keep,
        account.pseudonym.clone(),
        reason,
        now,
        election,
    )?;
    let entry = DecisionEntry {
        election: election.id.clone(),
        decision: decision.clone(),
    }
    .encode(digits);
    let audit = AuditEvent {
        at: now,
        actor: Some(account.pseudonym.clone()),
        action: "copy.decide".to_owned(),
        object: format!("table {} keep {}", table.display(digits), keep.describe()),
        detail: decision.reason.to_string(),
    };
    store.record_decision(&decision, &entry, &audit)?;
    Ok(decision)
}
