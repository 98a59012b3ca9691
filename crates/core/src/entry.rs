//! Double-blind entry of a page that no machine could read: the state machine, pure.
//!
//! A page waiting for people is a task. Typists enter what they read on it (the table, when it
//! is not known, and the counts), each without seeing the others' entries. Nothing is ever
//! overwritten: a task is the list of what happened to it ([`Recorded`] events, append-only),
//! and its state ([`Task`]) is derived from that list and from who is suspended now, the way a
//! table's status is derived from its copies.
//!
//! ```mermaid
//! stateDiagram-v2
//!     [*] --> First
//!     First --> Second: an entry
//!     Second --> Definitive: an equal entry by another typist
//!     Second --> Third: a different entry by another typist
//!     Third --> Definitive: an entry equal to one of the two
//!     Third --> Disputed: a third different entry
//!     Second --> Definitive: the coordinator keeps one
//!     Third --> Definitive: the coordinator keeps one
//!     Disputed --> Definitive: the coordinator keeps one
//!     Third --> Returned: the coordinator returns one to its typist
//!     Disputed --> Returned: the coordinator returns one to its typist
//!     Returned --> Second: its typist enters again
//!     Returned --> Third: its typist enters again
//!     Second --> First: the coordinator discards them
//!     Third --> First: the coordinator discards them
//!     Disputed --> First: the coordinator discards them
//! ```
//!
//! The rules, each a [`Refusal`] when broken: only a typist claims and enters; a claim is one
//! typist's for a while (it expires, and then anyone may claim); a typist enters a task once
//! (unless the coordinator returned their entry to them); only a coordinator keeps, returns or
//! discards, always with a reason; a suspended volunteer does nothing, and their entries that no
//! one else confirmed no longer count (confirmed: another typist entered the same, or a
//! coordinator kept it).

use std::collections::BTreeSet;

use jiff::{SignedDuration, Timestamp};

use crate::acta::Counts;
use crate::id::{Pseudonym, TableId};

/// What a volunteer may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Creates and suspends volunteers, resolves, reads the audit.
    Coordinator,
    /// Enters what pages say.
    Typist,
    /// Sends photos and scans.
    Uploader,
    /// Reads the work queues.
    Observer,
}

impl Role {
    /// Every role.
    pub const ALL: [Self; 4] = [
        Self::Coordinator,
        Self::Typist,
        Self::Uploader,
        Self::Observer,
    ];

    /// The stable name (`typist`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Coordinator => "coordinator",
            Self::Typist => "typist",
            Self::Uploader => "uploader",
            Self::Observer => "observer",
        }
    }

    /// Parses a stable name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

/// A volunteer as the state machine sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volunteer {
    /// Their pseudonym: the only name veedor knows.
    pub pseudonym: Pseudonym,
    /// What they may do.
    pub role: Role,
    /// Whether a coordinator suspended them.
    pub suspended: bool,
}

/// What one typist read on a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The table the page is the acta of.
    pub table: TableId,
    /// The counts, in the ballot's order (cards, or candidates).
    pub counts: Counts,
    /// Null votes, when the sheet has them.
    pub null_votes: Option<u32>,
    /// Valid votes as the sheet states them, when it does.
    pub stated_valid_votes: Option<u32>,
    /// Registered voters as the sheet states them, when it does.
    pub stated_registered: Option<u32>,
    /// The counts the election file declares for the sheet, as typed (by id, in the sheet's
    /// order; a count left empty is absent). Two entries agree only if these agree too.
    pub declared_counts: Vec<(String, u32)>,
}

