//! x86_64 frames: placement, handler entry, sigreturn sanitising, FP area, restart.
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
use ksignal::frame::x86_64::{
    FIX_EFLAGS, FP_XSTATE_MAGIC1, FP_XSTATE_MAGIC2, RFLAGS_DF, RFLAGS_RF, RFLAGS_TF, X86_64,
    X86_64Context, is_canonical,
};
use ksignal::frame::{
    ArchFrame, ForceSigsegv, FrameError, HandlerFrame, NoFp, RestartOutcome, restore_rt_frame,
    setup_rt_frame, syscall_restart,
};
use ksignal::*;
use proptest::prelude::*;

const XFEATURES: u64 = 0b111; // x87 | SSE | AVX
const XSAVE_LEN: usize = 832;
const RFLAGS_IF: u64 = 1 << 9;
const USER_RFLAGS: u64 = 0x2 | RFLAGS_IF;
const MC: u64 = 48; // uc_mcontext in the frame
const SC_FLAGS: u64 = MC + 136;
const SC_CS: u64 = MC + 144;
const SC_IP: u64 = MC + 128;
const SC_FPSTATE: u64 = MC + 184;
const SIGMASK: u64 = 304;

fn user_ctx() -> X86_64Context {
    X86_64Context {
        r15: 15,
        r14: 14,
        r13: 13,
        r12: 12,
        rbp: 0xb9,
        rbx: 0xb8,
        r11: 11,
        r10: 10,
        r9: 9,
        r8: 8,
        rax: 0xa0,
        rcx: 0xc0,
        rdx: 0xd0,
        rsi: 0x51,
        rdi: 0xd1,
        rip: 0x40_0500,
        rsp: stack_top(),
        rflags: USER_RFLAGS | RFLAGS_DF | RFLAGS_TF | RFLAGS_RF | 1,
        cs: 0x33,
        ss: 0x2b,
        in_syscall: false,
        orig_rax: 0,
    }
}

/// This architecture for the shared scenarios (`tests/common/scenarios.rs`).
struct X86;

scenarios::shared_frame_tests!(X86);

impl FrameTestArch for X86 {
    type Ctx = X86_64Context;
    /// The bad-frame path raises SIGSEGV with `signal_fault`: SI_KERNEL, no address,
    /// whether the frame is unmapped or malformed.
    const BAD_FRAME_FAULTS_AT_SP: bool = false;
    const UC: u64 = 8;
    const SIGMASK: u64 = SIGMASK;
    fn user_ctx() -> X86_64Context {
        user_ctx()
    }
    fn set_sp(ctx: &mut X86_64Context, sp: u64) {
        ctx.rsp = sp;
    }
    fn fp() -> ImageFp {
        xsave_fp()
    }
    fn action(flags: SaFlags) -> SignalAction {
        action(flags | SaFlags::RESTORER)
    }
    fn handler_returns(ctx: &mut X86_64Context) {
        ctx.rsp += 8;
    }
}

impl RestartArch for X86 {
    /// `syscall_get_error` of a 64-bit task compares all 64 bits of rax: a value whose
    /// low 32 bits alone are a restart code is an ordinary result.
    const RESTART_CODE_IS_INT: bool = false;
    const KEEPS_SYSCALL: bool = true;
    fn in_syscall(ret: u64) -> X86_64Context {
        X86_64Context {
            rax: ret,
            ..in_syscall(Errno::EINTR)
        }
    }
    fn syscall_regs(ctx: &X86_64Context) -> (u64, u64, u64) {
        (ctx.rax, ctx.rip, ctx.orig_rax)
    }
    fn is_in_syscall(ctx: &X86_64Context) -> bool {
        ctx.in_syscall
    }
    fn restart_expected(want: Restart, ret: u64) -> (u64, u64, u64) {
        // rax carries both the result and, on a restart, the system-call number.
        match want {
            Restart::Eintr => (neg(Errno::EINTR), 0x40_1002, 7),
            Restart::Again => (7, 0x40_1000, 7),
            Restart::AgainViaRestartSyscall => (219, 0x40_1000, 7),
            Restart::Untouched => (ret, 0x40_1002, 7),
        }
    }
}

/// Validates what the crate promises an XSAVE hook.
fn check_xsave(fp: &ImageFp, img: &[u8]) {
    assert_eq!(img.len(), fp.state.len());
    let u64_at = |o: usize| u64::from_le_bytes(img[o..o + 8].try_into().unwrap());
    assert!(img[520..576].iter().all(|b| *b == 0), "header reserved");
    assert_eq!(u64_at(512) & !fp.xfeatures, 0, "XSTATE_BV within XCR0");
    let mxcsr = u32::from_le_bytes(img[24..28].try_into().unwrap());
    assert_eq!(mxcsr & !0xFFBF, 0, "valid MXCSR");
}

