//! Scans in object storage: a [`BlobStore`] over the S3 API (Amazon S3, or any server that
//! speaks it: SeaweedFS, MinIO, Ceph, Cloudflare R2), so that several `veedor serve` processes
//! on several machines read and write the same scans.
//!
//! Content-addressed as the file-system store is: the scan with SHA-256 `h` is the object
//! `<prefix>/<h[..2]>/<h>`. The same durability rule holds: [`BlobStore::put`] returns only when
//! the server has answered the `PUT` (S3 acknowledges a write once it is durable), and the
//! callers store the row that names a blob after `put` returns. Objects are never overwritten
//! with other bytes (their name is their digest) and never deleted by veedor. A blob read back
//! is hashed: bytes that do not match their name (a bucket written by someone else) are an
//! error, never served as the scan.
//!
//! The port is synchronous and the S3 client is asynchronous: each store owns a small tokio
//! runtime, and a call hands its request to that runtime and waits on a channel, so it works
//! from any thread, an async server's worker included (where `block_on` would panic).
//!
//! Credentials and the endpoint come from the usual environment variables, read by
//! `object_store`'s `AmazonS3Builder::from_env`: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`, `AWS_REGION` (default `us-east-1`), `AWS_ENDPOINT_URL` for a server that
//! is not Amazon's (path-style requests are then used), and `AWS_ALLOW_HTTP=true` to allow a
//! plain-HTTP endpoint (a server on a private network or loopback).

use std::sync::Arc;
use std::sync::mpsc::sync_channel;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{
    ClientOptions, ObjectStore, ObjectStoreExt as _, PutPayload, RetryConfig, WriteMultipart,
};
use sha2::{Digest as _, Sha256 as Hasher};
use veedor_core::Sha256;
use veedor_store::{BlobStore, StoreError};

/// The scheme of a blob location in object storage.
pub const SCHEME: &str = "s3://";

/// How long requests are retried before the call fails: long enough to ride out a server's
/// restart, short enough that an ingest reports a lost server rather than hang.
const RETRY_TIMEOUT: Duration = Duration::from_secs(30);

/// How long one attempt may take: a part of a large blob or a scan over a slow link.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// Blobs larger than this go up in parts of this size (S3's single `PUT` stops at 5 GB; the
/// registry's lookup records are 16 bytes a voter, 3.3 GB for 204 million).
const PART_BYTES: usize = 64 * 1024 * 1024;

/// The largest object read back: the registry's lookup records of a billion voters. A larger
/// object under a blob's name (someone else wrote the bucket) is refused before it is read.
const MAX_BLOB_BYTES: u64 = 16 * 1024 * 1024 * 1024;

/// Scans in an S3 bucket, under a prefix.
pub struct S3BlobStore {
    store: Arc<dyn ObjectStore>,
    prefix: Path,
    /// `s3://bucket/prefix`, for messages.
    location: String,
    /// `None` only while being dropped.
    runtime: Option<tokio::runtime::Runtime>,
}

impl std::fmt::Debug for S3BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3BlobStore")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

fn backend(location: &str, what: &str) -> impl FnOnce(object_store::Error) -> StoreError {
    let location = location.to_owned();
    let what = what.to_owned();
    move |error| StoreError::Database(format!("object storage {location}, {what}: {error}"))
}

/// Splits `s3://bucket/prefix` into the bucket and the prefix (without its slashes).
fn split_location(location: &str) -> Result<(&str, &str), StoreError> {
    let rest = location.strip_prefix(SCHEME).ok_or_else(|| {
        StoreError::Database(format!(
            "{location}: expected an object-storage location, s3://bucket/prefix"
        ))
    })?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        return Err(StoreError::Database(format!(
            "{location}: the bucket is missing (s3://bucket/prefix)"
        )));
    }
    Ok((bucket, prefix.trim_matches('/')))
}

impl S3BlobStore {
    /// Opens `s3://bucket/prefix` with the credentials and endpoint of the environment, and
    /// lists the prefix once: a bucket that is not there, or credentials that do not open it,
    /// are an error now (a missing object and a missing bucket look alike afterwards).
    pub fn open(location: &str) -> Result<Self, StoreError> {
        Self::open_with(location, &[])
    }

