//! Pages waiting for people, entered double-blind by typists ([`veedor_core::entry`]): every
//! action decided by the pure state machine on the task's events, appended only if no one else
//! acted meanwhile, and audited. When a page's numbers settle, they become an acta copy with
//! source `manual` (its provenance naming the scan, the page and the typists), stored through
//! the same batch as every other copy: validation, table status and the transparency log alike.

use std::collections::BTreeSet;

use sha2::{Digest as _, Sha256 as Hasher};
use veedor_core::entry::{Action, Entry, Event, Phase, Recorded, Refusal, Task, Volunteer};
use veedor_core::{ActaRecord, Location, Pseudonym, Sha256, SourceKind, Timestamp};
use veedor_scan::Limits;
use veedor_store::{
    Account, AuditEvent, BlobStore, FileKind, QueueEntry, SourceFile, Store, StoreError,
};

use crate::AppError;
use crate::batch::{
    CopyRow, ImportReport, KnownTables, Origin, Tables, apply_unsigned, copies_batch,
};

/// Why a task action failed. Nothing was stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TaskError {
    /// The state machine refused it.
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// No page waits under this number.
    #[error("no page waits for people under number {0}")]
    NoSuchTask(i64),
    /// Storing failed (a [`StoreError::Conflict`] when another volunteer acted meanwhile: ask
    /// again).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Storing the settled copy failed.
    #[error(transparent)]
    App(#[from] AppError),
}

/// A page waiting for people, with where its task stands.
#[derive(Clone, Debug)]
pub struct TaskView {
    /// The page.
    pub page: QueueEntry,
    /// Its task, as its events leave it now.
    pub task: Task,
}

/// The volunteers suspended now.
fn suspended(store: &dyn Store) -> Result<BTreeSet<Pseudonym>, StoreError> {
    Ok(store
        .accounts()?
        .into_iter()
        .filter(|account| account.suspended_at.is_some())
        .map(|account| account.pseudonym)
        .collect())
}

/// Every page waiting for people, with its task at `now`.
pub fn tasks(store: &dyn Store, now: Timestamp) -> Result<Vec<TaskView>, StoreError> {
    let suspended = suspended(store)?;
    let mut events = store.all_task_events()?;
    Ok(store
        .queue()?
        .into_iter()
        .map(|page| {
            let events = events.remove(&page.id).unwrap_or_default();
            TaskView {
                task: Task::derive(&events, &suspended, now),
                page,
            }
        })
        .collect())
}

/// What an action did.
#[derive(Clone, Debug)]
pub struct Acted {
    /// The task after it.
    pub task: Task,
    /// When it settled the page: the copy stored from it.
    pub stored: Option<ImportReport>,
}

fn action_name(event: &Event) -> &'static str {
    match event {
        Event::Claimed { .. } => "task.claim",
        Event::Entered { .. } => "task.enter",
        Event::Kept { .. } => "task.keep",
        Event::Returned { .. } => "task.return",
        Event::Discarded { .. } => "task.discard",
    }
}

/// Does `action` on the task of queued page `queue_id` as `actor` at `now`: refused by the
/// state machine, or recorded with its audit event; a page it settles is stored as a manual
/// copy (its published scan made from the original in `blobs`).
pub fn act(
    store: &mut dyn Store,
    blobs: &dyn BlobStore,
    actor: &Account,
    queue_id: i64,
    action: Action,
    now: Timestamp,
) -> Result<Acted, TaskError> {
    let page = store
        .queue()?
        .into_iter()
        .find(|page| page.id == queue_id)
        .ok_or(TaskError::NoSuchTask(queue_id))?;
    let suspended = suspended(store)?;
    let events = store.task_events(queue_id)?;
    let task = Task::derive(&events, &suspended, now);
    let volunteer = Volunteer {
        pseudonym: actor.pseudonym.clone(),
        role: actor.role,
        suspended: actor.suspended_at.is_some() || suspended.contains(&actor.pseudonym),
    };
    let event = task.decide(&volunteer, action, now)?;
    let detail = match &event {
        Event::Kept { typist, reason, .. } | Event::Returned { typist, reason, .. } => {
            format!("{typist}: {reason}")
        }
        Event::Discarded { reason, .. } => reason.clone(),
        // Never what was entered: entry is blind, and the audit is read by coordinators only,
        // but the numbers belong to the copy, once settled.
        Event::Claimed { .. } | Event::Entered { .. } => String::new(),
    };
    let audit = AuditEvent {
        at: now,
        actor: Some(actor.pseudonym.clone()),
        action: action_name(&event).to_owned(),
        object: format!("{} page {}", page.file_sha256, page.page),
        detail,
    };
    store.append_task_event(queue_id, events.len(), &Recorded { at: now, event }, &audit)?;
    let events = store.task_events(queue_id)?;
    let task = Task::derive(&events, &suspended, now);
    let stored = match &task.phase {
        Phase::Settled { entry, typists, .. } => {
            Some(settle(store, blobs, &page, entry, typists, now)?)
        }
        Phase::Open | Phase::Disputed => None,
    };
    Ok(Acted { task, stored })
}

/// Stores a settled page as a manual copy. Applying it again adds nothing: the batch's source
/// is named by the scan and page, so a settlement interrupted before its copy was stored is
/// completed by calling this again.
pub fn settle(
    store: &mut dyn Store,
    blobs: &dyn BlobStore,
    page: &QueueEntry,
    entry: &Entry,
    typists: &[Pseudonym],
    now: Timestamp,
) -> Result<ImportReport, AppError> {
    let election = store.election()?;
    let known = KnownTables::load(store)?;
    let name = format!(
        "veedor/manual-entry\n{}\npage {}\n",
        page.file_sha256, page.page
    );
    let source = SourceFile {
        kind: FileKind::Manual,
        file_name: page.file_name.clone(),
        sha256: Sha256::from_bytes(Hasher::digest(name.as_bytes()).into()),
        size: 0,
        received_at: now,
    };
    // The scan as published: its metadata stripped, as at intake (deterministic, so the same
    // file whichever page settles first).
    let published = match blobs.get(&page.file_sha256)? {
        Some(original) => match veedor_scan::strip_metadata(&original, &Limits::default()) {
            Ok(stripped) => Some(blobs.put(&stripped)?),
            Err(_) => None,
        },
        None => None,
    };
    let row = CopyRow {
        location: Location::Page(page.page),
        record: ActaRecord {
            table: entry.table,
            counts: entry.counts.clone(),
            null_votes: entry.null_votes,
            stated_valid_votes: entry.stated_valid_votes,
            stated_registered: entry.stated_registered,
            format_fields: Vec::new(),
            declared_counts: entry.declared_counts.clone(),
        },
        area_names: Vec::new(),
        published_sha256: published,
        same_image_as: None,
        entered_by: typists.to_vec(),
    };
    let mut origin = Origin::of(SourceKind::ManualEntry);
    origin.device = None;
    // The manual copy names the original scan: its file and page are the evidence.
    let (mut batch, mut report) = copies_batch(
        &election,
        &known,
        &source,
        &origin,
        vec![row],
        &[],
        Tables::Refer,
    );
    for copy in &mut batch.copies {
        copy.provenance.file_sha256 = page.file_sha256;
        copy.log_entry = veedor_formats::LogEntry::of_copy(
            &election.id,
            election.geography.centre_digits,
            &copy.record,
            &copy.provenance,
            &copy.findings,
        )
        .encode();
    }
    apply_unsigned(store, &batch, &mut report)?;
    Ok(report)
}
