//! The server's own accept loop: HTTP/1 connections under stated limits, which `axum::serve`
//! does not offer (it has no header timeout, no cap on connections, and its graceful shutdown
//! waits for every client, however slow). The figures are [`ServerLimits`]; docs/web.md says
//! why each is what it is.
//!
//! - **A cap on open connections** ([`ServerLimits::max_connections`]). At the cap, a newcomer
//!   is not refused: the connection that has waited longest without a request in flight is
//!   closed to make room (as nginx reuses its idle connections), so a flood of idle or slow
//!   sockets only ever closes its own oldest, while a client that sends its request at once is
//!   served. Only when every connection has a request in flight does the loop stop accepting
//!   until one ends.
//! - **A header timeout** (hyper's, [`ServerLimits::header_timeout`]): a request head must
//!   arrive whole within it, from the connection's start or the end of the previous response,
//!   however the bytes trickle in (slowloris).
//! - **An idle timeout** ([`ServerLimits::idle_timeout`]): a connection with no request in flight
//!   that receives nothing for that long is closed; **a send timeout**
//!   ([`ServerLimits::send_timeout`]): one with a request in flight that neither reads nor
//!   writes a byte for that long (a client that stopped reading its response) is closed too.
//! - **Shutdown**: on the signal the loop stops accepting, idle connections close at once, the
//!   requests in flight get [`ServerLimits::shutdown_grace`], and whatever is left is dropped.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tower::ServiceExt as _;

/// The limits every connection is held to. The defaults are the figures docs/web.md states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerLimits {
    /// Connections open at once, all threads together. The command line lowers it to what the
    /// process's file-descriptor limit allows.
    pub max_connections: usize,
    /// How long a client has to send a whole request head, from connecting or from the end of
    /// the previous response on the same connection.
    pub header_timeout: Duration,
    /// How long a connection with no request in flight may stay open without receiving a byte.
    pub idle_timeout: Duration,
    /// How long a connection with a request in flight may go without reading or writing a byte
    /// (a client that stopped reading). Longer than the request timeout, so that a slow handler
    /// is answered with its 408 rather than cut off.
    pub send_timeout: Duration,
    /// The largest request head (request line and headers), in bytes; beyond it, 431.
    pub max_header_bytes: usize,
    /// The largest request body, in bytes; beyond it, 413. The public site takes no bodies.
    pub max_body_bytes: usize,
    /// On shutdown, how long the requests in flight may take to finish before their
    /// connections are dropped.
    pub shutdown_grace: Duration,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            max_connections: 10_000,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(5),
            send_timeout: Duration::from_secs(30),
            max_header_bytes: 16 * 1024,
            max_body_bytes: 4 * 1024,
            shutdown_grace: Duration::from_secs(2),
        }
    }
}

/// At the cap, how long a newcomer waits for the connection closed to make room; past it, the
/// newcomer is closed instead (another thread took the place).
const EVICTION_WAIT: Duration = Duration::from_secs(1);

/// After an accept error that is not the client's (out of file descriptors), the pause before
/// accepting again, so that the loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(50);

/// The open connections of one server, shared by all its threads.
#[derive(Debug)]
pub(crate) struct Connections {
    limits: ServerLimits,
    permits: Arc<Semaphore>,
    /// Every open connection by the order it was accepted in: the oldest first.
    open: Mutex<BTreeMap<u64, Arc<Tracker>>>,
    next_id: AtomicU64,
    /// The origin of [`Tracker::last_io`].
    epoch: Instant,
}

/// What the loop knows of one connection.
#[derive(Debug)]
struct Tracker {
    /// Requests whose response has not been sent whole.
    in_flight: AtomicUsize,
    /// When a byte was last read or written, in milliseconds since [`Connections::epoch`].
    last_io: AtomicU64,
    /// Set once the connection was chosen to be closed to make room.
    evicted: AtomicBool,
    /// Wakes the connection's task to close it.
    close: Notify,
}

