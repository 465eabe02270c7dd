//! aarch64 signal frames (arch/arm64/kernel/signal.c; uapi asm/sigcontext.h,
//! asm/ucontext.h; arch/arm64/kernel/ptrace.c for `valid_user_regs`).
//!
//! Layout (high → low): the interrupted stack (or the alternate stack's top), a
//! 16-byte frame record `{x29, x30}` at `round_down(sp − 16, 16)`, then the
//! `rt_sigframe` (siginfo, ucontext with `__reserved[4096]` holding the records:
//! `fpsimd_context`, `esr_context` if a fault code is set, and the terminator).
//! There is no overflow check against the alternate stack (Linux has none either).
//!
//! The handler gets x0 = signo, and x1 = &info, x2 = &uc only with `SA_SIGINFO`;
//! x29 = &frame record, x30 = `sa_restorer` with `SA_RESTORER`, else the vDSO
//! trampoline; PSTATE.TCO cleared. BTI (`BTYPE = C`) and SME are not modelled: the
//! crate assumes neither is present.
//!
//! `rt_sigreturn` requires a 16-byte aligned sp, takes x0-x30, sp, pc and pstate from
//! the frame, clears PSTATE's RES0 bits and SS, and rejects (→ SIGSEGV) any pstate that
//! is not EL0t AArch64 with D, A, I and F clear, as Linux's `valid_user_regs`. The
//! records are parsed by Linux's rules (`parse_user_sigframe`), including an
//! `extra_context`; SVE, SME, TPIDR2, FPMR, POE and GCS records are rejected, as on a
//! CPU without those features.
//!
//! A bad frame raises what Linux's `arm64_notify_segfault(regs->sp)` raises: SIGSEGV
//! with si_addr = the stack pointer and `SEGV_ACCERR`, or `SEGV_MAPERR` when nothing
//! is mapped at or above it ([`UserMemory::maps_at_or_above`]), not the `SI_KERNEL`
//! of the other architectures. Linux also clears the thread's fault record there
//! (`arm64_notify_die`), so the SIGSEGV handler's frame has `fault_address` 0 and
//! no `esr_context`: the kernel should pass a zero [`FaultInfo`](super::FaultInfo)
//! when it delivers that SIGSEGV.

use super::{
    BadFrame, FpHook, FrameError, FrameRequest, HandlerFrame, OnFault, Restore, RestoredFrame,
    Setup, access_ok, arch_frame, at, fp_present, le, put_ucontext_header, read_mask, read_u32,
    read_u64, read_user, read_user_words, restore_altstack, restorer_or_trampoline, round_down,
    syscall_regs, us, wants_onstack, write_user,
};
use crate::action::SaFlags;
use crate::arch::Arch;
use crate::set::SignalSet;
use crate::stack::SignalStack;
use crate::uaccess::UserMemory;
use core::mem::{offset_of, size_of};
use linux_raw_sys::general::{SEGV_ACCERR, SEGV_MAPERR};

/// The ABI structures, mirrored from the uapi headers for their layout.
pub mod abi {
    use crate::frame::GenericUcontext;

    /// `__reserved[4096]`, 16-byte aligned.
    #[repr(C, align(16))]
    #[derive(Clone, Copy, Debug)]
    pub struct Reserved(pub [u8; 4096]);

