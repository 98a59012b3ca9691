//! The transparency log as `veedor serve` publishes it: `/log/checkpoint`, `/log/key` and the
//! C2SP tlog-tiles under `/log/tile/`, byte for byte what `veedor-ledger` computes from the
//! store; and the acta page's entry index and inclusion proof, which verify against the signed
//! root.

use axum::http::StatusCode;
use veedor_ledger::{Hash, MerkleLog, SignerKey, TilePath, verify_inclusion};
use veedor_store::StoredCheckpoint;
use veedor_store::prelude::*;
use veedor_web::{ServeOptions, app};

use crate::handlers::get;
use crate::support::{Fixture, fixture};

/// The fixture with a checkpoint of its whole log signed by a test key, as `veedor` signs one
/// after every batch. (The accessibility test serves it too.)
pub fn signed_fixture() -> (Fixture, SignerKey, String) {
    let mut fixture = fixture(300);
    let key = SignerKey::generate([7; 32], "veedor/ve-2024-presidential/test").unwrap();
    let leaves = fixture.writer.log_leaf_hashes().unwrap();
    let log = MerkleLog::from_leaf_hashes(leaves.into_iter().map(Hash).collect());
    let checkpoint = veedor_ledger::Checkpoint::new(key.name(), log.size(), log.root()).unwrap();
    let note = key.sign(&checkpoint).unwrap();
    fixture
        .writer
        .add_checkpoint(&StoredCheckpoint {
            size: log.size(),
            note: note.clone(),
            signed_at: veedor_core::Timestamp::from_second(1_722_200_100).unwrap(),
        })
        .unwrap();
    (fixture, key, note)
}

