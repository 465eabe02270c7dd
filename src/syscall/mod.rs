//! The system-call layer: one function per signal system call, taking the raw
//! register arguments and returning exactly what Linux returns (a value, or
//! `-errno` as an `isize`).
//!
//! The managers ([`crate::ProcessSignalManager`], [`crate::ThreadSignalManager`]) implement the semantics;
//! this layer adds what happens at the boundary, in Linux's order: argument
//! decoding and validation, permission checks, task lookup, copies from and to user
//! memory, and result encoding. Each function's documentation states the order of
//! its checks; where Linux differs from POSIX the documentation says so, and
//! Linux's behaviour is what is implemented.
//!
//! # What the kernel provides
//! - [`UserMemory`]: fault-checked copies from and to the caller's address space.
//!   Nothing here dereferences a user address.
//! - [`TaskTable`]: finds tasks by id and walks processes (for `kill(0)`,
//!   `kill(-pgrp)` and `kill(-1)`), handing out each one's managers, ids and
//!   credentials as a [`Task`].
//! - [`Caller`]: who is calling (ids, [`Credentials`], thread manager, ABI), built
//!   by the kernel at system-call entry.
//! - Time: blocking calls wait on the thread's [`crate::WaitQueue`] with a relative
//!   timeout; no clock trait is needed.
//!
//! # One shape
//! Every `sys_*` has the same three steps, as Linux's `SYSCALL_DEFINE`s do:
//! 1. narrow the register arguments (`arg_int` for `int` and `pid_t`);
//!    then, inside `encode`, copy in and check (the `sigsetsize` check, the copies
//!    from user memory, the argument checks Linux makes before the work), in
//!    Linux's order;
//! 2. call the `do_*` step with kernel values: this layer's own `do_*` where
//!    Linux's has one (`do_send_specific`, `do_rt_sigqueueinfo`, `do_sigaction`,
//!    `do_sigaltstack`, ...), or the manager method that is Linux's `do_*`
//!    ([`ThreadSignalManager::sigtimedwait_into`] for `do_sigtimedwait`,
//!    [`ThreadSignalManager::sigpending`] for `do_sigpending`,
//!    [`ThreadSignalManager::sigsuspend`] for `sigsuspend`);
//! 3. copy the results out and return the value; `encode` turns an error into
//!    `-errno`.
//!
//! One helper checks `sigsetsize` (exactly 8, or up to 8 for `rt_sigpending`), and
//! one finds a task by id or fails with ESRCH.
//!
//! # Arguments
//! Every function takes its arguments as the raw register values (`usize`) and
//! narrows them as Linux's `SYSCALL_DEFINE` does: `int` and `pid_t` arguments keep
//! their low 32 bits (so `kill(0x1_0000_0005, 9)` signals pid 5), `size_t` and
//! pointers are used whole. A pointer of 0 is `NULL` only where Linux tests for
//! `NULL`; elsewhere it is copied from like any address (and normally faults).
//!
//! # The calls
//! | call | function | may block |
//! | --- | --- | --- |
//! | `kill` | [`sys_kill`] | no |
//! | `tkill` | [`sys_tkill`] | no |
//! | `tgkill` | [`sys_tgkill`] | no |
//! | `rt_sigqueueinfo` | [`sys_rt_sigqueueinfo`] | no |
//! | `rt_tgsigqueueinfo` | [`sys_rt_tgsigqueueinfo`] | no |
//! | `pidfd_send_signal` | [`sys_pidfd_send_signal`] | no |
//! | `rt_sigaction` | [`sys_rt_sigaction`] | no |
//! | `rt_sigprocmask` | [`sys_rt_sigprocmask`] | no |
//! | `rt_sigpending` | [`sys_rt_sigpending`] | no |
//! | `rt_sigtimedwait` | [`sys_rt_sigtimedwait`] | yes, up to its timeout |
//! | `rt_sigsuspend` | [`sys_rt_sigsuspend`] | yes, until a signal is deliverable |
//! | `pause` | [`sys_pause`] | yes, until a signal is deliverable |
//! | `sigaltstack` | [`sys_sigaltstack`] | no |
//! | `signalfd4`, `signalfd` | [`sys_signalfd4`] (`signalfd` is it with no flags; the file table is the kernel's [`SignalFdTable`]) | no |
//! | `read` on a signalfd | [`sys_signalfd_read`] | yes, unless the file is non-blocking |
//! | `timer_create`, `timer_getoverrun`, `timer_delete` (the timers are the kernel's [`PosixTimerTable`]) | [`sys_timer_create`], [`sys_timer_getoverrun`], [`sys_timer_delete`] | no |
//! | `ptrace(PTRACE_GETSIGINFO)`, `ptrace(PTRACE_SETSIGINFO)` | [`sys_ptrace_getsiginfo`], [`sys_ptrace_setsiginfo`] on the tracee the kernel found; [`ptrace_resume_signal`] checks a resuming request's signal | no |
//! | `prctl(PR_SET_PDEATHSIG)`, `prctl(PR_GET_PDEATHSIG)` | [`sys_prctl_pdeathsig`] | no |
//! | `restart_syscall` | [`sys_restart_syscall`] (the kernel redoes the call through its [`crate::RestartHandler`]) | yes, as the call it resumes |
//! | `rt_sigreturn` | [`crate::rt_sigreturn`] (built on [`crate::frame::restore_rt_frame`]): it restores a signal frame, which is the frame code's job | no |
//!
//! SIGCHLD generation when a child exits, stops or continues
//! (`do_notify_parent`, `do_notify_parent_cldstop`) is not a system call: it is
//! [`crate::notify_parent_exit`] and [`crate::notify_parent_cldstop`].
//!
//! All of them run in process context on the calling thread, with no lock of the
//! crate held. `rt_sigsuspend` and `pause` return `-ERESTARTNOHAND` (-514) for the
//! kernel's restart logic, which maps it when it delivers the signal ([rule 49]);
//! that code must never reach user space.
//!
//! [rule 49]: crate::docs::rules#rule-49

