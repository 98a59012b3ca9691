//! The volunteers' desk under election-night load, measured against `veedor serve --volunteers`
//! on this machine's loopback (`bench/desk/run.sh` prepares the data and starts the server).
//!
//! ```text
//! desk pages --out DIR --count N          # N small page images without a code, to ingest
//! desk sheet --out FILE --payload P       # a photo of a sheet whose code reads
//! desk run --target 127.0.0.1:18095 --codes codes.txt --typists 200 --photos DIR
//! ```
//!
//! `run` activates and signs in every typist of `codes.txt` (`NAME CODE` a line; the first line
//! is the uploader), then lets the typists work at once, each on a thread of its own, as fast as
//! the server answers: take the next page, enter it (the two typists of a page agree, so every
//! second entry settles a page into a counted copy), until no page is offered. It prints the
//! entries the server accepted per second, the latency of each request (claims and entries)
//! and the refusals. Then the uploader sends each photo of `--photos` and the time until its
//! table's public JSON shows the copy is measured: the time from an upload to its numbers on
//! the public page.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

const PASSPHRASE: &str = "benchmark passphrase of the desk";

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn required(args: &[String], name: &str) -> anyhow::Result<String> {
    arg(args, name).with_context(|| format!("{name} is required"))
}

/// A volunteer's session against the server.
struct Session {
    agent: ureq::Agent,
    base: String,
    cookie: String,
    csrf: String,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn post_json(
    agent: &ureq::Agent,
    url: &str,
    headers: &[(&str, &str)],
    body: &Value,
) -> anyhow::Result<(u16, Value, Option<String>)> {
    let mut request = agent.post(url).header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let mut response = request.send(body.to_string())?;
    let status = response.status().as_u16();
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(str::to_owned);
    let text = response.body_mut().read_to_string()?;
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok((status, json, cookie))
}

impl Session {
    fn start(base: &str, name: &str, code: &str) -> anyhow::Result<Self> {
        let agent = agent();
        let (status, body, _) = post_json(
            &agent,
            &format!("{base}/api/v1/volunteer/activate"),
            &[],
            &json!({ "pseudonym": name, "code": code, "passphrase": PASSPHRASE }),
        )?;
        if status != 200 {
            bail!("activating {name}: {status} {body}");
        }
        let (status, body, cookie) = post_json(
            &agent,
            &format!("{base}/api/v1/volunteer/session"),
            &[],
            &json!({ "pseudonym": name, "passphrase": PASSPHRASE }),
        )?;
        if status != 200 {
            bail!("signing {name} in: {status} {body}");
        }
        Ok(Self {
            agent,
            base: base.to_owned(),
            cookie: cookie.context("no session cookie")?,
            csrf: body["csrf_token"]
                .as_str()
                .context("no CSRF token")?
                .to_owned(),
        })
    }

