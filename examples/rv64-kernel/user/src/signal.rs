//! Signals, the raw Linux riscv64 ABI (what musl/glibc sit on): signal
//! numbers, `struct sigaction` as the kernel reads it, `siginfo_t`,
//! `stack_t` and the `ucontext_t` a handler receives.
//!
//! Handlers installed with `SA_SIGINFO` get `(signo, &siginfo, &ucontext)` in
//! a0..a2 and return through ra, which the kernel points at its
//! `rt_sigreturn` trampoline (riscv has no `SA_RESTORER`).

use crate::sys::*;
use core::mem::{offset_of, size_of};

// Signal numbers (kernel numbering: SIGRTMIN = 32).
pub const SIGHUP: usize = 1;
pub const SIGINT: usize = 2;
pub const SIGQUIT: usize = 3;
pub const SIGILL: usize = 4;
pub const SIGTRAP: usize = 5;
pub const SIGABRT: usize = 6;
pub const SIGBUS: usize = 7;
pub const SIGKILL: usize = 9;
pub const SIGUSR1: usize = 10;
pub const SIGSEGV: usize = 11;
pub const SIGUSR2: usize = 12;
pub const SIGALRM: usize = 14;
pub const SIGTERM: usize = 15;
pub const SIGCONT: usize = 18;
pub const SIGSTOP: usize = 19;
pub const SIGTSTP: usize = 20;
pub const SIGWINCH: usize = 28;
pub const SIGRTMIN: usize = 32;

// sa_flags.
pub const SA_NOCLDSTOP: u64 = 1;
pub const SA_NOCLDWAIT: u64 = 2;
pub const SA_SIGINFO: u64 = 4;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;

pub const SIG_DFL: usize = 0;
pub const SIG_IGN: usize = 1;

// rt_sigprocmask `how`.
pub const SIG_BLOCK: usize = 0;
pub const SIG_UNBLOCK: usize = 1;
pub const SIG_SETMASK: usize = 2;

// si_code values.
pub const SI_USER: i32 = 0;
pub const SI_KERNEL: i32 = 0x80;
pub const SI_QUEUE: i32 = -1;
pub const SI_TIMER: i32 = -2;
pub const SI_TKILL: i32 = -6;
pub const CLD_EXITED: i32 = 1;
pub const CLD_KILLED: i32 = 2;
pub const CLD_STOPPED: i32 = 5;
pub const CLD_CONTINUED: i32 = 6;
pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;
pub const ILL_ILLOPC: i32 = 1;
pub const TRAP_BRKPT: i32 = 1;

// sigevent notify.
pub const SIGEV_SIGNAL: i32 = 0;
pub const SIGEV_NONE: i32 = 1;
pub const SIGEV_THREAD_ID: i32 = 4;

// sigaltstack.
pub const SS_ONSTACK: i32 = 1;
pub const SS_DISABLE: i32 = 2;
pub const SS_AUTODISARM: i32 = 1 << 31;
pub const MINSIGSTKSZ: usize = 2048;

// More errno values.
pub const EPERM: isize = 1;
pub const EAGAIN: isize = 11;
pub const ENOMEM: isize = 12;

/// The bit of `sig` in a `sigset_t`.
pub const fn sigbit(sig: usize) -> u64 {
    1 << (sig - 1)
}

/// The kernel's `struct sigaction` on riscv64 (no `sa_restorer`): 24 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: usize,
    pub flags: u64,
    pub mask: u64,
}

/// `siginfo_t` (128 bytes), with the fields the tests read.
#[repr(C, align(8))]
#[derive(Clone, Copy, Debug)]
pub struct SigInfo {
    pub bytes: [u8; 128],
}

impl Default for SigInfo {
    fn default() -> Self {
        SigInfo { bytes: [0; 128] }
    }
}