use crate::arch::Arch;
use crate::errno::Errno;
use crate::info::{KERNEL_SIGINFO_SIZE, SIGINFO_SIZE, SignalInfo};
use crate::pidtype::PidType;
use crate::process::{ProcessSignalManager, SendOutcome};
use crate::set::SignalSet;
use crate::signo::Signo;
use crate::thread::ThreadSignalManager;
use crate::uaccess::UserMemory;
use crate::wait::WaitQueue;
use lock_api::RawMutex;

mod action;
mod altstack;
pub(crate) mod kill;
mod mask;
mod prctl;
mod ptrace;
mod restart;
mod signalfd;
mod timer;
mod wait;

pub use action::sys_rt_sigaction;
pub use altstack::sys_sigaltstack;
pub use kill::{
    PIDFD_SELF_THREAD, PIDFD_SELF_THREAD_GROUP, PIDFD_SIGNAL_PROCESS_GROUP, PIDFD_SIGNAL_THREAD,
    PIDFD_SIGNAL_THREAD_GROUP, sys_kill, sys_pidfd_send_signal, sys_rt_sigqueueinfo,
    sys_rt_tgsigqueueinfo, sys_tgkill, sys_tkill,
};
pub use mask::{sys_pause, sys_rt_sigpending, sys_rt_sigprocmask, sys_rt_sigsuspend};
pub use prctl::sys_prctl_pdeathsig;
pub use ptrace::{ptrace_resume_signal, sys_ptrace_getsiginfo, sys_ptrace_setsiginfo};
pub use restart::sys_restart_syscall;
pub use signalfd::{SignalFdTable, signalfd4_args, sys_signalfd_read, sys_signalfd4};
pub use timer::{
    PosixTimerTable, ThreadVisitor, TimerVisitor, sys_timer_create, sys_timer_delete,
    sys_timer_getoverrun,
};
pub use wait::sys_rt_sigtimedwait;

/// What every entry point returns: the value, or `-errno`.
pub type SyscallRet = isize;

/// `sizeof(sigset_t)` in the kernel: the only `sigsetsize` most calls accept.
pub const SIGSET_SIZE: usize = 8;

