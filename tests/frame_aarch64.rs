//! aarch64 frames: placement, handler entry, records, pstate validation, restart.
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
use ksignal::frame::aarch64::{
    Aarch64Context, ESR_MAGIC, EXTRA_MAGIC, FP_IMAGE_LEN, FPSIMD_MAGIC, FRAME_SIZE, PSTATE_DAIF,
    PSTATE_MODE_MASK, PSTATE_MODE32, PSTATE_RES0, PSTATE_SS, PSTATE_TCO, valid_user_pstate,
};
use ksignal::frame::*;
use ksignal::*;
use proptest::prelude::*;

const UC: u64 = 128;
const SIGMASK: u64 = UC + 40;
const MC: u64 = 304;
const PSTATE: u64 = MC + 272;
const RES: u64 = 592;
const NZCV: u64 = 0xF << 28;

scenarios::shared_frame_tests!(A64);

impl FrameTestArch for A64 {
    type Ctx = Aarch64Context;
    /// The bad-frame path is `arm64_notify_segfault(regs->sp)`: a fault at the sp
    /// the frame restored.
    const BAD_FRAME_FAULTS_AT_SP: bool = true;
    /// arm64 has no explicit overflow check: the frame runs off the altstack into
    /// unmapped memory and the write faults.
    const ALTSTACK_OVERFLOW: FrameError = FrameError::Fault;
    fn user_ctx() -> Aarch64Context {
        Aarch64Context {
            x: core::array::from_fn(|i| 0x1000 + i as u64),
            sp: stack_top(),
            pc: 0x40_0500,
            pstate: 0x6000_0000 | PSTATE_TCO,
            in_syscall: false,
            orig_x0: 0,
        }
    }
    fn set_sp(ctx: &mut Aarch64Context, sp: u64) {
        ctx.sp = sp;
    }
    fn fp() -> ImageFp {
        ImageFp::pattern(FP_IMAGE_LEN, 0x11)
    }
    /// The frame record (x29, x30) lies above the frame.
    fn frame_for(sp: u64) -> u64 {
        ((sp - 16) & !15) - FRAME_SIZE as u64
    }
}

fn sa() -> SignalAction {
    action(SaFlags::SIGINFO)
}

#[test]
fn deliver_then_sigreturn_restores_the_exact_context() {
    let clobber = |ctx: &mut Aarch64Context, fp: &mut ImageFp| {
        ctx.x = [7; 31];
        ctx.pstate = 0;
        fp.state.fill(0x99);
    };
    let r = scenarios::deliver_then_sigreturn::<A64>(SaFlags::SIGINFO, 0xF0F0, clobber);
    assert_eq!(r.ret, A64::user_ctx().x[0]);
}

#[test]
fn handler_entry_registers_and_frame_record() {
    let mut t = T::new();
    let orig = t.ctx;
    let f = t.deliver(&sa()).unwrap();
    let (ctx, mem) = (t.ctx, &t.mem);
    let record = (orig.sp - 16) & !15;
    assert_eq!(f.frame, record - FRAME_SIZE as u64);
    assert_eq!(f.frame % 16, 0);
    assert_eq!(ctx.sp, f.frame);
    assert_eq!(ctx.pc, HANDLER as u64);
    assert_eq!(ctx.x[0], 10);
    assert_eq!((ctx.x[1], ctx.x[2]), (f.frame, f.frame + UC));
    assert_eq!(ctx.x[29], record);
    assert_eq!(ctx.x[30], TRAMPOLINE, "vDSO sigtramp without SA_RESTORER");
    assert_eq!(user_u64(mem, record), orig.x[29]);
    assert_eq!(user_u64(mem, record + 8), orig.x[30]);
    assert_eq!(ctx.pstate, orig.pstate & !PSTATE_TCO, "TCO cleared");
    assert_eq!(user_bytes(mem, f.info, 128), INFO);
    assert_eq!(t.fp.resets, 0, "FPSIMD is inherited by the handler");

    let mut t = T::new().without_fp();
    let f = t.deliver(&action(SaFlags::RESTORER)).unwrap();
    let (ctx, mem) = (t.ctx, &t.mem);
    assert_eq!(ctx.x[30], RESTORER as u64);
    assert_eq!(
        (ctx.x[1], ctx.x[2]),
        (orig.x[1], orig.x[2]),
        "x1/x2 only with SA_SIGINFO"
    );
    assert!(user_bytes(mem, f.info, 128).iter().all(|b| *b == 0));
}

