//! [`ProcessSignalManager`] and what it is built from; the design notes are on [`ProcessSignalManager`].

use crate::action::{Disposition, SignalAction};
use crate::chunked::{CHUNK, Chunked};
use crate::errno::Errno;
use crate::hooks::{HookEvent, SignalHooks};
use crate::info::{KERNEL_SIGINFO_SIZE, SignalInfo};
use crate::lock::DefaultRawMutex;
use crate::pending::{PendingLimit, PendingSignals, PutOutcome};
use crate::pidtype::PidType;
use crate::ptrace::PtraceStopKind;
use crate::registry::SignalActions;
use crate::set::SignalSet;
use crate::signo::{DefaultAction, Signo};
use crate::stack::SignalStack;
use crate::sync::{AtomicBool, Ordering};
use crate::timer::{Itimer, TimerFire, TimerRearm, TimerStatus};
use crate::wait::WaitQueue;
use alloc::boxed::Box;
use alloc::sync::Arc;
use alloc::vec::Vec;
use lock_api::{Mutex, RawMutex};

/// What became of a sent signal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Pending with its siginfo.
    Queued,
    /// Pending without its siginfo (RLIMIT_SIGPENDING reached or out of memory).
    InfoLost,
    /// A standard signal already pending: dropped ([rule 1]).
    ///
    /// [rule 1]: crate::docs::rules#rule-1
    Coalesced,
    /// Discarded at generation because the target ignores it ([rule 3]).
    ///
    /// [rule 3]: crate::docs::rules#rule-3
    Ignored,
    /// Dropped because the group is exiting ([rule 5]).
    ///
    /// [rule 5]: crate::docs::rules#rule-5
    Dropped,
}

/// The result of a send: what happened to the signal, and what the kernel must do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendOutcome {
    /// What became of the signal.
    pub fate: Fate,
    /// SIGCONT found the group stopped and continued it ([rule 7], [rule 8]): the kernel
    /// wakes its stopped threads and reports `CLD_CONTINUED` to the parent.
    ///
    /// [rule 7]: crate::docs::rules#rule-7
    /// [rule 8]: crate::docs::rules#rule-8
    pub resumed: bool,
    /// The signal is fatal and the group is now exiting ([rule 20]): every thread will
    /// see [`crate::Delivery::Exit`] on its next return to user space; the kernel
    /// wakes threads sleeping uninterruptibly if it wants them gone sooner.
    ///
    /// [rule 20]: crate::docs::rules#rule-20
    pub group_exit: bool,
    /// The thread that was chosen and woken, if any.
    pub woken: Option<i32>,
}

impl SendOutcome {
    const fn new(fate: Fate) -> SendOutcome {
        SendOutcome {
            fate,
            resumed: false,
            group_exit: false,
            woken: None,
        }
    }
}

/// A stop or continue of a child's group, as its parent hears it (`CLD_STOPPED`,
/// `CLD_CONTINUED`); [`ProcessSignalManager::take_cldstop`] hands each out once.
///
/// Non-exhaustive: Linux has grown the `CLD_*` codes a parent hears before
/// (`CLD_TRAPPED` came with ptrace), so a kernel's `match` keeps an arm for kinds
/// it does not know; [`crate::child::notify_parent_cldstop`] knows every kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChildStop {
    /// The group stopped (the last thread to stop reports it) because of this
    /// signal.
    Stopped(Signo),
    /// A SIGCONT continued the stopped group ([`SendOutcome::resumed`]).
    Continued,
    /// A traced thread entered a ptrace stop with this signal (`CLD_TRAPPED`, its
    /// `exit_code`), reported to its tracer ([rule 65]). Linux reports the tracee
    /// thread's own pid here, not its group leader's: pass that in `child`.
    ///
    /// [rule 65]: crate::docs::rules#rule-65
    Trapped(Signo),
}

/// Per-thread data reachable without the signal lock.
pub(crate) struct ThreadLink<W> {
    /// `TIF_SIGPENDING`: written under the signal lock only, and only in this file.
    sigpending: AtomicBool,
    /// Whether the thread runs on a CPU right now (`task_curr`), as the kernel's
    /// scheduler reports it; false if it never does.
    pub(crate) on_cpu: AtomicBool,
    /// The thread's id, as [`SendOutcome::woken`] reports it.
    pub(crate) tid: i32,
    pub(crate) wait: W,
}

impl<W> ThreadLink<W> {
    /// A new thread's link: nothing pending, not on a CPU.
    pub(crate) fn new(tid: i32, wait: W) -> ThreadLink<W> {
        ThreadLink {
            sigpending: AtomicBool::new(false),
            on_cpu: AtomicBool::new(false),
            tid,
            wait,
        }
    }

    /// Reads the thread's `TIF_SIGPENDING` (see [`ProcessSignalManager`]'s design notes for the orderings).
    #[inline(always)]
    pub(crate) fn sigpending(&self, order: Ordering) -> bool {
        self.sigpending.load(order)
    }
}

bitflags::bitflags! {
    /// A thread's one-bit states (kept in one byte: the slot is read by every send's
    /// target choice, so it stays small).
    #[derive(Clone, Copy, PartialEq, Eq)]
    struct ThreadFlags: u8 {
        /// `PF_EXITING`: the thread left ([`ProcessState::detach`]).
        const EXITING = 1;
        /// `JOBCTL_STOP_PENDING`: a group stop is in progress and this thread has
        /// not taken part yet ([rule 70]). It keeps the thread's flag set, so a
        /// wait in `sigtimedwait`, `sigsuspend` or `pause` ends and the thread comes
        /// to `get_signal`, which stops it.
        ///
        /// [rule 70]: crate::docs::rules#rule-70
        const STOP_PENDING = 1 << 1;
        /// `JOBCTL_STOP_CONSUME`: taking part counts down `group_stop_count`.
        const STOP_CONSUME = 1 << 2;
        /// Traced (Linux's `t->ptrace` non-zero), as the kernel reports it with
        /// `ThreadSignalManager::set_traced`; the thread then has a [`PtraceState`].
        const TRACED = 1 << 3;
        /// `TIF_RESTORE_SIGMASK`: [`ThreadSlot::saved_mask`] holds the mask
        /// `rt_sigsuspend` replaced.
        const RESTORE_SIGMASK = 1 << 4;
    }
}

/// A thread's signal state, owned by its process's [`ProcessState`]. What only a
/// traced thread needs is boxed ([`PtraceState`]): an idle thread's slot is 96
/// bytes (on 64-bit targets), so a scan of the thread list touches few cache lines.
pub(crate) struct ThreadSlot<W> {
    pending: PendingSignals,
    blocked: SignalSet,
    /// The mask before `rt_sigtimedwait` unblocked its set ([rule 35]); empty otherwise.
    ///
    /// [rule 35]: crate::docs::rules#rule-35
    real_blocked: SignalSet,
    /// `saved_sigmask`: `rt_sigsuspend`'s mask to restore, valid while
    /// [`ThreadFlags::RESTORE_SIGMASK`] is set.
    saved_mask: SignalSet,
    /// The alternate signal stack (`sigaltstack`).
    altstack: SignalStack,
    link: Arc<ThreadLink<W>>,
    /// The ptrace side, allocated when the thread is first traced (in process
    /// context, by `ThreadSignalManager::set_traced`) and kept until it leaves.
    ptrace: Option<PtraceBox>,
    /// This thread's position in the creation-order list.
    pos: u32,
    flags: ThreadFlags,
    /// The ptrace stop the thread is in, if any.
    ptrace_stop: PtraceStop,
    /// The signal `PR_SET_PDEATHSIG` asked for when the parent thread exits
    /// (`pdeath_signal`, [rule 73]).
    ///
    /// [rule 73]: crate::docs::rules#rule-73
    pdeath_signal: Option<Signo>,
}

/// A [`PtraceState`] on the heap: a one-element array, which a fallible `Vec`
/// allocation can become (a thin pointer, as a `Box<PtraceState>` would be).
pub(crate) type PtraceBox = Box<[PtraceState; 1]>;

/// What only a traced thread needs: the `JOBCTL_TRAP_*` state and `last_siginfo`.
#[derive(Clone)]
pub(crate) struct PtraceState {
    /// Attached with PTRACE_SEIZE (`PT_SEIZED`).
    seized: bool,
    /// `JOBCTL_TRAP_STOP`: a PTRACE_EVENT_STOP trap (or, for a tracee that is not
    /// seized, the group-stop trap) is due.
    trap_stop: bool,
    /// `JOBCTL_TRAP_NOTIFY`: a group-stop change a seized tracee's tracer must see.
    trap_notify: bool,
    /// `JOBCTL_LISTENING`: PTRACE_LISTEN on the current PTRACE_EVENT_STOP trap.
    listening: bool,
    /// `ptrace_signal_wake_up(t, true)` ended the ptrace stop (a notify while
    /// listening, or PTRACE_INTERRUPT of a listening tracee).
    trap_woken: bool,
    /// Linux's `last_siginfo` in a [`PtraceStop::SignalDelivery`] stop, kept as the
    /// kernel keeps a siginfo (`struct kernel_siginfo`, [`SignalInfo::compact`]):
    /// what PTRACE_GETSIGINFO reads and PTRACE_SETSIGINFO replaces.
    last_siginfo: [u64; KERNEL_SIGINFO_SIZE / 8],
}

impl PtraceState {
    /// An untraced thread's: nothing due.
    pub(crate) const IDLE: PtraceState = PtraceState {
        seized: false,
        trap_stop: false,
        trap_notify: false,
        listening: false,
        trap_woken: false,
        last_siginfo: [0; KERNEL_SIGINFO_SIZE / 8],
    };

    /// A box for a thread about to be traced; ENOMEM if it cannot be had (stable
    /// Rust has no `Box::try_new`, so it goes through a one-element `Vec`).
    pub(crate) fn try_new_boxed() -> Result<PtraceBox, Errno> {
        let mut v = Vec::new();
        v.try_reserve_exact(1).map_err(|_| Errno::ENOMEM)?;
        v.push(PtraceState::IDLE);
        v.into_boxed_slice().try_into().map_err(|_| Errno::ENOMEM)
    }
}

impl PtraceState {
    /// A trap is due (`JOBCTL_TRAP_MASK`): a STOP trap, or a notify for a seized
    /// tracee.
    fn trap_due(&self) -> bool {
        self.trap_stop || (self.seized && self.trap_notify)
    }
}

impl<W> ThreadSlot<W> {
    #[inline(always)]
    fn is(&self, f: ThreadFlags) -> bool {
        self.flags.contains(f)
    }

    /// [`ProcessState::sig_ignored`] for this thread, `unkillable` being the group's
    /// `SIGNAL_UNKILLABLE`.
    #[inline(always)]
    fn sig_ignored(&self, action: &SignalAction, sig: Signo, unkillable: bool) -> bool {
        if self.blocked.contains(sig) || self.real_blocked.contains(sig) {
            return false;
        }
        if self.is(ThreadFlags::TRACED) && sig != Signo::SIGKILL {
            return false;
        }
        if unkillable && action.disposition() == Disposition::Default {
            return true;
        }
        handler_ignored(action, sig)
    }

    /// [`ProcessState::recalc_sigpending`] for this slot, given what it reads of the
    /// group (the shared pending set, `SIGNAL_GROUP_EXIT`): the hot paths that
    /// already hold the slot call this instead of looking it up again.
    #[inline(always)]
    fn recalc_sigpending(&self, shared: SignalSet, group_exit: bool) {
        let deliverable = (self.pending.pending() | shared) - self.blocked;
        // One test of the flags byte for both job-control reasons (the rare ones).
        let flag = !deliverable.is_empty()
            || group_exit
            || (self
                .flags
                .intersects(ThreadFlags::STOP_PENDING | ThreadFlags::TRACED)
                && self.stop_or_trap_due());
        self.link.sigpending.store(flag, Ordering::Release);
    }

    /// [`ThreadSlot::recalc_sigpending`]'s `JOBCTL_PENDING_MASK` half: a group stop
    /// to take part in, or (traced) a ptrace trap due.
    #[cold]
    fn stop_or_trap_due(&self) -> bool {
        self.is(ThreadFlags::STOP_PENDING) || (self.is(ThreadFlags::TRACED) && self.pt().trap_due())
    }

    /// `wants_signal` ([rule 19]): not blocked, not exiting; SIGKILL always; not
    /// while the group is stopped (`stopped`) or the thread is in a ptrace stop; and
    /// then either running on a CPU right now (`task_curr`, as the kernel reports it
    /// with `ThreadSignalManager::set_on_cpu`) or without a signal to handle already.
    ///
    /// [rule 19]: crate::docs::rules#rule-19
    #[inline(always)]
    fn wants_signal(&self, sig: Signo, stopped: bool) -> bool {
        if self.blocked.contains(sig) || self.is(ThreadFlags::EXITING) {
            return false;
        }
        if sig == Signo::SIGKILL {
            return true;
        }
        !stopped
            && matches!(self.ptrace_stop, PtraceStop::Running)
            && (self.link.on_cpu.load(Ordering::Relaxed)
                || !self.link.sigpending.load(Ordering::Relaxed))
    }

