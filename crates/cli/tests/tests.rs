//! The `veedor` binary end to end, on real SQLite files in temporary folders.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a panic is a failed test, with its message"
)]

mod bad_input;
mod copies;
mod crash;
mod ingest;
mod ledger;
mod lookup;
mod mirror;
mod real_results;
mod support;
mod web;
