//! The architecture invariants of ARCHITECTURE.md, checked on this workspace; and each check
//! shown catching a violation it is fed.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use veedor_tidy::{
    CRATES, FUNCTION_LINE_LIMIT, LONG_FUNCTIONS, LongFunction, SourceFile, Violation,
    check_architecture_paths, check_dependencies, check_function_lengths, check_readme_docs,
    check_sources, function_lengths,
};

// The workspace.

#[test]
fn dependencies_follow_the_layering() {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--manifest-path",
        ])
        .arg(root().join("Cargo.toml"))
        .output()
        .unwrap_or_else(|error| panic!("cannot run cargo metadata: {error}"));
    assert!(
        output.status.success(),
        "cargo metadata: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata =
        String::from_utf8(output.stdout).unwrap_or_else(|error| panic!("cargo metadata: {error}"));
    assert_clean(&check_dependencies(&metadata, CRATES));
}

#[test]
fn pure_crates_do_no_io_and_web_names_no_adapter() {
    let mut violations = Vec::new();
    for rule in CRATES {
        // Crates the design plans but the workspace does not have yet have nothing to check.
        if !root().join(rule.folder).join("Cargo.toml").is_file() {
            continue;
        }
        let files = rust_files(&root().join(rule.folder).join("src"));
        assert!(
            !files.is_empty(),
            "{}: no sources in {}/src",
            rule.package,
            rule.folder
        );
        violations.extend(check_sources(rule, &files));
    }
    assert_clean(&violations);
}

#[test]
fn functions_stay_short() {
    let mut files = Vec::new();
    for entry in read_dir(&root().join("crates")) {
        let src = entry.join("src");
        if src.is_dir() {
            files.extend(rust_files(&src));
        }
    }
    let (lengths, mut violations) = function_lengths(&files);
    assert!(
        lengths.len() > 100,
        "only {} functions found",
        lengths.len()
    );
    violations.extend(check_function_lengths(
        &lengths,
        FUNCTION_LINE_LIMIT,
        LONG_FUNCTIONS,
    ));
    assert_clean(&violations);
}

#[test]
fn documented_files_exist() {
    let paths = repository_paths();
    let read = |name: &str| {
        fs::read_to_string(root().join(name))
            .unwrap_or_else(|error| panic!("cannot read {name}: {error}"))
    };
    let mut violations =
        check_architecture_paths("ARCHITECTURE.md", &read("ARCHITECTURE.md"), &paths);
    violations.extend(check_readme_docs("README.md", &read("README.md"), &paths));
    assert_clean(&violations);
}

/// The binary opens data locations in one place: no other file of `crates/cli/src` names an
/// adapter, so every command works on any adapter that place can open.
#[test]
fn the_binary_names_an_adapter_only_where_it_opens_the_store() {
    let offenders: Vec<String> = rust_files(&root().join("crates/cli/src"))
        .into_iter()
        .filter(|file| file.path != "crates/cli/src/open.rs")
        .filter(|file| {
            [
                "SqliteStore",
                "store_sqlite",
                "PostgresStore",
                "store_postgres",
            ]
            .iter()
            .any(|name| file.text.contains(name))
        })
        .map(|file| file.path)
        .collect();
    assert!(
        offenders.is_empty(),
        "these files of the binary name a store adapter; open the store through crates/cli/src/open.rs: {offenders:?}"
    );
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn assert_clean(violations: &[Violation]) {
    let lines: Vec<String> = violations.iter().map(ToString::to_string).collect();
    assert!(
        lines.is_empty(),
        "{} violations:\n{}",
        lines.len(),
        lines.join("\n")
    );
}

fn read_dir(dir: &Path) -> Vec<PathBuf> {
    let entries =
        fs::read_dir(dir).unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()));
    let mut paths: Vec<PathBuf> = entries
        .map(|entry| {
            entry
                .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()))
                .path()
        })
        .collect();
    paths.sort();
    paths
}

