//! `veedor serve` against `veedor tally` and `veedor lookup`: the real binary, on the real 2024
//! results, shows on its pages and API the very numbers the command line prints, at every level.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::http::http_get;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn veedor(data: &Path, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_veedor"))
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success() || output.status.code() == Some(3),
        "veedor {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|error| panic!("{error}: {text:.200}"))
}

/// `veedor serve`, stopped when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) address: SocketAddr,
    /// What it printed when it started, up to `stop with Ctrl-C`.
    banner: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn serve(data: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_veedor"))
        .arg("--data")
        .arg(data)
        .args(["serve", "--listen", "127.0.0.1:0", "--lookup-limit", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut banner = String::new();
    let mut address = None;
    loop {
        let line = lines
            .next()
            .expect("veedor serve ended before listening")
            .unwrap();
        if let Some(rest) = line.strip_prefix("listening on http://") {
            address = Some(rest.trim_end_matches('/').parse().unwrap());
        }
        banner.push_str(&line);
        banner.push('\n');
        if line == "stop with Ctrl-C" {
            break;
        }
    }
    // Keep reading stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        address: address.expect("a listening line"),
        banner,
    }
}

fn get(address: SocketAddr, path: &str) -> (u16, String) {
    let (status, head, body) = http_get(address, path);
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    (status, String::from_utf8(body).unwrap())
}

/// The value of the first `<data class="CLASS" value=...>` in `html`.
fn data_value(html: &str, class: &str) -> u64 {
    let marker = format!("<data class=\"{class}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {class} in {html:.300}"))
        + marker.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end].parse().unwrap()
}

/// The result section of an area's page.
fn result_section(html: &str) -> &str {
    let start = html
        .find("<section id=\"result\"")
        .expect("a result section");
    let end = start + html[start..].find("</section>").unwrap();
    &html[start..end]
}

/// Checks one area's page against the CLI's tally of that area, and its size.
fn check_page(address: SocketAddr, area: &Value, css: usize) {
    let level = area["area"]["level"].as_str().unwrap();
    let code = area["area"]["code"].as_str().unwrap();
    let path = if level == "national" {
        "/?lang=en".to_owned()
    } else {
        format!("/area/{level}/{code}?lang=en")
    };
    let (status, html) = get(address, &path);
    assert_eq!(status, 200, "{path}");
    assert!(
        html.len() + css < 50_000,
        "{path}: {} bytes of HTML and CSS",
        html.len() + css
    );
    let section = result_section(&html);
    let coverage = &area["coverage"];
    for (class, expected) in [
        ("tables-counted", &coverage["tables_counted"]),
        ("tables-expected", &coverage["tables_expected"]),
        ("registered-counted", &coverage["registered_counted"]),
        ("registered-expected", &coverage["registered_expected"]),
        ("valid-votes", &area["valid_votes"]),
        ("null-votes", &area["null_votes"]),
        ("status-accepted", &area["tables_by_status"]["accepted"]),
        ("status-missing", &area["tables_by_status"]["missing"]),
    ] {
        if expected.is_null() {
            // Nothing declares the area's expected tables or voters: the page says so, and
            // shows no percentage of an unknown total.
            assert!(
                section.contains("<span data-expected=\"unknown\">"),
                "{path}: {class} unknown"
            );
            assert!(
                !section.contains(&format!("class=\"{class}\"")),
                "{path}: {class}"
            );
            continue;
        }
        assert_eq!(
            data_value(section, class),
            expected.as_u64().unwrap(),
            "{path}: {class}"
        );
    }
    for candidate in area["candidates"].as_array().unwrap() {
        let id = candidate["id"].as_str().unwrap();
        let row = &section[section
            .find(&format!("<tr id=\"c-{id}\">"))
            .unwrap_or_else(|| panic!("{path}: no row for {id}"))..];
        assert_eq!(
            data_value(row, "votes"),
            candidate["votes"].as_u64().unwrap(),
            "{path}: votes of {id}"
        );
        let shown = format!("{:.2}%", candidate["percent"].as_f64().unwrap());
        let row_end = row.find("</tr>").unwrap();
        assert!(row[..row_end].contains(&shown), "{path}: {id} {shown}");
    }
}

