//! `sigaltstack` (kernel/signal.c's `sys_sigaltstack`, `do_sigaltstack`; rule 37).
//!
//! The per-thread alternate stack is plain data that only its own thread touches
//! (`sigaltstack`, and the frame code when it delivers a signal with `SA_ONSTACK`),
//! so the kernel keeps an [`AltStack`] in its task and lends it to
//! [`sys_sigaltstack`].
//!
//! Provisional: the `frames` branch brings `crate::stack::SignalStack`, the same
//! state with the delivery-side helpers (`sigsp`, `SS_AUTODISARM`); once it is on
//! `main`, [`AltStack`] gives way to it and this module keeps only the copies.

use super::{Caller, SyscallRet, ret};
use crate::errno::Errno;
use crate::uaccess::UserMemory;
use crate::wait::WaitQueue;
use linux_raw_sys::general as abi;
use lock_api::RawMutex;

/// Size of the user `stack_t`: `ss_sp` at 0, `ss_flags` (`int`) at 8, padding,
/// `ss_size` at 16.
pub const STACK_T_SIZE: usize = 24;

/// `SS_FLAG_BITS`: the flag bits allowed besides the mode (`SS_AUTODISARM`).
const SS_FLAG_BITS: u32 = abi::SS_AUTODISARM;

/// A user `stack_t`, as raw values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StackT {
    /// Base (lowest address).
    pub ss_sp: usize,
    /// Flags.
    pub ss_flags: u32,
    /// Size in bytes.
    pub ss_size: usize,
}

impl StackT {
    /// Decodes the user's bytes (native byte order; padding ignored).
    pub fn from_bytes(b: &[u8; STACK_T_SIZE]) -> StackT {
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i..i + 8]);
            u64::from_ne_bytes(w)
        };
        let mut flags = [0u8; 4];
        flags.copy_from_slice(&b[8..12]);
        StackT {
            ss_sp: usize::try_from(word(0)).unwrap_or(usize::MAX),
            ss_flags: u32::from_ne_bytes(flags),
            ss_size: usize::try_from(word(16)).unwrap_or(usize::MAX),
        }
    }

    /// Encodes for user space, padding zeroed.
    pub fn to_bytes(&self) -> [u8; STACK_T_SIZE] {
        let mut b = [0u8; STACK_T_SIZE];
        b[0..8].copy_from_slice(&(self.ss_sp as u64).to_ne_bytes());
        b[8..12].copy_from_slice(&self.ss_flags.to_ne_bytes());
        b[16..24].copy_from_slice(&(self.ss_size as u64).to_ne_bytes());
        b
    }
}

/// One thread's alternate signal stack (`sas_ss_sp`, `sas_ss_size`,
/// `sas_ss_flags`). A new thread has none ([`AltStack::DISABLED`]); `fork` copies
/// it; `execve` resets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AltStack {
    sp: usize,
    size: usize,
    flags: u32,
}

impl Default for AltStack {
    fn default() -> AltStack {
        AltStack::DISABLED
    }
}

impl AltStack {
    /// No alternate stack (`sas_ss_reset`).
    pub const DISABLED: AltStack = AltStack {
        sp: 0,
        size: 0,
        flags: abi::SS_DISABLE,
    };

    /// Base address.
    pub const fn sp(&self) -> usize {
        self.sp
    }

    /// Size; 0 when disabled.
    pub const fn size(&self) -> usize {
        self.size
    }

    /// The flags as `sigaltstack` accepted them.
    pub const fn flags(&self) -> u32 {
        self.flags
    }

    /// `on_sig_stack(sp)`: `sp` in `(ss_sp, ss_sp + ss_size]`; never with
    /// `SS_AUTODISARM`.
    pub const fn on_stack(&self, sp: usize) -> bool {
        if self.flags & abi::SS_AUTODISARM != 0 {
            return false;
        }
        sp > self.sp && sp - self.sp <= self.size
    }

    /// `sas_ss_flags(sp)`: `SS_DISABLE` without a stack, `SS_ONSTACK` when running
    /// on it, else 0.
    pub const fn sas_ss_flags(&self, sp: usize) -> u32 {
        if self.size == 0 {
            abi::SS_DISABLE
        } else if self.on_stack(sp) {
            abi::SS_ONSTACK
        } else {
            0
        }
    }

    /// `do_sigaltstack(ss, oss, sp, min_ss_size)`: the old stack as `sigaltstack`
    /// reports it, and, with `ss`, the new one validated and installed (see
    /// [`sys_sigaltstack`] for the order). On error nothing changes.
    pub fn do_sigaltstack(
        &mut self,
        ss: Option<StackT>,
        sp: usize,
        min_ss_size: usize,
    ) -> Result<StackT, Errno> {
        let old = StackT {
            ss_sp: self.sp,
            ss_flags: self.sas_ss_flags(sp) | (self.flags & SS_FLAG_BITS),
            ss_size: self.size,
        };
        let Some(ss) = ss else {
            return Ok(old);
        };
        if self.on_stack(sp) {
            return Err(Errno::EPERM);
        }
        let mode = ss.ss_flags & !SS_FLAG_BITS;
        if mode != abi::SS_DISABLE && mode != abi::SS_ONSTACK && mode != 0 {
            return Err(Errno::EINVAL);
        }
        if self.sp == ss.ss_sp && self.size == ss.ss_size && self.flags == ss.ss_flags {
            return Ok(old);
        }
        let (sp, size) = if mode == abi::SS_DISABLE {
            (0, 0)
        } else if ss.ss_size < min_ss_size {
            return Err(Errno::ENOMEM);
        } else {
            (ss.ss_sp, ss.ss_size)
        };
        *self = AltStack {
            sp,
            size,
            flags: ss.ss_flags,
        };
        Ok(old)
    }
}

/// `sigaltstack(uss, uoss)` (rule 37), for a thread whose user stack pointer at
/// entry is `user_sp` (`current_user_stack_pointer()`), on its `stack`.
///
/// Order: with `uss` non-NULL, copy it in (EFAULT); then, with a new stack: EPERM
/// if the thread is running on its current alternate stack; EINVAL unless the mode
/// (`ss_flags` without `SS_AUTODISARM`) is 0, `SS_ONSTACK` (accepted, same as 0) or
/// `SS_DISABLE`; nothing to do if all three values equal the stored ones;
/// `SS_DISABLE` ignores `ss_sp` and `ss_size` (stores 0 and 0); otherwise ENOMEM if
/// `ss_size < MINSIGSTKSZ` of the caller's ABI. Only then, with `uoss` non-NULL and
/// no error, the old stack (flags `SS_DISABLE`, `SS_ONSTACK` or 0, plus a stored
/// `SS_AUTODISARM`) is copied out: EFAULT, with the new stack already installed.
///
/// Context: process context, on the calling thread; never blocks.
pub fn sys_sigaltstack<W: WaitQueue, R: RawMutex, M: UserMemory + ?Sized>(
    caller: &Caller<'_, W, R>,
    mem: &mut M,
    stack: &mut AltStack,
    uss: usize,
    uoss: usize,
    user_sp: usize,
) -> SyscallRet {
    let r = (|| {
        let ss = if uss != 0 {
            let mut b = [0u8; STACK_T_SIZE];
            mem.read(uss, &mut b)?;
            Some(StackT::from_bytes(&b))
        } else {
            None
        };
        let old = stack.do_sigaltstack(ss, user_sp, caller.arch.min_sigstksz())?;
        if uoss != 0 {
            mem.write(uoss, &old.to_bytes())?;
        }
        Ok(0)
    })();
    ret(r)
}
