//! Architecture invariants as tests, after rust-analyzer's `xtask/src/tidy.rs`.
//!
//! ARCHITECTURE.md says what each crate may know. This crate turns those sentences into checks
//! that `cargo test --workspace` runs (`tests/tidy.rs`), so that the document and the code cannot
//! drift apart unnoticed:
//!
//! - [`check_dependencies`]: every crate of the workspace is in [`CRATES`], the table of layers
//!   and allowed edges, and depends only on what the table allows; pure crates pull in no I/O
//!   (read from `cargo metadata`);
//! - [`check_sources`]: the pure crates name no file system, clock, environment, process,
//!   network, JSON, SQL or async runtime outside their tests, and `veedor-web` names no store
//!   adapter;
//! - [`function_lengths`] and [`check_function_lengths`]: no function outside the tests grows
//!   past [`FUNCTION_LINE_LIMIT`] lines, except those in [`LONG_FUNCTIONS`];
//! - [`check_architecture_paths`] and [`check_readme_docs`]: the files the documents name exist.
//!
//! Every check is a pure function of text (metadata JSON, sources, documents, a list of paths)
//! returning [`Violation`]s, so that the tests can feed each one a violation and see it caught.

#![deny(missing_docs)]

mod crates;
mod docs;
mod length;
mod purity;
mod source;

use std::fmt;

pub use crates::{CRATES, CrateRule, Exception, Layer, OptionalEdge, Pure, check_dependencies};
pub use docs::{check_architecture_paths, check_readme_docs};
pub use length::{
    FUNCTION_LINE_LIMIT, FunctionLength, LONG_FUNCTIONS, LongFunction, check_function_lengths,
    function_lengths,
};
pub use purity::check_sources;

/// One Rust source file: its path from the workspace root (with `/`) and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path from the workspace root, such as `crates/core/src/lib.rs`.
    pub path: String,
    /// The file's contents.
    pub text: String,
}

/// Which invariant a violation breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A crate is missing from [`CRATES`] or depends on a crate the table does not allow.
    Layering,
    /// A pure crate depends on a library that does I/O (or core on anything but its list).
    PureDependencies,
    /// A pure crate's non-test code names the file system, the clock, JSON, SQL...
    NoIo,
    /// `veedor-web`'s non-test code names a store adapter.
    NamesAdapter,
    /// A non-test function is longer than the limit.
    FunctionLength,
    /// A document names a file that does not exist.
    DocumentedPath,
    /// An input could not be read at all (a source that does not parse, malformed metadata).
    Unreadable,
}

impl Rule {
    /// The rule's name, as the messages show it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Rule::Layering => "layering",
            Rule::PureDependencies => "pure-dependencies",
            Rule::NoIo => "no-io",
            Rule::NamesAdapter => "names-adapter",
            Rule::FunctionLength => "function-length",
            Rule::DocumentedPath => "documented-path",
            Rule::Unreadable => "unreadable",
        }
    }
}

/// A broken invariant: where, what, and which rule.
///
/// Shown as `where: what [rule]`, where `where` is a file (with a line when there is one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The rule broken.
    pub rule: Rule,
    /// The file, and line when known: `crates/core/src/lib.rs:12`, `crates/web/Cargo.toml`.
    pub at: String,
    /// What is wrong and what to do, in a sentence.
    pub message: String,
}

impl Violation {
    pub(crate) fn new(rule: Rule, at: impl Into<String>, message: impl Into<String>) -> Self {
        Violation {
            rule,
            at: at.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} [{}]", self.at, self.message, self.rule.name())
    }
}