    /// The ptrace side; an untraced thread's reads as [`PtraceState::IDLE`].
    fn pt(&self) -> &PtraceState {
        match &self.ptrace {
            Some(b) => &b[0],
            None => &PtraceState::IDLE,
        }
    }

    /// The ptrace side, for a change; `None` for a thread never traced, whose
    /// ptrace state cannot change.
    fn pt_mut(&mut self) -> Option<&mut PtraceState> {
        self.ptrace.as_mut().map(|b| &mut b[0])
    }
}

impl<W: WaitQueue> ThreadSlot<W> {
    /// `signal_wake_up`: set the thread's flag, then wake it. Returns its tid.
    #[inline(always)]
    fn signal_wake_up(&self) -> i32 {
        self.link.sigpending.store(true, Ordering::Release);
        self.link.wait.wake_one();
        self.link.tid
    }
}

/// A thread's ptrace stop (`JOBCTL_TRACED`, `TASK_TRACED`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum PtraceStop {
    /// Not in a ptrace stop.
    Running,
    /// In a group-stop trap: no `last_siginfo`.
    GroupStop,
    /// In a stop with a `last_siginfo` (a signal-delivery stop or a
    /// PTRACE_EVENT_STOP trap).
    SignalDelivery,
}

/// One entry of the thread-slot table ([`Chunked`]: it grows by fixed chunks, so a
/// large table is neither half empty nor copied under the signal lock). A free
/// slot is as large as a used one; the table is indexed on every send and dequeue,
/// so the thread's state stays inline (boxing it would add a pointer chase to the
/// hot path), and free slots are reused first, so the waste is bounded by the most
/// threads the process ever had.
#[allow(clippy::large_enum_variant)]
enum Slot<W> {
    Used(ThreadSlot<W>),
    Free { next: Option<u32> },
}

/// Everything the signal lock protects.
pub(crate) struct ProcessState<W> {
    shared: PendingSignals,
    slots: Chunked<Slot<W>>,
    free: Option<u32>,
    /// Live slots in thread-creation order (Linux's thread list).
    order: Vec<u32>,
    /// Position in `order` of the thread `complete_signal` chose last
    /// (`signal->curr_target`), so the scan starts there in O(1).
    curr_target: usize,
    /// The thread the pid names (the group leader); its slot outlives its exit, as a
    /// zombie leader does in Linux.
    leader: Option<u32>,
    /// `SIGNAL_GROUP_EXIT` and the exit signal.
    group_exit: Option<Signo>,
    /// A group stop was started and no SIGCONT or group exit ended it yet: Linux's
    /// `SIGNAL_STOP_STOPPED`, or `group_stop_count` not zero (a stop in progress).
    stopped: bool,
    /// `group_stop_count`: threads that must still take part in the group stop
    /// ([rule 70]).
    ///
    /// [rule 70]: crate::docs::rules#rule-70
    group_stop_count: u32,
    /// `SIGNAL_STOP_STOPPED`: every thread took part; the group stop is complete.
    stop_complete: bool,
    /// `group_exit_code` of a group stop: the stop signal.
    stop_sig: Option<Signo>,
    /// The completion of a group stop, not yet taken for the parent's CLD_STOPPED
    /// (Linux's last thread to stop reports it at once, [rule 72]).
    ///
    /// [rule 72]: crate::docs::rules#rule-72
    notify_stopped: Option<Signo>,
    /// `SIGNAL_CLD_CONTINUED` / `SIGNAL_CLD_STOPPED`: what a SIGCONT that ended a
    /// stop leaves to report ([rule 72]).
    ///
    /// [rule 72]: crate::docs::rules#rule-72
    notify_cont: Option<ChildStop>,
    /// `self_exec_id`: how many times the group exec'd ([rule 74]).
    ///
    /// [rule 74]: crate::docs::rules#rule-74
    self_exec_id: u64,
    /// `parent_exec_id`: the parent's `self_exec_id` when this group was forked.
    parent_exec_id: u64,
    /// How many SIGCONTs have been generated (wrapping). `get_signal` compares it
    /// across the window in which it asks the kernel whether the process group is
    /// orphaned: a SIGCONT in that window cancels the stop, as clearing Linux's
    /// `JOBCTL_STOP_DEQUEUED` does for `do_signal_stop`.
    continued: u32,
    /// `SIGNAL_UNKILLABLE` (global init).
    unkillable: bool,
    /// The group's own RLIMIT_SIGPENDING soft limit (`signal->rlim`); `None` uses
    /// the account's.
    rlimit: Option<usize>,
    /// Whether a send may call the allocator to grow a queue whose recycled nodes
    /// ran out; applied to the shared queue and every private queue.
    growable: bool,
    /// Entries reserved in each private queue, now and for threads attached later.
    thread_reserve: usize,
    /// The signal side of the group's POSIX timers (`signal->posix_timers`), by
    /// the index their handles and queue entries carry; `None` is a free index.
    timers: Vec<Option<TimerState>>,
    /// How many timers are parked on the ignored list
    /// (`signal->ignored_posix_timers`), so `rt_sigaction` skips the scan when none is.
    ignored_timers: u32,
    /// The kernel's ITIMER_REAL rearm, called when SIGALRM is dequeued from the
    /// shared queue (`posixtimer_rearm_itimer`, [rule 64]).
    ///
    /// [rule 64]: crate::docs::rules#rule-64
    itimer_real: Option<Arc<dyn TimerRearm>>,
}

/// Which queue a timer's preallocated entry lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TimerStore {
    /// The shared queue (SIGEV_SIGNAL: `PIDTYPE_TGID`).
    Shared,
    /// A thread's private queue (SIGEV_THREAD_ID: `PIDTYPE_PID`), by slot.
    Thread(u32),
    /// No entry: SIGEV_NONE, or the target thread has exited.
    Nowhere,
}

/// The signal side of one POSIX timer (the fields of Linux's `k_itimer` that
/// `kernel/signal.c` and the delivery path use).
struct TimerState {
    id: i32,
    sig: Signo,
    value: u64,
    store: TimerStore,
    /// The preallocated entry's index in `store`.
    node: u32,
    /// Whether the entry is linked in its queue (`!list_empty(&q->list)`).
    queued: bool,
    /// On the ignored list (`!hlist_unhashed(&tmr->ignored_list)`).
    ignored: bool,
    /// Not deleted (`posixtimer_valid`).
    valid: bool,
    /// `it_status`.
    status: TimerStatus,
    /// `it_interval != 0`.
    periodic: bool,
    /// `it_sig_periodic`: the queued signal came from a periodic expiry.
    sig_periodic: bool,
    /// Removed from its queue by a flush, awaiting `posixtimer_sig_ignore`.
    flushed: bool,
    it_signal_seq: u32,
    it_sigqueue_seq: u32,
    it_overrun: i64,
    it_overrun_last: i64,
    rearm: Option<Arc<dyn TimerRearm>>,
}

/// A thread group's shared signal state: its shared pending queue, its action table,
/// its threads, and the group's exit and stop state.
///
/// `R` is the signal lock (see [`ProcessSignalManager`]'s design notes for the lock order); `W` is the
/// kernel's per-thread [`WaitQueue`].
///
/// # Design notes
///
/// `ProcessSignalManager`: a thread group's shared signal state, and the rules of
/// signal generation (kernel/signal.c's `prepare_signal`, `sig_ignored`,
/// `complete_signal`, `wants_signal`, `retarget_shared_pending`).
///
/// # Lock order
/// One lock per thread group, the process's *signal lock* (Linux's
/// `sighand->siglock`), guards all of `ProcessState`: the shared queue, every
/// thread's private queue and masks, the thread list and the group's exit/stop state.
/// Nothing in this crate holds it while taking another lock of the crate. While it is
/// held the crate may call, in this order only: the action registry (lock-free
/// reads; `rt_sigaction` writes), generation hooks (observe-only, IRQ-safe), and
/// [`WaitQueue::wake_one`] (the kernel's own wait-queue lock nests inside the signal
/// lock). [`WaitQueue::prepare_to_wait`] and [`WaitQueue::wait`] are called without
/// it.
///
/// # Invariants
/// Every field of `ProcessState` and of each thread's slot is private to this file;
/// other modules change them only through the methods below, each named for the
/// Linux operation it is. So each rule is enforced in one place:
/// - A thread's mask never holds SIGKILL or SIGSTOP, and every change of it goes
///   through `set_blocked` (Linux's `__set_task_blocked`, "required every time the
///   blocked sigset changes; callers must hold siglock"), which hands newly blocked
///   shared signals on (`retarget_shared_pending`) and recomputes the thread's flag
///   (`recalc_sigpending`). The one exception is `rt_sigtimedwait`'s temporary
///   unblocking (`unblock_for_sigtimedwait`), which only unblocks, so has nothing to
///   hand on, and recomputes the flag itself, as Linux's `do_sigtimedwait` does.
/// - Whatever dequeues a signal recomputes the dequeuing thread's flag before the
///   lock is released.
/// - `stopped` is set only by `do_signal_stop`, and cleared by SIGCONT
///   (`prepare_signal`) and by a group exit (`zap_threads`); `continued` counts
///   SIGCONTs so a stop decided across a dropped lock can be abandoned.
/// - Once `group_exit` is set it stays set: new signals are dropped, and the flag
///   of every thread that has not detached stays set (`recalc_sigpending` tests
///   it).
/// - The leader's slot outlives its thread (a zombie leader); every other slot is
///   freed when its thread detaches. `order` lists the live slots in creation
///   order and each slot knows its position in it.
///
/// # Contexts
/// Sending ([`ProcessSignalManager::send`], `ThreadSignalManager::send`) may run in
/// interrupt context when the lock type disables interrupts (the `kspin` feature's
/// `KspinRawMutex`): it never sleeps, never calls back into code that may allocate,
/// and allocates only to grow a pending queue whose recycled nodes ran out
/// ([`ProcessSignalManager::set_growable`] forbids even that, for every queue of
/// the group). Everything else runs in process context.
///
/// # The "something deliverable" word
/// Each thread has an atomic flag (Linux's `TIF_SIGPENDING`) that its kernel tests
/// with one load on every return to user space. It is only written under the signal
/// lock: senders set it on the thread `complete_signal` chose before waking it, and
/// the thread recomputes it (`recalc_sigpending`) whenever its mask or queues change.
/// Its stores are `Release` and the return-to-user load is `Acquire`, so a thread
/// that sees it set and then takes the lock finds the signal; a thread that sees it
/// clear either re-reads it after the sender's wake-up (the wait queue or the
/// kernel's IPI orders the two) or had nothing deliverable at that instant.
pub struct ProcessSignalManager<W: WaitQueue, R: RawMutex = DefaultRawMutex> {
    pub(crate) state: Mutex<R, ProcessState<W>>,
    pub(crate) common: Common,
}

/// What a send needs besides the locked state: read without the signal lock.
pub(crate) struct Common {
    pub(crate) actions: Arc<SignalActions>,
    pub(crate) limit: Arc<PendingLimit>,
    pub(crate) hooks: SignalHooks,
}

impl<W: WaitQueue, R: RawMutex> ProcessSignalManager<W, R> {
    /// A new thread group with no threads yet, using `actions` (share one between
    /// processes created with CLONE_SIGHAND) and charging queued siginfo to `limit`
    /// (the real uid's RLIMIT_SIGPENDING account). Allocates nothing but the `Arc`s
    /// the caller made.
    ///
    /// Context: any; allocates nothing but the lock-protected state (no heap).
    pub fn new(
        actions: Arc<SignalActions>,
        limit: Arc<PendingLimit>,
    ) -> ProcessSignalManager<W, R> {
        ProcessSignalManager {
            state: Mutex::new(ProcessState {
                shared: PendingSignals::new(),
                slots: Chunked::new(),
                free: None,
                order: Vec::new(),
                curr_target: 0,
                leader: None,
                group_exit: None,
                stopped: false,
                group_stop_count: 0,
                stop_complete: false,
                stop_sig: None,
                notify_stopped: None,
                notify_cont: None,
                self_exec_id: 0,
                parent_exec_id: 0,
                continued: 0,
                unkillable: false,
                rlimit: None,
                growable: true,
                thread_reserve: 0,
                timers: Vec::new(),
                ignored_timers: 0,
                itimer_real: None,
            }),
            common: Common {
                actions,
                limit,
                hooks: SignalHooks::new(),
            },
        }
    }

