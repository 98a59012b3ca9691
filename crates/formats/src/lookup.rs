//! The static mirror's voter lookup (`docs/mirror.md`): each voter's record, keyed by a slow,
//! memory-hard function of the voter id, and the transparency log's entry that commits to all
//! of them (`veedor/registry/1`, or `/2` when the key has lanes), so that `veedor verify` can
//! hold a mirror's shards to the log byte for byte without the registry.
//!
//! A record is 16 bytes: the voter's key, then the centre code (6 bytes) and the table number
//! (2 bytes), big-endian. With one lane the key is the first 8 bytes of `scrypt(password = the
//! voter id in decimal without leading zeros, salt = "veedor/lookup/2/<election id>/", N, r, p,
//! 8)` (RFC 7914); with L lanes it is the exclusive or of L such scrypts, lane i salted with
//! `"<salt>lane/<i>/"`, which a browser computes side by side on the phone's cores (one worker
//! a lane) while an attacker pays all of them for every id. The browser derives the same 8 bytes
//! with the vendored hash-wasm (`crates/web/src/vendor/hash-wasm`).
//!
//! The entry, written when a registry is imported or replaced (with more than one lane, its
//! first line is `veedor/registry/2` and a line `lanes: L` follows `p`):
//!
//! ```text
//! veedor/registry/1
//! election: ve-2024-presidential
//! kdf: scrypt
//! log_n: 14
//! r: 8
//! p: 1
//! salt: veedor/lookup/2/ve-2024-presidential/
//! voters: 17745239
//! records_sha256: <SHA-256 of every record, sorted, concatenated>
//! bucket_bits: 16
//! buckets_sha256: <SHA-256 of the SHA-256 of every bucket, in order>
//! ```
//!
//! A bucket is the records whose key starts with the same `bucket_bits` bits; the export writes
//! every bucket's SHA-256 to `lookup/index.bin`, which `buckets_sha256` authenticates, so that a
//! verifier names the one shard that differs whatever size the export cut shards to (a shard is
//! one or more whole buckets while it is named by `bucket_bits` bits or fewer). Nothing in the
//! entry depends on the shard size.

use std::fmt;
use std::fmt::Write as _;

use sha2::{Digest as _, Sha256 as Hasher};
use veedor_core::{Sha256, TableId, VoterId};

/// Bytes of one lookup record: the key (8 bytes), the centre code (6 bytes) and the table
/// number (2 bytes), big-endian.
pub const LOOKUP_RECORD: usize = 16;

/// Bytes of the derived key kept in a record.
pub const KEY_BYTES: usize = 8;

/// The first line of the registry's log entry with one lane.
pub const REGISTRY_HEADER: &str = "veedor/registry/1";

/// The first line of the registry's log entry with more than one lane (a `lanes` line follows
/// `p`).
pub const REGISTRY_HEADER_LANES: &str = "veedor/registry/2";

/// The most lanes a key may have.
pub const MAX_LANES: u32 = 64;

/// The records a shard of the full profile holds on average, at most: `bits_for` picks the
/// fewest bits that keep shards to this (16 bits, 65,536 shards of about 330 voters, for 21
/// million). Buckets are cut by the bits of this target.
pub const FULL_PROFILE_RECORDS_PER_SHARD: usize = 512;

/// The largest `log_n` a registry entry may state: 2^20 blocks of 128·r bytes is 1 GiB at r = 8,
/// more than a phone's browser gives a page.
pub const MAX_LOG_N: u8 = 20;

/// The lookup key's function: `lanes` scrypts of N = 2^`log_n`, r, p (RFC 7914), each salted
/// with its lane, their outputs combined by exclusive or.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LookupKdf {
    /// N = 2^log_n, the memory and time cost.
    pub log_n: u8,
    /// The block size factor.
    pub r: u32,
    /// scrypt's parallelisation (computed one after the other by the browser's library).
    pub p: u32,
    /// Independent scrypts, which a browser computes at once on as many cores.
    pub lanes: u32,
}

impl LookupKdf {
    /// Next to no cost: for the demo's synthetic registry and tests only; a mirror of it can be
    /// rebuilt as fast as the old salted SHA-256 allowed. Printed as unprotected.
    pub const UNPROTECTED: Self = Self {
        log_n: 1,
        r: 1,
        p: 1,
        lanes: 1,
    };

