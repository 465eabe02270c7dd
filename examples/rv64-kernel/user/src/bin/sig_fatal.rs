//! Default actions that end a process, and the status its parent sees in
//! wait4: WIFSIGNALED with the signal number (no core-dump bit: this kernel
//! writes no core files). Terminate (SIGTERM, SIGUSR1, a real-time signal),
//! core (SIGQUIT, SIGABRT raised by the process itself), SIGKILL even with
//! every signal blocked; an ignored or handled SIGTERM does not kill; a
//! blocked one kills once unblocked; every thread of a multi-threaded
//! process goes.
#![no_std]
#![no_main]

use core::sync::atomic::AtomicI32;
use user::thread::{Stack, spawn};
use user::*;

static STACK: Stack<16384> = Stack::new();
static TID: AtomicI32 = AtomicI32::new(0);

fn sleep_forever() -> ! {
    loop {
        sleep_ms(10);
    }
}

/// Forks a child that runs `setup` and then sleeps until killed; returns
/// once the setup is done.
fn sleeper(setup: fn()) -> isize {
    let pid = fork();
    if pid == 0 {
        setup();
        tell_parent_ready();
        sleep_forever();
    }
    check!(pid > 0, "sig_fatal: fork {}", pid);
    await_ready("sig_fatal", pid, 5000);
    pid
}

fn nothing() {}

fn killed_by(what: &str, sig: usize, setup: fn()) {
    let pid = sleeper(setup);
    check!(kill(pid, sig) == 0, "sig_fatal: kill {}", what);
    let (r, status) = wait4(pid, 0);
    check!(
        r == pid && status == sig as i32,
        "sig_fatal: {}: status {:#x}, want {:#x}",
        what,
        status,
        sig
    );
}

extern "C" fn block_in_read(_: usize) -> i32 {
    let mut buf = [0u8; 1];
    read(0, &mut buf);
    0
}

extern "C" fn quiet(_sig: i32, _info: *mut SigInfo, _uc: *mut UContext) {}

fn main() -> i32 {
    sigprocmask(SIG_BLOCK, sigbit(SIGUSR2));
    killed_by("SIGTERM", SIGTERM, nothing);
    killed_by("SIGUSR1", SIGUSR1, nothing);
    killed_by("SIGRTMIN+5", SIGRTMIN + 5, nothing);
    println!(
        "PASS sig_fatal: SIGTERM, SIGUSR1 and SIGRTMIN+5 terminate: WIFSIGNALED with the signal"
    );

    killed_by("SIGQUIT", SIGQUIT, nothing);
    let status = in_child(|| {
        raise(SIGABRT);
        1
    });
    check!(status == SIGABRT as i32, "sig_fatal: raise(SIGABRT): status {:#x}", status);
    println!(
        "PASS sig_fatal: SIGQUIT and a raised SIGABRT (core actions) end the process, no core-dump bit"
    );

    killed_by("SIGKILL, all blocked", SIGKILL, || {
        sigprocmask(SIG_SETMASK, !0);
    });
    // Ignored, then handled: SIGTERM does not kill; SIGKILL still does.
    let pid = sleeper(|| {
        sigaction(SIGTERM, SIG_IGN, 0, 0);
        on_signal(SIGINT, quiet, 0, 0);
    });
    check!(kill(pid, SIGTERM) == 0 && kill(pid, SIGINT) == 0, "sig_fatal: kill");
    sleep_ms(30);
    check!(
        wait4(pid, WNOHANG) == (0, 0),
        "sig_fatal: ignored SIGTERM / handled SIGINT killed the child"
    );
    kill(pid, SIGKILL);
    check!(wait4(pid, 0) == (pid, SIGKILL as i32), "sig_fatal: SIGKILL of the survivor");
    println!(
        "PASS sig_fatal: SIGKILL kills with every signal blocked; ignored or handled signals do not kill"
    );

    // Blocked: pending until the child unblocks it.
    let pid = fork();
    if pid == 0 {
        sigprocmask(SIG_BLOCK, sigbit(SIGTERM));
        tell_parent_ready();
        // Wait until the parent's SIGTERM is pending, then unblock it.
        while sigpending() & sigbit(SIGTERM) == 0 {
            sleep_ms(5);
        }
        sleep_ms(20);
        sigprocmask(SIG_UNBLOCK, sigbit(SIGTERM));
        exit_group(1);
    }
    await_ready("sig_fatal", pid, 5000);
    kill(pid, SIGTERM);
    sleep_ms(5);
    check!(wait4(pid, WNOHANG) == (0, 0), "sig_fatal: blocked SIGTERM killed the child");
    let (r, status) = wait4(pid, 0);
    check!(
        r == pid && status == SIGTERM as i32,
        "sig_fatal: unblocked SIGTERM: status {:#x}",
        status
    );
    println!("PASS sig_fatal: a blocked fatal signal kills when unblocked");

    // Two threads: one in read, one sleeping; both go.
    killed_by("SIGTERM, two threads", SIGTERM, || {
        if spawn(&STACK, &TID, block_in_read, 0).is_err() {
            exit_group(3);
        }
    });
    println!("PASS sig_fatal: a fatal signal ends every thread of the process");
    println!("PASS sig_fatal");
    0
}

entry!(main);