    /// The child of `fork`: the same action entries copied into a table of its own
    /// (or the same table with CLONE_SIGHAND), the same limit account, nothing
    /// pending. Create its first thread with the parent thread's mask.
    ///
    /// The child inherits the group's own RLIMIT_SIGPENDING, if it has one, as Linux
    /// copies `signal->rlim` at fork. It records the parent's exec count as its
    /// `parent_exec_id` ([rule 74]). It also inherits the queue policy of
    /// [`ProcessSignalManager::set_growable`] and the per-thread part of
    /// [`ProcessSignalManager::reserve`]; its shared queue starts empty, so a
    /// kernel that turned growth off calls `reserve` on the child for it.
    ///
    /// Context: process context (allocates the child's table); takes the parent's
    /// signal lock briefly, never both locks at once.
    ///
    /// [rule 74]: crate::docs::rules#rule-74
    pub fn fork(&self, share_actions: bool) -> ProcessSignalManager<W, R> {
        let actions = if share_actions {
            self.common.actions.clone()
        } else {
            Arc::new(self.common.actions.clone_table())
        };
        let child = ProcessSignalManager::new(actions, self.common.limit.clone());
        let (rlimit, growable, thread_reserve, self_exec_id) = {
            let st = self.state.lock();
            (st.rlimit, st.growable, st.thread_reserve, st.self_exec_id)
        };
        {
            let mut cst = child.state.lock();
            cst.rlimit = rlimit;
            cst.growable = growable;
            cst.shared.set_growable(growable);
            cst.thread_reserve = thread_reserve;
            cst.parent_exec_id = self_exec_id;
        }
        child
    }

    /// The action table (lock-free reads).
    ///
    /// Context: any, interrupt context included; takes no lock and never allocates.
    pub fn actions(&self) -> &Arc<SignalActions> {
        &self.common.actions
    }

    /// The hooks that observe every signal generated for this process (rules of
    /// [`SignalHooks`](crate::SignalHooks)): they run, in registration order, each time a signal
    /// becomes pending, thread- or process-directed, from the sending context.
    ///
    /// Context: any, interrupt context included; takes no lock and never allocates.
    pub fn hooks(&self) -> &SignalHooks {
        &self.common.hooks
    }

    /// The RLIMIT_SIGPENDING account queued siginfo is charged to.
    ///
    /// Context: any, interrupt context included; takes no lock and never allocates.
    pub fn limit(&self) -> &Arc<PendingLimit> {
        &self.common.limit
    }

    /// Sets this group's own RLIMIT_SIGPENDING soft limit (`setrlimit`, `prlimit`):
    /// a siginfo queued for this group is refused once its user's count (the shared
    /// [`ProcessSignalManager::limit`] account) would exceed it, as Linux compares
    /// the per-user count with the receiving task's `task_rlimit` ([rule 14]). `None`
    /// goes back to the account's [`PendingLimit::limit`], which is also where a new
    /// group starts. Entries already queued stay.
    ///
    /// Context: process context.
    ///
    /// [rule 14]: crate::docs::rules#rule-14
    pub fn set_rlimit_sigpending(&self, limit: Option<usize>) {
        self.state.lock().rlimit = limit;
    }

    /// The RLIMIT_SIGPENDING soft limit signals sent to this group are held to: its
    /// own, or its account's.
    ///
    /// Context: any, interrupt context included with the `kspin` feature's lock; takes
    /// the signal lock briefly, never allocates or sleeps.
    pub fn rlimit_sigpending(&self) -> usize {
        let own = self.state.lock().rlimit;
        own.unwrap_or_else(|| self.common.limit.limit())
    }

    /// Whether a send may call the allocator when a pending queue of this group
    /// (the shared queue or a thread's private one) has no recycled entry left:
    /// [`PendingSignals::set_growable`] applied to every queue of the group, those
    /// of threads attached later included. Queues start growable.
    ///
    /// A kernel whose allocator must not run where signals are sent (with
    /// interrupts off, or from an interrupt handler) turns growth off and sizes the
    /// queues with [`ProcessSignalManager::reserve`]. A send that then finds no free
    /// entry is Linux's failed `__sigqueue_alloc` (a `GFP_ATOMIC` allocation that
    /// failed): a real-time signal whose `si_code` is not SI_USER fails with EAGAIN
    /// and nothing becomes pending; any other signal becomes pending without its
    /// siginfo ([`Fate::InfoLost`], received as SI_USER with pid and uid 0).
    ///
    /// Context: process context; takes the signal lock.
    pub fn set_growable(&self, growable: bool) {
        let mut st = self.state.lock();
        st.growable = growable;
        st.shared.set_growable(growable);
        for slot in st.slots.iter_mut() {
            if let Slot::Used(t) = slot {
                t.pending.set_growable(growable);
            }
        }
    }

    /// Makes room, without further allocation, for `shared` more entries in the
    /// shared queue and `per_thread` more in each thread's private queue, threads
    /// attached later included (each new thread's queue is sized when it is
    /// attached, which then fails with ENOMEM if that allocation fails). With
    /// growth off ([`ProcessSignalManager::set_growable`]) these entries are all a
    /// send can use. Errors: ENOMEM, with what was already reserved kept.
    ///
    /// Context: process context; allocates with the signal lock held, so call it
    /// where the allocator may run (at set-up, or from `setrlimit`).
    pub fn reserve(&self, shared: usize, per_thread: usize) -> Result<(), Errno> {
        let mut st = self.state.lock();
        st.shared.reserve(shared)?;
        for slot in st.slots.iter_mut() {
            if let Slot::Used(t) = slot {
                t.pending.reserve(per_thread)?;
            }
        }
        st.thread_reserve = per_thread;
        Ok(())
    }

    /// Marks the group as global init (`SIGNAL_UNKILLABLE`, [rule 21]): signals whose
    /// action is `SIG_DFL` are discarded, SIGKILL and SIGSTOP included. As in Linux,
    /// the discarding is done at generation by the target thread's ignore test, which
    /// a blocked signal passes: a default-fatal signal the target blocks is queued,
    /// and if another thread does not block it, `complete_signal` ends the group.
    ///
    /// Context: process context (at the creation of init); takes the signal lock.
    ///
    /// [rule 21]: crate::docs::rules#rule-21
    pub fn set_unkillable(&self, unkillable: bool) {
        self.state.lock().unkillable = unkillable;
    }

    /// Sends a process-directed signal (kill, rt_sigqueueinfo, a timer, the kernel):
    /// it goes to the shared queue and `complete_signal` picks the thread to wake.
    /// `info` `None` sends without siginfo (read as SI_USER, pid 0). Permission
    /// checks are the caller's. Errors: EAGAIN from the queue limit ([rule 14]); ESRCH
    /// if the group has no thread left.
    ///
    /// Context: any, including interrupt context (see the design notes).
    ///
    /// [rule 14]: crate::docs::rules#rule-14
    pub fn send(&self, sig: Signo, info: Option<&SignalInfo>) -> Result<SendOutcome, Errno> {
        let mut st = self.state.lock();
        let leader = st.leader.ok_or(Errno::ESRCH)?;
        st.send_signal(&self.common, sig, info, leader, true)
    }

    /// `rt_sigaction` ([rule 29], [rule 30]): replaces the action of `sig` when `new`
    /// is given and returns the previous one. Setting SIGKILL or SIGSTOP is EINVAL
    /// (querying them works). Setting SIG_IGN, or SIG_DFL for a signal whose default is
    /// to ignore, discards it from the shared queue and every thread's queue, blocked
    /// or not (POSIX 3.3.1.3, as Linux does).
    ///
    /// Context: process context. A query (`new` `None`) reads the table lock-free
    /// ([`SignalActions::get`]); a change holds the signal lock while the table's
    /// writer waits for announced readers to leave (see the registry's "Contexts":
    /// under `kspin` they cannot be preempted, so the wait is short).
    ///
    /// [rule 29]: crate::docs::rules#rule-29
    /// [rule 30]: crate::docs::rules#rule-30
    pub fn sigaction(&self, sig: Signo, new: Option<SignalAction>) -> Result<SignalAction, Errno> {
        let Some(new) = new else {
            return Ok(self.common.actions.get(sig));
        };
        if sig.is_unblockable() {
            return Err(Errno::EINVAL);
        }
        let mut st = self.state.lock();
        let old = self.common.actions.set(sig, new);
        if handler_ignored(&new, sig) {
            st.flush_everywhere(SignalSet::single(sig), &self.common.limit);
        } else if old.disposition() == Disposition::Ignore {
            st.posixtimer_sig_unignore(&self.common, sig);
        }
        Ok(old)
    }

    /// An interval timer expired (`it_real_fn`, `check_cpu_itimer`): its signal
    /// (SIGALRM, SIGVTALRM, SIGPROF) goes to the process as from the kernel
    /// (`SI_KERNEL`, [rule 64]). A kernel that sends ITIMER_VIRTUAL or ITIMER_PROF
    /// from the thread that used the time calls
    /// [`crate::ThreadSignalManager::send_process_directed`] with the same
    /// [`Itimer::siginfo`] instead, as Linux sends to that task with
    /// `PIDTYPE_TGID`. Errors: as [`ProcessSignalManager::send`].
    ///
    /// Context: any, including interrupt context (the kernel's timer interrupt).
    ///
    /// [rule 64]: crate::docs::rules#rule-64
    pub fn itimer_expired(&self, which: Itimer) -> Result<SendOutcome, Errno> {
        self.send(which.signal(), Some(&which.siginfo()))
    }

    /// Registers the kernel's ITIMER_REAL rearm (`posixtimer_rearm_itimer`): it is
    /// called each time SIGALRM is dequeued from the shared queue (whoever sent
    /// it, as in Linux), with the signal lock held ([rule 64]). `None` removes it.
    ///
    /// Context: process context; takes the signal lock.
    ///
    /// [rule 64]: crate::docs::rules#rule-64
    pub fn set_itimer_real_rearm(&self, rearm: Option<Arc<dyn TimerRearm>>) {
        let old = {
            let mut st = self.state.lock();
            let old = st.itimer_real.take();
            st.set_itimer_real(rearm);
            old
        };
        drop(old);
    }

    /// `execve`: handlers become SIG_DFL, SIG_IGN stays ([rule 54]). The mask and
    /// pending signals are kept; each thread's alternate stack is the thread's own
    /// business (`ThreadSignalManager::exec`). The table is reset in place: unlike
    /// Linux, which first unshares a `CLONE_SIGHAND` table, a process sharing its
    /// table with another process resets the sharer's handlers too.
    ///
    /// Context: process context, from `execve`, with no lock of this crate held: it
    /// replaces actions through the table's writer, which waits for readers.
    ///
    /// It also counts the exec (`self_exec_id`, [rule 74]): a child forked before it
    /// that exits with an exit signal other than SIGCHLD then sends SIGCHLD instead.
    ///
    /// [rule 54]: crate::docs::rules#rule-54
    /// [rule 74]: crate::docs::rules#rule-74
    pub fn exec(&self) {
        {
            let mut st = self.state.lock();
            st.self_exec_id = st.self_exec_id.wrapping_add(1);
        }
        self.common.actions.reset_for_exec();
    }

    /// `self_exec_id`: how many times this group exec'd ([rule 74]).
    ///
    /// Context: any, interrupt context included with the `kspin` feature's lock; takes
    /// the signal lock briefly, never allocates or sleeps.
    ///
    /// [rule 74]: crate::docs::rules#rule-74
    pub fn self_exec_id(&self) -> u64 {
        self.state.lock().self_exec_id
    }

    /// `parent_exec_id`: the parent's [`ProcessSignalManager::self_exec_id`] when
    /// [`ProcessSignalManager::fork`] made this group; 0 for a group made with
    /// [`ProcessSignalManager::new`].
    ///
    /// Context: as [`ProcessSignalManager::self_exec_id`].
    pub fn parent_exec_id(&self) -> u64 {
        self.state.lock().parent_exec_id
    }

    /// Sets `parent_exec_id`: for a child made with `CLONE_PARENT` (Linux gives it
    /// the creator's own `parent_exec_id`, as it reports to the creator's parent),
    /// or for a kernel that creates groups with [`ProcessSignalManager::new`].
    ///
    /// Context: process context (clone); takes the signal lock briefly.
    pub fn set_parent_exec_id(&self, id: u64) {
        self.state.lock().parent_exec_id = id;
    }

    /// Whether the group is exiting, and with which signal.
    ///
    /// Context: any, interrupt context included with the `kspin` feature's lock; takes
    /// the signal lock briefly, never allocates or sleeps.
    pub fn group_exit(&self) -> Option<Signo> {
        self.state.lock().group_exit
    }

    /// Starts a group exit for a reason other than a signal (exit_group): every
    /// thread sees [`crate::Delivery::Exit`]; new signals are dropped ([rule 5]).
    ///
    /// Context: process context (`exit_group`) or any context that ends a group; takes
    /// the signal lock and wakes every thread through [`WaitQueue::wake_one`]; never
    /// allocates or sleeps.
    ///
    /// [rule 5]: crate::docs::rules#rule-5
    pub fn start_group_exit(&self, sig: Signo) {
        let mut st = self.state.lock();
        if st.group_exit.is_none() {
            st.zap_threads(sig);
        }
    }

    /// Whether the group is stopped by a stop signal: a thread dequeued a stop
    /// signal and no SIGCONT or group exit came since. The stop may still be in
    /// progress (threads that have not taken part yet, [rule 70]); see
    /// [`ProcessSignalManager::is_stop_complete`].
    ///
    /// Context: any, interrupt context included with the `kspin` feature's lock; takes
    /// the signal lock briefly, never allocates or sleeps.
    ///
    /// [rule 70]: crate::docs::rules#rule-70
    pub fn is_stopped(&self) -> bool {
        self.state.lock().stopped
    }

