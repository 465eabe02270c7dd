//! Fuzzing the system-call layer: every entry point with random register values
//! and random, sometimes faulting, user memory. No input may panic, return
//! anything but a documented value, or leave a failed call's state half-changed.
//!
//! Runs `KSIGNAL_FUZZ_CASES` cases (default 100,000, a few seconds in debug);
//! `KSIGNAL_FUZZ_SEED` picks the seed. The long run:
//! `KSIGNAL_FUZZ_CASES=10000000 cargo test --release --test syscall_fuzz`.

mod common {
    pub mod signalfd_files;
    pub mod user_memory;
}

use common::signalfd_files::Files;
use common::user_memory::Mem;
use ksignal::DefaultRawMutex;
use ksignal::syscall::{
    Caller, Credentials, PidfdTarget, Task, TaskIds, TaskTable, TaskVisitor, ThreadVisitor,
    TimerVisitor, ptrace_resume_signal, sys_kill, sys_pause, sys_pidfd_send_signal,
    sys_prctl_pdeathsig, sys_ptrace_getsiginfo, sys_ptrace_setsiginfo, sys_restart_syscall,
    sys_rt_sigaction, sys_rt_sigpending, sys_rt_sigprocmask, sys_rt_sigqueueinfo,
    sys_rt_sigsuspend, sys_rt_sigtimedwait, sys_rt_tgsigqueueinfo, sys_sigaltstack,
    sys_signalfd_read, sys_signalfd4, sys_tgkill, sys_timer_create, sys_timer_delete,
    sys_timer_getoverrun, sys_tkill,
};
use ksignal::{
    Arch, Errno, PendingLimit, PidType, ProcessSignalManager, SignalAction, SignalActions,
    SignalSet, Signo, ThreadSignalManager, UserBuffer, UserMemory, WaitOutcome, WaitQueue,
};
use ksignal::{FutexRestart, NanosleepRestart, PollRestart, RestartBlock, RestartHandler};
use ksignal::{NoJobControl, PosixTimer, PtraceStopKind, SignalFd, Tracer};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// A wait queue that never sleeps: a timed wait times out at once, and a wait
/// without a timeout (rt_sigsuspend, pause) is ended the only way that is always
/// possible, by a SIGKILL to the waiter's process.
#[derive(Default)]
struct NoSleep {
    process: OnceLock<Arc<Process>>,
}

impl WaitQueue for NoSleep {
    fn prepare_to_wait(&self) {}
    fn wait(&self, timeout: Option<Duration>) -> WaitOutcome {
        match timeout {
            Some(_) => WaitOutcome::TimedOut,
            None => {
                if let Some(p) = self.process.get() {
                    let _ = p.send(Signo::SIGKILL, None);
                }
                WaitOutcome::Woken { remaining: None }
            }
        }
    }
    fn finish_wait(&self) {}
    fn wake_one(&self) {}
}

type Process = ProcessSignalManager<NoSleep>;
type Thread = ThreadSignalManager<NoSleep>;

const BASE: usize = 0x10000;
const LEN: usize = 0x400;

struct P {
    ids: TaskIds,
    cred: Credentials,
    process: Arc<Process>,
    threads: Vec<Thread>,
}

struct World {
    procs: Vec<P>,
}

impl World {
    fn new(rng: &mut Rng) -> World {
        let mut procs = Vec::new();
        for (tgid, n, pgid, sid, uid) in [
            (1, 1, 1, 1, 0),
            (10, 3, 10, 10, 1000),
            (20, 1, 10, 10, 1000),
            (30, 2, 30, 30, 2000),
        ] {
            let process = Arc::new(Process::new(
                Arc::new(SignalActions::new()),
                Arc::new(PendingLimit::new(rng.below(6) as usize)),
            ));
            let threads = (0..n)
                .map(|k| {
                    let q = NoSleep::default();
                    let _ = q.process.set(process.clone());
                    let mask = SignalSet::from_bits(rng.next());
                    Thread::new(&process, tgid + k, mask, q).unwrap()
                })
                .collect();
            let cred = if uid == 0 {
                Credentials::ROOT
            } else {
                Credentials::user(uid)
            };
            procs.push(P {
                ids: TaskIds {
                    tid: tgid,
                    tgid,
                    pgid,
                    sid,
                },
                cred,
                process,
                threads,
            });
        }
        World { procs }
    }

