//! Election night at the volunteers' desk, in real headless Chromium at a phone's size with
//! JavaScript off: a coordinator creates volunteers; a witness uploads a photo whose code reads
//! (counted) and sheets whose code was torn off (waiting); two typists enter one equal (counted,
//! both pseudonyms on the public acta page); another is entered differently and settled by a
//! third typist; the public table pages and the transparency log show each result.

use std::time::Duration;

use fantoccini::{Client, Locator};
use sha2::{Digest as _, Sha256};
use veedor_core::entry::Role;
use veedor_core::{Counts, Pseudonym, Timestamp};
use veedor_store::prelude::*;
use veedor_web::{Desk, ServeOptions};

use crate::desk::{roomy, sheet_photo, torn_photo};
use crate::support::chromium::{browser_with, click, element, screenshot, start_driver, text_of};
use crate::support::{PAYLOAD, results_csv};

const PASSPHRASE: &str = "a long night of counting";

/// A sheet of a real table: its payload (the counts on its cards) and what a typist types.
struct Sheet {
    table: String,
    centre: String,
    number: String,
    cells: Vec<u32>,
    null_votes: u32,
    payload: String,
    photo: Vec<u8>,
}

/// A torn sheet of the `index`-th row of the fixture's result file: each candidate's total on
/// the candidate's first card, as the acta prints it.
fn torn_sheet(election: &veedor_core::Election, index: usize, seed: u64) -> Sheet {
    let parsed = veedor_formats::parse_results(&results_csv(300), election).unwrap();
    let row = &parsed.rows[index];
    let Counts::Candidates(totals) = &row.record.counts else {
        panic!("the result file holds candidates' totals");
    };
    let mut cells = vec![0u32; election.cards.len()];
    for (candidate, total) in totals.iter().enumerate() {
        let card = election
            .cards
            .iter()
            .position(|card| card.candidate == candidate)
            .unwrap();
        cells[card] = *total;
    }
    let null_votes = row.record.null_votes.unwrap_or(0);
    let table = row.record.table.display(9);
    let (centre, number) = table.split_once('.').unwrap();
    let payload = format!(
        "{table}.1.0001!{}!{null_votes}!0",
        cells
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    Sheet {
        table: table.clone(),
        centre: centre.to_owned(),
        number: number.trim_start_matches('0').to_owned(),
        cells,
        null_votes,
        photo: torn_photo(&payload, seed),
        payload,
    }
}

/// The name the desk publishes an upload under.
fn upload_name(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    format!("upload-{}.jpg", &hex[..16])
}

async fn fill(client: &Client, css: &str, value: &str) {
    let field = element(client, css).await;
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

/// Presses the button `css` names and waits until the next page has replaced this one.
async fn submit(client: &Client, css: &str) {
    let old = client.find(Locator::Css("html")).await.unwrap();
    click(client, css).await;
    for _ in 0..200 {
        if old.tag_name().await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("pressing `{css}` loaded no new page");
}

async fn page_text(client: &Client) -> String {
    text_of(client, "main").await
}

/// Signs in through the form.
async fn sign_in(client: &Client, base: &str, name: &str) {
    client
        .goto(&format!("{base}/volunteer/?lang=en"))
        .await
        .unwrap();
    fill(client, "#pseudonym", name).await;
    fill(client, "#passphrase", PASSPHRASE).await;
    submit(client, "form button[type=submit]").await;
    let footer = text_of(client, "footer").await;
    assert!(footer.contains(&format!("Signed in as {name}")), "{footer}");
}

/// Chooses a passphrase with the one-time code and signs in, through the forms.
async fn activate_and_sign_in(client: &Client, base: &str, name: &str, code: &str) {
    client.delete_all_cookies().await.unwrap();
    client
        .goto(&format!("{base}/volunteer/activate?lang=en"))
        .await
        .unwrap();
    fill(client, "#pseudonym", name).await;
    fill(client, "#code", code).await;
    fill(client, "#passphrase", PASSPHRASE).await;
    fill(client, "#again", PASSPHRASE).await;
    submit(client, "form button[type=submit]").await;
    assert!(
        page_text(client)
            .await
            .contains("Passphrase set. You can sign in now."),
        "{name}: {}",
        page_text(client).await
    );
    fill(client, "#pseudonym", name).await;
    fill(client, "#passphrase", PASSPHRASE).await;
    submit(client, "form button[type=submit]").await;
    let footer = text_of(client, "footer").await;
    assert!(footer.contains(&format!("Signed in as {name}")), "{footer}");
}

/// A coordinator's form creates a volunteer; returns their one-time code from the page.
async fn create_volunteer(client: &Client, base: &str, name: &str, role: &str) -> String {
    client
        .goto(&format!("{base}/volunteer/users?lang=en"))
        .await
        .unwrap();
    fill(client, "#pseudonym", name).await;
    click(client, &format!("#role option[value={role}]")).await;
    submit(client, "form.vform button[type=submit]").await;
    let code = text_of(client, "[role=status] code").await;
    assert_eq!(code.len(), 29, "{code}");
    code
}

/// The signed-in typist takes the next page and types what its sheet says (with one added to
/// its first count when it is sheet `wrong_on`), answering the review of findings as a careful
/// typist would.
async fn type_sheet(
    client: &Client,
    base: &str,
    sheets: &[(String, &Sheet)],
    wrong_on: Option<usize>,
) {
    client
        .goto(&format!("{base}/volunteer/tasks?lang=en"))
        .await
        .unwrap();
    submit(client, "form.vform button[type=submit]").await;
    let page = page_text(client).await;
    let (index, sheet) = sheets
        .iter()
        .enumerate()
        .find(|(_, (name, _))| page.contains(name.as_str()))
        .map(|(index, (_, sheet))| (index, *sheet))
        .unwrap_or_else(|| panic!("which sheet is this? {page}"));
    let wrong = u32::from(wrong_on == Some(index));
    // The page to read is shown, loaded from the desk.
    element(client, "figure.scan img").await;
    fill(client, "#centre", &sheet.centre).await;
    fill(client, "#number", &sheet.number).await;
    for (index, value) in sheet.cells.iter().enumerate() {
        let value = if index == 0 { value + wrong } else { *value };
        fill(client, &format!("#c{index}"), &value.to_string()).await;
    }
    fill(client, "#null_votes", &sheet.null_votes.to_string()).await;
    submit(client, "form.vform button[type=submit]").await;
    // Findings come back first (a warning is sent on the next press; an error needs the box).
    for _ in 0..2 {
        let url = client.current_url().await.unwrap();
        if url.path() == "/volunteer/tasks" {
            break;
        }
        if client.find(Locator::Css("#confirm")).await.is_ok() {
            click(client, "#confirm").await;
        }
        submit(client, "form.vform button[type=submit]").await;
    }
    assert_eq!(
        client.current_url().await.unwrap().path(),
        "/volunteer/tasks",
        "the entry was sent"
    );
}

/// The size of the log's latest checkpoint, as the public server serves it.
async fn checkpoint_size(address: std::net::SocketAddr) -> u64 {
    let (status, _, body) =
        tokio::task::spawn_blocking(move || crate::http::http_get(address, "/log/checkpoint"))
            .await
            .unwrap();
    assert_eq!(status, 200);
    let text = String::from_utf8(body).unwrap();
    text.lines().nth(1).unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn election_night_at_the_desk_in_a_phone_browser_without_javascript() {
    let (mut fixture, key, _) = crate::log::signed_fixture();
    let election = fixture.writer.election().unwrap();
    let code = veedor_app::volunteers::add_volunteer(
        &mut fixture.writer,
        None,
        Pseudonym::new("chief").unwrap(),
        Role::Coordinator,
        [42; 15],
        Timestamp::from_second(1_722_300_000).unwrap(),
    )
    .unwrap();
    let state = fixture.state(ServeOptions {
        lookup_limit_per_minute: 0,
        log_key: Some(key.verifier_key()),
        clock: || Timestamp::from_second(1_722_300_000).unwrap(),
        refresh_every: Duration::from_millis(200),
        ..ServeOptions::default()
    });
    let store = veedor_store_sqlite::SqliteStore::open(fixture.path(), &|text| {
        veedor_formats::parse_election(text).map_err(|error| error.to_string())
    })
    .unwrap();
    let blobs = std::sync::Arc::new(store.blobs());
    let desk = Desk::new(Box::new(store), blobs, crate::desk::test_random, roomy())
        .with_signer(Box::new(key.clone()));
    assert!(state.open_desk(desk));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(veedor_web::serve(listener, state.clone(), async {
        let _ = stopped.await;
    }));
    let base = format!("http://{address}");
    let log_before = checkpoint_size(address).await;

    let driver = start_driver();
    let client = browser_with(&driver, 360, 740, &["--blink-settings=scriptEnabled=false"]).await;

    // The coordinator signs in and creates the volunteers.
    activate_and_sign_in(&client, &base, "chief", &code).await;
    let mut codes = Vec::new();
    for (name, role) in [
        ("witness-1", "uploader"),
        ("ana", "typist"),
        ("beto", "typist"),
        ("caro", "typist"),
    ] {
        codes.push((name, create_volunteer(&client, &base, name, role).await));
    }
    screenshot(&client, "desk-users").await;

    // The witness uploads a photo whose code reads, then two sheets whose code was torn off.
    let folder = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = folder.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    };
    let first = torn_sheet(&election, 0, 71);
    let second = torn_sheet(&election, 1, 72);
    activate_and_sign_in(&client, &base, "witness-1", &codes[0].1).await;
    let photo = write("IMG_20240728_201500.jpg", &sheet_photo(PAYLOAD));
    for (path, expected) in [
        (photo, "read, table 201301006.01"),
        (
            write("IMG_20240728_201700.jpg", &first.photo),
            "waits for people to type it",
        ),
        (
            write("IMG_20240728_201900.jpg", &second.photo),
            "waits for people to type it",
        ),
    ] {
        client
            .goto(&format!("{base}/volunteer/upload?lang=en"))
            .await
            .unwrap();
        element(&client, "#file")
            .await
            .send_keys(&path)
            .await
            .unwrap();
        submit(&client, "form.vform button[type=submit]").await;
        let said = text_of(&client, "[role=status]").await;
        assert!(said.contains(expected), "{said}");
        assert!(
            !said.contains("IMG_2024"),
            "the phone's file name is never kept: {said}"
        );
    }
    screenshot(&client, "desk-upload").await;

    // Two typists enter the first torn sheet alike; the second is entered differently by
    // one of them and settled by a third.
    let sheets = [
        (upload_name(&first.photo), &first),
        (upload_name(&second.photo), &second),
    ];
    let typed = |name: &'static str| codes.iter().find(|(n, _)| *n == name).unwrap().1.clone();
    activate_and_sign_in(&client, &base, "ana", &typed("ana")).await;
    type_sheet(&client, &base, &sheets, None).await;
    type_sheet(&client, &base, &sheets, None).await;
    activate_and_sign_in(&client, &base, "beto", &typed("beto")).await;
    // Beto sees that pages have an entry, not what it says.
    client
        .goto(&format!("{base}/volunteer/tasks?lang=en"))
        .await
        .unwrap();
    assert!(!page_text(&client).await.contains("ana"));
    // Beto types the first sheet as Ana did and the second with one count wrong.
    type_sheet(&client, &base, &sheets, Some(1)).await;
    type_sheet(&client, &base, &sheets, Some(1)).await;
    activate_and_sign_in(&client, &base, "caro", &typed("caro")).await;
    type_sheet(&client, &base, &sheets, None).await;
    screenshot(&client, "desk-tasks").await;

    // The public pages show both results, each naming the typists who agreed; the log grew.
    for (sheet, typists) in [(&first, "ana, beto"), (&second, "ana, caro")] {
        let mut found = false;
        for attempt in 0..50 {
            client
                .goto(&format!(
                    "{base}/table/{}?lang=en&look={attempt}",
                    sheet.table
                ))
                .await
                .unwrap();
            if client.find(Locator::Css("a[href*='/acta/']")).await.is_ok()
                && page_text(&client).await.contains("typed by volunteers")
            {
                found = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        assert!(found, "table {} shows no manual copy", sheet.table);
        let table_page = page_text(&client).await;
        assert!(
            table_page.to_lowercase().contains("corroborated"),
            "{}: {table_page}",
            sheet.table
        );
        let links = client
            .find_all(Locator::Css("a[href*='/acta/']"))
            .await
            .unwrap();
        let mut named = false;
        let mut hrefs = Vec::new();
        for link in links {
            hrefs.push(link.attr("href").await.unwrap().unwrap());
        }
        for href in hrefs {
            client.goto(&format!("{base}{href}")).await.unwrap();
            named |= page_text(&client).await.contains(typists);
        }
        assert!(named, "no acta page of {} names {typists}", sheet.table);
    }
    screenshot(&client, "desk-public-acta").await;

    // Two scans of one table disagree: the coordinator keeps the one the sheet supports.
    let disputed = torn_sheet(&election, 2, 73);
    let right = sheet_photo(&disputed.payload);
    let mut cells = disputed.cells.clone();
    cells[0] += 5;
    let wrong_payload = format!(
        "{}.1.0001!{}!{}!0",
        disputed.table,
        cells
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(","),
        disputed.null_votes
    );
    let wrong = sheet_photo(&wrong_payload);
    client.delete_all_cookies().await.unwrap();
    sign_in(&client, &base, "witness-1").await;
    for (name, bytes) in [("IMG_1.jpg", &right), ("IMG_2.jpg", &wrong)] {
        client
            .goto(&format!("{base}/volunteer/upload?lang=en"))
            .await
            .unwrap();
        element(&client, "#file")
            .await
            .send_keys(&write(name, bytes))
            .await
            .unwrap();
        submit(&client, "form.vform button[type=submit]").await;
        let said = text_of(&client, "[role=status]").await;
        assert!(said.contains(&disputed.table), "{said}");
    }
    client.delete_all_cookies().await.unwrap();
    sign_in(&client, &base, "chief").await;
    let keep = upload_name(&right);
    let mut listed = false;
    for _ in 0..50 {
        client
            .goto(&format!("{base}/volunteer/conflicts?lang=en"))
            .await
            .unwrap();
        if page_text(&client).await.contains(&keep) {
            listed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(listed, "the conflict is not listed");
    screenshot(&client, "desk-conflicts").await;
    // The radio button of the copy read from the right photo: its row names the file.
    let form = format!(
        "form[action^='/volunteer/conflicts/{}/decide']",
        disputed.table
    );
    let mut choices = Vec::new();
    for radio in client
        .find_all(Locator::Css(&format!("{form} input[type=radio]")))
        .await
        .unwrap()
    {
        let id = radio.attr("id").await.unwrap().unwrap();
        let label = text_of(&client, &format!("label[for='{id}']")).await;
        let number = label
            .trim_start_matches('#')
            .split(' ')
            .next()
            .unwrap()
            .to_owned();
        choices.push((id, number));
    }
    let mut right_choice = None;
    for (id, number) in choices {
        client
            .goto(&format!("{base}/acta/{number}?lang=en"))
            .await
            .unwrap();
        if page_text(&client).await.contains(&keep) {
            right_choice = Some(id);
        }
    }
    let chosen = right_choice.is_some();
    if let Some(id) = right_choice {
        client
            .goto(&format!("{base}/volunteer/conflicts?lang=en"))
            .await
            .unwrap();
        element(&client, &format!("[id='{id}']"))
            .await
            .click()
            .await
            .unwrap();
    }
    assert!(chosen, "no copy of the right photo to keep");
    fill(
        &client,
        &format!("{form} input[name=reason]"),
        "the sheet's own photo shows these numbers",
    )
    .await;
    submit(&client, &format!("{form} button[type=submit]")).await;
    let answer = page_text(&client).await;
    let mut shown = false;
    // Public pages may be cached for 30 s: each look asks anew.
    for attempt in 0..50 {
        client
            .goto(&format!(
                "{base}/table/{}?lang=en&look={attempt}",
                disputed.table
            ))
            .await
            .unwrap();
        let text = page_text(&client).await;
        if text.contains("the sheet's own photo shows these numbers") && text.contains("chief") {
            shown = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let last = page_text(&client).await;
    let audit: Vec<String> = fixture
        .writer
        .audit()
        .unwrap()
        .iter()
        .rev()
        .take(4)
        .map(|event| format!("{} {} {}", event.action, event.object, event.detail))
        .chain(std::iter::once(format!(
            "log {} checkpoint {:?} decisions {:?}",
            fixture.writer.log_size().unwrap(),
            fixture.writer.latest_checkpoint().unwrap().map(|c| c.size),
            fixture
                .writer
                .load_dataset()
                .unwrap()
                .decisions
                .iter()
                .map(|d| d.log_index)
                .collect::<Vec<_>>()
        )))
        .collect();
    assert!(
        shown,
        "the public table page does not show the decision and its reason; the desk answered: {answer}\n\nthe page: {last}\n\naudit: {audit:?}"
    );
    screenshot(&client, "desk-public-decision").await;
    let log_after = checkpoint_size(address).await;
    assert!(
        log_after == log_before + 6,
        "the first photo's copy, the two typed copies, two more photos and the decision are logged and checkpointed (a page waiting for people is not a copy): {log_before} -> {log_after}"
    );
    // No script ran: the browser had none to run, and the desk's pages carry none.
    let html = client.source().await.unwrap();
    assert!(!html.contains("<script"));
    client.close().await.unwrap();
    let _ = stop.send(());
}
