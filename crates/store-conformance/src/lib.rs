//! The store conformance suite: one story told through the storage port (`veedor-store`) that
//! every adapter must pass, so that the embedded SQLite store and a PostgreSQL one behave alike
//! for everything above them. It uses the port only: no SQL, no adapter internals.
//!
//! The story, one [`Story`] carried through the steps [`run_all`] calls in order:
//!
//! 1. [`create_store`]: a store for the shipped election (`elections/ve-2024-presidential.toml`),
//!    its log opened with the election entry;
//! 2. [`import_table_lists`]: two table lists, the second adding a table, changing one and
//!    renaming an area;
//! 3. [`apply_results_once`]: a results file, then the same file again;
//! 4. [`corroborating_and_conflicting_copies`]: more copies of one table, agreeing and not,
//!    with a volunteer's pseudonym and a device;
//! 5. [`swap_registry`]: a voter registry replaced by another;
//! 6. [`keep_checkpoints`]: signed checkpoints, the first of a size kept;
//! 7. [`second_handle`]: another handle on the same location, writing and reading;
//! 8. [`interrupted_batches`]: batches that fail part-way leave nothing behind;
//! 9. [`queued_pages`]: scans with pages that need a person;
//! 10. [`blobs`]: scans by their SHA-256;
//!
//! and last [`reopened_sees_everything`]. After every write the whole store is read back through
//! the port and compared with what the story expects: tables and their keys, area names, the
//! dataset's copies with provenance and findings, sources with rejections, the queue, every log
//! entry and leaf hash, the registry and the latest checkpoint; and the store's `data_version`
//! must have changed, and must not change while the store is only read.
//!
//! # Running it on an adapter
//!
//! An adapter crate implements [`Adapter`] in its own integration test and calls [`run_all`]:
//! `crates/store-sqlite/tests/conformance.rs` does, on a temporary folder, and
//! `crates/store-postgres/tests/conformance.rs` on a fresh schema of a PostgreSQL database, both
//! in every test run. The PostgreSQL test runs on the database [`POSTGRES_VARIABLE`] names
//! (`VEEDOR_TEST_POSTGRES=postgres://user@host/database`, read with [`postgres_url`]), or, when
//! it is unset, on a throwaway server it starts from the PostgreSQL installed on the machine.
//!
//! [`requested_adapters`] lists the adapters the environment asks for that no crate of this
//! workspace runs the suite on, so that a run meant to test one fails rather than passing
//! without having touched it. Every adapter it can name now exists, so it is empty, unless the
//! variable is not a PostgreSQL URL, which is an error.
//!
//! The PostgreSQL adapter's test looks like this, each run on a fresh schema of its own:
//!
//! ```ignore
//! #[test]
//! fn postgres_passes_the_conformance_suite() -> Result<(), StoreError> {
//!     let server = support::Server::start(false).map_err(StoreError::Database)?;
//!     let url = veedor_store_postgres::fresh_schema(server.url())?;
//!     run_all(&Postgres { url })
//! }
//! ```
#![deny(missing_docs)]

mod fixtures;
mod snapshot;
mod steps;
mod story;

use veedor_core::Timestamp;
use veedor_store::{BlobStore, Store, StoreError};

pub use snapshot::{Contents, Snapshot};
pub use steps::{
    accounts_and_audit, apply_results_once, blobs, corroborating_and_conflicting_copies,
    create_store, decide_conflicts, import_table_lists, interrupted_batches, keep_checkpoints,
    queued_pages, reopened_sees_everything, second_handle, sessions, signing_turn, swap_registry,
    task_events,
};
pub use story::Story;

/// What the suite needs of an adapter. A value stands for one storage location (a folder, a
/// database schema), empty until [`Adapter::create`]; the suite creates the store once and then
/// opens further handles on the same location with [`Adapter::reopen`].
pub trait Adapter {
    /// Creates the store of an election in the empty location, its transparency log opened with
    /// `first_log_entry` (entry 0), as `veedor init` does. Fails with
    /// [`StoreError::AlreadyInitialised`] if the location holds a store already.
    fn create(
        &self,
        election_definition: &str,
        first_log_entry: &[u8],
        now: Timestamp,
    ) -> Result<Box<dyn Store>, StoreError>;

    /// Opens another handle on the store [`Adapter::create`] made, as another process (the web
    /// server beside an import) would.
    fn reopen(&self) -> Result<Box<dyn Store>, StoreError>;

    /// The blob store that goes with the store.
    fn blobs(&self) -> Result<Box<dyn BlobStore>, StoreError>;

    /// Makes every write fail part-way from now until [`Adapter::resume`], after it has stored
    /// something (its source, a table, a copy), as a crash or a lost connection would; for
    /// instance with a trigger that refuses to append to the log. Returns `false` if the adapter
    /// cannot, and the suite then interrupts batches only with the conflicts every adapter
    /// raises ([`StoreError::Conflict`]).
    fn interrupt(&self) -> Result<bool, StoreError> {
        Ok(false)
    }

