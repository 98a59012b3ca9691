//! The real 2024 result file: its totals, its other shapes, importing it twice.

use crate::support::{Data, real_results, votes};

/// The totals that shared/data/ve2024/README.md gives for the file.
const README_TOTALS: [(&str, u64); 10] = [
    ("EG", 7_156_462),
    ("NM", 3_241_461),
    ("LM", 84_446),
    ("JABE", 19_966),
    ("JOBR", 21_583),
    ("AE", 49_603),
    ("CF", 12_321),
    ("DC", 10_308),
    ("EM", 25_570),
    ("BERA", 37_408),
];

fn sorted(mut pairs: Vec<(String, u64)>) -> Vec<(String, u64)> {
    pairs.sort();
    pairs
}

fn readme_totals() -> Vec<(String, u64)> {
    sorted(
        README_TOTALS
            .iter()
            .map(|(id, v)| ((*id).to_owned(), *v))
            .collect(),
    )
}

#[test]
fn the_real_file_gives_the_readme_totals() {
    let data = Data::new();
    let path = real_results();
    let run = data
        .run(&[
            "import",
            "results",
            "--defines-tables",
            path.to_str().unwrap(),
        ])
        .expect_code(0);
    assert!(
        run.stdout
            .contains("24532 rows read, 24532 acta copies added, 24532 tables added"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("UTF-8 with BOM"), "{}", run.stderr);

    let national = data.tally(&[]);
    let area = &national["areas"][0];
    assert_eq!(sorted(votes(area)), readme_totals());
    assert_eq!(area["valid_votes"], 10_659_128);
    assert_eq!(area["coverage"]["tables_known"], 24_532);
    assert_eq!(area["coverage"]["tables_counted"], 24_532);
    assert_eq!(area["coverage"]["registered_counted"], 17_745_239);
    // Coverage is measured against what the electoral council declared.
    assert_eq!(area["coverage"]["tables_expected"], 30_026);
    assert_eq!(area["coverage"]["registered_expected"], 21_392_464);

    let states = data.tally(&["--level", "state"]);
    assert_eq!(states["areas"].as_array().unwrap().len(), 24);
    let centres = data.tally(&["--level", "centre"]);
    assert_eq!(centres["areas"].as_array().unwrap().len(), 12_817);

    // The comparison with the latest bulletin: González 67.14% of the actas against the
    // council's 43.18%.
    let official = area["official"].as_array().unwrap().last().unwrap();
    assert_eq!(official["id"], "cne-2");
    let gonzalez = official["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["candidate"] == "EG")
        .unwrap();
    assert_eq!(
        format!("{:.2}", gonzalez["actas_percent"].as_f64().unwrap()),
        "67.14"
    );
    assert_eq!(
        format!("{:.2}", gonzalez["official_percent"].as_f64().unwrap()),
        "43.18"
    );
}

#[test]
fn every_level_adds_up_to_the_nation_on_the_real_file() {
    let data = Data::new();
    data.run(&[
        "import",
        "results",
        "--defines-tables",
        real_results().to_str().unwrap(),
    ])
    .expect_code(0);
    let national = data.tally(&[]);
    let expected = votes(&national["areas"][0]);
    for level in ["state", "municipality", "parish", "centre"] {
        let document = data.tally(&["--level", level]);
        let mut sums: Vec<(String, u64)> = expected.iter().map(|(id, _)| (id.clone(), 0)).collect();
        let mut tables = 0;
        for area in document["areas"].as_array().unwrap() {
            for ((_, sum), (_, votes)) in sums.iter_mut().zip(votes(area)) {
                *sum += votes;
            }
            tables += area["coverage"]["tables_counted"].as_u64().unwrap();
        }
        assert_eq!(sums, expected, "{level}");
        assert_eq!(tables, 24_532, "{level}");
    }
    // One area by its code gives the same as in the list of its level.
    let states = data.tally(&["--level", "state"]);
    let miranda = states["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["area"]["code"] == "13")
        .unwrap();
    let alone = data.tally(&["--level", "state", "--code", "13"]);
    assert_eq!(&alone["areas"][0], miranda);
    assert_eq!(miranda["area"]["name"], "EDO. MIRANDA");
}

/// The file as it also circulates: Latin-1 without BOM, columns in another order, one dropped.
fn reshaped(original: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(original)
        .unwrap()
        .trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.unwrap();
        // Reverse the columns and drop COD_PAR (index 4).
        let mut fields: Vec<&str> = record
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != 4)
            .map(|(_, f)| f)
            .collect();
        fields.reverse();
        let line = fields.join(";") + "\r\n";
        out.extend(
            line.chars()
                .map(|c| u8::try_from(u32::from(c)).expect("Latin-1 character")),
        );
    }
    out
}

#[test]
fn the_same_file_in_another_shape_gives_the_same_totals() {
    let original = std::fs::read(real_results()).unwrap();
    let data = Data::new();
    let latin1 = reshaped(&original);
    assert!(
        std::str::from_utf8(&latin1).is_err(),
        "the reshaped file must not be UTF-8"
    );
    let path = data.file("latin1.csv", &latin1);
    let run = data
        .run(&["import", "results", "--defines-tables", &path])
        .expect_code(0);
    assert!(run.stderr.contains("Latin-1"), "{}", run.stderr);
    assert!(run.stderr.contains("ignored: URL"), "{}", run.stderr);
    let area = &data.tally(&[])["areas"][0];
    assert_eq!(sorted(votes(area)), readme_totals());
    assert_eq!(area["coverage"]["registered_counted"], 17_745_239);
    // The names survived the encoding.
    let marino = data.tally(&["--level", "municipality", "--code", "1705"]);
    assert_eq!(marino["areas"][0]["area"]["name"], "MP. MARI\u{d1}O");
}

#[test]
fn importing_the_same_file_twice_adds_nothing() {
    let data = Data::new();
    let path = real_results();
    data.run(&[
        "import",
        "results",
        "--defines-tables",
        path.to_str().unwrap(),
    ])
    .expect_code(0);
    let before = data.dump();
    let run = data
        .run(&[
            "import",
            "results",
            "--defines-tables",
            path.to_str().unwrap(),
        ])
        .expect_code(0);
    assert!(run.stdout.contains("already imported"), "{}", run.stdout);
    assert_eq!(data.dump(), before);
}
