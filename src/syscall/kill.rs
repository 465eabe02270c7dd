//! Sending signals: `kill`, `tkill`, `tgkill`, `rt_sigqueueinfo`,
//! `rt_tgsigqueueinfo` and `pidfd_send_signal` (kernel/signal.c's
//! `kill_something_info`, `do_tkill`, `do_send_specific`, `do_rt_sigqueueinfo`,
//! `do_rt_tgsigqueueinfo`, `do_pidfd_send_signal`, `check_kill_permission`).
//!
//! Every function here runs in process context and never blocks; it takes the
//! target's signal lock once per target.

use super::{
    Caller, Credentials, PidfdTarget, SyscallRet, Task, TaskIds, TaskTable, arg_int,
    copy_siginfo_from_user, encode, kill_ok_by_cred, valid_signal, with_task,
};
use crate::errno::Errno;
use crate::info::{SignalInfo, code};
use crate::pidtype::PidType;
use crate::signo::Signo;
use crate::uaccess::UserMemory;
use crate::wait::WaitQueue;
use lock_api::RawMutex;

/// `PIDFD_SIGNAL_THREAD` (include/uapi/linux/pidfd.h): signal the thread.
pub const PIDFD_SIGNAL_THREAD: u32 = 1 << 0;
/// `PIDFD_SIGNAL_THREAD_GROUP`: signal the thread group.
pub const PIDFD_SIGNAL_THREAD_GROUP: u32 = 1 << 1;
/// `PIDFD_SIGNAL_PROCESS_GROUP`: signal the process group.
pub const PIDFD_SIGNAL_PROCESS_GROUP: u32 = 1 << 2;
const PIDFD_SEND_SIGNAL_FLAGS: u32 =
    PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP;
/// `PIDFD_SELF_THREAD`: the calling thread, without a file descriptor.
pub const PIDFD_SELF_THREAD: i32 = linux_raw_sys::general::PIDFD_SELF_THREAD;
/// `PIDFD_SELF_THREAD_GROUP`: the calling process, without a file descriptor.
pub const PIDFD_SELF_THREAD_GROUP: i32 = linux_raw_sys::general::PIDFD_SELF_THREAD_GROUP;

/// The sending side of the signal system calls here: the task table and the calling
/// task (Linux's `current`), which every step from the id lookup to the send needs.
struct Sender<'a, 'c, T: TaskTable> {
    tasks: &'a T,
    caller: &'a Caller<'c, T::Wait, T::Lock>,
}

/// `prepare_kill_siginfo`: `SI_USER` (kill) or `SI_TKILL` (tkill, tgkill), with the
/// sender's tgid and real uid ([rule 24]).
///
/// [rule 24]: crate::docs::rules#rule-24
fn kill_info<W: WaitQueue, R: RawMutex>(
    caller: &Caller<'_, W, R>,
    sig: Option<Signo>,
    scope: PidType,
) -> Option<SignalInfo> {
    let sig = sig?;
    let (pid, uid) = (caller.ids.tgid, caller.cred.uid);
    Some(if scope.is_shared() {
        SignalInfo::user(sig, pid, uid)
    } else {
        SignalInfo::tkill(sig, pid, uid)
    })
}

/// `check_kill_permission` ([rule 9], [rule 10]): EINVAL for an invalid signal number; no
/// check for a siginfo the kernel made (`si_code > 0`); otherwise the same thread
/// group is always allowed, then [`kill_ok_by_cred`], then SIGCONT within the
/// caller's session; EPERM otherwise. Returns the validated signal (`None` for the
/// null signal).
///
/// [rule 9]: crate::docs::rules#rule-9
/// [rule 10]: crate::docs::rules#rule-10
fn check_kill_permission<W: WaitQueue, R: RawMutex>(
    caller: &Caller<'_, W, R>,
    sig: i32,
    info: Option<&SignalInfo>,
    target: &Task<'_, W, R>,
) -> Result<Option<Signo>, Errno> {
    let signo = valid_signal(sig)?;
    if info.is_some_and(|i| !i.is_from_user()) {
        return Ok(signo);
    }
    kill_permitted(&caller.ids, &caller.cred, signo, target)?;
    Ok(signo)
}

