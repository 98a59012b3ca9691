//! The desk's write routes fed broken bodies, as a broken client or an attacker sends them.
//!
//! Each route's valid body (as a form and as JSON, and the upload's multipart) is mutated by a
//! seeded generator: bytes changed, cut out, repeated, the body truncated, and pieces spliced in
//! that break parsers (bad percent escapes, numbers past `u32` and `u64`, negative and
//! non-ASCII digits, NUL, repeated and unknown fields, JSON and multipart syntax). Every body is
//! sent by a signed-in volunteer of the route's role, with the CSRF header, so that it reaches
//! the parsers behind the access checks. Each valid body is taken as it is; no mutation may
//! panic or get a server error; every refusal says what is wrong; a refused request leaves the
//! store as it was (its data version, audit log, queue and log; a failed sign-in adds its one
//! audit event, by design); and the desk still works afterwards.
//!
//! libFuzzer (`fuzz/`) cannot reach these parsers without the whole server and its store, so
//! this generator runs in every test run instead, on the real router and a real SQLite store.

use axum::http::{Method, StatusCode};
use veedor_core::entry::Role;
use veedor_store::prelude::*;

use crate::desk::{
    Harness, PASSPHRASE, Signed, harness, multipart, roomy, send, volunteer, waiting_page,
};
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
                    // Mostly within the desk's 32 KiB body limit, some past it.
                    let long = vec![b'9'; 1 + self.below(36_000)];
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
    /// The body as is, then `rounds - 1` mutations.
    rounds: usize,
    /// A refusal is recorded on the audit log by design (a failed sign-in): it may add that one
    /// audit event, and nothing else.
    audited: bool,
}

fn form(csrf: &str, fields: &[(&str, &str)]) -> Vec<u8> {
    let mut all: Vec<(&str, &str)> = vec![("csrf", csrf)];
    all.extend_from_slice(fields);
    serde_urlencoded::to_string(&all).unwrap().into_bytes()
}

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";

/// Two typists enter different numbers for `task`: a page a coordinator may decide.
async fn disputed(h: &Harness, typists: [&Signed; 2], task: i64) {
    for (typist, first) in typists.into_iter().zip([140, 104]) {
        claimed(h, typist, task).await;
        let mut counts = vec![0u32; 38];
        counts[0] = first;
        let entered = typist
            .post_json(
                &h.app,
                &format!("/api/v1/volunteer/tasks/{task}/entry"),
                serde_json::json!({ "table": "201301006.01", "counts": counts, "null_votes": 0, "confirm": true }),
            )
            .await;
        assert_eq!(entered.status, StatusCode::OK, "{}", entered.text());
    }
}

