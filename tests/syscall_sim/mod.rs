//! A toy kernel for the system-call tests: processes and threads in a table, user
//! memory as byte regions (everything else faults).
#![allow(dead_code)]

use crate::common::wait::CondvarQueue;
use ksignal::syscall::{Caller, Credentials, PidfdTarget, Task, TaskIds, TaskTable, TaskVisitor};
use ksignal::{
    Arch, Errno, PendingLimit, PidType, ProcessSignalManager, SignalActions, SignalSet,
    ThreadSignalManager, UserBuffer, UserMemory,
};
use std::sync::Arc;

pub type Process = ProcessSignalManager<CondvarQueue>;
pub type Thread = ThreadSignalManager<CondvarQueue>;

pub use crate::common::user_memory::Mem;

/// Where the tests put things in user memory.
pub const BASE: usize = 0x10000;
pub const LEN: usize = 0x1000;
/// An address nothing is mapped at.
pub const BAD: usize = 0xdead_0000;

impl Mem {
    /// `[BASE, BASE + LEN)` mapped, zero-filled.
    pub fn new() -> Mem {
        Mem(UserBuffer::new().with_region(BASE, LEN))
    }

    pub fn with_region(self, base: usize, len: usize) -> Mem {
        Mem(self.0.with_region(base, len))
    }

    pub fn put(&mut self, addr: usize, bytes: &[u8]) {
        self.0.write(addr, bytes).unwrap();
    }

    pub fn get(&self, addr: usize, len: usize) -> Vec<u8> {
        self.0.bytes(addr, len).unwrap().to_vec()
    }

    pub fn put_u64(&mut self, addr: usize, v: u64) {
        self.put(addr, &v.to_ne_bytes());
    }

    pub fn get_u64(&self, addr: usize) -> u64 {
        u64::from_ne_bytes(self.get(addr, 8).try_into().unwrap())
    }

    pub fn put_set(&mut self, addr: usize, set: SignalSet) {
        self.put_u64(addr, set.bits());
    }

    pub fn get_set(&self, addr: usize) -> SignalSet {
        SignalSet::from_bits(self.get_u64(addr))
    }
}

pub struct SimThread {
    pub tid: i32,
    pub thread: Option<Thread>,
}

pub struct SimProc {
    pub tgid: i32,
    pub pgid: i32,
    pub sid: i32,
    pub cred: Credentials,
    pub process: Arc<Process>,
    pub threads: Vec<SimThread>,
}

impl SimProc {
    /// The ids of this process's thread `tid`.
    pub fn ids(&self, tid: i32) -> TaskIds {
        TaskIds {
            tid,
            tgid: self.tgid,
            pgid: self.pgid,
            sid: self.sid,
        }
    }
}

/// The task table.
#[derive(Default)]
pub struct Sim {
    pub procs: Vec<SimProc>,
    pub pidfds: Vec<(i32, PidfdTarget)>,
    /// What `TaskTable::signal_sent` reported: (target tgid, signal, outcome).
    pub sent: std::sync::Mutex<Vec<(i32, u32, ksignal::SendOutcome)>>,
}

impl Sim {
    pub fn new() -> Sim {
        Sim::default()
    }

    /// Adds a process `tgid` with threads `tids` (the first is the leader, and must
    /// equal `tgid`). Every thread starts blocking every signal, so what is sent
    /// stays queued for the test to look at.
    pub fn spawn(&mut self, tgid: i32, tids: &[i32], pgid: i32, sid: i32, cred: Credentials) {
        let p = Arc::new(Process::new(
            Arc::new(SignalActions::new()),
            Arc::new(PendingLimit::new(64)),
        ));
        let threads = tids
            .iter()
            .map(|&tid| SimThread {
                tid,
                thread: Some(
                    Thread::new(&p, tid, SignalSet::ALL, CondvarQueue::default()).unwrap(),
                ),
            })
            .collect();
        self.procs.push(SimProc {
            tgid,
            pgid,
            sid,
            cred,
            process: p,
            threads,
        });
    }

    /// The usual world: pid 1 (init, root), pid 10 with threads 10, 11, 12 (uid
    /// 1000), pid 20 (uid 1000, same session), pid 30 (uid 2000, other session and
    /// group), pid 40 (uid 1000, group 10).
    pub fn world() -> Sim {
        let mut s = Sim::new();
        s.spawn(1, &[1], 1, 1, Credentials::ROOT);
        s.spawn(10, &[10, 11, 12], 10, 10, Credentials::user(1000));
        s.spawn(20, &[20], 20, 10, Credentials::user(1000));
        s.spawn(30, &[30], 30, 30, Credentials::user(2000));
        s.spawn(40, &[40], 10, 10, Credentials::user(1000));
        s
    }

    pub fn proc(&self, tgid: i32) -> &SimProc {
        self.procs.iter().find(|p| p.tgid == tgid).unwrap()
    }

    pub fn thread(&self, tid: i32) -> &Thread {
        self.procs
            .iter()
            .flat_map(|p| p.threads.iter())
            .find(|t| t.tid == tid)
            .and_then(|t| t.thread.as_ref())
            .unwrap()
    }

