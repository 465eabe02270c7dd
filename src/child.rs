//! SIGCHLD: telling a parent that a child exited, stopped or continued
//! (kernel/signal.c's `do_notify_parent` and `do_notify_parent_cldstop`; [rule 8],
//! 45, 53).
//!
//! This is not a system call: nothing in user space asks for it. It lives beside
//! the managers rather than in [`crate::syscall`], and takes the parent as the
//! [`Task`] the kernel's task table hands out.
//!
//! The kernel calls these from its exit and job-control paths, in process context
//! (the exiting or stopping task's), with its task-list lock held if it has one; they
//! take the parent's signal lock. Whatever they return, the kernel must also wake a
//! parent sleeping in `wait4`/`waitid` (`__wake_up_parent`): a waiter may have to
//! return ECHILD even when no signal is sent.
//!
//! The exit path's other signals live here too, as kernel/exit.c sends them
//! from `exit_notify`: the parent-death signal of `PR_SET_PDEATHSIG`
//! ([`send_pdeath_signal`], [rule 73]), SIGHUP and SIGCONT to a process group an
//! exit orphans while it has a stopped member ([`kill_orphaned_pgrp`], [rule 71]),
//! and the exit signal that falls back to SIGCHLD when the parent exec'd since
//! the fork ([`exit_signal_for_parent`], [rule 74]). What the crate cannot know,
//! which processes a process group holds and who their parents are, comes
//! through the [`ProcessGroups`] trait and the [`TaskTable`].
//!
//! In `exit_notify`'s order, when a thread exits the kernel: (1) for each thread
//! of each child it forked, calls [`send_pdeath_signal`]; (2) moves those children
//! to their new parent and, if that parent is not in the exiting thread's group,
//! calls [`kill_orphaned_pgrp`] for each child with `parent` the exiting process;
//! (3) if its thread group is now dead, calls [`kill_orphaned_pgrp`] for itself with
//! `parent` its own parent; (4) sends the exit signal
//! ([`exit_signal_for_parent`], [`notify_parent_exit`]).
//!
//! Not modelled: ptrace (tracers get every stop, `CLD_TRAPPED`).
//!
//! [rule 8]: crate::docs::rules#rule-8
//! [rule 71]: crate::docs::rules#rule-71
//! [rule 73]: crate::docs::rules#rule-73
//! [rule 74]: crate::docs::rules#rule-74

use crate::action::{Disposition, SaFlags};
use crate::info::{ChildCode, SignalInfo};
use crate::pidtype::PidType;
pub use crate::process::ChildStop;
use crate::process::{ProcessSignalManager, SendOutcome};
use crate::signo::Signo;
use crate::syscall::kill::{kill_permitted, send_to};
use crate::syscall::{Credentials, Task, TaskIds, TaskTable};
use crate::wait::WaitQueue;
use lock_api::RawMutex;

/// How a child ended, as `wait` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildExit {
    /// It called `exit` with this status (its low 8 bits count).
    Exited(i32),
    /// A signal killed it.
    Killed(Signo),
    /// A signal killed it and it dumped core.
    Dumped(Signo),
}

impl ChildExit {
    /// Decodes Linux's `exit_code` word (the `wait` status: exit status in bits
    /// 8..16, terminating signal in bits 0..7, 0x80 for a core dump).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn from_exit_code(exit_code: i32) -> ChildExit {
        let sig = exit_code & 0x7f;
        match Signo::from_raw(sig as i64) {
            Ok(s) if exit_code & 0x80 != 0 => ChildExit::Dumped(s),
            Ok(s) => ChildExit::Killed(s),
            Err(_) => ChildExit::Exited((exit_code >> 8) & 0xff),
        }
    }

    /// The `si_code` and `si_status` of the SIGCHLD: `CLD_EXITED` with the exit
    /// status, `CLD_KILLED` / `CLD_DUMPED` with the signal number.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn code_and_status(self) -> (ChildCode, i32) {
        match self {
            ChildExit::Exited(status) => (ChildCode::Exited, status & 0xff),
            ChildExit::Killed(s) => (ChildCode::Killed, s.get() as i32),
            ChildExit::Dumped(s) => (ChildCode::Dumped, s.get() as i32),
        }
    }
}

