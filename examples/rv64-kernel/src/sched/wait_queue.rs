//! `WaitQueue`: threads sleeping until an event.
//!
//! Used for events between threads and processes (stdin readers, `wait4`,
//! threads parked in a group stop). ksignal's own per-thread queue
//! (`signal::KWait`) is built on the same `sched::block_current`.
//!
//! Waiting for a condition without losing a wake-up on several harts: read
//! `generation()`, check the condition, and sleep with `..._since(gen)`.
//! Every wake bumps the generation *before* looking for sleepers, and the
//! sleep re-checks it after registering, so a wake that happens anywhere
//! after the read ends the sleep (or keeps it from starting).

use super::WakeReason;
use crate::sync::Mutex;
use crate::task::Thread;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;

pub struct WaitQueue {
    /// (sleep sequence number, thread), oldest first.
    waiters: Mutex<VecDeque<(u64, Arc<Thread>)>>,
    /// Counts wake calls (see the module comment).
    generation: AtomicU64,
}

impl Default for WaitQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl WaitQueue {
    pub const fn new() -> Self {
        WaitQueue { waiters: Mutex::new(VecDeque::new()), generation: AtomicU64::new(0) }
    }

    /// The wake count, read before checking the condition a sleep waits for.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// Sleeps until woken, until `timeout` has passed, or until interrupted
    /// by a signal. For waits that only a signal ends.
    pub fn block_current(&self, timeout: Option<Duration>) -> WakeReason {
        let deadline =
            timeout.map(|t| crate::timer::now().saturating_add(crate::timer::duration_to_ticks(t)));
        super::block_current(Some(self), deadline, &|| false)
    }

    /// Sleeps until a wake after `generation` was read, or until interrupted
    /// by a signal. Callers re-check their condition in a loop.
    pub fn block_current_since(&self, generation: u64) -> WakeReason {
        super::block_current(Some(self), None, &|| self.generation() != generation)
    }

    /// Wakes the longest-waiting thread; returns false if there was none.
    #[allow(dead_code)] // kept for completeness: every user wakes all
    pub fn wake_one(&self) -> bool {
        self.generation.fetch_add(1, Ordering::SeqCst);
        loop {
            let Some((seq, thread)) = self.waiters.lock().pop_front() else { return false };
            if super::wake(&thread, Some(seq), WakeReason::Woken) {
                return true;
            }
            // That sleep had already ended (timeout / interrupt): next one.
        }
    }

    /// Wakes every waiting thread; returns how many were woken.
    pub fn wake_all(&self) -> usize {
        self.generation.fetch_add(1, Ordering::SeqCst);
        let waiters = core::mem::take(&mut *self.waiters.lock());
        waiters
            .into_iter()
            .filter(|(seq, thread)| super::wake(thread, Some(*seq), WakeReason::Woken))
            .count()
    }

    pub(super) fn enqueue(&self, seq: u64, thread: Arc<Thread>) {
        self.waiters.lock().push_back((seq, thread));
    }

    pub(super) fn remove(&self, tid: usize) {
        self.waiters.lock().retain(|(_, t)| t.tid != tid);
    }
}
