//! Conflicts between copies: two result files disagree on a table, a coordinator decides which
//! copy counts (`veedor decide`), the table is counted and says so, the log and its mirror
//! verify; a typist, a table whose copies agree and a bad copy name are refused; a later copy
//! that disagrees puts the table back in conflict.

use crate::support::{Data, head_of_real_file};

/// The first table of the real file, whose row is the first data row.
const TABLE: &str = "010113042.01";
const CENTRE: &str = "010113042";

/// The real file's first `rows` rows, with the first row's first candidate (EG, 232) and valid
/// votes (364) lowered by `less`: a copy of table 010113042.01 that disagrees.
fn altered(rows: usize, less: u32) -> String {
    let text = head_of_real_file(rows);
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let fields: Vec<String> = lines[1].split(',').map(str::to_owned).collect();
    let mut fields = fields;
    assert_eq!((fields[9].as_str(), fields[11].as_str()), ("364", "232"));
    fields[9] = (364 - less).to_string();
    fields[11] = (232 - less).to_string();
    lines[1] = fields.join(",");
    lines.iter().map(|line| format!("{line}\n")).collect()
}

/// The id of the copy of `TABLE` from `file`, as `veedor conflicts` lists it.
fn copy_id(listing: &str, file: &str) -> String {
    listing
        .lines()
        .find(|line| line.contains(&format!("({file})")))
        .and_then(|line| line.split_whitespace().find(|word| word.starts_with('#')))
        .unwrap_or_else(|| panic!("no copy from {file} in:\n{listing}"))
        .to_owned()
}

fn statuses(data: &Data) -> serde_json::Value {
    data.tally(&["--level", "centre", "--code", CENTRE])["areas"][0].clone()
}

