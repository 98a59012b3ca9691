//! `veedor export site --profile compact` and `--archive`: a mirror that fits where people can
//! host it (issue 11, point 4). The compact export verifies byte for byte, is the same bytes
//! twice, links only relatively to files and anchors that are there, names its size and file
//! count; its archive verifies as it is, unpacks with `tar -x` into the same files, is the same
//! bytes twice; a changed byte in a centre page, in the folder or inside the archive, is named;
//! a cut-off or malformed archive is refused; the compact pages pass axe-core; and the demo's
//! data (the real 2024 results, 30,026 tables, 17.7 million synthetic voters) makes a compact
//! mirror under 1 GB and 20,000 files that verifies, folder and archive.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::axe::{Page, check_pages};
use crate::mirror::{all_files, copy_dir};
use crate::site::{Exported, StaticServer, links};
use crate::support::{Data, Run};

/// Exports the compact profile of `exported`'s store into `name` with `extra` arguments.
fn compact(exported: &Exported, name: &str, extra: &[&str]) -> (PathBuf, Run) {
    let dir = exported.data.path().join(name);
    let mut args = vec![
        "export",
        "site",
        dir.to_str().unwrap(),
        "--profile",
        "compact",
    ];
    args.extend(extra);
    let run = exported.data.run(&args).expect_code(0);
    (dir, run)
}

/// The files and bytes of the export's line `Mirror: N files, B bytes (...)`.
fn printed_size(stdout: &str) -> (u64, u64) {
    let line = stdout
        .lines()
        .find(|line| line.starts_with("Mirror: "))
        .unwrap_or_else(|| panic!("no size line in {stdout}"));
    let mut words = line.split_whitespace();
    let files = words.nth(1).unwrap().parse().unwrap();
    let bytes = words.nth(1).unwrap().parse().unwrap();
    (files, bytes)
}

/// Every link of every page is relative and leads to a file of the export, and a link to an
/// anchor (`#t-1`, `#acta-7`) to an element with that id. Returns the links checked.
fn check_links(site: &Path, files: &[(String, Vec<u8>)]) -> usize {
    let pages: BTreeMap<&str, &str> = files
        .iter()
        .filter(|(name, _)| name.ends_with(".html"))
        .map(|(name, bytes)| (name.as_str(), std::str::from_utf8(bytes).unwrap()))
        .collect();
    let mut checked = 0;
    for (name, html) in &pages {
        assert!(!html.contains("<script>"), "{name}: inline script");
        let folder = Path::new(name).parent().unwrap();
        for link in links(html) {
            assert!(
                !link.starts_with('/') && !link.contains("://"),
                "{name}: link {link} is not relative"
            );
            let (path, fragment) = link.split_once('#').unwrap_or((&link, ""));
            let path = path.split('?').next().unwrap();
            let target_name = if path.is_empty() {
                (*name).to_owned()
            } else {
                let mut target = folder.to_owned();
                for part in path.split('/').filter(|part| !part.is_empty()) {
                    if part == ".." {
                        assert!(target.pop(), "{name}: {link} leaves the export");
                    } else {
                        target.push(part);
                    }
                }
                let target_name = target.display().to_string();
                assert!(
                    site.join(&target_name).exists() || target_name.is_empty(),
                    "{name}: {link} leads nowhere"
                );
                target_name
            };
            if !fragment.is_empty() {
                let target = pages
                    .get(target_name.as_str())
                    .unwrap_or_else(|| panic!("{name}: {link}: no page {target_name}"));
                assert!(
                    target.contains(&format!(" id=\"{fragment}\"")),
                    "{name}: {link}: {target_name} has no element {fragment}"
                );
            }
            checked += 1;
        }
    }
    checked
}

