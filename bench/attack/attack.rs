//! The public site under attack, measured from an ordinary citizen's side: while one attack runs
//! against `veedor serve` on this machine's loopback, citizens look up voter ids (each lookup a
//! new connection from an address of its own, as many people arriving) and the latency of each
//! answer is recorded. `bench/attack/run.sh` starts the servers and runs every scenario; this
//! binary is one scenario against one server.
//!
//! ```text
//! attack run --target 127.0.0.1:18090 --ids ids.txt --scenario idle+slowloris \
//!     --server-pid PID [--seconds 20] [--warmup 10] [--idle 20000] [--slowloris 500] \
//!     [--expensive 16] [--scrapers 64] [--citizens 4]
//! ```
//!
//! Scenarios: `baseline` (citizens alone), `idle` (`--idle` connections that never send a
//! byte, reconnected a second or two after the server closes them), `slowloris` (`--slowloris`
//! connections that send a request head one byte a second and never finish it), `idle+slowloris`
//! (both), `expensive` (`--expensive` clients asking for the largest document, the centre
//! tally, with brotli, one after the other) and `scrape` (`--scrapers` keep-alive connections
//! looking up ids as fast as they are answered, each from a new address after 20 lookups,
//! spread over 256 networks). The idle connections are held by child processes (`attack hold`),
//! 10,000 each, so that no process needs more file descriptors than the limit allows.
//!
//! Everything is bounded in time (`--warmup` + `--seconds`, then the attack stops) and goes to
//! loopback only: the target must be a loopback address, and every source address is in
//! 127.0.0.0/8. Prints one `RESULT` line: the citizens' latency percentiles, their errors
//! (no answer within 5 s, a refused or reset connection, a 5xx) and 429s apart, the server's CPU
//! time over the window (from /proc), and what the attack achieved.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};
use veedor_bench::Xorshift;

/// How long a citizen waits for an answer before counting an error.
const CITIZEN_TIMEOUT: Duration = Duration::from_secs(5);
/// A citizen's pause between two lookups.
const CITIZEN_PAUSE: Duration = Duration::from_millis(20);
/// Idle connections per holding process.
const PER_HOLDER: usize = 10_000;
/// The largest document the site serves: the tally of every centre.
const EXPENSIVE_PATH: &str = "/api/v1/tally/centre";
/// After the window, how long the server has to end after SIGTERM, the attack still going.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(60);

/// Set when the attack is to stop (after the window, or after the server ended).
static STOP: AtomicBool = AtomicBool::new(false);

