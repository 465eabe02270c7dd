//! Raw Linux riscv64 system calls.
//!
//! Wrappers return the kernel's raw result (`isize`, negative = -errno)
//! instead of a `Result`, because the tests want to check exact errno values.

use core::arch::asm;

// System call numbers (asm-generic table, used by riscv64).
pub const SYS_CLOSE: usize = 57;
pub const SYS_READ: usize = 63;
pub const SYS_WRITE: usize = 64;
pub const SYS_SIGNALFD4: usize = 74;
pub const SYS_EXIT: usize = 93;
pub const SYS_EXIT_GROUP: usize = 94;
pub const SYS_SET_TID_ADDRESS: usize = 96;
pub const SYS_NANOSLEEP: usize = 101;
pub const SYS_GETITIMER: usize = 102;
pub const SYS_SETITIMER: usize = 103;
pub const SYS_TIMER_CREATE: usize = 107;
pub const SYS_TIMER_GETTIME: usize = 108;
pub const SYS_TIMER_GETOVERRUN: usize = 109;
pub const SYS_TIMER_SETTIME: usize = 110;
pub const SYS_TIMER_DELETE: usize = 111;
pub const SYS_CLOCK_GETTIME: usize = 113;
pub const SYS_CLOCK_NANOSLEEP: usize = 115;
pub const SYS_PTRACE: usize = 117;
pub const SYS_SCHED_YIELD: usize = 124;
pub const SYS_RESTART_SYSCALL: usize = 128;
pub const SYS_KILL: usize = 129;
pub const SYS_TKILL: usize = 130;
pub const SYS_TGKILL: usize = 131;
pub const SYS_SIGALTSTACK: usize = 132;
pub const SYS_RT_SIGSUSPEND: usize = 133;
pub const SYS_RT_SIGACTION: usize = 134;
pub const SYS_RT_SIGPROCMASK: usize = 135;
pub const SYS_RT_SIGPENDING: usize = 136;
pub const SYS_RT_SIGTIMEDWAIT: usize = 137;
pub const SYS_RT_SIGQUEUEINFO: usize = 138;
pub const SYS_RT_SIGRETURN: usize = 139;
pub const SYS_SETPGID: usize = 154;
pub const SYS_GETPGID: usize = 155;
pub const SYS_PRCTL: usize = 167;
pub const SYS_GETPID: usize = 172;
pub const SYS_GETPPID: usize = 173;
pub const SYS_GETTID: usize = 178;
pub const SYS_CLONE: usize = 220;
pub const SYS_RT_TGSIGQUEUEINFO: usize = 240;
pub const SYS_WAIT4: usize = 260;

// ptrace requests.
pub const PTRACE_TRACEME: usize = 0;
pub const PTRACE_CONT: usize = 7;
pub const PTRACE_GETSIGINFO: usize = 0x4202;
pub const PTRACE_SETSIGINFO: usize = 0x4203;

// errno values the tests compare against.
pub const EINTR: isize = 4;
pub const ESRCH: isize = 3;
pub const EIO: isize = 5;
pub const ECHILD: isize = 10;
pub const EFAULT: isize = 14;
pub const EBADF: isize = 9;
pub const EINVAL: isize = 22;
pub const ENOSYS: isize = 38;

// clone(2) flags.
pub const CLONE_VM: usize = 0x100;
pub const CLONE_FS: usize = 0x200;
pub const CLONE_FILES: usize = 0x400;
pub const CLONE_SIGHAND: usize = 0x800;
pub const CLONE_THREAD: usize = 0x10000;
pub const CLONE_SYSVSEM: usize = 0x40000;
pub const CLONE_SETTLS: usize = 0x80000;
pub const CLONE_PARENT_SETTID: usize = 0x100000;
pub const CLONE_CHILD_CLEARTID: usize = 0x200000;
pub const SIGCHLD: usize = 17;

// wait4 options.
pub const WNOHANG: usize = 1;
pub const WUNTRACED: usize = 2;
pub const WCONTINUED: usize = 8;

pub const CLOCK_REALTIME: usize = 0;
pub const CLOCK_MONOTONIC: usize = 1;
/// clock_nanosleep's flag: the time is a deadline.
pub const TIMER_ABSTIME: usize = 1;

/// Where the kernel maps `li a7, 139; ecall` (rt_sigreturn) in every process:
/// the return address for signal handlers without SA_RESTORER.
pub const SIGRETURN_TRAMPOLINE: usize = 0x4000_0000;

/// `struct timespec` on riscv64.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Timespec {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}

impl Timespec {
    pub fn from_millis(ms: u64) -> Self {
        Timespec { tv_sec: (ms / 1000) as i64, tv_nsec: ((ms % 1000) * 1_000_000) as i64 }
    }
    pub fn from_nanos(ns: u64) -> Self {
        Timespec { tv_sec: (ns / 1_000_000_000) as i64, tv_nsec: (ns % 1_000_000_000) as i64 }
    }
    pub fn as_nanos(&self) -> u64 {
        self.tv_sec as u64 * 1_000_000_000 + self.tv_nsec as u64
    }
}

