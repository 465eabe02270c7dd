//! `rt_sigaction` (kernel/signal.c's `sys_rt_sigaction`, `do_sigaction`).

use super::{Caller, SIGSET_SIZE, SyscallRet, arg_int, ret};
use crate::action::SignalAction;
use crate::errno::Errno;
use crate::signo::Signo;
use crate::uaccess::UserMemory;
use crate::wait::WaitQueue;
use lock_api::RawMutex;

/// `rt_sigaction(sig, act, oact, sigsetsize)` ([rule 29], [rule 30]).
///
/// Order, as in Linux:
/// 1. EINVAL if `sigsetsize != 8`;
/// 2. with `act` non-NULL, copy the kernel `struct sigaction` in (32 bytes on
///    x86_64 and arm64, 24 where there is no `sa_restorer`): EFAULT. This comes
///    *before* the signal number is checked, so a bad `act` with signal 65 is EFAULT;
/// 3. EINVAL if `sig` is not 1..=64, or if `act` is given for SIGKILL or SIGSTOP
///    (even to set SIG_DFL); querying them works;
/// 4. the old action is taken and the new one installed: unknown `sa_flags` bits
///    are cleared in what is stored and in what is read back, SIGKILL and SIGSTOP
///    leave `sa_mask`, and SIG_IGN (or SIG_DFL for a default-ignore signal) discards
///    the signal from every queue, blocked or not (POSIX 3.3.1.3);
/// 5. with `oact` non-NULL, the old action is copied out: EFAULT *after* the new
///    action was installed (Linux does not undo it).
///
/// Context: process context; never blocks.
///
/// [rule 29]: crate::docs::rules#rule-29
/// [rule 30]: crate::docs::rules#rule-30
pub fn sys_rt_sigaction<W: WaitQueue, R: RawMutex, M: UserMemory + ?Sized>(
    caller: &Caller<'_, W, R>,
    mem: &mut M,
    sig: usize,
    act: usize,
    oact: usize,
    sigsetsize: usize,
) -> SyscallRet {
    ret(rt_sigaction(caller, mem, arg_int(sig), act, oact, sigsetsize).map(|()| 0))
}

fn rt_sigaction<W: WaitQueue, R: RawMutex, M: UserMemory + ?Sized>(
    caller: &Caller<'_, W, R>,
    mem: &mut M,
    sig: i32,
    act: usize,
    oact: usize,
    sigsetsize: usize,
) -> Result<(), Errno> {
    if sigsetsize != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let size = caller.arch.sigaction_size();
    let mut buf = [0u8; 32];
    let new = if act != 0 {
        let bytes = buf.get_mut(..size).ok_or(Errno::EINVAL)?;
        mem.read(act, bytes)?;
        Some(SignalAction::from_user_bytes(bytes, caller.arch).ok_or(Errno::EINVAL)?)
    } else {
        None
    };
    let sig = Signo::from_raw(sig as i64).map_err(|_| Errno::EINVAL)?;
    let old = caller.process().sigaction(sig, new)?;
    if oact != 0 {
        let mut out = [0u8; 32];
        let n = old
            .write_user_bytes(&mut out, caller.arch)
            .ok_or(Errno::EINVAL)?;
        mem.write(oact, &out[..n])?;
    }
    Ok(())
}