    /// `struct sigcontext` (uapi asm/sigcontext.h), 4384 bytes.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct Sigcontext {
        /// Fault address of the last fault.
        pub fault_address: u64,
        /// x0-x30.
        pub regs: [u64; 31],
        /// sp.
        pub sp: u64,
        /// pc.
        pub pc: u64,
        /// PSTATE (SPSR_EL1 as seen by the user).
        pub pstate: u64,
        /// The record area.
        pub reserved: Reserved,
    }

    /// `struct ucontext` (uapi asm/ucontext.h: asm-generic's), 4560 bytes.
    pub type Ucontext = GenericUcontext<Sigcontext>;

    /// `struct rt_sigframe` (arch/arm64/kernel/signal.c), 4688 bytes.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct RtSigframe {
        /// The siginfo.
        pub info: [u64; 16],
        /// The ucontext.
        pub uc: Ucontext,
    }

    /// `struct _aarch64_ctx`: a record header.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct CtxHead {
        /// Record type.
        pub magic: u32,
        /// Record size including the header.
        pub size: u32,
    }

    /// `struct fpsimd_context`, 528 bytes.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct FpsimdContext {
        /// Header (`FPSIMD_MAGIC`, 528).
        pub head: CtxHead,
        /// FPSR.
        pub fpsr: u32,
        /// FPCR.
        pub fpcr: u32,
        /// V0-V31 (128-bit each).
        pub vregs: [[u64; 2]; 32],
    }

    /// `struct esr_context`, 16 bytes.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct EsrContext {
        /// Header (`ESR_MAGIC`, 16).
        pub head: CtxHead,
        /// ESR_EL1 of the last fault.
        pub esr: u64,
    }

    /// `struct extra_context`, 32 bytes.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct ExtraContext {
        /// Header (`EXTRA_MAGIC`, 32).
        pub head: CtxHead,
        /// Address of the extra space.
        pub datap: u64,
        /// Size of the extra space.
        pub size: u32,
        /// Reserved.
        pub reserved: [u32; 3],
    }

    /// `struct frame_record`: the unwinding record above the frame.
    #[repr(C)]
    #[derive(Clone, Copy, Debug)]
    pub struct FrameRecord {
        /// The interrupted x29.
        pub fp: u64,
        /// The interrupted x30.
        pub lr: u64,
    }
}

use abi::{EsrContext, ExtraContext, FpsimdContext, FrameRecord, RtSigframe, Sigcontext, Ucontext};

/// Size of `rt_sigframe`.
pub const FRAME_SIZE: usize = size_of::<RtSigframe>();
const UC: usize = offset_of!(RtSigframe, uc);
const UC_STACK: usize = UC + offset_of!(Ucontext, uc_stack);
const UC_SIGMASK: usize = UC + offset_of!(Ucontext, uc_sigmask);
const MC: usize = UC + offset_of!(Ucontext, uc_mcontext);
const MC_FAULT: usize = MC + offset_of!(Sigcontext, fault_address);
const MC_REGS: usize = MC + offset_of!(Sigcontext, regs);
const MC_SP: usize = MC + offset_of!(Sigcontext, sp);
const MC_PC: usize = MC + offset_of!(Sigcontext, pc);
const MC_PSTATE: usize = MC + offset_of!(Sigcontext, pstate);
const RESERVED: usize = MC + offset_of!(Sigcontext, reserved);
/// x0-x30, sp, pc and pstate: the registers `restore_sigframe` reads.
const MC_REGS_WORDS: usize = (MC_PSTATE + 8 - MC_REGS) / 8;
const RESERVED_SIZE: usize = 4096;
const RECORD_SIZE: usize = size_of::<FrameRecord>();
const FPSIMD_SIZE: usize = size_of::<FpsimdContext>();
const FPSIMD_PAYLOAD: usize = offset_of!(FpsimdContext, fpsr);
const ESR_SIZE: usize = size_of::<EsrContext>();
const EXTRA_SIZE: usize = size_of::<ExtraContext>();
/// `TERMINATOR_SIZE`: the null record, rounded up to 16.
const TERMINATOR_SIZE: usize = 16;
/// `SIGFRAME_MAXSZ`: cap on frame plus extra space.
const SIGFRAME_MAXSZ: u64 = 256 * 1024;

/// Bytes of the FP image ([`FpHook`]): fpsr, fpcr, vregs.
pub const FP_IMAGE_LEN: usize = FPSIMD_SIZE - FPSIMD_PAYLOAD;

/// `FPSIMD_MAGIC`.
pub const FPSIMD_MAGIC: u32 = 0x4650_8001;
/// `ESR_MAGIC`.
pub const ESR_MAGIC: u32 = 0x4553_5201;
/// `EXTRA_MAGIC`.
pub const EXTRA_MAGIC: u32 = 0x4558_5401;

/// `SPSR_EL1_AARCH64_RES0_BITS` (arch/arm64/include/asm/ptrace.h).
pub const PSTATE_RES0: u64 = 0xFFFF_FFFF_0CDF_E020;
/// PSTATE.M\[3:0\]: exception level and stack selector (0 = EL0t).
pub const PSTATE_MODE_MASK: u64 = 0xF;
/// PSTATE.nRW: AArch32.
pub const PSTATE_MODE32: u64 = 1 << 4;
/// PSTATE.{D,A,I,F}.
pub const PSTATE_DAIF: u64 = 0xF << 6;
/// PSTATE.SS (software step).
pub const PSTATE_SS: u64 = 1 << 21;
/// PSTATE.TCO (tag check override).
pub const PSTATE_TCO: u64 = 1 << 25;
/// PSTATE.{N,Z,C,V}.
pub const PSTATE_NZCV: u64 = 0xF << 28;