async fn claimed(h: &Harness, typist: &Signed, task: i64) {
    let claimed = typist
        .post_json(
            &h.app,
            &format!("/api/v1/volunteer/tasks/{task}/claim"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(claimed.status, StatusCode::OK, "{}", claimed.text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_bodies_on_every_desk_write_route_are_refused_clearly_and_change_nothing() {
    let mut h = harness(DeskOptions {
        actions_per_minute: 1_000_000,
        upload_quota: 1_000_000,
        upload_quota_per_confirmed: 1_000_000,
        ..roomy()
    });
    let coordinator = volunteer(&mut h, "chief", Role::Coordinator).await;
    let ana = volunteer(&mut h, "ana", Role::Typist).await;
    let beto = volunteer(&mut h, "beto", Role::Typist).await;
    let uploader = volunteer(&mut h, "witness-1", Role::Uploader).await;
    let mut tasks = Vec::new();
    for variant in 3..7 {
        tasks.push(waiting_page(&h, &uploader, variant).await);
    }
    // Two pages a coordinator may decide; one page each typist holds, to enter.
    disputed(&h, [&ana, &beto], tasks[0]).await;
    disputed(&h, [&ana, &beto], tasks[1]).await;
    claimed(&h, &ana, tasks[2]).await;
    claimed(&h, &beto, tasks[3]).await;
    let conflicts = coordinator
        .get(&h.app, "/api/v1/volunteer/conflicts")
        .await
        .json();
    let keep = conflicts["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|table| table["table"] == CONFLICT_TABLE)
        .and_then(|table| table["copies"][0]["name"].as_str())
        .unwrap_or_else(|| panic!("{conflicts}"))
        .to_owned();

    let mut entry_fields: Vec<(String, String)> = vec![
        ("centre".into(), "201301006".into()),
        ("number".into(), "1".into()),
        ("null_votes".into(), "0".into()),
        ("reviewed".into(), "1".into()),
        ("confirm".into(), "1".into()),
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
    let sign_in = serde_json::json!({ "pseudonym": "ana", "passphrase": PASSPHRASE });
    let seeds = [
        Seed {
            who: &ana,
            uri: "/api/v1/volunteer/session".into(),
            content_type: JSON.into(),
            body: sign_in.to_string().into_bytes(),
            rounds: 40,
            audited: true,
        },
        Seed {
            who: &ana,
            uri: "/volunteer/sign-in?lang=en".into(),
            content_type: FORM.into(),
            body: serde_urlencoded::to_string([("pseudonym", "ana"), ("passphrase", PASSPHRASE)])
                .unwrap()
                .into_bytes(),
            rounds: 40,
            audited: true,
        },
        Seed {
            who: &ana,
            uri: format!("/volunteer/tasks/{}/entry?lang=en", tasks[2]),
            content_type: FORM.into(),
            body: form(&ana.csrf, &entry_fields),
            rounds: ROUNDS,
            audited: false,
        },
        Seed {
            who: &beto,
            uri: format!("/api/v1/volunteer/tasks/{}/entry", tasks[3]),
            content_type: JSON.into(),
            body: serde_json::json!({ "table": "201301006.01", "counts": counts, "null_votes": 0, "confirm": true })
                .to_string()
                .into_bytes(),
            rounds: ROUNDS,
            audited: false,
        },
        Seed {
            who: &coordinator,
            uri: format!("/api/v1/volunteer/tasks/{}/resolve", tasks[0]),
            content_type: JSON.into(),
            body: serde_json::json!({ "decision": "keep", "typist": "ana", "reason": "mine" })
                .to_string()
                .into_bytes(),
            rounds: ROUNDS,
            audited: false,
        },
        Seed {
            who: &coordinator,
            uri: format!("/volunteer/tasks/{}/resolve?lang=en", tasks[1]),
            content_type: FORM.into(),
            body: form(
                &coordinator.csrf,
                &[("decision", "return"), ("typist", "beto"), ("reason", "blurred")],
            ),
            rounds: ROUNDS,
            audited: false,
        },
        Seed {
            who: &coordinator,
            uri: format!("/volunteer/conflicts/{CONFLICT_TABLE}/decide?lang=en"),
            content_type: FORM.into(),
            body: form(&coordinator.csrf, &[("keep", &keep), ("reason", "the witnesses' copy")]),
            rounds: ROUNDS,
            audited: false,
        },
        Seed {
            who: &coordinator,
            uri: "/api/v1/volunteer/users".into(),
            content_type: JSON.into(),
            body: serde_json::json!({ "pseudonym": "owl-7", "role": "typist" })
                .to_string()
                .into_bytes(),
            rounds: ROUNDS,
            audited: false,
        },
        Seed {
            who: &coordinator,
            uri: "/volunteer/users?lang=en".into(),
            content_type: FORM.into(),
            body: form(&coordinator.csrf, &[("pseudonym", "owl-8"), ("role", "observer")]),
            rounds: ROUNDS,
            audited: false,
        },
        Seed {
            who: &uploader,
            uri: "/api/v1/volunteer/upload".into(),
            content_type: multipart_type,
            body: multipart_body,
            rounds: ROUNDS,
            audited: false,
        },
        Seed {
            who: &ana,
            uri: "/volunteer/tasks/next?lang=en".into(),
            content_type: FORM.into(),
            body: form(&ana.csrf, &[]),
            rounds: ROUNDS,
            audited: false,
        },
    ];

    let mut mutator = Mutator(0x7665_6564_6f72_2024);
    let mut answered = std::collections::BTreeMap::<u16, usize>::new();
    for seed in &seeds {
        for round in 0..seed.rounds {
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
            if round == 0 {
                // The seed itself is a body the route takes: the mutations start from success.
                assert!(
                    response.status.is_success() || response.status.is_redirection(),
                    "{}: the valid body was refused: {} {}",
                    seed.uri,
                    response.status,
                    response.text()
                );
            }
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
                let after = stored(&h.fixture.writer);
                let audit_event = usize::from(seed.audited);
                assert!(
                    after.2 == before.2
                        && after.3 == before.3
                        && after.1 <= before.1 + audit_event
                        && after.0 <= before.0 + u64::from(seed.audited),
                    "{} with {shown:?}: refused ({}) but the store changed: {before:?} to {after:?}",
                    seed.uri,
                    response.status
                );
            }
        }
    }
    let sent: usize = seeds.iter().map(|seed| seed.rounds).sum();
    println!("answers to {sent} bodies: {answered:?}");
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
    let listed = ana.get(&h.app, "/api/v1/volunteer/tasks").await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text());
}
