//! Trap entry and exit in assembly.
//!
//! `sscratch` tells where a trap came from: while a thread runs in user mode
//! it holds the address of that thread's `TrapFrame`; while in the kernel it
//! is 0. The first instruction swaps it with `sp`, so a nonzero `sp` means
//! "from user, and sp now points at the trap frame".
//!
//! `tp` is the hart id in the kernel (see `smp`): `__return_to_user` stores
//! it in the trap frame before loading the user's tp, and the vector loads
//! it back after saving the user's, so a thread may trap on another hart
//! than the one it returned to user mode from.

use super::TrapFrame;
use core::arch::global_asm;
use core::mem::offset_of;

global_asm!(
    r"
    .section .text
    # global_asm! does not inherit the target's features; allow FP here.
    .option push
    .option arch, +d

    # The registers a call may clobber, at their slots of a kernel trap's
    # 320-byte frame on the kernel stack: `op` is sd to save them, ld to
    # restore them (ra, t0-t6, a0-a7 at 0..128; sepc and sstatus follow).
    .macro kernel_trap_regs op
    \op ra, 0(sp)
    \op t0, 8(sp)
    \op t1, 16(sp)
    \op t2, 24(sp)
    .irp n, 0,1,2,3,4,5,6,7
    \op a\n, (32+\n*8)(sp)
    .endr
    \op t3, 96(sp)
    \op t4, 104(sp)
    \op t5, 112(sp)
    \op t6, 120(sp)
    .endm

    # The caller-saved FP registers (f0-f7, f10-f17, f28-f31) at 144..304 of
    # the same frame (fcsr follows): `op` is fsd or fld.
    .macro kernel_trap_fregs op
    .irp n, 0,1,2,3,4,5,6,7
    \op f\n, (144+\n*8)(sp)
    .endr
    .irp n, 10,11,12,13,14,15,16,17
    \op f\n, (144+(\n-2)*8)(sp)
    .endr
    .irp n, 28,29,30,31
    \op f\n, (144+(\n-12)*8)(sp)
    .endr
    .endm
    .balign 4
    .globl __trap_vector
__trap_vector:
    csrrw sp, sscratch, sp
    beqz sp, 9f

    # From user mode: save x1, x3..x31 (x2 = sp is in sscratch).
    sd x1, 8(sp)
    .irp n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd x\n, \n*8(sp)
    .endr
    csrr t0, sscratch
    sd t0, 16(sp)
    csrw sscratch, zero
    csrr t0, sepc
    sd t0, {sepc}(sp)
    csrr t1, sstatus
    sd t1, {sstatus}(sp)
    csrr t2, scause
    sd t2, {scause}(sp)
    csrr t2, stval
    sd t2, {stval}(sp)

    # Save FP state only if user code changed it (sstatus.FS == Dirty);
    # otherwise the trap frame already holds the current values.
    srli t2, t1, 13
    andi t2, t2, 3
    li t3, 3
    bne t2, t3, 1f
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fsd f\n, {fregs}+\n*8(sp)
    .endr
    frcsr t2
    sd t2, {fcsr}(sp)
1:
    # The kernel's tp is the hart id (user tp was saved with x4 above).
    ld tp, {kernel_tp}(sp)
    mv a0, sp
    ld sp, {kernel_sp}(a0)
    call {user_trap}
    # user_trap never returns.

9:  # From the kernel: restore sp (sscratch becomes 0 again), save what a
    # call may clobber (the caller-saved integer and FP registers and fcsr:
    # the target has the D extension, so compiled code may use FP registers)
    # plus
    # sepc/sstatus on the current kernel stack, handle it (an interrupt;
    # anything else panics), and resume the kernel code.
    csrrw sp, sscratch, sp
    addi sp, sp, -320
    kernel_trap_regs sd
    csrr t0, sepc
    sd t0, 128(sp)
    csrr t0, sstatus
    sd t0, 136(sp)
    kernel_trap_fregs fsd
    frcsr t0
    sd t0, 304(sp)
    call {kernel_trap}
    ld t0, 304(sp)
    fscsr t0
    kernel_trap_fregs fld
    ld t0, 128(sp)
    csrw sepc, t0
    ld t0, 136(sp)
    csrw sstatus, t0
    kernel_trap_regs ld
    addi sp, sp, 320
    sret

    .balign 4
    .globl __return_to_user
__return_to_user:
    # a0 = &TrapFrame, interrupts off (sstatus.SIE = 0). From here until
    # sret nothing may trap.
    sd tp, {kernel_tp}(a0)      # this hart's id, for the next trap
    csrw sscratch, a0
    li t0, 3 << 13
    csrs sstatus, t0            # FS on, so the FP loads below are legal
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fld f\n, {fregs}+\n*8(a0)
    .endr
    ld t0, {fcsr}(a0)
    fscsr t0
    ld t0, {sepc}(a0)
    csrw sepc, t0
    ld t0, {sstatus}(a0)
    csrw sstatus, t0            # sets FS=Clean after the FP loads
    ld x1, 8(a0)
    .irp n, 3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld x\n, \n*8(a0)
    .endr
    ld sp, 16(a0)
    ld a0, 80(a0)
    sret
    .option pop
    ",
    sepc = const offset_of!(TrapFrame, sepc),
    sstatus = const offset_of!(TrapFrame, sstatus),
    scause = const offset_of!(TrapFrame, scause),
    stval = const offset_of!(TrapFrame, stval),
    kernel_sp = const offset_of!(TrapFrame, kernel_sp),
    kernel_tp = const offset_of!(TrapFrame, kernel_tp),
    fregs = const offset_of!(TrapFrame, fregs),
    fcsr = const offset_of!(TrapFrame, fcsr),
    user_trap = sym super::user_trap,
    kernel_trap = sym super::kernel_trap,
);

// The assembly addresses registers as `n*8` from the start of the frame.
const _: () = assert!(offset_of!(TrapFrame, regs) == 0);

unsafe extern "C" {
    fn __trap_vector();
    fn __return_to_user(tf: *mut TrapFrame) -> !;
}

pub fn trap_vector_addr() -> usize {
    __trap_vector as *const () as usize
}

/// Loads the user context from `tf` and enters user mode.
///
/// # Safety
/// `tf` must be the current thread's trap frame, holding a valid user
/// context with `sstatus` prepared for `sret` (see `exit_to_user`).
pub unsafe fn return_to_user(tf: &mut TrapFrame) -> ! {
    // SAFETY: forwarded to the caller.
    unsafe { __return_to_user(tf) }
}
