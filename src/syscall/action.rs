//! `rt_sigaction` (kernel/signal.c's `sys_rt_sigaction`, `do_sigaction`).

use super::{Caller, SigsetSize, SyscallRet, arg_int, check_sigsetsize, encode};
use crate::action::SignalAction;
use crate::arch::Arch;
use crate::errno::Errno;
use crate::process::ProcessSignalManager;
use crate::signo::Signo;
use crate::uaccess::UserMemory;
use crate::wait::WaitQueue;
use lock_api::RawMutex;

/// The largest kernel `struct sigaction` of any supported ABI.
const SIGACTION_MAX: usize = 32;

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
    let sig = arg_int(sig);
    encode(|| {
        check_sigsetsize(sigsetsize, SigsetSize::Exact)?;
        let new = if act != 0 {
            Some(read_sigaction(mem, act, caller.arch)?)
        } else {
            None
        };
        let old = do_sigaction(caller.process(), sig, new)?;
        if oact != 0 {
            write_sigaction(mem, oact, &old, caller.arch)?;
        }
        Ok(0)
    })
}

/// `do_sigaction`: EINVAL for a signal number outside 1..=64, then the manager's
/// [`ProcessSignalManager::sigaction`] (EINVAL for changing SIGKILL or SIGSTOP).
fn do_sigaction<W: WaitQueue, R: RawMutex>(
    process: &ProcessSignalManager<W, R>,
    sig: i32,
    new: Option<SignalAction>,
) -> Result<SignalAction, Errno> {
    let sig = Signo::from_raw(sig as i64).map_err(|_| Errno::EINVAL)?;
    process.sigaction(sig, new)
}

/// Copies in the kernel `struct sigaction` of `arch` (EFAULT).
fn read_sigaction<M: UserMemory + ?Sized>(
    mem: &M,
    addr: usize,
    arch: Arch,
) -> Result<SignalAction, Errno> {
    let mut buf = [0u8; SIGACTION_MAX];
    let bytes = buf.get_mut(..arch.sigaction_size()).ok_or(Errno::EINVAL)?;
    mem.read(addr, bytes)?;
    SignalAction::from_user_bytes(bytes, arch).ok_or(Errno::EINVAL)
}

/// Copies out `action` as the kernel `struct sigaction` of `arch` (EFAULT).
fn write_sigaction<M: UserMemory + ?Sized>(
    mem: &mut M,
    addr: usize,
    action: &SignalAction,
    arch: Arch,
) -> Result<(), Errno> {
    let mut out = [0u8; SIGACTION_MAX];
    let n = action
        .write_user_bytes(&mut out, arch)
        .ok_or(Errno::EINVAL)?;
    mem.write(addr, &out[..n])
}
