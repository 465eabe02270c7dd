//! loongarch64 signal frames (arch/loongarch/kernel/signal.c; uapi asm/sigcontext.h,
//! asm/ucontext.h).
//!
//! Layout (high → low) from `round_down(sigsp(sp), 16)`: the END record (16 bytes),
//! the `fpu_context` record if the thread used the FPU (`SC_USED_FP`), then the
//! 576-byte `rt_sigframe`; the records are walked upward from `sc_extcontext`
//! (frame + 576). `sc_regs[0]` is always written as 0 (Asterinas #3920 leaked the
//! kernel sp there). siginfo is always written; a0/a1/a2 = signo, &info, &uc; ra is
//! the vDSO trampoline (no `SA_RESTORER` on loongarch).
//!
//! `rt_sigreturn` takes era and r1-r31 from the frame; PRMD is not in the frame, and
//! the context's PRMD is forced to PPLV 3 with PIE set. Records are parsed as Linux
//! does (unknown magic or short size → SIGSEGV; END stops the walk). Only the scalar
//! FPU is modelled: of an LSX/LASX record the low 64 bits of each vector register are
//! restored (what a CPU without LSX keeps), and an LBT record is accepted and ignored
//! (a kernel without `CONFIG_CPU_HAS_LBT`). An FCSR with a cause bit set for an
//! enabled exception is cleared and reported as [`RestoredFrame::force_sigfpe`]
//! (`fcsr_pending`); Linux also writes the cleared FCSR back into the dead frame,
//! which this crate skips (its `rt_sigreturn` only reads user memory).

use super::{
    BadFrame, FrameError, HandlerFrame, OnFault, Restore, RestoredFrame, Setup, arch_frame, at,
    fp_present, le, open_sigframe, put_ucontext_header, read_u32, read_user, read_user_words,
    restore_altstack, round_down, sigframe_top, syscall_regs, write_user,
};
use crate::arch::Arch;
use crate::uaccess::UserMemory;
use core::mem::{offset_of, size_of};

/// The ABI structures, mirrored from the uapi headers for their layout.
pub mod abi {
    use crate::frame::GenericUcontext;

    /// `struct sigcontext` (uapi asm/sigcontext.h), 272 bytes; `sc_extcontext`
    /// follows at offset 272.
    #[repr(C, align(16))]
    #[derive(Clone, Copy, Debug)]
    pub struct Sigcontext {
        /// era.
        pub sc_pc: u64,
        /// r0-r31 (r0 written as 0).
        pub sc_regs: [u64; 32],
        /// `SC_*` flags.
        pub sc_flags: u32,
    }

    /// `struct ucontext` (uapi asm/ucontext.h: asm-generic's), 448 bytes.
    pub type Ucontext = GenericUcontext<Sigcontext>;

    /// `struct rt_sigframe` (arch/loongarch/kernel/signal.c), 576 bytes.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct RtSigframe {
        /// The siginfo.
        pub rs_info: [u64; 16],
        /// The ucontext.
        pub rs_uctx: Ucontext,
    }

    /// `struct sctx_info`: an extension record header, 16 bytes.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct SctxInfo {
        /// Record type.
        pub magic: u32,
        /// Distance to the next header.
        pub size: u32,
        /// Zero.
        pub padding: u64,
    }

    /// `struct fpu_context`, 272 bytes.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct FpuContext {
        /// f0-f31.
        pub regs: [u64; 32],
        /// The eight condition flags, one per byte.
        pub fcc: u64,
        /// fcsr0.
        pub fcsr: u32,
    }

    /// `struct lsx_context`, 528 bytes.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct LsxContext {
        /// vr0-vr31, 2 × 64 bits each.
        pub regs: [u64; 64],
        /// Condition flags.
        pub fcc: u64,
        /// fcsr0.
        pub fcsr: u32,
    }

    /// `struct lasx_context`, 1040 bytes.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct LasxContext {
        /// xr0-xr31, 4 × 64 bits each.
        pub regs: [u64; 128],
        /// Condition flags.
        pub fcc: u64,
        /// fcsr0.
        pub fcsr: u32,
    }

    /// `struct lbt_context`, 40 bytes.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct LbtContext {
        /// scr0-scr3.
        pub regs: [u64; 4],
        /// eflags.
        pub eflags: u32,
        /// x87 stack top.
        pub ftop: u32,
    }
}

use abi::{FpuContext, LasxContext, LbtContext, LsxContext, RtSigframe, SctxInfo, Sigcontext};

