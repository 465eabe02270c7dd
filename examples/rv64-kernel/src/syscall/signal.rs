//! The signal system calls: thin wrappers around ksignal's system-call
//! layer, which does the argument handling in Linux's order and returns
//! Linux's value or -errno. The kernel supplies the task table
//! (`signal::Tasks`), the caller and its user memory (`signal::KMem`).
//!
//! Blocking: rt_sigtimedwait and rt_sigsuspend sleep on the thread's
//! `signal::KWait`. rt_sigsuspend returns -ERESTARTNOHAND, which the
//! return-to-user path turns into EINTR once the handler ran.

use crate::errno::{Errno, SysResult};
use crate::signal::phases::{self, Phase};
use crate::signal::{FpImage, KMem, Tasks, with_caller};
use crate::task::{self, OpenFile};
use crate::trap::TrapFrame;
use alloc::sync::Arc;
use ksignal::KspinRawMutex;
use ksignal::syscall::{self as ks, Caller, SignalFdTable};
use ksignal::{SfdFlags, SignalFd};

type KCaller<'a> = Caller<'a, crate::signal::KWait, KspinRawMutex>;

/// A ksignal return value (value or -errno) as a `SysResult`.
fn from_ret(r: isize) -> SysResult {
    if r < 0 { Err(Errno(-r as i32)) } else { Ok(r as usize) }
}

/// Runs a ksignal system call as the current thread.
pub(super) fn call(f: impl FnOnce(&KCaller<'_>) -> isize) -> SysResult {
    with_caller(f).map_or(Err(Errno::ESRCH), from_ret)
}

pub fn kill(pid: usize, sig: usize) -> SysResult {
    call(|c| {
        phases::measure(Phase::Generation, c.ids.tid as usize, || ks::sys_kill(&Tasks, c, pid, sig))
    })
}

pub fn tkill(tid: usize, sig: usize) -> SysResult {
    call(|c| ks::sys_tkill(&Tasks, c, tid, sig))
}

pub fn tgkill(tgid: usize, tid: usize, sig: usize) -> SysResult {
    call(|c| ks::sys_tgkill(&Tasks, c, tgid, tid, sig))
}

pub fn rt_sigqueueinfo(pid: usize, sig: usize, uinfo: usize) -> SysResult {
    call(|c| ks::sys_rt_sigqueueinfo(&Tasks, c, &KMem, pid, sig, uinfo))
}

pub fn rt_tgsigqueueinfo(tgid: usize, tid: usize, sig: usize, uinfo: usize) -> SysResult {
    call(|c| ks::sys_rt_tgsigqueueinfo(&Tasks, c, &KMem, tgid, tid, sig, uinfo))
}

pub fn rt_sigaction(sig: usize, act: usize, oact: usize, sigsetsize: usize) -> SysResult {
    call(|c| ks::sys_rt_sigaction(c, &mut KMem, sig, act, oact, sigsetsize))
}

pub fn rt_sigprocmask(how: usize, set: usize, oset: usize, sigsetsize: usize) -> SysResult {
    call(|c| ks::sys_rt_sigprocmask(c, &mut KMem, how, set, oset, sigsetsize))
}

/// prctl(option, arg2): PR_SET_PDEATHSIG and PR_GET_PDEATHSIG are ksignal's;
/// this kernel has no other option (EINVAL, as Linux for an unknown one).
pub fn prctl(option: usize, arg2: usize) -> SysResult {
    let r = with_caller(|c| ks::sys_prctl_pdeathsig(c, &mut KMem, option, arg2));
    match r {
        None => Err(Errno::ESRCH),
        Some(None) => Err(Errno::EINVAL),
        Some(Some(r)) => from_ret(r),
    }
}

pub fn rt_sigpending(set: usize, sigsetsize: usize) -> SysResult {
    call(|c| ks::sys_rt_sigpending(c, &mut KMem, set, sigsetsize))
}

pub fn rt_sigtimedwait(set: usize, info: usize, ts: usize, sigsetsize: usize) -> SysResult {
    call(|c| ks::sys_rt_sigtimedwait(c, &mut KMem, set, info, ts, sigsetsize))
}

pub fn rt_sigsuspend(set: usize, sigsetsize: usize) -> SysResult {
    call(|c| ks::sys_rt_sigsuspend(c, &KMem, set, sigsetsize))
}

/// `user_sp`: the caller's stack pointer, to tell whether it runs on its
/// alternate stack.
pub fn sigaltstack(uss: usize, uoss: usize, user_sp: usize) -> SysResult {
    call(|c| ks::sys_sigaltstack(c, &mut KMem, uss, uoss, user_sp))
}

/// rt_sigreturn: restores the context, FP state, mask and alternate stack
/// saved in the frame at the user's sp; ksignal also resets the restart
/// block ("no restart"), as Linux does.
///
/// A forged or damaged frame forces SIGSEGV on the thread (fatal unless a
/// SIGSEGV handler can run), leaving what Linux restores before the failing
/// step (the registers, then the FP state, before the extension area is
/// checked); like Linux the call then returns 0.
pub fn rt_sigreturn(tf: &mut TrapFrame) -> SysResult {
    let thread = task::current();
    let signals = thread.signals().ok_or(Errno::ESRCH)?;
    let mut fp = FpImage::load(tf);
    let ret = phases::measure(Phase::Sigreturn, thread.tid, || {
        ksignal::rt_sigreturn(&signals, tf, &mut fp, &KMem)
    });
    fp.store(tf);
    match ret {
        Ok(a0) => Ok(a0 as usize),
        Err(_) => Ok(0),
    }
}

/// The calling process's descriptors as ksignal's `signalfd4` sees them.
struct Files;

impl SignalFdTable for Files {
    fn install(&mut self, fd: Arc<SignalFd>, flags: SfdFlags) -> Result<i32, ksignal::Errno> {
        let file = OpenFile { signalfd: fd, nonblock: flags.nonblock };
        match task::current_process().files.lock().install(file) {
            Ok(fd) => Ok(fd as i32),
            Err(Errno::EMFILE) => Err(ksignal::Errno::EMFILE),
            Err(_) => Err(ksignal::Errno::ENOMEM),
        }
    }

    /// The console's descriptors are open but are not signalfds (EINVAL);
    /// anything else not open is EBADF.
    fn lookup(&self, ufd: i32) -> Result<Arc<SignalFd>, ksignal::Errno> {
        let fd = usize::try_from(ufd).map_err(|_| ksignal::Errno::EBADF)?;
        if fd < 3 {
            return Err(ksignal::Errno::EINVAL);
        }
        let process = task::current_process();
        let files = process.files.lock();
        files.get(fd).map(|f| f.signalfd.clone()).ok_or(ksignal::Errno::EBADF)
    }
}

/// signalfd4(ufd, mask, sizemask, flags): ksignal checks and creates or
/// updates; the new descriptor goes in the process's table.
pub fn signalfd4(ufd: usize, mask: usize, sizemask: usize, flags: usize) -> SysResult {
    call(|c| ks::sys_signalfd4(c, &KMem, &mut Files, ufd, mask, sizemask, flags))
}

/// read on a signalfd: ksignal dequeues the caller's signals of its mask
/// into 128-byte records; a blocking read sleeps on the thread's `KWait`
/// (-ERESTARTSYS if a signal becomes deliverable meanwhile).
pub fn signalfd_read(file: &OpenFile, buf: usize, len: usize) -> SysResult {
    call(|c| ks::sys_signalfd_read(c, &mut KMem, &file.signalfd, file.nonblock, buf, len))
}
