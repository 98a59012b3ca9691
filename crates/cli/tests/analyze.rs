//! `veedor analyze` on the real 2024 file: the national bound, the impossibility of the second
//! bulletin, the projection with its interval; and a state's coverage that nothing declares.

use serde_json::Value;

use crate::http::http_get;
use crate::support::{Data, real_results};
use crate::web::serve;

fn find<'a>(items: &'a Value, key: &str, value: &str) -> &'a Value {
    items
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item[key] == value)
        .unwrap_or_else(|| panic!("no {key} = {value} in {items}"))
}

#[test]
fn the_real_file_analysed() {
    let data = Data::new();
    let path = real_results();
    data.run(&[
        "import",
        "results",
        "--defines-tables",
        path.to_str().unwrap(),
    ])
    .expect_code(0);
    let document = data
        .run(&["analyze", "--format", "json"])
        .expect_code(0)
        .json();
    assert_eq!(document["schema"], "veedor.analysis/1");
    let nation = &document["areas"][0];
    assert_eq!(nation["area"]["level"], "national");

    // The bound: González's margin of 7,156,462 − 3,241,461 = 3,915,001 votes against the
    // 21,392,464 − 17,745,239 = 3,647,225 registered voters without an acta.
    let bound = &nation["bound"];
    assert_eq!(bound["leader"], "EG");
    assert_eq!(bound["runner_up"], "NM");
    assert_eq!(bound["margin"], 3_915_001);
    assert_eq!(bound["registered_without_acta"], 3_647_225);
    assert_eq!(bound["verdict"], "cannot_change");
    assert_eq!(bound["verdict_at_highest_turnout"], "cannot_change");
    assert!(bound["tipping"]["share_needed_percent"].as_f64().unwrap() > 100.0);
    let sentence = nation["sentence"].as_str().unwrap();
    assert!(
        sentence.contains("3,915,001")
            && sentence.contains("3,647,225")
            && sentence.contains("no outcome of the missing tables can change the winner"),
        "{sentence}"
    );
    assert_eq!(nation["coverage"]["tables_expected"], 30_026);
    assert_eq!(nation["coverage"]["tables_expected_from"], "declared");

    // The second bulletin gives González 5,326,104 votes; the counted actas alone give him
    // 7,156,462, and more than 5,326,104 even without the tables it may have left out.
    let second = find(&nation["official"], "bulletin", "cne-2");
    assert_eq!(second["impossible"], true);
    let gonzalez = find(&second["rows"], "candidate", "EG");
    assert_eq!(gonzalez["official"], 5_326_104);
    assert_eq!(gonzalez["actas"], 7_156_462);
    assert_eq!(gonzalez["impossible"], true);
    assert!(gonzalez["floor"].as_u64().unwrap() > 5_326_104);
    assert!(
        gonzalez["sentence"]
            .as_str()
            .unwrap()
            .contains("impossible")
    );
    assert_eq!(
        find(&second["rows"], "candidate", "NM")["impossible"],
        false
    );

    // The projection: González's share with an interval that holds the plain share of the
    // actas (67.14%).
    let projection = &document["projection"];
    assert_eq!(projection["replicates"], 1000);
    assert_eq!(projection["strata_level"], "state");
    let eg = find(&projection["candidates"], "id", "EG");
    let (plain, share) = (
        eg["actas_percent"].as_f64().unwrap(),
        eg["percent"].as_f64().unwrap(),
    );
    let (low, high) = (
        eg["low_percent"].as_f64().unwrap(),
        eg["high_percent"].as_f64().unwrap(),
    );
    assert_eq!(format!("{plain:.2}"), "67.14");
    assert!(low <= plain && plain <= high, "{low} {plain} {high}");
    assert!(
        low <= share && share <= high && high - low < 2.0,
        "{low} {share} {high}"
    );
    assert!(
        projection["assumption"]
            .as_str()
            .unwrap()
            .contains("vote like")
    );
    assert_eq!(projection["sensitivity"]["favours"], "NM");

    // Forensic results carry their caveat and the expected values.
    let forensics = &nation["forensics"];
    assert!(
        forensics["caveat"]
            .as_str()
            .unwrap()
            .contains("not evidence of fraud")
    );
    let tests = find(&forensics["candidates"], "candidate", "EG");
    assert_eq!(tests["second_digit"]["expected_mean"], 4.1874);
    assert!(tests["last_digit"]["p_value"].as_f64().is_some());
    assert_eq!(forensics["fingerprints"][0]["candidate"], "EG");

    // The same seed gives the same figures.
    let again = data
        .run(&["analyze", "--format", "json"])
        .expect_code(0)
        .json();
    assert_eq!(again["projection"], document["projection"]);

    // A state that nothing declares (no table list, no declared totals): its coverage is
    // unknown, not 100%.
    let state = data
        .run(&[
            "analyze", "--level", "state", "--code", "13", "--format", "json",
        ])
        .expect_code(0)
        .json();
    let coverage = &state["areas"][0]["coverage"];
    assert_eq!(coverage["tables_expected"], Value::Null);
    assert_eq!(coverage["tables_expected_from"], "unknown");
    assert_eq!(coverage["tables_percent"], Value::Null);
    assert_eq!(coverage["tables_without_acta"], Value::Null);
    assert!(coverage["tables_counted"].as_u64().unwrap() > 0);
    assert_eq!(state["areas"][0]["bound"]["verdict"], "unknown");
    let text = data
        .run(&[
            "analyze",
            "--level",
            "state",
            "--code",
            "13",
            "--replicates",
            "0",
        ])
        .expect_code(0)
        .stdout;
    assert!(
        text.contains("tables counted, of an unknown number expected (nothing declares it)"),
        "{text}"
    );
    assert!(!text.contains("(100.0%"), "{text}");

    // The national text says it in one sentence, with the figures.
    let text = data
        .run(&["analyze", "--replicates", "50"])
        .expect_code(0)
        .stdout;
    assert!(
        text.contains("no outcome of the missing tables can change the winner"),
        "{text}"
    );
    assert!(text.contains("IMPOSSIBLE Edmundo González"), "{text}");
    assert!(text.contains("not evidence of fraud"), "{text}");

    // The site says the same where people look: the home page in one sentence with the
    // projection and the impossible official figure, the analysis page with its charts, the
    // JSON twin with the command line's figures; a state's page says its expected tables are
    // unknown.
    let server = serve(&data.store_path());
    let page = |path: &str| {
        let (status, _, body) = http_get(server.address, path);
        assert_eq!(status, 200, "{path}");
        String::from_utf8(body).unwrap()
    };
    let home = page("/?lang=en");
    assert!(
        home.contains("The leader&#39;s margin of 3,915,001 votes exceeds the 3,647,225")
            || home.contains("The leader's margin of 3,915,001 votes exceeds the 3,647,225"),
        "{home:.2000}"
    );
    assert!(home.contains("<data class=\"projected\""), "{home:.2000}");
    assert!(
        home.contains("Impossible (CNE, second bulletin"),
        "{home:.3000}"
    );
    assert!(home.contains("href=\"/analysis\""));
    let spanish = page("/?lang=es");
    assert!(
        spanish.contains("La ventaja de 3.915.001 votos del primero supera a los 3.647.225"),
        "{spanish:.2000}"
    );
    let analysis = page("/analysis?lang=en");
    assert_eq!(
        analysis.matches("<svg ").count(),
        5,
        "projection, two digit charts, two fingerprints"
    );
    assert!(analysis.contains("not evidence of fraud"));
    assert!(analysis.contains("href=\"/analysis/state/13\""));
    let twin: Value = serde_json::from_str(&page("/api/v1/analysis")).unwrap();
    assert_eq!(twin["projection"], document["projection"]);
    assert_eq!(twin["areas"][0]["bound"], nation["bound"]);
    let state_page = page("/area/state/13?lang=en");
    assert!(
        state_page.contains("<span data-expected=\"unknown\">"),
        "{state_page:.2000}"
    );
    assert!(!state_page.contains("(100.0%)"));
    assert!(
        state_page.contains("(among the known tables; the expected total is unknown)"),
        "{state_page:.3000}"
    );
    assert!(state_page.contains("cannot be said"), "{state_page:.3000}");
    let state_analysis = page("/analysis/state/13?lang=es");
    assert!(state_analysis.contains("<svg "));
    let (status, _, _) = http_get(server.address, "/analysis/municipality/1301");
    assert_eq!(status, 404, "an analysis page for the first level only");
    drop(server);

    // And the open data carries the analysis tables.
    let export = tempfile::tempdir().unwrap();
    data.run(&["export", "data", export.path().to_str().unwrap()])
        .expect_code(0);
    let analysis_csv = std::fs::read_to_string(export.path().join("data/analysis.csv")).unwrap();
    assert!(
        analysis_csv.contains(",EG,NM,3915001,3647225,0,cannot_change,"),
        "{analysis_csv:.600}"
    );
    let projection_csv =
        std::fs::read_to_string(export.path().join("data/projection.csv")).unwrap();
    assert!(
        projection_csv
            .starts_with("candidate,name,actas_percent,projected_percent,low_percent,high_percent")
    );
    let eg_row: Vec<&str> = projection_csv
        .lines()
        .find(|line| line.starts_with("EG,"))
        .unwrap()
        .split(',')
        .collect();
    let csv_plain: f64 = eg_row[2].parse().unwrap();
    let csv_share: f64 = eg_row[3].parse().unwrap();
    assert!((csv_plain - plain).abs() < 0.005, "{csv_plain} {plain}");
    assert!((csv_share - share).abs() < 0.005, "{csv_share} {share}");
}

