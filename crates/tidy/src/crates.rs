//! The layering of ARCHITECTURE.md as a table, checked against `cargo metadata`.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::{Rule, Violation};

/// Where a crate sits. From the top: the binary, web, app, the store adapters, the store port,
/// the libraries beside each other, core. Arrows point down only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    /// `veedor`, the binary: wires the others.
    Binary,
    /// `veedor-web`: the public site, its API and the static mirror.
    Web,
    /// `veedor-app`: the use cases every front end shares.
    App,
    /// A store adapter: SQLite, later PostgreSQL.
    Adapter,
    /// `veedor-store`: the port.
    Port,
    /// The libraries under the store, beside each other: ledger, scan, formats, sim, analysis.
    Library,
    /// `veedor-core`: the domain.
    Core,
    /// Outside the layering: benchmarks, test suites and this crate. They may use any crate but
    /// the binary; only dev-dependencies may point at them.
    Tool,
}

impl Layer {
    /// The layer's name in messages.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Layer::Binary => "binary",
            Layer::Web => "web",
            Layer::App => "app",
            Layer::Adapter => "adapter",
            Layer::Port => "port",
            Layer::Library => "library",
            Layer::Core => "core",
            Layer::Tool => "tool",
        }
    }

    /// Height in the layering; `None` for tools, which are outside it.
    #[must_use]
    pub fn height(self) -> Option<u8> {
        match self {
            Layer::Binary => Some(6),
            Layer::Web => Some(5),
            Layer::App => Some(4),
            Layer::Adapter => Some(3),
            Layer::Port => Some(2),
            Layer::Library => Some(1),
            Layer::Core => Some(0),
            Layer::Tool => None,
        }
    }
}

/// A dependency allowed only as optional, switched on by one feature.
#[derive(Debug, Clone, Copy)]
pub struct OptionalEdge {
    /// The package depended on.
    pub dependency: &'static str,
    /// The only feature that may switch it on.
    pub feature: &'static str,
    /// Why the exception exists.
    pub why: &'static str,
}

/// What makes a crate pure, beyond its sources naming no I/O.
#[derive(Debug, Clone, Copy)]
pub struct Pure {
    /// When set, the only crates outside the workspace it may depend on.
    pub external_dependencies: Option<&'static [&'static str]>,
    /// Code behind this feature may do I/O (a documented exception).
    pub exception: Option<Exception>,
}

/// Code of a pure crate allowed to do I/O: items and modules behind `#[cfg(feature = ..)]`.
#[derive(Debug, Clone, Copy)]
pub struct Exception {
    /// The feature.
    pub feature: &'static str,
    /// Why, and where ARCHITECTURE.md says so.
    pub why: &'static str,
}

/// One crate of the workspace (or one that the design expects): its place and what it may use.
#[derive(Debug, Clone, Copy)]
pub struct CrateRule {
    /// The package name.
    pub package: &'static str,
    /// Its folder from the workspace root.
    pub folder: &'static str,
    /// Its layer.
    pub layer: Layer,
    /// Our crates it may depend on (normal and build dependencies). Allowed, not required: the
    /// list is the design, the code may use less of it.
    pub dependencies: &'static [&'static str],
    /// Our crates it may depend on only as optional, behind one feature.
    pub optional_dependencies: &'static [OptionalEdge],
    /// Our crates its tests use. Any direction is allowed for tests; each is listed so that a new
    /// one is a decision.
    pub dev_dependencies: &'static [&'static str],
    /// `Some` for a crate that does no I/O.
    pub pure: Option<Pure>,
    /// Store adapters its non-test code must not name: substrings of path segments, such as
    /// `SqliteStore` or `store_sqlite`.
    pub must_not_name: &'static [&'static str],
}

/// Libraries that do I/O or speak a format only the edges may: a pure crate depends on none.
const IMPURE_DEPENDENCIES: &[(&str, &str)] = &[
    ("serde_json", "JSON, which only web knows"),
    ("tokio", "an async runtime"),
    ("axum", "HTTP"),
    ("ureq", "the network"),
    ("rusqlite", "SQL"),
    (
        "getrandom",
        "the operating system's randomness; seeds come from the caller",
    ),
    ("tracing-subscriber", "log output"),
];