    /// The thread exits (a leader's id keeps naming its process).
    pub fn exit_thread(&mut self, tid: i32) {
        for p in &mut self.procs {
            for t in &mut p.threads {
                if t.tid == tid {
                    t.thread = None;
                }
            }
        }
    }

    pub fn caller(&self, tid: i32) -> Caller<'_, CondvarQueue, ksignal::DefaultRawMutex> {
        let p = self
            .procs
            .iter()
            .find(|p| p.threads.iter().any(|t| t.tid == tid))
            .unwrap();
        Caller {
            ids: p.ids(tid),
            cred: p.cred,
            thread: self.thread(tid),
            arch: Arch::HOST,
        }
    }

    /// The task a parent reports to (for SIGCHLD).
    pub fn task(&self, tid: i32) -> Task<'_, CondvarQueue, ksignal::DefaultRawMutex> {
        let mut found = None;
        self.find_task(tid, &mut |t| {
            found = Some((t.ids, t.cred));
        });
        let (ids, cred) = found.unwrap();
        let p = self.proc(ids.tgid);
        Task {
            ids,
            cred,
            process: &p.process,
            thread: p
                .threads
                .iter()
                .find(|t| t.tid == tid)
                .and_then(|t| t.thread.as_ref()),
        }
    }
}

impl TaskTable for Sim {
    type Wait = CondvarQueue;
    type Lock = ksignal::DefaultRawMutex;

    fn find_task(&self, tid: i32, f: &mut TaskVisitor<'_, CondvarQueue, Self::Lock>) {
        for p in &self.procs {
            for t in &p.threads {
                if t.tid != tid || (t.thread.is_none() && t.tid != p.tgid) {
                    continue;
                }
                f(&Task {
                    ids: p.ids(tid),
                    cred: p.cred,
                    process: &p.process,
                    thread: t.thread.as_ref(),
                });
                return;
            }
        }
    }

    fn for_each_process(
        &self,
        scope: PidType,
        id: i32,
        f: &mut TaskVisitor<'_, CondvarQueue, Self::Lock>,
    ) {
        for p in &self.procs {
            if !(scope == PidType::Max || scope == PidType::Pgid && p.pgid == id) {
                continue;
            }
            f(&Task {
                ids: TaskIds {
                    tid: p.tgid,
                    tgid: p.tgid,
                    pgid: p.pgid,
                    sid: p.sid,
                },
                cred: p.cred,
                process: &p.process,
                thread: p.threads.first().and_then(|t| t.thread.as_ref()),
            });
        }
    }

    fn pidfd(&self, fd: i32) -> Result<PidfdTarget, Errno> {
        self.pidfds
            .iter()
            .find(|(f, _)| *f == fd)
            .map(|(_, t)| *t)
            .ok_or(Errno::EBADF)
    }

    fn signal_sent(
        &self,
        target: &Task<'_, CondvarQueue, Self::Lock>,
        sig: ksignal::Signo,
        outcome: &ksignal::SendOutcome,
    ) {
        self.sent
            .lock()
            .unwrap()
            .push((target.ids.tgid, sig.get(), *outcome));
    }
}

/// Takes `sig` off `tid`'s queues (private first), if pending.
/// A caller of the toy kernel.
pub type SimCaller<'a> = Caller<'a, CondvarQueue, ksignal::DefaultRawMutex>;

/// Runs `f` as thread `tid` of [`Sim::world`] with fresh user memory ([`Mem::new`]):
/// the set-up most system-call tests share.
pub fn as_thread(tid: i32, f: impl FnOnce(&Sim, &SimCaller<'_>, &mut Mem)) {
    let sim = Sim::world();
    let c = sim.caller(tid);
    let mut m = Mem::new();
    f(&sim, &c, &mut m);
}

pub fn take(sim: &Sim, tid: i32, sig: ksignal::Signo) -> Option<ksignal::SignalInfo> {
    sim.thread(tid)
        .sigtimedwait(SignalSet::single(sig), Some(std::time::Duration::ZERO))
        .ok()
        .map(|(_, i)| i)
}

/// Writes a user siginfo: `si_signo`, `si_code`, `si_value` (bytes 24..32).
pub fn put_info(mem: &mut Mem, addr: usize, signo: i32, code: i32, value: u64) {
    let mut b = [0u8; 128];
    b[..4].copy_from_slice(&signo.to_ne_bytes());
    b[8..12].copy_from_slice(&code.to_ne_bytes());
    b[24..32].copy_from_slice(&value.to_ne_bytes());
    mem.put(addr, &b);
}

/// A raw register argument from a signed value.
pub fn arg(v: i64) -> usize {
    v as usize
}

pub fn neg(e: Errno) -> isize {
    e.as_neg_ret()
}

/// Asserts that a system call returned `-E<name>`: `assert_errno!(call, EINVAL)`,
/// with an optional message as `assert_eq!` takes one.
#[allow(unused_macros)] // each test binary compiles this module; not all check errors
macro_rules! assert_errno {
    ($call:expr, $errno:ident $(, $($msg:tt)+)?) => {
        assert_eq!($call, $crate::syscall_sim::neg(ksignal::Errno::$errno) $(, $($msg)+)?)
    };
}
#[allow(unused_imports)]
pub(crate) use assert_errno;