/// Something that happened to a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A typist took the task until a time.
    Claimed {
        /// The typist.
        by: Pseudonym,
        /// When the claim lapses.
        until: Timestamp,
    },
    /// A typist entered what they read (and their claim ended).
    Entered {
        /// The typist.
        by: Pseudonym,
        /// What they read.
        entry: Entry,
    },
    /// A coordinator kept one typist's entry as the page's.
    Kept {
        /// The coordinator.
        by: Pseudonym,
        /// Whose entry.
        typist: Pseudonym,
        /// Why.
        reason: String,
    },
    /// A coordinator returned one typist's entry to them for correction.
    Returned {
        /// The coordinator.
        by: Pseudonym,
        /// Whose entry.
        typist: Pseudonym,
        /// Why.
        reason: String,
    },
    /// A coordinator discarded every entry so far; the task starts again.
    Discarded {
        /// The coordinator.
        by: Pseudonym,
        /// Why.
        reason: String,
    },
}

/// An event with when it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// When.
    pub at: Timestamp,
    /// What.
    pub event: Event,
}

/// What someone asks to do to a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Take the task (a typist).
    Claim,
    /// Enter what the page says (the typist holding the claim).
    Enter(Entry),
    /// Keep this typist's entry (a coordinator).
    Keep {
        /// Whose entry.
        typist: Pseudonym,
        /// Why.
        reason: String,
    },
    /// Return this typist's entry to them for correction (a coordinator).
    Return {
        /// Whose entry.
        typist: Pseudonym,
        /// Why.
        reason: String,
    },
    /// Discard every entry (a coordinator).
    Discard {
        /// Why.
        reason: String,
    },
}

/// Why an action is refused. Each is a rule of the module's documentation.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The volunteer is suspended.
    #[error("{0} is suspended")]
    Suspended(Pseudonym),
    /// Only typists claim and enter.
    #[error("only a typist may do this; {0} is not one")]
    NotATypist(Pseudonym),
    /// Only coordinators keep, return and discard.
    #[error("only a coordinator may do this; {0} is not one")]
    NotACoordinator(Pseudonym),
    /// The task has its result already.
    #[error("the page's numbers are settled already")]
    Settled,
    /// Three different entries: the coordinator decides, no more entries.
    #[error("three typists disagree: a coordinator decides")]
    AwaitsCoordinator,
    /// This typist entered the task already: the next entry must be another typist's.
    #[error("{0} entered this page already: the next entry is another typist's")]
    AlreadyEntered(Pseudonym),
    /// Another typist holds the claim.
    #[error("{by} is entering this page until {until}")]
    ClaimedByAnother {
        /// Who.
        by: Pseudonym,
        /// Until when.
        until: Timestamp,
    },
    /// An entry returned to one typist: only they may enter it again.
    #[error("this page's entry was returned to {0} for correction")]
    ReturnedToAnother(Pseudonym),
    /// Entering needs a claim that has not lapsed.
    #[error("{0} holds no current claim on this page: claim it again")]
    NoClaim(Pseudonym),
    /// A coordinator's decision needs a reason.
    #[error("a decision needs a reason")]
    NoReason,
    /// Nothing to decide on: fewer than two entries.
    #[error("there is nothing to decide: fewer than two entries")]
    NothingToDecide,
    /// The typist named has no live entry on the task.
    #[error("{0} has no entry on this page")]
    NoSuchEntry(Pseudonym),
}

/// Where a task stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for an entry: the first, second or third (`entries` live so far, and none of
    /// them agree).
    Open,
    /// Three typists disagree: a coordinator decides.
    Disputed,
    /// The page's numbers are settled.
    Settled {
        /// What they are.
        entry: Entry,
        /// The typists whose entries agree on them (two or three), or the one a coordinator
        /// kept.
        typists: Vec<Pseudonym>,
        /// The coordinator who kept it, when one did.
        kept_by: Option<Pseudonym>,
    },
}