const NOT_PURE: Option<Pure> = None;
const PURE: Option<Pure> = Some(Pure {
    external_dependencies: None,
    exception: None,
});

/// Every crate the workspace has or the design plans, with the edges ARCHITECTURE.md allows.
///
/// The rule: a crate may depend on crates in lower layers, except where ARCHITECTURE.md says
/// otherwise. The exceptions, written out below: web and app never depend on an adapter; an
/// adapter does not parse (`formats`), scan or analyse, and the SQLite one says so in its
/// paragraph; the port speaks core's and the log's types only; `veedor-sim` (synthetic data)
/// feeds only the binary's demo and tests; the libraries do not use each other except `scan`'s
/// benchmark feature; `ledger` and `scan` do not even use core (a spec crate and a decoder of
/// bytes). A crate that is not here fails the check: adding one is a decision.
pub const CRATES: &[CrateRule] = &[
    CrateRule {
        package: "veedor",
        folder: "crates/cli",
        layer: Layer::Binary,
        dependencies: &[
            "veedor-web",
            "veedor-app",
            "veedor-store-sqlite",
            "veedor-store-postgres",
            "veedor-blobs-s3",
            "veedor-store",
            "veedor-ledger",
            "veedor-scan",
            "veedor-formats",
            "veedor-sim",
            "veedor-analysis",
            "veedor-core",
        ],
        optional_dependencies: &[],
        dev_dependencies: &["veedor-sim", "veedor-store-conformance"],
        pure: NOT_PURE,
        must_not_name: &[],
    },
    CrateRule {
        package: "veedor-web",
        folder: "crates/web",
        layer: Layer::Web,
        dependencies: &[
            "veedor-app",
            "veedor-store",
            "veedor-ledger",
            "veedor-scan",
            "veedor-formats",
            "veedor-analysis",
            "veedor-core",
        ],
        optional_dependencies: &[],
        dev_dependencies: &["veedor-formats", "veedor-store-sqlite", "veedor-sim"],
        pure: NOT_PURE,
        // "It depends on the store port, never on an adapter": its tests open a SQLite store,
        // its code must not.
        must_not_name: &[
            "store_sqlite",
            "SqliteStore",
            "store_postgres",
            "PostgresStore",
            "blobs_s3",
            "S3BlobStore",
        ],
    },
    CrateRule {
        package: "veedor-app",
        folder: "crates/app",
        layer: Layer::App,
        dependencies: &[
            "veedor-store",
            "veedor-ledger",
            "veedor-scan",
            "veedor-formats",
            "veedor-analysis",
            "veedor-core",
        ],
        optional_dependencies: &[],
        // Its use cases are tested on a real SQLite file.
        dev_dependencies: &["veedor-store-sqlite"],
        // No I/O of its own: bytes, times and keys come in as values, storage through the ports.
        pure: PURE,
        must_not_name: &[
            "SqliteStore",
            "store_sqlite",
            "PostgresStore",
            "store_postgres",
            "S3BlobStore",
            "blobs_s3",
        ],
    },
    CrateRule {
        package: "veedor-store-sqlite",
        folder: "crates/store-sqlite",
        layer: Layer::Adapter,
        dependencies: &["veedor-store", "veedor-ledger", "veedor-core"],
        optional_dependencies: &[],
        dev_dependencies: &["veedor-formats", "veedor-store-conformance"],
        pure: NOT_PURE,
        must_not_name: &[],
    },
    CrateRule {
        package: "veedor-store-postgres",
        folder: "crates/store-postgres",
        layer: Layer::Adapter,
        dependencies: &["veedor-store", "veedor-ledger", "veedor-core"],
        optional_dependencies: &[],
        // Its conformance test keeps scans in the file-system blob store, as a PostgreSQL
        // location does (scans are not in the database).
        dev_dependencies: &[
            "veedor-formats",
            "veedor-store-conformance",
            "veedor-store-sqlite",
        ],
        pure: NOT_PURE,
        must_not_name: &[],
    },
    CrateRule {
        package: "veedor-blobs-s3",
        folder: "crates/blobs-s3",
        layer: Layer::Adapter,
        // The blob port and the digest type; scans only, never records.
        dependencies: &["veedor-store", "veedor-core"],
        optional_dependencies: &[],
        dev_dependencies: &[],
        pure: NOT_PURE,
        must_not_name: &[],
    },
    CrateRule {
        package: "veedor-store",
        folder: "crates/store",
        layer: Layer::Port,
        dependencies: &["veedor-ledger", "veedor-core"],
        optional_dependencies: &[],
        dev_dependencies: &[],
        pure: NOT_PURE,
        must_not_name: &[],
    },
    CrateRule {
        package: "veedor-ledger",
        folder: "crates/ledger",
        layer: Layer::Library,
        dependencies: &[],
        optional_dependencies: &[],
        dev_dependencies: &[],
        pure: PURE,
        must_not_name: &[],
    },
    CrateRule {
        package: "veedor-scan",
        folder: "crates/scan",
        layer: Layer::Library,
        dependencies: &[],
        optional_dependencies: &[OptionalEdge {
            dependency: "veedor-sim",
            feature: "bench-internals",
            why: "bench/scan/hand_written.rs renders its pages; the feature is off in every other build",
        }],
        // formats: tests/br_bu.rs assembles the texts read from printed BU sheets.
        dev_dependencies: &["veedor-sim", "veedor-formats"],
        pure: Some(Pure {
            external_dependencies: None,
            exception: Some(Exception {
                feature: "bench-internals",
                why: "`timing` reads the thread's CPU clock in /proc for bench/scan/hand_written.rs \
                      (ARCHITECTURE.md, crates/scan)",
            }),
        }),
        must_not_name: &[],
    },
    CrateRule {
        package: "veedor-formats",
        folder: "crates/formats",
        layer: Layer::Library,
        dependencies: &["veedor-core"],
        optional_dependencies: &[],
        dev_dependencies: &[],
        pure: PURE,
        must_not_name: &[],
    },
    CrateRule {
        package: "veedor-sim",
        folder: "crates/sim",
        layer: Layer::Library,
        dependencies: &["veedor-core"],
        optional_dependencies: &[],
        dev_dependencies: &[],
        pure: NOT_PURE,
        must_not_name: &[],
    },
    CrateRule {
        package: "veedor-analysis",
        folder: "crates/analysis",
        layer: Layer::Library,
        dependencies: &["veedor-core"],
        optional_dependencies: &[],
        dev_dependencies: &[],
        pure: PURE,
        must_not_name: &[],
    },
    CrateRule {
        package: "veedor-core",
        folder: "crates/core",
        layer: Layer::Core,
        dependencies: &[],
        optional_dependencies: &[],
        dev_dependencies: &[],
        pure: Some(Pure {
            external_dependencies: Some(&["thiserror", "jiff"]),
            exception: None,
        }),
        must_not_name: &[],
    },
    CrateRule {
        package: "veedor-bench",
        folder: "bench",
        layer: Layer::Tool,
        dependencies: &[
            "veedor-web",
            "veedor-app",
            "veedor-store-sqlite",
            "veedor-store-postgres",
            "veedor-store",
            "veedor-ledger",
            "veedor-scan",
            "veedor-formats",
            "veedor-sim",
            "veedor-analysis",
            "veedor-core",
        ],
        optional_dependencies: &[],
        dev_dependencies: &[],
        pure: NOT_PURE,
        must_not_name: &[],
    },
    CrateRule {
        package: "veedor-store-conformance",
        folder: "crates/store-conformance",
        layer: Layer::Tool,
        dependencies: &[
            "veedor-store",
            "veedor-ledger",
            "veedor-formats",
            "veedor-sim",
            "veedor-core",
        ],
        optional_dependencies: &[],
        dev_dependencies: &[],
        pure: NOT_PURE,
        must_not_name: &[],
    },
    CrateRule {
        package: "veedor-tidy",
        folder: "crates/tidy",
        layer: Layer::Tool,
        dependencies: &[],
        optional_dependencies: &[],
        dev_dependencies: &[],
        pure: NOT_PURE,
        must_not_name: &[],
    },
];

