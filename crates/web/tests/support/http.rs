//! A plain HTTP/1.1 client for the tests over a real socket: shared by this crate's socket test
//! and the command line's `veedor serve` tests (`crates/cli/tests/tests.rs` includes this file
//! by path).

use std::io::{Read as _, Write as _};
use std::time::Duration;

/// A blocking HTTP/1.1 GET that closes the connection; returns the status line, headers and body.
pub fn http_get(address: std::net::SocketAddr, path: &str) -> (u16, String, Vec<u8>) {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head, raw[split + 4..].to_vec())
}
