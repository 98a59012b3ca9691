//! `veedor serve`: the public site and the JSON API over the data folder (crates/web). What the
//! server needs from the machine comes from here: the wall clock, the number of cores, the stop
//! signals, and the limit on open files, raised to what the system allows.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use veedor_ledger::VerifierKey;
use veedor_web::{AppState, Desk, DeskOptions, IpNet, ServeOptions, ServerLimits, TrustedProxy};

use crate::context::{Context, now};
use crate::exit;

/// Where `veedor serve` listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Loads the data folder and serves it on `listen` until Ctrl-C or SIGTERM. Prints the address
/// (the real port, when `listen` asks for port 0) and a voter id to try, then blocks.
pub fn serve_blocking(
    context: &Context,
    listen: SocketAddr,
    options: ServeOptions,
    volunteers: Option<DeskOptions>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let files = FileLimit::raise();
    let mut options = options;
    let wanted_connections = options.limits.max_connections;
    options.limits.max_connections = files.connections(wanted_connections);
    // The server gets a store of its own: a connection is used by one thread at a time, and
    // the server only reads.
    let opened = context.open()?;
    let data = &context.data;
    let limit = options.lookup_limit_per_minute;
    let (options_network, options_global) = (
        options.lookup_limit_per_network_per_minute,
        options.lookup_limit_global_per_minute,
    );
    // Snapshots are dated by the system's clock (the footer's "data as of").
    let mut options = ServeOptions {
        clock: now,
        ..options
    };
    // The log is published with its public key only; the private key stays with the signer.
    if options.log_key.is_none() {
        match opened.signer.verifier_key() {
            Ok(key) => options.log_key = Some(key),
            Err(error) => eprintln!("warning: the transparency log is not served: {error:#}"),
        }
    }
    let state = AppState::load(opened.store, opened.blobs, options)
        .with_context(|| format!("loading {}", data.display()))?;
    let desk_banner = match volunteers {
        Some(desk_options) => {
            // The desk writes through a store handle of its own.
            let writer = context.open()?;
            let banner = format!(
                "volunteers: sign in at /volunteer/ (sessions end after {} min idle; cookies {})",
                desk_options.session_idle.as_secs() / 60,
                if desk_options.secure_cookies {
                    "Secure, for TLS"
                } else {
                    "not marked Secure: put TLS in front and pass --secure-cookies"
                }
            );
            let signs = writer.signer.verifier_key().is_ok();
            let mut desk = Desk::new(writer.store, writer.blobs, system_random, desk_options);
            if signs {
                desk = desk.with_signer(writer.signer);
            }
            state.open_desk(desk);
            Some(format!(
                "{banner}\n{}",
                if signs {
                    "volunteers' writes: a checkpoint of the log is signed after each (the key is in the data folder)"
                } else {
                    "volunteers' writes: logged; their checkpoints are signed where the key is (`veedor` commands on that machine)"
                }
            ))
        }
        None => None,
    };
    let snapshot = state.snapshot();
    let copies = snapshot.results.dataset.copies.len();
    let voters = snapshot.registry.len();
    drop(snapshot);
    let limits_banner = limits_banner(state.options(), &files, wanted_connections);
    let proxy_banner = match &state.options().trusted_proxy {
        None => "client addresses: each connection's own (no proxy trusted)".to_owned(),
        Some(proxy) => format!(
            "client addresses: from {} on connections from {}",
            proxy.header,
            proxy
                .networks
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    // One server thread per core this process may use.
    let threads = std::thread::available_parallelism().unwrap_or(std::num::NonZeroUsize::MIN);
    veedor_web::serve_blocking(listen, state, threads, shutdown_signal(), |address| {
        println!(
            "veedor serve: {copies} acta copies and {voters} voters loaded in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        println!("listening on http://{address}/");
        // Never a voter id from the registry: these lines end up in terminals and service logs.
        if voters > 0 {
            println!("voter lookup: http://{address}/lookup");
        }
        if limit == 0 {
            println!("voter lookups are not limited (--lookup-limit 0)");
        } else {
            println!(
                "voter lookups are limited to {limit} a minute per client, {network} per network (/24, /48), {global} in all",
                network = options_network,
                global = options_global
            );
        }
        println!("{proxy_banner}");
        if let Some(banner) = &desk_banner {
            println!("{banner}");
        }
        println!("{limits_banner}");
        println!("stop with Ctrl-C");
        // The tests and scripts that start us read the address from this line.
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
    })
    .with_context(|| format!("serving on {listen}"))?;
    Ok(())
}

/// `veedor serve`'s flags.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// The address to listen on (port 0 picks a free port).
    #[arg(long, default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Voter lookups allowed per client per minute; 0 turns every lookup limit off
    /// (benchmarks).
    #[arg(long, default_value_t = 20)]
    lookup_limit: u32,
    /// Voter lookups allowed per minute to a whole network (IPv4 /24, IPv6 /48); 0: none.
    #[arg(long, default_value_t = 200)]
    lookup_limit_network: u32,
    /// Voter lookups the whole server answers per minute; 0: no such limit.
    #[arg(long, default_value_t = 30_000)]
    lookup_limit_global: u32,
    /// Behind a reverse proxy or CDN: which peers are believed about the client's address.
    #[command(flatten)]
    proxy: ProxyArgs,
    /// Timeouts, the connection cap, the largest request head and body, the shutdown grace.
    #[command(flatten)]
    limits: LimitArgs,
    /// The volunteers' desk.
    #[command(flatten)]
    volunteers: VolunteerArgs,
    /// The log's public key, as `veedor key` prints it on the signing machine: a server whose
    /// folder holds no signing key (as a web server's should not) publishes the log with it.
    /// Default: the key of the signing key in the folder, if there is one.
    #[arg(long, env = "VEEDOR_LOG_KEY", value_name = "VERIFIER_KEY")]
    log_key: Option<String>,
}

/// `veedor serve`.
pub fn run(context: &Context, args: &ServeArgs) -> anyhow::Result<u8> {
    let log_key = args
        .log_key
        .as_deref()
        .map(|key| {
            VerifierKey::parse(key.trim())
                .context("--log-key: not a verifier key (`<name>+<hex id>+<base64 key>`)")
        })
        .transpose()?;
    let options = ServeOptions {
        log_key,
        lookup_limit_per_minute: args.lookup_limit,
        lookup_limit_per_network_per_minute: args.lookup_limit_network,
        lookup_limit_global_per_minute: args.lookup_limit_global,
        trusted_proxy: args.proxy.trusted_proxy()?,
        request_timeout: args.limits.request_timeout.0,
        limits: args.limits.server_limits(),
        ..ServeOptions::default()
    };
    serve_blocking(
        context,
        args.listen,
        options,
        args.volunteers.desk_options(),
    )?;
    Ok(exit::OK)
}

/// The system's random bytes, for session tokens, sign-in codes and salts.
fn system_random(bytes: &mut [u8]) -> Result<(), String> {
    getrandom::fill(bytes).map_err(|error| error.to_string())
}

/// The volunteers' desk: off unless asked for (docs/volunteers.md).
#[derive(clap::Args, Debug, Default)]
pub struct VolunteerArgs {
    /// Serve the volunteers' routes under /volunteer/ and /api/v1/volunteer/: sign-in, uploads,
    /// double-blind entry, the coordinator's pages. Without it the site is read-only.
    #[arg(long)]
    volunteers: bool,
    /// Mark the session cookie Secure (and name it __Host-): the site is reached over TLS.
    #[arg(long, requires = "volunteers")]
    secure_cookies: bool,
    /// Minutes a volunteer's session may go unused before it ends.
    #[arg(long, default_value_t = 30, requires = "volunteers")]
    session_idle_minutes: u64,
    /// Sign-in attempts per client address per minute: raise it for a counting room where many
    /// volunteers share one address (a NAT).
    #[arg(long, default_value_t = DeskOptions::default().sign_in_per_client_per_minute, requires = "volunteers")]
    sign_in_limit: u32,
}

impl VolunteerArgs {
    /// The desk's options, when the desk is on.
    #[must_use]
    pub fn desk_options(&self) -> Option<DeskOptions> {
        self.volunteers.then(|| DeskOptions {
            secure_cookies: self.secure_cookies,
            session_idle: Duration::from_secs(self.session_idle_minutes.max(1) * 60),
            sign_in_per_client_per_minute: self.sign_in_limit,
            ..DeskOptions::default()
        })
    }
}

/// Who may say which address a request comes from: by default nobody (the peer's address is the
/// client's); behind a reverse proxy or CDN, the proxy, from the address blocks given. docs/web.md.
#[derive(clap::Args, Debug)]
pub struct ProxyArgs {
    /// Behind a reverse proxy or CDN: an address block it connects from, in CIDR notation
    /// (`10.0.0.0/8`, `2001:db8::/32`) or one address; repeat for several. Its header naming the
    /// client is believed only on connections from these blocks.
    #[arg(long = "trusted-proxy", value_name = "CIDR", value_parser = parse_network)]
    trusted_proxies: Vec<IpNet>,
    /// The header in which the trusted proxies name the client (default X-Forwarded-For; a CDN's
    /// one-address header such as CF-Connecting-IP also works). Needs --trusted-proxy.
    #[arg(long, value_name = "HEADER")]
    client_ip_header: Option<String>,
}

impl ProxyArgs {
    fn trusted_proxy(&self) -> anyhow::Result<Option<TrustedProxy>> {
        if self.trusted_proxies.is_empty() {
            if let Some(name) = &self.client_ip_header {
                bail!(
                    "--client-ip-header {name} needs --trusted-proxy CIDR: the header is believed \
                     only from the proxy's own addresses, or any client could name itself"
                );
            }
            return Ok(None);
        }
        let name = self
            .client_ip_header
            .as_deref()
            .unwrap_or("X-Forwarded-For");
        let header =
            axum_header_name(name).with_context(|| format!("--client-ip-header {name}"))?;
        Ok(Some(TrustedProxy {
            header,
            networks: self.trusted_proxies.clone(),
        }))
    }
}

/// A block in CIDR notation, or one address as a block of one.
fn parse_network(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
        .map_err(|_| {
            format!("expected an address block such as 10.0.0.0/8 or 2001:db8::/32, or one address; got {text:?}")
        })
}

/// The server's limits as flags of `veedor serve`; the defaults are veedor-web's
/// ([`ServerLimits::default`]), and docs/web.md says why each is what it is.
#[derive(Debug, Clone, clap::Args)]
pub struct LimitArgs {
    /// Connections open at once, all threads together; lowered to what the limit on open files
    /// allows. At the cap, the connection idle longest is closed to make room.
    #[arg(long, default_value_t = ServerLimits::default().max_connections, value_parser = at_least_one)]
    pub max_connections: usize,
    /// Seconds a client has to send a whole request head (slow clients are closed).
    #[arg(long, default_value_t = Seconds(ServerLimits::default().header_timeout))]
    pub header_timeout: Seconds,
    /// Seconds a connection with no request in flight may stay silent (keep-alive).
    #[arg(long, default_value_t = Seconds(ServerLimits::default().idle_timeout))]
    pub idle_timeout: Seconds,
    /// Seconds a connection with a request in flight may go without reading or writing a byte.
    #[arg(long, default_value_t = Seconds(ServerLimits::default().send_timeout))]
    pub send_timeout: Seconds,
    /// Seconds one request may take before it is answered 408.
    #[arg(long, default_value_t = Seconds(ServeOptions::default().request_timeout))]
    pub request_timeout: Seconds,
    /// The largest request head (request line and headers) in bytes; beyond it, 431.
    #[arg(long, default_value_t = ServerLimits::default().max_header_bytes, value_parser = at_least_one)]
    pub max_header_bytes: usize,
    /// The largest request body in bytes; beyond it, 413 (the site takes none).
    #[arg(long, default_value_t = ServerLimits::default().max_body_bytes)]
    pub max_body_bytes: usize,
    /// Seconds the requests in flight get to finish after Ctrl-C or SIGTERM; the rest are dropped.
    #[arg(long, default_value_t = Seconds(ServerLimits::default().shutdown_grace))]
    pub shutdown_grace: Seconds,
}

impl LimitArgs {
    fn server_limits(&self) -> ServerLimits {
        ServerLimits {
            max_connections: self.max_connections,
            header_timeout: self.header_timeout.0,
            idle_timeout: self.idle_timeout.0,
            send_timeout: self.send_timeout.0,
            max_header_bytes: self.max_header_bytes,
            max_body_bytes: self.max_body_bytes,
            shutdown_grace: self.shutdown_grace.0,
        }
    }
}

fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("expected a whole number of at least 1".to_owned()),
        Ok(number) => Ok(number),
        Err(error) => Err(format!("expected a whole number of at least 1: {error}")),
    }
}