/// A valid XSAVE image (x87, SSE, AVX).
fn xsave_fp() -> ImageFp {
    let mut fp = ImageFp::pattern(XSAVE_LEN, 0x3C);
    fp.xfeatures = XFEATURES;
    fp.check = check_xsave;
    fp.state[24..28].copy_from_slice(&0x1F80u32.to_le_bytes());
    fp.state[416..576].fill(0);
    fp.state[512..520].copy_from_slice(&XFEATURES.to_le_bytes());
    fp
}

fn sa() -> SignalAction {
    action(SaFlags::RESTORER | SaFlags::SIGINFO)
}

#[allow(clippy::too_many_arguments)]
fn deliver(
    ctx: &mut X86_64Context,
    fp: &mut dyn frame::FpHook,
    mem: &mut UserBuffer,
    stack: &mut SignalStack,
    act: &SignalAction,
    sig: Signo,
    saved: SignalSet,
) -> Result<HandlerFrame, ForceSigsegv> {
    setup_rt_frame(ctx, fp, mem, stack, &delivery(sig, act, saved))
}

#[test]
fn deliver_then_sigreturn_restores_the_exact_context() {
    let (mut mem, mut stack, mut fp) = (memory(), SignalStack::DISABLED, xsave_fp());
    let orig_fp = fp.state.clone();
    let orig = user_ctx();
    let mut ctx = orig;
    let saved = SignalSet::from_bits(0x1234_5678);
    let f = deliver(
        &mut ctx,
        &mut fp,
        &mut mem,
        &mut stack,
        &sa(),
        Signo::SIGUSR1,
        saved,
    )
    .unwrap();
    // The handler clobbers everything it may.
    ctx.rax = 1;
    ctx.rbx = 2;
    ctx.r15 = 3;
    ctx.rflags |= RFLAGS_DF;
    fp.state.fill(0x55);
    ctx.rsp += 8; // `ret` popped pretcode
    let r = restore_rt_frame(&mut ctx, &mut fp, &mem, &mut stack).unwrap();
    assert_eq!(r.mask, saved.without_unblockable());
    assert_eq!(r.ret, orig.rax);
    assert!(!r.force_sigfpe);
    assert_eq!(ctx, orig);
    assert_eq!(fp.state, orig_fp, "FP state carried through the frame");
    assert_eq!(stack, SignalStack::DISABLED);
    assert!(f.frame < orig.rsp);
}

#[test]
fn handler_entry_gets_signo_info_uc_and_returns_to_sa_restorer() {
    let (mut mem, mut stack, mut fp) = (memory(), SignalStack::DISABLED, xsave_fp());
    let mut ctx = user_ctx();
    let f = deliver(
        &mut ctx,
        &mut fp,
        &mut mem,
        &mut stack,
        &sa(),
        Signo::SIGUSR2,
        SignalSet::EMPTY,
    )
    .unwrap();
    assert_eq!(ctx.rip, HANDLER as u64);
    assert_eq!(ctx.rsp, f.frame);
    assert_eq!(ctx.rdi, 12);
    assert_eq!(ctx.rsi, f.frame + 312);
    assert_eq!(ctx.rdx, f.frame + 8);
    assert_eq!((f.info, f.ucontext), (ctx.rsi, ctx.rdx));
    assert_eq!(ctx.rax, 0);
    assert_eq!(user_u64(&mem, f.frame), RESTORER as u64, "[rsp] = pretcode");
    assert_eq!(user_bytes(&mem, f.info, 128), INFO);
    assert_eq!(ctx.rflags & (RFLAGS_DF | RFLAGS_RF | RFLAGS_TF), 0);
    assert_eq!(ctx.rflags & 1, 1, "CF (and AC) are not cleared");
    assert_eq!((ctx.cs, ctx.ss), (0x33, 0x2b));
    assert_eq!(fp.resets, 1, "the handler starts with a clean FPU");
}

#[test]
fn siginfo_is_written_only_with_sa_siginfo() {
    let (mut mem, mut stack) = (memory(), SignalStack::DISABLED);
    let mut ctx = user_ctx();
    let act = action(SaFlags::RESTORER);
    let f = deliver(
        &mut ctx,
        &mut NoFp,
        &mut mem,
        &mut stack,
        &act,
        Signo::SIGUSR2,
        SignalSet::EMPTY,
    )
    .unwrap();
    assert!(user_bytes(&mem, f.info, 128).iter().all(|b| *b == 0));
    assert_eq!(ctx.rsi, f.info, "rsi is set anyway");
}

