//! Handler tests: every route through the router, without a socket.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use tower::ServiceExt as _;
use veedor_core::{AreaCode, TableId};
use veedor_web::api::{self, TallyScope};
use veedor_web::i18n::Lang;
use veedor_web::{CSP, ServeOptions, app, snapshot};

use crate::support::{self, CONFLICT_TABLE, Fixture, SCANNED_TABLE, fixture, voter_of};

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map_or("", |value| value.to_str().unwrap())
    }
}

pub async fn get(app: &Router, uri: &str, headers: &[(&str, &str)]) -> Response {
    get_via(app, uri, None, headers).await
}

/// [`get`] on a connection from `peer`, as the server's accept loop records it.
pub async fn get_via(
    app: &Router,
    uri: &str,
    peer: Option<&str>,
    headers: &[(&str, &str)],
) -> Response {
    let mut request = Request::builder().uri(uri);
    if let Some(peer) = peer {
        let address: std::net::IpAddr = peer.parse().unwrap();
        request = request.extension(axum::extract::ConnectInfo(std::net::SocketAddr::new(
            address, 40_000,
        )));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Response {
        status,
        headers,
        body,
    }
}

fn setup(limit: u32) -> (Fixture, veedor_web::AppState, Router) {
    let fixture = fixture(300);
    let state = fixture.state(ServeOptions {
        lookup_limit_per_minute: limit,
        ..ServeOptions::default()
    });
    let router = app(state.clone());
    (fixture, state, router)
}

#[tokio::test]
async fn the_home_page_shows_the_result_with_its_coverage() {
    let (_fixture, state, app) = setup(0);
    let response = get(&app, "/", &[("accept-language", "es-VE,es;q=0.9")]).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("content-type"), "text/html; charset=utf-8");
    assert_eq!(response.header("content-security-policy"), CSP);
    assert_eq!(response.header("x-content-type-options"), "nosniff");
    assert_eq!(response.header("cache-control"), "public, max-age=30");
    let html = response.text();
    assert!(html.contains("<html lang=\"es\">"));
    assert!(html.contains("Lo que dicen las actas"));
    let national = state.snapshot().results.tally.national().clone();
    assert!(html.contains(&format!(
        "<data class=\"tables-counted\" value=\"{}\">",
        national.tables_counted
    )));
    assert!(html.contains("<svg class=\"chart\""), "bar chart");
    assert!(html.contains("id=\"official\""), "official bulletins");
    assert!(
        html.contains("href=\"/area/state/01\""),
        "states drill down"
    );
    assert!(!html.contains("<script"), "no script");
    assert!(!html.contains("style=\""), "no inline style");

    // The same page again with its ETag: 304.
    let etag = response.header("etag").to_owned();
    assert!(etag.starts_with('"'));
    let again = get(
        &app,
        "/",
        &[("accept-language", "es"), ("if-none-match", &etag)],
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
}

#[tokio::test]
async fn the_language_comes_from_the_url_then_the_cookie_then_the_browser() {
    let (_fixture, _state, app) = setup(0);
    let english = get(&app, "/", &[("accept-language", "en-GB")]).await;
    assert!(english.text().contains("<html lang=\"en\">"));
    assert!(english.text().contains("What the actas say"));
    let chosen = get(&app, "/?lang=es", &[("accept-language", "en")]).await;
    assert!(chosen.text().contains("<html lang=\"es\">"));
    assert!(chosen.header("set-cookie").starts_with("lang=es;"));
    assert!(chosen.header("cache-control").starts_with("private"));
    let kept = get(
        &app,
        "/method",
        &[("cookie", "lang=es"), ("accept-language", "en")],
    )
    .await;
    assert!(kept.text().contains("Método y verificación"));
    assert_eq!(kept.header("vary"), "Accept-Language, Cookie");
}

#[tokio::test]
async fn every_level_drills_down_to_the_tables_of_a_centre() {
    let (_fixture, _state, app) = setup(0);
    let state_page = get(&app, "/area/state/20?lang=en", &[]).await;
    assert_eq!(state_page.status, StatusCode::OK);
    assert!(
        state_page
            .text()
            .contains("href=\"/area/municipality/2013\"")
    );
    let municipality = get(&app, "/area/municipality/2013?lang=en", &[]).await;
    assert!(municipality.text().contains("href=\"/area/parish/201301\""));
    let parish = get(&app, "/area/parish/201301?lang=en", &[]).await;
    assert!(parish.text().contains("href=\"/area/centre/201301006\""));
    let centre = get(&app, "/area/centre/201301006?lang=en", &[]).await;
    let html = centre.text();
    assert!(html.contains("Tables of this centre"));
    assert!(html.contains(&format!("href=\"/table/{SCANNED_TABLE}\"")));
    assert!(html.contains("corroborated"), "{html}");
    assert!(html.contains("contested"));
    assert!(html.contains("Scan"));
    assert_eq!(
        get(&app, "/area/state/99", &[]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/area/county/1", &[]).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&app, "/area/state/123", &[]).await.status,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn pages_are_small() {
    let (fixture, _state, app) = setup(0);
    let css = get(&app, "/static/style.css", &[]).await;
    assert_eq!(css.header("content-type"), "text/css; charset=utf-8");
    for uri in [
        "/".to_owned(),
        "/area/state/01".to_owned(),
        "/area/centre/201301006".to_owned(),
        format!("/table/{SCANNED_TABLE}"),
        format!("/acta/{}", fixture.scan_copy),
        format!("/lookup?voter_id={}", voter_of(&fixture, SCANNED_TABLE)),
        "/method".to_owned(),
    ] {
        let page = get(&app, &uri, &[]).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
        let size = page.body.len() + css.body.len();
        assert!(size < 50_000, "{uri}: {size} bytes of HTML and CSS");
    }
}

#[tokio::test]
async fn a_voter_finds_their_table_and_an_unknown_id_gets_a_polite_answer() {
    let (fixture, _state, app) = setup(0);
    let voter = voter_of(&fixture, SCANNED_TABLE);
    let found = get(&app, &format!("/lookup?voter_id=V-{voter}&lang=en"), &[]).await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.header("cache-control"), "no-store");
    let html = found.text();
    assert!(html.contains("votes at table 1"), "{html}");
    assert!(html.contains("href=\"/area/centre/201301006\""));
    let unknown = get(&app, "/lookup?voter_id=99999999&lang=en", &[]).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(unknown.text().contains("We did not find that ID"));
    let invalid = get(&app, "/lookup?voter_id=%3Cscript%3E&lang=en", &[]).await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert!(invalid.text().contains("does not look like an ID number"));
    assert!(!invalid.text().contains("<script>"), "escaped");
    // What was typed goes back into the form, escaped for an attribute by maud.
    let quoted = get(&app, "/lookup?voter_id=%22%3E%3Cb%3E%26&lang=en", &[]).await;
    assert_eq!(quoted.status, StatusCode::BAD_REQUEST);
    assert!(
        quoted.text().contains("value=\"&quot;&gt;&lt;b&gt;&amp;\""),
        "{}",
        quoted.text()
    );
    let form = get(&app, "/lookup", &[]).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text().contains("name=\"voter_id\""));
}

#[tokio::test]
async fn lookups_are_limited_per_client_with_a_clear_429() {
    let (fixture, _state, app) = setup(3);
    let voter = voter_of(&fixture, SCANNED_TABLE);
    for _ in 0..3 {
        let ok = get(&app, &format!("/api/v1/lookup/{voter}"), &[]).await;
        assert_eq!(ok.status, StatusCode::OK);
    }
    let refused = get(&app, &format!("/api/v1/lookup/{voter}"), &[]).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let seconds: u64 = refused.header("retry-after").parse().unwrap();
    assert!((1..=21).contains(&seconds), "{seconds}");
    assert_eq!(refused.json()["error"]["reference"], "rate_limited");
    let page = get(&app, &format!("/lookup?voter_id={voter}&lang=en"), &[]).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.text().contains("Too many searches"));
    assert!(!page.header("retry-after").is_empty());
    // Pages other than lookups are not limited.
    assert_eq!(get(&app, "/", &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn lookups_from_many_addresses_of_one_network_are_limited_together() {
    let fixture = fixture(300);
    let state = fixture.state(ServeOptions {
        lookup_limit_per_minute: 3,
        lookup_limit_per_network_per_minute: 5,
        lookup_limit_global_per_minute: 8,
        ..ServeOptions::default()
    });
    let app = app(state);
    let voter = voter_of(&fixture, SCANNED_TABLE);
    let path = format!("/api/v1/lookup/{voter}");
    // Three addresses of one /24: each may ask 3 times, all together 5.
    let mut answered = 0;
    for address in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        for _ in 0..3 {
            if get_via(&app, &path, Some(address), &[]).await.status == StatusCode::OK {
                answered += 1;
            }
        }
    }
    assert_eq!(answered, 5);
    // An IPv6 /48 likewise, whatever its /64s.
    let mut answered = 0;
    for address in ["2001:db8:1:1::1", "2001:db8:1:2::1", "2001:db8:1:3::1"] {
        for _ in 0..2 {
            if get_via(&app, &path, Some(address), &[]).await.status == StatusCode::OK {
                answered += 1;
            }
        }
    }
    // The server's own budget of 8 leaves 3 after the /24's 5.
    assert_eq!(answered, 3);
    let other = get_via(&app, &path, Some("198.51.100.7"), &[]).await;
    assert_eq!(other.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_api_lookup_is_the_command_lines_document() {
    let (fixture, state, app) = setup(0);
    let snapshot = state.snapshot();
    for (voter, _) in fixture.voters.iter().step_by(37) {
        let response = get(&app, &format!("/api/v1/lookup/{voter}"), &[]).await;
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(
            response.header("content-type"),
            "application/json; charset=utf-8"
        );
        let expected = snapshot::lookup_document(&snapshot, *voter, Lang::En);
        assert_eq!(response.text(), serde_json::to_string(&expected).unwrap());
    }
    let missing = get(&app, "/api/v1/lookup/V-99.999.999", &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["found"], false);
    assert_eq!(missing.json()["voter_id"], "99999999");
    let invalid = get(&app, "/api/v1/lookup/abc", &[]).await;
    assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
    assert_eq!(invalid.json()["error"]["reference"], "invalid_voter_id");
}

#[tokio::test]
async fn the_api_mirrors_every_page() {
    let (fixture, state, app) = setup(0);
    let snapshot = state.snapshot();
    let results = &snapshot.results;
    let tally = |scope| serde_json::to_value(api::tally_document(results, scope, "en")).unwrap();
    assert_eq!(
        get(&app, "/api/v1/tally/national", &[]).await.json(),
        tally(TallyScope::National)
    );
    assert_eq!(
        get(&app, "/api/v1/tally/state", &[]).await.json(),
        tally(TallyScope::Level(0))
    );
    let area = results.election().geography.parse_area(1, "2013").unwrap();
    assert_eq!(
        get(&app, "/api/v1/tally/municipality/2013", &[])
            .await
            .json(),
        tally(TallyScope::Area(area))
    );
    let home = get(&app, "/api/v1/area/national", &[]).await.json();
    assert_eq!(home["schema"], "veedor.area/1");
    assert_eq!(home["children_level"], "state");
    assert_eq!(
        home,
        serde_json::to_value(api::area_document(results, AreaCode::National, "en")).unwrap()
    );
    let centre = get(&app, "/api/v1/area/centre/201301006", &[]).await.json();
    assert_eq!(centre["children_level"], serde_json::Value::Null);
    assert!(centre["tables"].as_array().unwrap().len() >= 2);
    let table = get(&app, &format!("/api/v1/table/{CONFLICT_TABLE}"), &[])
        .await
        .json();
    assert_eq!(table["table"]["status"], "conflict");
    let id = TableId::parse(SCANNED_TABLE, 9).unwrap();
    assert_eq!(
        get(&app, &format!("/api/v1/table/{SCANNED_TABLE}"), &[])
            .await
            .json(),
        serde_json::to_value(api::table_document(
            results,
            id,
            results.table(id).unwrap(),
            "en"
        ))
        .unwrap()
    );
    let acta = get(&app, &format!("/api/v1/acta/{}", fixture.scan_copy), &[])
        .await
        .json();
    assert_eq!(acta["schema"], "veedor.acta/1");
    assert_eq!(acta["scan"]["sha256"], fixture.scan.to_hex());
    assert_eq!(acta["cards"].as_array().unwrap().len(), 38);
    assert_eq!(acta["copy"]["provenance"]["location_kind"], "page");
    let error = get(&app, "/api/v1/table/nonsense", &[]).await;
    assert_eq!(error.status, StatusCode::BAD_REQUEST);
    assert_eq!(error.json()["error"]["reference"], "invalid_input");
    let missing = get(&app, "/api/v1/nothing", &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["error"]["reference"], "not_found");
}

#[tokio::test]
async fn the_openapi_document_names_every_api_route() {
    let (_fixture, _state, app) = setup(0);
    let document = get(&app, "/api/v1/openapi.json", &[]).await.json();
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/api/v1/tally/{level}",
        "/api/v1/tally/{level}/{code}",
        "/api/v1/area/national",
        "/api/v1/area/{level}/{code}",
        "/api/v1/table/{id}",
        "/api/v1/acta/{id}",
        "/api/v1/lookup/{voter_id}",
        "/api/v1/openapi.json",
    ] {
        assert!(paths.contains_key(path), "{path}");
    }
    assert_eq!(paths.len(), 8, "a route added without documenting it?");
}

#[tokio::test]
async fn the_acta_page_shows_the_scan_its_hash_and_provenance() {
    let (fixture, _state, app) = setup(0);
    let page = get(&app, &format!("/acta/{}?lang=en", fixture.scan_copy), &[]).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    let hash = fixture.scan.to_hex();
    assert!(html.contains(&format!("src=\"/scans/{hash}/small\"")));
    assert!(html.contains(&format!("href=\"/scans/{hash}\"")));
    assert!(html.contains(&format!("<code id=\"sha256\" class=\"hash\">{hash}</code>")));
    assert!(html.contains("sha256sum"));
    assert!(html.contains("scanner-408106"));
    assert!(html.contains("volunteer-7"));
    assert!(html.contains("UNTC"), "cards by party");

    let original = get(&app, &format!("/scans/{hash}"), &[]).await;
    assert_eq!(original.status, StatusCode::OK);
    assert_eq!(original.header("content-type"), "image/png");
    assert_eq!(
        original.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(original.body, support::scan_png());
    let etag = original.header("etag").to_owned();
    let cached = get(&app, &format!("/scans/{hash}"), &[("if-none-match", &etag)]).await;
    assert_eq!(cached.status, StatusCode::NOT_MODIFIED);

    let small = get(&app, &format!("/scans/{hash}/small"), &[]).await;
    assert_eq!(small.status, StatusCode::OK);
    assert_eq!(small.header("content-type"), "image/jpeg");
    let decoded = image::load_from_memory(&small.body).unwrap();
    assert_eq!(decoded.width(), veedor_web::scans::SMALL_WIDTH);

    // Only scans that some copy came from are served.
    let other = veedor_store_sqlite::sha256(b"not a scan").to_hex();
    assert_eq!(
        get(&app, &format!("/scans/{other}"), &[]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/scans/zz", &[]).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn responses_are_compressed_when_asked() {
    let (_fixture, _state, app) = setup(0);
    let gzip = get(&app, "/", &[("accept-encoding", "gzip")]).await;
    assert_eq!(gzip.header("content-encoding"), "gzip");
    let brotli = get(&app, "/api/v1/tally/state", &[("accept-encoding", "br")]).await;
    assert_eq!(brotli.header("content-encoding"), "br");
}

#[tokio::test]
async fn new_data_is_served_after_a_refresh() {
    let (mut fixture, state, app) = setup(0);
    assert!(!state.refresh().unwrap(), "nothing changed yet");
    let before = state.snapshot().results.dataset.copies.len();
    // Another import: the rows after the first 300.
    let csv = support::results_csv(400);
    let election = state.snapshot().results.election().clone();
    let parsed = veedor_formats::parse_results(&csv, &election).unwrap();
    let source = veedor_store::SourceFile {
        kind: veedor_store::FileKind::Results,
        file_name: "more.csv".to_owned(),
        sha256: veedor_store_sqlite::sha256(&csv),
        size: 1,
        received_at: veedor_core::Timestamp::UNIX_EPOCH,
    };
    // Built as `veedor import results` builds it.
    let rows: Vec<_> = parsed
        .rows
        .into_iter()
        .skip(300)
        .map(|row| veedor_app::CopyRow {
            location: veedor_core::Location::Line(row.line),
            record: row.record,
            area_names: row.area_names,
            published_sha256: None,
            same_image_as: None,
            entered_by: Vec::new(),
        })
        .collect();
    use veedor_store::prelude::*;
    let known = veedor_app::KnownTables::load(&fixture.writer).unwrap();
    let (batch, _) = veedor_app::batch::copies_batch(
        &election,
        &known,
        &source,
        &veedor_app::Origin::of(veedor_core::SourceKind::CsvImport),
        rows,
        &[],
        veedor_app::batch::Tables::Define,
    );
    let added = batch.copies.len();
    fixture.writer.apply(&batch).unwrap();
    let counted_before = state.snapshot().results.tally.national().tables_counted;
    assert!(state.refresh().unwrap());
    // Rows already stored (centre 201301006's) are not stored twice.
    let after = state.snapshot().results.dataset.copies.len();
    assert!(
        after > before && after <= before + added,
        "{before} + {added} -> {after}"
    );
    let national = get(&app, "/api/v1/tally/national", &[]).await.json();
    let counted = national["areas"][0]["coverage"]["tables_counted"]
        .as_u64()
        .unwrap();
    assert!(counted > counted_before, "{counted} > {counted_before}");
    assert_eq!(
        counted,
        state.snapshot().results.tally.national().tables_counted
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_limit_keys_on_the_address_it_forwards() {
    let fixture = fixture(50);
    let state = fixture.state(ServeOptions {
        lookup_limit_per_minute: 1,
        lookup_limit_per_network_per_minute: 0,
        trusted_proxy: Some(veedor_web::TrustedProxy {
            header: veedor_web::HeaderName::from_static("x-forwarded-for"),
            networks: vec!["10.0.0.0/8".parse().unwrap()],
        }),
        ..ServeOptions::default()
    });
    let app = app(state);
    let voter = voter_of(&fixture, SCANNED_TABLE);
    let uri = format!("/api/v1/lookup/{voter}");
    let proxy = Some("10.0.0.1");
    let from = |address: &'static str| [("x-forwarded-for", address)];
    let status = |response: Response| response.status;
    assert_eq!(
        status(get_via(&app, &uri, proxy, &from("203.0.113.1")).await),
        StatusCode::OK
    );
    assert_eq!(
        status(get_via(&app, &uri, proxy, &from("203.0.113.1")).await),
        StatusCode::TOO_MANY_REQUESTS
    );
    // A forged first address does not make a new client: the proxy's own entry is last.
    assert_eq!(
        status(get_via(&app, &uri, proxy, &from("198.51.100.9, 203.0.113.1")).await),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client behind the same proxy is another client.
    assert_eq!(
        status(get_via(&app, &uri, proxy, &from("203.0.113.2")).await),
        StatusCode::OK
    );
    // One IPv6 subscriber is one client, whatever address of its /64 it uses.
    assert_eq!(
        status(get_via(&app, &uri, proxy, &from("2001:db8::1")).await),
        StatusCode::OK
    );
    assert_eq!(
        status(get_via(&app, &uri, proxy, &from("2001:db8::2")).await),
        StatusCode::TOO_MANY_REQUESTS
    );
    // A scraper reaching the server directly cannot name a fresh address each time: from an
    // untrusted peer the header is ignored, so it is one client.
    let direct = Some("198.51.100.50");
    assert_eq!(
        status(get_via(&app, &uri, direct, &from("192.0.2.1")).await),
        StatusCode::OK
    );
    assert_eq!(
        status(get_via(&app, &uri, direct, &from("192.0.2.2")).await),
        StatusCode::TOO_MANY_REQUESTS
    );
}
