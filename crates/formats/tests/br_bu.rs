//! Brazil's BU QR codes on the vectors of `shared/data/br-bu/` (TSE's manuals of 2016, 2024 and
//! 2026, TSE's 2024 example pack, one real 2022 report; see its README.md), and attacks on them.

use std::path::PathBuf;

use serde_json::Value;
use sha2::{Digest as _, Sha512};
use veedor_formats::br_bu::{
    Assembled, BuError, BuPart, BuReport, FindingCode, KeyId, KeyRing, MAX_PAYLOAD_BYTES,
    MAX_PAYLOADS, OfficeKind, Phase, PublicKey, Refusal, Uf, Verdict, assemble, parse_key_digests,
    verify,
};

/// The key printed in the 2024 manual (sec. 6.1): `20240507/LEGAL/sacqrcode.pub`.
const KEY_2024_AC_S: &str = "3c8dd2914fc8b20bd80b09744867684c051145e3f8b887d28af3d23a17a843dd";
/// The key printed in the 2016 manual (1.4).
const KEY_2016: &str = "cf3af898467a5b7a52d33d53bc037e2642a8da996903fc252217e9c033e2f291";

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/br-bu")
}

struct Vector {
    number: usize,
    parts: Vec<String>,
    key: Option<String>,
    chain_ok: bool,
    signature_ok: Option<bool>,
}

