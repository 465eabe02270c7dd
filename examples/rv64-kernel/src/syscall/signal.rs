//! The signal system calls: thin wrappers around ksignal's system-call
//! layer, which does the argument handling in Linux's order and returns
//! Linux's value or -errno. The kernel supplies the task table
//! (`signal::Tasks`), the caller and its user memory (`signal::KMem`).
//!
//! Blocking: rt_sigtimedwait and rt_sigsuspend sleep on the thread's
//! `signal::KWait`. rt_sigsuspend returns -ERESTARTNOHAND, which the
//! return-to-user path turns into EINTR once the handler ran.

use crate::errno::{Errno, SysResult};
use crate::signal::{FpImage, KMem, Tasks, with_caller};
use crate::task;
use crate::trap::TrapFrame;
use ksignal::KspinRawMutex;
use ksignal::syscall::{self as ks, Caller};

type KCaller<'a> = Caller<'a, crate::signal::KWait, KspinRawMutex>;

/// A ksignal return value (value or -errno) as a `SysResult`.
fn from_ret(r: isize) -> SysResult {
    if r < 0 { Err(Errno(-r as i32)) } else { Ok(r as usize) }
}

/// Runs a ksignal system call as the current thread.
fn call(f: impl FnOnce(&KCaller<'_>) -> isize) -> SysResult {
    with_caller(f).map_or(Err(Errno::ESRCH), from_ret)
}

pub fn kill(pid: usize, sig: usize) -> SysResult {
    call(|c| ks::sys_kill(&Tasks, c, pid, sig))
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
/// saved in the frame at the user's sp, and cancels any restart block.
///
/// A forged or damaged frame forces SIGSEGV on the thread (fatal unless a
/// SIGSEGV handler can run), leaving what Linux restores before the failing
/// step (the registers, then the FP state, before the extension area is
/// checked); like Linux the call then returns 0.
pub fn rt_sigreturn(tf: &mut TrapFrame) -> SysResult {
    let thread = task::current();
    let signals = thread.signals().ok_or(Errno::ESRCH)?;
    thread.inner.lock().restart = None;
    let mut fp = FpImage::load(tf);
    let ret = ksignal::rt_sigreturn(&signals, tf, &mut fp, &KMem);
    fp.store(tf);
    match ret {
        Ok(a0) => Ok(a0 as usize),
        Err(_) => Ok(0),
    }
}