    /// One lane of N = 2^14, r = 8, p = 1 (16 MiB): about 35 ms of a server core a key, so
    /// that rebuilding 10^8 ids costs about 0.1 CPU-years (measured in docs/mirror.md).
    pub const PROTECTIVE: Self = Self {
        log_n: 14,
        r: 8,
        p: 1,
        lanes: 1,
    };

    /// The default: 12 lanes of the protective scrypt (16 MiB each), about 0.4 s of a server
    /// core a key, so that rebuilding 10^8 ids costs more than a CPU-year, while a phone's
    /// browser computes the lanes on all its cores at once (measured in docs/mirror.md).
    pub const STRONG: Self = Self {
        log_n: 14,
        r: 8,
        p: 1,
        lanes: 12,
    };

    /// The named levels, as `--lookup-cost` takes them.
    pub const NAMED: [(&'static str, Self); 3] = [
        ("unprotected", Self::UNPROTECTED),
        ("protective", Self::PROTECTIVE),
        ("strong", Self::STRONG),
    ];

    /// A level by name (`unprotected`, `protective`, `strong`), or explicit parameters
    /// `scrypt:LOG_N,R,P` (`scrypt:14,8,1`) or `scrypt:LOG_N,R,P,LANES` (`scrypt:14,8,1,12`).
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some((_, kdf)) = Self::NAMED.iter().find(|(name, _)| *name == text) {
            return Ok(*kdf);
        }
        let expected = "expected unprotected, protective, strong or scrypt:LOG_N,R,P[,LANES]";
        let numbers: Vec<&str> = text
            .strip_prefix("scrypt:")
            .ok_or_else(|| format!("`{text}`: {expected}"))?
            .split(',')
            .collect();
        let (log_n, r, p, lanes) = match numbers.as_slice() {
            [log_n, r, p] => (log_n, r, p, "1"),
            [log_n, r, p, lanes] => (log_n, r, p, *lanes),
            _ => return Err(format!("`{text}`: {expected}")),
        };
        let number = |what: &str, value: &str| -> Result<u32, String> {
            value
                .trim()
                .parse()
                .map_err(|_| format!("`{text}`: {what} `{value}` is not a number; {expected}"))
        };
        let log_n = u8::try_from(number("LOG_N", log_n)?)
            .map_err(|_| format!("`{text}`: LOG_N is at most {MAX_LOG_N}"))?;
        Self::new(
            log_n,
            number("R", r)?,
            number("P", p)?,
            number("LANES", lanes)?,
        )
    }

    /// Checked parameters: `log_n` from 1 to [`MAX_LOG_N`], r, p and lanes from 1 to 64.
    pub fn new(log_n: u8, r: u32, p: u32, lanes: u32) -> Result<Self, String> {
        if !(1..=MAX_LOG_N).contains(&log_n) {
            return Err(format!("log_n {log_n}: expected 1 to {MAX_LOG_N}"));
        }
        if !(1..=64).contains(&r) || !(1..=64).contains(&p) {
            return Err(format!("r {r}, p {p}: expected each from 1 to 64"));
        }
        if !(1..=MAX_LANES).contains(&lanes) {
            return Err(format!("lanes {lanes}: expected 1 to {MAX_LANES}"));
        }
        Ok(Self { log_n, r, p, lanes })
    }

