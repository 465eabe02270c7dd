//! Restart blocks and `restart_syscall` ([rule 56], [rule 57], [rule 58], [rule 59]):
//! a small simulated kernel (a clock it advances, sleeps a test interrupts) on the
//! crate's managers, frames and system-call layer.
//!
//! [rule 56]: ksignal::docs::rules#rule-56
//! [rule 57]: ksignal::docs::rules#rule-57
//! [rule 58]: ksignal::docs::rules#rule-58
//! [rule 59]: ksignal::docs::rules#rule-59

// Only the addresses of `signal_setup` are used here.
#[allow(dead_code)]
mod common {
    pub mod return_to_user;
    pub mod signal_setup;
    pub mod user_stack;
    pub mod wait;
}

use common::return_to_user::return_to_user;
use common::signal_setup::{HANDLER, K, RESTORER};
use common::user_stack::{STACK_BASE, memory, stack_top};
use common::wait::CondvarQueue;
use ksignal::frame::aarch64::Aarch64Context;
use ksignal::frame::loongarch64::Loongarch64Context;
use ksignal::frame::riscv64::Riscv64Context;
use ksignal::frame::x86_64::X86_64Context;
use ksignal::frame::{NoFp, TrapFrame};
use ksignal::syscall::{Caller, Credentials, TaskIds, sys_restart_syscall};
use ksignal::{
    Arch, Errno, FutexRestart, NanosleepRestart, PendingLimit, PollRestart, ProcessSignalManager,
    RestartBlock, RestartHandler, SaFlags, SignalAction, SignalActions, SignalSet, Signo,
    SleepMode, ThreadSignalManager, TimeType, UserBuffer, UserMemory, UserReturn,
    nanosleep_copyout, nanosleep_interrupted, rt_sigreturn,
};
use std::sync::Arc;

type Thread = ThreadSignalManager<CondvarQueue>;
type Process = ProcessSignalManager<CondvarQueue>;

const SEC: u64 = 1_000_000_000;
/// CLOCK_MONOTONIC (include/uapi/linux/time.h).
const CLOCK_MONOTONIC: i32 = 1;
const NR_NANOSLEEP_RISCV64: u64 = 101;
/// Where the simulated nanosleep's `rem` lives (in the stack region).
const REM: usize = STACK_BASE + 0x100;

fn thread() -> (Arc<Process>, Thread) {
    let p = Arc::new(Process::new(
        Arc::new(SignalActions::new()),
        Arc::new(PendingLimit::new(64)),
    ));
    let t = Thread::new(&p, 1, SignalSet::EMPTY, CondvarQueue::default()).unwrap();
    (p, t)
}

fn caller(t: &Thread) -> Caller<'_, CondvarQueue, ksignal::DefaultRawMutex> {
    Caller {
        ids: TaskIds {
            tid: 1,
            tgid: 1,
            pgid: 1,
            sid: 1,
        },
        cred: Credentials::ROOT,
        thread: t,
        arch: Arch::Riscv64,
    }
}

fn handler() -> SignalAction {
    SignalAction::new(
        ksignal::Disposition::Handler(HANDLER),
        SaFlags::SIGINFO | SaFlags::RESTORER,
        SignalSet::EMPTY,
        RESTORER,
    )
}

/// A kernel with a clock it advances by hand: a sleep ends at its deadline unless
/// the test scheduled a signal before it (`interrupt_at`), which wakes it there.
struct Kernel<'a> {
    thread: &'a Thread,
    mem: UserBuffer,
    now: u64,
    interrupt_at: Option<u64>,
    /// What the futex and poll restarts were called with, and return.
    futex_calls: Vec<(FutexRestart, RestartBlock)>,
    poll_calls: Vec<PollRestart>,
    poll_returns: isize,
}

