//! POSIX timers (timer_create, timer_settime, timer_gettime,
//! timer_getoverrun, timer_delete) on the kernel's tick timer.
//!
//! The clock is this kernel's: each timer's expiry time, interval and
//! whether it runs (`Clock`). The signal side is ksignal's `PosixTimer`:
//! the preallocated queue entry, SI_TIMER siginfo, overruns, stale signals
//! after timer_settime/timer_delete, SIGEV_THREAD_ID targets. As in Linux a
//! periodic timer is not restarted when it expires: ksignal calls
//! `Clock::rearm` when the signal is dequeued, which forwards it past now by
//! whole intervals (the count becomes `si_overrun`) and restarts it.
//!
//! Locks: the interrupt scan holds `TIMERS` and then takes a process's
//! signal lock (`PosixTimer::expire`); ksignal calls `rearm` with that
//! signal lock held, so `rearm` touches only the `Clock`'s atomics, never
//! `TIMERS`. Clocks: CLOCK_REALTIME, CLOCK_MONOTONIC and CLOCK_BOOTTIME are
//! all "time since boot" here (there is no wall clock).

use crate::errno::{Errno, SysResult};
use crate::mm::uaccess;
use crate::signal::{KMem, KWait, with_caller};
use crate::sync::Mutex;
use crate::task::{self, Process};
use crate::timer;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use core::time::Duration;
use ksignal::KspinRawMutex;
use ksignal::syscall::{self as ks, PosixTimerTable, ThreadVisitor, TimerVisitor};
use ksignal::{PosixTimer, TimerRearm, TimerStatus};

type SigTimer = PosixTimer<KWait, KspinRawMutex>;

/// `TIMER_ABSTIME` (timer_settime's flag).
const TIMER_ABSTIME: usize = 1;
const NSEC_PER_SEC: i64 = 1_000_000_000;

/// The clock side of one timer, shared by the interrupt scan and ksignal's
/// rearm call: atomics only, so neither needs the other's lock.
struct Clock {
    expires: AtomicU64,
    interval: AtomicU64,
    running: AtomicBool,
}

impl TimerRearm for Clock {
    /// Linux's `common_hrtimer_rearm`: forward past now, restart, return the
    /// intervals moved. Called by ksignal with the signal lock held.
    fn rearm(&self) -> u64 {
        let interval = self.interval.load(Ordering::Relaxed);
        if interval == 0 {
            return 0;
        }
        let n = forward(&self.expires, interval, timer::now());
        self.running.store(true, Ordering::Release);
        timer::arm_if_earlier(self.expires.load(Ordering::Relaxed));
        n
    }
}

/// `hrtimer_forward`: moves `expires` past `now` by whole `interval`s and
/// returns how many (0 if it is already in the future).
fn forward(expires: &AtomicU64, interval: u64, now: u64) -> u64 {
    let exp = expires.load(Ordering::Relaxed);
    if now < exp {
        return 0;
    }
    let n = (now - exp) / interval + 1;
    expires.store(exp.saturating_add(n.saturating_mul(interval)), Ordering::Relaxed);
    n
}

struct Entry {
    pid: usize,
    id: i32,
    clock: Arc<Clock>,
    timer: SigTimer,
}

static TIMERS: Mutex<Vec<Entry>> = Mutex::new(Vec::new());

/// The timer interrupt: every running timer whose time has come stops and
/// hands its signal to ksignal. Returns the earliest deadline still running.
/// Interrupt context: no allocation, the list is not resized here.
pub fn expire_due(now: u64) -> u64 {
    let mut earliest = u64::MAX;
    let timers = TIMERS.lock();
    for e in timers.iter() {
        if !e.clock.running.load(Ordering::Acquire) {
            continue;
        }
        let expires = e.clock.expires.load(Ordering::Relaxed);
        if expires <= now {
            // posix_timer_fn: HRTIMER_NORESTART; a periodic timer waits for
            // its signal's delivery to be rearmed.
            e.clock.running.store(false, Ordering::Relaxed);
            e.timer.expire();
        } else {
            earliest = earliest.min(expires);
        }
    }
    earliest
}

