//! `rt_sigtimedwait` (kernel/signal.c's `sys_rt_sigtimedwait`, `do_sigtimedwait`).

use super::{
    Caller, SigsetSize, SyscallRet, check_sigsetsize, copy_siginfo_to_user, encode, read_sigset,
};
use crate::errno::Errno;
use crate::info::SignalInfo;
use crate::uaccess::UserMemory;
use crate::wait::WaitQueue;
use core::time::Duration;
use lock_api::RawMutex;

/// Size of `struct __kernel_timespec`: `tv_sec` and `tv_nsec`, both 64-bit.
pub(crate) const TIMESPEC_SIZE: usize = 16;

const NSEC_PER_SEC: u64 = 1_000_000_000;
/// `KTIME_SEC_MAX`: seconds at which a `ktime_t` saturates to `KTIME_MAX`, which
/// `schedule_hrtimeout_range` treats as no timeout at all.
const KTIME_SEC_MAX: i64 = i64::MAX / NSEC_PER_SEC as i64;

/// Decodes a user `struct __kernel_timespec` as `get_timespec64` and
/// `timespec64_valid` do: EINVAL if `tv_sec < 0` or `tv_nsec` is not in
/// `0..1_000_000_000`. `Ok(None)` for a timeout so long that Linux saturates it to
/// `KTIME_MAX` and waits without a limit.
///
/// Context: any, interrupt context included: a pure function of its arguments (no lock,
/// no allocation).
pub(crate) fn timespec_timeout(bytes: &[u8; TIMESPEC_SIZE]) -> Result<Option<Duration>, Errno> {
    let mut sec = [0u8; 8];
    let mut nsec = [0u8; 8];
    sec.copy_from_slice(&bytes[..8]);
    nsec.copy_from_slice(&bytes[8..]);
    let (sec, nsec) = (i64::from_ne_bytes(sec), u64::from_ne_bytes(nsec));
    if sec < 0 || nsec >= NSEC_PER_SEC {
        return Err(Errno::EINVAL);
    }
    if sec >= KTIME_SEC_MAX {
        return Ok(None);
    }
    Ok(Some(Duration::new(sec as u64, nsec as u32)))
}

/// `rt_sigtimedwait(uthese, uinfo, uts, sigsetsize)` ([rule 34], [rule 35]).
///
/// Order: EINVAL if `sigsetsize != 8`; copy the set in (EFAULT); with `uts`
/// non-NULL, copy the timespec in (EFAULT) and validate it (EINVAL if `tv_sec < 0`
/// or `tv_nsec` outside `0..1e9`) *before* anything is dequeued; then a signal of
/// the set (SIGKILL and SIGSTOP left out) is taken whatever the mask and
/// disposition, at once if one is pending; otherwise EAGAIN at once for a zero
/// timeout, else the thread sleeps with the set unblocked (the old mask kept as
/// `real_blocked`) until one arrives (its number is returned), the timeout expires
/// (EAGAIN) or another signal becomes deliverable (EINTR; Linux returns EINTR, not
/// a restart code). With `uinfo` non-NULL the siginfo is copied out (48 bytes, then
/// 80 zero bytes); if that faults the result is EFAULT, *after* the signal was
/// consumed (Linux does not put it back).
///
/// Context: process context, on the calling thread; blocks on the thread's wait
/// queue for up to the timeout (forever without `uts`).
///
/// [rule 34]: crate::docs::rules#rule-34
/// [rule 35]: crate::docs::rules#rule-35
pub fn sys_rt_sigtimedwait<W: WaitQueue, R: RawMutex, M: UserMemory + ?Sized>(
    caller: &Caller<'_, W, R>,
    mem: &mut M,
    uthese: usize,
    uinfo: usize,
    uts: usize,
    sigsetsize: usize,
) -> SyscallRet {
    encode(|| {
        check_sigsetsize(sigsetsize, SigsetSize::Exact)?;
        let these = read_sigset(mem, uthese)?;
        let timeout = if uts != 0 {
            read_timespec(mem, uts)?
        } else {
            None
        };
        let mut info = SignalInfo::ZERO;
        let sig = caller.thread.sigtimedwait_into(these, timeout, &mut info)?;
        if uinfo != 0 {
            copy_siginfo_to_user(mem, uinfo, &info)?;
        }
        Ok(sig.get() as usize)
    })
}

/// `get_timespec64`: copies in a `struct __kernel_timespec` (EFAULT), then
/// [`timespec_timeout`] (EINVAL).
fn read_timespec<M: UserMemory + ?Sized>(mem: &M, addr: usize) -> Result<Option<Duration>, Errno> {
    let mut b = [0u8; TIMESPEC_SIZE];
    mem.read(addr, &mut b)?;
    timespec_timeout(&b)
}