/// The child as its parent sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChildInfo {
    /// The child's pid (tgid) in the parent's pid namespace.
    pub pid: i32,
    /// The child's real uid.
    pub uid: u32,
    /// User CPU time, in clock ticks (for an exit, the whole group's including
    /// reaped children's).
    pub utime: i64,
    /// System CPU time, in clock ticks.
    pub stime: i64,
}

/// What [`notify_parent_exit`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitNotice {
    /// The parent does not wait for this child (SIGCHLD is SIG_IGN, or its action
    /// has SA_NOCLDWAIT): the kernel reaps the child at once instead of leaving a
    /// zombie, and still wakes the parent's `wait` (which may now fail with ECHILD).
    pub autoreap: bool,
    /// The signal sent to the parent and what became of it; `None` when nothing was
    /// sent (no exit signal, SIGCHLD ignored with SIG_IGN, or the send failed).
    pub sent: Option<(Signo, SendOutcome)>,
}

/// `do_notify_parent`: a child's thread group has exited (its last thread is gone).
///
/// Builds the SIGCHLD siginfo (`CLD_EXITED` with the exit status, `CLD_KILLED` or
/// `CLD_DUMPED` with the signal; the child's pid, uid and CPU times) and sends
/// `exit_signal` (SIGCHLD normally; `None` for a child created with exit signal 0)
/// to the parent as a process-directed signal. When the exit signal is SIGCHLD and
/// the parent's SIGCHLD action is SIG_IGN or has SA_NOCLDWAIT, the child is to be
/// reaped automatically ([rule 53]); with SIG_IGN nothing is sent, with SA_NOCLDWAIT
/// the signal is still sent (Linux's choice; POSIX leaves it open).
///
/// `parent` is the task the child reports to (the thread that forked it, or its
/// group's leader); its managers are used, its ids and credentials are not.
///
/// Context: process context; never blocks.
///
/// [rule 53]: crate::docs::rules#rule-53
pub fn notify_parent_exit<W: WaitQueue, R: RawMutex>(
    parent: &Task<'_, W, R>,
    child: &ChildInfo,
    exit: ChildExit,
    exit_signal: Option<Signo>,
) -> ExitNotice {
    let (code, status) = exit.code_and_status();
    let mut notice = ExitNotice {
        autoreap: false,
        sent: None,
    };
    let Some(mut sig) = exit_signal else {
        return notice;
    };
    let info = SignalInfo::child(code, child.pid, child.uid, status, child.utime, child.stime);
    let mut info = info;
    if sig != Signo::SIGCHLD {
        info.set_signo(sig);
    } else {
        let action = parent.process.actions().get(Signo::SIGCHLD);
        let ignored = action.disposition() == Disposition::Ignore;
        if ignored || action.flags().contains(SaFlags::NOCLDWAIT) {
            notice.autoreap = true;
            if ignored {
                return notice;
            }
        }
        sig = Signo::SIGCHLD;
    }
    notice.sent = send_to_parent(parent, sig, &info).map(|out| (sig, out));
    notice
}

/// `do_notify_parent_cldstop`: the child's group stopped (`CLD_STOPPED`, status the
/// stop signal) or was continued (`CLD_CONTINUED`, status SIGCONT), or a traced
/// thread stopped for its tracer (`CLD_TRAPPED`, status the stop's signal; `parent`
/// is then the tracer). No SIGCHLD is
/// sent if the parent's SIGCHLD action is SIG_IGN or has SA_NOCLDSTOP ([rule 45]).
/// Returns what became of the signal, `None` if none was sent.
///
/// Call it with what [`ProcessSignalManager::take_cldstop`] hands out, which is
/// each stop and each continue exactly once ([rule 72]): the last thread to take
/// part in a group stop finds the stop there, the send that continued a stopped
/// group ([`SendOutcome::resumed`]) the continue. Linux reports the group leader's
/// pid; pass that in `child`.
///
/// Context: process context; never blocks.
///
/// [rule 45]: crate::docs::rules#rule-45
/// [rule 72]: crate::docs::rules#rule-72
pub fn notify_parent_cldstop<W: WaitQueue, R: RawMutex>(
    parent: &Task<'_, W, R>,
    child: &ChildInfo,
    why: ChildStop,
) -> Option<SendOutcome> {
    let (code, status) = match why {
        ChildStop::Stopped(s) => (ChildCode::Stopped, s.get() as i32),
        ChildStop::Continued => (ChildCode::Continued, Signo::SIGCONT.get() as i32),
        ChildStop::Trapped(s) => (ChildCode::Trapped, s.get() as i32),
    };
    let action = parent.process.actions().get(Signo::SIGCHLD);
    if action.disposition() == Disposition::Ignore || action.flags().contains(SaFlags::NOCLDSTOP) {
        return None;
    }
    let info = SignalInfo::child(code, child.pid, child.uid, status, child.utime, child.stime);
    send_to_parent(parent, Signo::SIGCHLD, &info)
}

