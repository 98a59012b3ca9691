//! The volunteers' desk through the router, on a real SQLite store: sign-in, sessions, CSRF,
//! roles, uploads, double-blind entry, the coordinator's decisions, suspension, and the limits,
//! each played as an attacker would.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use sha2::{Digest as _, Sha256};
use tower::ServiceExt as _;
use veedor_core::entry::Role;
use veedor_core::{Pseudonym, SourceKind, TableId, Timestamp};
use veedor_sim::sheet::{Condition, FileFormat, Sheet, Ve2024Place, encode, render};
use veedor_web::{AppState, Desk, DeskOptions, ServeOptions, app};

use crate::handlers::Response;
use crate::support::{CONFLICT_TABLE, Fixture, fixture, scan_png};

/// Random bytes for the tests: distinct, not secret.
pub fn test_random(bytes: &mut [u8]) -> Result<(), String> {
    static COUNTER: AtomicU64 = AtomicU64::new(1);
    for chunk in bytes.chunks_mut(32) {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let digest = Sha256::digest(n.to_le_bytes());
        chunk.copy_from_slice(&digest[..chunk.len()]);
    }
    Ok(())
}

pub const PASSPHRASE: &str = "correct horse battery staple";

pub struct Harness {
    pub fixture: Fixture,
    pub state: AppState,
    pub app: Router,
}

/// The default limits, but room for every sign-in a test makes: in-process requests carry no
/// address, so they all count as one client.
pub fn roomy() -> DeskOptions {
    DeskOptions {
        sign_in_per_client_per_minute: 1000,
        ..DeskOptions::default()
    }
}

/// A server's state on the fixture's store, with a desk of its own.
pub fn desk_state(fixture: &Fixture, options: DeskOptions) -> AppState {
    let state = fixture.state(ServeOptions {
        lookup_limit_per_minute: 0,
        clock: || Timestamp::from_second(1_722_300_000).unwrap(),
        ..ServeOptions::default()
    });
    let store = veedor_store_sqlite::SqliteStore::open(fixture.path(), &|text| {
        veedor_formats::parse_election(text).map_err(|error| error.to_string())
    })
    .unwrap();
    let blobs = std::sync::Arc::new(store.blobs());
    assert!(state.open_desk(Desk::new(Box::new(store), blobs, test_random, options)));
    state
}

pub fn harness(options: DeskOptions) -> Harness {
    let fixture = fixture(300);
    let state = desk_state(&fixture, options);
    let app = app(state.clone());
    Harness {
        fixture,
        state,
        app,
    }
}