#[test]
fn frame_skips_the_red_zone_and_is_call_aligned() {
    // Without FP state.
    let (mut mem, mut stack) = (memory(), SignalStack::DISABLED);
    for sp in [
        stack_top(),
        stack_top() - 1,
        stack_top() - 7,
        stack_top() - 8,
    ] {
        let mut ctx = user_ctx();
        ctx.rsp = sp;
        let f = deliver(
            &mut ctx,
            &mut NoFp,
            &mut mem,
            &mut stack,
            &sa(),
            Signo::SIGINT,
            SignalSet::EMPTY,
        )
        .unwrap();
        assert_eq!(f.frame, ((sp - 128 - 440) & !15) - 8);
        assert_eq!(f.frame % 16, 8, "as after a call");
        assert_eq!(user_u64(&mem, f.frame + SC_FPSTATE), 0, "no FP: NULL");
    }
    // With an XSAVE area: 64-aligned, below the red zone, magic markers set.
    let mut mem = memory();
    let red = vec![0xAA; 128];
    let sp = stack_top();
    ksignal::UserMemory::write(&mut mem, (sp - 128) as usize, &red).unwrap();
    let mut ctx = user_ctx();
    let mut fp = xsave_fp();
    let f = deliver(
        &mut ctx,
        &mut fp,
        &mut mem,
        &mut stack,
        &sa(),
        Signo::SIGINT,
        SignalSet::EMPTY,
    )
    .unwrap();
    let fpa = (sp - 128 - (XSAVE_LEN as u64 + 4)) & !63;
    assert_eq!(user_u64(&mem, f.frame + SC_FPSTATE), fpa);
    assert_eq!(f.frame, ((fpa - 440) & !15) - 8);
    assert_eq!(user_bytes(&mem, sp - 128, 128), red, "red zone untouched");
    assert_eq!(user_u32(&mem, fpa + 464), FP_XSTATE_MAGIC1);
    assert_eq!(user_u32(&mem, fpa + 468), XSAVE_LEN as u32 + 4);
    assert_eq!(user_u64(&mem, fpa + 472), XFEATURES);
    assert_eq!(user_u32(&mem, fpa + 480), XSAVE_LEN as u32);
    assert_eq!(user_u32(&mem, fpa + XSAVE_LEN as u64), FP_XSTATE_MAGIC2);
    assert_eq!(user_u64(&mem, f.frame + 8), 1 | 2 | 4, "uc_flags");
}

#[test]
fn frame_carries_no_kernel_bytes_in_padding() {
    let (mut mem, mut stack) = (memory(), SignalStack::DISABLED);
    // Dirty the whole stack first.
    let dirt = vec![0xCC; REGION];
    ksignal::UserMemory::write(&mut mem, STACK_BASE, &dirt).unwrap();
    let mut fp = xsave_fp();
    fp.state[416..464].fill(0x77); // reserved bytes a CPU leaves alone
    let mut ctx = user_ctx();
    let f = deliver(
        &mut ctx,
        &mut fp,
        &mut mem,
        &mut stack,
        &sa(),
        Signo::SIGINT,
        SignalSet::EMPTY,
    )
    .unwrap();
    let fpa = user_u64(&mem, f.frame + SC_FPSTATE);
    assert!(
        user_bytes(&mem, f.frame + MC + 192, 64)
            .iter()
            .all(|b| *b == 0)
    );
    assert_eq!(user_u32(&mem, f.frame + 8 + 16 + 12), 0, "stack_t padding");
    assert_eq!(user_u32(&mem, f.frame + SC_CS + 2), 0, "gs, fs");
    assert!(user_bytes(&mem, fpa + 416, 48).iter().all(|b| *b == 0));
    assert!(user_bytes(&mem, fpa + 484, 28).iter().all(|b| *b == 0));
    assert!(user_bytes(&mem, fpa + 520, 56).iter().all(|b| *b == 0));
}

#[test]
fn no_sa_restorer_forces_sigsegv() {
    let (mut mem, mut stack) = (memory(), SignalStack::DISABLED);
    let act = action(SaFlags::SIGINFO);
    let mut ctx = user_ctx();
    let e = deliver(
        &mut ctx,
        &mut NoFp,
        &mut mem,
        &mut stack,
        &act,
        Signo::SIGUSR1,
        SignalSet::EMPTY,
    )
    .unwrap_err();
    assert_eq!(
        e,
        ForceSigsegv {
            fatal: false,
            error: FrameError::NoRestorer
        }
    );
    assert_eq!(ctx, user_ctx(), "nothing changed");
    let e = deliver(
        &mut ctx,
        &mut NoFp,
        &mut mem,
        &mut stack,
        &act,
        Signo::SIGSEGV,
        SignalSet::EMPTY,
    )
    .unwrap_err();
    assert!(e.fatal, "a failed SIGSEGV frame is fatal");
}

#[test]
fn altstack_used_only_with_sa_onstack_when_enabled_and_not_on_it() {
    let onstack = action(SaFlags::RESTORER | SaFlags::ONSTACK);
    let alt = ALT_BASE as u64..(ALT_BASE + REGION) as u64;
    let main = STACK_BASE as u64..(STACK_BASE + REGION) as u64;
    let run = |stack: SignalStack, act: &SignalAction, sp: u64| {
        let (mut mem, mut stack) = (memory(), stack);
        let mut ctx = user_ctx();
        ctx.rsp = sp;
        deliver(
            &mut ctx,
            &mut NoFp,
            &mut mem,
            &mut stack,
            act,
            Signo::SIGUSR1,
            SignalSet::EMPTY,
        )
        .unwrap()
        .frame
    };
    assert!(
        main.contains(&run(altstack(0), &sa(), stack_top())),
        "not requested"
    );
    let top = (ALT_BASE + REGION) as u64;
    assert_eq!(
        run(altstack(0), &onstack, stack_top()),
        ((top - 440) & !15) - 8
    );
    assert!(
        main.contains(&run(SignalStack::DISABLED, &onstack, stack_top())),
        "disabled"
    );
    // Already on it: the frame goes below sp, on the altstack.
    let on = (ALT_BASE + 0x2000) as u64;
    let f = run(altstack(0), &onstack, on);
    assert!(alt.contains(&f));
    assert_eq!(f, ((on - 128 - 440) & !15) - 8);
}

