//! riscv64 frames: placement, handler entry, sstatus, extension header, restart.
mod common {
    pub mod fp;
    pub mod frame;
    pub mod scenarios;
    pub mod signal_setup;
    pub mod user_stack;
}

use common::fp::ImageFp;
use common::frame::*;
use common::scenarios::{self, FrameTestArch};
use common::signal_setup::*;
use common::user_stack::*;
use ksignal::frame::riscv64::{
    FP_IMAGE_LEN, FRAME_SIZE, RISCV_V_MAGIC, Riscv64, Riscv64Context, SSTATUS_SPIE, SSTATUS_SPP,
};
use ksignal::frame::*;
use ksignal::*;
use proptest::prelude::*;

const UC: u64 = 128;
const SIGMASK: u64 = UC + 40;
const MC: u64 = 304;
const SC_FP: u64 = MC + 256;
const EXT_RESERVED: u64 = MC + 772;
const EXT_HDR: u64 = MC + 776;
/// sstatus as a trap from U-mode leaves it: SPP = U, SPIE = 1, FS = dirty.
const USER_SSTATUS: u64 = SSTATUS_SPIE | (3 << 13);

scenarios::shared_frame_tests!(Rv64);

impl FrameTestArch for Rv64 {
    type Ctx = Riscv64Context;
    fn user_ctx() -> Riscv64Context {
        let mut x: [u64; 32] = core::array::from_fn(|i| 0x100 + i as u64);
        x[0] = 0;
        x[2] = stack_top();
        Riscv64Context {
            pc: 0x1_0500,
            x,
            sstatus: USER_SSTATUS,
            ..Default::default() // not in a system call
        }
    }
    fn set_sp(ctx: &mut Riscv64Context, sp: u64) {
        ctx.x[2] = sp;
    }
    fn fp() -> ImageFp {
        ImageFp::pattern(FP_IMAGE_LEN, 0x22)
    }
    fn frame_for(sp: u64) -> u64 {
        (sp - FRAME_SIZE as u64) & !15
    }
}

#[test]
fn deliver_then_sigreturn_restores_the_exact_context() {
    let clobber = |ctx: &mut Riscv64Context, fp: &mut ImageFp| {
        ctx.x[3..].fill(0);
        ctx.pc = 0;
        fp.state.fill(1);
    };
    let r = scenarios::deliver_then_sigreturn::<Rv64>(SaFlags::empty(), 0b1011, clobber);
    assert_eq!(r.ret, Rv64::user_ctx().x[10]);
}

#[test]
fn handler_entry_always_passes_info_and_uc_and_returns_to_the_vdso() {
    let mut t = T::new();
    let orig = t.ctx;
    // Even with SA_RESTORER set (it is not a riscv flag) the vDSO is used.
    let f = t.deliver(&action(SaFlags::RESTORER)).unwrap();
    let (ctx, mem) = (t.ctx, &t.mem);
    assert_eq!(f.frame, Rv64::frame_for(orig.x[2]));
    assert_eq!(
        (ctx.pc, ctx.x[2], ctx.x[1]),
        (HANDLER as u64, f.frame, TRAMPOLINE)
    );
    assert_eq!(
        (ctx.x[10], ctx.x[11], ctx.x[12]),
        (10, f.frame, f.frame + UC)
    );
    assert_eq!(user_bytes(mem, f.info, 128), INFO, "siginfo always written");
    assert_eq!(user_u64(mem, f.frame + MC), orig.pc, "sc_regs.pc");
    assert_eq!(user_u64(mem, f.frame + MC + 8), orig.x[1], "sc_regs.ra");
    assert_eq!(user_bytes(mem, f.frame + SC_FP, FP_IMAGE_LEN), t.fp.state);
    assert_eq!(user_u32(mem, f.frame + EXT_RESERVED), 0);
    assert_eq!(user_u64(mem, f.frame + EXT_HDR), 0, "END header");
    assert_eq!(ctx.sstatus, orig.sstatus);
}

#[test]
fn sigreturn_forces_user_mode_with_interrupts_enabled() {
    let (mut t, _) = T::new().without_fp().delivered(&action(SaFlags::empty()));
    // mimiker PR #1307: SPP must never come back as S.
    t.ctx.sstatus = SSTATUS_SPP;
    t.sigreturn().unwrap();
    assert_eq!(t.ctx.sstatus & SSTATUS_SPP, 0);
    assert_ne!(t.ctx.sstatus & SSTATUS_SPIE, 0);
}

fn delivered() -> (T, u64) {
    T::new().delivered(&action(SaFlags::empty()))
}

#[test]
fn bad_extension_header_is_sigsegv() {
    let cases: [(u64, u64, &str); 4] = [
        (EXT_RESERVED, 1, "reserved word"),
        (
            EXT_HDR,
            RISCV_V_MAGIC as u64 | (8 + 48 + 128) << 32,
            "V state while V is not live",
        ),
        (EXT_HDR, 0x1234, "unknown magic"),
        (EXT_HDR, 16 << 32, "END with a size"),
    ];
    for (off, v, what) in cases {
        let (mut t, frame) = delivered();
        if off == EXT_RESERVED {
            put_u32(&mut t.mem, frame + off, v as u32);
        } else {
            put_u64(&mut t.mem, frame + off, v);
        }
        let orig_fp = t.fp.state.clone();
        t.fp.state.fill(0);
        let e = t.sigreturn().unwrap_err();
        assert_eq!(e.error, FrameError::BadRecord, "{what}");
        assert_eq!(e.mask, Some(SignalSet::EMPTY));
        // restore_sigcontext loaded sc_regs and the FP state before it looked at the
        // extension area.
        assert_eq!(t.ctx, Rv64::user_ctx(), "{what}");
        assert_eq!(t.fp.state, orig_fp, "{what}");
    }
}