fn send_to_parent<W: WaitQueue, R: RawMutex>(
    parent: &Task<'_, W, R>,
    sig: Signo,
    info: &SignalInfo,
) -> Option<SendOutcome> {
    let out = match parent.thread {
        Some(t) => t.send_process_directed(sig, Some(info)),
        None => parent.process.send(sig, Some(info)),
    };
    out.ok()
}

/// `do_notify_parent`'s security-domain rule ([rule 74]): the signal a child's
/// exit sends its parent. An exit signal other than SIGCHLD (from `clone`'s low
/// byte) becomes SIGCHLD if the parent exec'd since it forked the child: the
/// child's `parent_exec_id` ([`ProcessSignalManager::parent_exec_id`]) is no longer
/// the parent's `self_exec_id` ([`ProcessSignalManager::self_exec_id`], counted by
/// [`ProcessSignalManager::exec`]). `None` (exit signal 0) stays `None`. Pass the
/// result to [`notify_parent_exit`].
///
/// Linux also makes a child's exit signal SIGCHLD for good when its parent dies
/// and it is reparented (`reparent_leader`); that is the kernel's to store.
///
/// Context: any, interrupt context included with the `kspin` feature's lock; takes
/// each group's signal lock briefly, one at a time.
///
/// [rule 74]: crate::docs::rules#rule-74
pub fn exit_signal_for_parent<W: WaitQueue, R: RawMutex>(
    child: &ProcessSignalManager<W, R>,
    parent: &ProcessSignalManager<W, R>,
    exit_signal: Option<Signo>,
) -> Option<Signo> {
    let sig = exit_signal?;
    if sig != Signo::SIGCHLD && child.parent_exec_id() != parent.self_exec_id() {
        return Some(Signo::SIGCHLD);
    }
    Some(sig)
}

/// The sender of a signal the exit path generates on behalf of an exiting thread
/// (Linux's `current` in `exit_notify`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitingTask {
    /// Its ids (the siginfo carries its tgid).
    pub ids: TaskIds,
    /// Its credentials (the permission check and the siginfo's uid).
    pub cred: Credentials,
}

/// `forget_original_parent`'s parent-death signal ([rule 73]): `child` (a thread
/// of a process the exiting thread forked, named by its tid so that `child.thread`
/// is set) asked with `PR_SET_PDEATHSIG` for a signal when its parent thread
/// exits; that signal is sent to the child's whole thread group (process-directed,
/// trying `child`'s thread first), as `SI_USER` from the exiting task.
///
/// Linux sends it when the parent *thread* exits, even if other threads of the
/// parent's group live on and adopt the child. It is an ordinary user signal
/// (`SEND_SIG_NOINFO`), so the kill permission check applies to the exiting task's
/// credentials. Returns what the send did (`None` if the child asked for nothing,
/// has no thread, or the check refused); the kernel hears of it through
/// [`TaskTable::signal_sent`] like any send.
///
/// Context: process context, from the exiting thread's exit path, with the
/// kernel's task-list lock held if it has one; takes the child's signal lock.
///
/// [rule 73]: crate::docs::rules#rule-73
pub fn send_pdeath_signal<T: TaskTable>(
    tasks: &T,
    exiting: &ExitingTask,
    child: &Task<'_, T::Wait, T::Lock>,
) -> Option<Signo> {
    let sig = child.thread?.pdeath_signal()?;
    kill_permitted(&exiting.ids, &exiting.cred, Some(sig), child).ok()?;
    let info = SignalInfo::user(sig, exiting.ids.tgid, exiting.cred.uid);
    send_to(tasks, child, sig, Some(&info), PidType::Tgid).ok()?;
    Some(sig)
}