/// The credentials a signal permission check reads (`struct cred`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Credentials {
    /// Real user id.
    pub uid: u32,
    /// Effective user id.
    pub euid: u32,
    /// Saved set-user-id.
    pub suid: u32,
    /// Whether the task has `CAP_KILL` (Linux asks in the target's user namespace;
    /// a kernel without user namespaces answers for its only one).
    pub cap_kill: bool,
}

impl Credentials {
    /// Credentials with every uid set to `uid` and no capability.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn user(uid: u32) -> Credentials {
        Credentials {
            uid,
            euid: uid,
            suid: uid,
            cap_kill: false,
        }
    }

    /// Root: uid 0 with `CAP_KILL`.
    pub const ROOT: Credentials = Credentials {
        uid: 0,
        euid: 0,
        suid: 0,
        cap_kill: true,
    };
}

/// `kill_ok_by_cred` ([rule 9]): the sender's effective or real uid equals the
/// target's real or saved uid, or the sender has `CAP_KILL`.
///
/// Context: any, interrupt context included: a pure function of its arguments (no lock,
/// no allocation).
///
/// [rule 9]: crate::docs::rules#rule-9
pub fn kill_ok_by_cred(sender: &Credentials, target: &Credentials) -> bool {
    sender.euid == target.suid
        || sender.euid == target.uid
        || sender.uid == target.suid
        || sender.uid == target.uid
        || sender.cap_kill
}

/// A task's ids, as the caller's pid namespace sees them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TaskIds {
    /// Thread id (`gettid`).
    pub tid: i32,
    /// Thread-group id (`getpid`).
    pub tgid: i32,
    /// Process-group id.
    pub pgid: i32,
    /// Session id.
    pub sid: i32,
}

/// A task found by a [`TaskTable`]: what the system calls need of a signal target.
pub struct Task<'a, W: WaitQueue, R: RawMutex> {
    /// Its ids.
    pub ids: TaskIds,
    /// Its credentials.
    pub cred: Credentials,
    /// Its process.
    pub process: &'a ProcessSignalManager<W, R>,
    /// The thread the id names, if it still runs. `None` for a group leader whose
    /// thread has exited while the group lives (a zombie leader, which Linux still
    /// finds by its pid); a process-directed signal then starts at the leader's slot,
    /// and a thread-directed one is accepted and dropped, as Linux's
    /// `do_send_specific` does for an exited thread.
    pub thread: Option<&'a ThreadSignalManager<W, R>>,
}

/// What a pidfd refers to, as the kernel's file table resolved it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PidfdTarget {
    /// The pid the file refers to (a thread id for a thread pidfd).
    pub pid: i32,
    /// Whether the pidfd was opened with `PIDFD_THREAD` (it names one thread).
    pub thread: bool,
}

