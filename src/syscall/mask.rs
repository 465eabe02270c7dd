//! The signal mask and waiting for any signal: `rt_sigprocmask`, `rt_sigpending`,
//! `rt_sigsuspend` and `pause` (kernel/signal.c's `sys_rt_sigprocmask`,
//! `do_sigpending`, `sys_rt_sigpending`, `sigsuspend`, `sys_pause`).

use super::{
    Caller, SIGSET_SIZE, SigsetSize, SyscallRet, arg_int, check_sigsetsize, encode, read_sigset,
    write_sigset,
};
use crate::errno::Errno;
use crate::set::SignalSet;
use crate::thread::{MaskHow, ThreadSignalManager};
use crate::uaccess::UserMemory;
use crate::wait::WaitQueue;
use lock_api::RawMutex;

/// `rt_sigprocmask(how, nset, oset, sigsetsize)` ([rule 31], [rule 32]).
///
/// Order: EINVAL if `sigsetsize != 8`; the old mask is taken; with `nset`
/// non-NULL: copy in (EFAULT), SIGKILL and SIGSTOP silently dropped, then EINVAL
/// for a `how` other than `SIG_BLOCK`, `SIG_UNBLOCK`, `SIG_SETMASK` (so a bad `how`
/// is accepted when `nset` is NULL, and a bad `nset` pointer wins over a bad `how`),
/// then the mask changes (a newly blocked shared signal is handed to another thread);
/// with `oset` non-NULL: the old mask copied out, EFAULT *after* the mask changed.
///
/// Context: process context, on the calling thread; never blocks.
///
/// [rule 31]: crate::docs::rules#rule-31
/// [rule 32]: crate::docs::rules#rule-32
pub fn sys_rt_sigprocmask<W: WaitQueue, R: RawMutex, M: UserMemory + ?Sized>(
    caller: &Caller<'_, W, R>,
    mem: &mut M,
    how: usize,
    nset: usize,
    oset: usize,
    sigsetsize: usize,
) -> SyscallRet {
    let how = arg_int(how);
    encode(|| {
        check_sigsetsize(sigsetsize, SigsetSize::Exact)?;
        let old = caller.thread.blocked();
        if nset != 0 {
            let set = read_sigset(mem, nset)?;
            do_rt_sigprocmask(caller.thread, how, set)?;
        }
        if oset != 0 {
            write_sigset(mem, oset, old, SIGSET_SIZE)?;
        }
        Ok(0)
    })
}

/// `sigprocmask` on the calling thread with a copied-in set: SIGKILL and SIGSTOP
/// dropped, then EINVAL for an unknown `how`, then the change.
fn do_rt_sigprocmask<W: WaitQueue, R: RawMutex>(
    thread: &ThreadSignalManager<W, R>,
    how: i32,
    set: SignalSet,
) -> Result<(), Errno> {
    let set = set.without_unblockable();
    // `how` is an `int`; a negative one must not alias a valid value.
    let how = u64::try_from(how).ok().and_then(MaskHow::from_raw);
    let how = how.ok_or(Errno::EINVAL)?;
    thread.sigprocmask(how, set);
    Ok(())
}

/// `rt_sigpending(uset, sigsetsize)` ([rule 33]): the signals pending for the thread
/// or its process that it blocks.
///
/// Linux accepts any `sigsetsize` up to 8 and copies that many bytes of the set
/// (none for 0, so `rt_sigpending(NULL, 0)` succeeds); EINVAL above 8; EFAULT if
/// the copy faults.
///
/// Context: process context, on the calling thread; never blocks.
///
/// [rule 33]: crate::docs::rules#rule-33
pub fn sys_rt_sigpending<W: WaitQueue, R: RawMutex, M: UserMemory + ?Sized>(
    caller: &Caller<'_, W, R>,
    mem: &mut M,
    uset: usize,
    sigsetsize: usize,
) -> SyscallRet {
    encode(|| {
        check_sigsetsize(sigsetsize, SigsetSize::UpTo)?;
        let set = caller.thread.sigpending();
        write_sigset(mem, uset, set, sigsetsize)?;
        Ok(0)
    })
}

/// `rt_sigsuspend(unewset, sigsetsize)` ([rule 36]): EINVAL if `sigsetsize != 8`;
/// EFAULT if the set cannot be copied in (`unewset` is not checked for NULL);
/// otherwise replaces the mask (SIGKILL and SIGSTOP left out), sleeps until a signal
/// is deliverable and returns `-ERESTARTNOHAND` (-514). The old mask comes back when
/// the handler returns (it is saved in the frame) or, if no handler runs, at once on
/// the way out; the kernel's restart logic turns -514 into EINTR when a handler
/// runs and restarts the call otherwise.
///
/// Context: process context, on the calling thread; blocks on the thread's wait
/// queue.
///
/// [rule 36]: crate::docs::rules#rule-36
pub fn sys_rt_sigsuspend<W: WaitQueue, R: RawMutex, M: UserMemory + ?Sized>(
    caller: &Caller<'_, W, R>,
    mem: &M,
    unewset: usize,
    sigsetsize: usize,
) -> SyscallRet {
    encode(|| {
        check_sigsetsize(sigsetsize, SigsetSize::Exact)?;
        let set = read_sigset(mem, unewset)?;
        Err(caller.thread.sigsuspend(set))
    })
}

/// `pause()`: sleeps until a signal is deliverable; returns `-ERESTARTNOHAND`
/// (-514) for the kernel's restart logic (EINTR to user space once a handler ran).
///
/// Context: process context, on the calling thread; blocks on the thread's wait
/// queue.
pub fn sys_pause<W: WaitQueue, R: RawMutex>(caller: &Caller<'_, W, R>) -> SyscallRet {
    encode(|| Err(caller.thread.pause()))
}
