//! Headless Chromium for the end-to-end tests, driven through chromedriver (WebDriver) with
//! fantoccini: starting the driver and a browser, screenshots kept as test artefacts, waiting
//! for an element. Shared by this crate's browser tests and the command line's static-mirror
//! test (`crates/cli/tests/site.rs` includes this file by path), so both behave alike: they
//! fail, never skip, when Debian's `chromium` or `chromium-driver` is missing.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
pub const CHROMIUM: &str = "/usr/bin/chromium";

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
pub struct Driver {
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

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn start_driver() -> Driver {
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

pub async fn browser(driver: &Driver, width: u32, height: u32) -> Client {
    browser_with(driver, width, height, &[]).await
}

/// [`browser`] with more Chromium flags (`--blink-settings=scriptEnabled=false`: a browser
/// without JavaScript).
pub async fn browser_with(driver: &Driver, width: u32, height: u32, flags: &[&str]) -> Client {
    let mut args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--no-first-run".to_owned(),
        "--disable-background-networking".to_owned(),
        "--disable-component-update".to_owned(),
        "--disable-sync".to_owned(),
        "--hide-scrollbars".to_owned(),
        format!("--user-data-dir={}", driver._profile.path().display()),
        format!("--window-size={width},{height}"),
    ];
    args.extend(flags.iter().map(|flag| (*flag).to_owned()));
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({ "binary": CHROMIUM, "args": args }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .unwrap_or_else(|error| {
            panic!("cannot start headless Chromium through chromedriver: {error}")
        })
}

pub async fn screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "{name}: not a PNG");
    std::fs::write(artifacts().join(format!("{name}.png")), png).unwrap();
}

/// The element `css` names, once it is there; fails, naming the page, after 10 s.
pub async fn element(client: &Client, css: &str) -> Element {
    let found = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await;
    match found {
        Ok(element) => element,
        Err(error) => {
            let url = client.current_url().await.ok();
            panic!("no `{css}` on {url:?}: {error}")
        }
    }
}

pub async fn text_of(client: &Client, css: &str) -> String {
    element(client, css).await.text().await.unwrap()
}

/// Clicks the element `css` names, once it is there.
pub async fn click(client: &Client, css: &str) {
    element(client, css).await.click().await.unwrap();
}

/// The natural width of the image `css` names once it has loaded (a broken image has none);
/// fails after 10 s.
pub async fn loaded_width(client: &Client, css: &str) -> u64 {
    let image = client.find(Locator::Css(css)).await.unwrap();
    let started = Instant::now();
    loop {
        let width = client
            .execute(
                "return arguments[0].naturalWidth;",
                vec![serde_json::to_value(&image).unwrap()],
            )
            .await
            .unwrap();
        if let Some(width) = width.as_u64().filter(|width| *width > 0) {
            return width;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the image `{css}` did not load"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
