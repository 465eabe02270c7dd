//! `SignalAction`: one `sigaction` entry, and its codec to the kernel's layout.
//!
//! Invariants every `SignalAction` keeps (so no later code has to re-check):
//! - `mask` never contains SIGKILL or SIGSTOP ([rule 29]);
//! - `flags` holds only bits Linux keeps (`UAPI_SA_FLAGS` of include/linux/
//!   signal_types.h); `rt_sigaction` clears the rest, in what it stores and in what
//!   it reads back.
//!
//! [rule 29]: crate::docs::rules#rule-29

use crate::arch::{Arch, SA_RESTORER};
use crate::set::SignalSet;
use bitflags::bitflags;
use linux_raw_sys::general as abi;

bitflags! {
    /// `sa_flags`: every flag Linux keeps. Unknown bits never get in (see
    /// [`SaFlags::from_user`]).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct SaFlags: u64 {
        /// SIGCHLD is not sent when a child stops or continues.
        const NOCLDSTOP = abi::SA_NOCLDSTOP as u64;
        /// Children are reaped automatically (SIGCHLD only).
        const NOCLDWAIT = abi::SA_NOCLDWAIT as u64;
        /// The handler takes `(signo, siginfo *, ucontext *)`.
        const SIGINFO = abi::SA_SIGINFO as u64;
        /// Tag bits of fault addresses are exposed (arm64); kept as Linux keeps it.
        const EXPOSE_TAGBITS = abi::SA_EXPOSE_TAGBITS as u64;
        /// Run the handler on the alternate signal stack.
        const ONSTACK = abi::SA_ONSTACK as u64;
        /// Restart `-ERESTARTSYS` system calls after the handler.
        const RESTART = abi::SA_RESTART as u64;
        /// Do not block the signal itself while its handler runs.
        const NODEFER = abi::SA_NODEFER as u64;
        /// Reset the handler to `SIG_DFL` when the signal is delivered.
        const RESETHAND = abi::SA_RESETHAND as u64;
        /// `sa_restorer` holds the return trampoline (x86_64, arm64 only).
        const RESTORER = SA_RESTORER as u64;
    }
}

impl SaFlags {
    /// Keeps the bits `rt_sigaction` keeps on `arch` and drops every other one:
    /// `SA_UNSUPPORTED` (the probe bit), unassigned bits, bits above 31, and
    /// `SA_RESTORER` on architectures without it.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn from_user(bits: u64, arch: Arch) -> SaFlags {
        let mut keep = SaFlags::all().bits();
        if !arch.has_sa_restorer() {
            keep &= !SaFlags::RESTORER.bits();
        }
        SaFlags::from_bits_truncate(bits & keep)
    }
}

/// What happens when the signal is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Disposition {
    /// `SIG_DFL` (0): the signal's [`DefaultAction`](crate::DefaultAction).
    Default,
    /// `SIG_IGN` (1): discard.
    Ignore,
    /// Any other value: the user address of a handler.
    Handler(usize),
}

impl Disposition {
    /// Decodes a raw `sa_handler`: 0 is `SIG_DFL`, 1 is `SIG_IGN`, anything else a
    /// handler (Linux does not validate the address; a bad one faults in user mode).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn from_raw(raw: usize) -> Disposition {
        match raw {
            0 => Disposition::Default,
            1 => Disposition::Ignore,
            addr => Disposition::Handler(addr),
        }
    }

    /// The raw `sa_handler` value.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn to_raw(self) -> usize {
        match self {
            Disposition::Default => 0,
            Disposition::Ignore => 1,
            Disposition::Handler(addr) => addr,
        }
    }
}

/// One `sigaction` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SignalAction {
    disposition: Disposition,
    flags: SaFlags,
    mask: SignalSet,
    restorer: usize,
}

impl Default for SignalAction {
    fn default() -> SignalAction {
        SignalAction::DEFAULT
    }
}

impl SignalAction {
    /// `SIG_DFL`, no flags, empty mask: every entry's state at boot.
    pub const DEFAULT: SignalAction = SignalAction {
        disposition: Disposition::Default,
        flags: SaFlags::empty(),
        mask: SignalSet::EMPTY,
        restorer: 0,
    };

