//! End-to-end in headless Chromium (Debian's `chromium` and `chromium-driver`, which .ci/run
//! installs), driven through chromedriver with fantoccini: a citizen types a voter id, reaches
//! the centre page, opens an acta with its scan, and switches language. Screenshots are saved
//! under `target/test-artifacts/web/` (or the folder `VEEDOR_TEST_ARTIFACTS` names).
//!
//! These tests fail, never skip, when Chromium is missing: the CI must run them.

use crate::support::chromium::{browser, click, loaded_width, screenshot, start_driver, text_of};
use crate::support::{SCANNED_TABLE, fixture, start_server, voter_of};
use fantoccini::Locator;

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
    click(&client, "form.lookup button").await;
    let found = text_of(&client, "#found h2").await;
    assert!(found.contains(&voter.to_string()), "{found}");
    assert!(found.contains("mesa 1"), "{found}");
    screenshot(&client, "02-lookup-found").await;

    // On to the centre page with every table.
    click(&client, "#centre-link").await;
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
    click(&client, &format!("a[href='/acta/{}']", fixture.scan_copy)).await;
    let hash = text_of(&client, "#sha256").await;
    assert_eq!(hash, fixture.scan.to_hex());
    // The small copy loaded (a broken image has no natural width).
    assert_eq!(loaded_width(&client, "#scan").await, 900);
    screenshot(&client, "04-acta").await;

    // Switch to English: the choice sticks on the next page.
    click(&client, "header a.lang").await;
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

/// The analysis pages at a phone's width: every chart is drawn (an SVG with a box of its own,
/// within the screen), in a page that loads no script.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_analysis_pages_draw_their_charts_at_phone_width() {
    let fixture = fixture(300);
    let (address, stop) = start_server(&fixture).await;
    let driver = start_driver();
    let client = browser(&driver, 360, 800).await;
    let (centre, _) = SCANNED_TABLE.split_once('.').unwrap();
    for (path, expected, name) in [
        ("/analysis?lang=es".to_owned(), 5, "09-analysis-es"),
        (
            format!("/analysis/state/{}?lang=en", &centre[..2]),
            4,
            "10-analysis-state-en",
        ),
    ] {
        client
            .goto(&format!("http://{address}{path}"))
            .await
            .unwrap();
        let _ = text_of(&client, "#stand .bound").await;
        let boxes = client
            .execute(
                "return {
                    scripts: document.scripts.length,
                    width: document.documentElement.clientWidth,
                    charts: [...document.querySelectorAll('svg.chart')].map(svg => {
                        const box = svg.getBoundingClientRect();
                        return [box.left, box.right, box.height, svg.querySelectorAll('rect').length];
                    }),
                };",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(boxes["scripts"], 0, "{path}: a page without script");
        let width = boxes["width"].as_f64().unwrap();
        let charts = boxes["charts"].as_array().unwrap();
        assert_eq!(charts.len(), expected, "{path}: {boxes}");
        for chart in charts {
            let [left, right, height, rects] = [0, 1, 2, 3].map(|i| chart[i].as_f64().unwrap());
            assert!(
                left >= 0.0 && right <= width + 0.5,
                "{path}: {chart} in {width}"
            );
            assert!(height > 20.0 && rects >= 1.0, "{path}: {chart}");
        }
        screenshot(&client, name).await;
    }
    client.close().await.unwrap();
    let _ = stop.send(());
}