/// Whether some timer runs (the system is not idle for good).
pub fn any_running() -> bool {
    TIMERS.lock().iter().any(|e| e.clock.running.load(Ordering::Relaxed))
}

/// The process exits (`exit_itimers`): its timers go.
pub fn delete_all(pid: usize) {
    let gone: Vec<Entry> = {
        let mut timers = TIMERS.lock();
        let (gone, kept) = core::mem::take(&mut *timers).into_iter().partition(|e| e.pid == pid);
        *timers = kept;
        gone
    };
    drop(gone); // outside the lock: deleting takes the signal lock
}

/// The caller's process's timers, as ksignal's system-call layer sees them.
struct Table {
    process: Arc<Process>,
    reserved: Vec<i32>,
}

impl PosixTimerTable for Table {
    type Wait = KWait;
    type Lock = KspinRawMutex;

    /// REALTIME, MONOTONIC, BOOTTIME. The CPU-time clocks (2, 3 and the
    /// negative ones) have no timers here (Linux has them): EINVAL. Clocks
    /// that cannot have timers in Linux either (MONOTONIC_RAW, the COARSE
    /// ones): EOPNOTSUPP.
    fn check_clock(&self, clock: i32) -> Result<(), ksignal::Errno> {
        match clock {
            0 | 1 | 7 => Ok(()),
            4..=6 => Err(ksignal::Errno::EOPNOTSUPP),
            _ => Err(ksignal::Errno::EINVAL),
        }
    }

    fn alloc_id(&mut self) -> Result<i32, ksignal::Errno> {
        let timers = TIMERS.lock();
        let used = |id: i32| {
            self.reserved.contains(&id)
                || timers.iter().any(|e| e.pid == self.process.pid && e.id == id)
        };
        let id = (0..i32::MAX).find(|id| !used(*id)).ok_or(ksignal::Errno::EAGAIN)?;
        drop(timers);
        self.reserved.try_reserve(1).map_err(|_| ksignal::Errno::EAGAIN)?;
        self.reserved.push(id);
        Ok(id)
    }

    fn free_id(&mut self, id: i32) {
        self.reserved.retain(|i| *i != id);
    }

    fn find_thread(&self, tid: i32, f: &mut ThreadVisitor<'_, KWait, KspinRawMutex>) {
        let thread =
            usize::try_from(tid).ok().and_then(|tid| task::THREADS.lock().get(&tid).cloned());
        let signals =
            thread.filter(|t| t.process.pid == self.process.pid).and_then(|t| t.signals());
        f(signals.as_deref());
    }

    fn install(&mut self, id: i32, _clock: i32, timer: SigTimer) -> Result<(), ksignal::Errno> {
        self.free_id(id);
        let clock = Arc::new(Clock {
            expires: AtomicU64::new(0),
            interval: AtomicU64::new(0),
            running: AtomicBool::new(false),
        });
        timer.set_rearm(Some(clock.clone()));
        let mut timers = TIMERS.lock();
        timers.try_reserve(1).map_err(|_| ksignal::Errno::ENOMEM)?;
        timers.push(Entry { pid: self.process.pid, id, clock, timer });
        Ok(())
    }

    fn with_timer(
        &self,
        id: i32,
        f: &mut TimerVisitor<'_, KWait, KspinRawMutex>,
    ) -> Result<(), ksignal::Errno> {
        let timers = TIMERS.lock();
        let e = timers
            .iter()
            .find(|e| e.pid == self.process.pid && e.id == id)
            .ok_or(ksignal::Errno::EINVAL)?;
        f(&e.timer);
        Ok(())
    }

    fn remove(&mut self, id: i32) -> Option<SigTimer> {
        let mut timers = TIMERS.lock();
        let k = timers.iter().position(|e| e.pid == self.process.pid && e.id == id)?;
        let e = timers.remove(k);
        e.clock.running.store(false, Ordering::Relaxed);
        Some(e.timer)
    }
}

fn table() -> Table {
    Table { process: task::current_process(), reserved: Vec::new() }
}

fn from_ret(r: isize) -> SysResult {
    if r < 0 { Err(Errno(-r as i32)) } else { Ok(r as usize) }
}

