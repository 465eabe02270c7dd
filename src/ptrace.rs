//! The signal side of ptrace: what a traced thread's `get_signal` asks its kernel,
//! and the state a tracer reads and changes while the thread is stopped.
//!
//! A kernel that implements ptrace tells the crate which threads are traced
//! ([`ThreadSignalManager::set_traced`], Linux's `ptrace_link` / `__ptrace_unlink`)
//! and passes a [`Tracer`] to [`ThreadSignalManager::get_signal_traced`] (or
//! [`crate::do_signal`]). The crate then does what Linux's `get_signal`
//! does for a traced thread:
//!
//! - every dequeued signal but SIGKILL becomes a *signal-delivery stop*
//!   (`ptrace_signal` → `ptrace_stop(signr, CLD_TRAPPED, ..)`, [rule 65]): the
//!   signal lock is dropped and [`Tracer::ptrace_stop`] blocks the thread until its
//!   tracer resumes it. Meanwhile the tracer reads and replaces the siginfo with
//!   [`ThreadSignalManager::ptrace_getsiginfo`] and
//!   [`ThreadSignalManager::ptrace_setsiginfo`] (PTRACE_GETSIGINFO / SETSIGINFO).
//!   The signal the tracer resumes with is then delivered instead: none cancels it,
//!   another one gets a fresh SI_USER siginfo from the tracer, and one that is
//!   blocked now, or any signal while a fatal one is pending, is queued again
//!   instead of being delivered ([rule 68]);
//! - SIGKILL never stops, and a SIGKILL sent during a stop ends it
//!   ([`ThreadSignalManager::fatal_signal_pending`], [rule 69]);
//! - a group stop that a traced thread takes part in is a trap to its tracer too
//!   (`do_jobctl_trap`, [`PtraceStopKind::GroupStop`]), which the tracer ends; for
//!   a tracee attached with PTRACE_SEIZE it is a PTRACE_EVENT_STOP trap
//!   ([`PtraceStopKind::EventStop`]), as are PTRACE_INTERRUPT and the report of a
//!   SIGCONT; PTRACE_LISTEN keeps such a tracee stopped until the group's stop
//!   state changes ([rule 69a]).
//!
//! At generation, a traced thread's ignored signals are not discarded (except
//! SIGKILL), so that its tracer sees them ([rule 66]), and a fatal signal sent to a
//! traced thread does not end the group at once: it is dequeued and reported first
//! ([rule 67]).
//!
//! [rule 65]: crate::docs::rules#rule-65
//! [rule 66]: crate::docs::rules#rule-66
//! [rule 67]: crate::docs::rules#rule-67
//! [rule 68]: crate::docs::rules#rule-68
//! [rule 69]: crate::docs::rules#rule-69
//! [rule 69a]: crate::docs::rules#rule-69a
//! [`ThreadSignalManager::set_traced`]: crate::ThreadSignalManager::set_traced
//! [`ThreadSignalManager::get_signal_traced`]: crate::ThreadSignalManager::get_signal_traced
//! [`ThreadSignalManager::ptrace_getsiginfo`]: crate::ThreadSignalManager::ptrace_getsiginfo
//! [`ThreadSignalManager::ptrace_setsiginfo`]: crate::ThreadSignalManager::ptrace_setsiginfo
//! [`ThreadSignalManager::fatal_signal_pending`]: crate::ThreadSignalManager::fatal_signal_pending

use crate::signo::Signo;

/// Why a traced thread stops (Linux's `why` argument of `ptrace_stop`). More kinds
/// may come (event and system-call stops).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PtraceStopKind {
    /// A signal-delivery stop (`CLD_TRAPPED`): the thread dequeued this signal and
    /// its tracer decides what is delivered. PTRACE_GETSIGINFO and SETSIGINFO work
    /// during the stop.
    SignalDelivery,
    /// The thread takes part in a group stop (`CLD_STOPPED`, Linux's
    /// `do_jobctl_trap` for a task attached with PTRACE_TRACEME or PTRACE_ATTACH):
    /// the group is already recorded as stopped
    /// ([`crate::ProcessSignalManager::is_stopped`]). The kernel brings its other
    /// threads to their stop as it does for [`crate::Delivery::Stop`], reports this
    /// thread's stop to the tracer, and blocks it until the tracer resumes it; the
    /// signal the tracer resumes it with is discarded, as in Linux.
    /// PTRACE_GETSIGINFO fails with EINVAL during this stop (there is no
    /// `last_siginfo`), which is how a tracer tells it from a signal-delivery stop.
    GroupStop,
    /// A PTRACE_EVENT_STOP trap of a tracee attached with PTRACE_SEIZE (Linux's
    /// `do_jobctl_trap` → `ptrace_do_notify(.., CLD_STOPPED)`): the thread takes
    /// part in a group stop (`sig` is the stop signal), or was interrupted by
    /// PTRACE_INTERRUPT, or must report a group-stop change (a SIGCONT, [rule 69a]:
    /// `sig` is SIGTRAP when the group is not stopped). The wait status is
    /// `0x7f | sig << 8 | PTRACE_EVENT_STOP << 16`; PTRACE_GETSIGINFO shows `si_signo`
    /// `sig`, `si_code` `sig | PTRACE_EVENT_STOP << 8`, the tracee's own tid and uid.
    /// The tracer may PTRACE_LISTEN ([`crate::ThreadSignalManager::ptrace_listen`]):
    /// the thread then stays stopped, and the stop ends by itself when the group's
    /// stop state changes again
    /// ([`crate::ThreadSignalManager::ptrace_stop_must_end`]), to trap anew. The
    /// signal a tracer resumes it with is dropped.
    ///
    /// [rule 69a]: crate::docs::rules#rule-69a
    EventStop,
}

