//! The Linux runner: executes a scenario on the host kernel.
//!
//! # Process layout
//! Per scenario the tool forks a child (its own process group, a private uid when run as
//! root, no core dumps). The child's main thread is T0; it spawns T1..T{N-1} and then one
//! controller thread, so the kernel's thread list is T0, T1, …, T{N-1}, controller. Every
//! thread blocks all signals with a raw `rt_sigprocmask` before anything else, and the
//! controller resets every disposition to SIG_DFL with raw `rt_sigaction` (undoing the
//! Rust runtime's SIGPIPE/SIGSEGV/SIGBUS settings and anything glibc installed) and checks
//! that no handler is left before the first op. The controller blocks everything, so it is
//! never chosen as a target.
//!
//! # Shared memory
//! One `MAP_SHARED` region, mapped by the parent before the fork, holds the per-thread
//! command slots and an append-only log. The controller appends `start i` before op i and
//! the op's result after it; the handler appends one `deliver` record per entry. Appending
//! is a `fetch_add` on the length, then the fields, then a `Release` store of the kind, so it
//! is async-signal-safe and the parent never reads a half-written record as complete. After
//! the child exits, dies or stops, the parent rebuilds the trace from the log alone.
//!
//! # Quiescence
//! A worker parks in `FUTEX_WAIT` with its scenario mask. Every signal the kernel makes
//! deliverable to a worker either interrupts that wait or finds the worker running, and in
//! both cases the kernel set TIF_SIGPENDING on it before the sending syscall returned. A
//! worker that sees a new command makes a syscall (the op itself, or `gettid` for a ping)
//! before it writes its acknowledgement, and every return from a syscall runs the whole
//! stacked delivery loop ([rule 47a]) first. So once a worker acknowledges a command posted
//! after the op, every delivery the op made to it has run. After each op the controller
//! pings every worker in turn and repeats the round until a round adds no log record.
//! Handlers only log, so one round normally suffices; the second proves it. A fatal or stop
//! signal takes the controller down with the group, so no result is written for that op and
//! the parent reports `terminated`/`stopped` from `waitpid`.
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

const CMD_PING: u32 = 1;
const CMD_BLOCK: u32 = 2;
const CMD_UNBLOCK: u32 = 3;
const CMD_SETMASK: u32 = 4;
const CMD_WAIT: u32 = 5;
const CMD_PENDING: u32 = 6;
const CMD_GETMASK: u32 = 7;

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
    tids: [AtomicI32; MAX_THREADS],
    slots: [Slot; MAX_THREADS],
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

fn futex_wait(word: &AtomicU32, expected: u32) {
    // SAFETY: `word` is a live, aligned u32; a NULL timeout waits without limit. EINTR and
    // EAGAIN are fine: every caller re-checks the word.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
            expected,
            ptr::null::<libc::timespec>(),
        );
    }
}

fn futex_wake(word: &AtomicU32) {
    // SAFETY: `word` is a live, aligned u32.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
            i32::MAX,
        );
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
    Stopped(u8),
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
    // SAFETY: plain syscall; the child does the same, whichever runs first wins.
    unsafe {
        libc::setpgid(pid, pid);
    }
    let limit = timeout.unwrap_or(BASE_TIMEOUT + Duration::from_millis(sc.total_wait_ms()));
    let outcome = wait_child(pid, Instant::now() + limit)?;
    build_trace(sc, map.get(), outcome)
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