impl<'a> Kernel<'a> {
    fn new(thread: &'a Thread) -> Kernel<'a> {
        Kernel {
            thread,
            mem: memory(),
            now: 10 * SEC,
            interrupt_at: None,
            futex_calls: Vec::new(),
            poll_calls: Vec::new(),
            poll_returns: 0,
        }
    }

    fn sleep(&mut self, sleep: NanosleepRestart, mode: SleepMode) -> isize {
        match self.interrupt_at.take() {
            Some(t) if t < sleep.expires => {
                self.now = self.now.max(t);
                nanosleep_interrupted(self.thread, &mut self.mem, sleep, self.now, mode)
            }
            _ => {
                self.now = self.now.max(sleep.expires);
                0
            }
        }
    }

    /// `nanosleep(req, rmtp)` as Linux's `SYSCALL_DEFINE2(nanosleep)`: the block is
    /// reset on entry, then a relative sleep on CLOCK_MONOTONIC.
    fn nanosleep(&mut self, req: u64, rmtp: usize) -> isize {
        self.thread.set_restart_block(RestartBlock::None);
        let sleep = NanosleepRestart {
            clockid: CLOCK_MONOTONIC,
            expires: self.now + req,
            rmtp,
            time_type: if rmtp != 0 {
                TimeType::Native
            } else {
                TimeType::None
            },
        };
        self.sleep(sleep, SleepMode::Relative)
    }

    fn rem(&self) -> (i64, i64) {
        let mut b = [0u8; 16];
        self.mem.read(REM, &mut b).unwrap();
        (
            i64::from_ne_bytes(b[..8].try_into().unwrap()),
            i64::from_ne_bytes(b[8..].try_into().unwrap()),
        )
    }
}

impl RestartHandler for Kernel<'_> {
    fn nanosleep(&mut self, sleep: &NanosleepRestart) -> isize {
        self.sleep(*sleep, SleepMode::Relative)
    }
    fn futex_wait(&mut self, wait: &FutexRestart) -> isize {
        self.futex_calls.push((*wait, self.thread.restart_block()));
        0
    }
    fn poll(&mut self, poll: &PollRestart) -> isize {
        self.poll_calls.push(*poll);
        self.poll_returns
    }
}

fn restart_syscall(t: &Thread, k: &mut Kernel<'_>) -> isize {
    sys_restart_syscall(&caller(t), k)
}

/// A riscv64 thread that just returned `ret` from `nanosleep(req_ptr, rem)`:
/// `ecall` at 0x1_0500, so the pc is past it.
fn rv64_after_nanosleep(ret: isize) -> Riscv64Context {
    let mut x = [0u64; 32];
    x[2] = stack_top();
    x[10] = ret as u64;
    x[11] = REM as u64;
    x[17] = NR_NANOSLEEP_RISCV64;
    Riscv64Context {
        pc: 0x1_0504,
        x,
        sstatus: 1 << 5,
        in_syscall: true,
        orig_a0: 0x7000_0040,
    }
}

const EINTR: isize = -(Errno::EINTR.get() as isize);
const RESTARTBLOCK: isize = -516;
const RESTARTNOHAND: isize = -514;

// ---- Rule 56: the block and restart_syscall ----

#[test]
fn restart_syscall_without_a_block_is_eintr() {
    let (_p, t) = thread();
    let mut k = Kernel::new(&t);
    assert_eq!(
        t.restart_block(),
        RestartBlock::None,
        "a new thread has none"
    );
    assert_eq!(restart_syscall(&t, &mut k), EINTR);
    // After a sleep that ran to its end, nanosleep's entry reset left none either.
    k.nanosleep(SEC, 0);
    assert_eq!(restart_syscall(&t, &mut k), EINTR);
}

#[test]
fn set_restart_fn_stores_the_block_and_returns_erestart_restartblock() {
    let (_p, t) = thread();
    let block = RestartBlock::Poll(PollRestart {
        ufds: 0x1000,
        nfds: 3,
        deadline: None,
    });
    assert_eq!(t.set_restart_fn(block), RESTARTBLOCK);
    assert_eq!(t.restart_block(), block);
}

/// `ctx` after the return-to-user path's restart with no handler, as `regs` reads it.
fn restarted<C: TrapFrame>(mut ctx: C, regs: fn(&C) -> (u64, u64, u64)) -> (u64, u64, u64) {
    ksignal::frame::syscall_restart(&mut ctx, None);
    regs(&ctx)
}

