//! A country veedor has no code for, declared only in an election file
//! (elections/examples/ruritania-2025-legislative.toml): its result file, laid out its own way,
//! imports; its own rules find what breaks them; what breaks an error rule is not counted; its
//! declared counts reach the open data and the log, and the mirror verifies.

use crate::support::{Data, findings_by_table};

const ELECTION: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../elections/examples/ruritania-2025-legislative.toml"
);

/// Six ballot boxes in Ruritania's layout (semicolons, its own headers, the box's code in three
/// columns), and one that cannot be read.
const RESULTS: &str = "\
PROVINCIA_ID;PROVINCIA;DISTRITO_ID;SECCION_ID;URNA;LISTA_NOMINAL;BOLETAS_RECIBIDAS;BOLETAS_SOBRANTES;P_VERDE;P_AZUL;P_ROJO;EN_BLANCO;NULOS;TOTAL_VOTOS
1;Norte;1;1;1;300;300;100;90;60;30;12;8;200
1;Norte;1;1;2;300;300;90;90;60;30;12;8;200
1;Norte;1;2;1;150;300;100;90;60;30;12;8;200
2;Sur;14;7;1;400;350;;150;100;50;20;5;325
2;Sur;14;7;2;400;350;0;150;100;50;20;30;999
2;Sur;14;7;3;400;350;25;150;100;50;20;5;325
2;Sur;1234;7;4;400;350;25;150;100;50;20;5;325
";

/// Every file under a folder.
fn files(folder: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn a_country_declared_only_in_its_election_file_imports_and_checks_its_own_rules() {
    let data = Data::with_election(ELECTION);
    let file = data.file("ruritania.csv", RESULTS);
    let run = data.run(&["import", "results", "--defines-tables", &file]);
    // The last row's district has four digits where the file declares three: refused, named.
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("line 8: column DISTRITO_ID: `1234`, expected 1 to 3 digits"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("6 acta copies added"), "{}", run.stdout);

    let export = data.path().join("export");
    data.run(&["export", "data", export.to_str().unwrap()])
        .expect_code(0);
    let actas = std::fs::read_to_string(export.join("data/actas.csv")).unwrap();
    let header = actas.lines().next().unwrap();
    for column in [
        "count_ballots_received",
        "count_ballots_left",
        "count_blank",
        "count_total",
    ] {
        assert!(header.contains(column), "{header}");
    }
    assert_eq!(
        findings_by_table(&actas),
        [
            // 300 received = 100 left + 180 + 12 + 8: every rule holds.
            ("01001001.01".to_owned(), String::new()),
            // 90 left: 290 accounted for, not 300.
            ("01001001.02".to_owned(), "F301".to_owned()),
            // 200 ballots cast on a list of 150 (and 300 received, 100 left: F301 holds).
            ("01001002.01".to_owned(), "F302".to_owned()),
            // No leftover count given: F301 cannot be checked, and is not.
            ("02014007.01".to_owned(), String::new()),
            // 0 left: 300 + 20 + 30 = 350 holds; the stated total 999 does not (a warning).
            ("02014007.02".to_owned(), "W303".to_owned()),
            ("02014007.03".to_owned(), String::new()),
        ]
    );

    // Errors keep a box out of the count; a warning does not.
    let national = data.tally(&[]);
    let area = &national["areas"][0];
    let votes: Vec<u64> = area["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["votes"].as_u64().unwrap())
        .collect();
    assert_eq!(votes, [90 + 150 * 3, 60 + 100 * 3, 30 + 50 * 3]);
    assert_eq!(area["coverage"]["tables_counted"], 4);

    // The site: the finding's sentence is the one the file declares, the copy's declared
    // counts are in its JSON, and the mirror verifies.
    let key = data.run(&["key"]).expect_code(0).stdout.trim().to_owned();
    let site = data.path().join("site").display().to_string();
    data.run(&["export", "site", &site]).expect_code(0);
    let json = std::fs::read_to_string(format!("{site}/api/v1/table/01001001.02.json")).unwrap();
    assert!(
        json.contains(
            "300 ballots received, but 90 left over and 180 list votes, 12 blank and 8 null add up to 290"
        ),
        "{json}"
    );
    let document: serde_json::Value = serde_json::from_str(&json).unwrap();
    let copy = &document["table"]["copies"][0];
    assert_eq!(copy["declared_counts"][0]["id"], "ballots_received");
    assert_eq!(copy["declared_counts"][0]["value"], 300);
    assert_eq!(copy["findings"][0]["code"], "F301");
    data.run(&["verify", &site, "--key", &key]).expect_code(0);

    // The log carries the declared counts, and the mirror verifies against them.
    let entry = files(&export.join("log/tile/entries"))
        .into_iter()
        .map(|path| std::fs::read(path).unwrap())
        .find(|bytes| bytes.windows(18).any(|w| w == b"veedor/acta-copy/3"));
    let entry = String::from_utf8_lossy(&entry.expect("a version 3 entry")).into_owned();
    assert!(
        entry.contains("declared_counts: ballots_received=300 ballots_left=100 blank=12 total=200"),
        "{entry}"
    );
    data.run(&["verify", export.to_str().unwrap(), "--key", &key])
        .expect_code(0);
}

#[test]
fn a_rule_that_names_no_count_is_refused_with_its_field() {
    let text = std::fs::read_to_string(ELECTION)
        .unwrap()
        .replace("total = votes + blank + null?", "total = votes + blanks");
    let data = Data::empty();
    let path = data.file("bad.toml", text);
    let run = data.run(&["init", "--election", &path]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("sheet.rules[2].check: `blanks` in `total = votes + blanks` is not a count"),
        "{}",
        run.stderr
    );
}