#[test]
fn a_compact_export_verifies_is_deterministic_links_to_anchors_and_prints_its_size() {
    let exported = Exported::new();
    let (site, run) = compact(&exported, "compact", &[]);
    let files = all_files(&site);
    let (printed_files, printed_bytes) = printed_size(&run.stdout);
    assert_eq!(printed_files, files.len() as u64, "{}", run.stdout);
    assert_eq!(
        printed_bytes,
        files
            .iter()
            .map(|(_, bytes)| bytes.len() as u64)
            .sum::<u64>()
    );
    assert!(
        run.stdout
            .contains("profile compact, language es, with the scans"),
        "{}",
        run.stdout
    );
    let verified = exported.verify(site.to_str().unwrap()).expect_code(0);
    assert!(verified.stdout.contains("verified"), "{}", verified.stdout);
    assert!(
        verified.stdout.contains("compact profile"),
        "{}",
        verified.stdout
    );

    // The layout: one language, no table or acta pages, no JSON twins; a centre's page holds
    // each of its tables and acta copies.
    let names: std::collections::BTreeSet<&str> =
        files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        std::fs::read_to_string(site.join("site.json")).unwrap(),
        "{\"schema\":\"veedor.site/1\",\"profile\":\"compact\",\"languages\":[\"es\"],\"scans\":true}\n"
    );
    for prefix in ["en/", "api/", "es/table/", "es/acta/"] {
        assert!(
            !names.iter().any(|name| name.starts_with(prefix)),
            "{prefix} in a compact export"
        );
    }
    let full_files = all_files(&exported.site).len();
    assert!(
        files.len() * 3 < full_files,
        "{} files, the full export {full_files}",
        files.len()
    );
    for row in exported.actas() {
        let (centre, number) = row["table_id"].split_once('.').unwrap();
        let page = std::fs::read_to_string(site.join(format!("es/area/centre/{centre}.html")))
            .unwrap_or_else(|_| panic!("no page of centre {centre}"));
        let number: u16 = number.parse().unwrap();
        assert!(page.contains(&format!(" id=\"t-{number}\"")), "{centre}");
        assert!(
            page.contains(&format!(" id=\"acta-{}\"", row["copy_id"])),
            "{centre}: no acta {}",
            row["copy_id"]
        );
        assert!(page.contains(&format!("href=\"#acta-{}\"", row["copy_id"])));
        if row["source"] == "qr" {
            assert!(page.contains(&format!("scans/{}", row["published_sha256"])));
        }
    }
    let home = std::fs::read_to_string(site.join("es/index.html")).unwrap();
    assert!(
        home.contains("data-centres=\"area/centre/\""),
        "{home:.3000}"
    );
    assert!(
        !home.contains("class=\"lang\""),
        "a language switch to no page"
    );
    assert!(check_links(&site, &files) > 1000);

    // The same store exports the same bytes.
    let (other, _) = compact(&exported, "compact-again", &[]);
    let other_files = all_files(&other);
    assert_eq!(files.len(), other_files.len());
    for ((name, bytes), (other_name, other_bytes)) in files.iter().zip(&other_files) {
        assert_eq!(name, other_name);
        assert!(bytes == other_bytes, "{name} differs between two exports");
    }

    // Both languages, and without the scans: each verifies; the second has no scans and its
    // pages link none.
    let (both, _) = compact(&exported, "compact-both", &["--lang", "en,es"]);
    assert!(both.join("en/index.html").exists() && both.join("es/index.html").exists());
    let both_files = all_files(&both);
    check_links(&both, &both_files);
    exported.verify(both.to_str().unwrap()).expect_code(0);
    let (bare, run) = compact(&exported, "compact-bare", &["--no-scans", "--no-lookup"]);
    assert!(run.stdout.contains("without the scans"), "{}", run.stdout);
    assert!(!bare.join("scans").exists() && !bare.join("lookup").exists());
    let bare_files = all_files(&bare);
    for (name, bytes) in bare_files
        .iter()
        .filter(|(name, _)| name.ends_with(".html"))
    {
        let html = std::str::from_utf8(bytes).unwrap();
        assert!(
            !links(html).iter().any(|link| link.contains("scans/")),
            "{name} links a scan that is not there"
        );
    }
    check_links(&bare, &bare_files);
    exported.verify(bare.to_str().unwrap()).expect_code(0);
    // Its manifest says so: a copy that claims the scans are there misses every scan.
    let claims = exported.data.path().join("claims-scans");
    copy_dir(&bare, &claims);
    std::fs::write(
        claims.join("site.json"),
        "{\"schema\":\"veedor.site/1\",\"profile\":\"compact\",\"languages\":[\"es\"],\"scans\":true}\n",
    )
    .unwrap();
    let run = exported.verify(claims.to_str().unwrap()).expect_code(1);
    assert!(run.stderr.contains("scans/"), "{}", run.stderr);
}

/// The byte range of `path` inside the tar at `archive`.
fn entry_offset(archive: &Path, path: &str) -> (u64, u64) {
    let file = std::fs::File::open(archive).unwrap();
    let mut tar = tar::Archive::new(file);
    for entry in tar.entries().unwrap() {
        let entry = entry.unwrap();
        if entry.path().unwrap().to_str() == Some(path) {
            return (entry.raw_file_position(), entry.size());
        }
    }
    panic!("{path} is not in {}", archive.display());
}

