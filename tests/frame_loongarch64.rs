//! loongarch64 frames: placement, extension records, sc_regs[0], PRMD, FCSR, restart.
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
use ksignal::frame::loongarch64::{
    FP_IMAGE_LEN, FPU_CTX_MAGIC, FRAME_SIZE, LASX_CTX_MAGIC, LBT_CTX_MAGIC, LSX_CTX_MAGIC,
    Loongarch64Context, PRMD_PIE, PRMD_PPLV, SC_ADDRERR_WR, SC_USED_FP,
};
use ksignal::frame::*;
use ksignal::*;
use proptest::prelude::*;

const UC: u64 = 128;
const SIGMASK: u64 = UC + 40;
const MC: u64 = 304;
const SC_REGS: u64 = MC + 8;
const SC_FLAGS: u64 = MC + 264;
const EXT: u64 = 576;
const USER_PRMD: u64 = PRMD_PPLV | PRMD_PIE;

scenarios::shared_frame_tests!(La64);

impl FrameTestArch for La64 {
    type Ctx = Loongarch64Context;
    fn user_ctx() -> Loongarch64Context {
        let mut regs: [u64; 32] = core::array::from_fn(|i| 0x200 + i as u64);
        regs[0] = 0xdead_0000_0000; // the kernel's own use of r0's slot
        // 0xF00 below the usual top: room above the frame for the records tests forge.
        regs[3] = stack_top() - 0xF00;
        Loongarch64Context {
            era: 0x12_0000,
            regs,
            prmd: USER_PRMD,
            ..Default::default() // not in a system call
        }
    }
    fn set_sp(ctx: &mut Loongarch64Context, sp: u64) {
        ctx.regs[3] = sp;
    }
    /// An FPU image whose FCSR has no pending enabled exception.
    fn fp() -> ImageFp {
        let mut fp = ImageFp::pattern(FP_IMAGE_LEN, 0x33);
        fp.state[264..268].copy_from_slice(&0x0000_0003u32.to_le_bytes());
        fp
    }
    /// The FPU record (288 bytes) and the END record (16) lie above the frame.
    fn frame_for(sp: u64) -> u64 {
        (sp & !15) - 16 - 288 - FRAME_SIZE as u64
    }
}

#[test]
fn deliver_then_sigreturn_restores_the_exact_context() {
    let clobber = |ctx: &mut Loongarch64Context, fp: &mut ImageFp| {
        ctx.regs[4..].fill(1);
        fp.state.fill(7);
    };
    let r = scenarios::deliver_then_sigreturn::<La64>(SaFlags::empty(), 0, clobber);
    assert_eq!(r.ret, La64::user_ctx().regs[4]);
    assert!(!r.force_sigfpe);
}

#[test]
fn frame_layout_records_and_handler_entry() {
    let mut t = T::new();
    let orig = t.ctx;
    let act = action(SaFlags::empty());
    let mut d = delivery(Signo::SIGBUS, &act, SignalSet::EMPTY);
    d.fault.code = 2;
    let f = t.deliver_request(&d).unwrap();
    let (ctx, mem, fp) = (t.ctx, &t.mem, &t.fp);
    let top = orig.regs[3] & !15;
    assert_eq!(f.frame, La64::frame_for(orig.regs[3]));
    assert_eq!(
        (ctx.regs[4], ctx.regs[5], ctx.regs[6]),
        (7, f.frame, f.frame + UC)
    );
    assert_eq!(ctx.regs[3], f.frame);
    assert_eq!(ctx.regs[1], TRAMPOLINE);
    assert_eq!(ctx.era, HANDLER as u64);
    assert_eq!(user_bytes(mem, f.info, 128), INFO, "siginfo always written");
    assert_eq!(
        user_u64(mem, f.frame + SC_REGS),
        0,
        "sc_regs[0] is 0, never the kernel's r0"
    );
    assert_eq!(user_u64(mem, f.frame + SC_REGS + 8 * 3), orig.regs[3]);
    assert_eq!(
        user_u32(mem, f.frame + SC_FLAGS),
        SC_USED_FP | SC_ADDRERR_WR
    );
    let rec = f.frame + EXT;
    assert_eq!(
        (user_u32(mem, rec), user_u32(mem, rec + 4)),
        (FPU_CTX_MAGIC, 288)
    );
    assert_eq!(user_u64(mem, rec + 8), 0, "sctx_info padding");
    assert_eq!(user_bytes(mem, rec + 16, FP_IMAGE_LEN), fp.state);
    assert_eq!(user_bytes(mem, rec + 288, 16), vec![0; 16], "END");
    assert_eq!(rec + 288 + 16, top);
    // Without FP use: no record, no SC_USED_FP.
    let mut t = T::new().without_fp();
    let f = t.deliver(&act).unwrap();
    assert_eq!(f.frame, top - 16 - FRAME_SIZE as u64);
    assert_eq!(user_u32(&t.mem, f.frame + SC_FLAGS), 0);
}