fn wait_child(pid: i32, deadline: Instant) -> Result<Outcome, String> {
    loop {
        let mut st: c_int = 0;
        // SAFETY: `st` is a live int.
        let r = unsafe { libc::waitpid(pid, &mut st, libc::WNOHANG | libc::WUNTRACED) };
        if r == pid {
            if libc::WIFSTOPPED(st) {
                kill_child(pid);
                reap(pid);
                return Ok(Outcome::Stopped(libc::WSTOPSIG(st) as u8));
            }
            if libc::WIFSIGNALED(st) {
                return Ok(Outcome::Signaled(libc::WTERMSIG(st) as u8));
            }
            if libc::WIFEXITED(st) {
                return Ok(Outcome::Exited(libc::WEXITSTATUS(st)));
            }
            continue;
        }
        if r < 0 && errno() != i64::from(libc::EINTR) {
            kill_child(pid);
            return Err(format!("waitpid: {}", io::Error::last_os_error()));
        }
        let now = Instant::now();
        if now >= deadline {
            kill_child(pid);
            reap(pid);
            return Ok(Outcome::Timeout);
        }
        // Sleep until a SIGCHLD (blocked in this thread) or at most 100 ms.
        let left = (deadline - now).min(Duration::from_millis(100));
        let ts = libc::timespec {
            tv_sec: left.as_secs() as libc::time_t,
            tv_nsec: left.subsec_nanos() as libc::c_long,
        };
        let set = SigSet::of(Sig::CHLD).0;
        let mut info = RawSiginfo::zeroed();
        // SAFETY: live set, siginfo and timespec of the kernel's layouts.
        unsafe {
            libc::syscall(
                libc::SYS_rt_sigtimedwait,
                &set as *const u64,
                &mut info as *mut RawSiginfo,
                &ts as *const libc::timespec,
                8usize,
            );
        }
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

fn build_trace(sc: &Scenario, sh: &Shared, outcome: Outcome) -> Result<Trace, String> {
    let mut events = vec![Event::Threads(sc.threads)];
    let len = sh.len.load(Ordering::Acquire) as usize;
    if len > MAX_RECORDS {
        return Err(format!("log overflow ({len} records)"));
    }
    let mut results = 0;
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
            REC_RET | REC_GOT | REC_PENDING => {
                results += 1;
                events.push(Event::Result(match r.kind.load(Ordering::Relaxed) {
                    _ if b < 0 => OpResult::Err(Errno(-b)),
                    REC_RET => OpResult::Ok,
                    REC_GOT => OpResult::Got(Info::new(sig(b)?, c, w as i32)),
                    _ => OpResult::Pending(SigSet(w)),
                }));
            }
            REC_FAIL => return Err(format!("child setup failed: {}", fail_text(a))),
            k => return Err(format!("bad log record kind {k}")),
        }
    }
    match outcome {
        Outcome::Exited(0) if results == sc.ops.len() => {}
        Outcome::Exited(0) => return Err("child exited before finishing its ops".into()),
        Outcome::Exited(code) if code > 100 => {
            return Err(format!("child failed: {}", fail_text(code as u32 - 100)));
        }
        Outcome::Exited(code) => return Err(format!("child exited with status {code}")),
        Outcome::Signaled(s) => events.push(Event::Terminated(sig_of(s)?)),
        Outcome::Stopped(s) => events.push(Event::Stopped(sig_of(s)?)),
        Outcome::Timeout => events.push(Event::Timeout),
    }
    Ok(Trace { events })
}

fn sig_of(n: u8) -> Result<Sig, String> {
    Sig::new(u32::from(n)).ok_or_else(|| format!("bad signal number {n}"))
}

fn fail_from_hook() {
    let sh = SHARED.load(Ordering::Acquire);
    if !sh.is_null() {
        // SAFETY: SHARED points to the child's mapping, which outlives the process.
        fail(unsafe { &*sh }, FAIL_PANIC);
    }
    exit_group(100 + FAIL_PANIC as i32);
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
    // A panic on any thread of the child ends the child (and is reported), instead of
    // leaving a controller-less process to time out.
    std::panic::set_hook(Box::new(|_| fail_from_hook()));
    // SAFETY: plain syscalls on this process.
    unsafe {
        libc::setpgid(0, 0);
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
    for k in 1..sc.threads {
        let spawned = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || worker(sh, k));
        if spawned.is_err() {
            fail(sh, FAIL_SPAWN);
        }
    }
    let ops = sc.ops.clone();
    let threads = sc.threads;
    let spawned = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(move || controller(sh, threads, &ops));
    if spawned.is_err() {
        fail(sh, FAIL_SPAWN);
    }
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
            futex_wait(&slot.cmd, seen);
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
        _ => {
            gettid();
            0
        }
    };
    slot.ret.store(ret, Ordering::Relaxed);
}

/// Posts a command to worker `k` and waits for its acknowledgement.
fn dispatch(sh: &Shared, k: usize, op: u32, set: u64, timeout_ms: u32) -> &Slot {
    let slot = &sh.slots[k];
    slot.op.store(op, Ordering::Relaxed);
    slot.set.store(set, Ordering::Relaxed);
    slot.timeout_ms.store(timeout_ms, Ordering::Relaxed);
    let seq = slot.cmd.load(Ordering::Relaxed).wrapping_add(1).max(1);
    slot.cmd.store(seq, Ordering::Release);
    futex_wake(&slot.cmd);
    loop {
        let ack = slot.ack.load(Ordering::Acquire);
        if ack == seq {
            return slot;
        }
        futex_wait(&slot.ack, ack);
    }
}

/// Pings every worker until a whole round adds nothing to the log (module docs).
fn quiesce(sh: &Shared, threads: usize) {
    loop {
        let before = sh.len.load(Ordering::Acquire);
        for k in 0..threads {
            dispatch(sh, k, CMD_PING, 0, 0);
        }
        if sh.len.load(Ordering::Acquire) == before {
            return;
        }
    }
}

