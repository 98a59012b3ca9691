//! Integration tests of veedor-ledger, compiled as one binary.

mod interop;
mod mirror;
mod parsers;
mod proofs;
mod support;