#[test]
fn records_are_fpsimd_esr_and_terminator() {
    let mut t = T::new();
    let act = sa();
    let mut d = delivery(Signo::SIGSEGV, &act, SignalSet::EMPTY);
    d.fault = FaultInfo {
        address: 0xdead_beef,
        code: 0x9200_0046,
        trapno: 0,
    };
    let f = t.deliver_request(&d).unwrap();
    let (mem, r) = (&t.mem, f.frame + RES);
    assert_eq!(user_u64(mem, f.frame + MC), 0xdead_beef, "fault_address");
    assert_eq!(
        (user_u32(mem, r), user_u32(mem, r + 4)),
        (FPSIMD_MAGIC, 528)
    );
    assert_eq!(user_bytes(mem, r + 8, FP_IMAGE_LEN), t.fp.state);
    assert_eq!(
        (user_u32(mem, r + 528), user_u32(mem, r + 532)),
        (ESR_MAGIC, 16)
    );
    assert_eq!(user_u64(mem, r + 536), 0x9200_0046);
    assert_eq!(user_u64(mem, r + 544), 0, "terminator");
    // No fault code: no esr record; no FPSIMD: no fpsimd record.
    let mut t = T::new().without_fp();
    let f = t.deliver(&act).unwrap();
    assert_eq!(user_u64(&t.mem, f.frame + RES), 0);
}

fn delivered() -> (T, u64) {
    T::new().delivered(&sa())
}

#[test]
fn misaligned_sp_at_sigreturn_is_sigsegv() {
    let (mut t, _) = delivered();
    t.ctx.sp += 8;
    let e = t.sigreturn().unwrap_err();
    assert_eq!((e.error, e.mask), (FrameError::Misaligned, None));
}

#[test]
fn privileged_or_masked_pstate_is_sigsegv() {
    for bad in [0x5, 0x4, 0x1, PSTATE_MODE32, 1 << 6, 1 << 7, 1 << 8, 1 << 9] {
        let (mut t, frame) = delivered();
        put_u64(&mut t.mem, frame + PSTATE, bad | NZCV);
        let e = t.sigreturn().unwrap_err();
        assert_eq!(e.error, FrameError::BadRegisters, "pstate {bad:#x}");
        assert_eq!(e.mask, Some(SignalSet::EMPTY));
        // valid_user_regs has already put the registers in pt_regs, pstate cut down
        // to a valid EL0t one with only its NZCV flags.
        let want = Aarch64Context {
            pstate: NZCV,
            ..A64::user_ctx()
        };
        assert_eq!(t.ctx, want, "pstate {bad:#x}");
    }
}

#[test]
fn pstate_res0_bits_and_single_step_are_cleared() {
    let (mut t, frame) = delivered();
    put_u64(&mut t.mem, frame + PSTATE, PSTATE_RES0 | PSTATE_SS | NZCV);
    t.sigreturn().unwrap();
    assert_eq!(t.ctx.pstate, NZCV);
}

fn put_record(mem: &mut UserBuffer, at: u64, magic: u32, size: u32) {
    put_u32(mem, at, magic);
    put_u32(mem, at + 4, size);
}

