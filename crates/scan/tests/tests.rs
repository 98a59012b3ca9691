//! veedor-scan's integration tests, one binary (STYLE.md, tests).
#![allow(clippy::unwrap_used, reason = "tests fail loudly on purpose")]

mod bad_inputs;
mod br_bu;
mod conditions;
mod containers;
mod mutations;
mod similar;
mod strip;
mod support;
