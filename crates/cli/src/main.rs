//! `veedor`: the command line. The only place that wires the crates together: it reads files,
//! opens the store, calls the domain and prints.

mod context;
mod demo;
mod generate;
mod import;
mod serve;
mod show;

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
    /// The data folder: veedor.db, blobs/ and registry/.
    #[arg(
        long,
        global = true,
        env = "VEEDOR_DATA",
        default_value = "veedor-data"
    )]
    data: PathBuf,

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
    },
    /// Import a file into the store.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
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
    /// Generate synthetic data.
    Generate {
        #[command(subcommand)]
        what: GenerateCommand,
    },
    /// List the imported files and what was rejected from them.
    Sources,
    /// Serve the public site and the JSON API.
    Serve {
        /// The address to listen on (port 0 picks a free port).
        #[arg(long, default_value = serve::DEFAULT_LISTEN)]
        listen: std::net::SocketAddr,
        /// Voter lookups allowed per client per minute; 0 turns the limit off (benchmarks).
        #[arg(long, default_value_t = 20)]
        lookup_limit: u32,
        /// Behind a reverse proxy: the header naming the client's address (X-Forwarded-For).
        #[arg(long)]
        client_ip_header: Option<String>,
    },
    /// Set up the 2024 Venezuelan election with its real published results and a synthetic
    /// registry, and show what the actas say.
    Demo {
        /// Where to put the demo's data folder (replaced if it holds an earlier demo).
        #[arg(long, default_value = "veedor-demo")]
        dir: PathBuf,
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
    },
    /// A text file of acta payloads (decoded QR codes), one per line.
    Payloads {
        /// The text file.
        file: PathBuf,
    },
    /// The voter registry: voter_id,centre_code,table (no names).
    Registry {
        /// The CSV file.
        file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum GenerateCommand {
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

fn run(cli: Cli) -> anyhow::Result<u8> {
    let context = Context::new(cli.data);
    match cli.command {
        Command::Init { election } => context::init(&context, &election),
        Command::Import { what } => match what {
            ImportCommand::Tables { file } => import::tables(&context, &file),
            ImportCommand::Results { file } => import::results(&context, &file),
            ImportCommand::Payloads { file } => import::payloads(&context, &file),
            ImportCommand::Registry { file } => import::registry(&context, &file),
        },
        Command::Lookup { voter_id, format } => {
            show::lookup(&context, &voter_id, format == LookupFormat::Json)
        }
        Command::Tally {
            level,
            code,
            format,
        } => show::tally(&context, &level, code.as_deref(), format),
        Command::Generate { what } => match what {
            GenerateCommand::Registry {
                voters,
                seed,
                output,
            } => generate::registry(&context, voters, seed, output.as_deref()),
        },
        Command::Sources => show::sources(&context),
        Command::Demo { dir } => demo::run(&dir),
        Command::Serve {
            listen,
            lookup_limit,
            client_ip_header,
        } => serve::run(&context, listen, lookup_limit, client_ip_header.as_deref()),
    }
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
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(exit::ERROR)
        }
    }
}
