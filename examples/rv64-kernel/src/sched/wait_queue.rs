//! `WaitQueue`: threads sleeping until an event.
//!
//! Used for events between threads and processes (stdin readers, `wait4`,
//! threads parked in a group stop). ksignal's own per-thread queue
//! (`signal::KWait`) is built on the same `sched::block_current`.

use super::WakeReason;
use crate::task::Thread;
use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::time::Duration;
use spin::Mutex;

pub struct WaitQueue {
    /// (sleep sequence number, thread), oldest first.
    waiters: Mutex<VecDeque<(u64, Arc<Thread>)>>,
}

impl Default for WaitQueue {
    fn default() -> Self {
        Self::new()
    }
}

impl WaitQueue {
    pub const fn new() -> Self {
        WaitQueue { waiters: Mutex::new(VecDeque::new()) }
    }

    /// Sleeps until woken, until `timeout` has passed, or until interrupted
    /// by a signal. Callers re-check their condition in a loop.
    pub fn block_current(&self, timeout: Option<Duration>) -> WakeReason {
        let deadline = timeout.map(|t| crate::timer::now().saturating_add(crate::timer::duration_to_ticks(t)));
        self.block_current_until(deadline)
    }

    /// As `block_current`, with an absolute deadline in timer ticks.
    pub fn block_current_until(&self, deadline: Option<u64>) -> WakeReason {
        super::block_current(Some(self), deadline)
    }

    /// Sleeps until woken; pending signals do not end the sleep (see
    /// `sched::block_current_uninterruptible`).
    pub fn block_current_uninterruptible(&self) -> WakeReason {
        super::block_current_uninterruptible(Some(self))
    }

    /// Wakes the longest-waiting thread; returns false if there was none.
    #[allow(dead_code)] // kept for completeness: every user wakes all
    pub fn wake_one(&self) -> bool {
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
        let waiters = core::mem::take(&mut *self.waiters.lock());
        waiters.into_iter().filter(|(seq, thread)| super::wake(thread, Some(*seq), WakeReason::Woken)).count()
    }

    pub(super) fn enqueue(&self, seq: u64, thread: Arc<Thread>) {
        self.waiters.lock().push_back((seq, thread));
    }

    pub(super) fn remove(&self, tid: usize) {
        self.waiters.lock().retain(|(_, t)| t.tid != tid);
    }
}
