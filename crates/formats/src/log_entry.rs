//! The transparency log's entry for one acta copy (`veedor/acta-copy/2`): UTF-8 text, one
//! `key: value` line per field in a fixed order, so that anyone can read an entry and anyone can
//! re-create it from the published data files. Documented in `docs/ledger.md`.
//!
//! ```text
//! veedor/acta-copy/2
//! election: ve-2024-presidential
//! table: 201301006.01
//! source: qr
//! counts: cells 140,7,10,...
//! null_votes: 0
//! stated_valid_votes: -
//! stated_registered: -
//! format_fields: suffix=1.0001 field4=0
//! file_name: 408106_387187_0096Acta0096.jpg
//! file_sha256: 9f2c...
//! published_sha256: 41d0...
//! location: page 1
//! same_image_as: -
//! received_at: 2026-11-27T01:59:00.013366967Z
//! device: -
//! volunteer: -
//! entered_by: -
//! findings: -
//! ```
//!
//! A value never contains a line break: control characters in file names are replaced by `?`.
//! `-` stands for "not given".
//!
//! Version 2 added `published_sha256` (the scan as published, stripped of its metadata; the
//! original's hash stays in `file_sha256`), `same_image_as` (the earlier copy, as `<file
//! sha256> page N`, whose page image this one repeats) and `entered_by` (the typists, by
//! pseudonym and separated by commas, whose manual entries agreed). Entries of version 1, which
//! lack these lines, are still read: a log written before keeps verifying.
//!
//! A coordinator's decision on a table in conflict (`veedor_core::Decision`) is an entry of its
//! own kind, [`DecisionEntry`] (`veedor/decision/1`), in the same `key: value` form:
//!
//! ```text
//! veedor/decision/1
//! election: ve-2024-presidential
//! table: 201301006.01
//! keep: 9f2c... page 1
//! overruled: 41d0... line 3,77aa... page 2
//! coordinator: chief-1
//! reason: the scan matches the paper the witness kept
//! decided_at: 2026-11-28T10:00:00Z
//! ```

use std::fmt::Write as _;

use veedor_core::{
    ActaRecord, Counts, Decision, EvidenceRef, Finding, FindingCode, Location, MAX_OVERRULED,
    Provenance, Pseudonym, Reason, Sha256, SourceKind, TableId,
};

/// The first line of an acta copy's entry, as written now.
pub const ENTRY_HEADER: &str = "veedor/acta-copy/2";

/// The first line of an acta copy's entry of version 3: version 2 and a `declared_counts` line
/// after `format_fields` (`blank=4 ballots_received=300`), the counts the election file declares
/// for its sheet. Written for a copy that gives any; a copy that gives none is written as
/// version 2, so the log of a sheet that declares no counts is what it was.
pub const ENTRY_HEADER_V3: &str = "veedor/acta-copy/3";

/// The first line of an acta copy's entry of version 1 (read, never written).
pub const ENTRY_HEADER_V1: &str = "veedor/acta-copy/1";

/// The first line of the log's first entry, which holds the election definition verbatim, so
/// that a mirror's reader knows the ballot (which card counts for whom) from the log itself.
pub const ELECTION_HEADER: &str = "veedor/election/1";

/// The most bytes an entry may have: a C2SP tlog-tiles entry bundle prefixes each entry with
/// its length as a big-endian uint16, so a longer entry could be stored but never published
/// (`veedor-ledger` refuses it when it writes the bundles). What goes into an entry is bounded
/// at the door: the election definition by [`MAX_ELECTION_DEFINITION_BYTES`], a copy's free
/// texts (device, file name) by [`crate::limits::NAME_CHARS`] and its counts by the ballot.
pub const MAX_ENTRY_BYTES: usize = 65_535;

/// The longest election definition the log's first entry can hold: [`MAX_ENTRY_BYTES`] less
/// the entry's first line ([`ELECTION_HEADER`] and its line break), 65,517 bytes.
pub const MAX_ELECTION_DEFINITION_BYTES: usize = MAX_ENTRY_BYTES - ELECTION_HEADER.len() - 1;