#[test]
fn malformed_records_are_sigsegv() {
    type Corrupt = fn(&mut UserBuffer, u64);
    let cases: [(&str, Corrupt); 8] = [
        ("no fpsimd", |m, r| put_record(m, r, 0, 0)),
        ("fpsimd size", |m, r| put_record(m, r, FPSIMD_MAGIC, 544)),
        ("duplicate fpsimd", |m, r| {
            put_record(m, r + 528, FPSIMD_MAGIC, 528)
        }),
        ("SVE absent", |m, r| put_record(m, r + 528, 0x5356_4501, 16)),
        ("unknown magic", |m, r| {
            put_record(m, r + 528, 0x1234_5678, 16)
        }),
        ("terminator size", |m, r| put_record(m, r + 528, 0, 16)),
        ("misaligned next", |m, r| {
            put_record(m, r + 528, ESR_MAGIC, 24)
        }),
        ("overruns __reserved", |m, r| {
            put_record(m, r + 528, ESR_MAGIC, 4096)
        }),
    ];
    for (what, corrupt) in cases {
        let (mut t, frame) = delivered();
        corrupt(&mut t.mem, frame + RES);
        let e = t.sigreturn().unwrap_err();
        assert_eq!(e.error, FrameError::BadRecord, "{what}");
    }
}

#[test]
fn esr_records_are_ignored_on_sigreturn() {
    let (mut t, frame) = delivered();
    put_record(&mut t.mem, frame + RES + 528, ESR_MAGIC, 16);
    put_u64(&mut t.mem, frame + RES + 536, 42);
    put_u64(&mut t.mem, frame + RES + 544, 0);
    assert!(t.sigreturn().is_ok());
}

/// Moves the fpsimd record into an extra_context area right after __reserved's
/// terminator, as Linux lays out overflowing records.
fn with_extra_context(datap_delta: u64, size: u32) -> T {
    let (mut t, frame) = delivered();
    let (mem, r) = (&mut t.mem, frame + RES);
    let fpsimd = user_bytes(mem, r, 528);
    put_record(mem, r, EXTRA_MAGIC, 32);
    let datap = r + 32 + 16;
    put_u64(mem, r + 8, datap + datap_delta);
    put_u32(mem, r + 16, size);
    put_u64(mem, r + 32, 0); // terminator in __reserved
    ksignal::UserMemory::write(mem, datap as usize, &fpsimd).unwrap();
    put_u64(mem, datap + 528, 0);
    t
}

#[test]
fn extra_context_is_followed_as_linux_does() {
    let mut t = with_extra_context(0, 528 + 16);
    let want = t.fp.state.clone();
    t.fp.state.fill(0);
    t.sigreturn().unwrap();
    assert_eq!(t.fp.state, want);
    for (delta, size, what) in [
        (16, 544, "datap not right after"),
        (0, 8, "size not 16-aligned"),
        (0, 1 << 20, "too large"),
    ] {
        let mut t = with_extra_context(delta, size);
        let e = t.sigreturn().unwrap_err();
        assert_eq!(e.error, FrameError::BadRecord, "{what}");
    }
}

#[test]
fn without_fpsimd_support_no_record_is_written_and_one_is_rejected() {
    let (mut t, frame) = T::new().without_fp().delivered(&sa());
    assert_eq!(user_u64(&t.mem, frame + RES), 0, "only the terminator");
    let handler = t.ctx;
    assert!(t.sigreturn().is_ok());
    t.ctx = handler;
    put_record(&mut t.mem, frame + RES, FPSIMD_MAGIC, 528);
    let e = t.sigreturn().unwrap_err();
    assert_eq!(e.error, FrameError::BadRecord);
}

