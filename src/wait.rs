//! `WaitQueue`: how the crate blocks a task. The kernel implements it.
//!
//! Each thread owns one queue, on which only that thread waits (in
//! `rt_sigtimedwait`, `rt_sigsuspend`, `pause`). Senders wake it when they make a
//! signal deliverable to that thread, so a process-directed signal wakes exactly the
//! one thread `complete_signal` chose and a thread-directed one only its target.
//!
//! No lost wake-up: the crate calls [`WaitQueue::prepare_to_wait`] *before* it
//! re-checks for a deliverable signal under its lock, and senders call
//! [`WaitQueue::wake_one`] after they changed that state under the same lock. So a
//! wake that lands between the check and [`WaitQueue::wait`] must make `wait`
//! return at once: the kernel's `prepare_to_wait` / `schedule` discipline.

use core::time::Duration;

/// Why [`WaitQueue::wait`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitOutcome {
    /// Woken (or spuriously woken), with the time left of the timeout, if any.
    Woken {
        /// Time left before the timeout; `None` when waiting without a timeout.
        remaining: Option<Duration>,
    },
    /// The timeout expired.
    TimedOut,
}

/// A kernel wait queue with a single waiter: the thread that owns it.
///
/// Only the owning thread ever waits on it, so waking means waking that one
/// thread: the crate needs no "wake every waiter" operation and the trait has
/// none. A kernel that also uses the same queue type for other waiters (a
/// `wait4` queue, say) keeps its own wake-all beside this trait.
pub trait WaitQueue: Send + Sync {
    /// Registers the current task as a waiter; from now on a wake is not lost.
    /// Called from process context, with no lock of this crate held.
    fn prepare_to_wait(&self);

    /// Sleeps until woken since [`WaitQueue::prepare_to_wait`], or until `timeout`
    /// (relative) passes; `None` waits without a limit. Returns at once if a wake
    /// already happened. Called with no lock of this crate held.
    fn wait(&self, timeout: Option<Duration>) -> WaitOutcome;

    /// Deregisters after a check found the condition true without sleeping.
    /// Called from process context, with no lock of this crate held.
    fn finish_wait(&self);

    /// Wakes the waiter if there is one, or makes its next `wait` return at once.
    /// Called with the process's signal lock held, possibly with interrupts off and
    /// from interrupt context: it must not block or allocate. A kernel also uses it
    /// to kick a thread running on another CPU (an IPI) so that it notices the
    /// signal on its next return to user space.
    fn wake_one(&self);
}