/// A duration given in seconds on the command line (`10`, `0.5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seconds(pub Duration);

impl FromStr for Seconds {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let expected = "expected a number of seconds above 0 (10, 0.5)";
        let seconds: f64 = text
            .trim()
            .parse()
            .map_err(|error| format!("{expected}: {error}"))?;
        match Duration::try_from_secs_f64(seconds) {
            Ok(duration) if !duration.is_zero() => Ok(Self(duration)),
            Ok(_) => Err(expected.to_owned()),
            Err(error) => Err(format!("{expected}: {error}")),
        }
    }
}

impl fmt::Display for Seconds {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}", self.0.as_secs_f64())
    }
}

/// File descriptors kept for everything but client connections: the listening socket, the
/// store's files, the runtimes' own, standard streams, scans being read.
const RESERVED_FILES: u64 = 256;

/// The process's limit on open files, after trying to raise it.
#[derive(Debug, Clone, Copy)]
struct FileLimit {
    /// The limit before (`None`: unlimited or unknown).
    before: Option<u64>,
    /// The limit now.
    now: Option<u64>,
}

impl FileLimit {
    /// Raises the soft limit on open files to the hard one, the most the system allows this
    /// process: each client connection is a file descriptor.
    #[cfg(unix)]
    fn raise() -> Self {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let limit = getrlimit(Resource::Nofile);
        let mut now = limit.current;
        if limit.current.is_some() && limit.current != limit.maximum {
            let raised = Rlimit {
                current: limit.maximum,
                maximum: limit.maximum,
            };
            match setrlimit(Resource::Nofile, raised) {
                Ok(()) => now = limit.maximum,
                Err(error) => eprintln!(
                    "warning: could not raise the limit on open files from {} to {}: {error}",
                    limit
                        .current
                        .map_or("unlimited".to_owned(), |n| n.to_string()),
                    limit
                        .maximum
                        .map_or("unlimited".to_owned(), |n| n.to_string()),
                ),
            }
        }
        Self {
            before: limit.current,
            now,
        }
    }