#[test]
fn sigreturn_forces_plv3_with_interrupts_enabled() {
    let (mut t, _) = T::new().without_fp().delivered(&action(SaFlags::empty()));
    t.ctx.prmd = 0;
    t.sigreturn().unwrap();
    assert_eq!(t.ctx.prmd & (PRMD_PPLV | PRMD_PIE), PRMD_PPLV | PRMD_PIE);
}

fn delivered() -> (T, u64) {
    T::new().delivered(&action(SaFlags::empty()))
}

#[test]
fn pending_enabled_fcsr_cause_forces_sigfpe_and_is_cleared() {
    let (mut t, frame) = delivered();
    // Enable invalid-op (bit 4) and set its cause (bit 28) plus an unenabled cause.
    put_u32(&mut t.mem, frame + EXT + 16 + 264, 0x10 | 1 << 28 | 1 << 24);
    let r = t.sigreturn().unwrap();
    assert!(r.force_sigfpe);
    let fcsr = u32::from_le_bytes(t.fp.state[264..268].try_into().unwrap());
    assert_eq!(fcsr, 0x10 | 1 << 24, "only the enabled cause is cleared");
}

#[test]
fn sc_used_fp_clear_drops_the_fp_state() {
    let (mut t, frame) = delivered();
    put_u32(&mut t.mem, frame + SC_FLAGS, 0);
    t.sigreturn_resets_the_fp_state();
}

#[test]
fn lsx_and_lasx_records_restore_lane_zero_and_lbt_is_ignored() {
    for (magic, lanes) in [(LSX_CTX_MAGIC, 2u64), (LASX_CTX_MAGIC, 4)] {
        let (mut t, frame) = delivered();
        let rec = frame + EXT;
        // LBT record first, then the vector record, then END.
        put_u32(&mut t.mem, rec, LBT_CTX_MAGIC);
        put_u32(&mut t.mem, rec + 4, 64);
        let vrec = rec + 64;
        let payload = 32 * 8 * lanes + 16;
        put_u32(&mut t.mem, vrec, magic);
        put_u32(&mut t.mem, vrec + 4, 16 + payload as u32);
        for i in 0..32 * lanes {
            put_u64(&mut t.mem, vrec + 16 + 8 * i, 0x1000 + i);
        }
        put_u64(&mut t.mem, vrec + 16 + 256 * lanes, 0x0101);
        put_u32(&mut t.mem, vrec + 16 + 256 * lanes + 8, 0x3);
        put_u64(&mut t.mem, vrec + 16 + payload, 0);
        put_u64(&mut t.mem, vrec + 16 + payload + 8, 0);
        t.sigreturn().unwrap();
        for i in 0..32u64 {
            let v = u64::from_le_bytes(t.fp.state[8 * i as usize..][..8].try_into().unwrap());
            assert_eq!(v, 0x1000 + i * lanes, "f{i}");
        }
        assert_eq!(
            u64::from_le_bytes(t.fp.state[256..264].try_into().unwrap()),
            0x0101
        );
    }
}

