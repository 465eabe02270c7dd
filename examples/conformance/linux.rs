//! The Linux runner: executes a scenario on the host kernel.
//!
//! # Process layout
//! Per scenario the tool forks a child (its own process group, or with `threads N
//! orphaned` a session of its own, so that its process group is orphaned; a private uid
//! when run as root; no core dumps). The child's main thread is T0; it spawns
//! T1..T{N-1} and then one agent thread, so the kernel's thread list is T0, T1, …,
//! T{N-1}, agent. Every thread blocks all signals with a raw `rt_sigprocmask` before
//! anything else; after the spawns T0 resets every disposition to SIG_DFL with raw
//! `rt_sigaction` (undoing the Rust runtime's SIGPIPE/SIGSEGV/SIGBUS settings and what
//! glibc installed, its first `pthread_create` included) and checks that no handler is
//! left. The agent blocks everything, so it is never chosen as a target; it runs
//! `action` and `rlimit_sigpending`, the process-wide ops.
//!
//! # The controller is the parent
//! The tool process itself drives the ops: it sends every signal from outside the group
//! (`kill`, `rt_sigqueueinfo`, `tgkill`, `rt_tgsigqueueinfo` on the child), posts the
//! per-thread ops to the workers, and watches the child with `waitpid(WUNTRACED)`. So a
//! stop does not stop the controller: it reports `stopped SIG` in place of the op's
//! result and goes on. While the group is stopped, sends still go out, `pending Tk`
//! reads what `rt_sigpending` would return from `/proc/PID/task/TID/status`, and ops that
//! need a thread of the child to run are `skipped (stopped)`. A SIGCONT sent to the
//! stopped group is reported `continued` when `waitpid(WCONTINUED)` says so (or, if a
//! thread already started a group exit, when the threads have left the stopped state).
//! After a SIGKILL to the stopped group the controller waits for its death, unless every
//! thread is still stopped (the SIGKILL generated nothing: one sent to a zombie leader). `exit Tk` makes
//! worker k call `SYS_exit` and waits until the kernel has finished with it (a non-leader
//! is released: its tid no longer exists; a leader is a zombie in `/proc`).
//!
//! # Shared memory
//! One `MAP_SHARED` region, mapped by the parent before the fork, holds the per-thread
//! command slots (futex words shared between the two processes) and an append-only log.
//! The controller appends `start i` before op i, and the op's result, `stopped` or
//! `continued` records; the handler appends one `deliver` record per entry. Appending is
//! a `fetch_add` on the length, then the fields, then a `Release` store of the kind, so it
//! is async-signal-safe and the parent never reads a half-written record as complete. At
//! the end the parent rebuilds the trace from the log, adds how the child died, and
//! returns its canonical form (`Trace::canonical`).
//!
//! # Quiescence
//! A worker parks in `FUTEX_WAIT` with its scenario mask. Every signal the kernel makes
//! deliverable to a worker either interrupts that wait or finds the worker running, and in
//! both cases the kernel set TIF_SIGPENDING on it before the sending syscall returned. A
//! worker that sees a new command makes a syscall (the op itself, or `gettid` for a ping)
//! before it writes its acknowledgement, and every return from a syscall runs the whole
//! stacked delivery loop ([rule 47a]) first. So once a worker acknowledges a command posted
//! after the op, every delivery the op made to it has run. After each op (unless the group
//! is stopped) the controller pings every live worker and the agent in turn and repeats the
//! round until a round adds no log record. Handlers only log, so one round normally
//! suffices; the second proves it. While it waits for an acknowledgement the controller
//! checks the child with `waitpid` between bounded futex waits, so a group that stopped or
//! died is noticed whatever the machine's load (no sleep stands in for synchronisation).
//!
//! [rule 47a]: ksignal::docs::rules#rule-47a

