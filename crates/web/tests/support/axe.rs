//! axe-core's WCAG 2.1 A and AA rules on real pages, through the repository's Node harness
//! (`tests/a11y/axe.mjs`): the system's headless Chromium, a phone's viewport, no JavaScript
//! (and JavaScript too on a page that loads a script). Shared by this crate's `a11y` test and
//! the command line's static-mirror test (`crates/cli/tests/site.rs` includes this file by
//! path). Both fail, never skip, when node, the harness's `node_modules` or Chromium is missing:
//! `scripts/install-test-deps` installs them. Each run's JSON report is kept as a test artefact.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// A page to check: its kind (its name in the report and the allow-list), its URL, and the
/// HTTP status it must answer with (so that a wrong URL cannot pass as a checked page).
pub struct Page {
    pub kind: String,
    pub url: String,
    pub status: u16,
    /// A cookie sent with this page (`name=value`): a volunteer's session.
    pub cookie: Option<String>,
}

impl Page {
    pub fn new(kind: impl Into<String>, url: impl Into<String>, status: u16) -> Self {
        Self {
            kind: kind.into(),
            url: url.into(),
            status,
            cookie: None,
        }
    }
}

fn harness() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/a11y")
}

fn report_path(name: &str) -> PathBuf {
    let folder = std::env::var_os("VEEDOR_TEST_ARTIFACTS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-artifacts/web"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&folder).unwrap();
    folder.join(format!("a11y-{name}.json"))
}

/// Runs the harness once (one browser) on `pages`, accepting the serious or critical violations
/// `allowed` names as (rule, page kind); panics with the harness's list of violations unless
/// every page passes and answered with its status. The report is kept as
/// `a11y-<name>.json` beside the screenshots; it is returned for further checks.
pub fn check_pages(name: &str, pages: &[Page], allowed: &[(&str, &str)]) -> Value {
    let harness = harness();
    let script = harness.join("axe.mjs");
    assert!(script.is_file(), "{} is missing", script.display());
    assert!(
        harness.join("node_modules/axe-core").is_dir()
            && harness.join("node_modules/playwright-core").is_dir(),
        "{}/node_modules lacks axe-core or playwright-core: run scripts/install-test-deps \
         (npm ci in tests/a11y)",
        harness.display()
    );
    let mut command = Command::new("node");
    command.arg(&script);
    for (rule, kind) in allowed {
        command.arg("--allow").arg(format!("{rule}@{kind}"));
    }
    for page in pages {
        if let Some(cookie) = &page.cookie {
            command
                .arg("--cookie")
                .arg(format!("{}={cookie}", page.kind));
        }
        command.arg(format!("{}={}", page.kind, page.url));
    }
    let output = command.output().unwrap_or_else(|error| {
        panic!(
            "cannot run node: {error}; the accessibility check needs Node.js (Debian's nodejs \
             and npm; scripts/install-test-deps installs them)"
        )
    });
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let path = report_path(name);
    std::fs::write(&path, stdout.as_bytes()).unwrap();
    assert!(
        output.status.success(),
        "axe-core found serious or critical violations, or could not run ({}); report in {}:\n{stderr}",
        output.status,
        path.display()
    );
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|error| panic!("the harness's report is not JSON: {error}\n{stdout}"));
    let checked = report["pages"].as_array().unwrap();
    for page in pages {
        let result = checked
            .iter()
            .find(|result| result["kind"] == page.kind.as_str() && result["javascript"] == false)
            .unwrap_or_else(|| panic!("{}: not in the report", page.kind));
        assert_eq!(
            result["status"], page.status,
            "{} ({}): wrong status",
            page.kind, page.url
        );
    }
    report
}
