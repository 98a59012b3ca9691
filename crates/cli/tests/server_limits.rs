//! `veedor serve` under the abuse of election night, as a real process over real sockets: a
//! client that sends its request head a byte at a time is closed at the header timeout;
//! idle connections beyond the cap do not keep new clients out; SIGTERM ends the server within
//! its shutdown grace however many slow clients hold connections; bodies beyond the limit get
//! 413. The waits are generous and bounded; how fast the server answers is the benchmark's
//! business (BENCHMARKS.md, "The public site under attack"), not these tests'.

use std::io::{BufRead as _, BufReader, ErrorKind, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::http::http_get;

/// `veedor serve` with extra flags, killed when dropped.
struct Server {
    child: Child,
    address: SocketAddr,
    banner: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A data folder with the election and nothing else: enough for the site to answer.
fn data_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_veedor"))
        .arg("--data")
        .arg(dir.path().join("data"))
        .args(["init", "--election", "ve-2024-presidential"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    dir
}

fn serve(data: &Path, flags: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_veedor"))
        .arg("--data")
        .arg(data.join("data"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(flags)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut banner = String::new();
    let mut address = None;
    loop {
        let line = lines
            .next()
            .expect("veedor serve ended before listening")
            .unwrap();
        if let Some(rest) = line.strip_prefix("listening on http://") {
            address = Some(rest.trim_end_matches('/').parse().unwrap());
        }
        banner.push_str(&line);
        banner.push('\n');
        if line == "stop with Ctrl-C" {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    Server {
        child,
        address: address.expect("a listening line"),
        banner,
    }
}

/// Whether the server has closed `stream`: waits up to `within` for end of file or a reset.
/// Anything the server sends first (a 408) is read and skipped.
fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut buffer = [0; 4096];
    while Instant::now() < deadline {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return true,
        }
    }
    false
}

#[test]
fn a_slow_client_is_disconnected_after_the_header_timeout() {
    let data = data_folder();
    // A long idle timeout, so that only the header timeout can close the slow client.
    let server = serve(
        data.path(),
        &["--header-timeout", "2", "--idle-timeout", "120"],
    );
    assert!(
        server
            .banner
            .contains("request head 16384 bytes within 2 s, idle connections closed after 120 s"),
        "{}",
        server.banner
    );
    let mut slow = TcpStream::connect(server.address).unwrap();
    slow.set_read_timeout(Some(Duration::from_millis(250)))
        .unwrap();
    let started = Instant::now();
    let head = b"GET / HTTP/1.1\r\nHost: veedor\r\nX-Slow: "
        .iter()
        .copied();
    let mut bytes = head.chain(std::iter::repeat(b'a'));
    // One byte every quarter of a second, never finishing the head, until the server closes.
    let closed_after = loop {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the slow client is still connected after 60 s"
        );
        let byte = bytes.next().unwrap_or(b'a');
        if slow.write_all(&[byte]).is_err() {
            break started.elapsed();
        }
        let mut buffer = [0; 1024];
        match slow.read(&mut buffer) {
            Ok(0) => break started.elapsed(),
            Ok(_) => {}
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => break started.elapsed(),
        }
    };
    assert!(
        closed_after >= Duration::from_millis(1500),
        "closed after {closed_after:?}, before the header timeout of 2 s"
    );
    // A client that sends its request at once is served as before.
    assert_eq!(http_get(server.address, "/").0, 200);
}

#[test]
fn idle_connections_beyond_the_cap_do_not_keep_new_clients_out() {
    let data = data_folder();
    let cap = 20;
    let server = serve(
        data.path(),
        &[
            "--max-connections",
            &cap.to_string(),
            "--idle-timeout",
            "120",
            "--header-timeout",
            "120",
        ],
    );
    assert!(
        server.banner.contains("connections: at most 20"),
        "{}",
        server.banner
    );
    // Five times the cap of connections that never send a byte.
    let mut idle: Vec<TcpStream> = (0..5 * cap)
        .map(|_| TcpStream::connect(server.address).unwrap())
        .collect();
    for round in 0..10 {
        let (status, head, _) = http_get(server.address, "/");
        assert_eq!(status, 200, "round {round}: {head}");
    }
    // The server holds at most its cap: the others were closed to make room.
    let still_open = idle
        .iter_mut()
        .map(|stream| closed_within(stream, Duration::from_millis(200)))
        .filter(|closed| !closed)
        .count();
    assert!(
        still_open <= cap,
        "{still_open} idle connections still open, over the cap of {cap}"
    );
}

#[test]
fn sigterm_ends_the_server_within_its_grace_with_slow_clients_attached() {
    let data = data_folder();
    // Timeouts far beyond the test's wait: only the shutdown can end these clients.
    let mut server = serve(
        data.path(),
        &[
            "--header-timeout",
            "300",
            "--idle-timeout",
            "300",
            "--send-timeout",
            "300",
            "--shutdown-grace",
            "2",
        ],
    );
    let mut clients = Vec::new();
    for _ in 0..20 {
        // Half a request head, never finished (slowloris).
        let mut slow = TcpStream::connect(server.address).unwrap();
        slow.write_all(b"GET / HTTP/1.1\r\nHost: veedor\r\nX-Slow: aaaa")
            .unwrap();
        clients.push(slow);
        // A connection that never sends anything.
        clients.push(TcpStream::connect(server.address).unwrap());
    }
    // A kept-alive connection after a request it sent whole.
    let mut kept = TcpStream::connect(server.address).unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: veedor\r\n\r\n")
        .unwrap();
    kept.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut answer = [0; 16];
    kept.read_exact(&mut answer).unwrap();
    assert!(answer.starts_with(b"HTTP/1.1 200"));
    clients.push(kept);

    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = server.child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "veedor serve still running 20 s after SIGTERM, with slow clients attached"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(exit.success(), "{exit:?}");
    for client in &mut clients {
        assert!(closed_within(client, Duration::from_secs(5)));
    }
}

#[test]
fn bodies_beyond_the_limit_are_refused() {
    let data = data_folder();
    let server = serve(data.path(), &["--max-body-bytes", "1024"]);
    let mut stream = TcpStream::connect(server.address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    // The body is announced, not sent: the answer comes from the header alone.
    stream
        .write_all(
            b"GET /api/v1/tally/national HTTP/1.1\r\nHost: veedor\r\nContent-Length: 100000\r\n\r\n",
        )
        .unwrap();
    let mut head = [0; 12];
    stream.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 413");
    // A request head beyond its limit gets 431.
    let mut stream = TcpStream::connect(server.address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let cookie = "a".repeat(20_000);
    let _ = write!(
        stream,
        "GET / HTTP/1.1\r\nHost: veedor\r\nCookie: {cookie}\r\n\r\n"
    );
    let mut head = [0; 12];
    stream.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 431");
}

#[test]
fn a_flag_that_is_not_a_duration_is_refused() {
    for value in ["0", "-1", "soon", "NaN"] {
        let output = Command::new(env!("CARGO_BIN_EXE_veedor"))
            .args(["serve", &format!("--header-timeout={value}")])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "--header-timeout {value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("expected a number of seconds above 0"),
            "{stderr}"
        );
    }
}

/// The status of one lookup sent with an `X-Forwarded-For` header.
fn lookup_status(server: &Server, forwarded_for: &str) -> u16 {
    let mut stream = TcpStream::connect(server.address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET /api/v1/lookup/12345678 HTTP/1.1\r\nHost: veedor\r\nX-Forwarded-For: {forwarded_for}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut head = [0; 12];
    stream.read_exact(&mut head).unwrap();
    std::str::from_utf8(&head[9..12]).unwrap().parse().unwrap()
}

#[test]
fn the_forwarded_address_is_believed_only_from_a_trusted_proxy() {
    let data = data_folder();
    let limit = ["--lookup-limit", "1", "--lookup-limit-network", "0"];
    // Behind a proxy on this host: each forwarded client is limited on its own.
    let server = serve(
        data.path(),
        &[&limit[..], &["--trusted-proxy", "127.0.0.0/8"]].concat(),
    );
    assert!(
        server
            .banner
            .contains("client addresses: from x-forwarded-for on connections from 127.0.0.0/8"),
        "{}",
        server.banner
    );
    assert_ne!(lookup_status(&server, "203.0.113.1"), 429);
    assert_eq!(lookup_status(&server, "203.0.113.1"), 429);
    assert_eq!(lookup_status(&server, "192.0.2.9, 203.0.113.1"), 429);
    assert_ne!(lookup_status(&server, "203.0.113.2"), 429);
    drop(server);
    // Trusting nobody (the default): a client's header cannot make it a new client.
    let server = serve(data.path(), &limit);
    assert!(
        server.banner.contains("no proxy trusted"),
        "{}",
        server.banner
    );
    assert_ne!(lookup_status(&server, "203.0.113.1"), 429);
    assert_eq!(lookup_status(&server, "203.0.113.2"), 429);
    drop(server);
    // A header without the proxies it comes from is refused at start.
    let output = Command::new(env!("CARGO_BIN_EXE_veedor"))
        .arg("--data")
        .arg(data.path().join("data"))
        .args(["serve", "--client-ip-header", "X-Forwarded-For"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("needs --trusted-proxy CIDR"), "{stderr}");
    let output = Command::new(env!("CARGO_BIN_EXE_veedor"))
        .args(["serve", "--trusted-proxy", "10.0.0.0/33"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("expected an address block"), "{stderr}");
}
