//! `sigaltstack` (kernel/signal.c's `sys_sigaltstack`; [rule 37]).
//!
//! The per-thread alternate stack is a [`SignalStack`](crate::SignalStack) kept by the thread's
//! manager ([`ThreadSignalManager::altstack`](crate::ThreadSignalManager::altstack)),
//! where the delivery path ([`crate::do_signal`], [`crate::rt_sigreturn`]) finds it too.
//! The checks themselves are `SignalStack::sigaltstack`'s (`do_sigaltstack`);
//! this module adds the copies.
//!
//! [rule 37]: crate::docs::rules#rule-37

use super::{Caller, SyscallRet, encode};
use crate::errno::Errno;
use crate::stack::StackT;
use crate::thread::ThreadSignalManager;
use crate::uaccess::UserMemory;
use crate::wait::WaitQueue;
use lock_api::RawMutex;

/// `sigaltstack(uss, uoss)` ([rule 37]), for the calling thread, whose user stack
/// pointer at entry is `user_sp` (`current_user_stack_pointer()`).
///
/// Order: with `uss` non-NULL, copy the 24-byte `stack_t` in (EFAULT); then, with
/// a new stack: EPERM if the thread is running on its current alternate stack;
/// EINVAL unless the mode (`ss_flags` without `SS_AUTODISARM`) is 0, `SS_ONSTACK`
/// (accepted, same as 0) or `SS_DISABLE`; nothing to do if all three values equal
/// the stored ones; `SS_DISABLE` ignores `ss_sp` and `ss_size` (stores 0 and 0);
/// otherwise ENOMEM if `ss_size < MINSIGSTKSZ` of the caller's ABI. Only then,
/// with `uoss` non-NULL and no error, the old stack (flags `SS_DISABLE`,
/// `SS_ONSTACK` or 0, plus a stored `SS_AUTODISARM`) is copied out: EFAULT, with
/// the new stack already installed. On an error before that, nothing changes.
///
/// Context: process context, on the calling thread; never blocks.
///
/// [rule 37]: crate::docs::rules#rule-37
pub fn sys_sigaltstack<W: WaitQueue, R: RawMutex, M: UserMemory + ?Sized>(
    caller: &Caller<'_, W, R>,
    mem: &mut M,
    uss: usize,
    uoss: usize,
    user_sp: usize,
) -> SyscallRet {
    encode(|| {
        let ss = if uss != 0 {
            let mut b = [0u8; StackT::SIZE];
            mem.read(uss, &mut b)?;
            Some(StackT::from_bytes(&b))
        } else {
            None
        };
        let old = do_sigaltstack(caller.thread, ss, user_sp, caller.arch.min_sigstksz())?;
        if uoss != 0 {
            mem.write(uoss, &old.to_bytes())?;
        }
        Ok(0)
    })
}

/// `do_sigaltstack`: the thread's stack changes as `SignalStack::sigaltstack`
/// decides, and the old one is returned.
fn do_sigaltstack<W: WaitQueue, R: RawMutex>(
    thread: &ThreadSignalManager<W, R>,
    ss: Option<StackT>,
    user_sp: usize,
    min_size: usize,
) -> Result<StackT, Errno> {
    let mut stack = thread.altstack();
    let old = stack.sigaltstack(ss, user_sp, min_size)?;
    thread.set_altstack(stack);
    Ok(old)
}
