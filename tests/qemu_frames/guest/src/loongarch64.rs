//! loongarch64: registers r0-r31 (r0 is 0, slot 3 is sp), f0-f31, fcsr0, fcc0-fcc7.

use core::arch::{asm, global_asm};

/// First argument register (a0 = r4).
pub const ARG0: usize = 4;
/// System-call number register (a7 = r11).
pub const NR: usize = 11;
/// The sp slot in a register array.
pub const SP: usize = 3;
/// Slots that are not registers loaded by `raise_asm`.
pub const UNLOADED: [usize; 2] = [0, 3];
/// a2 holds the ucontext for every handler (Linux's setup_rt_frame).
pub const UC_IN_A2: bool = true;
/// fcsr0: round towards zero and every exception flag (no enables); fcc0-fcc7 =
/// 1, 0, 1, 1, 0, 0, 1, 0 (byte i is fcc_i, the layout of `fpu_context.fcc`).
pub const FPCTL: [u64; 4] = [0x001F_0100, 0x0001_0000_0101_0001, 0, 0];

super::syscall_instruction!("syscall 0", "$a7", ["$a0", "$a1", "$a2", "$a3"]);

global_asm!(
    r#"
    .globl qf_entry
    .p2align 4
qf_entry:
    addi.d $sp, $sp, -272
    st.d $r1, $sp, 8
    st.d $r2, $sp, 16
    st.d $r4, $sp, 32
    st.d $r5, $sp, 40
    st.d $r6, $sp, 48
    st.d $r7, $sp, 56
    st.d $r8, $sp, 64
    st.d $r9, $sp, 72
    st.d $r10, $sp, 80
    st.d $r11, $sp, 88
    st.d $r12, $sp, 96
    st.d $r13, $sp, 104
    st.d $r14, $sp, 112
    st.d $r15, $sp, 120
    st.d $r16, $sp, 128
    st.d $r17, $sp, 136
    st.d $r18, $sp, 144
    st.d $r19, $sp, 152
    st.d $r20, $sp, 160
    st.d $r21, $sp, 168
    st.d $r22, $sp, 176
    st.d $r23, $sp, 184
    st.d $r24, $sp, 192
    st.d $r25, $sp, 200
    st.d $r26, $sp, 208
    st.d $r27, $sp, 216
    st.d $r28, $sp, 224
    st.d $r29, $sp, 232
    st.d $r30, $sp, 240
    st.d $r31, $sp, 248
    addi.d $t0, $sp, 272
    st.d $t0, $sp, 24
    st.d $zero, $sp, 0
    move $a0, $sp
    bl qf_on_signal
    ld.d $ra, $sp, 8
    addi.d $sp, $sp, 272
    jr $ra
    .globl qf_restorer
    .p2align 4
qf_restorer:
    ori $a7, $zero, 139
    syscall 0
    .globl _start
_start:
    move $a0, $sp
    bl qf_main
    break 0
"#
);

