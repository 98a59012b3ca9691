//! The largest documents (a whole level's tally, the open data) are made and compressed once per
//! snapshot: every client gets the same bytes in the encoding it asks for, with an entity tag
//! of its own, and a refresh makes them again.

use std::io::Read as _;

use axum::http::StatusCode;
use veedor_web::{MAX_COMPRESSED_ON_THE_FLY, ServeOptions, app};

use crate::handlers::{Response, get};
use crate::log::signed_fixture;

fn decode(response: &Response) -> Vec<u8> {
    let mut decoded = Vec::new();
    match response.header("content-encoding") {
        "br" => brotli::BrotliDecompress(&mut &response.body[..], &mut decoded).unwrap(),
        "gzip" => {
            flate2::read::GzDecoder::new(&response.body[..])
                .read_to_end(&mut decoded)
                .unwrap();
        }
        "" => decoded.clone_from(&response.body),
        other => panic!("unexpected content-encoding {other}"),
    }
    decoded
}

#[tokio::test]
async fn large_documents_are_compressed_once_in_each_encoding() {
    let (fixture, key, _note) = signed_fixture();
    let router = app(fixture.state(ServeOptions {
        log_key: Some(key.verifier_key()),
        ..ServeOptions::default()
    }));
    for path in [
        "/api/v1/tally/centre",
        "/api/v1/tally/centre?lang=es",
        "/api/v1/tally/national",
        "/data/actas.csv",
        "/data/tables.json",
    ] {
        let plain = get(&router, path, &[]).await;
        assert_eq!(plain.status, StatusCode::OK, "{path}");
        assert_eq!(plain.header("content-encoding"), "", "{path}");
        assert_eq!(plain.header("vary"), "accept-encoding", "{path}");
        let etag = plain.header("etag").to_owned();
        for (accept, encoding) in [
            ("gzip, deflate, br", "br"),
            ("br;q=0.5, gzip", "gzip"),
            ("identity", ""),
        ] {
            let first = get(&router, path, &[("accept-encoding", accept)]).await;
            let second = get(&router, path, &[("accept-encoding", accept)]).await;
            assert_eq!(first.status, StatusCode::OK, "{path} {accept}");
            assert_eq!(
                first.header("content-encoding"),
                encoding,
                "{path} {accept}"
            );
            assert_eq!(decode(&first), plain.body, "{path} {accept}");
            assert_eq!(first.body, second.body, "{path} {accept}: made once");
            let own = first.header("etag");
            if encoding.is_empty() {
                assert_eq!(own, etag);
            } else {
                assert_eq!(own, format!("{}-{encoding}\"", etag.trim_end_matches('"')));
            }
            // The client's copy is still good: 304, in its own encoding only.
            let again = get(
                &router,
                path,
                &[("accept-encoding", accept), ("if-none-match", own)],
            )
            .await;
            assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{path} {accept}");
            assert!(again.body.is_empty());
            let other = if encoding == "br" {
                etag.as_str()
            } else {
                "\"x\""
            };
            let changed = get(
                &router,
                path,
                &[("accept-encoding", accept), ("if-none-match", other)],
            )
            .await;
            assert_eq!(changed.status, StatusCode::OK, "{path} {accept}");
        }
        // The headers the handler sets are kept.
        let json = get(&router, path, &[("accept-encoding", "br")]).await;
        assert_eq!(json.header("cache-control"), plain.header("cache-control"));
        assert_eq!(json.header("content-type"), plain.header("content-type"));
        assert_eq!(json.header("access-control-allow-origin"), "*");
    }
}

#[tokio::test]
async fn the_cache_keeps_only_what_the_url_names() {
    let (fixture, key, _note) = signed_fixture();
    let router = app(fixture.state(ServeOptions {
        log_key: Some(key.verifier_key()),
        ..ServeOptions::default()
    }));
    // Other query parameters and spellings of the same path share one document.
    let plain = get(&router, "/api/v1/tally/state?lang=en", &[]).await;
    for path in [
        "/api/v1/tally/state",
        "/api/v1/tally/state?x=1",
        "/api/v1/tally/st%61te?lang=EN",
    ] {
        let response = get(&router, path, &[]).await;
        assert_eq!(response.status, StatusCode::OK, "{path}");
        assert_eq!(response.body, plain.body, "{path}");
    }
    let spanish = get(&router, "/api/v1/tally/state?lang=es", &[]).await;
    assert_ne!(spanish.body, plain.body, "each language its own document");
    // What the handler refuses is passed through, never kept.
    for _ in 0..2 {
        let unknown = get(&router, "/api/v1/tally/galaxy", &[]).await;
        assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
        assert!(
            unknown.text().contains("invalid_input"),
            "{}",
            unknown.text()
        );
        let missing = get(&router, "/data/nothing.csv", &[]).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn only_small_responses_are_compressed_per_request() {
    let (fixture, key, _note) = signed_fixture();
    let router = app(fixture.state(ServeOptions {
        log_key: Some(key.verifier_key()),
        ..ServeOptions::default()
    }));
    let page = get(&router, "/", &[("accept-encoding", "br")]).await;
    assert_eq!(page.header("content-encoding"), "br");
    assert!(decode(&page).len() < usize::try_from(MAX_COMPRESSED_ON_THE_FLY).unwrap());
}
