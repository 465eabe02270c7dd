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
use common::scenarios::{self, FrameTestArch, RestartArch};
use common::signal_setup::*;
use common::user_stack::*;
use ksignal::frame::riscv64::{
    FP_IMAGE_LEN, FRAME_SIZE, RISCV_V_MAGIC, Riscv64, Riscv64Context, SSTATUS_SPIE, SSTATUS_SPP,
};
use ksignal::frame::{
    ArchFrame, ForceSigsegv, FpHook, FrameError, HandlerFrame, NoFp, restore_rt_frame,
    setup_rt_frame,
};
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

fn user_ctx() -> Riscv64Context {
    let mut x = [0u64; 32];
    for (i, r) in x.iter_mut().enumerate().skip(1) {
        *r = 0x100 + i as u64;
    }
    x[2] = stack_top();
    Riscv64Context {
        pc: 0x1_0500,
        x,
        sstatus: USER_SSTATUS,
        in_syscall: false,
        orig_a0: 0,
    }
}

/// This architecture for the shared scenarios (`tests/common/scenarios.rs`).
struct Rv64;

scenarios::shared_frame_tests!(Rv64);

impl FrameTestArch for Rv64 {
    type Ctx = Riscv64Context;
    /// The bad-frame path raises SIGSEGV with `force_sig(SIGSEGV)`: SI_KERNEL, no address,
    /// whether the frame is unmapped or malformed.
    const BAD_FRAME_FAULTS_AT_SP: bool = false;
    const UC: u64 = UC;
    const SIGMASK: u64 = SIGMASK;
    fn user_ctx() -> Riscv64Context {
        user_ctx()
    }
    fn set_sp(ctx: &mut Riscv64Context, sp: u64) {
        ctx.x[2] = sp;
    }
    fn fp() -> ImageFp {
        fp()
    }
    fn action(flags: SaFlags) -> SignalAction {
        action(flags)
    }
}

impl RestartArch for Rv64 {
    /// `arch_do_signal_or_restart` reads a0 as an `int` (`int retval = regs->a0`): a
    /// result whose low 32 bits are a restart code is that code.
    const RESTART_CODE_IS_INT: bool = true;
    const KEEPS_SYSCALL: bool = false;
    fn in_syscall(ret: u64) -> Riscv64Context {
        let mut c = in_syscall(Errno::EINTR);
        c.x[10] = ret;
        c
    }
    fn syscall_regs(ctx: &Riscv64Context) -> (u64, u64, u64) {
        (ctx.x[10], ctx.pc, ctx.x[17])
    }
    fn is_in_syscall(ctx: &Riscv64Context) -> bool {
        ctx.in_syscall
    }
    fn restart_expected(want: Restart, ret: u64) -> (u64, u64, u64) {
        match want {
            Restart::Eintr => (neg(Errno::EINTR), 0x1_0004, 63),
            Restart::Again => (3, 0x1_0000, 63),
            Restart::AgainViaRestartSyscall => (3, 0x1_0000, 128),
            Restart::Untouched => (ret, 0x1_0004, 63),
        }
    }
}

fn fp() -> ImageFp {
    ImageFp::pattern(FP_IMAGE_LEN, 0x22)
}

fn deliver(
    ctx: &mut Riscv64Context,
    fp: &mut dyn FpHook,
    mem: &mut UserBuffer,
    stack: &mut SignalStack,
    act: &SignalAction,
    saved: SignalSet,
) -> Result<HandlerFrame, ForceSigsegv> {
    setup_rt_frame(ctx, fp, mem, stack, &delivery(Signo::SIGUSR1, act, saved))
}