/// Checks `cargo metadata --format-version 1 --no-deps` output against `table` (normally
/// [`CRATES`]): every package is in the table, in its folder, and depends only on what its row
/// allows; pure crates depend on no library that does I/O.
#[must_use]
pub fn check_dependencies(metadata_json: &str, table: &[CrateRule]) -> Vec<Violation> {
    let unreadable =
        |message: String| vec![Violation::new(Rule::Unreadable, "cargo metadata", message)];
    let metadata: Value = match serde_json::from_str(metadata_json) {
        Ok(metadata) => metadata,
        Err(error) => return unreadable(format!("not JSON: {error}")),
    };
    let Some(packages) = metadata["packages"].as_array() else {
        return unreadable("no `packages` array".to_owned());
    };
    let root = metadata["workspace_root"].as_str().unwrap_or_default();
    let ours: BTreeSet<&str> = packages
        .iter()
        .filter_map(|package| package["name"].as_str())
        .chain(table.iter().map(|rule| rule.package))
        .collect();
    let mut violations = Vec::new();
    for package in packages {
        let (Some(name), Some(manifest)) =
            (package["name"].as_str(), package["manifest_path"].as_str())
        else {
            violations.extend(unreadable(
                "a package without `name` or `manifest_path`".to_owned(),
            ));
            continue;
        };
        let manifest = relative(root, manifest);
        let Some(rule) = table.iter().find(|rule| rule.package == name) else {
            violations.push(Violation::new(
                Rule::Layering,
                &manifest,
                format!(
                    "{name} is not in veedor-tidy's table of crates (CRATES): add it with its layer and the \
                     crates it may depend on"
                ),
            ));
            continue;
        };
        let folder = manifest.strip_suffix("/Cargo.toml").unwrap_or(&manifest);
        if folder != rule.folder {
            violations.push(Violation::new(
                Rule::Layering,
                &manifest,
                format!(
                    "{name} is in {folder}, the table of crates says {}",
                    rule.folder
                ),
            ));
        }
        let dependencies = package["dependencies"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        for dependency in dependencies {
            let Some(target) = dependency["name"].as_str() else {
                continue;
            };
            let kind = dependency["kind"].as_str();
            if ours.contains(target) {
                violations.extend(check_edge(
                    rule, &manifest, package, dependency, target, kind, table,
                ));
            } else if kind != Some("dev") {
                violations.extend(check_external(rule, &manifest, target));
            }
        }
    }
    violations
}

/// One edge between two of our crates.
fn check_edge(
    rule: &CrateRule,
    manifest: &str,
    package: &Value,
    dependency: &Value,
    target: &str,
    kind: Option<&str>,
    table: &[CrateRule],
) -> Option<Violation> {
    let from = rule.package;
    let violation = |message: String| Some(Violation::new(Rule::Layering, manifest, message));
    if kind == Some("dev") {
        if rule.dev_dependencies.contains(&target) {
            return None;
        }
        return violation(format!(
            "{from} has a dev-dependency on {target} that the table of crates does not list; any \
             direction is allowed for tests, but list it in {from}'s dev_dependencies"
        ));
    }
    let verb = if kind == Some("build") {
        "build-depends"
    } else {
        "depends"
    };
    if let Some(edge) = rule
        .optional_dependencies
        .iter()
        .find(|edge| edge.dependency == target)
    {
        if dependency["optional"].as_bool() != Some(true) {
            return violation(format!(
                "{from} {verb} on {target} unconditionally; the table allows it only as optional, behind \
                 feature `{}` ({})",
                edge.feature, edge.why
            ));
        }
        let others = features_enabling(package, target)
            .into_iter()
            .filter(|feature| *feature != edge.feature)
            .collect::<Vec<_>>();
        if others.is_empty() {
            return None;
        }
        return violation(format!(
            "{from}'s feature `{}` switches on {target}; only `{}` may ({})",
            others.join("`, `"),
            edge.feature,
            edge.why
        ));
    }
    if rule.dependencies.contains(&target) {
        return None;
    }
    let target_layer = table
        .iter()
        .find(|other| other.package == target)
        .map_or("not in the table", |other| other.layer.name());
    let allowed = if rule.dependencies.is_empty() {
        "none of ours".to_owned()
    } else {
        rule.dependencies.join(", ")
    };
    violation(format!(
        "{from} ({}) {verb} on {target} ({target_layer}), which the layering forbids; {from} may depend on: \
         {allowed}",
        rule.layer.name()
    ))
}

/// A normal or build dependency outside the workspace, for a pure crate.
fn check_external(rule: &CrateRule, manifest: &str, target: &str) -> Option<Violation> {
    let pure = rule.pure?;
    let from = rule.package;
    if let Some(only) = pure.external_dependencies {
        if only.contains(&target) {
            return None;
        }
        return Some(Violation::new(
            Rule::PureDependencies,
            manifest,
            format!(
                "{from} depends on {target}; its only dependencies may be {}",
                only.join(", ")
            ),
        ));
    }
    let (_, what) = IMPURE_DEPENDENCIES
        .iter()
        .find(|(name, _)| *name == target)?;
    Some(Violation::new(
        Rule::PureDependencies,
        manifest,
        format!("{from} depends on {target} ({what}); a pure crate does no I/O"),
    ))
}

/// The features of `package` that switch on the optional dependency `target`.
fn features_enabling<'a>(package: &'a Value, target: &str) -> Vec<&'a str> {
    let Some(features) = package["features"].as_object() else {
        return Vec::new();
    };
    let named = [format!("dep:{target}"), target.to_owned()];
    features
        .iter()
        .filter(|(_, enables)| {
            enables.as_array().is_some_and(|enables| {
                enables.iter().any(|item| {
                    item.as_str()
                        .is_some_and(|item| named.iter().any(|n| n == item))
                })
            })
        })
        .map(|(feature, _)| feature.as_str())
        .collect()
}