/// `path` from the workspace root, with `/`.
fn relative(path: &Path) -> String {
    let root = root();
    let relative = path.strip_prefix(&root).unwrap_or(path);
    relative
        .components()
        .map(|part| part.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<SourceFile> {
    let mut files = Vec::new();
    for path in read_dir(dir) {
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            let text = fs::read_to_string(&path)
                .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
            files.push(SourceFile {
                path: relative(&path),
                text,
            });
        }
    }
    files
}

/// Every file and folder of the repository, skipping build output, git's folder and the data
/// folders the demo and the tests leave behind.
fn repository_paths() -> BTreeSet<String> {
    const SKIP: &[&str] = &[
        ".git",
        "target",
        "veedor-data",
        "veedor-demo",
        "test-artifacts",
    ];
    fn walk(dir: &Path, paths: &mut BTreeSet<String>) {
        for path in read_dir(dir) {
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            if SKIP.contains(&name.as_str()) {
                continue;
            }
            paths.insert(relative(&path));
            if path.is_dir() {
                walk(&path, paths);
            }
        }
    }
    let mut paths = BTreeSet::new();
    walk(&root(), &mut paths);
    paths
}

// Each check catching what it is there to catch.

/// What a check is fed.
enum Input<'a> {
    /// `cargo metadata` output, checked against the real table of crates.
    Metadata(Value),
    /// One source file of the crate `package`, checked against its row of the table.
    Sources {
        package: &'a str,
        files: Vec<(&'a str, &'a str)>,
    },
    /// Source files whose function lengths are checked against the limit and `allowed`.
    Lengths {
        files: &'a [(&'a str, &'a str)],
        allowed: &'a [LongFunction],
    },
    /// ARCHITECTURE.md's text, and the repository's files.
    Architecture { text: &'a str, paths: &'a [&'a str] },
    /// README.md's text, and the repository's files.
    Readme { text: &'a str, paths: &'a [&'a str] },
}

fn check(input: Input<'_>, expected: &[&str]) {
    let sources = |files: &[(&str, &str)]| -> Vec<SourceFile> {
        files
            .iter()
            .map(|(path, text)| SourceFile {
                path: (*path).to_owned(),
                text: (*text).to_owned(),
            })
            .collect()
    };
    let paths = |paths: &[&str]| -> BTreeSet<String> {
        paths.iter().map(|path| (*path).to_owned()).collect()
    };
    let violations = match input {
        Input::Metadata(metadata) => check_dependencies(&metadata.to_string(), CRATES),
        Input::Sources { package, files } => {
            let Some(rule) = CRATES.iter().find(|rule| rule.package == package) else {
                panic!("no {package}")
            };
            check_sources(rule, &sources(&files))
        }
        Input::Lengths { files, allowed } => {
            let (lengths, mut violations) = function_lengths(&sources(files));
            violations.extend(check_function_lengths(
                &lengths,
                FUNCTION_LINE_LIMIT,
                allowed,
            ));
            violations
        }
        Input::Architecture {
            text,
            paths: present,
        } => check_architecture_paths("ARCHITECTURE.md", text, &paths(present)),
        Input::Readme {
            text,
            paths: present,
        } => check_readme_docs("README.md", text, &paths(present)),
    };
    let got: Vec<String> = violations.iter().map(ToString::to_string).collect();
    assert_eq!(got, expected);
}

/// A dependency: (name, kind: "normal", "dev" or "build", optional).
type Dependency<'a> = (&'a str, &'a str, bool);

/// A package: (name, folder, dependencies).
type Package<'a> = (&'a str, &'a str, &'a [Dependency<'a>]);

/// `cargo metadata` of a workspace of `packages`; `veedor-scan` has its `bench-internals`
/// feature.
fn metadata(packages: &[Package<'_>]) -> Value {
    let packages: Vec<Value> = packages
        .iter()
        .map(|(name, folder, dependencies)| {
            let dependencies: Vec<Value> = dependencies
                .iter()
                .map(|(name, kind, optional)| {
                    let kind = if *kind == "normal" {
                        Value::Null
                    } else {
                        json!(kind)
                    };
                    json!({ "name": name, "kind": kind, "optional": optional })
                })
                .collect();
            let features = if *name == "veedor-scan" {
                json!({ "bench-internals": ["dep:veedor-sim"], "default": [] })
            } else {
                json!({})
            };
            json!({
                "name": name,
                "manifest_path": format!("/w/{folder}/Cargo.toml"),
                "dependencies": dependencies,
                "features": features,
            })
        })
        .collect();
    json!({ "packages": packages, "workspace_root": "/w" })
}

#[test]
fn layering_catches_edges_that_point_up() {
    let core = ("veedor-core", "crates/core", &[][..]);
    let store = (
        "veedor-store",
        "crates/store",
        &[("veedor-core", "normal", false)][..],
    );
    let sqlite = (
        "veedor-store-sqlite",
        "crates/store-sqlite",
        &[("veedor-store", "normal", false)][..],
    );
    let sim = (
        "veedor-sim",
        "crates/sim",
        &[("veedor-core", "normal", false)][..],
    );
    // The real shapes pass.
    check(Input::Metadata(metadata(&[core, store, sqlite])), &[]);
    check(
        Input::Metadata(metadata(&[
            core,
            sim,
            (
                "veedor-scan",
                "crates/scan",
                &[("veedor-sim", "normal", true), ("veedor-sim", "dev", false)],
            ),
            (
                "veedor-web",
                "crates/web",
                &[
                    ("veedor-store", "normal", false),
                    ("veedor-store-sqlite", "dev", false),
                ],
            ),
        ])),
        &[],
    );
    check(
        Input::Metadata(metadata(&[
            (
                "veedor-core",
                "crates/core",
                &[("veedor-store", "normal", false)],
            ),
            store,
        ])),
        &[
            "crates/core/Cargo.toml: veedor-core (core) depends on veedor-store (port), which the layering forbids; \
           veedor-core may depend on: none of ours [layering]",
        ],
    );
    check(
        Input::Metadata(metadata(&[
            (
                "veedor-web",
                "crates/web",
                &[("veedor-store-sqlite", "normal", false)],
            ),
            sqlite,
        ])),
        &[
            "crates/web/Cargo.toml: veedor-web (web) depends on veedor-store-sqlite (adapter), which the layering \
           forbids; veedor-web may depend on: veedor-app, veedor-store, veedor-ledger, veedor-scan, \
           veedor-formats, veedor-analysis, veedor-core [layering]",
        ],
    );
    check(
        Input::Metadata(metadata(&[(
            "veedor-app",
            "crates/app",
            &[("veedor-web", "build", false)],
        )])),
        &[
            "crates/app/Cargo.toml: veedor-app (app) build-depends on veedor-web (web), which the layering forbids; \
           veedor-app may depend on: veedor-store, veedor-ledger, veedor-scan, veedor-formats, veedor-analysis, \
           veedor-core [layering]",
        ],
    );
    check(
        Input::Metadata(metadata(&[
            (
                "veedor-scan",
                "crates/scan",
                &[("veedor-sim", "normal", false)],
            ),
            sim,
        ])),
        &[
            "crates/scan/Cargo.toml: veedor-scan depends on veedor-sim unconditionally; the table allows it only as \
           optional, behind feature `bench-internals` (bench/scan/hand_written.rs renders its pages; the feature \
           is off in every other build) [layering]",
        ],
    );
    check(
        Input::Metadata(metadata(&[(
            "veedor-web",
            "crates/web",
            &[("veedor", "dev", false)],
        )])),
        &[
            "crates/web/Cargo.toml: veedor-web has a dev-dependency on veedor that the table of crates does not \
           list; any direction is allowed for tests, but list it in veedor-web's dev_dependencies [layering]",
        ],
    );
    check(
        Input::Metadata(metadata(&[
            ("veedor-extra", "crates/extra", &[]),
            ("veedor-sim", "crates/simulation", &[]),
        ])),
        &[
            "crates/extra/Cargo.toml: veedor-extra is not in veedor-tidy's table of crates (CRATES): add it with \
             its layer and the crates it may depend on [layering]",
            "crates/simulation/Cargo.toml: veedor-sim is in crates/simulation, the table of crates says crates/sim \
             [layering]",
        ],
    );
}

#[test]
fn pure_crates_catch_dependencies_that_do_io() {
    check(
        Input::Metadata(metadata(&[(
            "veedor-core",
            "crates/core",
            &[
                ("thiserror", "normal", false),
                ("serde_json", "normal", false),
                ("proptest", "dev", false),
            ],
        )])),
        &[
            "crates/core/Cargo.toml: veedor-core depends on serde_json; its only dependencies may be thiserror, jiff \
           [pure-dependencies]",
        ],
    );
    check(
        Input::Metadata(metadata(&[(
            "veedor-ledger",
            "crates/ledger",
            &[("tokio", "normal", false), ("tempfile", "dev", false)],
        )])),
        &[
            "crates/ledger/Cargo.toml: veedor-ledger depends on tokio (an async runtime); a pure crate does no I/O \
           [pure-dependencies]",
        ],
    );
}

#[test]
fn no_io_catches_core_reading_a_file() {
    let core = |text| Input::Sources {
        package: "veedor-core",
        files: vec![("crates/core/src/lib.rs", text)],
    };
    check(
        core("pub fn load() -> Vec<u8> {\n    std::fs::read(\"x\").unwrap_or_default()\n}\n"),
        &[
            "crates/core/src/lib.rs:2: veedor-core names `std::fs::read` (the file system); this crate does no I/O [no-io]",
        ],
    );
    check(
        core("use std::{fs, time::SystemTime};\nuse serde_json as json;\n"),
        &[
            "crates/core/src/lib.rs:1: veedor-core names `std::fs` (the file system); this crate does no I/O [no-io]",
            "crates/core/src/lib.rs:1: veedor-core names `std::time::SystemTime` (the clock); this crate does no \
             I/O [no-io]",
            "crates/core/src/lib.rs:2: veedor-core names `serde_json` (JSON); this crate does no I/O [no-io]",
        ],
    );
    check(
        core("fn f() -> String {\n    format!(\"{:?}\", jiff::Timestamp::now())\n}\n"),
        &[
            "crates/core/src/lib.rs:2: veedor-core names `jiff::Timestamp::now` (the clock); this crate does no I/O \
           [no-io]",
        ],
    );
    check(
        core("fn f(x: u32) {\n    println!(\"{x}\");\n}\n"),
        &[
            "crates/core/src/lib.rs:2: veedor-core names `println` (standard output); this crate does no I/O [no-io]",
        ],
    );
    // Tests, and files declared as test modules, may do what they like; `std::io::Read` is no I/O.
    check(
        core(
            "use std::io::Read;\n#[cfg(test)]\nmod tests {\n    fn f() { std::fs::read(\"x\"); }\n}\n#[test]\nfn g() { std::env::var(\"X\"); }\n",
        ),
        &[],
    );
    check(
        Input::Sources {
            package: "veedor-formats",
            files: vec![
                (
                    "crates/formats/src/lib.rs",
                    "#[cfg(test)]\nmod fixtures;\nmod text;\n",
                ),
                ("crates/formats/src/fixtures.rs", "use std::fs;\n"),
                (
                    "crates/formats/src/text.rs",
                    "fn f() { let _ = std::env::args(); }\n",
                ),
            ],
        },
        &[
            "crates/formats/src/text.rs:1: veedor-formats names `std::env::args` (the environment); this crate does \
           no I/O [no-io]",
        ],
    );
    // Scan's documented exception: what is behind `bench-internals`, and only that.
    check(
        Input::Sources {
            package: "veedor-scan",
            files: vec![
                (
                    "crates/scan/src/lib.rs",
                    "#[cfg(feature = \"bench-internals\")]\npub mod timing;\n",
                ),
                (
                    "crates/scan/src/timing.rs",
                    "fn now() { std::time::Instant::now(); }\n",
                ),
                (
                    "crates/scan/src/read.rs",
                    "fn now() { std::time::Instant::now(); }\n",
                ),
            ],
        },
        &[
            "crates/scan/src/read.rs:1: veedor-scan names `std::time::Instant::now` (the clock); this crate does no \
           I/O [no-io]",
        ],
    );
}

#[test]
fn web_catches_naming_an_adapter() {
    check(
        Input::Sources {
            package: "veedor-web",
            files: vec![(
                "crates/web/src/lib.rs",
                "use veedor_store::Store;\n\npub fn open() -> veedor_store_sqlite::SqliteStore {\n    todo!()\n}\n\
                 #[cfg(test)]\nmod tests {\n    use veedor_store_sqlite::SqliteStore;\n}\n",
            )],
        },
        &[
            "crates/web/src/lib.rs:3: veedor-web names `veedor_store_sqlite::SqliteStore`, a store adapter; it may use \
           the port (veedor-store) only [names-adapter]",
        ],
    );
    check(
        Input::Sources {
            package: "veedor-web",
            files: vec![(
                "crates/web/src/serve.rs",
                "fn f() {\n    let _ = SqliteStore::open(dir);\n}\n",
            )],
        },
        &[
            "crates/web/src/serve.rs:2: veedor-web names `SqliteStore::open`, a store adapter; it may use the port \
           (veedor-store) only [names-adapter]",
        ],
    );
}

#[test]
fn function_length_catches_a_long_function() {
    let long = format!("fn long() {{\n{}}}\n", "    step();\n".repeat(198));
    let test_only = format!("#[test]\nfn long() {{\n{}}}\n", "    step();\n".repeat(198));
    let short = "struct Sheet;\nimpl Sheet {\n    fn draw(&self) {\n        step();\n    }\n}\n";
    check(
        Input::Lengths {
            files: &[("crates/sim/src/big.rs", &long)],
            allowed: &[],
        },
        &[
            "crates/sim/src/big.rs:1: fn `long` is 200 lines, over the limit of 120; split it, or list it in \
           veedor-tidy's LONG_FUNCTIONS with its length and a reason [function-length]",
        ],
    );
    check(
        Input::Lengths {
            files: &[("crates/sim/src/big.rs", &test_only)],
            allowed: &[],
        },
        &[],
    );
    // The allow-list stays true: a listed function may not grow, and leaves the list when it is
    // short again or gone.
    let listed = |function, lines| LongFunction {
        file: "crates/sim/src/big.rs",
        function,
        lines,
        why: "",
    };
    check(
        Input::Lengths {
            files: &[("crates/sim/src/big.rs", &long)],
            allowed: &[listed("long", 200)],
        },
        &[],
    );
    check(
        Input::Lengths {
            files: &[("crates/sim/src/big.rs", &long)],
            allowed: &[listed("long", 150)],
        },
        &[
            "crates/sim/src/big.rs:1: fn `long` is 200 lines, longer than the 150 it is listed with in \
           LONG_FUNCTIONS; shorten it [function-length]",
        ],
    );
    check(
        Input::Lengths {
            files: &[("crates/sim/src/big.rs", short)],
            allowed: &[listed("Sheet::draw", 130), listed("long", 200)],
        },
        &[
            "crates/sim/src/big.rs:3: fn `Sheet::draw` is 3 lines, within the limit of 120: remove it from \
             LONG_FUNCTIONS [function-length]",
            "crates/sim/src/big.rs: fn `long` is listed in LONG_FUNCTIONS but no longer exists: remove it \
             [function-length]",
        ],
    );
}

#[test]
fn documented_paths_catch_a_missing_file() {
    let paths = &[
        "crates",
        "crates/core",
        "crates/core/src",
        "crates/core/src/lib.rs",
        "crates/core/tests",
        "crates/core/tests/core.rs",
        "docs",
        "docs/web.md",
        "tests",
        "tests/a11y",
    ];
    check(
        Input::Architecture {
            text: "# Architecture\n\nThe entry point is `crates/core/src/lib.rs`, see `docs/web.md`.\n\n\
                   ### `crates/core` (`veedor-core`)\nThe domain (`lib.rs`, `gone.rs`), served at \
                   `/log/checkpoint`;\n`src/lib.rs`, `src/old.rs`, `veedor.db`, `blobs/`.\n\
                   `tests/core.rs`, `tests/a11y/`, `tests/gone.rs`.\n\n\
                   ```\nnot `here.rs`\n```\n\n## Tests\n`crates/core/tests/` and `elsewhere.rs`, \
                   `tests/core.rs`.\n",
            paths,
        },
        &[
            "ARCHITECTURE.md:6: `gone.rs` is not a file under crates/core or at the root [documented-path]",
            "ARCHITECTURE.md:7: `src/old.rs` does not exist (crates/core/src/old.rs) [documented-path]",
            "ARCHITECTURE.md:8: `tests/gone.rs` does not exist (crates/core/tests/gone.rs) [documented-path]",
            "ARCHITECTURE.md:15: `elsewhere.rs` is not a file anywhere in the repository [documented-path]",
            "ARCHITECTURE.md:15: `tests/core.rs` does not exist [documented-path]",
        ],
    );
    check(
        Input::Readme {
            text: "Routes in `docs/web.md`;\nthe ledger in docs/ledger.md.\n",
            paths,
        },
        &["README.md:2: `docs/ledger.md` does not exist [documented-path]"],
    );
}