    fn caller(&self, i: usize) -> Caller<'_, NoSleep, DefaultRawMutex> {
        let (pi, ti) = [(1, 0), (1, 1), (1, 2), (2, 0), (3, 1)][i % 5];
        let p = &self.procs[pi];
        let t = &p.threads[ti];
        Caller {
            ids: TaskIds {
                tid: t.tid(),
                ..p.ids
            },
            cred: p.cred,
            thread: t,
            arch: Arch::HOST,
        }
    }
}

impl TaskTable for World {
    type Wait = NoSleep;
    type Lock = DefaultRawMutex;
    fn find_task(&self, tid: i32, f: &mut TaskVisitor<'_, NoSleep, DefaultRawMutex>) {
        for p in &self.procs {
            if let Some(t) = p.threads.iter().find(|t| t.tid() == tid) {
                f(&Task {
                    ids: TaskIds { tid, ..p.ids },
                    cred: p.cred,
                    process: &p.process,
                    thread: Some(t),
                });
            }
        }
    }
    fn for_each_process(
        &self,
        scope: PidType,
        id: i32,
        f: &mut TaskVisitor<'_, NoSleep, DefaultRawMutex>,
    ) {
        for p in &self.procs {
            if scope == PidType::Max || scope == PidType::Pgid && p.ids.pgid == id {
                f(&Task {
                    ids: p.ids,
                    cred: p.cred,
                    process: &p.process,
                    thread: p.threads.first(),
                });
            }
        }
    }
    fn pidfd(&self, fd: i32) -> Result<PidfdTarget, Errno> {
        match fd {
            3 => Ok(PidfdTarget {
                pid: 20,
                thread: false,
            }),
            4 => Ok(PidfdTarget {
                pid: 11,
                thread: true,
            }),
            5 => Err(Errno::EINVAL),
            _ => Err(Errno::EBADF),
        }
    }
}

/// xorshift64*: fast, and reproducible from the seed.
struct Rng(u64, usize);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A register value: mostly small or interesting, sometimes anything.
    fn int(&mut self) -> usize {
        match self.below(8) {
            0 => self.next() as usize,
            1 => [
                0,
                1,
                usize::MAX,
                i32::MIN as usize,
                i32::MAX as usize,
                1 << 32,
                (1 << 32) | 10,
            ][self.below(7) as usize],
            2 => (-(self.below(40) as i64)) as usize,
            3 => [10, 11, 12, 20, 30, 31, 1, 999][self.below(8) as usize],
            _ => self.below(70) as usize,
        }
    }
    fn size(&mut self) -> usize {
        match self.below(4) {
            0 => self.int(),
            1 => self.below(17) as usize,
            _ => 8,
        }
    }
    /// A user address: inside the region, straddling its end, NULL, or wild.
    fn addr(&mut self) -> usize {
        match self.below(8) {
            0 => 0,
            1 => self.next() as usize,
            2 => BASE + LEN - self.below(48) as usize,
            3 => usize::MAX - self.below(64) as usize,
            4 | 5 => self.1,
            _ => BASE + (self.below(LEN as u64 / 8) * 8) as usize,
        }
    }
}

fn errno_ok(r: isize, allowed: &[Errno]) -> bool {
    r >= 0 || allowed.iter().any(|e| e.as_neg_ret() == r)
}

/// Everything a failed call must leave as it was.
#[derive(PartialEq, Debug)]
struct Snapshot {
    blocked: SignalSet,
    actions: Vec<SignalAction>,
}

fn snapshot(c: &Caller<'_, NoSleep, DefaultRawMutex>) -> Snapshot {
    Snapshot {
        blocked: c.thread.blocked(),
        actions: (1..=64)
            .map(|s| c.process().actions().get(Signo::new(s).unwrap()))
            .collect(),
    }
}

use Errno as E;

