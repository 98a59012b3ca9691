//! Grouping QR texts into reports: the hash chain tells which part follows which.

use std::collections::BTreeSet;

use sha2::{Digest as _, Sha512};

use super::verify::{Finding, FindingCode, first_broken_link};
use super::{BuError, BuPart, BuReport, MAX_PAYLOADS, PartNumber};

/// One report found among the QR texts, or why some texts make no report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Assembled {
    /// Every part of a report, in order, with its figures read; check it with
    /// [`super::verify`].
    Report(BuReport),
    /// Texts that make no whole report, with the finding that says why.
    Refused(Refusal),
}

impl Assembled {
    fn first_position(&self) -> usize {
        match self {
            Self::Report(report) => report.positions.iter().copied().min().unwrap_or(0),
            Self::Refused(refusal) => refusal.positions.first().copied().unwrap_or(0),
        }
    }
}

/// QR texts refused: which ones, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// `br-bu.part-missing`, `br-bu.part-conflict`, `br-bu.parts-mixed`,
    /// `br-bu.count-mismatch` or `br-bu.field-malformed`, with a sentence.
    pub finding: Finding,
    /// The texts' positions among those given, from 1, in order.
    pub positions: Vec<usize>,
}

/// A distinct QR text and where it was first given.
struct Entry {
    position: usize,
    part: BuPart,
}

/// Whether `part` continues a chain whose hashed text so far is in `prefix`.
fn continues(prefix: &Sha512, part: &BuPart) -> bool {
    let mut hasher = prefix.clone();
    hasher.update(b" ");
    hasher.update(part.data.as_bytes());
    let digest: [u8; 64] = hasher.finalize().into();
    digest == part.hash
}

fn extend(prefix: &mut Sha512, part: &BuPart, first: bool) {
    if !first {
        prefix.update(b" ");
    }
    prefix.update(part.data.as_bytes());
    prefix.update(b" HASH:");
    prefix.update(part.hash_hex.as_bytes());
}

/// A first part and the parts found to follow it by the chain: `links[k]` are the texts that
/// continue it as part `k + 1` (more than one only when they differ outside the hashed data).
struct Chain {
    links: Vec<Vec<usize>>,
    count: usize,
}

impl Chain {
    fn complete(&self) -> bool {
        self.links.len() == self.count
    }

    fn conflicting(&self) -> bool {
        self.links.iter().any(|texts| texts.len() > 1)
    }

    fn members(&self) -> impl Iterator<Item = usize> + '_ {
        self.links.iter().flatten().copied()
    }
}

fn follow(entries: &[Entry], head: usize) -> Chain {
    let count = entries[head].part.number.count;
    let mut prefix = Sha512::new();
    extend(&mut prefix, &entries[head].part, true);
    let mut links = vec![vec![head]];
    for index in 2..=count {
        let number = PartNumber { index, count };
        let found: Vec<usize> = (0..entries.len())
            .filter(|&entry| {
                entries[entry].part.number == number && continues(&prefix, &entries[entry].part)
            })
            .collect();
        let Some(&next) = found.first() else { break };
        extend(&mut prefix, &entries[next].part, false);
        links.push(found);
    }
    Chain { links, count }
}

/// "AC municipality 1120 zone 8 section 2 (VOTA)", from a first part's data, for messages.
fn label(part: &BuPart) -> String {
    let field = |key: &str| {
        part.data
            .split(' ')
            .find_map(|token| token.strip_prefix(key)?.strip_prefix(':'))
            .unwrap_or("?")
    };
    format!(
        "the report of {} municipality {} zone {} section {} ({})",
        field("UNFE"),
        field("MUNI"),
        field("ZONA"),
        field("SECA"),
        field("ORIG")
    )
}

struct Assembler<'a> {
    entries: &'a [Entry],
    out: Vec<Assembled>,
    /// Complete chains: their count and members, to tell a second version of one of their parts.
    complete: Vec<(usize, Vec<usize>)>,
}