/// The credential half of `check_kill_permission` for a signal from user space
/// (`si_fromuser`): the same thread group, then [`kill_ok_by_cred`], then SIGCONT
/// within the sender's session; EPERM otherwise.
pub(crate) fn kill_permitted<W: WaitQueue, R: RawMutex>(
    ids: &TaskIds,
    cred: &Credentials,
    sig: Option<Signo>,
    target: &Task<'_, W, R>,
) -> Result<(), Errno> {
    if ids.tgid == target.ids.tgid || kill_ok_by_cred(cred, &target.cred) {
        return Ok(());
    }
    if sig == Some(Signo::SIGCONT) && ids.sid == target.ids.sid {
        return Ok(());
    }
    Err(Errno::EPERM)
}

/// Queues `sig` on `target`: its private queue (`PidType::Pid`), or the shared
/// queue starting at the thread the id named; then tells the kernel what happened
/// ([`TaskTable::signal_sent`]).
pub(crate) fn send_to<T: TaskTable>(
    tasks: &T,
    target: &Task<'_, T::Wait, T::Lock>,
    sig: Signo,
    info: Option<&SignalInfo>,
    scope: PidType,
) -> Result<(), Errno> {
    let outcome = match (scope.is_shared(), target.thread) {
        (false, Some(t)) => t.send(sig, info)?,
        // A zombie leader (its thread exited, the group lives): Linux 6.18 finds it
        // by its id and passes the permission check, but its signal state is gone,
        // so `do_send_specific` takes its "pretend the task died right after
        // receiving it" path: success, and no generation at all (no SIGCONT
        // continue, no SIGKILL, no queue charge), as the host kernel shows.
        (false, None) => return Ok(()),
        (true, Some(t)) => t.send_process_directed(sig, info)?,
        (true, None) => target.process.send(sig, info)?,
    };
    tasks.signal_sent(target, sig, &outcome);
    Ok(())
}

impl<T: TaskTable> Sender<'_, '_, T> {
    /// Permission, then (unless the null signal) the send with pid type `scope`: Linux's
    /// `check_kill_permission` followed by `do_send_sig_info` (the pair
    /// `group_send_sig_info` makes for the process-directed types, and `do_send_specific`
    /// for a thread).
    fn check_and_send(
        &self,
        sig: i32,
        info: Option<&SignalInfo>,
        target: &Task<'_, T::Wait, T::Lock>,
        scope: PidType,
    ) -> Result<(), Errno> {
        let signo = check_kill_permission(self.caller, sig, info, target)?;
        match signo {
            None => Ok(()),
            Some(s) => {
                let made;
                let info = match info {
                    Some(i) => Some(i),
                    None => {
                        made = kill_info(self.caller, Some(s), scope);
                        made.as_ref()
                    }
                };
                send_to(self.tasks, target, s, info, scope)
            }
        }
    }

    /// `kill_pid_info`: the task `pid` names (any thread id), process-directed. ESRCH
    /// if there is none.
    fn kill_proc_info(&self, pid: i32, sig: i32, info: Option<&SignalInfo>) -> Result<(), Errno> {
        with_task(self.tasks, pid, |t| {
            self.check_and_send(sig, info, t, PidType::Tgid)
        })
    }

    /// `__kill_pgrp_info`: every member of the group; success if any send succeeded,
    /// else the last error, ESRCH for an empty group ([rule 23]).
    ///
    /// [rule 23]: crate::docs::rules#rule-23
    fn kill_pgrp_info(&self, pgrp: i32, sig: i32, info: Option<&SignalInfo>) -> Result<(), Errno> {
        let mut result = Err(Errno::ESRCH);
        if pgrp > 0 {
            self.tasks.for_each_process(PidType::Pgid, pgrp, &mut |t| {
                if result.is_err() {
                    result = self.check_and_send(sig, info, t, PidType::Pgid);
                } else {
                    let _ = self.check_and_send(sig, info, t, PidType::Pgid);
                }
            });
        }
        result
    }

    /// `kill_something_info`: `pid`'s interpretation for kill (see [`sys_kill`]).
    fn kill_something_info(
        &self,
        pid: i32,
        sig: i32,
        info: Option<&SignalInfo>,
    ) -> Result<(), Errno> {
        if pid > 0 {
            return self.kill_proc_info(pid, sig, info);
        }
        if pid == i32::MIN {
            return Err(Errno::ESRCH);
        }
        if pid != -1 {
            let pgrp = if pid == 0 { self.caller.ids.pgid } else { -pid };
            return self.kill_pgrp_info(pgrp, sig, info);
        }
        let mut count = 0usize;
        let mut retval = Ok(());
        self.tasks.for_each_process(PidType::Max, -1, &mut |t| {
            if t.ids.tgid > 1 && t.ids.tgid != self.caller.ids.tgid {
                count += 1;
                let err = self.check_and_send(sig, info, t, PidType::Max);
                if err != Err(Errno::EPERM) {
                    retval = err;
                }
            }
        });
        if count == 0 {
            Err(Errno::ESRCH)
        } else {
            retval
        }
    }