use std::io;
use std::ptr;
use std::sync::atomic::{AtomicI32, AtomicI64, AtomicPtr, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use libc::{c_int, c_long, c_void};

use crate::runner::Runner;
use crate::scenario::{Disposition, MAX_THREADS, Op, Scenario, Sig, SigSet, Tid};
use crate::trace::{Errno, Event, Info, OpResult, SI_QUEUE, Trace};

/// Capacity of the log, in records.
const MAX_RECORDS: usize = 1 << 16;
/// Base of the per-child uid used when running as root (uid = base + child pid).
const UID_BASE: u32 = 200_000;
/// Hard timeout per scenario on top of its `wait` timeouts.
const BASE_TIMEOUT: Duration = Duration::from_secs(10);

const REC_START: u32 = 1;
const REC_DELIVER: u32 = 2;
const REC_RET: u32 = 3;
const REC_GOT: u32 = 4;
const REC_PENDING: u32 = 5;
const REC_FAIL: u32 = 6;
const REC_SKIPPED: u32 = 7;
const REC_STOPPED: u32 = 8;
const REC_CONTINUED: u32 = 9;

const CMD_PING: u32 = 1;
const CMD_BLOCK: u32 = 2;
const CMD_UNBLOCK: u32 = 3;
const CMD_SETMASK: u32 = 4;
const CMD_WAIT: u32 = 5;
const CMD_PENDING: u32 = 6;
const CMD_GETMASK: u32 = 7;
const CMD_ACTION: u32 = 8;
const CMD_RLIMIT: u32 = 9;
const CMD_EXIT: u32 = 10;

/// The slot of the agent thread, which runs `action` and `rlimit_sigpending`.
const AGENT: usize = MAX_THREADS;

/// Setup failures the child reports (REC_FAIL's `a`, and its exit status).
const FAIL_SPAWN: u32 = 1;
const FAIL_CREDS: u32 = 2;
const FAIL_RESET: u32 = 3;
const FAIL_STRAY: u32 = 4;
const FAIL_PANIC: u32 = 5;
const FAIL_MASK: u32 = 6;

const SA_SIGINFO: u64 = 4;
const SA_NODEFER: u64 = 0x4000_0000;
const SA_RESETHAND: u64 = 0x8000_0000;
#[cfg(target_arch = "x86_64")]
const SA_RESTORER: u64 = 0x0400_0000;

const SIG_BLOCK: c_int = 0;
const SIG_UNBLOCK: c_int = 1;
const SIG_SETMASK: c_int = 2;

/// One log record; all-zero is "not written yet".
#[repr(C)]
struct Record {
    kind: AtomicU32,
    a: AtomicU32,
    b: AtomicI32,
    c: AtomicI32,
    w: AtomicU64,
}

/// A worker's mailbox. `cmd` and `ack` are futex words holding sequence numbers.
#[repr(C)]
struct Slot {
    cmd: AtomicU32,
    ack: AtomicU32,
    op: AtomicU32,
    set: AtomicU64,
    timeout_ms: AtomicU32,
    ret: AtomicI64,
    code: AtomicI32,
    value: AtomicI32,
    mask: AtomicU64,
}

/// The `MAP_SHARED` region. Every field is an atomic, so the all-zero mapping is a valid
/// initial value and all threads and both processes may touch it concurrently.
#[repr(C)]
struct Shared {
    len: AtomicU32,
    ready: AtomicU32,
    tids: [AtomicI32; MAX_THREADS + 1],
    slots: [Slot; MAX_THREADS + 1],
    log: [Record; MAX_RECORDS],
}

/// The region the handler logs to (set in the child before any handler is installed).
static SHARED: AtomicPtr<Shared> = AtomicPtr::new(ptr::null_mut());

/// The kernel's `struct sigaction` (x86-64 and arm64 layout).
#[repr(C)]
struct KSigaction {
    handler: usize,
    flags: u64,
    restorer: usize,
    mask: u64,
}

/// The kernel's 64-bit `siginfo_t`, the fields this tool reads or writes.
#[repr(C)]
#[derive(Clone, Copy)]
struct RawSiginfo {
    signo: i32,
    errno: i32,
    code: i32,
    _pad: i32,
    pid: i32,
    uid: u32,
    /// `sigval`: `sival_int` is element 0 on either endianness.
    value: [i32; 2],
    _rest: [u64; 12],
}

const _: () = assert!(size_of::<RawSiginfo>() == 128);

impl RawSiginfo {
    fn zeroed() -> RawSiginfo {
        RawSiginfo {
            signo: 0,
            errno: 0,
            code: 0,
            _pad: 0,
            pid: 0,
            uid: 0,
            value: [0; 2],
            _rest: [0; 12],
        }
    }
}

// The signal-return trampoline: rt_sigreturn (syscall 15). x86-64 has no vDSO trampoline,
// so a handler installed without SA_RESTORER would fault on return ([rule 50]).
#[cfg(target_arch = "x86_64")]
core::arch::global_asm!(
    ".pushsection .text.ksignal_conformance_restorer,\"ax\",@progbits",
    ".globl ksignal_conformance_restorer",
    ".type ksignal_conformance_restorer,@function",
    "ksignal_conformance_restorer:",
    "mov eax, 15",
    "syscall",
    "ud2",
    ".popsection",
);

#[cfg(target_arch = "x86_64")]
unsafe extern "C" {
    fn ksignal_conformance_restorer();
}

/// `(SA_RESTORER, restorer)` for this architecture; arm64 uses the vDSO trampoline.
fn restorer() -> (u64, usize) {
    #[cfg(target_arch = "x86_64")]
    {
        (
            SA_RESTORER,
            ksignal_conformance_restorer as *const () as usize,
        )
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        (0, 0)
    }
}

fn errno() -> i64 {
    i64::from(io::Error::last_os_error().raw_os_error().unwrap_or(0))
}

/// Turns libc::syscall's `-1`/errno convention into `-errno`.
fn sysret(r: c_long) -> i64 {
    if r == -1 { -errno() } else { r }
}

fn gettid() -> i32 {
    // SAFETY: gettid takes no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_gettid) as i32 }
}

fn getpid() -> i32 {
    // SAFETY: getpid takes no arguments and cannot fail.
    unsafe { libc::syscall(libc::SYS_getpid) as i32 }
}

fn sigprocmask(how: c_int, set: u64) -> i64 {
    // SAFETY: `set` is a live 8-byte sigset; the old-set pointer is NULL.
    sysret(unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            how,
            &set as *const u64,
            ptr::null_mut::<u64>(),
            8usize,
        )
    })
}

fn sigaction(sig: u8, act: Option<&KSigaction>, old: Option<&mut KSigaction>) -> i64 {
    let act = act.map_or(ptr::null(), |a| a as *const KSigaction);
    let old = old.map_or(ptr::null_mut(), |o| o as *mut KSigaction);
    // SAFETY: both pointers are NULL or point to live kernel-layout sigactions.
    sysret(unsafe { libc::syscall(libc::SYS_rt_sigaction, c_int::from(sig), act, old, 8usize) })
}

/// Waits on a futex word shared between the tool and the child (so not
/// FUTEX_PRIVATE), at most `timeout` (`None`: no limit). Spurious returns are fine:
/// every caller re-checks the word.
fn futex_wait(word: &AtomicU32, expected: u32, timeout: Option<Duration>) {
    let ts = timeout.map(|t| libc::timespec {
        tv_sec: t.as_secs() as libc::time_t,
        tv_nsec: t.subsec_nanos() as libc::c_long,
    });
    let tsp = ts
        .as_ref()
        .map_or(ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: `word` is a live, aligned u32; `tsp` is NULL or a live timespec.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            tsp,
        );
    }
}

fn futex_wake(word: &AtomicU32) {
    // SAFETY: `word` is a live, aligned u32.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), libc::FUTEX_WAKE, i32::MAX);
    }
}