fn controller(sh: &'static Shared, threads: usize, ops: &[Op]) -> ! {
    sigprocmask(SIG_SETMASK, SigSet::ALL.0);
    loop {
        let ready = sh.ready.load(Ordering::Acquire);
        if ready as usize == threads {
            break;
        }
        futex_wait(&sh.ready, ready);
    }
    reset_dispositions(sh);
    // Every worker must block everything but KILL and STOP, which cannot be blocked.
    let mut blockable = SigSet::ALL;
    blockable.remove(Sig::KILL);
    blockable.remove(Sig::STOP);
    for k in 0..threads {
        let slot = dispatch(sh, k, CMD_GETMASK, 0, 0);
        if slot.ret.load(Ordering::Relaxed) != 0 || slot.mask.load(Ordering::Relaxed) != blockable.0
        {
            fail(sh, FAIL_MASK);
        }
    }
    let pid = getpid();
    for (i, op) in ops.iter().enumerate() {
        sh.push(REC_START, i as u32, 0, 0, 0);
        let result = execute(sh, pid, op);
        quiesce(sh, threads);
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
        }
    }
    exit_group(0)
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

fn queue_info(pid: i32, sig: Sig, value: i32) -> RawSiginfo {
    let mut info = RawSiginfo::zeroed();
    info.signo = i32::from(sig.num());
    info.code = SI_QUEUE;
    info.pid = pid;
    // SAFETY: getuid cannot fail.
    info.uid = unsafe { libc::getuid() };
    info.value[0] = value;
    info
}

/// Runs one op from the controller, per-thread ops on their worker.
fn execute(sh: &Shared, pid: i32, op: &Op) -> OpResult {
    let tid = |t: Tid| sh.tids[t.0].load(Ordering::Acquire);
    let sig_arg = |s: Sig| c_int::from(s.num());
    let on_thread = |t: Tid, cmd: u32, set: SigSet, ms: u32| dispatch(sh, t.0, cmd, set.0, ms);
    match *op {
        Op::Action {
            sig,
            disp,
            nodefer,
            resethand,
        } => {
            let (restorer_flag, restorer) = restorer();
            let mut flags = restorer_flag;
            if nodefer {
                flags |= SA_NODEFER;
            }
            if resethand {
                flags |= SA_RESETHAND;
            }
            let handler = match disp {
                Disposition::Default => libc::SIG_DFL,
                Disposition::Ignore => libc::SIG_IGN,
                Disposition::Handler => {
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
            to_result(sigaction(sig.num(), Some(&act), None))
        }
        Op::Block(t, set) => to_result(on_thread(t, CMD_BLOCK, set, 0).ret.load(Ordering::Relaxed)),
        Op::Unblock(t, set) => to_result(
            on_thread(t, CMD_UNBLOCK, set, 0)
                .ret
                .load(Ordering::Relaxed),
        ),
        Op::SetMask(t, set) => to_result(
            on_thread(t, CMD_SETMASK, set, 0)
                .ret
                .load(Ordering::Relaxed),
        ),
        Op::Kill(sig) => {
            // SAFETY: plain kill of this process.
            to_result(sysret(unsafe {
                libc::syscall(libc::SYS_kill, pid, sig_arg(sig))
            }))
        }
        Op::SigQueue(sig, value) => {
            let mut info = queue_info(pid, sig, value);
            // SAFETY: `info` is a live 128-byte siginfo.
            to_result(sysret(unsafe {
                libc::syscall(
                    libc::SYS_rt_sigqueueinfo,
                    pid,
                    sig_arg(sig),
                    &mut info as *mut RawSiginfo,
                )
            }))
        }
        Op::Tkill(t, sig) => {
            // SAFETY: plain tgkill of a thread of this process.
            to_result(sysret(unsafe {
                libc::syscall(libc::SYS_tgkill, pid, tid(t), sig_arg(sig))
            }))
        }
        Op::TSigQueue(t, sig, value) => {
            let mut info = queue_info(pid, sig, value);
            // SAFETY: `info` is a live 128-byte siginfo.
            to_result(sysret(unsafe {
                libc::syscall(
                    libc::SYS_rt_tgsigqueueinfo,
                    pid,
                    tid(t),
                    sig_arg(sig),
                    &mut info as *mut RawSiginfo,
                )
            }))
        }
        Op::Wait(t, set, ms) => {
            let slot = on_thread(t, CMD_WAIT, set, ms);
            let ret = slot.ret.load(Ordering::Relaxed);
            match Sig::new(ret as u32) {
                Some(sig) if ret > 0 => OpResult::Got(Info::new(
                    sig,
                    slot.code.load(Ordering::Relaxed),
                    slot.value.load(Ordering::Relaxed),
                )),
                _ => to_result(ret),
            }
        }
        Op::Pending(t) => {
            let slot = on_thread(t, CMD_PENDING, SigSet::EMPTY, 0);
            match slot.ret.load(Ordering::Relaxed) {
                0 => OpResult::Pending(SigSet(slot.mask.load(Ordering::Relaxed))),
                r => to_result(r),
            }
        }
        Op::RlimitSigpending(n) => {
            let mut old = [0u64; 2];
            let r = prlimit(libc::RLIMIT_SIGPENDING as c_int, None, Some(&mut old));
            if r != 0 {
                return to_result(r);
            }
            to_result(prlimit(
                libc::RLIMIT_SIGPENDING as c_int,
                Some([n, old[1]]),
                None,
            ))
        }
    }
}