#[test]
fn nested_delivery_on_the_altstack() {
    let (mut mem, mut stack, mut fp) = (memory(), altstack(0), xsave_fp());
    let onstack = action(SaFlags::RESTORER | SaFlags::ONSTACK | SaFlags::SIGINFO);
    let orig = user_ctx();
    let mut ctx = orig;
    let f1 = deliver(
        &mut ctx,
        &mut fp,
        &mut mem,
        &mut stack,
        &onstack,
        Signo::SIGUSR1,
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
        Signo::SIGUSR2,
        SignalSet::single(Signo::SIGUSR1),
    )
    .unwrap();
    assert!(
        f2.frame + 128 + 440 < f1.frame,
        "nested frame below the first"
    );
    assert!(f2.frame >= ALT_BASE as u64);
    // uc_stack reports the configured stack in both frames.
    assert_eq!(user_u64(&mem, f2.frame + 8 + 16), ALT_BASE as u64);
    ctx.rsp += 8;
    let r = restore_rt_frame(&mut ctx, &mut fp, &mem, &mut stack).unwrap();
    assert_eq!(r.mask, SignalSet::single(Signo::SIGUSR1));
    assert_eq!(ctx, h1);
    ctx.rsp += 8;
    let r = restore_rt_frame(&mut ctx, &mut fp, &mem, &mut stack).unwrap();
    assert_eq!(r.mask, SignalSet::EMPTY);
    assert_eq!(ctx, orig);
    assert_eq!(stack, altstack(0));
}

#[test]
fn altstack_overflow_forces_sigsegv() {
    let onstack = action(SaFlags::RESTORER | SaFlags::ONSTACK);
    // Nested: running low on the altstack.
    let (mut mem, mut stack) = (memory(), altstack(0));
    let mut ctx = user_ctx();
    ctx.rsp = (ALT_BASE + 400) as u64;
    let before = ctx;
    let e = deliver(
        &mut ctx,
        &mut NoFp,
        &mut mem,
        &mut stack,
        &onstack,
        Signo::SIGUSR1,
        SignalSet::EMPTY,
    )
    .unwrap_err();
    assert_eq!(e.error, FrameError::AltStackOverflow);
    assert!(!e.fatal);
    assert_eq!(ctx, before);
    let e = deliver(
        &mut ctx,
        &mut NoFp,
        &mut mem,
        &mut stack,
        &onstack,
        Signo::SIGSEGV,
        SignalSet::EMPTY,
    )
    .unwrap_err();
    assert!(e.fatal);
    // Entering: a 2 KiB altstack cannot hold a big XSAVE area plus the frame.
    let mut small = SignalStack::DISABLED;
    small
        .sigaltstack(
            Some(StackT {
                ss_sp: ALT_BASE,
                ss_flags: 0,
                ss_size: 2048,
            }),
            0,
            2048,
        )
        .unwrap();
    let mut fp = xsave_fp();
    fp.state = vec![0; 2696]; // AVX-512 sized
    fp.state[24..28].copy_from_slice(&0x1F80u32.to_le_bytes());
    let mut ctx = user_ctx();
    let e = deliver(
        &mut ctx,
        &mut fp,
        &mut mem,
        &mut small,
        &onstack,
        Signo::SIGUSR1,
        SignalSet::EMPTY,
    )
    .unwrap_err();
    assert_eq!(e.error, FrameError::AltStackOverflow);
}

#[test]
fn unwritable_stack_or_wrapping_altstack_forces_sigsegv_without_panic() {
    let (mut mem, mut stack) = (memory(), SignalStack::DISABLED);
    let mut ctx = user_ctx();
    ctx.rsp = 0x1000;
    let e = deliver(
        &mut ctx,
        &mut NoFp,
        &mut mem,
        &mut stack,
        &sa(),
        Signo::SIGUSR1,
        SignalSet::EMPTY,
    )
    .unwrap_err();
    assert_eq!(e.error, FrameError::Fault);
    for sp in [0, 5, 127, 128 + 440] {
        ctx.rsp = sp;
        assert!(
            deliver(
                &mut ctx,
                &mut NoFp,
                &mut mem,
                &mut stack,
                &sa(),
                Signo::SIGUSR1,
                SignalSet::EMPTY
            )
            .is_err()
        );
    }
    // Asterinas #1392: ss_sp + ss_size wraps.
    let mut huge = SignalStack::DISABLED;
    huge.sigaltstack(
        Some(StackT {
            ss_sp: usize::MAX - 100,
            ss_flags: 0,
            ss_size: 1 << 20,
        }),
        0,
        2048,
    )
    .unwrap();
    let mut ctx = user_ctx();
    let e = deliver(
        &mut ctx,
        &mut NoFp,
        &mut mem,
        &mut huge,
        &action(SaFlags::RESTORER | SaFlags::ONSTACK),
        Signo::SIGUSR1,
        SignalSet::EMPTY,
    )
    .unwrap_err();
    assert_eq!(e.error, FrameError::Fault);
}