impl SigInfo {
    fn i32_at(&self, off: usize) -> i32 {
        i32::from_le_bytes([
            self.bytes[off],
            self.bytes[off + 1],
            self.bytes[off + 2],
            self.bytes[off + 3],
        ])
    }
    fn u64_at(&self, off: usize) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.bytes[off..off + 8]);
        u64::from_le_bytes(b)
    }
    fn put_i32(&mut self, off: usize, v: i32) {
        self.bytes[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }
    fn put_u64(&mut self, off: usize, v: u64) {
        self.bytes[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }
    pub fn signo(&self) -> i32 {
        self.i32_at(0)
    }
    pub fn code(&self) -> i32 {
        self.i32_at(8)
    }
    /// si_pid (kill, sigqueue, SIGCHLD).
    pub fn pid(&self) -> i32 {
        self.i32_at(16)
    }
    /// si_uid.
    pub fn uid(&self) -> i32 {
        self.i32_at(20)
    }
    /// si_value (sigqueue).
    pub fn value(&self) -> u64 {
        self.u64_at(24)
    }
    /// si_status (SIGCHLD).
    pub fn status(&self) -> i32 {
        self.i32_at(24)
    }
    /// si_addr (faults).
    pub fn addr(&self) -> u64 {
        self.u64_at(16)
    }
    /// What `sigqueue(3)` passes: SI_QUEUE, the sender's pid and uid, a value.
    pub fn queue(sig: usize, value: u64) -> SigInfo {
        let mut i = SigInfo::default();
        i.put_i32(0, sig as i32);
        i.put_i32(8, SI_QUEUE);
        i.put_i32(16, getpid() as i32);
        i.put_i32(20, 0);
        i.put_u64(24, value);
        i
    }
}

/// `stack_t`: 24 bytes (sp, flags, padding, size).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StackT {
    pub ss_sp: usize,
    pub ss_flags: i32,
    pub ss_size: usize,
}

/// `struct sigcontext` (`mcontext_t`): pc and x1..x31 in `regs` (regs[0] is
/// the pc, regs[n] is xn), then the D-extension state and room for
/// extension records (528 bytes in all, 16-byte aligned).
#[repr(C, align(16))]
#[derive(Clone, Copy)]
pub struct MContext {
    pub regs: [u64; 32],
    pub fpregs: [u64; 32],
    pub fcsr: u32,
    pub reserved: [u8; 268],
}

/// The `ucontext_t` of a signal frame.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct UContext {
    pub uc_flags: u64,
    pub uc_link: u64,
    pub uc_stack: StackT,
    pub uc_sigmask: u64,
    pub unused: [u8; 120],
    pub mcontext: MContext,
}

/// `struct rt_sigframe`: what sp points at when a handler starts.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct RtSigframe {
    pub info: SigInfo,
    pub uc: UContext,
}

// The layout musl and the kernel agree on.
const _: () = assert!(size_of::<StackT>() == 24);
const _: () = assert!(offset_of!(UContext, uc_stack) == 16);
const _: () = assert!(offset_of!(UContext, uc_sigmask) == 40);
const _: () = assert!(offset_of!(UContext, mcontext) == 176);
const _: () = assert!(size_of::<MContext>() == 784);
const _: () = assert!(offset_of!(MContext, fcsr) == 512);
const _: () = assert!(size_of::<UContext>() == 960);
const _: () = assert!(size_of::<RtSigframe>() == 1088);

/// pc / sp / a0 index in `MContext::regs`.
pub const REG_PC: usize = 0;
pub const REG_RA: usize = 1;
pub const REG_SP: usize = 2;
pub const REG_A0: usize = 10;

/// A handler taking `(signo, siginfo *, ucontext *)` (SA_SIGINFO).
pub type InfoHandler = extern "C" fn(i32, *mut SigInfo, *mut UContext);

/// rt_sigaction(sig, act, oact, 8).
pub fn sigaction_raw(sig: usize, act: Option<&SigAction>, old: Option<&mut SigAction>) -> isize {
    let act = act.map_or(0, |a| a as *const SigAction as usize);
    let old = old.map_or(0, |a| a as *mut SigAction as usize);
    syscall6(SYS_RT_SIGACTION, [sig, act, old, 8, 0, 0])
}