    /// `SIG_IGN`, no flags, empty mask.
    pub const IGNORE: SignalAction = SignalAction {
        disposition: Disposition::Ignore,
        ..SignalAction::DEFAULT
    };

    /// Builds an entry; SIGKILL and SIGSTOP are taken out of `mask`.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn new(
        disposition: Disposition,
        flags: SaFlags,
        mask: SignalSet,
        restorer: usize,
    ) -> SignalAction {
        SignalAction {
            disposition,
            flags,
            mask: mask.without_unblockable(),
            restorer,
        }
    }

    /// A handler entry with `flags` and `mask` (a convenience for tests and kernels).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn handler(addr: usize, flags: SaFlags, mask: SignalSet) -> SignalAction {
        SignalAction::new(Disposition::from_raw(addr), flags, mask, 0)
    }

    /// The disposition.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn disposition(&self) -> Disposition {
        self.disposition
    }

    /// `sa_flags`.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn flags(&self) -> SaFlags {
        self.flags
    }

    /// `sa_mask`, never holding SIGKILL or SIGSTOP.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn mask(&self) -> SignalSet {
        self.mask
    }

    /// `sa_restorer` (0 where the architecture has none).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn restorer(&self) -> usize {
        self.restorer
    }

    /// Whether a handler will run.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn is_handler(&self) -> bool {
        matches!(self.disposition, Disposition::Handler(_))
    }

    /// The same entry with `SIG_DFL` as disposition and flags and mask kept: what
    /// `SA_RESETHAND` leaves behind ([rule 47]) and what `exec` makes of a handler.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    ///
    /// [rule 47]: crate::docs::rules#rule-47
    pub const fn with_default_handler(self) -> SignalAction {
        SignalAction {
            disposition: Disposition::Default,
            ..self
        }
    }

    /// Encodes as four machine words (handler, flags, mask, restorer), the form the
    /// lock-free registry stores.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn to_words(&self) -> [u64; 4] {
        [
            self.disposition.to_raw() as u64,
            self.flags.bits(),
            self.mask.bits(),
            self.restorer as u64,
        ]
    }

    /// Decodes [`SignalAction::to_words`]; re-applies the invariants, so any words
    /// give a valid entry.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn from_words(w: [u64; 4]) -> SignalAction {
        SignalAction::new(
            Disposition::from_raw(w[0] as usize),
            SaFlags::from_bits_truncate(w[1]),
            SignalSet::from_bits(w[2]),
            w[3] as usize,
        )
    }

    /// Decodes the kernel's `struct sigaction` as `rt_sigaction` reads it from user
    /// memory on `arch` (`bytes.len()` must be [`Arch::sigaction_size`]): unknown
    /// flags cleared, SIGKILL/SIGSTOP removed from the mask. `None` on a wrong length.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn from_user_bytes(bytes: &[u8], arch: Arch) -> Option<SignalAction> {
        if bytes.len() != arch.sigaction_size() {
            return None;
        }
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            u64::from_ne_bytes(w)
        };
        let (restorer, mask) = if arch.has_sa_restorer() {
            (word(2), word(3))
        } else {
            (0, word(2))
        };
        Some(SignalAction::new(
            Disposition::from_raw(word(0) as usize),
            SaFlags::from_user(word(1), arch),
            SignalSet::from_bits(mask),
            restorer as usize,
        ))
    }

    /// Encodes into the kernel's `struct sigaction` layout for `arch`, as
    /// `rt_sigaction` writes `oact`. Returns the number of bytes written, or `None`
    /// if `out` is shorter than [`Arch::sigaction_size`].
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn write_user_bytes(&self, out: &mut [u8], arch: Arch) -> Option<usize> {
        let n = arch.sigaction_size();
        let out = out.get_mut(..n)?;
        let flags = SaFlags::from_user(self.flags.bits(), arch).bits();
        let words: &[u64] = if arch.has_sa_restorer() {
            &[
                self.disposition.to_raw() as u64,
                flags,
                self.restorer as u64,
                self.mask.bits(),
            ]
        } else {
            &[self.disposition.to_raw() as u64, flags, self.mask.bits()]
        };
        for (chunk, w) in out.chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&w.to_ne_bytes());
        }
        Some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signo::Signo;
    use proptest::prelude::*;

    #[test]
    fn sa_mask_never_holds_sigkill_or_sigstop() {
        let a = SignalAction::new(
            Disposition::Handler(0x1000),
            SaFlags::empty(),
            SignalSet::ALL,
            0,
        );
        assert!(!a.mask().contains(Signo::SIGKILL));
        assert!(!a.mask().contains(Signo::SIGSTOP));
        assert_eq!(a.mask().len(), 62);
    }

    #[test]
    fn unknown_sa_flags_are_cleared_as_linux_clears_them() {
        let unsupported = abi::SA_UNSUPPORTED as u64;
        let f = SaFlags::from_user(
            unsupported | (1 << 40) | 0x100 | abi::SA_SIGINFO as u64,
            Arch::X86_64,
        );
        assert_eq!(f, SaFlags::SIGINFO);
        assert!(SaFlags::from_user(SA_RESTORER as u64, Arch::X86_64).contains(SaFlags::RESTORER));
        assert!(SaFlags::from_user(SA_RESTORER as u64, Arch::Riscv64).is_empty());
    }

    #[test]
    fn handler_values_zero_and_one_are_dfl_and_ign() {
        assert_eq!(Disposition::from_raw(0), Disposition::Default);
        assert_eq!(Disposition::from_raw(1), Disposition::Ignore);
        assert_eq!(
            Disposition::from_raw(usize::MAX),
            Disposition::Handler(usize::MAX)
        );
    }

    #[test]
    fn resethand_keeps_flags_and_mask() {
        let a = SignalAction::handler(
            0x4000,
            SaFlags::RESETHAND | SaFlags::SIGINFO,
            SignalSet::single(Signo::SIGUSR2),
        );
        let r = a.with_default_handler();
        assert_eq!(r.disposition(), Disposition::Default);
        assert_eq!(r.flags(), a.flags());
        assert_eq!(r.mask(), a.mask());
    }

    #[test]
    #[allow(unsafe_code)]
    fn host_layout_matches_linux_raw_sys_kernel_sigaction() {
        let raw = abi::kernel_sigaction {
            sa_handler_kernel: None,
            sa_flags: (abi::SA_SIGINFO | abi::SA_RESTART) as _,
            #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
            sa_restorer: None,
            sa_mask: abi::kernel_sigset_t { sig: [0b1010] },
        };
        // SAFETY: kernel_sigaction is plain old data; reading its bytes is sound.
        let bytes = unsafe {
            core::slice::from_raw_parts(
                (&raw as *const abi::kernel_sigaction).cast::<u8>(),
                core::mem::size_of_val(&raw),
            )
        };
        let a = SignalAction::from_user_bytes(bytes, Arch::HOST).unwrap();
        assert_eq!(a.disposition(), Disposition::Default);
        assert_eq!(a.flags(), SaFlags::SIGINFO | SaFlags::RESTART);
        assert_eq!(a.mask().bits(), 0b1010);
        let mut out = [0u8; 32];
        assert_eq!(a.write_user_bytes(&mut out, Arch::HOST), Some(bytes.len()));
        assert_eq!(&out[..bytes.len()], bytes);
    }

    proptest! {
        #[test]
        fn user_bytes_round_trip_losslessly_after_sanitising(words in any::<[u64; 4]>(), arch_i in 0usize..4) {
            let arch = Arch::ALL[arch_i];
            let mut bytes = [0u8; 32];
            for (c, w) in bytes.chunks_exact_mut(8).zip(words) { c.copy_from_slice(&w.to_ne_bytes()); }
            let n = arch.sigaction_size();
            let a = SignalAction::from_user_bytes(&bytes[..n], arch).unwrap();
            let mut out = [0u8; 32];
            prop_assert_eq!(a.write_user_bytes(&mut out, arch), Some(n));
            let b = SignalAction::from_user_bytes(&out[..n], arch).unwrap();
            prop_assert_eq!(a, b);
            prop_assert_eq!(SignalAction::from_words(a.to_words()), a);
        }
    }
}