    #[cfg(not(unix))]
    fn raise() -> Self {
        Self {
            before: None,
            now: None,
        }
    }

    /// The connections the limit leaves room for, at most `wanted`.
    fn connections(self, wanted: usize) -> usize {
        match self.now {
            Some(files) => {
                let room =
                    usize::try_from(files.saturating_sub(RESERVED_FILES)).unwrap_or(usize::MAX);
                wanted.min(room.max(1))
            }
            None => wanted,
        }
    }
}

/// The start-up lines that state the limits in force.
fn limits_banner(options: &ServeOptions, files: &FileLimit, wanted_connections: usize) -> String {
    let limits = &options.limits;
    let seconds = |duration: Duration| Seconds(duration).to_string();
    let files_line = match (files.before, files.now) {
        (Some(before), Some(now)) if before != now => {
            format!("open files: up to {now} (raised from {before})")
        }
        (_, Some(now)) => format!("open files: up to {now}"),
        (_, None) => "open files: no limit".to_owned(),
    };
    let cap = if limits.max_connections < wanted_connections {
        format!(
            "{} (--max-connections {wanted_connections} lowered to fit the open files)",
            limits.max_connections
        )
    } else {
        limits.max_connections.to_string()
    };
    format!(
        "{files_line}; connections: at most {cap}\n\
         limits: request head {} bytes within {} s, idle connections closed after {} s, \
         stalled ones after {} s, requests answered 408 after {} s, bodies {} bytes, \
         shutdown grace {} s",
        limits.max_header_bytes,
        seconds(limits.header_timeout),
        seconds(limits.idle_timeout),
        seconds(limits.send_timeout),
        seconds(options.request_timeout),
        limits.max_body_bytes,
        seconds(limits.shutdown_grace),
    )
}

fn axum_header_name(name: &str) -> anyhow::Result<veedor_web::HeaderName> {
    Ok(veedor_web::HeaderName::from_bytes(name.as_bytes())?)
}

/// Completes on Ctrl-C or SIGTERM. Polled on the server's runtime (`veedor_web::serve_blocking`).
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