/// An official figure for a municipality, given in the election file, is shown on that
/// municipality's own analysis page (and in its JSON twin), impossible where the counted actas
/// alone exceed it.
#[test]
fn official_figures_of_any_level_are_compared_where_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../elections/ve-2024-presidential.toml"
    ))
    .unwrap();
    let election = dir.path().join("election.toml");
    std::fs::write(
        &election,
        format!(
            "{shipped}\n[[bulletins.areas]]\nlevel = \"municipality\"\ncode = \"1301\"\nvotes = {{ NM = 900, EG = 10 }}\n\n\
             [[declared.areas]]\nlevel = \"municipality\"\ncode = \"1301\"\ntables = 120\nregistered_voters = 60000\n"
        ),
    )
    .unwrap();
    let store = dir.path().join("store");
    let veedor = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_veedor"))
            .arg("--data")
            .arg(&store)
            .args(args)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    veedor(&["init", "--election", election.to_str().unwrap()]);
    let path = real_results();
    veedor(&[
        "import",
        "results",
        "--defines-tables",
        path.to_str().unwrap(),
    ]);
    let server = serve(&store);
    let (status, _, body) = http_get(server.address, "/analysis/municipality/1301?lang=en");
    assert_eq!(status, 200);
    let page = String::from_utf8(body).unwrap();
    assert!(
        page.contains(
            "<strong>Impossible: </strong>Edmundo González: the official figure of 10 is below"
        ),
        "{page:.4000}"
    );
    let (status, _, body) = http_get(server.address, "/api/v1/analysis/municipality/1301");
    assert_eq!(status, 200);
    let document: Value = serde_json::from_slice(&body).unwrap();
    let official = &document["areas"][0]["official"][0];
    assert_eq!(official["impossible"], true);
    assert_eq!(find(&official["rows"], "candidate", "EG")["official"], 10);
    // The municipality's page says the same in its sentence, against its declared voters.
    let (_, _, body) = http_get(server.address, "/area/municipality/1301?lang=en");
    let page = String::from_utf8(body).unwrap();
    assert!(
        page.contains("registered voters of the tables without an accepted acta"),
        "{page:.3000}"
    );
    // Another municipality, with no official figure, has no analysis page of its own.
    let (status, _, _) = http_get(server.address, "/analysis/municipality/1302");
    assert_eq!(status, 404);
}
