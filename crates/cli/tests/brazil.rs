//! Brazil's boletins de urna end to end (elections/br-2024-ac-example.toml): real QR texts from
//! TSE's manual printed on pages (veedor_sim's `BuSheet`), scanned, assembled, their hash chain
//! and signature checked with the key the election file gives, tallied, looked up, exported and
//! verified; and the forgeries an adversary would print, refused with F106 and never counted.

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha512};
use veedor_formats::br_bu::{Assembled, assemble};
use veedor_sim::sheet::{BuSheet, Condition, FileFormat, encode, render};

use crate::support::{Data, findings_by_table, votes};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// The example election file's text.
fn election() -> String {
    std::fs::read_to_string(repo("elections/br-2024-ac-example.toml")).unwrap()
}

/// The shipped reports (TSE's manual, 2024 edition, sets 1 to 4 of shared/data/br-bu), each as
/// its QR texts in order.
fn reports() -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(repo("elections/br-2024-ac-example/payloads.txt")).unwrap();
    let texts: Vec<&str> = text
        .lines()
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    assemble(&texts)
        .unwrap()
        .into_iter()
        .map(|assembled| match assembled {
            Assembled::Report(report) => report.parts.into_iter().map(|part| part.text).collect(),
            Assembled::Refused(refusal) => panic!("{refusal:?}"),
        })
        .collect()
}

/// The report's one page, photographed under `condition`, as JPEG.
fn page(parts: &[String], condition: Condition, seed: u64) -> Vec<u8> {
    let texts: Vec<&str> = parts.iter().map(String::as_str).collect();
    let sheet = BuSheet::new(&texts, None).unwrap();
    let degradation = condition.degradation(seed);
    let image = render(&sheet, &degradation).unwrap();
    encode(
        &[image],
        FileFormat::Jpeg {
            quality: degradation.jpeg_quality,
        },
    )
    .unwrap()
}

/// A one-part report with `from` replaced by `to` in its data, and its `HASH` computed again
/// so that the chain holds: what a forger who has no key can print. The old signature stays.
fn rehashed(part: &str, from: &str, to: &str) -> String {
    let changed = part.replacen(from, to, 1);
    let (head, tail) = changed.split_once(" HASH:").unwrap();
    let data_start = head
        .match_indices(' ')
        .map(|(at, _)| at + 1)
        .find(|&at| {
            !["QRBU:", "VRQR:", "VRCH:"]
                .iter()
                .any(|key| head[at..].starts_with(key))
        })
        .unwrap();
    let digest = Sha512::digest(&head.as_bytes()[data_start..]);
    let hex: String = digest.iter().map(|b| format!("{b:02X}")).collect();
    let signature = tail.split_once(' ').map(|(_, rest)| rest).unwrap();
    format!("{head} HASH:{hex} {signature}")
}

/// A data folder for an election file's text (the example's, or a variant of it), with the
/// example's table list imported.
fn with_tables(election: &str) -> Data {
    let data = Data::empty();
    let path = data.file("election.toml", election);
    data.run(&["init", "--election", &path]).expect_code(0);
    let tables = repo("elections/br-2024-ac-example/tables.csv");
    data.run(&["import", "tables", tables.to_str().unwrap()])
        .expect_code(0);
    data
}

fn write(folder: &Path, name: &str, bytes: &[u8]) {
    std::fs::create_dir_all(folder).unwrap();
    std::fs::write(folder.join(name), bytes).unwrap();
}

