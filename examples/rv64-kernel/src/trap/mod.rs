//! Traps: everything that takes the hart from user mode into the kernel
//! (system calls, faults, the timer interrupt), and the way back.
//!
//! Path of a trap from user mode:
//! 1. `entry.rs` assembly saves all user registers into the current thread's
//!    `TrapFrame` (and the FP registers if user code changed them), switches
//!    to the thread's kernel stack and calls `user_trap`.
//! 2. `user_trap` handles the cause, then runs `exit_to_user`: the one place
//!    where pending work is done before user mode resumes (thread/process
//!    exit, group stop, signal delivery and syscall restart).
//! 3. `return_to_user` (assembly) reloads the registers and executes `sret`.
//!
//! Interrupts are on in the kernel too, except while a lock is held (every
//! lock disables them, see `sync`) and on the final stretch to `sret`. An
//! interrupt taken in the kernel is handled on the current kernel stack by
//! `kernel_trap`: the timer wakes sleepers and sends SIGALRM (setitimer),
//! an IPI is just cleared. It never switches threads; a quantum that ends
//! in the kernel makes the thread yield on its way back to user mode. Any
//! exception taken in the kernel is a bug, so it panics.

mod entry;

use crate::{sched, signal, smp, syscall, task, timer};
use core::arch::asm;

pub use entry::return_to_user;

pub const SSTATUS_SIE: usize = 1 << 1;
pub const SSTATUS_SPIE: usize = 1 << 5;
pub const SSTATUS_SPP: usize = 1 << 8;
pub const SSTATUS_FS_MASK: usize = 3 << 13;
pub const SSTATUS_FS_INITIAL: usize = 1 << 13;
pub const SSTATUS_FS_CLEAN: usize = 2 << 13;
pub const SSTATUS_SUM: usize = 1 << 18;

/// The user-mode state of a thread while it is in the kernel.
///
/// It always holds the *complete* user state, FP included: the entry path
/// saves f0-f31/fcsr whenever sstatus.FS says user code changed them, and
/// `return_to_user` always reloads them. So signal delivery can build a
/// signal frame from this struct alone, and `rt_sigreturn` can restore one
/// by writing it.
#[repr(C)]
#[derive(Clone, Debug, Default)]
pub struct TrapFrame {
    /// x0..x31 by register number (`regs[0]` is unused, x0 is always 0).
    pub regs: [usize; 32],
    /// User pc: the trapping instruction (`ecall`: +4 once handled).
    pub sepc: usize,
    pub sstatus: usize,
    pub scause: usize,
    pub stval: usize,
    /// Top of this thread's kernel stack (read by the entry assembly).
    pub kernel_sp: usize,
    /// a0 as the system call received it (a0 is overwritten with the
    /// result; restarting a syscall needs the original).
    pub orig_a0: usize,
    /// Nonzero while returning from a system call whose result may still be
    /// turned into a restart (cleared once restart handling decided).
    pub in_syscall: usize,
    pub fregs: [u64; 32],
    pub fcsr: usize,
    /// The kernel's `tp` (the hart id) while this thread is in user mode,
    /// written by `return_to_user` and read back by the trap vector.
    pub kernel_tp: usize,
}

impl TrapFrame {
    /// The system call number / arguments of an `ecall` (a7, a0..a5).
    pub fn syscall_nr(&self) -> usize {
        self.regs[Self::A7]
    }

    pub fn syscall_args(&self) -> [usize; 6] {
        core::array::from_fn(|i| self.regs[Self::A0 + i])
    }

    /// Register numbers: indices into [`regs`](Self::regs).
    pub const SP: usize = 2;
    pub const TP: usize = 4;
    pub const A0: usize = 10;
    pub const A7: usize = 17;
}