fn running(until: Instant) -> bool {
    !STOP.load(Ordering::Relaxed) && Instant::now() < until
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => Options::parse(&args[1..]).and_then(|options| run(&options)),
        Some("hold") => Options::parse(&args[1..]).and_then(|options| hold(&options)),
        _ => Err(anyhow::anyhow!(
            "usage: attack run --target ADDR --ids FILE --scenario NAME --server-pid PID [...]; \
             see bench/attack/attack.rs"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("attack: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The command line.
#[derive(Debug, Clone)]
struct Options {
    target: SocketAddr,
    ids: Option<String>,
    scenario: String,
    server_pid: Option<u32>,
    seconds: u64,
    warmup: u64,
    idle: usize,
    slowloris: usize,
    expensive: usize,
    scrapers: usize,
    citizens: usize,
    /// `hold`: the index of the first connection, which picks its source addresses.
    first: usize,
    label: String,
    /// `hold`: where to write what it holds.
    status_file: String,
    /// `hold`: when to stop at the latest, from now.
    hard_end_in: Duration,
}

impl Options {
    fn parse(args: &[String]) -> anyhow::Result<Self> {
        let mut options = Self {
            target: SocketAddr::from(([127, 0, 0, 1], 18090)),
            ids: None,
            scenario: "baseline".to_owned(),
            server_pid: None,
            seconds: 20,
            warmup: 10,
            idle: 20_000,
            slowloris: 500,
            expensive: 16,
            scrapers: 64,
            citizens: 4,
            first: 0,
            label: String::new(),
            status_file: String::new(),
            hard_end_in: Duration::ZERO,
        };
        let mut pairs = args.chunks(2);
        for pair in &mut pairs {
            let [flag, value] = pair else {
                bail!("{}: expected a value after it", pair[0]);
            };
            let number = || {
                value
                    .parse::<usize>()
                    .with_context(|| format!("{flag} {value}: expected a whole number"))
            };
            match flag.as_str() {
                "--target" => options.target = value.parse().context("--target")?,
                "--ids" => options.ids = Some(value.clone()),
                "--scenario" => options.scenario.clone_from(value),
                "--server-pid" => options.server_pid = Some(value.parse().context("--server-pid")?),
                "--seconds" => options.seconds = u64::try_from(number()?)?,
                "--warmup" => options.warmup = u64::try_from(number()?)?,
                "--idle" => options.idle = number()?,
                "--slowloris" => options.slowloris = number()?,
                "--expensive" => options.expensive = number()?,
                "--scrapers" => options.scrapers = number()?,
                "--citizens" => options.citizens = number()?.max(1),
                "--first" => options.first = number()?,
                "--label" => options.label.clone_from(value),
                "--status-file" => options.status_file.clone_from(value),
                "--hard-end-ms" => {
                    options.hard_end_in = Duration::from_millis(u64::try_from(number()?)?);
                }
                other => bail!("{other}: not a flag of attack"),
            }
        }
        if !options.target.ip().is_loopback() {
            bail!(
                "--target {}: only a loopback address may be attacked",
                options.target
            );
        }
        Ok(options)
    }

    fn window(&self) -> Duration {
        Duration::from_secs(self.seconds)
    }

    fn total(&self) -> Duration {
        Duration::from_secs(self.warmup + self.seconds)
    }

    /// The attack's hard end: the window, then the wait for the server to end.
    fn hard_end(&self, started: Instant) -> Instant {
        started + self.total() + SHUTDOWN_WAIT
    }
}

/// A source address in 127.`block`.0.0/16 for connection `index`: the third byte is the
/// network (index modulo 256), the fourth the host, so consecutive connections come from
/// different /24 networks and no address is used twice before 65,000 others.
fn source(block: u8, index: usize) -> Ipv4Addr {
    let network = u8::try_from(index % 256).unwrap_or(0);
    let host = u8::try_from((index / 256) % 254 + 1).unwrap_or(1);
    Ipv4Addr::new(127, block, network, host)
}

/// A random index below `len`.
fn pick(random: &mut Xorshift, len: usize) -> usize {
    usize::try_from(random.next_u64() % len as u64).unwrap_or(0)
}

async fn connect_from(from: Ipv4Addr, target: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(IpAddr::V4(from), 0))?;
    let stream = socket.connect(target).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// What happened to the citizens and the attack, counted by every task.
#[derive(Debug, Default)]
struct Counters {
    /// Connections the attack holds open now.
    open: AtomicU64,
    /// Connections the server closed on the attack.
    closed: AtomicU64,
    /// Connections the attack could not make.
    connect_errors: AtomicU64,
    /// Documents (expensive) or lookups (scrape) answered within the window.
    answered: AtomicU64,
    /// Lookups refused with 429 (scrape).
    refused: AtomicU64,
    /// Bytes received within the window (expensive).
    bytes: AtomicU64,
}

fn run(options: &Options) -> anyhow::Result<()> {
    let ids = read_ids(options)?;
    let started = Instant::now();
    let holders = start_holders(options, started)?;
    let counters = Arc::new(Counters::default());
    let measure_from = started + Duration::from_secs(options.warmup);
    let window_end = started + options.total();
    let hard_end = options.hard_end(started);
    // The attack runs on a runtime of its own thread, the citizens on another, so that the
    // citizens' clock is not held up by the attack's work.
    let attack = {
        let options = options.clone();
        let ids = Arc::clone(&ids);
        let counters = Arc::clone(&counters);
        std::thread::spawn(move || -> anyhow::Result<()> {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(attack(options, ids, counters, measure_from, hard_end));
            Ok(())
        })
    };
    let cpu_at_start = wait_until(measure_from, options.server_pid);
    // Citizens come once the attack is in place (the warm-up), for the window.
    let citizens = {
        let options = options.clone();
        std::thread::spawn(move || -> anyhow::Result<Samples> {
            Ok(tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
                .block_on(citizens(options, ids, window_end)))
        })
    };
    // What the attack holds, halfway through the window, and what the server holds.
    wait_until(measure_from + options.window() / 2, None);
    let held = counters.open.load(Ordering::Relaxed) + holders.counts()[0];
    let server_files = options.server_pid.map_or(0, open_files);
    let cpu_at_end = wait_until(window_end, options.server_pid);
    // The attack's counts at the end of the window (after it, the server is stopped).
    let [_, closed, connect_errors] = holders.counts();
    let closed = closed + counters.closed.load(Ordering::Relaxed);
    let connect_errors = connect_errors + counters.connect_errors.load(Ordering::Relaxed);
    let samples = citizens
        .join()
        .map_err(|_| anyhow::anyhow!("the citizens' thread panicked"))??;
    // SIGTERM with the attack still going, as an operator restarting under attack would.
    let shutdown = options.server_pid.map(|pid| stop_server(pid, hard_end));
    STOP.store(true, Ordering::Relaxed);
    attack
        .join()
        .map_err(|_| anyhow::anyhow!("the attack's thread panicked"))??;
    holders.finish()?;
    let report = Report {
        samples,
        held,
        server_files,
        closed,
        connect_errors,
        server_cpu: cpu_at_end - cpu_at_start,
        shutdown,
    };
    report.print(options, &counters);
    Ok(())
}

fn read_ids(options: &Options) -> anyhow::Result<Arc<Vec<String>>> {
    let Some(path) = &options.ids else {
        bail!("--ids: a file of voter ids, one a line");
    };
    let ids: Vec<String> = std::fs::read_to_string(path)
        .with_context(|| format!("reading {path}"))?
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect();
    if ids.is_empty() {
        bail!("--ids: no ids in {path}");
    }
    Ok(Arc::new(ids))
}

/// Sends SIGTERM to the server and waits for it to end, until `hard_end`. Returns how long it
/// took, or `None` if it had not ended by then.
fn stop_server(pid: u32, hard_end: Instant) -> Option<Duration> {
    let sent = Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .is_ok_and(|status| status.success());
    if !killed {
        return None;
    }
    while Instant::now() < hard_end {
        // Ended: gone, or a zombie its parent (run.sh) has not waited for yet.
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|stat| stat.rsplit_once(')')?.1.trim_start().chars().next());
        if matches!(state, None | Some('Z' | 'X')) {
            return Some(sent.elapsed());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

/// The file descriptors process `pid` has open (its connections, and a few dozen others).
fn open_files(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |entries| entries.count() as u64)
}

/// Sleeps until `at`; returns the server's CPU seconds then.
fn wait_until(at: Instant, pid: Option<u32>) -> f64 {
    std::thread::sleep(at.saturating_duration_since(Instant::now()));
    pid.map_or(0.0, cpu_seconds)
}

/// User and system CPU time of process `pid` so far, in seconds (Linux /proc, 100 ticks a
/// second), its threads together.
fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // The command name, in parentheses, may hold spaces: count fields after it.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|field| field.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // Fields 14 and 15 of the line (utime, stime) are the 12th and 13th after the name.
    (ticks(11) + ticks(12)) / 100.0
}

/// The latencies of the citizens' lookups made within the window.
#[derive(Debug, Default)]
struct Samples {
    latencies: Vec<Duration>,
    errors: u64,
    refused: u64,
    first_error: Option<String>,
}

async fn citizens(options: Options, ids: Arc<Vec<String>>, until: Instant) -> Samples {
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..options.citizens {
        let ids = Arc::clone(&ids);
        let target = options.target;
        let count = options.citizens;
        tasks.spawn(async move {
            let mut samples = Samples::default();
            let mut random = Xorshift::new(index as u64 + 1);
            let mut request = index;
            while Instant::now() < until {
                let id = &ids[pick(&mut random, ids.len())];
                let started = Instant::now();
                let outcome = tokio::time::timeout(
                    CITIZEN_TIMEOUT,
                    citizen_lookup(target, source(200, request), id),
                )
                .await;
                request += count;
                let latency = started.elapsed();
                match outcome {
                    Ok(Ok(200 | 404)) => samples.latencies.push(latency),
                    Ok(Ok(429)) => samples.refused += 1,
                    Ok(Ok(status)) => samples.error(format!("status {status}")),
                    Ok(Err(error)) => samples.error(error.to_string()),
                    Err(_) => samples.error("no answer within 5 s".to_owned()),
                }
                tokio::time::sleep(CITIZEN_PAUSE).await;
            }
            samples
        });
    }
    let mut all = Samples::default();
    while let Some(Ok(samples)) = tasks.join_next().await {
        all.latencies.extend(samples.latencies);
        all.errors += samples.errors;
        all.refused += samples.refused;
        all.first_error = all.first_error.or(samples.first_error);
    }
    all.latencies.sort();
    all
}

impl Samples {
    fn error(&mut self, what: String) {
        self.errors += 1;
        self.first_error.get_or_insert(what);
    }

    fn percentile(&self, percent: usize) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let index = (self.latencies.len() * percent).div_ceil(100).max(1) - 1;
        self.latencies[index.min(self.latencies.len() - 1)].as_secs_f64() * 1000.0
    }
}

/// One lookup as a citizen makes it: a new connection, one request, the whole answer.
async fn citizen_lookup(target: SocketAddr, from: Ipv4Addr, id: &str) -> std::io::Result<u16> {
    let mut stream = connect_from(from, target).await?;
    let request =
        format!("GET /api/v1/lookup/{id} HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::with_capacity(2048);
    stream.read_to_end(&mut answer).await?;
    status_of(&answer)
}

fn status_of(answer: &[u8]) -> std::io::Result<u16> {
    answer
        .get(9..12)
        .and_then(|digits| std::str::from_utf8(digits).ok())
        .and_then(|digits| digits.parse().ok())
        .ok_or_else(|| std::io::Error::other("no HTTP status line"))
}

/// The attack of `options.scenario`, until `until`.
async fn attack(
    options: Options,
    ids: Arc<Vec<String>>,
    counters: Arc<Counters>,
    measure_from: Instant,
    until: Instant,
) {
    let mut tasks = tokio::task::JoinSet::new();
    let scenario = options.scenario.as_str();
    if scenario.contains("slowloris") {
        for index in 0..options.slowloris {
            let counters = Arc::clone(&counters);
            tasks.spawn(slowloris(options.target, index, counters, until));
        }
    }
    if scenario == "expensive" {
        for index in 0..options.expensive {
            let counters = Arc::clone(&counters);
            tasks.spawn(expensive(
                options.target,
                index,
                counters,
                measure_from,
                until,
            ));
        }
    }
    if scenario == "scrape" {
        for index in 0..options.scrapers {
            let counters = Arc::clone(&counters);
            let ids = Arc::clone(&ids);
            let scraper = Scraper {
                target: options.target,
                index,
                count: options.scrapers,
                ids,
            };
            tasks.spawn(scraper.run(counters, measure_from, until));
        }
    }
    while tasks.join_next().await.is_some() {}
}

/// Waits a second or two (random), or until `until`.
async fn pause(random: &mut Xorshift, until: Instant) {
    let wait = Duration::from_millis(1000 + random.next_u64() % 1000);
    tokio::time::sleep_until(tokio::time::Instant::from_std(
        (Instant::now() + wait).min(until),
    ))
    .await;
}

/// Holds a connection that sends nothing; when the server closes it, makes another.
async fn idle(target: SocketAddr, index: usize, counters: Arc<Counters>, until: Instant) {
    let mut random = Xorshift::new(index as u64 + 7);
    // 65,024 addresses a block: every idle connection has its own.
    let from = source(
        10 + u8::try_from(index / 65_024).unwrap_or(0),
        index % 65_024,
    );
    while running(until) {
        match connect_from(from, target).await {
            Ok(mut stream) => {
                counters.open.fetch_add(1, Ordering::Relaxed);
                let mut buffer = [0; 512];
                let read = tokio::time::timeout_at(
                    tokio::time::Instant::from_std(until),
                    stream.read(&mut buffer),
                )
                .await;
                counters.open.fetch_sub(1, Ordering::Relaxed);
                if read.is_ok() {
                    counters.closed.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(error) => {
                if counters.connect_errors.fetch_add(1, Ordering::Relaxed) == 0 {
                    eprintln!("attack: an idle connection could not be made: {error}");
                }
            }
        }
        pause(&mut random, until).await;
    }
}

/// Sends a request head a byte a second, never finishing it; when the server closes the
/// connection, starts another.
async fn slowloris(target: SocketAddr, index: usize, counters: Arc<Counters>, until: Instant) {
    let mut random = Xorshift::new(index as u64 + 11);
    let mut attempt = 0;
    while running(until) {
        let from = source(20, index + attempt * 1000);
        attempt += 1;
        let Ok(mut stream) = connect_from(from, target).await else {
            counters.connect_errors.fetch_add(1, Ordering::Relaxed);
            pause(&mut random, until).await;
            continue;
        };
        counters.open.fetch_add(1, Ordering::Relaxed);
        let head = format!("GET / HTTP/1.1\r\nHost: {target}\r\nX-Slow-{index}: ");
        let mut bytes = head.bytes().chain(std::iter::repeat(b'a'));
        let closed = loop {
            if !running(until) {
                break false;
            }
            let byte = bytes.next().unwrap_or(b'a');
            if stream.write_all(&[byte]).await.is_err() {
                break true;
            }
            let mut buffer = [0; 512];
            let read = tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buffer)).await;
            if let Ok(Ok(0) | Err(_)) = read {
                break true;
            }
        };
        counters.open.fetch_sub(1, Ordering::Relaxed);
        if closed {
            counters.closed.fetch_add(1, Ordering::Relaxed);
            pause(&mut random, until).await;
        }
    }
}

/// Asks for the largest document with brotli, again and again, each on a new connection.
async fn expensive(
    target: SocketAddr,
    index: usize,
    counters: Arc<Counters>,
    measure_from: Instant,
    until: Instant,
) {
    let request = format!(
        "GET {EXPENSIVE_PATH} HTTP/1.1\r\nHost: {target}\r\nAccept-Encoding: br\r\nConnection: close\r\n\r\n"
    );
    let mut attempt = 0;
    while running(until) {
        let from = source(30, index + attempt * 16);
        attempt += 1;
        let answer = tokio::time::timeout_at(tokio::time::Instant::from_std(until), async {
            let mut stream = connect_from(from, target).await?;
            stream.write_all(request.as_bytes()).await?;
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).await?;
            std::io::Result::Ok(answer)
        })
        .await;
        match answer {
            Ok(Ok(answer)) if status_of(&answer).ok() == Some(200) => {
                if Instant::now() >= measure_from {
                    counters.answered.fetch_add(1, Ordering::Relaxed);
                    counters
                        .bytes
                        .fetch_add(answer.len() as u64, Ordering::Relaxed);
                }
            }
            Ok(_) => {
                counters.connect_errors.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(_) => {}
        }
    }
}

/// A scraper: keep-alive lookups as fast as they are answered, a new address every 20.
struct Scraper {
    target: SocketAddr,
    index: usize,
    count: usize,
    ids: Arc<Vec<String>>,
}

impl Scraper {
    async fn run(self, counters: Arc<Counters>, measure_from: Instant, until: Instant) {
        let mut random = Xorshift::new(self.index as u64 + 101);
        let mut address = self.index;
        while running(until) {
            let from = source(40, address);
            address += self.count;
            let Ok(mut stream) = connect_from(from, self.target).await else {
                counters.connect_errors.fetch_add(1, Ordering::Relaxed);
                continue;
            };
            for _ in 0..20 {
                if !running(until) {
                    break;
                }
                let id = &self.ids[pick(&mut random, self.ids.len())];
                let request = format!(
                    "GET /api/v1/lookup/{id} HTTP/1.1\r\nHost: {}\r\n\r\n",
                    self.target
                );
                let answer = tokio::time::timeout(
                    CITIZEN_TIMEOUT,
                    keep_alive_exchange(&mut stream, request.as_bytes()),
                )
                .await;
                let Ok(Ok(status)) = answer else { break };
                if Instant::now() >= measure_from {
                    match status {
                        429 => counters.refused.fetch_add(1, Ordering::Relaxed),
                        _ => counters.answered.fetch_add(1, Ordering::Relaxed),
                    };
                }
            }
        }
    }
}

/// Sends one request on a kept-alive connection and reads its answer whole (by its
/// `Content-Length`); returns the status.
async fn keep_alive_exchange(stream: &mut TcpStream, request: &[u8]) -> std::io::Result<u16> {
    stream.write_all(request).await?;
    let mut answer = Vec::with_capacity(2048);
    let mut buffer = [0; 4096];
    let head_end = loop {
        if let Some(end) = answer.windows(4).position(|window| window == b"\r\n\r\n") {
            break end + 4;
        }
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        answer.extend_from_slice(&buffer[..read]);
    };
    let head = String::from_utf8_lossy(&answer[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .ok_or_else(|| std::io::Error::other("an answer without content-length"))?;
    while answer.len() < head_end + length {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        answer.extend_from_slice(&buffer[..read]);
    }
    status_of(&answer)
}

/// The child processes that hold the idle connections.
struct Holders {
    children: Vec<std::process::Child>,
    /// Where each child writes how many connections it holds.
    files: Vec<std::path::PathBuf>,
}

fn start_holders(options: &Options, started: Instant) -> anyhow::Result<Holders> {
    let mut holders = Holders {
        children: Vec::new(),
        files: Vec::new(),
    };
    if !options.scenario.contains("idle") {
        return Ok(holders);
    }
    let exe = std::env::current_exe()?;
    let mut first = 0;
    while first < options.idle {
        let count = PER_HOLDER.min(options.idle - first);
        let file = std::env::temp_dir().join(format!("attack-hold-{}-{first}", std::process::id()));
        let child = std::process::Command::new(&exe)
            .args(["hold", "--target", &options.target.to_string()])
            .args(["--idle", &count.to_string(), "--first", &first.to_string()])
            .args(["--warmup", &options.warmup.to_string()])
            .args(["--seconds", &options.seconds.to_string()])
            .args([
                "--hard-end-ms",
                &options
                    .hard_end(started)
                    .saturating_duration_since(Instant::now())
                    .as_millis()
                    .to_string(),
            ])
            .args(["--status-file", &file.display().to_string()])
            .spawn()
            .context("starting a holding process")?;
        holders.children.push(child);
        holders.files.push(file);
        first += count;
    }
    Ok(holders)
}

impl Holders {
    /// What the children counted so far: open, closed by the server, connect errors.
    fn counts(&self) -> [u64; 3] {
        let mut totals = [0; 3];
        for file in &self.files {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            for (total, word) in totals.iter_mut().zip(text.split_whitespace()) {
                *total += word.parse::<u64>().unwrap_or(0);
            }
        }
        totals
    }

    /// Stops the children.
    fn finish(mut self) -> anyhow::Result<()> {
        for child in &mut self.children {
            let _ = child.kill();
            child.wait()?;
        }
        for file in &self.files {
            let _ = std::fs::remove_file(file);
        }
        Ok(())
    }
}

/// `attack hold`: holds `--idle` connections from `--first` on, writing "open closed errors"
/// to `--status-file` every second, until the window ends.
fn hold(options: &Options) -> anyhow::Result<()> {
    let until = Instant::now() + options.hard_end_in;
    let counters = Arc::new(Counters::default());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let mut tasks = tokio::task::JoinSet::new();
            for index in options.first..options.first + options.idle {
                tasks.spawn(idle(options.target, index, Arc::clone(&counters), until));
            }
            let write = |counters: &Counters| {
                let text = format!(
                    "{} {} {}\n",
                    counters.open.load(Ordering::Relaxed),
                    counters.closed.load(Ordering::Relaxed),
                    counters.connect_errors.load(Ordering::Relaxed)
                );
                let _ = std::fs::write(&options.status_file, text);
            };
            while Instant::now() < until {
                write(&counters);
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            while tasks.join_next().await.is_some() {}
            write(&counters);
        });
    Ok(())
}

/// What one run measured.
struct Report {
    samples: Samples,
    /// Connections the attack held halfway through the window.
    held: u64,
    /// File descriptors the server had open then.
    server_files: u64,
    /// Connections the server closed on the attack, until the end of the window.
    closed: u64,
    /// Connections the attack could not make, until the end of the window.
    connect_errors: u64,
    /// The server's CPU seconds over the window.
    server_cpu: f64,
    /// How long the server took to end after SIGTERM (`None`: not within the wait).
    shutdown: Option<Option<Duration>>,
}

impl Report {
    fn print(&self, options: &Options, counters: &Counters) {
        let samples = &self.samples;
        let window = options.window().as_secs_f64();
        let answered = counters.answered.load(Ordering::Relaxed);
        let cpu_per_answer = if answered == 0 {
            f64::NAN
        } else {
            self.server_cpu * 1000.0 / answered as f64
        };
        let shutdown = match self.shutdown {
            None => "not_sent".to_owned(),
            Some(None) => format!(">{}", SHUTDOWN_WAIT.as_secs()),
            Some(Some(took)) => format!("{:.2}", took.as_secs_f64()),
        };
        println!(
            "RESULT label={} scenario={} seconds={} citizens={} p50_ms={:.2} p95_ms={:.2} \
             p99_ms={:.2} max_ms={:.2} errors={} refused={} server_cpu_share={:.2} held={} \
             server_files={} closed_by_server={} connect_errors={} answered={} answered_per_s={:.1} \
             refused_attack={} mb_per_s={:.1} server_cpu_ms_per_answer={:.2} sigterm_s={shutdown}",
            options.label,
            options.scenario,
            options.seconds,
            samples.latencies.len(),
            samples.percentile(50),
            samples.percentile(95),
            samples.percentile(99),
            samples
                .latencies
                .last()
                .map_or(f64::NAN, |max| max.as_secs_f64() * 1000.0),
            samples.errors,
            samples.refused,
            self.server_cpu / window,
            self.held,
            self.server_files,
            self.closed,
            self.connect_errors,
            answered,
            answered as f64 / window,
            counters.refused.load(Ordering::Relaxed),
            counters.bytes.load(Ordering::Relaxed) as f64 / window / 1e6,
            cpu_per_answer,
        );
        if let Some(error) = &samples.first_error {
            println!("first citizen error: {error}");
        }
    }
}
