//! Restart blocks (ksignal's `RestartBlock` and `sys_restart_syscall`). A
//! child's nanosleep(2 s) is stopped by SIGSTOP and continued by SIGCONT
//! 0.5 s later: no handler ran, so the kernel resumes it through
//! restart_syscall towards the same deadline and it returns 0 after about
//! 2 s in all (not 2.5, not EINTR). With a handler the same sleep fails
//! with EINTR and `rem` holds the time left; the handler's sigreturn
//! forgets the block, so restart_syscall called by hand gives EINTR. An
//! absolute clock_nanosleep is restarted whole (ERESTARTNOHAND) and ends at
//! its deadline.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicI32, AtomicIsize, AtomicUsize, Ordering};
use user::thread::{Stack, spawn};
use user::*;

const MS: u64 = 1_000_000;

static STACK: Stack<16384> = Stack::new();
static TID: AtomicI32 = AtomicI32::new(0);
static MAIN_TID: AtomicIsize = AtomicIsize::new(0);
static HANDLED: AtomicUsize = AtomicUsize::new(0);

/// The child's verdict as its exit code: the sleep's result was 0 and it
/// took this many centiseconds (at most 250), or 255 for any other result.
fn verdict(r: isize, slept_ns: u64) -> i32 {
    if r != 0 { 255 } else { (slept_ns / (10 * MS)).min(250) as i32 }
}

/// Forks a child that tells the parent (SIGUSR2) and runs `sleep`; stops it
/// `stop_after` ms later for `stopped` ms; returns the child's exit code.
fn stopped_child(what: &str, sleep: fn() -> i32, stop_after: u64, stopped: u64) -> i32 {
    let child = fork_ready("sig_restartblock", 5000, || {
        tell_parent_ready();
        sleep()
    });
    sleep_ms(stop_after);
    check!(kill(child, SIGSTOP) == 0, "sig_restartblock: {}: SIGSTOP", what);
    let (w, status) = wait4(child, WUNTRACED);
    check!(
        w == child && status == 0x137f,
        "sig_restartblock: {}: not stopped ({} {:#x})",
        what,
        w,
        status
    );
    sleep_ms(stopped);
    check!(kill(child, SIGCONT) == 0, "sig_restartblock: {}: SIGCONT", what);
    let (w, status) = wait4(child, 0);
    check!(
        w == child && status & 0x7f == 0,
        "sig_restartblock: {}: wait4 {} {:#x}",
        what,
        w,
        status
    );
    (status >> 8) & 0xff
}

fn sleep_2s() -> i32 {
    let (r, _, slept) = timed_nanosleep(2000);
    verdict(r, slept)
}

fn sleep_until_1s_from_now() -> i32 {
    let t0 = now_ns();
    let deadline = Timespec::from_nanos(t0 + 1000 * MS);
    let r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, None);
    verdict(r, now_ns() - t0)
}

extern "C" fn on_usr1(_sig: i32, _info: *mut SigInfo, _uc: *mut UContext) {
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

extern "C" fn kick_after_500ms(_: usize) -> i32 {
    sleep_ms(500);
    tgkill(getpid(), MAIN_TID.load(Ordering::SeqCst), SIGUSR1);
    0
}

fn main() -> i32 {
    sigprocmask(SIG_BLOCK, sigbit(SIGUSR2));

    // 1. Stopped 100 ms into a 2 s nanosleep, continued 0.5 s later. The
    //    margins are for an emulated hart on a loaded host; a sleep that
    //    started over, or counted the stop on top, takes 2.5 s or more.
    let cs = stopped_child("nanosleep", sleep_2s, 100, 500);
    check!(cs != 255, "sig_restartblock: the stopped nanosleep did not return 0");
    check!(
        (200..240).contains(&cs),
        "sig_restartblock: the stopped nanosleep took {} cs, want about 200",
        cs
    );
    println!(
        "PASS sig_restartblock: nanosleep(2 s) stopped by SIGSTOP and continued 0.5 s later returns 0 after about 2 s (restart_syscall)"
    );

    // 2. The same sleep with a handler: EINTR and the time left.
    MAIN_TID.store(gettid(), Ordering::SeqCst);
    check!(on_signal(SIGUSR1, on_usr1, SA_RESTART, 0) == 0, "sig_restartblock: sigaction");
    let k = spawn(&STACK, &TID, kick_after_500ms, 0)
        .unwrap_or_else(|e| fail!("sig_restartblock: clone {}", e));
    let (r, rem, slept) = timed_nanosleep(2000);
    k.join();
    check!(r == -EINTR, "sig_restartblock: nanosleep with a handler gave {}", r);
    check!(HANDLED.load(Ordering::SeqCst) == 1, "sig_restartblock: the handler did not run");
    let left = rem.as_nanos();
    check!(
        left > 1000 * MS && left < 1600 * MS && (1900 * MS..2400 * MS).contains(&(left + slept)),
        "sig_restartblock: rem {} ns after {} ns",
        left,
        slept
    );
    println!(
        "PASS sig_restartblock: with a handler nanosleep(2 s) fails with EINTR and rem holds the time left"
    );
    let r = restart_syscall();
    check!(r == -EINTR, "sig_restartblock: restart_syscall after the handler gave {}", r);
    println!("PASS sig_restartblock: after the handler's sigreturn restart_syscall returns EINTR");

    // 3. An absolute clock_nanosleep, stopped 100 ms in for 300 ms: it ends
    //    at its deadline, 1 s after it started.
    let cs = stopped_child("clock_nanosleep", sleep_until_1s_from_now, 100, 300);
    check!(cs != 255, "sig_restartblock: the stopped clock_nanosleep did not return 0");
    check!(
        (100..140).contains(&cs),
        "sig_restartblock: the stopped clock_nanosleep took {} cs, want about 100",
        cs
    );
    println!(
        "PASS sig_restartblock: clock_nanosleep(TIMER_ABSTIME) stopped and continued returns 0 at its deadline"
    );
    println!("PASS sig_restartblock");
    0
}

entry!(main);
