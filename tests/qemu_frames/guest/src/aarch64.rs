//! aarch64: registers x0-x30 (slot 31 is sp), v0-v31, fpsr, fpcr, nzcv.

use core::arch::{asm, global_asm};

/// First argument register (x0).
pub const ARG0: usize = 0;
/// System-call number register (x8).
pub const NR: usize = 8;
/// The sp slot in a register array.
pub const SP: usize = 31;
/// Slots that are not registers loaded by `raise_asm`.
pub const UNLOADED: [usize; 1] = [31];
/// x2 holds the ucontext only with SA_SIGINFO (Linux's setup_return).
pub const UC_IN_A2: bool = false;
/// fpsr: the cumulative exception flags; fpcr: round towards zero; nzcv: N and C.
pub const FPCTL: [u64; 4] = [0x1F, 0x00C0_0000, 0xA000_0000, 0];

super::syscall_instruction!("svc #0", "x8", ["x0", "x1", "x2", "x3"]);

global_asm!(
    r#"
    .globl qf_entry
    .p2align 4
qf_entry:
    sub sp, sp, #272
    stp x0, x1, [sp, #0]
    stp x2, x3, [sp, #16]
    stp x4, x5, [sp, #32]
    stp x6, x7, [sp, #48]
    stp x8, x9, [sp, #64]
    stp x10, x11, [sp, #80]
    stp x12, x13, [sp, #96]
    stp x14, x15, [sp, #112]
    stp x16, x17, [sp, #128]
    stp x18, x19, [sp, #144]
    stp x20, x21, [sp, #160]
    stp x22, x23, [sp, #176]
    stp x24, x25, [sp, #192]
    stp x26, x27, [sp, #208]
    stp x28, x29, [sp, #224]
    str x30, [sp, #240]
    add x9, sp, #272
    str x9, [sp, #248]
    mov x0, sp
    bl qf_on_signal
    ldr x30, [sp, #240]
    add sp, sp, #272
    ret
    .globl qf_restorer
    .p2align 4
qf_restorer:
    mov x8, #139
    svc #0
    .globl _start
_start:
    mov x0, sp
    bl qf_main
    brk #0
"#
);

/// Loads the registers from `p`, makes the system call in them, and at the resumed
/// pc (`p.resume`) stores the registers it finds into `p.out_*`.
pub unsafe fn raise_asm(p: *mut super::Raise) {
    // SAFETY: p is a valid Raise; callee-saved registers (x18-x30, d8-d15, fpcr) are
    // saved on the stack and restored before the block ends.
    unsafe {
        asm!(
        "sub sp, sp, #192",
        "stp x19, x20, [sp, #0]",
        "stp x21, x22, [sp, #16]",
        "stp x23, x24, [sp, #32]",
        "stp x25, x26, [sp, #48]",
        "stp x27, x28, [sp, #64]",
        "stp x29, x30, [sp, #80]",
        "stp d8, d9, [sp, #96]",
        "stp d10, d11, [sp, #112]",
        "stp d12, d13, [sp, #128]",
        "stp d14, d15, [sp, #144]",
        "str x18, [sp, #160]",
        "str x0, [sp, #168]",
        "mrs x1, fpcr",
        "str x1, [sp, #176]",
        "mov x1, sp",
        "str x1, [x0, #800]",
        "adr x1, 1f",
        "str x1, [x0, #808]",
        "adr x1, 2f",
        "str x1, [x0, #816]",
        "add x1, x0, #256",
        "ldp q0, q1, [x1, #0]",
        "ldp q2, q3, [x1, #32]",
        "ldp q4, q5, [x1, #64]",
        "ldp q6, q7, [x1, #96]",
        "ldp q8, q9, [x1, #128]",
        "ldp q10, q11, [x1, #160]",
        "ldp q12, q13, [x1, #192]",
        "ldp q14, q15, [x1, #224]",
        "ldp q16, q17, [x1, #256]",
        "ldp q18, q19, [x1, #288]",
        "ldp q20, q21, [x1, #320]",
        "ldp q22, q23, [x1, #352]",
        "ldp q24, q25, [x1, #384]",
        "ldp q26, q27, [x1, #416]",
        "ldp q28, q29, [x1, #448]",
        "ldp q30, q31, [x1, #480]",
        "ldr x2, [x0, #768]",
        "msr fpsr, x2",
        "ldr x2, [x0, #776]",
        "msr fpcr, x2",
        "ldr x2, [x0, #784]",
        "msr nzcv, x2",
        "ldp x2, x3, [x0, #16]",
        "ldp x4, x5, [x0, #32]",
        "ldp x6, x7, [x0, #48]",
        "ldp x8, x9, [x0, #64]",
        "ldp x10, x11, [x0, #80]",
        "ldp x12, x13, [x0, #96]",
        "ldp x14, x15, [x0, #112]",
        "ldp x16, x17, [x0, #128]",
        "ldp x18, x19, [x0, #144]",
        "ldp x20, x21, [x0, #160]",
        "ldp x22, x23, [x0, #176]",
        "ldp x24, x25, [x0, #192]",
        "ldp x26, x27, [x0, #208]",
        "ldp x28, x29, [x0, #224]",
        "ldr x30, [x0, #240]",
        "ldr x1, [x0, #8]",
        "ldr x0, [x0, #0]",
        "svc #0",
        "1: brk #1",
        "2: sub sp, sp, #800",
        "stp x0, x1, [sp, #0]",
        "stp x2, x3, [sp, #16]",
        "stp x4, x5, [sp, #32]",
        "stp x6, x7, [sp, #48]",
        "stp x8, x9, [sp, #64]",
        "stp x10, x11, [sp, #80]",
        "stp x12, x13, [sp, #96]",
        "stp x14, x15, [sp, #112]",
        "stp x16, x17, [sp, #128]",
        "stp x18, x19, [sp, #144]",
        "stp x20, x21, [sp, #160]",
        "stp x22, x23, [sp, #176]",
        "stp x24, x25, [sp, #192]",
        "stp x26, x27, [sp, #208]",
        "stp x28, x29, [sp, #224]",
        "str x30, [sp, #240]",
        "add x1, sp, #256",
        "stp q0, q1, [x1, #0]",
        "stp q2, q3, [x1, #32]",
        "stp q4, q5, [x1, #64]",
        "stp q6, q7, [x1, #96]",
        "stp q8, q9, [x1, #128]",
        "stp q10, q11, [x1, #160]",
        "stp q12, q13, [x1, #192]",
        "stp q14, q15, [x1, #224]",
        "stp q16, q17, [x1, #256]",
        "stp q18, q19, [x1, #288]",
        "stp q20, q21, [x1, #320]",
        "stp q22, q23, [x1, #352]",
        "stp q24, q25, [x1, #384]",
        "stp q26, q27, [x1, #416]",
        "stp q28, q29, [x1, #448]",
        "stp q30, q31, [x1, #480]",
        "mrs x0, fpsr",
        "str x0, [sp, #768]",
        "mrs x0, fpcr",
        "str x0, [sp, #776]",
        "mrs x0, nzcv",
        "str x0, [sp, #784]",
        "str xzr, [sp, #792]",
        "str xzr, [sp, #248]",
        "ldr x1, [sp, #968]",
        "add x1, x1, #824",
        "mov x2, #0",
        "3: ldr x3, [sp, x2]",
        "str x3, [x1, x2]",
        "add x2, x2, #8",
        "cmp x2, #800",
        "b.lo 3b",
        "add sp, sp, #800",
        "ldr x1, [sp, #176]",
        "msr fpcr, x1",
        "ldp x19, x20, [sp, #0]",
        "ldp x21, x22, [sp, #16]",
        "ldp x23, x24, [sp, #32]",
        "ldp x25, x26, [sp, #48]",
        "ldp x27, x28, [sp, #64]",
        "ldp x29, x30, [sp, #80]",
        "ldp d8, d9, [sp, #96]",
        "ldp d10, d11, [sp, #112]",
        "ldp d12, d13, [sp, #128]",
        "ldp d14, d15, [sp, #144]",
        "ldr x18, [sp, #160]",
        "add sp, sp, #192",
            inout("x0") p => _,
            clobber_abi("C"),
        );
    }
}

/// The handler's edits to its uc_mcontext: pc, x9, d5 (low half of v5).
pub unsafe fn edit(mc: *mut u8, pc: u64, x9: u64, d5: u64) {
    // SAFETY: mc is the frame's uc_mcontext: fault_address, regs[31], sp, pc,
    // pstate, then the records at 288 (FPSIMD_MAGIC: fpsr, fpcr, vregs).
    unsafe {
        (mc.add(264) as *mut u64).write(pc);
        (mc.add(8 + 9 * 8) as *mut u64).write(x9);
        if let Some(fpsimd) = super::find_record(mc.add(288), 0x4650_8001) {
            (fpsimd.add(16 + 5 * 16) as *mut u64).write(d5);
        }
    }
}