/// Size of `rt_sigframe`.
pub const FRAME_SIZE: usize = size_of::<RtSigframe>();
const UC: usize = offset_of!(RtSigframe, rs_uctx);
const UC_STACK: usize = UC + offset_of!(abi::Ucontext, uc_stack);
const UC_SIGMASK: usize = UC + offset_of!(abi::Ucontext, uc_sigmask);
const MC: usize = UC + offset_of!(abi::Ucontext, uc_mcontext);
const SC_PC: usize = MC + offset_of!(Sigcontext, sc_pc);
const SC_REGS: usize = MC + offset_of!(Sigcontext, sc_regs);
const SC_FLAGS: usize = MC + offset_of!(Sigcontext, sc_flags);
const SC_EXT: usize = MC + size_of::<Sigcontext>();
const HDR: usize = size_of::<SctxInfo>();

/// Bytes of the FP image ([`FpHook`](super::FpHook)): `fpu_context`.
pub const FP_IMAGE_LEN: usize = size_of::<FpuContext>();
const FPU_FCC: usize = offset_of!(FpuContext, fcc);
const FPU_FCSR: usize = offset_of!(FpuContext, fcsr);
/// Size of the FPU record on the stack: header + payload, 16-aligned.
const FPU_RECORD: usize = HDR + FP_IMAGE_LEN.next_multiple_of(16);

/// `FPU_CTX_MAGIC`.
pub const FPU_CTX_MAGIC: u32 = 0x4650_5501;
/// `LSX_CTX_MAGIC`.
pub const LSX_CTX_MAGIC: u32 = 0x5358_0001;
/// `LASX_CTX_MAGIC`.
pub const LASX_CTX_MAGIC: u32 = 0x4153_5801;
/// `LBT_CTX_MAGIC`.
pub const LBT_CTX_MAGIC: u32 = 0x4254_0001;
/// `SC_USED_FP`: the thread has used the FPU; an FP record follows.
pub const SC_USED_FP: u32 = 1 << 0;
/// `SC_ADDRERR_RD`.
pub const SC_ADDRERR_RD: u32 = 1 << 30;
/// `SC_ADDRERR_WR`.
pub const SC_ADDRERR_WR: u32 = 1 << 31;
/// `FPU_CSR_ALL_E`: the exception enable bits of FCSR.
pub const FCSR_ENABLES: u32 = 0x1F;
/// Shift from an enable bit to its cause bit in FCSR.
pub const FCSR_CAUSE_SHIFT: u32 = 24;
/// PRMD.PPLV (previous privilege level).
pub const PRMD_PPLV: u64 = 0b11;
/// PRMD.PIE (previous interrupt enable).
pub const PRMD_PIE: u64 = 1 << 2;

/// The loongarch64 user context: the `pt_regs` a signal frame saves and restores.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Loongarch64Context {
    /// era (the return pc).
    pub era: u64,
    /// r0-r31 by number (r\[1\] = ra, r\[3\] = sp, r\[4\] = a0); r\[0\] is never
    /// read or written.
    pub regs: [u64; 32],
    /// PRMD as the kernel saved it (only PPLV and PIE are touched).
    pub prmd: u64,
    /// Entered through a system call (Linux's `regs[0] != 0`).
    pub in_syscall: bool,
    /// a0 at system-call entry (`orig_a0`), for restarting.
    pub orig_a0: u64,
}

/// loongarch64 (marker type for [`ArchFrame`](super::ArchFrame)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Loongarch64;

// `handle_signal` / `arch_do_signal_or_restart`: result in a0 (r4), compared on
// all 64 bits (`switch (regs->regs[4])`), 4-byte `syscall`, `restart_syscall`
// number in a7 (r11); the system call is marked done (`regs[0] = 0`) whatever the
// result.
syscall_regs!(Loongarch64Context { ret: regs[4], orig_arg: orig_a0, pc: era, nr: regs[11] },
    ret_width: Long, insn_len: 4, forgets_syscall: true);

/// One FP-carrying record found by the walk: its payload address and lane stride.
#[derive(Clone, Copy)]
struct FpRecord {
    payload: u64,
    /// 64-bit words per register: 1 (FPU), 2 (LSX), 4 (LASX).
    lanes: usize,
}

/// `parse_extcontext`: walks the records from `sc_extcontext`, returning the FP
/// record `restore_sigcontext` would use (LASX over LSX over FPU; the last one of each
/// kind wins).
fn parse_extcontext<M: UserMemory + ?Sized>(
    mem: &M,
    start: u64,
) -> Result<Option<FpRecord>, FrameError> {
    let (mut fpu, mut lsx, mut lasx) = (None, None, None);
    let mut at = start;
    loop {
        let mut head = [0u8; 8];
        read_user(mem, at, &mut head)?;
        let magic = le::u32_at(&head, 0);
        let size = le::u32_at(&head, 4) as usize;
        let (slot, min) = match magic {
            0 => break,
            FPU_CTX_MAGIC => (Some(&mut fpu), size_of::<FpuContext>()),
            LSX_CTX_MAGIC => (Some(&mut lsx), size_of::<LsxContext>()),
            LASX_CTX_MAGIC => (Some(&mut lasx), size_of::<LasxContext>()),
            LBT_CTX_MAGIC => (None, size_of::<LbtContext>()),
            _ => return Err(FrameError::BadRecord),
        };
        if size < HDR + min {
            return Err(FrameError::BadRecord);
        }
        if let Some(slot) = slot {
            *slot = Some(at.checked_add(HDR as u64).ok_or(FrameError::Fault)?);
        }
        at = at.checked_add(size as u64).ok_or(FrameError::Fault)?;
    }
    let rec = |payload: Option<u64>, lanes| payload.map(|payload| FpRecord { payload, lanes });
    Ok(rec(lasx, 4).or(rec(lsx, 2)).or(rec(fpu, 1)))
}

