//! Time: the `time` CSR, the preemption tick, and timed sleeps.
//!
//! Every hart has its own hardware timer (armed through SBI for the calling
//! hart). Each is programmed for the earlier of "this hart's next
//! preemption tick" and "earliest sleeper deadline" (as known when it was
//! armed), so timed sleeps end on time instead of at the next tick. The
//! sleeper list is shared: whichever hart's timer fires first wakes every
//! expired sleeper, wherever it will run.

use crate::sched;
use crate::smp::{MAX_HARTS, hart_id};
use crate::task::Thread;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::arch::asm;
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use spin::Mutex;

/// QEMU virt's timebase (device tree `timebase-frequency`): 10 MHz.
pub const TICKS_PER_SEC: u64 = 10_000_000;
const NANOS_PER_TICK: u64 = 1_000_000_000 / TICKS_PER_SEC;
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

/// Enables this hart's timer interrupt (taken only in user mode: the kernel
/// keeps sstatus.SIE off, but `wfi` still wakes up for it) and arms its
/// first tick. Every hart calls it once.
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

/// True if some thread sleeps with a deadline (so the system is not stuck).
pub fn has_sleepers() -> bool {
    !SLEEPERS.lock().is_empty()
}

/// The last time each hart handled its timer (0 = never).
static HEARTBEAT: [AtomicU64; MAX_HARTS] = [const { AtomicU64::new(0) }; MAX_HARTS];
/// A hart whose timer has not been handled for this long is stuck with
/// interrupts off in the kernel (a deadlock, or a lock never released).
const WATCHDOG: u64 = 60 * TICKS_PER_SEC;

/// The hart watchdog: every timer tick of every hart checks that the other
/// online harts ticked within `WATCHDOG`. A hart spinning in the kernel
/// never ticks (its interrupts are off there), so the others fail the run.
fn watchdog(now: u64) {
    let me = hart_id();
    HEARTBEAT[me].store(now, Ordering::Relaxed);
    let online = crate::smp::online_mask();
    for hart in (0..MAX_HARTS).filter(|&h| h != me && online & (1 << h) != 0) {
        let last = HEARTBEAT[hart].load(Ordering::Relaxed);
        if last != 0 && now.saturating_sub(last) > WATCHDOG {
            println!("FAIL [kernel] watchdog: hart {hart} has not run its timer for {} s", (now - last) / TICKS_PER_SEC);
            crate::sbi::shutdown(true);
        }
    }
}

/// This hart's timer interrupt: wake expired sleepers, arm the next event.
pub fn handle_interrupt() {
    let now = now();
    watchdog(now);
    let expired: Vec<Sleeper> = {
        let mut sleepers = SLEEPERS.lock();
        let (expired, pending) = core::mem::take(&mut *sleepers).into_iter().partition(|s| s.deadline <= now);
        *sleepers = pending;
        expired
    };
    for s in expired {
        sched::wake(&s.thread, Some(s.seq), sched::WakeReason::TimedOut);
    }
    let earliest = SLEEPERS.lock().iter().map(|s| s.deadline).min().unwrap_or(u64::MAX);
    arm(earliest.min(now + QUANTUM));
}

/// For the idle loop: handles the timer if its deadline has passed (the
/// interrupt itself is never taken in the kernel).
pub fn poll() {
    if now() >= ARMED_FOR[hart_id()].load(Ordering::Relaxed) {
        handle_interrupt();
    }
}