#[test]
fn a_coordinator_decides_a_conflict_the_table_counts_and_the_log_verifies() {
    let data = Data::new();
    let official = data.file("official.csv", head_of_real_file(3));
    data.run(&["import", "results", "--defines-tables", &official])
        .expect_code(0);
    let before = statuses(&data);
    let altered_file = data.file("altered.csv", altered(1, 100));
    data.run(&["import", "results", &altered_file])
        .expect_code(0);
    let conflict = statuses(&data);
    assert_eq!(conflict["tables_by_status"]["conflict"], 1, "{conflict}");
    assert_eq!(conflict["tables_by_status"]["decided"], 0);

    let listing = data.run(&["conflicts"]).expect_code(0).stdout;
    assert!(
        listing.contains(&format!("table {TABLE}: conflict, not counted")),
        "{listing}"
    );
    let kept = copy_id(&listing, "official.csv");
    let overruled = copy_id(&listing, "altered.csv");

    data.run(&["user", "add", "chief", "--role", "coordinator"])
        .expect_code(0);
    data.run(&["user", "add", "ana", "--role", "typist"])
        .expect_code(0);
    let unchanged = data.dump();
    let reason = "the witnesses' paper says 232 for EG";

    // A typist may not decide; nothing is stored.
    let refused = data
        .run(&[
            "decide", TABLE, "--keep", &kept, "--as", "ana", "--reason", reason,
        ])
        .expect_code(1);
    assert!(
        refused.stderr.contains("only a coordinator decides"),
        "{}",
        refused.stderr
    );
    // A table whose copies agree has nothing to decide.
    let agreeing = data
        .run(&[
            "decide",
            "010113042.02",
            "--keep",
            "#2",
            "--as",
            "chief",
            "--reason",
            reason,
        ])
        .expect_code(1);
    assert!(
        agreeing.stderr.contains("is not in conflict"),
        "{}",
        agreeing.stderr
    );
    // A copy of another table is not one of this table's; a reason is required.
    let elsewhere = data
        .run(&[
            "decide", TABLE, "--keep", "#2", "--as", "chief", "--reason", reason,
        ])
        .expect_code(1);
    assert!(
        elsewhere.stderr.contains("has no copy `#2`"),
        "{}",
        elsewhere.stderr
    );
    let no_reason = data
        .run(&[
            "decide", TABLE, "--keep", &kept, "--as", "chief", "--reason", " ",
        ])
        .expect_code(1);
    assert!(
        no_reason.stderr.contains("needs a reason"),
        "{}",
        no_reason.stderr
    );
    assert_eq!(data.dump(), unchanged, "a refused decision stores nothing");

    let decided = data
        .run(&[
            "decide", TABLE, "--keep", &kept, "--as", "chief", "--reason", reason,
        ])
        .expect_code(0);
    assert!(
        decided.stdout.contains("decided by chief")
            && decided.stdout.contains("signed a checkpoint"),
        "{}",
        decided.stdout
    );

    // Counted with the kept copy's numbers: the centre's totals are those before the conflict.
    let after = statuses(&data);
    assert_eq!(after["tables_by_status"]["decided"], 1, "{after}");
    assert_eq!(after["tables_by_status"]["conflict"], 0);
    assert_eq!(after["candidates"], before["candidates"]);
    assert_eq!(
        after["coverage"]["tables_counted"],
        before["coverage"]["tables_counted"]
    );
    let text = data
        .run(&["tally", "--level", "centre", "--code", CENTRE])
        .expect_code(0);
    assert!(text.stdout.contains("1 decided"), "{}", text.stdout);

    // The status shows the decision; both copies are still there.
    assert!(
        data.run(&["conflicts"])
            .expect_code(0)
            .stdout
            .contains("no table in conflict")
    );
    let all = data.run(&["conflicts", "--all"]).expect_code(0).stdout;
    assert!(
        all.contains(&format!("table {TABLE}: decided, counted")),
        "{all}"
    );
    assert!(all.contains(&format!("kept: {kept} ")), "{all}");
    assert!(all.contains(&format!("overruled: {overruled} ")), "{all}");
    assert!(
        all.contains("decision by chief") && all.contains(reason),
        "{all}"
    );
    let audit = data
        .run(&["audit", "--action", "copy.decide"])
        .expect_code(0)
        .stdout;
    assert!(audit.contains("chief") && audit.contains(reason), "{audit}");

    // The open data and the site carry the decision, and a mirror verifies against the key.
    let key = data.run(&["key"]).expect_code(0).stdout.trim().to_owned();
    let site = data.path().join("site").display().to_string();
    data.run(&["export", "site", &site]).expect_code(0);
    let decisions = std::fs::read_to_string(format!("{site}/data/decisions.csv")).unwrap();
    assert!(
        decisions.contains(&format!(",{TABLE},")) && decisions.contains(",chief,"),
        "{decisions}"
    );
    assert!(decisions.contains(reason), "{decisions}");
    let tables = std::fs::read_to_string(format!("{site}/data/tables.csv")).unwrap();
    assert!(tables.contains(",decided,true,"), "{tables}");
    let page = std::fs::read_to_string(format!("{site}/en/table/{TABLE}.html")).unwrap();
    assert!(
        page.contains("a coordinator decided which stands")
            && page.contains("chief")
            && page.contains("232 for EG"),
        "{page}"
    );
    let json = std::fs::read_to_string(format!("{site}/api/v1/table/{TABLE}.json")).unwrap();
    let document: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(document["table"]["status"], "decided");
    assert_eq!(document["table"]["counted"], true);
    assert_eq!(document["table"]["decision"]["coordinator"], "chief");
    assert_eq!(document["table"]["decision"]["reason"], reason);
    assert_eq!(document["table"]["decision"]["in_force"], true);
    assert_eq!(
        document["table"]["decision"]["kept_copies"][0].as_i64(),
        kept.trim_start_matches('#').parse::<i64>().ok()
    );
    let verified = data.run(&["verify", &site, "--key", &key]).expect_code(0);
    assert!(
        verified
            .stdout
            .contains("1 coordinators' decisions are in the log; 1 decision rows match"),
        "{}",
        verified.stdout
    );

    // A tampered reason in the open data is named.
    let tampered = decisions.replace(reason, "the altered file is right");
    std::fs::write(format!("{site}/data/decisions.csv"), tampered).unwrap();
    let caught = data.run(&["verify", &site, "--key", &key]).expect_code(1);
    let said = format!("{}{}", caught.stdout, caught.stderr);
    assert!(said.contains("data/decisions.csv"), "{said}");

    // A later file with yet other numbers: the decision did not overrule it, so the table is in
    // conflict again, and says the decision no longer covers it.
    let third = data.file("third.csv", altered(1, 7));
    data.run(&["import", "results", &third]).expect_code(0);
    let reopened = statuses(&data);
    assert_eq!(reopened["tables_by_status"]["conflict"], 1, "{reopened}");
    let listing = data.run(&["conflicts"]).expect_code(0).stdout;
    assert!(listing.contains("since the decision: "), "{listing}");
    assert!(listing.contains("no longer covers the table"), "{listing}");
    // Deciding again covers all three; a short SHA-256 prefix names the copy.
    let line = listing
        .lines()
        .find(|line| line.contains("(official.csv)"))
        .unwrap();
    let evidence = line
        .split_whitespace()
        .find(|word| word.contains(":line"))
        .unwrap();
    let prefix = format!("{}:line 2", &evidence[..8]);
    data.run(&[
        "decide", TABLE, "--keep", &prefix, "--as", "chief", "--reason", reason,
    ])
    .expect_code(0);
    assert_eq!(statuses(&data)["tables_by_status"]["decided"], 1);
    let data_dir = data.path().join("data-mirror").display().to_string();
    data.run(&["export", "data", &data_dir]).expect_code(0);
    data.run(&["verify", &data_dir, "--key", &key])
        .expect_code(0);
}
