//! Time syscalls: nanosleep and clock_nanosleep (interruptible, resumed
//! through ksignal's restart block), clock_gettime, restart_syscall
//! (ksignal's `sys_restart_syscall`), and getitimer/setitimer (ITIMER_REAL
//! only: SIGALRM from the timer interrupt).

use crate::errno::{Errno, SysResult};
use crate::mm::uaccess;
use crate::sched::{self, WakeReason};
use crate::signal::{KMem, SigThread};
use crate::task;
use crate::timer;
use core::time::Duration;
use ksignal::syscall as ks;
use ksignal::{
    FutexRestart, NanosleepRestart, PollRestart, RestartBlock, RestartHandler, SleepMode, TimeType,
};

/// CLOCK_MONOTONIC and TIMER_ABSTIME (include/uapi/linux/time.h).
const CLOCK_MONOTONIC: i32 = 1;
const TIMER_ABSTIME: u32 = 1;

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

    /// EINVAL unless valid (Linux's `timespec64_valid`).
    fn to_duration(self) -> Result<Duration, Errno> {
        if self.tv_sec < 0 || !(0..1_000_000_000).contains(&self.tv_nsec) {
            return Err(Errno::EINVAL);
        }
        Ok(Duration::new(self.tv_sec as u64, self.tv_nsec as u32))
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
    let d = ts.to_duration()?;
    let signals = task::current().signals().ok_or(Errno::ESRCH)?;
    // Linux's nanosleep: "no restart" first, then a relative sleep on
    // CLOCK_MONOTONIC that reports the time left in `rem` if it has one.
    signals.set_restart_block(RestartBlock::None);
    let sleep = NanosleepRestart {
        clockid: CLOCK_MONOTONIC,
        expires: ticks_to_ns(timer::now().saturating_add(timer::duration_to_ticks(d))),
        rmtp: rem,
        time_type: if rem != 0 { TimeType::Native } else { TimeType::None },
    };
    from_ret(sleep_until(&signals, sleep, SleepMode::Relative))
}

/// clock_nanosleep(2) on the clocks `clock_gettime` knows (all "time since
/// boot" here). With TIMER_ABSTIME `rqtp` is the deadline itself, `rmtp` is
/// ignored, and an interrupted sleep restarts whole (-ERESTARTNOHAND);
/// otherwise it is `nanosleep` on that clock.
pub fn clock_nanosleep(clock: usize, flags: usize, req: usize, rem: usize) -> SysResult {
    let clockid = clock as u32 as i32;
    match clockid {
        // REALTIME, MONOTONIC, BOOTTIME.
        0 | 1 | 7 => {}
        // MONOTONIC_RAW and the coarse clocks have no nsleep in Linux.
        4..=6 => return Err(Errno::EOPNOTSUPP),
        // Unknown here (Linux also sleeps on the CPU-time and TAI clocks).
        _ => return Err(Errno::EINVAL),
    }
    let ts: Timespec = uaccess::read_user(req)?;
    let d = ts.to_duration()?;
    let signals = task::current().signals().ok_or(Errno::ESRCH)?;
    signals.set_restart_block(RestartBlock::None);
    let absolute = flags as u32 & TIMER_ABSTIME != 0;
    let now = timer::now();
    let (expires, mode, rem) = if absolute {
        (timer::duration_to_ticks(d), SleepMode::Absolute, 0)
    } else {
        (now.saturating_add(timer::duration_to_ticks(d)), SleepMode::Relative, rem)
    };
    let sleep = NanosleepRestart {
        clockid,
        expires: ticks_to_ns(expires),
        rmtp: rem,
        time_type: if rem != 0 { TimeType::Native } else { TimeType::None },
    };
    from_ret(sleep_until(&signals, sleep, mode))
}

/// Sleeps until `sleep.expires`. Woken early by a signal, ksignal's
/// `nanosleep_interrupted` writes the time left to `rmtp` and stores the
/// sleep as the thread's restart block (-ERESTART_RESTARTBLOCK): if no
/// handler runs, the thread re-enters through restart_syscall and sleeps on
/// to the *same* deadline; if one runs, the caller sees EINTR.
fn sleep_until(signals: &SigThread, sleep: NanosleepRestart, mode: SleepMode) -> isize {
    let deadline = ns_to_ticks(sleep.expires);
    match sched::block_current(None, Some(deadline), &|| false) {
        WakeReason::TimedOut | WakeReason::Woken => 0,
        WakeReason::Interrupted => {
            let now = ticks_to_ns(timer::now());
            ksignal::nanosleep_interrupted(signals, &mut KMem, sleep, now, mode)
        }
    }
}

/// This kernel's side of restart_syscall: the only calls that leave a
/// restart block here are nanosleep and clock_nanosleep.
struct Resume<'a> {
    signals: &'a SigThread,
}

impl RestartHandler for Resume<'_> {
    fn nanosleep(&mut self, sleep: &NanosleepRestart) -> isize {
        sleep_until(self.signals, *sleep, SleepMode::Relative)
    }

    /// This kernel has no futex (nothing stores such a block): as with no
    /// block at all, EINTR.
    fn futex_wait(&mut self, _: &FutexRestart) -> isize {
        -(Errno::EINTR.0 as isize)
    }

    /// This kernel has no poll (nothing stores such a block): EINTR.
    fn poll(&mut self, _: &PollRestart) -> isize {
        -(Errno::EINTR.0 as isize)
    }
}

/// restart_syscall(2): ksignal's `sys_restart_syscall` continues whatever
/// the thread's restart block describes (EINTR if none).
pub fn restart_syscall() -> SysResult {
    let signals = task::current().signals().ok_or(Errno::ESRCH)?;
    super::signal::call(|c| ks::sys_restart_syscall(c, &mut Resume { signals: &signals }))
}

/// ksignal's times are nanoseconds; this kernel's clock counts ticks.
fn ticks_to_ns(ticks: u64) -> u64 {
    ticks.saturating_mul(timer::NANOS_PER_TICK)
}

/// Rounded up, so a sleep never ends early.
fn ns_to_ticks(ns: u64) -> u64 {
    ns.div_ceil(timer::NANOS_PER_TICK)
}

fn from_ret(r: isize) -> SysResult {
    if r < 0 { Err(Errno(-r as i32)) } else { Ok(r as usize) }
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
        let usec =
            (self.tv_sec as u64).saturating_mul(1_000_000).saturating_add(self.tv_usec as u64);
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
