//! End-to-end in headless Chromium (Debian's `chromium` and `chromium-driver`, which .ci/run
//! installs), driven through chromedriver with fantoccini: a citizen types a voter id, reaches
//! the centre page, opens an acta with its scan, and switches language. Screenshots are saved
//! under `target/test-artifacts/web/` (or the folder `VEEDOR_TEST_ARTIFACTS` names).
//!
//! These tests fail, never skip, when Chromium is missing: the CI must run them.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use veedor_web::{ServeOptions, serve};

use crate::support::{SCANNED_TABLE, fixture, voter_of};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// Where screenshots go.
pub fn artifacts() -> PathBuf {
    let folder = std::env::var_os("VEEDOR_TEST_ARTIFACTS").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-artifacts/web"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

/// chromedriver, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_driver() -> Driver {
    for (path, package) in [(CHROMEDRIVER, "chromium-driver"), (CHROMIUM, "chromium")] {
        assert!(
            Path::new(path).exists(),
            "{path} is missing: the browser tests need Debian's chromium and chromium-driver \
             (apt-get install -y {package}; .ci/run installs them)"
        );
    }
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {CHROMEDRIVER}: {error}"));
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not listen on port {port} within 20 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Driver {
        child,
        port,
        _profile: tempfile::tempdir().unwrap(),
    }
}

async fn browser(driver: &Driver, width: u32, height: u32) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--hide-scrollbars",
                format!("--user-data-dir={}", driver._profile.path().display()),
                format!("--window-size={width},{height}"),
            ],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .unwrap_or_else(|error| {
            panic!("cannot start headless Chromium through chromedriver: {error}")
        })
}

async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
    std::fs::write(artifacts().join(format!("{name}.png")), png).unwrap();
}

async fn start_server(
    fixture: &crate::support::Fixture,
) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let state = fixture.state(ServeOptions {
        lookup_limit_per_minute: 0,
        ..ServeOptions::default()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve(listener, state, async {
        let _ = stopped.await;
    }));
    (address, stop)
}

async fn text_of(client: &Client, css: &str) -> String {
    let found = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await;
    match found {
        Ok(element) => element.text().await.unwrap(),
        Err(error) => {
            let url = client.current_url().await.ok();
            panic!("no `{css}` on {url:?}: {error}")
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_citizen_finds_their_acta_in_a_real_browser() {
    let fixture = fixture(300);
    let (address, stop) = start_server(&fixture).await;
    let driver = start_driver();
    let client = browser(&driver, 412, 915).await;
    let base = format!("http://{address}");

    // Home, in Spanish (Chromium here asks for en-US, so choose Spanish in the URL).
    client.goto(&format!("{base}/?lang=es")).await.unwrap();
    let coverage = text_of(&client, "#result .coverage").await;
    assert!(coverage.starts_with("Basado en"), "{coverage}");
    screenshot(&client, "01-home-es").await;

    // Type a voter id into the form and search.
    let voter = voter_of(&fixture, SCANNED_TABLE);
    let input = client.find(Locator::Css("#voter_id")).await.unwrap();
    input.send_keys(&format!("V-{voter}")).await.unwrap();
    client
        .find(Locator::Css("form.lookup button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let found = text_of(&client, "#found h2").await;
    assert!(found.contains(&voter.to_string()), "{found}");
    assert!(found.contains("mesa 1"), "{found}");
    screenshot(&client, "02-lookup-found").await;

    // On to the centre page with every table.
    client
        .find(Locator::Css("#centre-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let heading = text_of(&client, "#tables h2").await;
    assert_eq!(heading, "Mesas de este centro");
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with("/area/centre/201301006")
    );
    screenshot(&client, "03-centre").await;

    // Open the scanned acta.
    client
        .find(Locator::Css(&format!(
            "a[href='/acta/{}']",
            fixture.scan_copy
        )))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let hash = text_of(&client, "#sha256").await;
    assert_eq!(hash, fixture.scan.to_hex());
    let image = client.find(Locator::Css("#scan")).await.unwrap();
    // The small copy loaded (a broken image has no natural width).
    let started = Instant::now();
    loop {
        let width = client
            .execute(
                "return arguments[0].naturalWidth;",
                vec![serde_json::to_value(&image).unwrap()],
            )
            .await
            .unwrap();
        if width.as_u64().is_some_and(|w| w > 0) {
            assert_eq!(width.as_u64(), Some(900));
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the scan did not load"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    screenshot(&client, "04-acta").await;

    // Switch to English: the choice sticks on the next page.
    client
        .find(Locator::Css("header a.lang"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let heading = text_of(&client, "#decoded-h").await;
    assert_eq!(heading, "What this copy says");
    let lang = client
        .find(Locator::Css("html"))
        .await
        .unwrap()
        .attr("lang")
        .await
        .unwrap();
    assert_eq!(lang.as_deref(), Some("en"));
    screenshot(&client, "05-acta-en").await;
    client.goto(&format!("{base}/method")).await.unwrap();
    assert_eq!(text_of(&client, "main h1").await, "Method and verification");

    // An unknown id gets a polite answer.
    client
        .goto(&format!("{base}/lookup?voter_id=99999999"))
        .await
        .unwrap();
    let answer = text_of(&client, "#not-found").await;
    assert!(answer.starts_with("We did not find"), "{answer}");
    screenshot(&client, "06-lookup-unknown").await;

    client.close().await.unwrap();
    let _ = stop.send(());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_page_on_a_wide_screen() {
    let fixture = fixture(300);
    let (address, stop) = start_server(&fixture).await;
    let driver = start_driver();
    let client = browser(&driver, 1280, 1800).await;
    client
        .goto(&format!("http://{address}/?lang=en"))
        .await
        .unwrap();
    let heading = text_of(&client, "#children-h").await;
    assert_eq!(heading, "By state");
    screenshot(&client, "07-home-wide-en").await;
    client
        .goto(&format!(
            "http://{address}/acta/{}?lang=en",
            fixture.scan_copy
        ))
        .await
        .unwrap();
    let _ = text_of(&client, "#sha256").await;
    screenshot(&client, "08-acta-wide-en").await;
    client.close().await.unwrap();
    let _ = stop.send(());
}