    fn post(&self, path: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
        let (status, json, _) = post_json(
            &self.agent,
            &format!("{}{path}", self.base),
            &[("cookie", &self.cookie), ("x-csrf-token", &self.csrf)],
            body,
        )?;
        Ok((status, json))
    }
}

/// Latencies, and counts by outcome.
#[derive(Default)]
struct Tally {
    claims: Vec<Duration>,
    entries: Vec<Duration>,
    outcomes: BTreeMap<String, u64>,
}

/// The `percent`th percentile of sorted latencies, in milliseconds.
fn percentile(sorted: &[Duration], percent: usize) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = (sorted.len() * percent).div_ceil(100).max(1) - 1;
    sorted[index.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// What a typist types for a page: a real table of the fixture's list, the same for both.
fn entry_for(task: i64, tables: &[String], cards: usize) -> Value {
    let table = &tables[usize::try_from(task).unwrap_or(0) % tables.len()];
    let mut counts = vec![0u32; cards];
    counts[0] = u32::try_from(task % 300).unwrap_or(0) + 10;
    json!({ "table": table, "counts": counts, "null_votes": 0, "confirm": true })
}

fn run(args: &[String]) -> anyhow::Result<()> {
    let target = required(args, "--target")?;
    let base = format!("http://{target}");
    let codes = std::fs::read_to_string(required(args, "--codes")?)?;
    let typists: usize = arg(args, "--typists").map_or(Ok(200), |t| t.parse())?;
    let tables: Vec<String> = std::fs::read_to_string(required(args, "--tables")?)?
        .lines()
        .map(str::to_owned)
        .collect();
    let cards: usize = arg(args, "--cards").map_or(Ok(38), |c| c.parse())?;
    let mut lines = codes.lines().map(|line| {
        let (name, code) = line.split_once(' ').unwrap_or((line, ""));
        (name.to_owned(), code.to_owned())
    });
    let (uploader_name, uploader_code) = lines.next().context("no uploader in the codes")?;
    let people: Vec<(String, String)> = lines.take(typists).collect();

    // Sign everyone in (each an Argon2id hash on the server: not part of the measurement).
    let started = Instant::now();
    let sessions: Vec<Session> = std::thread::scope(|scope| {
        let handles: Vec<_> = people
            .chunks(people.len().div_ceil(8).max(1))
            .map(|chunk| {
                let base = base.clone();
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|(name, code)| Session::start(&base, name, code))
                        .collect::<anyhow::Result<Vec<_>>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| {
                handle
                    .join()
                    .map_err(|_| anyhow::anyhow!("a sign-in thread panicked"))?
            })
            .collect::<anyhow::Result<Vec<Vec<Session>>>>()
    })?
    .into_iter()
    .flatten()
    .collect();
    println!(
        "signed in {} typists in {:.1} s",
        sessions.len(),
        started.elapsed().as_secs_f64()
    );

    let tally = Mutex::new(Tally::default());
    let accepted = AtomicU64::new(0);
    let last_entry: Mutex<Option<Instant>> = Mutex::new(None);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for session in &sessions {
            let (tally, accepted, tables, last_entry) = (&tally, &accepted, &tables, &last_entry);
            scope.spawn(move || {
                let mut mine = Tally::default();
                // A typist stops after 10 s without a page offered: every page is settled or
                // in other typists' hands.
                let mut idle_rounds = 0;
                while idle_rounds < 33 {
                    let t = Instant::now();
                    let claimed = session.post("/api/v1/volunteer/tasks/next", &json!({}));
                    mine.claims.push(t.elapsed());
                    let task = match claimed {
                        Ok((200, body)) => body["claimed"].as_i64(),
                        Ok((status, _)) => {
                            *mine.outcomes.entry(format!("claim {status}")).or_default() += 1;
                            std::thread::sleep(Duration::from_millis(200));
                            continue;
                        }
                        Err(_) => {
                            *mine.outcomes.entry("claim error".to_owned()).or_default() += 1;
                            continue;
                        }
                    };
                    let Some(task) = task else {
                        idle_rounds += 1;
                        std::thread::sleep(Duration::from_millis(300));
                        continue;
                    };
                    idle_rounds = 0;
                    let t = Instant::now();
                    let entered = session.post(
                        &format!("/api/v1/volunteer/tasks/{task}/entry"),
                        &entry_for(task, tables, cards),
                    );
                    mine.entries.push(t.elapsed());
                    let outcome = match entered {
                        Ok((200, _)) => {
                            accepted.fetch_add(1, Ordering::Relaxed);
                            *last_entry
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner) =
                                Some(Instant::now());
                            "entry 200".to_owned()
                        }
                        Ok((status, _)) => format!("entry {status}"),
                        Err(_) => "entry error".to_owned(),
                    };
                    *mine.outcomes.entry(outcome).or_default() += 1;
                }
                let mut all = tally
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                all.claims.extend(mine.claims);
                all.entries.extend(mine.entries);
                for (outcome, count) in mine.outcomes {
                    *all.outcomes.entry(outcome).or_default() += count;
                }
            });
        }
    });
    // The work ends with the last accepted entry; the typists' last 10 s of waiting is not work.
    let elapsed = last_entry
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .map_or(0.0, |at: Instant| at.duration_since(started).as_secs_f64());
    let mut tally = tally
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    tally.claims.sort_unstable();
    tally.entries.sort_unstable();
    let entries = accepted.load(Ordering::Relaxed);
    println!(
        "RESULT typists={} entries_accepted={entries} seconds={elapsed:.1} entries_per_second={:.1} \
         claim_p50_ms={:.1} claim_p99_ms={:.1} entry_p50_ms={:.1} entry_p99_ms={:.1} outcomes={:?}",
        sessions.len(),
        entries as f64 / elapsed,
        percentile(&tally.claims, 50),
        percentile(&tally.claims, 99),
        percentile(&tally.entries, 50),
        percentile(&tally.entries, 99),
        tally.outcomes,
    );

    // From an upload to its numbers on the public page.
    if let Some(photos) = arg(args, "--photos") {
        let uploader = Session::start(&base, &uploader_name, &uploader_code)?;
        let mut files: Vec<PathBuf> = std::fs::read_dir(&photos)?
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .collect();
        files.sort();
        let mut times = Vec::new();
        for file in files {
            let table = file
                .file_stem()
                .and_then(|stem| stem.to_str())
                .context("a photo is named by its table")?
                .to_owned();
            let bytes = std::fs::read(&file)?;
            let boundary = "veedor-bench-boundary";
            let mut body = format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
            )
            .into_bytes();
            body.extend_from_slice(&bytes);
            body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
            let t = Instant::now();
            let mut response = uploader
                .agent
                .post(&format!("{base}/api/v1/volunteer/upload"))
                .header("cookie", &uploader.cookie)
                .header("x-csrf-token", &uploader.csrf)
                .header(
                    "content-type",
                    &format!("multipart/form-data; boundary={boundary}"),
                )
                .send(&body[..])?;
            let answered = t.elapsed();
            let text = response.body_mut().read_to_string()?;
            if !text.contains("\"counted\"") {
                bail!("{}: not counted: {text}", file.display());
            }
            loop {
                let mut page = uploader
                    .agent
                    .get(&format!("{base}/api/v1/table/{table}"))
                    .call()?;
                let json: Value =
                    serde_json::from_str(&page.body_mut().read_to_string()?).unwrap_or(Value::Null);
                let shown = json["table"]["copies"].as_array().is_some_and(|copies| {
                    copies
                        .iter()
                        .any(|copy| copy["provenance"]["volunteer"] == uploader_name.as_str())
                });
                if shown {
                    break;
                }
                if t.elapsed() > Duration::from_secs(60) {
                    bail!("{table}: the upload never reached the public page");
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            times.push((answered.as_secs_f64(), t.elapsed().as_secs_f64()));
        }
        for (answered, shown) in &times {
            println!("UPLOAD answered_s={answered:.2} public_s={shown:.2}");
        }
    }
    Ok(())
}

