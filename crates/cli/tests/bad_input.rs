//! Bad input: each gets an error that names the place and what was expected, and the store is
//! exactly as it was before.

use crate::support::{Data, head_of_real_file};

const GOOD: &str = "201301006.01.1.0001!140,7,10,8,1,7,1,0,2,3,0,1,8,1,0,1,0,3,1,1,0,1,0,0,0,0,0,0,1,2,0,0,0,5,7,155,1,1!0!0";

/// A store holding some real results and a registry, so that "unchanged" means something.
fn populated() -> Data {
    let data = Data::new();
    let results = data.file("head.csv", head_of_real_file(200));
    data.run(&["import", "results", "--defines-tables", &results])
        .expect_code(0);
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
    data.run(&[
        "import",
        "registry",
        "--lookup-cost",
        "unprotected",
        registry.to_str().unwrap(),
    ])
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
        &(GOOD.replace("!0!0", "!-1!0") + "\n"),
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
            &(payload + "\n"),
            &["field 1 (acta id)", id, "expected CCCCCCCCC.MM.N.NNNN"],
        );
    }
    refused(
        &data,
        "payloads",
        "fields.txt",
        "201301006.01.1.0001!1,2!0\n",
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
    let run = data
        .run(&["import", "results", "--defines-tables", &path])
        .expect_code(3);
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

/// Runs an import of a file already written that must fail; checks as [`refused`] does.
fn refused_path(data: &Data, kind: &str, path: &std::path::Path, expected: &[&str]) {
    let before = data.dump();
    let run = data
        .run(&["import", kind, path.to_str().unwrap()])
        .expect_code(1);
    let message = format!("{}{}", run.stdout, run.stderr);
    for part in expected {
        assert!(message.contains(part), "`{part}` missing from:\n{message}");
    }
    let name = path.file_name().unwrap().to_str().unwrap();
    assert!(message.contains(name), "the file is not named:\n{message}");
    assert_eq!(data.dump(), before, "the store changed after: {message}");
}

/// A sparse file of `size` bytes: made at once, whatever its size, and never read whole by a
/// veedor that checks sizes first (a veedor that did would take minutes and the memory).
fn sparse(data: &Data, name: &str, size: u64) -> std::path::PathBuf {
    let path = data.path().join(name);
    std::fs::File::create(&path).unwrap().set_len(size).unwrap();
    path
}

#[test]
fn every_importer_refuses_a_file_over_its_limit_before_reading_it() {
    use veedor_formats::limits;
    let data = populated();
    let started = std::time::Instant::now();
    for (kind, limit) in [
        ("results", limits::RESULTS_FILE_BYTES),
        ("tables", limits::TABLES_FILE_BYTES),
        ("payloads", limits::PAYLOADS_FILE_BYTES),
    ] {
        let size = u64::try_from(limit).unwrap() + 1;
        let path = sparse(&data, &format!("huge-{kind}.csv"), size);
        refused_path(
            &data,
            kind,
            &path,
            &[
                &format!("{size} bytes, more than the limit of {limit} bytes"),
                "nothing was read",
            ],
        );
    }
    let size = limits::REGISTRY_FILE_BYTES + 1;
    let path = sparse(&data, "huge-registry.csv", size);
    refused_path(
        &data,
        "registry",
        &path,
        &[&format!(
            "{size} bytes, more than the limit of {} bytes for a voter registry",
            limits::REGISTRY_FILE_BYTES
        )],
    );
    // Reading any of them would take far longer than this.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn an_oversized_election_file_is_refused_and_no_store_is_created() {
    let data = Data::new();
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../elections/ve-2024-presidential.toml"
    ))
    .unwrap();
    // A valid definition, made too long for the log's first entry by a comment.
    let padding = "x".repeat(veedor_formats::limits::ELECTION_FILE_BYTES);
    let path = data.file("big-election.toml", format!("{shipped}\n# {padding}\n"));
    let folder = data.path().join("new-store");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_veedor"))
        .arg("--data")
        .arg(&folder)
        .args(["init", "--election", &path])
        .env_remove("VEEDOR_DATA")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    for part in [
        "big-election.toml",
        "more than the limit of 65517 bytes",
        "the transparency log's first entry holds the election file whole",
    ] {
        assert!(stderr.contains(part), "`{part}` missing from:\n{stderr}");
    }
    assert!(!folder.exists(), "a store was created");
}

#[test]
fn every_importer_refuses_a_file_cut_inside_its_last_field() {
    let data = populated();
    let expected = [
        "the last line has no line end",
        "the file looks cut off",
        "expected every row to end with a line break",
        "nothing was imported",
    ];
    // Results without their URL column, so that the last field is a count: `107` cut to `1`
    // leaves a row as long as a whole one, which was imported with 1 vote.
    let text: String = head_of_real_file(20)
        .lines()
        .map(|line| line.rsplit_once(',').unwrap().0.to_owned() + "\n")
        .collect();
    let whole = text.trim_end().rsplit_once(',').unwrap().0.to_owned() + ",107\n";
    let cut = &whole[..whole.len() - 3];
    assert!(cut.ends_with(",1"));
    let mut results = expected.to_vec();
    results.push("line 21:");
    refused(&data, "results", "cut-count.csv", cut, &results);
    refused(
        &data,
        "tables",
        "cut-tables.csv",
        "centre_code,table,registered\n201301006,1,535\n201301006,2,5",
        &expected,
    );
    refused(
        &data,
        "payloads",
        "cut-payloads.txt",
        &format!("{GOOD}\n{GOOD}"),
        &expected,
    );
    let registry = std::fs::read_to_string(data.path().join("registry.csv")).unwrap();
    refused(
        &data,
        "registry",
        "cut-registry.csv",
        registry.trim_end(),
        &expected,
    );
    // CRLF line ends are line ends.
    let crlf = data.file("crlf.txt", format!("{GOOD}\r\n"));
    data.run(&["import", "payloads", &crlf]).expect_code(0);
}