fn prlimit(resource: c_int, new: Option<[u64; 2]>, old: Option<&mut [u64; 2]>) -> i64 {
    let new = new.as_ref().map_or(ptr::null(), |n| n as *const [u64; 2]);
    let old = old.map_or(ptr::null_mut(), |o| o as *mut [u64; 2]);
    // SAFETY: both pointers are NULL or point to live `struct rlimit64`s (two u64s).
    sysret(unsafe { libc::syscall(libc::SYS_prlimit64, 0, resource, new, old) })
}

impl Shared {
    /// Appends a record; async-signal-safe.
    fn push(&self, kind: u32, a: u32, b: i32, c: i32, w: u64) {
        let i = self.len.fetch_add(1, Ordering::AcqRel) as usize;
        let Some(r) = self.log.get(i) else { return };
        r.a.store(a, Ordering::Relaxed);
        r.b.store(b, Ordering::Relaxed);
        r.c.store(c, Ordering::Relaxed);
        r.w.store(w, Ordering::Relaxed);
        r.kind.store(kind, Ordering::Release);
    }

    fn thread_index(&self, tid: i32) -> u32 {
        self.tids
            .iter()
            .position(|t| t.load(Ordering::Acquire) == tid)
            .map_or(u32::MAX, |i| i as u32)
    }
}

/// The handler every `action SIG handler` installs: logs who got what, nothing else.
extern "C" fn on_signal(sig: c_int, info: *mut RawSiginfo, _ucontext: *mut c_void) {
    let sh = SHARED.load(Ordering::Acquire);
    if sh.is_null() {
        return;
    }
    // SAFETY: SHARED points to the mapping, which lives until the process exits.
    let sh = unsafe { &*sh };
    let (code, value) = if info.is_null() {
        (0, 0)
    } else {
        // SAFETY: with SA_SIGINFO the kernel passes a valid siginfo on the signal frame.
        let info = unsafe { &*info };
        (info.code, info.value[0])
    };
    let who = sh.thread_index(gettid());
    sh.push(REC_DELIVER, who, sig, code, value as u32 as u64);
}

/// The Linux runner.
pub struct LinuxRunner {
    timeout: Option<Duration>,
}

impl LinuxRunner {
    /// Blocks SIGCHLD in the calling thread (the tool must be single-threaded: it forks),
    /// so child state changes can be awaited with `rt_sigtimedwait`.
    pub fn new(timeout: Option<Duration>) -> LinuxRunner {
        sigprocmask(SIG_BLOCK, SigSet::of(Sig::CHLD).0);
        LinuxRunner { timeout }
    }
}

impl Runner for LinuxRunner {
    fn name(&self) -> &'static str {
        "linux"
    }

    fn run_scenario(&self, sc: &Scenario) -> Result<Trace, String> {
        run(sc, self.timeout)
    }
}

/// How the child ended.
enum Outcome {
    Exited(i32),
    Signaled(u8),
    Timeout,
}

/// Owns the shared mapping.
struct Mapping(*mut Shared);

impl Mapping {
    fn new() -> Result<Mapping, String> {
        // SAFETY: an anonymous shared mapping; no existing memory is touched.
        let p = unsafe {
            libc::mmap(
                ptr::null_mut(),
                size_of::<Shared>(),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(format!("mmap: {}", io::Error::last_os_error()));
        }
        Ok(Mapping(p.cast()))
    }

    fn get(&self) -> &Shared {
        // SAFETY: the mapping is zero-filled and page-aligned, all-zero is a valid `Shared`
        // (atomics only), and it stays mapped while `self` lives.
        unsafe { &*self.0 }
    }

    /// The region for the rest of the process's life; only for the forked child, which
    /// leaves through `exit_group` and so never drops (unmaps) the mapping.
    fn leak_in_child(&self) -> &'static Shared {
        // SAFETY: as in `get`; the child never runs `drop`, so the mapping outlives every
        // thread of the child.
        unsafe { &*self.0 }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the region `new` mapped; no reference outlives this.
        unsafe {
            libc::munmap(self.0.cast(), size_of::<Shared>());
        }
    }
}

fn run(sc: &Scenario, timeout: Option<Duration>) -> Result<Trace, String> {
    if !(1..=MAX_THREADS).contains(&sc.threads) {
        return Err(format!("threads {} not in 1..64", sc.threads));
    }
    if !cfg!(any(target_arch = "x86_64", target_arch = "aarch64")) {
        return Err("the linux runner supports x86_64 and aarch64 only".into());
    }
    let map = Mapping::new()?;
    let parent = getpid();
    // SAFETY: the tool is single-threaded, so the child may allocate and spawn threads.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", io::Error::last_os_error()));
    }
    if pid == 0 {
        // `child_main` never returns; a panic must not unwind into the tool's code.
        let sh = map.leak_in_child();
        let _ = std::panic::catch_unwind(|| child_main(sh, sc, parent));
        fail(sh, FAIL_PANIC);
    }
    if !sc.orphaned {
        // SAFETY: plain syscall; the child does the same, whichever runs first wins.
        // (An orphaned scenario's child calls setsid, which a group leader may not.)
        unsafe {
            libc::setpgid(pid, pid);
        }
    }
    let limit = timeout.unwrap_or(BASE_TIMEOUT + Duration::from_millis(sc.total_wait_ms()));
    let mut ctl = Ctl {
        sh: map.get(),
        pid,
        deadline: Instant::now() + limit,
        live: vec![true; sc.threads],
        bg: vec![false; sc.threads],
        stopped: false,
    };
    let end = ctl.drive(sc);
    if !matches!(end, Some(Outcome::Signaled(_)) | Some(Outcome::Exited(_))) {
        kill_child(pid);
        reap(pid);
    }
    build_trace(sc, map.get(), end)
}