/// Installs the trap vector. `sscratch` = 0 marks "currently in the kernel".
pub fn init() {
    // SAFETY: `trap_vector` is a valid, 4-byte aligned handler (direct mode).
    // sscratch = 0 tells it that traps come from the kernel until the first
    // `return_to_user` stores a trap frame there. scounteren lets user code
    // read cycle/time/instret, which is harmless and handy for tests.
    // FS=Initial: the FPU is usable in S-mode from now on (the kernel itself
    // does not use it; this just makes sure compiler-generated FP code could
    // never trap before the first user thread runs).
    unsafe {
        asm!(
            "csrw stvec, {vec}",
            "csrw sscratch, zero",
            "csrw scounteren, {cnt}",
            "csrs sstatus, {fs}",
            vec = in(reg) entry::trap_vector_addr(),
            cnt = in(reg) 0b111usize,
            fs = in(reg) SSTATUS_FS_INITIAL,
        );
    }
}

const INTERRUPT_BIT: usize = 1 << 63;
const IRQ_S_SOFT: usize = 1;
const IRQ_S_TIMER: usize = 5;
const EXC_INST_MISALIGNED: usize = 0;
const EXC_INST_ACCESS: usize = 1;
const EXC_ILLEGAL_INST: usize = 2;
const EXC_BREAKPOINT: usize = 3;
const EXC_LOAD_MISALIGNED: usize = 4;
const EXC_LOAD_ACCESS: usize = 5;
const EXC_STORE_MISALIGNED: usize = 6;
const EXC_STORE_ACCESS: usize = 7;
const EXC_ECALL_U: usize = 8;
const EXC_INST_PAGE_FAULT: usize = 12;
const EXC_LOAD_PAGE_FAULT: usize = 13;
const EXC_STORE_PAGE_FAULT: usize = 15;

/// Linux signal numbers for the faults (the signal each fault raises).
pub const SIGILL: usize = 4;
pub const SIGTRAP: usize = 5;
pub const SIGBUS: usize = 7;
pub const SIGSEGV: usize = 11;

/// Turns this hart's interrupts on (sstatus.SIE).
pub fn enable_interrupts() {
    // SAFETY: the trap vector handles interrupts taken in the kernel.
    unsafe { asm!("csrs sstatus, {0}", in(reg) SSTATUS_SIE) };
}

/// Turns this hart's interrupts off.
pub fn disable_interrupts() {
    // SAFETY: only masks interrupts; they stay pending.
    unsafe { asm!("csrc sstatus, {0}", in(reg) SSTATUS_SIE) };
}

/// Called by the entry assembly on the thread's kernel stack, interrupts
/// off; the user state is saved and sscratch is 0, so they may come on.
extern "C" fn user_trap(tf: &mut TrapFrame) -> ! {
    enable_interrupts();
    handle_user_trap(tf);
    exit_to_user(tf)
}

fn handle_user_trap(tf: &mut TrapFrame) {
    tf.in_syscall = 0;
    let cause = tf.scause;
    if cause & INTERRUPT_BIT != 0 {
        match cause & !INTERRUPT_BIT {
            IRQ_S_TIMER => {
                timer::handle_interrupt(false);
                sched::yield_now(); // preemption: round robin
            }
            // An IPI from another hart: a signal became deliverable to this
            // thread (Linux's kick_process); `exit_to_user` below acts on it.
            IRQ_S_SOFT => smp::clear_ipi(),
            other => println!("[kernel] ignoring unexpected interrupt {other}"),
        }
        return;
    }
    match cause {
        EXC_ECALL_U => {
            tf.sepc += 4; // resume after the ecall
            syscall::handle(tf);
        }
        EXC_INST_PAGE_FAULT | EXC_LOAD_PAGE_FAULT | EXC_STORE_PAGE_FAULT => {
            signal::user_fault(tf, SIGSEGV, true)
        }
        EXC_INST_ACCESS | EXC_LOAD_ACCESS | EXC_STORE_ACCESS => {
            signal::user_fault(tf, SIGSEGV, false)
        }
        EXC_ILLEGAL_INST => signal::user_fault(tf, SIGILL, false),
        EXC_INST_MISALIGNED | EXC_LOAD_MISALIGNED | EXC_STORE_MISALIGNED => {
            signal::user_fault(tf, SIGBUS, false)
        }
        EXC_BREAKPOINT => signal::user_fault(tf, SIGTRAP, false),
        _ => signal::user_fault(tf, SIGILL, false),
    }
}

