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
//! Not modelled: ptrace (tracers get every stop, `CLD_TRAPPED`), and the rule that
//! an exit signal other than SIGCHLD becomes SIGCHLD when the parent exec'd since
//! the fork (`parent_exec_id`): the kernel passes the exit signal it wants sent.
//!
//! [rule 8]: crate::docs::rules#rule-8

use crate::action::{Disposition, SaFlags};
use crate::info::{ChildCode, SignalInfo};
use crate::process::SendOutcome;
use crate::signo::Signo;
use crate::syscall::Task;
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

/// A stop or continue to report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
/// Call it once per group stop, from the last thread to stop, and once per
/// continue of a stopped group (when a send reports [`SendOutcome::resumed`]; Linux
/// lets the first continued thread report it). Linux reports the group leader's
/// pid; pass that in `child`.
///
/// Context: process context; never blocks.
///
/// [rule 45]: crate::docs::rules#rule-45
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