fn exit_group(code: i32) -> ! {
    // SAFETY: exit_group ends every thread of the process and does not return.
    unsafe {
        libc::syscall(libc::SYS_exit_group, code);
    }
    unreachable!("exit_group returned")
}

fn kill_child(pid: i32) {
    // SAFETY: plain syscalls on the child's process group and pid.
    unsafe {
        libc::kill(-pid, libc::SIGKILL);
        libc::kill(pid, libc::SIGKILL);
    }
}

fn reap(pid: i32) {
    let mut st: c_int = 0;
    // SAFETY: `st` is a live int; blocks until the killed child is gone.
    unsafe {
        libc::waitpid(pid, &mut st, 0);
    }
}

fn fail_text(code: u32) -> &'static str {
    match code {
        FAIL_SPAWN => "could not spawn a thread",
        FAIL_CREDS => "could not set up credentials or limits",
        FAIL_RESET => "could not reset a disposition",
        FAIL_STRAY => "a stray handler survived the reset",
        FAIL_PANIC => "panic in the child",
        FAIL_MASK => "a worker does not block every signal",
        _ => "unknown failure",
    }
}

/// Why the controller cannot go on with the ops.
enum Halt {
    /// The group stopped on this signal (`waitpid(WUNTRACED)`).
    Stopped(u8),
    /// The child is gone, or the runner gave up.
    Dead(Outcome),
}

/// The controller: the tool process itself, the child's parent, so it sends from
/// outside the group (and can go on sending while the group is stopped) and sees the
/// group stop and die through `waitpid`.
struct Ctl<'a> {
    sh: &'a Shared,
    pid: i32,
    deadline: Instant,
    /// Workers that have not exited.
    live: Vec<bool>,
    /// Workers inside a `waitbg` not yet collected (they answer no ping).
    bg: Vec<bool>,
    /// The group is stopped (reported by `waitpid`, not yet continued).
    stopped: bool,
}

/// How long one futex wait for an acknowledgement lasts before the controller checks
/// on the child again (a check interval, not a synchronisation delay).
const POLL: Duration = Duration::from_millis(5);