    /// Undoes [`Adapter::interrupt`].
    fn resume(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Tells the whole story on a fresh adapter. Returns the first error of the store; a result
/// that differs from what the port promises panics with what was expected and what was read.
pub fn run_all(adapter: &dyn Adapter) -> Result<(), StoreError> {
    let mut story = create_store(adapter)?;
    import_table_lists(&mut story)?;
    apply_results_once(&mut story)?;
    corroborating_and_conflicting_copies(&mut story)?;
    swap_registry(&mut story)?;
    keep_checkpoints(&mut story)?;
    second_handle(&mut story)?;
    signing_turn(&mut story)?;
    interrupted_batches(&mut story)?;
    queued_pages(&mut story)?;
    blobs(&mut story)?;
    accounts_and_audit(&mut story)?;
    task_events(&mut story)?;
    sessions(&mut story)?;
    decide_conflicts(&mut story)?;
    reopened_sees_everything(&story)
}

/// The environment variable naming a PostgreSQL database (a `postgres://` URL) to run the suite
/// on. The database is the suite's to fill.
pub const POSTGRES_VARIABLE: &str = "VEEDOR_TEST_POSTGRES";

/// An adapter besides SQLite that the environment asks the suite to run on.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestedAdapter {
    /// PostgreSQL, at this URL (from [`POSTGRES_VARIABLE`]).
    Postgres {
        /// The `postgres://` or `postgresql://` URL.
        url: String,
    },
}

/// The adapters the environment asks for that no crate of this workspace runs the suite on:
/// none, since the PostgreSQL adapter (`crates/store-postgres`) exists and runs it on the URL
/// of [`POSTGRES_VARIABLE`]. A value that is not a PostgreSQL URL is still an error, so that a
/// typo fails instead of testing nothing.
pub fn requested_adapters() -> Result<Vec<RequestedAdapter>, String> {
    Ok(requested()?
        .into_iter()
        .filter(|adapter| !has_crate(adapter))
        .collect())
}

/// Whether a crate of this workspace runs the suite on the adapter.
fn has_crate(adapter: &RequestedAdapter) -> bool {
    match adapter {
        // crates/store-postgres/tests/conformance.rs
        RequestedAdapter::Postgres { .. } => true,
    }
}

/// The PostgreSQL URL of [`POSTGRES_VARIABLE`]: `None` when it is unset or empty, an error when
/// it is set to something else than a `postgres://` or `postgresql://` URL.
pub fn postgres_url() -> Result<Option<String>, String> {
    Ok(requested()?
        .into_iter()
        .map(|adapter| match adapter {
            RequestedAdapter::Postgres { url } => url,
        })
        .next())
}

/// Every adapter the environment names.
fn requested() -> Result<Vec<RequestedAdapter>, String> {
    match std::env::var(POSTGRES_VARIABLE) {
        Err(std::env::VarError::NotPresent) => Ok(Vec::new()),
        Err(std::env::VarError::NotUnicode(_)) => {
            Err(format!("{POSTGRES_VARIABLE} is not valid UTF-8"))
        }
        Ok(value) => requested_from(&value),
    }
}

/// [`requested_adapters`] of the variable's value.
fn requested_from(value: &str) -> Result<Vec<RequestedAdapter>, String> {
    let value = value.trim();
    if value.is_empty() {
        Ok(Vec::new())
    } else if value.starts_with("postgres://") || value.starts_with("postgresql://") {
        Ok(vec![RequestedAdapter::Postgres {
            url: value.to_owned(),
        }])
    } else {
        Err(format!(
            "{POSTGRES_VARIABLE} is set but is not a postgres:// or postgresql:// URL"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_asks_for_postgres_by_url_only() {
        assert_eq!(requested_from(""), Ok(Vec::new()));
        assert_eq!(requested_from("  "), Ok(Vec::new()));
        assert_eq!(
            requested_from("postgres://veedor@localhost/conformance"),
            Ok(vec![RequestedAdapter::Postgres {
                url: "postgres://veedor@localhost/conformance".to_owned()
            }])
        );
        assert_eq!(
            requested_from("postgresql://localhost"),
            Ok(vec![RequestedAdapter::Postgres {
                url: "postgresql://localhost".to_owned()
            }])
        );
        assert!(requested_from("1").is_err());
        assert!(requested_from("mysql://localhost").is_err());
    }

    #[test]
    fn every_adapter_that_can_be_requested_has_its_crate() {
        assert!(has_crate(&RequestedAdapter::Postgres {
            url: "postgres://localhost".to_owned()
        }));
    }
}