/// `valid_user_regs` for a native task not being single-stepped: clears the RES0
/// bits and SS, and accepts only EL0t AArch64 with D, A, I, F clear.
///
/// Context: any, interrupt context included: a pure function of its arguments (no lock,
/// no allocation).
pub const fn valid_user_pstate(pstate: u64) -> Option<u64> {
    let p = pstate & !PSTATE_RES0 & !PSTATE_SS;
    if p & (PSTATE_MODE_MASK | PSTATE_MODE32 | PSTATE_DAIF) == 0 {
        Some(p)
    } else {
        None
    }
}

/// `untagged_addr`: the address with its top byte (a TBI tag) replaced by the sign
/// of bit 55, as Linux looks it up.
const fn untagged_addr(addr: u64) -> u64 {
    (((addr << 8) as i64) >> 8) as u64
}

/// `arm64_notify_segfault(sp)`, Linux's bad-frame SIGSEGV on aarch64: a fault at
/// `sp` (as it is, tag included), `SEGV_ACCERR` if a mapping lies at or above the
/// untagged address (`find_vma`), else `SEGV_MAPERR`.
fn notify_segfault<M: UserMemory + ?Sized>(
    mem: &M,
    error: FrameError,
    mask: Option<SignalSet>,
    sp: u64,
) -> BadFrame {
    let code = if mem.maps_at_or_above(us(untagged_addr(sp))) {
        SEGV_ACCERR
    } else {
        SEGV_MAPERR
    };
    BadFrame {
        error,
        mask,
        si_code: code as i32,
        si_addr: sp,
        force_sigfpe: false,
        restart_block_reset: true,
    }
}

/// The aarch64 user context: the `user_pt_regs` a signal frame saves and restores.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Aarch64Context {
    /// x0-x30.
    pub x: [u64; 31],
    /// sp (SP_EL0).
    pub sp: u64,
    /// pc (ELR_EL1).
    pub pc: u64,
    /// PSTATE (SPSR_EL1).
    pub pstate: u64,
    /// Entered through a system call (`syscallno != NO_SYSCALL`).
    pub in_syscall: bool,
    /// x0 at system-call entry (`orig_x0`), for restarting.
    pub orig_x0: u64,
}

/// aarch64 (marker type for [`ArchFrame`](super::ArchFrame)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Aarch64;

// `arch_do_signal_or_restart`: result in x0, read as an `int` (`int retval =
// regs->regs[0]`: only its low 32 bits are compared with the restart codes),
// 4-byte `svc`, `restart_syscall` number in x8; the system call is forgotten
// (`forget_syscall`) whatever the result.
syscall_regs!(Aarch64Context { ret: x[0], orig_arg: orig_x0, pc: pc, nr: x[8] },
    ret_width: Int, insn_len: 4, forgets_syscall: true);

/// `parse_user_sigframe`: walks the records of the frame at `frame`, reading each
/// header from user memory as Linux does (so the unused end of `__reserved` may be
/// unmapped), and returns the `fpsimd_context` found: its address and size.
fn parse_records<M: UserMemory + ?Sized>(
    frame: u64,
    mem: &M,
    has_fp: bool,
) -> Result<Option<(u64, u32)>, FrameError> {
    let invalid = Err(FrameError::BadRecord);
    let mut base = at(frame, RESERVED);
    let mut offset = 0usize;
    let mut limit = RESERVED_SIZE;
    let mut have_extra = false;
    let mut fpsimd = None;
    loop {
        if limit - offset < size_of::<abi::CtxHead>() || !offset.is_multiple_of(16) {
            return invalid;
        }
        let head = base.checked_add(offset as u64).ok_or(FrameError::Fault)?;
        let magic = read_u32(mem, head)?;
        let size = read_u32(mem, head + 4)? as usize;
        if limit - offset < size {
            return invalid;
        }
        match magic {
            0 => {
                if size != 0 {
                    return invalid;
                }
                break;
            }
            FPSIMD_MAGIC => {
                if !has_fp || fpsimd.is_some() {
                    return invalid;
                }
                fpsimd = Some((head, size as u32));
            }
            ESR_MAGIC => {}
            EXTRA_MAGIC => {
                if have_extra {
                    return invalid;
                }
                (base, limit) = parse_extra_context(mem, frame, head, size, limit - offset)?;
                have_extra = true;
                offset = 0;
                continue;
            }
            _ => return invalid,
        }
        if size < size_of::<abi::CtxHead>() || limit - offset < size {
            return invalid;
        }
        offset += size;
    }
    Ok(fpsimd)
}