/// A task's state, derived from its events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    /// The live entries, by typist, in the order entered.
    pub entries: Vec<(Pseudonym, Entry)>,
    /// Where it stands.
    pub phase: Phase,
    /// The claim in force at the time asked, if any.
    pub claim: Option<(Pseudonym, Timestamp)>,
    /// The typist an entry was returned to, who alone may enter next.
    pub returned_to: Option<Pseudonym>,
    /// Every typist who ever entered the task and was not returned to: they may not enter again.
    entered: BTreeSet<Pseudonym>,
}

/// How long a claim lasts.
pub const CLAIM_FOR: SignedDuration = SignedDuration::from_mins(15);

impl Task {
    /// The task as its events leave it at `now`, with the entries of `suspended` typists that
    /// no one confirmed taken out.
    #[must_use]
    pub fn derive(events: &[Recorded], suspended: &BTreeSet<Pseudonym>, now: Timestamp) -> Self {
        let mut task = Self {
            entries: Vec::new(),
            phase: Phase::Open,
            claim: None,
            returned_to: None,
            entered: BTreeSet::new(),
        };
        let mut kept: Option<(Pseudonym, Pseudonym)> = None;
        for recorded in events {
            match &recorded.event {
                Event::Claimed { by, until } => task.claim = Some((by.clone(), *until)),
                Event::Entered { by, entry } => {
                    task.entries.retain(|(typist, _)| typist != by);
                    task.entries.push((by.clone(), entry.clone()));
                    task.entered.insert(by.clone());
                    if task.returned_to.as_ref() == Some(by) {
                        task.returned_to = None;
                    }
                    if task.claim.as_ref().is_some_and(|(holder, _)| holder == by) {
                        task.claim = None;
                    }
                }
                Event::Kept { by, typist, .. } => kept = Some((by.clone(), typist.clone())),
                Event::Returned { typist, .. } => {
                    task.entries.retain(|(t, _)| t != typist);
                    task.entered.remove(typist);
                    task.returned_to = Some(typist.clone());
                }
                Event::Discarded { .. } => {
                    task.entries.clear();
                    task.returned_to = None;
                    task.entered.clear();
                    kept = None;
                }
            }
        }
        task.claim = task.claim.filter(|(_, until)| *until > now);
        // A suspended typist's entry counts only when confirmed: another live typist entered
        // the same numbers, or a coordinator kept it.
        let confirmed = |typist: &Pseudonym, entry: &Entry, entries: &[(Pseudonym, Entry)]| {
            kept.as_ref().is_some_and(|(_, k)| k == typist)
                || entries
                    .iter()
                    .any(|(other, e)| other != typist && !suspended.contains(other) && e == entry)
        };
        let all = task.entries.clone();
        task.entries.retain(|(typist, entry)| {
            !suspended.contains(typist) || confirmed(typist, entry, &all)
        });
        if task
            .claim
            .as_ref()
            .is_some_and(|(holder, _)| suspended.contains(holder))
        {
            task.claim = None;
        }
        task.phase = task.settle(kept);
        task
    }

    fn settle(&self, kept: Option<(Pseudonym, Pseudonym)>) -> Phase {
        if let Some((coordinator, typist)) = kept
            && let Some((_, entry)) = self.entries.iter().find(|(t, _)| *t == typist)
        {
            return Phase::Settled {
                entry: entry.clone(),
                typists: vec![typist],
                kept_by: Some(coordinator),
            };
        }
        for (index, (_, entry)) in self.entries.iter().enumerate() {
            let agreeing: Vec<Pseudonym> = self.entries[index..]
                .iter()
                .filter(|(_, other)| other == entry)
                .map(|(typist, _)| typist.clone())
                .collect();
            if agreeing.len() >= 2 {
                return Phase::Settled {
                    entry: entry.clone(),
                    typists: agreeing,
                    kept_by: None,
                };
            }
        }
        if self.entries.len() >= 3 {
            Phase::Disputed
        } else {
            Phase::Open
        }
    }