/// Installs `handler` (an address, SIG_DFL or SIG_IGN) for `sig`.
pub fn sigaction(sig: usize, handler: usize, flags: u64, mask: u64) -> isize {
    sigaction_raw(sig, Some(&SigAction { handler, flags, mask }), None)
}

/// Installs an SA_SIGINFO handler (plus `flags`).
pub fn on_signal(sig: usize, handler: InfoHandler, flags: u64, mask: u64) -> isize {
    sigaction(sig, handler as usize, flags | SA_SIGINFO, mask)
}

/// The current action for `sig`.
pub fn get_action(sig: usize) -> SigAction {
    let mut old = SigAction::default();
    sigaction_raw(sig, None, Some(&mut old));
    old
}

/// rt_sigprocmask(how, &set, &old, 8); returns the old mask.
pub fn sigprocmask(how: usize, set: u64) -> u64 {
    let mut old = 0u64;
    syscall6(
        SYS_RT_SIGPROCMASK,
        [how, &set as *const u64 as usize, &mut old as *mut u64 as usize, 8, 0, 0],
    );
    old
}

/// The current mask.
pub fn sigmask() -> u64 {
    let mut old = 0u64;
    syscall6(SYS_RT_SIGPROCMASK, [SIG_BLOCK, 0, &mut old as *mut u64 as usize, 8, 0, 0]);
    old
}

/// rt_sigpending: blocked signals that are pending.
pub fn sigpending() -> u64 {
    let mut set = 0u64;
    syscall(SYS_RT_SIGPENDING, &mut set as *mut u64 as usize, 8, 0);
    set
}

pub fn tkill(tid: isize, sig: usize) -> isize {
    syscall(SYS_TKILL, tid as usize, sig, 0)
}

pub fn tgkill(tgid: isize, tid: isize, sig: usize) -> isize {
    syscall(SYS_TGKILL, tgid as usize, tid as usize, sig)
}

/// Sends `sig` to the calling thread (what `raise(3)` does).
pub fn raise(sig: usize) -> isize {
    tkill(gettid(), sig)
}

/// `sigqueue(3)`: rt_sigqueueinfo with SI_QUEUE and `value`.
pub fn sigqueue(pid: isize, sig: usize, value: u64) -> isize {
    let info = SigInfo::queue(sig, value);
    syscall(SYS_RT_SIGQUEUEINFO, pid as usize, sig, &info as *const SigInfo as usize)
}

/// `pthread_sigqueue(3)`: rt_tgsigqueueinfo with SI_QUEUE and `value`.
pub fn tgsigqueue(tgid: isize, tid: isize, sig: usize, value: u64) -> isize {
    let info = SigInfo::queue(sig, value);
    syscall6(
        SYS_RT_TGSIGQUEUEINFO,
        [tgid as usize, tid as usize, sig, &info as *const SigInfo as usize, 0, 0],
    )
}

/// rt_sigtimedwait(set, info, timeout, 8): the signal number or -errno.
pub fn sigtimedwait(set: u64, info: &mut SigInfo, timeout: Option<&Timespec>) -> isize {
    let ts = timeout.map_or(0, |t| t as *const Timespec as usize);
    syscall6(
        SYS_RT_SIGTIMEDWAIT,
        [&set as *const u64 as usize, info as *mut SigInfo as usize, ts, 8, 0, 0],
    )
}

/// rt_sigsuspend(mask, 8): returns -EINTR once a handler ran.
pub fn sigsuspend(mask: u64) -> isize {
    syscall(SYS_RT_SIGSUSPEND, &mask as *const u64 as usize, 8, 0)
}

/// sigaltstack(new, old).
pub fn sigaltstack(new: Option<&StackT>, old: Option<&mut StackT>) -> isize {
    let new = new.map_or(0, |s| s as *const StackT as usize);
    let old = old.map_or(0, |s| s as *mut StackT as usize);
    syscall(SYS_SIGALTSTACK, new, old, 0)
}

