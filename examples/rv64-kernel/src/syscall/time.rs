//! Time syscalls: nanosleep (interruptible, restartable), clock_gettime,
//! restart_syscall (Linux's way to resume an interrupted nanosleep), and
//! getitimer/setitimer (ITIMER_REAL only: SIGALRM from the timer interrupt).

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

/// `struct timeval` on riscv64.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct Timeval {
    tv_sec: i64,
    tv_usec: i64,
}

/// `struct itimerval`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct Itimerval {
    interval: Timeval,
    value: Timeval,
}

const TICKS_PER_USEC: u64 = timer::TICKS_PER_SEC / 1_000_000;

impl Timeval {
    /// Ticks, or EINVAL for a negative or non-normalised value (Linux's
    /// `timeval_valid`).
    fn to_ticks(self) -> Result<u64, Errno> {
        if self.tv_sec < 0 || !(0..1_000_000).contains(&self.tv_usec) {
            return Err(Errno::EINVAL);
        }
        let usec = (self.tv_sec as u64).saturating_mul(1_000_000).saturating_add(self.tv_usec as u64);
        Ok(usec.saturating_mul(TICKS_PER_USEC))
    }

    /// Rounded up to whole microseconds, so an armed timer never reads 0.
    fn from_ticks(ticks: u64) -> Timeval {
        let usec = ticks.div_ceil(TICKS_PER_USEC);
        Timeval { tv_sec: (usec / 1_000_000) as i64, tv_usec: (usec % 1_000_000) as i64 }
    }
}

fn itimerval((left, interval): (u64, u64)) -> Itimerval {
    Itimerval { interval: Timeval::from_ticks(interval), value: Timeval::from_ticks(left) }
}

/// `which` as ksignal reads it (EINVAL for anything but ITIMER_REAL,
/// ITIMER_VIRTUAL, ITIMER_PROF, as in Linux). Only ITIMER_REAL exists here:
/// ITIMER_VIRTUAL and ITIMER_PROF need CPU-time accounting, which this
/// kernel does not do, so they fail with EINVAL too (Linux supports them).
/// The expiry's signal is ksignal's (`Itimer::Real`: SIGALRM, SI_KERNEL).
fn check_which(which: usize) -> Result<(), Errno> {
    match ksignal::Itimer::from_raw(which as u32 as i32) {
        Ok(ksignal::Itimer::Real) => Ok(()),
        Ok(ksignal::Itimer::Virtual | ksignal::Itimer::Prof) | Err(_) => Err(Errno::EINVAL),
    }
}

pub fn getitimer(which: usize, curr: usize) -> SysResult {
    check_which(which)?;
    let value = itimerval(timer::get_alarm(task::current_process().pid));
    uaccess::write_user(curr, &value)?;
    Ok(0)
}

/// setitimer(ITIMER_REAL, new, old): SIGALRM after `new.value`, then every
/// `new.interval`; a zero value disarms. A NULL `new` disarms too (Linux
/// accepts it, with a deprecation warning). Not inherited by fork children.
pub fn setitimer(which: usize, new: usize, old: usize) -> SysResult {
    check_which(which)?;
    let new: Itimerval = if new == 0 { Itimerval::default() } else { uaccess::read_user(new)? };
    let value = new.value.to_ticks()?;
    let interval = new.interval.to_ticks()?;
    // As in Linux, an unwritable `old` fails with EFAULT after the change.
    let previous = timer::set_alarm(&task::current_process(), value, interval)?;
    if old != 0 {
        uaccess::write_user(old, &itimerval(previous))?;
    }
    Ok(0)
}
