//! [`SignalFd`] and what it is built from; the design notes are on [`SignalFd`].

use crate::errno::Errno;
use crate::hooks::{HookError, HookEvent, HookHandle, SignalHooks};
use crate::info::SignalInfo;
use crate::pidtype::PidType;
use crate::set::SignalSet;
use crate::signo::Signo;
use crate::sync::{AtomicU64, Ordering};
use crate::thread::ThreadSignalManager;
use crate::wait::WaitQueue;
use alloc::sync::Arc;
use linux_raw_sys::general as abi;
use lock_api::RawMutex;

/// `SFD_CLOEXEC`: the new descriptor is closed on `execve`. Linux defines it as
/// `O_CLOEXEC` (include/uapi/linux/signalfd.h).
pub const SFD_CLOEXEC: u32 = abi::O_CLOEXEC;
/// `SFD_NONBLOCK`: the new file is non-blocking. Linux defines it as `O_NONBLOCK`.
pub const SFD_NONBLOCK: u32 = abi::O_NONBLOCK;
/// `sizeof(struct signalfd_siginfo)`: every record a read returns is this long.
pub const SIGNALFD_SIGINFO_SIZE: usize = 128;

/// The flags of `signalfd4`, checked as `do_signalfd4` does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SfdFlags {
    /// SFD_CLOEXEC: the kernel sets close-on-exec on the new descriptor.
    pub cloexec: bool,
    /// SFD_NONBLOCK: the kernel opens the file with O_NONBLOCK.
    pub nonblock: bool,
}

impl SfdFlags {
    /// Decodes the `int flags` argument: EINVAL for any bit other than SFD_CLOEXEC
    /// and SFD_NONBLOCK.
    pub fn from_raw(flags: i32) -> Result<SfdFlags, Errno> {
        let flags = flags as u32;
        if flags & !(SFD_CLOEXEC | SFD_NONBLOCK) != 0 {
            return Err(Errno::EINVAL);
        }
        Ok(SfdFlags {
            cloexec: flags & SFD_CLOEXEC != 0,
            nonblock: flags & SFD_NONBLOCK != 0,
        })
    }
}

/// `struct signalfd_siginfo` (include/uapi/linux/signalfd.h; linux-raw-sys does not
/// have it): one 128-byte record of a signalfd read, the same on every
/// architecture. Field names are Linux's without the `ssi_` prefix.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
#[allow(missing_docs)]
pub struct SignalfdSiginfo {
    pub signo: u32,
    pub errno: i32,
    pub code: i32,
    pub pid: u32,
    pub uid: u32,
    pub fd: i32,
    pub tid: u32,
    pub band: u32,
    pub overrun: u32,
    pub trapno: u32,
    pub status: i32,
    pub int: i32,
    pub ptr: u64,
    pub utime: u64,
    pub stime: u64,
    pub addr: u64,
    pub addr_lsb: u16,
    pub pad2: u16,
    pub syscall: i32,
    pub call_addr: u64,
    pub arch: u32,
    pub pad: [u8; 28],
}

const _: () = assert!(core::mem::size_of::<SignalfdSiginfo>() == SIGNALFD_SIGINFO_SIZE);

/// `siginfo_layout`'s classes, as far as `signalfd_copyinfo` tells them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    Kill,
    Timer,
    Poll,
    Fault,
    FaultMceerr,
    Chld,
    Rt,
    Sys,
}

/// Linux's `siginfo_layout(sig, si_code)` on the architectures this crate supports
/// (none defines `SIGEMT`, none is sparc or alpha).
fn layout(sig: i32, code: i32) -> Layout {
    use crate::info::code as c;
    if code > c::SI_USER && code < c::SI_KERNEL {
        let limited = match sig as u32 {
            abi::SIGILL => Some((abi::NSIGILL, Layout::Fault)),
            abi::SIGFPE => Some((abi::NSIGFPE, Layout::Fault)),
            abi::SIGSEGV => Some((abi::NSIGSEGV, Layout::Fault)),
            abi::SIGBUS => Some((abi::NSIGBUS, Layout::Fault)),
            abi::SIGTRAP => Some((abi::NSIGTRAP, Layout::Fault)),
            abi::SIGCHLD => Some((abi::NSIGCHLD, Layout::Chld)),
            abi::SIGIO => Some((abi::NSIGPOLL, Layout::Poll)),
            abi::SIGSYS => Some((abi::NSIGSYS, Layout::Sys)),
            _ => None,
        };
        match limited {
            Some((limit, l)) if code as u32 <= limit => {
                let mce = sig as u32 == abi::SIGBUS
                    && (abi::BUS_MCEERR_AR..=abi::BUS_MCEERR_AO).contains(&(code as u32));
                // SEGV_BNDERR, SEGV_PKUERR and TRAP_PERF have layouts of their own
                // that signalfd copies as a plain fault (only `si_addr`).
                if mce { Layout::FaultMceerr } else { l }
            }
            _ if code as u32 <= abi::NSIGPOLL => Layout::Poll,
            _ => Layout::Kill,
        }
    } else if code == c::SI_TIMER {
        Layout::Timer
    } else if code == c::SI_SIGIO {
        Layout::Poll
    } else if code < 0 {
        Layout::Rt
    } else {
        Layout::Kill
    }
}

