//! veedor's domain: the election, its tables and voters, actas and their copies, validation,
//! table status, the tally at every level and the comparison with official results.
//!
//! This crate does no I/O: no files, no network, no clock, no SQL, no JSON. Times and hashes
//! come in as values; storage and formats are other crates' business.
#![deny(missing_docs)]

mod acta;
mod compare;
mod decision;
mod election;
pub mod entry;
mod evidence;
mod id;
mod registry;
mod results;
mod sheet;
mod status;
mod tally;
mod validate;

pub use acta::{
    ActaCopy, ActaRecord, Counts, EvidenceRef, Location, Provenance, SEAL_FIELD, Seal, SourceKind,
};
pub use compare::{Comparison, ComparisonRow, compare};
pub use decision::{Decision, DecisionError, MAX_OVERRULED, MAX_REASON_CHARS, Reason};
pub use election::{
    AreaCode, Bulletin, BulletinArea, Candidate, Card, DeclaredArea, DeclaredTotals, Election,
    Geography, Level, LocalText,
};
pub use evidence::{evidence_count, evidence_groups, same_evidence};
pub use id::{CentreCode, CopyId, Pseudonym, Sha256, TableId, TableKey, TableNumber, VoterId};
pub use jiff::{Timestamp, civil::Date};
pub use registry::{Registry, RegistryBuilder, VoterIds};
pub use results::{Dataset, PollingTable, Results, TableState};
pub use sheet::{BUILT_IN, CountField, Operand, Relation, ResultColumns, Rule, SheetModel, Term};
pub use status::{Assessment, TableResult, TableStatus, assess};
pub use tally::{Tally, Totals, percent};
pub use validate::{DeclaredCode, Finding, FindingCode, Place, validate};

/// What can go wrong in the domain: malformed identifiers, an inconsistent election, a corrupt
/// registry.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CoreError {
    /// A centre code that is not 1 to `digits` decimal digits.
    #[error("centre code `{text}`: expected at most {digits} decimal digits")]
    InvalidCentreCode {
        /// What was given.
        text: String,
        /// The maximum.
        digits: u8,
    },
    /// A table number that is not a positive integer below 65,536.
    #[error("table number `{text}`: expected a whole number from 1 to 65535")]
    InvalidTableNumber {
        /// What was given.
        text: String,
    },
    /// A table id not of the form `<centre>.<number>`.
    #[error("table `{text}`: expected `<centre code>.<table number>`, like 201301006.01")]
    InvalidTableId {
        /// What was given.
        text: String,
    },
    /// A voter id that is not a number.
    #[error(
        "voter id `{text}`: expected a number of up to 18 digits, optionally after an allowed letter prefix"
    )]
    InvalidVoterId {
        /// What was given (at most 40 characters of it).
        text: String,
    },
    /// A digest that is not 64 hex digits.
    #[error("digest `{text}`: expected 64 hexadecimal digits")]
    InvalidDigest {
        /// What was given.
        text: String,
    },
    /// A pseudonym with other characters.
    #[error("pseudonym `{text}`: expected 1 to 40 letters, digits, `-` or `_`")]
    InvalidPseudonym {
        /// What was given.
        text: String,
    },
    /// A level that the geography does not have.
    #[error("unknown level `{level}`; the levels are: {known}")]
    UnknownLevel {
        /// What was given.
        level: String,
        /// The levels there are.
        known: String,
    },
    /// An area code that does not fit its level.
    #[error("{level} code `{text}`: expected at most {digits} decimal digits")]
    InvalidAreaCode {
        /// The level.
        level: String,
        /// What was given.
        text: String,
        /// The level's digits.
        digits: u8,
    },
    /// An election whose parts do not fit together.
    #[error("invalid election: {reason}")]
    InvalidElection {
        /// Why.
        reason: String,
    },
    /// A voter id given twice to the registry.
    #[error("voter {voter} appears more than once")]
    DuplicateVoter {
        /// The voter.
        voter: VoterId,
    },
    /// Registry arrays that are not sorted or not of equal length.
    #[error("the registry's arrays are corrupt (unsorted or of unequal length)")]
    CorruptRegistry,
}
