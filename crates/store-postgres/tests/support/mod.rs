//! A PostgreSQL server for the tests: the one `VEEDOR_TEST_POSTGRES` names, or else a
//! throwaway instance of the PostgreSQL installed on this machine (`initdb` into a temporary
//! folder, `postgres` listening on a Unix socket in that folder only, no TCP), stopped and
//! removed when dropped.
//!
//! PostgreSQL refuses to run as root. When the tests run as root (as CI does, on a fresh Debian
//! machine), `initdb` and `postgres` run as the user `nobody` through `setpriv`, which execs
//! them (so the child process is the server itself), and the folder is handed to `nobody`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where to find a database for the tests.
pub enum Server {
    /// The database of `VEEDOR_TEST_POSTGRES`.
    External {
        /// Its URL.
        url: String,
    },
    /// A server of our own, stopped on drop.
    Local(LocalServer),
}

impl Server {
    /// The server the environment names, or a new local one; `durable`, it syncs every commit
    /// as a production server does (for measurements: the tests' servers do not sync).
    pub fn start(durable: bool) -> Result<Self, String> {
        match veedor_store_conformance::postgres_url()? {
            Some(url) => Ok(Self::External { url }),
            None => LocalServer::start(durable).map(Self::Local),
        }
    }

    /// The URL of the database.
    pub fn url(&self) -> &str {
        match self {
            Self::External { url } => url,
            Self::Local(local) => &local.url,
        }
    }
}

/// A throwaway PostgreSQL instance.
pub struct LocalServer {
    folder: tempfile::TempDir,
    child: Child,
    url: String,
    bin: PathBuf,
    user: Option<(String, String)>,
    durable: bool,
}

/// The folder of PostgreSQL's programs: where `initdb` is on the `PATH`, else the newest
/// `/usr/lib/postgresql/<version>/bin` (Debian installs them there, off the `PATH`).
fn bin_folder() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os("PATH") {
        for folder in std::env::split_paths(&path) {
            if folder.join("initdb").is_file() && folder.join("postgres").is_file() {
                return Ok(folder);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|error| no_postgres(&error.to_string()))?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| no_postgres("no /usr/lib/postgresql/*/bin/initdb"))
}

