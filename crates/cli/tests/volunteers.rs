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