#[test]
fn rt_sigreturn_is_system_call_139() {
    assert_eq!(Riscv64::NR_RT_SIGRETURN, 139);
}

/// `rt_sigreturn` reads the mask, `sc_regs`, the d-layout FP state, the extension
/// area's reserved word and END header, and `uc_stack`: a frame mapped only there
/// (siginfo, `uc_flags`, `__unused`, the rest of the FP union unmapped) is accepted.
#[test]
fn sigreturn_reads_only_the_fields_linux_reads() {
    let ranges = [
        (UC + 16, SIGMASK + 8),      // uc_stack, uc_sigmask
        (MC, SC_FP + 264),           // sc_regs, __riscv_d_ext_state
        (EXT_RESERVED, EXT_HDR + 8), // reserved, END header
    ];
    scenarios::sigreturn_reads_only(T::new(), &action(SaFlags::empty()), &ranges);
}

/// `restore_sigcontext` copies `sc_regs` straight over `pt_regs`: a frame cut off
/// in the middle of them leaves pc and the registers before the cut restored and
/// the rest as they were.
#[test]
fn faulting_sc_regs_copy_leaves_the_part_before_the_fault() {
    let (mut t, frame) = delivered();
    let handler = t.ctx;
    t.map_only(frame, &[(UC + 16, SIGMASK + 8), (MC, MC + 80)]);
    let e = t.sigreturn().unwrap_err();
    let empty = Some(SignalSet::EMPTY);
    assert_eq!((e.error, e.mask), (FrameError::Fault, empty));
    let orig = Rv64::user_ctx();
    assert_eq!(t.ctx.pc, orig.pc);
    assert_eq!(t.ctx.x[1..10], orig.x[1..10]);
    assert_eq!(t.ctx.x[10..], handler.x[10..]);
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

impl scenarios::RoundTripArch for Rv64 {
    fn any_ctx() -> BoxedStrategy<Riscv64Context> {
        scenarios::any_regs(any::<[u64; 32]>())
            .prop_map(|(mut x, pc, sp, st)| {
                (x[0], x[2]) = (0, sp);
                let sstatus = (st & !SSTATUS_SPP) | SSTATUS_SPIE;
                Riscv64Context {
                    pc,
                    x,
                    sstatus,
                    ..Rv64::user_ctx()
                }
            })
            .boxed()
    }
    fn clobber(ctx: &mut Riscv64Context, fp: &mut ImageFp, words: &[u64; 32]) {
        scenarios::clobber_all_but_sp((&mut ctx.x, 2, &mut ctx.pc), fp, words);
    }
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn forged_frame_never_panics_or_yields_a_privileged_context(
        bytes in prop::collection::vec(any::<u8>(), FRAME_SIZE),
        clean_ext in any::<bool>(), sstatus in any::<u64>(),
    ) {
        let mut mem = memory();
        let frame = (STACK_BASE + 0x400) as u64;
        ksignal::UserMemory::write(&mut mem, frame as usize, &bytes).unwrap();
        if clean_ext {
            put_u32(&mut mem, frame + EXT_RESERVED, 0);
            put_u64(&mut mem, frame + EXT_HDR, 0);
        }
        let mut ctx = Rv64::user_ctx();
        (ctx.x[2], ctx.sstatus) = (frame, sstatus);
        let before = ctx;
        match restore_rt_frame(&mut ctx, &mut Rv64::fp(), &mem, &mut altstack(0)) {
            Ok(r) => {
                prop_assert_eq!(ctx.sstatus & SSTATUS_SPP, 0);
                prop_assert_ne!(ctx.sstatus & SSTATUS_SPIE, 0);
                prop_assert!(!ctx.in_syscall);
                prop_assert!(!r.mask.contains(Signo::SIGKILL) && !r.mask.contains(Signo::SIGSTOP));
            }
            // What Linux had restored stays; user mode is forced once it touched the
            // registers.
            Err(_) => if ctx != before {
                prop_assert_eq!(ctx.sstatus & SSTATUS_SPP, 0);
                prop_assert_ne!(ctx.sstatus & SSTATUS_SPIE, 0);
                prop_assert_eq!(ctx.x[0], before.x[0]);
            },
        }
    }
}

// ---------------------------------------------------------------------------
// The restart table
// ---------------------------------------------------------------------------

// `arch_do_signal_or_restart` reads a0 as an `int` (`int retval = regs->a0`): a
// result whose low 32 bits are a restart code is that code.
// a0 gets `orig_a0` back; a7 holds the number.
scenarios::generic_restart_arch!(Rv64: Riscv64Context {
    ret: x[10], nr: x[17], pc: pc, orig: orig_a0
}, int: true, syscall_end: 0x1_0004);