/// The return-to-user path: everything that must happen before a thread
/// resumes in user mode happens here, in this order.
pub fn exit_to_user(tf: &mut TrapFrame) -> ! {
    loop {
        enable_interrupts();
        // 0. The quantum ended while in the kernel: let others run first.
        if sched::need_resched() {
            sched::yield_now();
        }
        // 1. Thread or process exit requested (exit, exit_group, a fatal
        //    signal). `exit_current` never returns.
        if task::current_must_exit() {
            task::exit_current();
        }
        // 2. Signals (ksignal): park while the group is stopped; deliver
        //    everything deliverable (one frame per handler, handlers run in
        //    reverse dequeue order), applying the restart rules to an
        //    interrupted system call (EINTR, SA_RESTART, restart_syscall).
        //    True after a stop or a fatal signal: look again from the top.
        if signal::deliver_pending_signals(tf) {
            continue;
        }
        // 3. Interrupts off until sret. Anything that arrived meanwhile (a
        //    SIGALRM sent by this hart's timer interrupt, a signal whose
        //    sender skipped the IPI because we were in the kernel) is seen
        //    here; anything later raises an interrupt taken right after sret.
        disable_interrupts();
        if !(sched::need_resched() || signal::work_pending(&task::current())) {
            break;
        }
    }
    timer::heartbeat();
    tf.in_syscall = 0;
    // Back to U-mode (SPP=0) with interrupts on there (SPIE=1), no user
    // memory access for S-mode (SUM=0), and FS=Clean: the FP registers we
    // are about to load equal the saved copy, and FS turns Dirty again as
    // soon as user code writes any of them.
    tf.sstatus = (tf.sstatus & !(SSTATUS_SPP | SSTATUS_SIE | SSTATUS_SUM | SSTATUS_FS_MASK))
        | SSTATUS_SPIE
        | SSTATUS_FS_CLEAN;
    // SAFETY: `tf` is the current thread's trap frame (it lives as long as
    // the thread) and holds a complete, sanitised user context.
    unsafe { return_to_user(tf) }
}

/// A trap while in S-mode (the entry assembly saved the interrupted
/// kernel code's registers): an interrupt is handled in interrupt context
/// (no blocking, no switching; locks disable interrupts, so the interrupted
/// code holds none this handler takes). Any exception is a kernel bug.
extern "C" fn kernel_trap() {
    let (scause, sepc, stval): (usize, usize, usize);
    // SAFETY: reading trap CSRs has no side effects.
    unsafe {
        asm!("csrr {0}, scause", "csrr {1}, sepc", "csrr {2}, stval",
            out(reg) scause, out(reg) sepc, out(reg) stval);
    }
    if scause & INTERRUPT_BIT != 0 {
        match scause & !INTERRUPT_BIT {
            IRQ_S_TIMER => {
                timer::handle_interrupt(true);
                sched::set_need_resched();
            }
            IRQ_S_SOFT => smp::clear_ipi(),
            other => println!("[kernel] ignoring unexpected interrupt {other}"),
        }
        return;
    }
    panic!("trap in kernel: scause {scause:#x}, sepc {sepc:#x}, stval {stval:#x}");
}

/// The initial `sstatus` for a new user thread: FS=Initial so user code may
/// use the FPU from the start (the rest is set by `exit_to_user`).
pub const fn initial_user_sstatus() -> usize {
    SSTATUS_FS_INITIAL
}