    /// Linux's `SIGNAL_STOP_STOPPED`: every thread took part in the group stop and
    /// no SIGCONT came since. What `has_stopped_jobs` tests for the orphaned
    /// process-group rule ([rule 71]).
    ///
    /// Context: any, interrupt context included with the `kspin` feature's lock; takes
    /// the signal lock briefly, never allocates or sleeps.
    ///
    /// [rule 71]: crate::docs::rules#rule-71
    pub fn is_stop_complete(&self) -> bool {
        self.state.lock().stop_complete
    }

    /// The next stop or continue to report to the parent, once each ([rule 72]):
    /// first the completion of a group stop (`CLD_STOPPED` with the stop signal,
    /// which Linux's last thread to stop reports at once), then what a SIGCONT
    /// that ended a stop left (`CLD_CONTINUED`; or `CLD_STOPPED` if the stop was
    /// still in progress, as Linux pretends it completed and the continue's report
    /// was lost, since SIGCHLD does not queue). `None` when nothing is left.
    ///
    /// The kernel calls it, and sends what it returns with
    /// [`crate::notify_parent_cldstop`], after [`crate::Delivery::Stop`] (the
    /// thread that completes a stop), after a send that reports
    /// [`SendOutcome::resumed`], and after a thread exits (an exiting thread takes
    /// part in a stop in progress). Linux lets the first continued thread of the
    /// group report the continue from `get_signal`; any of these points gives the
    /// parent each report exactly once, since taking it is atomic.
    ///
    /// Context: any, interrupt context included with the `kspin` feature's lock; takes
    /// the signal lock briefly, never allocates or sleeps.
    ///
    /// [rule 72]: crate::docs::rules#rule-72
    pub fn take_cldstop(&self) -> Option<ChildStop> {
        let mut st = self.state.lock();
        if let Some(sig) = st.notify_stopped.take() {
            return Some(ChildStop::Stopped(sig));
        }
        st.notify_cont.take()
    }

    /// The shared pending set.
    ///
    /// Context: any, interrupt context included with the `kspin` feature's lock; takes
    /// the signal lock briefly, never allocates or sleeps.
    pub fn shared_pending(&self) -> SignalSet {
        self.state.lock().shared.pending()
    }

    /// Number of live threads.
    ///
    /// Context: any, interrupt context included with the `kspin` feature's lock; takes
    /// the signal lock briefly, never allocates or sleeps.
    pub fn thread_count(&self) -> usize {
        self.state.lock().order.len()
    }

    /// Adds a thread (clone or the first thread). Called by `ThreadSignalManager::new`.
    pub(crate) fn attach(
        &self,
        blocked: SignalSet,
        link: Arc<ThreadLink<W>>,
    ) -> Result<u32, Errno> {
        let mut st = self.state.lock();
        if st.order.len() == st.order.capacity() {
            // The thread list grows as the slot table does: by doubling up to a
            // chunk, then a chunk at a time (little slack in a large group).
            let more = st.order.len().clamp(1, CHUNK);
            st.order
                .try_reserve_exact(more)
                .map_err(|_| Errno::ENOMEM)?;
        }
        let mut pending = PendingSignals::new();
        pending.set_growable(st.growable);
        if st.thread_reserve > 0 {
            pending.reserve(st.thread_reserve)?;
        }
        let slot = ThreadSlot {
            pending,
            blocked: blocked.without_unblockable(),
            real_blocked: SignalSet::EMPTY,
            saved_mask: SignalSet::EMPTY,
            altstack: SignalStack::DISABLED,
            link,
            ptrace: None,
            pos: st.order.len() as u32,
            flags: ThreadFlags::empty(),
            ptrace_stop: PtraceStop::Running,
            pdeath_signal: None,
        };
        let index = match st.free {
            Some(i) => {
                let next = match st.slots[i] {
                    Slot::Free { next } => next,
                    Slot::Used(_) => None,
                };
                st.free = next;
                st.slots[i] = Slot::Used(slot);
                i
            }
            None => st.slots.try_push(Slot::Used(slot))?,
        };
        st.order.push(index);
        if st.leader.is_none() {
            st.leader = Some(index);
            st.curr_target = 0;
        }
        st.task_join_group_stop(index);
        Ok(index)
    }
}

/// A thread group that is freed (its last thread gone and nothing else holding it)
/// gives back the RLIMIT_SIGPENDING charge of the siginfo still queued for it, as
/// Linux's `__exit_signal` flushes `shared_pending` when the group dies. Threads'
/// private queues are cleared when each thread detaches; any slot still in use is
/// cleared here too.
impl<W: WaitQueue, R: RawMutex> Drop for ProcessSignalManager<W, R> {
    fn drop(&mut self) {
        let st = self.state.get_mut();
        st.shared.clear(&self.common.limit);
        for slot in st.slots.iter_mut() {
            if let Slot::Used(t) = slot {
                t.pending.clear(&self.common.limit);
            }
        }
        // Timers deleted while their signal was still queued hold their
        // RLIMIT_SIGPENDING charge until then (`posixtimer_free_timer`).
        let left = st.timers.iter().filter(|t| t.is_some()).count();
        self.common.limit.uncharge(left);
    }
}

/// The live thread in `slot` of the table, for code that borrows other fields of
/// the [`ProcessState`] at the same time.
#[inline(always)]
fn used<W>(slots: &Chunked<Slot<W>>, slot: u32) -> &ThreadSlot<W> {
    match &slots[slot] {
        Slot::Used(t) => t,
        Slot::Free { .. } => unreachable!("a live handle's slot is in use"),
    }
}

/// [`used`], for a change.
#[inline(always)]
fn used_mut<W>(slots: &mut Chunked<Slot<W>>, slot: u32) -> &mut ThreadSlot<W> {
    match &mut slots[slot] {
        Slot::Used(t) => t,
        Slot::Free { .. } => unreachable!("a live handle's slot is in use"),
    }
}

/// A flush took timer `t`'s preallocated entry off its queue: the timer's entry is
/// no longer queued. Returns the timer (`None` if it was freed meanwhile).
fn entry_flushed(timers: &mut [Option<TimerState>], t: u32) -> Option<&mut TimerState> {
    let timer = timers.get_mut(t as usize)?.as_mut()?;
    timer.queued = false;
    Some(timer)
}

/// `sig_handler_ignored`: SIG_IGN, or SIG_DFL with a default of ignore.
pub(crate) fn handler_ignored(action: &SignalAction, sig: Signo) -> bool {
    match action.disposition() {
        Disposition::Ignore => true,
        Disposition::Default => sig.default_is_ignore(),
        Disposition::Handler(_) => false,
    }
}

/// `sig_fatal`: the default action ends the group (not ignore, not stop).
fn sig_fatal(action: &SignalAction, sig: Signo) -> bool {
    action.disposition() == Disposition::Default
        && matches!(
            sig.default_action(),
            DefaultAction::Terminate | DefaultAction::CoreDump
        )
}

impl<W: WaitQueue> ProcessState<W> {
    #[inline]
    fn thread(&self, slot: u32) -> &ThreadSlot<W> {
        used(&self.slots, slot)
    }

    #[inline]
    fn thread_mut(&mut self, slot: u32) -> &mut ThreadSlot<W> {
        used_mut(&mut self.slots, slot)
    }

