//! What one voter's lookup key costs natively, per core: `cargo run --release -p veedor-formats
//! --example lookup_cost [COST] [KEYS]` (COST as `veedor import registry --lookup-cost` takes it,
//! default `protective`; KEYS, default 50). Prints the keys per second on one thread and what
//! that makes for a publisher's 21 million voters and an attacker's 10^8 ids. Figures in
//! docs/mirror.md.

use std::time::Instant;

use veedor_core::VoterId;
use veedor_formats::lookup::{LookupKdf, lookup_salt};

fn main() -> Result<(), String> {
    let mut arguments = std::env::args().skip(1);
    let kdf = LookupKdf::parse(&arguments.next().unwrap_or_else(|| "protective".to_owned()))?;
    let keys: u64 = arguments.next().map_or(Ok(50), |text| {
        text.parse()
            .map_err(|_| format!("KEYS: `{text}` is not a number"))
    })?;
    let salt = lookup_salt("ve-2024-presidential");
    let started = Instant::now();
    let mut fold = 0u8;
    for voter in 0..keys {
        fold ^= kdf.key(&salt, VoterId::new(10_000_000 + voter))[0];
    }
    let seconds =
        started.elapsed().as_secs_f64() / f64::from(u32::try_from(keys).unwrap_or(u32::MAX));
    let day = 86_400.0;
    println!(
        "{kdf}: {keys} keys on one thread, {:.3} ms a key, {:.1} keys/s per core (fold {fold})",
        seconds * 1e3,
        1.0 / seconds
    );
    println!(
        "publisher, 21,000,000 voters: {:.2} CPU-days",
        21e6 * seconds / day
    );
    println!(
        "attacker, 10^8 ids: {:.2} CPU-days ({:.3} CPU-years); 3.5x10^7 ids: {:.2} CPU-days",
        1e8 * seconds / day,
        1e8 * seconds / day / 365.0,
        3.5e7 * seconds / day
    );
    Ok(())
}
