//! Where ksignal plugs in: the hooks the rest of the kernel calls.
//!
//! | hook                      | called from                         |
//! |---------------------------|-------------------------------------|
//! | `signal_pending`          | `sched::block_current` (every sleep) |
//! | `deliver_pending_signals` | `trap::exit_to_user`                |
//! | `user_fault`              | `trap::handle_user_trap`            |
//! | `notify_parent`           | `task::exit_process`                |
//! | the system calls          | `syscall::signal`                   |
//!
//! ksignal holds all signal state: per process a `ProcessSignalManager`
//! (`Process::signals`), per thread a `ThreadSignalManager`
//! (`Thread::signals`). The kernel supplies its wait queue, user memory,
//! trap frame and FP state (`glue`), the task table (`tasks`) and job
//! control (`job`).
//!
//! Locks: ksignal's signal lock is `KspinRawMutex` (the `kspin` feature),
//! which saves and clears sstatus.SIE while held and excludes the other
//! harts with a real lock word. This kernel sends SIGALRM from its timer
//! interrupt (`send_alarm`), which may interrupt kernel code on the same
//! hart that is about to take that very lock: disabling interrupts while
//! it is held is what keeps that from deadlocking. `kernel_guard` needs
//! nothing from the kernel unless its `preempt` feature is on (it is not:
//! the kernel is not preemptible), so no `KernelGuardIf` is implemented.

mod glue;
mod job;
pub mod phases;
pub mod ptrace;
mod tasks;

pub use glue::{FpImage, KMem, KWait};
pub use ptrace::PtraceState;
pub use tasks::{Tasks, with_caller};

use crate::mm::SIGRETURN_TRAMPOLINE;
use crate::sync::Mutex;
use crate::task::{self, Process, Thread, wait_status};
use crate::trap::TrapFrame;
use alloc::sync::Arc;
use ksignal::KspinRawMutex;
use ksignal::frame::FaultInfo;
use ksignal::{
    KernelFrameInfo, PendingLimit, ProcessSignalManager, SignalActions, SignalInfo, Signo,
    ThreadSignalManager, UserReturn,
};

/// A process's signal state.
pub type SigProcess = ProcessSignalManager<KWait, KspinRawMutex>;
/// A thread's signal state.
pub type SigThread = ThreadSignalManager<KWait, KspinRawMutex>;

/// RLIMIT_SIGPENDING (queued siginfo per user). Every process runs as uid 0,
/// so there is one account.
const SIGPENDING_LIMIT: usize = 1024;
static ROOT_PENDING: Mutex<Option<Arc<PendingLimit>>> = Mutex::new(None);

/// uid 0's RLIMIT_SIGPENDING account.
pub fn pending_limit() -> Arc<PendingLimit> {
    ROOT_PENDING.lock().get_or_insert_with(|| Arc::new(PendingLimit::new(SIGPENDING_LIMIT))).clone()
}

/// Signal state for a new boot process: every action SIG_DFL.
pub fn new_process_signals() -> SigProcess {
    SigProcess::new(Arc::new(SignalActions::new()), pending_limit())
}

/// Should a sleep of `thread` end (or not start)? When it or its process
/// must exit, or a signal is deliverable to it.
pub fn signal_pending(thread: &Thread) -> bool {
    let exiting = thread.inner.lock().exit_code.is_some();
    exiting
        || thread.process.inner.lock().group_exit.is_some()
        || thread.signals().is_some_and(|s| s.has_pending())
}

/// Is there anything for the return-to-user path to do (exit, a stopped
/// group to park in, a deliverable signal)? Checked with interrupts off
/// just before returning to user mode.
pub fn work_pending(thread: &Thread) -> bool {
    signal_pending(thread)
}

/// ITIMER_REAL expired: SIGALRM to `process` (Linux's `it_real_fn`,
/// SI_KERNEL). Interrupt context: ksignal's send never blocks, and its lock
/// keeps interrupts off while held, so this never finds it held by the code
/// it interrupted.
pub fn send_alarm(process: &Process) {
    let _ = process.signals.itimer_expired(ksignal::Itimer::Real);
}

/// Did the system call that trapped return one of the kernel-internal
/// restart codes (which must never reach user space)?
fn restart_code_returned(tf: &TrapFrame) -> bool {
    let ret = tf.regs[TrapFrame::A0] as isize;
    tf.in_syscall != 0 && matches!(-ret, 512 | 513 | 514 | 516)
}

/// Called on every return to user mode with the complete user state in `tf`.
///
/// If a signal is deliverable or a group stop is to be taken part in (one
/// atomic load), or the system call returned a restart code, runs ksignal's
/// `do_signal`: it applies the restart rules (EINTR, SA_RESTART,
/// restart_syscall), pushes one rt_sigframe per handler (siginfo and
/// ucontext, FP state included, return address the sigreturn trampoline)
/// and blocks the handlers' masks, or says the thread stops.
///
/// Returns true when `exit_to_user` must look again from the top: after a
/// stop (the thread parks until the group continues, then re-checks), or
/// when the process must exit.
pub fn deliver_pending_signals(tf: &mut TrapFrame) -> bool {
    let thread = task::current();
    let Some(signals) = thread.signals() else { return false };
    if !signals.has_pending() && !restart_code_returned(tf) {
        return false;
    }
    let mut fp = FpImage::load(tf);
    let k =
        KernelFrameInfo { trampoline: SIGRETURN_TRAMPOLINE as u64, fault: FaultInfo::default() };
    // TSTP, TTIN and TTOU with the default action are discarded when the
    // process group is orphaned (one session; a process without a parent
    // counts as init's child, which links no group). A traced thread's
    // signals stop for its tracer first (`ptrace::KTracer`).
    let mut orphaned = || job::current_pgrp_orphaned(&thread.process);
    let mut tracer = ptrace::KTracer { thread: &thread };
    let what = phases::measure(phases::Phase::Delivery, thread.tid, || {
        ksignal::do_signal(&signals, tf, &mut fp, &mut KMem, k, &mut orphaned, &mut tracer)
    });
    fp.store(tf);
    match what {
        UserReturn::Resume => false,
        UserReturn::Stop(_) => {
            job::park(&thread);
            true
        }
        UserReturn::Exit { sig, core_dump: _ } => {
            fatal_signal(&thread, sig);
            true
        }
    }
}