    /// `__send_signal_locked`: prepare, queue, notify hooks, complete; then, if the
    /// send continued a stopped group, wake the continued threads (after
    /// `complete_signal`, see [`ProcessState::wake_continued_threads`]).
    pub(crate) fn send_signal(
        &mut self,
        common: &Common,
        sig: Signo,
        info: Option<&SignalInfo>,
        target: u32,
        group: bool,
    ) -> Result<SendOutcome, Errno> {
        let mut out = SendOutcome::new(Fate::Queued);
        if self.group_exit.is_some() {
            out.fate = Fate::Dropped;
            return Ok(out);
        }
        out.resumed = self.prepare_signal(sig, &common.limit);
        // One read of the action serves the whole send, as Linux reads it once under
        // the signal lock.
        let action = common.actions.get(sig);
        out.fate = 'queue: {
            // One slot lookup for the ignore test and the private queue.
            let (rlimit, unkillable) = (self.rlimit, self.unkillable);
            let ProcessState { slots, shared, .. } = self;
            let t = used_mut(slots, target);
            if t.sig_ignored(&action, sig, unkillable) {
                break 'queue Fate::Ignored;
            }
            let pending = if group { shared } else { &mut t.pending };
            match pending.put_with_rlimit(sig, info, &common.limit, rlimit)? {
                PutOutcome::Coalesced => break 'queue Fate::Coalesced,
                PutOutcome::Queued => Fate::Queued,
                PutOutcome::InfoLost => Fate::InfoLost,
            }
        };
        if matches!(out.fate, Fate::Queued | Fate::InfoLost) {
            // Linux's `signalfd_notify` point: the signal is now pending.
            if common.hooks.observed().contains(sig) {
                let target = if group { PidType::Tgid } else { PidType::Pid };
                let mut event = HookEvent::new(sig, target);
                if let Some(i) = info {
                    event = event
                        .with_code(i.code())
                        .with_sender(i.pid(), i.uid())
                        .with_value(i.value());
                }
                common.hooks.run(sig, &event);
            }
            self.complete_signal(&action, sig, target, group, &mut out);
        }
        if out.resumed {
            self.wake_continued_threads();
        }
        Ok(out)
    }

    /// `prepare_signal`'s job-control half ([rule 6], [rule 7]): a stop signal discards
    /// pending SIGCONT everywhere; SIGCONT discards pending stop signals everywhere and
    /// continues a stopped group. Both happen whatever the signal's own mask or
    /// disposition, and even if it is then discarded. Returns whether the group was
    /// stopped and is now continued.
    ///
    /// Signals sent while the group was stopped woke no thread (`wants_signal`
    /// refuses stopped threads). In Linux the stopped threads sleep inside
    /// `get_signal` (`do_signal_stop`); SIGCONT wakes them and they dequeue what
    /// arrived meanwhile. Here a continued thread returns to user space through the
    /// kernel, so each one that has something deliverable gets its flag set and is
    /// woken ([`ProcessState::wake_continued_threads`], after the SIGCONT's own
    /// `complete_signal`), and the kernel's return-to-user check finds it.
    ///
    /// [rule 6]: crate::docs::rules#rule-6
    /// [rule 7]: crate::docs::rules#rule-7
    #[inline(always)]
    fn prepare_signal(&mut self, sig: Signo, limit: &PendingLimit) -> bool {
        if sig.is_stop() || sig == Signo::SIGCONT {
            self.prepare_job_control_signal(sig, limit)
        } else {
            false
        }
    }

    /// [`ProcessState::prepare_signal`] for a stop signal or SIGCONT.
    #[cold]
    #[inline(never)]
    fn prepare_job_control_signal(&mut self, sig: Signo, limit: &PendingLimit) -> bool {
        if sig.is_stop() {
            self.flush_everywhere(SignalSet::single(Signo::SIGCONT), limit);
            false
        } else if sig == Signo::SIGCONT {
            self.flush_everywhere(SignalSet::STOP, limit);
            self.continued = self.continued.wrapping_add(1);
            for k in 0..self.order.len() {
                let slot = self.order[k];
                let t = self.thread_mut(slot);
                t.flags
                    .remove(ThreadFlags::STOP_PENDING | ThreadFlags::STOP_CONSUME);
                if t.pt().seized {
                    self.ptrace_trap_notify(slot);
                }
            }
            // Linux's SIGNAL_CLD_CONTINUED, or SIGNAL_CLD_STOPPED for a stop still
            // in progress: "we pretend it was already finished, and then continued".
            let why = if self.stop_complete {
                Some(ChildStop::Continued)
            } else if self.group_stop_count > 0 {
                self.stop_sig.map(ChildStop::Stopped)
            } else {
                None
            };
            if why.is_some() {
                self.notify_cont = why;
                self.group_stop_count = 0;
                self.stop_complete = false;
            }
            core::mem::take(&mut self.stopped)
        } else {
            false
        }
    }

    /// After a SIGCONT that continued the group, once its own `complete_signal` has
    /// chosen with the flags as the stop left them: each live thread with something
    /// deliverable is flagged and woken, standing for Linux's stopped threads, which
    /// wake inside `get_signal` and dequeue what arrived while they slept.
    fn wake_continued_threads(&mut self) {
        for k in 0..self.order.len() {
            let slot = self.order[k];
            if !self.thread(slot).is(ThreadFlags::EXITING) {
                self.recalc_sigpending_and_wake(slot);
            }
        }
    }

    /// `sig_ignored` ([rule 3], [rule 4], [rule 21], [rule 66]): never if blocked (or
    /// in the pre-sigtimedwait mask), never for a traced target unless it is SIGKILL
    /// (its tracer may want to see it); otherwise if the action ignores it, or it would
    /// take the default action in an unkillable group.
    ///
    /// [rule 3]: crate::docs::rules#rule-3
    /// [rule 4]: crate::docs::rules#rule-4
    /// [rule 21]: crate::docs::rules#rule-21
    /// [rule 66]: crate::docs::rules#rule-66
    #[inline]
    fn sig_ignored(&self, action: &SignalAction, target: u32, sig: Signo) -> bool {
        self.thread(target)
            .sig_ignored(action, sig, self.unkillable)
    }

    /// `complete_signal` ([rule 18], [rule 20]): choose the thread to wake
    /// ([`ThreadSlot::wants_signal`]), start a group exit for a fatal signal (default
    /// action, not core-dumping, not in the chosen thread's `real_blocked`, and
    /// SIGKILL or a target that is not traced: a traced target's fatal signal goes
    /// through `get_signal`, where its tracer sees it first, [rule 67]).
    ///
    /// Each thread looked at is looked up once: the chosen one is woken through the
    /// same reference.
    ///
    /// [rule 18]: crate::docs::rules#rule-18
    /// [rule 20]: crate::docs::rules#rule-20
    /// [rule 67]: crate::docs::rules#rule-67
    #[inline(always)]
    fn complete_signal(
        &mut self,
        action: &SignalAction,
        sig: Signo,
        target: u32,
        group: bool,
        out: &mut SendOutcome,
    ) {
        let ProcessState {
            slots,
            order,
            curr_target,
            stopped,
            ..
        } = self;
        let stopped = *stopped;
        let target_slot = used(slots, target);
        let chosen = if target_slot.wants_signal(sig, stopped) {
            target_slot
        } else if !group || order.len() <= 1 {
            return;
        } else {
            let n = order.len();
            let start = (*curr_target).min(n - 1);
            // From `curr_target` round to just before it (no division per step; a
            // plain loop, as an iterator chain here is not inlined).
            let mut pos = start;
            loop {
                let t = used(slots, order[pos]);
                if t.wants_signal(sig, stopped) {
                    *curr_target = pos;
                    break t;
                }
                pos = if pos + 1 == n { 0 } else { pos + 1 };
                if pos == start {
                    return;
                }
            }
        };
        // Linux 6.18's test, exactly: no SIGNAL_UNKILLABLE here. An unkillable group
        // discards default-action signals at generation (`sig_ignored`), but one the
        // target thread blocks is queued, and a thread that does not block it then
        // takes the group down.
        let fatal = sig_fatal(action, sig)
            && !chosen.real_blocked.contains(sig)
            && sig.default_action() != DefaultAction::CoreDump
            && (sig == Signo::SIGKILL || !target_slot.is(ThreadFlags::TRACED));
        if !fatal {
            out.woken = Some(chosen.signal_wake_up());
            return;
        }
        self.zap_threads(sig);
        out.group_exit = true;
    }

    /// Starts a group exit: `SIGNAL_GROUP_EXIT` and every thread woken to die.
    ///
    /// As Linux's `signal->flags = SIGNAL_GROUP_EXIT`, a stop in progress or
    /// complete ends and an unreported continue is forgotten; each thread's
    /// `JOBCTL_STOP_PENDING` is cleared (`zap_other_threads`).
    pub(crate) fn zap_threads(&mut self, sig: Signo) {
        self.group_exit = Some(sig);
        self.stopped = false;
        self.stop_complete = false;
        self.group_stop_count = 0;
        self.notify_cont = None;
        for k in 0..self.order.len() {
            let slot = self.order[k];
            self.thread_mut(slot)
                .flags
                .remove(ThreadFlags::STOP_PENDING | ThreadFlags::STOP_CONSUME);
            self.signal_wake_up(slot);
        }
    }

    /// `signal_wake_up`: set the thread's flag, then wake it.
    #[inline]
    fn signal_wake_up(&self, slot: u32) -> i32 {
        self.thread(slot).signal_wake_up()
    }

    /// `recalc_sigpending` for one thread: its flag says whether it has something to
    /// do on return to user space.
    ///
    /// A pending group stop keeps it set, as `JOBCTL_PENDING_MASK` does in Linux's
    /// `recalc_sigpending_tsk` ([rule 70]).
    ///
    /// [rule 70]: crate::docs::rules#rule-70
    #[inline]
    fn recalc_sigpending(&self, slot: u32) {
        self.thread(slot)
            .recalc_sigpending(self.shared.pending(), self.group_exit.is_some());
    }

    /// `recalc_sigpending_and_wake` for another thread: sets its flag and wakes it
    /// if it has something deliverable; never clears the flag (only the thread
    /// itself does that).
    fn recalc_sigpending_and_wake(&self, slot: u32) {
        let t = self.thread(slot);
        let deliverable = (t.pending.pending() | self.shared.pending()) - t.blocked;
        if !deliverable.is_empty() {
            self.signal_wake_up(slot);
        }
    }

    /// `flush_sigqueue_mask` on the shared queue and every thread's queue. A
    /// timer's entry is not freed but handed to `posixtimer_sig_ignore`
    /// (`sigqueue_free_ignored`, [rule 63]).
    ///
    /// [rule 63]: crate::docs::rules#rule-63
    fn flush_everywhere(&mut self, set: SignalSet, limit: &PendingLimit) {
        let mut flushed = 0u32;
        let ProcessState {
            shared,
            slots,
            order,
            timers,
            ..
        } = self;
        let mut mark = |t: u32| {
            if let Some(timer) = entry_flushed(timers, t) {
                timer.flushed = true;
                flushed += 1;
            }
        };
        shared.flush_with(set, limit, &mut mark);
        for &slot in order.iter() {
            if let Slot::Used(t) = &mut slots[slot] {
                t.pending.flush_with(set, limit, &mut mark);
            }
        }
        if flushed != 0 {
            self.posixtimer_sig_ignore_flushed(limit);
        }
    }

    /// `retarget_shared_pending` ([rule 32]): `slot` stops taking the signals in
    /// `which` (it blocked them or is exiting); hand shared ones to the other threads,
    /// in list order after it, waking each that can take some.
    ///
    /// [rule 32]: crate::docs::rules#rule-32
    fn retarget_shared_pending(&self, slot: u32, which: SignalSet) {
        let mut retarget = self.shared.pending() & which;
        if retarget.is_empty() {
            return;
        }
        let me = self.thread(slot).pos as usize;
        let n = self.order.len();
        for k in 1..n {
            let other = self.order[(me + k) % n];
            let t = self.thread(other);
            if t.is(ThreadFlags::EXITING) || (retarget - t.blocked).is_empty() {
                continue;
            }
            retarget &= t.blocked;
            if !t.link.sigpending.load(Ordering::Relaxed) {
                self.signal_wake_up(other);
            }
            if retarget.is_empty() {
                break;
            }
        }
    }

    /// `__set_task_blocked`: install a new mask, handing newly blocked shared signals
    /// on if this thread was about to take them.
    #[inline]
    pub(crate) fn set_blocked(&mut self, slot: u32, new: SignalSet) {
        self.update_blocked(slot, |_| new);
    }

    /// [`ProcessState::set_blocked`] to `change(old)`, returning the old mask
    /// (`sigprocmask`'s read-modify-write under one lock hold and one slot lookup).
    #[inline]
    pub(crate) fn update_blocked(
        &mut self,
        slot: u32,
        change: impl FnOnce(SignalSet) -> SignalSet,
    ) -> SignalSet {
        let shared = self.shared.pending();
        let group_exit = self.group_exit.is_some();
        let others = self.order.len() > 1;
        let t = self.thread_mut(slot);
        let old = t.blocked;
        let new = change(old).without_unblockable();
        if old == new {
            return old;
        }
        if others && t.link.sigpending.load(Ordering::Relaxed) {
            self.retarget_shared_pending(slot, new - old);
            let t = self.thread_mut(slot);
            t.blocked = new;
            t.recalc_sigpending(shared, group_exit);
            return old;
        }
        t.blocked = new;
        t.recalc_sigpending(shared, group_exit);
        old
    }

    /// `dequeue_signal`: the private queue first, then the shared one ([rule 39]); the
    /// siginfo goes to `out`.
    ///
    /// As Linux's `dequeue_signal`: SIGALRM taken from the shared queue rearms a
    /// periodic ITIMER_REAL (`posixtimer_rearm_itimer`, [rule 64]); a timer's
    /// preallocated entry goes through `posixtimer_deliver_signal`, which rearms a
    /// periodic timer and fills `si_overrun`, or drops the signal of a timer
    /// deleted or re-set since it was queued, and then the dequeue starts again
    /// ([rule 62]).
    ///
    /// [rule 39]: crate::docs::rules#rule-39
    /// [rule 62]: crate::docs::rules#rule-62
    /// [rule 64]: crate::docs::rules#rule-64
    #[inline(always)]
    pub(crate) fn dequeue_signal(
        &mut self,
        slot: u32,
        allowed: SignalSet,
        limit: &PendingLimit,
        out: &mut SignalInfo,
    ) -> Option<Signo> {
        self.dequeue_signal_typed(slot, allowed, limit, out, false)
            .map(|(sig, _)| sig)
    }

    /// [`ProcessState::dequeue_signal`], also saying whether the signal came from
    /// the shared queue (Linux's `type` out-parameter, `PIDTYPE_TGID`, where
    /// `ptrace_signal` puts a signal back).
    ///
    /// With `synchronous_first` it is `get_signal`'s dequeue: the first queued
    /// synchronous fault of the private queue (`dequeue_synchronous_signal`) comes
    /// before everything else ([rule 41]); the thread's flag is recomputed either way.
    ///
    /// [rule 41]: crate::docs::rules#rule-41
    #[inline(always)]
    pub(crate) fn dequeue_signal_typed(
        &mut self,
        slot: u32,
        allowed: SignalSet,
        limit: &PendingLimit,
        out: &mut SignalInfo,
        synchronous_first: bool,
    ) -> Option<(Signo, bool)> {
        if synchronous_first
            && let Some(sig) = self
                .thread_mut(slot)
                .pending
                .dequeue_synchronous(allowed, limit, out)
        {
            self.recalc_sigpending(slot);
            return Some((sig, false));
        }
        loop {
            // One slot lookup for the dequeue and the flag (the hot path).
            let group_exit = self.group_exit.is_some();
            let ProcessState { slots, shared, .. } = self;
            let t = used_mut(slots, slot);
            let taken = match t.pending.dequeue_into(allowed, limit, out) {
                Some(sig) => Some((sig, false)),
                None => shared
                    .dequeue_into(allowed, limit, out)
                    .map(|sig| (sig, true)),
            };
            t.recalc_sigpending(shared.pending(), group_exit);
            let (sig, shared) = taken?;
            if shared && sig == Signo::SIGALRM {
                self.posixtimer_rearm_itimer();
            }
            if out.code() == crate::info::code::SI_TIMER
                && !self.timer_entry_taken(slot, shared, out, limit)
            {
                continue;
            }
            return Some((sig, shared));
        }
    }

    /// `posixtimer_rearm_itimer`: SIGALRM left the shared queue.
    #[cold]
    fn posixtimer_rearm_itimer(&self) {
        if let Some(rearm) = &self.itimer_real {
            rearm.rearm();
        }
    }

    /// A dequeue returned an `SI_TIMER` siginfo: if it was a timer's own entry,
    /// `posixtimer_deliver_signal` decides whether it is delivered (true).
    #[cold]
    fn timer_entry_taken(
        &mut self,
        slot: u32,
        shared: bool,
        out: &mut SignalInfo,
        limit: &PendingLimit,
    ) -> bool {
        let store = if shared {
            &mut self.shared
        } else {
            &mut self.thread_mut(slot).pending
        };
        match store.take_timer_mark() {
            Some(timer) => self.posixtimer_deliver_signal(timer, out, limit),
            None => true,
        }
    }

    /// The thread's signal mask (`t->blocked`).
    pub(crate) fn blocked(&self, slot: u32) -> SignalSet {
        self.thread(slot).blocked
    }

    /// `do_sigpending` ([rule 33]): pending signals, private or shared, that the thread
    /// blocks.
    ///
    /// [rule 33]: crate::docs::rules#rule-33
    pub(crate) fn sigpending(&self, slot: u32) -> SignalSet {
        let t = self.thread(slot);
        (t.pending.pending() | self.shared.pending()) & t.blocked
    }

    /// Pending signals, private or shared, blocked or not (`signalfd_poll`'s
    /// test before the file's mask).
    pub(crate) fn pending_all(&self, slot: u32) -> SignalSet {
        self.thread(slot).pending.pending() | self.shared.pending()
    }

    /// The thread's alternate signal stack (`t->sas_ss_sp` and friends).
    pub(crate) fn altstack(&self, slot: u32) -> SignalStack {
        self.thread(slot).altstack
    }

    /// Replaces the thread's alternate signal stack.
    pub(crate) fn set_altstack(&mut self, slot: u32, stack: SignalStack) {
        self.thread_mut(slot).altstack = stack;
    }

    /// `SIGNAL_GROUP_EXIT`: the signal the group is exiting with, if it is.
    pub(crate) fn group_exit(&self) -> Option<Signo> {
        self.group_exit
    }

    /// `SIGNAL_UNKILLABLE`: whether the group is global init.
    pub(crate) fn is_unkillable(&self) -> bool {
        self.unkillable
    }

    /// `force_sig_info_to_task`: if `sig` is blocked or ignored its action becomes
    /// SIG_DFL (the handler reset) and the thread unblocks it; a default action
    /// clears `SIGNAL_UNKILLABLE`. Then the signal goes to the thread's private
    /// queue, and the thread is woken if it now has something deliverable.
    pub(crate) fn force_sig_info(
        &mut self,
        common: &Common,
        slot: u32,
        sig: Signo,
        info: &SignalInfo,
    ) -> Result<SendOutcome, Errno> {
        let action = common.actions.get(sig);
        let t = self.thread_mut(slot);
        let blocked = t.blocked.contains(sig);
        let mut default = action.disposition() == Disposition::Default;
        if blocked || action.disposition() == Disposition::Ignore {
            common.actions.set(sig, action.with_default_handler());
            default = true;
            t.blocked.remove(sig);
        }
        if default {
            self.unkillable = false;
        }
        let out = self.send_signal(common, sig, Some(info), slot, false)?;
        let flag = &self.thread(slot).link.sigpending;
        if !flag.load(Ordering::Acquire) {
            self.recalc_sigpending(slot);
            if flag.load(Ordering::Acquire) {
                self.signal_wake_up(slot);
            }
        }
        Ok(out)
    }

    /// Linux's `t->ptrace`: whether the thread is traced.
    pub(crate) fn is_traced(&self, slot: u32) -> bool {
        self.thread(slot).is(ThreadFlags::TRACED)
    }

    /// `ptrace_link` / `__ptrace_unlink`: the thread becomes traced (seized with
    /// PTRACE_SEIZE or not) or stops being traced, which forgets its pending traps
    /// (`task_clear_jobctl_pending(JOBCTL_TRAP_MASK)`) and ends a stop it is in.
    ///
    /// `spare` is a [`PtraceState`] the caller allocated beforehand (the signal lock
    /// is held here, where the allocator may not run): a thread traced for the first
    /// time takes it; otherwise it is handed back, for the caller to drop after
    /// unlocking.
    pub(crate) fn set_traced(
        &mut self,
        slot: u32,
        traced: bool,
        seized: bool,
        spare: Option<PtraceBox>,
    ) -> Option<PtraceBox> {
        let t = self.thread_mut(slot);
        let spare = match (traced, t.ptrace.is_none(), spare) {
            (true, true, Some(b)) => {
                t.ptrace = Some(b);
                None
            }
            (_, _, spare) => spare,
        };
        // A thread with no ptrace state yet stays untraced (the caller could not
        // allocate one).
        let traced = traced && t.ptrace.is_some();
        t.flags.set(ThreadFlags::TRACED, traced);
        let stopped = !matches!(t.ptrace_stop, PtraceStop::Running);
        if let Some(p) = t.pt_mut() {
            p.seized = traced && seized;
            if !p.seized {
                // `JOBCTL_TRAP_NOTIFY` is for seized tracees only.
                p.trap_notify = false;
            }
            if !traced {
                p.trap_stop = false;
                p.trap_notify = false;
                p.listening = false;
                if stopped {
                    p.trap_woken = true;
                }
            }
        }
        if !traced && stopped {
            self.signal_wake_up(slot);
        }
        spare
    }

    /// Whether the thread has its ptrace state (it was traced once).
    pub(crate) fn has_ptrace_state(&self, slot: u32) -> bool {
        self.thread(slot).ptrace.is_some()
    }

    /// Whether the thread was attached with PTRACE_SEIZE.
    pub(crate) fn is_seized(&self, slot: u32) -> bool {
        self.thread(slot).pt().seized
    }

    /// `ptrace_signal_wake_up(t, resume)`: the thread looks at its signals and
    /// traps; with `resume` a ptrace stop it is in ends.
    fn ptrace_signal_wake_up(&mut self, slot: u32, resume: bool) {
        if resume
            && !matches!(self.thread(slot).ptrace_stop, PtraceStop::Running)
            && let Some(p) = self.thread_mut(slot).pt_mut()
        {
            p.trap_woken = true;
        }
        self.signal_wake_up(slot);
    }

    /// `task_set_jobctl_pending`: refused (false) once a fatal signal is pending or
    /// the thread is exiting.
    fn can_set_jobctl_pending(&self, slot: u32) -> bool {
        self.group_exit.is_none() && !self.thread(slot).is(ThreadFlags::EXITING)
    }

    /// `ptrace_trap_notify`: a seized tracee must trap to report a group-stop
    /// change; one listening is woken to do so.
    fn ptrace_trap_notify(&mut self, slot: u32) {
        if !self.can_set_jobctl_pending(slot) {
            return;
        }
        let Some(p) = self.thread_mut(slot).pt_mut() else {
            return;
        };
        p.trap_notify = true;
        let listening = p.listening;
        self.ptrace_signal_wake_up(slot, listening);
    }

    /// PTRACE_INTERRUPT: EIO unless seized; otherwise a PTRACE_EVENT_STOP trap is
    /// scheduled (`JOBCTL_TRAP_STOP`) and the thread woken to take it; a listening
    /// tracee's stop ends so that it traps again.
    pub(crate) fn ptrace_interrupt(&mut self, slot: u32) -> Result<(), Errno> {
        if !self.thread(slot).pt().seized {
            return Err(Errno::EIO);
        }
        if self.can_set_jobctl_pending(slot)
            && let Some(p) = self.thread_mut(slot).pt_mut()
        {
            p.trap_stop = true;
            let listening = p.listening;
            self.ptrace_signal_wake_up(slot, listening);
        }
        Ok(())
    }

    /// PTRACE_LISTEN: EIO unless seized and in a PTRACE_EVENT_STOP trap; the
    /// thread listens (stays stopped, not reported) and, if a notify already
    /// came, is woken to trap again.
    pub(crate) fn ptrace_listen(&mut self, slot: u32) -> Result<(), Errno> {
        let t = self.thread_mut(slot);
        let event_stop = t.ptrace_stop == PtraceStop::SignalDelivery
            && SignalInfo::compact_code(&t.pt().last_siginfo) >> 8
                == crate::ptrace::PTRACE_EVENT_STOP;
        let Some(p) = t.pt_mut().filter(|p| p.seized && event_stop) else {
            return Err(Errno::EIO);
        };
        p.listening = true;
        if p.trap_notify {
            self.ptrace_signal_wake_up(slot, true);
        }
        Ok(())
    }

    /// Whether a ptrace stop of the thread must end without its tracer resuming it:
    /// a fatal signal, a notify while listening, or the thread was untraced.
    pub(crate) fn ptrace_stop_must_end(&self, slot: u32) -> bool {
        self.group_exit.is_some() || self.thread(slot).pt().trap_woken
    }

    /// Whether the thread listens (PTRACE_LISTEN) in its current stop.
    pub(crate) fn is_listening(&self, slot: u32) -> bool {
        self.thread(slot).pt().listening
    }

    /// `do_jobctl_trap`'s choice, when a trap is pending (`JOBCTL_TRAP_MASK`) for a
    /// traced thread: the stop's signal and kind, and clears what the trap
    /// consumes (any trap clears `JOBCTL_TRAP_STOP`, a PTRACE_EVENT_STOP trap also
    /// `JOBCTL_TRAP_NOTIFY`). `None` when no trap is due.
    pub(crate) fn take_jobctl_trap(&mut self, slot: u32) -> Option<(Signo, PtraceStopKind)> {
        let t = self.thread(slot);
        if !t.is(ThreadFlags::TRACED) || !t.pt().trap_due() {
            return None;
        }
        let (sig, kind) = if t.pt().seized {
            let sig = match (self.stopped, self.stop_sig) {
                (true, Some(s)) => s,
                _ => Signo::SIGTRAP,
            };
            (sig, PtraceStopKind::EventStop)
        } else {
            // Only a group stop schedules a trap for a tracee that is not seized,
            // so the group has a stop signal; without one the trap is dropped.
            let stop_sig = self.stop_sig;
            let Some(sig) = stop_sig else {
                if let Some(p) = self.thread_mut(slot).pt_mut() {
                    p.trap_stop = false;
                }
                return None;
            };
            (sig, PtraceStopKind::GroupStop)
        };
        if let Some(p) = self.thread_mut(slot).pt_mut() {
            p.trap_stop = false;
            if kind == PtraceStopKind::EventStop {
                p.trap_notify = false;
            }
        }
        Some((sig, kind))
    }

    /// A traced thread that starts (or takes part in) a group stop traps instead
    /// of sleeping in it: `JOBCTL_TRAP_STOP`.
    pub(crate) fn schedule_trap_stop(&mut self, slot: u32) {
        if self.can_set_jobctl_pending(slot)
            && let Some(p) = self.thread_mut(slot).pt_mut()
        {
            p.trap_stop = true;
        }
    }

    /// The start of `ptrace_stop`: the thread is in a ptrace stop (no longer
    /// chosen for process-directed signals, [rule 19]) with `info` as its
    /// `last_siginfo` (`None` for a group-stop trap).
    ///
    /// [rule 19]: crate::docs::rules#rule-19
    pub(crate) fn enter_ptrace_stop(&mut self, slot: u32, info: Option<&SignalInfo>) {
        let t = self.thread_mut(slot);
        let stop = match (t.pt_mut(), info) {
            (Some(p), info) => {
                p.trap_woken = false;
                // Any trap clears a pending STOP trap (`ptrace_stop`).
                p.trap_stop = false;
                match info {
                    Some(i) => {
                        p.last_siginfo = i.compact();
                        PtraceStop::SignalDelivery
                    }
                    None => PtraceStop::GroupStop,
                }
            }
            // Only a traced thread stops here, and it has a ptrace state; one
            // untraced meanwhile keeps it.
            (None, _) => PtraceStop::GroupStop,
        };
        t.ptrace_stop = stop;
    }

    /// The end of `ptrace_stop`: `last_siginfo` (as the tracer left it) is taken
    /// back, and the flag recomputed, since signals queued during the stop chose no
    /// thread (`recalc_sigpending_tsk`).
    pub(crate) fn leave_ptrace_stop(&mut self, slot: u32) -> Option<SignalInfo> {
        let t = self.thread_mut(slot);
        let info = match core::mem::replace(&mut t.ptrace_stop, PtraceStop::Running) {
            PtraceStop::SignalDelivery => Some(SignalInfo::from_compact(t.pt().last_siginfo)),
            PtraceStop::Running | PtraceStop::GroupStop => None,
        };
        if let Some(p) = t.pt_mut() {
            // LISTENING can only be set during a STOP trap.
            p.listening = false;
            p.trap_woken = false;
        }
        self.recalc_sigpending(slot);
        info
    }

    /// `ptrace_getsiginfo`: the siginfo of the signal-delivery stop the thread is
    /// in; EINVAL if it is in none (not stopped, or in a group-stop trap).
    pub(crate) fn ptrace_getsiginfo(&self, slot: u32) -> Result<SignalInfo, Errno> {
        let t = self.thread(slot);
        match t.ptrace_stop {
            PtraceStop::SignalDelivery => Ok(SignalInfo::from_compact(t.pt().last_siginfo)),
            PtraceStop::Running | PtraceStop::GroupStop => Err(Errno::EINVAL),
        }
    }

    /// `ptrace_setsiginfo`: replaces that siginfo (its `kernel_siginfo` part);
    /// EINVAL as above.
    pub(crate) fn ptrace_setsiginfo(&mut self, slot: u32, info: &SignalInfo) -> Result<(), Errno> {
        let t = self.thread_mut(slot);
        match (t.ptrace_stop, t.pt_mut()) {
            (PtraceStop::SignalDelivery, Some(p)) => {
                p.last_siginfo = info.compact();
                Ok(())
            }
            _ => Err(Errno::EINVAL),
        }
    }

    /// `sigmask_to_save`: the mask a handler's frame saves, the one `rt_sigsuspend`
    /// replaced or else the current one.
    pub(crate) fn sigmask_to_save(&self, slot: u32) -> SignalSet {
        let t = self.thread(slot);
        if t.is(ThreadFlags::RESTORE_SIGMASK) {
            t.saved_mask
        } else {
            t.blocked
        }
    }

    /// `restore_saved_sigmask`: no handler runs, so the mask `rt_sigsuspend`
    /// replaced, if any, comes back at once.
    pub(crate) fn restore_saved_sigmask(&mut self, slot: u32) {
        let t = self.thread_mut(slot);
        if t.is(ThreadFlags::RESTORE_SIGMASK) {
            t.flags.remove(ThreadFlags::RESTORE_SIGMASK);
            let mask = t.saved_mask;
            self.set_blocked(slot, mask);
        }
    }

    /// `sigsuspend`: the current mask is saved (`saved_sigmask` with
    /// `TIF_RESTORE_SIGMASK`) and `mask` installed.
    pub(crate) fn set_sigsuspend_mask(&mut self, slot: u32, mask: SignalSet) {
        let t = self.thread_mut(slot);
        t.saved_mask = t.blocked;
        t.flags.insert(ThreadFlags::RESTORE_SIGMASK);
        self.set_blocked(slot, mask);
    }

    /// `signal_delivered`: the handler's frame holds the saved mask now
    /// (`clear_restore_sigmask`), and `block` (the action's `sa_mask`, and the signal
    /// unless SA_NODEFER) joins the mask.
    pub(crate) fn signal_delivered(&mut self, slot: u32, block: SignalSet) {
        let t = self.thread_mut(slot);
        t.flags.remove(ThreadFlags::RESTORE_SIGMASK);
        let blocked = t.blocked | block;
        self.set_blocked(slot, blocked);
    }

    /// `do_sigtimedwait`'s unblocking ([rule 35]): the mask is kept as `real_blocked`
    /// and `set` (without SIGKILL and SIGSTOP) leaves the mask while the thread
    /// waits. Only unblocking, so nothing is handed on.
    ///
    /// [rule 35]: crate::docs::rules#rule-35
    pub(crate) fn unblock_for_sigtimedwait(&mut self, slot: u32, set: SignalSet) {
        let t = self.thread_mut(slot);
        t.real_blocked = t.blocked;
        t.blocked = t.blocked - set;
        self.recalc_sigpending(slot);
    }

    /// The end of `do_sigtimedwait`: `real_blocked` becomes the mask again
    /// (`__set_task_blocked`) and is emptied.
    pub(crate) fn restore_real_blocked(&mut self, slot: u32) {
        let real = core::mem::take(&mut self.thread_mut(slot).real_blocked);
        self.set_blocked(slot, real);
    }

    /// The counter of SIGCONTs generated, to pass to
    /// [`ProcessState::do_signal_stop`] when the decision to stop spans a dropped
    /// signal lock.
    pub(crate) fn continue_count(&self) -> u32 {
        self.continued
    }

    /// `do_signal_stop` ([rule 43], [rule 70]) for the thread `slot` that dequeued stop
    /// signal `sig`: a group stop starts, unless a SIGCONT was generated since
    /// `continue_count` returned `seen` or the group is exiting, in which case
    /// nothing changes and `false` is returned.
    ///
    /// Every live thread gets `JOBCTL_STOP_PENDING | JOBCTL_STOP_CONSUME` and
    /// counts in `group_stop_count`; every other one is woken (`signal_wake_up`) and
    /// keeps its flag set until it takes part ([`ProcessState::participate_group_stop`],
    /// from its own `get_signal`, or as it exits), so a wait in `sigtimedwait`,
    /// `sigsuspend` or `pause` ends as in Linux. Then `slot` takes part at once. While
    /// the group is stopped no thread wants a signal (`wants_signal`), so a signal
    /// sent then, or the SIGCONT that ends the stop, moves no `curr_target`.
    ///
    /// [rule 43]: crate::docs::rules#rule-43
    /// [rule 70]: crate::docs::rules#rule-70
    pub(crate) fn do_signal_stop(&mut self, slot: u32, sig: Signo, seen: u32) -> bool {
        if self.continued != seen || self.group_exit.is_some() {
            return false;
        }
        if !self.stop_complete {
            self.stop_sig = Some(sig);
        }
        self.stopped = true;
        self.group_stop_count = 0;
        for k in 0..self.order.len() {
            let other = self.order[k];
            let t = self.thread_mut(other);
            if t.is(ThreadFlags::EXITING) {
                continue;
            }
            t.flags
                .insert(ThreadFlags::STOP_PENDING | ThreadFlags::STOP_CONSUME);
            let seized = t.pt().seized;
            self.group_stop_count += 1;
            if other != slot && seized {
                // `ptrace_trap_notify` instead of `signal_wake_up` for a seized
                // tracee.
                self.ptrace_trap_notify(other);
            } else if other != slot {
                self.signal_wake_up(other);
            }
        }
        self.participate_group_stop(slot);
        true
    }

    /// Whether `slot` has a group stop to take part in (`JOBCTL_STOP_PENDING`).
    pub(crate) fn stop_pending(&self, slot: u32) -> bool {
        self.thread(slot).is(ThreadFlags::STOP_PENDING)
    }

    /// `task_participate_group_stop` ([rule 70], [rule 72]): `slot` takes part in the
    /// group stop in progress. When it is the last one and the group was not
    /// stopped already, the stop is complete (`SIGNAL_STOP_STOPPED`) and its
    /// CLD_STOPPED is left for [`ProcessSignalManager::take_cldstop`]. Returns the
    /// stop signal.
    ///
    /// [rule 70]: crate::docs::rules#rule-70
    /// [rule 72]: crate::docs::rules#rule-72
    pub(crate) fn participate_group_stop(&mut self, slot: u32) -> Signo {
        let t = self.thread_mut(slot);
        let consume = t.is(ThreadFlags::STOP_CONSUME);
        t.flags
            .remove(ThreadFlags::STOP_PENDING | ThreadFlags::STOP_CONSUME);
        if consume {
            self.group_stop_count = self.group_stop_count.saturating_sub(1);
            if self.group_stop_count == 0 && !self.stop_complete {
                self.stop_complete = true;
                self.notify_stopped = self.stop_sig;
            }
        }
        self.recalc_sigpending(slot);
        self.stop_sig.unwrap_or(Signo::SIGSTOP)
    }

    /// `task_join_group_stop`: a thread created while a group stop is in progress
    /// joins it (and counts); one created in a complete stop stops too, without
    /// counting.
    fn task_join_group_stop(&mut self, slot: u32) {
        if !self.stopped {
            return;
        }
        let consume = self.group_stop_count > 0;
        if consume {
            self.group_stop_count += 1;
        } else if !self.stop_complete {
            return;
        }
        let t = self.thread_mut(slot);
        t.flags.insert(ThreadFlags::STOP_PENDING);
        t.flags.set(ThreadFlags::STOP_CONSUME, consume);
        self.recalc_sigpending(slot);
    }

    /// The thread's `pdeath_signal` ([rule 73]).
    ///
    /// [rule 73]: crate::docs::rules#rule-73
    pub(crate) fn pdeath_signal(&self, slot: u32) -> Option<Signo> {
        self.thread(slot).pdeath_signal
    }

    /// Sets the thread's `pdeath_signal` ([rule 73]).
    ///
    /// [rule 73]: crate::docs::rules#rule-73
    pub(crate) fn set_pdeath_signal(&mut self, slot: u32, sig: Option<Signo>) {
        self.thread_mut(slot).pdeath_signal = sig;
    }

    /// A thread leaves (`exit_signals`): it stops taking signals and, if its pending
    /// flag is set and the group is not exiting, hands shared signals on (a thread
    /// that was not told of any was not counted on to take one) and takes part in a
    /// group stop in progress ([rule 70]); its private queue is dropped. The leader's slot stays (as a zombie) so that process-directed
    /// signals still test its mask ([rule 4]).
    ///
    /// [rule 4]: crate::docs::rules#rule-4
    /// [rule 70]: crate::docs::rules#rule-70
    pub(crate) fn detach(&mut self, slot: u32, limit: &PendingLimit) {
        let t = self.thread_mut(slot);
        if t.is(ThreadFlags::EXITING) {
            return;
        }
        t.flags.insert(ThreadFlags::EXITING);
        if self.timers.is_empty() {
            self.thread_mut(slot).pending.clear(limit);
        } else {
            self.timers_leave_thread(slot, limit);
        }
        let t = self.thread_mut(slot);
        t.pending.shrink_if_idle();
        let unblocked = t.blocked.complement();
        let flagged = t.link.sigpending.load(Ordering::Relaxed);
        if flagged && self.group_exit.is_none() {
            self.retarget_shared_pending(slot, unblocked);
        }
        // `exit_signals`: an exiting thread takes part in a stop in progress, and may
        // be the one that completes it ([rule 70]).
        if self.thread(slot).is(ThreadFlags::STOP_PENDING) {
            self.participate_group_stop(slot);
        }
        self.thread(slot)
            .link
            .sigpending
            .store(false, Ordering::Release);
        if self.leader == Some(slot) {
            return;
        }
        let pos = self.thread(slot).pos as usize;
        self.order.remove(pos);
        for k in pos..self.order.len() {
            let moved = self.order[k];
            self.thread_mut(moved).pos = k as u32;
        }
        // `__exit_signal`: `curr_target = next_thread(tsk)`. The next thread now sits
        // at `pos`; after the last one `next_thread` wraps to the leader, which is
        // never removed from the list and is at position 0.
        if self.curr_target > pos {
            self.curr_target -= 1;
        } else if self.curr_target == pos && pos == self.order.len() {
            self.curr_target = 0;
        }
        self.slots[slot] = Slot::Free { next: self.free };
        self.free = Some(slot);
    }
}