impl Connections {
    pub(crate) fn new(limits: ServerLimits) -> Arc<Self> {
        // A cap of 0 would serve nobody: one connection at least.
        let cap = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
        Arc::new(Self {
            limits,
            permits: Arc::new(Semaphore::new(cap)),
            open: Mutex::new(BTreeMap::new()),
            next_id: AtomicU64::new(0),
            epoch: Instant::now(),
        })
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn http1(&self) -> http1::Builder {
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.limits.header_timeout)
            .max_header_size(self.limits.max_header_bytes)
            .keep_alive(true);
        builder
    }

    /// A place for a connection just accepted: a free one, else one made by closing the
    /// connection that has waited longest without a request in flight, else (every connection
    /// busy) the first to free up. `None`: the place made went to another thread.
    async fn admit(&self) -> Option<OwnedSemaphorePermit> {
        if let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() {
            return Some(permit);
        }
        if self.evict_oldest_idle() {
            tokio::time::timeout(EVICTION_WAIT, Arc::clone(&self.permits).acquire_owned())
                .await
                .ok()?
                .ok()
        } else {
            Arc::clone(&self.permits).acquire_owned().await.ok()
        }
    }

    /// Closes the oldest connection with no request in flight. Returns whether there was one.
    fn evict_oldest_idle(&self) -> bool {
        let open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let victim = open.values().find(|tracker| {
            tracker.in_flight.load(Ordering::Acquire) == 0
                && !tracker.evicted.swap(true, Ordering::AcqRel)
        });
        match victim {
            Some(tracker) => {
                tracker.close.notify_one();
                true
            }
            None => false,
        }
    }

    fn register(self: &Arc<Self>, permit: OwnedSemaphorePermit) -> Registration {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let tracker = Arc::new(Tracker {
            in_flight: AtomicUsize::new(0),
            last_io: AtomicU64::new(self.now_ms()),
            evicted: AtomicBool::new(false),
            close: Notify::new(),
        });
        self.open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, Arc::clone(&tracker));
        Registration {
            connections: Arc::clone(self),
            id,
            tracker,
            _permit: permit,
        }
    }

    /// When the connection should be looked at again: its idle or send timeout counted from
    /// its last byte.
    fn deadline(&self, tracker: &Tracker) -> tokio::time::Instant {
        let timeout = if tracker.in_flight.load(Ordering::Acquire) == 0 {
            self.limits.idle_timeout
        } else {
            self.limits.send_timeout
        };
        let last_io = Duration::from_millis(tracker.last_io.load(Ordering::Relaxed));
        tokio::time::Instant::from_std(self.epoch + last_io + timeout)
    }
}

/// A connection's place in [`Connections`]: given back (and the permit with it) when dropped.
#[derive(Debug)]
struct Registration {
    connections: Arc<Connections>,
    id: u64,
    tracker: Arc<Tracker>,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.connections
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }
}

/// Accepts connections on `listener` and serves `router` on each until `stop` turns true; then
/// stops accepting and ends once the connections have closed, within the shutdown grace.
pub(crate) async fn accept_loop(
    listener: TcpListener,
    router: Router,
    connections: Arc<Connections>,
    mut stop: watch::Receiver<bool>,
) {
    let builder = connections.http1();
    let mut tasks = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            biased;
            _ = stop.wait_for(|stop| *stop) => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                accept_failed(&error).await;
                continue;
            }
        };
        let permit = tokio::select! {
            biased;
            _ = stop.wait_for(|stop| *stop) => break,
            permit = connections.admit() => permit,
        };
        let Some(permit) = permit else {
            tracing::debug!("connection closed at once: no place at the connection cap");
            continue;
        };
        let registration = connections.register(permit);
        let _ = stream.set_nodelay(true);
        let connection = Connection {
            registration,
            stop: stop.clone(),
        };
        tasks.spawn(connection.serve(&builder, stream, peer, router.clone()));
        // Reap the tasks that ended, so the set holds the open connections only.
        while tasks.try_join_next().is_some() {}
    }
    drop(listener);
    // Each connection gives its request the grace itself; a little more for them to unwind.
    let drain = async { while tasks.join_next().await.is_some() {} };
    let grace = connections.limits.shutdown_grace + Duration::from_millis(500);
    if tokio::time::timeout(grace, drain).await.is_err() {
        tracing::warn!(
            left = tasks.len(),
            "connections still open after the shutdown grace: dropped"
        );
    }
    tasks.shutdown().await;
}

