//! ptrace signal-delivery stops. A child calls PTRACE_TRACEME and then
//! raises or queues signals to itself; each one stops it before delivery,
//! and the parent (its tracer) sees the stop in wait4 (status
//! `0x7f | sig << 8`, without WUNTRACED) and its siginfo with
//! PTRACE_GETSIGINFO. The parent lets one through, suppresses one
//! (PTRACE_CONT with 0), changes one (PTRACE_CONT with another signal: the
//! handler sees SI_USER from the tracer), and rewrites si_value and si_code
//! of two with PTRACE_SETSIGINFO. The child's handlers record what arrived
//! and the child checks, step by step, that it is exactly what the tracer
//! chose. Then: an ignored signal still stops; a changed signal that is
//! blocked is queued and stops again once unblocked; a fatal signal stops
//! first and kills only when let through; SIGKILL never stops, and ends a
//! stop.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicI32, AtomicU64, AtomicUsize, Ordering};
use user::*;

fn ptrace(request: usize, pid: isize, addr: usize, data: usize) -> isize {
    syscall6(SYS_PTRACE, [request, pid as usize, addr, data, 0, 0])
}

fn getsiginfo(pid: isize) -> (isize, SigInfo) {
    let mut info = SigInfo::default();
    let r = ptrace(PTRACE_GETSIGINFO, pid, 0, &mut info as *mut SigInfo as usize);
    (r, info)
}

fn setsiginfo(pid: isize, info: &SigInfo) -> isize {
    ptrace(PTRACE_SETSIGINFO, pid, 0, info as *const SigInfo as usize)
}