/// The `extra_context` record of `parse_user_sigframe` at `head` (`size` bytes, with
/// `room` bytes of `__reserved` from it, `room >= size`): checks it and the
/// terminator that must follow it, and returns the extra space the walk continues
/// in (its address and size).
fn parse_extra_context<M: UserMemory + ?Sized>(
    mem: &M,
    frame: u64,
    head: u64,
    size: usize,
    room: usize,
) -> Result<(u64, usize), FrameError> {
    let invalid = Err(FrameError::BadRecord);
    if size < EXTRA_SIZE {
        return invalid;
    }
    let datap = read_u64(mem, head + offset_of!(ExtraContext, datap) as u64)?;
    let extra_size = u64::from(read_u32(mem, head + offset_of!(ExtraContext, size) as u64)?);
    if room - size < TERMINATOR_SIZE {
        return invalid;
    }
    // Only reachable from the frame's own __reserved (a second extra_context is
    // rejected by the caller), so `userp` lies in the frame.
    let end = head + size as u64;
    if read_u32(mem, end)? != 0 || read_u32(mem, end + 4)? != 0 {
        return invalid;
    }
    let userp = end + TERMINATOR_SIZE as u64;
    if !datap.is_multiple_of(16) || !extra_size.is_multiple_of(16) || datap != userp {
        return invalid;
    }
    let max = frame
        .checked_add(SIGFRAME_MAXSZ)
        .and_then(|top| top.checked_sub(userp));
    match max {
        Some(max) if extra_size <= max => {}
        _ => return invalid,
    }
    if !access_ok(datap, extra_size as usize) {
        return invalid;
    }
    Ok((datap, extra_size as usize))
}

/// `get_sigframe`: the frame record's address below the (alternate) stack, then
/// the frame's below it.
#[inline]
fn get_sigframe(
    ctx: &Aarch64Context,
    stack: &SignalStack,
    d: &FrameRequest<'_>,
) -> Result<(u64, u64), FrameError> {
    let sp_top = super::sigsp(stack, ctx.sp, wants_onstack(d))?;
    let record = round_down(
        sp_top
            .checked_sub(RECORD_SIZE as u64)
            .ok_or(FrameError::Fault)?,
        16,
    );
    let frame = record
        .checked_sub(FRAME_SIZE as u64)
        .ok_or(FrameError::Fault)?;
    Ok((record, frame))
}

/// `setup_sigframe`: fills `buf` (zeroed) with the frame and the frame record above
/// it: the siginfo with `SA_SIGINFO`, the ucontext header, the registers and the
/// records (`fpsimd_context`, `esr_context` for a fault code, the terminator).
#[inline]
fn setup_sigframe(
    buf: &mut [u8; FRAME_SIZE + RECORD_SIZE],
    ctx: &Aarch64Context,
    fp: &mut dyn FpHook,
    has_fp: bool,
    stack: &SignalStack,
    d: &FrameRequest<'_>,
) {
    if d.action.flags().contains(SaFlags::SIGINFO) {
        le::put(buf, 0, d.info);
    }
    put_ucontext_header(buf, UC_STACK, UC_SIGMASK, stack, d);
    le::put_u64(buf, MC_FAULT, d.fault.address);
    le::put_words(buf, MC_REGS, &ctx.x);
    le::put_u64(buf, MC_SP, ctx.sp);
    le::put_u64(buf, MC_PC, ctx.pc);
    le::put_u64(buf, MC_PSTATE, ctx.pstate);
    let mut rec = RESERVED;
    if has_fp {
        le::put_u32(buf, rec, FPSIMD_MAGIC);
        le::put_u32(buf, rec + 4, FPSIMD_SIZE as u32);
        fp.save(le::slice_mut(buf, rec + FPSIMD_PAYLOAD, FP_IMAGE_LEN));
        rec += FPSIMD_SIZE;
    }
    if d.fault.code != 0 {
        le::put_u32(buf, rec, ESR_MAGIC);
        le::put_u32(buf, rec + 4, ESR_SIZE as u32);
        le::put_u64(buf, rec + 8, d.fault.code);
    }
    // The terminator is the zeroed record that follows.
    le::put_u64(buf, FRAME_SIZE, ctx.x[29]);
    le::put_u64(buf, FRAME_SIZE + 8, ctx.x[30]);
}