#[test]
fn restartblock_without_a_handler_reenters_through_restart_syscall_on_each_arch() {
    // The number register gets restart_syscall, the pc goes back over the
    // system-call instruction and the first argument is restored (rule 49 / 56).
    let r = RESTARTBLOCK as u64;
    let x = X86_64Context {
        rip: 0x40_0502,
        rax: r,
        in_syscall: true,
        orig_rax: 35,
        ..Default::default()
    };
    let mut a = Aarch64Context::default();
    (a.pc, a.in_syscall, a.orig_x0) = (0x40_1004, true, 0x77);
    (a.x[0], a.x[8]) = (r, 101);
    let v = rv64_after_nanosleep(RESTARTBLOCK);
    let mut l = Loongarch64Context::default();
    (l.era, l.in_syscall, l.orig_a0) = (0x1_2004, true, 0x55);
    (l.regs[4], l.regs[11]) = (r, 101);
    // (arch, (pc, return register, number register) after the restart, Linux's)
    let rows = [
        (
            "x86_64",
            restarted(x, |c| (c.rip, c.rax, c.orig_rax)),
            (0x40_0500, 219, 35),
        ),
        (
            "aarch64",
            restarted(a, |c| (c.pc, c.x[0], c.x[8])),
            (0x40_1000, 0x77, 128),
        ),
        (
            "riscv64",
            restarted(v, |c| (c.pc, c.x[10], c.x[17])),
            (0x1_0500, 0x7000_0040, 128),
        ),
        (
            "loongarch64",
            restarted(l, |c| (c.era, c.regs[4], c.regs[11])),
            (0x1_2000, 0x55, 128),
        ),
    ];
    for (arch, got, linux) in rows {
        assert_eq!(got, linux, "{arch}");
    }

    use ksignal::frame::{
        ArchFrame, aarch64::Aarch64, loongarch64::Loongarch64, riscv64::Riscv64, x86_64::X86_64,
    };
    assert_eq!(
        [
            X86_64::NR_RESTART_SYSCALL,
            Aarch64::NR_RESTART_SYSCALL,
            Riscv64::NR_RESTART_SYSCALL,
            Loongarch64::NR_RESTART_SYSCALL
        ],
        [219, 128, 128, 128]
    );
}

// ---- Rule 57: a handler turns it into EINTR, and rt_sigreturn resets the block ----

#[test]
fn a_handler_turns_erestart_restartblock_into_eintr_and_sigreturn_resets_the_block() {
    let (p, t) = thread();
    p.sigaction(Signo::SIGUSR1, Some(handler())).unwrap();
    let mut k = Kernel::new(&t);
    k.interrupt_at = Some(k.now + SEC / 2);
    let r = k.nanosleep(2 * SEC, REM);
    assert_eq!(r, RESTARTBLOCK);
    assert!(matches!(t.restart_block(), RestartBlock::Nanosleep(_)));
    t.send(Signo::SIGUSR1, None).unwrap();
    let mut ctx = rv64_after_nanosleep(r);
    assert_eq!(
        return_to_user(&t, &mut ctx, &mut NoFp, &mut k.mem, K),
        UserReturn::Resume
    );
    assert_eq!(ctx.pc, HANDLER as u64, "the handler runs");
    assert!(
        matches!(t.restart_block(), RestartBlock::Nanosleep(_)),
        "kept while the handler runs"
    );
    rt_sigreturn(&t, &mut ctx, &mut NoFp, &k.mem).unwrap();
    assert_eq!(ctx.x[10] as isize, EINTR, "nanosleep returns EINTR");
    assert_eq!(ctx.pc, 0x1_0504, "not restarted");
    assert_eq!(k.rem(), (1, SEC as i64 / 2), "rem holds the time left");
    assert_eq!(
        t.restart_block(),
        RestartBlock::None,
        "rt_sigreturn reset it"
    );
    assert_eq!(restart_syscall(&t, &mut k), EINTR);
}

/// The thread's restart block after `pending` was set and an `rt_sigreturn` from
/// `ctx` failed with EFAULT, its frame in `mem`.
fn block_after_bad_sigreturn<C: TrapFrame>(
    t: &Thread,
    mem: &UserBuffer,
    pending: RestartBlock,
    mut ctx: C,
) -> RestartBlock {
    t.set_restart_block(pending);
    let r = rt_sigreturn(t, &mut ctx, &mut NoFp, mem);
    assert_eq!(r, Err(Errno::EFAULT));
    t.restart_block()
}