impl SignalfdSiginfo {
    /// `signalfd_copyinfo`: signal, errno and code, then the fields of the siginfo's
    /// layout class (pid and uid for kill; tid, overrun, ptr and int for timers;
    /// band and fd for poll; addr (and addr_lsb for machine-check SIGBUS) for faults; `ssi_trapno` stays 0, as no architecture this crate supports has a trapno layout; pid, uid,
    /// status, utime and stime for SIGCHLD; pid, uid, ptr and int for queued and
    /// real-time signals; call_addr, syscall and arch for SIGSYS); the rest zero.
    /// `ssi_band` keeps the low 32 bits of `si_band`, as Linux's assignment does.
    pub fn from_siginfo(info: &SignalInfo) -> SignalfdSiginfo {
        let mut s = SignalfdSiginfo {
            signo: info.signo_raw() as u32,
            errno: info.errno(),
            code: info.code(),
            ..SignalfdSiginfo::default()
        };
        let layout = layout(info.signo_raw(), info.code());
        // The fields two or more layouts share: the sender (kill, SIGCHLD, queued)
        // and the value (timers, queued).
        if matches!(layout, Layout::Kill | Layout::Chld | Layout::Rt) {
            s.pid = info.pid() as u32;
            s.uid = info.uid();
        }
        if matches!(layout, Layout::Timer | Layout::Rt) {
            s.ptr = info.value();
            s.int = info.value_int();
        }
        match layout {
            Layout::Kill | Layout::Rt => {}
            Layout::Timer => {
                s.tid = info.timer_id() as u32;
                s.overrun = info.overrun() as u32;
            }
            Layout::Poll => {
                s.band = info.band() as u32;
                s.fd = info.fd();
            }
            Layout::Fault => s.addr = info.addr() as u64,
            Layout::FaultMceerr => {
                s.addr = info.addr() as u64;
                // `si_addr_lsb` is a short at the offset of `si_trapno`.
                s.addr_lsb = info.trapno() as u16;
            }
            Layout::Chld => {
                s.status = info.status();
                s.utime = info.utime() as u64;
                s.stime = info.stime() as u64;
            }
            Layout::Sys => {
                s.call_addr = info.addr() as u64;
                s.syscall = info.syscall();
                s.arch = info.arch();
            }
        }
        s
    }

    /// The record as user space sees it (native byte order).
    pub fn to_bytes(&self) -> [u8; SIGNALFD_SIGINFO_SIZE] {
        let mut b = [0u8; SIGNALFD_SIGINFO_SIZE];
        let mut at = 0;
        let mut put = |x: &[u8]| {
            b[at..at + x.len()].copy_from_slice(x);
            at += x.len();
        };
        for w in [
            self.signo,
            self.errno as u32,
            self.code as u32,
            self.pid,
            self.uid,
        ] {
            put(&w.to_ne_bytes());
        }
        for w in [
            self.fd as u32,
            self.tid,
            self.band,
            self.overrun,
            self.trapno,
        ] {
            put(&w.to_ne_bytes());
        }
        put(&self.status.to_ne_bytes());
        put(&self.int.to_ne_bytes());
        for w in [self.ptr, self.utime, self.stime, self.addr] {
            put(&w.to_ne_bytes());
        }
        put(&self.addr_lsb.to_ne_bytes());
        put(&self.pad2.to_ne_bytes());
        put(&self.syscall.to_ne_bytes());
        put(&self.call_addr.to_ne_bytes());
        put(&self.arch.to_ne_bytes());
        put(&self.pad);
        b
    }
}