fn delivered() -> (UserBuffer, SignalStack, X86_64Context, HandlerFrame) {
    let (mut mem, mut stack) = (memory(), SignalStack::DISABLED);
    let mut ctx = user_ctx();
    let f = deliver(
        &mut ctx,
        &mut NoFp,
        &mut mem,
        &mut stack,
        &sa(),
        Signo::SIGUSR1,
        SignalSet::EMPTY,
    )
    .unwrap();
    ctx.rsp += 8;
    (mem, stack, ctx, f)
}

#[test]
fn sigreturn_takes_only_fix_eflags_from_the_frame() {
    // Asterinas #3781: IOPL from the frame gave user space port I/O.
    let (mut mem, mut stack, mut ctx, f) = delivered();
    put_u64(&mut mem, f.frame + SC_FLAGS, u64::MAX);
    ctx.rflags = USER_RFLAGS;
    restore_rt_frame(&mut ctx, &mut NoFp, &mem, &mut stack).unwrap();
    assert_eq!(ctx.rflags, USER_RFLAGS | FIX_EFLAGS);
    assert_eq!((ctx.rflags >> 12) & 3, 0, "IOPL stays 0");
    assert_ne!(ctx.rflags & RFLAGS_IF, 0, "IF stays set");
    assert_eq!(ctx.rflags & (1 << 14 | 1 << 17 | 1 << 21), 0, "NT, VM, ID");
}

#[test]
fn sigreturn_keeps_the_user_cs_and_ss() {
    let (mut mem, mut stack, mut ctx, f) = delivered();
    put_u32(&mut mem, f.frame + SC_CS, 0x0010); // kernel CS, gs
    put_u32(&mut mem, f.frame + SC_CS + 4, 0); // fs, ss
    restore_rt_frame(&mut ctx, &mut NoFp, &mem, &mut stack).unwrap();
    assert_eq!((ctx.cs, ctx.ss), (0x33, 0x2b));
}

#[test]
fn non_canonical_rip_is_sigsegv() {
    let (mut mem, mut stack, mut ctx, f) = delivered();
    put_u64(&mut mem, f.frame + SC_IP, 0x0000_8000_0000_0000);
    put_u64(&mut mem, f.frame + SIGMASK, 0b1010);
    let before = ctx;
    let e = restore_rt_frame(&mut ctx, &mut NoFp, &mem, &mut stack).unwrap_err();
    assert_eq!(e.error, FrameError::NonCanonicalPc);
    assert_eq!(e.mask, Some(SignalSet::from_bits(0b1010)));
    assert_eq!(ctx, before, "registers untouched");
}

#[test]
fn sigreturn_clears_the_syscall_state() {
    let (mem, mut stack, mut ctx, _) = delivered();
    ctx.in_syscall = true;
    ctx.orig_rax = 15;
    restore_rt_frame(&mut ctx, &mut NoFp, &mem, &mut stack).unwrap();
    assert!(!ctx.in_syscall, "orig_ax = -1: no restart of rt_sigreturn");
    assert_eq!(
        syscall_restart(&mut ctx, None),
        RestartOutcome::NotInSyscall
    );
}

#[test]
fn unreadable_frame_is_sigsegv() {
    let mut ctx = user_ctx();
    ctx.rsp = 0x10;
    let e =
        restore_rt_frame(&mut ctx, &mut NoFp, &memory(), &mut SignalStack::default()).unwrap_err();
    assert_eq!((e.error, e.mask), (FrameError::Fault, None));
    ctx.rsp = 0;
    assert!(restore_rt_frame(&mut ctx, &mut NoFp, &memory(), &mut SignalStack::default()).is_err());
}

fn fp_delivered() -> (UserBuffer, X86_64Context, ImageFp, u64) {
    let (mut mem, mut stack, mut fp) = (memory(), SignalStack::DISABLED, xsave_fp());
    let mut ctx = user_ctx();
    let f = deliver(
        &mut ctx,
        &mut fp,
        &mut mem,
        &mut stack,
        &sa(),
        Signo::SIGUSR1,
        SignalSet::EMPTY,
    )
    .unwrap();
    ctx.rsp += 8;
    let fpa = user_u64(&mem, f.frame + SC_FPSTATE);
    (mem, ctx, fp, fpa)
}

