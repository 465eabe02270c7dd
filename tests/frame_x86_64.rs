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
use ksignal::frame::*;
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

scenarios::shared_frame_tests!(X86);

impl FrameTestArch for X86 {
    type Ctx = X86_64Context;
    const UC: u64 = 8;
    const SIGMASK: u64 = SIGMASK;
    const RED_ZONE: u64 = 128;
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
    fn set_sp(ctx: &mut X86_64Context, sp: u64) {
        ctx.rsp = sp;
    }
    /// A valid XSAVE image (x87, SSE, AVX).
    fn fp() -> ImageFp {
        let mut fp = ImageFp::pattern(XSAVE_LEN, 0x3C);
        fp.xfeatures = XFEATURES;
        fp.check = check_xsave;
        fp.state[24..28].copy_from_slice(&0x1F80u32.to_le_bytes());
        fp.state[416..576].fill(0);
        fp.state[512..520].copy_from_slice(&XFEATURES.to_le_bytes());
        fp
    }
    fn action(flags: SaFlags) -> SignalAction {
        action(flags | SaFlags::RESTORER)
    }
    fn handler_returns(ctx: &mut X86_64Context) {
        ctx.rsp += 8;
    }
    /// Below the red zone: the 64-aligned XSAVE area (plus `FP_XSTATE_MAGIC2`), then
    /// the frame, aligned as after a call.
    fn frame_for(sp: u64) -> u64 {
        let fpa = (sp - Self::RED_ZONE - (XSAVE_LEN as u64 + 4)) & !63;
        ((fpa - 440) & !15) - 8
    }
}

