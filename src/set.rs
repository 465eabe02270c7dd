//! `SignalSet`: a set of signals in the kernel's 64-bit `sigset_t` layout.
//!
//! Bit `n - 1` stands for signal `n`, exactly as the kernel's `sigset_t` on every
//! 64-bit architecture, so a set is copied to and from user space as one `u64`.

use crate::signo::{NSIG, Signo};
use core::fmt;
use core::ops::{BitAnd, BitAndAssign, BitOr, BitOrAssign, Not, Sub};
use linux_raw_sys::general as abi;

/// A set of signals, bit `n - 1` for signal `n`.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
#[repr(transparent)]
pub struct SignalSet(u64);

const fn bit(n: u32) -> u64 {
    1u64 << (n - 1)
}

/// The set of the signal numbers `sigs`, at compile time.
const fn of(sigs: &[u32]) -> SignalSet {
    let mut bits = 0;
    let mut i = 0;
    while i < sigs.len() {
        bits |= bit(sigs[i]);
        i += 1;
    }
    SignalSet(bits)
}

impl SignalSet {
    /// No signal.
    pub const EMPTY: SignalSet = SignalSet(0);
    /// Every signal 1..=64.
    pub const ALL: SignalSet = SignalSet(u64::MAX >> (64 - NSIG));
    /// SIGKILL and SIGSTOP: never blocked, caught or ignored.
    pub const UNBLOCKABLE: SignalSet = of(&[abi::SIGKILL, abi::SIGSTOP]);
    /// Faults of the current instruction, dequeued first (`SYNCHRONOUS_MASK`).
    pub const SYNCHRONOUS: SignalSet = of(&[
        abi::SIGSEGV,
        abi::SIGBUS,
        abi::SIGILL,
        abi::SIGTRAP,
        abi::SIGFPE,
        abi::SIGSYS,
    ]);
    /// Stop signals (`SIG_KERNEL_STOP_MASK`).
    pub const STOP: SignalSet = of(&[abi::SIGSTOP, abi::SIGTSTP, abi::SIGTTIN, abi::SIGTTOU]);
    /// Signals whose default action discards them (`SIG_KERNEL_IGNORE_MASK`):
    /// CONT, CHLD, WINCH, URG.
    pub const DEFAULT_IGNORE: SignalSet =
        of(&[abi::SIGCONT, abi::SIGCHLD, abi::SIGWINCH, abi::SIGURG]);
    /// Signals whose default action dumps core (`SIG_KERNEL_COREDUMP_MASK`).
    pub const COREDUMP: SignalSet = of(&[
        abi::SIGQUIT,
        abi::SIGILL,
        abi::SIGTRAP,
        abi::SIGABRT,
        abi::SIGFPE,
        abi::SIGSEGV,
        abi::SIGBUS,
        abi::SIGSYS,
        abi::SIGXCPU,
        abi::SIGXFSZ,
    ]);
    /// Standard (non-real-time) signals 1..=31.
    pub const STANDARD: SignalSet = SignalSet(bit(abi::SIGRTMIN) - 1);
    /// Real-time signals 32..=64.
    pub const REALTIME: SignalSet = SignalSet(Self::ALL.0 & !Self::STANDARD.0);

    /// The set with exactly these bits (the user's `sigset_t` as it arrives).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn from_bits(bits: u64) -> SignalSet {
        SignalSet(bits)
    }

    /// The raw `sigset_t` word.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn bits(self) -> u64 {
        self.0
    }

    /// The set holding only `sig`.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn single(sig: Signo) -> SignalSet {
        SignalSet(sig.bit())
    }

    /// Membership.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn contains(self, sig: Signo) -> bool {
        self.0 & sig.bit() != 0
    }

    /// Adds `sig`; returns whether it was absent.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn insert(&mut self, sig: Signo) -> bool {
        let absent = !self.contains(sig);
        self.0 |= sig.bit();
        absent
    }

    /// Removes `sig`; returns whether it was present.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn remove(&mut self, sig: Signo) -> bool {
        let present = self.contains(sig);
        self.0 &= !sig.bit();
        present
    }

    /// `self ∪ other`.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn union(self, other: SignalSet) -> SignalSet {
        SignalSet(self.0 | other.0)
    }

    /// `self ∩ other`.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn intersection(self, other: SignalSet) -> SignalSet {
        SignalSet(self.0 & other.0)
    }

    /// `self \ other`.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn difference(self, other: SignalSet) -> SignalSet {
        SignalSet(self.0 & !other.0)
    }

    /// Every signal not in `self`.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn complement(self) -> SignalSet {
        SignalSet(!self.0 & Self::ALL.0)
    }

    /// The set with SIGKILL and SIGSTOP taken out, as every mask the kernel stores
    /// (`sigdelsetmask(&mask, sigmask(SIGKILL) | sigmask(SIGSTOP))`).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn without_unblockable(self) -> SignalSet {
        self.difference(Self::UNBLOCKABLE)
    }

    /// No member.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Number of members.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn len(self) -> u32 {
        self.0.count_ones()
    }

    /// The lowest-numbered member.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn first(self) -> Option<Signo> {
        if self.0 == 0 {
            None
        } else {
            match Signo::new(self.0.trailing_zeros() + 1) {
                Ok(s) => Some(s),
                Err(_) => None,
            }
        }
    }

    /// The signal the kernel delivers first from this set of deliverable signals
    /// (`next_signal`): a synchronous fault first, the lowest-numbered one, else the
    /// lowest-numbered signal ([rule 40]).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    ///
    /// [rule 40]: crate::docs::rules#rule-40
    pub const fn next_signal(self) -> Option<Signo> {
        let sync = self.intersection(Self::SYNCHRONOUS);
        if sync.is_empty() {
            self.first()
        } else {
            sync.first()
        }
    }

    /// Members in ascending order.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn iter(self) -> Iter {
        Iter(self.0)
    }
}

