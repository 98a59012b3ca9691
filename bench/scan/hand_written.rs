//! The hand-written pieces of veedor-scan, each timed beside the library code it replaces
//! (bench/scan/RESULTS.md). A benchmark, not a test: run by hand, in release.
//!
//! `cargo run --release -p veedor-scan --features bench-internals --example hand_written`

fn main() {
    veedor_scan::timing::hand_written_pieces_against_the_library();
}