#[test]
fn sigreturn_resets_the_restart_block_at_linuxs_step_on_a_bad_frame() {
    let pending = RestartBlock::Poll(PollRestart {
        ufds: 0x2000,
        nfds: 1,
        deadline: Some(5),
    });
    let (_p, t) = thread();
    // Nothing is mapped where the stack pointers say.
    let mem = memory();
    // aarch64 and riscv64 reset it before anything can fail.
    let a = Aarch64Context {
        sp: 0x11,
        ..Default::default()
    };
    let after = block_after_bad_sigreturn(&t, &mem, pending, a);
    assert_eq!(after, RestartBlock::None, "aarch64");
    let mut v = Riscv64Context::default();
    v.x[2] = 0x10;
    let after = block_after_bad_sigreturn(&t, &mem, pending, v);
    assert_eq!(after, RestartBlock::None, "riscv64");
    // loongarch64 resets it in restore_sigcontext: an unreadable mask is before.
    let mut l = Loongarch64Context::default();
    l.regs[3] = 0x10;
    let after = block_after_bad_sigreturn(&t, &mem, pending, l);
    assert_eq!(after, pending, "loongarch64, mask unreadable");
    // x86_64 resets it in restore_sigcontext, after restore_altstack.
    let x = X86_64Context {
        rsp: 0x10,
        ..Default::default()
    };
    let after = block_after_bad_sigreturn(&t, &mem, pending, x);
    assert_eq!(after, pending, "x86_64, frame unreadable");
}

#[test]
fn loongarch64_sigreturn_resets_the_restart_block_in_restore_sigcontext() {
    use core::mem::{offset_of, size_of};
    use ksignal::frame::loongarch64::abi::{RtSigframe, Sigcontext, Ucontext};
    let uc = offset_of!(RtSigframe, rs_uctx);
    let mask = uc + offset_of!(Ucontext, uc_sigmask);
    let ext = uc + offset_of!(Ucontext, uc_mcontext) + size_of::<Sigcontext>();
    let frame = 0x5000_0000usize;
    let pending = RestartBlock::FutexWait(FutexRestart::default());
    let (_p, t) = thread();
    // Everything from the mask on is readable and zero (an END record), but not
    // `uc_stack` below it: restore_sigcontext succeeds, then restore_altstack faults.
    let mut mem = UserBuffer::new().with_region(frame + mask, 0x1000);
    let mut l = Loongarch64Context::default();
    l.regs[3] = frame as u64;
    let after = block_after_bad_sigreturn(&t, &mem, pending, l);
    assert_eq!(after, RestartBlock::None, "reset in restore_sigcontext");
    // A bad record fails restore_sigcontext before its reset.
    mem.write(frame + ext, &0xdead_beefu32.to_le_bytes())
        .unwrap();
    mem.write(frame + ext + 4, &16u32.to_le_bytes()).unwrap();
    let after = block_after_bad_sigreturn(&t, &mem, pending, l);
    assert_eq!(after, pending, "a bad record comes first");
}

#[test]
fn x86_64_sigreturn_with_a_bad_saved_rip_resets_the_restart_block() {
    let (p, t) = thread();
    p.sigaction(Signo::SIGUSR1, Some(handler())).unwrap();
    let mut mem = memory();
    let mut ctx = X86_64Context {
        rip: 0x40_0500,
        rsp: stack_top(),
        cs: 0x33,
        ss: 0x2b,
        ..Default::default()
    };
    t.send(Signo::SIGUSR1, None).unwrap();
    return_to_user(&t, &mut ctx, &mut NoFp, &mut mem, K);
    // The saved rip (uc_mcontext.ip: frame + 8 + 40 + 128) made non-canonical.
    let ip = ctx.rsp as usize + 8 + 40 + 128;
    mem.write(ip, &0x8000_0000_0000_0000u64.to_le_bytes())
        .unwrap();
    t.set_restart_block(RestartBlock::FutexWait(FutexRestart::default()));
    ctx.rsp += 8;
    assert_eq!(
        rt_sigreturn(&t, &mut ctx, &mut NoFp, &mem),
        Err(Errno::EFAULT)
    );
    assert_eq!(t.restart_block(), RestartBlock::None);
}

// ---- Rule 58: nanosleep resumes to the same deadline ----