impl Assembler<'_> {
    fn refuse(
        &mut self,
        code: FindingCode,
        message: String,
        texts: impl IntoIterator<Item = usize>,
    ) {
        let positions: BTreeSet<usize> = texts
            .into_iter()
            .map(|entry| self.entries[entry].position)
            .collect();
        self.out.push(Assembled::Refused(Refusal {
            finding: Finding::new(code, message),
            positions: positions.into_iter().collect(),
        }));
    }

    fn report(&mut self, texts: &[usize]) {
        let parts = texts
            .iter()
            .map(|&entry| self.entries[entry].part.clone())
            .collect();
        match BuReport::from_parts(parts) {
            Ok(mut report) => {
                report.positions = texts
                    .iter()
                    .map(|&entry| self.entries[entry].position)
                    .collect();
                self.out.push(Assembled::Report(report));
            }
            Err(error) => {
                let parts: Vec<BuPart> = texts
                    .iter()
                    .map(|&entry| self.entries[entry].part.clone())
                    .collect();
                match first_broken_link(&parts) {
                    Some(broken) => {
                        let message = format!(
                            "{}: HASH is not the SHA-512 of the data up to it (the part was altered or belongs to another report), and the data cannot be read: {error}",
                            parts[broken].number
                        );
                        self.refuse(FindingCode::ChainBroken, message, texts.to_vec());
                    }
                    None => {
                        self.refuse(
                            FindingCode::FieldMalformed,
                            error.to_string(),
                            texts.to_vec(),
                        );
                    }
                }
            }
        }
    }

    fn numbers(&self, texts: &[usize]) -> String {
        texts
            .iter()
            .map(|&entry| {
                let part = &self.entries[entry].part;
                format!("{} (text {})", part.number, self.entries[entry].position)
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// One first part left without its whole chain, and the parts no chain claimed.
    fn single(&mut self, chain: &Chain, loose: &[usize]) {
        let head = &self.entries[chain.links[0][0]].part;
        let count = chain.count;
        let label = label(head);
        let mut texts: Vec<usize> = chain.members().chain(loose.iter().copied()).collect();
        let number = |entry: usize| self.entries[entry].part.number;
        if loose.iter().any(|&entry| number(entry).count != count) {
            let message = format!(
                "{label} has {count} parts by its part 1, but {} say otherwise: expected every part to say `QRBU:i:{count}`",
                self.numbers(
                    &loose
                        .iter()
                        .copied()
                        .filter(|&entry| number(entry).count != count)
                        .collect::<Vec<_>>()
                )
            );
            self.refuse(FindingCode::CountMismatch, message, texts);
            return;
        }
        let found = chain.links.len();
        let mut by_index: Vec<Vec<usize>> = vec![Vec::new(); count];
        for &entry in loose {
            by_index[number(entry).index - 1].push(entry);
        }
        let doubled: Vec<usize> = (0..count)
            .filter(|&index| {
                by_index[index].len() > 1 || (index < found && !by_index[index].is_empty())
            })
            .collect();
        if let Some(&index) = doubled.first() {
            let message = format!(
                "{label}: two different texts for part {} of {count}: expected one (a copy altered, or a part of another report)",
                index + 1
            );
            self.refuse(FindingCode::PartConflict, message, texts);
            return;
        }
        let missing: Vec<String> = (found..count)
            .filter(|&index| by_index[index].is_empty())
            .map(|index| (index + 1).to_string())
            .collect();
        if !missing.is_empty() {
            let message = format!(
                "{label}: part(s) {} of {count} are not among the texts: expected every part; scan the missing code(s)",
                missing.join(", ")
            );
            self.refuse(FindingCode::PartMissing, message, texts);
            return;
        }
        // Every part is there once, but some do not continue the chain: a report with a broken
        // chain, which verify says.
        texts = chain
            .links
            .iter()
            .map(|texts| texts[0])
            .chain(by_index.into_iter().skip(found).flatten())
            .collect();
        self.report(&texts);
    }

    /// Parts no first part claims.
    fn orphans(&mut self, loose: &[usize]) {
        let mut by_count: Vec<(usize, Vec<usize>)> = Vec::new();
        for &entry in loose {
            let number = self.entries[entry].part.number;
            let version_of = self.complete.iter().find_map(|(count, members)| {
                (*count == number.count)
                    .then(|| members.get(number.index - 1).copied())
                    .flatten()
            });
            if let Some(other) = version_of {
                let message = format!(
                    "{} (text {}) differs from the same part of {}, whose chain holds: expected one version of each part (a copy altered, or a part of a report whose part 1 is missing)",
                    number,
                    self.entries[entry].position,
                    label(&self.entries[self.complete_head(other)].part)
                );
                self.refuse(FindingCode::PartConflict, message, [entry]);
                continue;
            }
            match by_count
                .iter_mut()
                .find(|(count, _)| *count == number.count)
            {
                Some((_, texts)) => texts.push(entry),
                None => by_count.push((number.count, vec![entry])),
            }
        }
        for (count, texts) in by_count {
            let message = format!(
                "{}: part 1 of {count} is not among the texts (or was altered), so they belong to no report: expected the report's first part",
                self.numbers(&texts)
            );
            self.refuse(FindingCode::PartMissing, message, texts);
        }
    }

    /// First parts left without their whole chain, and the parts no chain claimed.
    fn leftovers(&mut self, open: &[Chain], loose: &[usize]) {
        match open.len() {
            0 => self.orphans(loose),
            1 => self.single(&open[0], loose),
            _ => {
                let counts: BTreeSet<usize> = open
                    .iter()
                    .map(|chain| chain.count)
                    .chain(
                        loose
                            .iter()
                            .map(|&entry| self.entries[entry].part.number.count),
                    )
                    .collect();
                for count in counts {
                    let chains: Vec<&Chain> =
                        open.iter().filter(|chain| chain.count == count).collect();
                    let parts: Vec<usize> = loose
                        .iter()
                        .copied()
                        .filter(|&entry| self.entries[entry].part.number.count == count)
                        .collect();
                    match chains[..] {
                        [] => self.orphans(&parts),
                        [chain] => self.single(chain, &parts),
                        _ => {
                            let texts: Vec<usize> = chains
                                .iter()
                                .flat_map(|chain| chain.members())
                                .chain(parts)
                                .collect();
                            let message = format!(
                                "{} reports of {count} parts are incomplete and their parts cannot be told apart ({}): expected each report's parts whole; scan each report on its own",
                                chains.len(),
                                self.numbers(&texts)
                            );
                            self.refuse(FindingCode::PartsMixed, message, texts);
                        }
                    }
                }
            }
        }
    }

    fn complete_head(&self, member: usize) -> usize {
        self.complete
            .iter()
            .find(|(_, members)| members.contains(&member))
            .and_then(|(_, members)| members.first().copied())
            .unwrap_or(member)
    }
}

/// Groups QR texts (in any order, repeated or not) into reports, using the hash chain to tell
/// which part follows which. Each report comes back whole, with its figures read (check it
/// with [`super::verify`]); texts that make no whole report come back refused with a finding:
/// a part missing, two versions of a part, parts of several incomplete reports, parts that
/// disagree on `n`, or a data field that cannot be read. A text given twice counts once.
///
/// Fails only on what cannot be placed at all: more than [`MAX_PAYLOADS`] texts, or a text that
/// is not a well-formed BU part (the error says which text, which field, what was expected);
/// keep other QR codes out with [`super::is_bu_payload`].
pub fn assemble(payloads: &[&str]) -> Result<Vec<Assembled>, BuError> {
    if payloads.len() > MAX_PAYLOADS {
        return Err(BuError::TooManyPayloads {
            count: payloads.len(),
        });
    }
    let mut entries: Vec<Entry> = Vec::new();
    for (index, text) in payloads.iter().enumerate() {
        if entries.iter().any(|entry| entry.part.text == *text) {
            continue;
        }
        let part = BuPart::parse(text).map_err(|error| match error {
            BuError::Payload {
                part,
                field,
                problem,
                ..
            } => BuError::Payload {
                position: index + 1,
                part,
                field,
                problem,
            },
            other => other,
        })?;
        entries.push(Entry {
            position: index + 1,
            part,
        });
    }
    let mut assembler = Assembler {
        entries: &entries,
        out: Vec::new(),
        complete: Vec::new(),
    };
    let heads: Vec<usize> = (0..entries.len())
        .filter(|&entry| entries[entry].part.number.index == 1)
        .collect();
    let mut claimed = vec![false; entries.len()];
    let mut open: Vec<Chain> = Vec::new();
    for &head in &heads {
        let twins: Vec<usize> = heads
            .iter()
            .copied()
            .filter(|&other| {
                other != head
                    && entries[other].part.data == entries[head].part.data
                    && entries[other].part.hash == entries[head].part.hash
            })
            .collect();
        if !twins.is_empty() {
            if twins.iter().all(|&twin| twin > head) {
                let texts: Vec<usize> = std::iter::once(head).chain(twins).collect();
                let message = format!(
                    "{}: texts {} have the same data but differ in their header or signature: expected one version of each part",
                    label(&entries[head].part),
                    assembler.numbers(&texts)
                );
                assembler.refuse(FindingCode::PartConflict, message, texts);
            }
            claimed[head] = true;
            continue;
        }
        let chain = follow(&entries, head);
        for member in chain.members() {
            claimed[member] = true;
        }
        if chain.conflicting() {
            let message = format!(
                "{}: two texts for the same part differ only outside the hashed data (header or signature): expected one version of each part",
                label(&entries[head].part)
            );
            let members: Vec<usize> = chain.members().collect();
            assembler.refuse(FindingCode::PartConflict, message, members);
        } else if chain.complete() {
            let members: Vec<usize> = chain.members().collect();
            assembler.complete.push((chain.count, members.clone()));
            assembler.report(&members);
        } else {
            open.push(chain);
        }
    }
    let loose: Vec<usize> = (0..entries.len())
        .filter(|&entry| !claimed[entry])
        .collect();
    assembler.leftovers(&open, &loose);
    let mut out = assembler.out;
    out.sort_by_key(Assembled::first_position);
    Ok(out)
}