fn vectors() -> Vec<Vector> {
    let path = data_dir().join("bu_qr_test_vectors.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let json: Value = serde_json::from_str(&text).unwrap_or_else(|error| panic!("{error}"));
    let sets = json["sets"].as_array().cloned().unwrap_or_default();
    sets.iter()
        .enumerate()
        .map(|(number, set)| Vector {
            number,
            parts: set["parts"]
                .as_array()
                .map(|parts| {
                    parts
                        .iter()
                        .filter_map(|part| part.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            key: set["ed25519_public_key_hex"].as_str().map(str::to_owned),
            chain_ok: set["hash_chain_ok"].as_bool().unwrap_or(false),
            signature_ok: set["signature_ok"].as_bool(),
        })
        .collect()
}

fn vector(number: usize) -> Vector {
    vectors()
        .into_iter()
        .nth(number)
        .unwrap_or_else(|| panic!("no vector {number}"))
}

fn refs(parts: &[String]) -> Vec<&str> {
    parts.iter().map(String::as_str).collect()
}

fn key(hex: &str) -> PublicKey {
    PublicKey::from_hex(hex).unwrap_or_else(|error| panic!("{error}"))
}

fn ring(entries: &[(&str, &str, &str)]) -> KeyRing {
    let mut keys = KeyRing::new();
    for (uf, phase, hex) in entries {
        let id = KeyId::parse(uf, phase).unwrap_or_else(|error| panic!("{error}"));
        keys.insert(id, key(hex));
    }
    keys
}

/// The keys a vector gives, for the report's own state and phase.
fn keys_of(vector: &Vector, report: &BuReport) -> KeyRing {
    let mut keys = KeyRing::new();
    if let Some(hex) = &vector.key {
        keys.insert(
            KeyId {
                uf: report.uf,
                phase: report.phase,
            },
            key(hex),
        );
    }
    keys
}

fn assembled(payloads: &[&str]) -> Vec<Assembled> {
    assemble(payloads).unwrap_or_else(|error| panic!("{error}"))
}

fn one_report(payloads: &[&str]) -> BuReport {
    match &assembled(payloads)[..] {
        [Assembled::Report(report)] => report.clone(),
        other => panic!("expected one report, got {other:#?}"),
    }
}

fn one_refusal(payloads: &[&str]) -> Refusal {
    match &assembled(payloads)[..] {
        [Assembled::Refused(refusal)] => refusal.clone(),
        other => panic!("expected one refusal, got {other:#?}"),
    }
}

#[test]
fn every_vector_gives_its_expected_chain_and_signature_result() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 20, "the README's 20 BUs");
    // The README says 27 QR texts; the file has 26 (16 reports of one part, three of two, one
    // of four).
    assert_eq!(vectors.iter().map(|v| v.parts.len()).sum::<usize>(), 26);
    for vector in &vectors {
        // Parts in reverse order, and each twice: order and repeats do not matter.
        let mut payloads = refs(&vector.parts);
        payloads.reverse();
        payloads.extend(refs(&vector.parts));
        let report = one_report(&payloads);
        assert_eq!(report.parts.len(), vector.parts.len());
        let checked = verify(&report, &keys_of(vector, &report));
        let set = vector.number;
        assert_eq!(checked.chain_intact, vector.chain_ok, "set {set}");
        assert_eq!(checked.signature_valid, vector.signature_ok, "set {set}");
        let expected = match vector.signature_ok {
            Some(true) => Verdict::Verified,
            Some(false) => Verdict::Failed,
            None => Verdict::NotCheckable,
        };
        assert_eq!(
            checked.verdict, expected,
            "set {set}: {:#?}",
            checked.findings
        );
        // The only findings are the one saying why the signature was not checked: no totals
        // that fail to add up, so no figure was misread.
        let codes: Vec<FindingCode> = checked.findings.iter().map(|f| f.code).collect();
        let why = match (vector.signature_ok, report.layout()) {
            (Some(_), _) => vec![],
            (None, Some("6.0")) => vec![FindingCode::SignatureByUrnaKey],
            (None, _) => vec![FindingCode::KeyUnknown],
        };
        assert_eq!(codes, why, "set {set}: {:#?}", checked.findings);
    }
}

/// Per vector: ORIG, UNFE, MUNI, ZONA, SECA, APTO, COMP, official (FASE:O), and the offices
/// (CARG) in printed order, as the texts print them.
type Expected = (
    &'static str,
    &'static str,
    u32,
    u32,
    u32,
    Option<u32>,
    Option<u32>,
    bool,
    &'static [u32],
);

const EXPECTED: [Expected; 20] = [
    (
        "VOTA",
        "AC",
        1120,
        8,
        2,
        Some(144),
        Some(2),
        false,
        &[13, 11],
    ),
    ("RED", "AC", 1120, 8, 1, Some(49), Some(2), false, &[13, 11]),
    ("SA", "AC", 1120, 8, 2, None, None, false, &[13, 11]),
    (
        "VOTA",
        "AC",
        1392,
        9,
        22,
        Some(559),
        Some(504),
        false,
        &[13, 11],
    ),
    (
        "VOTA",
        "AC",
        1392,
        9,
        31,
        Some(40),
        Some(10),
        false,
        &[13, 11],
    ),
    (
        "RED",
        "AC",
        1120,
        8,
        1,
        Some(49),
        Some(10),
        false,
        &[13, 11, 51, 64],
    ),
    ("SA", "AC", 1392, 1, 6, None, None, false, &[13, 11]),
    ("SA", "AC", 1120, 8, 1, None, None, false, &[13, 11, 51, 64]),
    (
        "RED",
        "PR",
        76910,
        66,
        222,
        Some(252),
        Some(10),
        false,
        &[11],
    ),
    ("SA", "PR", 76910, 66, 400, None, None, false, &[11]),
    (
        "VOTA",
        "PR",
        76910,
        66,
        110,
        Some(291),
        Some(10),
        false,
        &[11],
    ),
    (
        "VOTA",
        "PR",
        75353,
        1,
        51,
        Some(248),
        Some(10),
        false,
        &[13, 11, 5],
    ),
    (
        "VOTA",
        "MG",
        41238,
        26,
        16,
        Some(440),
        Some(10),
        false,
        &[13, 11, 56],
    ),
    (
        "VOTA",
        "PR",
        76210,
        36,
        45,
        Some(343),
        Some(10),
        false,
        &[13, 11],
    ),
    (
        "VOTA",
        "PR",
        76210,
        36,
        50,
        Some(336),
        Some(66),
        false,
        &[13, 11],
    ),
    (
        "VOTA",
        "AC",
        1392,
        1,
        32,
        Some(176),
        Some(10),
        false,
        &[13, 11],
    ),
    (
        "RED",
        "PR",
        76210,
        36,
        61,
        Some(385),
        Some(10),
        false,
        &[13, 11],
    ),
    ("SA", "PR", 76210, 36, 45, None, None, false, &[13, 11]),
    (
        "VOTA",
        "AC",
        1392,
        9,
        16,
        Some(50),
        Some(4),
        false,
        &[6, 7, 5, 3, 1],
    ),
    (
        "VOTA",
        "SP",
        63452,
        75,
        182,
        Some(325),
        Some(278),
        true,
        &[3, 1],
    ),
];

#[test]
fn every_vector_is_read_as_printed() {
    for (vector, expected) in vectors().iter().zip(EXPECTED) {
        let report = one_report(&refs(&vector.parts));
        let (origin, uf, municipality, zone, section, electors, turnout, official, offices) =
            expected;
        let set = vector.number;
        assert_eq!(report.origin, origin, "set {set}");
        assert_eq!(report.uf.to_string(), uf, "set {set}");
        assert_eq!(
            (report.municipality, report.zone, report.section),
            (municipality, zone, section),
            "set {set}"
        );
        assert_eq!(
            (report.electors, report.turnout),
            (electors, turnout),
            "set {set}"
        );
        let phase = if official {
            Phase::Official
        } else {
            Phase::Simulated
        };
        assert_eq!(report.phase, phase, "set {set}");
        let codes: Vec<u32> = report.offices().map(|office| office.office).collect();
        assert_eq!(codes, offices, "set {set}");
        // Every candidate's votes are read: as many as the texts have `<number>:<votes>` fields.
        let printed = vector
            .parts
            .iter()
            .flat_map(|part| part.split(' '))
            .filter(|token| {
                token
                    .split_once(':')
                    .is_some_and(|(key, _)| key.bytes().all(|b| b.is_ascii_digit()))
            })
            .count();
        let read: usize = report
            .offices()
            .map(|office| office.all_candidates().count())
            .sum();
        assert_eq!(read, printed, "set {set}");
    }
}

#[test]
fn the_real_2022_report_of_conchal_is_read_in_full() {
    let report = one_report(&refs(&vector(19).parts));
    assert_eq!(
        (report.layout(), report.key_version()),
        (Some("1.5"), Some("20220829"))
    );
    assert_eq!(report.uf, Uf::parse("SP").unwrap_or_else(|| panic!("SP")));
    assert_eq!(
        (report.pleito, report.round, report.process),
        (407, 2, Some(395))
    );
    assert_eq!(report.election_date.as_deref(), Some("20221030"));
    assert_eq!(
        (report.urna, report.polling_place),
        (Some(1_787_323), Some(1015))
    );
    assert_eq!(
        (report.electors, report.turnout, report.absent),
        (Some(325), Some(278), Some(47))
    );
    assert_eq!(report.field("HBMA"), Some("12"));
    assert_eq!(report.field("IDCA"), Some("666070534576779579335458"));
    let ids: Vec<u32> = report
        .elections
        .iter()
        .map(|election| election.id)
        .collect();
    assert_eq!(ids, [547, 545]);
    let governor = report.office(547, 3).unwrap_or_else(|| panic!("governor"));
    assert_eq!(governor.kind, OfficeKind::Majoritarian);
    assert_eq!(
        (governor.votes_of(10), governor.votes_of(13)),
        (Some(223), Some(40))
    );
    assert_eq!(
        (
            governor.able,
            governor.nominal,
            governor.blank,
            governor.null,
            governor.total
        ),
        (Some(325), Some(263), Some(7), Some(8), Some(278))
    );
    let president = report.office(545, 1).unwrap_or_else(|| panic!("president"));
    assert_eq!(
        (president.votes_of(13), president.votes_of(22)),
        (Some(45), Some(225))
    );
    assert_eq!(
        (
            president.nominal,
            president.blank,
            president.null,
            president.total
        ),
        (Some(270), Some(5), Some(3), Some(278))
    );
    assert_eq!(president.list, None);
    assert_eq!(report.signature().map(<[u8]>::len), Some(64));
}

#[test]
fn the_four_part_report_is_read_across_its_parts() {
    let report = one_report(&refs(&vector(3).parts));
    let councillors = report.office(1101, 13).unwrap_or_else(|| panic!("CARG 13"));
    assert_eq!(councillors.kind, OfficeKind::Proportional);
    let parties: Vec<(u32, Option<u32>, Option<u32>, usize)> = councillors
        .parties
        .iter()
        .map(|party| {
            (
                party.number,
                party.list_votes,
                party.total,
                party.candidates.len(),
            )
        })
        .collect();
    // PART:92 starts in part 1 and ends in part 2; PART:94's TOTP opens part 3.
    assert_eq!(
        parties,
        [
            (91, Some(0), Some(99), 49),
            (92, Some(0), Some(112), 51),
            (93, Some(1), Some(107), 54),
            (94, Some(1), Some(87), 49),
            (95, Some(3), Some(99), 50),
        ]
    );
    assert_eq!(councillors.votes_of(92_008), Some(6));
    assert_eq!(councillors.votes_of(95_059), Some(2));
    assert_eq!(councillors.votes_of(91_008), None);
    assert_eq!(
        (
            councillors.nominal,
            councillors.list,
            councillors.blank,
            councillors.null,
            councillors.total
        ),
        (Some(499), Some(5), Some(0), Some(0), Some(504))
    );
    let mayor = report.office(1101, 11).unwrap_or_else(|| panic!("CARG 11"));
    let votes: Vec<(u32, u32)> = mayor
        .candidates
        .iter()
        .map(|c| (c.number, c.votes))
        .collect();
    assert_eq!(votes, [(91, 102), (92, 105), (93, 111), (94, 95), (95, 91)]);
    assert_eq!(mayor.total, Some(504));
}

#[test]
fn the_other_layouts_and_kinds_are_read() {
    // 2016, no VRQR header: the VRQR:4.0 inside the data is data.
    let report = one_report(&refs(&vector(4).parts));
    assert_eq!((report.layout(), report.key_version()), (None, None));
    assert_eq!(report.field("VRQR"), Some("4.0"));
    // 2016, a popular consultation and aggregated sections in 2024 and 2026.
    let report = one_report(&refs(&vector(5).parts));
    let consultation = report.office(1102, 51).unwrap_or_else(|| panic!("CARG 51"));
    assert_eq!(consultation.kind, OfficeKind::Consultation);
    assert_eq!(
        (consultation.votes_of(11_111), consultation.votes_of(33_333)),
        (Some(6), Some(1))
    );
    assert_eq!(
        (consultation.blank, consultation.null, consultation.total),
        (Some(2), Some(1), Some(10))
    );
    assert_eq!(
        one_report(&refs(&vector(2).parts)).aggregated_sections,
        [3, 4]
    );
    // The counting system's report (SA) says how many ballots per election (MAJO, PROP).
    let report = one_report(&refs(&vector(2).parts));
    assert_eq!(
        report.elections[0].other,
        [
            ("MAJO".to_owned(), "2".to_owned()),
            ("PROP".to_owned(), "2".to_owned())
        ]
    );
    assert_eq!(report.field("JUNT"), Some("1"));
    // 2026: five offices over two parts, one in a second election; the senate's two votes each.
    let report = one_report(&refs(&vector(18).parts));
    assert_eq!(report.aggregated_sections, [17, 18, 19]);
    assert_eq!(report.layout(), Some("6.0"));
    let senate = report.office(2102, 5).unwrap_or_else(|| panic!("CARG 5"));
    let votes: Vec<(u32, u32)> = senate
        .candidates
        .iter()
        .map(|c| (c.number, c.votes))
        .collect();
    assert_eq!(votes, [(921, 1), (931, 1), (941, 1), (951, 2)]);
    assert_eq!((senate.nominal, senate.total), (Some(5), Some(8)));
    let president = report.office(2101, 1).unwrap_or_else(|| panic!("CARG 1"));
    assert_eq!(
        (
            president.votes_of(92),
            president.votes_of(93),
            president.total
        ),
        (Some(1), Some(3), Some(4))
    );
    assert_eq!(report.signature().map(<[u8]>::len), Some(132));
    // An office without votes (2024 example from Acre): CSEC kept verbatim.
    let report = one_report(&refs(&vector(15).parts));
    let mayor = report
        .office(11124, 11)
        .unwrap_or_else(|| panic!("CARG 11"));
    assert!(mayor.candidates.is_empty());
    assert_eq!(
        mayor.other.last(),
        Some(&("CSEC".to_owned(), "10".to_owned()))
    );
}

/// The payload with its data replaced and its chain recomputed (what a forger can do without
/// the signing key): the old signature is kept.
fn rechained(parts: &[String], edit: impl Fn(usize, &str) -> String) -> Vec<String> {
    let mut prefix = String::new();
    parts
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let part = BuPart::parse(text).unwrap_or_else(|error| panic!("{error}"));
            let data = edit(index, &part.data);
            if index > 0 {
                prefix.push(' ');
            }
            prefix.push_str(&data);
            let hash: String = Sha512::digest(prefix.as_bytes())
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect();
            prefix.push_str(" HASH:");
            prefix.push_str(&hash);
            let mut out = format!("QRBU:{}:{}", part.number.index, part.number.count);
            for (key, value) in [("VRQR", &part.layout), ("VRCH", &part.key_version)] {
                if let Some(value) = value {
                    out.push_str(&format!(" {key}:{value}"));
                }
            }
            out.push_str(&format!(" {data} HASH:{hash}"));
            if let Some(signature) = &part.signature {
                let hex: String = signature.iter().map(|b| format!("{b:02X}")).collect();
                out.push_str(&format!(" ASSI:{hex}"));
            }
            out
        })
        .collect()
}