/// Loads the registers from `p`, makes the system call in them, and at the resumed
/// pc (`p.resume`) stores the registers it finds into `p.out_*`.
pub unsafe fn raise_asm(p: *mut super::Raise) {
    // SAFETY: p is a valid Raise; callee-saved registers (ra, tp, r21, fp, s0-s8,
    // fs0-fs7, fcsr0) are saved on the stack and restored before the block ends.
    unsafe {
        asm!(
        "addi.d $sp, $sp, -192",
        "st.d $r1, $sp, 0",
        "st.d $r2, $sp, 8",
        "st.d $r21, $sp, 16",
        "st.d $r22, $sp, 24",
        "st.d $r23, $sp, 32",
        "st.d $r24, $sp, 40",
        "st.d $r25, $sp, 48",
        "st.d $r26, $sp, 56",
        "st.d $r27, $sp, 64",
        "st.d $r28, $sp, 72",
        "st.d $r29, $sp, 80",
        "st.d $r30, $sp, 88",
        "st.d $r31, $sp, 96",
        "fst.d $f24, $sp, 104",
        "fst.d $f25, $sp, 112",
        "fst.d $f26, $sp, 120",
        "fst.d $f27, $sp, 128",
        "fst.d $f28, $sp, 136",
        "fst.d $f29, $sp, 144",
        "fst.d $f30, $sp, 152",
        "fst.d $f31, $sp, 160",
        "movfcsr2gr $t0, $fcsr0",
        "st.d $t0, $sp, 168",
        "st.d $a0, $sp, 176",
        "st.d $sp, $a0, 800",
        "la.local $t0, 1f",
        "st.d $t0, $a0, 808",
        "la.local $t0, 2f",
        "st.d $t0, $a0, 816",
        "fld.d $f0, $a0, 256",
        "fld.d $f1, $a0, 264",
        "fld.d $f2, $a0, 272",
        "fld.d $f3, $a0, 280",
        "fld.d $f4, $a0, 288",
        "fld.d $f5, $a0, 296",
        "fld.d $f6, $a0, 304",
        "fld.d $f7, $a0, 312",
        "fld.d $f8, $a0, 320",
        "fld.d $f9, $a0, 328",
        "fld.d $f10, $a0, 336",
        "fld.d $f11, $a0, 344",
        "fld.d $f12, $a0, 352",
        "fld.d $f13, $a0, 360",
        "fld.d $f14, $a0, 368",
        "fld.d $f15, $a0, 376",
        "fld.d $f16, $a0, 384",
        "fld.d $f17, $a0, 392",
        "fld.d $f18, $a0, 400",
        "fld.d $f19, $a0, 408",
        "fld.d $f20, $a0, 416",
        "fld.d $f21, $a0, 424",
        "fld.d $f22, $a0, 432",
        "fld.d $f23, $a0, 440",
        "fld.d $f24, $a0, 448",
        "fld.d $f25, $a0, 456",
        "fld.d $f26, $a0, 464",
        "fld.d $f27, $a0, 472",
        "fld.d $f28, $a0, 480",
        "fld.d $f29, $a0, 488",
        "fld.d $f30, $a0, 496",
        "fld.d $f31, $a0, 504",
        "ld.d $t0, $a0, 768",
        "movgr2fcsr $fcsr0, $t0",
        "ld.b $t0, $a0, 776",
        "movgr2cf $fcc0, $t0",
        "ld.b $t0, $a0, 777",
        "movgr2cf $fcc1, $t0",
        "ld.b $t0, $a0, 778",
        "movgr2cf $fcc2, $t0",
        "ld.b $t0, $a0, 779",
        "movgr2cf $fcc3, $t0",
        "ld.b $t0, $a0, 780",
        "movgr2cf $fcc4, $t0",
        "ld.b $t0, $a0, 781",
        "movgr2cf $fcc5, $t0",
        "ld.b $t0, $a0, 782",
        "movgr2cf $fcc6, $t0",
        "ld.b $t0, $a0, 783",
        "movgr2cf $fcc7, $t0",
        "ld.d $r1, $a0, 8",
        "ld.d $r2, $a0, 16",
        "ld.d $r5, $a0, 40",
        "ld.d $r6, $a0, 48",
        "ld.d $r7, $a0, 56",
        "ld.d $r8, $a0, 64",
        "ld.d $r9, $a0, 72",
        "ld.d $r10, $a0, 80",
        "ld.d $r11, $a0, 88",
        "ld.d $r12, $a0, 96",
        "ld.d $r13, $a0, 104",
        "ld.d $r14, $a0, 112",
        "ld.d $r15, $a0, 120",
        "ld.d $r16, $a0, 128",
        "ld.d $r17, $a0, 136",
        "ld.d $r18, $a0, 144",
        "ld.d $r19, $a0, 152",
        "ld.d $r20, $a0, 160",
        "ld.d $r21, $a0, 168",
        "ld.d $r22, $a0, 176",
        "ld.d $r23, $a0, 184",
        "ld.d $r24, $a0, 192",
        "ld.d $r25, $a0, 200",
        "ld.d $r26, $a0, 208",
        "ld.d $r27, $a0, 216",
        "ld.d $r28, $a0, 224",
        "ld.d $r29, $a0, 232",
        "ld.d $r30, $a0, 240",
        "ld.d $r31, $a0, 248",
        "ld.d $a0, $a0, 32",
        "syscall 0",
        "1: break 1",
        "2: addi.d $sp, $sp, -800",
        "st.d $r1, $sp, 8",
        "st.d $r2, $sp, 16",
        "st.d $r3, $sp, 24",
        "st.d $r4, $sp, 32",
        "st.d $r5, $sp, 40",
        "st.d $r6, $sp, 48",
        "st.d $r7, $sp, 56",
        "st.d $r8, $sp, 64",
        "st.d $r9, $sp, 72",
        "st.d $r10, $sp, 80",
        "st.d $r11, $sp, 88",
        "st.d $r12, $sp, 96",
        "st.d $r13, $sp, 104",
        "st.d $r14, $sp, 112",
        "st.d $r15, $sp, 120",
        "st.d $r16, $sp, 128",
        "st.d $r17, $sp, 136",
        "st.d $r18, $sp, 144",
        "st.d $r19, $sp, 152",
        "st.d $r20, $sp, 160",
        "st.d $r21, $sp, 168",
        "st.d $r22, $sp, 176",
        "st.d $r23, $sp, 184",
        "st.d $r24, $sp, 192",
        "st.d $r25, $sp, 200",
        "st.d $r26, $sp, 208",
        "st.d $r27, $sp, 216",
        "st.d $r28, $sp, 224",
        "st.d $r29, $sp, 232",
        "st.d $r30, $sp, 240",
        "st.d $r31, $sp, 248",
        "st.d $zero, $sp, 0",
        "fst.d $f0, $sp, 256",
        "fst.d $f1, $sp, 264",
        "fst.d $f2, $sp, 272",
        "fst.d $f3, $sp, 280",
        "fst.d $f4, $sp, 288",
        "fst.d $f5, $sp, 296",
        "fst.d $f6, $sp, 304",
        "fst.d $f7, $sp, 312",
        "fst.d $f8, $sp, 320",
        "fst.d $f9, $sp, 328",
        "fst.d $f10, $sp, 336",
        "fst.d $f11, $sp, 344",
        "fst.d $f12, $sp, 352",
        "fst.d $f13, $sp, 360",
        "fst.d $f14, $sp, 368",
        "fst.d $f15, $sp, 376",
        "fst.d $f16, $sp, 384",
        "fst.d $f17, $sp, 392",
        "fst.d $f18, $sp, 400",
        "fst.d $f19, $sp, 408",
        "fst.d $f20, $sp, 416",
        "fst.d $f21, $sp, 424",
        "fst.d $f22, $sp, 432",
        "fst.d $f23, $sp, 440",
        "fst.d $f24, $sp, 448",
        "fst.d $f25, $sp, 456",
        "fst.d $f26, $sp, 464",
        "fst.d $f27, $sp, 472",
        "fst.d $f28, $sp, 480",
        "fst.d $f29, $sp, 488",
        "fst.d $f30, $sp, 496",
        "fst.d $f31, $sp, 504",
        "movfcsr2gr $t0, $fcsr0",
        "st.d $t0, $sp, 768",
        "st.d $zero, $sp, 776",
        "st.d $zero, $sp, 784",
        "st.d $zero, $sp, 792",
        "movcf2gr $t0, $fcc0",
        "st.b $t0, $sp, 776",
        "movcf2gr $t0, $fcc1",
        "st.b $t0, $sp, 777",
        "movcf2gr $t0, $fcc2",
        "st.b $t0, $sp, 778",
        "movcf2gr $t0, $fcc3",
        "st.b $t0, $sp, 779",
        "movcf2gr $t0, $fcc4",
        "st.b $t0, $sp, 780",
        "movcf2gr $t0, $fcc5",
        "st.b $t0, $sp, 781",
        "movcf2gr $t0, $fcc6",
        "st.b $t0, $sp, 782",
        "movcf2gr $t0, $fcc7",
        "st.b $t0, $sp, 783",
        "ld.d $t1, $sp, 976",
        "addi.d $t1, $t1, 824",
        "ori $t2, $zero, 0",
        "ori $t5, $zero, 800",
        "3: ldx.d $t4, $sp, $t2",
        "stx.d $t4, $t1, $t2",
        "addi.d $t2, $t2, 8",
        "bltu $t2, $t5, 3b",
        "addi.d $sp, $sp, 800",
        "ld.d $r1, $sp, 0",
        "ld.d $r2, $sp, 8",
        "ld.d $r21, $sp, 16",
        "ld.d $r22, $sp, 24",
        "ld.d $r23, $sp, 32",
        "ld.d $r24, $sp, 40",
        "ld.d $r25, $sp, 48",
        "ld.d $r26, $sp, 56",
        "ld.d $r27, $sp, 64",
        "ld.d $r28, $sp, 72",
        "ld.d $r29, $sp, 80",
        "ld.d $r30, $sp, 88",
        "ld.d $r31, $sp, 96",
        "fld.d $f24, $sp, 104",
        "fld.d $f25, $sp, 112",
        "fld.d $f26, $sp, 120",
        "fld.d $f27, $sp, 128",
        "fld.d $f28, $sp, 136",
        "fld.d $f29, $sp, 144",
        "fld.d $f30, $sp, 152",
        "fld.d $f31, $sp, 160",
        "ld.d $t0, $sp, 168",
        "movgr2fcsr $fcsr0, $t0",
        "addi.d $sp, $sp, 192",
            inout("$a0") p => _,
            clobber_abi("C"),
        );
    }
}

/// The handler's edits to its uc_mcontext: pc, r12 (t0), f5 (in the FPU record).
pub unsafe fn edit(mc: *mut u8, pc: u64, r12: u64, f5: u64) {
    // SAFETY: mc is the frame's uc_mcontext: sc_pc, sc_regs, sc_flags, then the
    // records from 272 (FPU_CTX_MAGIC: regs, fcc, fcsr).
    unsafe {
        (mc as *mut u64).write(pc);
        (mc.add(8 + 12 * 8) as *mut u64).write(r12);
        if let Some(fpu) = super::find_record(mc.add(272), 0x4650_5501) {
            (fpu.add(16 + 5 * 8) as *mut u64).write(f5);
        }
    }
}