#[test]
fn missing_xstate_magic_restores_only_the_legacy_area() {
    let (mut mem, mut ctx, mut fp, fpa) = fp_delivered();
    let legacy = user_bytes(&mem, fpa, 416);
    put_u32(&mut mem, fpa + XSAVE_LEN as u64, 0); // magic2 gone
    restore_rt_frame(&mut ctx, &mut fp, &mem, &mut SignalStack::default()).unwrap();
    assert_eq!(&fp.state[..416], &legacy[..]);
    assert_eq!(
        u64::from_le_bytes(fp.state[512..520].try_into().unwrap()),
        0b11,
        "x87|SSE only; AVX to its init state"
    );
    assert!(fp.state[576..].iter().all(|b| *b == 0));
}

#[test]
fn sw_xfeatures_limit_what_is_restored() {
    let (mut mem, mut ctx, mut fp, fpa) = fp_delivered();
    put_u64(&mut mem, fpa + 472, 0b011); // sw_reserved.xfeatures without AVX
    restore_rt_frame(&mut ctx, &mut fp, &mem, &mut SignalStack::default()).unwrap();
    assert_eq!(
        u64::from_le_bytes(fp.state[512..520].try_into().unwrap()),
        0b011
    );
}

#[test]
fn bad_mxcsr_or_xsave_header_is_sigsegv_and_resets_the_fpu() {
    let cases: [(u64, u64); 4] = [
        (24, 0x1F80 | 0x40),    // MXCSR.DAZ outside the default mask
        (24, 0x1F80 | 1 << 16), // reserved MXCSR bit
        (520, 1),               // XCOMP_BV set
        (512, 0b111 | 1 << 9),  // PKRU not in XCR0
    ];
    for (off, v) in cases {
        let (mut mem, mut ctx, mut fp, fpa) = fp_delivered();
        if off == 24 {
            put_u32(&mut mem, fpa + off, v as u32);
        } else {
            put_u64(&mut mem, fpa + off, v);
        }
        let resets = fp.resets;
        let e = restore_rt_frame(&mut ctx, &mut fp, &mem, &mut SignalStack::default()).unwrap_err();
        assert_eq!(e.error, FrameError::BadFpState, "offset {off}");
        assert_eq!(fp.resets, resets + 1);
        assert_eq!(ctx, user_ctx(), "registers restored before the FP state");
    }
}

#[test]
fn misaligned_fpstate_is_sigsegv() {
    let (mut mem, mut ctx, mut fp, fpa) = fp_delivered();
    let frame = ctx.rsp - 8;
    put_u64(&mut mem, frame + SC_FPSTATE, fpa + 16);
    let e = restore_rt_frame(&mut ctx, &mut fp, &mem, &mut SignalStack::default()).unwrap_err();
    assert_eq!(e.error, FrameError::BadFpState);
}

#[test]
fn null_fpstate_resets_the_fpu() {
    let (mut mem, mut ctx, mut fp, _) = fp_delivered();
    put_u64(&mut mem, ctx.rsp - 8 + SC_FPSTATE, 0);
    let resets = fp.resets;
    restore_rt_frame(&mut ctx, &mut fp, &mem, &mut SignalStack::default()).unwrap();
    assert_eq!(fp.resets, resets + 1);
    assert_eq!(fp.restores, 0);
}

#[test]
fn fxsave_only_cpu_round_trips_512_bytes() {
    let mut fp = ImageFp::pattern(512, 9);
    fp.state[24..28].copy_from_slice(&0x1F80u32.to_le_bytes());
    fp.state[416..].fill(0);
    let orig_fp = fp.state.clone();
    let (mut mem, mut stack) = (memory(), SignalStack::DISABLED);
    let orig = user_ctx();
    let mut ctx = orig;
    let f = deliver(
        &mut ctx,
        &mut fp,
        &mut mem,
        &mut stack,
        &sa(),
        Signo::SIGUSR1,
        SignalSet::EMPTY,
    )
    .unwrap();
    assert_eq!(user_u64(&mem, f.frame + 8), 2 | 4, "no UC_FP_XSTATE");
    fp.state.fill(1);
    ctx.rsp += 8;
    restore_rt_frame(&mut ctx, &mut fp, &mem, &mut stack).unwrap();
    assert_eq!(fp.state, orig_fp);
    assert_eq!(ctx, orig);
}

#[test]
fn fp_hook_with_a_wrong_length_fails_setup() {
    let (mut mem, mut stack) = (memory(), SignalStack::DISABLED);
    let mut fp = ImageFp::new(vec![0; 100]);
    let e = deliver(
        &mut user_ctx(),
        &mut fp,
        &mut mem,
        &mut stack,
        &sa(),
        Signo::SIGUSR1,
        SignalSet::EMPTY,
    )
    .unwrap_err();
    assert_eq!(e.error, FrameError::FpLayout);
}

fn in_syscall(ret: Errno) -> X86_64Context {
    X86_64Context {
        in_syscall: true,
        orig_rax: 7,
        rax: neg(ret),
        rip: 0x40_1002,
        ..user_ctx()
    }
}