/// Ascending iterator over a [`SignalSet`].
#[derive(Clone)]
pub struct Iter(u64);

impl Iterator for Iter {
    type Item = Signo;
    fn next(&mut self) -> Option<Signo> {
        let s = SignalSet(self.0).first()?;
        self.0 &= self.0 - 1;
        Some(s)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.0.count_ones() as usize;
        (n, Some(n))
    }
}

impl ExactSizeIterator for Iter {}

impl IntoIterator for SignalSet {
    type Item = Signo;
    type IntoIter = Iter;
    fn into_iter(self) -> Iter {
        self.iter()
    }
}

impl FromIterator<Signo> for SignalSet {
    fn from_iter<I: IntoIterator<Item = Signo>>(iter: I) -> SignalSet {
        let mut set = SignalSet::EMPTY;
        for s in iter {
            set.insert(s);
        }
        set
    }
}

impl From<Signo> for SignalSet {
    fn from(s: Signo) -> SignalSet {
        SignalSet::single(s)
    }
}

/// Implements the operator `$op` (`$f`) as the set operation `$method`, and its
/// assigning form `$op_assign` (`$f_assign`) where there is one.
macro_rules! set_operator {
    ($op:ident::$f:ident => $method:ident $(, $op_assign:ident::$f_assign:ident)?) => {
        impl $op for SignalSet {
            type Output = SignalSet;
            fn $f(self, rhs: SignalSet) -> SignalSet {
                self.$method(rhs)
            }
        }
        $(
            impl $op_assign for SignalSet {
                fn $f_assign(&mut self, rhs: SignalSet) {
                    *self = self.$method(rhs);
                }
            }
        )?
    };
}

set_operator!(BitOr::bitor => union, BitOrAssign::bitor_assign);
set_operator!(BitAnd::bitand => intersection, BitAndAssign::bitand_assign);
set_operator!(Sub::sub => difference);

impl Not for SignalSet {
    type Output = SignalSet;
    fn not(self) -> SignalSet {
        self.complement()
    }
}

impl fmt::Debug for SignalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    fn sig(n: u32) -> Signo {
        Signo::new(n).unwrap()
    }

    #[test]
    fn layout_is_the_kernel_sigset_t() {
        assert_eq!(
            core::mem::size_of::<SignalSet>(),
            core::mem::size_of::<abi::sigset_t>()
        );
        assert_eq!(SignalSet::single(Signo::SIGHUP).bits(), 1);
        assert_eq!(SignalSet::single(Signo::SIGRTMAX).bits(), 1 << 63);
        assert_eq!(SignalSet::ALL.bits(), u64::MAX);
        assert_eq!(SignalSet::ALL.len(), 64);
    }

    #[test]
    fn next_signal_takes_synchronous_faults_first_then_the_lowest() {
        let set: SignalSet = [sig(1), sig(10), sig(11), sig(31), sig(40)]
            .into_iter()
            .collect();
        assert_eq!(set.next_signal(), Some(Signo::SIGSEGV));
        let set: SignalSet = [Signo::SIGSYS, Signo::SIGILL, Signo::SIGHUP]
            .into_iter()
            .collect();
        assert_eq!(
            set.next_signal(),
            Some(Signo::SIGILL),
            "lowest synchronous first"
        );
        let set: SignalSet = [Signo::SIGUSR1, Signo::SIGRTMIN].into_iter().collect();
        assert_eq!(set.next_signal(), Some(Signo::SIGUSR1));
        assert_eq!(SignalSet::EMPTY.next_signal(), None);
    }

    #[test]
    fn without_unblockable_drops_kill_and_stop_only() {
        let s = SignalSet::ALL.without_unblockable();
        assert!(!s.contains(Signo::SIGKILL) && !s.contains(Signo::SIGSTOP));
        assert_eq!(s.len(), 62);
    }

    proptest! {
        #[test]
        fn iteration_is_ascending_and_complete(bits in any::<u64>()) {
            let set = SignalSet::from_bits(bits);
            let v: Vec<u32> = set.iter().map(Signo::get).collect();
            prop_assert!(v.windows(2).all(|w| w[0] < w[1]));
            prop_assert_eq!(v.len() as u32, set.len());
            prop_assert_eq!(v.iter().map(|n| 1u64 << (n - 1)).fold(0, |a, b| a | b), bits);
        }

        #[test]
        fn set_algebra_matches_bit_algebra(a in any::<u64>(), b in any::<u64>()) {
            let (x, y) = (SignalSet::from_bits(a), SignalSet::from_bits(b));
            prop_assert_eq!((x | y).bits(), a | b);
            prop_assert_eq!((x & y).bits(), a & b);
            prop_assert_eq!((x - y).bits(), a & !b);
            prop_assert_eq!((!x).bits(), !a);
        }
    }
}