#[test]
fn nanosleep_stopped_and_continued_resumes_to_the_same_deadline() {
    let (p, t) = thread();
    let mut k = Kernel::new(&t);
    let start = k.now;
    k.interrupt_at = Some(start + SEC / 2);
    let r = k.nanosleep(2 * SEC, REM);
    assert_eq!(r, RESTARTBLOCK);
    // SIGSTOP arrived at 0.5 s: the group stops.
    p.send(Signo::SIGSTOP, None).unwrap();
    let mut ctx = rv64_after_nanosleep(r);
    assert_eq!(
        return_to_user(&t, &mut ctx, &mut NoFp, &mut k.mem, K),
        UserReturn::Stop(Signo::SIGSTOP)
    );
    // 0.5 s later SIGCONT: no handler, so the call goes through restart_syscall.
    k.now += SEC / 2;
    assert!(p.send(Signo::SIGCONT, None).unwrap().resumed);
    assert_eq!(
        return_to_user(&t, &mut ctx, &mut NoFp, &mut k.mem, K),
        UserReturn::Resume
    );
    assert_eq!((ctx.pc, ctx.x[17]), (0x1_0500, 128), "restart_syscall next");
    assert_eq!(restart_syscall(&t, &mut k), 0, "not EINTR");
    assert_eq!(k.now - start, 2 * SEC, "2 s in all, not 2.5");
}

#[test]
fn nanosleep_interrupted_writes_the_time_left_to_rmtp() {
    let (_p, t) = thread();
    let mut k = Kernel::new(&t);
    k.interrupt_at = Some(k.now + 300_000_000);
    assert_eq!(k.nanosleep(SEC + 5, REM), RESTARTBLOCK);
    assert_eq!(k.rem(), (0, 700_000_005));
    // Interrupted again while resumed: rem holds what is left then.
    k.interrupt_at = Some(k.now + 200_000_000);
    assert_eq!(restart_syscall(&t, &mut k), RESTARTBLOCK);
    assert_eq!(k.rem(), (0, 500_000_005));
}

#[test]
fn nanosleep_without_rmtp_writes_nothing_and_still_resumes() {
    let (_p, t) = thread();
    let mut k = Kernel::new(&t);
    k.mem.write(REM, &[0xAA; 16]).unwrap();
    k.interrupt_at = Some(k.now + 1);
    assert_eq!(k.nanosleep(SEC, 0), RESTARTBLOCK);
    assert_eq!(k.rem(), (-0x5555_5555_5555_5556, -0x5555_5555_5555_5556));
    assert_eq!(restart_syscall(&t, &mut k), 0);
}

#[test]
fn nanosleep_interrupted_with_no_time_left_returns_zero() {
    let (_p, t) = thread();
    let mut k = Kernel::new(&t);
    let sleep = NanosleepRestart {
        clockid: CLOCK_MONOTONIC,
        expires: k.now,
        rmtp: REM,
        time_type: TimeType::Native,
    };
    let now = k.now;
    assert_eq!(
        nanosleep_interrupted(&t, &mut k.mem, sleep, now, SleepMode::Relative),
        0
    );
    assert_eq!(t.restart_block(), RestartBlock::None);
}

#[test]
fn nanosleep_rmtp_fault_is_efault_and_sets_no_block() {
    let (_p, t) = thread();
    let mut k = Kernel::new(&t);
    k.interrupt_at = Some(k.now + 1);
    assert_eq!(k.nanosleep(SEC, 0x10), -(Errno::EFAULT.get() as isize));
    assert_eq!(t.restart_block(), RestartBlock::None);
    assert_eq!(restart_syscall(&t, &mut k), EINTR);
}

#[test]
fn absolute_clock_nanosleep_is_restarted_whole_with_erestartnohand() {
    let (_p, t) = thread();
    let mut k = Kernel::new(&t);
    t.set_restart_block(RestartBlock::None);
    let sleep = NanosleepRestart {
        clockid: 0,
        expires: k.now + SEC,
        rmtp: 0,
        time_type: TimeType::None,
    };
    k.interrupt_at = Some(k.now + 1);
    assert_eq!(k.sleep(sleep, SleepMode::Absolute), RESTARTNOHAND);
    assert_eq!(t.restart_block(), RestartBlock::None);
}

