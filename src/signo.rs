//! Signal numbers in the kernel's numbering, and what each one means by default.
//!
//! The kernel numbers real-time signals from 32 (`SIGRTMIN`) to 64 (`SIGRTMAX`); C
//! libraries reserve 32..=34 for themselves and report a higher `SIGRTMIN`, but the
//! system-call ABI, and this crate, use the kernel's numbering.

use core::fmt;
use core::num::NonZeroU8;
use core::str::FromStr;
use linux_raw_sys::general as abi;

/// Number of signals (`_NSIG`): valid numbers are `1..=NSIG`.
pub const NSIG: u32 = abi::_NSIG;

/// A valid signal number, `1..=64`.
///
/// Signal 0 (the "does the process exist" probe of `kill`) is not a `Signo`: callers
/// that accept it use `Option<Signo>`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct Signo(NonZeroU8);

/// What the kernel does with a signal whose disposition is `SIG_DFL`
/// (include/linux/signal.h, `SIG_KERNEL_*_MASK`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DefaultAction {
    /// End the thread group.
    Terminate,
    /// End the thread group and dump core (this crate reports it; the kernel dumps).
    CoreDump,
    /// Stop the thread group.
    Stop,
    /// Resume a stopped group; the signal itself is then ignored.
    Continue,
    /// Nothing happens; the signal is discarded (even at generation, [rule 3]).
    ///
    /// [rule 3]: crate::docs::rules#rule-3
    Ignore,
}

/// The signal number was outside `1..=64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidSigno(pub i64);

impl fmt::Display for InvalidSigno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "signal number {} is outside 1..=64", self.0)
    }
}

macro_rules! standard_signals {
    ($($name:ident),* $(,)?) => {
        impl Signo {
            $(
                #[doc = concat!("`", stringify!($name), "`.")]
                pub const $name: Signo = Signo::from_abi(abi::$name);
            )*
        }
        /// Canonical names of 1..=31, indexed by number - 1.
        const STANDARD_NAMES: [&str; 31] = {
            let mut names = [""; 31];
            $( names[abi::$name as usize - 1] = stringify!($name); )*
            names
        };
    };
}

standard_signals!(
    SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGKILL, SIGUSR1, SIGSEGV,
    SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGSTKFLT, SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN,
    SIGTTOU, SIGURG, SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPWR, SIGSYS,
);

/// Input-only aliases: (alias, canonical number).
const ALIASES: [(&str, u32); 4] = [
    ("SIGIOT", abi::SIGIOT),
    ("SIGPOLL", abi::SIGPOLL),
    ("SIGCLD", abi::SIGCHLD),
    ("SIGUNUSED", abi::SIGUNUSED),
];

impl Signo {
    /// First real-time signal in the kernel's numbering (32).
    pub const SIGRTMIN: Signo = Signo::from_abi(abi::SIGRTMIN);
    /// Last real-time signal (64).
    pub const SIGRTMAX: Signo = Signo::from_abi(NSIG);

    const fn from_abi(n: u32) -> Signo {
        match Signo::new(n) {
            Ok(s) => s,
            Err(_) => panic!("ABI constant outside 1..=64"),
        }
    }

    /// Checks a number from user space: `Ok` for `1..=64`, else an error value.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn new(n: u32) -> Result<Signo, InvalidSigno> {
        if n >= 1 && n <= NSIG {
            // The range check above makes the value non-zero and below 256.
            match NonZeroU8::new(n as u8) {
                Some(v) => Ok(Signo(v)),
                None => Err(InvalidSigno(n as i64)),
            }
        } else {
            Err(InvalidSigno(n as i64))
        }
    }

    /// Like [`Signo::new`] for a signed raw system-call argument.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn from_raw(n: i64) -> Result<Signo, InvalidSigno> {
        if n >= 1 && n <= NSIG as i64 {
            Signo::new(n as u32)
        } else {
            Err(InvalidSigno(n))
        }
    }

    /// The number, `1..=64`.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn get(self) -> u32 {
        self.0.get() as u32
    }

    /// The bit for this signal in the kernel's `sigset_t`: bit `signo - 1`.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn bit(self) -> u64 {
        1u64 << (self.0.get() - 1)
    }

    /// Real-time signals (32..=64) queue one entry per send.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn is_realtime(self) -> bool {
        self.get() >= abi::SIGRTMIN
    }

    /// Whether the kernel refuses to let this signal be blocked, caught or ignored.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn is_unblockable(self) -> bool {
        self.get() == abi::SIGKILL || self.get() == abi::SIGSTOP
    }

    /// Signals that report a fault of the current instruction (SEGV, BUS, ILL, TRAP,
    /// FPE, SYS): the kernel dequeues these before any other (`SYNCHRONOUS_MASK`).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn is_synchronous(self) -> bool {
        crate::set::SignalSet::SYNCHRONOUS.contains(self)
    }

    /// STOP, TSTP, TTIN and TTOU (`SIG_KERNEL_STOP_MASK`).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn is_stop(self) -> bool {
        crate::set::SignalSet::STOP.contains(self)
    }

    /// The `SIG_DFL` action (include/linux/signal.h): every signal not listed as
    /// ignore, stop or core-dump terminates, real-time signals included.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn default_action(self) -> DefaultAction {
        use crate::set::SignalSet;
        if self.get() == abi::SIGCONT {
            DefaultAction::Continue
        } else if SignalSet::DEFAULT_IGNORE.contains(self) {
            DefaultAction::Ignore
        } else if SignalSet::STOP.contains(self) {
            DefaultAction::Stop
        } else if SignalSet::COREDUMP.contains(self) {
            DefaultAction::CoreDump
        } else {
            DefaultAction::Terminate
        }
    }

    /// Whether `SIG_DFL` discards the signal (CHLD, CONT, URG, WINCH): such a signal
    /// is dropped at generation unless blocked ([rule 3]).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    ///
    /// [rule 3]: crate::docs::rules#rule-3
    pub const fn default_is_ignore(self) -> bool {
        crate::set::SignalSet::DEFAULT_IGNORE.contains(self)
    }

    /// The canonical name: `SIGHUP`..`SIGSYS`, `SIGRTMIN`, `SIGRTMIN+n` (33..=48),
    /// `SIGRTMAX-n` (49..=63), `SIGRTMAX`.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn name(self) -> SignoName {
        SignoName(self)
    }
}