#[tokio::test]
async fn the_log_is_served_as_the_ledger_computes_it() {
    let (fixture, key, note) = signed_fixture();
    let router = app(fixture.state(ServeOptions {
        log_key: Some(key.verifier_key()),
        ..ServeOptions::default()
    }));

    let checkpoint = get(&router, "/log/checkpoint", &[]).await;
    assert_eq!(checkpoint.status, StatusCode::OK);
    assert_eq!(
        checkpoint.header("content-type"),
        "text/plain; charset=utf-8"
    );
    assert_eq!(checkpoint.text(), note);
    let verified = key.verifier_key().verify(&checkpoint.text()).unwrap();

    let public = get(&router, "/log/key", &[]).await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(public.header("content-type"), "text/plain; charset=utf-8");
    assert_eq!(public.text(), format!("{}\n", key.verifier_key()));
    assert!(veedor_ledger::VerifierKey::parse(public.text().trim()).is_ok());

    // Every hash tile and entry bundle of the checkpoint's tree, byte for byte.
    let size = verified.size;
    assert!(size > 256, "the fixture's log spans two tiles: {size}");
    let store = &fixture.writer;
    let log = MerkleLog::from_leaf_hashes(
        store
            .log_leaf_hashes()
            .unwrap()
            .into_iter()
            .map(Hash)
            .collect(),
    );
    let entries = store.log_entries(0, size).unwrap();
    let mut expected: Vec<(TilePath, Vec<u8>)> = log.tiles(size).unwrap().collect();
    expected.extend(log.entry_bundles(&entries, size).unwrap());
    let paths: Vec<String> = expected.iter().map(|(path, _)| path.to_string()).collect();
    assert!(paths.contains(&"tile/0/000".to_owned()), "{paths:?}");
    assert!(paths.contains(&"tile/entries/000".to_owned()), "{paths:?}");
    assert!(
        paths
            .iter()
            .any(|path| path.starts_with("tile/entries/001.p/")),
        "{paths:?}"
    );
    for (path, bytes) in &expected {
        let response = get(&router, &format!("/log/{path}"), &[]).await;
        assert_eq!(response.status, StatusCode::OK, "/log/{path}");
        assert_eq!(
            response.header("content-type"),
            "application/octet-stream",
            "/log/{path}"
        );
        assert_eq!(&response.body, bytes, "/log/{path}");
        let cache = response.header("cache-control");
        if path.is_partial() {
            assert_eq!(cache, "public, max-age=10", "/log/{path}");
        } else {
            assert!(cache.contains("immutable"), "/log/{path}: {cache}");
        }
    }
    // Twice: the second answer of a full bundle comes from the cache, the same bytes.
    let again = get(&router, "/log/tile/entries/000", &[]).await;
    assert_eq!(
        &again.body,
        &expected[paths.iter().position(|p| p == "tile/entries/000").unwrap()].1
    );

    // Beyond the checkpoint, or not a tile path: 404.
    for path in [
        "/log/tile/0/002",
        "/log/tile/entries/005",
        "/log/tile/0/001.p/255",
        "/log/tile/x/000",
        "/log/tile/0/../000",
    ] {
        let response = get(&router, path, &[]).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn without_a_key_or_a_checkpoint_the_log_is_not_served() {
    let (fixture, _, _) = signed_fixture();
    let router = app(fixture.state(ServeOptions::default()));
    for path in ["/log/checkpoint", "/log/key", "/log/tile/0/000"] {
        assert_eq!(
            get(&router, path, &[]).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // A key that did not sign the stored checkpoint publishes nothing (and the site stays up).
    let other = SignerKey::generate([8; 32], "veedor/ve-2024-presidential/test").unwrap();
    let router = app(fixture.state(ServeOptions {
        log_key: Some(other.verifier_key()),
        ..ServeOptions::default()
    }));
    assert_eq!(
        get(&router, "/log/checkpoint", &[]).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(get(&router, "/?lang=en", &[]).await.status, StatusCode::OK);
}

/// The text of the first element with `id` in `html`.
fn by_id<'a>(html: &'a str, id: &str) -> &'a str {
    let marker = format!("id=\"{id}\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no #{id}"));
    let start = start + html[start..].find('>').unwrap() + 1;
    let end = start + html[start..].find('<').unwrap();
    &html[start..end]
}

#[tokio::test]
async fn the_acta_page_shows_its_entry_and_an_inclusion_proof_that_verifies() {
    let (fixture, key, _) = signed_fixture();
    let router = app(fixture.state(ServeOptions {
        log_key: Some(key.verifier_key()),
        ..ServeOptions::default()
    }));
    let copy = fixture.scan_copy;
    let document = get(&router, &format!("/api/v1/acta/{copy}"), &[])
        .await
        .json();
    let log = &document["log"];
    let index = log["index"].as_u64().unwrap();
    assert_eq!(Some(index), document["copy"]["log_index"].as_u64());
    let page = get(&router, &format!("/acta/{copy}?lang=en"), &[])
        .await
        .text();
    assert!(page.contains(&format!("<data class=\"log-index\" value=\"{index}\">")));
    assert!(page.contains("How to check it"));
    let leaf = by_id(&page, "leaf-hash");
    let root = by_id(&page, "root");
    assert_eq!(leaf, log["leaf_hash"].as_str().unwrap());
    let start = page.find("id=\"inclusion-proof\"").unwrap();
    let list = &page[start..start + page[start..].find("</ol>").unwrap()];
    let proof: Vec<Hash> = list
        .split("<code class=\"hash\">")
        .skip(1)
        .map(|rest| Hash::from_hex(&rest[..64]).unwrap())
        .collect();
    assert_eq!(
        proof.len(),
        log["inclusion_proof"].as_array().unwrap().len()
    );

    // The entry's bytes, from the bundle the page links, hash to the leaf shown; the proof
    // takes the leaf to the root that the served checkpoint signs.
    let bundle_path = log["entry_bundle"].as_str().unwrap();
    let bundle = get(&router, bundle_path, &[]).await;
    assert_eq!(bundle.status, StatusCode::OK, "{bundle_path}");
    let tile = TilePath::parse(bundle_path.trim_start_matches("/log/")).unwrap();
    let entries = veedor_ledger::decode_entry_bundle(&tile, &bundle.body).unwrap();
    let position = usize::try_from(log["position_in_bundle"].as_u64().unwrap()).unwrap();
    let entry = entries[position];
    assert!(String::from_utf8_lossy(entry).contains(&fixture.scan.to_hex()));
    let leaf_hash = veedor_ledger::leaf_hash(entry);
    assert_eq!(leaf_hash.to_hex(), leaf);
    let checkpoint = key
        .verifier_key()
        .verify(&get(&router, "/log/checkpoint", &[]).await.text())
        .unwrap();
    assert_eq!(checkpoint.root.to_hex(), root);
    verify_inclusion(&leaf_hash, index, checkpoint.size, &proof, &checkpoint.root).unwrap();
}