/// The entry that opens every log: the election definition.
#[must_use]
pub fn election_entry(definition: &str) -> Vec<u8> {
    format!("{ELECTION_HEADER}\n{definition}").into_bytes()
}

/// The election definition in the log's first entry.
pub fn parse_election_entry(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|text| text.strip_prefix(ELECTION_HEADER))
        .and_then(|text| text.strip_prefix('\n'))
        .ok_or_else(|| format!("expected an entry starting `{ELECTION_HEADER}`"))
}

const KEYS: [&str; 18] = [
    "election",
    "table",
    "source",
    "counts",
    "null_votes",
    "stated_valid_votes",
    "stated_registered",
    "format_fields",
    "file_name",
    "file_sha256",
    "published_sha256",
    "location",
    "same_image_as",
    "received_at",
    "device",
    "volunteer",
    "entered_by",
    "findings",
];

/// The keys version 2 added; version 1 has the others, in the same order.
const ADDED_IN_V2: [&str; 3] = ["published_sha256", "same_image_as", "entered_by"];

/// The key version 3 added, and the key it follows.
const ADDED_IN_V3: (&str, &str) = ("declared_counts", "format_fields");

/// The keys of an entry of `version`, in order.
fn keys_of(version: u8) -> Vec<&'static str> {
    match version {
        1 => KEYS
            .into_iter()
            .filter(|key| !ADDED_IN_V2.contains(key))
            .collect(),
        2 => KEYS.to_vec(),
        _ => {
            let mut keys = KEYS.to_vec();
            let (added, after) = ADDED_IN_V3;
            let at = keys
                .iter()
                .position(|k| *k == after)
                .map_or(keys.len(), |i| i + 1);
            keys.insert(at, added);
            keys
        }
    }
}

/// An entry's fields as text, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    /// The entry format's version: 3 for a copy with declared counts, 2 for every other entry
    /// written now, 1 for older ones.
    pub version: u8,
    /// (key, value) in the fixed order.
    pub fields: Vec<(String, String)>,
}

fn clean(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if cleaned.is_empty() {
        "-".to_owned()
    } else {
        cleaned
    }
}

fn optional<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

impl LogEntry {
    /// The entry of a copy.
    #[must_use]
    pub fn of_copy(
        election_id: &str,
        centre_digits: u8,
        record: &ActaRecord,
        provenance: &Provenance,
        findings: &[Finding],
    ) -> Self {
        let (kind, values) = match &record.counts {
            Counts::Cells(values) => ("cells", values),
            Counts::Candidates(values) => ("candidates", values),
        };
        let mut counts = String::with_capacity(values.len() * 4 + 12);
        counts.push_str(kind);
        counts.push(' ');
        for (index, value) in values.iter().enumerate() {
            if index > 0 {
                counts.push(',');
            }
            let _ = write!(counts, "{value}");
        }
        let format_fields = record
            .format_fields
            .iter()
            .map(|(key, value)| format!("{}={}", clean(key), clean(value)))
            .collect::<Vec<_>>()
            .join(" ");
        let location = provenance.location.describe();
        let findings = findings
            .iter()
            .map(|f| f.code.code())
            .collect::<Vec<_>>()
            .join(",");
        let values = [
            clean(election_id),
            record.table.display(centre_digits),
            provenance.source.as_str().to_owned(),
            counts,
            optional(record.null_votes),
            optional(record.stated_valid_votes),
            optional(record.stated_registered),
            if format_fields.is_empty() {
                "-".to_owned()
            } else {
                format_fields
            },
            clean(&provenance.file_name),
            provenance.file_sha256.to_hex(),
            optional(provenance.published_sha256.map(|sha| sha.to_hex())),
            location,
            optional(provenance.same_image_as.map(|earlier| earlier.describe())),
            provenance.received_at.to_string(),
            provenance
                .device
                .as_deref()
                .map_or_else(|| "-".to_owned(), clean),
            optional(provenance.volunteer.as_ref().map(|v| v.as_str().to_owned())),
            if provenance.entered_by.is_empty() {
                "-".to_owned()
            } else {
                provenance
                    .entered_by
                    .iter()
                    .map(Pseudonym::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            },
            if findings.is_empty() {
                "-".to_owned()
            } else {
                findings
            },
        ];
        let mut fields: Vec<(String, String)> = KEYS
            .iter()
            .zip(values)
            .map(|(k, v)| ((*k).to_owned(), v))
            .collect();
        let mut version = 2;
        if !record.declared_counts.is_empty() {
            version = 3;
            let (added, after) = ADDED_IN_V3;
            let at = fields
                .iter()
                .position(|(k, _)| k == after)
                .map_or(fields.len(), |i| i + 1);
            let text = record
                .declared_counts
                .iter()
                .map(|(id, value)| format!("{}={value}", clean(id)))
                .collect::<Vec<_>>()
                .join(" ");
            fields.insert(at, (added.to_owned(), text));
        }
        Self { version, fields }
    }

    /// The entry's bytes.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut text = String::with_capacity(512);
        text.push_str(match self.version {
            1 => ENTRY_HEADER_V1,
            2 => ENTRY_HEADER,
            _ => ENTRY_HEADER_V3,
        });
        text.push('\n');
        for (key, value) in &self.fields {
            let _ = writeln!(text, "{key}: {value}");
        }
        text.into_bytes()
    }