    /// Opens `s3://bucket/prefix` as [`Self::open`] does, with `settings` (`object_store`'s
    /// names, `aws_endpoint`, `aws_allow_http`, ...) over those of the environment.
    pub fn open_with(location: &str, settings: &[(&str, &str)]) -> Result<Self, StoreError> {
        let (bucket, prefix) = split_location(location)?;
        let prefix = Path::parse(prefix).map_err(|error| {
            StoreError::Database(format!(
                "{location}: the prefix is not a valid path: {error}"
            ))
        })?;
        // reqwest is built with rustls and no crypto provider of its own: the process's default
        // is ring's (installing it again, or after another part did, changes nothing).
        let _ = rustls::crypto::ring::default_provider().install_default();
        // The client's options first: `with_client_options` replaces them whole, and the
        // environment's `AWS_ALLOW_HTTP` is one of them. Then the environment, as
        // `AmazonS3Builder::from_env` reads it.
        let mut builder = AmazonS3Builder::new()
            .with_client_options(ClientOptions::new().with_timeout(REQUEST_TIMEOUT))
            .with_bucket_name(bucket)
            .with_retry(RetryConfig {
                retry_timeout: RETRY_TIMEOUT,
                ..RetryConfig::default()
            });
        for (key, value) in std::env::vars_os() {
            if let (Some(key), Some(value)) = (key.to_str(), value.to_str())
                && key.starts_with("AWS_")
                && let Ok(key) = key.to_ascii_lowercase().parse()
            {
                builder = builder.with_config(key, value);
            }
        }
        if std::env::var_os("AWS_REGION").is_none()
            && std::env::var_os("AWS_DEFAULT_REGION").is_none()
        {
            builder = builder.with_region("us-east-1");
        }
        for (key, value) in settings {
            let key = key.parse().map_err(|error| {
                StoreError::Database(format!("{location}: the setting {key}: {error}"))
            })?;
            builder = builder.with_config(key, *value);
        }
        let store = builder
            .build()
            .map_err(backend(location, "its configuration"))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("veedor-s3")
            .enable_all()
            .build()
            .map_err(|source| StoreError::Io {
                path: location.to_owned(),
                source,
            })?;
        let opened = Self {
            store: Arc::new(store),
            prefix,
            location: location.to_owned(),
            runtime: Some(runtime),
        };
        let prefix = opened.prefix.clone();
        opened
            .wait(move |store| async move { store.list_with_delimiter(Some(&prefix)).await })?
            .map_err(backend(
                location,
                "listing the prefix (is the bucket there?)",
            ))?;
        Ok(opened)
    }

    /// The object that holds the blob with this digest.
    #[must_use]
    pub fn path_of(&self, hash: &Sha256) -> Path {
        let hex = hash.to_hex();
        self.prefix.clone().join(&hex[..2]).join(hex)
    }

    /// Runs `request` on the store's runtime and waits for it, from any thread.
    fn wait<T, F>(&self, request: impl FnOnce(Arc<dyn ObjectStore>) -> F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let runtime = self
            .runtime
            .as_ref()
            .ok_or_else(|| StoreError::Database(format!("{}: closed", self.location)))?;
        let (send, receive) = sync_channel(1);
        let future = request(Arc::clone(&self.store));
        runtime.spawn(async move {
            let _ = send.send(future.await);
        });
        receive.recv().map_err(|_| {
            StoreError::Database(format!("{}: the request was dropped", self.location))
        })
    }

    /// Whether an object is stored under `path`.
    fn exists(&self, path: &Path) -> Result<bool, StoreError> {
        let at = path.clone();
        match self.wait(move |store| async move { store.head(&at).await })? {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(error) => Err(backend(&self.location, &format!("asking for {path}"))(
                error,
            )),
        }
    }
}

impl Drop for S3BlobStore {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics inside another runtime (a server's): leave its
        // threads to end in the background instead. Every call has had its answer by now.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl BlobStore for S3BlobStore {
    fn put(&self, bytes: &[u8]) -> Result<Sha256, StoreError> {
        let hash = Sha256::from_bytes(Hasher::digest(bytes).into());
        let path = self.path_of(&hash);
        // An object already under this name needs no second upload if it holds these bytes;
        // one that does not (planted by someone who can write the bucket) is written over.
        if self.exists(&path)? {
            match self.get(&hash) {
                Ok(Some(_)) => return Ok(hash),
                Ok(None) | Err(StoreError::Corrupt(_)) => {
                    tracing::warn!(object = %path, "an object under a blob's name held other bytes: written over");
                }
                Err(error) => return Err(error),
            }
        }
        let owned = bytes.to_vec();
        let at = path.clone();
        self.wait(move |store| async move {
            if owned.len() <= PART_BYTES {
                return store.put(&at, PutPayload::from(owned)).await.map(|_| ());
            }
            let upload = store.put_multipart(&at).await?;
            let mut parts = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
            parts.write(&owned);
            parts.finish().await.map(|_| ())
        })?
        .map_err(backend(&self.location, &format!("storing {path}")))?;
        Ok(hash)
    }

    fn get(&self, hash: &Sha256) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.path_of(hash);
        let at = path.clone();
        let answer = self.wait(move |store| async move {
            match store.get(&at).await {
                Ok(found) if found.meta.size > MAX_BLOB_BYTES => {
                    Err(object_store::Error::Generic {
                        store: "S3",
                        source: format!(
                            "{} bytes, more than a blob may be ({MAX_BLOB_BYTES})",
                            found.meta.size
                        )
                        .into(),
                    })
                }
                Ok(found) => found.bytes().await.map(Some),
                Err(object_store::Error::NotFound { .. }) => Ok(None),
                Err(error) => Err(error),
            }
        })?;
        let Some(bytes) = answer.map_err(backend(&self.location, &format!("reading {path}")))?
        else {
            return Ok(None);
        };
        if Sha256::from_bytes(Hasher::digest(&bytes).into()) != *hash {
            return Err(StoreError::Corrupt(format!(
                "{}: the object {path} does not hold the bytes its name says",
                self.location
            )));
        }
        Ok(Some(bytes.to_vec()))
    }

    fn contains(&self, hash: &Sha256) -> Result<bool, StoreError> {
        self.exists(&self.path_of(hash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_name_a_bucket_and_a_prefix() {
        assert_eq!(split_location("s3://scans").ok(), Some(("scans", "")));
        assert_eq!(
            split_location("s3://scans/ve-2024/").ok(),
            Some(("scans", "ve-2024"))
        );
        let error = split_location("s3:///prefix").err().map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("the bucket is missing")));
        let error = split_location("/var/scans").err().map(|e| e.to_string());
        assert!(error.is_some_and(|e| e.contains("expected an object-storage location")));
    }
}
