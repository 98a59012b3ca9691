//! `veedor`: the command line. The only place that wires the crates together: it reads files,
//! opens the store, calls the domain and prints.

#[macro_use]
mod out;

mod analyze;
mod archive;
mod context;
mod decide;
mod demo;
mod demo_br;
mod export;
mod export_site;
mod generate;
mod generate_country;
mod import;
mod ingest;
mod ledger;
mod open;
mod serve;
mod show;
mod user;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::context::Context;

/// Exit codes, documented in docs/cli.md.
pub mod exit {
    /// Everything went as asked.
    pub const OK: u8 = 0;
    /// An error: nothing was changed.
    pub const ERROR: u8 = 1;
    /// The command line was not understood (clap's own code).
    pub const USAGE: u8 = 2;
    /// An import completed, but some rows were rejected (listed on standard error).
    pub const PARTIAL: u8 = 3;
    /// The voter looked up is not in the registry.
    pub const NOT_FOUND: u8 = 4;
}

/// Citizens verify an election's result from the polling-station tally sheets (actas).
#[derive(Debug, Parser)]
#[command(name = "veedor", version, about, long_about = None)]
struct Cli {
    /// The data folder (veedor.db, blobs/, registry/, keys/); default `veedor-data`, or
    /// `veedor-demo` for `veedor demo`. Or a `postgres://` URL: the PostgreSQL store, with its
    /// scans and log key in `VEEDOR_FILES` (default `veedor-files`).
    #[arg(long, global = true, env = "VEEDOR_DATA", hide_env_values = true)]
    data: Option<PathBuf>,

