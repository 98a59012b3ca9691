//! Synthetic data for the demo, the tests and the benchmarks. Nothing here is real: the voter
//! ids are made up (and carry no names), spread over real tables in proportion to their
//! registered voters.
#![deny(missing_docs)]

pub mod registry;