#[test]
fn brazilian_sheets_go_through_ingest_tally_lookup_export_and_verify() {
    let data = with_tables(&election());

    let reports = reports();
    assert_eq!(reports.len(), 4);
    assert_eq!(reports.iter().map(Vec::len).max(), Some(4));
    let inbox = data.path().join("inbox");
    let conditions = [
        Condition::Dpi200,
        Condition::Grey,
        Condition::Skewed,
        Condition::Rotated90,
    ];
    for (index, parts) in reports.iter().enumerate() {
        write(
            &inbox,
            &format!("bu-{index}.jpg"),
            &page(parts, conditions[index], index as u64 + 1),
        );
    }
    // Set 1 (section 2 of zone 8): a vote added to candidate 92 without a new hash (the chain
    // breaks), and a null vote moved to 92 with the hash computed again (the chain holds, the
    // signature does not).
    let first = &reports[0];
    assert!(first[0].contains("SECA:2 ") && first[0].contains("92:1 APTA:144"));
    let unhashed = vec![first[0].replacen("92:1 APTA:144", "92:2 APTA:144", 1)];
    let resigned = vec![rehashed(
        &first[0],
        "92:1 APTA:144 APTS:144 APTT:0 NOMI:1 BRAN:0 NULO:1",
        "92:2 APTA:144 APTS:144 APTT:0 NOMI:2 BRAN:0 NULO:0",
    )];
    write(
        &inbox,
        "forged-chain.jpg",
        &page(&unhashed, Condition::Dpi200, 7),
    );
    write(
        &inbox,
        "forged-signature.jpg",
        &page(&resigned, Condition::Dpi200, 8),
    );

    let run = data.run(&["ingest", inbox.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("ingested 6 files"), "{}", run.stdout);
    assert!(run.stdout.contains("flagged F106: 2"), "{}", run.stdout);
    assert!(
        run.stdout.contains("queued for a person (veedor queue): 0"),
        "{}",
        run.stdout
    );

    // The tally: the four reports' mayor votes (sets 1 to 4 of the vectors: 92:1 in section
    // 2 and 95:1 in section 1 of zone 8; 91:102 92:105 93:111 94:95 95:91 in section 22 of
    // zone 9), the forgeries nowhere, and no table in conflict because of them.
    let national = data.tally(&[]);
    let area = &national["areas"][0];
    let mut got = votes(area);
    got.sort();
    assert_eq!(
        got,
        [
            ("91".to_owned(), 102),
            ("92".to_owned(), 106),
            ("93".to_owned(), 111),
            ("94".to_owned(), 95),
            ("95".to_owned(), 92),
        ]
    );
    assert_eq!(area["coverage"]["tables_counted"], 3, "{area}");

    // Lookup: a voter of section 2 sees its votes and the refused forgeries beside them.
    let registry = data.path().join("registry.csv");
    data.run(&["generate", "registry", "-o", registry.to_str().unwrap()])
        .expect_code(0);
    data.import_registry(&registry);
    let csv = std::fs::read_to_string(&registry).unwrap();
    let voter = csv
        .lines()
        .find(|line| line.contains("12011200008") && line.ends_with(",2"))
        .and_then(|line| line.split(',').next())
        .unwrap_or_else(|| panic!("a voter of section 2 in:\n{}", &csv[..300.min(csv.len())]));
    let lookup = data.run(&["lookup", voter]).expect_code(0).stdout;
    assert!(lookup.contains("table 12011200008.02"), "{lookup}");
    assert!(lookup.contains("status: accepted (counted)"), "{lookup}");
    assert!(lookup.contains("br-bu.chain-broken"), "{lookup}");
    assert!(lookup.contains("br-bu.signature-invalid"), "{lookup}");

    // Export and verify: each copy's findings in the open data, the seal in the log's entries.
    let key = data.run(&["key"]).expect_code(0).stdout.trim().to_owned();
    let export = data.path().join("export");
    data.run(&["export", "data", export.to_str().unwrap()])
        .expect_code(0);
    let actas = std::fs::read_to_string(export.join("data/actas.csv")).unwrap();
    assert!(actas.contains("seal=verified:sacqrcode.pub"), "{actas}");
    assert_eq!(
        findings_by_table(&actas),
        [
            ("12011200008.01".to_owned(), String::new()),
            ("12011200008.02".to_owned(), String::new()),
            ("12011200008.02".to_owned(), String::new()),
            // The forgery whose chain holds: only its signature betrays it.
            ("12011200008.02".to_owned(), "F106".to_owned()),
            // The one with a vote added: its totals do not add up either.
            ("12011200008.02".to_owned(), "F106 F103 F301".to_owned()),
            ("12013920009.22".to_owned(), String::new()),
        ]
    );
    data.run(&["verify", export.to_str().unwrap(), "--key", &key])
        .expect_code(0);
    let site = data.path().join("site");
    data.run(&["export", "site", site.to_str().unwrap()])
        .expect_code(0);
    let table = std::fs::read_to_string(site.join("api/v1/table/12011200008.02.json")).unwrap();
    assert!(table.contains("F106"), "{table}");
    assert!(
        table.contains(r#""seal":"verified:sacqrcode.pub""#),
        "{table}"
    );
    assert!(
        table.contains(r#""seal":"broken:br-bu.signature-invalid""#),
        "{table}"
    );
    data.run(&["verify", site.to_str().unwrap(), "--key", &key])
        .expect_code(0);

    // Every kind of page a Brazilian election adds to read, in both languages, passes axe-core
    // at a phone's width without JavaScript: the acta pages state the signature's verdict.
    let copy_of = |seal: &str| {
        let mut reader = csv::Reader::from_reader(actas.as_bytes());
        let headers = reader.headers().unwrap().clone();
        let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
        reader
            .records()
            .map(Result::unwrap)
            .find(|row| row[column("format_fields")].contains(seal))
            .map(|row| row[column("copy_id")].to_owned())
            .unwrap()
    };
    let (verified, broken) = (copy_of("seal=verified"), copy_of("seal=broken"));
    let page = std::fs::read_to_string(site.join(format!("en/acta/{verified}.html"))).unwrap();
    assert!(
        page.contains("verified with the key <code>sacqrcode.pub</code>"),
        "{page}"
    );
    let server = crate::site::StaticServer::start(data.path());
    let mut pages = Vec::new();
    for lang in ["es", "en"] {
        for (kind, file) in [
            ("home", "index.html".to_owned()),
            ("state", "area/state/12.html".to_owned()),
            ("zone", "area/zone/12011200008.html".to_owned()),
            ("table", "table/12011200008.02.html".to_owned()),
            ("acta-verified", format!("acta/{verified}.html")),
            ("acta-broken", format!("acta/{broken}.html")),
        ] {
            pages.push(crate::axe::Page::new(
                format!("{kind}-{lang}"),
                server.url(&format!("site/{lang}/{file}")),
                200,
            ));
        }
    }
    crate::axe::check_pages("brazil", &pages, &[]);
}

/// From a payload file (one QR text a line, parts in any order): a report with no key for its
/// state is counted with W203; with another state's key in place of its own, it fails (F106);
/// a report with a part missing, and a text that is not a part, are refused by line.
#[test]
fn payload_lines_say_which_reports_cannot_be_checked_and_which_fail() {
    let text = election();
    let payloads =
        std::fs::read_to_string(repo("elections/br-2024-ac-example/payloads.txt")).unwrap();
    let the_key = "3c8dd2914fc8b20bd80b09744867684c051145e3f8b887d28af3d23a17a843dd";
    assert!(text.contains(the_key));

    // No key at all: nothing can be checked, and the reports count as unsigned sheets, W203.
    let key_line = format!("\"sacqrcode.pub\" = \"{the_key}\"\n");
    assert!(text.contains(&key_line));
    let unkeyed = with_tables(&text.replace(&key_line, ""));
    let file = unkeyed.file("payloads.txt", &payloads);
    let run = unkeyed.run(&["import", "payloads", &file]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("4 acta copies added"), "{}", run.stdout);
    assert!(run.stdout.contains("W203"), "{}", run.stdout);
    assert_eq!(
        unkeyed.tally(&[])["areas"][0]["coverage"]["tables_counted"],
        3
    );

    // With the key given, a forger cannot escape the check by claiming a layout the key does
    // not cover (VRQR 6.0, signed by the urna's own key): the same forgery as above, rehashed.
    let data = with_tables(&text);
    let first = payloads
        .lines()
        .find(|line| line.contains("SECA:2 ") && line.contains("ORIG:VOTA"))
        .unwrap();
    let forged = |text: &str| {
        rehashed(
            text,
            "92:1 APTA:144 APTS:144 APTT:0 NOMI:1 BRAN:0 NULO:1",
            "92:2 APTA:144 APTS:144 APTT:0 NOMI:2 BRAN:0 NULO:0",
        )
    };
    let layout = forged(&first.replacen("VRQR:1.5", "VRQR:6.0", 1));
    // Nor by claiming the official phase, for which the file gives no key: the file says which
    // phase it counts, and the report is refused by its field.
    let official = forged(&first.replacen("FASE:S", "FASE:O", 1));
    // A genuine report of another round (TURN changed, rehashed: what a report of round 2 looks
    // like) is refused by its field too.
    let other_round = rehashed(first, "TURN:1", "TURN:2");
    let file = data.file(
        "forged.txt",
        format!("{layout}\n{official}\n{other_round}\n"),
    );
    let run = data.run(&["import", "payloads", &file]);
    assert!(run.stdout.contains("1 acta copies added"), "{}", run.stdout);
    assert!(
        run.stdout.contains("flagged F106 (seal broken): 1"),
        "{}",
        run.stdout
    );
    for refusal in [
        "FASE official (O): this election's reports carry FASE simulated (S)",
        "TURN 2: this election's reports carry TURN 1",
    ] {
        assert!(run.stderr.contains(refusal), "{refusal}\n{}", run.stderr);
    }
    assert_eq!(data.tally(&[])["areas"][0]["coverage"]["tables_counted"], 0);

    // Another key where Acre's should be: the 2016 manual's (sets 5 to 8 of shared/data/br-bu).
    let vectors: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo("../shared/data/br-bu/bu_qr_test_vectors.json")).unwrap(),
    )
    .unwrap();
    let other_key = vectors["sets"][4]["ed25519_public_key_hex"]
        .as_str()
        .unwrap();
    assert_ne!(other_key, the_key);
    let wrong = with_tables(&text.replace(the_key, other_key));
    let file = wrong.file("payloads.txt", &payloads);
    let run = wrong.run(&["import", "payloads", &file]);
    assert!(
        run.stdout.contains("flagged F106 (seal broken): 4"),
        "{}",
        run.stdout
    );
    assert_eq!(
        wrong.tally(&[])["areas"][0]["coverage"]["tables_counted"],
        0
    );

    // A part of the four-part report left out, and a line that is no part at all.
    let data = with_tables(&text);
    let missing: String = payloads
        .lines()
        .filter(|line| !line.starts_with("QRBU:3:4"))
        .chain(["QRBU:x:y not a part"])
        .map(|line| format!("{line}\n"))
        .collect();
    let file = data.file("missing.txt", missing);
    let run = data.run(&["import", "payloads", &file]);
    assert!(run.stdout.contains("3 acta copies added"), "{}", run.stdout);
    assert!(run.stderr.contains("br-bu.part-missing"), "{}", run.stderr);
    assert!(run.stderr.contains("QRBU"), "{}", run.stderr);
}

/// The four-code report printed over two pages of one scanned file (parts 3 and 4 first, then
/// 1 and 2): the pages are read together into one report, which counts once; the other page
/// repeats it.
#[test]
fn a_report_over_two_pages_of_one_file_is_assembled() {
    let data = with_tables(&election());
    let long = reports()
        .into_iter()
        .find(|parts| parts.len() == 4)
        .unwrap();
    let degradation = Condition::Dpi200.degradation(3);
    let halves: Vec<_> = [&long[2..], &long[..2]]
        .iter()
        .map(|half| {
            let texts: Vec<&str> = half.iter().map(String::as_str).collect();
            render(&BuSheet::new(&texts, None).unwrap(), &degradation).unwrap()
        })
        .collect();
    let inbox = data.path().join("inbox");
    write(
        &inbox,
        "two-pages.tiff",
        &encode(&halves, FileFormat::Tiff).unwrap(),
    );
    let run = data.run(&["ingest", inbox.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("(2 pages)"), "{}", run.stdout);
    assert!(
        run.stdout.contains("queued for a person (veedor queue): 0"),
        "{}",
        run.stdout
    );
    let national = data.tally(&[]);
    let area = &national["areas"][0];
    assert_eq!(area["coverage"]["tables_counted"], 1, "{area}");
    let total: u64 = votes(area).iter().map(|(_, v)| v).sum();
    assert_eq!(total, 504, "section 22's nominal votes (NOMI:504)");
}
