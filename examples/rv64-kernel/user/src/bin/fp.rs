//! FP registers f0-f31 and fcsr must survive system calls and preemption,
//! while another thread of the same process uses different FP values.
#![no_std]
#![no_main]

use core::sync::atomic::AtomicI32;
use user::thread::{Stack, spawn};
use user::*;

static STACK: Stack<16384> = Stack::new();
static TID: AtomicI32 = AtomicI32::new(0);

/// Loads all 32 FP registers and fcsr, yields `rounds` times (spinning in
/// between so the timer preempts us too), then stores them back. Everything
/// happens inside one asm block so the compiler cannot touch the registers.
fn fp_roundtrip(seed: u64, rounds: usize) -> ([u64; 32], u64) {
    let mut before = [0u64; 32];
    let mut after = [0u64; 32];
    for (i, v) in before.iter_mut().enumerate() {
        *v = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(i as u64) ^ (i as u64) << 52;
    }
    // frm (bits 7:5) and fflags (bits 4:0) derived from the seed.
    let fcsr_in: u64 = (seed % 5) << 5 | (seed % 31 + 1);
    let mut fcsr_out = fcsr_in;
    // SAFETY: the block reads `before` and writes `after` through valid
    // pointers, clobbers every FP register (declared), and its ecalls are
    // sched_yield, which preserves all registers except a0 (declared).
    unsafe {
        asm_clobbering_fp!(
            f0_f31!("fld", "a1"),
            "fscsr a4",
            "2:",
            "li a7, 124",
            "ecall",
            "li t0, 100000",
            "3: addi t0, t0, -1",
            "bnez t0, 3b",
            "addi a3, a3, -1",
            "bnez a3, 2b",
            "frcsr a4",
            f0_f31!("fsd", "a2"),
            in("a1") before.as_ptr(),
            in("a2") after.as_mut_ptr(),
            inout("a3") rounds => _,
            inout("a4") fcsr_out,
            out("a0") _, out("a7") _, out("t0") _,
        );
    }
    for i in 0..32 {
        check!(
            after[i] == before[i],
            "fp: f{} {:#x} != {:#x} (seed {})",
            i,
            after[i],
            before[i],
            seed
        );
    }
    check!(fcsr_out == fcsr_in, "fp: fcsr {:#x} != {:#x} (seed {})", fcsr_out, fcsr_in, seed);
    (after, fcsr_out)
}

extern "C" fn other(seed: usize) -> i32 {
    fp_roundtrip(seed as u64, 40);
    println!("fp: thread with seed {} kept its FP state", seed);
    0
}

fn main() -> i32 {
    let t = spawn(&STACK, &TID, other, 7).unwrap_or_else(|e| fail!("fp: clone {}", e));
    fp_roundtrip(3, 40);
    t.join();
    // Plain compiler-generated FP too, across a sleep.
    let x = core::hint::black_box(2.0f64);
    let y = x * 1.5 + 0.25;
    sleep_ms(5);
    check!(y == 3.25, "fp: arithmetic {} != 3.25", y);
    println!("PASS fp");
    0
}

entry!(main);