/// Reads an FP record as an [`FP_IMAGE_LEN`] image (lane 0 of each register), with
/// `fcsr_pending` applied: returns whether SIGFPE must be forced.
fn read_fp_record<M: UserMemory + ?Sized>(
    mem: &M,
    rec: FpRecord,
) -> Result<([u8; FP_IMAGE_LEN], bool), FrameError> {
    let words = 32 * rec.lanes;
    // The largest record (LASX: 4 lanes) fits this stack buffer.
    let mut raw = [0u8; 8 * 32 * 4 + 16];
    read_user(mem, rec.payload, le::slice_mut(&mut raw, 0, 8 * words + 12))?;
    let mut img = [0u8; FP_IMAGE_LEN];
    for i in 0..32 {
        le::put_u64(&mut img, 8 * i, le::u64_at(&raw, 8 * i * rec.lanes));
    }
    le::put_u64(&mut img, FPU_FCC, le::u64_at(&raw, 8 * words));
    let mut fcsr = le::u32_at(&raw, 8 * words + 8);
    let pending = fcsr & ((fcsr & FCSR_ENABLES) << FCSR_CAUSE_SHIFT);
    fcsr &= !pending;
    le::put_u32(&mut img, FPU_FCSR, fcsr);
    Ok((img, pending != 0))
}

// The numbers are Linux's (include/uapi/asm-generic/unistd.h).
arch_frame!(Loongarch64 for "loongarch64" {
    context: Loongarch64Context,
    nr_rt_sigreturn: 139,
    nr_restart_syscall: 128,
    restart_reset_first: false,
});

/// `setup_rt_frame` + `get_sigframe` + `setup_extcontext` + `setup_sigcontext`.
fn setup_rt_frame<M: UserMemory + ?Sized>(
    Setup(ctx, fp, mem, stack, d, handler): Setup<'_, Loongarch64Context, M>,
) -> Result<HandlerFrame, FrameError> {
    let has_fp = fp_present(fp, FP_IMAGE_LEN)?;
    let top = round_down(sigframe_top(stack, ctx.regs[3], FRAME_SIZE, d)?, 16);
    let ext = FRAME_SIZE + if has_fp { FPU_RECORD } else { 0 } + HDR;
    let frame = top.checked_sub(ext as u64).ok_or(FrameError::Fault)?;

    let mut whole = [0u8; FRAME_SIZE + FPU_RECORD + HDR];
    let buf = le::slice_mut(&mut whole, 0, ext);
    le::put(buf, 0, d.info);
    put_ucontext_header(buf, UC_STACK, UC_SIGMASK, stack, d);
    le::put_u64(buf, SC_PC, ctx.era);
    le::put_words(buf, SC_REGS + 8, &ctx.regs[1..]);
    let mut flags = match d.fault.code {
        1 => SC_ADDRERR_RD,
        2 => SC_ADDRERR_WR,
        _ => 0,
    };
    if has_fp {
        flags |= SC_USED_FP;
        le::put_u32(buf, SC_EXT, FPU_CTX_MAGIC);
        le::put_u32(buf, SC_EXT + 4, FPU_RECORD as u32);
        fp.save(le::slice_mut(buf, SC_EXT + HDR, FP_IMAGE_LEN));
        // The struct's tail padding: nothing of the kernel's leaks.
        le::put_u32(buf, SC_EXT + HDR + FP_IMAGE_LEN - 4, 0);
    }
    le::put_u32(buf, SC_FLAGS, flags);
    // The END record is the zeroed tail.
    write_user(mem, frame, buf)?;

    ctx.regs[4] = u64::from(d.sig.get());
    ctx.regs[5] = frame;
    ctx.regs[6] = frame + UC as u64;
    ctx.regs[3] = frame;
    ctx.regs[1] = d.trampoline;
    ctx.era = handler;
    Ok(HandlerFrame::at(frame, 0, UC))
}