/// The private data of a signalfd file: the signals it reads.
///
/// # Design notes
///
/// signalfd: signals read as records from a file descriptor ([rule 55]; Linux's
/// fs/signalfd.c: `signalfd4`, `signalfd_read`, `signalfd_dequeue`,
/// `signalfd_copyinfo`, `signalfd_poll`).
///
/// [rule 55]: crate::docs::rules#rule-55
///
/// A [`SignalFd`] is the file's private data (Linux's `signalfd_ctx`): only a mask.
/// The kernel keeps it in its file table behind a descriptor; this module does what
/// the file's operations do:
///
/// - [`SignalFd::read`] dequeues signals of the mask from the **reading** thread's
///   private queue, then its process's shared queue, whatever the thread's mask or
///   the signals' dispositions (as `rt_sigtimedwait` does), and hands out one
///   128-byte [`SignalfdSiginfo`] per signal, as many as the buffer holds. After the
///   first record it never waits. Empty: EAGAIN when the file is non-blocking, else
///   the thread waits on its [`crate::WaitQueue`] until a signal of the mask is
///   generated for it or its process (it returns that one) or a signal becomes
///   deliverable to it (ERESTARTSYS, for the kernel's restart logic).
/// - [`SignalFd::is_ready`] is `signalfd_poll`: readable when the reading thread has
///   a signal of the mask pending, private or shared. [`SignalFd::watch`] registers
///   a generation hook ([`crate::SignalHooks`]) that calls the kernel back whenever
///   such a signal may have become pending, so that it can wake its pollers.
///
/// A signalfd does not change delivery: a signal of its mask that the thread does
/// not block is delivered as usual (and is then gone before anyone reads it);
/// signals outside the mask are never touched. Applications block the mask with
/// `sigprocmask` first.
///
/// # Whose signals: fork, exec, threads
/// As in Linux the file has no owner: every operation works on the signals of the
/// thread that calls it (`current`). A descriptor inherited across `fork` reads the
/// child's signals in the child and the parent's in the parent; one kept across
/// `execve` (without SFD_CLOEXEC) goes on reading the same process's signals; a
/// thread reads its own private queue and its process's shared one. So a kernel
/// shares the [`SignalFd`] (an `Arc`) wherever it shares the open file (`dup`,
/// `fork`, `SCM_RIGHTS`) and passes the calling thread's manager to each call.
///
/// A reader blocked on a signalfd whose mask [`SignalFd::set_mask`] changes is
/// woken and re-checks with the new mask, as Linux's `do_signalfd4` wakes
/// `signalfd_wqh`. (Linux wakes every signalfd reader of the updating process;
/// this wakes the readers of the file that changed, the only ones whose outcome
/// can change.)
#[derive(Debug)]
pub struct SignalFd {
    mask: AtomicU64,
    /// The wake-ups of the readers blocked on this file, run when the mask
    /// changes (a hook list used as a wait queue: lock-free to run).
    readers: SignalHooks,
}

impl SignalFd {
    /// A signalfd for `mask`, without SIGKILL and SIGSTOP (`do_signalfd4`'s
    /// `sigdelsetmask`: they can never be read).
    pub fn new(mask: SignalSet) -> SignalFd {
        SignalFd {
            mask: AtomicU64::new(mask.without_unblockable().bits()),
            readers: SignalHooks::new(),
        }
    }

    /// The signals it reads.
    pub fn mask(&self) -> SignalSet {
        SignalSet::from_bits(self.mask.load(Ordering::Acquire))
    }

    /// `signalfd4` on an existing signalfd: replaces the mask (SIGKILL and SIGSTOP
    /// left out) and wakes the readers blocked on it, which re-check with the new
    /// mask. The file's flags do not change, as in Linux.
    ///
    /// Context: any; lock-free, never allocates.
    pub fn set_mask(&self, mask: SignalSet) {
        self.mask
            .store(mask.without_unblockable().bits(), Ordering::Release);
        // The signal is only the key the readers' wake-ups are registered under.
        let key = Signo::SIGKILL;
        self.readers.run(key, &HookEvent::new(key, PidType::Tgid));
    }

    /// `signalfd_poll`: whether a read by `thread` would find a signal now (a signal
    /// of the mask pending in its private queue or its process's shared one).
    ///
    /// Context: any; never blocks beyond the signal lock.
    pub fn is_ready<W: WaitQueue, R: RawMutex>(&self, thread: &ThreadSignalManager<W, R>) -> bool {
        !(thread.pending_all() & self.mask()).is_empty()
    }

    /// Registers `wake` as a generation hook on `thread`'s process: it is called
    /// (from the sending context, possibly an interrupt, with the signal lock
    /// held: it must not block or allocate) each time a signal of this file's
    /// current mask becomes pending for the process or one of its threads, which is
    /// when Linux's `signalfd_notify` wakes the pollers. Unregister the handle
    /// through [`crate::ProcessSignalManager::hooks`] when the poll ends or the file
    /// is released.
    ///
    /// Context: process context (allocates).
    pub fn watch<W: WaitQueue, R: RawMutex>(
        self: &Arc<Self>,
        thread: &ThreadSignalManager<W, R>,
        wake: Arc<dyn Fn(Signo) + Send + Sync>,
    ) -> Result<HookHandle, HookError> {
        let me = self.clone();
        thread.process().hooks().register(
            SignalSet::ALL,
            Arc::new(move |sig: Signo, _: &HookEvent| {
                if me.mask().contains(sig) {
                    wake(sig);
                }
            }),
        )
    }

