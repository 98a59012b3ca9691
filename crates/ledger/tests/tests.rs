//! Integration tests of veedor-ledger, compiled as one binary.

mod interop;
mod mirror;
mod proofs;
mod support;