    /// `do_send_specific`: thread `tid`, which must belong to `tgid` when `tgid > 0`
    /// (ESRCH otherwise, [rule 25]); then permission (EINVAL for a bad signal, EPERM);
    /// then the send to the thread's private queue ([rule 17]).
    ///
    /// [rule 17]: crate::docs::rules#rule-17
    /// [rule 25]: crate::docs::rules#rule-25
    fn do_send_specific(
        &self,
        tgid: i32,
        tid: i32,
        sig: i32,
        info: Option<&SignalInfo>,
    ) -> Result<(), Errno> {
        with_task(self.tasks, tid, |t| {
            if tgid > 0 && t.ids.tgid != tgid {
                return Err(Errno::ESRCH);
            }
            self.check_and_send(sig, info, t, PidType::Pid)
        })
    }

    /// `do_rt_sigqueueinfo`: EPERM for an impersonating siginfo sent anywhere but to
    /// the caller's own thread id, then [`kill_proc_info`].
    fn do_rt_sigqueueinfo(&self, pid: i32, sig: i32, info: &SignalInfo) -> Result<(), Errno> {
        if impersonates(info) && self.caller.ids.tid != pid {
            return Err(Errno::EPERM);
        }
        self.kill_proc_info(pid, sig, Some(info))
    }

    /// `do_rt_tgsigqueueinfo`: EINVAL for a non-positive id, EPERM for an
    /// impersonating siginfo sent to another thread, then [`do_send_specific`].
    fn do_rt_tgsigqueueinfo(
        &self,
        tgid: i32,
        tid: i32,
        sig: i32,
        info: &SignalInfo,
    ) -> Result<(), Errno> {
        if tid <= 0 || tgid <= 0 {
            return Err(Errno::EINVAL);
        }
        if impersonates(info) && self.caller.ids.tid != tid {
            return Err(Errno::EPERM);
        }
        self.do_send_specific(tgid, tid, sig, Some(info))
    }

    /// `do_pidfd_send_signal`'s send: the process group whose id is `pid`, or the task
    /// `pid` names (ESRCH if it has gone) as a thread or as its process.
    fn do_pidfd_send_signal(
        &self,
        pid: i32,
        scope: PidType,
        sig: i32,
        info: Option<&SignalInfo>,
    ) -> Result<(), Errno> {
        if scope == PidType::Pgid {
            return self.kill_pgrp_info(pid, sig, info);
        }
        with_task(self.tasks, pid, |t| {
            self.check_and_send(sig, info, t, scope)
        })
    }
}

/// `kill(pid, sig)` ([rule 22], [rule 23], [rule 24], [rule 9], [rule 10]).
///
/// - `pid > 0`: the process containing task `pid` (a thread id names its process;
///   the signal is process-directed and that thread is tried first). ESRCH if no
///   such task, *then* EINVAL for an invalid signal, then EPERM: Linux looks the
///   pid up before it validates the signal, so `kill(missing, 65)` is ESRCH.
/// - `pid == 0`: the caller's process group; `pid < -1`: process group `-pid`.
///   Success if the signal reached at least one member; otherwise the last member's
///   error (EINVAL, EPERM), or ESRCH for an empty group.
/// - `pid == -1`: every process but pid 1 and the caller's own. ESRCH if there is
///   none; otherwise the last error other than EPERM, or 0. So, as in Linux (POSIX
///   leaves `kill(-1)` loosely specified), `kill(-1, sig)` succeeds when every
///   target refused with EPERM.
/// - `pid == INT_MIN`: ESRCH (its negation is not a pid).
///
/// The siginfo is `SI_USER` with the caller's tgid and real uid. Signal 0 checks
/// existence and permission only. A real-time signal over the receiver's
/// RLIMIT_SIGPENDING is still sent without its siginfo ([rule 14]).
///
/// Context: process context; never blocks.
///
/// [rule 9]: crate::docs::rules#rule-9
/// [rule 10]: crate::docs::rules#rule-10
/// [rule 14]: crate::docs::rules#rule-14
/// [rule 22]: crate::docs::rules#rule-22
/// [rule 23]: crate::docs::rules#rule-23
/// [rule 24]: crate::docs::rules#rule-24
pub fn sys_kill<T: TaskTable>(
    tasks: &T,
    caller: &Caller<'_, T::Wait, T::Lock>,
    pid: usize,
    sig: usize,
) -> SyscallRet {
    let (pid, sig) = (arg_int(pid), arg_int(sig));
    encode(|| {
        Sender { tasks, caller }.kill_something_info(pid, sig, None)?;
        Ok(0)
    })
}