#[test]
fn malformed_records_are_sigsegv() {
    let cases = [
        (FPU_CTX_MAGIC, 16 + 271, "short fpu_context"),
        (LSX_CTX_MAGIC, 16 + 100, "short lsx_context"),
        (LBT_CTX_MAGIC, 16, "short lbt_context"),
        (0x1234_5678, 64, "unknown magic"),
    ];
    for (magic, size, what) in cases {
        let (mut t, frame) = delivered();
        put_u32(&mut t.mem, frame + EXT, magic);
        put_u32(&mut t.mem, frame + EXT + 4, size);
        let before = t.ctx;
        let e = t.sigreturn().unwrap_err();
        assert_eq!(e.error, FrameError::BadRecord, "{what}");
        assert_eq!(t.ctx, before);
    }
    // A record chain running into unmapped memory faults.
    let (mut t, frame) = delivered();
    put_u32(&mut t.mem, frame + EXT + 4, 0x10_0000);
    assert_eq!(t.sigreturn().unwrap_err().error, FrameError::Fault);
}

/// `rt_sigreturn` reads the mask, `sc_flags`, each record's magic and size, era and
/// r1-r31, the FPU record's registers, fcc and fcsr, and `uc_stack`: a frame mapped
/// only there (siginfo, `uc_flags`, `__unused`, `sc_regs[0]`, record padding
/// unmapped) is accepted.
#[test]
fn sigreturn_reads_only_the_fields_linux_reads() {
    let ranges = [
        (UC + 16, SIGMASK + 8),      // uc_stack, uc_sigmask
        (MC, MC + 8),                // sc_pc
        (SC_REGS + 8, SC_FLAGS + 4), // r1-r31, sc_flags
        (EXT, EXT + 8),              // FPU record: magic, size
        (EXT + 16, EXT + 16 + 268),  // regs, fcc, fcsr
        (EXT + 288, EXT + 296),      // END: magic, size
    ];
    scenarios::sigreturn_reads_only(T::new(), &action(SaFlags::empty()), &ranges);
}

/// `restore_sigcontext` reads era and r1-r31 into `pt_regs` before the FP record:
/// an FP record that faults fails the call with the registers restored.
#[test]
fn faulting_fp_record_leaves_the_registers_restored() {
    let (mut t, frame) = delivered();
    t.map_only(
        frame,
        &[
            (UC + 16, SIGMASK + 8),
            (MC, MC + 8),
            (SC_REGS + 8, SC_FLAGS + 4),
            (EXT, EXT + 8),
            (EXT + 288, EXT + 296),
        ],
    );
    let e = t.sigreturn().unwrap_err();
    assert_eq!(
        (e.error, e.mask),
        (FrameError::Fault, Some(SignalSet::EMPTY))
    );
    let orig = La64::user_ctx();
    assert_eq!((t.ctx.era, &t.ctx.regs[1..]), (orig.era, &orig.regs[1..]));
}

