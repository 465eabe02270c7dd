//! Where a signal's round trip spends its time inside the kernel, for one
//! measured thread (the user program `sig_cycles`).
//!
//! Three phases, each the ksignal call alone (the kernel's glue around it is
//! outside): generation (`ksignal::syscall::sys_kill`, with the task-table
//! look-ups it calls back), delivery (`ksignal::do_signal`: the
//! restart rules, the delivery decision and the rt_sigframe written to the
//! user stack) and sigreturn (`ksignal::rt_sigreturn`: the frame read back
//! and checked). Each is bracketed by two reads of the `cycle` CSR and of
//! the `time` CSR; the counts and sums go to global atomics. The user-memory
//! copies ksignal asks for during a phase (`KMem`: the kernel's checked
//! `copy_from_user` / `copy_to_user`, a page-table walk each) are counted and
//! timed as well, so the kernel's share of a phase can be told from ksignal's.
//!
//! Under QEMU's TCG (no `-icount`) `cycle` reads the host's time-stamp
//! counter, not a count of guest cycles; `time` is the `virt` machine's
//! 10 MHz timebase (100 ns a tick).
//!
//! Only the thread that asked (`PHASES_START`) is measured, so the other
//! programs running at the same time add nothing; every other thread pays
//! one relaxed load per phase.
//!
//! The kernel-private system call `nr::SIGNAL_PHASES` (outside Linux's
//! table): `a0` = 0 starts measuring the caller with the sums zeroed, 1
//! copies the sums to the `[u64; 15]` at `a1` (per phase: count, cycles,
//! time ticks, user-memory copies, their cycles), 2 stops.

use crate::errno::{Errno, SysResult};
use crate::mm::uaccess::copy_to_user;
use crate::smp::{MAX_HARTS, hart_id};
use crate::task;
use core::arch::asm;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// A measured part of the round trip.
#[derive(Clone, Copy)]
pub enum Phase {
    /// The kill system call's ksignal part.
    Generation = 0,
    /// `do_signal`: delivery decision and frame build.
    Delivery = 1,
    /// `rt_sigreturn`: frame parse.
    Sigreturn = 2,
}

/// The measured thread's tid; 0 when nothing is measured.
static MEASURED: AtomicUsize = AtomicUsize::new(0);
/// Per phase: count, cycle sum, time-tick sum, user-memory copies, their cycles.
const FIELDS: usize = 5;
static SUMS: [[AtomicU64; FIELDS]; 3] = [const { [const { AtomicU64::new(0) }; FIELDS] }; 3];
/// Per hart: the phase (+ 1) the measured thread is in there, 0 if none. A
/// measured call runs on one hart from start to end: the kernel is not
/// preemptible, and none of the three sleeps for an untraced thread (only a
/// ptrace stop inside `do_signal` would; `sig_cycles` is not traced).
static ACTIVE: [AtomicUsize; MAX_HARTS] = [const { AtomicUsize::new(0) }; MAX_HARTS];

/// `(cycle, time)` now.
#[inline(always)]
fn counters() -> (u64, u64) {
    let (c, t): (u64, u64);
    // SAFETY: reading the cycle and time CSRs has no side effects; the kernel
    // runs with them readable (OpenSBI's mcounteren).
    unsafe { asm!("rdcycle {c}", "rdtime {t}", c = out(reg) c, t = out(reg) t) };
    (c, t)
}

/// Runs `f` (a ksignal call made by thread `tid`) and, if `tid` is the
/// measured thread, adds its time to `phase`.
#[inline(always)]
pub fn measure<R>(phase: Phase, tid: usize, f: impl FnOnce() -> R) -> R {
    let measured = MEASURED.load(Ordering::Relaxed);
    if measured == 0 || measured != tid {
        return f();
    }
    let active = &ACTIVE[hart_id()];
    active.store(phase as usize + 1, Ordering::Relaxed);
    let (c0, t0) = counters();
    let r = f();
    let (c1, t1) = counters();
    active.store(0, Ordering::Relaxed);
    let sums = &SUMS[phase as usize];
    sums[0].fetch_add(1, Ordering::Relaxed);
    sums[1].fetch_add(c1.wrapping_sub(c0), Ordering::Relaxed);
    sums[2].fetch_add(t1.wrapping_sub(t0), Ordering::Relaxed);
    r
}

/// Runs `f` (one user-memory copy ksignal asked for) and, inside a measured
/// phase, adds it to that phase's copies.
#[inline(always)]
pub fn user_copy<R>(f: impl FnOnce() -> R) -> R {
    let phase = ACTIVE[hart_id()].load(Ordering::Relaxed);
    if phase == 0 {
        return f();
    }
    let (c0, _) = counters();
    let r = f();
    let (c1, _) = counters();
    let sums = &SUMS[phase - 1];
    sums[3].fetch_add(1, Ordering::Relaxed);
    sums[4].fetch_add(c1.wrapping_sub(c0), Ordering::Relaxed);
    r
}

/// The `SIGNAL_PHASES` system call (see the module documentation).
pub fn sys_signal_phases(op: usize, buf: usize) -> SysResult {
    match op {
        0 => {
            for sum in SUMS.iter().flatten() {
                sum.store(0, Ordering::Relaxed);
            }
            MEASURED.store(task::current().tid, Ordering::Relaxed);
            Ok(0)
        }
        1 => {
            let mut out = [0u64; 3 * FIELDS];
            for (o, sum) in out.iter_mut().zip(SUMS.iter().flatten()) {
                *o = sum.load(Ordering::Relaxed);
            }
            let bytes = le_bytes(&out);
            copy_to_user(buf, &bytes)?;
            Ok(0)
        }
        2 => {
            MEASURED.store(0, Ordering::Relaxed);
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// The sums as the user's `[u64; 15]` (little-endian, as riscv64 is).
fn le_bytes(words: &[u64; 3 * FIELDS]) -> [u8; 24 * FIELDS] {
    let mut bytes = [0u8; 24 * FIELDS];
    for (chunk, w) in bytes.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&w.to_le_bytes());
    }
    bytes
}
