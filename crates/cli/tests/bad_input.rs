//! Bad input: each gets an error that names the place and what was expected, and the store is
//! exactly as it was before.

use crate::support::{Data, head_of_real_file};

const GOOD: &str = "201301006.01.1.0001!140,7,10,8,1,7,1,0,2,3,0,1,8,1,0,1,0,3,1,1,0,1,0,0,0,0,0,0,1,2,0,0,0,5,7,155,1,1!0!0";

/// A store holding some real results and a registry, so that "unchanged" means something.
fn populated() -> Data {
    let data = Data::new();
    let results = data.file("head.csv", head_of_real_file(200));
    data.run(&["import", "results", &results]).expect_code(0);
    let registry = data.path().join("registry.csv");
    data.run(&[
        "generate",
        "registry",
        "--voters",
        "5000",
        "-o",
        registry.to_str().unwrap(),
    ])
    .expect_code(0);
    data.run(&["import", "registry", registry.to_str().unwrap()])
        .expect_code(0);
    data
}

/// Runs an import that must fail, and checks its message and that the store is unchanged.
fn refused(data: &Data, kind: &str, name: &str, contents: &str, expected: &[&str]) {
    let before = data.dump();
    let path = data.file(name, contents);
    let run = data.run(&["import", kind, &path]).expect_code(1);
    let message = format!("{}{}", run.stdout, run.stderr);
    for part in expected {
        assert!(message.contains(part), "`{part}` missing from:\n{message}");
    }
    assert!(message.contains(name), "the file is not named:\n{message}");
    assert_eq!(data.dump(), before, "the store changed after: {message}");
}

fn cells(count: usize, replace: Option<(usize, &str)>) -> String {
    let mut cells = vec!["1".to_owned(); count];
    if let Some((index, value)) = replace {
        cells[index] = value.to_owned();
    }
    format!("201301006.01.1.0001!{}!0!0\n", cells.join(","))
}

#[test]
fn payloads_with_37_or_39_cells() {
    let data = populated();
    refused(
        &data,
        "payloads",
        "37.txt",
        &cells(37, None),
        &["line 1", "field 2 (vote counts)", "37 counts: expected 38"],
    );
    refused(
        &data,
        "payloads",
        "39.txt",
        &format!("# a comment\n{}", cells(39, None)),
        &["line 2", "39 counts: expected 38"],
    );
}

#[test]
fn payloads_with_negative_or_overflowing_counts() {
    let data = populated();
    refused(
        &data,
        "payloads",
        "negative.txt",
        &cells(38, Some((4, "-3"))),
        &["line 1", "cell 4", "`-3` is negative"],
    );
    refused(
        &data,
        "payloads",
        "overflow.txt",
        &cells(38, Some((37, "4294967296"))),
        &["cell 37", "too large: expected at most 4294967295"],
    );
    refused(
        &data,
        "payloads",
        "nulls.txt",
        &GOOD.replace("!0!0", "!-1!0"),
        &["field 3 (null votes)", "negative"],
    );
}

#[test]
fn payloads_with_a_malformed_acta_id() {
    let data = populated();
    for id in [
        "20130100.01.1.0001",
        "201301006-01.1.0001",
        "201301006.01",
        "ABCDEFGHI.01.1.0001",
    ] {
        let payload = GOOD.replacen("201301006.01.1.0001", id, 1);
        refused(
            &data,
            "payloads",
            "id.txt",
            &payload,
            &["field 1 (acta id)", id, "expected CCCCCCCCC.MM.N.NNNN"],
        );
    }
    refused(
        &data,
        "payloads",
        "fields.txt",
        "201301006.01.1.0001!1,2!0",
        &["3 fields: expected 4"],
    );
}

#[test]
fn a_csv_with_no_usable_header() {
    let data = populated();
    // The header line lost: the first line is a data row.
    let text = head_of_real_file(20);
    let headless: String = text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    refused(
        &data,
        "results",
        "headless.csv",
        &headless,
        &[
            "line 1: no usable header",
            "the centre code (a column named CENTRO",
        ],
    );
    // A header that lacks one candidate's column.
    let missing = text.replacen(",EG,", ",XX,", 1);
    refused(
        &data,
        "results",
        "no-eg.csv",
        &missing,
        &[
            "no usable header",
            "the votes of Edmundo Gonz\u{e1}lez (a column named EG)",
        ],
    );
    refused(
        &data,
        "tables",
        "tables.csv",
        "a,b,c\n1,2,3\n",
        &["no usable header", "centre_code"],
    );
    refused(&data, "results", "empty.csv", "", &["the file is empty"]);
}

#[test]
fn a_truncated_file() {
    let data = populated();
    let text = head_of_real_file(300);
    // Cut in the middle of the vote counts of the last row (a cut inside the last field, the
    // URL, leaves a row that cannot be told from a whole one).
    let cut = &text[..text.len() - 100];
    assert!(!cut.ends_with('\n'));
    refused(
        &data,
        "results",
        "cut.csv",
        cut,
        &[
            "line 301",
            "ends in the middle of a row",
            "cut off",
            "nothing was imported",
        ],
    );
    let registry = std::fs::read_to_string(data.path().join("registry.csv")).unwrap();
    refused(
        &data,
        "registry",
        "cut-registry.csv",
        &registry[..registry.len() - 4],
        &["cut off"],
    );
}

#[test]
fn a_registry_row_for_an_unknown_table() {
    let data = populated();
    let registry = std::fs::read_to_string(data.path().join("registry.csv")).unwrap();
    let mut lines: Vec<&str> = registry.lines().collect();
    lines.insert(3, "77777777,999999999,1");
    lines.insert(7, "77777778,201301006,42");
    let contents = lines.join("\n") + "\n";
    refused(
        &data,
        "registry",
        "unknown-table.csv",
        &contents,
        &[
            "2 row(s) cannot be read",
            "line 4: table 999999999.01 is not a known table",
            "line 8: table 201301006.42",
        ],
    );
    // The registry from before still answers.
    let voter = lines[1].split(',').next().unwrap();
    data.run(&["lookup", voter]).expect_code(0);
}

#[test]
fn a_registry_with_a_voter_twice_or_a_bad_id() {
    let data = populated();
    let registry = std::fs::read_to_string(data.path().join("registry.csv")).unwrap();
    let mut lines: Vec<&str> = registry.lines().collect();
    let twice = lines[2].to_owned();
    lines.push(&twice);
    refused(
        &data,
        "registry",
        "twice.csv",
        &(lines.join("\n") + "\n"),
        &["appears on more than one row"],
    );
    refused(
        &data,
        "registry",
        "bad-id.csv",
        "voter_id,centre_code,table\nV-12x45,201301006,1\n",
        &["line 2", "column voter_id", "expected a number"],
    );
}

#[test]
fn a_bad_row_in_the_middle_is_reported_and_the_rest_loads() {
    let data = Data::new();
    let text = head_of_real_file(50);
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[10] = lines[10].replacen(",0,", ",-4,", 1);
    lines[20] = "1,DTTO. CAPITAL,short row".to_owned();
    let path = data.file("bad-rows.csv", lines.join("\n") + "\n");
    let run = data.run(&["import", "results", &path]).expect_code(3);
    assert!(
        run.stdout.contains("50 rows read, 48 acta copies added"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("line 11: column"), "{}", run.stderr);
    assert!(
        run.stderr.contains("expected a whole number of 0 or more"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("line 21: 3 fields, expected 22"),
        "{}",
        run.stderr
    );
    let sources = data.run(&["sources"]).expect_code(0);
    assert!(sources.stdout.contains("2 rejected"), "{}", sources.stdout);
}
