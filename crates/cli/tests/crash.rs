//! An import killed in the middle leaves the store as it was before it.

use std::time::Duration;

use crate::support::Data;

#[test]
fn a_registry_import_killed_midway_changes_nothing() {
    let data = Data::new();
    let header = "COD_EDO,EDO,COD_MUN,MUN,COD_PAR,PAR,CENTRO,MESA,RE,VOTOS_VALIDOS,VOTOS_NULOS,EG,NM,LM,JABE,JOBR,AE,CF,DC,EM,BERA\n";
    let rows: String = (1..=400u32)
        .map(|i| {
            format!(
                "1,A,1,B,1,C,10101{:03},{},1000,10,0,1,1,1,1,1,1,1,1,1,1\n",
                i % 1000,
                1 + i / 1000
            )
        })
        .collect();
    let results = data.file("results.csv", format!("{header}{rows}"));
    data.run(&["import", "results", "--defines-tables", &results])
        .expect_code(0);
    let small = data.path().join("small.csv");
    data.run(&[
        "generate",
        "registry",
        "--voters",
        "1000",
        "-o",
        small.to_str().unwrap(),
    ])
    .expect_code(0);
    data.run(&[
        "import",
        "registry",
        "--lookup-cost",
        "unprotected",
        small.to_str().unwrap(),
    ])
    .expect_code(0);
    let big = data.path().join("big.csv");
    data.run(&[
        "generate",
        "registry",
        "--voters",
        "6000000",
        "--seed",
        "9",
        "-o",
        big.to_str().unwrap(),
    ])
    .expect_code(0);
    let before = data.dump();
    let mut killed = 0;
    for delay in [50u64, 150, 300, 600] {
        let mut child = data
            .command(&[
                "import",
                "registry",
                "--lookup-cost",
                "unprotected",
                big.to_str().unwrap(),
            ])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        child.wait().unwrap();
        assert_eq!(data.dump(), before, "killed after {delay} ms");
    }
    assert!(
        killed > 0,
        "the import always finished before it could be killed"
    );
    // Afterwards the same import completes.
    data.run(&[
        "import",
        "registry",
        "--lookup-cost",
        "unprotected",
        big.to_str().unwrap(),
    ])
    .expect_code(0);
    assert_ne!(data.dump(), before);
}