/// A tracer that, inside each stop, issues random PTRACE_GETSIGINFO and
/// PTRACE_SETSIGINFO requests on the tracee and resumes it with a random `data`
/// (checked as `ptrace_resume` checks it; an invalid one resumes with no signal).
struct FuzzTracer<'a> {
    tracee: &'a Thread,
    mem: &'a mut Mem,
    rng: &'a mut Rng,
}

impl Tracer for FuzzTracer<'_> {
    fn ptrace_stop(&mut self, sig: Signo, kind: PtraceStopKind) -> Option<Signo> {
        for _ in 0..self.rng.below(3) {
            let data = self.rng.addr();
            let r = if self.rng.below(2) == 0 {
                sys_ptrace_getsiginfo(self.tracee, self.mem, data)
            } else {
                sys_ptrace_setsiginfo(self.tracee, &*self.mem, data)
            };
            let allowed: &[Errno] = match kind {
                PtraceStopKind::GroupStop => &[E::EFAULT, E::E2BIG, E::EINVAL],
                _ => &[E::EFAULT, E::E2BIG],
            };
            assert!(r == 0 || errno_ok(r, allowed), "ptrace siginfo: {r}");
        }
        match self.rng.below(3) {
            0 => Some(sig),
            _ => match ptrace_resume_signal(self.rng.int()) {
                Ok(s) => s,
                Err(e) => {
                    assert_eq!(e, E::EIO);
                    None
                }
            },
        }
    }

    fn tracer_ids(&mut self) -> (i32, u32) {
        (1, 0)
    }

    fn tracee_uid(&mut self) -> u32 {
        0
    }
}

/// What a send may fail with.
const SEND_ERRORS: [Errno; 4] = [E::ESRCH, E::EINVAL, E::EPERM, E::EAGAIN];
/// What a send that copies a siginfo in may fail with.
const SEND_INFO_ERRORS: [Errno; 6] = extend(SEND_ERRORS, [E::EFAULT, E::E2BIG]);
/// What `pidfd_send_signal` may fail with: a send with a siginfo, or a bad pidfd.
const PIDFD_SEND_ERRORS: [Errno; 7] = extend(SEND_INFO_ERRORS, [E::EBADF]);

/// `base` followed by `more`.
const fn extend<const N: usize, const M: usize, const L: usize>(
    base: [Errno; N],
    more: [Errno; M],
) -> [Errno; L] {
    assert!(N + M == L);
    let mut out = [E::EINVAL; L];
    let mut i = 0;
    while i < L {
        out[i] = if i < N { base[i] } else { more[i - N] };
        i += 1;
    }
    out
}

/// The kernel's side of `restart_syscall`: each resumed call returns what the case
/// chose, and says which kind it was asked to redo.
struct Resume {
    ret: isize,
    called: Option<&'static str>,
}

impl RestartHandler for Resume {
    fn nanosleep(&mut self, _: &NanosleepRestart) -> isize {
        self.called = Some("nanosleep");
        self.ret
    }
    fn futex_wait(&mut self, _: &FutexRestart) -> isize {
        self.called = Some("futex");
        self.ret
    }
    fn poll(&mut self, _: &PollRestart) -> isize {
        self.called = Some("poll");
        self.ret
    }
}

/// The POSIX timers of every process: `(process, id, timer)`; ids 0..6 per
/// process, so creation runs out (EAGAIN) now and then.
#[derive(Default)]
struct Timers(Vec<(Arc<Process>, i32, PosixTimer<NoSleep>)>);

/// The caller's view of [`Timers`].
struct TimerView<'a> {
    world: &'a World,
    process: &'a Arc<Process>,
    timers: &'a mut Timers,
    reserved: Vec<i32>,
}

