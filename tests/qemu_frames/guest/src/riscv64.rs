//! riscv64: registers x0-x31 (x0 is 0, slot 2 is sp), f0-f31, fcsr.

use core::arch::{asm, global_asm};

/// First argument register (a0 = x10).
pub const ARG0: usize = 10;
/// System-call number register (a7 = x17).
pub const NR: usize = 17;
/// The sp slot in a register array.
pub const SP: usize = 2;
/// Slots that are not registers loaded by `raise_asm`.
pub const UNLOADED: [usize; 2] = [0, 2];
/// a2 holds the ucontext for every handler (Linux's setup_rt_frame).
pub const UC_IN_A2: bool = true;
/// fcsr: round towards zero, every accrued exception flag.
pub const FPCTL: [u64; 4] = [0x3F, 0, 0, 0];

super::syscall_instruction!("ecall", "a7", ["a0", "a1", "a2", "a3"]);

global_asm!(
    r#"
    .globl qf_entry
    .p2align 4
qf_entry:
    addi sp, sp, -272
    sd x1, 8(sp)
    sd x3, 24(sp)
    sd x4, 32(sp)
    sd x5, 40(sp)
    sd x6, 48(sp)
    sd x7, 56(sp)
    sd x8, 64(sp)
    sd x9, 72(sp)
    sd x10, 80(sp)
    sd x11, 88(sp)
    sd x12, 96(sp)
    sd x13, 104(sp)
    sd x14, 112(sp)
    sd x15, 120(sp)
    sd x16, 128(sp)
    sd x17, 136(sp)
    sd x18, 144(sp)
    sd x19, 152(sp)
    sd x20, 160(sp)
    sd x21, 168(sp)
    sd x22, 176(sp)
    sd x23, 184(sp)
    sd x24, 192(sp)
    sd x25, 200(sp)
    sd x26, 208(sp)
    sd x27, 216(sp)
    sd x28, 224(sp)
    sd x29, 232(sp)
    sd x30, 240(sp)
    sd x31, 248(sp)
    addi t0, sp, 272
    sd t0, 16(sp)
    sd zero, 0(sp)
    mv a0, sp
    call qf_on_signal
    ld ra, 8(sp)
    addi sp, sp, 272
    ret
    .globl qf_restorer
    .p2align 4
qf_restorer:
    li a7, 139
    ecall
    .globl _start
_start:
    mv a0, sp
    call qf_main
    ebreak
"#
);