/// The text with the character at `at` (a digit or an upper-case hex digit) changed to another.
fn flipped(text: &str, at: usize) -> String {
    let mut bytes = text.as_bytes().to_vec();
    bytes[at] = match bytes[at] {
        b'9' => b'8',
        b'F' => b'E',
        digit => digit + 1,
    };
    String::from_utf8(bytes).unwrap_or_else(|error| panic!("{error}"))
}

#[test]
fn a_flipped_character_in_any_part_breaks_the_chain_or_the_signature() {
    for vector in vectors() {
        for (index, text) in vector.parts.iter().enumerate() {
            let hash_at = text.find(" HASH:").unwrap_or_else(|| panic!("HASH")) + 6;
            // The last digit of the data, a digit of the HASH, a digit of the ASSI.
            let data_digit = text[..hash_at - 6]
                .rfind(|c: char| c.is_ascii_digit())
                .unwrap_or_else(|| panic!("a digit"));
            let mut cases = vec![
                (data_digit, FindingCode::ChainBroken),
                (hash_at + 10, FindingCode::ChainBroken),
            ];
            if let Some(assi) = text.find(" ASSI:") {
                cases.push((assi + 6 + 20, FindingCode::SignatureInvalid));
            }
            for (at, code) in cases {
                let mut parts = vector.parts.clone();
                parts[index] = flipped(text, at);
                let report = one_report(&refs(&parts));
                let checked = verify(&report, &keys_of(&vector, &report));
                let set = vector.number;
                if code == FindingCode::SignatureInvalid && vector.signature_ok.is_none() {
                    // Not checkable here: the chain still holds (ASSI is not hashed).
                    assert_eq!(
                        checked.verdict,
                        Verdict::NotCheckable,
                        "set {set} part {index}"
                    );
                    continue;
                }
                assert_eq!(
                    checked.verdict,
                    Verdict::Failed,
                    "set {set} part {index} at {at}"
                );
                assert!(
                    checked.has(code),
                    "set {set} part {index} at {at}: {:#?}",
                    checked.findings
                );
                if code == FindingCode::ChainBroken {
                    assert!(!checked.chain_intact);
                    let first = checked
                        .findings
                        .iter()
                        .find(|f| f.code == code)
                        .map(|f| f.message.clone());
                    let expected = format!("part {} of {}", index + 1, parts.len());
                    assert!(first.is_some_and(|m| m.starts_with(&expected)), "set {set}");
                }
            }
        }
    }
}