/// Display adapter returned by [`Signo::name`]; allocation-free.
#[derive(Clone, Copy)]
pub struct SignoName(Signo);

impl fmt::Display for SignoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0.get();
        let (min, max) = (abi::SIGRTMIN, NSIG);
        let mid = (min + max) / 2;
        if n < min {
            f.write_str(STANDARD_NAMES[n as usize - 1])
        } else if n == min {
            f.write_str("SIGRTMIN")
        } else if n <= mid {
            write!(f, "SIGRTMIN+{}", n - min)
        } else if n < max {
            write!(f, "SIGRTMAX-{}", max - n)
        } else {
            f.write_str("SIGRTMAX")
        }
    }
}

impl fmt::Debug for Signo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.name(), f)
    }
}

impl fmt::Display for Signo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.name(), f)
    }
}

impl TryFrom<u32> for Signo {
    type Error = InvalidSigno;
    fn try_from(n: u32) -> Result<Signo, InvalidSigno> {
        Signo::new(n)
    }
}

impl TryFrom<i32> for Signo {
    type Error = InvalidSigno;
    fn try_from(n: i32) -> Result<Signo, InvalidSigno> {
        Signo::from_raw(n as i64)
    }
}

impl From<Signo> for u32 {
    fn from(s: Signo) -> u32 {
        s.get()
    }
}

/// The text was not a signal name or number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParseSignoError;

impl fmt::Display for ParseSignoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a signal name or number in 1..=64")
    }
}

impl FromStr for Signo {
    type Err = ParseSignoError;

