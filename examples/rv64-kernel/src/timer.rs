//! Time: the `time` CSR, the preemption tick, and timed sleeps.
//!
//! Every hart has its own hardware timer (armed through SBI for the calling
//! hart). Each is programmed for the earlier of "this hart's next
//! preemption tick" and "earliest sleeper deadline" (as known when it was
//! armed), so timed sleeps end on time instead of at the next tick. The
//! sleeper list is shared: whichever hart's timer fires first wakes every
//! expired sleeper, wherever it will run. The same goes for the processes'
//! ITIMER_REAL timers (setitimer), whose SIGALRM is sent from the timer
//! interrupt, possibly interrupting kernel code on that hart.

use crate::errno::Errno;
use crate::sched;
use crate::smp::{MAX_HARTS, hart_id};
use crate::sync::Mutex;
use crate::task::{Process, Thread};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::arch::asm;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use core::time::Duration;

/// QEMU virt's timebase (device tree `timebase-frequency`): 10 MHz.
pub const TICKS_PER_SEC: u64 = 10_000_000;
pub const NANOS_PER_TICK: u64 = 1_000_000_000 / TICKS_PER_SEC;
/// Preemption quantum: 10 ms.
const QUANTUM: u64 = TICKS_PER_SEC / 100;

const SIE_STIE: usize = 1 << 5;

/// A thread sleeping with a deadline. `seq` identifies the particular sleep
/// (see `sched::block_current`) so a stale entry can never wake a later one.
struct Sleeper {
    deadline: u64,
    seq: u64,
    thread: Arc<Thread>,
}

static SLEEPERS: Mutex<Vec<Sleeper>> = Mutex::new(Vec::new());
/// When each hart's hardware timer will fire next.
static ARMED_FOR: [AtomicU64; MAX_HARTS] = [const { AtomicU64::new(u64::MAX) }; MAX_HARTS];

/// Current time in ticks since boot.
pub fn now() -> u64 {
    let t: u64;
    // SAFETY: reading the time CSR has no side effects.
    unsafe { asm!("rdtime {0}", out(reg) t) };
    t
}

pub fn ticks_to_duration(ticks: u64) -> Duration {
    Duration::new(ticks / TICKS_PER_SEC, ((ticks % TICKS_PER_SEC) * NANOS_PER_TICK) as u32)
}

/// Rounded up, so a sleep never ends early.
pub fn duration_to_ticks(d: Duration) -> u64 {
    let ticks = d.as_nanos().div_ceil(NANOS_PER_TICK as u128);
    u64::try_from(ticks).unwrap_or(u64::MAX)
}

/// Enables this hart's timer interrupt and arms its first tick. Every hart
/// calls it once.
pub fn init() {
    // SAFETY: enabling the supervisor timer interrupt source in `sie`.
    unsafe { asm!("csrs sie, {0}", in(reg) SIE_STIE) };
    arm(now() + QUANTUM);
}

/// Arms this hart's timer.
fn arm(deadline: u64) {
    ARMED_FOR[hart_id()].store(deadline, Ordering::Relaxed);
    crate::sbi::set_timer(deadline);
}

/// Arms this hart's timer for `deadline` if that is earlier than what it
/// waits for (a timer rearmed at signal delivery, or set by timer_settime).
pub fn arm_if_earlier(deadline: u64) {
    if deadline < ARMED_FOR[hart_id()].load(Ordering::Relaxed) {
        arm(deadline);
    }
}

/// Registers a timed sleep and re-arms the timer if it is the earliest.
pub fn add_sleeper(deadline: u64, seq: u64, thread: Arc<Thread>) {
    SLEEPERS.lock().push(Sleeper { deadline, seq, thread });
    if deadline < ARMED_FOR[hart_id()].load(Ordering::Relaxed) {
        arm(deadline);
    }
}

/// Forgets a sleep that ended some other way (woken, interrupted).
pub fn remove_sleeper(tid: usize, seq: u64) {
    SLEEPERS.lock().retain(|s| !(s.thread.tid == tid && s.seq == seq));
}

/// The clock of a process's ITIMER_REAL, shared by the interrupt scan and
/// ksignal's rearm call (atomics only: ksignal calls `rearm` with the
/// process's signal lock held, while the interrupt holds `ALARMS` and then
/// takes that signal lock to send SIGALRM).
struct AlarmClock {
    expires: AtomicU64,
    interval: AtomicU64,
    running: AtomicBool,
}