    /// The level's name, if the parameters are a named level's.
    #[must_use]
    pub fn name(&self) -> Option<&'static str> {
        Self::NAMED
            .iter()
            .find(|(_, kdf)| kdf == self)
            .map(|(name, _)| *name)
    }

    /// Whether rebuilding the registry from a mirror costs next to nothing.
    #[must_use]
    pub fn is_unprotected(&self) -> bool {
        self.log_n < 10
    }

    /// Bytes of memory one lane uses: 128 · r · N.
    #[must_use]
    pub fn memory_bytes(&self) -> u64 {
        (128 * u64::from(self.r)) << self.log_n
    }

    /// The salt of lane `lane`: the election's salt with one lane, `"<salt>lane/<lane>/"` with
    /// more.
    #[must_use]
    pub fn lane_salt(&self, salt: &str, lane: u32) -> String {
        if self.lanes == 1 {
            salt.to_owned()
        } else {
            format!("{salt}lane/{lane}/")
        }
    }

    /// The voter's key: the exclusive or, over the lanes, of the first [`KEY_BYTES`] bytes of
    /// scrypt of the id in decimal salted with the lane's salt.
    #[must_use]
    pub fn key(&self, salt: &str, voter: VoterId) -> [u8; KEY_BYTES] {
        let password = voter.get().to_string();
        let mut key = [0u8; KEY_BYTES];
        // `new` checked the parameters; scrypt refuses none of them and no 8-byte output.
        let Ok(params) = scrypt::Params::new(self.log_n, self.r, self.p) else {
            return key;
        };
        for lane in 0..self.lanes {
            let mut output = [0u8; KEY_BYTES];
            let _ = scrypt::scrypt(
                password.as_bytes(),
                self.lane_salt(salt, lane).as_bytes(),
                &params,
                &mut output,
            );
            for (byte, lane_byte) in key.iter_mut().zip(output) {
                *byte ^= lane_byte;
            }
        }
        key
    }
}

impl fmt::Display for LookupKdf {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            formatter,
            "scrypt N=2^{} r={} p={}",
            self.log_n, self.r, self.p
        )?;
        if self.lanes > 1 {
            write!(formatter, ", {} lanes", self.lanes)?;
        }
        if let Some(name) = self.name() {
            write!(formatter, " ({name})")?;
        }
        Ok(())
    }
}

/// The salt of an election's lookup keys: public, in the log entry and in every page with the
/// lookup form, so that the keys of two elections differ.
#[must_use]
pub fn lookup_salt(election_id: &str) -> String {
    format!("veedor/lookup/2/{election_id}/")
}

/// The lookup record of a voter at a table; `None` when the centre code does not fit 48 bits.
#[must_use]
pub fn lookup_record(
    kdf: &LookupKdf,
    salt: &str,
    voter: VoterId,
    table: TableId,
) -> Option<[u8; LOOKUP_RECORD]> {
    let centre = table.centre.get();
    if centre >> 48 != 0 {
        return None;
    }
    let mut record = [0u8; LOOKUP_RECORD];
    record[..KEY_BYTES].copy_from_slice(&kdf.key(salt, voter));
    record[8..14].copy_from_slice(&centre.to_be_bytes()[2..]);
    record[14..].copy_from_slice(&table.number.get().to_be_bytes());
    Some(record)
}

/// The fewest leading key bits, a multiple of 4 from 4 to 28, that cut `records` into shards
/// (or buckets) of `per_shard` records or fewer on average.
#[must_use]
pub fn bits_for(records: usize, per_shard: usize) -> u8 {
    let mut bits = 4u8;
    while bits < 28 && records >> bits > per_shard.max(1) {
        bits += 4;
    }
    bits
}

/// The shard (or bucket) a record or key belongs in: its first `bits` bits.
#[must_use]
pub fn shard_of(record: &[u8], bits: u8) -> u32 {
    let mut first = [0u8; 4];
    for (target, byte) in first.iter_mut().zip(record) {
        *target = *byte;
    }
    u32::from_be_bytes(first) >> (32 - u32::from(bits))
}

/// SHA-256 of every bucket of `bits` bits (empty ones too), in order, of records already in
/// order; `records` are whole records.
#[must_use]
pub fn bucket_hashes(sorted_records: &[u8], bits: u8) -> Vec<[u8; 32]> {
    let count = 1usize << bits;
    let mut hashes = Vec::with_capacity(count);
    let mut rest = sorted_records;
    for bucket in 0..count {
        let end = rest
            .chunks_exact(LOOKUP_RECORD)
            .position(|record| usize::try_from(shard_of(record, bits)).ok() != Some(bucket))
            .map_or(rest.len(), |records| records * LOOKUP_RECORD);
        let (here, after) = rest.split_at(end);
        hashes.push(Hasher::digest(here).into());
        rest = after;
    }
    hashes
}