#[test]
fn a_line_over_the_limit_is_refused() {
    let data = populated();
    let long = "9".repeat(70_000);
    let head = head_of_real_file(3);
    refused(
        &data,
        "results",
        "long-line.csv",
        &format!("{head}{long}\n"),
        &["line 5 is longer than 65536 bytes, the limit for a line"],
    );
    refused(
        &data,
        "payloads",
        "long-line.txt",
        &format!("{GOOD}\n{long}\n"),
        &["line 2 is longer than 65536 bytes"],
    );
    refused(
        &data,
        "tables",
        "long-line-tables.csv",
        &format!("centre_code,table,registered\n201301006,1,{long}\n"),
        &["line 2 is longer than 65536 bytes"],
    );
    refused(
        &data,
        "registry",
        "long-line-registry.csv",
        &format!(
            "voter_id,centre_code,table\n1,201301006,1\n2,201301006,1{}\n",
            " ".repeat(2_000)
        ),
        &["line 3 is longer than 1024 bytes, the limit for a line"],
    );
}

#[test]
fn an_area_name_with_an_escape_sequence_is_a_malformed_field() {
    let data = populated();
    // A table list is all or nothing.
    refused(
        &data,
        "tables",
        "escape-tables.csv",
        "centre_code,table,registered,centre\n201301006,1,535,ESCUELA\u{1b}]0;pwned\u{7}\n",
        &[
            "line 2: column centre: a control character (U+001B) at character 8",
            "expected printable text",
        ],
    );
    // In results, the row is refused and the others load; what is printed carries no escape.
    let text = head_of_real_file(3);
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[2] = lines[2].replacen("PQ. ", "PQ. \u{1b}[2J\u{1b}[31m", 1);
    lines[3] = lines[3].replacen(",0,", ",\u{1b}[8m,", 1);
    assert!(lines[2].contains('\u{1b}') && lines[3].contains('\u{1b}'));
    let path = data.file("escape.csv", lines.join("\n") + "\n");
    let run = data
        .run(&["import", "results", "--defines-tables", &path])
        .expect_code(3);
    assert!(
        run.stderr
            .contains("line 3: column PAR: a control character (U+001B)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("line 4: column"), "{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}') && !run.stdout.contains('\u{1b}'));
    assert!(run.stderr.contains("`?[8m`"), "{}", run.stderr);
    let sources = data.run(&["sources"]).expect_code(0);
    assert!(!sources.stdout.contains('\u{1b}'), "{}", sources.stdout);
}

#[test]
fn a_formula_looking_name_is_neutralised_in_open_data_and_the_mirror_verifies() {
    let data = Data::new();
    let tables = data.file(
        "tables.csv",
        "centre_code,table,registered,state,centre\n\
         201301006,1,535,-Yaracuy,\"=HYPERLINK(\"\"http://evil.example\"\",\"\"clic\"\")\"\n",
    );
    data.run(&["import", "tables", &tables]).expect_code(0);
    let payloads = data.file("@payloads.txt", format!("{GOOD}\n"));
    data.run(&["import", "payloads", &payloads]).expect_code(0);
    let dir = data.path().join("mirror");
    data.run(&["export", "data", dir.to_str().unwrap()])
        .expect_code(0);
    let actas = std::fs::read_to_string(dir.join("data/actas.csv")).unwrap();
    assert!(
        actas.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"clic\"\")\""),
        "{actas}"
    );
    assert!(actas.contains(",'-Yaracuy,"), "{actas}");
    assert!(actas.contains(",'@payloads.txt,"), "{actas}");
    assert!(!actas.contains(",=") && !actas.contains(",-") && !actas.contains(",@"));
    let tables = std::fs::read_to_string(dir.join("data/tables.csv")).unwrap();
    assert!(tables.contains("\"'=HYPERLINK("), "{tables}");
    // JSON keeps the text as it is.
    let json = std::fs::read_to_string(dir.join("data/actas.json")).unwrap();
    assert!(json.contains("\"=HYPERLINK("), "{json}");
    assert!(json.contains("\"@payloads.txt\""), "{json}");
    // The verifier renders the same cells.
    let key = data.run(&["key"]).expect_code(0).stdout.trim().to_owned();
    data.run(&["verify", dir.to_str().unwrap(), "--key", &key])
        .expect_code(0);
    // And so does the command line's CSV.
    let tally = data
        .run(&["tally", "--level", "centre", "--format", "csv"])
        .expect_code(0);
    assert!(tally.stdout.contains(",\"'=HYPERLINK("), "{}", tally.stdout);
}

#[test]
fn a_device_or_volunteer_that_would_swell_the_log_is_refused() {
    let data = populated();
    let before = data.dump();
    let scan = data.file("scan.png", b"\x89PNG\r\n\x1a\n");
    for (flag, value, expected) in [
        (
            "--device",
            "d".repeat(10 * 1024),
            "--device: 10240 characters long: expected at most 256",
        ),
        (
            "--device",
            "scanner\u{1b}[2J".to_owned(),
            "--device: a control character (U+001B) at character 8",
        ),
        (
            "--volunteer",
            "v".repeat(10 * 1024),
            "--volunteer: pseudonym",
        ),
    ] {
        let run = data.run(&["ingest", flag, &value, &scan]).expect_code(1);
        assert!(run.stderr.contains(expected), "{}", run.stderr);
        assert!(!run.stderr.contains('\u{1b}'), "{}", run.stderr);
        assert_eq!(data.dump(), before);
    }
}