/// What `timer_create` gives the crate: where the signal goes and what it carries.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TimerSpec {
    pub(crate) id: i32,
    pub(crate) sig: Signo,
    pub(crate) value: u64,
    /// `None`: SIGEV_NONE; `Some(None)`: the process; `Some(Some(slot))`: a thread.
    pub(crate) target: Option<Option<u32>>,
}

const NO_NODE: u32 = u32::MAX;

impl<W: WaitQueue> ProcessState<W> {
    fn timer(&self, t: u32) -> &TimerState {
        match self.timers.get(t as usize) {
            Some(Some(timer)) => timer,
            _ => unreachable!("a live timer handle's index is in use"),
        }
    }

    fn timer_mut(&mut self, t: u32) -> &mut TimerState {
        match self.timers.get_mut(t as usize) {
            Some(Some(timer)) => timer,
            _ => unreachable!("a live timer handle's index is in use"),
        }
    }

    fn timer_store(&mut self, store: TimerStore) -> Option<&mut PendingSignals> {
        match store {
            TimerStore::Shared => Some(&mut self.shared),
            TimerStore::Thread(slot) => Some(&mut self.thread_mut(slot).pending),
            TimerStore::Nowhere => None,
        }
    }

    /// `posixtimer_init_sigqueue`: the timer's one RLIMIT_SIGPENDING charge, held
    /// for its life and refused over the limit (EAGAIN, [rule 60]).
    ///
    /// [rule 60]: crate::docs::rules#rule-60
    pub(crate) fn timer_charge(&self, limit: &PendingLimit) -> Result<(), Errno> {
        if limit.try_charge(false, self.rlimit) {
            Ok(())
        } else {
            Err(Errno::EAGAIN)
        }
    }