#[test]
fn a_compact_archive_verifies_unpacks_and_names_a_changed_byte() {
    let exported = Exported::new();
    let archive = exported.data.path().join("mirror.tar");
    let archive_text = archive.to_str().unwrap().to_owned();
    let (site, run) = compact(&exported, "compact", &["--archive", &archive_text]);
    assert!(run.stdout.contains("Archive "), "{}", run.stdout);
    let verified = exported.verify(&archive_text).expect_code(0);
    assert!(verified.stdout.contains("verified"), "{}", verified.stdout);

    // The same store archives the same bytes, from a folder or without one.
    let again = exported.data.path().join("again.tar");
    exported
        .data
        .run(&[
            "export",
            "site",
            "--profile",
            "compact",
            "--archive",
            again.to_str().unwrap(),
        ])
        .expect_code(0);
    let bytes = std::fs::read(&archive).unwrap();
    assert!(
        bytes == std::fs::read(&again).unwrap(),
        "two archives differ"
    );
    assert!(
        !std::fs::read_dir(exported.data.path())
            .unwrap()
            .any(|entry| entry
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with('.')),
        "a temporary file or folder was left"
    );

    // `tar -x` unpacks it into the exported folder's files.
    let unpacked = exported.data.path().join("unpacked");
    std::fs::create_dir_all(&unpacked).unwrap();
    let status = std::process::Command::new("tar")
        .arg("-xf")
        .arg(&archive)
        .arg("-C")
        .arg(&unpacked)
        .status()
        .unwrap();
    assert!(status.success());
    let files = all_files(&site);
    assert!(
        files == all_files(&unpacked),
        "the archive unpacks into other files"
    );

    // One changed byte in a centre's page: named, in the folder and inside the archive.
    let row = exported
        .actas()
        .into_iter()
        .find(|row| row["source"] == "qr")
        .unwrap();
    let (centre, _) = row["table_id"].split_once('.').unwrap();
    let page = format!("es/area/centre/{centre}.html");
    let html = std::fs::read_to_string(site.join(&page)).unwrap();
    let at = html
        .find(&format!("id=\"acta-{}\"", row["copy_id"]))
        .unwrap()
        + 200;
    let broken = exported.data.path().join("broken");
    copy_dir(&site, &broken);
    let mut page_bytes = std::fs::read(broken.join(&page)).unwrap();
    page_bytes[at] ^= 0x01;
    std::fs::write(broken.join(&page), page_bytes).unwrap();
    let run = exported.verify(broken.to_str().unwrap()).expect_code(1);
    assert!(run.stderr.contains(&page), "{}", run.stderr);

    let (offset, size) = entry_offset(&archive, &page);
    assert_eq!(usize::try_from(size).unwrap(), html.len());
    let mut changed = bytes.clone();
    changed[usize::try_from(offset).unwrap() + at] ^= 0x01;
    let changed_path = exported.data.path().join("changed.tar");
    std::fs::write(&changed_path, &changed).unwrap();
    let run = exported
        .verify(changed_path.to_str().unwrap())
        .expect_code(1);
    assert!(run.stderr.contains(&page), "{}", run.stderr);
    assert_eq!(run.stderr.matches("differs").count(), 1, "{}", run.stderr);

    // Cut off in the middle of an entry, or before the blocks that close it: refused.
    for (name, length) in [
        ("half.tar", bytes.len() / 2),
        ("unclosed.tar", bytes.len() - 1024),
        ("odd.tar", bytes.len() - 700),
    ] {
        let cut = exported.data.path().join(name);
        std::fs::write(&cut, &bytes[..length]).unwrap();
        let run = exported.verify(cut.to_str().unwrap());
        assert_ne!(run.code, 0, "{name}: {}", run.stdout);
        assert!(
            run.stderr.contains("cut off") && run.stderr.contains(name),
            "{name}: {}",
            run.stderr
        );
    }
}

/// An entry of [`hand_made_tar`]: path, kind, bytes.
type HandMadeEntry<'a> = (&'a str, tar::EntryType, &'a [u8]);

