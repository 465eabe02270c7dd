//! The four things ksignal asks of a kernel, implemented on this kernel's
//! own pieces:
//! - `KWait`: ksignal's `WaitQueue` (one per thread) on `sched::block_current`;
//! - `KMem`: ksignal's `UserMemory` on `mm::uaccess` (EFAULT, never a fault);
//! - `ksignal::TrapFrame` for `trap::TrapFrame` (to/from `Riscv64Context`);
//! - `FpImage`: ksignal's `FpHook` on the F/D registers saved in the frame.

use crate::mm::uaccess;
use crate::sched::{self, WakeReason};
use crate::sync::Mutex;
use crate::task::Thread;
use crate::timer;
use crate::trap::TrapFrame;
use alloc::sync::{Arc, Weak};
use core::time::Duration;
use ksignal::frame::FpHook;
use ksignal::frame::riscv64::{FP_IMAGE_LEN, Riscv64, Riscv64Context};
use ksignal::{UserMemory, WaitOutcome, WaitQueue};

/// ksignal's wait queue for one thread: only that thread waits on it
/// (rt_sigtimedwait, rt_sigsuspend); senders wake it when a signal becomes
/// deliverable to the thread.
///
/// `wake_one` is Linux's `signal_wake_up`: besides waking a sleep on this
/// queue it interrupts *any* sleep of the thread (read, nanosleep, wait4...)
/// with `WakeReason::Interrupted`, so blocking system calls return a restart
/// code and the return-to-user path delivers the signal.
///
/// No lost wake-up: `prepare_to_wait` clears `woken` before ksignal
/// re-checks for a signal; a wake after that sets `woken`, and `wait` then
/// returns at once, or `sched::block_current` sees it after marking the
/// thread Blocked (a sender on another hart may set it at any moment).
/// `wake_one` of a thread running on another hart sends that hart an IPI.
pub struct KWait {
    state: Mutex<KWaitState>,
}

struct KWaitState {
    /// A wake since the last `prepare_to_wait`.
    woken: bool,
    /// The thread this queue belongs to (weak: the thread owns the queue).
    thread: Weak<Thread>,
}

impl KWait {
    pub fn new() -> KWait {
        KWait { state: Mutex::new(KWaitState { woken: false, thread: Weak::new() }) }
    }

    /// Ties the queue to its thread, once the thread exists.
    pub fn bind(&self, thread: &Arc<Thread>) {
        self.state.lock().thread = Arc::downgrade(thread);
    }

    fn take_woken(&self) -> bool {
        core::mem::take(&mut self.state.lock().woken)
    }
}

impl WaitQueue for KWait {
    fn prepare_to_wait(&self) {
        self.state.lock().woken = false;
    }

    fn wait(&self, timeout: Option<Duration>) -> WaitOutcome {
        let deadline = timeout.map(|t| timer::now().saturating_add(timer::duration_to_ticks(t)));
        let remaining =
            || deadline.map(|d| timer::ticks_to_duration(d.saturating_sub(timer::now())));
        if self.take_woken() {
            return WaitOutcome::Woken { remaining: remaining() };
        }
        // `woken` is checked again once the thread is registered as
        // sleeping: a wake from another hart in between is not lost.
        let reason = sched::block_current(None, deadline, &|| self.state.lock().woken);
        if self.take_woken() {
            return WaitOutcome::Woken { remaining: remaining() };
        }
        match reason {
            WakeReason::TimedOut => WaitOutcome::TimedOut,
            // Interrupted without a wake of this queue (a pending signal or
            // an exit): a spurious wake-up; ksignal re-checks and decides.
            WakeReason::Woken | WakeReason::Interrupted => {
                WaitOutcome::Woken { remaining: remaining() }
            }
        }
    }

    fn finish_wait(&self) {}

    /// Context: any; called with ksignal's signal lock held. Takes only the
    /// queue's, the thread's and the run queue's spin locks, never blocks and
    /// never allocates (the run queue has room for every live thread, see
    /// `sched::reserve_run_queue`).
    fn wake_one(&self) {
        let thread = {
            let mut state = self.state.lock();
            state.woken = true;
            state.thread.upgrade()
        };
        if let Some(thread) = thread {
            sched::interrupt(&thread);
        }
    }
}