/// The kernel's knowledge of process groups that [`kill_orphaned_pgrp`] asks for.
pub trait ProcessGroups {
    /// Linux's `will_become_orphaned_pgrp(pgrp, ignored_task)`: whether process
    /// group `pgid` is orphaned once process `ignored` (a tgid; `None` ignores none)
    /// is gone. It is orphaned when no member, leaving out `ignored`, zombies whose
    /// threads are all gone, and members whose parent is init, has a parent in a
    /// different process group of the same session.
    ///
    /// Called with no lock of the crate held.
    fn will_become_orphaned_pgrp(&mut self, pgid: i32, ignored: Option<i32>) -> bool;
}

impl<F: FnMut(i32, Option<i32>) -> bool> ProcessGroups for F {
    fn will_become_orphaned_pgrp(&mut self, pgid: i32, ignored: Option<i32>) -> bool {
        self(pgid, ignored)
    }
}

/// Which side of `exit_notify` calls [`kill_orphaned_pgrp`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrphanCheck {
    /// The process `task` names exits (its whole group is dead); `parent` is its
    /// parent. The exiting process itself no longer counts as a link.
    Exit,
    /// The process `task` names is a child of the exiting process `parent`, now
    /// reparented outside `parent`'s thread group.
    Reparent,
}

/// `kill_orphaned_pgrp` ([rule 71]): if `task`'s process group differs from its
/// parent's, both are in one session, the group becomes orphaned by this exit
/// ([`ProcessGroups::will_become_orphaned_pgrp`]) and a member is stopped
/// (`has_stopped_jobs`: a complete group stop,
/// [`ProcessSignalManager::is_stop_complete`]), every member gets SIGHUP and then
/// SIGCONT, sent by the kernel (`SI_KERNEL`, no permission check). POSIX asks for
/// this so that a stopped job no shell can continue is not left behind. Returns
/// whether the two signals were sent; each send is reported through
/// [`TaskTable::signal_sent`], where the kernel wakes the continued group and
/// reports its continue ([`ProcessSignalManager::take_cldstop`]).
///
/// Call it with `OrphanCheck::Exit` for the exiting process itself (`task` its ids,
/// `parent` its parent's) and with `OrphanCheck::Reparent` for each child moved
/// to a parent outside the exiting thread group (`task` the child, `parent` the
/// exiting process).
///
/// Context: process context, from the exit path, with no lock of the crate held
/// (it takes each member's signal lock in turn, and the kernel's table may be
/// walked through `tasks`).
///
/// [rule 71]: crate::docs::rules#rule-71
pub fn kill_orphaned_pgrp<T: TaskTable, G: ProcessGroups + ?Sized>(
    tasks: &T,
    groups: &mut G,
    task: &TaskIds,
    parent: &TaskIds,
    side: OrphanCheck,
) -> bool {
    let pgid = task.pgid;
    if parent.pgid == pgid || parent.sid != task.sid {
        return false;
    }
    let ignored = match side {
        OrphanCheck::Exit => Some(task.tgid),
        OrphanCheck::Reparent => None,
    };
    if !groups.will_become_orphaned_pgrp(pgid, ignored) || !has_stopped_jobs(tasks, pgid) {
        return false;
    }
    for sig in [Signo::SIGHUP, Signo::SIGCONT] {
        let info = SignalInfo::kernel(sig);
        tasks.for_each_process(PidType::Pgid, pgid, &mut |t| {
            let _ = send_to(tasks, t, sig, Some(&info), PidType::Tgid);
        });
    }
    true
}

/// `has_stopped_jobs`: whether a member of the group is in a complete group stop.
fn has_stopped_jobs<T: TaskTable>(tasks: &T, pgid: i32) -> bool {
    let mut stopped = false;
    tasks.for_each_process(PidType::Pgid, pgid, &mut |t| {
        stopped |= t.process.is_stop_complete();
    });
    stopped
}
