//! One test over a real socket: the server binds port 0, answers HTTP/1.1 from a plain TCP
//! client, and shuts down gracefully.

use std::time::Duration;

use veedor_web::{ServeOptions, serve};

use crate::http::http_get;
use crate::support::{SCANNED_TABLE, fixture, voter_of};

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