/// Small page images without a code, each different (a page no machine can read).
fn pages(args: &[String]) -> anyhow::Result<()> {
    let out = PathBuf::from(required(args, "--out")?);
    let count: u32 = required(args, "--count")?.parse()?;
    std::fs::create_dir_all(&out)?;
    for index in 0..count {
        let image = image::GrayImage::from_fn(320, 420, |x, y| {
            let line = y % 24 < 2 && (20..300).contains(&x);
            // The page's number in binary, a block a bit, across the top: every page differs.
            let bit = x / 16;
            let mark = y < 12 && bit < 20 && (index >> bit) & 1 == 1;
            image::Luma([if line || mark { 60 } else { 235 }])
        });
        image.save(out.join(format!("page-{index:05}.png")))?;
    }
    Ok(())
}

/// A phone photo of a sheet whose code reads, named by its table.
fn sheet(args: &[String]) -> anyhow::Result<()> {
    use veedor_sim::sheet::{Condition, FileFormat, Sheet, Ve2024Place, encode, render};
    let out = PathBuf::from(required(args, "--out")?);
    let payload = required(args, "--payload")?;
    let sheet = Sheet::ve2024(&payload, &Ve2024Place::default())?;
    let page = render(&sheet, &Condition::Dpi200.degradation(7))?;
    std::fs::write(&out, encode(&[page], FileFormat::Jpeg { quality: 85 })?)?;
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args),
        Some("pages") => pages(&args),
        Some("sheet") => sheet(&args),
        _ => Err(anyhow::anyhow!(
            "usage: desk run|pages|sheet ... (see the source's header)"
        )),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("desk: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
