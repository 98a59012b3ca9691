//! `veedor tally`, `veedor lookup` and `veedor sources`: read the store, compute, print.

use std::fmt::Write as _;

use anyhow::{Context as _, bail};
use veedor_core::{Results, VoterId};
use veedor_store::Store;
use veedor_web::api::{self, AreaTally, LookupDocument, TallyDocument, TallyScope};

use crate::context::Context;
use crate::{TallyFormat, exit};

/// Loads everything and computes the results.
pub fn load_results(store: &dyn Store) -> anyhow::Result<Results> {
    Ok(Results::compute(store.load_dataset()?))
}

/// `1234567` -> `1,234,567`.
pub fn thousands(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Resolves `--level` and `--code` to a scope.
pub fn scope(results: &Results, level: &str, code: Option<&str>) -> anyhow::Result<TallyScope> {
    let geography = &results.election().geography;
    let level_index = geography.level_index(level)?;
    Ok(match (level_index, code) {
        (None, None) => TallyScope::National,
        (None, Some(_)) => bail!("--code needs a --level other than national"),
        (Some(index), None) => TallyScope::Level(index),
        (Some(index), Some(code)) => TallyScope::Area(geography.parse_area(index, code)?),
    })
}

/// The national tally with the latest bulletin, as people read it.
pub fn render_area(area: &AreaTally, out: &mut String) {
    let title = match (area.area.level.as_str(), &area.area.name) {
        ("national", _) => "National".to_owned(),
        (level, Some(name)) => format!("{level} {} {name}", area.area.code),
        (level, None) => format!("{level} {}", area.area.code),
    };
    let coverage = &area.coverage;
    let part = |counted: u64, expected: Option<u64>, percent: Option<f64>, what: &str| match (
        expected, percent,
    ) {
        (Some(expected), Some(percent)) => format!(
            "{} of {} {what} ({percent:.1}%)",
            thousands(counted),
            thousands(expected)
        ),
        _ => format!(
            "{} {what}, of an unknown number expected (nothing declares it)",
            thousands(counted)
        ),
    };
    let _ = writeln!(
        out,
        "{title}: {} counted, holding {}",
        part(
            coverage.tables_counted,
            coverage.tables_expected,
            coverage.tables_percent,
            "tables"
        ),
        part(
            coverage.registered_counted,
            coverage.registered_expected,
            coverage.registered_percent,
            "registered voters"
        ),
    );
    let status = &area.tables_by_status;
    let _ = writeln!(
        out,
        "  tables: {} accepted, {} corroborated, {} decided, {} in conflict, {} awaiting a person, {} missing{}",
        thousands(status.accepted),
        thousands(status.corroborated),
        thousands(status.decided),
        thousands(status.conflict),
        thousands(status.awaiting_person),
        thousands(status.missing),
        if coverage.tables_expected.is_none() {
            " (among the known tables; the expected total is unknown)"
        } else {
            ""
        },
    );
    let latest = area.official.last();
    let mut candidates: Vec<_> = area.candidates.iter().collect();
    candidates.sort_by_key(|c| std::cmp::Reverse(c.votes));
    let _ = write!(out, "  {:<22} {:>12} {:>8}", "candidate", "actas", "%");
    if let Some(official) = latest {
        let _ = write!(out, "   {:>12} {:>8} {:>9}", official.id, "%", "diff pts");
    }
    out.push('\n');
    let mut named_official = std::collections::HashSet::new();
    for candidate in candidates {
        let _ = write!(
            out,
            "  {:<22} {:>12} {:>7.2}%",
            candidate.name,
            thousands(candidate.votes),
            candidate.percent
        );
        if let Some(row) = latest.and_then(|o| {
            o.rows
                .iter()
                .find(|r| r.candidate.as_ref() == Some(&candidate.id))
        }) {
            named_official.insert(candidate.id.clone());
            let _ = write!(
                out,
                "   {:>12} {:>7.2}% {:>+9.2}",
                thousands(row.official_votes),
                row.official_percent,
                row.difference_points
            );
        }
        out.push('\n');
    }
    if let Some(others) = latest.and_then(|o| o.rows.iter().find(|r| r.candidate.is_none())) {
        let _ = writeln!(
            out,
            "  {:<22} {:>12} {:>7.2}%   {:>12} {:>7.2}% {:>+9.2}",
            "(the others together)",
            thousands(others.actas_votes),
            others.actas_percent,
            thousands(others.official_votes),
            others.official_percent,
            others.difference_points
        );
    }
    let _ = writeln!(
        out,
        "  valid votes {}, null votes {}",
        thousands(area.valid_votes),
        thousands(area.null_votes)
    );
    if let Some(official) = latest {
        let _ = writeln!(
            out,
            "  {}: {} of {}, {} valid votes",
            official.id,
            official.title,
            official.date,
            thousands(official.valid_votes),
        );
    }
}

/// A text as a CSV field: formula-like text neutralised as in open data
/// (`veedor_web::opendata::csv_text`), then quoted when it needs to be.
fn csv_field(text: &str) -> String {
    let text = veedor_web::opendata::csv_text(text);
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.into_owned()
    }
}