/// What [`TaskTable`] calls for each task it finds.
pub type TaskVisitor<'f, W, R> = dyn for<'t> FnMut(&Task<'t, W, R>) + 'f;

/// The kernel's task table, as the signal system calls see it.
///
/// The kernel may call the closures with its task-list lock held (Linux's
/// `tasklist_lock`, or RCU): they take the target's signal lock, which nests inside
/// it, and never call back into the table.
pub trait TaskTable {
    /// The kernel's wait queue.
    type Wait: WaitQueue;
    /// The signal lock.
    type Lock: RawMutex;

    /// Calls `f` once with the task whose id is `tid` (any thread, a group leader
    /// included), if there is one. Ids `<= 0` never name a task.
    ///
    /// Context: called from the system calls, in process context, with no lock of
    /// this crate held.
    fn find_task(&self, tid: i32, f: &mut TaskVisitor<'_, Self::Wait, Self::Lock>);

    /// Calls `f` once for each process a `kill` with `pid <= 0` reaches (its group
    /// leader's ids and credentials), in any order: with [`PidType::Pgid`], the
    /// members of process group `id`; with [`PidType::Max`], every process (`id` is
    /// then -1 and unused; the system call itself leaves out pid 1 and the caller's
    /// own process, as Linux does). The crate passes no other type; an
    /// implementation may treat [`PidType::Pid`] and [`PidType::Tgid`] as selecting
    /// nothing.
    ///
    /// Context: as [`TaskTable::find_task`].
    fn for_each_process(
        &self,
        scope: PidType,
        id: i32,
        f: &mut TaskVisitor<'_, Self::Wait, Self::Lock>,
    );

    /// Resolves file descriptor `fd` of the caller to the pid it refers to, for
    /// `pidfd_send_signal`: `EBADF` if `fd` is not open, `EBADF` if it is not a pidfd,
    /// `EINVAL` if its pid is not visible in the caller's pid namespace. The default
    /// knows no pidfds.
    ///
    /// Context: as [`TaskTable::find_task`].
    fn pidfd(&self, fd: i32) -> Result<PidfdTarget, Errno> {
        let _ = fd;
        Err(Errno::EBADF)
    }

    /// Called after a signal was sent to `target` (it may have been queued,
    /// coalesced or discarded), with what the managers decided: on
    /// `outcome.resumed` the kernel wakes the group's stopped threads and tells the
    /// parent (`CLD_CONTINUED`, [`crate::notify_parent_cldstop`]); on
    /// `outcome.group_exit` it may hurry threads sleeping uninterruptibly. Runs in
    /// the sender's context with no lock of the crate held. The default does nothing.
    fn signal_sent(
        &self,
        target: &Task<'_, Self::Wait, Self::Lock>,
        sig: Signo,
        outcome: &SendOutcome,
    ) {
        let _ = (target, sig, outcome);
    }
}

/// The calling thread, as the kernel describes it at system-call entry.
pub struct Caller<'a, W: WaitQueue, R: RawMutex> {
    /// Its ids.
    pub ids: TaskIds,
    /// Its credentials.
    pub cred: Credentials,
    /// Its signal manager.
    pub thread: &'a ThreadSignalManager<W, R>,
    /// The ABI of the calling task (layout of `struct sigaction`, `MINSIGSTKSZ`).
    pub arch: Arch,
}

impl<W: WaitQueue, R: RawMutex> Caller<'_, W, R> {
    /// The caller's process.
    ///
    /// Context: any, interrupt context included; takes no lock and never allocates.
    pub fn process(&self) -> &ProcessSignalManager<W, R> {
        self.thread.process()
    }
}

/// The one shape of every `sys_*`: runs `body` (copy in and check, the `do_*`
/// step, copy out) and encodes what it returns as the system call's value, or
/// `-errno`.
#[inline(always)]
pub(crate) fn encode(body: impl FnOnce() -> Result<usize, Errno>) -> SyscallRet {
    match body() {
        Ok(v) => v as isize,
        Err(e) => e.as_neg_ret(),
    }
}

/// Which `sigsetsize` arguments a call accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum SigsetSize {
    /// Exactly `sizeof(sigset_t)`, as every call but `rt_sigpending` requires.
    Exact,
    /// Anything up to `sizeof(sigset_t)`, as `rt_sigpending` allows (it copies out
    /// that many bytes of the set).
    UpTo,
}

/// The `sigsetsize` check, the first thing each call taking one does: EINVAL
/// unless `sigsetsize` is what `rule` accepts.
#[inline(always)]
pub(crate) fn check_sigsetsize(sigsetsize: usize, rule: SigsetSize) -> Result<(), Errno> {
    let ok = match rule {
        SigsetSize::Exact => sigsetsize == SIGSET_SIZE,
        SigsetSize::UpTo => sigsetsize <= SIGSET_SIZE,
    };
    if ok { Ok(()) } else { Err(Errno::EINVAL) }
}