/// SHA-256 of the bucket hashes, concatenated: what `buckets_sha256` commits to, and the SHA-256
/// of `lookup/index.bin`.
#[must_use]
pub fn buckets_digest(hashes: &[[u8; 32]]) -> Sha256 {
    let mut hasher = Hasher::new();
    for hash in hashes {
        hasher.update(hash);
    }
    Sha256::from_bytes(hasher.finalize().into())
}

/// What the registry's log entry says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryEntry {
    /// The election's id.
    pub election: String,
    /// The key's function and its parameters.
    pub kdf: LookupKdf,
    /// The salt.
    pub salt: String,
    /// Voters with a record.
    pub voters: u64,
    /// SHA-256 of every record, sorted, concatenated (the store keeps them as a blob of that
    /// hash).
    pub records_sha256: Sha256,
    /// The bits a bucket is named by.
    pub bucket_bits: u8,
    /// [`buckets_digest`] of the records' buckets.
    pub buckets_sha256: Sha256,
}

const REGISTRY_KEYS: [&str; 10] = [
    "election",
    "kdf",
    "log_n",
    "r",
    "p",
    "salt",
    "voters",
    "records_sha256",
    "bucket_bits",
    "buckets_sha256",
];

const REGISTRY_KEYS_LANES: [&str; 11] = [
    "election",
    "kdf",
    "log_n",
    "r",
    "p",
    "lanes",
    "salt",
    "voters",
    "records_sha256",
    "bucket_bits",
    "buckets_sha256",
];

impl RegistryEntry {
    /// The entry of `sorted_records` (whole records, in order).
    #[must_use]
    pub fn of_records(election: &str, kdf: LookupKdf, salt: &str, sorted_records: &[u8]) -> Self {
        let voters = sorted_records.len() / LOOKUP_RECORD;
        let bucket_bits = bits_for(voters, FULL_PROFILE_RECORDS_PER_SHARD);
        Self {
            election: election.to_owned(),
            kdf,
            salt: salt.to_owned(),
            voters: u64::try_from(voters).unwrap_or(u64::MAX),
            records_sha256: Sha256::from_bytes(Hasher::digest(sorted_records).into()),
            bucket_bits,
            buckets_sha256: buckets_digest(&bucket_hashes(sorted_records, bucket_bits)),
        }
    }