#[test]
fn deliver_then_sigreturn_restores_the_exact_context() {
    let (mut mem, mut stack, mut fp) = (memory(), SignalStack::DISABLED, fp());
    let orig_fp = fp.state.clone();
    let orig = user_ctx();
    let mut ctx = orig;
    let saved = SignalSet::from_bits(0b1011);
    deliver(
        &mut ctx,
        &mut fp,
        &mut mem,
        &mut stack,
        &action(SaFlags::empty()),
        saved,
    )
    .unwrap();
    for r in ctx.x.iter_mut().skip(3) {
        *r = 0;
    }
    ctx.pc = 0;
    fp.state.fill(1);
    let r = restore_rt_frame(&mut ctx, &mut fp, &mem, &mut stack).unwrap();
    assert_eq!(r.mask, saved);
    assert_eq!(r.ret, orig.x[10]);
    assert_eq!(ctx, orig);
    assert_eq!(fp.state, orig_fp);
}

#[test]
fn handler_entry_always_passes_info_and_uc_and_returns_to_the_vdso() {
    let (mut mem, mut stack, mut fp) = (memory(), SignalStack::DISABLED, fp());
    let orig = user_ctx();
    let mut ctx = orig;
    // Even with SA_RESTORER set (it is not a riscv flag) the vDSO is used.
    let act = action(SaFlags::RESTORER);
    let f = deliver(
        &mut ctx,
        &mut fp,
        &mut mem,
        &mut stack,
        &act,
        SignalSet::EMPTY,
    )
    .unwrap();
    assert_eq!(f.frame, (orig.x[2] - FRAME_SIZE as u64) & !15);
    assert_eq!(ctx.pc, HANDLER as u64);
    assert_eq!(ctx.x[2], f.frame);
    assert_eq!(ctx.x[1], TRAMPOLINE);
    assert_eq!(
        (ctx.x[10], ctx.x[11], ctx.x[12]),
        (10, f.frame, f.frame + UC)
    );
    assert_eq!(
        user_bytes(&mem, f.info, 128),
        INFO,
        "siginfo always written"
    );
    assert_eq!(user_u64(&mem, f.frame + MC), orig.pc, "sc_regs.pc");
    assert_eq!(user_u64(&mem, f.frame + MC + 8), orig.x[1], "sc_regs.ra");
    assert_eq!(user_bytes(&mem, f.frame + SC_FP, FP_IMAGE_LEN), fp.state);
    assert_eq!(user_u32(&mem, f.frame + EXT_RESERVED), 0);
    assert_eq!(user_u64(&mem, f.frame + EXT_HDR), 0, "END header");
    assert_eq!(ctx.sstatus, orig.sstatus);
}

#[test]
fn sigreturn_forces_user_mode_with_interrupts_enabled() {
    let (mut mem, mut stack) = (memory(), SignalStack::DISABLED);
    let mut ctx = user_ctx();
    deliver(
        &mut ctx,
        &mut NoFp,
        &mut mem,
        &mut stack,
        &action(SaFlags::empty()),
        SignalSet::EMPTY,
    )
    .unwrap();
    // mimiker PR #1307: SPP must never come back as S.
    ctx.sstatus = SSTATUS_SPP;
    restore_rt_frame(&mut ctx, &mut NoFp, &mem, &mut stack).unwrap();
    assert_eq!(ctx.sstatus & SSTATUS_SPP, 0);
    assert_ne!(ctx.sstatus & SSTATUS_SPIE, 0);
}

#[test]
fn altstack_used_only_with_sa_onstack_when_enabled_and_not_on_it() {
    let onstack = action(SaFlags::ONSTACK);
    let run = |stack: SignalStack, act: &SignalAction, sp: u64| {
        let (mut mem, mut stack) = (memory(), stack);
        let mut ctx = user_ctx();
        ctx.x[2] = sp;
        deliver(
            &mut ctx,
            &mut NoFp,
            &mut mem,
            &mut stack,
            act,
            SignalSet::EMPTY,
        )
        .unwrap()
        .frame
    };
    let top = (ALT_BASE + REGION) as u64;
    assert_eq!(
        run(altstack(0), &onstack, stack_top()),
        (top - FRAME_SIZE as u64) & !15
    );
    assert!(run(altstack(0), &action(SaFlags::empty()), stack_top()) > STACK_BASE as u64);
    assert!(run(SignalStack::DISABLED, &onstack, stack_top()) > STACK_BASE as u64);
    let on = (ALT_BASE + 0x2003) as u64;
    assert_eq!(
        run(altstack(0), &onstack, on),
        (on - FRAME_SIZE as u64) & !15
    );
}