#[test]
fn a_missing_part_is_refused() {
    let parts = vector(3).parts;
    let without_third = [parts[3].as_str(), parts[0].as_str(), parts[1].as_str()];
    let refusal = one_refusal(&without_third);
    assert_eq!(refusal.finding.code, FindingCode::PartMissing);
    assert!(
        refusal.finding.message.contains("part(s) 3 of 4"),
        "{}",
        refusal.finding
    );
    assert!(
        refusal
            .finding
            .message
            .contains("AC municipality 1392 zone 9 section 22")
    );
    assert_eq!(refusal.positions, [1, 2, 3]);
    let without_first = refs(&parts[1..]);
    let refusal = one_refusal(&without_first);
    assert_eq!(refusal.finding.code, FindingCode::PartMissing);
    assert!(
        refusal
            .finding
            .message
            .contains("part 1 of 4 is not among the texts")
    );
    assert_eq!(refusal.positions, [1, 2, 3]);
}

#[test]
fn parts_of_two_reports_are_told_apart_or_refused() {
    let a = vector(11).parts;
    let b = vector(14).parts;
    let c = vector(18).parts;
    // Two whole reports shuffled together: the chain tells which part follows which.
    let out = assembled(&[&b[1], &a[0], &b[0], &a[1]]);
    let sections: Vec<u32> = out
        .iter()
        .map(|item| match item {
            Assembled::Report(report) => {
                assert!(verify(report, &KeyRing::new()).chain_intact);
                report.section
            }
            Assembled::Refused(refusal) => panic!("{}", refusal.finding),
        })
        .collect();
    assert_eq!(sections, [50, 51]);
    // One report's first part with another's second: the chain breaks at part 2.
    let report = one_report(&[&b[0], &a[1]]);
    let checked = verify(&report, &KeyRing::new());
    assert_eq!(checked.verdict, Verdict::Failed);
    assert!(checked.has(FindingCode::ChainBroken));
    assert!(checked.findings[0].message.starts_with("part 2 of 2"));
    assert!(
        checked.findings[0]
            .message
            .contains("belongs to another report")
    );
    // The other way round the joined data cannot even be read (APTA twice in one office): the
    // refusal says the chain is broken first.
    let refusal = one_refusal(&[&a[0], &b[1]]);
    assert_eq!(refusal.finding.code, FindingCode::ChainBroken);
    assert!(
        refusal
            .finding
            .message
            .contains("field `APTA`: appears a second time")
    );
    // Two first parts and a second part of a third report: which belongs where cannot be told.
    let refusal = one_refusal(&[&a[0], &b[0], &c[1]]);
    assert_eq!(refusal.finding.code, FindingCode::PartsMixed);
    assert_eq!(refusal.positions, [1, 2, 3]);
}