/// Linux forces the SIGFPE of a pending FCSR exception inside `restore_sigcontext`,
/// before `restore_altstack`: an unreadable `uc_stack` still leaves it forced.
#[test]
fn unreadable_uc_stack_still_forces_the_pending_sigfpe() {
    let (mut t, frame) = delivered();
    put_u32(&mut t.mem, frame + EXT + 16 + 264, 0x10 | 1 << 28);
    t.map_only(frame, &[(SIGMASK, SIGMASK + 8), (MC, EXT + 296)]);
    let e = t.sigreturn().unwrap_err();
    assert_eq!(e.error, FrameError::Fault);
    assert!(e.force_sigfpe);
    assert_eq!(t.ctx.era, La64::user_ctx().era);
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

impl scenarios::RoundTripArch for La64 {
    fn any_ctx() -> BoxedStrategy<Loongarch64Context> {
        scenarios::any_regs(any::<[u64; 32]>())
            .prop_map(|(mut regs, era, sp, prmd)| {
                regs[3] = sp;
                Loongarch64Context {
                    era,
                    regs,
                    prmd: prmd | USER_PRMD,
                    ..La64::user_ctx()
                }
            })
            .boxed()
    }
    fn clobber(ctx: &mut Loongarch64Context, fp: &mut ImageFp, words: &[u64; 32]) {
        scenarios::clobber_all_but_sp((&mut ctx.regs, 3, &mut ctx.era), fp, words);
    }
    /// Linux's deliberate change: an enabled, pending FCSR cause is cleared, and
    /// SIGFPE forced for it.
    fn restored_fp(image: &[u8]) -> (Vec<u8>, bool) {
        let fcsr = u32::from_le_bytes(image[264..268].try_into().unwrap());
        let pending = fcsr & ((fcsr & 0x1F) << 24);
        let mut want = image.to_vec();
        want[264..268].copy_from_slice(&(fcsr & !pending).to_le_bytes());
        (want, pending != 0)
    }
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn forged_frame_never_panics_or_yields_a_privileged_context(
        bytes in prop::collection::vec(any::<u8>(), FRAME_SIZE + 1200),
        records in prop::collection::vec((0usize..6, 0u32..1200), 0..4),
        prmd in any::<u64>(),
    ) {
        let mut mem = memory();
        let frame = (STACK_BASE + 0x400) as u64;
        ksignal::UserMemory::write(&mut mem, frame as usize, &bytes).unwrap();
        // Steer some cases into plausible record chains.
        let magics = [0, FPU_CTX_MAGIC, LSX_CTX_MAGIC, LASX_CTX_MAGIC, LBT_CTX_MAGIC, 0xFFFF];
        let mut at = frame + EXT;
        for (m, size) in records {
            put_u32(&mut mem, at, magics[m]);
            put_u32(&mut mem, at + 4, size);
            at += u64::from(size.max(16));
            if at > frame + EXT + 1100 { break; }
        }
        let mut ctx = La64::user_ctx();
        ctx.regs[3] = frame;
        ctx.prmd = prmd;
        let before = ctx;
        match restore_rt_frame(&mut ctx, &mut La64::fp(), &mem, &mut altstack(0)) {
            Ok(r) => {
                prop_assert_eq!(ctx.prmd & (PRMD_PPLV | PRMD_PIE), PRMD_PPLV | PRMD_PIE);
                prop_assert_eq!(ctx.regs[0], before.regs[0], "r0 slot untouched");
                prop_assert!(!ctx.in_syscall);
                prop_assert!(!r.mask.contains(Signo::SIGKILL) && !r.mask.contains(Signo::SIGSTOP));
            }
            // What Linux had restored stays; PLV3 is forced once it touched the
            // registers.
            Err(_) => if ctx != before {
                prop_assert_eq!(ctx.prmd & (PRMD_PPLV | PRMD_PIE), PRMD_PPLV | PRMD_PIE);
                prop_assert_eq!(ctx.regs[0], before.regs[0], "r0 slot untouched");
            },
        }
    }
}

// ---------------------------------------------------------------------------
// The restart table
// ---------------------------------------------------------------------------

// `handle_signal` / `arch_do_signal_or_restart` switch on all 64 bits of a0
// (`regs->regs[4]`, an `unsigned long`): a value whose low 32 bits alone are a
// restart code is an ordinary result.
// a0 gets `orig_a0` back; a7 holds the number.
scenarios::generic_restart_arch!(La64: Loongarch64Context {
    ret: regs[4], nr: regs[11], pc: era, orig: orig_a0
}, int: false, syscall_end: 0x12_0004);