/// The current process's user memory, through the checked copies (timed
/// while `sig_cycles` measures a phase: `phases::user_copy`).
pub struct KMem;

impl UserMemory for KMem {
    fn read(&self, addr: usize, buf: &mut [u8]) -> Result<(), ksignal::Errno> {
        super::phases::user_copy(|| uaccess::copy_from_user(buf, addr))
            .map_err(|_| ksignal::Errno::EFAULT)
    }

    fn write(&mut self, addr: usize, buf: &[u8]) -> Result<(), ksignal::Errno> {
        super::phases::user_copy(|| uaccess::copy_to_user(addr, buf))
            .map_err(|_| ksignal::Errno::EFAULT)
    }
}

/// The kernel's trap frame is the riscv64 user context: x1..x31, sepc,
/// sstatus, and the system-call restart state.
impl ksignal::frame::TrapFrame for TrapFrame {
    type Arch = Riscv64;

    fn context(&self) -> Riscv64Context {
        let mut x = [0u64; 32];
        for (dst, src) in x.iter_mut().zip(self.regs.iter()).skip(1) {
            *dst = *src as u64;
        }
        Riscv64Context {
            pc: self.sepc as u64,
            x,
            sstatus: self.sstatus as u64,
            in_syscall: self.in_syscall != 0,
            orig_a0: self.orig_a0 as u64,
        }
    }

    fn set_context(&mut self, ctx: &Riscv64Context) {
        for (dst, src) in self.regs.iter_mut().zip(ctx.x.iter()).skip(1) {
            *dst = *src as usize;
        }
        self.sepc = ctx.pc as usize;
        self.sstatus = ctx.sstatus as usize;
        self.in_syscall = usize::from(ctx.in_syscall);
        self.orig_a0 = ctx.orig_a0 as usize;
    }
}

/// The F/D state as ksignal's frame code sees it: a copy of the trap frame's
/// f0..f31 and fcsr (the trap frame always holds the complete user FP state,
/// see `trap::TrapFrame`), written back by `store` if a sigreturn restored
/// it. A copy, because ksignal borrows the trap frame and the FP hook at the
/// same time.
pub struct FpImage {
    f: [u64; 32],
    fcsr: u32,
    changed: bool,
}

impl FpImage {
    pub fn load(tf: &TrapFrame) -> FpImage {
        FpImage { f: tf.fregs, fcsr: tf.fcsr as u32, changed: false }
    }

    /// Puts a restored state back into the trap frame.
    pub fn store(&self, tf: &mut TrapFrame) {
        if self.changed {
            tf.fregs = self.f;
            tf.fcsr = self.fcsr as usize;
        }
    }
}

/// Bits of fcsr that exist: frm (7:5) and fflags (4:0).
const FCSR_MASK: u32 = 0xff;

impl FpHook for FpImage {
    fn image_len(&self) -> usize {
        FP_IMAGE_LEN
    }

    /// `__riscv_d_ext_state`: f[32] (u64 each), fcsr (u32), 4 zero bytes.
    fn save(&mut self, image: &mut [u8]) {
        for (chunk, f) in image.chunks_exact_mut(8).zip(self.f.iter()) {
            chunk.copy_from_slice(&f.to_le_bytes());
        }
        if let Some(fcsr) = image.get_mut(256..260) {
            fcsr.copy_from_slice(&self.fcsr.to_le_bytes());
        }
    }

    fn restore(&mut self, image: &[u8]) -> bool {
        let Some(fcsr) = image.get(256..260) else { return false };
        for (f, chunk) in self.f.iter_mut().zip(image.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *f = u64::from_le_bytes(b);
        }
        let mut b = [0u8; 4];
        b.copy_from_slice(fcsr);
        // The reserved bits of fcsr cannot be set; drop them like the CSR does.
        self.fcsr = u32::from_le_bytes(b) & FCSR_MASK;
        self.changed = true;
        true
    }

    fn reset(&mut self) {
        self.f = [0; 32];
        self.fcsr = 0;
        self.changed = true;
    }
}