#[test]
fn restart_table_with_and_without_handler() {
    scenarios::restart_table_with_and_without_handler::<X86>();
    let mut ctx = in_syscall(Errno::ERESTART_RESTARTBLOCK);
    assert_eq!(
        syscall_restart(&mut ctx, None),
        RestartOutcome::RestartSyscall
    );
    assert_eq!(X86_64::NR_RESTART_SYSCALL, 219);
    let mut ctx = user_ctx();
    ctx.rax = neg(Errno::ERESTARTSYS);
    assert_eq!(
        syscall_restart(&mut ctx, None),
        RestartOutcome::NotInSyscall
    );
    assert_eq!(
        ctx,
        X86_64Context {
            rax: neg(Errno::ERESTARTSYS),
            ..user_ctx()
        }
    );
}

/// `rt_sigreturn` reads `uc_sigmask`, `uc_flags`, `uc_stack` and the sigcontext up
/// to `reserved1`: a frame mapped only there (pretcode, `uc_link`, `reserved1` and
/// the siginfo unmapped) is accepted.
#[test]
fn sigreturn_reads_only_the_fields_linux_reads() {
    let (mem, mut stack, mut ctx, f) = delivered();
    let ranges = [
        (8, 16),                // uc_flags
        (24, MC + 192),         // uc_stack, sigcontext up to reserved1
        (SIGMASK, SIGMASK + 8), // uc_sigmask
    ];
    let sparse = only_ranges(&mem, f.frame, &ranges);
    restore_rt_frame(&mut ctx, &mut NoFp, &sparse, &mut stack).unwrap();
    assert_eq!(ctx, user_ctx());
}

/// `restore_sigcontext` puts the registers in `pt_regs` (and `orig_ax` = -1) before
/// it tries the FP state: a bad FP area fails the call with the registers restored
/// and the FPU reset, so the SIGSEGV handler's frame shows the restored context.
#[test]
fn bad_fp_state_leaves_the_registers_restored() {
    let (mut mem, mut ctx, mut fp, fpa) = fp_delivered();
    put_u32(&mut mem, fpa + 24, 0x1F80 | 1 << 16); // reserved MXCSR bit
    ctx.in_syscall = true; // the rt_sigreturn call itself
    let resets = fp.resets;
    let e = restore_rt_frame(&mut ctx, &mut fp, &mem, &mut SignalStack::default()).unwrap_err();
    assert_eq!(
        (e.error, e.mask),
        (FrameError::BadFpState, Some(SignalSet::EMPTY))
    );
    assert_eq!(ctx, user_ctx());
    assert!(!ctx.in_syscall, "orig_ax = -1");
    assert_eq!(fp.resets, resets + 1);
}