    /// Where the scans are kept, when not in the data folder (or `VEEDOR_FILES`): object
    /// storage, `s3://bucket/prefix`, with credentials and endpoint from the usual environment
    /// variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL`,
    /// `AWS_ALLOW_HTTP=true` for a plain-HTTP endpoint). Give it to every command on this data.
    #[arg(long, global = true, env = "VEEDOR_BLOBS", value_name = "S3_URL")]
    blobs: Option<String>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a data folder for an election.
    Init {
        /// The election file (TOML), or the name of an election shipped with veedor
        /// (`ve-2024-presidential`).
        #[arg(long)]
        election: String,
        /// The name of the transparency log (its checkpoints' origin): a schema-less URL where
        /// it will be published. Default: `veedor/<election id>/<random tag>`.
        #[arg(long)]
        origin: Option<String>,
    },
    /// Print the transparency log's public key (the verifier key that `veedor verify` takes).
    Key,
    /// Import a file into the store.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Read scanned actas (JPEG, PNG, TIFF, PDF): files and folders, or a folder a scanner
    /// writes into (--watch).
    Ingest {
        /// Files and folders (searched recursively).
        #[arg(required_unless_present = "watch")]
        paths: Vec<PathBuf>,
        /// Keep ingesting what appears in this folder until stopped (Ctrl-C or SIGTERM).
        #[arg(long, conflicts_with = "paths")]
        watch: Option<PathBuf>,
        /// The scanner or device the files come from (kept in provenance).
        #[arg(long)]
        device: Option<String>,
        /// The volunteer's pseudonym (never a real name).
        #[arg(long)]
        volunteer: Option<String>,
        /// With --watch: milliseconds a file must stay unchanged before it is taken.
        #[arg(long, default_value_t = 2000)]
        settle_ms: u64,
    },
    /// The pages of scans waiting for a person.
    Queue,
    /// Volunteers' accounts (pseudonyms only): add, list, suspend.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// A coordinator's decision on a page whose typists disagree (see `veedor queue`).
    Resolve {
        /// The page's number in `veedor queue` (`#12`: 12).
        task: i64,
        #[command(flatten)]
        options: user::ResolveOptions,
    },
    /// A coordinator's decision on a table whose copies disagree (see `veedor conflicts`): which
    /// copy counts, and why.
    Decide(decide::DecideOptions),
    /// The tables whose copies disagree, with their copies and any decision.
    Conflicts {
        /// Also the tables a decision settled.
        #[arg(long)]
        all: bool,
    },
    /// The audit log: every volunteer's and coordinator's action, oldest first.
    Audit {
        /// Only this volunteer's actions (`(operator)` for the command line's).
        #[arg(long)]
        actor: Option<String>,
        /// Only actions starting with this (`user`, `sign_in`).
        #[arg(long)]
        action: Option<String>,
    },
    /// Where a voter votes, and what that table's acta says.
    Lookup {
        /// The voter's id number (`12345678`, `V-12.345.678`).
        voter_id: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = LookupFormat::Text)]
        format: LookupFormat,
    },
    /// What the actas add up to, at any level, beside the official result.
    Tally {
        /// The level: national, or one of the election's levels (state, municipality, ...).
        #[arg(long, default_value = "national")]
        level: String,
        /// One area of that level (its code, like 13 for a state); all of them if absent.
        #[arg(long)]
        code: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = TallyFormat::Table)]
        format: TallyFormat,
    },
    /// Does the result stand? Coverage, what the missing actas could change, official figures
    /// the actas make impossible, a projection with its error, forensic tests.
    Analyze(analyze::Args),
    /// Generate synthetic data.
    Generate {
        #[command(subcommand)]
        what: GenerateCommand,
    },
    /// List the imported files and what was rejected from them.
    Sources,
    /// Write what veedor publishes as static files.
    Export {
        #[command(subcommand)]
        what: ExportCommand,
    },
    /// Check a mirror (a folder or a URL) against the log's public key.
    Verify {
        /// The mirror: a folder, the URL it is served at, or an archive (`FILE.tar`) that
        /// `veedor export site --archive` wrote, read as it is.
        mirror: String,
        /// The log's public key (`veedor key` prints it), obtained from its publisher by a way
        /// other than the mirror.
        #[arg(long)]
        key: String,
        /// An older checkpoint (a file, or the note's text) that this mirror must extend.
        #[arg(long)]
        since: Option<String>,
    },
    /// Serve the public site and the JSON API (and, with --volunteers, the volunteers' desk).
    Serve(serve::ServeArgs),
    /// Set up the 2024 Venezuelan election with its real published results and a synthetic
    /// registry, and show what the actas say. Its data folder is `--data` (default
    /// `veedor-demo`), replaced if it holds an earlier demo, refused if it holds anything else.
    Demo {
        /// The same as `--data`, kept for earlier scripts.
        #[arg(long, hide = true)]
        dir: Option<PathBuf>,
        /// How many acta sheets to render and ingest as scans.
        #[arg(long, default_value_t = 200)]
        sheets: usize,
        /// Where the site is served at the end.
        #[arg(long, default_value = serve::DEFAULT_LISTEN)]
        listen: std::net::SocketAddr,
        /// End after setting up, without serving the site.
        #[arg(long)]
        no_serve: bool,
        /// The shipped election to set up: `ve-2024-presidential` (the default: real results,
        /// rendered acta sheets, volunteers) or `br-2024-ac-example` (Brazil's signed boletins
        /// de urna, TSE's examples).
        #[arg(long, default_value = "ve-2024-presidential")]
        election: String,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a volunteer's account; prints their one-time sign-in code.
    Add {
        /// A pseudonym, never a real name: 1 to 40 letters, digits, `-` or `_`.
        pseudonym: String,
        /// coordinator, typist, uploader or observer.
        #[arg(long)]
        role: String,
    },
    /// Every account, its role and whether it is active.
    List,
    /// Suspend a volunteer: their entries that no one else confirmed stop counting.
    Suspend {
        /// Their pseudonym.
        pseudonym: String,
        /// Why (it goes on the audit log).
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// The election's table list: centre_code,table,registered,state,municipality,parish,centre.
    Tables {
        /// The CSV file.
        file: PathBuf,
    },
    /// A per-acta result file (like RESULTADOS_2024_CSV_V1.csv).
    Results {
        /// The CSV file.
        file: PathBuf,
        /// Let the file's rows establish the tables they name, with the registered voters they
        /// state: for an organisation without an official table list, whose per-table result
        /// file is its record of the tables. Without it (and always once a table list was
        /// imported), a row for a table nothing established waits (F101) and is not counted.
        #[arg(long)]
        defines_tables: bool,
    },
    /// A text file of acta payloads (decoded QR codes), one per line.
    Payloads {
        /// The text file.
        file: PathBuf,
    },
    /// The voter registry: voter_id,centre_code,table (no names). Also computes, once, every
    /// voter's record of a static mirror's lookup (a slow scrypt key a voter, on every core)
    /// and commits to them in the transparency log.
    Registry {
        /// The CSV file.
        file: PathBuf,
        /// What rebuilding the registry from a mirror's lookup costs, per voter id tried:
        /// `strong` (12 lanes of scrypt N=2^14 r=8 p=1: more than a CPU-year for 10^8 ids,
        /// lanes a phone computes on its cores at once), `protective` (one such lane, a twelfth
        /// of the cost), `unprotected` (N=2, for tests and demos: anyone rebuilds the registry
        /// from a mirror in minutes), or `scrypt:LOG_N,R,P[,LANES]`. The import pays it once for
        /// every voter, on every core (docs/mirror.md has the figures).
        #[arg(long, default_value = "strong", value_parser = parse_lookup_cost)]
        lookup_cost: veedor_formats::lookup::LookupKdf,
    },
}

#[derive(Debug, Subcommand)]
enum ExportCommand {
    /// Open data (CSV and JSON per acta copy, per table and per level), the scans by hash, and
    /// the transparency log.
    Data {
        /// Where to write (created if needed; files already there are replaced).
        dir: PathBuf,
    },
    /// The public site as static files (every page in both languages, the JSON twins, a voter
    /// lookup that runs in the browser), with everything `export data` writes: any static host
    /// can serve it, and `veedor verify` checks it.
    Site {
        /// Where to write (created if needed; files already there are replaced). Optional with
        /// `--archive`.
        #[arg(required_unless_present = "archive")]
        dir: Option<PathBuf>,
        /// Leave out the voter lookup (the registry's hashed shards).
        #[arg(long)]
        no_lookup: bool,
        /// `full`: a page per area, table and acta copy, in both languages, with JSON twins.
        /// `compact`: a centre's page holds its tables and acta copies, no JSON twins, larger
        /// lookup shards, one language unless `--lang` names both (docs/mirror.md).
        #[arg(long, value_enum, default_value_t = SiteProfile::Full)]
        profile: SiteProfile,
        /// The languages to publish (`es`, `en`; repeat or separate by commas). Default: both in
        /// the full profile, `es` in the compact one.
        #[arg(long, value_delimiter = ',')]
        lang: Vec<String>,
        /// Leave out the scans and their small copies (acta pages still give each scan's SHA-256).
        #[arg(long)]
        no_scans: bool,
        /// Also write the mirror as one uncompressed tar file (deterministic: sorted entries,
        /// fixed times and owners), which `tar -x` unpacks and `veedor verify FILE.tar` checks.
        #[arg(long)]
        archive: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum GenerateCommand {
    /// A synthetic country for scale runs: `election.toml` and `results.csv` (one row a table,
    /// defining the tables) in a folder; made up, deterministic for a seed. The default is the
    /// size of Indonesia's 2024 election.
    Election {
        /// Polling tables.
        #[arg(long, default_value_t = 820_000)]
        tables: u64,
        /// Registered voters in all.
        #[arg(long, default_value_t = 204_000_000)]
        voters: u64,
        /// Chooses sizes and votes.
        #[arg(long, default_value_t = 2024)]
        seed: u64,
        /// The folder to write into.
        #[arg(long, short)]
        output: PathBuf,
    },
    /// A synthetic registry (CSV) over the store's tables, in proportion to their registered
    /// voters.
    Registry {
        /// How many voters (default: the tables' registered voters).
        #[arg(long)]
        voters: Option<u64>,
        /// Chooses the ids.
        #[arg(long, default_value_t = 2024)]
        seed: u64,
        /// Where to write (standard output if absent).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Rendered acta sheets, as scanners and phones produce them, for tables whose result-file
    /// row is in the store (they say what those rows say).
    Sheets {
        /// How many.
        #[arg(long, default_value_t = 200)]
        count: usize,
        /// Where to write them.
        #[arg(long, short)]
        output: PathBuf,
        /// A capture condition (dpi150, rot90, stamp, phone, ...) or `all` to cycle through
        /// every one.
        #[arg(long, default_value = "all")]
        condition: String,
        /// Chooses the degradations.
        #[arg(long, default_value_t = 2024)]
        seed: u64,
        /// Write PDF files (one JPEG page each, as scanners do) instead of JPEG files.
        #[arg(long)]
        pdf: bool,
    },
}

/// `veedor export site --profile`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum SiteProfile {
    Full,
    Compact,
}

/// The manifest of `veedor export site`: the profile, the languages of `--lang` (by default both
/// in the full profile, the root language in the compact one) and whether scans are included.
fn site_manifest(
    profile: SiteProfile,
    languages: &[String],
    scans: bool,
) -> anyhow::Result<veedor_web::site::Manifest> {
    use anyhow::Context as _;
    use veedor_web::i18n::Lang;
    use veedor_web::site::{Manifest, Profile, ROOT_LANG};
    let profile = match profile {
        SiteProfile::Full => Profile::Full,
        SiteProfile::Compact => Profile::Compact,
    };
    let mut chosen = Vec::new();
    for tag in languages {
        let lang =
            Lang::parse(tag.trim()).with_context(|| format!("--lang {tag}: expected es or en"))?;
        chosen.push(lang);
    }
    if chosen.is_empty() && profile == Profile::Compact {
        chosen.push(ROOT_LANG);
    }
    Ok(Manifest::new(profile, &chosen, scans))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum LookupFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum TallyFormat {
    Table,
    Csv,
    Json,
}

/// The data folder when none is given.
const DEFAULT_DATA: &str = "veedor-data";
/// The demo's, when none is given.
const DEFAULT_DEMO_DATA: &str = "veedor-demo";

fn run(cli: Cli) -> anyhow::Result<u8> {
    let context = Context::new(
        cli.data
            .as_deref()
            .unwrap_or_else(|| std::path::Path::new(DEFAULT_DATA)),
    )
    .with_blobs(cli.blobs.clone());
    match cli.command {
        Command::Init { election, origin } => context::init(&context, &election, origin.as_deref()),
        Command::Key => context::key(&context),
        Command::Import { what } => match what {
            ImportCommand::Tables { file } => import::tables(&context, &file),
            ImportCommand::Results {
                file,
                defines_tables,
            } => import::results(&context, &file, defines_tables),
            ImportCommand::Payloads { file } => import::payloads(&context, &file),
            ImportCommand::Registry { file, lookup_cost } => {
                import::registry(&context, &file, lookup_cost)
            }
        },
        Command::Ingest {
            paths,
            watch,
            device,
            volunteer,
            settle_ms,
        } => {
            let options = ingest::Options::new(device, volunteer.as_deref(), settle_ms)?;
            match watch {
                Some(dir) => ingest::watch(&context, &dir, &options),
                None => ingest::run(&context, &paths, &options),
            }
        }
        Command::Queue => ingest::queue(&context),
        Command::User { command } => match command {
            UserCommand::Add { pseudonym, role } => user::add(&context, &pseudonym, &role),
            UserCommand::List => user::list(&context),
            UserCommand::Suspend { pseudonym, reason } => {
                user::suspend(&context, &pseudonym, &reason)
            }
        },
        Command::Resolve { task, options } => user::resolve(&context, task, &options),
        Command::Decide(options) => decide::decide(&context, &options),
        Command::Conflicts { all } => decide::conflicts(&context, all),
        Command::Audit { actor, action } => {
            user::audit(&context, actor.as_deref(), action.as_deref())
        }
        Command::Lookup { voter_id, format } => {
            show::lookup(&context, &voter_id, format == LookupFormat::Json)
        }
        Command::Tally {
            level,
            code,
            format,
        } => show::tally(&context, &level, code.as_deref(), format),
        Command::Analyze(args) => analyze::run(&context, &args),
        Command::Generate { what } => match what {
            GenerateCommand::Election {
                tables,
                voters,
                seed,
                output,
            } => generate_country::election(tables, voters, seed, &output),
            GenerateCommand::Registry {
                voters,
                seed,
                output,
            } => generate::registry(&context, voters, seed, output.as_deref()),
            GenerateCommand::Sheets {
                count,
                output,
                condition,
                seed,
                pdf,
            } => generate::sheets(&context, count, &output, &condition, seed, pdf),
        },
        Command::Sources => show::sources(&context),
        Command::Export { what } => match what {
            ExportCommand::Data { dir } => export::data(&context, &dir),
            ExportCommand::Site {
                dir,
                no_lookup,
                profile,
                lang,
                no_scans,
                archive,
            } => export_site::site(
                &context,
                dir.as_deref(),
                &export_site::SiteOptions {
                    lookup: !no_lookup,
                    manifest: site_manifest(profile, &lang, !no_scans)?,
                    archive,
                },
            ),
        },
        Command::Verify { mirror, key, since } => verify::run(&mirror, &key, since.as_deref()),
        Command::Demo {
            dir,
            sheets,
            listen,
            no_serve,
            election,
        } => run_demo(
            demo_folder(cli.data, dir, cli.blobs.as_deref())?,
            demo::DemoOptions {
                sheets,
                serve: (!no_serve).then_some(listen),
            },
            &election,
        ),
        Command::Serve(args) => serve::run(&context, &args),
    }
}

/// `veedor demo`: the shipped election asked for, in a folder (never a database).
fn run_demo(folder: PathBuf, options: demo::DemoOptions, election: &str) -> anyhow::Result<u8> {
    if matches!(
        open::Location::parse(&folder),
        open::Location::Postgres { .. }
    ) {
        anyhow::bail!(
            "the demo makes a data folder of its own: give --data a folder, not a database URL"
        );
    }
    match election {
        "ve-2024-presidential" => demo::run(&folder, &options),
        demo_br::ELECTION => demo_br::run(&folder, &options),
        other => anyhow::bail!(
            "--election {other}: the demo sets up `ve-2024-presidential` or `{}`",
            demo_br::ELECTION
        ),
    }
}

/// The demo's folder: `--data` (or `VEEDOR_DATA`), or `--dir`, or the default; refused when
/// both name different folders.
fn demo_folder(
    data: Option<PathBuf>,
    dir: Option<PathBuf>,
    blobs: Option<&str>,
) -> anyhow::Result<PathBuf> {
    if let Some(blobs) = blobs {
        anyhow::bail!(
            "--blobs {blobs}: the demo keeps its scans in its own data folder; leave --blobs out"
        );
    }
    match (data, dir) {
        (Some(data), Some(dir)) if data != dir => anyhow::bail!(
            "--data {} and --dir {} name two folders for the demo: give one",
            data.display(),
            dir.display()
        ),
        (Some(folder), _) | (None, Some(folder)) => Ok(folder),
        (None, None) => Ok(PathBuf::from(DEFAULT_DEMO_DATA)),
    }
}

/// Whether an error is a closed standard output (`veedor tally | head -1`): a normal end, as
/// for ripgrep, not a failure.
fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VEEDOR_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(error) if is_broken_pipe(&error) => ExitCode::from(exit::OK),
        Err(error) => {
            errln!("error: {error:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}

/// `--lookup-cost`: a named level or `scrypt:LOG_N,R,P[,LANES]`.
fn parse_lookup_cost(text: &str) -> Result<veedor_formats::lookup::LookupKdf, String> {
    veedor_formats::lookup::LookupKdf::parse(text)
}
