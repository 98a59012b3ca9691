//! Running the real binary on temporary data folders.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use veedor_store_sqlite::SqliteStore;

/// The real 2024 result file: from ../shared when present, else the repository's copy.
pub fn real_results() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let shared = root.join("../shared/data/ve2024/RESULTADOS_2024_CSV_V1.csv");
    if shared.exists() {
        shared
    } else {
        root.join("data/ve2024/RESULTADOS_2024_CSV_V1.csv")
    }
}

/// The first `rows` data rows of the real file, with its header.
pub fn head_of_real_file(rows: usize) -> String {
    let text = std::fs::read_to_string(real_results()).unwrap();
    text.lines()
        .take(rows + 1)
        .map(|l| format!("{l}\n"))
        .collect()
}

/// What a run printed, and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(output: Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Panics with the output unless the run exited with `code`.
    pub fn expect_code(self, code: i32) -> Self {
        assert_eq!(
            self.code, code,
            "exit {} (wanted {code})\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

/// A data folder in a temporary directory, initialised for the 2024 Venezuelan election.
pub struct Data {
    pub dir: tempfile::TempDir,
}

impl Data {
    pub fn new() -> Self {
        Self::with_election("ve-2024-presidential")
    }

    /// A data folder for an election: a shipped one's name, or an election file's path.
    pub fn with_election(election: &str) -> Self {
        let data = Self::empty();
        data.run(&["init", "--election", election]).expect_code(0);
        data
    }

    /// A temporary folder with no data folder in it yet.
    pub fn empty() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.command(args).output().expect("running veedor"))
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_veedor"));
        command
            .arg("--data")
            .arg(self.path().join("store"))
            .args(args);
        command.env_remove("VEEDOR_DATA");
        command
    }

    pub fn store_path(&self) -> PathBuf {
        self.path().join("store")
    }

    /// Writes a file in the temporary folder and returns its path as text.
    pub fn file(&self, name: &str, bytes: impl AsRef<[u8]>) -> String {
        let path = self.path().join(name);
        std::fs::write(&path, bytes).expect("writing a test file");
        path.display().to_string()
    }

    /// Every row of the store as text.
    pub fn dump(&self) -> String {
        let store = SqliteStore::open(&self.store_path(), &|text| {
            veedor_formats::parse_election(text).map_err(|e| e.to_string())
        })
        .expect("opening the store");
        store.dump().expect("dumping the store")
    }

    /// Imports a registry file with the unprotected lookup cost (tests only), expecting success.
    pub fn import_registry(&self, path: &Path) -> Run {
        self.run(&[
            "import",
            "registry",
            "--lookup-cost",
            "unprotected",
            path.to_str().expect("a UTF-8 path"),
        ])
        .expect_code(0)
    }

    pub fn tally(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["tally", "--format", "json"];
        all.extend_from_slice(args);
        self.run(&all).expect_code(0).json()
    }
}

impl Default for Data {
    fn default() -> Self {
        Self::new()
    }
}

/// Votes per candidate id in a tally area.
pub fn votes(area: &serde_json::Value) -> Vec<(String, u64)> {
    area["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap_or("").to_owned(),
                c["votes"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

/// Each acta copy's table and findings in an open-data `actas.csv`, sorted.
pub fn findings_by_table(actas_csv: &str) -> Vec<(String, String)> {
    let mut reader = csv::Reader::from_reader(actas_csv.as_bytes());
    let headers = reader.headers().expect("a header").clone();
    let column = |name: &str| headers.iter().position(|h| h == name).expect("the column");
    let (table, findings) = (column("table_id"), column("findings"));
    let mut rows: Vec<(String, String)> = reader
        .records()
        .map(|record| {
            let record = record.expect("a row");
            (record[table].to_owned(), record[findings].to_owned())
        })
        .collect();
    rows.sort();
    rows
}
