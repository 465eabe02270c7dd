//! The frame tests' fixtures: the siginfo every delivery carries, actions and
//! deliveries, the property-test case count, FP images, and the restart table every
//! architecture is checked against.

use super::fp::ImageFp;
use super::signal_setup::{HANDLER, RESTORER, TRAMPOLINE, altstack, user_bytes};
use ksignal::frame::{FaultInfo, FrameRequest};
use ksignal::{SaFlags, SignalAction, SignalSet, SignalStack, Signo, SsFlags, UserBuffer};
use proptest::prelude::{Just, Strategy, prop_oneof};
use proptest::test_runner::Config;

/// The siginfo passed to every delivery.
pub const INFO: [u8; 128] = {
    let mut b = [0u8; 128];
    let mut i = 0;
    while i < 128 {
        b[i] = (i as u8) ^ 0xA5;
        i += 1;
    }
    b
};

/// A handler action with `flags`.
pub fn action(flags: SaFlags) -> SignalAction {
    SignalAction::new(
        ksignal::Disposition::Handler(HANDLER),
        flags,
        SignalSet::EMPTY,
        if flags.contains(SaFlags::RESTORER) {
            RESTORER
        } else {
            0
        },
    )
}

/// A delivery of `sig` with `action`.
pub fn delivery<'a>(sig: Signo, action: &'a SignalAction, saved: SignalSet) -> FrameRequest<'a> {
    FrameRequest {
        sig,
        action,
        info: &INFO,
        saved_mask: saved,
        trampoline: TRAMPOLINE,
        fault: FaultInfo::default(),
    }
}

/// Any of the alternate stacks a thread can have: none, an enabled one, an
/// SS_AUTODISARM one.
pub fn any_altstack() -> impl Strategy<Value = SignalStack> {
    prop_oneof![
        Just(SignalStack::DISABLED),
        Just(altstack(0)),
        Just(altstack(SsFlags::AUTODISARM.bits())),
    ]
}

/// proptest cases per property: `KSIGNAL_FRAME_CASES`, default 256.
pub fn cases() -> Config {
    let n = std::env::var("KSIGNAL_FRAME_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    Config {
        cases: n,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Little-endian u32 at `addr`.
pub fn user_u32(mem: &UserBuffer, addr: u64) -> u32 {
    u32::from_le_bytes(user_bytes(mem, addr, 4).try_into().unwrap())
}

/// The negated errno as a register value.
pub fn neg(e: ksignal::Errno) -> u64 {
    e.as_neg_ret() as u64
}

/// What the restart table ([rule 49]) does to a system call interrupted by a signal.
///
/// [rule 49]: ksignal::docs::rules#rule-49
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Restart {
    /// The call returns -EINTR; the pc stays after the system-call instruction.
    Eintr,
    /// The same call runs again: first argument restored, pc rewound.
    Again,
    /// `restart_syscall` runs instead: its number loaded, pc rewound.
    AgainViaRestartSyscall,
    /// Not a restart code: left alone.
    Untouched,
}

/// Every row of the restart table, shared by the four architectures' tests: the
/// call's result, the handler's flags (`None`: no handler runs), the outcome.
pub fn restart_rows() -> [(ksignal::Errno, Option<SaFlags>, Restart); 12] {
    use ksignal::Errno as E;
    let (plain, restart) = (Some(SaFlags::empty()), Some(SaFlags::RESTART));
    [
        (E::ERESTARTSYS, plain, Restart::Eintr),
        (E::ERESTARTSYS, restart, Restart::Again),
        (E::ERESTARTSYS, None, Restart::Again),
        (E::ERESTARTNOINTR, plain, Restart::Again),
        (E::ERESTARTNOINTR, None, Restart::Again),
        (E::ERESTARTNOHAND, restart, Restart::Eintr),
        (E::ERESTARTNOHAND, None, Restart::Again),
        (E::ERESTART_RESTARTBLOCK, plain, Restart::Eintr),
        (E::ERESTART_RESTARTBLOCK, restart, Restart::Eintr),
        (
            E::ERESTART_RESTARTBLOCK,
            None,
            Restart::AgainViaRestartSyscall,
        ),
        (E::EAGAIN, None, Restart::Untouched),
        (E::EINTR, plain, Restart::Untouched),
    ]
}

/// A return register whose low 32 bits hold `-e` and whose high 32 bits are not its
/// sign extension: a restart code to an architecture that reads the register as an
/// `int`, an ordinary value to one that reads all 64 bits.
pub fn int_aliased(e: ksignal::Errno) -> u64 {
    0x0000_0001_0000_0000 | (neg(e) & 0xFFFF_FFFF)
}

/// A copy of `src` in which only the ranges `[base + start, base + end)` are mapped
/// (each its own region): everything else faults.
pub fn only_ranges(src: &UserBuffer, base: u64, ranges: &[(u64, u64)]) -> UserBuffer {
    use ksignal::UserMemory;
    let mut m = UserBuffer::new();
    for &(s, e) in ranges {
        m = m.with_region((base + s) as usize, (e - s) as usize);
    }
    for &(s, e) in ranges {
        let bytes = user_bytes(src, base + s, (e - s) as usize);
        m.write((base + s) as usize, &bytes).unwrap();
    }
    m
}

impl ImageFp {
    /// A recognisable pattern of `len` bytes (last 4 zero: struct padding).
    pub fn pattern(len: usize, seed: u8) -> ImageFp {
        let mut v: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(7) ^ seed).collect();
        for b in v.iter_mut().rev().take(4) {
            *b = 0;
        }
        ImageFp::new(v)
    }
}