impl Ctl<'_> {
    /// Whether the child stopped or died; `Err(Dead(Timeout))` past the deadline.
    fn check(&self) -> Result<(), Halt> {
        let mut st: c_int = 0;
        // SAFETY: `st` is a live int.
        let r = unsafe { libc::waitpid(self.pid, &mut st, libc::WNOHANG | libc::WUNTRACED) };
        if r == self.pid {
            if libc::WIFSTOPPED(st) {
                return Err(Halt::Stopped(libc::WSTOPSIG(st) as u8));
            }
            if libc::WIFSIGNALED(st) {
                return Err(Halt::Dead(Outcome::Signaled(libc::WTERMSIG(st) as u8)));
            }
            if libc::WIFEXITED(st) {
                return Err(Halt::Dead(Outcome::Exited(libc::WEXITSTATUS(st))));
            }
        }
        if Instant::now() >= self.deadline {
            return Err(Halt::Dead(Outcome::Timeout));
        }
        Ok(())
    }

    /// Waits until `done` holds, checking on the child between futex waits on `word`.
    fn await_word(&self, word: &AtomicU32, done: impl Fn(u32) -> bool) -> Result<(), Halt> {
        loop {
            let v = word.load(Ordering::Acquire);
            if done(v) {
                return Ok(());
            }
            self.check()?;
            futex_wait(word, v, Some(POLL));
        }
    }

    /// Posts a command to thread slot `k` and waits for its acknowledgement.
    fn dispatch(&self, k: usize, op: u32, set: u64, timeout_ms: u32) -> Result<&Slot, Halt> {
        let slot = self.post(k, op, set, timeout_ms);
        let seq = slot.cmd.load(Ordering::Relaxed);
        self.await_word(&slot.ack, |a| a == seq)?;
        Ok(slot)
    }

    fn post(&self, k: usize, op: u32, set: u64, timeout_ms: u32) -> &Slot {
        let slot = &self.sh.slots[k];
        slot.op.store(op, Ordering::Relaxed);
        slot.set.store(set, Ordering::Relaxed);
        slot.timeout_ms.store(timeout_ms, Ordering::Relaxed);
        let seq = slot.cmd.load(Ordering::Relaxed).wrapping_add(1).max(1);
        slot.cmd.store(seq, Ordering::Release);
        futex_wake(&slot.cmd);
        slot
    }

    /// Pings every live worker, then the agent, until a whole round adds nothing to
    /// the log (module docs).
    fn quiesce(&self) -> Result<(), Halt> {
        loop {
            let before = self.sh.len.load(Ordering::Acquire);
            for k in (0..self.live.len()).filter(|k| self.live[*k] && !self.bg[*k]) {
                self.dispatch(k, CMD_PING, 0, 0)?;
            }
            self.dispatch(AGENT, CMD_PING, 0, 0)?;
            if self.sh.len.load(Ordering::Acquire) == before {
                return Ok(());
            }
        }
    }

    /// Waits for the child to die (after SIGKILL to a stopped group).
    fn await_death(&self) -> Halt {
        loop {
            if let Err(h @ Halt::Dead(_)) = self.check() {
                return h;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Setup, then every op; the outcome if the child died (or the runner gave up).
    fn drive(&mut self, sc: &Scenario) -> Option<Outcome> {
        match self.drive_inner(sc) {
            Ok(()) => None,
            Err(Halt::Dead(o)) => Some(o),
            Err(Halt::Stopped(_)) => Some(Outcome::Timeout),
        }
    }

    fn drive_inner(&mut self, sc: &Scenario) -> Result<(), Halt> {
        let threads = sc.threads;
        self.await_word(&self.sh.ready, |r| r as usize == threads + 1)?;
        // Every worker must block everything but KILL and STOP, which cannot be blocked.
        let mut blockable = SigSet::ALL;
        blockable.remove(Sig::KILL);
        blockable.remove(Sig::STOP);
        for k in (0..threads).chain([AGENT]) {
            let slot = self.dispatch(k, CMD_GETMASK, 0, 0)?;
            if slot.ret.load(Ordering::Relaxed) != 0
                || slot.mask.load(Ordering::Relaxed) != blockable.0
            {
                self.sh.push(REC_FAIL, FAIL_MASK, 0, 0, 0);
                return Err(Halt::Dead(Outcome::Exited(100 + FAIL_MASK as i32)));
            }
        }
        for (i, op) in sc.ops.iter().enumerate() {
            self.sh.push(REC_START, i as u32, 0, 0, 0);
            match self.step(op) {
                Ok(result) => push_result(self.sh, result),
                Err(Halt::Stopped(s)) => {
                    self.stopped = true;
                    self.sh.push(REC_STOPPED, u32::from(s), 0, 0, 0);
                }
                Err(dead) => return Err(dead),
            }
        }
        Ok(())
    }

    /// Runs one op and waits until the process is quiet again (or stopped, or dead).
    fn step(&mut self, op: &Op) -> Result<OpResult, Halt> {
        let sh = self.sh;
        let tid = |t: Tid| sh.tids[t.0].load(Ordering::Acquire);
        let esrch = OpResult::Err(Errno(libc::ESRCH));
        if op.thread().is_some_and(|t| !self.live[t.0]) {
            return Ok(esrch);
        }
        let needs_thread = op.sent().is_none() && !matches!(op, Op::Pending(_));
        if self.stopped && needs_thread {
            return Ok(OpResult::Skipped);
        }
        let ret = |slot: &Slot| to_result(slot.ret.load(Ordering::Relaxed));
        let result = match *op {
            Op::Action(a) => {
                let packed = match a.disp {
                    Disposition::Default => 0,
                    Disposition::Ignore => 1,
                    Disposition::Handler => 2,
                } | u32::from(a.nodefer) << 4
                    | u32::from(a.resethand) << 5;
                ret(self.dispatch(AGENT, CMD_ACTION, u64::from(a.sig.num()), packed)?)
            }
            Op::Block(t, set) => ret(self.dispatch(t.0, CMD_BLOCK, set.0, 0)?),
            Op::Unblock(t, set) => ret(self.dispatch(t.0, CMD_UNBLOCK, set.0, 0)?),
            Op::SetMask(t, set) => ret(self.dispatch(t.0, CMD_SETMASK, set.0, 0)?),
            Op::RlimitSigpending(n) => {
                let slot = self.post(AGENT, CMD_RLIMIT, n, 0);
                let seq = slot.cmd.load(Ordering::Relaxed);
                self.await_word(&slot.ack, |a| a == seq)?;
                ret(slot)
            }
            Op::Wait(t, set, ms) => wait_result(self.dispatch(t.0, CMD_WAIT, set.0, ms)?),
            Op::WaitBg(t, set, ms) => {
                self.post(t.0, CMD_WAIT, set.0, ms);
                let slot = &sh.slots[t.0];
                let seq = slot.cmd.load(Ordering::Relaxed);
                self.bg[t.0] = true;
                // Go on only once the thread sleeps in rt_sigtimedwait (or the call
                // already returned), so what the next ops send finds it waiting.
                let who = tid(t);
                while slot.ack.load(Ordering::Acquire) != seq && !in_sigtimedwait(self.pid, who) {
                    self.check()?;
                    std::thread::sleep(Duration::from_millis(1));
                }
                OpResult::Ok
            }
            Op::Collect(t) => {
                let slot = &sh.slots[t.0];
                let seq = slot.cmd.load(Ordering::Relaxed);
                self.await_word(&slot.ack, |a| a == seq)?;
                self.bg[t.0] = false;
                wait_result(slot)
            }
            Op::Pending(t) if self.stopped => {
                // The thread cannot run: read what rt_sigpending would return from
                // /proc (nothing changes while the group is stopped).
                match proc_pending(self.pid, tid(t)) {
                    Some(set) => OpResult::Pending(SigSet(set)),
                    None => return Err(Halt::Dead(Outcome::Timeout)),
                }
            }
            Op::Pending(t) => {
                let slot = self.dispatch(t.0, CMD_PENDING, 0, 0)?;
                match slot.ret.load(Ordering::Relaxed) {
                    0 => OpResult::Pending(SigSet(slot.mask.load(Ordering::Relaxed))),
                    r => to_result(r),
                }
            }
            Op::Exit(t) => {
                let who = tid(t);
                self.post(t.0, CMD_EXIT, 0, 0);
                self.live[t.0] = false;
                self.await_exit(t.0 == 0, who)?;
                OpResult::Ok
            }
            Op::Kill(_) | Op::SigQueue(..) | Op::Tkill(..) | Op::TSigQueue(..) => {
                let r = send(self.pid, tid, op);
                let sig = op.sent().expect("a send op");
                if self.stopped && r == OpResult::Ok {
                    if sig.num() == libc::SIGCONT as u8 {
                        self.observe_continue()?;
                    } else if sig == Sig::KILL && !self.all_threads_stopped() {
                        // complete_signal zapped the group before the send returned,
                        // waking every thread to die. (A SIGKILL that generated
                        // nothing, such as one to a zombie leader, leaves them stopped.)
                        return Err(self.await_death());
                    }
                }
                r
            }
        };
        if !self.stopped {
            self.quiesce()?;
        }
        Ok(result)
    }

    /// After a SIGCONT sent to the stopped group: `waitpid(WCONTINUED)` tells whether
    /// it continued. prepare_signal sets SIGNAL_STOP_CONTINUED before the send returns,
    /// so the report is there at once, unless the group has already died of a signal
    /// that was pending (a stopped group dies only after a continue, or of SIGKILL,
    /// which this send is not).
    fn observe_continue(&mut self) -> Result<(), Halt> {
        let mut st: c_int = 0;
        // SAFETY: `st` is a live int.
        let r = unsafe {
            libc::waitpid(
                self.pid,
                &mut st,
                libc::WNOHANG | libc::WCONTINUED | libc::WUNTRACED,
            )
        };
        // No report: either the group is still stopped, or it continued and a thread
        // already started the group exit (which clears SIGNAL_STOP_CONTINUED) without
        // being dead yet. A continued thread is never left in the stopped state.
        if r != self.pid && self.all_threads_stopped() {
            return Ok(());
        }
        self.stopped = false;
        self.sh.push(REC_CONTINUED, 0, 0, 0, 0);
        if r == self.pid && libc::WIFSIGNALED(st) {
            return Err(Halt::Dead(Outcome::Signaled(libc::WTERMSIG(st) as u8)));
        }
        if r == self.pid && libc::WIFEXITED(st) {
            return Err(Halt::Dead(Outcome::Exited(libc::WEXITSTATUS(st))));
        }
        Ok(())
    }

    /// Whether every thread of the child that has not exited is in the stopped state
    /// (`T` in /proc); false once any of them runs again or the child is gone.
    fn all_threads_stopped(&self) -> bool {
        let Ok(dir) = std::fs::read_dir(format!("/proc/{}/task", self.pid)) else {
            return false;
        };
        let mut any = false;
        for entry in dir.flatten() {
            let Some(tid) = entry.file_name().to_str().and_then(|t| t.parse().ok()) else {
                continue;
            };
            match proc_state(self.pid, tid) {
                Some('T') => any = true,
                Some('Z') => {}
                _ => return false,
            }
        }
        any
    }

    /// Waits until thread `who` has finished exiting: a non-leader is released (its
    /// id is gone), a leader with live threads is a zombie.
    fn await_exit(&self, leader: bool, who: i32) -> Result<(), Halt> {
        loop {
            let gone = if leader {
                proc_state(self.pid, who) == Some('Z')
            } else {
                // SAFETY: signal 0 only checks that the thread exists.
                let r = sysret(unsafe { libc::syscall(libc::SYS_tgkill, self.pid, who, 0) });
                r == -i64::from(libc::ESRCH)
            };
            if gone {
                return Ok(());
            }
            self.check()?;
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

fn push_result(sh: &Shared, result: OpResult) {
    match result {
        OpResult::Ok => sh.push(REC_RET, 0, 0, 0, 0),
        OpResult::Err(Errno(e)) => sh.push(REC_RET, 0, -e, 0, 0),
        OpResult::Got(info) => sh.push(
            REC_GOT,
            0,
            i32::from(info.sig.num()),
            info.code.0,
            info.value as u32 as u64,
        ),
        OpResult::Pending(set) => sh.push(REC_PENDING, 0, 0, 0, set.0),
        OpResult::Skipped => sh.push(REC_SKIPPED, 0, 0, 0, 0),
    }
}

/// What a `wait` or `waitbg` command left in its slot.
fn wait_result(slot: &Slot) -> OpResult {
    let r = slot.ret.load(Ordering::Relaxed);
    match Sig::new(r as u32) {
        Some(sig) if r > 0 => OpResult::Got(Info::new(
            sig,
            slot.code.load(Ordering::Relaxed),
            slot.value.load(Ordering::Relaxed),
        )),
        _ => to_result(r),
    }
}

/// Whether thread `tid` sleeps in rt_sigtimedwait (`/proc/PID/task/TID/syscall` names
/// the system call a blocked thread is in).
fn in_sigtimedwait(pid: i32, tid: i32) -> bool {
    let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/syscall")) else {
        return false;
    };
    let nr = text
        .split_whitespace()
        .next()
        .and_then(|n| n.parse::<i64>().ok());
    nr == Some(libc::SYS_rt_sigtimedwait) && proc_state(pid, tid) == Some('S')
}

/// A thread's state letter from `/proc/PID/task/TID/stat`.
fn proc_state(pid: i32, tid: i32) -> Option<char> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
    // The state follows the parenthesised command name, which may contain spaces.
    let after = &text[text.rfind(')')? + 1..];
    after.trim_start().chars().next()
}

/// What rt_sigpending would return on thread `tid`: (private | shared) & blocked,
/// from `/proc/PID/task/TID/status`.
fn proc_pending(pid: i32, tid: i32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).ok()?;
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
    };
    Some((field("SigPnd:")? | field("ShdPnd:")?) & field("SigBlk:")?)
}

fn build_trace(sc: &Scenario, sh: &Shared, end: Option<Outcome>) -> Result<Trace, String> {
    let mut events = vec![Event::Threads(sc.threads, sc.orphaned)];
    let len = sh.len.load(Ordering::Acquire) as usize;
    if len > MAX_RECORDS {
        return Err(format!("log overflow ({len} records)"));
    }
    for r in &sh.log[..len] {
        let (a, b, c, w) = (
            r.a.load(Ordering::Relaxed),
            r.b.load(Ordering::Relaxed),
            r.c.load(Ordering::Relaxed),
            r.w.load(Ordering::Relaxed),
        );
        let sig = |n: i32| Sig::new(n as u32).ok_or_else(|| format!("bad signal number {n}"));
        match r.kind.load(Ordering::Acquire) {
            0 => {}
            REC_START => {
                let op = sc.ops.get(a as usize).ok_or("bad op index in log")?;
                events.push(Event::Echo(op.clone()));
            }
            REC_DELIVER => {
                if a as usize >= sc.threads {
                    return Err(format!("handler ran on an unknown thread (signal {b})"));
                }
                events.push(Event::Deliver(
                    Tid(a as usize),
                    Info::new(sig(b)?, c, w as i32),
                ));
            }
            k @ (REC_RET | REC_GOT | REC_PENDING) => {
                events.push(Event::Result(match k {
                    _ if b < 0 => OpResult::Err(Errno(-b)),
                    REC_RET => OpResult::Ok,
                    REC_GOT => OpResult::Got(Info::new(sig(b)?, c, w as i32)),
                    _ => OpResult::Pending(SigSet(w)),
                }));
            }
            REC_SKIPPED => events.push(Event::Result(OpResult::Skipped)),
            REC_STOPPED => events.push(Event::Stopped(sig(a as i32)?)),
            REC_CONTINUED => events.push(Event::Continued),
            REC_FAIL => return Err(format!("child setup failed: {}", fail_text(a))),
            k => return Err(format!("bad log record kind {k}")),
        }
    }
    match end {
        None => {}
        Some(Outcome::Exited(code)) if code > 100 => {
            return Err(format!("child failed: {}", fail_text(code as u32 - 100)));
        }
        Some(Outcome::Exited(code)) => return Err(format!("child exited with status {code}")),
        Some(Outcome::Signaled(s)) => events.push(Event::Terminated(sig_of(s)?)),
        Some(Outcome::Timeout) => events.push(Event::Timeout),
    }
    Ok(Trace { events }.canonical())
}

fn sig_of(n: u8) -> Result<Sig, String> {
    Sig::new(u32::from(n)).ok_or_else(|| format!("bad signal number {n}"))
}

/// Reports a setup failure and exits the child.
fn fail(sh: &Shared, code: u32) -> ! {
    sh.push(REC_FAIL, code, 0, 0, 0);
    exit_group(100 + code as i32)
}

/// The child: set up credentials and limits, spawn the threads, become T0.
fn child_main(sh: &'static Shared, sc: &Scenario, parent: i32) -> ! {
    sigprocmask(SIG_SETMASK, SigSet::ALL.0);
    SHARED.store(ptr::from_ref(sh).cast_mut(), Ordering::Release);
    // No panic hook is set here: the child is forked from a process that may have other
    // threads (the test harness), one of which may have held the hook's lock at the
    // fork. Each thread's body is under `catch_unwind` instead, so a panic ends the child
    // (and is reported) rather than leaving a half-built process to time out.
    // SAFETY: plain syscalls on this process. A session of its own makes the process
    // group orphaned: the parent is in another session.
    unsafe {
        if sc.orphaned {
            libc::setsid();
        } else {
            libc::setpgid(0, 0);
        }
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
    let mut ok = prlimit(libc::RLIMIT_CORE as c_int, Some([0, 0]), None) == 0;
    // SAFETY: geteuid cannot fail.
    if unsafe { libc::geteuid() } == 0 {
        // RLIMIT_SIGPENDING counts per user: a uid of its own keeps other processes'
        // queued signals out of this scenario's count. Raising the hard limit (so that
        // `rlimit_sigpending` may set any soft limit) needs CAP_SYS_RESOURCE: best effort.
        let mut old = [0u64; 2];
        if prlimit(libc::RLIMIT_SIGPENDING as c_int, None, Some(&mut old)) == 0 {
            prlimit(
                libc::RLIMIT_SIGPENDING as c_int,
                Some([old[0], libc::RLIM64_INFINITY]),
                None,
            );
        }
        let uid = UID_BASE + getpid() as u32;
        // SAFETY: raw setresuid changes this (still only) thread's credentials; glibc's
        // wrapper would broadcast with signal 33, which must not be touched.
        ok &= unsafe { libc::syscall(libc::SYS_setresuid, uid, uid, uid) } == 0;
    }
    // SAFETY: plain prctl/getppid; the death signal is set after the uid change, which
    // would clear it.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
        if libc::getppid() != parent {
            exit_group(1);
        }
    }
    if !ok {
        fail(sh, FAIL_CREDS);
    }
    sh.tids[0].store(gettid(), Ordering::Release);
    for k in (1..sc.threads).chain([AGENT]) {
        let spawned = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let _ = std::panic::catch_unwind(|| worker(sh, k));
                fail(sh, FAIL_PANIC)
            });
        if spawned.is_err() {
            fail(sh, FAIL_SPAWN);
        }
    }
    // After the spawns: glibc's first pthread_create installs handlers of its own.
    reset_dispositions(sh);
    worker(sh, 0)
}