    /// What doing `action` as `actor` at `now` records, or why it is refused.
    pub fn decide(
        &self,
        actor: &Volunteer,
        action: Action,
        now: Timestamp,
    ) -> Result<Event, Refusal> {
        let who = &actor.pseudonym;
        if actor.suspended {
            return Err(Refusal::Suspended(who.clone()));
        }
        match action {
            Action::Claim => {
                self.may_enter(actor)?;
                Ok(Event::Claimed {
                    by: who.clone(),
                    until: now.saturating_add(CLAIM_FOR).unwrap_or(now),
                })
            }
            Action::Enter(entry) => {
                self.may_enter(actor)?;
                match &self.claim {
                    Some((holder, until)) if holder == who && *until > now => Ok(Event::Entered {
                        by: who.clone(),
                        entry,
                    }),
                    _ => Err(Refusal::NoClaim(who.clone())),
                }
            }
            Action::Keep { typist, reason } => {
                self.may_decide(actor, &reason)?;
                self.has_entry(&typist)?;
                Ok(Event::Kept {
                    by: who.clone(),
                    typist,
                    reason,
                })
            }
            Action::Return { typist, reason } => {
                self.may_decide(actor, &reason)?;
                self.has_entry(&typist)?;
                Ok(Event::Returned {
                    by: who.clone(),
                    typist,
                    reason,
                })
            }
            Action::Discard { reason } => {
                self.may_decide(actor, &reason)?;
                Ok(Event::Discarded {
                    by: who.clone(),
                    reason,
                })
            }
        }
    }

    fn may_enter(&self, actor: &Volunteer) -> Result<(), Refusal> {
        let who = &actor.pseudonym;
        if actor.role != Role::Typist {
            return Err(Refusal::NotATypist(who.clone()));
        }
        match self.phase {
            Phase::Settled { .. } => return Err(Refusal::Settled),
            Phase::Disputed => return Err(Refusal::AwaitsCoordinator),
            Phase::Open => {}
        }
        if let Some(returned) = &self.returned_to
            && returned != who
        {
            return Err(Refusal::ReturnedToAnother(returned.clone()));
        }
        if self.entered.contains(who) {
            return Err(Refusal::AlreadyEntered(who.clone()));
        }
        match &self.claim {
            Some((holder, until)) if holder != who => Err(Refusal::ClaimedByAnother {
                by: holder.clone(),
                until: *until,
            }),
            _ => Ok(()),
        }
    }

    fn may_decide(&self, actor: &Volunteer, reason: &str) -> Result<(), Refusal> {
        if actor.role != Role::Coordinator {
            return Err(Refusal::NotACoordinator(actor.pseudonym.clone()));
        }
        if matches!(self.phase, Phase::Settled { .. }) {
            return Err(Refusal::Settled);
        }
        if reason.trim().is_empty() {
            return Err(Refusal::NoReason);
        }
        if self.entries.len() < 2 {
            return Err(Refusal::NothingToDecide);
        }
        Ok(())
    }

    fn has_entry(&self, typist: &Pseudonym) -> Result<(), Refusal> {
        if self.entries.iter().any(|(t, _)| t == typist) {
            Ok(())
        } else {
            Err(Refusal::NoSuchEntry(typist.clone()))
        }
    }