#[test]
fn two_versions_of_a_part_are_refused() {
    let parts = vector(3).parts;
    let digit = parts[1].find("92008:6").unwrap_or_else(|| panic!("92008")) + 6;
    let altered = flipped(&parts[1], digit);
    // The whole report with a second, altered part 2: the report stands, the other is refused.
    let mut payloads = refs(&parts);
    payloads.push(&altered);
    let out = assembled(&payloads);
    assert!(matches!(&out[0], Assembled::Report(report) if report.positions == [1, 2, 3, 4]));
    match &out[1..] {
        [Assembled::Refused(refusal)] => {
            assert_eq!(refusal.finding.code, FindingCode::PartConflict);
            assert_eq!(refusal.positions, [5]);
        }
        other => panic!("{other:#?}"),
    }
    // Two altered versions and no good one: nothing stands.
    let other_digit = parts[1].find("92009:2").unwrap_or_else(|| panic!("92009")) + 6;
    let altered_again = flipped(&parts[1], other_digit);
    let refusal = one_refusal(&[&parts[0], &altered, &altered_again, &parts[2], &parts[3]]);
    assert_eq!(refusal.finding.code, FindingCode::PartConflict);
    // A part whose header differs (not hashed): both continue the chain, and neither is chosen.
    let reheaded = parts[1].replacen("VRCH:20240507", "VRCH:20240508", 1);
    let refusal = one_refusal(&[&parts[0], &parts[1], &reheaded, &parts[2], &parts[3]]);
    assert_eq!(refusal.finding.code, FindingCode::PartConflict);
    // The same text read twice is one part.
    let report = one_report(&[
        &parts[0], &parts[1], &parts[1], &parts[2], &parts[3], &parts[0],
    ]);
    assert_eq!(report.positions, [1, 2, 4, 5]);
}

