//! The signal options of `prctl`: `PR_SET_PDEATHSIG` and `PR_GET_PDEATHSIG`
//! (kernel/sys.c's `prctl`, [rule 73]).
//!
//! [rule 73]: crate::docs::rules#rule-73

use super::{Caller, SyscallRet, encode};
use crate::errno::Errno;
use crate::signo::Signo;
use crate::uaccess::UserMemory;
use crate::wait::WaitQueue;
use linux_raw_sys::prctl::{PR_GET_PDEATHSIG, PR_SET_PDEATHSIG};
use lock_api::RawMutex;

/// `prctl(option, arg2, ...)` for the parent-death signal options ([rule 73]);
/// `None` for every other option, which is the kernel's own `prctl` to handle.
///
/// - `PR_SET_PDEATHSIG`: `arg2`, the whole register (Linux's `valid_signal` on an
///   `unsigned long`), must be 0 to 64, else EINVAL; 0 clears the signal. Returns 0.
/// - `PR_GET_PDEATHSIG`: writes the signal (0 if none) as an `int` at `arg2`
///   (EFAULT if it cannot). Returns 0.
///
/// `option` keeps its low 32 bits (an `int`). The other arguments are not looked
/// at for these options, as in Linux.
///
/// Context: process context, on the calling thread; never blocks.
///
/// [rule 73]: crate::docs::rules#rule-73
pub fn sys_prctl_pdeathsig<W: WaitQueue, R: RawMutex, M: UserMemory + ?Sized>(
    caller: &Caller<'_, W, R>,
    mem: &mut M,
    option: usize,
    arg2: usize,
) -> Option<SyscallRet> {
    let option = option as u32;
    if option == PR_SET_PDEATHSIG {
        Some(encode(|| {
            if arg2 > Signo::SIGRTMAX.get() as usize {
                return Err(Errno::EINVAL);
            }
            let sig = Signo::new(arg2 as u32).ok();
            caller.thread.set_pdeath_signal(sig);
            Ok(0)
        }))
    } else if option == PR_GET_PDEATHSIG {
        Some(encode(|| {
            let sig = caller.thread.pdeath_signal().map_or(0, |s| s.get() as i32);
            mem.write(arg2, &sig.to_ne_bytes())?;
            Ok(0)
        }))
    } else {
        None
    }
}
