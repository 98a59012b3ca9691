//! veedor's public face. [`api`] holds the JSON documents (the command line's `--format json`
//! prints the same ones the HTTP API serves), built by hand from domain types.
#![deny(missing_docs)]

pub mod api;
pub mod opendata;