/// `setup_return` and `handle_signal`'s `valid_user_regs` check: the handler's
/// registers, for a frame at `frame` under the frame record at `record`.
#[inline]
fn setup_return(
    ctx: &Aarch64Context,
    d: &FrameRequest<'_>,
    handler: u64,
    record: u64,
    frame: u64,
) -> Result<Aarch64Context, FrameError> {
    let mut new = *ctx;
    new.x[0] = u64::from(d.sig.get());
    if d.action.flags().contains(SaFlags::SIGINFO) {
        new.x[1] = frame;
        new.x[2] = frame + UC as u64;
    }
    new.sp = frame;
    new.x[29] = record;
    new.x[30] = restorer_or_trampoline(d);
    new.pc = handler;
    new.pstate = valid_user_pstate(new.pstate & !PSTATE_TCO).ok_or(FrameError::BadRegisters)?;
    Ok(new)
}

/// `restore_fpsimd_context`: with FP state, the `fpsimd_context` the record walk
/// found must have its exact size, and its payload is loaded.
#[inline]
fn restore_fpsimd_context<M: UserMemory + ?Sized>(
    fp: &mut dyn FpHook,
    mem: &M,
    fpsimd: Option<(u64, u32)>,
) -> Result<(), FrameError> {
    let head = match fpsimd {
        Some((head, size)) if size as usize == FPSIMD_SIZE => head,
        _ => return Err(FrameError::BadRecord),
    };
    let mut img = [0u8; FP_IMAGE_LEN];
    read_user(mem, head + FPSIMD_PAYLOAD as u64, &mut img)?;
    if fp.restore(&img) {
        Ok(())
    } else {
        Err(FrameError::BadFpState)
    }
}

// The numbers are Linux's (include/uapi/asm-generic/unistd.h).
arch_frame!(Aarch64 for "aarch64" {
    context: Aarch64Context,
    nr_rt_sigreturn: 139,
    nr_restart_syscall: 128,
    restart_reset_first: true,
});

/// `setup_rt_frame` + `get_sigframe` + `setup_sigframe` + `setup_return`, then
/// the `valid_user_regs` check of `handle_signal`.
fn setup_rt_frame<M: UserMemory + ?Sized>(
    Setup(ctx, fp, mem, stack, d, handler): Setup<'_, Aarch64Context, M>,
) -> Result<HandlerFrame, FrameError> {
    let has_fp = fp_present(fp, FP_IMAGE_LEN)?;
    let (record, frame) = get_sigframe(ctx, stack, d)?;
    // A stack buffer (about 4.7 KiB): delivery never allocates.
    let mut buf = [0u8; FRAME_SIZE + RECORD_SIZE];
    setup_sigframe(&mut buf, ctx, fp, has_fp, stack, d);
    let new = setup_return(ctx, d, handler, record, frame)?;
    write_user(mem, frame, &buf)?;
    *ctx = new;
    Ok(HandlerFrame::at(frame, 0, UC))
}

