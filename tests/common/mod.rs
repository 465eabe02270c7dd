//! Test support: a `WaitQueue` on std's `Mutex` + `Condvar`, standing in for a
//! kernel's wait queue when std threads play kernel tasks, and the fixtures of the
//! frame tests (user memory, a byte-image FP hook, deliveries).
#![allow(dead_code)]

use ksignal::{WaitOutcome, WaitQueue};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// One waiter; a wake before `wait` is remembered (no lost wake-up).
#[derive(Default)]
pub struct CondvarQueue {
    woken: Mutex<bool>,
    cv: Condvar,
}

impl WaitQueue for CondvarQueue {
    fn prepare_to_wait(&self) {
        *self.woken.lock().unwrap() = false;
    }

    fn wait(&self, timeout: Option<Duration>) -> WaitOutcome {
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut woken = self.woken.lock().unwrap();
        while !*woken {
            match deadline {
                None => woken = self.cv.wait(woken).unwrap(),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return WaitOutcome::TimedOut;
                    }
                    woken = self.cv.wait_timeout(woken, d - now).unwrap().0;
                }
            }
        }
        *woken = false;
        WaitOutcome::Woken {
            remaining: deadline.map(|d| d.saturating_duration_since(Instant::now())),
        }
    }

    fn finish_wait(&self) {}

    fn wake_one(&self) {
        *self.woken.lock().unwrap() = true;
        self.cv.notify_one();
    }
}

// ---- Frame-test fixtures ----

use ksignal::frame::FpHook;
use ksignal::{
    FaultInfo, FrameRequest, SaFlags, SignalAction, SignalSet, SignalStack, Signo, StackT,
    UserBuffer,
};
use proptest::test_runner::Config;

/// The main user stack region.
pub const STACK_BASE: usize = 0x7000_0000;
/// The alternate stack region.
pub const ALT_BASE: usize = 0x5000_0000;
/// Length of each region.
pub const REGION: usize = 0x3000;
/// The handler address used everywhere.
pub const HANDLER: usize = 0x40_1000;
/// `sa_restorer`.
pub const RESTORER: usize = 0x40_2000;
/// The vDSO trampoline.
pub const TRAMPOLINE: u64 = 0x7fff_f000;
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

/// Stack and altstack, both zero-filled.
pub fn memory() -> UserBuffer {
    UserBuffer::new()
        .with_region(STACK_BASE, REGION)
        .with_region(ALT_BASE, REGION)
}

/// A stack pointer near the top of the main stack.
pub fn stack_top() -> u64 {
    (STACK_BASE + REGION - 0x100) as u64
}

/// An alternate stack covering the whole alt region, with `flags`.
pub fn altstack(flags: u32) -> SignalStack {
    let mut s = SignalStack::DISABLED;
    s.sigaltstack(
        Some(StackT {
            ss_sp: ALT_BASE,
            ss_flags: flags,
            ss_size: REGION,
        }),
        0,
        0,
    )
    .unwrap();
    s
}

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

/// An FP hook holding its state as an image. `check` validates every image handed to
/// `restore` (the crate promises hooks only valid images).
#[derive(Clone, Debug)]
pub struct ImageFp {
    pub state: Vec<u8>,
    pub xfeatures: u64,
    pub resets: u32,
    pub restores: u32,
    pub check: fn(&ImageFp, &[u8]),
}

impl ImageFp {
    pub fn new(state: Vec<u8>) -> ImageFp {
        ImageFp {
            state,
            xfeatures: 0,
            resets: 0,
            restores: 0,
            check: |_, _| {},
        }
    }

    /// A recognisable pattern of `len` bytes (last 4 zero: struct padding).
    pub fn pattern(len: usize, seed: u8) -> ImageFp {
        let mut v: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(7) ^ seed).collect();
        for b in v.iter_mut().rev().take(4) {
            *b = 0;
        }
        ImageFp::new(v)
    }
}

impl FpHook for ImageFp {
    fn image_len(&self) -> usize {
        self.state.len()
    }
    fn save(&mut self, image: &mut [u8]) {
        image.copy_from_slice(&self.state);
    }
    fn restore(&mut self, image: &[u8]) -> bool {
        (self.check)(self, image);
        assert_eq!(image.len(), self.state.len());
        self.state.copy_from_slice(image);
        self.restores += 1;
        true
    }
    fn reset(&mut self) {
        self.state.fill(0);
        self.resets += 1;
    }
    fn x86_xfeatures(&self) -> u64 {
        self.xfeatures
    }
}

/// Reads `len` user bytes (panics if unmapped: test helper).
pub fn user_bytes(mem: &UserBuffer, addr: u64, len: usize) -> Vec<u8> {
    mem.bytes(addr as usize, len).expect("mapped").to_vec()
}

/// Little-endian u64 at `addr`.
pub fn user_u64(mem: &UserBuffer, addr: u64) -> u64 {
    u64::from_le_bytes(user_bytes(mem, addr, 8).try_into().unwrap())
}

/// Little-endian u32 at `addr`.
pub fn user_u32(mem: &UserBuffer, addr: u64) -> u32 {
    u32::from_le_bytes(user_bytes(mem, addr, 4).try_into().unwrap())
}

/// Writes `v` at `addr`.
pub fn put_u64(mem: &mut UserBuffer, addr: u64, v: u64) {
    use ksignal::UserMemory;
    mem.write(addr as usize, &v.to_le_bytes()).unwrap();
}

/// Writes `v` at `addr`.
pub fn put_u32(mem: &mut UserBuffer, addr: u64, v: u32) {
    use ksignal::UserMemory;
    mem.write(addr as usize, &v.to_le_bytes()).unwrap();
}

/// A mask with every signal, including the unblockable ones.
pub fn full_mask() -> SignalSet {
    SignalSet::ALL
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