/// Loads the registers from `p`, makes the system call in them, and at the resumed
/// pc (`p.resume`) stores the registers it finds into `p.out_*`.
pub unsafe fn raise_asm(p: *mut super::Raise) {
    // SAFETY: p is a valid Raise; callee-saved registers (ra, gp, tp, s0-s11,
    // fs0-fs11, fcsr) are saved on the stack and restored before the block ends.
    unsafe {
        asm!(
        "addi sp, sp, -240",
        "sd x1, 0(sp)",
        "sd x3, 8(sp)",
        "sd x4, 16(sp)",
        "sd x8, 24(sp)",
        "sd x9, 32(sp)",
        "sd x18, 40(sp)",
        "sd x19, 48(sp)",
        "sd x20, 56(sp)",
        "sd x21, 64(sp)",
        "sd x22, 72(sp)",
        "sd x23, 80(sp)",
        "sd x24, 88(sp)",
        "sd x25, 96(sp)",
        "sd x26, 104(sp)",
        "sd x27, 112(sp)",
        "fsd f8, 120(sp)",
        "fsd f9, 128(sp)",
        "fsd f18, 136(sp)",
        "fsd f19, 144(sp)",
        "fsd f20, 152(sp)",
        "fsd f21, 160(sp)",
        "fsd f22, 168(sp)",
        "fsd f23, 176(sp)",
        "fsd f24, 184(sp)",
        "fsd f25, 192(sp)",
        "fsd f26, 200(sp)",
        "fsd f27, 208(sp)",
        "frcsr t0",
        "sd t0, 216(sp)",
        "sd a0, 224(sp)",
        "sd sp, 800(a0)",
        "lla t0, 1f",
        "sd t0, 808(a0)",
        "lla t0, 2f",
        "sd t0, 816(a0)",
        "fld f0, 256(a0)",
        "fld f1, 264(a0)",
        "fld f2, 272(a0)",
        "fld f3, 280(a0)",
        "fld f4, 288(a0)",
        "fld f5, 296(a0)",
        "fld f6, 304(a0)",
        "fld f7, 312(a0)",
        "fld f8, 320(a0)",
        "fld f9, 328(a0)",
        "fld f10, 336(a0)",
        "fld f11, 344(a0)",
        "fld f12, 352(a0)",
        "fld f13, 360(a0)",
        "fld f14, 368(a0)",
        "fld f15, 376(a0)",
        "fld f16, 384(a0)",
        "fld f17, 392(a0)",
        "fld f18, 400(a0)",
        "fld f19, 408(a0)",
        "fld f20, 416(a0)",
        "fld f21, 424(a0)",
        "fld f22, 432(a0)",
        "fld f23, 440(a0)",
        "fld f24, 448(a0)",
        "fld f25, 456(a0)",
        "fld f26, 464(a0)",
        "fld f27, 472(a0)",
        "fld f28, 480(a0)",
        "fld f29, 488(a0)",
        "fld f30, 496(a0)",
        "fld f31, 504(a0)",
        "ld t0, 768(a0)",
        "fscsr t0",
        "ld x1, 8(a0)",
        "ld x3, 24(a0)",
        "ld x4, 32(a0)",
        "ld x5, 40(a0)",
        "ld x6, 48(a0)",
        "ld x7, 56(a0)",
        "ld x8, 64(a0)",
        "ld x9, 72(a0)",
        "ld x11, 88(a0)",
        "ld x12, 96(a0)",
        "ld x13, 104(a0)",
        "ld x14, 112(a0)",
        "ld x15, 120(a0)",
        "ld x16, 128(a0)",
        "ld x17, 136(a0)",
        "ld x18, 144(a0)",
        "ld x19, 152(a0)",
        "ld x20, 160(a0)",
        "ld x21, 168(a0)",
        "ld x22, 176(a0)",
        "ld x23, 184(a0)",
        "ld x24, 192(a0)",
        "ld x25, 200(a0)",
        "ld x26, 208(a0)",
        "ld x27, 216(a0)",
        "ld x28, 224(a0)",
        "ld x29, 232(a0)",
        "ld x30, 240(a0)",
        "ld x31, 248(a0)",
        "ld a0, 80(a0)",
        "ecall",
        "1: ebreak",
        "2: addi sp, sp, -800",
        "sd x1, 8(sp)",
        "sd x2, 16(sp)",
        "sd x3, 24(sp)",
        "sd x4, 32(sp)",
        "sd x5, 40(sp)",
        "sd x6, 48(sp)",
        "sd x7, 56(sp)",
        "sd x8, 64(sp)",
        "sd x9, 72(sp)",
        "sd x10, 80(sp)",
        "sd x11, 88(sp)",
        "sd x12, 96(sp)",
        "sd x13, 104(sp)",
        "sd x14, 112(sp)",
        "sd x15, 120(sp)",
        "sd x16, 128(sp)",
        "sd x17, 136(sp)",
        "sd x18, 144(sp)",
        "sd x19, 152(sp)",
        "sd x20, 160(sp)",
        "sd x21, 168(sp)",
        "sd x22, 176(sp)",
        "sd x23, 184(sp)",
        "sd x24, 192(sp)",
        "sd x25, 200(sp)",
        "sd x26, 208(sp)",
        "sd x27, 216(sp)",
        "sd x28, 224(sp)",
        "sd x29, 232(sp)",
        "sd x30, 240(sp)",
        "sd x31, 248(sp)",
        "sd zero, 0(sp)",
        "fsd f0, 256(sp)",
        "fsd f1, 264(sp)",
        "fsd f2, 272(sp)",
        "fsd f3, 280(sp)",
        "fsd f4, 288(sp)",
        "fsd f5, 296(sp)",
        "fsd f6, 304(sp)",
        "fsd f7, 312(sp)",
        "fsd f8, 320(sp)",
        "fsd f9, 328(sp)",
        "fsd f10, 336(sp)",
        "fsd f11, 344(sp)",
        "fsd f12, 352(sp)",
        "fsd f13, 360(sp)",
        "fsd f14, 368(sp)",
        "fsd f15, 376(sp)",
        "fsd f16, 384(sp)",
        "fsd f17, 392(sp)",
        "fsd f18, 400(sp)",
        "fsd f19, 408(sp)",
        "fsd f20, 416(sp)",
        "fsd f21, 424(sp)",
        "fsd f22, 432(sp)",
        "fsd f23, 440(sp)",
        "fsd f24, 448(sp)",
        "fsd f25, 456(sp)",
        "fsd f26, 464(sp)",
        "fsd f27, 472(sp)",
        "fsd f28, 480(sp)",
        "fsd f29, 488(sp)",
        "fsd f30, 496(sp)",
        "fsd f31, 504(sp)",
        "frcsr t0",
        "sd t0, 768(sp)",
        "sd zero, 776(sp)",
        "sd zero, 784(sp)",
        "sd zero, 792(sp)",
        "ld t1, 1024(sp)",
        "addi t1, t1, 824",
        "li t2, 0",
        "li t5, 800",
        "3: add t3, sp, t2",
        "ld t4, 0(t3)",
        "add t3, t1, t2",
        "sd t4, 0(t3)",
        "addi t2, t2, 8",
        "bltu t2, t5, 3b",
        "addi sp, sp, 800",
        "ld x1, 0(sp)",
        "ld x3, 8(sp)",
        "ld x4, 16(sp)",
        "ld x8, 24(sp)",
        "ld x9, 32(sp)",
        "ld x18, 40(sp)",
        "ld x19, 48(sp)",
        "ld x20, 56(sp)",
        "ld x21, 64(sp)",
        "ld x22, 72(sp)",
        "ld x23, 80(sp)",
        "ld x24, 88(sp)",
        "ld x25, 96(sp)",
        "ld x26, 104(sp)",
        "ld x27, 112(sp)",
        "fld f8, 120(sp)",
        "fld f9, 128(sp)",
        "fld f18, 136(sp)",
        "fld f19, 144(sp)",
        "fld f20, 152(sp)",
        "fld f21, 160(sp)",
        "fld f22, 168(sp)",
        "fld f23, 176(sp)",
        "fld f24, 184(sp)",
        "fld f25, 192(sp)",
        "fld f26, 200(sp)",
        "fld f27, 208(sp)",
        "ld t0, 216(sp)",
        "fscsr t0",
        "addi sp, sp, 240",
            inout("a0") p => _,
            clobber_abi("C"),
        );
    }
}

/// The handler's edits to its uc_mcontext: pc, x9 (s1), f5.
pub unsafe fn edit(mc: *mut u8, pc: u64, x9: u64, f5: u64) {
    // SAFETY: mc is the frame's uc_mcontext: pc, x1-x31, f0-f31.
    unsafe {
        (mc as *mut u64).write(pc);
        (mc.add(9 * 8) as *mut u64).write(x9);
        (mc.add(256 + 5 * 8) as *mut u64).write(f5);
    }
}