impl ksignal::TimerRearm for AlarmClock {
    /// Linux's `posixtimer_rearm_itimer`, which ksignal calls when SIGALRM
    /// is dequeued from the shared queue: a periodic timer that expired (and
    /// so stopped) restarts at its next period after now.
    fn rearm(&self) -> u64 {
        let interval = self.interval.load(Ordering::Relaxed);
        if self.running.load(Ordering::Acquire) || interval == 0 {
            return 0;
        }
        let now = now();
        let exp = self.expires.load(Ordering::Relaxed);
        let n = if now < exp { 0 } else { (now - exp) / interval + 1 };
        let next = exp.saturating_add(n.saturating_mul(interval));
        self.expires.store(next, Ordering::Relaxed);
        self.running.store(true, Ordering::Release);
        arm_if_earlier(next);
        n
    }
}

/// ITIMER_REAL of a process (setitimer): SIGALRM at `expires`, and, as in
/// Linux, a periodic timer does not restart itself: it is rearmed when its
/// SIGALRM is dequeued (`AlarmClock::rearm`). An entry stays in the list
/// until its process replaces it or exits: the interrupt handler never drops
/// the last reference to a process.
struct Alarm {
    process: Arc<Process>,
    clock: Arc<AlarmClock>,
}

static ALARMS: Mutex<Vec<Alarm>> = Mutex::new(Vec::new());
/// SIGALRMs sent by timer interrupts taken in the kernel (interrupting
/// kernel code, possibly while it held locks) and in user mode.
static ALARMS_FROM_KERNEL_IRQ: AtomicU64 = AtomicU64::new(0);
static ALARMS_FROM_USER_IRQ: AtomicU64 = AtomicU64::new(0);
/// Timer interrupts taken while in the kernel.
static KERNEL_TICKS: AtomicU64 = AtomicU64::new(0);

/// (ticks left, interval) of a clock: Linux's `itimer_get_remtime` reads 0
/// for a timer that is not running (expired, its SIGALRM not yet taken).
fn alarm_value(clock: &AlarmClock, now: u64) -> (u64, u64) {
    let left = if clock.running.load(Ordering::Acquire) {
        clock.expires.load(Ordering::Relaxed).saturating_sub(now).max(1)
    } else {
        0
    };
    (left, clock.interval.load(Ordering::Relaxed))
}

/// (ticks left, interval) of `pid`'s ITIMER_REAL; (0, 0) when disarmed.
pub fn get_alarm(pid: usize) -> (u64, u64) {
    let now = now();
    ALARMS
        .lock()
        .iter()
        .find(|a| a.process.pid == pid)
        .map_or((0, 0), |a| alarm_value(&a.clock, now))
}

/// Arms (`value` > 0 ticks from now) or disarms (`value` == 0) `process`'s
/// ITIMER_REAL, every `interval` ticks after the first; returns the old
/// (ticks left, interval). The first use registers the clock with ksignal
/// as the process's ITIMER_REAL rearm.
pub fn set_alarm(process: &Arc<Process>, value: u64, interval: u64) -> Result<(u64, u64), Errno> {
    let now = now();
    let mut alarms = ALARMS.lock();
    let clock = match alarms.iter().find(|a| a.process.pid == process.pid) {
        Some(a) => a.clock.clone(),
        None => {
            alarms.try_reserve(1).map_err(|_| Errno::ENOMEM)?;
            let clock = Arc::new(AlarmClock {
                expires: AtomicU64::new(0),
                interval: AtomicU64::new(0),
                running: AtomicBool::new(false),
            });
            alarms.push(Alarm { process: process.clone(), clock: clock.clone() });
            process.signals.set_itimer_real_rearm(Some(clock.clone()));
            clock
        }
    };
    let old = alarm_value(&clock, now);
    clock.running.store(false, Ordering::Relaxed);
    clock.interval.store(if value > 0 { interval } else { 0 }, Ordering::Relaxed);
    if value > 0 {
        let deadline = now.saturating_add(value);
        clock.expires.store(deadline, Ordering::Relaxed);
        clock.running.store(true, Ordering::Release);
        drop(alarms);
        arm_if_earlier(deadline);
    }
    Ok(old)
}

