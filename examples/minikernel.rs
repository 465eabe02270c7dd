//! A host-simulated kernel that runs a scripted workload entirely through
//! `ksignal`'s system-call layer and prints a trace of every call.
//!
//! Tasks are std threads; each process's user memory is a byte array; a wait queue
//! is a `Mutex` + `Condvar`. The "user programs" are Rust closures; a signal
//! handler is a Rust function registered at a user address, run by the simulated
//! return-to-user path, which then does `rt_sigreturn`'s mask restore. Frames are
//! not built (that is the frame code's job). Run it with
//! `cargo run --example minikernel`.

use ksignal::DefaultRawMutex;
use ksignal::PidType;
use ksignal::SaFlags;
use ksignal::code;
use ksignal::syscall::{self as sys, Caller, Credentials, Task, TaskIds};
use ksignal::syscall::{TaskTable, TaskVisitor};
use ksignal::{
    Arch, Delivery, Errno, PendingLimit, ProcessSignalManager, SignalActions, SignalInfo,
    SignalSet, Signo, ThreadSignalManager, UserBuffer, UserMemory, WaitQueue,
};
use ksignal::{ChildExit, ChildInfo, ChildStop, notify_parent_cldstop, notify_parent_exit};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

// ---------------------------------------------------------------- kernel parts

// One waiter's wait queue on a `Mutex` + `Condvar`: the one the crate's tests use.
#[path = "../tests/common/wait.rs"]
mod wait;
use wait::CondvarQueue;

type Proc = ProcessSignalManager<CondvarQueue>;
type Thread = ThreadSignalManager<CondvarQueue>;

/// A process's user memory: the crate's `UserBuffer` with 64 KiB at 0x10000 (anything
/// else faults), shared by the process's threads.
#[derive(Clone)]
struct UserMem(Arc<Mutex<UserBuffer>>);

const USER_BASE: usize = 0x10000;

impl UserMem {
    fn new() -> UserMem {
        UserMem(Arc::new(Mutex::new(
            UserBuffer::new().with_region(USER_BASE, 0x10000),
        )))
    }
}

impl UserMemory for UserMem {
    fn read(&self, addr: usize, buf: &mut [u8]) -> Result<(), Errno> {
        self.0.lock().unwrap().read(addr, buf)
    }
    fn write(&mut self, addr: usize, buf: &[u8]) -> Result<(), Errno> {
        self.0.lock().unwrap().write(addr, buf)
    }
}

/// The task table entry of one thread.
struct KTask {
    ids: TaskIds,
    cred: Credentials,
    parent: i32,
    process: Arc<Proc>,
    thread: Option<Arc<Thread>>,
    mem: UserMem,
}

struct Kernel {
    tasks: Mutex<Vec<KTask>>,
}

impl TaskTable for Kernel {
    type Wait = CondvarQueue;
    type Lock = DefaultRawMutex;

    fn find_task(&self, tid: i32, f: &mut TaskVisitor<'_, CondvarQueue, DefaultRawMutex>) {
        let tasks = self.tasks.lock().unwrap();
        if let Some(t) = tasks.iter().find(|t| t.ids.tid == tid) {
            f(&Task {
                ids: t.ids,
                cred: t.cred,
                process: &t.process,
                thread: t.thread.as_deref(),
            });
        }
    }

    fn for_each_process(
        &self,
        scope: PidType,
        id: i32,
        f: &mut TaskVisitor<'_, CondvarQueue, DefaultRawMutex>,
    ) {
        let tasks = self.tasks.lock().unwrap();
        for t in tasks.iter().filter(|t| t.ids.tid == t.ids.tgid) {
            if scope == PidType::Max || scope == PidType::Pgid && t.ids.pgid == id {
                f(&Task {
                    ids: t.ids,
                    cred: t.cred,
                    process: &t.process,
                    thread: t.thread.as_deref(),
                });
            }
        }
    }
}

static KERNEL: OnceLock<Kernel> = OnceLock::new();

fn kernel() -> &'static Kernel {
    KERNEL.get_or_init(|| Kernel {
        tasks: Mutex::new(Vec::new()),
    })
}