/// A figure, or an empty field when unknown.
fn optional(value: Option<u64>) -> String {
    value.map_or_else(String::new, |value| value.to_string())
}

/// The tally as CSV: one row per area.
pub fn render_csv(document: &TallyDocument) -> String {
    let mut out = String::new();
    let first = document.areas.first();
    let mut header = vec![
        "level",
        "code",
        "name",
        "tables_expected",
        "tables_counted",
        "registered_expected",
        "registered_counted",
        "valid_votes",
        "null_votes",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect::<Vec<_>>();
    if let Some(area) = first {
        header.extend(area.candidates.iter().map(|c| format!("votes_{}", c.id)));
        header.extend(area.candidates.iter().map(|c| format!("percent_{}", c.id)));
    }
    out.push_str(&header.join(","));
    out.push('\n');
    for area in &document.areas {
        let mut fields = vec![
            area.area.level.clone(),
            area.area.code.clone(),
            csv_field(area.area.name.as_deref().unwrap_or("")),
            optional(area.coverage.tables_expected),
            area.coverage.tables_counted.to_string(),
            optional(area.coverage.registered_expected),
            area.coverage.registered_counted.to_string(),
            area.valid_votes.to_string(),
            area.null_votes.to_string(),
        ];
        fields.extend(area.candidates.iter().map(|c| c.votes.to_string()));
        fields.extend(area.candidates.iter().map(|c| format!("{:.4}", c.percent)));
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

/// `veedor tally`.
pub fn tally(
    context: &Context,
    level: &str,
    code: Option<&str>,
    format: TallyFormat,
) -> anyhow::Result<u8> {
    let store = context.open()?.store;
    let results = load_results(&*store)?;
    let scope = scope(&results, level, code)?;
    let Some(document) = api::tally_document(&results, scope, "en") else {
        bail!(
            "no table of this election lies in {level} {}",
            code.unwrap_or("")
        );
    };
    match format {
        TallyFormat::Json => outln!("{}", serde_json::to_string_pretty(&document)?),
        TallyFormat::Csv => out!("{}", render_csv(&document)),
        TallyFormat::Table => {
            let mut out = format!("{} ({})\n", document.election.title, document.election.id);
            for area in &document.areas {
                render_area(area, &mut out);
            }
            out!("{out}");
        }
    }
    Ok(exit::OK)
}

/// Looks a voter up: the registry, then the table's state.
pub fn lookup_document(
    store: &dyn Store,
    results: &Results,
    voter: VoterId,
) -> anyhow::Result<LookupDocument> {
    let table = store
        .lookup_voter(voter)?
        .and_then(|key| results.table_by_key(key));
    Ok(api::lookup_document(results, voter, table, "en"))
}

fn render_lookup(document: &LookupDocument) -> String {
    let mut out = String::new();
    let Some(table) = &document.table else {
        let _ = writeln!(
            out,
            "Voter {} is not in the registry of {}.",
            document.voter_id, document.election.id
        );
        return out;
    };
    let _ = writeln!(
        out,
        "Voter {} votes at table {} of centre {}.",
        document.voter_id, table.number, table.centre_code
    );
    for area in &table.areas {
        let _ = writeln!(
            out,
            "  {:<13} {:<10} {}",
            area.level,
            area.code,
            area.name.as_deref().unwrap_or("(name not known)")
        );
    }
    let _ = writeln!(
        out,
        "  table {}: {} registered voters; status: {}{}",
        table.id,
        table
            .registered
            .map_or_else(|| "unknown".to_owned(), |r| thousands(u64::from(r))),
        table.status.replace('_', " "),
        if table.counted {
            " (counted)"
        } else {
            " (not counted)"
        }
    );
    if let Some(decision) = &table.decision {
        let kept: Vec<String> = decision
            .kept_copies
            .iter()
            .map(|id| format!("#{id}"))
            .collect();
        let _ = writeln!(
            out,
            "  decision by {} at {}: counts copy {}{}; reason: {}",
            decision.coordinator,
            decision.decided_at,
            kept.join(", "),
            if decision.in_force {
                ""
            } else {
                " (a copy received since disagrees: it no longer covers the table)"
            },
            crate::out::terminal_safe(&decision.reason)
        );
    }
    if let Some(result) = &table.result {
        let mut candidates: Vec<_> = result.candidates.iter().collect();
        candidates.sort_by_key(|c| std::cmp::Reverse(c.votes));
        for candidate in candidates {
            let _ = writeln!(
                out,
                "    {:<22} {:>6} {:>7.2}%",
                candidate.name, candidate.votes, candidate.percent
            );
        }
        let _ = writeln!(
            out,
            "    valid {}, null {}",
            result.valid_votes, result.null_votes
        );
    }
    let _ = writeln!(out, "  copies of its acta: {}", table.copies.len());
    for copy in &table.copies {
        let provenance = &copy.provenance;
        let _ = writeln!(
            out,
            "    #{} from {} ({} {} of {}, sha256 {}), received {}",
            copy.id,
            provenance.source,
            provenance.location_kind,
            provenance.location,
            provenance.file_name,
            &provenance.file_sha256[..12],
            provenance.received_at
        );
        let votes: Vec<String> = copy.candidate_votes.iter().map(u64::to_string).collect();
        let _ = writeln!(
            out,
            "      votes per candidate: {}; null {}",
            votes.join(" "),
            copy.null_votes
                .map_or_else(|| "not given".to_owned(), |n| n.to_string())
        );
        for finding in &copy.findings {
            let _ = writeln!(
                out,
                "      {} {}: {}",
                finding.code,
                finding.name.replace('_', " "),
                finding.detail
            );
        }
    }
    out
}

/// `veedor lookup`.
pub fn lookup(context: &Context, voter: &str, json: bool) -> anyhow::Result<u8> {
    let store = context.open()?.store;
    let election = store.election()?;
    let voter = VoterId::parse(voter, &election.voter_id_prefixes)?;
    if store.registry_info()?.is_none() {
        bail!("no voter registry imported yet: veedor import registry FILE");
    }
    let results = load_results(&*store)?;
    let document = lookup_document(&*store, &results, voter)?;
    if json {
        outln!("{}", serde_json::to_string_pretty(&document)?);
    } else {
        out!("{}", render_lookup(&document));
    }
    Ok(if document.found {
        exit::OK
    } else {
        exit::NOT_FOUND
    })
}

/// `veedor sources`.
pub fn sources(context: &Context) -> anyhow::Result<u8> {
    let store = context.open()?.store;
    for stored in store.sources().context("listing sources")? {
        let source = &stored.source;
        outln!(
            "{} {:<9} {} ({} bytes, sha256 {}){}",
            source.received_at,
            source.kind.as_str(),
            source.file_name,
            source.size,
            source.sha256,
            if stored.rejections.is_empty() {
                String::new()
            } else {
                format!(", {} rejected:", stored.rejections.len())
            }
        );
        for rejection in &stored.rejections {
            outln!("    {}: {}", rejection.location, rejection.message);
        }
    }
    if let Some(info) = store.registry_info()? {
        outln!(
            "registry: {} voters from {}",
            thousands(info.voters),
            info.source.file_name
        );
    }
    Ok(exit::OK)
}
