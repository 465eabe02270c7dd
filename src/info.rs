//! `SignalInfo`: the kernel's 128-byte `siginfo_t`, built for each source a kernel
//! uses and read back through typed accessors.
//!
//! The layout is the 64-bit one shared by every architecture this crate supports:
//! `si_signo` @0, `si_errno` @4, `si_code` @8, then the `_sifields` union @16. The
//! union's members are read and written at their byte offsets, so any 128 bytes
//! copied in from user space are a valid `SignalInfo` and no accessor can panic.
//!
//! Linux keeps only the first 48 bytes inside the kernel (`struct kernel_siginfo`,
//! `__SIGINFO`); the rest is zero when it reaches user space. Queues in this crate
//! keep bytes 4..48 of that compact form ([`SignalInfo::compact`]): `si_signo` is
//! the signal the entry is queued under, so a queue does not store it.

use crate::signo::Signo;
use core::fmt;
use linux_raw_sys::general as abi;

/// Size of `siginfo_t` (`SI_MAX_SIZE`).
pub const SIGINFO_SIZE: usize = abi::SI_MAX_SIZE as usize;
/// Bytes Linux keeps in the kernel (`sizeof(struct kernel_siginfo)` on 64-bit).
pub(crate) const KERNEL_SIGINFO_SIZE: usize = 48;

// Offsets of the `_sifields` members (include/uapi/asm-generic/siginfo.h, 64-bit).
const OFF_PID: usize = 16; // _kill/_rt/_sigchld: si_pid; _timer: si_tid
const OFF_UID: usize = 20; // si_uid; _timer: si_overrun
const OFF_VALUE: usize = 24; // _rt/_timer: si_value; _sigchld: si_status; _sigfault: lsb/trapno
const OFF_ADDR: usize = 16; // _sigfault: si_addr; _sigsys: si_call_addr; _sigpoll: si_band
const OFF_UTIME: usize = 32;
const OFF_STIME: usize = 40;
const OFF_FD: usize = 24; // _sigpoll: si_fd; _sigsys: si_syscall
const OFF_SYSCALL_ARCH: usize = 28;

/// `siginfo_t`, byte for byte.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(C, align(8))]
pub struct SignalInfo {
    bytes: [u8; SIGINFO_SIZE],
}

/// The `si_code` values of SIGCHLD (`CLD_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildCode {
    /// The child called `exit`.
    Exited,
    /// The child was killed by a signal.
    Killed,
    /// The child was killed by a signal and dumped core.
    Dumped,
    /// A traced child trapped.
    Trapped,
    /// The child stopped.
    Stopped,
    /// The child continued.
    Continued,
}

impl ChildCode {
    /// The `si_code` value.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn code(self) -> i32 {
        (match self {
            ChildCode::Exited => abi::CLD_EXITED,
            ChildCode::Killed => abi::CLD_KILLED,
            ChildCode::Dumped => abi::CLD_DUMPED,
            ChildCode::Trapped => abi::CLD_TRAPPED,
            ChildCode::Stopped => abi::CLD_STOPPED,
            ChildCode::Continued => abi::CLD_CONTINUED,
        }) as i32
    }
}

/// `si_code` values that say where a signal came from.
pub mod code {
    use linux_raw_sys::general as abi;
    /// `kill()` and other user sends.
    pub const SI_USER: i32 = abi::SI_USER as i32;
    /// Sent by the kernel.
    pub const SI_KERNEL: i32 = abi::SI_KERNEL as i32;
    /// `sigqueue()` / `rt_sigqueueinfo`.
    pub const SI_QUEUE: i32 = abi::SI_QUEUE;
    /// POSIX timer expiry.
    pub const SI_TIMER: i32 = abi::SI_TIMER;
    /// Message queue notification.
    pub const SI_MESGQ: i32 = abi::SI_MESGQ;
    /// Asynchronous I/O completion.
    pub const SI_ASYNCIO: i32 = abi::SI_ASYNCIO;
    /// Queued SIGIO.
    pub const SI_SIGIO: i32 = abi::SI_SIGIO;
    /// `tkill()` / `tgkill()`.
    pub const SI_TKILL: i32 = abi::SI_TKILL;
    /// `execve` killing subsidiary threads.
    pub const SI_DETHREAD: i32 = abi::SI_DETHREAD;
    /// `getaddrinfo_a` completion.
    pub const SI_ASYNCNL: i32 = abi::SI_ASYNCNL;
}