#[test]
fn parts_that_disagree_on_n_are_refused() {
    // The header is not hashed: part 2 relabelled "of 5" no longer continues part 1 "of 4".
    let parts = vector(3).parts;
    let relabelled = parts[1].replacen("QRBU:2:4", "QRBU:2:5", 1);
    let refusal = one_refusal(&[&parts[0], &relabelled, &parts[2], &parts[3]]);
    assert_eq!(refusal.finding.code, FindingCode::CountMismatch);
    assert!(
        refusal.finding.message.contains("part 2 of 5"),
        "{}",
        refusal.finding
    );
    assert_eq!(refusal.positions, [1, 2, 3, 4]);
}

#[test]
fn a_signature_checked_with_another_states_key_fails() {
    let parts = vector(0).parts;
    let report = one_report(&refs(&parts));
    // The right key, given for another state: no key for Acre, so not checkable.
    let checked = verify(&report, &ring(&[("PR", "S", KEY_2024_AC_S)]));
    assert_eq!(checked.verdict, Verdict::NotCheckable);
    assert!(checked.has(FindingCode::KeyUnknown));
    assert!(
        checked.findings[0].message.contains("sacqrcode.pub"),
        "{}",
        checked.findings[0]
    );
    // Another key given for Acre: the signature fails.
    let checked = verify(&report, &ring(&[("AC", "S", KEY_2016)]));
    assert_eq!(checked.verdict, Verdict::Failed);
    assert!(checked.has(FindingCode::SignatureInvalid));
    assert_eq!(checked.signature_valid, Some(false));
    // The right key for the official phase only: the simulated report is not checked with it.
    let checked = verify(&report, &ring(&[("AC", "O", KEY_2024_AC_S)]));
    assert_eq!(checked.verdict, Verdict::NotCheckable);
    // A forger moves the report to Paraná and recomputes the chain: the chain holds, and the
    // signature fails under the key of the state it now claims (the same key, given for PR).
    let forged = rechained(&parts, |_, data| data.replacen("UNFE:AC", "UNFE:PR", 1));
    let report = one_report(&refs(&forged));
    let checked = verify(&report, &ring(&[("PR", "S", KEY_2024_AC_S)]));
    assert!(checked.chain_intact);
    assert_eq!(checked.verdict, Verdict::Failed);
    assert!(checked.has(FindingCode::SignatureInvalid));
    // Or changes a vote in a four-part report, recomputing every hash after it.
    let parts = vector(3).parts;
    let forged = rechained(&parts, |index, data| {
        if index == 1 {
            data.replacen("92008:6", "92008:7", 1)
        } else {
            data.to_owned()
        }
    });
    let report = one_report(&refs(&forged));
    let checked = verify(&report, &ring(&[("AC", "S", KEY_2024_AC_S)]));
    assert!(checked.chain_intact);
    assert_eq!(checked.verdict, Verdict::Failed);
    assert!(checked.has(FindingCode::SignatureInvalid));
}

#[test]
fn totals_that_do_not_add_up_are_a_warning() {
    let parts = vector(19).parts;
    let forged = rechained(&parts, |_, data| data.replacen("22:225", "22:226", 1));
    let report = one_report(&refs(&forged));
    let checked = verify(&report, &KeyRing::new());
    assert!(checked.chain_intact);
    assert_eq!(checked.verdict, Verdict::NotCheckable);
    let warning = checked
        .findings
        .iter()
        .find(|f| f.code == FindingCode::TotalsInconsistent)
        .unwrap_or_else(|| panic!("{:#?}", checked.findings));
    assert!(
        warning
            .message
            .contains("NOMI 270, but the candidates' votes add up to 271"),
        "{warning}"
    );
}

#[test]
fn a_missing_or_malformed_signature_fails() {
    let parts = vector(0).parts;
    let keys = ring(&[("AC", "S", KEY_2024_AC_S)]);
    let unsigned = parts[0][..parts[0].find(" ASSI:").unwrap_or_else(|| panic!("ASSI"))].to_owned();
    let checked = verify(&one_report(&[&unsigned]), &keys);
    assert_eq!(checked.verdict, Verdict::Failed);
    assert!(checked.has(FindingCode::SignatureMissing));
    let short = format!("{unsigned} ASSI:ABCD");
    let checked = verify(&one_report(&[&short]), &keys);
    assert_eq!(checked.verdict, Verdict::Failed);
    assert!(checked.has(FindingCode::SignatureMalformed));
}

fn payload_error(payloads: &[&str]) -> BuError {
    match assemble(payloads) {
        Ok(out) => panic!("accepted: {out:#?}"),
        Err(error) => error,
    }
}

