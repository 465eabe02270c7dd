//! `SignalStack`: one thread's alternate signal stack (`sigaltstack`).
//!
//! Mirrors the `sas_ss_sp` / `sas_ss_size` / `sas_ss_flags` fields of Linux's
//! `task_struct` and the helpers around them: `do_sigaltstack`, `restore_altstack`
//! and `__save_altstack` (kernel/signal.c), `on_sig_stack`, `sas_ss_flags`, `sigsp`
//! and `sas_ss_reset` (include/linux/sched/signal.h).
//!
//! Linux never checks that the stack's range is sane: `ss_sp + ss_size` may wrap, and
//! a bad stack simply faults when a frame is written (→ SIGSEGV). Every computation
//! here is checked, so no input panics (Asterinas #1392 panicked on that overflow).

use crate::errno::Errno;
use bitflags::bitflags;
use linux_raw_sys::general as abi;

bitflags! {
    /// `ss_flags` bits.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct SsFlags: u32 {
        /// The thread is running on the alternate stack (output only; accepted as an
        /// input mode and treated like 0, as Linux does).
        const ONSTACK = abi::SS_ONSTACK;
        /// The alternate stack is disabled.
        const DISABLE = abi::SS_DISABLE;
        /// Disarm the alternate stack while a handler runs on it: it is reset when a
        /// frame is pushed and restored from `uc_stack` by `rt_sigreturn`.
        const AUTODISARM = abi::SS_AUTODISARM;
    }
}

/// `SS_FLAG_BITS`: the flag bits allowed besides the mode.
const SS_FLAG_BITS: u32 = abi::SS_AUTODISARM;

/// The user's `stack_t` (`sigaltstack`'s argument and `uc_stack`), as raw values.
///
/// Layout on every 64-bit Linux (24 bytes): `ss_sp` at 0, `ss_flags` (`int`) at 8,
/// 4 bytes of padding, `ss_size` at 16.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct StackT {
    /// Base (lowest address) of the stack.
    pub ss_sp: usize,
    /// Flags as the user passed them, or as the kernel reports them.
    pub ss_flags: u32,
    /// Size in bytes.
    pub ss_size: usize,
}

impl StackT {
    /// Size of the user `stack_t`.
    pub const SIZE: usize = 24;
    /// Offset of `ss_sp`.
    pub const SP_OFFSET: usize = 0;
    /// Offset of `ss_flags`.
    pub const FLAGS_OFFSET: usize = 8;
    /// Offset of `ss_size`.
    pub const SIZE_OFFSET: usize = 16;

    /// Decodes a user `stack_t` (little-endian, as on all four architectures). The
    /// padding is ignored.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn from_bytes(b: &[u8; Self::SIZE]) -> StackT {
        let mut sp = [0u8; 8];
        let mut flags = [0u8; 4];
        let mut size = [0u8; 8];
        sp.copy_from_slice(&b[0..8]);
        flags.copy_from_slice(&b[8..12]);
        size.copy_from_slice(&b[16..24]);
        StackT {
            ss_sp: to_usize(u64::from_le_bytes(sp)),
            ss_flags: u32::from_le_bytes(flags),
            ss_size: to_usize(u64::from_le_bytes(size)),
        }
    }

    /// Encodes as a user `stack_t`, padding zeroed.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        b[0..8].copy_from_slice(&(self.ss_sp as u64).to_le_bytes());
        b[8..12].copy_from_slice(&self.ss_flags.to_le_bytes());
        b[16..24].copy_from_slice(&(self.ss_size as u64).to_le_bytes());
        b
    }
}

/// A 64-bit user value as `usize`; saturates on (hypothetical) narrower hosts so a
/// decoded value can never alias a small address.
fn to_usize(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// One thread's alternate signal stack: plain data, copied with the thread.
///
/// The stored flags are exactly what `sigaltstack` accepted (a mode of 0,
/// `SS_ONSTACK` or `SS_DISABLE`, plus optionally `SS_AUTODISARM`); "disabled" means
/// `size == 0`, as in Linux's `sas_ss_flags`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignalStack {
    sp: usize,
    size: usize,
    flags: SsFlags,
}

impl Default for SignalStack {
    fn default() -> SignalStack {
        SignalStack::DISABLED
    }
}

impl SignalStack {
    /// No alternate stack: `sas_ss_reset` (sp 0, size 0, `SS_DISABLE`).
    pub const DISABLED: SignalStack = SignalStack {
        sp: 0,
        size: 0,
        flags: SsFlags::DISABLE,
    };

