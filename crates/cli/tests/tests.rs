//! The `veedor` binary end to end, on real SQLite files in temporary folders.
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers: a panic is a failed test, with its message"
)]

mod analyze;
mod attacks;
mod brazil;
// The accessibility check of crates/web's a11y test (axe-core through tests/a11y/axe.mjs).
#[path = "../../web/tests/support/axe.rs"]
mod axe;
mod bad_input;
// The headless-Chromium helpers of crates/web's browser tests, shared rather than copied.
#[path = "../../web/tests/support/chromium.rs"]
mod chromium;
mod conflicts;
mod copies;
// The plain HTTP client of crates/web's socket test.
mod crash;
#[path = "../../web/tests/support/http.rs"]
mod http;
mod ingest;
mod ledger;
mod lookup;
mod mirror;
mod new_country;
mod output;
// The throwaway PostgreSQL server of crates/store-postgres' tests, shared rather than copied.
#[path = "../../store-postgres/tests/support/mod.rs"]
mod pg_server;
mod postgres;
mod profile;
mod real_results;
mod registry_log;
#[path = "../../blobs-s3/tests/support/mod.rs"]
mod s3_server;
mod same_results;
mod server_limits;
mod site;
mod support;
mod volunteers;
mod web;