/// Creates process `pid` (its first thread) as a child of `parent`.
fn spawn_process(pid: i32, parent: i32, cred: Credentials) {
    let process = Arc::new(Proc::new(
        Arc::new(SignalActions::new()),
        Arc::new(PendingLimit::new(1024)),
    ));
    let thread =
        Arc::new(Thread::new(&process, pid, SignalSet::EMPTY, CondvarQueue::default()).unwrap());
    kernel().tasks.lock().unwrap().push(KTask {
        ids: TaskIds {
            tid: pid,
            tgid: pid,
            pgid: pid,
            sid: 1,
        },
        cred,
        parent,
        process,
        thread: Some(thread),
        mem: UserMem::new(),
    });
}

/// `clone(CLONE_THREAD)`: thread `tid` in process `pid`, with the creator's mask.
fn spawn_thread(pid: i32, tid: i32) {
    let mut tasks = kernel().tasks.lock().unwrap();
    let leader = tasks.iter().find(|t| t.ids.tid == pid).unwrap();
    let mask = leader.thread.as_ref().unwrap().blocked();
    let process = leader.process.clone();
    let thread = Arc::new(Thread::new(&process, tid, mask, CondvarQueue::default()).unwrap());
    let entry = KTask {
        ids: TaskIds { tid, ..leader.ids },
        cred: leader.cred,
        parent: leader.parent,
        process,
        thread: Some(thread),
        mem: leader.mem.clone(),
    };
    tasks.push(entry);
}

// ------------------------------------------------------------- the trace, steps

fn trace(ids: &TaskIds, line: &str) {
    println!("[pid {} tid {}] {}", ids.tgid, ids.tid, line);
}

fn result(r: isize) -> String {
    if r >= 0 {
        return format!("{r}");
    }
    let e = Errno::new(-r as i32).unwrap();
    format!("-1 {e:?}")
}

/// The script's clock: step `n` runs once step `n - 1` finished.
static STEP: (Mutex<u32>, Condvar) = (Mutex::new(0), Condvar::new());

fn at_step(n: u32) {
    let mut s = STEP.0.lock().unwrap();
    while *s < n {
        s = STEP.1.wait(s).unwrap();
    }
}

fn step_done(n: u32) {
    let mut s = STEP.0.lock().unwrap();
    *s = (*s).max(n + 1);
    STEP.1.notify_all();
}

fn set_str(set: SignalSet) -> String {
    let names: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    format!("[{}]", names.join(" "))
}

// ------------------------------------------------------------------ user tasks

/// A running thread: the kernel's view of "current".
struct Current {
    ids: TaskIds,
    cred: Credentials,
    thread: Arc<Thread>,
    mem: UserMem,
    /// Scratch user memory for this thread's system-call arguments.
    scratch: usize,
    /// Set when the process has been told to exit.
    exited: Option<Signo>,
}

impl Current {
    fn attach(tid: i32) -> Current {
        let tasks = kernel().tasks.lock().unwrap();
        let t = tasks.iter().find(|t| t.ids.tid == tid).unwrap();
        Current {
            ids: t.ids,
            cred: t.cred,
            thread: t.thread.clone().unwrap(),
            mem: t.mem.clone(),
            scratch: USER_BASE + 0x1000 * (tid as usize % 8),
            exited: None,
        }
    }