/// A worker thread's life: block everything, announce itself, serve commands.
fn worker(sh: &'static Shared, k: usize) -> ! {
    sigprocmask(SIG_SETMASK, SigSet::ALL.0);
    sh.tids[k].store(gettid(), Ordering::Release);
    sh.ready.fetch_add(1, Ordering::AcqRel);
    futex_wake(&sh.ready);
    let slot = &sh.slots[k];
    let mut seen = 0;
    loop {
        let cmd = slot.cmd.load(Ordering::Acquire);
        if cmd == seen {
            futex_wait(&slot.cmd, seen, None);
            continue;
        }
        seen = cmd;
        serve(slot);
        slot.ack.store(cmd, Ordering::Release);
        futex_wake(&slot.ack);
    }
}

/// Runs one command on the calling worker. Each command makes at least one syscall, whose
/// return to user space runs every delivery pending for this thread (see the module docs).
fn serve(slot: &Slot) {
    let set = slot.set.load(Ordering::Relaxed);
    let ret = match slot.op.load(Ordering::Relaxed) {
        CMD_BLOCK => sigprocmask(SIG_BLOCK, set),
        CMD_UNBLOCK => sigprocmask(SIG_UNBLOCK, set),
        CMD_SETMASK => sigprocmask(SIG_SETMASK, set),
        CMD_WAIT => {
            let ms = slot.timeout_ms.load(Ordering::Relaxed);
            let ts = libc::timespec {
                tv_sec: (ms / 1000) as libc::time_t,
                tv_nsec: (ms % 1000) as libc::c_long * 1_000_000,
            };
            let mut info = RawSiginfo::zeroed();
            // SAFETY: live set, siginfo and timespec of the kernel's layouts.
            let r = sysret(unsafe {
                libc::syscall(
                    libc::SYS_rt_sigtimedwait,
                    &set as *const u64,
                    &mut info as *mut RawSiginfo,
                    &ts as *const libc::timespec,
                    8usize,
                )
            });
            slot.code.store(info.code, Ordering::Relaxed);
            slot.value.store(info.value[0], Ordering::Relaxed);
            r
        }
        CMD_PENDING => {
            let mut pending = 0u64;
            // SAFETY: `pending` is a live 8-byte sigset.
            let r = sysret(unsafe {
                libc::syscall(libc::SYS_rt_sigpending, &mut pending as *mut u64, 8usize)
            });
            slot.mask.store(pending, Ordering::Relaxed);
            r
        }
        CMD_GETMASK => {
            let mut old = 0u64;
            // SAFETY: a NULL new set only reads the mask into the live `old`.
            let r = sysret(unsafe {
                libc::syscall(
                    libc::SYS_rt_sigprocmask,
                    SIG_BLOCK,
                    ptr::null::<u64>(),
                    &mut old as *mut u64,
                    8usize,
                )
            });
            slot.mask.store(old, Ordering::Relaxed);
            r
        }
        CMD_ACTION => set_action(set as u8, slot.timeout_ms.load(Ordering::Relaxed)),
        CMD_RLIMIT => {
            let mut old = [0u64; 2];
            match prlimit(libc::RLIMIT_SIGPENDING as c_int, None, Some(&mut old)) {
                0 => prlimit(libc::RLIMIT_SIGPENDING as c_int, Some([set, old[1]]), None),
                r => r,
            }
        }
        CMD_EXIT => {
            // SAFETY: SYS_exit ends only this thread; it owns nothing another thread
            // waits for.
            unsafe {
                libc::syscall(libc::SYS_exit, 0);
            }
            unreachable!("SYS_exit returned")
        }
        _ => {
            gettid();
            0
        }
    };
    slot.ret.store(ret, Ordering::Relaxed);
}

