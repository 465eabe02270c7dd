//! FP registers f0-f31 and fcsr must survive system calls and preemption,
//! while another thread of the same process uses different FP values.
#![no_std]
#![no_main]

use core::arch::asm;
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
    for (i, v) in before.iter_mut().enumerate() {
        *v = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(i as u64) ^ (i as u64) << 52;
    }
    // frm (bits 7:5) and fflags (bits 4:0) derived from the seed.
    let fcsr_in: u64 = (seed % 5) << 5 | (seed % 31 + 1);
    let mut after = [0u64; 32];
    let fcsr_out: u64;
    // SAFETY: the block reads `before` and writes `after` through valid
    // pointers, clobbers every FP register (declared), and its ecalls are
    // sched_yield, which preserves all registers except a0 (declared).
    unsafe {
        asm!(
            "fld f0, 0(a1)", "fld f1, 8(a1)", "fld f2, 16(a1)", "fld f3, 24(a1)",
            "fld f4, 32(a1)", "fld f5, 40(a1)", "fld f6, 48(a1)", "fld f7, 56(a1)",
            "fld f8, 64(a1)", "fld f9, 72(a1)", "fld f10, 80(a1)", "fld f11, 88(a1)",
            "fld f12, 96(a1)", "fld f13, 104(a1)", "fld f14, 112(a1)", "fld f15, 120(a1)",
            "fld f16, 128(a1)", "fld f17, 136(a1)", "fld f18, 144(a1)", "fld f19, 152(a1)",
            "fld f20, 160(a1)", "fld f21, 168(a1)", "fld f22, 176(a1)", "fld f23, 184(a1)",
            "fld f24, 192(a1)", "fld f25, 200(a1)", "fld f26, 208(a1)", "fld f27, 216(a1)",
            "fld f28, 224(a1)", "fld f29, 232(a1)", "fld f30, 240(a1)", "fld f31, 248(a1)",
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
            "fsd f0, 0(a2)", "fsd f1, 8(a2)", "fsd f2, 16(a2)", "fsd f3, 24(a2)",
            "fsd f4, 32(a2)", "fsd f5, 40(a2)", "fsd f6, 48(a2)", "fsd f7, 56(a2)",
            "fsd f8, 64(a2)", "fsd f9, 72(a2)", "fsd f10, 80(a2)", "fsd f11, 88(a2)",
            "fsd f12, 96(a2)", "fsd f13, 104(a2)", "fsd f14, 112(a2)", "fsd f15, 120(a2)",
            "fsd f16, 128(a2)", "fsd f17, 136(a2)", "fsd f18, 144(a2)", "fsd f19, 152(a2)",
            "fsd f20, 160(a2)", "fsd f21, 168(a2)", "fsd f22, 176(a2)", "fsd f23, 184(a2)",
            "fsd f24, 192(a2)", "fsd f25, 200(a2)", "fsd f26, 208(a2)", "fsd f27, 216(a2)",
            "fsd f28, 224(a2)", "fsd f29, 232(a2)", "fsd f30, 240(a2)", "fsd f31, 248(a2)",
            in("a1") before.as_ptr(),
            in("a2") after.as_mut_ptr(),
            inout("a3") rounds => _,
            inout("a4") fcsr_in => fcsr_out,
            out("a0") _, out("a7") _, out("t0") _,
            out("f0") _, out("f1") _, out("f2") _, out("f3") _,
            out("f4") _, out("f5") _, out("f6") _, out("f7") _,
            out("f8") _, out("f9") _, out("f10") _, out("f11") _,
            out("f12") _, out("f13") _, out("f14") _, out("f15") _,
            out("f16") _, out("f17") _, out("f18") _, out("f19") _,
            out("f20") _, out("f21") _, out("f22") _, out("f23") _,
            out("f24") _, out("f25") _, out("f26") _, out("f27") _,
            out("f28") _, out("f29") _, out("f30") _, out("f31") _,
        );
    }
    for i in 0..32 {
        check!(after[i] == before[i], "fp: f{} {:#x} != {:#x} (seed {})", i, after[i], before[i], seed);
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