/// `tkill(tid, sig)` ([rule 17], [rule 24], [rule 25]): EINVAL if `tid <= 0`; ESRCH if
/// no task has that id; then EINVAL for an invalid signal; EPERM. The signal goes to
/// that thread's private queue with `SI_TKILL`.
///
/// Context: process context; never blocks.
///
/// [rule 17]: crate::docs::rules#rule-17
/// [rule 24]: crate::docs::rules#rule-24
/// [rule 25]: crate::docs::rules#rule-25
pub fn sys_tkill<T: TaskTable>(
    tasks: &T,
    caller: &Caller<'_, T::Wait, T::Lock>,
    tid: usize,
    sig: usize,
) -> SyscallRet {
    let (tid, sig) = (arg_int(tid), arg_int(sig));
    encode(|| {
        if tid <= 0 {
            return Err(Errno::EINVAL);
        }
        Sender { tasks, caller }.do_send_specific(0, tid, sig, None)?;
        Ok(0)
    })
}

/// `tgkill(tgid, tid, sig)` ([rule 17], [rule 24], [rule 25]): EINVAL if `tid <= 0` or
/// `tgid <= 0`; ESRCH if no task `tid`, or it is not in `tgid` (before the signal
/// number is looked at); then EINVAL for an invalid signal; EPERM.
///
/// Context: process context; never blocks.
///
/// [rule 17]: crate::docs::rules#rule-17
/// [rule 24]: crate::docs::rules#rule-24
/// [rule 25]: crate::docs::rules#rule-25
pub fn sys_tgkill<T: TaskTable>(
    tasks: &T,
    caller: &Caller<'_, T::Wait, T::Lock>,
    tgid: usize,
    tid: usize,
    sig: usize,
) -> SyscallRet {
    let (tgid, tid, sig) = (arg_int(tgid), arg_int(tid), arg_int(sig));
    encode(|| {
        if tid <= 0 || tgid <= 0 {
            return Err(Errno::EINVAL);
        }
        Sender { tasks, caller }.do_send_specific(tgid, tid, sig, None)?;
        Ok(0)
    })
}

/// Whether a user-supplied siginfo impersonates the kernel or `kill`/`tkill`
/// (`si_code >= 0` or `SI_TKILL`), which only a task sending to itself may do.
fn impersonates(info: &SignalInfo) -> bool {
    info.code() >= 0 || info.code() == code::SI_TKILL
}

/// `rt_sigqueueinfo(pid, sig, uinfo)` ([rule 26], [rule 27]).
///
/// Order: copy the siginfo in (EFAULT; 48 bytes, plus the other 80 when the layout
/// is unknown); `si_signo` replaced by `sig`; E2BIG for an unknown layout with
/// nonzero expansion bytes; EPERM if `si_code >= 0` or `SI_TKILL` and `pid` is not
/// the caller's own *thread* id (Linux compares with `task_pid_vnr(current)`), before
/// any lookup; then as [`sys_kill`] with `pid > 0` only: ESRCH (also for
/// `pid <= 0`: no process groups here), EINVAL for an invalid signal, EPERM; EAGAIN
/// when the receiver's RLIMIT_SIGPENDING is reached for a signal that must queue.
///
/// Context: process context; never blocks.
///
/// [rule 26]: crate::docs::rules#rule-26
/// [rule 27]: crate::docs::rules#rule-27
pub fn sys_rt_sigqueueinfo<T: TaskTable, M: UserMemory + ?Sized>(
    tasks: &T,
    caller: &Caller<'_, T::Wait, T::Lock>,
    mem: &M,
    pid: usize,
    sig: usize,
    uinfo: usize,
) -> SyscallRet {
    let (pid, sig) = (arg_int(pid), arg_int(sig));
    encode(|| {
        let info = copy_siginfo_from_user(mem, uinfo, Some(sig))?;
        Sender { tasks, caller }.do_rt_sigqueueinfo(pid, sig, &info)?;
        Ok(0)
    })
}

