//! [`do_signal`] and [`rt_sigreturn`]; the design notes are on [`do_signal`].

use crate::errno::Errno;
use crate::frame::{self, FaultInfo, FpHook, FrameRequest, TrapFrame};
use crate::info::SignalInfo;
use crate::ptrace::Tracer;
use crate::restart::RestartBlock;
use crate::signo::Signo;
use crate::thread::{Delivery, JobControl, ThreadSignalManager};
use crate::uaccess::UserMemory;
use crate::wait::WaitQueue;
use lock_api::RawMutex;

/// What the kernel does after [`do_signal`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserReturn {
    /// Return to user space with the (possibly updated) trap frame.
    Resume,
    /// Stop the thread group with this signal (the kernel parks its threads until
    /// SIGCONT and reports `CLD_STOPPED` to the parent).
    Stop(Signo),
    /// End the thread group with this signal.
    Exit {
        /// The signal (the wait status's termination signal).
        sig: Signo,
        /// Whether its default action dumps core.
        core_dump: bool,
    },
}

/// The per-delivery inputs that come from the kernel rather than the managers.
#[derive(Clone, Copy, Debug, Default)]
pub struct KernelFrameInfo {
    /// Where a handler returns without `SA_RESTORER` (the vDSO / trampoline page's
    /// `rt_sigreturn`); unused on x86_64, where `SA_RESTORER` is required.
    pub trampoline: u64,
    /// The thread's last fault, copied into the frame's fault fields.
    pub fault: FaultInfo,
}

/// Delivers everything deliverable to the current thread, as Linux does on one
/// return to user space. `tf` is the interrupted user context; `mem` the thread's
/// user memory; `fp` the FP/SIMD hook.
///
/// The kernel answers two kinds of question through `job` and `tracer`, both
/// called with no lock of the crate held:
/// - `job` ([`JobControl`]): whether the thread's process group is orphaned, asked
///   before a default-action SIGTSTP, SIGTTIN or SIGTTOU stops the group; in an
///   orphaned group the signal is discarded instead ([rule 44]; see
///   [`ThreadSignalManager::get_signal_with`]). A kernel without process groups
///   passes [`NoJobControl`](crate::NoJobControl) (the signals always stop).
/// - `tracer` ([`Tracer`]): a traced thread's signals go through it first
///   (signal-delivery stops, group-stop traps, [rule 65]; see
///   [`ThreadSignalManager::get_signal_traced`]); `do_signal` blocks in the tracer's
///   stops. A kernel without ptrace passes [`NoTracer`](crate::NoTracer).
///
/// [rule 44]: crate::docs::rules#rule-44
/// [rule 65]: crate::docs::rules#rule-65
///
/// Context: process context, on the returning thread, with no lock of this crate
/// held (see the notes below); it writes user memory and may sleep there.
///
/// # Design notes
///
/// The return-to-user path, ready made: the kernel's delivery loop and
/// `rt_sigreturn`, joining the managers' decisions to the frame code.
///
/// A kernel calls [`do_signal`] on the way back to user space whenever
/// [`ThreadSignalManager::has_pending`] is set (or after every system call that may
/// have returned a restart code), and [`rt_sigreturn`] from its `rt_sigreturn` system
/// call. Both run in process context on the thread itself, with no lock of the crate
/// held. They do not allocate: frames are assembled in stack buffers (up to about
/// 5 KiB of kernel stack, for aarch64's 4.7 KiB frame or x86_64's frame plus a
/// 3 KiB XSAVE image). The one exception is rare: forcing SIGSEGV after a frame
/// could not be written queues its siginfo, which grows the thread's private queue
/// if it has never held one (see [`ProcessSignalManager::set_growable`]).
///
/// [`ProcessSignalManager::set_growable`]: crate::process::ProcessSignalManager::set_growable
///
/// `do_signal` is Linux's `exit_to_user_mode_loop` + `arch_do_signal_or_restart` +
/// `handle_signal`: it asks the thread for the next thing to do until nothing is
/// left, fixing up an interrupted system call ([rule 49]), pushing one frame per
/// handler and blocking its mask at once ([rule 47], [rule 47a]), forcing SIGSEGV when a
/// frame cannot be written ([rule 48]), and stopping at a stop or an exit ([rule 47b]).
///
/// [rule 47]: crate::docs::rules#rule-47
/// [rule 47a]: crate::docs::rules#rule-47a
/// [rule 47b]: crate::docs::rules#rule-47b
/// [rule 48]: crate::docs::rules#rule-48
/// [rule 49]: crate::docs::rules#rule-49
pub fn do_signal<W, R, T, M, J, P>(
    thread: &ThreadSignalManager<W, R>,
    tf: &mut T,
    fp: &mut dyn FpHook,
    mem: &mut M,
    k: KernelFrameInfo,
    job: &mut J,
    tracer: &mut P,
) -> UserReturn
where
    W: WaitQueue,
    R: RawMutex,
    T: TrapFrame + ?Sized,
    M: UserMemory + ?Sized,
    J: JobControl + ?Sized,
    P: Tracer + ?Sized,
{
    loop {
        let Some(d) = thread.get_signal_traced(job, tracer) else {
            // No handler (any more): an interrupted system call restarts.
            frame::syscall_restart(tf, None);
            return UserReturn::Resume;
        };
        let h = match d {
            Delivery::Handler(h) => h,
            Delivery::Stop(sig) => return UserReturn::Stop(sig),
            Delivery::Exit { sig, core_dump } => return UserReturn::Exit { sig, core_dump },
        };
        frame::syscall_restart(tf, Some(&h.action));
        let req = FrameRequest {
            sig: h.sig,
            action: &h.action,
            info: h.info.as_bytes(),
            saved_mask: h.saved_mask,
            trampoline: k.trampoline,
            fault: k.fault,
        };
        let mut stack = thread.altstack();
        match frame::setup_rt_frame(tf, fp, mem, &mut stack, &req) {
            Ok(_) => {
                thread.set_altstack(stack);
                thread.signal_delivered(&h);
            }
            Err(_) => {
                // `force_sigsegv` makes it fatal when the failed signal was SIGSEGV.
                let _ = thread.force_sigsegv(h.sig);
            }
        }
    }
}