#[test]
fn inputs_out_of_bounds_or_malformed_are_refused_with_where_and_what() {
    let parts = vector(0).parts;
    let many = vec![parts[0].as_str(); MAX_PAYLOADS + 1];
    assert_eq!(
        payload_error(&many),
        BuError::TooManyPayloads {
            count: MAX_PAYLOADS + 1
        }
    );
    let long = format!("{} {}", parts[0], "X:1 ".repeat(MAX_PAYLOAD_BYTES / 4));
    let message = payload_error(&[&parts[0], &long]).to_string();
    assert!(message.starts_with("payload 2: text:"), "{message}");
    assert!(message.contains("expected at most 2953"), "{message}");
    for (text, expected) in [
        (
            "QRCE:1:1 IDUE:1 CERT:00",
            "payload 1: QRBU: `QRCE:1:1`: expected `QRBU:i:n` first",
        ),
        ("QRBU:0:1 A:1 HASH:00", "expected `QRBU:i:n`"),
        ("QRBU:2:1 A:1 HASH:00", "expected `QRBU:i:n`"),
        ("QRBU:1:65 A:1 HASH:00", "n <= 64"),
        ("QRBU:1:1 VRQR:1.5 A:1", "(part 1 of 1): HASH: missing"),
        (
            "QRBU:1:1 A:1 HASH:00",
            "expected 128 upper-case hexadecimal digits",
        ),
        ("QRBU:1:1 A:1  B:2 HASH:00", "two spaces in a row"),
        ("QRBU:1:1 A:1 B:\u{e9} HASH:00", "printable ASCII"),
        ("QRBU:1:1 VRQR:1.5 HASH:00", "data: empty"),
    ] {
        let message = payload_error(&[text]).to_string();
        assert!(
            message.contains(expected),
            "{text}: `{message}` lacks `{expected}`"
        );
    }
    let hash = "A".repeat(128);
    for (text, expected) in [
        (
            format!("QRBU:1:2 A:1 HASH:{hash} ASSI:00"),
            "on a part other than the last",
        ),
        (
            format!("QRBU:1:1 A:1 HASH:{hash} ASSI:0"),
            "ASSI: `0`: expected an even number",
        ),
        (
            format!("QRBU:1:1 A:1 HASH:{hash} X:1"),
            "expected `ASSI:<hex>` or nothing",
        ),
        (
            format!("QRBU:1:1 A HASH:{hash}"),
            "data: `A`: expected `KEY:VALUE`",
        ),
    ] {
        let message = payload_error(&[&text]).to_string();
        assert!(
            message.contains(expected),
            "{text}: `{message}` lacks `{expected}`"
        );
    }
}

#[test]
fn a_field_that_cannot_be_read_refuses_its_report() {
    let parts = vector(19).parts;
    for (from, to, expected) in [
        (
            "APTO:325",
            "APTO:3x5",
            "part 1 of 1: field `APTO`: `3x5`: expected a whole number",
        ),
        (
            "SECA:182",
            "SECA:182 SECA:183",
            "field `SECA`: appears a second time",
        ),
        (
            "UNFE:SP",
            "UNFE:SPX",
            "field `UNFE`: `SPX`: expected a state's two letters",
        ),
        (
            "13:45 22:225",
            "13:45 13:225",
            "candidate 13 appears twice in office 1",
        ),
        (
            "10:223",
            "LEGP:1 10:223",
            "field `LEGP`: outside a party block",
        ),
        (
            "CARG:3 TIPO:0",
            "CARG:3",
            "field `TIPO`: missing in office 3",
        ),
        ("FASE:O ", "", "field `FASE`: missing"),
        ("PROC:395", "99:1 PROC:395", "votes before any election"),
        (
            "13:40",
            "13:99999999999",
            "`99999999999`: expected a whole number",
        ),
    ] {
        let forged = rechained(&parts, |_, data| data.replacen(from, to, 1));
        let refusal = one_refusal(&refs(&forged));
        assert_eq!(refusal.finding.code, FindingCode::FieldMalformed);
        assert!(
            refusal.finding.message.contains(expected),
            "`{}` lacks `{expected}`",
            refusal.finding.message
        );
    }
}

#[test]
fn keys_are_read_from_hex_and_checked_against_tses_list() {
    assert!(PublicKey::from_hex(&KEY_2024_AC_S.to_uppercase()).is_ok());
    for bad in [
        "",
        "3c8d",
        &KEY_2024_AC_S[..63],
        &format!("{KEY_2024_AC_S}00"),
        &"zz".repeat(32),
    ] {
        assert!(PublicKey::from_hex(bad).is_err(), "{bad}");
    }
    let id = KeyId::from_file_name("sacqrcode.pub").unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        id,
        KeyId::parse("AC", "S").unwrap_or_else(|error| panic!("{error}"))
    );
    assert_eq!(id.file_name(), "sacqrcode.pub");
    for bad in [
        "xacqrcode.pub",
        "sacqrcode",
        "sa1qrcode.pub",
        "saccqrcode.pub",
    ] {
        assert!(KeyId::from_file_name(bad).is_err(), "{bad}");
    }
    let path = data_dir().join("20220829-LEGAL-qrcode-hashes.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{error}"));
    let digests = parse_key_digests(&text).unwrap_or_else(|error| panic!("{error}"));
    // 27 states and ZZ (abroad), official and simulated.
    assert_eq!(digests.len(), 56);
    let sp = KeyId::from_file_name("ospqrcode.pub").unwrap_or_else(|error| panic!("{error}"));
    let digest = digests
        .iter()
        .find(|(id, _)| *id == sp)
        .map(|(_, digest)| digest);
    assert_eq!(
        digest
            .map(|d| d.iter().map(|b| format!("{b:02x}")).collect::<String>())
            .as_deref(),
        Some(
            "850d6f36a4d14f2263f6eac5da89b6d39a269c0114a79e99c5b2e7d0c492d6922f203c197b30cac4a556096516e7fcfd65ae1d15417c9a655b7c155861a2d0b5"
        )
    );
    // The 2024 manual's key is not one of the 2022 keys.
    let digest_2024 = key(KEY_2024_AC_S).tse_digest();
    assert!(digests.iter().all(|(_, digest)| *digest != digest_2024));
    assert!(parse_key_digests("abc  sacqrcode.pub\n").is_err());
}

