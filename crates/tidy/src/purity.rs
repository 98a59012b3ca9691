//! What a crate's code may name: no I/O in the pure crates, no adapter in web.

use std::collections::BTreeSet;

use crate::source::{mentions, parse};
use crate::{CrateRule, Rule, SourceFile, Violation};

/// Paths (in order, segment by segment, anywhere in a longer path) that mean I/O, and what they
/// reach. `std::io` itself is allowed: a pure crate may read from a reader it is handed.
const IO: &[(&[&str], &str)] = &[
    (&["std", "fs"], "the file system"),
    (&["std", "net"], "the network"),
    (&["std", "env"], "the environment"),
    (&["std", "process"], "other processes"),
    (&["io", "stdin"], "standard input"),
    (&["io", "stdout"], "standard output"),
    (&["io", "stderr"], "standard error"),
    (&["println"], "standard output"),
    (&["print"], "standard output"),
    (&["eprintln"], "standard error"),
    (&["eprint"], "standard error"),
    (&["SystemTime"], "the clock"),
    (&["Instant", "now"], "the clock"),
    (&["Timestamp", "now"], "the clock"),
    (&["Zoned", "now"], "the clock"),
    (&["serde_json"], "JSON"),
    (&["tokio"], "the async runtime"),
    (&["rusqlite"], "SQL"),
];

/// Checks the non-test code of one crate's `files` against its row of the table: a pure crate
/// names no I/O (except behind its documented feature), and no crate names what its row's
/// `must_not_name` lists.
#[must_use]
pub fn check_sources(rule: &CrateRule, files: &[SourceFile]) -> Vec<Violation> {
    let (parsed, mut violations) = parse(files);
    let exempt_feature = rule
        .pure
        .and_then(|pure| pure.exception)
        .map(|exception| exception.feature);
    for file in &parsed {
        let mut seen = BTreeSet::new();
        let mut report = |rule_broken: Rule, line: usize, message: String| {
            if seen.insert((line, message.clone())) {
                violations.push(Violation::new(
                    rule_broken,
                    format!("{}:{line}", file.path),
                    message,
                ));
            }
        };
        if rule.pure.is_some() && !file.gate.skipped(exempt_feature) {
            for mention in mentions(&file.file, exempt_feature) {
                if let Some((_, what)) = IO.iter().find(|(pattern, _)| mention.contains(pattern)) {
                    report(
                        Rule::NoIo,
                        mention.line,
                        format!(
                            "{} names `{}` ({what}); this crate does no I/O",
                            rule.package,
                            mention.text()
                        ),
                    );
                }
            }
        }
        if !rule.must_not_name.is_empty() && !file.gate.skipped(None) {
            for mention in mentions(&file.file, None) {
                let named = mention
                    .segments
                    .iter()
                    .any(|segment| rule.must_not_name.iter().any(|name| segment.contains(name)));
                if named {
                    report(
                        Rule::NamesAdapter,
                        mention.line,
                        format!(
                            "{} names `{}`, a store adapter; it may use the port (veedor-store) only",
                            rule.package,
                            mention.text()
                        ),
                    );
                }
            }
        }
    }
    violations
}
