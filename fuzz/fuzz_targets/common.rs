// The shipped election, parsed once.
use std::sync::OnceLock;

use veedor_core::Election;

pub fn election() -> &'static Election {
    static ELECTION: OnceLock<Election> = OnceLock::new();
    ELECTION.get_or_init(|| {
        veedor_formats::parse_election(include_str!("../../elections/ve-2024-presidential.toml"))
            .expect("the shipped election parses")
    })
}

/// The made-up country of elections/examples: declared counts, its own rules and a centre code
/// made of three columns.
pub fn ruritania() -> &'static Election {
    static ELECTION: OnceLock<Election> = OnceLock::new();
    ELECTION.get_or_init(|| {
        veedor_formats::parse_election(include_str!(
            "../../elections/examples/ruritania-2025-legislative.toml"
        ))
        .expect("the example election parses")
    })
}

/// Brazil's example election (`br-bu`): QR texts assembled into reports, chain and signature
/// checked with its key.
#[allow(dead_code)]
pub fn brazil() -> &'static Election {
    static ELECTION: OnceLock<Election> = OnceLock::new();
    ELECTION.get_or_init(|| {
        veedor_formats::parse_election(include_str!("../../elections/br-2024-ac-example.toml"))
            .expect("the Brazilian example parses")
    })
}