impl RestartArch for X86 {
    /// `syscall_get_error` of a 64-bit task compares all 64 bits of rax: a value whose
    /// low 32 bits alone are a restart code is an ordinary result.
    const RESTART_CODE_IS_INT: bool = false;
    const KEEPS_SYSCALL: bool = true;
    const SYSCALL_END: u64 = 0x40_1002;
    const INSN_LEN: u64 = 2;
    /// rax carries both the result and, on a restart, the system-call number.
    const AGAIN: (u64, u64) = (7, 7);
    const AGAIN_VIA_RESTART_SYSCALL: (u64, u64) = (X86_64::NR_RESTART_SYSCALL, 7);
    fn in_syscall(ret: u64) -> X86_64Context {
        X86_64Context {
            in_syscall: true,
            orig_rax: 7,
            rax: ret,
            rip: Self::SYSCALL_END,
            ..X86::user_ctx()
        }
    }
    fn syscall_regs(ctx: &X86_64Context) -> (u64, u64, u64) {
        (ctx.rax, ctx.rip, ctx.orig_rax)
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

fn sa() -> SignalAction {
    action(SaFlags::RESTORER | SaFlags::SIGINFO)
}

#[test]
fn deliver_then_sigreturn_restores_the_exact_context() {
    let clobber = |ctx: &mut X86_64Context, fp: &mut ImageFp| {
        (ctx.rax, ctx.rbx, ctx.r15) = (1, 2, 3);
        ctx.rflags |= RFLAGS_DF;
        fp.state.fill(0x55);
    };
    let r = scenarios::deliver_then_sigreturn::<X86>(SaFlags::SIGINFO, 0x1234_5678, clobber);
    assert_eq!(r.ret, X86::user_ctx().rax);
    assert!(!r.force_sigfpe);
}

#[test]
fn handler_entry_gets_signo_info_uc_and_returns_to_sa_restorer() {
    let mut t = T::new();
    let f = t
        .deliver_signal(Signo::SIGUSR2, &sa(), SignalSet::EMPTY)
        .unwrap();
    let (ctx, mem) = (t.ctx, &t.mem);
    assert_eq!(ctx.rip, HANDLER as u64);
    assert_eq!(ctx.rsp, f.frame);
    assert_eq!(ctx.rdi, 12);
    assert_eq!(ctx.rsi, f.frame + 312);
    assert_eq!(ctx.rdx, f.frame + 8);
    assert_eq!((f.info, f.ucontext), (ctx.rsi, ctx.rdx));
    assert_eq!(ctx.rax, 0);
    assert_eq!(user_u64(mem, f.frame), RESTORER as u64, "[rsp] = pretcode");
    assert_eq!(user_bytes(mem, f.info, 128), INFO);
    assert_eq!(ctx.rflags & (RFLAGS_DF | RFLAGS_RF | RFLAGS_TF), 0);
    assert_eq!(ctx.rflags & 1, 1, "CF (and AC) are not cleared");
    assert_eq!((ctx.cs, ctx.ss), (0x33, 0x2b));
    assert_eq!(t.fp.resets, 1, "the handler starts with a clean FPU");
}

#[test]
fn siginfo_is_written_only_with_sa_siginfo() {
    let mut t = T::new().without_fp();
    let f = t.deliver(&action(SaFlags::RESTORER)).unwrap();
    assert!(user_bytes(&t.mem, f.info, 128).iter().all(|b| *b == 0));
    assert_eq!(t.ctx.rsi, f.info, "rsi is set anyway");
}

#[test]
fn frame_skips_the_red_zone_and_is_call_aligned() {
    // Without FP state.
    for sp in [
        stack_top(),
        stack_top() - 1,
        stack_top() - 7,
        stack_top() - 8,
    ] {
        let mut t = T::new().without_fp().at_sp(sp);
        let f = t.deliver(&sa()).unwrap();
        assert_eq!(f.frame, ((sp - 128 - 440) & !15) - 8);
        assert_eq!(f.frame % 16, 8, "as after a call");
        assert_eq!(user_u64(&t.mem, f.frame + SC_FPSTATE), 0, "no FP: NULL");
    }
    // With an XSAVE area: 64-aligned, below the red zone, magic markers set.
    let mut t = T::new();
    let red = vec![0xAA; 128];
    let sp = stack_top();
    ksignal::UserMemory::write(&mut t.mem, (sp - 128) as usize, &red).unwrap();
    let f = t.deliver(&sa()).unwrap();
    let mem = &t.mem;
    let fpa = (sp - 128 - (XSAVE_LEN as u64 + 4)) & !63;
    assert_eq!(user_u64(mem, f.frame + SC_FPSTATE), fpa);
    assert_eq!(f.frame, X86::frame_for(sp));
    assert_eq!(user_bytes(mem, sp - 128, 128), red, "red zone untouched");
    assert_eq!(user_u32(mem, fpa + 464), FP_XSTATE_MAGIC1);
    assert_eq!(user_u32(mem, fpa + 468), XSAVE_LEN as u32 + 4);
    assert_eq!(user_u64(mem, fpa + 472), XFEATURES);
    assert_eq!(user_u32(mem, fpa + 480), XSAVE_LEN as u32);
    assert_eq!(user_u32(mem, fpa + XSAVE_LEN as u64), FP_XSTATE_MAGIC2);
    assert_eq!(user_u64(mem, f.frame + 8), 1 | 2 | 4, "uc_flags");
}

#[test]
fn frame_carries_no_kernel_bytes_in_padding() {
    let mut t = T::new();
    // Dirty the whole stack first.
    let dirt = vec![0xCC; REGION];
    ksignal::UserMemory::write(&mut t.mem, STACK_BASE, &dirt).unwrap();
    t.fp.state[416..464].fill(0x77); // reserved bytes a CPU leaves alone
    let f = t.deliver(&sa()).unwrap();
    let mem = &t.mem;
    let fpa = user_u64(mem, f.frame + SC_FPSTATE);
    let zero = |addr: u64, len: usize| user_bytes(mem, addr, len).iter().all(|b| *b == 0);
    assert!(zero(f.frame + MC + 192, 64));
    assert_eq!(user_u32(mem, f.frame + 8 + 16 + 12), 0, "stack_t padding");
    assert_eq!(user_u32(mem, f.frame + SC_CS + 2), 0, "gs, fs");
    assert!(zero(fpa + 416, 48));
    assert!(zero(fpa + 484, 28));
    assert!(zero(fpa + 520, 56));
}

#[test]
fn no_sa_restorer_forces_sigsegv() {
    let mut t = T::new().without_fp();
    let act = action(SaFlags::SIGINFO);
    let e = t.deliver(&act).unwrap_err();
    let no_restorer = ForceSigsegv {
        fatal: false,
        error: FrameError::NoRestorer,
    };
    assert_eq!(e, no_restorer);
    assert_eq!(t.ctx, X86::user_ctx(), "nothing changed");
    let e = t
        .deliver_signal(Signo::SIGSEGV, &act, SignalSet::EMPTY)
        .unwrap_err();
    assert!(e.fatal, "a failed SIGSEGV frame is fatal");
}

/// A 2 KiB altstack cannot hold a big XSAVE area plus the frame ([rule 52]).
///
/// [rule 52]: ksignal::docs::rules#rule-52
#[test]
fn altstack_too_small_for_the_xsave_area_forces_sigsegv() {
    let mut small = SignalStack::DISABLED;
    let ss = StackT {
        ss_sp: ALT_BASE,
        ss_flags: 0,
        ss_size: 2048,
    };
    small.sigaltstack(Some(ss), 0, 2048).unwrap();
    let mut t = T::on(small);
    t.fp.state = vec![0; 2696]; // AVX-512 sized
    t.fp.state[24..28].copy_from_slice(&0x1F80u32.to_le_bytes());
    let e = t.deliver(&X86::action(SaFlags::ONSTACK)).unwrap_err();
    assert_eq!(e.error, FrameError::AltStackOverflow);
}

#[test]
fn unwritable_stack_or_wrapping_altstack_forces_sigsegv_without_panic() {
    let mut t = T::new().without_fp().at_sp(0x1000);
    let e = t.deliver(&sa()).unwrap_err();
    assert_eq!(e.error, FrameError::Fault);
    for sp in [0, 5, 127, 128 + 440] {
        t.ctx.rsp = sp;
        assert!(t.deliver(&sa()).is_err());
    }
    // Asterinas #1392: ss_sp + ss_size wraps.
    let mut huge = SignalStack::DISABLED;
    let ss = StackT {
        ss_sp: usize::MAX - 100,
        ss_flags: 0,
        ss_size: 1 << 20,
    };
    huge.sigaltstack(Some(ss), 0, 2048).unwrap();
    let mut t = T::on(huge).without_fp();
    let e = t.deliver(&X86::action(SaFlags::ONSTACK)).unwrap_err();
    assert_eq!(e.error, FrameError::Fault);
}

/// Delivered without FP state, the handler returned.
fn delivered() -> (T, u64) {
    T::new().without_fp().delivered(&sa())
}

#[test]
fn sigreturn_takes_only_fix_eflags_from_the_frame() {
    // Asterinas #3781: IOPL from the frame gave user space port I/O.
    let (mut t, frame) = delivered();
    put_u64(&mut t.mem, frame + SC_FLAGS, u64::MAX);
    t.ctx.rflags = USER_RFLAGS;
    t.sigreturn().unwrap();
    let rflags = t.ctx.rflags;
    assert_eq!(rflags, USER_RFLAGS | FIX_EFLAGS);
    assert_eq!((rflags >> 12) & 3, 0, "IOPL stays 0");
    assert_ne!(rflags & RFLAGS_IF, 0, "IF stays set");
    assert_eq!(rflags & (1 << 14 | 1 << 17 | 1 << 21), 0, "NT, VM, ID");
}

#[test]
fn sigreturn_keeps_the_user_cs_and_ss() {
    let (mut t, frame) = delivered();
    put_u32(&mut t.mem, frame + SC_CS, 0x0010); // kernel CS, gs
    put_u32(&mut t.mem, frame + SC_CS + 4, 0); // fs, ss
    t.sigreturn().unwrap();
    assert_eq!((t.ctx.cs, t.ctx.ss), (0x33, 0x2b));
}

#[test]
fn non_canonical_rip_is_sigsegv() {
    let (mut t, frame) = delivered();
    put_u64(&mut t.mem, frame + SC_IP, 0x0000_8000_0000_0000);
    put_u64(&mut t.mem, frame + SIGMASK, 0b1010);
    let before = t.ctx;
    let e = t.sigreturn().unwrap_err();
    assert_eq!(e.error, FrameError::NonCanonicalPc);
    assert_eq!(e.mask, Some(SignalSet::from_bits(0b1010)));
    assert_eq!(t.ctx, before, "registers untouched");
}

#[test]
fn sigreturn_clears_the_syscall_state() {
    let (mut t, _) = delivered();
    t.ctx.in_syscall = true;
    t.ctx.orig_rax = 15;
    t.sigreturn().unwrap();
    assert!(
        !t.ctx.in_syscall,
        "orig_ax = -1: no restart of rt_sigreturn"
    );
    let outcome = syscall_restart(&mut t.ctx, None);
    assert_eq!(outcome, RestartOutcome::NotInSyscall);
}

/// Delivered with the XSAVE area, the handler returned; the area's address.
fn fp_delivered() -> (T, u64) {
    let (t, frame) = T::new().delivered(&sa());
    let fpa = user_u64(&t.mem, frame + SC_FPSTATE);
    (t, fpa)
}

#[test]
fn missing_xstate_magic_restores_only_the_legacy_area() {
    let (mut t, fpa) = fp_delivered();
    let legacy = user_bytes(&t.mem, fpa, 416);
    put_u32(&mut t.mem, fpa + XSAVE_LEN as u64, 0); // magic2 gone
    t.sigreturn().unwrap();
    assert_eq!(&t.fp.state[..416], &legacy[..]);
    let xstate_bv = u64::from_le_bytes(t.fp.state[512..520].try_into().unwrap());
    assert_eq!(xstate_bv, 0b11, "x87|SSE only; AVX to its init state");
    assert!(t.fp.state[576..].iter().all(|b| *b == 0));
}

#[test]
fn sw_xfeatures_limit_what_is_restored() {
    let (mut t, fpa) = fp_delivered();
    put_u64(&mut t.mem, fpa + 472, 0b011); // sw_reserved.xfeatures without AVX
    t.sigreturn().unwrap();
    let xstate_bv = u64::from_le_bytes(t.fp.state[512..520].try_into().unwrap());
    assert_eq!(xstate_bv, 0b011);
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
        let (mut t, fpa) = fp_delivered();
        if off == 24 {
            put_u32(&mut t.mem, fpa + off, v as u32);
        } else {
            put_u64(&mut t.mem, fpa + off, v);
        }
        let resets = t.fp.resets;
        let e = t.sigreturn().unwrap_err();
        assert_eq!(e.error, FrameError::BadFpState, "offset {off}");
        assert_eq!(t.fp.resets, resets + 1);
        assert_eq!(
            t.ctx,
            X86::user_ctx(),
            "registers restored before the FP state"
        );
    }
}

#[test]
fn misaligned_fpstate_is_sigsegv() {
    let (mut t, fpa) = fp_delivered();
    let frame = t.ctx.rsp - 8;
    put_u64(&mut t.mem, frame + SC_FPSTATE, fpa + 16);
    let e = t.sigreturn().unwrap_err();
    assert_eq!(e.error, FrameError::BadFpState);
}

#[test]
fn null_fpstate_resets_the_fpu() {
    let (mut t, _) = fp_delivered();
    put_u64(&mut t.mem, t.ctx.rsp - 8 + SC_FPSTATE, 0);
    t.sigreturn_resets_the_fp_state();
}

#[test]
fn fxsave_only_cpu_round_trips_512_bytes() {
    let mut t = T::new();
    t.fp = ImageFp::pattern(512, 9);
    t.fp.state[24..28].copy_from_slice(&0x1F80u32.to_le_bytes());
    t.fp.state[416..].fill(0);
    let orig_fp = t.fp.state.clone();
    let f = t.deliver(&sa()).unwrap();
    assert_eq!(user_u64(&t.mem, f.frame + 8), 2 | 4, "no UC_FP_XSTATE");
    t.fp.state.fill(1);
    t.return_from_handler().unwrap();
    assert_eq!(t.fp.state, orig_fp);
    assert_eq!(t.ctx, X86::user_ctx());
}

#[test]
fn fp_hook_with_a_wrong_length_fails_setup() {
    let mut t = T::new();
    t.fp = ImageFp::new(vec![0; 100]);
    let e = t.deliver(&sa()).unwrap_err();
    assert_eq!(e.error, FrameError::FpLayout);
}

#[test]
fn restart_table_with_and_without_handler() {
    scenarios::restart_table_with_and_without_handler::<X86>();
    let mut ctx = X86::in_syscall(neg(Errno::ERESTART_RESTARTBLOCK));
    let outcome = syscall_restart(&mut ctx, None);
    assert_eq!(outcome, RestartOutcome::RestartSyscall);
    assert_eq!(X86_64::NR_RESTART_SYSCALL, 219);
    let mut ctx = X86::user_ctx();
    ctx.rax = neg(Errno::ERESTARTSYS);
    let before = ctx;
    let outcome = syscall_restart(&mut ctx, None);
    assert_eq!(outcome, RestartOutcome::NotInSyscall);
    assert_eq!(ctx, before);
}

/// `rt_sigreturn` reads `uc_sigmask`, `uc_flags`, `uc_stack` and the sigcontext up
/// to `reserved1`: a frame mapped only there (pretcode, `uc_link`, `reserved1` and
/// the siginfo unmapped) is accepted.
#[test]
fn sigreturn_reads_only_the_fields_linux_reads() {
    let ranges = [
        (8, 16),                // uc_flags
        (24, MC + 192),         // uc_stack, sigcontext up to reserved1
        (SIGMASK, SIGMASK + 8), // uc_sigmask
    ];
    scenarios::sigreturn_reads_only(T::new().without_fp(), &sa(), &ranges);
}

/// `restore_sigcontext` puts the registers in `pt_regs` (and `orig_ax` = -1) before
/// it tries the FP state: a bad FP area fails the call with the registers restored
/// and the FPU reset, so the SIGSEGV handler's frame shows the restored context.
#[test]
fn bad_fp_state_leaves_the_registers_restored() {
    let (mut t, fpa) = fp_delivered();
    put_u32(&mut t.mem, fpa + 24, 0x1F80 | 1 << 16); // reserved MXCSR bit
    t.ctx.in_syscall = true; // the rt_sigreturn call itself
    let resets = t.fp.resets;
    let e = t.sigreturn().unwrap_err();
    let empty = Some(SignalSet::EMPTY);
    assert_eq!((e.error, e.mask), (FrameError::BadFpState, empty));
    assert_eq!(t.ctx, X86::user_ctx());
    assert!(!t.ctx.in_syscall, "orig_ax = -1");
    assert_eq!(t.fp.resets, resets + 1);
}

#[test]
fn interrupted_result_is_what_the_frame_saves() {
    let mut t = T::new().without_fp();
    t.ctx = X86::in_syscall(neg(Errno::ERESTARTNOHAND));
    let act = sa();
    let outcome = syscall_restart(&mut t.ctx, Some(&act));
    assert_eq!(outcome, RestartOutcome::Interrupted);
    t.deliver(&act).unwrap();
    let r = t.return_from_handler().unwrap();
    let eintr = neg(Errno::EINTR);
    assert_eq!(r.ret, eintr, "sigsuspend returns -EINTR after the handler");
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

fn any_ctx() -> impl Strategy<Value = X86_64Context> {
    scenarios::any_regs(any::<[u64; 15]>()).prop_map(|(g, rip, rsp, fl)| X86_64Context {
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
        rsp,
        rflags: USER_RFLAGS | (fl & FIX_EFLAGS),
        cs: 0x33,
        ss: 0x2b,
        in_syscall: false,
        orig_rax: 0,
    })
}

fn any_fp() -> impl Strategy<Value = ImageFp> {
    (scenarios::any_image(XSAVE_LEN, 0), 0u64..4, any::<u32>()).prop_map(|(bytes, avx, mxcsr)| {
        let mut fp = X86::fp();
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

impl scenarios::RoundTripArch for X86 {
    fn any_ctx() -> BoxedStrategy<X86_64Context> {
        any_ctx().boxed()
    }
    fn any_fp() -> BoxedStrategy<ImageFp> {
        any_fp().boxed()
    }
    /// Also running on the alternate stack.
    fn any_stack() -> BoxedStrategy<SignalStack> {
        any_stack().boxed()
    }
    /// General registers, the flags user space may change, the FP state.
    fn clobber(ctx: &mut X86_64Context, fp: &mut ImageFp, w: &[u64; 32]) {
        (ctx.rax, ctx.rbx, ctx.rcx, ctx.rdx) = (w[0], w[1], w[2], w[3]);
        (ctx.rsi, ctx.rdi, ctx.rbp, ctx.r8, ctx.r15) = (w[4], w[5], w[6], w[7], w[8]);
        ctx.rflags ^= w[9] & FIX_EFLAGS;
        fp.state.fill(w[10] as u8);
    }
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
        let mut ctx = X86::user_ctx();
        ctx.rsp = frame + 8;
        ctx.rflags = USER_RFLAGS | (rflags & FIX_EFLAGS);
        let before = ctx;
        match restore_rt_frame(&mut ctx, &mut X86::fp(), &mem, &mut altstack(0)) {
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
        let mut t = T::new();
        (t.ctx, t.fp) = (orig, fp0);
        let f = t.deliver(&sa()).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        for (off, v) in muts {
            let _ = ksignal::UserMemory::write(&mut t.mem, f.frame as usize + off, &v.to_le_bytes()[..(v as usize % 8) + 1]);
        }
        X86::handler_returns(&mut t.ctx);
        let before = t.ctx;
        // Success or not, the context is as safe as a success: what Linux had
        // restored before a failing step stays.
        let _ = t.sigreturn();
        assert_user_safe(&before, &t.ctx)?;
    }
}