    /// Accepts a number `1..=64` or a name, case-insensitive, with or without the
    /// `SIG` prefix: the canonical names, `SIGRTMIN+n`, `SIGRTMAX-n`, and the aliases
    /// `SIGIOT`, `SIGPOLL`, `SIGCLD`, `SIGUNUSED`.
    fn from_str(s: &str) -> Result<Signo, ParseSignoError> {
        if let Ok(n) = s.parse::<u32>() {
            return Signo::new(n).map_err(|_| ParseSignoError);
        }
        let upper_eq = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        let bare = if s.len() >= 3 && upper_eq(&s[..3], "SIG") {
            &s[3..]
        } else {
            s
        };
        let rt = |rest: &str, base: u32, sign: i64| -> Result<Signo, ParseSignoError> {
            let off: i64 = if rest.is_empty() {
                0
            } else {
                let digits = rest.strip_prefix(if sign > 0 { '+' } else { '-' });
                digits
                    .and_then(|d| d.parse::<u8>().ok())
                    .ok_or(ParseSignoError)? as i64
            };
            let n = base as i64 + sign * off;
            if n < abi::SIGRTMIN as i64 {
                return Err(ParseSignoError);
            }
            Signo::from_raw(n).map_err(|_| ParseSignoError)
        };
        if bare.len() >= 5 && upper_eq(&bare[..5], "RTMIN") {
            return rt(&bare[5..], abi::SIGRTMIN, 1);
        }
        if bare.len() >= 5 && upper_eq(&bare[..5], "RTMAX") {
            return rt(&bare[5..], NSIG, -1);
        }
        let named = STANDARD_NAMES
            .iter()
            .zip(1u32..)
            .map(|(name, n)| (*name, n))
            .chain(ALIASES);
        for (name, n) in named {
            if upper_eq(&name[3..], bare) {
                return Signo::new(n).map_err(|_| ParseSignoError);
            }
        }
        Err(ParseSignoError)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    #[test]
    fn signal_numbers_come_from_the_kernel_numbering() {
        assert_eq!(Signo::SIGHUP.get(), 1);
        assert_eq!(Signo::SIGKILL.get(), 9);
        assert_eq!(Signo::SIGSYS.get(), 31);
        assert_eq!(
            Signo::SIGRTMIN.get(),
            32,
            "the kernel's SIGRTMIN, not glibc's 34"
        );
        assert_eq!(Signo::SIGRTMAX.get(), 64);
    }

    #[test]
    fn out_of_range_numbers_are_errors_not_panics() {
        assert_eq!(Signo::new(0), Err(InvalidSigno(0)));
        assert_eq!(Signo::new(65), Err(InvalidSigno(65)));
        assert_eq!(Signo::from_raw(-1), Err(InvalidSigno(-1)));
        assert_eq!(Signo::from_raw(i64::MIN), Err(InvalidSigno(i64::MIN)));
        assert!(Signo::try_from(u32::MAX).is_err());
    }

    #[test]
    fn names_round_trip_for_every_signal() {
        for n in 1..=64 {
            let s = Signo::new(n).unwrap();
            let name = s.name().to_string();
            assert_eq!(name.parse::<Signo>(), Ok(s), "{name}");
        }
        assert_eq!(Signo::new(33).unwrap().name().to_string(), "SIGRTMIN+1");
        assert_eq!(Signo::new(48).unwrap().name().to_string(), "SIGRTMIN+16");
        assert_eq!(Signo::new(49).unwrap().name().to_string(), "SIGRTMAX-15");
        assert_eq!(Signo::new(63).unwrap().name().to_string(), "SIGRTMAX-1");
        assert_eq!(Signo::SIGABRT.name().to_string(), "SIGABRT");
        assert_eq!(Signo::SIGCHLD.name().to_string(), "SIGCHLD");
        assert_eq!(Signo::SIGIO.name().to_string(), "SIGIO");
    }

    #[test]
    fn names_parse_without_prefix_case_insensitively_and_with_aliases() {
        assert_eq!("hup".parse(), Ok(Signo::SIGHUP));
        assert_eq!("sigterm".parse(), Ok(Signo::SIGTERM));
        assert_eq!("SIGIOT".parse(), Ok(Signo::SIGABRT));
        assert_eq!("SIGPOLL".parse(), Ok(Signo::SIGIO));
        assert_eq!("CLD".parse(), Ok(Signo::SIGCHLD));
        assert_eq!("rtmin+16".parse::<Signo>().map(Signo::get), Ok(48));
        assert_eq!("SIGRTMAX-32".parse::<Signo>().map(Signo::get), Ok(32));
        assert_eq!("17".parse(), Ok(Signo::SIGCHLD));
        for bad in [
            "",
            "SIG",
            "0",
            "65",
            "SIGRTMIN+33",
            "SIGRTMAX-33",
            "SIGRTMIN-1",
            "SIGFOO",
            "RTMAX+1",
        ] {
            assert!(bad.parse::<Signo>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn default_actions_follow_include_linux_signal_h() {
        use DefaultAction::*;
        let expect = |names: &[&str], action| {
            for n in names {
                assert_eq!(n.parse::<Signo>().unwrap().default_action(), action, "{n}");
            }
        };
        expect(&["CHLD", "URG", "WINCH"], Ignore);
        expect(&["CONT"], Continue);
        expect(&["STOP", "TSTP", "TTIN", "TTOU"], Stop);
        expect(
            &[
                "QUIT", "ILL", "TRAP", "ABRT", "FPE", "SEGV", "BUS", "SYS", "XCPU", "XFSZ",
            ],
            CoreDump,
        );
        expect(
            &[
                "HUP", "INT", "KILL", "USR1", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "VTALRM",
                "PROF", "IO", "PWR",
            ],
            Terminate,
        );
        for n in 32..=64 {
            assert_eq!(
                Signo::new(n).unwrap().default_action(),
                Terminate,
                "real-time {n}"
            );
        }
        assert!(Signo::SIGCONT.default_is_ignore());
        assert!(!Signo::SIGTERM.default_is_ignore());
    }

    #[test]
    fn classification_predicates() {
        assert!(Signo::SIGKILL.is_unblockable() && Signo::SIGSTOP.is_unblockable());
        assert!(!Signo::SIGTSTP.is_unblockable());
        for s in [
            Signo::SIGSEGV,
            Signo::SIGBUS,
            Signo::SIGILL,
            Signo::SIGTRAP,
            Signo::SIGFPE,
            Signo::SIGSYS,
        ] {
            assert!(s.is_synchronous());
        }
        assert!(!Signo::SIGABRT.is_synchronous());
        assert!(Signo::SIGTTOU.is_stop() && !Signo::SIGCONT.is_stop());
        assert!(Signo::SIGRTMIN.is_realtime() && !Signo::SIGSYS.is_realtime());
    }
}