fn put_i32(info: &mut SigInfo, off: usize, v: i32) {
    info.bytes[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

fn put_u64(info: &mut SigInfo, off: usize, v: u64) {
    info.bytes[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

// ---- the child (tracee) ------------------------------------------------

/// Per signal number: how many times its handler ran, and the last si_code,
/// si_pid and si_value it received.
static COUNT: [AtomicUsize; 65] = [const { AtomicUsize::new(0) }; 65];
static CODE: [AtomicI32; 65] = [const { AtomicI32::new(0) }; 65];
static PID: [AtomicI32; 65] = [const { AtomicI32::new(0) }; 65];
static VALUE: [AtomicU64; 65] = [const { AtomicU64::new(0) }; 65];

extern "C" fn record(sig: i32, info: *mut SigInfo, _uc: *mut UContext) {
    // SAFETY: the kernel passes a valid siginfo in the signal frame.
    let info = unsafe { &*info };
    let s = sig as usize;
    CODE[s].store(info.code(), Ordering::SeqCst);
    PID[s].store(info.pid(), Ordering::SeqCst);
    VALUE[s].store(info.value(), Ordering::SeqCst);
    COUNT[s].fetch_add(1, Ordering::SeqCst);
}

fn count(sig: usize) -> usize {
    COUNT[sig].load(Ordering::SeqCst)
}

/// The child checks what its handlers saw after each step: (signal, count,
/// si_code, si_pid, si_value).
fn expect(step: &str, sig: usize, n: usize, code: i32, pid: i32, value: u64) {
    let got = (
        count(sig),
        CODE[sig].load(Ordering::SeqCst),
        PID[sig].load(Ordering::SeqCst),
        VALUE[sig].load(Ordering::SeqCst),
    );
    check!(
        got == (n, code, pid, value),
        "sig_ptrace: child, {}: signal {} seen {} times, code {} pid {} value {:#x}; want {} {} {} {:#x}",
        step,
        sig,
        got.0,
        got.1,
        got.2,
        got.3,
        n,
        code,
        pid,
        value
    );
}

fn tracee() -> i32 {
    check!(ptrace(PTRACE_TRACEME, 0, 0, 0) == 0, "sig_ptrace: PTRACE_TRACEME failed");
    check!(
        ptrace(PTRACE_TRACEME, 0, 0, 0) == -EPERM,
        "sig_ptrace: second PTRACE_TRACEME not EPERM"
    );
    on_signal(SIGUSR1, record, SA_SIGINFO, 0);
    on_signal(SIGUSR2, record, SA_SIGINFO, 0);
    let me = getpid() as i32;
    let tracer = getppid() as i32;

    // 1. Let through unchanged.
    raise(SIGUSR1);
    expect("let through", SIGUSR1, 1, SI_TKILL, me, 0);
    // 2. Suppressed: the handler never runs, nothing stays pending.
    raise(SIGUSR2);
    expect("suppressed", SIGUSR2, 0, 0, 0, 0);
    check!(sigpending() == 0, "sig_ptrace: child: the suppressed signal is pending");
    // 3. Changed into SIGUSR2: SI_USER from the tracer.
    sigqueue(me as isize, SIGUSR1, 111);
    expect("changed, old signal", SIGUSR1, 1, SI_TKILL, me, 0);
    expect("changed, new signal", SIGUSR2, 1, SI_USER, tracer, 0);
    // 4. si_value rewritten by PTRACE_SETSIGINFO.
    sigqueue(me as isize, SIGUSR1, 222);
    expect("SETSIGINFO si_value", SIGUSR1, 2, SI_QUEUE, me, 333);
    // 5. si_code (and si_value) rewritten: SI_TKILL becomes SI_QUEUE.
    raise(SIGUSR2);
    expect("SETSIGINFO si_code", SIGUSR2, 2, SI_QUEUE, me, 444);
    // 6. An ignored signal still stops (the tracer sees it), then is ignored.
    sigaction(SIGWINCH, SIG_IGN, 0, 0);
    raise(SIGWINCH);
    // 7. Changed into a signal the child blocks: it waits, pending, and stops
    // again when unblocked.
    sigprocmask(SIG_BLOCK, sigbit(SIGUSR2));
    raise(SIGUSR1);
    expect("blocked new signal, old", SIGUSR1, 2, SI_QUEUE, me, 333);
    check!(
        sigpending() == sigbit(SIGUSR2),
        "sig_ptrace: child: pending {:#x}, want SIGUSR2",
        sigpending()
    );
    expect("blocked new signal, not yet", SIGUSR2, 2, SI_QUEUE, me, 444);
    sigprocmask(SIG_UNBLOCK, sigbit(SIGUSR2));
    expect("blocked new signal, unblocked", SIGUSR2, 3, SI_USER, tracer, 0);
    0
}

// ---- the parent (tracer) -----------------------------------------------

/// Waits for the next ptrace stop of `child` and checks its signal.
fn expect_stop(child: isize, sig: usize) {
    let (r, status) = wait4(child, 0);
    check!(
        r == child && status == (0x7f | (sig as i32) << 8),
        "sig_ptrace: wait4 gave {} status {:#x}, want a stop with signal {}",
        r,
        status,
        sig
    );
}

/// The stop's siginfo: (si_signo, si_code, si_pid, si_value).
fn stop_info(child: isize) -> (i32, i32, i32, u64) {
    let (r, info) = getsiginfo(child);
    check!(r == 0, "sig_ptrace: PTRACE_GETSIGINFO gave {}", r);
    (info.signo(), info.code(), info.pid(), info.value())
}

fn cont(child: isize, sig: usize) {
    let r = ptrace(PTRACE_CONT, child, 0, sig);
    check!(r == 0, "sig_ptrace: PTRACE_CONT({}) gave {}", sig, r);
}

fn main() -> i32 {
    let me = getpid() as i32;
    let child = fork();
    if child == 0 {
        exit_group(tracee());
    }
    let c = child as i32;

    // 1. Let through.
    expect_stop(child, SIGUSR1);
    check!(
        stop_info(child) == (SIGUSR1 as i32, SI_TKILL, c, 0),
        "sig_ptrace: step 1 siginfo {:?}",
        stop_info(child)
    );
    check!(wait4(child, WNOHANG) == (0, 0), "sig_ptrace: a stop was reported twice");
    // Only the tracer, only while stopped, only valid signals.
    check!(ptrace(PTRACE_CONT, child, 0, 65) == -EIO, "sig_ptrace: PTRACE_CONT(65) not EIO");
    check!(
        ptrace(PTRACE_CONT, me as isize, 0, 0) == -ESRCH,
        "sig_ptrace: PTRACE_CONT on an untraced task not ESRCH"
    );
    check!(ptrace(0x4204, child, 0, 0) == -EIO, "sig_ptrace: unknown request not EIO");
    check!(
        ptrace(PTRACE_GETSIGINFO, child, 0, 8) == -EFAULT,
        "sig_ptrace: GETSIGINFO to a bad address not EFAULT"
    );
    cont(child, SIGUSR1);
    // 2. Suppressed.
    expect_stop(child, SIGUSR2);
    check!(
        stop_info(child) == (SIGUSR2 as i32, SI_TKILL, c, 0),
        "sig_ptrace: step 2 siginfo {:?}",
        stop_info(child)
    );
    cont(child, 0);
    println!(
        "PASS sig_ptrace: PTRACE_TRACEME; each signal is a signal-delivery stop (wait4 0x7f|sig<<8) with its siginfo (PTRACE_GETSIGINFO)"
    );
    // 3. Changed.
    expect_stop(child, SIGUSR1);
    check!(
        stop_info(child) == (SIGUSR1 as i32, SI_QUEUE, c, 111),
        "sig_ptrace: step 3 siginfo {:?}",
        stop_info(child)
    );
    cont(child, SIGUSR2);
    println!(
        "PASS sig_ptrace: PTRACE_CONT with 0 suppresses a signal; with another signal delivers that one, SI_USER from the tracer"
    );
    // 4. si_value.
    expect_stop(child, SIGUSR1);
    let (_, mut info) = getsiginfo(child);
    check!(info.value() == 222, "sig_ptrace: step 4 si_value {}", info.value());
    put_u64(&mut info, 24, 333);
    check!(setsiginfo(child, &info) == 0, "sig_ptrace: PTRACE_SETSIGINFO failed");
    check!(
        stop_info(child) == (SIGUSR1 as i32, SI_QUEUE, c, 333),
        "sig_ptrace: SETSIGINFO not read back"
    );
    cont(child, SIGUSR1);
    // 5. si_code.
    expect_stop(child, SIGUSR2);
    let (_, mut info) = getsiginfo(child);
    put_i32(&mut info, 8, SI_QUEUE);
    put_u64(&mut info, 24, 444);
    check!(setsiginfo(child, &info) == 0, "sig_ptrace: PTRACE_SETSIGINFO failed");
    cont(child, SIGUSR2);
    println!(
        "PASS sig_ptrace: PTRACE_SETSIGINFO changes the si_value and si_code the handler receives"
    );
    // 6. Ignored.
    expect_stop(child, SIGWINCH);
    cont(child, SIGWINCH);
    // 7. Changed into a blocked signal: a second stop, with the tracer's siginfo.
    expect_stop(child, SIGUSR1);
    cont(child, SIGUSR2);
    expect_stop(child, SIGUSR2);
    check!(
        stop_info(child) == (SIGUSR2 as i32, SI_USER, me, 0),
        "sig_ptrace: step 7 siginfo {:?}",
        stop_info(child)
    );
    cont(child, SIGUSR2);
    let (r, status) = wait4(child, 0);
    check!(r == child && status == 0, "sig_ptrace: tracee ended with {} {:#x}", r, status);
    println!(
        "PASS sig_ptrace: an ignored signal still stops; a changed signal that is blocked waits and stops again when unblocked"
    );

    // 8. A fatal signal stops first; cancelled it does nothing, let through it kills.
    let child = fork();
    if child == 0 {
        check!(ptrace(PTRACE_TRACEME, 0, 0, 0) == 0, "sig_ptrace: PTRACE_TRACEME failed");
        raise(SIGTERM);
        raise(SIGTERM);
        fail!("sig_ptrace: the second SIGTERM did not kill");
    }
    expect_stop(child, SIGTERM);
    cont(child, 0);
    expect_stop(child, SIGTERM);
    cont(child, SIGTERM);
    let (r, status) = wait4(child, 0);
    check!(
        r == child && status == SIGTERM as i32,
        "sig_ptrace: SIGTERM let through gave {} {:#x}",
        r,
        status
    );
    // 9. SIGKILL never stops.
    let child = fork();
    if child == 0 {
        check!(ptrace(PTRACE_TRACEME, 0, 0, 0) == 0, "sig_ptrace: PTRACE_TRACEME failed");
        raise(SIGKILL);
        fail!("sig_ptrace: SIGKILL did not kill");
    }
    let (r, status) = wait4(child, 0);
    check!(r == child && status == SIGKILL as i32, "sig_ptrace: SIGKILL gave {} {:#x}", r, status);
    // 10. A SIGKILL during a stop ends it.
    let child = fork();
    if child == 0 {
        check!(ptrace(PTRACE_TRACEME, 0, 0, 0) == 0, "sig_ptrace: PTRACE_TRACEME failed");
        on_signal(SIGUSR1, record, SA_SIGINFO, 0);
        raise(SIGUSR1);
        fail!("sig_ptrace: resumed after SIGKILL (handler ran {} times)", count(SIGUSR1));
    }
    expect_stop(child, SIGUSR1);
    check!(kill(child, SIGKILL) == 0, "sig_ptrace: kill(SIGKILL)");
    let (r, status) = wait4(child, 0);
    check!(
        r == child && status == SIGKILL as i32,
        "sig_ptrace: SIGKILL during the stop gave {} {:#x}",
        r,
        status
    );
    println!(
        "PASS sig_ptrace: a fatal signal stops first and kills only when let through; SIGKILL never stops, and ends a stop"
    );
    println!("PASS sig_ptrace");
    0
}

entry!(main);
