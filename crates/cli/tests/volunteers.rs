//! `veedor user ...` and `veedor audit`: a coordinator's work from the command line, on a real
//! store.

use crate::support::Data;

#[test]
fn a_coordinator_adds_lists_and_suspends_volunteers_and_the_audit_shows_it() {
    let data = Data::new();
    let run = data
        .run(&["user", "add", "owl-7", "--role", "typist"])
        .expect_code(0);
    let code = run
        .stdout
        .lines()
        .find(|line| line.starts_with("  ") && line.matches('-').count() == 5)
        .unwrap_or_else(|| panic!("no code in {}", run.stdout))
        .trim()
        .to_owned();
    assert_eq!(code.len(), 29, "{code}");
    // Each account gets its own code.
    let other = data
        .run(&["user", "add", "lynx", "--role", "coordinator"])
        .expect_code(0);
    assert!(!other.stdout.contains(&code));
    // A pseudonym is taken once; a real name is not a pseudonym; a role must exist.
    let taken = data
        .run(&["user", "add", "owl-7", "--role", "uploader"])
        .expect_code(1);
    assert!(
        taken.stderr.contains("the pseudonym owl-7 is taken"),
        "{}",
        taken.stderr
    );
    let named = data
        .run(&["user", "add", "María Pérez", "--role", "typist"])
        .expect_code(1);
    assert!(
        named.stderr.contains("never a real name"),
        "{}",
        named.stderr
    );
    let role = data
        .run(&["user", "add", "fox", "--role", "admin"])
        .expect_code(1);
    assert!(
        role.stderr.contains("expected coordinator, typist"),
        "{}",
        role.stderr
    );

    let list = data.run(&["user", "list"]).expect_code(0);
    assert!(list.stdout.contains("2 volunteers"), "{}", list.stdout);
    assert!(list.stdout.contains("owl-7"), "{}", list.stdout);
    assert!(list.stdout.contains("sign-in code not used yet"));

    data.run(&["user", "suspend", "owl-7", "--reason", ""])
        .expect_code(2);
    data.run(&["user", "suspend", "nobody", "--reason", "x"])
        .expect_code(1);
    data.run(&[
        "user",
        "suspend",
        "owl-7",
        "--reason",
        "typed made-up numbers",
    ])
    .expect_code(0);
    let list = data.run(&["user", "list"]).expect_code(0);
    assert!(list.stdout.contains("suspended"), "{}", list.stdout);

    let audit = data.run(&["audit"]).expect_code(0);
    let lines: Vec<&str> = audit.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", audit.stdout);
    assert!(lines[0].contains("user.add") && lines[0].contains("owl-7"));
    assert!(lines[2].contains("user.suspend") && lines[2].contains("typed made-up numbers"));
    // The code is a secret: never on the audit log or in the store as it was given.
    assert!(!audit.stdout.contains(&code));
    assert!(!data.dump().contains(&code));
    let only = data
        .run(&["audit", "--action", "user.suspend"])
        .expect_code(0);
    assert_eq!(only.stdout.lines().count(), 1, "{}", only.stdout);
}

/// A page whose code is destroyed, entered differently by three typists, settled by a
/// coordinator's `veedor resolve`: counted, its typists named, the decision on the audit log.
#[test]
fn a_coordinator_resolves_a_disputed_page_from_the_command_line() {
    use veedor_core::entry::{Action, Entry};
    let data = Data::new();
    let list = data.file(
        "tables.csv",
        "centre_code,table,registered\n201301006,1,400\n",
    );
    data.run(&["import", "tables", &list]).expect_code(0);
    // A blank sheet: no code to read, so it waits for people.
    let blank = image::RgbImage::from_pixel(800, 1100, image::Rgb([250, 250, 250]));
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(blank)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let scans = data.path().join("scans");
    std::fs::create_dir_all(&scans).unwrap();
    std::fs::write(scans.join("torn.png"), png).unwrap();
    data.run(&["ingest", scans.to_str().unwrap()])
        .expect_code(0);
    for (name, role) in [
        ("ana", "typist"),
        ("beto", "typist"),
        ("carla", "typist"),
        ("chief", "coordinator"),
    ] {
        data.run(&["user", "add", name, "--role", role])
            .expect_code(0);
    }
    let queue = data.run(&["queue"]).expect_code(0);
    assert!(queue.stdout.contains("1 pages wait"), "{}", queue.stdout);
    let task: i64 = queue
        .stdout
        .split('#')
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();

    // Three typists enter three different readings, as the web routes would.
    {
        let mut store = veedor_store_sqlite::SqliteStore::open(&data.store_path(), &|text| {
            veedor_formats::parse_election(text).map_err(|e| e.to_string())
        })
        .unwrap();
        let blobs = store.blobs();
        use veedor_store::prelude::*;
        let table = veedor_core::TableId::parse("201301006.01", 9).unwrap();
        for (index, name) in ["ana", "beto", "carla"].into_iter().enumerate() {
            let account = store
                .account(&veedor_core::Pseudonym::new(name).unwrap())
                .unwrap()
                .unwrap();
            let now = veedor_core::Timestamp::now();
            let entry = Entry {
                table,
                counts: veedor_core::Counts::Candidates(vec![
                    100 + u32::try_from(index).unwrap(),
                    150,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                ]),
                null_votes: Some(0),
                stated_valid_votes: None,
                stated_registered: None,
                declared_counts: Vec::new(),
            };
            veedor_app::tasks::act(&mut store, &blobs, &account, task, Action::Claim, now).unwrap();
            veedor_app::tasks::act(
                &mut store,
                &blobs,
                &account,
                task,
                Action::Enter(entry),
                now,
            )
            .unwrap();
        }
    }
    let queue = data.run(&["queue"]).expect_code(0);
    assert!(
        queue.stdout.contains("a coordinator decides"),
        "{}",
        queue.stdout
    );
    let task = task.to_string();
    // A typist cannot resolve; a decision needs exactly one choice.
    let refused = data
        .run(&[
            "resolve", &task, "--as", "ana", "--keep", "beto", "--reason", "x",
        ])
        .expect_code(1);
    assert!(
        refused.stderr.contains("only a coordinator"),
        "{}",
        refused.stderr
    );
    data.run(&["resolve", &task, "--as", "chief", "--reason", "x"])
        .expect_code(2);
    let run = data
        .run(&[
            "resolve",
            &task,
            "--as",
            "chief",
            "--keep",
            "beto",
            "--reason",
            "the scan shows 101",
        ])
        .expect_code(0);
    assert!(
        run.stdout.contains("settled: 1 manual copy stored"),
        "{}",
        run.stdout
    );
    assert!(
        data.run(&["queue"])
            .expect_code(0)
            .stdout
            .contains("No page is waiting")
    );
    let centre = data.tally(&["--level", "centre", "--code", "201301006"]);
    assert_eq!(centre["areas"][0]["tables_by_status"]["accepted"], 1);
    assert_eq!(centre["areas"][0]["valid_votes"], 251);
    let audit = data.run(&["audit", "--action", "task.keep"]).expect_code(0);
    assert!(
        audit.stdout.contains("chief") && audit.stdout.contains("the scan shows 101"),
        "{}",
        audit.stdout
    );
}
