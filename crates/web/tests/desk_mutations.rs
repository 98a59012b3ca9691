//! The desk's write routes fed broken bodies, as a broken client or an attacker sends them.
//!
//! Each route's valid body (as a form and as JSON, and the upload's multipart) is mutated by a
//! seeded generator: bytes changed, cut out, repeated, the body truncated, and pieces spliced in
//! that break parsers (bad percent escapes, numbers past `u32` and `u64`, negative and
//! non-ASCII digits, NUL, repeated and unknown fields, JSON and multipart syntax). Every body is
//! sent by a signed-in volunteer of the route's role, with the CSRF header, so that it reaches
//! the parsers behind the access checks. None may panic or answer with a server error; every
//! refusal says what is wrong; a refused request leaves the store as it was (its data version,
//! audit log, queue and log); and the desk still works afterwards.
//!
//! libFuzzer (`fuzz/`) cannot reach these parsers without the whole server and its store, so
//! this generator runs in every test run instead, on the real router and a real SQLite store.

use axum::http::{Method, StatusCode};
use veedor_core::entry::Role;
use veedor_store::prelude::*;

use crate::desk::{Signed, harness, multipart, roomy, send, volunteer, waiting_page};
use crate::support::CONFLICT_TABLE;
use veedor_web::DeskOptions;

/// Mutated bodies per seed body.
const ROUNDS: usize = 500;

/// Pieces that break parsers, spliced into bodies.
const SPLICES: &[&str] = &[
    "%",
    "%ZZ",
    "%00",
    "%FF%FE",
    "%C3%28",
    "&",
    "=",
    "&&==&",
    "\0",
    "-1",
    "-0",
    "+7",
    "4294967296",
    "18446744073709551616",
    "99999999999999999999999999999999",
    "1e9",
    "0x10",
    "٣٤",
    "１２",
    "\u{202e}",
    "\u{feff}",
    "c0=",
    "c999999=5",
    "d0=",
    "counts=",
    "csrf=",
    "\"",
    "{",
    "}",
    "[",
    "]",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    "null",
    "true",
    "\\u0000",
    "\\ud800",
    "\r\n",
    "--",
    "\r\n\r\n",
    "--veedor-test-boundary-7MA4YWxkTrZu0gW\r\n",
    "Content-Disposition: form-data; name=\"file\"; filename=\"../../etc/passwd\"\r\n\r\n",
    "Content-Disposition: form-data; name=\"table\"\r\n\r\n",
];

/// A small, seeded generator (xorshift64*): the same bodies on every run, so a failure repeats.
struct Mutator(u64);

impl Mutator {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap()).unwrap()
    }

    /// One to four mutations of `seed`.
    fn mutate(&mut self, seed: &[u8]) -> Vec<u8> {
        let mut body = seed.to_vec();
        for _ in 0..=self.below(4) {
            let at = self.below(body.len() + 1);
            match self.below(7) {
                0 if !body.is_empty() => {
                    let at = at.min(body.len() - 1);
                    body[at] = u8::try_from(self.next() & 0xff).unwrap();
                }
                1 => {
                    let end = (at + 1 + self.below(16)).min(body.len());
                    body.drain(at.min(end)..end);
                }
                2 => {
                    let end = (at + 1 + self.below(32)).min(body.len());
                    let piece = body[at.min(end)..end].repeat(3);
                    insert(&mut body, at, &piece);
                }
                3 => body.truncate(at),
                4 => {
                    // A long field: past any name or number a parser should keep.
                    let long = vec![b'9'; 1 + self.below(70_000)];
                    insert(&mut body, at, &long);
                }
                _ => {
                    let piece = SPLICES[self.below(SPLICES.len())].as_bytes();
                    insert(&mut body, at, piece);
                }
            }
        }
        body
    }
}

fn insert(body: &mut Vec<u8>, at: usize, piece: &[u8]) {
    let tail = body.split_off(at);
    body.extend_from_slice(piece);
    body.extend_from_slice(&tail);
}

/// What a refused request must leave as it was.
fn stored(writer: &veedor_store_sqlite::SqliteStore) -> (u64, usize, usize, u64) {
    (
        writer.data_version().unwrap(),
        writer.audit().unwrap().len(),
        writer.queue().unwrap().len(),
        writer.log_size().unwrap(),
    )
}

/// A seed: who sends it, where, with which content type, and the valid body.
struct Seed<'a> {
    who: &'a Signed,
    uri: String,
    content_type: String,
    body: Vec<u8>,
}