    /// `alloc_posix_timer` + the signal half of `do_timer_create`: one
    /// RLIMIT_SIGPENDING charge for the timer's life (EAGAIN over the limit,
    /// [rule 60]) and its preallocated entry in the target's queue (ENOMEM).
    ///
    /// [rule 60]: crate::docs::rules#rule-60
    ///
    /// The charge is taken first ([`ProcessState::timer_charge`]), as Linux's
    /// `alloc_posix_timer` runs before `good_sigevent`; this gives it back if the
    /// entry cannot be made.
    pub(crate) fn timer_create(
        &mut self,
        limit: &PendingLimit,
        spec: TimerSpec,
        rearm: Option<Arc<dyn TimerRearm>>,
    ) -> Result<u32, Errno> {
        let index = match self.timers.iter().position(|t| t.is_none()) {
            Some(i) => i,
            None => {
                if self.timers.try_reserve(1).is_err() {
                    limit.uncharge(1);
                    return Err(Errno::ENOMEM);
                }
                self.timers.push(None);
                self.timers.len() - 1
            }
        };
        let store = match spec.target {
            None => TimerStore::Nowhere,
            Some(None) => TimerStore::Shared,
            Some(Some(slot)) => TimerStore::Thread(slot),
        };
        let node = match self.timer_store(store) {
            Some(q) => match q.alloc_owned(index as u32) {
                Ok(n) => n,
                Err(e) => {
                    limit.uncharge(1);
                    return Err(e);
                }
            },
            None => NO_NODE,
        };
        self.timers[index] = Some(TimerState {
            id: spec.id,
            sig: spec.sig,
            value: spec.value,
            store,
            node,
            queued: false,
            ignored: false,
            valid: true,
            status: TimerStatus::Disarmed,
            periodic: false,
            sig_periodic: false,
            flushed: false,
            it_signal_seq: 0,
            it_sigqueue_seq: 0,
            it_overrun: -1,
            it_overrun_last: 0,
            rearm,
        });
        Ok(index as u32)
    }

    /// `do_timer_settime` + `common_timer_set` on the signal side: a signal queued
    /// before is now stale (`it_signal_seq++`, [rule 62]); overrun accounting starts
    /// again; the timer is armed or not, and periodic or not.
    ///
    /// [rule 62]: crate::docs::rules#rule-62
    pub(crate) fn timer_set(&mut self, t: u32, armed: bool, periodic: bool) {
        let timer = self.timer_mut(t);
        timer.it_signal_seq = timer.it_signal_seq.wrapping_add(1);
        timer.periodic = armed && periodic;
        timer.it_overrun_last = 0;
        timer.it_overrun = -1;
        timer.status = if armed && timer.store != TimerStore::Nowhere {
            TimerStatus::Armed
        } else {
            TimerStatus::Disarmed
        };
    }