/// `rt_sigreturn`'s bad-frame path is `arm64_notify_segfault(regs->sp)`: SIGSEGV
/// with si_addr = sp (tag included) and SEGV_ACCERR when `find_vma` finds a mapping
/// at or above the untagged sp, SEGV_MAPERR when nothing is mapped there or above.
#[test]
fn bad_frame_sigsegv_is_a_fault_at_sp_mapped_or_not() {
    let check = |sp: u64, code: i32, what: &str| {
        let (mut t, _) = delivered();
        t.ctx.sp = sp;
        let e = t.sigreturn().unwrap_err();
        assert_eq!(e.info().signo(), Some(Signo::SIGSEGV), "{what}");
        assert_eq!(e.info().code(), code, "{what}");
        assert_eq!(e.info().addr(), sp as usize, "{what}");
        assert_eq!(e.info().errno(), 0, "{what}");
    };
    let sp = delivered().0.ctx.sp;
    let (acc, map) = (
        linux_raw_sys::general::SEGV_ACCERR as i32,
        linux_raw_sys::general::SEGV_MAPERR as i32,
    );
    check(sp + 8, acc, "misaligned sp in the stack");
    check(0x7fff_0000_0008, map, "misaligned, above every mapping");
    check(
        0x3c00_0000_0000_0000 | (sp + 8),
        acc,
        "tagged sp: looked up untagged, reported as is",
    );
    check(0x3c00_7fff_0000_0008, map, "tagged sp above every mapping");
    check(u64::MAX - 15, map, "the frame would wrap (access_ok)");

    // Past the alignment and access_ok checks the registers are read first, so the
    // SIGSEGV is at the sp the frame held: here the record area is bad.
    let (mut t, frame) = delivered();
    put_u32(&mut t.mem, frame + RES, 0x1234_5678);
    let e = t.sigreturn().unwrap_err();
    assert_eq!(e.error, FrameError::BadRecord);
    assert_eq!(
        (e.info().code(), e.info().addr()),
        (acc, A64::user_ctx().sp as usize)
    );
    // An unreadable frame (every register slot reads 0, sp too): the shared
    // `unreadable_frame_sigsegv`.
}

/// `restore_sigframe` reads the mask, x0-x30/sp/pc/pstate, the record headers up to
/// the terminator, the fpsimd payload, and `restore_altstack` the `uc_stack`, field
/// by field: a frame mapped only there (siginfo, `uc_flags`, `__unused`,
/// `fault_address`, the rest of `__reserved` unmapped) is accepted.
#[test]
fn sigreturn_reads_only_the_fields_linux_reads() {
    let ranges = [
        (UC + 16, SIGMASK + 8), // uc_stack, uc_sigmask
        (MC + 8, MC + 280),     // x0-x30, sp, pc, pstate
        (RES, RES + 8),         // fpsimd header
        (RES + 8, RES + 528),   // fpsr, fpcr, vregs
        (RES + 528, RES + 536), // terminator
    ];
    scenarios::sigreturn_reads_only(T::new(), &sa(), &ranges);
}

/// `restore_sigframe` loads x0-x30, sp, pc and pstate into `pt_regs` before it
/// parses the records: a bad record fails the call with the registers restored (and
/// no system call to restart).
#[test]
fn bad_records_leave_the_registers_restored() {
    let (mut t, frame) = delivered();
    put_record(&mut t.mem, frame + RES + 528, 0x1234_5678, 16);
    t.ctx.in_syscall = true;
    let e = t.sigreturn().unwrap_err();
    assert_eq!(e.error, FrameError::BadRecord);
    assert_eq!(t.ctx, A64::user_ctx());
}