#[test]
fn nanosleep_copyout_writes_native_and_compat_timespecs() {
    let mut mem = memory();
    let native = NanosleepRestart {
        rmtp: REM,
        time_type: TimeType::Native,
        ..Default::default()
    };
    nanosleep_copyout(&mut mem, &native, 3 * SEC + 7).unwrap();
    let mut b = [0u8; 16];
    mem.read(REM, &mut b).unwrap();
    assert_eq!(b[..8], 3i64.to_ne_bytes());
    assert_eq!(b[8..], 7i64.to_ne_bytes());
    let compat = NanosleepRestart {
        rmtp: REM + 32,
        time_type: TimeType::Compat,
        ..Default::default()
    };
    mem.write(REM + 32, &[0xFF; 16]).unwrap();
    nanosleep_copyout(&mut mem, &compat, 2 * SEC + 9).unwrap();
    mem.read(REM + 32, &mut b).unwrap();
    assert_eq!(b[..4], 2i32.to_ne_bytes());
    assert_eq!(b[4..8], 9i32.to_ne_bytes());
    assert_eq!(b[8..], [0xFF; 8], "only 8 bytes written");
    let none = NanosleepRestart {
        rmtp: 0x10,
        ..Default::default()
    };
    assert_eq!(nanosleep_copyout(&mut mem, &none, 1), Ok(()));
    let bad = NanosleepRestart {
        rmtp: 0x10,
        ..native
    };
    assert_eq!(nanosleep_copyout(&mut mem, &bad, 1), Err(Errno::EFAULT));
}

// ---- Rule 59: futex wait and poll ----

#[test]
fn futex_restart_resets_the_block_before_waiting_again() {
    // The interrupted futex wait, its deadline at 99 s.
    let wait = FutexRestart {
        uaddr: 0x4000,
        val: 7,
        bitset: u32::MAX,
        flags: 1,
        deadline: 99 * SEC,
    };
    let (_p, t) = thread();
    let mut k = Kernel::new(&t);
    assert_eq!(
        t.set_restart_fn(RestartBlock::FutexWait(wait)),
        RESTARTBLOCK
    );
    assert_eq!(restart_syscall(&t, &mut k), 0);
    assert_eq!(k.futex_calls, [(wait, RestartBlock::None)]);
    assert_eq!(restart_syscall(&t, &mut k), EINTR, "nothing left to resume");
}

#[test]
fn poll_restart_interrupted_again_sets_the_block_again() {
    let (_p, t) = thread();
    let mut k = Kernel::new(&t);
    let poll = PollRestart {
        ufds: 0x3000,
        nfds: 2,
        deadline: Some(42 * SEC),
    };
    t.set_restart_fn(RestartBlock::Poll(poll));
    k.poll_returns = RESTARTNOHAND;
    assert_eq!(restart_syscall(&t, &mut k), RESTARTBLOCK);
    assert_eq!(t.restart_block(), RestartBlock::Poll(poll));
    k.poll_returns = 1;
    assert_eq!(restart_syscall(&t, &mut k), 1);
    assert_eq!(k.poll_calls, [poll, poll]);
    // Linux's do_restart_poll leaves the block as it was.
    assert_eq!(t.restart_block(), RestartBlock::Poll(poll));
}

#[test]
fn nanosleep_restart_keeps_the_block_as_linux_does() {
    let (_p, t) = thread();
    let mut k = Kernel::new(&t);
    k.interrupt_at = Some(k.now + 1);
    assert_eq!(k.nanosleep(SEC, 0), RESTARTBLOCK);
    let block = t.restart_block();
    assert_eq!(restart_syscall(&t, &mut k), 0);
    assert_eq!(
        t.restart_block(),
        block,
        "hrtimer_nanosleep_restart keeps fn"
    );
    // So a second restart_syscall sleeps to a deadline already past: 0 at once.
    let now = k.now;
    assert_eq!(restart_syscall(&t, &mut k), 0);
    assert_eq!(k.now, now);
}

// ---- The same behaviour on the host kernel ----

/// What the host's Linux does for the stories above, checked in a forked child (its
/// verdict is its exit code) so the test process's own signal state is untouched.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
mod host {
    use std::time::Instant;

    const MS: i64 = 1_000_000;