/// `rt_tgsigqueueinfo(tgid, tid, sig, uinfo)` ([rule 25], [rule 26], [rule 27]).
///
/// Order: copy in (EFAULT, E2BIG, `si_signo` replaced as in
/// [`sys_rt_sigqueueinfo`]); EINVAL if `tid <= 0` or `tgid <= 0`; EPERM if
/// `si_code >= 0` or `SI_TKILL` and `tid` is not the calling thread (another
/// thread of the caller's own process included); ESRCH if no thread `tid` in
/// `tgid`; EINVAL for an invalid signal; EPERM; EAGAIN (queue limit).
///
/// Context: process context; never blocks.
///
/// [rule 25]: crate::docs::rules#rule-25
/// [rule 26]: crate::docs::rules#rule-26
/// [rule 27]: crate::docs::rules#rule-27
pub fn sys_rt_tgsigqueueinfo<T: TaskTable, M: UserMemory + ?Sized>(
    tasks: &T,
    caller: &Caller<'_, T::Wait, T::Lock>,
    mem: &M,
    tgid: usize,
    tid: usize,
    sig: usize,
    uinfo: usize,
) -> SyscallRet {
    let (tgid, tid, sig) = (arg_int(tgid), arg_int(tid), arg_int(sig));
    encode(|| {
        let info = copy_siginfo_from_user(mem, uinfo, Some(sig))?;
        Sender { tasks, caller }.do_rt_tgsigqueueinfo(tgid, tid, sig, &info)?;
        Ok(0)
    })
}

/// `pidfd_send_signal(pidfd, sig, uinfo, flags)` ([rule 28]).
///
/// Order: EINVAL for unknown `flags` bits or more than one scope flag; the pidfd
/// (`PIDFD_SELF_THREAD` and `PIDFD_SELF_THREAD_GROUP` name the caller, any other
/// value goes to [`TaskTable::pidfd`]: EBADF, EINVAL); the scope is the flag's, or
/// else the pidfd's own (thread or process); with `uinfo`, copy in (EFAULT, E2BIG;
/// `si_signo` is *not* replaced), EINVAL if `si_signo != sig`, EPERM if the target is
/// not the calling thread itself (or the scope is a process group) and `si_code >= 0`
/// or `SI_TKILL`; without it, an `SI_USER` siginfo (`SI_TKILL` for the thread scope).
/// Then: ESRCH if the task has gone, EINVAL for an invalid signal, EPERM, and the
/// send; for the process-group scope, the group whose id is the pidfd's pid, as
/// [`sys_kill`] with a negative pid.
///
/// Context: process context; never blocks.
///
/// [rule 28]: crate::docs::rules#rule-28
pub fn sys_pidfd_send_signal<T: TaskTable, M: UserMemory + ?Sized>(
    tasks: &T,
    caller: &Caller<'_, T::Wait, T::Lock>,
    mem: &M,
    pidfd: usize,
    sig: usize,
    uinfo: usize,
    flags: usize,
) -> SyscallRet {
    let (pidfd, sig, flags) = (arg_int(pidfd), arg_int(sig), arg_int(flags) as u32);
    encode(|| {
        if flags & !PIDFD_SEND_SIGNAL_FLAGS != 0 {
            return Err(Errno::EINVAL);
        }
        if (flags & PIDFD_SEND_SIGNAL_FLAGS).count_ones() > 1 {
            return Err(Errno::EINVAL);
        }
        let target = match pidfd {
            PIDFD_SELF_THREAD => PidfdTarget {
                pid: caller.ids.tid,
                thread: true,
            },
            PIDFD_SELF_THREAD_GROUP => PidfdTarget {
                pid: caller.ids.tgid,
                thread: false,
            },
            fd => tasks.pidfd(fd)?,
        };
        let scope = match flags {
            PIDFD_SIGNAL_THREAD => PidType::Pid,
            PIDFD_SIGNAL_THREAD_GROUP => PidType::Tgid,
            PIDFD_SIGNAL_PROCESS_GROUP => PidType::Pgid,
            _ if target.thread => PidType::Pid,
            _ => PidType::Tgid,
        };
        let info = if uinfo != 0 {
            let info = copy_siginfo_from_user(mem, uinfo, None)?;
            if info.signo_raw() != sig {
                return Err(Errno::EINVAL);
            }
            if (target.pid != caller.ids.tid || scope == PidType::Pgid) && impersonates(&info) {
                return Err(Errno::EPERM);
            }
            Some(info)
        } else {
            None
        };
        Sender { tasks, caller }.do_pidfd_send_signal(target.pid, scope, sig, info.as_ref())?;
        Ok(0)
    })
}