/// A tar of `entries` (path, kind, bytes), headers written by hand so that paths the `tar`
/// crate's builder refuses (`..`, absolute) can be made.
fn hand_made_tar(entries: &[HandMadeEntry<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for (path, kind, bytes) in entries {
        let mut header = tar::Header::new_ustar();
        header.as_mut_bytes()[..path.len()].copy_from_slice(path.as_bytes());
        header.set_entry_type(*kind);
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(bytes);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

#[test]
fn an_archive_with_a_path_outside_the_mirror_a_duplicate_or_a_link_is_refused() {
    let data = Data::new();
    let key = data.run(&["key"]).expect_code(0).stdout.trim().to_owned();
    let file = tar::EntryType::Regular;
    let cases: [(&str, Vec<HandMadeEntry<'_>>, &str); 5] = [
        (
            "up.tar",
            vec![("log/key", file, b"x"), ("../evil.html", file, b"x")],
            "\"../evil.html\" is not a relative path",
        ),
        (
            "absolute.tar",
            vec![("/etc/evil", file, b"x")],
            "\"/etc/evil\" is not a relative path",
        ),
        (
            "inside-up.tar",
            vec![("es/../../evil", file, b"x")],
            "is not a relative path",
        ),
        (
            "twice.tar",
            vec![("log/key", file, b"one"), ("log/key", file, b"two")],
            "\"log/key\" is in the archive twice",
        ),
        (
            "link.tar",
            vec![("log/key", tar::EntryType::Symlink, b"")],
            "is a Symlink, not a file",
        ),
    ];
    for (name, entries, expected) in cases {
        let path = data.file(name, hand_made_tar(&entries));
        let run = data.run(&["verify", &path, "--key", &key]);
        assert_ne!(run.code, 0, "{name}");
        assert!(
            run.stderr.contains(expected) && run.stderr.contains(name),
            "{name}: {}",
            run.stderr
        );
    }
    // A well-formed archive of the same entries is read (and found to be no mirror).
    let path = data.file("plain.tar", hand_made_tar(&[("log/key", file, b"x")]));
    let run = data.run(&["verify", &path, "--key", &key]).expect_code(1);
    assert!(run.stderr.contains("log/checkpoint"), "{}", run.stderr);
}

#[test]
fn every_kind_of_compact_page_passes_axe_at_phone_width_without_javascript() {
    let exported = Exported::new();
    let (_site, _) = compact(&exported, "compact", &["--lang", "es,en"]);
    let actas = exported.actas();
    let scanned = actas.iter().find(|row| row["source"] == "qr").unwrap();
    let (centre, _) = scanned["table_id"].split_once('.').unwrap();
    let typed = actas.iter().find(|row| row["source"] == "csv").unwrap();
    let (typed_centre, _) = typed["table_id"].split_once('.').unwrap();
    let kinds = [
        ("home", "index.html".to_owned()),
        ("state", format!("area/state/{}.html", &centre[..2])),
        ("parish", format!("area/parish/{}.html", &centre[..6])),
        ("centre-scan", format!("area/centre/{centre}.html")),
        ("centre-typed", format!("area/centre/{typed_centre}.html")),
        ("lookup", "lookup.html".to_owned()),
        ("method", "method.html".to_owned()),
    ];
    let server = StaticServer::start(exported.data.path());
    let mut pages = vec![Page::new("root", server.url("compact/"), 200)];
    for lang in ["es", "en"] {
        for (kind, file) in &kinds {
            pages.push(Page::new(
                format!("{kind}-{lang}"),
                server.url(&format!("compact/{lang}/{file}")),
                200,
            ));
        }
    }
    check_pages("mirror-compact", &pages, &[]);
    drop(server);
}

/// The figure printed after `label` in `text` (`... 12,345 ...`), without separators.
fn parse_count(text: &str) -> u64 {
    text.chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

/// The demo's data (`veedor demo --no-serve`: the real 2024 results, 30,026 tables, 200
/// rendered scans, a synthetic registry of 17.7 million voters) as a compact mirror: under
/// 1 GB and 20,000 files, as printed by the export and counted here, and `veedor verify` passes
/// on the folder and on its archive. Minutes in a debug build: run it in release,
/// `cargo test --release -p veedor --test tests -- --ignored the_demo`.
#[test]
#[ignore = "minutes: the whole 2024 election; run with --release -- --ignored"]
fn the_demos_compact_mirror_is_under_a_gigabyte_and_20000_files_and_verifies() {
    // No `init`: the demo makes its own store.
    let data = Data {
        dir: tempfile::tempdir().unwrap(),
    };
    data.run(&["demo", "--no-serve"]).expect_code(0);
    let veedor = |args: &[&str]| data.run(args);
    let key = veedor(&["key"]).expect_code(0).stdout.trim().to_owned();
    let site = data.path().join("compact");
    let archive = data.path().join("compact.tar");
    let run = veedor(&[
        "export",
        "site",
        site.to_str().unwrap(),
        "--profile",
        "compact",
        "--archive",
        archive.to_str().unwrap(),
    ])
    .expect_code(0);
    println!("{}", run.stdout);
    let (printed_files, printed_bytes) = printed_size(&run.stdout);
    assert!(printed_files < 20_000, "{}", run.stdout);
    assert!(printed_bytes < 1_000_000_000, "{}", run.stdout);
    let files = all_files(&site);
    assert_eq!(files.len() as u64, printed_files);
    assert_eq!(
        files
            .iter()
            .map(|(_, bytes)| bytes.len() as u64)
            .sum::<u64>(),
        printed_bytes
    );
    // Does the result stand: the home page says it in one sentence with the projection and
    // the second bulletin's impossible figure, and the analysis pages are there.
    let home = String::from_utf8(
        files
            .iter()
            .find(|(path, _)| path == "index.html")
            .map(|(_, bytes)| bytes.clone())
            .unwrap(),
    )
    .unwrap();
    assert!(
        home.contains("<p class=\"bound v-cannot_change\">"),
        "{home:.3000}"
    );
    assert!(home.contains("<data class=\"projected\""), "{home:.3000}");
    assert!(
        home.contains("Imposible (CNE, second bulletin"),
        "{home:.3000}"
    );
    let analysis_pages = files
        .iter()
        .filter(|(path, _)| path.contains("analysis"))
        .count();
    assert!(
        analysis_pages >= 25,
        "the nation's and each state's: {analysis_pages}"
    );
    drop(files);
    assert!(std::fs::metadata(&archive).unwrap().len() < 1_000_000_000);
    assert!(
        run.stdout
            .contains("voter lookup for 17745239 voters in 256 shards"),
        "{}",
        run.stdout
    );
    for target in [&site, &archive] {
        let verified = veedor(&["verify", target.to_str().unwrap(), "--key", &key]).expect_code(0);
        println!("{}", verified.stdout);
        let copies = verified
            .stdout
            .split("; ")
            .find(|part| part.ends_with("acta rows match their entries"))
            .map(parse_count)
            .unwrap();
        assert_eq!(copies, 24_732, "{}", verified.stdout);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_voter_finds_their_table_in_a_compact_mirror_in_a_real_browser() {
    use fantoccini::Locator;

    use crate::chromium::{browser, click, loaded_width, screenshot, start_driver, text_of};
    use crate::site::wait_for_path;

    let exported = Exported::new();
    let (site, _) = compact(&exported, "compact", &[]);
    let actas = exported.actas();
    let scanned = actas
        .iter()
        .find(|row| {
            row["source"] == "qr"
                && std::fs::read(site.join(format!("scans/{}", row["published_sha256"])))
                    .is_ok_and(|bytes| !bytes.starts_with(b"%PDF"))
        })
        .unwrap();
    let table = scanned["table_id"].clone();
    let (centre, number) = table.split_once('.').unwrap();
    let number: u16 = number.parse().unwrap();
    let voter = exported.voter_at(&table);
    let server = StaticServer::start(exported.data.path());
    let driver = start_driver();
    let client = browser(&driver, 412, 915).await;

    // The lookup opens the table's section of its centre's page.
    client.goto(&server.url("compact/")).await.unwrap();
    let input = client.find(Locator::Css("#voter_id")).await.unwrap();
    input.send_keys(&format!("V-{voter}")).await.unwrap();
    click(&client, "form.lookup button").await;
    wait_for_path(&client, &format!("/compact/es/area/centre/{centre}.html")).await;
    let url = client.current_url().await.unwrap();
    assert_eq!(
        url.fragment(),
        Some(format!("t-{number}").as_str()),
        "{url}"
    );
    let article = text_of(&client, &format!("#t-{number} h3")).await;
    assert!(article.starts_with(&format!("Mesa {number}")), "{article}");
    screenshot(&client, "compact-01-table-found").await;

    // The table's scanned copy, further down the same page: its fingerprint, log entry and
    // small copy of the scan.
    let copy = &scanned["copy_id"];
    click(&client, &format!("#t-{number} a[href='#acta-{copy}']")).await;
    assert_eq!(
        text_of(&client, &format!("#acta-{copy}-sha256")).await,
        scanned["file_sha256"]
    );
    assert!(
        !text_of(&client, &format!("#acta-{copy}-inclusion-proof"))
            .await
            .is_empty()
    );
    loaded_width(&client, &format!("#acta-{copy}-scan")).await;
    screenshot(&client, "compact-02-acta").await;
    client.close().await.unwrap();
    drop(server);
}