async fn accept_failed(error: &std::io::Error) {
    use std::io::ErrorKind;
    // A client that gave up between connecting and being accepted: nothing to do.
    if matches!(
        error.kind(),
        ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::Interrupted
    ) {
        return;
    }
    // Out of file descriptors or memory: wait for connections to close.
    tracing::warn!(%error, "cannot accept a connection");
    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
}

/// One accepted connection, before it is served.
struct Connection {
    registration: Registration,
    stop: watch::Receiver<bool>,
}

impl Connection {
    /// Serves the connection until the client closes it, a limit closes it, it is closed to
    /// make room, or the server stops (then after the grace at most).
    fn serve(
        self,
        builder: &http1::Builder,
        stream: TcpStream,
        peer: SocketAddr,
        router: Router,
    ) -> impl Future<Output = ()> + Send + 'static {
        let Self {
            registration,
            mut stop,
        } = self;
        let connections = Arc::clone(&registration.connections);
        let tracker = Arc::clone(&registration.tracker);
        let io = TokioIo::new(Watched {
            stream,
            tracker: Arc::clone(&tracker),
            connections: Arc::clone(&connections),
        });
        let service_tracker = Arc::clone(&tracker);
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            let guard = InFlight::begin(&service_tracker);
            let response = router.clone().oneshot(request);
            async move {
                let response = match response.await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                Ok::<_, Infallible>(response.map(|body| SentBody {
                    body,
                    _guard: guard,
                }))
            }
        });
        let connection = builder.serve_connection(io, service);
        async move {
            let _registration = registration;
            tokio::pin!(connection);
            loop {
                let deadline = connections.deadline(&tracker);
                tokio::select! {
                    biased;
                    result = connection.as_mut() => {
                        if let Err(error) = result {
                            tracing::debug!(%error, "connection ended");
                        }
                        return;
                    }
                    () = tracker.close.notified() => {
                        tracing::debug!("connection closed to make room");
                        return;
                    }
                    _ = stop.wait_for(|stop| *stop) => break,
                    () = tokio::time::sleep_until(deadline) => {
                        if tokio::time::Instant::now() >= connections.deadline(&tracker) {
                            tracing::debug!("connection closed: idle or stalled");
                            return;
                        }
                    }
                }
            }
            // Shutting down: an idle connection closes at once, a request in flight may finish.
            connection.as_mut().graceful_shutdown();
            let grace = connections.limits.shutdown_grace;
            if tokio::time::timeout(grace, connection).await.is_err() {
                tracing::debug!("connection dropped at the end of the shutdown grace");
            }
        }
    }
}

/// Counts a request as in flight from its head until its response is sent whole (or dropped).
#[derive(Debug)]
struct InFlight(Arc<Tracker>);

impl InFlight {
    fn begin(tracker: &Arc<Tracker>) -> Self {
        tracker.in_flight.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(tracker))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its request in flight until hyper has sent it whole and drops it.
#[derive(Debug)]
struct SentBody {
    body: Body,
    _guard: InFlight,
}

impl http_body::Body for SentBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// The socket, noting when a byte last went through it (the idle and send timeouts).
#[derive(Debug)]
struct Watched {
    stream: TcpStream,
    tracker: Arc<Tracker>,
    connections: Arc<Connections>,
}

impl Watched {
    fn progressed(&self) {
        self.tracker
            .last_io
            .store(self.connections.now_ms(), Ordering::Relaxed);
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.progressed();
        }
        result
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(written)) if written > 0) {
            self.progressed();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(written)) if written > 0) {
            self.progressed();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