/// `PTRACE_EVENT_STOP` (include/uapi/linux/ptrace.h): the event of a seized
/// tracee's group-stop and PTRACE_INTERRUPT traps, in bits 8 to 15 of their
/// `si_code` and bits 16 to 23 of their wait status. `linux-raw-sys` has it only
/// in its `ptrace` module, which this crate does not enable.
pub const PTRACE_EVENT_STOP: i32 = 128;

/// What Linux's `get_signal` asks the ptrace side of the kernel for a traced
/// thread. Passed to [`crate::ThreadSignalManager::get_signal_traced`] and
/// [`crate::do_signal`].
///
/// Whether a thread is traced is not asked here: the crate keeps it
/// ([`crate::ThreadSignalManager::set_traced`]), since the send path, which may run
/// in interrupt context, needs it too.
pub trait Tracer {
    /// Linux's `ptrace_stop`: the thread stops with `sig` (its `exit_code`, what
    /// the tracer's `wait4` reports as `WIFSTOPPED` with `WSTOPSIG` `sig`, status
    /// `0x7f | sig << 8`). The kernel records the stop for the tracer's `wait4`,
    /// notifies it (`do_notify_parent_cldstop(.., CLD_TRAPPED)`: SIGCHLD to the
    /// tracer unless its SIGCHLD is ignored or SA_NOCLDSTOP), and blocks the thread
    /// until the tracer resumes it (PTRACE_CONT and the other resuming requests,
    /// whose `data`, checked by the kernel as Linux's `valid_signal` does, is the
    /// answer: `None` for 0), or until
    /// [`crate::ThreadSignalManager::fatal_signal_pending`] (a SIGKILL wakes the
    /// thread's [`crate::WaitQueue`]), or until the thread is no longer traced. In
    /// the last two cases it returns `Some(sig)`, the `exit_code` left as it was.
    ///
    /// Called with no lock of the crate held (Linux drops the signal lock around
    /// the stop). The thread is in its ptrace stop already: no process-directed
    /// signal chooses it, and, for [`PtraceStopKind::SignalDelivery`] and
    /// [`PtraceStopKind::EventStop`],
    /// [`crate::ThreadSignalManager::ptrace_getsiginfo`] and
    /// [`crate::ThreadSignalManager::ptrace_setsiginfo`] work on it. The stop also
    /// ends, the signal unchanged, once
    /// [`crate::ThreadSignalManager::ptrace_stop_must_end`] is true (the crate wakes
    /// the thread's [`crate::WaitQueue`] when it becomes so). It must not call back
    /// into this thread's `get_signal`.
    fn ptrace_stop(&mut self, sig: Signo, kind: PtraceStopKind) -> Option<Signo>;

    /// The tracer's pid and real uid, as the thread sees them (Linux's
    /// `task_pid_vnr(current->parent)` and `task_uid(current->parent)`): the
    /// sender of the SI_USER siginfo a signal changed by the tracer gets.
    ///
    /// Called with no lock of the crate held, right after each signal-delivery stop
    /// the tracer ended with a signal.
    fn tracer_ids(&mut self) -> (i32, u32);

    /// The thread's own real uid as it sees it (`current_uid()`), the `si_uid` of
    /// a PTRACE_EVENT_STOP trap's siginfo.
    ///
    /// Called with the signal lock held: it must not block or call into the crate
    /// (a read of the thread's credentials).
    fn tracee_uid(&mut self) -> u32;
}

/// The [`Tracer`] of a kernel without ptrace: a stop returns at once with the
/// signal unchanged, as Linux's `ptrace_stop` does for a task that is no longer
/// traced. What [`crate::ThreadSignalManager::get_signal_with`] uses.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTracer;

impl Tracer for NoTracer {
    #[inline]
    fn ptrace_stop(&mut self, sig: Signo, _kind: PtraceStopKind) -> Option<Signo> {
        Some(sig)
    }

    #[inline]
    fn tracer_ids(&mut self) -> (i32, u32) {
        (0, 0)
    }

    #[inline]
    fn tracee_uid(&mut self) -> u32 {
        0
    }
}