/// `rt_sigaction` for `action SIG ...`: `packed` is the disposition (0 default, 1
/// ignore, 2 handler) | nodefer << 4 | resethand << 5.
fn set_action(sig: u8, packed: u32) -> i64 {
    let (restorer_flag, restorer) = restorer();
    let mut flags = restorer_flag;
    if packed & 1 << 4 != 0 {
        flags |= SA_NODEFER;
    }
    if packed & 1 << 5 != 0 {
        flags |= SA_RESETHAND;
    }
    let handler = match packed & 0xf {
        0 => libc::SIG_DFL,
        1 => libc::SIG_IGN,
        _ => {
            flags |= SA_SIGINFO;
            on_signal as *const () as usize
        }
    };
    let act = KSigaction {
        handler,
        flags,
        restorer,
        mask: 0,
    };
    sigaction(sig, Some(&act), None)
}

/// SIG_DFL for every signal that can be set, then a check that nothing else is left.
fn reset_dispositions(sh: &Shared) {
    let (restorer_flag, restorer) = restorer();
    for n in 1..=64u8 {
        if n == Sig::KILL.num() || n == Sig::STOP.num() {
            continue;
        }
        let act = KSigaction {
            handler: libc::SIG_DFL,
            flags: restorer_flag,
            restorer,
            mask: 0,
        };
        if sigaction(n, Some(&act), None) != 0 {
            fail(sh, FAIL_RESET);
        }
        let mut old = KSigaction {
            handler: usize::MAX,
            flags: 0,
            restorer: 0,
            mask: 0,
        };
        if sigaction(n, None, Some(&mut old)) != 0 || old.handler != libc::SIG_DFL {
            fail(sh, FAIL_STRAY);
        }
    }
}