/// `rt_sigreturn` + `restore_sigcontext` + `parse_extcontext` +
/// `restore_altstack`, reading only the fields Linux reads (the mask,
/// `sc_flags`, the record headers, era and r1-r31, the FP record, `uc_stack`):
/// the siginfo and `sc_regs[0]` may be unmapped.
///
/// As in Linux, a bad frame leaves what was done before the failing step: past
/// the record walk, the FPU dropped when `SC_USED_FP` is clear, era and r1-r31
/// (a slot that faulted reads 0) and the FP record's state; a pending FCSR
/// exception still forces SIGFPE ([`BadFrame::force_sigfpe`]) when only
/// `uc_stack` is bad. The system-call state is cleared only once the
/// sigcontext is restored (Linux's `regs[0] = 0`).
fn restore_rt_frame<M: UserMemory + ?Sized>(
    Restore(ctx, fp, mem, stack): Restore<'_, Loongarch64Context, M>,
) -> Result<RestoredFrame, BadFrame> {
    let frame = ctx.regs[3];
    let (has_fp, mask) = open_sigframe(fp, FP_IMAGE_LEN, mem, frame, FRAME_SIZE, UC_SIGMASK)?;
    let bad = |e| BadFrame::kernel(e, Some(mask));

    // restore_sigcontext: sc_flags and the record walk first (nothing restored
    // if they fail), then the FPU dropped unless SC_USED_FP, era and r1-r31
    // each read (one that faults reads 0), then the FP record, tried even when
    // a register faulted: all of it stays when something fails.
    let flags = read_u32(mem, at(frame, SC_FLAGS)).map_err(bad)?;
    let rec = parse_extcontext(mem, at(frame, SC_EXT)).map_err(bad)?;
    // `restore_sigcontext` resets the restart block here, after the walk.
    let bad = |e| BadFrame::kernel(e, Some(mask)).after_restart_reset();
    if flags & SC_USED_FP == 0 {
        fp.reset();
    }
    let mut era = [ctx.era];
    let mut regs = [0u64; 31];
    let pc_read = read_user_words(mem, at(frame, SC_PC), &mut era, OnFault::ReadsZero);
    let regs_read = read_user_words(mem, at(frame, SC_REGS + 8), &mut regs, OnFault::ReadsZero);
    ctx.era = era[0];
    ctx.regs[1..].copy_from_slice(&regs);
    ctx.prmd |= PRMD_PPLV | PRMD_PIE;
    let fp_result = match rec {
        Some(rec) => read_fp_record(mem, rec).and_then(|(img, sigfpe)| {
            if flags & SC_USED_FP != 0 && has_fp && !fp.restore(&img) {
                Err(FrameError::BadFpState)
            } else {
                Ok(sigfpe)
            }
        }),
        None => Ok(false),
    };
    if !(pc_read && regs_read) {
        return Err(bad(FrameError::Fault));
    }
    let force_sigfpe = fp_result.map_err(bad)?;
    ctx.in_syscall = false;
    if let Err(e) = restore_altstack(
        mem,
        at(frame, UC_STACK),
        stack,
        ctx.regs[3],
        Arch::Loongarch64,
    ) {
        // SIGFPE was already forced in Linux.
        return Err(BadFrame {
            force_sigfpe,
            ..bad(e)
        });
    }
    Ok(RestoredFrame {
        mask,
        ret: ctx.regs[4],
        force_sigfpe,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rt_sigframe_layout_matches_linux() {
        assert_eq!(FRAME_SIZE, 576);
        assert_eq!(UC, 128);
        assert_eq!(size_of::<abi::Ucontext>(), 448);
        assert_eq!(UC_STACK - UC, 16);
        assert_eq!(UC_SIGMASK - UC, 40);
        assert_eq!(MC - UC, 176);
        assert_eq!(size_of::<Sigcontext>(), 272);
        assert_eq!(SC_PC - MC, 0);
        assert_eq!(SC_REGS - MC, 8);
        assert_eq!(SC_REGS - MC + 8 * 3, 32, "r3 = sp");
        assert_eq!(SC_REGS - MC + 8 * 4, 40, "r4 = a0");
        assert_eq!(SC_FLAGS - MC, 264);
        assert_eq!(
            SC_EXT, FRAME_SIZE,
            "extcontext starts right after the frame"
        );
    }

    #[test]
    fn record_layouts_match_linux() {
        assert_eq!(HDR, 16);
        assert_eq!(FP_IMAGE_LEN, 272);
        assert_eq!(FPU_FCC, 256);
        assert_eq!(FPU_FCSR, 264);
        assert_eq!(size_of::<LsxContext>(), 528);
        assert_eq!(offset_of!(LsxContext, fcc), 512);
        assert_eq!(size_of::<LasxContext>(), 1040);
        assert_eq!(offset_of!(LasxContext, fcc), 1024);
        assert_eq!(size_of::<LbtContext>(), 40);
        assert_eq!(FPU_RECORD, 288, "extframe_alloc for a 16-aligned base");
    }
}