/// Issues `ecall` with up to six arguments.
#[inline(always)]
pub fn syscall6(nr: usize, a: [usize; 6]) -> isize {
    let ret: isize;
    // SAFETY: an ecall only transfers control to the kernel, which preserves
    // every register except a0. Memory passed by pointer is the caller's
    // concern, exactly as with the C library's syscall().
    unsafe {
        asm!("ecall",
            inlateout("a0") a[0] => ret,
            in("a1") a[1], in("a2") a[2], in("a3") a[3], in("a4") a[4], in("a5") a[5],
            in("a7") nr,
            options(nostack));
    }
    ret
}

#[inline(always)]
pub fn syscall(nr: usize, a0: usize, a1: usize, a2: usize) -> isize {
    syscall6(nr, [a0, a1, a2, 0, 0, 0])
}

pub fn write(fd: usize, buf: &[u8]) -> isize {
    syscall(SYS_WRITE, fd, buf.as_ptr() as usize, buf.len())
}

pub fn read(fd: usize, buf: &mut [u8]) -> isize {
    syscall(SYS_READ, fd, buf.as_mut_ptr() as usize, buf.len())
}

pub fn close(fd: usize) -> isize {
    syscall(SYS_CLOSE, fd, 0, 0)
}

/// `signalfd4(ufd, &mask, 8, flags)`: a new signalfd (`ufd` -1) or a new
/// mask for the one at `ufd`.
pub fn signalfd4(ufd: isize, mask: u64, flags: usize) -> isize {
    syscall6(SYS_SIGNALFD4, [ufd as usize, &mask as *const u64 as usize, 8, flags, 0, 0])
}

/// Ends the calling thread only (the process ends with its last thread).
pub fn exit(code: i32) -> ! {
    syscall(SYS_EXIT, code as usize, 0, 0);
    unreachable!("exit returned")
}

/// Ends every thread of the process.
pub fn exit_group(code: i32) -> ! {
    syscall(SYS_EXIT_GROUP, code as usize, 0, 0);
    #[allow(clippy::empty_loop)]
    loop {}
}

pub fn getpid() -> isize {
    syscall(SYS_GETPID, 0, 0, 0)
}

pub fn getppid() -> isize {
    syscall(SYS_GETPPID, 0, 0, 0)
}

pub fn gettid() -> isize {
    syscall(SYS_GETTID, 0, 0, 0)
}

pub fn sched_yield() -> isize {
    syscall(SYS_SCHED_YIELD, 0, 0, 0)
}

pub fn nanosleep(req: &Timespec, rem: Option<&mut Timespec>) -> isize {
    let rem = rem.map_or(0, |r| r as *mut Timespec as usize);
    syscall(SYS_NANOSLEEP, req as *const Timespec as usize, rem, 0)
}

/// `nanosleep` for `ms` milliseconds with a `rem`: its result, the time left it
/// wrote, and how long it took in nanoseconds.
pub fn timed_nanosleep(ms: u64) -> (isize, Timespec, u64) {
    let t0 = now_ns();
    let mut rem = Timespec::default();
    let r = nanosleep(&Timespec::from_millis(ms), Some(&mut rem));
    (r, rem, now_ns() - t0)
}

pub fn clock_nanosleep(
    clock: usize,
    flags: usize,
    req: &Timespec,
    rem: Option<&mut Timespec>,
) -> isize {
    let rem = rem.map_or(0, |r| r as *mut Timespec as usize);
    syscall6(SYS_CLOCK_NANOSLEEP, [clock, flags, req as *const Timespec as usize, rem, 0, 0])
}

/// restart_syscall(2), called directly (EINTR unless a restart is pending).
pub fn restart_syscall() -> isize {
    syscall(SYS_RESTART_SYSCALL, 0, 0, 0)
}

pub fn sleep_ms(ms: u64) -> isize {
    nanosleep(&Timespec::from_millis(ms), None)
}

pub fn clock_gettime(clock: usize) -> Timespec {
    let mut ts = Timespec::default();
    syscall(SYS_CLOCK_GETTIME, clock, &mut ts as *mut Timespec as usize, 0);
    ts
}

/// Monotonic time in nanoseconds.
pub fn now_ns() -> u64 {
    clock_gettime(CLOCK_MONOTONIC).as_nanos()
}

/// `wait4(pid, &status, options, NULL)`; returns (result, status).
pub fn wait4(pid: isize, options: usize) -> (isize, i32) {
    let mut status: i32 = 0;
    let r = syscall6(SYS_WAIT4, [pid as usize, &mut status as *mut i32 as usize, options, 0, 0, 0]);
    (r, status)
}

/// fork(): clone with only the exit signal set. Returns 0 in the child.
pub fn fork() -> isize {
    syscall6(SYS_CLONE, [SIGCHLD, 0, 0, 0, 0, 0])
}

pub fn getpgid(pid: isize) -> isize {
    syscall(SYS_GETPGID, pid as usize, 0, 0)
}

pub fn setpgid(pid: isize, pgid: isize) -> isize {
    syscall(SYS_SETPGID, pid as usize, pgid as usize, 0)
}

pub fn kill(pid: isize, sig: usize) -> isize {
    syscall(SYS_KILL, pid as usize, sig, 0)
}