fn form(csrf: &str, fields: &[(&str, &str)]) -> Vec<u8> {
    let mut all: Vec<(&str, &str)> = vec![("csrf", csrf)];
    all.extend_from_slice(fields);
    serde_urlencoded::to_string(&all).unwrap().into_bytes()
}

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_bodies_on_every_desk_write_route_are_refused_clearly_and_change_nothing() {
    let mut h = harness(DeskOptions {
        actions_per_minute: 1_000_000,
        upload_quota: 1_000_000,
        upload_quota_per_confirmed: 1_000_000,
        ..roomy()
    });
    let coordinator = volunteer(&mut h, "chief", Role::Coordinator).await;
    let typist = volunteer(&mut h, "ana", Role::Typist).await;
    let uploader = volunteer(&mut h, "witness-1", Role::Uploader).await;
    let task = waiting_page(&h, &uploader, 3).await;
    let claimed = typist
        .post_json(
            &h.app,
            &format!("/api/v1/volunteer/tasks/{task}/claim"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(claimed.status, StatusCode::OK, "{}", claimed.text());

    let mut entry_fields: Vec<(String, String)> = vec![
        ("centre".into(), "201301006".into()),
        ("number".into(), "1".into()),
        ("null_votes".into(), "0".into()),
        ("reviewed".into(), "1".into()),
    ];
    for index in 0..38 {
        entry_fields.push((format!("c{index}"), (index % 9).to_string()));
    }
    let entry_fields: Vec<(&str, &str)> = entry_fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let counts: Vec<u32> = (0..38).map(|index| index % 9).collect();
    let (multipart_type, multipart_body) = multipart(
        &uploader.csrf,
        Some("201301006.01"),
        &[b"\xff\xd8\xff\xe0 not quite a photo \xff\xd9".to_vec()],
    );
    let seeds = [
        Seed {
            who: &typist,
            uri: format!("/volunteer/tasks/{task}/entry?lang=en"),
            content_type: FORM.into(),
            body: form(&typist.csrf, &entry_fields),
        },
        Seed {
            who: &typist,
            uri: format!("/api/v1/volunteer/tasks/{task}/entry"),
            content_type: JSON.into(),
            body: serde_json::json!({ "table": "201301006.01", "counts": counts, "null_votes": 0 })
                .to_string()
                .into_bytes(),
        },
        Seed {
            who: &typist,
            uri: "/volunteer/tasks/next?lang=en".into(),
            content_type: FORM.into(),
            body: form(&typist.csrf, &[]),
        },
        Seed {
            who: &coordinator,
            uri: format!("/api/v1/volunteer/tasks/{task}/resolve"),
            content_type: JSON.into(),
            body: serde_json::json!({ "decision": "keep", "typist": "ana", "reason": "mine" })
                .to_string()
                .into_bytes(),
        },
        Seed {
            who: &coordinator,
            uri: format!("/volunteer/tasks/{task}/resolve?lang=en"),
            content_type: FORM.into(),
            body: form(
                &coordinator.csrf,
                &[
                    ("decision", "return"),
                    ("typist", "ana"),
                    ("reason", "blurred"),
                ],
            ),
        },
        Seed {
            who: &coordinator,
            uri: format!("/volunteer/conflicts/{CONFLICT_TABLE}/decide?lang=en"),
            content_type: FORM.into(),
            body: form(
                &coordinator.csrf,
                &[("keep", "#1"), ("reason", "the witnesses' copy")],
            ),
        },
        Seed {
            who: &coordinator,
            uri: "/api/v1/volunteer/users".into(),
            content_type: JSON.into(),
            body: serde_json::json!({ "pseudonym": "owl-7", "role": "typist" })
                .to_string()
                .into_bytes(),
        },
        Seed {
            who: &coordinator,
            uri: "/volunteer/users?lang=en".into(),
            content_type: FORM.into(),
            body: form(
                &coordinator.csrf,
                &[("pseudonym", "owl-8"), ("role", "observer")],
            ),
        },
        Seed {
            who: &uploader,
            uri: "/api/v1/volunteer/upload".into(),
            content_type: multipart_type,
            body: multipart_body,
        },
    ];

    let mut mutator = Mutator(0x7665_6564_6f72_2024);
    let mut answered = std::collections::BTreeMap::<u16, usize>::new();
    for seed in &seeds {
        for round in 0..ROUNDS {
            let body = if round == 0 {
                seed.body.clone()
            } else {
                mutator.mutate(&seed.body)
            };
            let before = stored(&h.fixture.writer);
            let response = send(
                &h.app,
                Method::POST,
                &seed.uri,
                &[
                    ("cookie", &seed.who.cookie),
                    ("x-csrf-token", &seed.who.csrf),
                    ("content-type", &seed.content_type),
                ],
                body.clone(),
            )
            .await;
            let shown = String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned();
            *answered.entry(response.status.as_u16()).or_default() += 1;
            assert!(
                !response.status.is_server_error(),
                "{} with {shown:?}: {} {}",
                seed.uri,
                response.status,
                response.text()
            );
            if response.status.is_client_error() {
                assert!(
                    !response.text().trim().is_empty(),
                    "{} with {shown:?}: a refusal that does not say why",
                    seed.uri
                );
                assert_eq!(
                    stored(&h.fixture.writer),
                    before,
                    "{} with {shown:?}: refused ({}) but the store changed",
                    seed.uri,
                    response.status
                );
            }
        }
    }
    println!("answers to {} bodies: {answered:?}", seeds.len() * ROUNDS);
    assert!(
        answered
            .keys()
            .any(|status| *status == 400 || *status == 422),
        "no body was refused as malformed: {answered:?}"
    );

    // The desk still works: a new volunteer, and the typist's task list.
    let added = coordinator
        .post_json(
            &h.app,
            "/api/v1/volunteer/users",
            serde_json::json!({ "pseudonym": "after-the-storm", "role": "typist" }),
        )
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.text());
    let tasks = typist.get(&h.app, "/api/v1/volunteer/tasks").await;
    assert_eq!(tasks.status, StatusCode::OK, "{}", tasks.text());
}
