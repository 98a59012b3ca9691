//! The files the documents name exist.

use std::collections::BTreeSet;

use crate::{Rule, Violation};

/// Extensions that make a bare backticked name a file of the repository. `veedor.db` and the
/// like are files of a data folder, not of the repository, and stay out.
const FILE_EXTENSIONS: &[&str] = &[
    "rs", "md", "toml", "js", "css", "html", "sh", "py", "json", "csv", "txt", "sql", "go", "yml",
    "yaml",
];

/// Checks that every file or folder ARCHITECTURE.md names in backticks exists. `paths` holds
/// every file and folder of the repository, from its root, with `/` (`crates`, `crates/core`,
/// `crates/core/src/status.rs`, ...).
///
/// Which code spans are paths: those starting at a top-level folder of the repository
/// (`crates/cli/src/main.rs`, `data/ve2024/`); those starting at a folder of the crate whose
/// paragraph they are in (`tests/tidy.rs` under `### \`crates/tidy\``), from either when the
/// folder is both the repository's and the crate's (`tests/`); and bare file names
/// with a source or document extension (`status.rs`), which must exist under that crate's folder
/// or at the root, or anywhere in the repository outside a crate's paragraph. Anything else
/// (`/log/checkpoint`, `blobs/`, `sumdb/tlog`, `veedor.db`, `../shared`) names no file of the
/// repository. Fenced code blocks are skipped.
#[must_use]
pub fn check_architecture_paths(
    document: &str,
    text: &str,
    paths: &BTreeSet<String>,
) -> Vec<Violation> {
    let mut violations = Vec::new();
    for span in code_spans(text) {
        let section = span
            .section
            .as_deref()
            .filter(|section| paths.contains(*section));
        if let Some(problem) = missing(&span.text, section, paths) {
            violations.push(Violation::new(
                Rule::DocumentedPath,
                format!("{document}:{}", span.line),
                problem,
            ));
        }
    }
    violations
}

/// Checks that every `docs/*.md` that README.md names, in backticks or not, exists.
#[must_use]
pub fn check_readme_docs(document: &str, text: &str, paths: &BTreeSet<String>) -> Vec<Violation> {
    let mut violations = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find("docs/") {
            let candidate = &rest[start..];
            let end = candidate
                .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.')))
                .unwrap_or(candidate.len());
            let name = candidate[..end].trim_end_matches('.');
            if name.ends_with(".md") && !paths.contains(name) {
                violations.push(Violation::new(
                    Rule::DocumentedPath,
                    format!("{document}:{}", index + 1),
                    format!("`{name}` does not exist"),
                ));
            }
            rest = &candidate[end.max(1)..];
        }
    }
    violations
}

/// What is wrong with a code span that names a path, if anything.
fn missing(token: &str, section: Option<&str>, paths: &BTreeSet<String>) -> Option<String> {
    if token.is_empty()
        || token.contains(char::is_whitespace)
        || token.contains("::")
        || token.contains("://")
        || token.contains('*')
        || token.starts_with(['/', '.', '-', '~'])
    {
        return None;
    }
    let path = token.trim_end_matches('/');
    if let Some((first, _)) = path.split_once('/') {
        // A folder may be both the repository's and the crate's (`tests/`): either will do.
        let in_section = section.filter(|section| paths.contains(&format!("{section}/{first}")));
        if paths.contains(first) && (paths.contains(path) || in_section.is_none()) {
            return (!paths.contains(path)).then(|| format!("`{token}` does not exist"));
        }
        let section = in_section?;
        let full = format!("{section}/{path}");
        return (!paths.contains(&full)).then(|| format!("`{token}` does not exist ({full})"));
    }
    let (_, extension) = path.rsplit_once('.')?;
    if !FILE_EXTENSIONS.contains(&extension) {
        return None;
    }
    let is_named = |candidate: &&String| candidate.rsplit('/').next() == Some(path);
    match section {
        Some(section) => {
            let prefix = format!("{section}/");
            let found = paths.contains(path)
                || paths
                    .iter()
                    .filter(|p| p.starts_with(&prefix))
                    .any(|p| is_named(&p));
            (!found).then(|| format!("`{token}` is not a file under {section} or at the root"))
        }
        None => (!paths.iter().any(|p| is_named(&p)))
            .then(|| format!("`{token}` is not a file anywhere in the repository")),
    }
}

/// A code span outside fenced blocks, with its line and the folder of the crate whose paragraph
/// it is in (the first code span of the `###` heading above, when there is one).
struct CodeSpan {
    text: String,
    line: usize,
    section: Option<String>,
}

fn code_spans(text: &str) -> Vec<CodeSpan> {
    let mut spans = Vec::new();
    let mut in_fence = false;
    let mut section: Option<String> = None;
    // A span may run over a line break; what is open carries over, with the line it opened on.
    let mut open: Option<(String, usize)> = None;
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if line.starts_with('#') && open.is_none() {
            section = if line.starts_with("### ") {
                line.split('`')
                    .nth(1)
                    .map(|first| first.trim_end_matches('/').to_owned())
            } else {
                None
            };
        }
        for (piece_index, piece) in line.split('`').enumerate() {
            if piece_index > 0 {
                open = match open.take() {
                    Some((span, line)) => {
                        spans.push(CodeSpan {
                            text: span,
                            line,
                            section: section.clone(),
                        });
                        None
                    }
                    None => Some((String::new(), number)),
                };
            }
            if let Some((span, _)) = &mut open {
                span.push_str(piece);
            }
        }
        if let Some((span, _)) = &mut open {
            span.push('\n');
        }
    }
    spans
}
