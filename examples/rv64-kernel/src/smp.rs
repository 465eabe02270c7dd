//! Harts: which hart the code runs on, starting the others, and
//! inter-processor interrupts.
//!
//! OpenSBI starts one hart (any of them: it is the first to win its boot
//! lottery) at `_start`; the others wait in its HSM "stopped" state until the
//! boot hart asks for them with `sbi::hart_start`. Every hart keeps its own
//! id in `tp` while it runs kernel code (user `tp` is saved in the trap frame
//! and the kernel's is reloaded on every trap, see `trap::entry`), so
//! `hart_id()` is one register read and indexes the per-hart tables.
//!
//! IPIs are SBI supervisor software interrupts (sip.SSIP). A hart running
//! user code takes one as a trap and goes through the return-to-user path,
//! which is all an IPI is for here: "look at your signals / the run queue".
//! A hart in the kernel just clears it (it checks both before returning to
//! user mode anyway). An idle hart waits in `wfi`, which an IPI (or its
//! timer) ends.

use core::arch::asm;
use core::sync::atomic::{AtomicUsize, Ordering};

/// The most harts this kernel runs on (sizes the per-hart tables and boot
/// stacks). QEMU virt numbers its harts 0.. in the device tree.
pub const MAX_HARTS: usize = 8;

/// Bitmask of harts that are running the scheduler.
static ONLINE: AtomicUsize = AtomicUsize::new(0);

const SIE_SSIE: usize = 1 << 1;
const SIP_SSIP: usize = 1 << 1;

/// This hart's id (0..MAX_HARTS), from `tp`.
#[inline]
pub fn hart_id() -> usize {
    let id: usize;
    // SAFETY: reads tp, which the kernel reserves for the hart id (set at
    // boot, reloaded from the trap frame on every trap from user mode).
    unsafe { asm!("mv {0}, tp", out(reg) id, options(nomem, nostack, preserves_flags)) };
    id
}

/// How many harts run the scheduler.
pub fn online_count() -> usize {
    ONLINE.load(Ordering::Relaxed).count_ones() as usize
}

/// The harts that run the scheduler (bit n = hart n).
pub fn online_mask() -> usize {
    ONLINE.load(Ordering::Acquire)
}

/// Per-hart setup that every hart does before it schedules: enable the
/// software interrupt (IPI) source and mark itself online.
pub fn hart_online() {
    // SAFETY: enables the supervisor software interrupt source in `sie`; the
    // trap vector handles it in user mode and in the kernel.
    unsafe { asm!("csrs sie, {0}", in(reg) SIE_SSIE) };
    ONLINE.fetch_or(1 << hart_id(), Ordering::AcqRel);
}

/// Starts every other hart of the machine at `boot::_start_secondary`.
/// Called once by the boot hart after the kernel's own setup; harts that do
/// not exist make `hart_start` fail, which ends the search.
pub fn start_secondary_harts() {
    let me = hart_id();
    let entry = crate::boot::secondary_entry();
    for hart in (0..MAX_HARTS).filter(|&h| h != me) {
        if crate::sbi::hart_start(hart, entry, 0).is_err() {
            continue; // no such hart
        }
        // Wait until it is up, so the boot log is in hart order and a hart
        // that cannot start is noticed here.
        let t0 = crate::timer::now();
        while ONLINE.load(Ordering::Acquire) & (1 << hart) == 0 {
            if crate::timer::now() - t0 > crate::timer::TICKS_PER_SEC {
                println!("FAIL [kernel] hart {hart} started but never came online");
                break;
            }
            core::hint::spin_loop();
        }
    }
    println!("[kernel] {} hart(s) online", online_count());
}

/// Why an IPI is sent (counted for the end-of-run report).
#[derive(Clone, Copy)]
pub enum IpiReason {
    /// A thread became ready and this hart is idle.
    Wake = 0,
    /// A signal became deliverable to a thread running on this hart.
    Kick = 1,
}

static IPIS_SENT: [AtomicUsize; 2] = [const { AtomicUsize::new(0) }; 2];

/// Sends an IPI to `hart` (no-op for this hart itself).
pub fn send_ipi(hart: usize, why: IpiReason) {
    if hart != hart_id() && hart < MAX_HARTS {
        IPIS_SENT[why as usize].fetch_add(1, Ordering::Relaxed);
        crate::sbi::send_ipi(1 << hart);
    }
}

/// IPIs sent so far: (to wake an idle hart, to kick a running thread).
pub fn ipi_counts() -> (usize, usize) {
    (IPIS_SENT[0].load(Ordering::Relaxed), IPIS_SENT[1].load(Ordering::Relaxed))
}

/// Clears this hart's pending IPI (the trap handler and the idle loop).
pub fn clear_ipi() {
    // SAFETY: clears sip.SSIP, the pending supervisor software interrupt.
    unsafe { asm!("csrc sip, {0}", in(reg) SIP_SSIP) };
}
