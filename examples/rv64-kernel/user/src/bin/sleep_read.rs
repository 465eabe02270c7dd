//! nanosleep sleeps at least as long as asked; a thread blocked in read(0)
//! (which never gets data) is killed cleanly by exit_group.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicI32, AtomicIsize, Ordering};
use user::thread::{Stack, spawn};
use user::*;

static STACK: Stack<16384> = Stack::new();
static TID: AtomicI32 = AtomicI32::new(0);
static READ_RESULT: AtomicIsize = AtomicIsize::new(i64::MIN as isize);

extern "C" fn reader(_: usize) -> i32 {
    let mut buf = [0u8; 16];
    let r = read(0, &mut buf);
    READ_RESULT.store(r, Ordering::SeqCst);
    fail!("sleep_read: read(0) returned {}", r);
}

fn main() -> i32 {
    let t0 = now_ns();
    check!(sleep_ms(30) == 0, "sleep_read: nanosleep failed");
    let slept = now_ns() - t0;
    check!(slept >= 30_000_000, "sleep_read: slept only {} ns", slept);
    check!(slept < 2_000_000_000, "sleep_read: slept far too long: {} ns", slept);
    println!("sleep_read: 30 ms sleep took {} us", slept / 1000);

    let bad = Timespec { tv_sec: 0, tv_nsec: 1_000_000_000 };
    check!(nanosleep(&bad, None) == -EINVAL, "sleep_read: tv_nsec=1e9 not EINVAL");
    let r = syscall(SYS_NANOSLEEP, 0x10, 0, 0);
    check!(r == -EFAULT, "sleep_read: nanosleep(bad ptr) = {}", r);
    let mut buf = [0u8; 4];
    let r = syscall(SYS_READ, 0, 0x3000_0000, buf.len());
    check!(r == -EFAULT, "sleep_read: read(bad ptr) = {}", r);
    let _ = &mut buf;
    spawn(&STACK, &TID, reader, 0).unwrap_or_else(|e| fail!("sleep_read: clone {}", e));
    sleep_ms(20);
    let r = READ_RESULT.load(Ordering::SeqCst);
    check!(r == i64::MIN as isize, "sleep_read: read returned early: {}", r);
    check!(TID.load(Ordering::SeqCst) != 0, "sleep_read: reader thread exited");
    println!("PASS sleep_read");
    // Returning calls exit_group, which must kill the reader blocked in read().
    0
}

entry!(main);