fn to_result(ret: i64) -> OpResult {
    if ret < 0 {
        OpResult::Err(Errno(-ret as i32))
    } else {
        OpResult::Ok
    }
}

fn queue_info(sig: Sig, value: i32) -> RawSiginfo {
    let mut info = RawSiginfo::zeroed();
    info.signo = i32::from(sig.num());
    info.code = SI_QUEUE;
    info.pid = getpid();
    // SAFETY: getuid cannot fail.
    info.uid = unsafe { libc::getuid() };
    info.value[0] = value;
    info
}

/// A send op, made by the tool (the child's parent) to process `pid`.
fn send(pid: i32, tid: impl Fn(Tid) -> i32, op: &Op) -> OpResult {
    let sig_arg = |s: Sig| c_int::from(s.num());
    // SAFETY (every arm): plain signal syscalls on the child; `info` is a live
    // 128-byte siginfo.
    let r = match *op {
        Op::Kill(sig) => unsafe { libc::syscall(libc::SYS_kill, pid, sig_arg(sig)) },
        Op::SigQueue(sig, value) => {
            let mut info = queue_info(sig, value);
            unsafe { libc::syscall(libc::SYS_rt_sigqueueinfo, pid, sig_arg(sig), &raw mut info) }
        }
        Op::Tkill(t, sig) => unsafe { libc::syscall(libc::SYS_tgkill, pid, tid(t), sig_arg(sig)) },
        Op::TSigQueue(t, sig, value) => {
            let mut info = queue_info(sig, value);
            unsafe {
                libc::syscall(
                    libc::SYS_rt_tgsigqueueinfo,
                    pid,
                    tid(t),
                    sig_arg(sig),
                    &raw mut info,
                )
            }
        }
        _ => unreachable!("not a send op"),
    };
    to_result(sysret(r))
}