#[test]
fn the_pages_and_the_api_show_what_veedor_tally_and_lookup_print() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    veedor(&data, &["init", "--election", "ve-2024-presidential"]);
    let csv = repo().join("data/ve2024/RESULTADOS_2024_CSV_V1.csv");
    veedor(
        &data,
        &[
            "import",
            "results",
            "--defines-tables",
            csv.to_str().unwrap(),
        ],
    );
    let registry = dir.path().join("registry.csv");
    veedor(
        &data,
        &[
            "generate",
            "registry",
            "--voters",
            "20000",
            "-o",
            registry.to_str().unwrap(),
        ],
    );
    veedor(
        &data,
        &[
            "import",
            "registry",
            "--lookup-cost",
            "unprotected",
            registry.to_str().unwrap(),
        ],
    );
    let levels = ["national", "state", "municipality", "parish", "centre"];
    let tallies: Vec<(&str, Value)> = levels
        .iter()
        .map(|level| {
            (
                *level,
                json(&veedor(
                    &data,
                    &["tally", "--format", "json", "--level", level],
                )),
            )
        })
        .collect();
    let server = serve(&data);
    let address = server.address;
    // The start-up lines name no voter of the registry: they reach terminals and service logs.
    let registry_text = std::fs::read_to_string(&registry).unwrap();
    assert!(
        server.banner.contains("voter lookup: http://"),
        "{}",
        server.banner
    );
    for voter in registry_text
        .lines()
        .skip(1)
        .filter_map(|line| line.split(',').next())
    {
        assert!(!server.banner.contains(voter), "{}", server.banner);
    }

    // The API serves the command line's documents, level by level.
    for (level, expected) in &tallies {
        let (status, body) = get(address, &format!("/api/v1/tally/{level}"));
        assert_eq!(status, 200);
        assert_eq!(&json(&body), expected, "/api/v1/tally/{level}");
    }
    let state = &tallies[1].1["areas"][0];
    let one = json(&veedor(
        &data,
        &[
            "tally",
            "--format",
            "json",
            "--level",
            "state",
            "--code",
            state["area"]["code"].as_str().unwrap(),
        ],
    ));
    let (_, body) = get(
        address,
        &format!(
            "/api/v1/tally/state/{}",
            state["area"]["code"].as_str().unwrap()
        ),
    );
    assert_eq!(json(&body), one);

    // The pages show the same numbers: the nation, every state, every municipality, and every
    // 7th parish and every 97th centre (all of them would take minutes in a debug build).
    let (_, style) = get(address, "/static/style.css");
    let css = style.len();
    let mut checked = 0;
    for (level, tally) in &tallies {
        let step = match *level {
            "parish" => 7,
            "centre" => 97,
            _ => 1,
        };
        for area in tally["areas"].as_array().unwrap().iter().step_by(step) {
            check_page(address, area, css);
            checked += 1;
        }
    }
    assert!(checked > 24 + 300, "{checked} pages checked");
    // The parish with the most centres (116) has the longest list of areas.
    let biggest = tallies[3].1["areas"]
        .as_array()
        .unwrap()
        .iter()
        .find(|area| area["area"]["code"] == "010110")
        .unwrap();
    check_page(address, biggest, css);

    // A voter lookup: the API's document is `veedor lookup --format json`'s.
    let text = std::fs::read_to_string(&registry).unwrap();
    for line in text.lines().skip(1).step_by(997).take(12) {
        let voter = line.split(',').next().unwrap();
        let cli = json(&veedor(&data, &["lookup", "--format", "json", voter]));
        let (status, body) = get(address, &format!("/api/v1/lookup/{voter}"));
        assert_eq!(status, 200);
        assert_eq!(json(&body), cli, "voter {voter}");
        let (status, html) = get(address, &format!("/lookup?voter_id={voter}&lang=en"));
        assert_eq!(status, 200);
        let table = &cli["table"];
        assert!(
            html.contains(&format!(
                "href=\"/table/{}\"",
                table["id"].as_str().unwrap()
            )),
            "voter {voter}"
        );
    }
    drop(server);
}

/// `veedor verify URL` checks a running `veedor serve` as it checks any mirror: the server
/// publishes the open data of its checkpoint under `/data/`, beside `/log/` and `/scans/`.
#[test]
fn verify_checks_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    veedor(&data, &["init", "--election", "ve-2024-presidential"]);
    let csv = dir.path().join("head.csv");
    std::fs::write(&csv, crate::support::head_of_real_file(400)).unwrap();
    veedor(
        &data,
        &[
            "import",
            "results",
            "--defines-tables",
            csv.to_str().unwrap(),
        ],
    );
    let key = veedor(&data, &["key"]);
    let server = serve(&data);
    let url = format!("http://{}/", server.address);

    let run = Command::new(env!("CARGO_BIN_EXE_veedor"))
        .args(["verify", &url, "--key", key.trim()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("verified"), "{stdout}");
    assert!(stdout.contains("400 acta rows"), "{stdout}");

    // The files are the export's, byte for byte.
    let mirror = dir.path().join("mirror");
    veedor(&data, &["export", "data", mirror.to_str().unwrap()]);
    let (status, served) = get(server.address, "/data/actas.csv");
    assert_eq!(status, 200);
    assert_eq!(
        served,
        std::fs::read_to_string(mirror.join("data/actas.csv")).unwrap()
    );
    let (status, _) = get(server.address, "/data/not-a-file.csv");
    assert_eq!(status, 404);

    // Checked with another log's key, the same server fails.
    let other = tempfile::tempdir().unwrap();
    let other_data = other.path().join("data");
    veedor(&other_data, &["init", "--election", "ve-2024-presidential"]);
    let other_key = veedor(&other_data, &["key"]);
    let run = Command::new(env!("CARGO_BIN_EXE_veedor"))
        .args(["verify", &url, "--key", other_key.trim()])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1));
    drop(server);
}