/// The current alternate stack.
pub fn current_altstack() -> StackT {
    let mut s = StackT::default();
    sigaltstack(None, Some(&mut s));
    s
}

/// The stack pointer of the caller.
#[inline(always)]
pub fn stack_pointer() -> usize {
    let sp: usize;
    // SAFETY: reads the sp register; no memory access.
    unsafe { core::arch::asm!("mv {}, sp", out(reg) sp, options(nomem, nostack)) };
    sp
}

/// Runs `child` in a forked child process that then exits with the code
/// it returns; returns the child's wait status.
pub fn in_child(child: fn() -> i32) -> i32 {
    let pid = fork();
    if pid == 0 {
        exit_group(child());
    }
    if pid < 0 {
        return -1;
    }
    let (r, status) = wait4(pid, 0);
    if r != pid { -1 } else { status }
}

/// The SIGCHLDs a program expects, taken with `sigtimedwait` (SIGCHLD blocked): a
/// failure names `prog` and the step.
pub struct ChildEvents {
    /// The program, for failure messages.
    pub prog: &'static str,
    /// How long [`expect`](Self::expect) waits, in milliseconds.
    pub wait_ms: u64,
    /// How long [`none`](Self::none) watches, in milliseconds.
    pub quiet_ms: u64,
}

impl ChildEvents {
    /// The next SIGCHLD is `child`'s, with `code` and `status`, sent as root.
    pub fn expect(&self, what: &str, code: i32, child: isize, status: i32) {
        let mut info = SigInfo::default();
        let timeout = Timespec::from_millis(self.wait_ms);
        let r = sigtimedwait(sigbit(SIGCHLD), &mut info, Some(&timeout));
        crate::check!(r == SIGCHLD as isize, "{}: {}: no SIGCHLD ({})", self.prog, what, r);
        let got = (info.code(), info.pid(), info.status(), info.uid());
        crate::check!(
            got == (code, child as i32, status, 0),
            "{}: {}: SIGCHLD code {} pid {} status {} uid {}, want {} {} {} 0",
            self.prog,
            what,
            got.0,
            got.1,
            got.2,
            got.3,
            code,
            child,
            status
        );
    }

    /// No SIGCHLD comes.
    pub fn none(&self, what: &str) {
        let mut info = SigInfo::default();
        let timeout = Timespec::from_millis(self.quiet_ms);
        let r = sigtimedwait(sigbit(SIGCHLD), &mut info, Some(&timeout));
        crate::check!(
            r == -EAGAIN,
            "{}: {}: unexpected SIGCHLD code {}",
            self.prog,
            what,
            info.code()
        );
    }
}

/// A child's word to its parent, which blocks SIGUSR2, that it is ready.
pub fn tell_parent_ready() {
    kill(getppid(), SIGUSR2);
}

/// Waits up to `ms` milliseconds for child `pid`'s [`tell_parent_ready`] (SIGUSR2
/// blocked here); a failure names `prog`.
pub fn await_ready(prog: &str, pid: isize, ms: u64) {
    let mut info = SigInfo::default();
    let r = sigtimedwait(sigbit(SIGUSR2), &mut info, Some(&Timespec::from_millis(ms)));
    crate::check!(
        r == SIGUSR2 as isize && info.pid() == pid as i32,
        "{}: child {} not ready ({}, from {})",
        prog,
        pid,
        r,
        info.pid()
    );
}

/// Forks a child that runs `child` and exits with what it returns; returns the
/// child's pid once the child said it is ready ([`await_ready`]).
pub fn fork_ready(prog: &str, ms: u64, child: impl FnOnce() -> i32) -> isize {
    let pid = fork();
    if pid == 0 {
        exit_group(child());
    }
    crate::check!(pid > 0, "{}: fork {}", prog, pid);
    await_ready(prog, pid, ms);
    pid
}