/// `path` from the workspace root, with `/`.
fn relative(root: &str, path: &str) -> String {
    let path = path.strip_prefix(root).unwrap_or(path);
    path.trim_start_matches(['/', '\\']).replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table itself keeps the rule it states: edges point to lower layers; tools use any crate
    /// but the binary and no crate but a tool's tests use a tool; everything named is in it.
    #[test]
    fn the_table_points_down() {
        let find = |name: &str| CRATES.iter().find(|rule| rule.package == name);
        for rule in CRATES {
            for target in rule.dependencies {
                let Some(other) = find(target) else {
                    panic!("{}: {target} is not in CRATES", rule.package)
                };
                match (rule.layer.height(), other.layer.height()) {
                    (Some(from), Some(to)) => {
                        assert!(to < from, "{} -> {target} points up", rule.package)
                    }
                    (None, Some(_)) => {
                        assert_ne!(other.layer, Layer::Binary, "{} -> the binary", rule.package)
                    }
                    (_, None) => panic!("{} depends on the tool {target}", rule.package),
                }
            }
            for edge in rule.optional_dependencies {
                let Some(other) = find(edge.dependency) else {
                    panic!("{} not in CRATES", edge.dependency)
                };
                assert!(
                    other.layer.height() <= rule.layer.height(),
                    "{} -> {}",
                    rule.package,
                    edge.dependency
                );
            }
            for target in rule.dev_dependencies {
                assert!(
                    find(target).is_some(),
                    "{}: dev {target} is not in CRATES",
                    rule.package
                );
            }
        }
        let mut names: Vec<_> = CRATES.iter().map(|rule| rule.package).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CRATES.len(), "a crate is in the table twice");
    }
}