impl ksignal::syscall::PosixTimerTable for TimerView<'_> {
    type Wait = NoSleep;
    type Lock = DefaultRawMutex;
    fn check_clock(&self, clock: i32) -> Result<(), Errno> {
        match clock {
            0 | 1 | 7 | 8 | 11 => Ok(()),
            4 => Err(Errno::EOPNOTSUPP),
            _ => Err(Errno::EINVAL),
        }
    }
    fn alloc_id(&mut self) -> Result<i32, Errno> {
        let used = |id: i32| {
            self.reserved.contains(&id)
                || self
                    .timers
                    .0
                    .iter()
                    .any(|(p, i, _)| Arc::ptr_eq(p, self.process) && *i == id)
        };
        let id = (0..6).find(|id| !used(*id)).ok_or(Errno::EAGAIN)?;
        self.reserved.push(id);
        Ok(id)
    }
    fn free_id(&mut self, id: i32) {
        self.reserved.retain(|i| *i != id);
    }
    fn find_thread(&self, tid: i32, f: &mut ThreadVisitor<'_, NoSleep, DefaultRawMutex>) {
        let p = self
            .world
            .procs
            .iter()
            .find(|p| Arc::ptr_eq(&p.process, self.process));
        f(p.and_then(|p| p.threads.iter().find(|t| t.tid() == tid)))
    }
    fn install(&mut self, id: i32, _: i32, timer: PosixTimer<NoSleep>) -> Result<(), Errno> {
        self.free_id(id);
        assert_eq!(timer.id(), id);
        self.timers.0.push((self.process.clone(), id, timer));
        Ok(())
    }
    fn with_timer(
        &self,
        id: i32,
        f: &mut TimerVisitor<'_, NoSleep, DefaultRawMutex>,
    ) -> Result<(), Errno> {
        let (_, _, t) = self
            .timers
            .0
            .iter()
            .find(|(p, i, _)| Arc::ptr_eq(p, self.process) && *i == id)
            .ok_or(Errno::EINVAL)?;
        f(t);
        Ok(())
    }
    fn remove(&mut self, id: i32) -> Option<PosixTimer<NoSleep>> {
        let k = self
            .timers
            .0
            .iter()
            .position(|(p, i, _)| Arc::ptr_eq(p, self.process) && *i == id)?;
        Some(self.timers.0.remove(k).2)
    }
}