impl SignalInfo {
    /// All zero (no signal): the state of a fresh buffer.
    pub const ZERO: SignalInfo = SignalInfo {
        bytes: [0; SIGINFO_SIZE],
    };

    fn header(sig: Signo, code: i32) -> SignalInfo {
        let mut info = SignalInfo::ZERO;
        info.put_i32(0, sig.get() as i32);
        info.put_i32(8, code);
        info
    }

    /// `kill()`: `SI_USER` with the sender's tgid and real uid ([rule 24]).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    ///
    /// [rule 24]: crate::docs::rules#rule-24
    pub fn user(sig: Signo, pid: i32, uid: u32) -> SignalInfo {
        let mut i = SignalInfo::header(sig, code::SI_USER);
        i.put_i32(OFF_PID, pid);
        i.put_u32(OFF_UID, uid);
        i
    }

    /// `tkill()` / `tgkill()`: `SI_TKILL` with the sender's tgid and real uid.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn tkill(sig: Signo, pid: i32, uid: u32) -> SignalInfo {
        let mut i = SignalInfo::user(sig, pid, uid);
        i.put_i32(8, code::SI_TKILL);
        i
    }

    /// `sigqueue()`: `SI_QUEUE` with pid, uid and the `sigval` (`sival_ptr`-wide).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn queue(sig: Signo, pid: i32, uid: u32, value: u64) -> SignalInfo {
        let mut i = SignalInfo::user(sig, pid, uid);
        i.put_i32(8, code::SI_QUEUE);
        i.put_u64(OFF_VALUE, value);
        i
    }

    /// Sent by the kernel itself: `SI_KERNEL`, no sender.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn kernel(sig: Signo) -> SignalInfo {
        SignalInfo::header(sig, code::SI_KERNEL)
    }

    /// A POSIX timer expired: `SI_TIMER` with timer id, overrun count and value.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn timer(sig: Signo, timer_id: i32, overrun: i32, value: u64) -> SignalInfo {
        let mut i = SignalInfo::header(sig, code::SI_TIMER);
        i.put_i32(OFF_PID, timer_id);
        i.put_i32(OFF_UID, overrun);
        i.put_u64(OFF_VALUE, value);
        i
    }

    /// A child changed state: SIGCHLD with `CLD_*`, the child's pid and uid, its
    /// status (exit code or signal number) and CPU times in clock ticks.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn child(
        code: ChildCode,
        pid: i32,
        uid: u32,
        status: i32,
        utime: i64,
        stime: i64,
    ) -> SignalInfo {
        let mut i = SignalInfo::header(Signo::SIGCHLD, code.code());
        i.put_i32(OFF_PID, pid);
        i.put_u32(OFF_UID, uid);
        i.put_i32(OFF_VALUE, status);
        i.put_u64(OFF_UTIME, utime as u64);
        i.put_u64(OFF_STIME, stime as u64);
        i
    }

    /// A fault (SEGV, BUS, ILL, FPE, TRAP) with its `si_code` (`SEGV_MAPERR`...)
    /// and the faulting address.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn fault(sig: Signo, code: i32, addr: usize) -> SignalInfo {
        let mut i = SignalInfo::header(sig, code);
        i.put_u64(OFF_ADDR, addr as u64);
        i
    }

    /// A fault with a trap number (`si_trapno`, used by some architectures).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn fault_trapno(sig: Signo, code: i32, addr: usize, trapno: i32) -> SignalInfo {
        let mut i = SignalInfo::fault(sig, code, addr);
        i.put_i32(OFF_VALUE, trapno);
        i
    }

    /// seccomp's SIGSYS: call address, syscall number and audit arch.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn sys(code: i32, call_addr: usize, syscall: i32, arch: u32) -> SignalInfo {
        let mut i = SignalInfo::header(Signo::SIGSYS, code);
        i.put_u64(OFF_ADDR, call_addr as u64);
        i.put_i32(OFF_FD, syscall);
        i.put_u32(OFF_SYSCALL_ARCH, arch);
        i
    }

    /// SIGIO/SIGPOLL with band and file descriptor.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn poll(sig: Signo, code: i32, band: i64, fd: i32) -> SignalInfo {
        let mut i = SignalInfo::header(sig, code);
        i.put_u64(OFF_ADDR, band as u64);
        i.put_i32(OFF_FD, fd);
        i
    }

    /// What a dequeued signal reads as when it was sent without siginfo (a signal
    /// that went over RLIMIT_SIGPENDING, or SIGKILL/SIGSTOP): `SI_USER`, pid 0,
    /// uid 0 ([rule 15]).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    ///
    /// [rule 15]: crate::docs::rules#rule-15
    pub fn infoless(sig: Signo) -> SignalInfo {
        SignalInfo::user(sig, 0, 0)
    }

    /// Takes 128 bytes as copied in from user space; any content is accepted.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn from_bytes(bytes: [u8; SIGINFO_SIZE]) -> SignalInfo {
        SignalInfo { bytes }
    }

    /// The bytes, as copied out to user space.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub const fn as_bytes(&self) -> &[u8; SIGINFO_SIZE] {
        &self.bytes
    }

    /// The first 48 bytes, all the kernel keeps (`struct kernel_siginfo`).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    #[inline]
    pub fn compact(&self) -> [u64; KERNEL_SIGINFO_SIZE / 8] {
        let mut w = [0u64; KERNEL_SIGINFO_SIZE / 8];
        for (i, w) in w.iter_mut().enumerate() {
            *w = self.get_u64(i * 8);
        }
        w
    }

    /// Rebuilds from [`SignalInfo::compact`]; bytes 48..128 are zero, as Linux's
    /// `copy_siginfo_to_user` leaves them.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    #[inline]
    pub fn from_compact(words: [u64; KERNEL_SIGINFO_SIZE / 8]) -> SignalInfo {
        let mut i = SignalInfo::ZERO;
        i.set_compact(&words);
        i
    }

    /// Overwrites all 128 bytes with the compact form: the 48 bytes, then zeros.
    #[inline]
    pub(crate) fn set_compact(&mut self, words: &[u64; KERNEL_SIGINFO_SIZE / 8]) {
        for (chunk, w) in self.bytes.chunks_exact_mut(8).zip(words) {
            chunk.copy_from_slice(&w.to_ne_bytes());
        }
        self.bytes[KERNEL_SIGINFO_SIZE..].fill(0);
    }

    /// `si_code` of a compact siginfo, without expanding it.
    #[inline]
    pub(crate) fn compact_code(words: &[u64; KERNEL_SIGINFO_SIZE / 8]) -> i32 {
        let b = words[1].to_ne_bytes();
        i32::from_ne_bytes([b[0], b[1], b[2], b[3]])
    }

    /// Replaces `si_signo` (rt_sigqueueinfo overwrites the user's value, [rule 26]).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    ///
    /// [rule 26]: crate::docs::rules#rule-26
    pub fn set_signo(&mut self, sig: Signo) {
        self.put_i32(0, sig.get() as i32);
    }

    /// Replaces `si_code` (a seized tracee's PTRACE_EVENT_STOP siginfo).
    pub(crate) fn set_code(&mut self, code: i32) {
        self.put_i32(8, code);
    }

    /// `si_signo` as stored.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn signo_raw(&self) -> i32 {
        self.get_i32(0)
    }

    /// `si_signo` if it is a valid signal number.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn signo(&self) -> Option<Signo> {
        Signo::from_raw(self.signo_raw() as i64).ok()
    }

    /// `si_errno`.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn errno(&self) -> i32 {
        self.get_i32(4)
    }

    /// `si_code`.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    #[inline]
    pub fn code(&self) -> i32 {
        self.get_i32(8)
    }

    /// `si_pid` (kill, rt, sigchld layouts).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn pid(&self) -> i32 {
        self.get_i32(OFF_PID)
    }

    /// `si_uid` (kill, rt, sigchld layouts).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn uid(&self) -> u32 {
        self.get_u32(OFF_UID)
    }

    /// `si_value` as the full pointer-wide word (rt and timer layouts).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn value(&self) -> u64 {
        self.get_u64(OFF_VALUE)
    }

    /// `si_value.sival_int`.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn value_int(&self) -> i32 {
        self.get_i32(OFF_VALUE)
    }

    /// `si_timerid` (timer layout).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn timer_id(&self) -> i32 {
        self.get_i32(OFF_PID)
    }

    /// `si_overrun` (timer layout).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn overrun(&self) -> i32 {
        self.get_i32(OFF_UID)
    }

    /// Replaces `si_overrun` (timer layout): the delivery of a periodic timer's
    /// signal writes the overrun it computed ([rule 61]).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    ///
    /// [rule 61]: crate::docs::rules#rule-61
    pub fn set_overrun(&mut self, overrun: i32) {
        self.put_i32(OFF_UID, overrun);
    }

    /// `si_status` (sigchld layout).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn status(&self) -> i32 {
        self.get_i32(OFF_VALUE)
    }

    /// `si_utime` (sigchld layout).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn utime(&self) -> i64 {
        self.get_u64(OFF_UTIME) as i64
    }

    /// `si_stime` (sigchld layout).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn stime(&self) -> i64 {
        self.get_u64(OFF_STIME) as i64
    }

    /// `si_addr` (fault layout).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn addr(&self) -> usize {
        self.get_u64(OFF_ADDR) as usize
    }

    /// `si_trapno` (fault layout).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn trapno(&self) -> i32 {
        self.get_i32(OFF_VALUE)
    }

    /// `si_band` (poll layout).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn band(&self) -> i64 {
        self.get_u64(OFF_ADDR) as i64
    }

    /// `si_fd` (poll layout).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn fd(&self) -> i32 {
        self.get_i32(OFF_FD)
    }

    /// `si_syscall` (sys layout).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn syscall(&self) -> i32 {
        self.get_i32(OFF_FD)
    }

    /// `si_arch` (sys layout).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn arch(&self) -> u32 {
        self.get_u32(OFF_SYSCALL_ARCH)
    }

    /// Whether the `si_code` says user space sent it (every code `<= 0`): Linux's
    /// `SI_FROMUSER`.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn is_from_user(&self) -> bool {
        self.code() <= 0
    }

    /// Whether Linux knows the layout of this `(si_signo, si_code)` pair
    /// (`known_siginfo_layout`): an unknown one must carry zeros in bytes 48..128,
    /// else `rt_sigqueueinfo` fails with E2BIG ([rule 27]).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    ///
    /// [rule 27]: crate::docs::rules#rule-27
    pub fn has_known_layout(&self) -> bool {
        let code = self.code();
        if code == code::SI_KERNEL {
            return true;
        }
        // Every positive code but SI_KERNEL is known only up to its signal's limit:
        // above it (200, say) the layout is unknown, although `siginfo_layout` would
        // read such a code as SIL_KILL.
        if code > code::SI_USER {
            let limit = match self.signo_raw() as u32 {
                abi::SIGILL => Some(abi::NSIGILL),
                abi::SIGFPE => Some(abi::NSIGFPE),
                abi::SIGSEGV => Some(abi::NSIGSEGV),
                abi::SIGBUS => Some(abi::NSIGBUS),
                abi::SIGTRAP => Some(abi::NSIGTRAP),
                abi::SIGCHLD => Some(abi::NSIGCHLD),
                abi::SIGSYS => Some(abi::NSIGSYS),
                _ => None,
            };
            return code as u32 <= limit.unwrap_or(abi::NSIGPOLL);
        }
        code >= code::SI_DETHREAD || code == code::SI_ASYNCNL
    }

    /// Whether bytes 48..128 (beyond `struct kernel_siginfo`) are all zero.
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn expansion_is_zero(&self) -> bool {
        self.bytes[KERNEL_SIGINFO_SIZE..].iter().all(|b| *b == 0)
    }

    #[inline]
    fn get<const N: usize>(&self, off: usize) -> [u8; N] {
        let mut b = [0u8; N];
        if let Some(src) = self.bytes.get(off..off + N) {
            b.copy_from_slice(src);
        }
        b
    }

    #[inline]
    fn put(&mut self, off: usize, src: &[u8]) {
        if let Some(dst) = self.bytes.get_mut(off..off + src.len()) {
            dst.copy_from_slice(src);
        }
    }

    #[inline]
    fn get_i32(&self, off: usize) -> i32 {
        i32::from_ne_bytes(self.get(off))
    }

    #[inline]
    fn get_u32(&self, off: usize) -> u32 {
        u32::from_ne_bytes(self.get(off))
    }

    #[inline]
    fn get_u64(&self, off: usize) -> u64 {
        u64::from_ne_bytes(self.get(off))
    }

    #[inline]
    fn put_i32(&mut self, off: usize, v: i32) {
        self.put(off, &v.to_ne_bytes());
    }

    #[inline]
    fn put_u32(&mut self, off: usize, v: u32) {
        self.put(off, &v.to_ne_bytes());
    }

    #[inline]
    fn put_u64(&mut self, off: usize, v: u64) {
        self.put(off, &v.to_ne_bytes());
    }
}