/// One request through the router.
pub async fn send(
    app: &Router,
    method: Method,
    uri: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> Response {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec();
    Response {
        status,
        headers,
        body,
    }
}

/// A signed-in volunteer: their cookie and CSRF token.
#[derive(Clone, Debug)]
pub struct Signed {
    /// Their pseudonym.
    pub name: String,
    pub cookie: String,
    pub csrf: String,
}

impl Signed {
    pub async fn get(&self, app: &Router, uri: &str) -> Response {
        send(app, Method::GET, uri, &[("cookie", &self.cookie)], vec![]).await
    }

    /// A JSON write with the CSRF header.
    pub async fn post_json(&self, app: &Router, uri: &str, body: serde_json::Value) -> Response {
        send(
            app,
            Method::POST,
            uri,
            &[
                ("cookie", &self.cookie),
                ("x-csrf-token", &self.csrf),
                ("content-type", "application/json"),
            ],
            body.to_string().into_bytes(),
        )
        .await
    }

    /// A form as a browser sends it, with the CSRF field.
    pub async fn post_form(&self, app: &Router, uri: &str, fields: &[(&str, &str)]) -> Response {
        let mut all: Vec<(&str, &str)> = vec![("csrf", &self.csrf)];
        all.extend_from_slice(fields);
        send(
            app,
            Method::POST,
            uri,
            &[
                ("cookie", &self.cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            serde_urlencoded::to_string(&all).unwrap().into_bytes(),
        )
        .await
    }
}

fn cookie_of(response: &Response) -> String {
    let set = response.header("set-cookie");
    assert!(set.contains("HttpOnly"), "{set}");
    assert!(set.contains("SameSite=Strict"), "{set}");
    set.split(';').next().unwrap().to_owned()
}

/// Adds a volunteer (as the command line does), sets their passphrase with the code and signs
/// them in, all through the JSON API.
pub async fn volunteer(harness: &mut Harness, name: &str, role: Role) -> Signed {
    let mut random = [0u8; 15];
    test_random(&mut random).unwrap();
    let code = veedor_app::volunteers::add_volunteer(
        &mut harness.fixture.writer,
        None,
        Pseudonym::new(name).unwrap(),
        role,
        random,
        Timestamp::from_second(1_722_300_000).unwrap(),
    )
    .unwrap();
    let json = [("content-type", "application/json")];
    let activated = send(
        &harness.app,
        Method::POST,
        "/api/v1/volunteer/activate",
        &json,
        serde_json::json!({ "pseudonym": name, "code": code, "passphrase": PASSPHRASE })
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(activated.status, StatusCode::OK, "{}", activated.text());
    sign_in(harness, name).await
}

pub async fn sign_in(harness: &Harness, name: &str) -> Signed {
    let response = send(
        &harness.app,
        Method::POST,
        "/api/v1/volunteer/session",
        &[("content-type", "application/json")],
        serde_json::json!({ "pseudonym": name, "passphrase": PASSPHRASE })
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    Signed {
        name: name.to_owned(),
        cookie: cookie_of(&response),
        csrf: response.json()["csrf_token"].as_str().unwrap().to_owned(),
    }
}

/// A multipart body of files (and the CSRF token, and a table), as a browser's form sends it.
pub fn multipart(csrf: &str, table: Option<&str>, files: &[Vec<u8>]) -> (String, Vec<u8>) {
    let boundary = "veedor-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    let mut text = |name: &str, value: &str| {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    };
    text("csrf", csrf);
    if let Some(table) = table {
        text("table", table);
    }
    for (index, file) in files.iter().enumerate() {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"IMG_20240728_2030{index:02}.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub async fn upload(
    app: &Router,
    who: &Signed,
    table: Option<&str>,
    files: &[Vec<u8>],
) -> Response {
    let (content_type, body) = multipart(&who.csrf, table, files);
    send(
        app,
        Method::POST,
        "/api/v1/volunteer/upload",
        &[("cookie", &who.cookie), ("content-type", &content_type)],
        body,
    )
    .await
}

/// A photo of a real sheet whose QR code reads.
pub fn sheet_photo(payload: &str) -> Vec<u8> {
    let sheet = Sheet::ve2024(payload, &Ve2024Place::default()).unwrap();
    let page = render(&sheet, &Condition::Dpi200.degradation(7)).unwrap();
    encode(&[page], FileFormat::Jpeg { quality: 85 }).unwrap()
}

/// Waits until the public snapshot has reloaded after a write.
pub async fn settled_public(state: &AppState) {
    for _ in 0..100 {
        let state2 = state.clone();
        let changed = tokio::task::spawn_blocking(move || state2.refresh().unwrap())
            .await
            .unwrap();
        if !changed {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The ballot's 38 counts of table 201301006.01's real acta, as a typist reads them.
const COUNTS: [u32; 38] = [
    140, 7, 10, 8, 1, 7, 1, 0, 2, 3, 0, 1, 8, 1, 0, 1, 0, 3, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 2, 0,
    0, 0, 5, 7, 155, 1, 1,
];

fn entry(table: &str, counts: &[u32]) -> serde_json::Value {
    serde_json::json!({ "table": table, "counts": counts, "null_votes": 0 })
}

/// A photo of a real sheet whose QR code was torn off: no machine can read it.
pub fn torn_photo(payload: &str, seed: u64) -> Vec<u8> {
    let sheet = Sheet::ve2024(payload, &Ve2024Place::default()).unwrap();
    let degradation = Condition::PhonePhoto.degradation(seed);
    let page = veedor_sim::sheet::render_without_code(&sheet, &degradation).unwrap();
    encode(&[page], FileFormat::Jpeg { quality: 80 }).unwrap()
}

/// A torn sheet, uploaded: it waits for people. Returns its task id.
pub async fn waiting_page(harness: &Harness, uploader: &Signed, variant: u8) -> i64 {
    let bytes = torn_photo(crate::support::PAYLOAD, u64::from(variant));
    let response = upload(&harness.app, uploader, None, &[bytes]).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let file = &response.json()["files"][0];
    assert_eq!(file["outcome"], "waiting_for_people", "{file}");
    let sha = file["sha256"].as_str().unwrap().to_owned();
    let queue = harness_queue(harness);
    queue
        .into_iter()
        .find(|(_, hash)| *hash == sha)
        .map(|(id, _)| id)
        .unwrap()
}

fn harness_queue(harness: &Harness) -> Vec<(i64, String)> {
    use veedor_store::prelude::*;
    harness
        .fixture
        .writer
        .queue()
        .unwrap()
        .into_iter()
        .map(|page| (page.id, page.file_sha256.to_hex()))
        .collect()
}

#[tokio::test]
async fn every_volunteer_route_refuses_without_a_session_another_role_or_the_csrf_token() {
    let mut h = harness(roomy());
    let coordinator = volunteer(&mut h, "chief", Role::Coordinator).await;
    let typist = volunteer(&mut h, "owl-7", Role::Typist).await;
    let uploader = volunteer(&mut h, "witness-1", Role::Uploader).await;
    let observer = volunteer(&mut h, "eye", Role::Observer).await;
    let task = waiting_page(&h, &uploader, 1).await;
    let who = |role: Role| match role {
        Role::Coordinator => &coordinator,
        Role::Typist => &typist,
        Role::Uploader => &uploader,
        Role::Observer => &observer,
    };
    use Role::{Coordinator as C, Observer as O, Typist as T, Uploader as U};
    // Every route a session opens, with the roles that may use it.
    let gets: Vec<(String, Vec<Role>)> = vec![
        ("/volunteer/tasks".into(), vec![C, T, O]),
        (format!("/volunteer/tasks/{task}"), vec![C, T, O]),
        (format!("/volunteer/tasks/{task}/page.jpg"), vec![C, T, O]),
        ("/volunteer/users".into(), vec![C]),
        ("/volunteer/audit".into(), vec![C]),
        ("/volunteer/upload".into(), vec![U]),
        ("/api/v1/volunteer/tasks".into(), vec![C, T, O]),
        (format!("/api/v1/volunteer/tasks/{task}"), vec![C, T, O]),
        ("/api/v1/volunteer/users".into(), vec![C]),
        ("/api/v1/volunteer/audit".into(), vec![C]),
        ("/volunteer/conflicts".into(), vec![C, O]),
        ("/api/v1/volunteer/conflicts".into(), vec![C, O]),
    ];
    for (uri, allowed) in &gets {
        let anonymous = send(&h.app, Method::GET, uri, &[], vec![]).await;
        assert_eq!(
            anonymous.status,
            StatusCode::UNAUTHORIZED,
            "{uri} without a session"
        );
        let forged = send(
            &h.app,
            Method::GET,
            uri,
            &[("cookie", "veedor_session=00ff")],
            vec![],
        )
        .await;
        assert_eq!(
            forged.status,
            StatusCode::UNAUTHORIZED,
            "{uri} with a made-up session"
        );
        for role in [C, T, U, O] {
            let response = who(role).get(&h.app, uri).await;
            let expected = if allowed.contains(&role) {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(
                response.status,
                expected,
                "{uri} as {role:?}: {}",
                response.text()
            );
        }
    }
    // Writes: refused without a session, without the CSRF token, from another site's page,
    // and to the wrong role; nothing is stored by any refusal.
    let posts: Vec<(String, Vec<Role>, serde_json::Value)> = vec![
        (
            "/api/v1/volunteer/tasks/next".into(),
            vec![T],
            serde_json::json!({}),
        ),
        (
            format!("/api/v1/volunteer/tasks/{task}/claim"),
            vec![T],
            serde_json::json!({}),
        ),
        (
            format!("/api/v1/volunteer/tasks/{task}/entry"),
            vec![T],
            entry("201301006.01", &COUNTS),
        ),
        (
            format!("/api/v1/volunteer/tasks/{task}/resolve"),
            vec![C],
            serde_json::json!({ "decision": "discard", "reason": "x" }),
        ),
        (
            "/api/v1/volunteer/users".into(),
            vec![C],
            serde_json::json!({ "pseudonym": "newbie", "role": "typist" }),
        ),
        (
            "/api/v1/volunteer/users/owl-7/suspend".into(),
            vec![C],
            serde_json::json!({ "reason": "x" }),
        ),
        (
            format!("/api/v1/volunteer/conflicts/{CONFLICT_TABLE}/decide"),
            vec![C],
            serde_json::json!({ "keep": "#1", "reason": "x" }),
        ),
    ];
    let audit_before = h.fixture.writer_audit_len();
    for (uri, allowed, body) in &posts {
        let bytes = body.to_string().into_bytes();
        let json = ("content-type", "application/json");
        let anonymous = send(&h.app, Method::POST, uri, &[json], bytes.clone()).await;
        assert_eq!(
            anonymous.status,
            StatusCode::UNAUTHORIZED,
            "{uri} without a session"
        );
        for role in [C, T, U, O] {
            let signed = who(role);
            let no_token = send(
                &h.app,
                Method::POST,
                uri,
                &[json, ("cookie", &signed.cookie)],
                bytes.clone(),
            )
            .await;
            assert_eq!(
                no_token.status,
                StatusCode::FORBIDDEN,
                "{uri} as {role:?} without the token"
            );
            assert_eq!(no_token.json()["error"]["reference"], "csrf", "{uri}");
            let others = if role == T {
                &coordinator.csrf
            } else {
                &typist.csrf
            };
            let wrong = send(
                &h.app,
                Method::POST,
                uri,
                &[json, ("cookie", &signed.cookie), ("x-csrf-token", others)],
                bytes.clone(),
            )
            .await;
            assert_eq!(
                wrong.status,
                StatusCode::FORBIDDEN,
                "{uri} as {role:?} with another's token"
            );
            let cross = send(
                &h.app,
                Method::POST,
                uri,
                &[
                    json,
                    ("cookie", &signed.cookie),
                    ("x-csrf-token", &signed.csrf),
                    ("origin", "https://evil.example"),
                    ("host", "veedor.example"),
                ],
                bytes.clone(),
            )
            .await;
            assert_eq!(
                cross.status,
                StatusCode::FORBIDDEN,
                "{uri} as {role:?} from another site"
            );
            if !allowed.contains(&role) {
                let response = signed.post_json(&h.app, uri, body.clone()).await;
                assert_eq!(
                    response.status,
                    StatusCode::FORBIDDEN,
                    "{uri} as {role:?}: {}",
                    response.text()
                );
                assert_eq!(response.json()["error"]["reference"], "forbidden");
            }
        }
    }
    assert_eq!(
        h.fixture.writer_audit_len(),
        audit_before,
        "no refused write was stored"
    );
    // A form without its token, as a cross-site form would post it.
    let form = send(
        &h.app,
        Method::POST,
        "/volunteer/users",
        &[
            ("cookie", &coordinator.cookie),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        b"pseudonym=mole&role=coordinator".to_vec(),
    )
    .await;
    assert_eq!(form.status, StatusCode::FORBIDDEN);
    assert!(form.text().contains("<html"), "a page for a person");
    // An upload without the token.
    let (content_type, body) = multipart("not-the-token", None, &[scan_png()]);
    let refused = send(
        &h.app,
        Method::POST,
        "/api/v1/volunteer/upload",
        &[
            ("cookie", &uploader.cookie),
            ("content-type", &content_type),
        ],
        body,
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn without_the_desk_no_volunteer_route_exists() {
    let fixture = fixture(50);
    let state = fixture.state(ServeOptions::default());
    let app = app(state);
    for uri in ["/volunteer/", "/api/v1/volunteer/tasks"] {
        let response = send(&app, Method::GET, uri, &[], vec![]).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{uri}");
    }
    let response = send(
        &app,
        Method::POST,
        "/api/v1/volunteer/session",
        &[("content-type", "application/json")],
        b"{}".to_vec(),
    )
    .await;
    assert!(response.status.is_client_error(), "{}", response.status);
}

#[tokio::test]
async fn two_typists_who_agree_make_a_counted_manual_copy_naming_both() {
    let mut h = harness(roomy());
    let uploader = volunteer(&mut h, "witness-1", Role::Uploader).await;
    let ana = volunteer(&mut h, "ana", Role::Typist).await;
    let beto = volunteer(&mut h, "beto", Role::Typist).await;
    let task = waiting_page(&h, &uploader, 2).await;
    // The real table whose acta the page is: its result file's copy agrees.
    let table = "201301006.01";

    let claimed = ana
        .post_json(
            &h.app,
            "/api/v1/volunteer/tasks/next",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(claimed.json()["claimed"], task, "{}", claimed.text());
    // Beto cannot enter what Ana claimed, nor see her entry later.
    let early = beto
        .post_json(
            &h.app,
            &format!("/api/v1/volunteer/tasks/{task}/entry"),
            entry(table, &COUNTS),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.text());
    let entered = ana
        .post_json(
            &h.app,
            &format!("/api/v1/volunteer/tasks/{task}/entry"),
            entry(table, &COUNTS),
        )
        .await;
    assert_eq!(entered.status, StatusCode::OK, "{}", entered.text());
    assert_eq!(entered.json()["settled"], false);
    // Ana may not enter the same page twice.
    let again = ana
        .post_json(
            &h.app,
            &format!("/api/v1/volunteer/tasks/{task}/claim"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
    let seen = beto
        .get(&h.app, &format!("/api/v1/volunteer/tasks/{task}"))
        .await
        .json();
    // Beto learns that someone entered the page, never who, what, or even where.
    assert_eq!(seen["entries"], 1, "{seen}");
    assert!(seen["area"].is_null(), "blind: {seen}");
    assert!(!seen.to_string().contains("ana"), "blind: {seen}");

    beto.post_json(
        &h.app,
        &format!("/api/v1/volunteer/tasks/{task}/claim"),
        serde_json::json!({}),
    )
    .await;
    let second = beto
        .post_json(
            &h.app,
            &format!("/api/v1/volunteer/tasks/{task}/entry"),
            entry(table, &COUNTS),
        )
        .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text());
    assert_eq!(second.json()["settled"], true);

    settled_public(&h.state).await;
    let snapshot = h.state.snapshot();
    let id = TableId::parse(table, 9).unwrap();
    let copies: Vec<_> = snapshot
        .results
        .dataset
        .copies
        .iter()
        .filter(|copy| copy.record.table == id && copy.provenance.source == SourceKind::ManualEntry)
        .collect();
    assert_eq!(copies.len(), 1);
    let status = snapshot.results.table(id).unwrap().assessment.status;
    assert_eq!(
        status,
        veedor_core::TableStatus::Corroborated,
        "counted, and agreeing"
    );
    let typists: Vec<&str> = copies[0]
        .provenance
        .entered_by
        .iter()
        .map(Pseudonym::as_str)
        .collect();
    assert_eq!(typists, ["ana", "beto"]);
    let page = send(
        &h.app,
        Method::GET,
        &format!("/acta/{}", copies[0].id.get()),
        &[],
        vec![],
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(
        html.contains("ana, beto"),
        "both pseudonyms on the public acta page"
    );
    assert!(!html.contains("IMG_2024"), "never the phone's file name");
}

#[tokio::test]
async fn a_third_typist_settles_a_disagreement_and_the_coordinator_decides_a_dispute() {
    let mut h = harness(roomy());
    let uploader = volunteer(&mut h, "witness-1", Role::Uploader).await;
    let coordinator = volunteer(&mut h, "chief", Role::Coordinator).await;
    let typists = [
        volunteer(&mut h, "ana", Role::Typist).await,
        volunteer(&mut h, "beto", Role::Typist).await,
        volunteer(&mut h, "caro", Role::Typist).await,
    ];
    let table = "201301006.01";
    let mut wrong = COUNTS;
    wrong[0] = 104;
    let first = waiting_page(&h, &uploader, 3).await;
    for (typist, counts) in typists.iter().zip([COUNTS, wrong, COUNTS]) {
        typist
            .post_json(
                &h.app,
                &format!("/api/v1/volunteer/tasks/{first}/claim"),
                serde_json::json!({}),
            )
            .await;
        let response = typist
            .post_json(
                &h.app,
                &format!("/api/v1/volunteer/tasks/{first}/entry"),
                entry(table, &counts),
            )
            .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    }
    let tasks = coordinator
        .get(&h.app, "/api/v1/volunteer/tasks")
        .await
        .json();
    let row = tasks["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["id"] == first)
        .unwrap()
        .clone();
    assert_eq!(row["phase"], "settled", "two of three agree: {row}");

    // Three different readings: disputed; a typist may not decide; the coordinator keeps one.
    let second = waiting_page(&h, &uploader, 4).await;
    let mut third = COUNTS;
    third[1] = 70;
    for (typist, counts) in typists.iter().zip([COUNTS, wrong, third]) {
        typist
            .post_json(
                &h.app,
                &format!("/api/v1/volunteer/tasks/{second}/claim"),
                serde_json::json!({}),
            )
            .await;
        typist
            .post_json(
                &h.app,
                &format!("/api/v1/volunteer/tasks/{second}/entry"),
                entry("201301006.01", &counts),
            )
            .await;
    }
    let view = coordinator
        .get(&h.app, &format!("/api/v1/volunteer/tasks/{second}"))
        .await
        .json();
    assert_eq!(view["phase"], "disputed", "{view}");
    assert_eq!(
        view["entries"].as_array().unwrap().len(),
        3,
        "the coordinator sees them side by side"
    );
    let page = coordinator
        .get(&h.app, &format!("/volunteer/tasks/{second}"))
        .await
        .text();
    assert!(page.contains("beto") && page.contains("caro") && page.contains("name=\"decision\""));
    let by_typist = typists[0]
        .post_json(
            &h.app,
            &format!("/api/v1/volunteer/tasks/{second}/resolve"),
            serde_json::json!({ "decision": "keep", "typist": "ana", "reason": "mine" }),
        )
        .await;
    assert_eq!(by_typist.status, StatusCode::FORBIDDEN);
    let no_reason = coordinator
        .post_json(
            &h.app,
            &format!("/api/v1/volunteer/tasks/{second}/resolve"),
            serde_json::json!({ "decision": "keep", "typist": "ana", "reason": " " }),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    let kept = coordinator
        .post_form(
            &h.app,
            &format!("/volunteer/tasks/{second}/resolve?lang=en"),
            &[
                ("decision", "keep"),
                ("typist", "ana"),
                ("reason", "the scan shows 140"),
            ],
        )
        .await;
    assert_eq!(kept.status, StatusCode::SEE_OTHER, "{}", kept.text());
    let view = coordinator
        .get(&h.app, &format!("/api/v1/volunteer/tasks/{second}"))
        .await
        .json();
    assert_eq!(view["phase"], "settled");

    // The agreement rates: ana agreed twice, beto never.
    let users = coordinator
        .get(&h.app, "/api/v1/volunteer/users")
        .await
        .json();
    let rate = |name: &str| {
        let user = users["volunteers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["pseudonym"] == name)
            .unwrap()
            .clone();
        (
            user["entries_agreed"].as_u64().unwrap(),
            user["entries_on_settled_pages"].as_u64().unwrap(),
        )
    };
    assert_eq!(rate("ana"), (2, 2));
    assert_eq!(rate("beto"), (0, 2));
    // The audit names each step, by pseudonym, never the numbers.
    let audit = coordinator
        .get(&h.app, "/api/v1/volunteer/audit?action=task.keep")
        .await
        .json();
    let events = audit["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{audit}");
    assert_eq!(events[0]["actor"], "chief");
    assert!(
        events[0]["detail"]
            .as_str()
            .unwrap()
            .contains("the scan shows 140")
    );
    let all = coordinator
        .get(&h.app, "/api/v1/volunteer/audit?actor=beto")
        .await
        .json();
    assert!(
        all["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|event| event["action"] == "task.enter")
    );
    assert!(
        !all.to_string().contains("104"),
        "the audit never holds entered numbers"
    );
}

#[tokio::test]
async fn suspending_a_typist_ends_their_sessions_and_their_unconfirmed_entries() {
    let mut h = harness(roomy());
    let uploader = volunteer(&mut h, "witness-1", Role::Uploader).await;
    let coordinator = volunteer(&mut h, "chief", Role::Coordinator).await;
    let troll = volunteer(&mut h, "troll", Role::Typist).await;
    let task = waiting_page(&h, &uploader, 5).await;
    troll
        .post_json(
            &h.app,
            &format!("/api/v1/volunteer/tasks/{task}/claim"),
            serde_json::json!({}),
        )
        .await;
    troll
        .post_json(
            &h.app,
            &format!("/api/v1/volunteer/tasks/{task}/entry"),
            entry("201301006.01", &COUNTS),
        )
        .await;
    let before = coordinator
        .get(&h.app, &format!("/api/v1/volunteer/tasks/{task}"))
        .await
        .json();
    assert_eq!(before["entries"].as_array().unwrap().len(), 1);

    let suspended = coordinator
        .post_json(
            &h.app,
            &format!("/api/v1/volunteer/users/{}/suspend", troll.name),
            serde_json::json!({ "reason": "made-up numbers" }),
        )
        .await;
    assert_eq!(suspended.status, StatusCode::OK, "{}", suspended.text());
    let after = coordinator
        .get(&h.app, &format!("/api/v1/volunteer/tasks/{task}"))
        .await
        .json();
    assert_eq!(
        after["entries"].as_array().unwrap().len(),
        0,
        "the unconfirmed entry no longer counts: {after}"
    );
    assert_eq!(after["phase"], "open");
    // Their session ended, and signing in again is refused.
    let gone = troll.get(&h.app, "/api/v1/volunteer/tasks").await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED);
    let again = send(
        &h.app,
        Method::POST,
        "/api/v1/volunteer/session",
        &[("content-type", "application/json")],
        serde_json::json!({ "pseudonym": "troll", "passphrase": PASSPHRASE })
            .to_string()
            .into_bytes(),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.text());
    // A coordinator cannot suspend themselves.
    let self_suspend = coordinator
        .post_json(
            &h.app,
            "/api/v1/volunteer/users/chief/suspend",
            serde_json::json!({ "reason": "oops" }),
        )
        .await;
    assert_eq!(self_suspend.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn sign_in_attempts_are_limited_per_account_and_per_client() {
    let mut h = harness(DeskOptions {
        sign_in_failures: 3,
        sign_in_per_client_per_minute: 8,
        ..DeskOptions::default()
    });
    volunteer(&mut h, "ana", Role::Typist).await;
    let attempt = |name: &'static str, passphrase: &'static str, peer: &'static str| {
        let app = h.app.clone();
        async move {
            let mut request = Request::builder()
                .method(Method::POST)
                .uri("/api/v1/volunteer/session")
                .header("content-type", "application/json");
            request = request.extension(axum::extract::ConnectInfo(std::net::SocketAddr::new(
                peer.parse().unwrap(),
                40_000,
            )));
            let body =
                serde_json::json!({ "pseudonym": name, "passphrase": passphrase }).to_string();
            app.oneshot(request.body(Body::from(body)).unwrap())
                .await
                .unwrap()
                .status()
        }
    };
    // Wrong passphrases for ana, from several addresses: after 3, even the right one waits.
    for peer in ["198.51.100.1", "198.51.100.2", "203.0.113.9"] {
        assert_eq!(
            attempt("ana", "wrong wrong wrong", peer).await,
            StatusCode::CONFLICT
        );
    }
    assert_eq!(
        attempt("ana", PASSPHRASE, "192.0.2.44").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another account from another client is not held back.
    assert_eq!(
        attempt("nobody", "wrong wrong wrong", "192.0.2.45").await,
        StatusCode::CONFLICT
    );
    // One client trying many accounts is limited by its address.
    let mut statuses = Vec::new();
    for _ in 0..10 {
        statuses.push(attempt("someone", "x", "192.0.2.77").await);
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_session_ends_when_idle_and_at_sign_out() {
    // Three seconds: a session's first request after signing in must fall within it even on a
    // loaded machine (a 300 ms window failed there), and the wait beyond it is then certain.
    let mut h = harness(DeskOptions {
        session_idle: Duration::from_secs(3),
        ..roomy()
    });
    let ana = volunteer(&mut h, "ana", Role::Typist).await;
    assert_eq!(
        ana.get(&h.app, "/api/v1/volunteer/tasks").await.status,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    assert_eq!(
        ana.get(&h.app, "/api/v1/volunteer/tasks").await.status,
        StatusCode::UNAUTHORIZED
    );

    let ana = sign_in(&h, "ana").await;
    let out = send(
        &h.app,
        Method::DELETE,
        "/api/v1/volunteer/session",
        &[("cookie", &ana.cookie), ("x-csrf-token", &ana.csrf)],
        vec![],
    )
    .await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.text());
    assert!(out.header("set-cookie").contains("Max-Age=0"));
    assert_eq!(
        ana.get(&h.app, "/api/v1/volunteer/tasks").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_session_outlives_a_restart_of_the_server_and_is_stored_only_as_a_hash() {
    let mut h = harness(roomy());
    let ana = volunteer(&mut h, "ana", Role::Typist).await;
    // Another server on the same store (a restart, or a second process behind a load
    // balancer): the session is known there.
    let restarted = app(desk_state(&h.fixture, roomy()));
    assert_eq!(
        ana.get(&restarted, "/api/v1/volunteer/tasks").await.status,
        StatusCode::OK
    );
    // The database holds the token's SHA-256, never the token.
    let token = ana.cookie.split_once('=').unwrap().1;
    for file in std::fs::read_dir(h.fixture.path()).unwrap() {
        let path = file.unwrap().path();
        if path.is_file() {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                !bytes
                    .windows(token.len())
                    .any(|window| window == token.as_bytes()),
                "the session's token is in {}",
                path.display()
            );
        }
    }
}

#[tokio::test]
async fn uploads_are_read_counted_and_limited() {
    let mut h = harness(DeskOptions {
        upload_quota: 4,
        upload_quota_per_confirmed: 1,
        // The fixture's own scan of the table was sent by a volunteer: one more fits.
        uploads_per_table: 2,
        max_file_bytes: 6 << 20,
        ..roomy()
    });
    let uploader = volunteer(&mut h, "witness-1", Role::Uploader).await;
    let other = volunteer(&mut h, "witness-2", Role::Uploader).await;
    // A photo whose code reads: counted, with the uploader's pseudonym, under a name of ours.
    let photo = sheet_photo(crate::support::PAYLOAD);
    let response = upload(
        &h.app,
        &uploader,
        Some("201301006.02"),
        std::slice::from_ref(&photo),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let file = &response.json()["files"][0];
    assert_eq!(file["outcome"], "counted", "{file}");
    assert_eq!(file["tables"][0], "201301006.01");
    assert_eq!(
        file["table_given_differs"], "201301006.02",
        "the uploader is told"
    );
    settled_public(&h.state).await;
    let snapshot = h.state.snapshot();
    let copy = snapshot
        .results
        .dataset
        .copies
        .iter()
        .find(|copy| {
            copy.provenance
                .volunteer
                .as_ref()
                .is_some_and(|v| v.as_str() == "witness-1")
        })
        .unwrap();
    assert!(
        copy.provenance.file_name.starts_with("upload-"),
        "{}",
        copy.provenance.file_name
    );
    assert!(copy.provenance.device.is_none());
    // The same file again adds nothing.
    let again = upload(&h.app, &uploader, None, std::slice::from_ref(&photo)).await;
    assert_eq!(again.json()["files"][0]["outcome"], "already_received");
    // Another photo of the same table by another witness: the table's uploaded copies are full.
    let second = sheet_photo(crate::support::PAYLOAD);
    let mut recompressed = Vec::new();
    image::load_from_memory(&second)
        .unwrap()
        .to_rgb8()
        .write_to(
            &mut std::io::Cursor::new(&mut recompressed),
            image::ImageFormat::Png,
        )
        .unwrap();
    let capped = upload(&h.app, &other, None, &[recompressed]).await;
    let refused = capped.json()["files"][0]["refused"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        refused.contains("uploaded copies already"),
        "{}",
        capped.text()
    );
    // Not an image; too large; the quota.
    let junk = upload(&h.app, &uploader, None, &[b"MZ\x90\0 not a scan".to_vec()]).await;
    assert!(
        junk.json()["files"][0]["refused"]
            .as_str()
            .unwrap()
            .contains("not a readable"),
        "{}",
        junk.text()
    );
    let big = upload(&h.app, &uploader, None, &[vec![0xFF; 7 << 20]]).await;
    assert!(
        big.json()["files"][0]["refused"]
            .as_str()
            .unwrap()
            .contains("larger than"),
        "{}",
        big.text()
    );
    // The quota: 4 files, and one more for the photo an independent copy confirmed (the
    // result file agrees with it). Two were sent (the photo, and the same photo again).
    for variant in 10..20u8 {
        let mut image = image::load_from_memory(&scan_png()).unwrap().to_luma8();
        image.put_pixel(9, 9, image::Luma([variant]));
        let mut bytes = Vec::new();
        image
            .write_to(
                &mut std::io::Cursor::new(&mut bytes),
                image::ImageFormat::Png,
            )
            .unwrap();
        let response = upload(&h.app, &uploader, None, &[bytes]).await.json();
        assert_eq!(response["quota"]["allowed"], 5, "{response}");
        if let Some(refused) = response["files"][0]["refused"].as_str() {
            assert!(refused.contains("quota of 5 files"), "{refused}");
            assert_eq!(response["quota"]["sent"], 5, "{response}");
            assert_eq!(variant, 13, "refused at the sixth file");
            return;
        }
    }
    panic!("the quota never refused");
}

#[tokio::test]
async fn the_entry_form_comes_from_the_ballot_and_findings_show_before_sending() {
    let mut h = harness(roomy());
    let uploader = volunteer(&mut h, "witness-1", Role::Uploader).await;
    let ana = volunteer(&mut h, "ana", Role::Typist).await;
    let task = waiting_page(&h, &uploader, 6).await;
    ana.post_form(&h.app, "/volunteer/tasks/next?lang=en", &[])
        .await;
    let page = ana
        .get(&h.app, &format!("/volunteer/tasks/{task}?lang=en"))
        .await;
    let html = page.text();
    let election = h.state.snapshot().results.election().clone();
    assert_eq!(
        html.matches("inputmode=\"numeric\"").count(),
        2 + election.cards.len() + 3,
        "table, every card, the totals"
    );
    assert!(
        html.contains(&format!("{} · ", election.cards[0].party)),
        "labels from the election file"
    );
    assert!(html.contains("name=\"csrf\""));
    assert!(!html.contains("<script"));
    // Stated valid votes that do not add up: shown, nothing stored.
    let mut fields: Vec<(String, String)> = vec![
        ("centre".into(), "201301006".into()),
        ("number".into(), "7".into()),
    ];
    for (index, count) in COUNTS.iter().enumerate() {
        fields.push((format!("c{index}"), count.to_string()));
    }
    fields.push(("stated_valid_votes".into(), "9999".into()));
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let first = ana
        .post_form(
            &h.app,
            &format!("/volunteer/tasks/{task}/entry?lang=en"),
            &borrowed,
        )
        .await;
    assert_eq!(
        first.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        first.text()
    );
    let html = first.text();
    assert!(html.contains("Check before sending"), "{html}");
    assert!(html.contains("value=\"9999\""), "what was typed stays");
    let entries = h.fixture.writer_task_events(task);
    assert_eq!(entries, 1, "only the claim is stored");
    // A malformed number is named.
    let bad = ana
        .post_form(
            &h.app,
            &format!("/volunteer/tasks/{task}/entry?lang=en"),
            &[("centre", "201301006"), ("number", "7"), ("c0", "1O")],
        )
        .await;
    assert!(
        bad.text().contains("is not a whole number"),
        "{}",
        bad.text()
    );
}

#[tokio::test]
async fn the_openapi_document_names_every_volunteer_route_when_the_desk_is_open() {
    let h = harness(roomy());
    let document = send(&h.app, Method::GET, "/api/v1/openapi.json", &[], vec![])
        .await
        .json();
    let routes = [
        ("post", "/api/v1/volunteer/session"),
        ("delete", "/api/v1/volunteer/session"),
        ("post", "/api/v1/volunteer/activate"),
        ("get", "/api/v1/volunteer/tasks"),
        ("post", "/api/v1/volunteer/tasks/next"),
        ("get", "/api/v1/volunteer/tasks/{id}"),
        ("post", "/api/v1/volunteer/tasks/{id}/claim"),
        ("post", "/api/v1/volunteer/tasks/{id}/entry"),
        ("post", "/api/v1/volunteer/tasks/{id}/resolve"),
        ("get", "/api/v1/volunteer/users"),
        ("post", "/api/v1/volunteer/users"),
        ("post", "/api/v1/volunteer/users/{pseudonym}/suspend"),
        ("get", "/api/v1/volunteer/audit"),
        ("post", "/api/v1/volunteer/upload"),
        ("get", "/api/v1/volunteer/conflicts"),
        ("post", "/api/v1/volunteer/conflicts/{table}/decide"),
    ];
    for (method, path) in routes {
        assert!(
            document["paths"][path][method].is_object(),
            "{method} {path} is not in the OpenAPI document"
        );
        // Every route answers (not 404/405) when asked without a session.
        let uri = path
            .replace("{id}", "1")
            .replace("{pseudonym}", "owl-7")
            .replace("{table}", "201301006.02");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let response = send(
            &h.app,
            method.clone(),
            &uri,
            &[("content-type", "application/json")],
            b"{}".to_vec(),
        )
        .await;
        assert!(
            ![StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED].contains(&response.status),
            "{method} {uri}: {}",
            response.status
        );
    }
    let desk_paths = document["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|path| path.contains("/volunteer/"))
        .count();
    assert_eq!(
        desk_paths, 14,
        "no route documented that the router does not serve"
    );
    // Without the desk the document does not name them.
    let plain = veedor_web::openapi_document();
    assert!(
        plain["paths"]
            .as_object()
            .unwrap()
            .keys()
            .all(|path| !path.contains("/volunteer/"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_desk_page_passes_axe_at_phone_width_without_javascript() {
    use crate::support::axe::{Page, check_pages};
    let mut h = harness(roomy());
    let coordinator = volunteer(&mut h, "chief", Role::Coordinator).await;
    let typists = [
        volunteer(&mut h, "ana", Role::Typist).await,
        volunteer(&mut h, "beto", Role::Typist).await,
        volunteer(&mut h, "caro", Role::Typist).await,
    ];
    let uploader = volunteer(&mut h, "witness-1", Role::Uploader).await;
    let observer = volunteer(&mut h, "eye", Role::Observer).await;
    // A disputed page (three readings), and a page Ana holds with its form open.
    let disputed = waiting_page(&h, &uploader, 30).await;
    for (index, typist) in typists.iter().enumerate() {
        let mut counts = COUNTS;
        counts[0] += u32::try_from(index).unwrap();
        typist
            .post_json(
                &h.app,
                &format!("/api/v1/volunteer/tasks/{disputed}/claim"),
                serde_json::json!({}),
            )
            .await;
        typist
            .post_json(
                &h.app,
                &format!("/api/v1/volunteer/tasks/{disputed}/entry"),
                entry("201301006.01", &counts),
            )
            .await;
    }
    let open = waiting_page(&h, &uploader, 31).await;
    typists[0]
        .post_json(
            &h.app,
            &format!("/api/v1/volunteer/tasks/{open}/claim"),
            serde_json::json!({}),
        )
        .await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(veedor_web::serve(listener, h.state.clone(), async {
        let _ = stopped.await;
    }));
    let base = format!("http://{address}");
    let kinds: Vec<(&str, String, Option<&Signed>, u16)> = vec![
        ("sign-in", "/volunteer/".into(), None, 200),
        ("activate", "/volunteer/activate".into(), None, 200),
        ("signed-out", "/volunteer/tasks".into(), None, 401),
        (
            "home-coordinator",
            "/volunteer/".into(),
            Some(&coordinator),
            200,
        ),
        ("home-typist", "/volunteer/".into(), Some(&typists[1]), 200),
        ("home-uploader", "/volunteer/".into(), Some(&uploader), 200),
        ("home-observer", "/volunteer/".into(), Some(&observer), 200),
        (
            "tasks-typist",
            "/volunteer/tasks".into(),
            Some(&typists[1]),
            200,
        ),
        (
            "tasks-coordinator",
            "/volunteer/tasks".into(),
            Some(&coordinator),
            200,
        ),
        (
            "task-form",
            format!("/volunteer/tasks/{open}"),
            Some(&typists[0]),
            200,
        ),
        (
            "task-offered",
            format!("/volunteer/tasks/{open}"),
            Some(&typists[1]),
            200,
        ),
        (
            "task-disputed",
            format!("/volunteer/tasks/{disputed}"),
            Some(&coordinator),
            200,
        ),
        ("users", "/volunteer/users".into(), Some(&coordinator), 200),
        ("audit", "/volunteer/audit".into(), Some(&coordinator), 200),
        (
            "conflicts",
            "/volunteer/conflicts".into(),
            Some(&coordinator),
            200,
        ),
        (
            "conflicts-observer",
            "/volunteer/conflicts".into(),
            Some(&observer),
            200,
        ),
        ("upload", "/volunteer/upload".into(), Some(&uploader), 200),
        (
            "forbidden",
            "/volunteer/users".into(),
            Some(&typists[2]),
            403,
        ),
    ];
    let mut pages = Vec::new();
    for lang in ["es", "en"] {
        for (kind, path, who, status) in &kinds {
            let page = Page::new(
                format!("{kind}-{lang}"),
                format!("{base}{path}?lang={lang}"),
                *status,
            );
            pages.push(Page {
                cookie: who.map(|who| who.cookie.clone()),
                ..page
            });
        }
    }
    let count = pages.len();
    let report = tokio::task::spawn_blocking(move || check_pages("desk", &pages, &[]))
        .await
        .unwrap();
    // No desk page loads a script: each was checked once, without JavaScript.
    assert_eq!(report["pages"].as_array().unwrap().len(), count);
    let _ = stop.send(());
}

#[tokio::test]
async fn a_coordinator_decides_a_conflict_at_the_desk_and_the_public_page_shows_it() {
    let mut h = harness(roomy());
    let coordinator = volunteer(&mut h, "chief", Role::Coordinator).await;
    let listed = coordinator
        .get(&h.app, "/api/v1/volunteer/conflicts")
        .await
        .json();
    let table = listed["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|table| table["table"] == CONFLICT_TABLE)
        .unwrap_or_else(|| panic!("{listed}"))
        .clone();
    assert_eq!(table["status"], "conflict");
    let copies = table["copies"].as_array().unwrap();
    assert_eq!(copies.len(), 2, "{table}");
    let csv = copies.iter().find(|copy| copy["source"] == "csv").unwrap();
    let page = coordinator
        .get(&h.app, "/volunteer/conflicts?lang=en")
        .await
        .text();
    assert!(page.contains("name=\"keep\"") && page.contains(CONFLICT_TABLE));
    // A reason is required; a copy of another table is refused; nothing is stored by either.
    let uri = format!("/volunteer/conflicts/{CONFLICT_TABLE}/decide?lang=en");
    let keep = csv["name"].as_str().unwrap();
    let no_reason = coordinator
        .post_form(&h.app, &uri, &[("keep", keep), ("reason", " ")])
        .await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    let wrong = coordinator
        .post_form(&h.app, &uri, &[("keep", "#999999"), ("reason", "x")])
        .await;
    assert_eq!(wrong.status, StatusCode::CONFLICT, "{}", wrong.text());
    let decided = coordinator
        .post_form(
            &h.app,
            &uri,
            &[
                ("keep", keep),
                ("reason", "the result file matches the witnesses' copy"),
            ],
        )
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.text());
    settled_public(&h.state).await;
    let public = send(
        &h.app,
        Method::GET,
        &format!("/table/{CONFLICT_TABLE}?lang=en"),
        &[],
        vec![],
    )
    .await
    .text();
    assert!(
        public.contains("the result file matches the witnesses") && public.contains("chief"),
        "{public}"
    );
    let json = send(
        &h.app,
        Method::GET,
        &format!("/api/v1/table/{CONFLICT_TABLE}"),
        &[],
        vec![],
    )
    .await
    .json();
    assert_eq!(json["table"]["status"], "decided", "{json}");
    let audit = coordinator
        .get(&h.app, "/api/v1/volunteer/audit?action=copy.decide")
        .await
        .json();
    assert_eq!(audit["events"].as_array().unwrap().len(), 1, "{audit}");
}

#[tokio::test]
async fn an_upload_larger_than_the_route_takes_is_refused_whole() {
    let mut h = harness(DeskOptions {
        max_file_bytes: 1 << 20,
        max_files_per_upload: 2,
        ..roomy()
    });
    let uploader = volunteer(&mut h, "witness-1", Role::Uploader).await;
    let sources = {
        use veedor_store::prelude::*;
        h.fixture.writer.sources().unwrap().len()
    };
    // Three files of a megabyte (more than two files' worth in one request), and a body far
    // over the limit: refused with 413 before anything is read as a scan.
    let response = upload(
        &h.app,
        &uploader,
        None,
        &[
            vec![0xFF; 1 << 20],
            vec![0xFE; 1 << 20],
            vec![0xFD; 1 << 20],
        ],
    )
    .await;
    assert_eq!(
        response.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        response.text()
    );
    assert_eq!(response.json()["error"]["reference"], "too_large");
    // A malformed body: no boundary where one is announced.
    let broken = send(
        &h.app,
        Method::POST,
        "/api/v1/volunteer/upload",
        &[
            ("cookie", &uploader.cookie),
            ("content-type", "multipart/form-data; boundary=nope"),
        ],
        b"--other\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nxx".to_vec(),
    )
    .await;
    assert!(broken.status.is_client_error(), "{}", broken.status);
    use veedor_store::prelude::*;
    assert_eq!(
        h.fixture.writer.sources().unwrap().len(),
        sources,
        "nothing stored"
    );
}