pub fn timer_create(clock: usize, sevp: usize, idp: usize) -> SysResult {
    let mut t = table();
    with_caller(|c| ks::sys_timer_create(c, &mut KMem, &mut t, clock, sevp, idp))
        .map_or(Err(Errno::ESRCH), from_ret)
}

pub fn timer_getoverrun(id: usize) -> SysResult {
    from_ret(ks::sys_timer_getoverrun(&table(), id))
}

pub fn timer_delete(id: usize) -> SysResult {
    let mut t = table();
    let r = ks::sys_timer_delete(&mut t, id);
    from_ret(r)
}

#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

/// `struct itimerspec`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
struct Itimerspec {
    interval: Timespec,
    value: Timespec,
}

impl Timespec {
    /// `timespec64_valid`.
    fn valid(&self) -> bool {
        self.sec >= 0 && (0..NSEC_PER_SEC).contains(&self.nsec)
    }
    fn ticks(&self) -> u64 {
        timer::duration_to_ticks(Duration::new(self.sec as u64, self.nsec as u32))
    }
    fn from_ticks(t: u64) -> Timespec {
        let d = timer::ticks_to_duration(t);
        Timespec { sec: d.as_secs() as i64, nsec: d.subsec_nanos() as i64 }
    }
    fn is_zero(&self) -> bool {
        self.sec == 0 && self.nsec == 0
    }
}

/// `common_timer_get`: a waiting periodic timer is forwarded past now (the
/// intervals count as overruns); a timer whose time has come but whose
/// signal is not delivered yet reads 1 ns.
fn current_setting(e: &Entry) -> Itimerspec {
    let mut cur = Itimerspec::default();
    let iv = e.clock.interval.load(Ordering::Relaxed);
    let running = e.clock.running.load(Ordering::Acquire);
    if iv != 0 {
        cur.interval = Timespec::from_ticks(iv);
    } else if !running {
        return cur;
    }
    let now = timer::now();
    if iv != 0 && !running && e.timer.status() == TimerStatus::RequeuePending {
        let n = forward(&e.clock.expires, iv, now);
        e.timer.add_overrun(n);
    }
    let expires = e.clock.expires.load(Ordering::Relaxed);
    if expires <= now {
        cur.value.nsec = 1;
    } else {
        cur.value = Timespec::from_ticks(expires - now);
    }
    cur
}

pub fn timer_gettime(id: usize, setting: usize) -> SysResult {
    let id = id as u32 as i32;
    let pid = task::current_process().pid;
    let cur = {
        let timers = TIMERS.lock();
        let e = timers.iter().find(|e| e.pid == pid && e.id == id).ok_or(Errno::EINVAL)?;
        current_setting(e)
    };
    uaccess::write_user(setting, &cur)?;
    Ok(0)
}

pub fn timer_settime(id: usize, flags: usize, new: usize, old: usize) -> SysResult {
    let id = id as u32 as i32;
    if new == 0 {
        return Err(Errno::EINVAL);
    }
    let spec: Itimerspec = uaccess::read_user(new)?;
    if !spec.interval.valid() || !spec.value.valid() {
        return Err(Errno::EINVAL);
    }
    let pid = task::current_process().pid;
    let (previous, deadline) = {
        let timers = TIMERS.lock();
        let e = timers.iter().find(|e| e.pid == pid && e.id == id).ok_or(Errno::EINVAL)?;
        let previous = current_setting(e);
        e.clock.running.store(false, Ordering::Relaxed);
        let armed = !spec.value.is_zero();
        let interval = if armed { spec.interval.ticks() } else { 0 };
        e.clock.interval.store(interval, Ordering::Relaxed);
        e.timer.set(armed, interval != 0);
        let mut deadline = None;
        if armed {
            let value = spec.value.ticks();
            let expires =
                if flags & TIMER_ABSTIME != 0 { value } else { timer::now().saturating_add(value) };
            e.clock.expires.store(expires, Ordering::Relaxed);
            e.clock.running.store(true, Ordering::Release);
            deadline = Some(expires);
        }
        (previous, deadline)
    };
    if let Some(d) = deadline {
        timer::arm_if_earlier(d);
    }
    // As in Linux, an unwritable `old` fails with EFAULT after the change.
    if old != 0 {
        uaccess::write_user(old, &previous)?;
    }
    Ok(0)
}
