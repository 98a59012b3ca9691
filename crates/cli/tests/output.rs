//! Standard output closed early (`veedor tally | head -1`): a normal end, exit 0, no panic; and
//! `--data` honoured by `veedor demo`.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::support::{Data, real_results};

/// Runs veedor with a standard output whose reading end is already closed: every write fails
/// with a broken pipe, whenever it comes.
fn run_into_closed_pipe(data: &Data, args: &[&str]) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let output = data
        .command(args)
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_closed_standard_output_ends_every_printing_command_quietly() {
    let data = Data::new();
    data.run(&[
        "import",
        "results",
        "--defines-tables",
        real_results().to_str().unwrap(),
    ])
    .expect_code(0);
    let registry = data.file(
        "registry.csv",
        "voter_id,centre_code,table\n12345678,10101001,1\n",
    );
    data.run(&[
        "import",
        "registry",
        "--lookup-cost",
        "unprotected",
        &registry,
    ])
    .expect_code(0);
    for args in [
        &["tally"][..],
        &["tally", "--format", "csv"],
        &["tally", "--format", "json"],
        &["tally", "--level", "state", "--format", "csv"],
        &["lookup", "12345678"],
        &["lookup", "12345678", "--format", "json"],
        &["sources"],
        &["queue"],
        &["key"],
    ] {
        let (code, stderr) = run_into_closed_pipe(&data, args);
        assert_eq!(code, Some(0), "veedor {args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("error"),
            "veedor {args:?}: {stderr}"
        );
    }
}

#[test]
fn tally_piped_into_head_stops_quietly_after_the_first_line() {
    let data = Data::new();
    data.run(&[
        "import",
        "results",
        "--defines-tables",
        real_results().to_str().unwrap(),
    ])
    .expect_code(0);
    // Every parish: far more than a pipe holds, so veedor is still writing when the reader
    // goes away, as with `| head -1`.
    let mut child = data
        .command(&["tally", "--level", "parish", "--format", "csv"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is dropped here, as `head` exits.
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(first.starts_with("level,"), "{first}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_demo_takes_its_folder_from_data_and_refuses_two_folders() {
    let temporary = tempfile::tempdir().unwrap();
    let folder = temporary.path().join("my-demo");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_veedor"))
        .args([
            "--data",
            folder.to_str().unwrap(),
            "demo",
            "--sheets",
            "2",
            "--no-serve",
        ])
        .env_remove("VEEDOR_DATA")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(folder.join("veedor.db").exists());
    assert!(
        stdout.contains(&format!("--data {} lookup", folder.display())),
        "{stdout}"
    );

    let other = temporary.path().join("other");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_veedor"))
        .args([
            "--data",
            folder.to_str().unwrap(),
            "demo",
            "--dir",
            other.to_str().unwrap(),
        ])
        .env_remove("VEEDOR_DATA")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stderr).contains("two folders"));
    assert!(!other.exists());
}