#[test]
fn nested_delivery_on_the_altstack() {
    let (mut mem, mut stack, mut fp) = (memory(), altstack(0), fp());
    let onstack = action(SaFlags::ONSTACK);
    let orig = user_ctx();
    let mut ctx = orig;
    let f1 = deliver(
        &mut ctx,
        &mut fp,
        &mut mem,
        &mut stack,
        &onstack,
        SignalSet::EMPTY,
    )
    .unwrap();
    let h1 = ctx;
    let f2 = deliver(
        &mut ctx,
        &mut fp,
        &mut mem,
        &mut stack,
        &onstack,
        SignalSet::EMPTY,
    )
    .unwrap();
    assert_eq!(f2.frame, f1.frame - FRAME_SIZE as u64);
    restore_rt_frame(&mut ctx, &mut fp, &mem, &mut stack).unwrap();
    assert_eq!(
        ctx,
        Riscv64Context {
            in_syscall: false,
            ..h1
        }
    );
    restore_rt_frame(&mut ctx, &mut fp, &mem, &mut stack).unwrap();
    assert_eq!(ctx, orig);
}

#[test]
fn altstack_overflow_forces_sigsegv() {
    let (mut mem, mut stack) = (memory(), altstack(0));
    let mut ctx = user_ctx();
    ctx.x[2] = (ALT_BASE + 1000) as u64;
    let before = ctx;
    let act = action(SaFlags::ONSTACK);
    let e = setup_rt_frame(
        &mut ctx,
        &mut NoFp,
        &mut mem,
        &mut stack,
        &delivery(Signo::SIGSEGV, &act, SignalSet::EMPTY),
    )
    .unwrap_err();
    assert_eq!(
        e,
        ForceSigsegv {
            fatal: true,
            error: FrameError::AltStackOverflow
        }
    );
    assert_eq!(ctx, before);
}

fn delivered() -> (UserBuffer, Riscv64Context, ImageFp, u64) {
    let (mut mem, mut stack, mut fp) = (memory(), SignalStack::DISABLED, fp());
    let mut ctx = user_ctx();
    let f = deliver(
        &mut ctx,
        &mut fp,
        &mut mem,
        &mut stack,
        &action(SaFlags::empty()),
        SignalSet::EMPTY,
    )
    .unwrap();
    (mem, ctx, fp, f.frame)
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
        let (mut mem, mut ctx, mut fp, frame) = delivered();
        if off == EXT_RESERVED {
            put_u32(&mut mem, frame + off, v as u32);
        } else {
            put_u64(&mut mem, frame + off, v);
        }
        let orig_fp = fp.state.clone();
        fp.state.fill(0);
        let e = restore_rt_frame(&mut ctx, &mut fp, &mem, &mut SignalStack::default()).unwrap_err();
        assert_eq!(e.error, FrameError::BadRecord, "{what}");
        assert_eq!(e.mask, Some(SignalSet::EMPTY));
        // restore_sigcontext loaded sc_regs and the FP state before it looked at the
        // extension area.
        assert_eq!(ctx, user_ctx(), "{what}");
        assert_eq!(fp.state, orig_fp, "{what}");
    }
}

#[test]
fn unreadable_frame_is_sigsegv() {
    let mut ctx = user_ctx();
    ctx.x[2] = 0x10;
    let e =
        restore_rt_frame(&mut ctx, &mut NoFp, &memory(), &mut SignalStack::default()).unwrap_err();
    assert_eq!((e.error, e.mask), (FrameError::Fault, None));
}

fn in_syscall(ret: Errno) -> Riscv64Context {
    let mut c = user_ctx();
    c.in_syscall = true;
    c.orig_a0 = 3;
    c.x[10] = neg(ret);
    c.x[17] = 63;
    c.pc = 0x1_0004;
    c
}

