//! Where ksignal plugs in. Every function here is a hook with the
//! behaviour the kernel needs *without* signals; wiring ksignal means
//! filling these in (and adding the syscall arms in `syscall/mod.rs`).
//!
//! | hook                      | called from                        |
//! |---------------------------|------------------------------------|
//! | `signal_pending`          | `sched::block_current` (every sleep)|
//! | `deliver_pending_signals` | `trap::exit_to_user`               |
//! | `restart_syscall`         | `trap::exit_to_user` (no handler)  |
//! | `handler_restart_fixup`   | to be called by delivery           |
//! | `user_fault`              | `trap::handle_user_trap`           |
//! | `notify_parent`           | `task::exit_process`               |

use crate::errno::Errno;
use crate::task::{self, Process, Thread, wait_status};
use crate::trap::{REG_A0, REG_A7, TrapFrame};
use alloc::sync::Arc;

/// Linux's `__NR_restart_syscall`.
pub const SYS_RESTART_SYSCALL: usize = 128;

/// Should a sleep of `thread` end (or not start)? Now: only when the thread
/// or its process must exit. ksignal: also when an unblocked signal is
/// pending for the thread.
pub fn signal_pending(thread: &Thread) -> bool {
    let exiting = thread.inner.lock().exit_code.is_some();
    exiting || thread.process.inner.lock().group_exit.is_some()
}

/// >>> SIGNAL DELIVERY HOOK <<<
///
/// Called on every return to user mode with the complete user state in `tf`
/// (GPRs, sepc, FP registers, fcsr). ksignal dequeues a pending signal and:
/// - default action "terminate": `task::start_group_exit(&process,
///   wait_status::signaled(sig))` and return true (exit follows);
/// - default action "stop": report via `JobEvent::Stopped`, sleep on a
///   `WaitQueue` until SIGCONT;
/// - a handler: call `handler_restart_fixup(tf, sa_restart)` first, then
///   write the rt_sigframe (siginfo + ucontext from `tf`) to the user stack
///   with `uaccess::copy_to_user`, and point `tf` at the handler
///   (sepc = handler, a0 = sig, a1 = &info, a2 = &uc, sp = frame, ra =
///   sa_restorer if SA_RESTORER else `mm::SIGRETURN_TRAMPOLINE`, a page
///   holding `li a7, 139; ecall` mapped in every process).
///
/// Returns true if a handler frame was set up; `exit_to_user` then calls
/// it again (more signals may be pending) until it returns false, so it
/// must return false when nothing deliverable is left (e.g. all blocked).
pub fn deliver_pending_signals(_tf: &mut TrapFrame) -> bool {
    false
}

/// >>> SYSCALL RESTART HOOK (no handler ran) <<<
///
/// A blocking syscall interrupted by a signal returned a restart code. If no
/// handler is run for it (signal ignored, or it only stopped/continued the
/// process), the syscall is silently re-executed: a0 gets its original value
/// back and sepc points at the `ecall` again. ERESTART_RESTARTBLOCK runs
/// `restart_syscall` instead, which resumes with the thread's saved state.
pub fn restart_syscall(tf: &mut TrapFrame) {
    if tf.in_syscall == 0 {
        return;
    }
    tf.in_syscall = 0;
    let ret = tf.regs[REG_A0] as isize;
    match -ret as i32 {
        code if code == Errno::ERESTARTSYS.0 || code == Errno::ERESTARTNOINTR.0 || code == Errno::ERESTARTNOHAND.0 => {
            tf.regs[REG_A0] = tf.orig_a0;
            tf.sepc -= 4;
        }
        code if code == Errno::ERESTART_RESTARTBLOCK.0 => {
            tf.regs[REG_A0] = tf.orig_a0;
            tf.regs[REG_A7] = SYS_RESTART_SYSCALL;
            tf.sepc -= 4;
        }
        _ => {}
    }
}

/// For signal delivery: decides what an interrupted syscall returns when a
/// handler *is* about to run (Linux's rules):
/// - ERESTARTNOHAND, ERESTART_RESTARTBLOCK: -EINTR;
/// - ERESTARTSYS: restart if the handler has SA_RESTART, else -EINTR;
/// - ERESTARTNOINTR: always restart.
#[allow(dead_code)] // called by ksignal's delivery
pub fn handler_restart_fixup(tf: &mut TrapFrame, sa_restart: bool) {
    if tf.in_syscall == 0 {
        return;
    }
    tf.in_syscall = 0;
    let code = -(tf.regs[REG_A0] as isize) as i32;
    let eintr = -(Errno::EINTR.0 as isize) as usize;
    if code == Errno::ERESTARTNOHAND.0 || code == Errno::ERESTART_RESTARTBLOCK.0 {
        tf.regs[REG_A0] = eintr;
    } else if code == Errno::ERESTARTSYS.0 {
        if sa_restart {
            tf.regs[REG_A0] = tf.orig_a0;
            tf.sepc -= 4;
        } else {
            tf.regs[REG_A0] = eintr;
        }
    } else if code == Errno::ERESTARTNOINTR.0 {
        tf.regs[REG_A0] = tf.orig_a0;
        tf.sepc -= 4;
    }
}

/// A synchronous fault in user mode (page fault, illegal instruction, ...).
/// Now: the process is killed as if by the signal's default action.
/// ksignal: force the signal (SIGSEGV with si_code SEGV_MAPERR/ACCERR and
/// si_addr = stval, SIGILL with ILL_ILLOPC, ...); a handler may catch it.
pub fn user_fault(tf: &mut TrapFrame, sig: usize) {
    let process = task::current_process();
    println!(
        "[kernel] {} (pid {}) killed by signal {sig}: scause {:#x} sepc {:#x} stval {:#x}",
        process.name, process.pid, tf.scause, tf.sepc, tf.stval
    );
    task::start_group_exit(&process, wait_status::signaled(sig));
}

/// The last thread of `child` is gone and `parent` lives.
/// ksignal: send `exit_signal` (SIGCHLD, with CLD_EXITED / CLD_KILLED and
/// si_status) to the parent, honouring SA_NOCLDWAIT / SIG_IGN (auto-reap).
pub fn notify_parent(_child: &Arc<Process>, _parent: &Arc<Process>, _status: i32) {}