/// `__get_user_error` reads every register slot, and one that faults reads 0: a
/// frame cut off in the middle of its registers leaves the ones before the cut
/// restored and the rest 0 (sp 0, so the SIGSEGV is at address 0).
#[test]
fn faulting_register_slots_read_as_zero() {
    let (mut t, frame) = delivered();
    t.map_only(frame, &[(UC + 16, SIGMASK + 8), (MC + 8, MC + 88)]);
    let e = t.sigreturn().unwrap_err();
    assert_eq!(
        (e.error, e.mask),
        (FrameError::Fault, Some(SignalSet::EMPTY))
    );
    let mut want = [0u64; 31];
    want[..10].copy_from_slice(&A64::user_ctx().x[..10]);
    assert_eq!(t.ctx.x, want);
    assert_eq!(
        (t.ctx.sp, t.ctx.pc, t.ctx.pstate, t.ctx.in_syscall),
        (0, 0, 0, false)
    );
    assert_eq!(e.info().addr(), 0);
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

fn any_ctx() -> impl Strategy<Value = Aarch64Context> {
    scenarios::any_regs(any::<[u64; 31]>()).prop_map(|(x, pc, sp, ps)| {
        let not_user = PSTATE_RES0 | PSTATE_SS | PSTATE_MODE_MASK | PSTATE_MODE32 | PSTATE_DAIF;
        Aarch64Context {
            x,
            sp,
            pc,
            pstate: ps & !not_user,
            ..A64::user_ctx()
        }
    })
}

impl scenarios::RoundTripArch for A64 {
    fn any_ctx() -> BoxedStrategy<Aarch64Context> {
        any_ctx().boxed()
    }
    const FP_PADDING: usize = 0;
    /// x0-x30 and the FP state.
    fn clobber(ctx: &mut Aarch64Context, fp: &mut ImageFp, words: &[u64; 32]) {
        ctx.x.copy_from_slice(&words[..31]);
        fp.state.fill(0);
    }
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn forged_frame_never_panics_or_yields_a_privileged_context(
        bytes in prop::collection::vec(any::<u8>(), FRAME_SIZE),
        fpsimd_head in any::<bool>(), term_at in prop::option::of(0u64..40),
        pstate in prop::option::of(any::<u64>()),
    ) {
        let mut mem = memory();
        let frame = (STACK_BASE + 0x200) as u64;
        ksignal::UserMemory::write(&mut mem, frame as usize, &bytes).unwrap();
        // Steer some cases past the first checks.
        if let Some(p) = pstate { put_u64(&mut mem, frame + PSTATE, p & !(0x3FF)); }
        if fpsimd_head { put_record(&mut mem, frame + RES, FPSIMD_MAGIC, 528); }
        if let Some(t) = term_at { put_u64(&mut mem, frame + RES + 528 + 16 * t, 0); }
        let mut ctx = A64::user_ctx();
        ctx.sp = frame;
        match restore_rt_frame(&mut ctx, &mut A64::fp(), &mem, &mut altstack(0)) {
            Ok(r) => {
                assert_user_safe(&ctx)?;
                prop_assert!(!r.mask.contains(Signo::SIGKILL) && !r.mask.contains(Signo::SIGSTOP));
            }
            // What Linux had restored stays, and is as safe as a success.
            Err(_) => assert_user_safe(&ctx)?,
        }
    }

    #[test]
    fn mutated_frame_never_panics_or_yields_a_privileged_context(
        orig in any_ctx(), muts in prop::collection::vec((0usize..FRAME_SIZE, any::<u64>()), 1..6),
    ) {
        let mut t = T::new();
        t.ctx = orig;
        let f = t.deliver(&sa()).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        for (off, v) in muts {
            let _ = ksignal::UserMemory::write(&mut t.mem, f.frame as usize + off, &v.to_le_bytes()[..(v as usize % 8) + 1]);
        }
        // Success or not, the context is as safe as a success: what Linux had
        // restored before a failing step stays.
        let _ = t.sigreturn();
        assert_user_safe(&t.ctx)?;
    }
}

/// What a sigreturn result may never be, whatever the frame held.
fn assert_user_safe(after: &Aarch64Context) -> Result<(), TestCaseError> {
    prop_assert_eq!(valid_user_pstate(after.pstate), Some(after.pstate));
    prop_assert_eq!(
        after.pstate & (PSTATE_MODE_MASK | PSTATE_MODE32 | PSTATE_DAIF),
        0
    );
    prop_assert!(!after.in_syscall);
    Ok(())
}

// ---------------------------------------------------------------------------
// The restart table
// ---------------------------------------------------------------------------

// `arch_do_signal_or_restart` reads x0 as an `int` (`int retval =
// regs->regs[0]`): a result whose low 32 bits are a restart code is that code.
// x0 gets `orig_x0` back; x8 holds the number.
scenarios::generic_restart_arch!(A64: Aarch64Context {
    ret: x[0], nr: x[8], pc: pc, orig: orig_x0
}, int: true, syscall_end: 0x40_1004);