    fn caller(&self) -> Caller<'_, CondvarQueue, DefaultRawMutex> {
        Caller {
            ids: self.ids,
            cred: self.cred,
            thread: &self.thread,
            arch: Arch::HOST,
        }
    }

    fn put(&mut self, off: usize, bytes: &[u8]) -> usize {
        let at = self.scratch + off;
        self.mem.write(at, bytes).unwrap();
        at
    }

    fn get(&self, at: usize, len: usize) -> Vec<u8> {
        let mut b = vec![0; len];
        self.mem.read(at, &mut b).unwrap();
        b
    }

    /// The way back to user space after each system call: deliver what is
    /// deliverable, as the kernel's exit-to-user path does. Returns whether a
    /// handler ran.
    fn return_to_user(&mut self) -> bool {
        let mut ran = false;
        // Linux asks whether the process group is orphaned before a TSTP, TTIN or
        // TTOU stops it; the answer comes from the task table, with no signal lock
        // held.
        let pgid = self.ids.pgid;
        while let Some(d) = self.thread.get_signal_with(&mut || pgrp_orphaned(pgid)) {
            match d {
                Delivery::Handler(h) => {
                    // A real kernel pushes the frame here; then the mask changes.
                    self.thread.signal_delivered(&h);
                    let field = if h.sig == Signo::SIGCHLD {
                        format!("si_status={}", h.info.status())
                    } else {
                        format!("si_value={}", h.info.value_int())
                    };
                    trace(
                        &self.ids,
                        &format!(
                            "--- {} {{si_code={}, si_pid={}, {field}}} -> handler {:#x} ---",
                            h.sig,
                            code_name(&h.info),
                            h.info.pid(),
                            h.action.disposition().to_raw()
                        ),
                    );
                    run_handler(self, h.action.disposition().to_raw(), h.sig, &h.info);
                    self.thread.restore_saved_mask(h.saved_mask);
                    trace(
                        &self.ids,
                        &format!("rt_sigreturn() = 0 (mask {})", set_str(h.saved_mask)),
                    );
                    ran = true;
                }
                Delivery::Stop(sig) => self.stop(sig),
                Delivery::Exit { sig, core_dump } => {
                    trace(
                        &self.ids,
                        &format!(
                            "+++ killed by {sig}{} +++",
                            if core_dump { " (core dumped)" } else { "" }
                        ),
                    );
                    self.exited = Some(sig);
                    return ran;
                }
            }
        }
        ran
    }

    /// Group stop: report CLD_STOPPED to the parent, sleep until continued.
    fn stop(&mut self, sig: Signo) {
        trace(&self.ids, &format!("--- stopped by {sig} ---"));
        notify_parent(self.ids.tgid, |parent, child| {
            notify_parent_cldstop(parent, child, ChildStop::Stopped(sig));
        });
        while self.thread.process().is_stopped() && self.thread.process().group_exit().is_none() {
            let q = self.thread.wait_queue();
            q.prepare_to_wait();
            if !self.thread.process().is_stopped() {
                break;
            }
            q.wait(Some(Duration::from_millis(10)));
        }
        trace(&self.ids, "--- continued ---");
    }

    /// Runs a system call that may return -ERESTARTNOHAND: Linux restarts it when
    /// no handler ran, and returns EINTR when one did.
    fn restartable(
        &mut self,
        name: &str,
        args: &str,
        mut call: impl FnMut(&Current) -> isize,
    ) -> isize {
        trace(&self.ids, &format!("{name}({args}) ..."));
        loop {
            let r = call(self);
            if r != Errno::ERESTARTNOHAND.as_neg_ret() {
                trace(&self.ids, &format!("<... {name} resumed> = {}", result(r)));
                self.return_to_user();
                return r;
            }
            let ran = self.return_to_user();
            if self.exited.is_some() {
                return r;
            }
            if ran {
                trace(
                    &self.ids,
                    &format!("<... {name} resumed> = -1 EINTR (a handler ran)"),
                );
                return Errno::EINTR.as_neg_ret();
            }
        }
    }

    fn done(&mut self, line: String, r: isize) -> isize {
        trace(&self.ids, &format!("{line} = {}", result(r)));
        self.return_to_user();
        r
    }

    // ---- the system calls, as a C library would make them ----

    fn rt_sigaction(&mut self, sig: Signo, handler: usize, flags: SaFlags) -> isize {
        let mut act = [0u8; 32];
        act[..8].copy_from_slice(&(handler as u64).to_ne_bytes());
        act[8..16].copy_from_slice(&flags.bits().to_ne_bytes());
        let n = Arch::HOST.sigaction_size();
        let a = self.put(0, &act[..n]);
        let c = self.caller();
        let r = sys::sys_rt_sigaction(&c, &mut self.mem.clone(), sig.get() as usize, a, 0, 8);
        let names: Vec<&str> = flags.iter_names().map(|(n, _)| n).collect();
        let line = format!(
            "rt_sigaction({sig}, {{handler={handler:#x}, SA_{}}}, NULL, 8)",
            names.join("|SA_")
        );
        self.done(line, r)
    }

    fn rt_sigprocmask(&mut self, how: u32, set: SignalSet) -> isize {
        let s = self.put(0x40, &set.bits().to_ne_bytes());
        let o = self.scratch + 0x48;
        let r =
            sys::sys_rt_sigprocmask(&self.caller(), &mut self.mem.clone(), how as usize, s, o, 8);
        let old = SignalSet::from_bits(u64::from_ne_bytes(self.get(o, 8).try_into().unwrap()));
        let how = ["SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK"][how as usize];
        self.done(
            format!(
                "rt_sigprocmask({how}, {}, {}, 8)",
                set_str(set),
                set_str(old)
            ),
            r,
        )
    }

    fn rt_sigpending(&mut self) -> isize {
        let p = self.scratch + 0x50;
        let r = sys::sys_rt_sigpending(&self.caller(), &mut self.mem.clone(), p, 8);
        let set = SignalSet::from_bits(u64::from_ne_bytes(self.get(p, 8).try_into().unwrap()));
        self.done(format!("rt_sigpending({}, 8)", set_str(set)), r)
    }

    fn kill(&mut self, pid: i32, sig: Signo) -> isize {
        let r = sys::sys_kill(kernel(), &self.caller(), pid as usize, sig.get() as usize);
        let line = format!("kill({pid}, {sig})");
        if r == 0 && sig == Signo::SIGCONT {
            continued(pid);
        }
        self.done(line, r)
    }

    fn tgkill(&mut self, tgid: i32, tid: i32, sig: Signo) -> isize {
        let r = sys::sys_tgkill(
            kernel(),
            &self.caller(),
            tgid as usize,
            tid as usize,
            sig.get() as usize,
        );
        self.done(format!("tgkill({tgid}, {tid}, {sig})"), r)
    }

    /// `sigqueue(pid, sig, value)`: glibc fills SI_QUEUE, the caller's pid and uid.
    fn sigqueue(&mut self, pid: i32, sig: Signo, value: i32) -> isize {
        let info = SignalInfo::queue(sig, self.ids.tgid, self.cred.uid, value as u32 as u64);
        let i = self.put(0x100, info.as_bytes());
        let r = sys::sys_rt_sigqueueinfo(
            kernel(),
            &self.caller(),
            &self.mem,
            pid as usize,
            sig.get() as usize,
            i,
        );
        self.done(
            format!("rt_sigqueueinfo({pid}, {sig}, {{si_code=SI_QUEUE, si_value={value}}})"),
            r,
        )
    }

    fn sigtimedwait(&mut self, set: SignalSet, timeout: Duration) -> isize {
        let s = self.put(0x200, &set.bits().to_ne_bytes());
        let mut ts = [0u8; 16];
        ts[..8].copy_from_slice(&(timeout.as_secs() as i64).to_ne_bytes());
        ts[8..].copy_from_slice(&(timeout.subsec_nanos() as i64).to_ne_bytes());
        let t = self.put(0x210, &ts);
        let info = self.scratch + 0x300;
        let args = format!(
            "{}, {info:#x}, {{tv_sec={}, tv_nsec={}}}, 8",
            set_str(set),
            timeout.as_secs(),
            timeout.subsec_nanos()
        );
        if !timeout.is_zero() {
            trace(&self.ids, &format!("rt_sigtimedwait({args}) ..."));
        }
        let r = sys::sys_rt_sigtimedwait(&self.caller(), &mut self.mem.clone(), s, info, t, 8);
        let mut b = [0u8; 128];
        b.copy_from_slice(&self.get(info, 128));
        let i = SignalInfo::from_bytes(b);
        let shown = if r > 0 {
            format!(
                "{} ({} si_code={} si_value={})",
                r,
                Signo::new(r as u32).unwrap(),
                code_name(&i),
                i.value_int()
            )
        } else {
            result(r)
        };
        if timeout.is_zero() {
            trace(&self.ids, &format!("rt_sigtimedwait({args}) = {shown}"));
        } else {
            trace(
                &self.ids,
                &format!("<... rt_sigtimedwait resumed> = {shown}"),
            );
        }
        self.return_to_user();
        r
    }

    fn pause(&mut self) -> isize {
        self.restartable("pause", "", |cur| sys::sys_pause(&cur.caller()))
    }

    fn sigsuspend(&mut self, mask: SignalSet) -> isize {
        let m = self.put(0x60, &mask.bits().to_ne_bytes());
        let args = format!("{}, 8", set_str(mask));
        self.restartable("rt_sigsuspend", &args, |cur| {
            sys::sys_rt_sigsuspend(&cur.caller(), &cur.mem, m, 8)
        })
    }

    /// `exit_group(status)`.
    fn exit(&mut self, status: i32) {
        trace(&self.ids, &format!("exit_group({status}) = ?"));
        trace(&self.ids, &format!("+++ exited with {status} +++"));
        process_exit(self.ids.tgid, ChildExit::Exited(status));
    }
}