    /// Base address (`sas_ss_sp`).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn sp(&self) -> usize {
        self.sp
    }

    /// Size in bytes (`sas_ss_size`); 0 when disabled.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn size(&self) -> usize {
        self.size
    }

    /// The stored flags (`sas_ss_flags`), as `sigaltstack` accepted them.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn flags(&self) -> SsFlags {
        self.flags
    }

    /// `__on_sig_stack(sp)`: whether `sp` lies in `(ss_sp, ss_sp + ss_size]` (the top
    /// address counts, the base does not), decided by address only.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn contains(&self, sp: usize) -> bool {
        sp > self.sp && sp - self.sp <= self.size
    }

    /// `on_sig_stack(sp)`: [`contains`](Self::contains), except always false with
    /// `SS_AUTODISARM` (by construction a thread cannot be on an auto-disarmed stack,
    /// and a corrupted sp near its end must not block delivery).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn on_stack(&self, sp: usize) -> bool {
        if self.flags.contains(SsFlags::AUTODISARM) {
            false
        } else {
            self.contains(sp)
        }
    }

    /// `sas_ss_flags(sp)`: `SS_DISABLE` if no stack is set (size 0), else
    /// `SS_ONSTACK` if [`on_stack`](Self::on_stack), else empty.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn sas_ss_flags(&self, sp: usize) -> SsFlags {
        if self.size == 0 {
            SsFlags::DISABLE
        } else if self.on_stack(sp) {
            SsFlags::ONSTACK
        } else {
            SsFlags::empty()
        }
    }

    /// Whether a frame for a handler that asked for the alternate stack
    /// (`onstack_requested`: `SA_ONSTACK`) goes to the alternate stack: it must be
    /// set up and not already in use at `sp`.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn switches_to_altstack(&self, sp: usize, onstack_requested: bool) -> bool {
        onstack_requested && self.sas_ss_flags(sp).is_empty()
    }

    /// `sigsp(sp, ksig)`: the top of the alternate stack if the frame goes there (see
    /// [`switches_to_altstack`](Self::switches_to_altstack)), else `sp` unchanged.
    ///
    /// `None` when `ss_sp + ss_size` overflows: Linux wraps and the frame write
    /// then faults; the caller turns `None` into that fault (→ SIGSEGV).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn sigsp(&self, sp: usize, onstack_requested: bool) -> Option<usize> {
        if self.switches_to_altstack(sp, onstack_requested) {
            self.sp.checked_add(self.size)
        } else {
            Some(sp)
        }
    }

    /// `sas_ss_reset`: back to [`SignalStack::DISABLED`].
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn reset(&mut self) {
        *self = SignalStack::DISABLED;
    }

    /// What `signal_delivered` does after a frame was pushed: with `SS_AUTODISARM`
    /// the stack is reset, so a nested signal cannot reuse (and overwrite) it while the
    /// handler runs; `rt_sigreturn` restores it from `uc_stack`.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn disarm_after_delivery(&mut self) {
        if self.flags.contains(SsFlags::AUTODISARM) {
            self.reset();
        }
    }

    /// `__save_altstack`: what a signal frame's `uc_stack` records: the raw stored
    /// sp, flags and size (current kernels write the stored flags, which may include
    /// `SS_AUTODISARM`).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn to_uc_stack(&self) -> StackT {
        StackT {
            ss_sp: self.sp,
            ss_flags: self.flags.bits(),
            ss_size: self.size,
        }
    }

    /// What `sigaltstack` reports as the old stack (`oss`) for a thread whose user
    /// stack pointer is `sp`: stored sp and size, and flags `sas_ss_flags(sp)` plus
    /// the stored `SS_AUTODISARM`.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn old_stack(&self, sp: usize) -> StackT {
        StackT {
            ss_sp: self.sp,
            ss_flags: self.sas_ss_flags(sp).bits() | (self.flags.bits() & SS_FLAG_BITS),
            ss_size: self.size,
        }
    }

    /// `do_sigaltstack(ss, oss, sp, min_ss_size)`: validates and installs `ss` (if
    /// any) for a thread whose user stack pointer is `sp`, and returns the old stack
    /// as `sigaltstack` reports it ([`old_stack`](Self::old_stack), computed before
    /// any change). On error nothing changes and, as in Linux, `oss` is not reported.
    ///
    /// Linux's order: `EPERM` if the thread is [`on_stack`](Self::on_stack) at
    /// `sp`; `EINVAL` unless the mode (`ss_flags` without `SS_AUTODISARM`) is 0,
    /// `SS_ONSTACK` (accepted, treated like 0) or `SS_DISABLE`; no change if all three
    /// values equal the stored ones; `SS_DISABLE` stores sp 0 and size 0 whatever was
    /// passed; otherwise `ENOMEM` if `ss_size < min_ss_size` (pass
    /// [`Arch::min_sigstksz`](crate::Arch::min_sigstksz), or a larger dynamic minimum
    /// where the kernel enforces one). The flags are stored as passed.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn sigaltstack(
        &mut self,
        ss: Option<StackT>,
        sp: usize,
        min_ss_size: usize,
    ) -> Result<StackT, Errno> {
        let old = self.old_stack(sp);
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
        // `mode` is valid, so every bit of `ss_flags` is a known flag.
        let flags = SsFlags::from_bits_retain(ss.ss_flags);
        if self.sp == ss.ss_sp && self.size == ss.ss_size && self.flags == flags {
            return Ok(old);
        }
        let (new_sp, new_size) = if mode == abi::SS_DISABLE {
            (0, 0)
        } else if ss.ss_size < min_ss_size {
            return Err(Errno::ENOMEM);
        } else {
            (ss.ss_sp, ss.ss_size)
        };
        *self = SignalStack {
            sp: new_sp,
            size: new_size,
            flags,
        };
        Ok(old)
    }

    /// `restore_altstack`: `rt_sigreturn` re-installs the frame's `uc_stack` with the
    /// same checks as `sigaltstack`; every error (EPERM, EINVAL, ENOMEM) is ignored.
    /// (Only a fault reading `uc_stack` fails the sigreturn; the frame code handles
    /// that.)
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn restore(&mut self, uc_stack: StackT, sp: usize, min_ss_size: usize) {
        let _ignored = self.sigaltstack(Some(uc_stack), sp, min_ss_size);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::Arch;
    use core::mem::{offset_of, size_of};
    use proptest::prelude::*;

    const MIN: usize = 2048;

    fn st(sp: usize, flags: u32, size: usize) -> StackT {
        StackT {
            ss_sp: sp,
            ss_flags: flags,
            ss_size: size,
        }
    }

    fn enabled(sp: usize, size: usize, flags: SsFlags) -> SignalStack {
        let mut s = SignalStack::DISABLED;
        s.sigaltstack(Some(st(sp, flags.bits(), size)), 0, MIN)
            .unwrap();
        s
    }

    #[test]
    fn stack_t_codec_matches_linux_raw_sys_layout() {
        assert_eq!(size_of::<abi::stack_t>(), StackT::SIZE);
        assert_eq!(offset_of!(abi::stack_t, ss_sp), StackT::SP_OFFSET);
        assert_eq!(offset_of!(abi::stack_t, ss_flags), StackT::FLAGS_OFFSET);
        assert_eq!(offset_of!(abi::stack_t, ss_size), StackT::SIZE_OFFSET);
        let raw = abi::stack_t {
            ss_sp: 0x7000_1000usize as *mut _,
            ss_flags: abi::SS_AUTODISARM as i32,
            ss_size: 0x4000,
        };
        // Lay the raw fields out at linux-raw-sys's offsets (no unsafe: the struct has
        // padding, which must not be read as bytes).
        let mut bytes = [0u8; StackT::SIZE];
        let sp_off = offset_of!(abi::stack_t, ss_sp);
        let fl_off = offset_of!(abi::stack_t, ss_flags);
        let sz_off = offset_of!(abi::stack_t, ss_size);
        bytes[sp_off..sp_off + 8].copy_from_slice(&(raw.ss_sp as usize as u64).to_le_bytes());
        bytes[fl_off..fl_off + 4].copy_from_slice(&raw.ss_flags.to_le_bytes());
        bytes[sz_off..sz_off + 8].copy_from_slice(&raw.ss_size.to_le_bytes());
        let t = StackT::from_bytes(&bytes);
        assert_eq!(t, st(0x7000_1000, abi::SS_AUTODISARM, 0x4000));
        assert_eq!(t.to_bytes(), bytes);
    }

    #[test]
    fn ss_flags_values_are_linux_values() {
        assert_eq!(SsFlags::ONSTACK.bits(), 1);
        assert_eq!(SsFlags::DISABLE.bits(), 2);
        assert_eq!(SsFlags::AUTODISARM.bits(), 1 << 31);
    }

    #[test]
    fn initial_stack_is_disabled() {
        let s = SignalStack::default();
        assert_eq!(s.sas_ss_flags(0x1234), SsFlags::DISABLE);
        assert_eq!(s.old_stack(0x1234), st(0, abi::SS_DISABLE, 0));
        assert_eq!(s.sigsp(0x1234, true), Some(0x1234));
    }

    #[test]
    fn sigaltstack_while_on_it_is_eperm() {
        let mut s = enabled(0x10000, 0x4000, SsFlags::empty());
        let before = s;
        assert_eq!(
            s.sigaltstack(Some(st(0, abi::SS_DISABLE, 0)), 0x12000, MIN),
            Err(Errno::EPERM)
        );
        assert_eq!(s, before);
        // EPERM comes before the mode check.
        assert_eq!(
            s.sigaltstack(Some(st(0, 0x40, 0)), 0x12000, MIN),
            Err(Errno::EPERM)
        );
        // Querying while on it is fine and reports SS_ONSTACK.
        assert_eq!(
            s.sigaltstack(None, 0x14000, MIN),
            Ok(st(0x10000, abi::SS_ONSTACK, 0x4000))
        );
    }

    #[test]
    fn on_stack_is_by_address_top_inclusive_base_exclusive() {
        let s = enabled(0x10000, 0x4000, SsFlags::empty());
        assert!(!s.on_stack(0x10000), "base is not on the stack");
        assert!(s.on_stack(0x10001));
        assert!(s.on_stack(0x14000), "top counts");
        assert!(!s.on_stack(0x14001));
        assert_eq!(s.sas_ss_flags(0x14000), SsFlags::ONSTACK);
        assert_eq!(s.sas_ss_flags(0x9000), SsFlags::empty());
    }

    #[test]
    fn bad_mode_is_einval() {
        let mut s = SignalStack::DISABLED;
        for flags in [3, 4, 0x100, 0x4000_0000, abi::SS_AUTODISARM | 3, u32::MAX] {
            assert_eq!(
                s.sigaltstack(Some(st(0x10000, flags, 0x4000)), 0, MIN),
                Err(Errno::EINVAL),
                "flags {flags:#x}"
            );
        }
        assert_eq!(s, SignalStack::DISABLED);
    }

    #[test]
    fn ss_onstack_input_mode_is_accepted_like_zero() {
        let mut s = SignalStack::DISABLED;
        s.sigaltstack(Some(st(0x10000, abi::SS_ONSTACK, 0x4000)), 0, MIN)
            .unwrap();
        assert_eq!(s.sp(), 0x10000);
        assert_eq!(s.size(), 0x4000);
        // Stored as passed, but reported from the address.
        assert_eq!(s.flags(), SsFlags::ONSTACK);
        assert_eq!(s.old_stack(0x100), st(0x10000, 0, 0x4000));
        assert_eq!(s.to_uc_stack(), st(0x10000, abi::SS_ONSTACK, 0x4000));
    }

    #[test]
    fn ss_disable_ignores_sp_and_size() {
        let mut s = enabled(0x10000, 0x4000, SsFlags::empty());
        let old = s
            .sigaltstack(Some(st(0xdead_0000, abi::SS_DISABLE, 1)), 0, MIN)
            .unwrap();
        assert_eq!(old, st(0x10000, 0, 0x4000));
        assert_eq!((s.sp(), s.size()), (0, 0));
        assert_eq!(s.sas_ss_flags(0x10001), SsFlags::DISABLE);
        // A tiny size is no ENOMEM with SS_DISABLE.
        let mut s = SignalStack::DISABLED;
        assert!(
            s.sigaltstack(Some(st(5, abi::SS_DISABLE | abi::SS_AUTODISARM, 0)), 0, MIN)
                .is_ok()
        );
        assert_eq!(s.flags(), SsFlags::DISABLE | SsFlags::AUTODISARM);
        assert_eq!(
            s.old_stack(0),
            st(0, abi::SS_DISABLE | abi::SS_AUTODISARM, 0)
        );
    }

    #[test]
    fn size_below_minsigstksz_is_enomem() {
        for arch in Arch::ALL {
            let min = arch.min_sigstksz();
            let mut s = SignalStack::DISABLED;
            assert_eq!(
                s.sigaltstack(Some(st(0x10000, 0, min - 1)), 0, min),
                Err(Errno::ENOMEM)
            );
            assert_eq!(s, SignalStack::DISABLED);
            assert!(s.sigaltstack(Some(st(0x10000, 0, min)), 0, min).is_ok());
        }
    }

    #[test]
    fn einval_is_checked_before_enomem() {
        let mut s = SignalStack::DISABLED;
        assert_eq!(
            s.sigaltstack(Some(st(0x10000, 7, 1)), 0, MIN),
            Err(Errno::EINVAL)
        );
    }

    #[test]
    fn unchanged_request_returns_early() {
        let mut s = enabled(0x10000, 0x4000, SsFlags::empty());
        // Same values with a larger minimum: Linux returns 0 before the size check.
        assert!(
            s.sigaltstack(Some(st(0x10000, 0, 0x4000)), 0, 0x10000)
                .is_ok()
        );
        assert_eq!(s.size(), 0x4000);
    }

    #[test]
    fn autodisarm_makes_on_stack_false() {
        let mut s = enabled(0x10000, 0x4000, SsFlags::AUTODISARM);
        assert!(s.contains(0x12000));
        assert!(!s.on_stack(0x12000));
        assert_eq!(s.sas_ss_flags(0x12000), SsFlags::empty());
        // So sigaltstack from "inside" is allowed, and a frame would use the top again.
        assert_eq!(s.sigsp(0x12000, true), Some(0x14000));
        assert_eq!(
            s.old_stack(0x12000),
            st(0x10000, abi::SS_AUTODISARM, 0x4000)
        );
        assert!(
            s.sigaltstack(Some(st(0x20000, 0, 0x4000)), 0x12000, MIN)
                .is_ok()
        );
    }

    #[test]
    fn autodisarm_resets_after_delivery_and_restore_brings_it_back() {
        let mut s = enabled(0x10000, 0x4000, SsFlags::AUTODISARM);
        let saved = s.to_uc_stack();
        s.disarm_after_delivery();
        assert_eq!(s, SignalStack::DISABLED);
        s.restore(saved, 0x13000, MIN);
        assert_eq!(s, enabled(0x10000, 0x4000, SsFlags::AUTODISARM));
        // Without AUTODISARM nothing is reset.
        let mut s = enabled(0x10000, 0x4000, SsFlags::empty());
        s.disarm_after_delivery();
        assert_eq!(s.size(), 0x4000);
    }

    #[test]
    fn restore_altstack_ignores_every_error() {
        let mut s = enabled(0x10000, 0x4000, SsFlags::empty());
        let before = s;
        s.restore(st(0x20000, 0, 0x4000), 0x11000, MIN); // EPERM
        s.restore(st(0x20000, 9, 0x4000), 0x9000, MIN); // EINVAL
        s.restore(st(0x20000, 0, 16), 0x9000, MIN); // ENOMEM
        assert_eq!(s, before);
    }

    #[test]
    fn sigsp_uses_altstack_only_if_requested_enabled_and_not_in_use() {
        let s = enabled(0x10000, 0x4000, SsFlags::empty());
        assert_eq!(s.sigsp(0x9000, false), Some(0x9000), "not requested");
        assert_eq!(s.sigsp(0x9000, true), Some(0x14000));
        assert_eq!(s.sigsp(0x13000, true), Some(0x13000), "already on it");
        assert_eq!(
            SignalStack::DISABLED.sigsp(0x9000, true),
            Some(0x9000),
            "disabled"
        );
    }

    #[test]
    fn huge_altstack_range_never_overflows() {
        // Asterinas #1392: ss_sp + ss_size overflowed.
        let s = enabled(usize::MAX - 10, usize::MAX, SsFlags::empty());
        assert_eq!(s.sigsp(0x1000, true), None);
        assert!(s.contains(usize::MAX));
        assert!(!s.contains(0));
    }

    proptest! {
        #[test]
        fn sigaltstack_never_panics_and_keeps_invariants(
            sp in any::<usize>(), size in any::<usize>(), flags in any::<u32>(),
            cur_sp in any::<usize>(), start in any::<(usize, usize, bool)>(), min in 0usize..8192,
        ) {
            let mut s = SignalStack::DISABLED;
            let _ = s.sigaltstack(Some(st(start.0, if start.2 { abi::SS_AUTODISARM } else { 0 }, start.1)), 0, 0);
            let before = s;
            let r = s.sigaltstack(Some(st(sp, flags, size)), cur_sp, min);
            match r {
                Ok(old) => {
                    prop_assert_eq!(old, before.old_stack(cur_sp));
                    prop_assert!(s.size() == 0 || s.size() >= min || s == before);
                    prop_assert!((s.flags().bits() & !SS_FLAG_BITS) <= 2);
                }
                Err(_) => prop_assert_eq!(s, before),
            }
            let _ = s.sigsp(cur_sp, true);
            let _ = s.sas_ss_flags(cur_sp);
        }
    }
}