/// A signal's default action ends the process. The wait status is "killed
/// by `sig`"; the core-dump bit (0x80) is never set because this kernel
/// writes no core dumps (Linux sets it only when a dump was written).
fn fatal_signal(thread: &Thread, sig: Signo) {
    let process = &thread.process;
    if process.inner.lock().group_exit.is_none() {
        let fault = thread.inner.lock().last_fault;
        match fault {
            Some((scause, sepc, stval))
                if matches!(
                    sig,
                    Signo::SIGSEGV | Signo::SIGBUS | Signo::SIGILL | Signo::SIGTRAP
                ) =>
            {
                println!(
                    "[kernel] {} (pid {}) killed by {sig}: scause {scause:#x} sepc {sepc:#x} stval {stval:#x}",
                    process.name, process.pid
                );
            }
            _ => println!("[kernel] {} (pid {}) killed by {sig}", process.name, process.pid),
        }
    }
    task::start_group_exit(process, wait_status::signaled(sig.get() as usize));
}

// si_code values of fault signals (include/uapi/asm-generic/siginfo.h).
const SEGV_MAPERR: i32 = 1;
const SEGV_ACCERR: i32 = 2;
const BUS_ADRALN: i32 = 1;
const ILL_ILLOPC: i32 = 1;
const TRAP_BRKPT: i32 = 1;

/// A synchronous fault in user mode: force the signal on the thread, as
/// Linux's riscv trap handlers do (`force_sig_fault`). A handler may catch
/// it; if the signal is blocked or ignored it is unblocked and reset to
/// SIG_DFL first, so the process dies instead of looping on the fault.
///
/// si_addr: page faults report the faulting address (stval), every other
/// trap the faulting pc. si_code: SEGV_MAPERR for an unmapped page,
/// SEGV_ACCERR for a mapped one without the permission (and for access
/// faults), BUS_ADRALN, ILL_ILLOPC, TRAP_BRKPT.
pub fn user_fault(tf: &mut TrapFrame, sig: usize, page_fault: bool) {
    let thread = task::current();
    thread.inner.lock().last_fault = Some((tf.scause, tf.sepc, tf.stval));
    let signo = Signo::new(sig as u32).unwrap_or(Signo::SIGILL);
    let (code, addr) = match signo {
        Signo::SIGSEGV if page_fault => {
            let mapped = {
                let inner = thread.process.inner.lock();
                inner.address_space.as_ref().and_then(|s| s.translate(tf.stval)).is_some()
            };
            (if mapped { SEGV_ACCERR } else { SEGV_MAPERR }, tf.stval)
        }
        Signo::SIGSEGV => (SEGV_ACCERR, tf.sepc),
        Signo::SIGBUS => (BUS_ADRALN, tf.sepc),
        Signo::SIGTRAP => (TRAP_BRKPT, tf.sepc),
        _ => (ILL_ILLOPC, tf.sepc),
    };
    match thread.signals() {
        Some(signals) => {
            let _ = signals.force_signal(signo, &SignalInfo::fault(signo, code, addr));
        }
        None => task::start_group_exit(&thread.process, wait_status::signaled(sig)),
    }
}

/// Thread `tid` of `process` exits: its signal state is gone (which may
/// complete a group stop: report it), then the PR_SET_PDEATHSIG signals of
/// the children it forked.
pub fn thread_exited(process: &Arc<Process>, tid: usize) {
    job::report(process);
    job::parent_thread_exits(process, tid);
}

/// The last thread of `process` is gone: SIGHUP and SIGCONT to the process
/// groups its exit orphans while they hold a stopped member (its
/// `children`, now without a parent, and its own group, seen from its
/// `parent`).
pub fn orphan_checks(
    process: &Arc<Process>,
    parent: Option<&Arc<Process>>,
    children: &[Arc<Process>],
) {
    job::orphan_checks(process, parent, children);
}

/// The last thread of `child` is gone and `parent` lives: SIGCHLD (CLD_EXITED
/// or CLD_KILLED with the status). Returns true if the parent asked not to
/// wait for children (SIGCHLD SIG_IGN or SA_NOCLDWAIT): reap it at once.
/// The caller holds the parent's lock (`parent_pgid`: its process group).
pub fn notify_parent(
    child: &Arc<Process>,
    parent: &Arc<Process>,
    parent_pgid: usize,
    status: i32,
) -> bool {
    job::notify_parent_exited(child, parent, parent_pgid, status)
}
