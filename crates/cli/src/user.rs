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

/// `veedor resolve TASK --as COORDINATOR (--keep TYPIST | --return TYPIST | --discard) --reason
/// TEXT`: a coordinator's decision on a page whose typists disagree, recorded (never an edit)
/// and audited; a page it settles is stored as a manual copy.
pub fn resolve(context: &Context, task: i64, options: &ResolveOptions) -> anyhow::Result<u8> {
    use veedor_core::entry::Action;
    let coordinator = pseudonym(&options.coordinator)?;
    let reason = options.reason.clone();
    let action = match (&options.keep, &options.return_to, options.discard) {
        (Some(typist), None, false) => Action::Keep {
            typist: pseudonym(typist)?,
            reason,
        },
        (None, Some(typist), false) => Action::Return {
            typist: pseudonym(typist)?,
            reason,
        },
        (None, None, true) => Action::Discard { reason },
        _ => {
            errln!("give exactly one of --keep TYPIST, --return TYPIST or --discard");
            return Ok(exit::USAGE);
        }
    };
    let mut opened = context.open()?;
    let Some(account) = opened.store.account(&coordinator)? else {
        errln!("no volunteer {coordinator}");
        return Ok(exit::ERROR);
    };
    let blobs = opened.blobs.clone();
    match veedor_app::tasks::act(&mut *opened.store, &*blobs, &account, task, action, now()) {
        Ok(acted) => {
            match (&acted.task.phase, acted.stored) {
                (veedor_core::entry::Phase::Settled { .. }, Some(report)) => {
                    outln!(
                        "page #{task} settled: {} manual copy stored",
                        report.copies_added
                    );
                    if let Some(size) =
                        veedor_app::sign_checkpoint(&mut *opened.store, &*opened.signer, now())?
                            .map(|checkpoint| checkpoint.size)
                    {
                        outln!("  log: signed a checkpoint of {size} entries");
                    }
                }
                _ => outln!("page #{task}: recorded; it waits for another entry"),
            }
            Ok(exit::OK)
        }
        Err(veedor_app::tasks::TaskError::Refused(refusal)) => {
            errln!("refused: {refusal}");
            Ok(exit::ERROR)
        }
        Err(error) => Err(error.into()),
    }
}

/// What `veedor resolve` was asked.
#[derive(Debug, clap::Args)]
pub struct ResolveOptions {
    /// The coordinator deciding, by pseudonym.
    #[arg(long = "as")]
    pub coordinator: String,
    /// Keep this typist's entry as the page's numbers.
    #[arg(long)]
    pub keep: Option<String>,
    /// Return this typist's entry to them for correction.
    #[arg(long = "return")]
    pub return_to: Option<String>,
    /// Discard every entry: the page starts again.
    #[arg(long)]
    pub discard: bool,
    /// Why (it goes on the audit log; the public table page will show it).
    #[arg(long)]
    pub reason: String,
}
