//! Several copies of one table: corroboration, conflicts, flags and the table list.

use crate::support::{Data, real_results};

/// The three real payloads of shared/data/ve2024/README.md; each matches its row in the CSV.
const REAL_PAYLOADS: [&str; 3] = [
    "201301006.01.1.0001!140,7,10,8,1,7,1,0,2,3,0,1,8,1,0,1,0,3,1,1,0,1,0,0,0,0,0,0,1,2,0,0,0,5,7,155,1,1!0!0",
    "110601011.04.1.0001!122,1,0,0,4,2,0,0,2,1,0,1,2,1,0,0,0,5,0,2,0,0,0,0,0,0,0,0,1,0,0,0,0,8,22,406,0,1!0!0",
    "150702005.02.1.0001!105,7,2,0,4,1,0,1,1,1,0,2,44,2,1,0,0,1,0,1,0,0,0,1,0,0,0,0,1,0,1,0,0,7,13,350,0,2!0!0",
];

fn status_of(data: &Data, centre: &str) -> serde_json::Value {
    data.tally(&["--level", "centre", "--code", centre])["areas"][0]["tables_by_status"].clone()
}

#[test]
fn equal_copies_corroborate_and_different_ones_conflict_without_overwriting() {
    let data = Data::new();
    data.run(&[
        "import",
        "results",
        "--defines-tables",
        real_results().to_str().unwrap(),
    ])
    .expect_code(0);
    let before = data.tally(&[]);

    // The QR payloads say what the CSV says: corroborated, totals unchanged.
    let path = data.file("real.txt", REAL_PAYLOADS.join("\n") + "\n");
    let run = data.run(&["import", "payloads", &path]).expect_code(0);
    assert!(run.stdout.contains("3 acta copies added"), "{}", run.stdout);
    assert_eq!(status_of(&data, "201301006")["corroborated"], 1);
    let after = data.tally(&[]);
    assert_eq!(
        after["areas"][0]["candidates"],
        before["areas"][0]["candidates"]
    );
    assert_eq!(after["areas"][0]["tables_by_status"]["corroborated"], 3);

    // A copy with other numbers for one table: a conflict, both copies kept, the table no
    // longer counted until a person resolves it.
    let altered = REAL_PAYLOADS[0].replacen("!140,", "!240,", 1);
    let path = data.file("altered.txt", altered + "\n");
    data.run(&["import", "payloads", &path]).expect_code(0);
    let statuses = status_of(&data, "201301006");
    assert_eq!(statuses["conflict"], 1);
    let conflict = data.tally(&[]);
    assert_eq!(conflict["areas"][0]["tables_by_status"]["conflict"], 1);
    let maduro = |document: &serde_json::Value| {
        document["areas"][0]["candidates"][0]["votes"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(
        maduro(&conflict),
        maduro(&before) - 188,
        "the conflicting table is not counted"
    );

    let registry = data.file(
        "registry.csv",
        "voter_id,centre_code,table\n12345678,201301006,1\n",
    );
    data.run(&[
        "import",
        "registry",
        "--lookup-cost",
        "unprotected",
        &registry,
    ])
    .expect_code(0);
    let lookup = data
        .run(&["lookup", "12345678", "--format", "json"])
        .expect_code(0)
        .json();
    let copies = lookup["table"]["copies"].as_array().unwrap();
    assert_eq!(lookup["table"]["status"], "conflict");
    assert_eq!(
        copies.len(),
        3,
        "the CSV row, the real payload and the altered one"
    );
    let sources: Vec<&str> = copies
        .iter()
        .map(|c| c["provenance"]["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["csv", "payload", "payload"]);
    assert_eq!(copies[2]["counts"][0], 240);
    assert_eq!(copies[1]["counts"][0], 140);
}

#[test]
fn findings_are_stored_with_the_copy() {
    let data = Data::new();
    let text = std::fs::read_to_string(real_results()).unwrap();
    let mut lines: Vec<String> = text.lines().take(11).map(str::to_owned).collect();
    // Row 2 (line 3): valid votes that do not match the candidates; row 3 (line 4): more votes
    // than registered voters.
    let mut fields: Vec<String> = lines[2].split(',').map(str::to_owned).collect();
    fields[9] = (fields[9].parse::<u64>().unwrap() + 5).to_string();
    lines[2] = fields.join(",");
    let mut fields: Vec<String> = lines[3].split(',').map(str::to_owned).collect();
    fields[8] = "10".to_owned();
    lines[3] = fields.join(",");
    let path = data.file("flagged.csv", lines.join("\n") + "\n");
    let run = data
        .run(&["import", "results", "--defines-tables", &path])
        .expect_code(0);
    assert!(
        run.stdout
            .contains("flagged F102 (more votes than registered): 1"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("flagged F103 (valid votes mismatch): 1"),
        "{}",
        run.stdout
    );
    let national = data.tally(&[]);
    assert_eq!(
        national["areas"][0]["tables_by_status"]["awaiting_person"],
        2
    );
    assert_eq!(national["areas"][0]["coverage"]["tables_counted"], 8);
}

#[test]
fn with_a_table_list_unknown_tables_are_flagged_never_added() {
    let data = Data::new();
    let tables = data.file(
        "tables.csv",
        "centre_code,table,registered,state,municipality,parish,centre\n\
         201301006,1,535,Yaracuy,Manuel Monge,Yumare,Escuela Uno\n\
         110601011,4,903,Lara,Morán,Bolívar,Liceo Dos\n",
    );
    let run = data.run(&["import", "tables", &tables]).expect_code(0);
    assert!(run.stdout.contains("2 tables added"), "{}", run.stdout);
    let path = data.file("real.txt", REAL_PAYLOADS.join("\n") + "\n");
    let run = data.run(&["import", "payloads", &path]).expect_code(0);
    assert!(
        run.stdout
            .contains("1 rows name a table that no table list or defining result file established"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("line 3: table 150702005.02"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("0 tables added"), "{}", run.stdout);
    let national = data.tally(&[]);
    assert_eq!(national["areas"][0]["coverage"]["tables_known"], 2);
    assert_eq!(national["areas"][0]["coverage"]["tables_counted"], 2);
    // Names come from the table list.
    let centre = data.tally(&["--level", "centre", "--code", "110601011"]);
    assert_eq!(centre["areas"][0]["area"]["name"], "Liceo Dos");
    // A bad row in a table list refuses the whole list.
    let before = data.dump();
    let bad = data.file(
        "bad-tables.csv",
        "centre_code,table,registered\n201301006,2,500\n201301006,x,1\n",
    );
    let run = data.run(&["import", "tables", &bad]).expect_code(1);
    assert!(
        run.stderr.contains("line 3: column table"),
        "{}",
        run.stderr
    );
    assert_eq!(data.dump(), before);
}
