//! `veedor user ...` and `veedor audit`: a coordinator's work from the command line, through
//! `veedor-app` (the same rules as the volunteers' web routes).

use anyhow::Context as _;
use veedor_app::volunteers::{self, AccountError};
use veedor_core::Pseudonym;
use veedor_core::entry::Role;

use crate::context::{Context, now};
use crate::exit;

fn pseudonym(text: &str) -> anyhow::Result<Pseudonym> {
    Pseudonym::new(text).with_context(
        || "a pseudonym, never a real name: 1 to 40 letters, digits, `-` or `_` (like `owl-7`)",
    )
}

fn random<const N: usize>() -> anyhow::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(bytes)
}

/// `veedor user add PSEUDONYM --role ROLE`: prints the one-time sign-in code.
pub fn add(context: &Context, name: &str, role: &str) -> anyhow::Result<u8> {
    let pseudonym = pseudonym(name)?;
    let role = Role::parse(role).with_context(|| {
        format!("role `{role}`: expected coordinator, typist, uploader or observer")
    })?;
    let mut opened = context.open()?;
    match volunteers::add_volunteer(
        &mut *opened.store,
        None,
        pseudonym.clone(),
        role,
        random()?,
        now(),
    ) {
        Ok(code) => {
            outln!("added {pseudonym} ({})", role.as_str());
            outln!("one-time sign-in code (give it to {pseudonym} only; it is not shown again):");
            outln!("  {code}");
            outln!(
                "with it they choose a passphrase at /volunteer/ on `veedor serve --volunteers`"
            );
            Ok(exit::OK)
        }
        Err(error @ AccountError::Taken(_)) => {
            errln!("{error}");
            Ok(exit::ERROR)
        }
        Err(error) => Err(error.into()),
    }
}

/// `veedor user list`.
pub fn list(context: &Context) -> anyhow::Result<u8> {
    let opened = context.open()?;
    let accounts = opened.store.accounts()?;
    outln!("{} volunteers", accounts.len());
    for account in accounts {
        let state = match (&account.suspended_at, &account.passphrase_hash) {
            (Some(at), _) => format!("suspended {at}"),
            (None, Some(_)) => "active".to_owned(),
            (None, None) => "sign-in code not used yet".to_owned(),
        };
        outln!(
            "  {:<20} {:<12} {state}",
            account.pseudonym.as_str(),
            account.role.as_str()
        );
    }
    Ok(exit::OK)
}

/// `veedor user suspend PSEUDONYM --reason TEXT`.
pub fn suspend(context: &Context, name: &str, reason: &str) -> anyhow::Result<u8> {
    let pseudonym = pseudonym(name)?;
    if reason.trim().is_empty() {
        errln!("a suspension needs a reason (--reason); it goes on the audit log");
        return Ok(exit::USAGE);
    }
    let mut opened = context.open()?;
    match volunteers::suspend(&mut *opened.store, None, &pseudonym, reason, now()) {
        Ok(()) => {
            outln!(
                "suspended {pseudonym}: their entries that no one else confirmed no longer count"
            );
            Ok(exit::OK)
        }
        Err(error @ AccountError::NoSuchAccount(_)) => {
            errln!("{error}");
            Ok(exit::ERROR)
        }
        Err(error) => Err(error.into()),
    }
}

/// `veedor audit [--actor P] [--action A]`: the audit log, oldest first.
pub fn audit(context: &Context, actor: Option<&str>, action: Option<&str>) -> anyhow::Result<u8> {
    let opened = context.open()?;
    for event in opened.store.audit()? {
        let by = event.actor.as_ref().map_or("(operator)", Pseudonym::as_str);
        if actor.is_some_and(|a| a != by) || action.is_some_and(|a| !event.action.starts_with(a)) {
            continue;
        }
        outln!(
            "{}  {by:<20} {:<18} {}{}",
            event.at,
            event.action,
            event.object,
            if event.detail.is_empty() {
                String::new()
            } else {
                format!("  ({})", event.detail)
            }
        );
    }
    Ok(exit::OK)
}
