//! Time syscalls: nanosleep (interruptible, restartable), clock_gettime,
//! and restart_syscall (Linux's way to resume an interrupted nanosleep).

use crate::errno::{Errno, SysResult};
use crate::mm::uaccess;
use crate::sched::{self, WakeReason};
use crate::task::{self, RestartBlock};
use crate::timer;
use core::time::Duration;

/// `struct timespec` on riscv64.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct Timespec {
    tv_sec: i64,
    tv_nsec: i64,
}

impl Timespec {
    fn from_duration(d: Duration) -> Self {
        Timespec { tv_sec: d.as_secs() as i64, tv_nsec: d.subsec_nanos() as i64 }
    }
}

pub fn clock_gettime(clock: usize, tp: usize) -> SysResult {
    // REALTIME, MONOTONIC, MONOTONIC_RAW, REALTIME_COARSE, MONOTONIC_COARSE,
    // BOOTTIME: all "time since boot" here (there is no wall clock).
    if !matches!(clock, 0 | 1 | 4 | 5 | 6 | 7) {
        return Err(Errno::EINVAL);
    }
    uaccess::write_user(tp, &Timespec::from_duration(timer::ticks_to_duration(timer::now())))?;
    Ok(0)
}

pub fn nanosleep(req: usize, rem: usize) -> SysResult {
    let ts: Timespec = uaccess::read_user(req)?;
    if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
        return Err(Errno::EINVAL);
    }
    let d = Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
    let deadline = timer::now().saturating_add(timer::duration_to_ticks(d));
    sleep_until(deadline, rem)
}

/// Sleeps until `deadline`. If interrupted: stores the time left in `rem`
/// and returns ERESTART_RESTARTBLOCK with a restart block, so that if no
/// handler runs the sleep transparently continues to the *same* deadline,
/// and if one runs the caller sees EINTR.
fn sleep_until(deadline: u64, rem: usize) -> SysResult {
    match sched::block_current(None, Some(deadline), &|| false) {
        WakeReason::TimedOut | WakeReason::Woken => Ok(0),
        WakeReason::Interrupted => {
            if rem != 0 {
                let left = timer::ticks_to_duration(deadline.saturating_sub(timer::now()));
                uaccess::write_user(rem, &Timespec::from_duration(left))?;
            }
            task::current().inner.lock().restart = Some(RestartBlock::Nanosleep { deadline, rem });
            Err(Errno::ERESTART_RESTARTBLOCK)
        }
    }
}

/// restart_syscall(2): continues whatever the restart block describes.
pub fn restart_syscall() -> SysResult {
    let restart = task::current().inner.lock().restart.take();
    match restart {
        Some(RestartBlock::Nanosleep { deadline, rem }) => sleep_until(deadline, rem),
        None => Err(Errno::EINTR),
    }
}