fn code_name(i: &SignalInfo) -> String {
    match (i.signo(), i.code()) {
        (_, code::SI_USER) => "SI_USER".into(),
        (_, code::SI_QUEUE) => "SI_QUEUE".into(),
        (_, code::SI_TKILL) => "SI_TKILL".into(),
        (Some(Signo::SIGCHLD), c) => [
            "?",
            "CLD_EXITED",
            "CLD_KILLED",
            "CLD_DUMPED",
            "CLD_TRAPPED",
            "CLD_STOPPED",
            "CLD_CONTINUED",
        ]
        .get(c as usize)
        .unwrap_or(&"?")
        .to_string(),
        (_, c) => format!("{c}"),
    }
}

/// The handlers of the user programs, by address.
fn run_handler(cur: &mut Current, addr: usize, sig: Signo, info: &SignalInfo) {
    match addr {
        0x1000 => trace(
            &cur.ids,
            &format!("  handler: got {sig} from pid {}", info.pid()),
        ),
        0x3000 => trace(
            &cur.ids,
            &format!(
                "  SIGCHLD handler: child {} {} status {}",
                info.pid(),
                code_name(info),
                info.status()
            ),
        ),
        _ => trace(&cur.ids, &format!("  handler {addr:#x}: {sig}")),
    }
}