/// The `br-bu` acta format of the shipped Brazilian example: a text with any one character
/// changed, in any part of the example's reports, is refused (not a part, a part missing, another
/// round) or read with a broken seal, which validation makes F106 (never "unchecked": the file
/// gives a key, so a changed layout or phase cannot escape the check); it is read as verified only
/// when the change is in the unsigned header (`VRCH`) and the record is exactly the original's.
#[test]
fn no_altered_character_gives_a_verified_acta() {
    let election =
        veedor_formats::parse_election(include_str!("../../../elections/br-2024-ac-example.toml"))
            .unwrap();
    let format = veedor_formats::ActaFormat::of(&election).unwrap();
    let seal_of = |record: &veedor_core::ActaRecord| match record.seal() {
        veedor_core::Seal::Verified(key) => format!("verified:{key}"),
        other => format!("{other:?}"),
    };
    let vectors = vectors();
    let mut checked = 0;
    for vector in vectors.iter().take(4) {
        let parts: Vec<&str> = vector.parts.iter().map(String::as_str).collect();
        let read = format.parse_group(&parts);
        assert_eq!(read.len(), 1, "set {}", vector.number);
        let record = read[0].1.as_ref().unwrap();
        assert_eq!(seal_of(record), "verified:sacqrcode.pub");
        for (index, part) in vector.parts.iter().enumerate() {
            for at in (0..part.len()).step_by(7) {
                let byte = part.as_bytes()[at];
                let other = if byte == b'1' { '2' } else { '1' };
                let mut altered = part.clone();
                altered.replace_range(at..=at, &other.to_string());
                let mut texts = parts.clone();
                texts[index] = &altered;
                for (_, outcome) in format.parse_group(&texts) {
                    let Ok(altered_record) = outcome else {
                        continue;
                    };
                    assert!(
                        !matches!(altered_record.seal(), veedor_core::Seal::Unchecked(_)),
                        "set {} part {index} character {at}: {altered}",
                        vector.number
                    );
                    if seal_of(&altered_record).starts_with("verified") {
                        assert_eq!(
                            &altered_record, record,
                            "set {} part {index} character {at}: {altered}",
                            vector.number
                        );
                        assert!(at < part.find(" ORIG:").unwrap_or(0).max(32), "{altered}");
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "{checked}");
}

/// A payload file whose four-part report stands across the 256th text, among hundreds of other
/// reports: the parts are still put together (the pool keeps a waiting part for the texts after
/// it), and every line is accounted for.
#[test]
fn a_long_payload_file_keeps_a_report_across_its_256th_text() {
    let election =
        veedor_formats::parse_election(include_str!("../../../elections/br-2024-ac-example.toml"))
            .unwrap();
    let vectors = vectors();
    let single = &vectors[0].parts[0];
    let long = &vectors[3].parts;
    assert_eq!(long.len(), 4);
    // 400 distinct one-part reports: set 1's, each with another urna number and its chain
    // computed again (the chain holds, the old signature fails).
    assert!(single.contains("IDUE:2031032 "));
    let filler: Vec<String> = (0..400)
        .map(|n| {
            rechained(std::slice::from_ref(single), |_, data| {
                data.replacen("IDUE:2031032 ", &format!("IDUE:{} ", 3_000_000 + n), 1)
            })
            .remove(0)
        })
        .collect();
    let mut lines: Vec<String> = filler.clone();
    for (part, at) in long.iter().zip([250, 254, 258, 300]) {
        lines.insert(at, part.clone());
    }
    let file: String = lines.iter().map(|line| format!("{line}\n")).collect();
    let read = veedor_formats::parse_payload_lines(file.as_bytes(), &election).unwrap();
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    assert_eq!(read.rows.len(), 401);
    let verified: Vec<&veedor_formats::PayloadRow> = read
        .rows
        .iter()
        .filter(|row| matches!(row.record.seal(), veedor_core::Seal::Verified(_)))
        .collect();
    assert_eq!(
        verified.len(),
        1,
        "the long report: {:?}",
        verified.first().map(|r| r.line)
    );
    assert_eq!(verified[0].line, 251);
    assert_eq!(verified[0].record.table.number.get(), 22);
}