impl Default for SignalInfo {
    fn default() -> SignalInfo {
        SignalInfo::ZERO
    }
}

impl fmt::Debug for SignalInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignalInfo")
            .field("signo", &self.signo_raw())
            .field("errno", &self.errno())
            .field("code", &self.code())
            .field("fields", &&self.compact()[2..])
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{align_of, offset_of, size_of};
    use proptest::prelude::*;

    #[test]
    fn siginfo_size_and_alignment_match_the_kernel() {
        assert_eq!(size_of::<SignalInfo>(), size_of::<abi::siginfo_t>());
        assert_eq!(size_of::<SignalInfo>(), 128);
        assert_eq!(align_of::<SignalInfo>(), align_of::<abi::siginfo_t>());
    }

    #[test]
    fn field_offsets_match_linux_raw_sys() {
        type Hdr = abi::siginfo__bindgen_ty_1__bindgen_ty_1;
        assert_eq!(offset_of!(Hdr, si_signo), 0);
        assert_eq!(offset_of!(Hdr, si_errno), 4);
        assert_eq!(offset_of!(Hdr, si_code), 8);
        let f = offset_of!(Hdr, _sifields);
        assert_eq!(f, 16);
        // The `_sifields` union members (`_kill`, `_timer`, `_rt`, ...).
        use abi::__sifields__bindgen_ty_1 as Kill;
        use abi::__sifields__bindgen_ty_2 as Timer;
        use abi::__sifields__bindgen_ty_3 as Rt;
        use abi::__sifields__bindgen_ty_4 as Sigchld;
        use abi::__sifields__bindgen_ty_5 as Sigfault;
        use abi::__sifields__bindgen_ty_6 as Sigpoll;
        use abi::__sifields__bindgen_ty_7 as Sigsys;
        // (field, its offset in its member, the crate's offset in the siginfo).
        let rows = [
            ("_kill._pid", offset_of!(Kill, _pid), OFF_PID),
            ("_kill._uid", offset_of!(Kill, _uid), OFF_UID),
            ("_timer._tid", offset_of!(Timer, _tid), OFF_PID),
            ("_timer._overrun", offset_of!(Timer, _overrun), OFF_UID),
            ("_timer._sigval", offset_of!(Timer, _sigval), OFF_VALUE),
            ("_rt._sigval", offset_of!(Rt, _sigval), OFF_VALUE),
            ("_sigchld._status", offset_of!(Sigchld, _status), OFF_VALUE),
            ("_sigchld._utime", offset_of!(Sigchld, _utime), OFF_UTIME),
            ("_sigchld._stime", offset_of!(Sigchld, _stime), OFF_STIME),
            ("_sigfault._addr", offset_of!(Sigfault, _addr), OFF_ADDR),
            (
                "__bindgen_anon_1",
                offset_of!(Sigfault, __bindgen_anon_1),
                OFF_VALUE,
            ),
            ("_sigpoll._band", offset_of!(Sigpoll, _band), OFF_ADDR),
            ("_sigpoll._fd", offset_of!(Sigpoll, _fd), OFF_FD),
            (
                "_sigsys._call_addr",
                offset_of!(Sigsys, _call_addr),
                OFF_ADDR,
            ),
            ("_sigsys._syscall", offset_of!(Sigsys, _syscall), OFF_FD),
            ("_sigsys._arch", offset_of!(Sigsys, _arch), OFF_SYSCALL_ARCH),
        ];
        for (field, off, ours) in rows {
            assert_eq!(f + off, ours, "_sifields.{field}");
        }
    }

    #[test]
    fn every_constructor_fits_in_the_kernel_siginfo_prefix() {
        let s = Signo::SIGUSR1;
        for i in [
            SignalInfo::user(s, 7, 1000),
            SignalInfo::tkill(s, 7, 1000),
            SignalInfo::queue(s, 7, 1000, u64::MAX),
            SignalInfo::kernel(s),
            SignalInfo::timer(s, 3, 9, 42),
            SignalInfo::child(ChildCode::Exited, 5, 6, 7, i64::MAX, -1),
            SignalInfo::fault_trapno(Signo::SIGSEGV, 1, usize::MAX, 14),
            SignalInfo::sys(1, 0x1234, 59, 0xc000_003e),
            SignalInfo::poll(Signo::SIGIO, 1, -1, 3),
        ] {
            assert!(i.expansion_is_zero());
            assert_eq!(SignalInfo::from_compact(i.compact()), i);
        }
    }

    #[test]
    fn constructors_fill_the_fields_linux_fills() {
        let k = SignalInfo::user(Signo::SIGTERM, 42, 1000);
        assert_eq!(
            (k.signo(), k.code(), k.pid(), k.uid()),
            (Some(Signo::SIGTERM), code::SI_USER, 42, 1000)
        );
        assert_eq!(
            SignalInfo::tkill(Signo::SIGTERM, 1, 2).code(),
            code::SI_TKILL
        );
        let q = SignalInfo::queue(Signo::SIGRTMIN, 3, 4, 0xffff_ffff_8000_0001);
        assert_eq!(
            (q.code(), q.value_int(), q.value()),
            (code::SI_QUEUE, i32::MIN + 1, 0xffff_ffff_8000_0001)
        );
        let t = SignalInfo::timer(Signo::SIGALRM, 3, 9, 42);
        assert_eq!(
            (t.code(), t.timer_id(), t.overrun(), t.value()),
            (code::SI_TIMER, 3, 9, 42)
        );
        let c = SignalInfo::child(ChildCode::Stopped, 5, 6, 19, 10, 20);
        assert_eq!(c.signo(), Some(Signo::SIGCHLD));
        assert_eq!(
            (c.code(), c.pid(), c.uid(), c.status(), c.utime(), c.stime()),
            (5, 5, 6, 19, 10, 20)
        );
        let f = SignalInfo::fault(Signo::SIGSEGV, abi::SEGV_MAPERR as i32, 0xdead_beef);
        assert_eq!((f.code(), f.addr()), (1, 0xdead_beef));
        let n = SignalInfo::infoless(Signo::SIGRTMIN);
        assert_eq!(
            (n.code(), n.pid(), n.uid(), n.value()),
            (code::SI_USER, 0, 0, 0)
        );
        assert_eq!(SignalInfo::kernel(Signo::SIGKILL).code(), code::SI_KERNEL);
    }

    #[test]
    fn known_layouts_follow_known_siginfo_layout() {
        let mk = |sig: u32, code: i32| {
            let mut b = [0u8; 128];
            b[..4].copy_from_slice(&(sig as i32).to_ne_bytes());
            b[8..12].copy_from_slice(&code.to_ne_bytes());
            SignalInfo::from_bytes(b)
        };
        assert!(mk(abi::SIGUSR1, code::SI_QUEUE).has_known_layout());
        assert!(mk(abi::SIGUSR1, code::SI_KERNEL).has_known_layout());
        assert!(mk(abi::SIGSEGV, abi::NSIGSEGV as i32).has_known_layout());
        assert!(!mk(abi::SIGSEGV, abi::NSIGSEGV as i32 + 1).has_known_layout());
        assert!(mk(abi::SIGUSR1, abi::NSIGPOLL as i32).has_known_layout());
        assert!(!mk(abi::SIGUSR1, abi::NSIGPOLL as i32 + 1).has_known_layout());
        assert!(!mk(abi::SIGUSR1, -8).has_known_layout());
        assert!(mk(abi::SIGUSR1, code::SI_ASYNCNL).has_known_layout());
        assert!(
            !mk(abi::SIGUSR1, 200).has_known_layout(),
            "known_siginfo_layout: codes above the limit are unknown, SI_KERNEL excepted"
        );
        assert!(!mk(abi::SIGSEGV, 0x81).has_known_layout());
    }

    proptest! {
        #[test]
        fn accessors_never_panic_on_bytes_from_user_space(bytes in proptest::collection::vec(any::<u8>(), 128)) {
            let mut b = [0u8; 128];
            b.copy_from_slice(&bytes);
            let i = SignalInfo::from_bytes(b);
            let _ = (i.signo(), i.code(), i.pid(), i.uid(), i.value(), i.status(), i.utime(), i.stime());
            let _ = (i.addr(), i.trapno(), i.band(), i.fd(), i.syscall(), i.arch(), i.has_known_layout());
            prop_assert_eq!(i.as_bytes(), &b);
        }
    }
}
