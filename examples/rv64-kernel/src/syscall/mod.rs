//! System call dispatch (Linux riscv64 ABI: a7 = number, a0..a5 =
//! arguments, a0 = result or -errno).
//!
//! Each syscall is one match arm calling a handler that returns
//! `SysResult`.

mod fs;
mod process;
mod signal;
mod time;

use crate::errno::{Errno, SysResult};
use crate::trap::TrapFrame;

/// Syscall numbers (the asm-generic table that riscv64 uses).
pub mod nr {
    pub const CLOSE: usize = 57;
    pub const SIGNALFD4: usize = 74;
    pub const READ: usize = 63;
    pub const WRITE: usize = 64;
    pub const EXIT: usize = 93;
    pub const EXIT_GROUP: usize = 94;
    pub const SET_TID_ADDRESS: usize = 96;
    pub const NANOSLEEP: usize = 101;
    pub const GETITIMER: usize = 102;
    pub const SETITIMER: usize = 103;
    pub const TIMER_CREATE: usize = 107;
    pub const TIMER_GETTIME: usize = 108;
    pub const TIMER_GETOVERRUN: usize = 109;
    pub const TIMER_SETTIME: usize = 110;
    pub const TIMER_DELETE: usize = 111;
    pub const PTRACE: usize = 117;
    pub const CLOCK_GETTIME: usize = 113;
    pub const CLOCK_NANOSLEEP: usize = 115;
    pub const SCHED_GETAFFINITY: usize = 123;
    pub const SCHED_YIELD: usize = 124;
    pub const RESTART_SYSCALL: usize = 128;
    pub const KILL: usize = 129;
    pub const TKILL: usize = 130;
    pub const TGKILL: usize = 131;
    pub const SIGALTSTACK: usize = 132;
    pub const RT_SIGSUSPEND: usize = 133;
    pub const RT_SIGACTION: usize = 134;
    pub const RT_SIGPROCMASK: usize = 135;
    pub const RT_SIGPENDING: usize = 136;
    pub const RT_SIGTIMEDWAIT: usize = 137;
    pub const RT_SIGQUEUEINFO: usize = 138;
    pub const RT_SIGRETURN: usize = 139;
    pub const SETPGID: usize = 154;
    pub const GETPGID: usize = 155;
    pub const PRCTL: usize = 167;
    pub const GETPID: usize = 172;
    pub const GETPPID: usize = 173;
    pub const GETTID: usize = 178;
    pub const CLONE: usize = 220;
    pub const RT_TGSIGQUEUEINFO: usize = 240;
    pub const WAIT4: usize = 260;
    /// Kernel-private, outside Linux's table: the signal round trip's
    /// per-phase cycle sums (`signal::phases`), for `sig_cycles`.
    pub const SIGNAL_PHASES: usize = 1000;
}

/// Handles an `ecall` from user mode (sepc already points past it).
pub fn handle(tf: &mut TrapFrame) {
    tf.orig_a0 = tf.regs[TrapFrame::A0];
    tf.in_syscall = 1;
    let result = dispatch(tf);
    tf.regs[TrapFrame::A0] = match result {
        Ok(value) => value,
        Err(Errno(e)) => (-(e as isize)) as usize,
    };
}

fn dispatch(tf: &mut TrapFrame) -> SysResult {
    let [a0, a1, a2, a3, a4, _a5] = tf.syscall_args();
    match tf.syscall_nr() {
        nr::READ => fs::read(a0, a1, a2),
        nr::WRITE => fs::write(a0, a1, a2),
        nr::CLOSE => fs::close(a0),
        nr::SIGNALFD4 => signal::signalfd4(a0, a1, a2, a3),
        nr::EXIT => process::exit(a0),
        nr::EXIT_GROUP => process::exit_group(a0),
        nr::SET_TID_ADDRESS => process::set_tid_address(a0),
        nr::NANOSLEEP => time::nanosleep(a0, a1),
        nr::GETITIMER => time::getitimer(a0, a1),
        nr::SETITIMER => time::setitimer(a0, a1, a2),
        nr::CLOCK_GETTIME => time::clock_gettime(a0, a1),
        nr::CLOCK_NANOSLEEP => time::clock_nanosleep(a0, a1, a2, a3),
        // POSIX timers: the clock here, the signal side in ksignal.
        nr::TIMER_CREATE => crate::ptimer::timer_create(a0, a1, a2),
        nr::TIMER_GETTIME => crate::ptimer::timer_gettime(a0, a1),
        nr::TIMER_GETOVERRUN => crate::ptimer::timer_getoverrun(a0),
        nr::TIMER_SETTIME => crate::ptimer::timer_settime(a0, a1, a2, a3),
        nr::TIMER_DELETE => crate::ptimer::timer_delete(a0),
        nr::SCHED_YIELD => process::sched_yield(),
        nr::SCHED_GETAFFINITY => process::sched_getaffinity(a0, a1, a2),
        nr::RESTART_SYSCALL => time::restart_syscall(),
        nr::GETPID => process::getpid(),
        nr::GETPPID => process::getppid(),
        nr::GETTID => process::gettid(),
        nr::SETPGID => process::setpgid(a0, a1),
        nr::GETPGID => process::getpgid(a0),
        nr::CLONE => process::clone(tf, a0, a1, a2, a3, a4),
        nr::WAIT4 => process::wait4(a0 as isize, a1, a2, a3),
        nr::PTRACE => crate::signal::ptrace::ptrace(a0, a1, a2, a3),
        // Signals: ksignal's system-call layer (`signal.rs`).
        nr::KILL => signal::kill(a0, a1),
        nr::TKILL => signal::tkill(a0, a1),
        nr::TGKILL => signal::tgkill(a0, a1, a2),
        nr::SIGALTSTACK => signal::sigaltstack(a0, a1, tf.regs[TrapFrame::SP]),
        nr::RT_SIGSUSPEND => signal::rt_sigsuspend(a0, a1),
        nr::RT_SIGACTION => signal::rt_sigaction(a0, a1, a2, a3),
        nr::RT_SIGPROCMASK => signal::rt_sigprocmask(a0, a1, a2, a3),
        nr::RT_SIGPENDING => signal::rt_sigpending(a0, a1),
        nr::PRCTL => signal::prctl(a0, a1),
        nr::RT_SIGTIMEDWAIT => signal::rt_sigtimedwait(a0, a1, a2, a3),
        nr::RT_SIGQUEUEINFO => signal::rt_sigqueueinfo(a0, a1, a2),
        nr::RT_TGSIGQUEUEINFO => signal::rt_tgsigqueueinfo(a0, a1, a2, a3),
        // Restores all of `tf` from the signal frame (clearing
        // `tf.in_syscall`) and returns the restored a0, so the assignment in
        // `handle` keeps it.
        nr::RT_SIGRETURN => signal::rt_sigreturn(tf),
        nr::SIGNAL_PHASES => crate::signal::phases::sys_signal_phases(a0, a1),
        _ => Err(Errno::ENOSYS),
    }
}
