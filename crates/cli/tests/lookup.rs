//! `veedor lookup` on generated voters: the right centre, table and acta numbers.

use std::collections::HashMap;

use crate::support::{Data, real_results};

/// The real file's rows by table: (centre padded, table) -> (RE, votes per candidate id).
fn real_rows() -> HashMap<(String, u64), (u64, HashMap<String, u64>)> {
    let mut reader = csv::Reader::from_path(real_results()).unwrap();
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_owned())
        .collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let candidates = [
        "EG", "NM", "LM", "JABE", "JOBR", "AE", "CF", "DC", "EM", "BERA",
    ];
    reader
        .records()
        .map(|record| {
            let record = record.unwrap();
            let number = |name: &str| record[at(name)].parse::<u64>().unwrap();
            let centre = format!("{:0>9}", &record[at("CENTRO")]);
            let votes = candidates
                .iter()
                .map(|c| ((*c).to_owned(), number(c)))
                .collect();
            ((centre, number("MESA")), (number("RE"), votes))
        })
        .collect()
}

#[test]
fn a_generated_voter_finds_their_table_and_its_acta() {
    let data = Data::new();
    data.run(&[
        "import",
        "results",
        "--defines-tables",
        real_results().to_str().unwrap(),
    ])
    .expect_code(0);
    let registry = data.path().join("registry.csv");
    // A tenth of the country keeps the test quick; every table still gets voters.
    data.run(&[
        "generate",
        "registry",
        "--voters",
        "1800000",
        "--seed",
        "7",
        "-o",
        registry.to_str().unwrap(),
    ])
    .expect_code(0);
    let run = data
        .run(&[
            "import",
            "registry",
            "--lookup-cost",
            "unprotected",
            registry.to_str().unwrap(),
        ])
        .expect_code(0);
    assert!(
        run.stdout.contains("registry of 1800000 voters"),
        "{}",
        run.stdout
    );

    let rows = real_rows();
    let text = std::fs::read_to_string(&registry).unwrap();
    let lines: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(lines.len(), 1_800_000);
    // Voters spread through the file: first, last and some between.
    for index in [0, 1, 999, 123_456, 654_321, 1_000_000, 1_799_999] {
        let fields: Vec<&str> = lines[index].split(',').collect();
        let (voter, centre, table) = (fields[0], fields[1], fields[2].parse::<u64>().unwrap());
        let document = data
            .run(&["lookup", voter, "--format", "json"])
            .expect_code(0)
            .json();
        assert_eq!(document["found"], true);
        assert_eq!(document["voter_id"], voter);
        let found = &document["table"];
        assert_eq!(found["centre_code"], centre);
        assert_eq!(found["number"], table);
        let (registered, votes) = &rows[&(centre.to_owned(), table)];
        assert_eq!(found["registered"].as_u64(), Some(*registered));
        assert_eq!(found["status"], "accepted");
        let copies = found["copies"].as_array().unwrap();
        assert_eq!(copies.len(), 1);
        assert_eq!(copies[0]["provenance"]["source"], "csv");
        assert_eq!(
            copies[0]["provenance"]["file_name"],
            "RESULTADOS_2024_CSV_V1.csv"
        );
        for candidate in found["result"]["candidates"].as_array().unwrap() {
            let id = candidate["id"].as_str().unwrap();
            assert_eq!(candidate["votes"].as_u64(), Some(votes[id]), "{voter} {id}");
        }
        // The state's code and name come from the file.
        assert_eq!(found["areas"][0]["code"], &centre[..2]);
        assert!(found["areas"][0]["name"].as_str().unwrap().len() > 3);
        // People type ids with a prefix and separators.
        let typed = format!("V-{voter}");
        let again = data
            .run(&["lookup", &typed, "--format", "json"])
            .expect_code(0)
            .json();
        assert_eq!(again, document);
    }
    // A number that is nobody's.
    let nobody = data
        .run(&["lookup", "999", "--format", "json"])
        .expect_code(4)
        .json();
    assert_eq!(nobody["found"], false);
    let text = data.run(&["lookup", "999"]).expect_code(4);
    assert!(
        text.stdout.contains("not in the registry"),
        "{}",
        text.stdout
    );
    let invalid = data.run(&["lookup", "E-12345"]).expect_code(1);
    assert!(
        invalid.stderr.contains("voter id `E-12345`"),
        "{}",
        invalid.stderr
    );
}