    /// Whether `typist` may see the page to enter it now: never the other entries (entry is
    /// blind), only whether it is theirs to do.
    #[must_use]
    pub fn offered_to(&self, typist: &Volunteer, now: Timestamp) -> bool {
        self.may_enter(typist).is_ok()
            && !typist.suspended
            && self.claim.as_ref().is_none_or(|(_, until)| *until <= now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CentreCode, TableNumber};

    fn p(name: &str) -> Pseudonym {
        Pseudonym::new(name).expect("a pseudonym")
    }

    fn volunteer(name: &str, role: Role) -> Volunteer {
        Volunteer {
            pseudonym: p(name),
            role,
            suspended: false,
        }
    }

    fn entry(votes: u32) -> Entry {
        Entry {
            table: TableId::new(CentreCode::new(201_301_006), TableNumber::new(1)),
            counts: Counts::Candidates(vec![votes, 10]),
            null_votes: Some(0),
            stated_valid_votes: None,
            stated_registered: None,
            declared_counts: Vec::new(),
        }
    }

    fn at(minute: i64) -> Timestamp {
        Timestamp::UNIX_EPOCH
            .saturating_add(SignedDuration::from_mins(minute))
            .unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// A task's event log, driven through `decide` as a server would.
    struct Log {
        events: Vec<Recorded>,
        suspended: BTreeSet<Pseudonym>,
    }

    impl Log {
        fn new() -> Self {
            Self {
                events: Vec::new(),
                suspended: BTreeSet::new(),
            }
        }

        fn task(&self, now: Timestamp) -> Task {
            Task::derive(&self.events, &self.suspended, now)
        }

        fn act(
            &mut self,
            actor: &Volunteer,
            action: Action,
            now: Timestamp,
        ) -> Result<(), Refusal> {
            let actor = Volunteer {
                suspended: self.suspended.contains(&actor.pseudonym),
                ..actor.clone()
            };
            let event = self.task(now).decide(&actor, action, now)?;
            self.events.push(Recorded { at: now, event });
            Ok(())
        }

        fn enter(&mut self, typist: &Volunteer, votes: u32, now: Timestamp) -> Result<(), Refusal> {
            self.act(typist, Action::Claim, now)?;
            self.act(typist, Action::Enter(entry(votes)), now)
        }
    }

    #[test]
    fn two_equal_entries_by_different_typists_settle_the_page() {
        let (ana, beto) = (
            volunteer("ana", Role::Typist),
            volunteer("beto", Role::Typist),
        );
        let mut log = Log::new();
        assert_eq!(log.task(at(0)).phase, Phase::Open);
        log.enter(&ana, 100, at(0)).unwrap();
        assert_eq!(log.task(at(1)).phase, Phase::Open);
        log.enter(&beto, 100, at(2)).unwrap();
        assert_eq!(
            log.task(at(3)).phase,
            Phase::Settled {
                entry: entry(100),
                typists: vec![p("ana"), p("beto")],
                kept_by: None
            }
        );
        // Settled: nobody enters again.
        let carla = volunteer("carla", Role::Typist);
        assert_eq!(log.enter(&carla, 100, at(4)), Err(Refusal::Settled));
    }

    #[test]
    fn the_same_typist_never_enters_a_page_twice() {
        let ana = volunteer("ana", Role::Typist);
        let mut log = Log::new();
        log.enter(&ana, 100, at(0)).unwrap();
        assert_eq!(
            log.act(&ana, Action::Claim, at(1)),
            Err(Refusal::AlreadyEntered(p("ana")))
        );
        assert_eq!(log.task(at(1)).entries.len(), 1);
    }

    #[test]
    fn different_entries_call_a_third_and_two_of_three_win() {
        let typists: Vec<Volunteer> = ["ana", "beto", "carla"]
            .iter()
            .map(|n| volunteer(n, Role::Typist))
            .collect();
        let mut log = Log::new();
        log.enter(&typists[0], 100, at(0)).unwrap();
        log.enter(&typists[1], 101, at(1)).unwrap();
        assert_eq!(log.task(at(2)).phase, Phase::Open);
        log.enter(&typists[2], 101, at(2)).unwrap();
        assert_eq!(
            log.task(at(3)).phase,
            Phase::Settled {
                entry: entry(101),
                typists: vec![p("beto"), p("carla")],
                kept_by: None
            }
        );
    }

    #[test]
    fn three_different_entries_wait_for_the_coordinator_who_keeps_returns_or_discards() {
        let typists: Vec<Volunteer> = ["ana", "beto", "carla", "dario"]
            .iter()
            .map(|n| volunteer(n, Role::Typist))
            .collect();
        let chief = volunteer("chief", Role::Coordinator);
        let disputed = || {
            let mut log = Log::new();
            for (index, votes) in [100, 101, 102].into_iter().enumerate() {
                log.enter(&typists[index], votes, at(i64::try_from(index).unwrap()))
                    .unwrap();
            }
            assert_eq!(log.task(at(5)).phase, Phase::Disputed);
            assert_eq!(
                log.enter(&typists[3], 100, at(5)),
                Err(Refusal::AwaitsCoordinator)
            );
            log
        };
        let reason = |text: &str| text.to_owned();
        // Keep one.
        let mut log = disputed();
        assert_eq!(
            log.act(
                &chief,
                Action::Keep {
                    typist: p("beto"),
                    reason: String::new()
                },
                at(6)
            ),
            Err(Refusal::NoReason)
        );
        log.act(
            &chief,
            Action::Keep {
                typist: p("beto"),
                reason: reason("the scan shows 101"),
            },
            at(6),
        )
        .unwrap();
        assert!(matches!(
            log.task(at(7)).phase,
            Phase::Settled { ref entry, kept_by: Some(ref by), .. } if *entry == entry_of(101) && *by == p("chief")
        ));
        // Return one: only that typist enters next, and may enter again.
        let mut log = disputed();
        log.act(
            &chief,
            Action::Return {
                typist: p("carla"),
                reason: reason("check the third row"),
            },
            at(6),
        )
        .unwrap();
        assert_eq!(
            log.enter(&typists[3], 100, at(7)),
            Err(Refusal::ReturnedToAnother(p("carla")))
        );
        log.enter(&typists[2], 100, at(8)).unwrap();
        assert!(
            matches!(log.task(at(9)).phase, Phase::Settled { ref typists, .. } if *typists == vec![p("ana"), p("carla")])
        );
        // Discard both: the task starts again, and the same typists may enter again.
        let mut log = disputed();
        log.act(
            &chief,
            Action::Discard {
                reason: reason("wrong page"),
            },
            at(6),
        )
        .unwrap();
        let task = log.task(at(7));
        assert_eq!((task.phase, task.entries.len()), (Phase::Open, 0));
        log.enter(&typists[0], 100, at(8)).unwrap();
    }

    fn entry_of(votes: u32) -> Entry {
        entry(votes)
    }

    #[test]
    fn only_coordinators_decide_and_only_typists_enter() {
        let (ana, beto) = (
            volunteer("ana", Role::Typist),
            volunteer("beto", Role::Typist),
        );
        let mut log = Log::new();
        log.enter(&ana, 100, at(0)).unwrap();
        log.enter(&beto, 101, at(1)).unwrap();
        let keep = Action::Keep {
            typist: p("ana"),
            reason: "looks right".to_owned(),
        };
        assert_eq!(
            log.act(&ana, keep.clone(), at(2)),
            Err(Refusal::NotACoordinator(p("ana")))
        );
        for role in [Role::Uploader, Role::Observer, Role::Coordinator] {
            let someone = volunteer("someone", role);
            assert_eq!(
                log.act(&someone, Action::Claim, at(2)),
                Err(Refusal::NotATypist(p("someone")))
            );
        }
        let chief = volunteer("chief", Role::Coordinator);
        assert_eq!(
            log.act(
                &chief,
                Action::Keep {
                    typist: p("zoe"),
                    reason: "x".to_owned()
                },
                at(2)
            ),
            Err(Refusal::NoSuchEntry(p("zoe")))
        );
        // A coordinator may settle two different entries without waiting for a third.
        log.act(&chief, keep, at(2)).unwrap();
        assert!(matches!(log.task(at(3)).phase, Phase::Settled { .. }));
    }

    #[test]
    fn a_coordinator_has_nothing_to_decide_before_two_entries() {
        let ana = volunteer("ana", Role::Typist);
        let chief = volunteer("chief", Role::Coordinator);
        let mut log = Log::new();
        log.enter(&ana, 100, at(0)).unwrap();
        assert_eq!(
            log.act(
                &chief,
                Action::Discard {
                    reason: "x".to_owned()
                },
                at(1)
            ),
            Err(Refusal::NothingToDecide)
        );
    }

    #[test]
    fn a_claim_is_one_typists_until_it_lapses() {
        let (ana, beto) = (
            volunteer("ana", Role::Typist),
            volunteer("beto", Role::Typist),
        );
        let mut log = Log::new();
        log.act(&ana, Action::Claim, at(0)).unwrap();
        assert!(matches!(
            log.act(&beto, Action::Claim, at(1)),
            Err(Refusal::ClaimedByAnother { ref by, .. }) if *by == p("ana")
        ));
        assert!(!log.task(at(1)).offered_to(&beto, at(1)));
        // Without a claim, or after it lapsed, nobody enters.
        assert_eq!(
            log.act(&beto, Action::Enter(entry(1)), at(1)),
            Err(Refusal::ClaimedByAnother {
                by: p("ana"),
                until: at(15)
            })
        );
        assert_eq!(
            log.act(&ana, Action::Enter(entry(1)), at(16)),
            Err(Refusal::NoClaim(p("ana")))
        );
        // Lapsed: another typist may claim it.
        assert!(log.task(at(16)).offered_to(&beto, at(16)));
        log.act(&beto, Action::Claim, at(16)).unwrap();
        log.act(&beto, Action::Enter(entry(1)), at(17)).unwrap();
        assert_eq!(log.task(at(18)).entries.len(), 1);
    }

    #[test]
    fn a_suspended_volunteer_does_nothing_and_their_unconfirmed_entries_stop_counting() {
        let typists: Vec<Volunteer> = ["ana", "beto", "troll", "carla"]
            .iter()
            .map(|n| volunteer(n, Role::Typist))
            .collect();
        let mut log = Log::new();
        // Page 1: the troll's entry confirmed by ana's equal one: it stays.
        log.enter(&typists[0], 100, at(0)).unwrap();
        log.enter(&typists[2], 100, at(1)).unwrap();
        let mut other = Log::new();
        // Page 2: the troll entered alone; beto disagreed.
        other.enter(&typists[2], 999, at(0)).unwrap();
        other.enter(&typists[1], 100, at(1)).unwrap();
        assert_eq!(other.task(at(2)).entries.len(), 2);
        log.suspended.insert(p("troll"));
        other.suspended.insert(p("troll"));
        assert!(matches!(log.task(at(3)).phase, Phase::Settled { .. }));
        let task = other.task(at(3));
        assert_eq!(task.entries, vec![(p("beto"), entry(100))]);
        assert_eq!(task.phase, Phase::Open);
        // The task goes back: a third typist's equal entry settles it with beto's.
        other.enter(&typists[3], 100, at(4)).unwrap();
        assert!(
            matches!(other.task(at(5)).phase, Phase::Settled { ref typists, .. } if *typists == vec![p("beto"), p("carla")])
        );
        // And the troll can do nothing more.
        let mut third = Log::new();
        third.suspended.insert(p("troll"));
        assert_eq!(
            third.act(&typists[2], Action::Claim, at(0)),
            Err(Refusal::Suspended(p("troll")))
        );
    }

    #[test]
    fn a_suspended_typists_claim_lapses_at_once() {
        let (troll, ana) = (
            volunteer("troll", Role::Typist),
            volunteer("ana", Role::Typist),
        );
        let mut log = Log::new();
        log.act(&troll, Action::Claim, at(0)).unwrap();
        log.suspended.insert(p("troll"));
        log.act(&ana, Action::Claim, at(1)).unwrap();
    }

    #[test]
    fn roles_have_stable_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("admin"), None);
    }
}