/// Linux's `will_become_orphaned_pgrp(pgid, NULL)`: no living member of the group
/// has a parent in another group of the same session (a parent that is init, pid 1,
/// does not count).
fn pgrp_orphaned(pgid: i32) -> bool {
    let tasks = kernel().tasks.lock().unwrap();
    let members = tasks
        .iter()
        .filter(|t| t.ids.tid == t.ids.tgid && t.ids.pgid == pgid && t.thread.is_some());
    !members.into_iter().any(|t| {
        tasks.iter().any(|p| {
            p.ids.tid == t.parent && p.ids.tgid != 1 && p.ids.pgid != pgid && p.ids.sid == t.ids.sid
        })
    })
}

/// Calls `f` with the parent task of process `pid` and the child as it sees it.
fn notify_parent(pid: i32, f: impl FnOnce(&Task<'_, CondvarQueue, DefaultRawMutex>, &ChildInfo)) {
    let tasks = kernel().tasks.lock().unwrap();
    let child = tasks.iter().find(|t| t.ids.tid == pid).unwrap();
    let info = ChildInfo {
        pid,
        uid: child.cred.uid,
        utime: 0,
        stime: 0,
    };
    if let Some(p) = tasks.iter().find(|t| t.ids.tid == child.parent) {
        f(
            &Task {
                ids: p.ids,
                cred: p.cred,
                process: &p.process,
                thread: p.thread.as_deref(),
            },
            &info,
        );
    }
}

/// A SIGCONT that continued a stopped group: tell the parent, wake the threads.
fn continued(pid: i32) {
    notify_parent(pid, |parent, child| {
        notify_parent_cldstop(parent, child, ChildStop::Continued);
    });
    for t in kernel()
        .tasks
        .lock()
        .unwrap()
        .iter()
        .filter(|t| t.ids.tgid == pid)
    {
        if let Some(th) = &t.thread {
            th.wait_queue().wake_one();
        }
    }
}

/// The last thread of process `pid` is gone: tell the parent (SIGCHLD), drop the
/// threads, reap it unless the parent asked for automatic reaping.
fn process_exit(pid: i32, how: ChildExit) {
    let mut autoreap = false;
    notify_parent(pid, |parent, child| {
        autoreap = notify_parent_exit(parent, child, how, Some(Signo::SIGCHLD)).autoreap;
    });
    let mut tasks = kernel().tasks.lock().unwrap();
    tasks.retain(|t| t.ids.tgid != pid || t.ids.tid == pid);
    for t in tasks.iter_mut().filter(|t| t.ids.tid == pid) {
        t.thread = None;
    }
    if autoreap {
        tasks.retain(|t| t.ids.tid != pid);
    }
}

// -------------------------------------------------------------------- the script

fn main() {
    println!("minikernel: ksignal's system-call layer on simulated tasks\n");
    spawn_process(1, 0, Credentials::ROOT);
    spawn_process(2, 1, Credentials::user(1000));
    spawn_process(3, 1, Credentials::user(2000));
    let usr2 = SignalSet::single(Signo::SIGUSR2);
    let rt2 = Signo::new(34).unwrap();

    let init = std::thread::spawn(move || {
        let mut me = Current::attach(1);
        at_step(0);
        me.rt_sigaction(Signo::SIGCHLD, 0x3000, SaFlags::SIGINFO | SaFlags::RESTART);
        // Block SIGCHLD and take it only inside rt_sigsuspend: no lost wake-up.
        me.rt_sigprocmask(0, SignalSet::single(Signo::SIGCHLD));
        step_done(0);
        at_step(3);
        me.kill(2, Signo::SIGUSR1);
        step_done(3);
        at_step(5);
        for v in [100, 200, 300] {
            me.sigqueue(2, rt2, v);
        }
        step_done(5);
        at_step(7);
        std::thread::sleep(Duration::from_millis(50));
        me.tgkill(2, 4, Signo::SIGUSR2);
        step_done(7);
        at_step(9);
        me.kill(2, Signo::SIGSTOP);
        me.sigsuspend(SignalSet::EMPTY); // SIGCHLD: CLD_STOPPED
        me.kill(2, Signo::SIGCONT);
        me.sigsuspend(SignalSet::EMPTY); // SIGCHLD: CLD_CONTINUED
        std::thread::sleep(Duration::from_millis(50));
        step_done(9);
        at_step(10);
        me.kill(2, Signo::SIGTERM);
        me.sigsuspend(SignalSet::EMPTY); // SIGCHLD: CLD_KILLED
        step_done(10);
        at_step(11);
        me.sigsuspend(SignalSet::EMPTY); // SIGCHLD: CLD_EXITED from pid 3
        let alive: Vec<i32> = kernel()
            .tasks
            .lock()
            .unwrap()
            .iter()
            .map(|t| t.ids.tid)
            .collect();
        trace(
            &me.ids,
            &format!("remaining tasks: {alive:?} (children are zombies until waited for)"),
        );
    });

    let stranger = std::thread::spawn(move || {
        let mut me = Current::attach(3);
        at_step(2);
        me.kill(2, Signo::SIGUSR1); // EPERM: another uid, and not SIGCONT
        step_done(2);
        at_step(11);
        me.exit(0);
    });

    let worker = std::thread::spawn(move || {
        let mut me = Current::attach(2);
        at_step(1);
        me.rt_sigaction(Signo::SIGUSR1, 0x1000, SaFlags::SIGINFO);
        let block = [Signo::SIGUSR1, Signo::SIGUSR2, rt2].into_iter().collect();
        me.rt_sigprocmask(0, block);
        step_done(1);
        at_step(4);
        me.rt_sigpending();
        me.rt_sigprocmask(1, SignalSet::single(Signo::SIGUSR1));
        step_done(4);
        at_step(6);
        for _ in 0..3 {
            me.sigtimedwait(SignalSet::single(rt2), Duration::ZERO);
        }
        me.sigtimedwait(SignalSet::single(rt2), Duration::from_millis(100));
        spawn_thread(2, 4);
        let helper = std::thread::spawn(move || {
            let mut t4 = Current::attach(4);
            t4.sigtimedwait(usr2, Duration::from_secs(5));
            trace(&t4.ids, "thread exits");
            let mut tasks = kernel().tasks.lock().unwrap();
            tasks.retain(|t| t.ids.tid != 4);
        });
        step_done(6);
        helper.join().unwrap();
        step_done(8);
        at_step(9);
        me.sigsuspend(SignalSet::EMPTY);
        if me.exited.is_none() {
            me.pause();
        }
        if let Some(sig) = me.exited {
            process_exit(2, ChildExit::Killed(sig));
        }
    });

    for h in [worker, stranger, init] {
        h.join().unwrap();
    }
    println!("\nminikernel: done");
}