#[test]
fn interrupted_result_is_what_the_frame_saves() {
    let (mut mem, mut stack) = (memory(), SignalStack::DISABLED);
    let mut ctx = in_syscall(Errno::ERESTARTNOHAND);
    let act = sa();
    assert_eq!(
        syscall_restart(&mut ctx, Some(&act)),
        RestartOutcome::Interrupted
    );
    deliver(
        &mut ctx,
        &mut NoFp,
        &mut mem,
        &mut stack,
        &act,
        Signo::SIGUSR1,
        SignalSet::EMPTY,
    )
    .unwrap();
    ctx.rsp += 8;
    let r = restore_rt_frame(&mut ctx, &mut NoFp, &mem, &mut stack).unwrap();
    assert_eq!(
        r.ret,
        neg(Errno::EINTR),
        "sigsuspend returns -EINTR after the handler"
    );
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

fn any_ctx() -> impl Strategy<Value = X86_64Context> {
    (
        any::<[u64; 15]>(),
        any::<u64>(),
        0x2000u64..0x2f00,
        any::<u64>(),
        any::<bool>(),
    )
        .prop_map(|(g, rip, sp_off, fl, on_alt)| X86_64Context {
            r15: g[0],
            r14: g[1],
            r13: g[2],
            r12: g[3],
            rbp: g[4],
            rbx: g[5],
            r11: g[6],
            r10: g[7],
            r9: g[8],
            r8: g[9],
            rax: g[10],
            rcx: g[11],
            rdx: g[12],
            rsi: g[13],
            rdi: g[14],
            rip: ((rip << 17) as i64 >> 17) as u64,
            rsp: if on_alt {
                ALT_BASE as u64
            } else {
                STACK_BASE as u64
            } + sp_off,
            rflags: USER_RFLAGS | (fl & FIX_EFLAGS),
            cs: 0x33,
            ss: 0x2b,
            in_syscall: false,
            orig_rax: 0,
        })
}

fn any_fp() -> impl Strategy<Value = ImageFp> {
    (
        prop::collection::vec(any::<u8>(), XSAVE_LEN),
        0u64..4,
        any::<u32>(),
    )
        .prop_map(|(bytes, avx, mxcsr)| {
            let mut fp = xsave_fp();
            fp.state = bytes;
            fp.state[24..28].copy_from_slice(&(mxcsr & 0xFFBF).to_le_bytes());
            fp.state[416..576].fill(0);
            fp.state[512..520].copy_from_slice(&(0b11 | (avx & 1) << 2).to_le_bytes());
            fp
        })
}

fn any_stack() -> impl Strategy<Value = SignalStack> {
    prop_oneof![any_altstack(), Just(altstack(SsFlags::ONSTACK.bits()))]
}

/// What a sigreturn result may never be, whatever the frame held.
fn assert_user_safe(before: &X86_64Context, after: &X86_64Context) -> Result<(), TestCaseError> {
    prop_assert!(is_canonical(after.rip));
    prop_assert_eq!(after.rflags & !FIX_EFLAGS, before.rflags & !FIX_EFLAGS);
    prop_assert_eq!((after.cs, after.ss), (before.cs, before.ss));
    prop_assert!(!after.in_syscall);
    Ok(())
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn any_context_survives_deliver_and_sigreturn(
        orig in any_ctx(), fp0 in any_fp(), stack0 in any_stack(),
        onstack in any::<bool>(), siginfo in any::<bool>(), saved in any::<u64>(),
        clobber in any::<[u64; 16]>(), sig in 1u32..=64,
    ) {
        let mut flags = SaFlags::empty();
        if onstack { flags |= SaFlags::ONSTACK; }
        if siginfo { flags |= SaFlags::SIGINFO; }
        let want = fp0.state.clone();
        scenarios::round_trip::<X86>(orig, fp0, stack0, flags, sig, saved, |ctx, fp| {
            // The handler runs and clobbers registers and FP state.
            ctx.rax = clobber[0]; ctx.rbx = clobber[1]; ctx.rcx = clobber[2]; ctx.rdx = clobber[3];
            ctx.rsi = clobber[4]; ctx.rdi = clobber[5]; ctx.rbp = clobber[6]; ctx.r8 = clobber[7];
            ctx.r15 = clobber[8]; ctx.rflags ^= clobber[9] & FIX_EFLAGS;
            fp.state.fill(clobber[10] as u8);
        }, &want)?;
    }

    #[test]
    fn forged_frame_never_panics_or_yields_a_privileged_context(
        bytes in prop::collection::vec(any::<u8>(), 440),
        fp_bytes in prop::collection::vec(any::<u8>(), XSAVE_LEN + 4),
        point_fp in any::<bool>(), fp_align in 0u64..4, magic in any::<bool>(),
        rflags in any::<u64>(), fix_rip in any::<Option<u64>>(),
    ) {
        let mut mem = memory();
        let frame = stack_top() - 0x800;
        let fpa = ((frame + 0x200) & !63) | (fp_align * 16);
        ksignal::UserMemory::write(&mut mem, frame as usize, &bytes).unwrap();
        ksignal::UserMemory::write(&mut mem, fpa as usize, &fp_bytes).unwrap();
        if point_fp { put_u64(&mut mem, frame + SC_FPSTATE, fpa); }
        if let Some(rip) = fix_rip { put_u64(&mut mem, frame + SC_IP, rip & 0x7fff_ffff_ffff); }
        if magic {
            put_u32(&mut mem, fpa + 464, FP_XSTATE_MAGIC1);
            put_u32(&mut mem, fpa + XSAVE_LEN as u64, FP_XSTATE_MAGIC2);
        }
        let mut ctx = user_ctx();
        ctx.rsp = frame + 8;
        ctx.rflags = USER_RFLAGS | (rflags & FIX_EFLAGS);
        let before = ctx;
        let mut fp = xsave_fp();
        let mut stack = altstack(0);
        match restore_rt_frame(&mut ctx, &mut fp, &mem, &mut stack) {
            Ok(r) => {
                assert_user_safe(&before, &ctx)?;
                prop_assert!(!r.mask.contains(Signo::SIGKILL) && !r.mask.contains(Signo::SIGSTOP));
            }
            // What Linux had restored stays, and is as safe as a success.
            Err(_) => assert_user_safe(&before, &ctx)?,
        }
    }

    #[test]
    fn mutated_frame_never_panics_or_yields_a_privileged_context(
        orig in any_ctx(), fp0 in any_fp(),
        muts in prop::collection::vec((0usize..1400, any::<u64>()), 1..6),
    ) {
        let (mut mem, mut stack, mut fp) = (memory(), SignalStack::DISABLED, fp0);
        let mut ctx = orig;
        let f = deliver(&mut ctx, &mut fp, &mut mem, &mut stack, &sa(), Signo::SIGUSR1, SignalSet::EMPTY)
            .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        for (off, v) in muts {
            let _ = ksignal::UserMemory::write(&mut mem, f.frame as usize + off, &v.to_le_bytes()[..(v as usize % 8) + 1]);
        }
        ctx.rsp += 8;
        let before = ctx;
        match restore_rt_frame(&mut ctx, &mut fp, &mem, &mut stack) {
            Ok(_) => assert_user_safe(&before, &ctx)?,
            // What Linux had restored stays, and is as safe as a success.
            Err(_) => assert_user_safe(&before, &ctx)?,
        }
    }
}