/// `rt_sigreturn`: restores the context, mask and alternate stack saved in the
/// frame at the thread's stack pointer, and resets the thread's restart block to
/// [`RestartBlock::None`] ([rule 57]: a call interrupted for the handler that
/// returns now is not resumed by a later `restart_syscall`). Returns the value the
/// system call returns (the restored return register).
///
/// [rule 57]: crate::docs::rules#rule-57
///
/// A malformed frame forces SIGSEGV, with the siginfo Linux gives it on the
/// architecture ([`frame::BadFrame::info`]), and returns `Err(EFAULT)`; the kernel then goes
/// through [`do_signal`], which ends the process unless SIGSEGV is handled. As in
/// Linux, whose `rt_sigreturn` gives up at the first failing step, what it restored
/// before that step stays restored: the frame's mask, the alternate stack (x86_64
/// restores it before the sigcontext), and the registers and FP state each
/// architecture's frame code describes ([`frame::BadFrame`]), so a SIGSEGV handler
/// sees them in its frame. The system call then returns 0 in Linux:
/// the kernel writes 0, not the error, into the return register.
///
/// Context: process context, from the thread's `rt_sigreturn` system call, with no
/// lock of this crate held; it reads user memory and may sleep there.
pub fn rt_sigreturn<W, R, T, M>(
    thread: &ThreadSignalManager<W, R>,
    tf: &mut T,
    fp: &mut dyn FpHook,
    mem: &M,
) -> Result<u64, Errno>
where
    W: WaitQueue,
    R: RawMutex,
    T: TrapFrame + ?Sized,
    M: UserMemory + ?Sized,
{
    let mut stack = thread.altstack();
    match frame::restore_rt_frame(tf, fp, mem, &mut stack) {
        Ok(r) => {
            // "Always make any pending restarted system calls return -EINTR."
            thread.set_restart_block(RestartBlock::None);
            thread.set_altstack(stack);
            thread.restore_saved_mask(r.mask);
            if r.force_sigfpe {
                let _ = thread.force_signal(Signo::SIGFPE, &SignalInfo::kernel(Signo::SIGFPE));
            }
            Ok(r.ret)
        }
        Err(bad) => {
            if bad.restart_block_reset {
                thread.set_restart_block(RestartBlock::None);
            }
            if let Some(mask) = bad.mask {
                thread.restore_saved_mask(mask);
            }
            // `restore_altstack` ran (x86_64) or was never reached: either way this
            // is the thread's stack now.
            thread.set_altstack(stack);
            if bad.force_sigfpe {
                let _ = thread.force_signal(Signo::SIGFPE, &SignalInfo::kernel(Signo::SIGFPE));
            }
            let _ = thread.force_signal(Signo::SIGSEGV, &bad.info());
            Err(Errno::EFAULT)
        }
    }
}