    /// Parses an entry's bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let text = std::str::from_utf8(bytes).map_err(|_| "not UTF-8".to_owned())?;
        let mut lines = text.split_terminator('\n');
        let version: u8 = match lines.next() {
            Some(ENTRY_HEADER) => 2,
            Some(ENTRY_HEADER_V3) => 3,
            Some(ENTRY_HEADER_V1) => 1,
            _ => {
                return Err(format!(
                    "expected the first line `{ENTRY_HEADER}` (or `{ENTRY_HEADER_V3}`, \
                     `{ENTRY_HEADER_V1}`)"
                ));
            }
        };
        let keys = keys_of(version);
        let mut fields = Vec::with_capacity(keys.len());
        for (index, line) in lines.enumerate() {
            let expected = keys
                .get(index)
                .ok_or_else(|| format!("line {}: expected the end of the entry", index + 2))?;
            let value = line
                .strip_prefix(expected)
                .and_then(|rest| rest.strip_prefix(": "))
                .ok_or_else(|| format!("line {}: expected `{expected}: ...`", index + 2))?;
            fields.push(((*expected).to_owned(), value.to_owned()));
        }
        if fields.len() != keys.len() || !text.ends_with('\n') {
            return Err(format!(
                "expected {} fields, found {}",
                keys.len(),
                fields.len()
            ));
        }
        Ok(Self { version, fields })
    }

    /// What the entry says, as the domain's types: the record, its provenance and its findings'
    /// codes (details are not logged).
    pub fn to_copy(
        &self,
        centre_digits: u8,
    ) -> Result<(ActaRecord, Provenance, Vec<FindingCode>), String> {
        let field = |key: &str| self.get(key).ok_or_else(|| format!("no `{key}`"));
        let number = |key: &str| -> Result<Option<u32>, String> {
            match field(key)? {
                "-" => Ok(None),
                text => text
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("`{key}`: `{text}` is not a count")),
            }
        };
        let (kind, values) = field("counts")?
            .split_once(' ')
            .ok_or("`counts`: expected a kind and the counts")?;
        let values = if values.is_empty() {
            Vec::new()
        } else {
            values
                .split(',')
                .map(|v| {
                    v.parse::<u32>()
                        .map_err(|_| format!("`counts`: `{v}` is not a count"))
                })
                .collect::<Result<Vec<_>, _>>()?
        };
        let counts = match kind {
            "cells" => Counts::Cells(values),
            "candidates" => Counts::Candidates(values),
            other => return Err(format!("`counts`: unknown kind `{other}`")),
        };
        let location = Location::parse(field("location")?)
            .ok_or("`location`: expected `line N` or `page N`")?;
        // Version 1 has neither line: `-`, not given.
        let published_sha256 = match self.get("published_sha256").unwrap_or("-") {
            "-" => None,
            hex => Some(Sha256::from_hex(hex).map_err(|e| format!("`published_sha256`: {e}"))?),
        };
        let same_image_as = match self.get("same_image_as").unwrap_or("-") {
            "-" => None,
            text => Some(
                EvidenceRef::parse(text).ok_or("`same_image_as`: expected `<sha256> page N`")?,
            ),
        };
        let format_fields = match field("format_fields")? {
            "-" => Vec::new(),
            text => text
                .split(' ')
                .map(|pair| {
                    pair.split_once('=')
                        .map(|(k, v)| (k.to_owned(), v.to_owned()))
                        .ok_or_else(|| format!("`format_fields`: `{pair}`"))
                })
                .collect::<Result<_, _>>()?,
        };
        let declared_counts = match self.get(ADDED_IN_V3.0).unwrap_or("-") {
            "-" | "" => Vec::new(),
            text => text
                .split(' ')
                .map(|pair| {
                    let parsed = pair
                        .split_once('=')
                        .and_then(|(k, v)| Some((k.to_owned(), v.parse::<u32>().ok()?)));
                    parsed.ok_or_else(|| {
                        format!("`declared_counts`: `{pair}`, expected `<count id>=<whole number>`")
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        let optional_text = |key: &str| -> Result<Option<String>, String> {
            Ok(match field(key)? {
                "-" => None,
                text => Some(text.to_owned()),
            })
        };
        let record = ActaRecord {
            table: TableId::parse(field("table")?, centre_digits).map_err(|e| e.to_string())?,
            counts,
            null_votes: number("null_votes")?,
            stated_valid_votes: number("stated_valid_votes")?,
            stated_registered: number("stated_registered")?,
            format_fields,
            declared_counts,
        };
        let provenance = Provenance {
            source: SourceKind::parse(field("source")?).ok_or("`source`: unknown")?,
            file_name: field("file_name")?.to_owned(),
            file_sha256: Sha256::from_hex(field("file_sha256")?).map_err(|e| e.to_string())?,
            location,
            published_sha256,
            same_image_as,
            received_at: field("received_at")?
                .parse()
                .map_err(|_| "`received_at`: not an RFC 3339 time")?,
            device: optional_text("device")?,
            volunteer: optional_text("volunteer")?
                .map(|v| Pseudonym::new(&v).map_err(|e| e.to_string()))
                .transpose()?,
            entered_by: match self.get("entered_by").unwrap_or("-") {
                "-" => Vec::new(),
                text => text
                    .split(',')
                    .map(|p| Pseudonym::new(p).map_err(|e| format!("`entered_by`: {e}")))
                    .collect::<Result<_, _>>()?,
            },
        };
        let findings = match field("findings")? {
            "-" => Vec::new(),
            text => text
                .split(',')
                .map(|code| FindingCode::parse(code).ok_or_else(|| format!("`findings`: `{code}`")))
                .collect::<Result<_, _>>()?,
        };
        Ok((record, provenance, findings))
    }

    /// The value of a field.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The first line of a decision's entry.
pub const DECISION_HEADER: &str = "veedor/decision/1";

const DECISION_KEYS: [&str; 7] = [
    "election",
    "table",
    "keep",
    "overruled",
    "coordinator",
    "reason",
    "decided_at",
];

/// A coordinator's decision as the log holds it: the election's id and the decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecisionEntry {
    /// The election's id.
    pub election: String,
    /// The decision (its `log_index` is not in the entry: it is the entry's place in the log).
    pub decision: Decision,
}

impl DecisionEntry {
    /// Whether `bytes` is a decision's entry (its first line), to tell it from an acta copy's.
    #[must_use]
    pub fn is_one(bytes: &[u8]) -> bool {
        bytes.starts_with(DECISION_HEADER.as_bytes())
            && bytes.get(DECISION_HEADER.len()) == Some(&b'\n')
    }

    /// The entry's bytes; `centre_digits` writes the table id as the acta's entry does.
    #[must_use]
    pub fn encode(&self, centre_digits: u8) -> Vec<u8> {
        let decision = &self.decision;
        let overruled = if decision.overruled.is_empty() {
            "-".to_owned()
        } else {
            decision
                .overruled
                .iter()
                .map(EvidenceRef::describe)
                .collect::<Vec<_>>()
                .join(",")
        };
        let values = [
            clean(&self.election),
            decision.table.display(centre_digits),
            decision.keep.describe(),
            overruled,
            decision.coordinator.as_str().to_owned(),
            // A reason has no control character (`Reason::new`); `clean` keeps it so anyway.
            clean(decision.reason.as_str()),
            decision.decided_at.to_string(),
        ];
        let mut text = format!("{DECISION_HEADER}\n");
        for (key, value) in DECISION_KEYS.iter().zip(values) {
            let _ = writeln!(text, "{key}: {value}");
        }
        text.into_bytes()
    }

    /// Parses an entry's bytes; the error names the line or field and what was expected.
    pub fn parse(bytes: &[u8], centre_digits: u8) -> Result<Self, String> {
        let (text, values) = crate::text::keyed_lines(bytes, DECISION_HEADER, &DECISION_KEYS)?;
        if let Some((key, _)) = DECISION_KEYS
            .iter()
            .zip(values)
            .find(|(_, value)| value.contains(char::is_control))
        {
            return Err(format!(
                "`{key}`: a control character, which no entry holds"
            ));
        }
        let [
            election,
            table,
            keep,
            overruled,
            coordinator,
            reason,
            decided_at,
        ] = &values;
        if !text.ends_with('\n') {
            return Err("expected a line break after the last field".to_owned());
        }
        if reason.trim() != *reason {
            return Err("`reason`: spaces around it, which no entry holds".to_owned());
        }
        let evidence = |key: &str, text: &str| {
            EvidenceRef::parse(text).ok_or_else(|| {
                format!("`{key}`: `{text}`, expected `<sha256> page N` or `<sha256> line N`")
            })
        };
        let overruled = match *overruled {
            "-" => Vec::new(),
            list => list
                .split(',')
                .map(|item| evidence("overruled", item))
                .collect::<Result<Vec<_>, _>>()?,
        };
        if overruled.len() > MAX_OVERRULED {
            return Err(format!(
                "`overruled`: {} copies, at most {MAX_OVERRULED}",
                overruled.len()
            ));
        }
        Ok(Self {
            election: (*election).to_owned(),
            decision: Decision {
                table: TableId::parse(table, centre_digits)
                    .map_err(|error| format!("`table`: {error}"))?,
                keep: evidence("keep", keep)?,
                overruled,
                coordinator: Pseudonym::new(coordinator)
                    .map_err(|error| format!("`coordinator`: {error}"))?,
                reason: Reason::new(reason).map_err(|error| format!("`reason`: {error}"))?,
                decided_at: decided_at
                    .parse()
                    .map_err(|_| format!("`decided_at`: `{decided_at}` is not an RFC 3339 time"))?,
                log_index: None,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use veedor_core::{CentreCode, TableNumber, Timestamp};

    use super::*;

    #[test]
    fn entries_round_trip_and_read_as_documented() {
        let record = ActaRecord {
            table: TableId::new(CentreCode::new(10_113_042), TableNumber::new(2)),
            counts: Counts::Candidates(vec![260, 93, 5]),
            null_votes: None,
            stated_valid_votes: Some(358),
            stated_registered: Some(673),
            format_fields: vec![("suffix".to_owned(), "1.0001".to_owned())],
            declared_counts: vec![("blank".to_owned(), 4), ("spoiled".to_owned(), 0)],
        };
        let provenance = Provenance {
            source: SourceKind::CsvImport,
            file_name: "bad\nname.csv".to_owned(),
            file_sha256: Sha256::from_bytes([0xab; 32]),
            location: Location::Line(3),
            received_at: Timestamp::UNIX_EPOCH,
            device: None,
            volunteer: Pseudonym::new("owl-7").ok(),
            published_sha256: Some(Sha256::from_bytes([0xcd; 32])),
            same_image_as: Some(EvidenceRef {
                file_sha256: Sha256::from_bytes([0x01; 32]),
                location: Location::Page(2),
            }),
            entered_by: vec![
                Pseudonym::new("ana").unwrap_or_else(|e| panic!("{e}")),
                Pseudonym::new("beto").unwrap_or_else(|e| panic!("{e}")),
            ],
        };
        let findings = [Finding {
            code: FindingCode::NoVotes,
            detail: "x".to_owned(),
        }];
        let entry = LogEntry::of_copy("ve-2024-presidential", 9, &record, &provenance, &findings);
        let bytes = entry.encode();
        let text = String::from_utf8(bytes.clone()).unwrap_or_default();
        assert!(text.starts_with(
            "veedor/acta-copy/3\nelection: ve-2024-presidential\ntable: 010113042.02\n"
        ));
        assert!(
            text.contains("\nformat_fields: suffix=1.0001\ndeclared_counts: blank=4 spoiled=0\n")
        );
        assert!(
            text.contains(
                "\ncounts: candidates 260,93,5\nnull_votes: -\nstated_valid_votes: 358\n"
            )
        );
        assert!(text.contains("\nfile_name: bad?name.csv\n"));
        assert!(text.contains(&format!(
            "\npublished_sha256: {}\nlocation: line 3\nsame_image_as: {} page 2\n",
            "cd".repeat(32),
            "01".repeat(32)
        )));
        assert!(text.contains("\nvolunteer: owl-7\nentered_by: ana,beto\nfindings: W202\n"));
        assert_eq!(LogEntry::parse(&bytes).as_ref(), Ok(&entry));
        let (back, mut provenance_back, codes) = entry.to_copy(9).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, record);
        assert_eq!(codes, [FindingCode::NoVotes]);
        provenance_back.file_name = provenance.file_name.clone();
        assert_eq!(provenance_back, provenance);
        assert_eq!(
            parse_election_entry(&election_entry("id = 1\n")),
            Ok("id = 1\n")
        );
        assert!(parse_election_entry(&bytes).is_err());
        assert!(LogEntry::parse(&bytes[..bytes.len() - 1]).is_err());
        assert!(LogEntry::parse(b"hello\n").is_err());
        // A copy without declared counts is written as version 2, as before they existed.
        let plain = ActaRecord {
            declared_counts: Vec::new(),
            ..record
        };
        let entry = LogEntry::of_copy("e", 9, &plain, &provenance, &[]);
        let bytes = entry.encode();
        assert!(bytes.starts_with(b"veedor/acta-copy/2\n"));
        assert!(!String::from_utf8_lossy(&bytes).contains("declared_counts"));
        assert_eq!(entry.to_copy(9).map(|(back, _, _)| back), Ok(plain));
    }

    #[test]
    fn the_longest_definition_fills_an_entry() {
        let definition = "x".repeat(MAX_ELECTION_DEFINITION_BYTES);
        assert_eq!(election_entry(&definition).len(), MAX_ENTRY_BYTES);
        assert_eq!(MAX_ENTRY_BYTES, usize::from(u16::MAX));
    }

    /// An entry written before version 2 still reads, as what it said then.
    #[test]
    fn version_1_entries_still_read() {
        let v1 = format!(
            "veedor/acta-copy/1\nelection: e\ntable: 010113042.02\nsource: qr\n\
             counts: cells 1,2\nnull_votes: 0\nstated_valid_votes: -\nstated_registered: -\n\
             format_fields: -\nfile_name: a.jpg\nfile_sha256: {}\nlocation: page 1\n\
             received_at: 1970-01-01T00:00:00Z\ndevice: -\nvolunteer: -\nfindings: -\n",
            "ab".repeat(32)
        );
        let entry = LogEntry::parse(v1.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(entry.version, 1);
        assert_eq!(entry.encode(), v1.as_bytes());
        let (_, provenance, _) = entry.to_copy(9).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(provenance.published_sha256, None);
        assert_eq!(provenance.same_image_as, None);
        // A version 1 entry with version 2's lines is neither.
        let mixed = v1.replace(
            "location: page 1\n",
            "published_sha256: -\nlocation: page 1\n",
        );
        assert!(LogEntry::parse(mixed.as_bytes()).is_err());
    }

    fn decision_entry() -> DecisionEntry {
        DecisionEntry {
            election: "ve-2024-presidential".to_owned(),
            decision: Decision {
                table: TableId::new(CentreCode::new(201_301_006), TableNumber::new(1)),
                keep: EvidenceRef {
                    file_sha256: Sha256::from_bytes([0xab; 32]),
                    location: Location::Page(2),
                },
                overruled: vec![
                    EvidenceRef {
                        file_sha256: Sha256::from_bytes([0x01; 32]),
                        location: Location::Line(3),
                    },
                    EvidenceRef {
                        file_sha256: Sha256::from_bytes([0x02; 32]),
                        location: Location::Page(1),
                    },
                ],
                coordinator: Pseudonym::new("chief-1").unwrap_or_else(|e| panic!("{e}")),
                reason: Reason::new("the scan matches the paper, é")
                    .unwrap_or_else(|e| panic!("{e}")),
                decided_at: Timestamp::UNIX_EPOCH,
                log_index: None,
            },
        }
    }

    #[test]
    fn decision_entries_round_trip_and_read_as_documented() {
        let entry = decision_entry();
        let bytes = entry.encode(9);
        let text = String::from_utf8(bytes.clone()).unwrap_or_default();
        assert_eq!(
            text,
            format!(
                "veedor/decision/1\nelection: ve-2024-presidential\ntable: 201301006.01\n\
                 keep: {} page 2\noverruled: {} line 3,{} page 1\ncoordinator: chief-1\n\
                 reason: the scan matches the paper, é\ndecided_at: 1970-01-01T00:00:00Z\n",
                "ab".repeat(32),
                "01".repeat(32),
                "02".repeat(32)
            )
        );
        assert!(DecisionEntry::is_one(&bytes));
        assert!(LogEntry::parse(&bytes).is_err());
        assert!(!DecisionEntry::is_one(b"veedor/acta-copy/2\n"));
        assert_eq!(DecisionEntry::parse(&bytes, 9).as_ref(), Ok(&entry));
        // No overruled copy is written `-`.
        let mut none = decision_entry();
        none.decision.overruled.clear();
        let none_bytes = none.encode(9);
        assert!(String::from_utf8_lossy(&none_bytes).contains("\noverruled: -\n"));
        assert_eq!(DecisionEntry::parse(&none_bytes, 9), Ok(none));
    }

    #[test]
    fn malformed_decision_entries_are_refused_with_what_was_expected() {
        let good = String::from_utf8(decision_entry().encode(9)).unwrap_or_default();
        let check = |text: &str, expected: &str| {
            let error = DecisionEntry::parse(text.as_bytes(), 9)
                .err()
                .unwrap_or_default();
            assert!(error.contains(expected), "{text:?}: {error}");
        };
        check(&good[..good.len() - 1], "a line break after the last field");
        check(
            &good.replace("veedor/decision/1", "veedor/decision/2"),
            "the first line",
        );
        check(
            &good.replace("keep: ", "kept: "),
            "line 4: expected `keep: ...`",
        );
        check(&good.replace(" page 2\n", " sheet 2\n"), "`keep`:");
        check(&good.replace("chief-1", "chief 1"), "`coordinator`:");
        check(
            &good.replace("reason: the scan matches the paper, é", "reason: "),
            "`reason`:",
        );
        check(&good.replace("paper,", "paper,\r"), "control character");
        check(
            &good.replace("reason: the", "reason:  the"),
            "spaces around it",
        );
        check(
            &good.replace("1970-01-01T00:00:00Z", "yesterday"),
            "`decided_at`:",
        );
        check(&good.replace("201301006.01", "2013.01.06"), "`table`:");
        check(
            &format!("{good}extra: 1\n"),
            "expected the end of the entry",
        );
        check(
            &good.replace("decided_at: 1970-01-01T00:00:00Z\n", ""),
            "expected 7 fields",
        );
        let many = vec![format!("{} line 1", "01".repeat(32)); MAX_OVERRULED + 1].join(",");
        let overruled_line = good
            .lines()
            .find(|line| line.starts_with("overruled: "))
            .unwrap_or_default()
            .to_owned();
        check(
            &good.replace(&overruled_line, &format!("overruled: {many}")),
            "at most",
        );
        assert!(DecisionEntry::parse(&[0xff, 0xfe], 9).is_err());
    }
}