    /// `signalfd_dequeue` for `thread`: a signal of the mask, at once if one is
    /// pending; EAGAIN if not and `nonblock`; otherwise waits for one
    /// (ERESTARTSYS if a signal becomes deliverable to the thread first).
    fn dequeue<W: WaitQueue + 'static, R: RawMutex>(
        &self,
        thread: &ThreadSignalManager<W, R>,
        nonblock: bool,
        info: &mut SignalInfo,
    ) -> Result<Signo, Errno> {
        if let Some(sig) = thread.dequeue_in(self.mask(), info) {
            return Ok(sig);
        }
        if nonblock {
            return Err(Errno::EAGAIN);
        }
        // Linux waits on the process's `signalfd_wqh`, which `signalfd_notify` wakes
        // at every generation; here a hook wakes this thread's own queue.
        let link = thread.waker();
        let wake: crate::hooks::Hook =
            Arc::new(move |_: Signo, _: &HookEvent| link.wait.wake_one());
        let handle = thread
            .process()
            .hooks()
            .register(SignalSet::ALL, wake.clone())
            .map_err(|_| Errno::ENOMEM)?;
        let Ok(reader) = self.readers.register(SignalSet::ALL, wake) else {
            thread.process().hooks().unregister(handle);
            return Err(Errno::ENOMEM);
        };
        let wait = thread.wait_queue();
        let got = loop {
            wait.prepare_to_wait();
            if let Some(sig) = thread.dequeue_in(self.mask(), info) {
                wait.finish_wait();
                break Ok(sig);
            }
            if thread.has_pending() {
                wait.finish_wait();
                break Err(Errno::ERESTARTSYS);
            }
            wait.wait(None);
        };
        self.readers.unregister(reader);
        thread.process().hooks().unregister(handle);
        got
    }

    /// `signalfd_read` by `thread` into a buffer of `count` bytes: EINVAL if it
    /// cannot hold one [`SignalfdSiginfo`]; then up to `count / 128` signals of the
    /// mask are dequeued (private queue first, then shared; the usual order within
    /// each) and each record handed to `copy` with its byte offset in the buffer.
    /// Only the first may wait (unless `nonblock`, the file's O_NONBLOCK); after it
    /// the read stops at the first empty dequeue. Returns the bytes produced; if
    /// none, the first error: EAGAIN, ERESTARTSYS, or `copy`'s error (EFAULT),
    /// which Linux reports after the signal was already taken (it is lost, as in
    /// Linux). A `copy` error after some records returns those records' length.
    ///
    /// Context: process context, on `thread`; may block on its wait queue (not
    /// with `nonblock`), registering a generation hook meanwhile (allocates).
    pub fn read<W: WaitQueue + 'static, R: RawMutex>(
        &self,
        thread: &ThreadSignalManager<W, R>,
        count: usize,
        nonblock: bool,
        mut copy: impl FnMut(usize, &SignalfdSiginfo) -> Result<(), Errno>,
    ) -> Result<usize, Errno> {
        let mut left = count / SIGNALFD_SIGINFO_SIZE;
        if left == 0 {
            return Err(Errno::EINVAL);
        }
        let mut total = 0;
        let mut nonblock = nonblock;
        let mut info = SignalInfo::ZERO;
        while left > 0 {
            let step = self
                .dequeue(thread, nonblock, &mut info)
                .and_then(|_| copy(total, &SignalfdSiginfo::from_siginfo(&info)));
            if let Err(e) = step {
                return if total > 0 { Ok(total) } else { Err(e) };
            }
            total += SIGNALFD_SIGINFO_SIZE;
            nonblock = true;
            left -= 1;
        }
        Ok(total)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    extern crate std;
    use super::*;
    use crate::info::{ChildCode, code};
    use crate::process::ProcessSignalManager;
    use crate::{PendingLimit, SignalActions, WaitOutcome};
    use core::time::Duration;
    use std::sync::{Condvar, Mutex};
    use std::vec::Vec;

    /// A real sleeping wait queue (condition variable).
    #[derive(Default)]
    struct Cv {
        woken: Mutex<bool>,
        cv: Condvar,
    }

    impl WaitQueue for Cv {
        fn prepare_to_wait(&self) {
            *self.woken.lock().unwrap() = false;
        }
        fn wait(&self, timeout: Option<Duration>) -> WaitOutcome {
            let mut g = self.woken.lock().unwrap();
            while !*g {
                match timeout {
                    None => g = self.cv.wait(g).unwrap(),
                    Some(t) => {
                        let (ng, r) = self.cv.wait_timeout(g, t).unwrap();
                        g = ng;
                        if r.timed_out() && !*g {
                            return WaitOutcome::TimedOut;
                        }
                    }
                }
            }
            WaitOutcome::Woken { remaining: None }
        }
        fn finish_wait(&self) {}
        fn wake_one(&self) {
            *self.woken.lock().unwrap() = true;
            self.cv.notify_all();
        }
    }

    type P = ProcessSignalManager<Cv>;
    type T = ThreadSignalManager<Cv>;

    fn process() -> Arc<P> {
        Arc::new(P::new(
            Arc::new(SignalActions::new()),
            Arc::new(PendingLimit::new(64)),
        ))
    }

    fn thread(p: &Arc<P>, tid: i32, blocked: SignalSet) -> T {
        T::new(p, tid, blocked, Cv::default()).unwrap()
    }

    /// A thread with SIGUSR1 blocked and pending, and a signalfd for it.
    fn usr1_pending() -> (Arc<P>, T, SignalFd) {
        let p = process();
        let usr1 = SignalSet::single(Signo::SIGUSR1);
        let t = thread(&p, 1, usr1);
        p.send(Signo::SIGUSR1, None).unwrap();
        (p, t, SignalFd::new(usr1))
    }

    fn set(sigs: &[Signo]) -> SignalSet {
        sigs.iter()
            .fold(SignalSet::EMPTY, |s, x| s | SignalSet::single(*x))
    }

    fn read_all(fd: &SignalFd, t: &T, count: usize) -> Result<Vec<SignalfdSiginfo>, Errno> {
        let mut v = Vec::new();
        let n = fd.read(t, count, true, |off, r| {
            assert_eq!(off, v.len() * SIGNALFD_SIGINFO_SIZE);
            v.push(*r);
            Ok(())
        })?;
        assert_eq!(n, v.len() * SIGNALFD_SIGINFO_SIZE);
        Ok(v)
    }

    #[test]
    fn signalfd4_flags_other_than_cloexec_and_nonblock_are_einval() {
        assert_eq!(SfdFlags::from_raw(0), Ok(SfdFlags::default()));
        let both = SfdFlags::from_raw((SFD_CLOEXEC | SFD_NONBLOCK) as i32).unwrap();
        assert!(both.cloexec && both.nonblock);
        assert_eq!(SfdFlags::from_raw(1), Err(Errno::EINVAL));
        assert_eq!(
            SfdFlags::from_raw(abi::O_APPEND as i32 | SFD_CLOEXEC as i32),
            Err(Errno::EINVAL)
        );
        assert_eq!(SfdFlags::from_raw(-1), Err(Errno::EINVAL));
    }

    #[test]
    fn signalfd_mask_never_holds_sigkill_or_sigstop() {
        let fd = SignalFd::new(SignalSet::ALL);
        assert!(!fd.mask().contains(Signo::SIGKILL) && !fd.mask().contains(Signo::SIGSTOP));
        assert!(fd.mask().contains(Signo::SIGUSR1));
        fd.set_mask(set(&[Signo::SIGKILL, Signo::SIGUSR2]));
        assert_eq!(fd.mask(), set(&[Signo::SIGUSR2]));
    }

    #[test]
    fn read_shorter_than_one_record_is_einval() {
        let (_p, t, fd) = usr1_pending();
        assert_eq!(read_all(&fd, &t, 127).unwrap_err(), Errno::EINVAL);
        assert!(fd.is_ready(&t), "nothing was taken");
    }

    #[test]
    fn read_takes_private_signals_before_shared_ones() {
        let p = process();
        let mask = set(&[Signo::SIGUSR1, Signo::SIGUSR2]);
        let t = thread(&p, 1, mask);
        p.send(
            Signo::SIGUSR1,
            Some(&SignalInfo::user(Signo::SIGUSR1, 7, 0)),
        )
        .unwrap();
        t.send(
            Signo::SIGUSR2,
            Some(&SignalInfo::tkill(Signo::SIGUSR2, 8, 0)),
        )
        .unwrap();
        let fd = SignalFd::new(mask);
        let got = read_all(&fd, &t, 1024).unwrap();
        let sigs: Vec<u32> = got.iter().map(|r| r.signo).collect();
        assert_eq!(sigs, [abi::SIGUSR2, abi::SIGUSR1]);
        assert_eq!((got[0].pid, got[1].pid), (8, 7));
        assert!(!fd.is_ready(&t));
    }

    #[test]
    fn read_returns_as_many_records_as_fit() {
        let p = process();
        let rt = Signo::SIGRTMIN;
        let t = thread(&p, 1, set(&[rt]));
        for v in 0..3u64 {
            p.send(rt, Some(&SignalInfo::queue(rt, 5, 6, v))).unwrap();
        }
        let fd = SignalFd::new(set(&[rt]));
        let two = read_all(&fd, &t, 2 * 128 + 100).unwrap();
        assert_eq!(two.iter().map(|r| r.ptr).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(read_all(&fd, &t, 128).unwrap()[0].ptr, 2);
    }

    #[test]
    fn empty_nonblocking_read_is_eagain() {
        let p = process();
        let t = thread(&p, 1, SignalSet::EMPTY);
        let fd = SignalFd::new(set(&[Signo::SIGUSR1]));
        assert_eq!(read_all(&fd, &t, 128).unwrap_err(), Errno::EAGAIN);
    }

    #[test]
    fn signals_outside_the_mask_are_not_read() {
        let p = process();
        let t = thread(&p, 1, set(&[Signo::SIGUSR1, Signo::SIGUSR2]));
        p.send(Signo::SIGUSR2, None).unwrap();
        let fd = SignalFd::new(set(&[Signo::SIGUSR1]));
        assert!(!fd.is_ready(&t));
        assert_eq!(read_all(&fd, &t, 128).unwrap_err(), Errno::EAGAIN);
        assert_eq!(t.sigpending(), set(&[Signo::SIGUSR2]), "still pending");
    }

    #[test]
    fn unblocked_signals_in_the_mask_are_still_delivered() {
        let p = process();
        let t = thread(&p, 1, SignalSet::EMPTY);
        p.actions().set(
            Signo::SIGUSR1,
            crate::SignalAction::handler(0x1000, crate::SaFlags::empty(), SignalSet::EMPTY),
        );
        let fd = SignalFd::new(set(&[Signo::SIGUSR1]));
        p.send(Signo::SIGUSR1, None).unwrap();
        assert!(t.has_pending(), "deliverable as usual");
        match t.get_signal() {
            Some(crate::Delivery::Handler(d)) => assert_eq!(d.sig, Signo::SIGUSR1),
            other => panic!("{other:?}"),
        }
        assert_eq!(read_all(&fd, &t, 128).unwrap_err(), Errno::EAGAIN);
    }

    #[test]
    fn mask_update_changes_what_the_next_read_takes() {
        let p = process();
        let t = thread(&p, 1, set(&[Signo::SIGUSR1, Signo::SIGUSR2]));
        let fd = SignalFd::new(set(&[Signo::SIGUSR1]));
        p.send(Signo::SIGUSR2, None).unwrap();
        assert!(!fd.is_ready(&t));
        fd.set_mask(set(&[Signo::SIGUSR2]));
        assert!(fd.is_ready(&t));
        assert_eq!(read_all(&fd, &t, 128).unwrap()[0].signo, abi::SIGUSR2);
    }

    #[test]
    fn each_thread_reads_its_own_private_queue_and_the_shared_one() {
        let p = process();
        let mask = set(&[Signo::SIGUSR1, Signo::SIGUSR2]);
        let a = thread(&p, 1, mask);
        let b = thread(&p, 2, mask);
        a.send(Signo::SIGUSR1, None).unwrap();
        p.send(Signo::SIGUSR2, None).unwrap();
        let fd = SignalFd::new(mask);
        let from_b = read_all(&fd, &b, 1024).unwrap();
        assert_eq!(from_b.len(), 1);
        assert_eq!(from_b[0].signo, abi::SIGUSR2, "b sees only the shared one");
        assert_eq!(read_all(&fd, &a, 1024).unwrap()[0].signo, abi::SIGUSR1);
    }

    #[test]
    fn a_forked_child_reads_its_own_signals_through_an_inherited_signalfd() {
        let parent = process();
        let mask = set(&[Signo::SIGUSR1]);
        let pt = thread(&parent, 1, mask);
        let child = Arc::new(parent.fork(false));
        let ct = thread(&child, 2, mask);
        let fd = Arc::new(SignalFd::new(mask));
        let inherited = fd.clone();
        parent.send(Signo::SIGUSR1, None).unwrap();
        assert!(!inherited.is_ready(&ct));
        assert_eq!(read_all(&inherited, &ct, 128).unwrap_err(), Errno::EAGAIN);
        assert_eq!(read_all(&fd, &pt, 128).unwrap()[0].signo, abi::SIGUSR1);
    }

    #[test]
    fn is_ready_sees_a_pending_signal_of_the_mask_private_or_shared() {
        let p = process();
        let t = thread(&p, 1, SignalSet::ALL);
        let other = thread(&p, 2, SignalSet::ALL);
        let fd = SignalFd::new(set(&[Signo::SIGUSR1, Signo::SIGUSR2]));
        assert!(!fd.is_ready(&t));
        p.send(Signo::SIGTERM, None).unwrap();
        assert!(!fd.is_ready(&t), "a signal outside the mask");
        other.send(Signo::SIGUSR1, None).unwrap();
        assert!(!fd.is_ready(&t), "another thread's private signal");
        assert!(fd.is_ready(&other));
        t.send(Signo::SIGUSR2, None).unwrap();
        assert!(fd.is_ready(&t), "its own private signal");
        read_all(&fd, &t, 128).unwrap();
        assert!(!fd.is_ready(&t));
        p.send(Signo::SIGUSR1, None).unwrap();
        assert!(fd.is_ready(&t), "a shared signal");
    }

    #[test]
    fn a_signalfd_kept_across_exec_reads_the_same_process_signals() {
        let p = process();
        let mask = set(&[Signo::SIGUSR1]);
        let t = thread(&p, 1, mask);
        let fd = SignalFd::new(mask);
        p.sigaction(
            Signo::SIGUSR1,
            Some(crate::SignalAction::handler(
                0x1000,
                crate::SaFlags::empty(),
                SignalSet::EMPTY,
            )),
        )
        .unwrap();
        p.send(Signo::SIGUSR1, None).unwrap();
        p.exec();
        t.exec();
        assert_eq!(t.blocked(), mask, "the mask survives exec");
        let got = read_all(&fd, &t, 256).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].signo,
            abi::SIGUSR1,
            "the pending signal is still there"
        );
    }

    #[test]
    fn copy_fault_on_first_record_is_efault_and_the_signal_is_lost() {
        let (_p, t, fd) = usr1_pending();
        let r = fd.read(&t, 128, true, |_, _| Err(Errno::EFAULT));
        assert_eq!(r, Err(Errno::EFAULT));
        assert!(t.sigpending().is_empty(), "Linux does not put it back");
    }

    #[test]
    fn copy_fault_after_a_record_returns_the_records_copied() {
        let p = process();
        let mask = set(&[Signo::SIGUSR1, Signo::SIGUSR2]);
        let t = thread(&p, 1, mask);
        p.send(Signo::SIGUSR1, None).unwrap();
        p.send(Signo::SIGUSR2, None).unwrap();
        let fd = SignalFd::new(mask);
        let r = fd.read(&t, 256, true, |off, _| {
            if off == 0 { Ok(()) } else { Err(Errno::EFAULT) }
        });
        assert_eq!(r, Ok(128));
    }

    #[test]
    fn blocking_read_waits_for_a_blocked_signal_of_the_mask() {
        let p = process();
        let mask = set(&[Signo::SIGUSR1]);
        let t = Arc::new(thread(&p, 1, mask));
        let fd = Arc::new(SignalFd::new(mask));
        let (t2, fd2) = (t.clone(), fd.clone());
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            let r = fd2.read(&t2, 128, false, |_, rec| {
                got.push(*rec);
                Ok(())
            });
            (r, got)
        });
        std::thread::sleep(Duration::from_millis(50));
        p.send(
            Signo::SIGUSR1,
            Some(&SignalInfo::user(Signo::SIGUSR1, 3, 4)),
        )
        .unwrap();
        let (r, got) = reader.join().unwrap();
        assert_eq!(r, Ok(128));
        assert_eq!((got[0].signo, got[0].pid, got[0].uid), (abi::SIGUSR1, 3, 4));
        assert!(p.hooks().observed().is_empty(), "the wake-up hook is gone");
    }

    #[test]
    fn mask_update_wakes_a_blocked_reader_which_rechecks_with_the_new_mask() {
        let p = process();
        let t = Arc::new(thread(&p, 1, set(&[Signo::SIGUSR1, Signo::SIGUSR2])));
        p.send(Signo::SIGUSR2, None).unwrap();
        let fd = Arc::new(SignalFd::new(set(&[Signo::SIGUSR1])));
        let (t2, fd2) = (t.clone(), fd.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sig = 0;
            let r = fd2.read(&t2, 128, false, |_, rec| {
                sig = rec.signo;
                Ok(())
            });
            tx.send((r, sig)).unwrap();
        });
        assert!(
            rx.recv_timeout(Duration::from_millis(50)).is_err(),
            "blocked"
        );
        fd.set_mask(set(&[Signo::SIGUSR2]));
        let got = rx.recv_timeout(Duration::from_secs(10)).expect("woken");
        assert_eq!(got, (Ok(128), abi::SIGUSR2));
    }

    #[test]
    fn blocking_read_is_interrupted_by_a_deliverable_signal_with_erestartsys() {
        let p = process();
        let mask = set(&[Signo::SIGUSR1]);
        let t = Arc::new(thread(&p, 1, mask));
        p.actions().set(
            Signo::SIGUSR2,
            crate::SignalAction::handler(0x1000, crate::SaFlags::empty(), SignalSet::EMPTY),
        );
        let fd = Arc::new(SignalFd::new(mask));
        let (t2, fd2) = (t.clone(), fd.clone());
        let reader = std::thread::spawn(move || fd2.read(&t2, 128, false, |_, _| Ok(())));
        std::thread::sleep(Duration::from_millis(50));
        p.send(Signo::SIGUSR2, None).unwrap();
        assert_eq!(reader.join().unwrap(), Err(Errno::ERESTARTSYS));
        assert!(t.has_pending(), "SIGUSR2 is left for delivery");
    }

    #[test]
    fn watch_hook_fires_only_for_signals_of_the_current_mask() {
        use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
        let p = process();
        let t = thread(&p, 1, SignalSet::ALL);
        let fd = Arc::new(SignalFd::new(set(&[Signo::SIGUSR1])));
        let seen = Arc::new(AtomicU32::new(0));
        let s = seen.clone();
        let h = fd
            .watch(&t, Arc::new(move |sig: Signo| s.store(sig.get(), Relaxed)))
            .unwrap();
        p.send(Signo::SIGUSR2, None).unwrap();
        assert_eq!(seen.load(Relaxed), 0);
        p.send(Signo::SIGUSR1, None).unwrap();
        assert_eq!(seen.load(Relaxed), abi::SIGUSR1);
        fd.set_mask(set(&[Signo::SIGTERM]));
        t.send(Signo::SIGTERM, None).unwrap();
        assert_eq!(seen.load(Relaxed), abi::SIGTERM);
        assert!(p.hooks().unregister(h));
    }

    #[test]
    fn copyinfo_fills_the_fields_of_each_layout_class() {
        let k = SignalfdSiginfo::from_siginfo(&SignalInfo::user(Signo::SIGTERM, 10, 20));
        assert_eq!((k.code, k.pid, k.uid, k.ptr), (code::SI_USER, 10, 20, 0));
        let q =
            SignalfdSiginfo::from_siginfo(&SignalInfo::queue(Signo::SIGRTMIN, 1, 2, 0x1_0000_0005));
        assert_eq!((q.pid, q.uid, q.ptr, q.int), (1, 2, 0x1_0000_0005, 5));
        let tm = SignalfdSiginfo::from_siginfo(&SignalInfo::timer(Signo::SIGALRM, 3, 4, 9));
        assert_eq!(
            (tm.tid, tm.overrun, tm.ptr, tm.int, tm.pid),
            (3, 4, 9, 9, 0)
        );
        let f = SignalfdSiginfo::from_siginfo(&SignalInfo::fault(
            Signo::SIGSEGV,
            abi::SEGV_MAPERR as i32,
            0xdead,
        ));
        assert_eq!((f.addr, f.pid), (0xdead, 0));
        let c =
            SignalfdSiginfo::from_siginfo(&SignalInfo::child(ChildCode::Exited, 42, 1000, 3, 7, 8));
        assert_eq!(
            (c.code, c.pid, c.uid, c.status, c.utime, c.stime),
            (abi::CLD_EXITED as i32, 42, 1000, 3, 7, 8)
        );
        let po = SignalfdSiginfo::from_siginfo(&SignalInfo::poll(
            Signo::SIGIO,
            abi::POLL_IN as i32,
            0x1_0000_0041,
            5,
        ));
        assert_eq!((po.band, po.fd), (0x41, 5), "band keeps its low 32 bits");
        let s = SignalfdSiginfo::from_siginfo(&SignalInfo::sys(1, 0x400000, 231, 0xc000_003e));
        assert_eq!(
            (s.signo, s.call_addr, s.syscall, s.arch),
            (abi::SIGSYS, 0x400000, 231, 0xc000_003e)
        );
    }

    #[test]
    fn record_bytes_follow_the_uapi_layout() {
        let r = SignalfdSiginfo {
            signo: 1,
            pid: 2,
            int: 3,
            ptr: 4,
            addr: 5,
            addr_lsb: 6,
            syscall: 7,
            call_addr: 8,
            arch: 9,
            ..SignalfdSiginfo::default()
        };
        let b = r.to_bytes();
        let u32_at = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().unwrap());
        let u64_at = |o: usize| u64::from_ne_bytes(b[o..o + 8].try_into().unwrap());
        assert_eq!((u32_at(0), u32_at(12), u32_at(44)), (1, 2, 3));
        assert_eq!((u64_at(48), u64_at(72)), (4, 5));
        assert_eq!(u16::from_ne_bytes([b[80], b[81]]), 6);
        assert_eq!((u32_at(84), u64_at(88), u32_at(96)), (7, 8, 9));
        assert!(b[100..].iter().all(|x| *x == 0));
    }
}