/// `rt_sigreturn` + `restore_sigframe` + `parse_user_sigframe` +
/// `restore_fpsimd_context` + `restore_altstack`, reading only the fields Linux
/// reads (the mask, x0-x30, sp, pc, pstate, the record headers, the fpsimd
/// payload, `uc_stack`): the siginfo, `fault_address` and the unused end of
/// `__reserved` may be unmapped.
///
/// As in Linux, x0-x30, sp, pc and pstate reach the context before anything can
/// fail past the alignment check: a frame whose mask, a register slot, pstate,
/// records, FP payload or `uc_stack` is bad leaves the context holding the
/// frame's registers (a slot that faulted reads 0, an invalid pstate is cut
/// down to its NZCV flags), no system call to restart, and the SIGSEGV's
/// si_addr is that restored sp.
fn restore_rt_frame<M: UserMemory + ?Sized>(
    Restore(ctx, fp, mem, stack): Restore<'_, Aarch64Context, M>,
) -> Result<RestoredFrame, BadFrame> {
    let frame = ctx.sp;
    let bad = |e| notify_segfault(mem, e, None, frame);
    if !frame.is_multiple_of(16) {
        return Err(bad(FrameError::Misaligned));
    }
    let has_fp = fp_present(fp, FP_IMAGE_LEN).map_err(bad)?;
    if !access_ok(frame, FRAME_SIZE) {
        return Err(bad(FrameError::Fault));
    }
    // restore_sigframe: the mask if it can be read, then every register, one
    // that faults read as 0 (__get_user_error), the system call forgotten and
    // pstate sanitised (valid_user_regs cuts a bad one down to NZCV): all of
    // it lands in pt_regs whatever fails next.
    let mask = read_mask(mem, at(frame, UC_SIGMASK)).ok();
    let mut regs = [0u64; MC_REGS_WORDS];
    let all_read = read_user_words(mem, at(frame, MC_REGS), &mut regs, OnFault::ReadsZero);
    let (x, rest) = regs.split_at(31);
    ctx.x.copy_from_slice(x);
    let (sp, pc, pstate) = (rest[0], rest[1], rest[2]);
    ctx.sp = sp;
    ctx.pc = pc;
    ctx.in_syscall = false;
    let valid = valid_user_pstate(pstate);
    ctx.pstate = valid.unwrap_or(pstate & PSTATE_NZCV);
    let bad = |e| notify_segfault(mem, e, mask, sp);
    let Some(mask) = mask else {
        return Err(bad(FrameError::Fault));
    };
    if !all_read {
        return Err(bad(FrameError::Fault));
    }
    if valid.is_none() {
        return Err(bad(FrameError::BadRegisters));
    }

    let fpsimd = parse_records(frame, mem, has_fp).map_err(bad)?;
    if has_fp {
        restore_fpsimd_context(fp, mem, fpsimd).map_err(bad)?;
    }
    restore_altstack(mem, at(frame, UC_STACK), stack, sp, Arch::Aarch64).map_err(bad)?;
    Ok(RestoredFrame::restored(mask, ctx.x[0]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rt_sigframe_layout_matches_linux() {
        assert_eq!(FRAME_SIZE, 4688);
        assert_eq!(UC, 128);
        assert_eq!(size_of::<Ucontext>(), 4560);
        assert_eq!(size_of::<Sigcontext>(), 4384);
        assert_eq!(UC_STACK, 128 + 16);
        assert_eq!(UC_SIGMASK, 128 + 40);
        assert_eq!(offset_of!(Ucontext, unused), 48);
        assert_eq!(offset_of!(Ucontext, uc_mcontext), 176);
        assert_eq!(MC, 304);
        assert_eq!(MC_FAULT - MC, 0);
        assert_eq!(MC_REGS - MC, 8);
        assert_eq!(MC_SP - MC, 256);
        assert_eq!(MC_PC - MC, 264);
        assert_eq!(MC_PSTATE - MC, 272);
        assert_eq!(RESERVED - MC, 288);
        assert_eq!(RESERVED, 592);
    }

    #[test]
    fn record_layouts_match_linux() {
        assert_eq!(FPSIMD_SIZE, 528);
        assert_eq!(offset_of!(FpsimdContext, fpsr), 8);
        assert_eq!(offset_of!(FpsimdContext, fpcr), 12);
        assert_eq!(offset_of!(FpsimdContext, vregs), 16);
        assert_eq!(FP_IMAGE_LEN, 520);
        assert_eq!(ESR_SIZE, 16);
        assert_eq!(EXTRA_SIZE, 32);
        assert_eq!(offset_of!(ExtraContext, datap), 8);
        assert_eq!(offset_of!(ExtraContext, size), 16);
        assert_eq!(RECORD_SIZE, 16);
    }

    #[test]
    fn pstate_res0_mask_is_linux_genmask() {
        let genmask = |h: u32, l: u32| (u64::MAX >> (63 - h)) & (u64::MAX << l);
        assert_eq!(
            PSTATE_RES0,
            genmask(63, 32) | genmask(27, 26) | genmask(23, 22) | genmask(20, 13) | genmask(5, 5)
        );
        assert_eq!(valid_user_pstate(0), Some(0));
        assert_eq!(
            valid_user_pstate(PSTATE_NZCV | PSTATE_SS),
            Some(PSTATE_NZCV)
        );
        assert_eq!(valid_user_pstate(0x5), None, "EL1h");
        assert_eq!(valid_user_pstate(PSTATE_MODE32), None);
        assert_eq!(valid_user_pstate(1 << 7), None, "IRQs masked");
    }
}
