//! fork (clone with SIGCHLD) and wait4 with Linux status encoding: exit
//! codes, WNOHANG, ECHILD, copy-on-fork memory, exit_group of a child whose
//! other thread is blocked in read().
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use user::thread::{Stack, spawn};
use user::*;

static STACK: Stack<16384> = Stack::new();
static TID: AtomicI32 = AtomicI32::new(0);
static SHARED: AtomicU64 = AtomicU64::new(1);

extern "C" fn block_in_read(_: usize) -> i32 {
    let mut buf = [0u8; 1];
    let r = read(0, &mut buf);
    fail!("forkwait: read returned {}", r);
}

fn main() -> i32 {
    let me = getpid();
    check!(wait4(-1, 0).0 == -ECHILD, "forkwait: wait4 without children");
    check!(wait4(-1, 0x4).0 == -EINVAL, "forkwait: wait4 with a bad option");

    // 1. Child exits with 42; parent sees (42 << 8). The child's memory is a copy.
    let pid = fork();
    if pid == 0 {
        check!(getppid() == me, "forkwait: child getppid {} != {}", getppid(), me);
        SHARED.store(99, Ordering::SeqCst);
        sleep_ms(20);
        exit_group(42);
    }
    check!(pid > 0, "forkwait: fork failed: {}", pid);
    check!(wait4(pid, WNOHANG) == (0, 0), "forkwait: WNOHANG on a running child");
    let (r, status) = wait4(-1, 0);
    check!(r == pid, "forkwait: wait4 returned {} not {}", r, pid);
    check!(status == 42 << 8, "forkwait: status {:#x} != 0x2a00", status);
    // The child changed only its own copy of the page.
    check!(SHARED.load(Ordering::SeqCst) == 1, "forkwait: child wrote parent memory");
    check!(wait4(pid, 0).0 == -ECHILD, "forkwait: reaped child seen twice");
    println!("forkwait: child {} exited with status {:#x}", pid, status);

    // 2. A child with a second thread blocked in read(); exit_group(3) from
    //    the main thread must end both threads.
    let pid = fork();
    if pid == 0 {
        spawn(&STACK, &TID, block_in_read, 0).unwrap_or_else(|e| fail!("forkwait: clone {}", e));
        sleep_ms(10);
        exit_group(3);
    }
    let (r, status) = wait4(pid, 0);
    check!(r == pid && status == 3 << 8, "forkwait: threaded child: {} {:#x}", r, status);
    let _ = TID.load(Ordering::Relaxed);

    // 3. Several children, reaped in any order.
    let mut pids = [0isize; 3];
    for (i, p) in pids.iter_mut().enumerate() {
        let pid = fork();
        if pid == 0 {
            sleep_ms(5 * (3 - i as u64));
            exit_group(10 + i as i32);
        }
        *p = pid;
    }
    for _ in 0..3 {
        let (r, status) = wait4(-1, 0);
        let i =
            pids.iter().position(|&p| p == r).unwrap_or_else(|| fail!("forkwait: stray pid {}", r));
        check!(status == (10 + i as i32) << 8, "forkwait: child {} status {:#x}", i, status);
    }
    check!(wait4(-1, WNOHANG).0 == -ECHILD, "forkwait: children left over");

    // 4. Process groups: wait4(0) waits only for children in our group,
    //    wait4(-pgid) for those in group pgid.
    check!(getpgid(0) == me, "forkwait: a boot process leads its own group");
    let same = fork();
    if same == 0 {
        sleep_ms(5);
        exit_group(5);
    }
    let other = fork();
    if other == 0 {
        setpgid(0, 0);
        sleep_ms(10);
        exit_group(6);
    }
    // Both sides call setpgid, so the order in which they run does not matter.
    check!(setpgid(other, 0) == 0, "forkwait: setpgid(child)");
    check!(
        getpgid(other) == other && getpgid(same) == me,
        "forkwait: groups {} {}",
        getpgid(other),
        getpgid(same)
    );
    check!(setpgid(99999, 0) == -ESRCH, "forkwait: setpgid(no such child)");
    let (r, status) = wait4(0, 0);
    check!(r == same && status == 5 << 8, "forkwait: wait4(0) gave {} {:#x}", r, status);
    check!(wait4(0, WNOHANG).0 == -ECHILD, "forkwait: wait4(0) sees another group");
    let (r, status) = wait4(-other, 0);
    check!(r == other && status == 6 << 8, "forkwait: wait4(-pgid) gave {} {:#x}", r, status);
    println!("PASS forkwait");
    0
}

entry!(main);
