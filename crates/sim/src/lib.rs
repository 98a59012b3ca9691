//! Synthetic data for veedor's demo, tests and benchmarks. Nothing here is real.
//!
//! - [`registry`] spreads made-up voter ids (no names) over real tables in proportion to their
//!   registered voters, scaled to any total.
//! - [`sheet`] renders acta tally sheets as a flatbed scanner or a phone camera would deliver
//!   them: a letter-size page with the header, the ballot's cards, signatures and the QR code
//!   printed by the voting machine, then degraded (resolution, rotation, skew, JPEG noise, a
//!   fold, a stamp, colour or grey, perspective and uneven light) deterministically from a seed,
//!   and encoded as JPEG, PNG, TIFF or PDF files. Callers fill a plain [`sheet::Sheet`], or a
//!   [`sheet::BuSheet`] for a Brazilian boletim de urna and all its QR codes.

#![deny(missing_docs)]

pub mod country;
pub mod registry;
pub mod sheet;
