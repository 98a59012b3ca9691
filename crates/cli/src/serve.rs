//! `veedor serve`: the public site and the JSON API over the data folder (crates/web). What the
//! server needs from the machine comes from here: the wall clock, the number of cores and the
//! stop signals.

use std::net::SocketAddr;

use std::time::Instant;

use anyhow::Context as _;
use veedor_web::{AppState, ServeOptions};

use crate::context::{Context, now};
use crate::exit;
use crate::open::Location;

/// Where `veedor serve` listens unless told otherwise.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// Loads the data folder and serves it on `listen` until Ctrl-C or SIGTERM. Prints the address
/// (the real port, when `listen` asks for port 0) and a voter id to try, then blocks.
pub fn serve_blocking(
    data: &Location,
    listen: SocketAddr,
    options: ServeOptions,
) -> anyhow::Result<()> {
    let started = Instant::now();
    // The server gets a store of its own: a connection is used by one thread at a time, and
    // the server only reads.
    let opened = crate::open::open(data)?;
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
    let snapshot = state.snapshot();
    let copies = snapshot.results.dataset.copies.len();
    let voters = snapshot.registry.len();
    drop(snapshot);
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
        println!("stop with Ctrl-C");
        // The tests and scripts that start us read the address from this line.
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
    })
    .with_context(|| format!("serving on {listen}"))?;
    Ok(())
}

/// `veedor serve`.
/// `lookup_limits` are per client, per network and for the whole server, per minute.
pub fn run(
    context: &Context,
    listen: SocketAddr,
    lookup_limits: [u32; 3],
    client_ip_header: Option<&str>,
) -> anyhow::Result<u8> {
    let [per_client, per_network, global] = lookup_limits;
    let client_ip_header = client_ip_header
        .map(|name| axum_header_name(name).with_context(|| format!("--client-ip-header {name}")))
        .transpose()?;
    let options = ServeOptions {
        lookup_limit_per_minute: per_client,
        lookup_limit_per_network_per_minute: per_network,
        lookup_limit_global_per_minute: global,
        client_ip_header,
        ..ServeOptions::default()
    };
    serve_blocking(&context.data, listen, options)?;
    Ok(exit::OK)
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