/// Finds the task `tid` names and runs `f` on it, or ESRCH if there is none (ids
/// `<= 0` name no task): Linux's `find_task_by_vpid` followed by its callers'
/// `if (!p) return -ESRCH`.
pub(crate) fn with_task<T: TaskTable, V>(
    tasks: &T,
    tid: i32,
    f: impl FnOnce(&Task<'_, T::Wait, T::Lock>) -> Result<V, Errno>,
) -> Result<V, Errno> {
    let mut result = Err(Errno::ESRCH);
    if tid > 0 {
        let mut f = Some(f);
        tasks.find_task(tid, &mut |t| {
            if let Some(f) = f.take() {
                result = f(t);
            }
        });
    }
    result
}

/// An `int` / `pid_t` argument: the low 32 bits of the register.
pub(crate) const fn arg_int(raw: usize) -> i32 {
    raw as u32 as i32
}

/// `valid_signal` on an `int` signal argument: `Ok(None)` for 0 (the existence and
/// permission probe, [rule 10]), `Ok(Some)` for 1..=64, EINVAL for anything else
/// (negative values included: Linux compares them as unsigned).
///
/// [rule 10]: crate::docs::rules#rule-10
pub(crate) fn valid_signal(sig: i32) -> Result<Option<Signo>, Errno> {
    if sig == 0 {
        return Ok(None);
    }
    Signo::from_raw(sig as i64)
        .map(Some)
        .map_err(|_| Errno::EINVAL)
}

/// Reads a `sigset_t` (8 bytes, native byte order) from user memory.
pub(crate) fn read_sigset<M: UserMemory + ?Sized>(
    mem: &M,
    addr: usize,
) -> Result<SignalSet, Errno> {
    let mut b = [0u8; SIGSET_SIZE];
    mem.read(addr, &mut b)?;
    Ok(SignalSet::from_bits(u64::from_ne_bytes(b)))
}

/// Writes the first `len` (at most 8) bytes of a `sigset_t` to user memory; nothing
/// is touched when `len` is 0, as with Linux's `copy_to_user`.
pub(crate) fn write_sigset<M: UserMemory + ?Sized>(
    mem: &mut M,
    addr: usize,
    set: SignalSet,
    len: usize,
) -> Result<(), Errno> {
    let b = set.bits().to_ne_bytes();
    match b.get(..len) {
        Some([]) => Ok(()),
        Some(part) => mem.write(addr, part),
        None => Err(Errno::EINVAL),
    }
}

/// `__copy_siginfo_from_user(sig, ...)`: copies the 48 bytes Linux keeps, replaces
/// `si_signo` with `sig` ([rule 26]), and for a `(si_signo, si_code)` pair of unknown
/// layout copies the other 80 bytes too, which must all be zero (E2BIG, [rule 27]).
/// `sig` `None` keeps the user's `si_signo` (`copy_siginfo_from_user`, as
/// `pidfd_send_signal` uses it).
///
/// [rule 26]: crate::docs::rules#rule-26
/// [rule 27]: crate::docs::rules#rule-27
pub(crate) fn copy_siginfo_from_user<M: UserMemory + ?Sized>(
    mem: &M,
    addr: usize,
    sig: Option<i32>,
) -> Result<SignalInfo, Errno> {
    let mut b = [0u8; SIGINFO_SIZE];
    mem.read(addr, &mut b[..KERNEL_SIGINFO_SIZE])?;
    if let Some(sig) = sig {
        b[..4].copy_from_slice(&sig.to_ne_bytes());
    }
    let info = SignalInfo::from_bytes(b);
    if !info.has_known_layout() {
        let mut expansion = [0u8; SIGINFO_SIZE - KERNEL_SIGINFO_SIZE];
        let at = addr.checked_add(KERNEL_SIGINFO_SIZE).ok_or(Errno::EFAULT)?;
        mem.read(at, &mut expansion)?;
        if expansion.iter().any(|x| *x != 0) {
            return Err(Errno::E2BIG);
        }
    }
    Ok(info)
}

/// `copy_siginfo_to_user`: the 48 kept bytes, then 80 zero bytes (two copies, as
/// Linux does them: if the second faults the first has already landed).
pub(crate) fn copy_siginfo_to_user<M: UserMemory + ?Sized>(
    mem: &mut M,
    addr: usize,
    info: &SignalInfo,
) -> Result<(), Errno> {
    mem.write(addr, &info.as_bytes()[..KERNEL_SIGINFO_SIZE])?;
    let at = addr.checked_add(KERNEL_SIGINFO_SIZE).ok_or(Errno::EFAULT)?;
    mem.write(at, &[0u8; SIGINFO_SIZE - KERNEL_SIGINFO_SIZE])
}