    /// The entry's bytes.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let values = [
            ("election", self.election.replace(char::is_control, "?")),
            ("kdf", "scrypt".to_owned()),
            ("log_n", self.kdf.log_n.to_string()),
            ("r", self.kdf.r.to_string()),
            ("p", self.kdf.p.to_string()),
            ("lanes", self.kdf.lanes.to_string()),
            ("salt", self.salt.replace(char::is_control, "?")),
            ("voters", self.voters.to_string()),
            ("records_sha256", self.records_sha256.to_hex()),
            ("bucket_bits", self.bucket_bits.to_string()),
            ("buckets_sha256", self.buckets_sha256.to_hex()),
        ];
        // One lane: the first version's bytes, without a `lanes` line.
        let header = if self.kdf.lanes == 1 {
            REGISTRY_HEADER
        } else {
            REGISTRY_HEADER_LANES
        };
        let mut text = format!("{header}\n");
        for (key, value) in values {
            if key != "lanes" || self.kdf.lanes != 1 {
                let _ = writeln!(text, "{key}: {value}");
            }
        }
        text.into_bytes()
    }

    /// Whether `bytes` is a registry entry (its first line), to tell it from an acta copy's.
    #[must_use]
    pub fn is_one(bytes: &[u8]) -> bool {
        [REGISTRY_HEADER, REGISTRY_HEADER_LANES]
            .iter()
            .any(|header| {
                bytes.starts_with(header.as_bytes()) && bytes.get(header.len()) == Some(&b'\n')
            })
    }

    /// Parses an entry's bytes; the error names the line and what was expected.
    pub fn parse(bytes: &[u8]) -> Result<Self, String> {
        let (text, values) = if bytes.starts_with(REGISTRY_HEADER_LANES.as_bytes()) {
            let (text, values) =
                crate::text::keyed_lines(bytes, REGISTRY_HEADER_LANES, &REGISTRY_KEYS_LANES)?;
            (text, values)
        } else {
            let (text, [election, kdf, log_n, r, p, rest @ ..]) = crate::text::keyed_lines(
                bytes,
                REGISTRY_HEADER,
                &REGISTRY_KEYS,
            )
            .map_err(|error| {
                if bytes.windows(8).any(|line| line == b"\nlanes: ") {
                    format!("{error}: a `lanes` line belongs in a `{REGISTRY_HEADER_LANES}` entry")
                } else {
                    error
                }
            })?;
            let [salt, voters, records, bucket_bits, buckets] = rest;
            (
                text,
                [
                    election,
                    kdf,
                    log_n,
                    r,
                    p,
                    "1",
                    salt,
                    voters,
                    records,
                    bucket_bits,
                    buckets,
                ],
            )
        };
        let [
            election,
            kdf,
            log_n,
            r,
            p,
            lanes,
            salt,
            voters,
            records,
            bucket_bits,
            buckets,
        ] = &values;
        if !text.ends_with('\n') {
            return Err("expected a line break after the last field".to_owned());
        }
        if *kdf != "scrypt" {
            return Err(format!("`kdf`: `{kdf}`, expected `scrypt`"));
        }
        // The encoder never writes a control character (it writes `?`): an entry with one was
        // not written by veedor (found by the `log_entry` fuzz target).
        for (key, value) in [("election", election), ("salt", salt)] {
            if value.contains(char::is_control) {
                return Err(format!(
                    "`{key}`: a control character, which no entry holds"
                ));
            }
        }
        fn number<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, String> {
            value
                .parse()
                .map_err(|_| format!("`{key}`: `{value}` is not a number in range"))
        }
        let kdf = LookupKdf::new(
            number("log_n", log_n)?,
            number("r", r)?,
            number("p", p)?,
            number("lanes", lanes)?,
        )
        .map_err(|error| format!("`log_n`, `r`, `p`, `lanes`: {error}"))?;
        if kdf.lanes == 1 && text.starts_with(REGISTRY_HEADER_LANES) {
            return Err(format!(
                "`lanes`: 1, which a `{REGISTRY_HEADER}` entry states by having no `lanes` line"
            ));
        }
        let bucket_bits: u8 = number("bucket_bits", bucket_bits)?;
        if !bucket_bits.is_multiple_of(4) || !(4..=24).contains(&bucket_bits) {
            return Err(format!(
                "`bucket_bits`: {bucket_bits}, expected a multiple of 4 from 4 to 24"
            ));
        }
        let hash = |key: &str, value: &str| {
            Sha256::from_hex(value).map_err(|error| format!("`{key}`: {error}"))
        };
        Ok(Self {
            election: (*election).to_owned(),
            kdf,
            salt: (*salt).to_owned(),
            voters: number("voters", voters)?,
            records_sha256: hash("records_sha256", records)?,
            bucket_bits,
            buckets_sha256: hash("buckets_sha256", buckets)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use veedor_core::{CentreCode, TableNumber};

    use super::*;

    #[test]
    fn an_entry_with_a_control_character_is_refused() {
        let entry = RegistryEntry::of_records("e", LookupKdf::UNPROTECTED, "salt/", &[]);
        let text = String::from_utf8(entry.encode()).unwrap_or_default();
        assert!(RegistryEntry::parse(text.as_bytes()).is_ok());
        let forged = text.replace("salt: salt/", "salt: sa\u{14}lt/");
        assert_eq!(
            RegistryEntry::parse(forged.as_bytes()),
            Err("`salt`: a control character, which no entry holds".to_owned())
        );
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// RFC 7914 section 12, the second vector (password "password", salt "NaCl", N = 1024,
    /// r = 8, p = 16): its first 8 bytes. The RustCrypto function is scrypt as specified.
    #[test]
    fn the_key_is_rfc_7914_scrypt() {
        let kdf = LookupKdf::new(10, 8, 16, 1).unwrap();
        let mut key = [0u8; 8];
        let params = scrypt::Params::new(kdf.log_n, kdf.r, kdf.p).unwrap();
        scrypt::scrypt(b"password", b"NaCl", &params, &mut key).unwrap();
        assert_eq!(hex(&key), "fdbabe1c9d347200");
    }

    /// The vectors the vendored hash-wasm computes in node (`crates/web/tests/lookup_lane_js.rs`):
    /// the browser and the export derive the same keys.
    #[test]
    fn lookup_keys_match_the_browsers() {
        let salt = lookup_salt("ve-2024-presidential");
        assert_eq!(salt, "veedor/lookup/2/ve-2024-presidential/");
        let check = |kdf: LookupKdf, voter: u64, expected: &str| {
            assert_eq!(hex(&kdf.key(&salt, VoterId::new(voter))), expected, "{kdf}");
        };
        check(LookupKdf::UNPROTECTED, 12_345_678, KEY_UNPROTECTED);
        check(LookupKdf::PROTECTIVE, 12_345_678, KEY_PROTECTIVE);
    }

    /// Computed with the vendored hash-wasm in node (`crates/web/tests/lookup_lane_js.rs` runs it
    /// and holds it to the same values).
    const KEY_UNPROTECTED: &str = "46efc60586e630e5";
    const KEY_PROTECTIVE: &str = "448bc255ee4c1f50";
    const KEY_THREE_LANES: &str = "f686fdef0b5df1e3";

    #[test]
    fn costs_are_named_or_given() {
        assert_eq!(LookupKdf::parse("protective"), Ok(LookupKdf::PROTECTIVE));
        assert_eq!(LookupKdf::parse("unprotected"), Ok(LookupKdf::UNPROTECTED));
        assert_eq!(
            LookupKdf::parse("scrypt:12,8,2"),
            Ok(LookupKdf {
                log_n: 12,
                r: 8,
                p: 2,
                lanes: 1
            })
        );
        assert_eq!(LookupKdf::parse("scrypt:14,8,1,12"), Ok(LookupKdf::STRONG));
        assert!(LookupKdf::parse("scrypt:21,8,1").is_err());
        assert!(LookupKdf::parse("scrypt:12,8").is_err());
        assert!(LookupKdf::parse("scrypt:12,8,1,0").is_err());
        assert!(LookupKdf::parse("scrypt:12,8,1,65").is_err());
        assert!(LookupKdf::parse("scrypt:12,8,1,2,3").is_err());
        assert!(LookupKdf::parse("cheap").is_err());
        assert!(LookupKdf::UNPROTECTED.is_unprotected());
        assert!(!LookupKdf::PROTECTIVE.is_unprotected());
        assert_eq!(LookupKdf::PROTECTIVE.memory_bytes(), 16 << 20);
        assert_eq!(
            LookupKdf::PROTECTIVE.to_string(),
            "scrypt N=2^14 r=8 p=1 (protective)"
        );
        assert_eq!(
            LookupKdf::STRONG.to_string(),
            "scrypt N=2^14 r=8 p=1, 12 lanes (strong)"
        );
    }

    /// With lanes, the key is the exclusive or of one scrypt a lane, each with its own salt, and
    /// the entry says how many (`veedor/registry/2`), so that a verifier recomputes it.
    #[test]
    fn lanes_are_scrypts_of_their_own_salts_combined() {
        let kdf = LookupKdf::new(3, 2, 1, 3).unwrap();
        let salt = lookup_salt("e");
        let voter = VoterId::new(4_321);
        let mut expected = [0u8; KEY_BYTES];
        for lane in 0..3 {
            let one = LookupKdf::new(3, 2, 1, 1).unwrap();
            let lane_key = one.key(&format!("{salt}lane/{lane}/"), voter);
            for (byte, lane_byte) in expected.iter_mut().zip(lane_key) {
                *byte ^= lane_byte;
            }
        }
        assert_eq!(kdf.key(&salt, voter), expected);
        assert_ne!(
            expected,
            LookupKdf::new(3, 2, 1, 1).unwrap().key(&salt, voter)
        );
        // The browser's side of this vector: `crates/web/tests/lookup_lane_js.rs`.
        assert_eq!(hex(&expected), KEY_THREE_LANES);

        let table = TableId::new(CentreCode::new(1), TableNumber::new(1));
        let records = lookup_record(&kdf, &salt, voter, table).unwrap();
        let entry = RegistryEntry::of_records("e", kdf, &salt, &records);
        let text = String::from_utf8(entry.encode()).unwrap();
        assert!(
            text.starts_with("veedor/registry/2\nelection: e\nkdf: scrypt\nlog_n: 3\nr: 2\np: 1\nlanes: 3\nsalt: "),
            "{text}"
        );
        assert!(RegistryEntry::is_one(text.as_bytes()));
        assert_eq!(RegistryEntry::parse(text.as_bytes()), Ok(entry));
        // A second version saying one lane is not what the encoder writes.
        let one = text.replace("lanes: 3\n", "lanes: 1\n");
        assert!(
            RegistryEntry::parse(one.as_bytes())
                .unwrap_err()
                .contains("`lanes`: 1")
        );
        // A first-version entry with a `lanes` line is refused, naming the line.
        let first = text.replace("veedor/registry/2", "veedor/registry/1");
        assert_eq!(
            RegistryEntry::parse(first.as_bytes()),
            Err(
                "line 7: expected `salt: ...`: a `lanes` line belongs in a `veedor/registry/2` entry"
                    .to_owned()
            )
        );
    }

    #[test]
    fn records_buckets_and_the_entry() {
        let table = TableId::new(CentreCode::new(201_301_006), TableNumber::new(1));
        let kdf = LookupKdf::UNPROTECTED;
        let salt = lookup_salt("e");
        let record = lookup_record(&kdf, &salt, VoterId::new(12_345_678), table).unwrap();
        assert_eq!(record[..8], kdf.key(&salt, VoterId::new(12_345_678)));
        assert_eq!(hex(&record[8..]), "00000bff9c0e0001");
        let too_big = TableId::new(CentreCode::new(1 << 48), TableNumber::new(1));
        assert_eq!(lookup_record(&kdf, &salt, VoterId::new(1), too_big), None);
        assert_eq!(bits_for(0, 512), 4);
        assert_eq!(bits_for(17_600_000, 512), 16);
        assert_eq!(bits_for(204_000_000, 512), 20);
        assert_eq!(bits_for(17_600_000, 8192), 12);
        assert_eq!(shard_of(&[0xab, 0xcd, 0xef, 0x01], 16), 0xabcd);
        assert_eq!(shard_of(&[0xab, 0xcd, 0xef, 0x01], 4), 0xa);

        let mut records: Vec<[u8; LOOKUP_RECORD]> = (1..2000u64)
            .map(|voter| lookup_record(&kdf, &salt, VoterId::new(voter), table).unwrap())
            .collect();
        records.sort_unstable();
        let bytes = records.concat();
        let hashes = bucket_hashes(&bytes, 4);
        assert_eq!(hashes.len(), 16);
        let first: Vec<u8> = records
            .iter()
            .filter(|record| record[0] >> 4 == 0)
            .flatten()
            .copied()
            .collect();
        assert_eq!(hashes[0], <[u8; 32]>::from(Hasher::digest(&first)));

        let entry = RegistryEntry::of_records("e", kdf, &salt, &bytes);
        assert_eq!(entry.voters, 1999);
        assert_eq!(entry.bucket_bits, 4);
        assert_eq!(entry.buckets_sha256, buckets_digest(&hashes));
        let encoded = entry.encode();
        let text = String::from_utf8(encoded.clone()).unwrap();
        assert!(text.starts_with(
            "veedor/registry/1\nelection: e\nkdf: scrypt\nlog_n: 1\nr: 1\np: 1\nsalt: veedor/lookup/2/e/\nvoters: 1999\n"
        ));
        assert!(RegistryEntry::is_one(&encoded));
        assert_eq!(RegistryEntry::parse(&encoded), Ok(entry));
        assert!(RegistryEntry::parse(&encoded[..encoded.len() - 1]).is_err());
        let bad = text.replace("log_n: 1\n", "log_n: 40\n");
        assert!(
            RegistryEntry::parse(bad.as_bytes())
                .unwrap_err()
                .contains("log_n")
        );
        assert!(!RegistryEntry::is_one(b"veedor/acta-copy/2\n"));
    }
}
