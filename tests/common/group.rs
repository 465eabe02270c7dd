//! A thread group of std-thread tasks: a process manager and its threads' managers,
//! each thread waiting on a [`CondvarQueue`].

use super::wait::CondvarQueue;
use ksignal::{
    PendingLimit, ProcessSignalManager, SignalActions, SignalSet, Signo, ThreadSignalManager,
};
use std::sync::Arc;

/// The process side.
pub type Process = ProcessSignalManager<CondvarQueue>;
/// One thread.
pub type Thread = ThreadSignalManager<CondvarQueue>;

/// A process with fresh actions and a pending-signal limit of `limit`
/// (RLIMIT_SIGPENDING).
pub fn process_with_limit(limit: usize) -> Arc<Process> {
    Arc::new(Process::new(
        Arc::new(SignalActions::new()),
        Arc::new(PendingLimit::new(limit)),
    ))
}

/// A process with `n` threads, tids 100.., every thread blocking `blocked`; the
/// pending-signal limit is 1024.
pub fn group(n: usize, blocked: SignalSet) -> (Arc<Process>, Vec<Thread>) {
    let p = process_with_limit(1024);
    let threads = (0..n)
        .map(|i| Thread::new(&p, 100 + i as i32, blocked, CondvarQueue::default()).unwrap())
        .collect();
    (p, threads)
}

/// The set of `sigs`.
#[allow(dead_code)] // each test binary compiles this module; not all name sets
pub fn set(sigs: &[Signo]) -> SignalSet {
    sigs.iter().copied().collect()
}
