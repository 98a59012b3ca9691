//! The S3 blob store on a real S3 server (a throwaway SeaweedFS): content-addressed and
//! idempotent, missing blobs are `None`, an object whose bytes do not match its name is refused,
//! and the store works from inside an async server's threads.

mod support;

use sha2::{Digest as _, Sha256 as Hasher};
use support::{S3Server, request};
use veedor_blobs_s3::S3BlobStore;
use veedor_core::Sha256;
use veedor_store::{BlobStore as _, StoreError};

fn sha256(bytes: &[u8]) -> Sha256 {
    Sha256::from_bytes(Hasher::digest(bytes).into())
}

fn open(server: &S3Server, prefix: &str) -> S3BlobStore {
    let settings = server.settings();
    let settings: Vec<(&str, &str)> = settings
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    S3BlobStore::open_with(&server.location(prefix), &settings)
        .unwrap_or_else(|error| panic!("opening the S3 store: {error}"))
}

#[test]
fn blobs_round_trip_by_digest_and_tampered_objects_are_refused() {
    let server = S3Server::start().unwrap_or_else(|error| panic!("{error}"));
    let blobs = open(&server, "election/scans");
    let scan = b"%PDF-1.4 an acta".repeat(1000);
    let hash = blobs.put(&scan).unwrap();
    assert_eq!(hash, sha256(&scan));
    assert!(blobs.contains(&hash).unwrap());
    assert_eq!(blobs.get(&hash).unwrap().as_deref(), Some(&scan[..]));
    // The same bytes again: the same name, nothing else.
    assert_eq!(blobs.put(&scan).unwrap(), hash);
    let missing = sha256(b"never stored");
    assert!(!blobs.contains(&missing).unwrap());
    assert_eq!(blobs.get(&missing).unwrap(), None);

    // Another prefix is another store.
    let other = open(&server, "other-election");
    assert!(!other.contains(&hash).unwrap());

    // Someone with write access to the bucket puts other bytes under a scan's name: reading it
    // is an error that names the object, never a forged scan served as the real one.
    let forged_for = sha256(b"a real scan");
    let hex = forged_for.to_hex();
    let path = format!("/{}/election/scans/{}/{hex}", server.bucket, &hex[..2]);
    let port = server.endpoint.rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(request(port, "PUT", &path, b"forged").unwrap(), 200);
    assert!(blobs.contains(&forged_for).unwrap());
    match blobs.get(&forged_for) {
        Err(StoreError::Corrupt(message)) => assert!(message.contains(&hex), "{message}"),
        other => panic!("a forged object was read as {other:?}"),
    }
}

#[test]
fn the_store_answers_inside_an_async_server_and_reports_a_missing_bucket() {
    let server = S3Server::start().unwrap_or_else(|error| panic!("{error}"));
    let runtime = tokio::runtime::Runtime::new().unwrap();
    // Called on a runtime's worker, as a request handler would, and dropped there.
    let hash = runtime.block_on(async {
        let blobs = open(&server, "async");
        let hash = blobs.put(b"from a handler").unwrap();
        assert_eq!(
            blobs.get(&hash).unwrap().as_deref(),
            Some(&b"from a handler"[..])
        );
        hash
    });
    assert!(open(&server, "async").contains(&hash).unwrap());

    let settings = server.settings();
    let settings: Vec<(&str, &str)> = settings
        .iter()
        .map(|(key, value)| (key.as_str(), value.as_str()))
        .collect();
    // A bucket that is not there is an error when opening, not scans that silently vanish.
    let error = S3BlobStore::open_with("s3://no-such-bucket/scans", &settings)
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(error.contains("s3://no-such-bucket/scans"), "{error}");
}

#[test]
fn a_planted_object_is_written_over_and_a_large_blob_goes_up_in_parts() {
    let server = S3Server::start().unwrap_or_else(|error| panic!("{error}"));
    let blobs = open(&server, "scans");
    // Someone who can write the bucket puts other bytes under the name a real scan will have,
    // before it is ingested: storing the scan writes them over, and the scan reads back.
    let scan = b"the real acta".to_vec();
    let hex = sha256(&scan).to_hex();
    let path = format!("/{}/scans/{}/{hex}", server.bucket, &hex[..2]);
    let port = server.endpoint.rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(request(port, "PUT", &path, b"planted").unwrap(), 200);
    assert_eq!(blobs.put(&scan).unwrap(), sha256(&scan));
    assert_eq!(blobs.get(&sha256(&scan)).unwrap(), Some(scan));

    // More than one part (64 MiB): the registry's lookup records of 4 million voters and more.
    let large: Vec<u8> = (0..(64 * 1024 * 1024 + 4096))
        .map(|index: usize| u8::try_from(index % 251).unwrap_or(0))
        .collect();
    let hash = blobs.put(&large).unwrap();
    assert_eq!(hash, sha256(&large));
    assert_eq!(
        blobs.get(&hash).unwrap().map(|bytes| bytes == large),
        Some(true)
    );
}
