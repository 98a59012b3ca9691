//! One test over a real socket: the server binds port 0, answers HTTP/1.1 from a plain TCP
//! client, and shuts down gracefully.

use std::io::{Read as _, Write as _};
use std::time::Duration;

use veedor_web::{ServeOptions, serve};

use crate::support::{SCANNED_TABLE, fixture, voter_of};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_answers_over_a_socket_and_shuts_down_gracefully() {
    let fixture = fixture(100);
    let state = fixture.state(ServeOptions {
        lookup_limit_per_minute: 2,
        ..ServeOptions::default()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, state, async {
        let _ = stopped.await;
    }));
    let voter = voter_of(&fixture, SCANNED_TABLE);
    let (status, head, body) = tokio::task::spawn_blocking(move || {
        let home = http_get(address, "/");
        assert_eq!(home.0, 200);
        // The limit sees the peer's address: two lookups, then 429.
        for _ in 0..2 {
            assert_eq!(http_get(address, &format!("/api/v1/lookup/{voter}")).0, 200);
        }
        http_get(address, &format!("/api/v1/lookup/{voter}"))
    })
    .await
    .unwrap();
    assert_eq!(status, 429, "{head}");
    assert!(head.to_ascii_lowercase().contains("retry-after:"));
    assert!(String::from_utf8(body).unwrap().contains("rate_limited"));
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops after the signal")
        .unwrap()
        .unwrap();
    assert!(
        std::net::TcpStream::connect(address).is_err(),
        "no longer listening"
    );
}
