//! Properties on synthetic reports (the real vectors are in `tests/br_bu.rs`): whatever the
//! texts, nothing panics, every text is accounted for once, and a whole report is found.

use proptest::prelude::*;
use sha2::{Digest as _, Sha512};

use super::*;

/// Parts chained as TSE chains them, unsigned.
fn chained(data: &[String]) -> Vec<String> {
    let mut prefix = String::new();
    let count = data.len();
    data.iter()
        .enumerate()
        .map(|(index, data)| {
            if index > 0 {
                prefix.push(' ');
            }
            prefix.push_str(data);
            let hash: String = Sha512::digest(prefix.as_bytes())
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect();
            prefix.push_str(" HASH:");
            prefix.push_str(&hash);
            format!("QRBU:{}:{count} VRQR:1.5 {data} HASH:{hash}", index + 1)
        })
        .collect()
}

/// A three-part report of section `section` with `votes` for candidate 91.
fn report(section: u32, votes: u32) -> Vec<String> {
    chained(&[
        format!(
            "ORIG:VOTA PLEI:1 TURN:1 FASE:S UNFE:AC MUNI:1 ZONA:1 SECA:{section} IDEL:1 CARG:11 TIPO:0"
        ),
        format!("91:{votes} NOMI:{votes}"),
        format!("BRAN:0 NULO:0 TOTC:{votes}"),
    ])
}

#[test]
fn a_synthetic_report_assembles_and_its_chain_holds() {
    let texts = report(7, 12);
    let payloads: Vec<&str> = texts.iter().rev().map(String::as_str).collect();
    let Ok(out) = assemble(&payloads) else {
        panic!("refused")
    };
    let [Assembled::Report(report)] = &out[..] else {
        panic!("{out:#?}")
    };
    assert_eq!(report.section, 7);
    assert_eq!(report.positions, [3, 2, 1]);
    let checked = verify(report, &KeyRing::new());
    assert!(checked.chain_intact);
    assert_eq!(checked.signature_valid, Some(false));
    assert_eq!(checked.verdict, Verdict::Failed);
    assert!(checked.has(FindingCode::SignatureMissing));
    assert_eq!(checked.findings.len(), 1, "{:#?}", checked.findings);
}

#[test]
fn a_part_read_alone_says_which_field_and_what_was_expected() {
    let message = |text: &str| match BuPart::parse(text) {
        Ok(part) => panic!("accepted {part:?}"),
        Err(error) => error.to_string(),
    };
    assert_eq!(
        message("QRBU:1:1 VRQR:1.5 A:1"),
        "payload (part 1 of 1): HASH: missing: expected `HASH:<128 hexadecimal digits>` after the data"
    );
    assert_eq!(
        message("QRBU:1"),
        "payload: QRBU: `QRBU:1`: expected `QRBU:i:n` first (part i of n, 1 <= i <= n <= 64)"
    );
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in ".{0,400}") {
        let _ = BuPart::parse(&text);
        let _ = assemble(&[&text]);
    }

    #[test]
    fn altered_texts_never_panic(
        edits in prop::collection::vec((0usize..400, prop::sample::select(vec![' ', ':', '0', '9', 'A', 'F', 'X'])), 0..4),
        order in Just(vec![0usize, 1, 2]).prop_shuffle(),
    ) {
        let mut texts = report(3, 40);
        for (at, with) in edits {
            let part = at % texts.len();
            let text = &mut texts[part];
            let at = at % text.len();
            if text.is_char_boundary(at) && text.is_char_boundary(at + 1) {
                text.replace_range(at..=at, &with.to_string());
            }
        }
        let payloads: Vec<&str> = order.iter().map(|&k| texts[k].as_str()).collect();
        if let Ok(out) = assemble(&payloads) {
            for item in &out {
                if let Assembled::Report(report) = item {
                    let _ = verify(report, &KeyRing::new());
                }
            }
        }
    }

    #[test]
    fn every_text_is_accounted_for_once_and_whole_reports_are_found(
        pick in prop::collection::vec(0usize..8, 0..10),
    ) {
        // Two reports of three parts and two altered texts: part 2 of A with another count,
        // a second version of part 3 of B.
        let a = report(1, 10);
        let b = report(2, 20);
        let altered = b[2].replacen("TOTC:20", "TOTC:21", 1);
        let pool = [&a[0], &a[1], &a[2], &b[0], &b[1], &b[2], &altered, &a[1]];
        let payloads: Vec<&str> = pick.iter().map(|&k| pool[k].as_str()).collect();
        let Ok(out) = assemble(&payloads) else {
            return Err(TestCaseError::fail("refused whole"));
        };
        // Every distinct text's first position appears in exactly one item.
        let mut seen: Vec<usize> = Vec::new();
        for item in &out {
            match item {
                Assembled::Report(report) => seen.extend(&report.positions),
                Assembled::Refused(refusal) => seen.extend(&refusal.positions),
            }
        }
        seen.sort_unstable();
        let mut firsts: Vec<usize> = Vec::new();
        for (index, text) in payloads.iter().enumerate() {
            if !payloads[..index].contains(text) {
                firsts.push(index + 1);
            }
        }
        prop_assert_eq!(seen, firsts);
        // A report whose three parts are all given (and no second version) is found whole.
        for (section, parts) in [(1, &a), (2, &b)] {
            let whole = parts.iter().all(|part| payloads.contains(&part.as_str()));
            let found = out.iter().any(|item| matches!(item, Assembled::Report(report)
                if report.section == section && verify(report, &KeyRing::new()).chain_intact));
            if whole {
                prop_assert!(found, "section {section}: {out:#?}");
            }
        }
        // A report whose chain holds is never made of parts of two reports.
        for item in &out {
            if let Assembled::Report(report) = item
                && verify(report, &KeyRing::new()).chain_intact
            {
                let own = if report.section == 1 { &a } else { &b };
                for part in &report.parts {
                    prop_assert!(own.contains(&part.text));
                }
            }
        }
    }
}