    fn nanosleep(ns: i64, rem: &mut libc::timespec) -> (i64, i32) {
        let req = libc::timespec {
            tv_sec: ns / 1_000_000_000,
            tv_nsec: ns % 1_000_000_000,
        };
        // SAFETY: both pointers are to live timespecs.
        let r = unsafe { libc::syscall(libc::SYS_nanosleep, &req, rem as *mut libc::timespec) };
        // SAFETY: reading errno.
        (r, unsafe { *libc::__errno_location() })
    }

    /// Runs `child` in a forked child; `parent` gets its pid; returns the child's
    /// wait status.
    fn in_child(child: fn() -> i32, parent: impl FnOnce(libc::pid_t)) -> i32 {
        // SAFETY: the child only makes raw system calls and `_exit`s.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            // SAFETY: leaves the child without running the parent's destructors.
            unsafe { libc::_exit(child()) };
        }
        parent(pid);
        let mut status = 0;
        // SAFETY: waits for our own child.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        status
    }

    fn sleep_ms(ms: u64) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }

    #[test]
    fn host_restart_syscall_without_a_block_is_eintr() {
        let status = in_child(
            || {
                // SAFETY: restart_syscall takes no argument.
                let r = unsafe { libc::syscall(libc::SYS_restart_syscall) };
                // SAFETY: reading errno.
                let e = unsafe { *libc::__errno_location() };
                i32::from(!(r == -1 && e == libc::EINTR))
            },
            |_| {},
        );
        assert_eq!(status, 0);
    }

    #[test]
    fn host_nanosleep_stopped_and_continued_resumes_to_the_same_deadline() {
        let status = in_child(
            || {
                let t0 = Instant::now();
                let (r, _) = nanosleep(
                    600 * MS,
                    &mut libc::timespec {
                        tv_sec: 0,
                        tv_nsec: 0,
                    },
                );
                let ms = t0.elapsed().as_millis();
                // 0 after about 600 ms, not 600 + the 300 ms stopped.
                if r != 0 {
                    1
                } else if !(600..850).contains(&ms) {
                    2
                } else {
                    0
                }
            },
            |pid| {
                sleep_ms(100);
                // SAFETY: signals our own child.
                unsafe { libc::kill(pid, libc::SIGSTOP) };
                let mut st = 0;
                // SAFETY: waits for our own child's stop.
                unsafe { libc::waitpid(pid, &mut st, libc::WUNTRACED) };
                assert!(libc::WIFSTOPPED(st));
                sleep_ms(300);
                // SAFETY: signals our own child.
                unsafe { libc::kill(pid, libc::SIGCONT) };
            },
        );
        assert!(libc::WIFEXITED(status), "{status:#x}");
        assert_eq!(libc::WEXITSTATUS(status), 0);
    }

    extern "C" fn nothing(_: libc::c_int) {}

    #[test]
    fn host_a_handler_gives_eintr_with_rem_and_sigreturn_forgets_the_block() {
        let status = in_child(
            || {
                // SAFETY: installs a handler that does nothing, in the child only.
                unsafe {
                    libc::signal(
                        libc::SIGUSR1,
                        nothing as extern "C" fn(libc::c_int) as libc::sighandler_t,
                    )
                };
                let mut rem = libc::timespec {
                    tv_sec: 0,
                    tv_nsec: 0,
                };
                let (r, e) = nanosleep(2000 * MS, &mut rem);
                if r != -1 || e != libc::EINTR {
                    return 1;
                }
                let left = rem.tv_sec * 1_000_000_000 + rem.tv_nsec;
                if !(1000 * MS..2000 * MS).contains(&left) {
                    return 2;
                }
                // SAFETY: restart_syscall takes no argument.
                let r = unsafe { libc::syscall(libc::SYS_restart_syscall) };
                // SAFETY: reading errno.
                let e = unsafe { *libc::__errno_location() };
                if r != -1 || e != libc::EINTR {
                    return 3;
                }
                0
            },
            |pid| {
                sleep_ms(200);
                // SAFETY: signals our own child.
                unsafe { libc::kill(pid, libc::SIGUSR1) };
            },
        );
        assert!(libc::WIFEXITED(status), "{status:#x}");
        assert_eq!(libc::WEXITSTATUS(status), 0);
    }
}