fn no_postgres(why: &str) -> String {
    format!(
        "no PostgreSQL server to test on ({why}): install Debian's `postgresql` package \
         (scripts/install-test-deps does), or set VEEDOR_TEST_POSTGRES to a postgres:// URL"
    )
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// The uid and gid of `nobody`.
fn nobody() -> Result<(String, String), String> {
    let id = |flag: &str| -> Result<String, String> {
        let output = Command::new("id")
            .args([flag, "nobody"])
            .output()
            .map_err(|error| format!("id {flag} nobody: {error}"))?;
        if !output.status.success() {
            return Err("there is no user `nobody` to run PostgreSQL as (it refuses root)".into());
        }
        Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
    };
    Ok((id("-u")?, id("-g")?))
}

/// A command for one of PostgreSQL's programs, as `nobody` when we are root.
fn program(bin: &Path, name: &str, as_user: Option<&(String, String)>) -> Command {
    match as_user {
        Some((uid, gid)) => {
            let mut command = Command::new("setpriv");
            command
                .arg(format!("--reuid={uid}"))
                .arg(format!("--regid={gid}"))
                .arg("--clear-groups")
                .arg("--")
                .arg(bin.join(name));
            command
        }
        None => Command::new(bin.join(name)),
    }
}

fn run(mut command: Command, what: &str) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|error| format!("{what}: {error}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

const PORT: u16 = 5432;

impl LocalServer {
    /// The URL of its database.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `initdb`, start, wait until it accepts connections, create the database `veedor`.
    pub fn start(durable: bool) -> Result<Self, String> {
        let bin = bin_folder()?;
        // In /tmp rather than $TMPDIR where there is one: the socket's path must stay under
        // 108 bytes, and `nobody` must be able to reach the folder.
        let parent = Path::new("/tmp");
        let parent = if parent.is_dir() {
            parent.to_owned()
        } else {
            std::env::temp_dir()
        };
        let folder = tempfile::Builder::new()
            .prefix("veedor-postgres-")
            .tempdir_in(parent)
            .map_err(|error| format!("a temporary folder: {error}"))?;
        let user = if is_root() { Some(nobody()?) } else { None };
        if let Some((uid, gid)) = &user {
            let mut chown = Command::new("chown");
            chown.arg(format!("{uid}:{gid}")).arg(folder.path());
            run(chown, "chown of the server's folder")?;
        }
        let data = folder.path().join("data");
        let mut initdb = program(&bin, "initdb", user.as_ref());
        initdb
            .arg("--pgdata")
            .arg(&data)
            .args(["--username=veedor", "--auth=trust", "--encoding=UTF8"])
            .args(["--locale=C", "--no-sync", "--no-instructions"])
            .current_dir(folder.path());
        run(initdb, "initdb")?;
        let child = spawn(&bin, folder.path(), user.as_ref(), durable)?;
        let socket_folder: String = folder
            .path()
            .to_string_lossy()
            .bytes()
            .map(|byte| {
                if byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_' || byte == b'.' {
                    char::from(byte).to_string()
                } else {
                    format!("%{byte:02X}")
                }
            })
            .collect();
        let mut server = Self {
            url: format!("postgresql://veedor@{socket_folder}:{PORT}/postgres"),
            folder,
            child,
            bin,
            user,
            durable,
        };
        server.wait_until_ready()?;
        let mut client = postgres::Client::connect(&server.url, postgres::NoTls)
            .map_err(|error| format!("connecting to the test server: {error}"))?;
        client
            .batch_execute("CREATE DATABASE veedor")
            .map_err(|error| format!("creating the test database: {error}"))?;
        server.url = format!("postgresql://veedor@{socket_folder}:{PORT}/veedor");
        Ok(server)
    }

    fn wait_until_ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if postgres::Client::connect(&self.url, postgres::NoTls).is_ok() {
                return Ok(());
            }
            let exited = self
                .child
                .try_wait()
                .map_err(|error| format!("postgres: {error}"))?;
            if exited.is_some() || started.elapsed() > Duration::from_secs(60) {
                let log = std::fs::read_to_string(self.folder.path().join("server.log"))
                    .unwrap_or_default();
                return Err(format!("the test server did not start: {log}"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Starts `postgres` on the cluster in `folder`/data, its log appended to `folder`/server.log.
fn spawn(
    bin: &Path,
    folder: &Path,
    user: Option<&(String, String)>,
    durable: bool,
) -> Result<Child, String> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(folder.join("server.log"))
        .map_err(|error| format!("the server's log: {error}"))?;
    let log_err = log
        .try_clone()
        .map_err(|error| format!("the server's log: {error}"))?;
    let mut postgres = program(bin, "postgres", user);
    postgres
        .arg("-D")
        .arg(folder.join("data"))
        .arg("-k")
        .arg(folder)
        .args(["-p", &PORT.to_string()])
        // Unix socket only.
        .args(["-c", "listen_addresses="])
        .current_dir(folder)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err);
    if !durable {
        // Not synced to the disk: a commit is written to the operating system, not forced to
        // the device, so only a crash of the machine would lose it; a crash of the server
        // (`crash`) loses nothing acknowledged. (`synchronous_commit=off` would: commits are
        // acknowledged before their WAL is written, which the crash test caught.)
        postgres.args(["-c", "fsync=off", "-c", "full_page_writes=off"]);
    }
    postgres
        .spawn()
        .map_err(|error| format!("starting postgres: {error}"))
}

impl LocalServer {
    /// Stops the server as a crash would: an immediate shutdown, every connection cut, no
    /// checkpoint written (the next start recovers from the write-ahead log).
    pub fn crash(&mut self) -> Result<(), String> {
        let mut stop = program(&self.bin, "pg_ctl", self.user.as_ref());
        stop.arg("stop")
            .arg("--pgdata")
            .arg(self.folder.path().join("data"))
            .args(["--mode=immediate", "--wait", "--timeout=20", "--silent"]);
        run(stop, "pg_ctl stop --mode=immediate")?;
        self.child
            .wait()
            .map_err(|error| format!("postgres: {error}"))?;
        Ok(())
    }

    /// Starts the server again on the same data and waits until it accepts connections.
    pub fn restart(&mut self) -> Result<(), String> {
        self.child = spawn(
            &self.bin,
            self.folder.path(),
            self.user.as_ref(),
            self.durable,
        )?;
        self.wait_until_ready()
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        // A fast shutdown: connections are closed, the server exits at once. `pg_ctl` rather
        // than `kill`, which a minimal system may lack.
        let mut stop = program(&self.bin, "pg_ctl", self.user.as_ref());
        stop.arg("stop")
            .arg("--pgdata")
            .arg(self.folder.path().join("data"))
            .args(["--mode=fast", "--wait", "--timeout=20", "--silent"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if stop.status().is_ok_and(|status| status.success()) {
            let _ = self.child.wait();
        } else {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