#[test]
fn every_entry_point_survives_random_arguments_and_memory() {
    let cases: u64 = std::env::var("KSIGNAL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let seed: u64 = std::env::var("KSIGNAL_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed_1234_abcd_0001);
    let mut rng = Rng(seed | 1, BASE);
    let mut world = World::new(&mut rng);
    let mut mem = Mem(UserBuffer::new().with_region(BASE, LEN));
    let bytes: Vec<u8> = (0..LEN).map(|_| rng.next() as u8).collect();
    mem.write(BASE, &bytes).unwrap();
    // Descriptors 0..8, 1 open on another kind of file.
    let mut files = Files::new(vec![None; 8]);
    files.slots[1] = Some(None);
    let mut timers = Timers::default();
    for case in 0..cases {
        if case % 512 == 0 || world.procs.iter().any(|p| p.process.group_exit().is_some()) {
            timers.0.clear();
            world = World::new(&mut rng);
        }
        for _ in 0..4 {
            let at = rng.below(LEN as u64) as usize;
            mem.write(BASE + at, &[rng.next() as u8]).unwrap();
        }
        if rng.below(4) == 0 {
            // Plausible structures now and then, so calls get past validation.
            let at = (rng.below(LEN as u64 / 8 - 16) * 8) as usize;
            let words = [
                rng.int() as u64,
                [0u64, 4, 0x1000_0000, 0x8000_0000][rng.below(4) as usize],
                rng.below(2),
                0,
            ];
            rng.1 = BASE + at;
            for (k, w) in words.iter().enumerate() {
                mem.write(BASE + at + 8 * k, &w.to_ne_bytes()).unwrap();
            }
        }
        let ci = rng.below(5) as usize;
        let c = world.caller(ci);
        let before = snapshot(&c);
        let w = &world;
        let call = rng.below(22);
        let mut input_faults = matches!(call, 9 | 10);
        let (r, allowed, restores): (isize, &[Errno], bool) = match call {
            0 => (sys_kill(w, &c, rng.int(), rng.int()), &SEND_ERRORS, false),
            1 => (sys_tkill(w, &c, rng.int(), rng.int()), &SEND_ERRORS, false),
            2 => (
                sys_tgkill(w, &c, rng.int(), rng.int(), rng.int()),
                &SEND_ERRORS,
                false,
            ),
            3 => (
                sys_rt_sigqueueinfo(w, &c, &mem, rng.int(), rng.int(), rng.addr()),
                &SEND_INFO_ERRORS,
                false,
            ),
            4 => (
                sys_rt_tgsigqueueinfo(w, &c, &mem, rng.int(), rng.int(), rng.int(), rng.addr()),
                &SEND_INFO_ERRORS,
                false,
            ),
            5 => (
                sys_pidfd_send_signal(w, &c, &mem, rng.int(), rng.int(), rng.addr(), rng.int()),
                &PIDFD_SEND_ERRORS,
                false,
            ),
            6 => {
                let (act, oact) = (rng.addr(), rng.addr());
                let n = Arch::HOST.sigaction_size();
                input_faults = act != 0 && mem.read(act, &mut [0u8; 32][..n]).is_err();
                let r = sys_rt_sigaction(&c, &mut mem, rng.int(), act, oact, rng.size());
                (r, &[E::EINVAL, E::EFAULT], true)
            }
            7 => {
                let (nset, oset) = (rng.addr(), rng.addr());
                input_faults = nset != 0 && mem.read(nset, &mut [0u8; 8]).is_err();
                let r = sys_rt_sigprocmask(&c, &mut mem, rng.int(), nset, oset, rng.size());
                (r, &[E::EINVAL, E::EFAULT], true)
            }
            8 => (
                sys_rt_sigpending(&c, &mut mem, rng.addr(), rng.size()),
                &[E::EINVAL, E::EFAULT],
                true,
            ),
            9 => {
                let r = sys_rt_sigtimedwait(
                    &c,
                    &mut mem,
                    rng.addr(),
                    rng.addr(),
                    rng.addr(),
                    rng.size(),
                );
                assert!(r <= 64, "rt_sigtimedwait returned {r}");
                (r, &[E::EINVAL, E::EFAULT, E::EAGAIN, E::EINTR], true)
            }
            10 => {
                let r = sys_rt_sigsuspend(&c, &mem, rng.addr(), rng.size());
                assert!(r < 0, "rt_sigsuspend returned {r}");
                (r, &[E::EINVAL, E::EFAULT, E::ERESTARTNOHAND], true)
            }
            11 => {
                if rng.below(8) == 0 {
                    (sys_pause(&c), &[E::ERESTARTNOHAND], true)
                } else {
                    (0, &[], true)
                }
            }
            12 => {
                let old = c.thread.altstack();
                let uoss = rng.addr();
                let r = sys_sigaltstack(&c, &mut mem, rng.addr(), uoss, rng.int());
                if r < 0 && r != E::EFAULT.as_neg_ret() {
                    assert_eq!(
                        c.thread.altstack(),
                        old,
                        "failed sigaltstack changed the stack"
                    );
                }
                (r, &[E::EINVAL, E::EFAULT, E::ENOMEM, E::EPERM], true)
            }
            13 => {
                let block = match rng.below(4) {
                    0 => RestartBlock::None,
                    1 => RestartBlock::Nanosleep(NanosleepRestart {
                        clockid: rng.int() as i32,
                        expires: rng.next(),
                        rmtp: rng.addr(),
                        time_type: ksignal::TimeType::Native,
                    }),
                    2 => RestartBlock::FutexWait(FutexRestart {
                        uaddr: rng.addr(),
                        val: rng.next() as u32,
                        bitset: rng.next() as u32,
                        flags: rng.next() as u32,
                        deadline: rng.next(),
                    }),
                    _ => RestartBlock::Poll(PollRestart {
                        ufds: rng.addr(),
                        nfds: rng.int() as u32,
                        deadline: Some(rng.next()).filter(|_| rng.below(2) == 0),
                    }),
                };
                c.thread.set_restart_block(block);
                let ret = [
                    0,
                    1,
                    E::EINTR.as_neg_ret(),
                    E::EFAULT.as_neg_ret(),
                    -514,
                    -516,
                ][rng.below(6) as usize];
                let mut k = Resume { ret, called: None };
                let r = sys_restart_syscall(&c, &mut k);
                let after = c.thread.restart_block();
                match block {
                    RestartBlock::None => {
                        assert_eq!((r, k.called), (E::EINTR.as_neg_ret(), None));
                        assert_eq!(after, RestartBlock::None);
                    }
                    RestartBlock::Nanosleep(_) => {
                        assert_eq!((r, k.called), (ret, Some("nanosleep")));
                        assert_eq!(after, block, "hrtimer_nanosleep_restart keeps it");
                    }
                    RestartBlock::FutexWait(_) => {
                        assert_eq!((r, k.called), (ret, Some("futex")));
                        assert_eq!(after, RestartBlock::None, "futex_wait_restart resets it");
                    }
                    RestartBlock::Poll(_) => {
                        assert_eq!(k.called, Some("poll"));
                        assert_eq!(r, if ret == -514 { -516 } else { ret });
                        assert_eq!(after, block);
                    }
                }
                c.thread.set_restart_block(RestartBlock::None);
                (
                    r.min(0),
                    &[
                        E::EINTR,
                        E::EFAULT,
                        E::ERESTARTNOHAND,
                        E::ERESTART_RESTARTBLOCK,
                    ],
                    true,
                )
            }
            14 => {
                if rng.below(16) == 0 {
                    files.slots[2..].iter_mut().for_each(|f| *f = None);
                }
                let ufd = [usize::MAX, 0, 1, 2, 3, rng.int()][rng.below(6) as usize];
                let flags = [0, 0o4000, 0o2000000, 0o2004000, rng.int()][rng.below(5) as usize];
                let r = sys_signalfd4(&c, &mem, &mut files, ufd, rng.addr(), rng.size(), flags);
                assert!(r < 8, "signalfd4 returned {r}");
                (r, &[E::EINVAL, E::EFAULT, E::EBADF, E::EMFILE], true)
            }
            15 => {
                let fd = files.slots.iter().flatten().flatten().next().cloned();
                let fd = fd.unwrap_or_else(|| Arc::new(SignalFd::new(SignalSet::ALL)));
                let r = sys_signalfd_read(&c, &mut mem, &fd, true, rng.addr(), rng.size());
                assert!(r < 0 || r % 128 == 0, "signalfd read returned {r}");
                (r.min(0), &[E::EINVAL, E::EFAULT, E::EAGAIN], false)
            }
            21 => {
                // ptrace: the siginfo requests on a thread in no stop fail (copy-in
                // errors first for SETSIGINFO), then, traced, a delivery step whose
                // stops issue them for real.
                let r = if rng.below(2) == 0 {
                    sys_ptrace_getsiginfo(c.thread, &mut mem, rng.addr())
                } else {
                    sys_ptrace_setsiginfo(c.thread, &mem, rng.addr())
                };
                assert!(r < 0, "ptrace siginfo outside a stop returned {r}");
                assert!(errno_ok(r, &[E::EINVAL, E::EFAULT, E::E2BIG]), "{r}");
                match rng.below(4) {
                    0 => c.thread.set_traced(false).unwrap(),
                    1 => c.thread.set_traced(true).unwrap(),
                    _ => {
                        c.thread.set_seized().unwrap();
                        let r = c.thread.ptrace_interrupt();
                        assert_eq!(r, Ok(()), "PTRACE_INTERRUPT of a seized tracee");
                    }
                }
                let mut tracer = FuzzTracer {
                    tracee: c.thread,
                    mem: &mut mem,
                    rng: &mut rng,
                };
                if let Some(ksignal::Delivery::Handler(h)) =
                    c.thread.get_signal_traced(&mut NoJobControl, &mut tracer)
                {
                    c.thread.signal_delivered(&h);
                    c.thread.restore_saved_mask(h.saved_mask);
                }
                (0, &[], true)
            }
            16 => {
                let old = c.thread.pdeath_signal();
                let option = [1, 2, rng.int()][rng.below(3) as usize];
                let arg2 = match rng.below(3) {
                    0 => rng.below(70) as usize,
                    1 => rng.addr(),
                    _ => rng.int(),
                };
                let r = sys_prctl_pdeathsig(&c, &mut mem, option, arg2).unwrap_or(0);
                if r < 0 {
                    assert_eq!(c.thread.pdeath_signal(), old, "failed prctl changed it");
                }
                (r, &[E::EINVAL, E::EFAULT], true)
            }
            18 => {
                let mut view = TimerView {
                    world: w,
                    process: c.thread.process(),
                    timers: &mut timers,
                    reserved: Vec::new(),
                };
                let clock = [0, 1, 4, 5, rng.int()][rng.below(5) as usize];
                let sevp = if rng.below(4) == 0 {
                    0
                } else {
                    // A plausible sigevent now and then: notify at +12, tid at +16.
                    let at = rng.addr();
                    if rng.below(2) == 0 && mem.read(at, &mut [0u8; 64]).is_ok() {
                        let notify = [0i32, 1, 2, 4, 6][rng.below(5) as usize];
                        let tid = [10i32, 11, 12, 20, 30, 0][rng.below(6) as usize];
                        mem.write(at + 8, &(rng.below(70) as i32).to_ne_bytes())
                            .unwrap();
                        mem.write(at + 12, &notify.to_ne_bytes()).unwrap();
                        mem.write(at + 16, &tid.to_ne_bytes()).unwrap();
                    }
                    at
                };
                let r = sys_timer_create(&c, &mut mem, &mut view, clock, sevp, rng.addr());
                assert!(view.reserved.is_empty(), "timer_create leaked an id");
                assert!(r <= 0, "timer_create returned {r}");
                (
                    r,
                    &[E::EINVAL, E::EFAULT, E::EAGAIN, E::EOPNOTSUPP, E::ENOMEM],
                    true,
                )
            }
            19 => {
                let view = TimerView {
                    world: w,
                    process: c.thread.process(),
                    timers: &mut timers,
                    reserved: Vec::new(),
                };
                let id = [0, 1, 2, rng.int()][rng.below(4) as usize];
                let r = sys_timer_getoverrun(&view, id);
                (r.min(0), &[E::EINVAL], true)
            }
            20 => {
                let mut view = TimerView {
                    world: w,
                    process: c.thread.process(),
                    timers: &mut timers,
                    reserved: Vec::new(),
                };
                let id = [0, 1, 2, rng.int()][rng.below(4) as usize];
                (sys_timer_delete(&mut view, id), &[E::EINVAL], true)
            }
            _ => {
                // Timers expire and are set now and then, so their signals flow.
                if !timers.0.is_empty() {
                    let k = rng.below(timers.0.len() as u64) as usize;
                    let t = &timers.0[k].2;
                    match rng.below(3) {
                        0 => t.set(rng.below(2) == 0, rng.below(2) == 0),
                        _ => {
                            t.expire();
                        }
                    }
                }
                // A kernel-side delivery step, so queues drain and masks move.
                if let Some(ksignal::Delivery::Handler(h)) = c.thread.get_signal() {
                    c.thread.signal_delivered(&h);
                    c.thread.restore_saved_mask(h.saved_mask);
                }
                (0, &[], true)
            }
        };
        assert!(errno_ok(r, allowed), "case {case} call {call}: {r}");
        assert!(r <= 64 || call == 11, "case {case} call {call}: {r}");
        let after = snapshot(&c);
        assert!(!after.blocked.contains(Signo::SIGKILL) && !after.blocked.contains(Signo::SIGSTOP));
        // EFAULT may follow a change (a bad oact/oset/uinfo/uoss) unless the input
        // copy itself faulted; the blocking calls' results follow a wait.
        let efault = r == E::EFAULT.as_neg_ret();
        let after_wait = [E::ERESTARTNOHAND, E::EAGAIN, E::EINTR]
            .iter()
            .any(|e| e.as_neg_ret() == r);
        if restores && r < 0 && !after_wait && (!efault || input_faults) {
            assert_eq!(
                before, after,
                "case {case} call {call} failed with {r} but changed state"
            );
        }
    }
}