    /// The timer's status (`it_status`).
    pub(crate) fn timer_status(&self, t: u32) -> TimerStatus {
        self.timer(t).status
    }

    /// `common_timer_get` forwarded a timer that was not armed by `n` intervals.
    pub(crate) fn timer_add_overrun(&mut self, t: u32, n: u64) {
        let timer = self.timer_mut(t);
        timer.it_overrun = timer
            .it_overrun
            .saturating_add(n.min(i64::MAX as u64) as i64);
    }

    /// `timer_getoverrun`: the overrun of the last delivered signal, clamped to
    /// `INT_MAX` (`timer_overrun_to_int`, [rule 61]).
    ///
    /// [rule 61]: crate::docs::rules#rule-61
    pub(crate) fn timer_overrun(&self, t: u32) -> i32 {
        overrun_to_int(self.timer(t).it_overrun_last)
    }

    /// `posix_timer_queue_signal` + `posixtimer_send_sigqueue` ([rule 60], [rule 63]).
    ///
    /// [rule 60]: crate::docs::rules#rule-60
    /// [rule 63]: crate::docs::rules#rule-63
    pub(crate) fn timer_expire(&mut self, common: &Common, t: u32) -> TimerFire {
        let timer = self.timer_mut(t);
        if !timer.valid {
            return TimerFire::Deleted;
        }
        timer.status = if timer.periodic {
            TimerStatus::RequeuePending
        } else {
            TimerStatus::Disarmed
        };
        let (store, sig) = (timer.store, timer.sig);
        let target = match store {
            TimerStore::Nowhere => return TimerFire::NoTarget,
            TimerStore::Thread(slot) => slot,
            TimerStore::Shared => match self.leader {
                Some(leader) => leader,
                None => return TimerFire::NoTarget,
            },
        };
        let timer = self.timer_mut(t);
        timer.it_sigqueue_seq = timer.it_signal_seq;
        timer.sig_periodic = timer.status == TimerStatus::RequeuePending;
        // prepare_signal(sig, t, false): the group-exit drop, the stop/continue
        // flushes, then sig_ignored.
        let action = common.actions.get(sig);
        let mut resumed = false;
        let ignored = self.group_exit.is_some() || {
            resumed = self.prepare_signal(sig, &common.limit);
            self.sig_ignored(&action, target, sig)
        };
        let fire = self.posixtimer_send_prepared(common, t, target, &action, ignored);
        if resumed {
            self.wake_continued_threads();
        }
        fire
    }

    /// The rest of `posixtimer_send_sigqueue`, once `prepare_signal` decided
    /// whether the signal is `ignored`.
    fn posixtimer_send_prepared(
        &mut self,
        common: &Common,
        t: u32,
        target: u32,
        action: &SignalAction,
        ignored: bool,
    ) -> TimerFire {
        let timer = self.timer_mut(t);
        if ignored {
            if timer.queued {
                return TimerFire::AlreadyPending;
            }
            if timer.sig_periodic {
                if !timer.ignored {
                    timer.ignored = true;
                    self.ignored_timers += 1;
                }
            } else if timer.ignored {
                timer.ignored = false;
                self.ignored_timers -= 1;
            }
            return TimerFire::Ignored;
        }
        if timer.queued {
            return TimerFire::AlreadyPending;
        }
        if timer.ignored {
            timer.ignored = false;
            self.ignored_timers -= 1;
        }
        self.posixtimer_queue_sigqueue(common, t, target, action);
        TimerFire::Queued
    }

    /// `posixtimer_queue_sigqueue`: the preallocated entry joins its queue (no
    /// allocation, no charge), the hooks see it, `complete_signal` picks a thread.
    fn posixtimer_queue_sigqueue(
        &mut self,
        common: &Common,
        t: u32,
        target: u32,
        action: &SignalAction,
    ) {
        let timer = self.timer_mut(t);
        timer.queued = true;
        let (store, node, sig) = (timer.store, timer.node, timer.sig);
        let info = SignalInfo::timer(sig, timer.id, 0, timer.value);
        let group = store == TimerStore::Shared;
        if let Some(q) = self.timer_store(store) {
            q.queue_owned(sig, node, &info);
        }
        if common.hooks.observed().contains(sig) {
            let hook_target = if group { PidType::Tgid } else { PidType::Pid };
            let event = HookEvent::new(sig, hook_target)
                .with_code(info.code())
                .with_value(info.value());
            common.hooks.run(sig, &event);
        }
        let mut out = SendOutcome::new(Fate::Queued);
        self.complete_signal(action, sig, target, group, &mut out);
    }

    /// `posixtimer_deliver_signal` for the timer whose entry a dequeue just took:
    /// false drops the signal (the timer was deleted or re-set since it was queued);
    /// a periodic timer is rearmed through the kernel's [`TimerRearm`] and the
    /// overrun of this delivery goes to `info.si_overrun` ([rule 61], [rule 62]).
    /// Then the reference the queued entry held is dropped (`posixtimer_putref`).
    ///
    /// [rule 61]: crate::docs::rules#rule-61
    /// [rule 62]: crate::docs::rules#rule-62
    fn posixtimer_deliver_signal(
        &mut self,
        t: u32,
        info: &mut SignalInfo,
        limit: &PendingLimit,
    ) -> bool {
        let timer = self.timer_mut(t);
        timer.queued = false;
        let deliver = if timer.it_signal_seq != timer.it_sigqueue_seq || !timer.valid {
            false
        } else if !timer.periodic || timer.status != TimerStatus::RequeuePending {
            true
        } else {
            let forwarded = timer.rearm.as_ref().map_or(0, |r| r.rearm());
            timer.it_overrun = timer
                .it_overrun
                .saturating_add(forwarded.min(i64::MAX as u64) as i64);
            timer.status = TimerStatus::Armed;
            // Never below 0: Linux's forward counts at least the expiry that
            // queued the signal; a kernel whose callback reports 0 (or that has
            // none) gets 0, not -1.
            timer.it_overrun_last = timer.it_overrun.max(0);
            timer.it_overrun = -1;
            timer.it_signal_seq = timer.it_signal_seq.wrapping_add(1);
            info.set_overrun(overrun_to_int(timer.it_overrun_last));
            true
        };
        self.posixtimer_putref(t, limit);
        deliver
    }

    /// The last reference of a deleted timer is gone (not queued, not parked):
    /// its entry and index are freed and its charge given back
    /// (`posixtimer_free_timer`).
    fn posixtimer_putref(&mut self, t: u32, limit: &PendingLimit) {
        let timer = self.timer(t);
        if timer.valid || timer.queued || timer.ignored {
            return;
        }
        let (store, node) = (timer.store, timer.node);
        if let Some(q) = self.timer_store(store) {
            q.release_owned(node);
        }
        self.timers[t as usize] = None;
        limit.uncharge(1);
    }

    /// `posixtimer_sig_ignore` for each timer entry a flush just unlinked: a live
    /// periodic timer's signal is parked on the ignored list, any other is dropped
    /// ([rule 63]).
    ///
    /// [rule 63]: crate::docs::rules#rule-63
    fn posixtimer_sig_ignore_flushed(&mut self, limit: &PendingLimit) {
        for t in 0..self.timers.len() as u32 {
            let Some(timer) = self.timers[t as usize].as_mut() else {
                continue;
            };
            if !core::mem::take(&mut timer.flushed) {
                continue;
            }
            if timer.valid && timer.sig_periodic {
                if !timer.ignored {
                    timer.ignored = true;
                    self.ignored_timers += 1;
                }
            } else {
                self.posixtimer_putref(t, limit);
            }
        }
    }

    /// `posixtimer_sig_unignore`: `sig` stopped being SIG_IGN; each timer of `sig`
    /// parked on the ignored list is queued again, and its delivery decides whether
    /// it is rearmed ([rule 63]).
    ///
    /// [rule 63]: crate::docs::rules#rule-63
    fn posixtimer_sig_unignore(&mut self, common: &Common, sig: Signo) {
        if self.ignored_timers == 0 {
            return;
        }
        let action = common.actions.get(sig);
        for t in 0..self.timers.len() as u32 {
            let Some(timer) = self.timers[t as usize].as_mut() else {
                continue;
            };
            if !timer.ignored || timer.sig != sig {
                continue;
            }
            timer.ignored = false;
            self.ignored_timers -= 1;
            if timer.queued {
                continue;
            }
            let target = match timer.store {
                TimerStore::Thread(slot) => Some(slot),
                TimerStore::Shared => self.leader,
                TimerStore::Nowhere => None,
            };
            match target {
                Some(target) => self.posixtimer_queue_sigqueue(common, t, target, &action),
                None => self.posixtimer_putref(t, &common.limit),
            }
        }
    }

    /// `posix_timer_delete`: the timer is invalid from now on (a signal it still
    /// has queued is dropped when dequeued, [rule 62]) and leaves the ignored list;
    /// its entry and charge go when nothing refers to them any more.
    ///
    /// [rule 62]: crate::docs::rules#rule-62
    pub(crate) fn timer_delete(&mut self, t: u32, limit: &PendingLimit) {
        let timer = self.timer_mut(t);
        timer.it_signal_seq = timer.it_signal_seq.wrapping_add(1);
        timer.valid = false;
        timer.status = TimerStatus::Disarmed;
        timer.rearm = None;
        if timer.ignored {
            timer.ignored = false;
            self.ignored_timers -= 1;
        }
        self.posixtimer_putref(t, limit);
    }

    /// A thread leaves: its private queue is cleared, and the timers that signal
    /// it lose their target (`posixtimer_get_target` finds no task): their entries
    /// go with the queue.
    fn timers_leave_thread(&mut self, slot: u32, limit: &PendingLimit) {
        let ProcessState {
            slots,
            timers,
            ignored_timers,
            ..
        } = self;
        let Slot::Used(thread) = &mut slots[slot] else {
            return;
        };
        thread.pending.flush_with(SignalSet::ALL, limit, &mut |t| {
            entry_flushed(timers, t);
        });
        for entry in timers.iter_mut() {
            let Some(timer) = entry else { continue };
            if timer.store != TimerStore::Thread(slot) {
                continue;
            }
            thread.pending.release_owned(timer.node);
            timer.store = TimerStore::Nowhere;
            timer.node = NO_NODE;
            if timer.ignored {
                timer.ignored = false;
                *ignored_timers -= 1;
            }
            if !timer.valid {
                *entry = None;
                limit.uncharge(1);
            }
        }
    }

    /// `flush_itimer_signals` for thread `slot` (exec): every queued `SI_TIMER`
    /// siginfo leaves its private queue and the shared queue.
    pub(crate) fn flush_itimer_signals(&mut self, slot: u32, limit: &PendingLimit) {
        let mut dropped = false;
        let ProcessState {
            shared,
            slots,
            timers,
            ..
        } = self;
        let mut unlink = |t: u32| dropped |= entry_flushed(timers, t).is_some();
        if let Slot::Used(thread) = &mut slots[slot] {
            thread
                .pending
                .flush_code(crate::info::code::SI_TIMER, limit, &mut unlink);
        }
        shared.flush_code(crate::info::code::SI_TIMER, limit, &mut unlink);
        if dropped {
            for t in 0..self.timers.len() as u32 {
                if self.timers[t as usize].is_some() {
                    self.posixtimer_putref(t, limit);
                }
            }
        }
        self.recalc_sigpending(slot);
    }

    /// Sets the kernel's ITIMER_REAL rearm.
    pub(crate) fn set_itimer_real(&mut self, rearm: Option<Arc<dyn TimerRearm>>) {
        self.itimer_real = rearm;
    }

    /// Takes a timer's rearm callback out (to be freed outside the lock).
    pub(crate) fn timer_rearm(&mut self, t: u32) -> Option<Arc<dyn TimerRearm>> {
        self.timer_mut(t).rearm.take()
    }

    /// Replaces a timer's rearm callback.
    pub(crate) fn timer_set_rearm(&mut self, t: u32, rearm: Option<Arc<dyn TimerRearm>>) {
        self.timer_mut(t).rearm = rearm;
    }
}

/// `timer_overrun_to_int`: the overrun as the `int` of `si_overrun` and
/// `timer_getoverrun`, clamped to `INT_MAX` (which is also glibc's `DELAYTIMER_MAX`).
fn overrun_to_int(overrun: i64) -> i32 {
    overrun.min(i32::MAX as i64) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The slot a send's target choice reads stays small: what only tracees need
    /// is boxed, one-bit states share a byte, the idle queue is 24 bytes.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn idle_thread_slot_is_96_bytes() {
        assert_eq!(core::mem::size_of::<ThreadSlot<()>>(), 96);
        assert_eq!(core::mem::size_of::<Slot<()>>(), 96);
    }
}
