//! Two threads via clone(CLONE_VM|CLONE_THREAD|CLONE_SIGHAND|...), joined
//! through CLONE_CHILD_CLEARTID; shared memory, distinct tids, same pid.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use user::thread::{Stack, spawn};
use user::*;

static STACK_A: Stack<16384> = Stack::new();
static STACK_B: Stack<16384> = Stack::new();
static STACK_C: Stack<16384> = Stack::new();
static TID_C: AtomicI32 = AtomicI32::new(0);
static SPINNER_STARTED: AtomicBool = AtomicBool::new(false);
static MAIN_SAW_IT: AtomicBool = AtomicBool::new(false);
static TID_A: AtomicI32 = AtomicI32::new(0);
static TID_B: AtomicI32 = AtomicI32::new(0);
static COUNTER: AtomicUsize = AtomicUsize::new(0);
static MAIN_PID: AtomicUsize = AtomicUsize::new(0);

extern "C" fn worker(n: usize) -> i32 {
    let pid = getpid() as usize;
    let tid = gettid() as usize;
    println!("threads: worker {} running, pid {} tid {}", n, pid, tid);
    check!(pid == MAIN_PID.load(Ordering::Relaxed), "threads: worker pid differs");
    check!(tid != pid, "threads: worker tid == pid");
    for _ in 0..1000 {
        COUNTER.fetch_add(1, Ordering::Relaxed);
        if COUNTER.load(Ordering::Relaxed).is_multiple_of(128) {
            sched_yield();
        }
    }
    0
}

/// Busy-waits without any system call: only timer preemption lets the
/// other thread run, so this pair hangs on a kernel without preemption.
extern "C" fn spinner(_: usize) -> i32 {
    SPINNER_STARTED.store(true, Ordering::SeqCst);
    while !MAIN_SAW_IT.load(Ordering::SeqCst) {
        core::hint::spin_loop();
    }
    0
}

fn main() -> i32 {
    MAIN_PID.store(getpid() as usize, Ordering::Relaxed);
    let a = spawn(&STACK_A, &TID_A, worker, 1).unwrap_or_else(|e| fail!("threads: clone A {}", e));
    let b = spawn(&STACK_B, &TID_B, worker, 2).unwrap_or_else(|e| fail!("threads: clone B {}", e));
    let (ta, tb) = (TID_A.load(Ordering::Relaxed), TID_B.load(Ordering::Relaxed));
    check!(ta > 0 && tb > 0 && ta != tb, "threads: bad tids {} {}", ta, tb);
    println!("threads: main pid {} spawned tids {} and {}", getpid(), ta, tb);
    a.join();
    b.join();
    let total = COUNTER.load(Ordering::Relaxed);
    check!(total == 2000, "threads: counter {} != 2000", total);

    let c = spawn(&STACK_C, &TID_C, spinner, 0).unwrap_or_else(|e| fail!("threads: clone C {}", e));
    while !SPINNER_STARTED.load(Ordering::SeqCst) {
        core::hint::spin_loop();
    }
    MAIN_SAW_IT.store(true, Ordering::SeqCst);
    c.join();
    println!("threads: two busy-waiting threads took turns (preemption works)");
    println!("PASS threads");
    0
}

entry!(main);
