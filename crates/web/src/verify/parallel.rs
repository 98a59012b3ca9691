//! Checking many files on the caller's threads: the pages of a site, the scans and the lookup
//! shards are each checked on their own, so the work is split by item. Problems come out in the
//! order of the items whatever thread found them, and at most [`MAX_PROBLEMS`] are held at any
//! time, however many files differ.

use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use super::{FetchError, MAX_PROBLEMS, MirrorFiles, Problem, ProblemKind, Run};

/// What one thread reads and finds.
pub(super) struct Worker<'files> {
    files: &'files dyn MirrorFiles,
    /// Every path asked for: files the export writes.
    expected: Vec<String>,
    /// The problems of the item under way.
    problems: Vec<Problem>,
}

impl Worker<'_> {
    /// Reads a file the export writes.
    pub(super) fn get(&mut self, path: &str) -> Result<Option<Vec<u8>>, FetchError> {
        self.expected.push(path.to_owned());
        self.files.get(path)
    }

    /// Counts a file as one the export writes without reading it.
    pub(super) fn expect(&mut self, path: String) {
        self.expected.push(path);
    }

    /// Reads a file without counting it as one the export writes.
    pub(super) fn peek(&self, path: &str) -> Result<Option<Vec<u8>>, FetchError> {
        self.files.get(path)
    }

    /// Whether the item under way has a problem named already.
    pub(super) fn has_problems(&self) -> bool {
        !self.problems.is_empty()
    }

    pub(super) fn add(
        &mut self,
        file: impl Into<String>,
        kind: ProblemKind,
        message: impl fmt::Display,
    ) {
        self.problems.push(Problem {
            file: file.into(),
            line: None,
            kind,
            message: message.to_string(),
        });
    }
}

/// What one thread read (the paths) and returned (by item), or the error that stopped it.
type Finished<Out> = Result<(Vec<String>, Vec<(usize, Out)>), FetchError>;

/// The problems found so far: the first [`MAX_PROBLEMS`] by (item, order within the item).
#[derive(Default)]
struct Found {
    kept: BTreeMap<(usize, usize), Problem>,
    count: usize,
}

impl Run<'_> {
    /// Runs `work` on every item on `self.threads` threads and returns what it returned, in the
    /// order of `items`. The paths the workers read are the export's; their problems are added
    /// in the order of the items. The first [`FetchError`] stops every thread.
    pub(super) fn in_parallel<Item, Out>(
        &mut self,
        items: &[Item],
        work: impl Fn(&mut Worker<'_>, &Item) -> Result<Out, FetchError> + Sync,
    ) -> Result<Vec<Out>, FetchError>
    where
        Item: Sync,
        Out: Send,
    {
        let next = AtomicUsize::new(0);
        let stop = AtomicBool::new(false);
        let found = Mutex::new(Found::default());
        let files = self.files;
        let threads = self
            .threads
            .min(NonZeroUsize::new(items.len()).unwrap_or(NonZeroUsize::MIN));
        let one_thread = || -> Finished<Out> {
            let mut worker = Worker {
                files,
                expected: Vec::new(),
                problems: Vec::new(),
            };
            let mut out = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(index) else {
                    break;
                };
                match work(&mut worker, item) {
                    Ok(value) => out.push((index, value)),
                    Err(error) => {
                        stop.store(true, Ordering::Relaxed);
                        return Err(error);
                    }
                }
                if !worker.problems.is_empty() {
                    let mut found = found.lock().unwrap_or_else(PoisonError::into_inner);
                    for (order, problem) in worker.problems.drain(..).enumerate() {
                        found.count += 1;
                        found.kept.insert((index, order), problem);
                        if found.kept.len() > MAX_PROBLEMS {
                            found.kept.pop_last();
                        }
                    }
                }
            }
            Ok((worker.expected, out))
        };
        let finished: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads.get())
                .map(|_| scope.spawn(one_thread))
                .collect();
            handles
                .into_iter()
                .map(|handle| {
                    handle
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        let mut outs = Vec::with_capacity(items.len());
        for result in finished {
            let (expected, out) = result?;
            self.expected.extend(expected);
            outs.extend(out);
        }
        outs.sort_unstable_by_key(|(index, _)| *index);
        let found = found.into_inner().unwrap_or_else(PoisonError::into_inner);
        let dropped = found.count - found.kept.len();
        for problem in found.kept.into_values() {
            self.add(problem.file, problem.line, problem.kind, problem.message);
        }
        self.problem_count += dropped;
        Ok(outs.into_iter().map(|(_, out)| out).collect())
    }
}
