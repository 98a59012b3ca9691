//! Brazil's BU QR codes: any set of texts (one a line) assembles into reports and refusals or
//! is refused whole, never panics; every distinct text is accounted for once; a report's parts
//! are 1 to n in order; a verified report has an intact chain and a valid signature. Also the
//! key readers (hex, TSE's digest list).
#![no_main]

use libfuzzer_sys::fuzz_target;
use veedor_formats::br_bu::{
    Assembled, KeyId, KeyRing, PublicKey, Verdict, assemble, parse_key_digests, verify,
};

/// The key printed in TSE's 2024 manual (`20240507/LEGAL/sacqrcode.pub`), for Acre, simulated.
const KEY: &str = "3c8dd2914fc8b20bd80b09744867684c051145e3f8b887d28af3d23a17a843dd";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_key_digests(text);
    let _ = PublicKey::from_hex(text.lines().next().unwrap_or_default());
    let payloads: Vec<&str> = text.split('\n').collect();
    let Ok(out) = assemble(&payloads) else {
        return;
    };
    let mut keys = KeyRing::new();
    if let (Ok(id), Ok(key)) = (KeyId::parse("AC", "S"), PublicKey::from_hex(KEY)) {
        keys.insert(id, key);
    }
    let mut seen: Vec<usize> = Vec::new();
    for item in &out {
        match item {
            Assembled::Report(report) => {
                assert_eq!(report.parts.len(), report.positions.len());
                for (index, part) in report.parts.iter().enumerate() {
                    assert_eq!(part.number.index, index + 1);
                    assert_eq!(part.number.count, report.parts.len());
                    assert_eq!(payloads[report.positions[index] - 1], part.text);
                }
                seen.extend(&report.positions);
                let checked = verify(report, &keys);
                if checked.verdict == Verdict::Verified {
                    assert!(checked.chain_intact);
                    assert_eq!(checked.signature_valid, Some(true));
                }
            }
            Assembled::Refused(refusal) => seen.extend(&refusal.positions),
        }
    }
    seen.sort_unstable();
    let firsts: Vec<usize> = (0..payloads.len())
        .filter(|&index| !payloads[..index].contains(&payloads[index]))
        .map(|index| index + 1)
        .collect();
    assert_eq!(seen, firsts, "every distinct text accounted for once");
});