#[test]
fn restart_table_with_and_without_handler() {
    scenarios::restart_table_with_and_without_handler::<Rv64>();
    assert_eq!(Riscv64::NR_RESTART_SYSCALL, 128);
    assert_eq!(Riscv64::NR_RT_SIGRETURN, 139);
}

/// `rt_sigreturn` reads the mask, `sc_regs`, the d-layout FP state, the extension
/// area's reserved word and END header, and `uc_stack`: a frame mapped only there
/// (siginfo, `uc_flags`, `__unused`, the rest of the FP union unmapped) is accepted.
#[test]
fn sigreturn_reads_only_the_fields_linux_reads() {
    let (mem, mut ctx, mut fp, frame) = delivered();
    let orig_fp = fp.state.clone();
    fp.state.fill(0);
    let ranges = [
        (UC + 16, SIGMASK + 8),      // uc_stack, uc_sigmask
        (MC, SC_FP + 264),           // sc_regs, __riscv_d_ext_state
        (EXT_RESERVED, EXT_HDR + 8), // reserved, END header
    ];
    let sparse = only_ranges(&mem, frame, &ranges);
    restore_rt_frame(&mut ctx, &mut fp, &sparse, &mut SignalStack::default()).unwrap();
    assert_eq!(ctx, user_ctx());
    assert_eq!(fp.state, orig_fp);
}

/// `restore_sigcontext` copies `sc_regs` straight over `pt_regs`: a frame cut off
/// in the middle of them leaves pc and the registers before the cut restored and
/// the rest as they were.
#[test]
fn faulting_sc_regs_copy_leaves_the_part_before_the_fault() {
    let (mem, mut ctx, mut fp, frame) = delivered();
    let handler = ctx;
    let sparse = only_ranges(&mem, frame, &[(UC + 16, SIGMASK + 8), (MC, MC + 80)]);
    let e = restore_rt_frame(&mut ctx, &mut fp, &sparse, &mut SignalStack::default()).unwrap_err();
    assert_eq!(
        (e.error, e.mask),
        (FrameError::Fault, Some(SignalSet::EMPTY))
    );
    let orig = user_ctx();
    assert_eq!(ctx.pc, orig.pc);
    assert_eq!(ctx.x[1..10], orig.x[1..10]);
    assert_eq!(ctx.x[10..], handler.x[10..]);
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

fn any_ctx() -> impl Strategy<Value = Riscv64Context> {
    (
        any::<[u64; 32]>(),
        any::<u64>(),
        0x2000u64..0x2f00,
        any::<bool>(),
        any::<u64>(),
    )
        .prop_map(|(mut x, pc, sp_off, on_alt, st)| {
            x[0] = 0;
            x[2] = if on_alt {
                ALT_BASE as u64
            } else {
                STACK_BASE as u64
            } + sp_off;
            Riscv64Context {
                pc,
                x,
                sstatus: (st & !SSTATUS_SPP) | SSTATUS_SPIE,
                in_syscall: false,
                orig_a0: 0,
            }
        })
}

fn any_image() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), FP_IMAGE_LEN).prop_map(|mut v| {
        v[FP_IMAGE_LEN - 4..].fill(0); // struct padding
        v
    })
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn any_context_survives_deliver_and_sigreturn(
        orig in any_ctx(), img in any_image(), stack0 in any_altstack(),
        onstack in any::<bool>(), saved in any::<u64>(), clobber in any::<[u64; 32]>(),
        sig in 1u32..=64,
    ) {
        let flags = if onstack { SaFlags::ONSTACK } else { SaFlags::empty() };
        scenarios::round_trip::<Rv64>(orig, ImageFp::new(img.clone()), stack0, flags, sig, saved, |ctx, fp| {
            for i in (1..32).filter(|i| *i != 2) { ctx.x[i] = clobber[i]; }
            ctx.pc = clobber[0];
            fp.state.fill(0x5A);
        }, &img)?;
    }

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
        let mut ctx = user_ctx();
        ctx.x[2] = frame;
        ctx.sstatus = sstatus;
        let before = ctx;
        let mut fp = fp();
        match restore_rt_frame(&mut ctx, &mut fp, &mem, &mut altstack(0)) {
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