/// Forgets `pid`'s timer (the process exits).
pub fn cancel_alarm(pid: usize) {
    let removed: Vec<Alarm> = {
        let mut alarms = ALARMS.lock();
        let (gone, kept) =
            core::mem::take(&mut *alarms).into_iter().partition(|a| a.process.pid == pid);
        *alarms = kept;
        gone
    };
    for a in &removed {
        a.process.signals.set_itimer_real_rearm(None);
    }
    drop(removed); // outside the lock
}

/// The progress each hart last reported (0 = none yet): its scheduler loop
/// and every return to user mode report.
static HEARTBEAT: [AtomicU64; MAX_HARTS] = [const { AtomicU64::new(0) }; MAX_HARTS];
/// A hart that reported no progress for this long is stuck in the kernel
/// (a deadlock, or a lock never released).
const WATCHDOG: u64 = 60 * TICKS_PER_SEC;

/// This hart made progress (it is in its scheduler loop or going back to
/// user mode).
pub fn heartbeat() {
    HEARTBEAT[hart_id()].store(now(), Ordering::Relaxed);
}

/// The hart watchdog: every timer tick of every hart checks that the other
/// online harts made progress within `WATCHDOG`. A hart spinning in the
/// kernel on a lock still takes its timer (the lock spins with interrupts
/// on) but reports nothing, so the others fail the run.
fn watchdog(now: u64) {
    let me = hart_id();
    let online = crate::smp::online_mask();
    for hart in (0..MAX_HARTS).filter(|&h| h != me && online & (1 << h) != 0) {
        let last = HEARTBEAT[hart].load(Ordering::Relaxed);
        if last != 0 && now.saturating_sub(last) > WATCHDOG {
            println!(
                "FAIL [kernel] watchdog: hart {hart} made no progress for {} s",
                (now - last) / TICKS_PER_SEC
            );
            crate::sbi::shutdown(true);
        }
    }
}

/// This hart's timer interrupt: wake expired sleepers, send due SIGALRMs,
/// arm the next event. `in_kernel`: it interrupted kernel code (interrupt
/// context: locks, never allocation; the lists are only ever shrunk in
/// place here).
pub fn handle_interrupt(in_kernel: bool) {
    let now = now();
    watchdog(now);
    if in_kernel {
        KERNEL_TICKS.fetch_add(1, Ordering::Relaxed);
    }
    let mut earliest = u64::MAX;
    {
        let mut sleepers = SLEEPERS.lock();
        sleepers.retain(|s| {
            if s.deadline <= now {
                // Not the last reference: `block` removes its own entry.
                sched::wake(&s.thread, Some(s.seq), sched::WakeReason::TimedOut);
                false
            } else {
                earliest = earliest.min(s.deadline);
                true
            }
        });
    }
    {
        let alarms = ALARMS.lock();
        for alarm in alarms.iter() {
            let clock = &alarm.clock;
            if !clock.running.load(Ordering::Acquire) {
                continue;
            }
            let expires = clock.expires.load(Ordering::Relaxed);
            if expires <= now {
                // Linux's it_real_fn: SIGALRM to the process (SI_KERNEL),
                // HRTIMER_NORESTART: a periodic timer waits for the SIGALRM
                // to be dequeued to restart.
                clock.running.store(false, Ordering::Relaxed);
                crate::signal::send_alarm(&alarm.process);
                let counter =
                    if in_kernel { &ALARMS_FROM_KERNEL_IRQ } else { &ALARMS_FROM_USER_IRQ };
                counter.fetch_add(1, Ordering::Relaxed);
            } else {
                earliest = earliest.min(expires);
            }
        }
    }
    earliest = earliest.min(crate::ptimer::expire_due(now));
    arm(earliest.min(now + QUANTUM));
}

/// (timer interrupts taken in the kernel, SIGALRMs sent from interrupts
/// taken in the kernel, SIGALRMs sent from interrupts taken in user mode).
pub fn irq_counts() -> (u64, u64, u64) {
    (
        KERNEL_TICKS.load(Ordering::Relaxed),
        ALARMS_FROM_KERNEL_IRQ.load(Ordering::Relaxed),
        ALARMS_FROM_USER_IRQ.load(Ordering::Relaxed),
    )
}

/// True if some thread sleeps with a deadline or some process has an
/// armed ITIMER_REAL (so the system is not stuck).
pub fn has_timers() -> bool {
    !SLEEPERS.lock().is_empty()
        || ALARMS.lock().iter().any(|a| a.clock.running.load(Ordering::Relaxed))
        || crate::ptimer::any_running()
}
