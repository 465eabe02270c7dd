//! `ksignal-run [--trace] [--] PROGRAM [ARGS...]`: runs an unmodified x86_64 Linux
//! program under ptrace with `ksignal` as its signal subsystem.
//!
//! The program and everything it starts are traced (PTRACE_SEIZE, following clone,
//! fork, vfork and exec; PTRACE_O_EXITKILL). A seccomp filter installed before
//! `execve` stops the program at the signal system calls only (SECCOMP_RET_TRACE);
//! the runner skips them in the host and answers them through `ksignal::syscall`.
//! Every other system call runs in the host at full speed. Signals the host kernel
//! generates (faults, SIGCHLD, SIGPIPE, timers, the terminal) reach the runner as
//! signal-delivery stops; the runner suppresses them and hands them to ksignal.
//! Handlers run on frames built by ksignal's x86_64 code; fatal signals, stops and
//! continues are carried out by the host so that parents see them in `wait`.
//!
//! The runner is event driven on one thread (the tracer); a thread of the program
//! that blocks in `rt_sigtimedwait`, `rt_sigsuspend` or `pause` is served by a helper
//! thread that blocks in the crate's own wait loop on that thread's [`RWait`] while
//! the program's thread stays stopped, so only that thread waits.

mod host;

use host::{RemoteMem, XCfg, XFp};
use ksignal::DefaultRawMutex;
use ksignal::frame::FaultInfo;
use ksignal::frame::x86_64::X86_64Context;
use ksignal::syscall::{
    self, Caller, Credentials, PidfdTarget, Task, TaskIds, TaskTable, TaskVisitor,
};
use ksignal::{
    Arch, HookEvent, KernelFrameInfo, PendingLimit, PidType, ProcessSignalManager, SendOutcome,
    SignalAction, SignalActions, SignalFd, SignalInfo, SignalSet, Signo, ThreadSignalManager,
    UserReturn, WaitOutcome, WaitQueue,
};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::ffi::CString;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

type Psm = ProcessSignalManager<RWait>;
type Tsm = ThreadSignalManager<RWait>;

/// Thread `tid` of group `tgid` as the crate's system calls see their caller, with
/// no process group or session and default credentials: what every call but the
/// kill family (which reads the host's) is given.
fn plain_caller(tid: i32, tgid: i32, tsm: &Tsm) -> Caller<'_, RWait, DefaultRawMutex> {
    Caller {
        ids: TaskIds {
            tid,
            tgid,
            pgid: 0,
            sid: 0,
        },
        cred: Credentials::default(),
        thread: tsm,
        arch: Arch::X86_64,
    }
}

/// What the tracer thread reacts to.
enum Ev {
    /// `waitpid` reported `status` for `pid`.
    Wait(i32, i32),
    /// `waitpid` failed (no tracee left).
    WaitGone,
    /// A helper finished a blocking call for `tid` with this result.
    Done { tid: i32, ret: isize },
    /// ksignal woke `tid` (`signal_wake_up`): it may have something deliverable.
    Kick(i32),
    /// A signal of a signalfd that `tid` waits on in a host poll became pending.
    Ready(i32),
    /// The runner itself received a signal.
    Outer {
        sig: i32,
        code: i32,
        pid: i32,
        uid: u32,
        /// When the forwarding thread took it: the tracer may see the event much
        /// later (it may have been stopped with the program meanwhile).
        at: Instant,
    },
}

/// The tracer's event channel: an event, then a write to an eventfd the tracer
/// polls beside its SIGCHLD signalfd.
#[derive(Clone)]
pub struct Notify {
    tx: Sender<Ev>,
    efd: i32,
}

impl Notify {
    fn send(&self, ev: Ev) {
        let _ = self.tx.send(ev);
        let one = 1u64;
        // SAFETY: writes 8 bytes from `one` to our eventfd.
        unsafe { libc::write(self.efd, (&one as *const u64).cast(), 8) };
    }
}

/// The crate's per-thread wait queue, as the runner implements it: a condition
/// variable a helper thread blocks on, and a kick to the tracer so that it can
/// interrupt the thread if it runs or blocks in the host.
pub struct RWait {
    tid: i32,
    woken: Mutex<bool>,
    cv: Condvar,
    tx: Mutex<Notify>,
}

impl RWait {
    fn new(tid: i32, tx: Notify) -> RWait {
        RWait {
            tid,
            woken: Mutex::new(false),
            cv: Condvar::new(),
            tx: Mutex::new(tx),
        }
    }
}

impl WaitQueue for RWait {
    fn prepare_to_wait(&self) {
        *self.woken.lock().unwrap() = false;
    }

    fn wait(&self, timeout: Option<Duration>) -> WaitOutcome {
        let mut g = self.woken.lock().unwrap();
        match timeout {
            None => {
                while !*g {
                    g = self.cv.wait(g).unwrap();
                }
                WaitOutcome::Woken { remaining: None }
            }
            Some(t) => {
                let deadline = Instant::now() + t;
                while !*g {
                    let now = Instant::now();
                    if now >= deadline {
                        return WaitOutcome::TimedOut;
                    }
                    g = self.cv.wait_timeout(g, deadline - now).unwrap().0;
                }
                WaitOutcome::Woken {
                    remaining: Some(deadline.saturating_duration_since(Instant::now())),
                }
            }
        }
    }

    fn finish_wait(&self) {}

    fn wake_one(&self) {
        *self.woken.lock().unwrap() = true;
        self.cv.notify_all();
        self.tx.lock().unwrap().send(Ev::Kick(self.tid));
    }
}

/// Where a traced thread is, as far as the runner is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum St {
    /// Running in the host (user code or a host system call).
    Running,
    /// In a ptrace stop the runner is handling right now.
    Held,
    /// Stopped at a blocking signal call a helper thread is serving.
    Blocked,
    /// In a group stop, kept there with PTRACE_LISTEN.
    Listening,
    /// Known from its parent's clone event; its first stop has not come yet.
    AwaitInitial,
}

struct Thr {
    tgid: i32,
    tsm: Arc<Tsm>,
    st: St,
    /// A PTRACE_INTERRUPT was sent and no stop has been reported since. Linux's
    /// `ptrace_stop` drops a pending interrupt trap (JOBCTL_TRAP_STOP) at any stop,
    /// so the flag ends at the next reported stop of whatever kind, not only at
    /// the PTRACE_EVENT_STOP the interrupt would produce on its own.
    interrupting: bool,
    /// Registers at the blocking call a helper serves; while set, the thread sleeps
    /// in a host `pause` standing in for it (so /proc shows it sleeping).
    blocked_regs: Option<libc::user_regs_struct>,
    /// The helper's result, once it has one.
    done: Option<isize>,
    /// A host rt_sigaction(SIGCHLD) the runner made the thread execute: its own
    /// registers and ksignal's result, restored at the syscall-exit stop.
    mirror: Option<(libc::user_regs_struct, isize)>,
    /// A served call ended in a restart code and the group stopped before the
    /// restart rules ran: its number, for the rules at the next resume.
    pending_restart: Option<u64>,
    /// The last host fault, for the next frame.
    fault: FaultInfo,
    /// A signalfd4 the host is executing with an empty mask: the thread's own
    /// registers and the mask ksignal's signalfd gets once the host succeeded.
    sfd_call: Option<(libc::user_regs_struct, SignalSet)>,
    /// A `seccomp` call the runner made the thread execute to add the `read`
    /// filter: the registers to restore once it returns.
    inject: Option<libc::user_regs_struct>,
    /// A poll-family call on a signalfd the host is executing (see `on_poll_entry`).
    poll: Option<PollCall>,
    /// A dup of a known signalfd (or onto one) the host is executing: the file the
    /// new descriptor is, if the old one is a signalfd.
    dup_of: Option<Option<Arc<SignalFd>>>,
    /// A waiting poll-family call on a signalfd that a host signal interrupted:
    /// its registers at entry. Once that signal went to ksignal (the thread's next
    /// signal-delivery or interrupt stop), the call starts again if ksignal has
    /// nothing to deliver (the host signal was ignored), as it would never have
    /// been interrupted natively.
    rewind: Option<libc::user_regs_struct>,
}

/// `poll`, `ppoll`, `select`, `pselect6`, `epoll_wait`, `epoll_pwait` or
/// `epoll_pwait2` watching a signalfd for input, while the host executes it.
struct PollCall {
    /// The program's registers at the call.
    regs: libc::user_regs_struct,
    /// The watched signalfds that were readable at the call (descriptor, events
    /// asked for, epoll data): the host ran the call with a zero timeout and their
    /// readiness is added to its answer. Empty: the host waits with the program's
    /// timeout and `hooks` wake the runner when one becomes readable.
    ready: Vec<(i32, u32, u64)>,
    /// Generation hooks ([`SignalFd::watch`]) registered for the wait.
    hooks: Vec<ksignal::HookHandle>,
}

struct Proc {
    psm: Arc<Psm>,
    threads: Vec<i32>,
    /// The group exits with this signal: the runner's own host signal is let through.
    dying: Option<Signo>,
    /// The group stops with this signal: the runner's own host signal is let through.
    stopping: Option<Signo>,
    /// The host's SIGCHLD action (handler, flags), mirrored from ksignal's so that
    /// the host auto-reaps as SIG_IGN / SA_NOCLDWAIT say.
    host_chld: (u64, u64),
    /// The program's signalfds by descriptor: each is a host signalfd with an
    /// empty mask (so close, dup, fcntl, CLOEXEC and inheritance are the host's)
    /// whose reads the runner serves with ksignal's [`SignalFd`].
    sfds: HashMap<i32, Arc<SignalFd>>,
    /// Once the process has a signalfd, its reads, readiness calls and dups must
    /// stop: a second seccomp filter that traps them ([`host::read_filter`]) is
    /// added in the process (`read_filter`), or, if
    /// the host refuses it, its threads run under PTRACE_SYSCALL (`trace_reads`).
    /// Before that only the signal calls stop (no cost for programs without a
    /// signalfd).
    trace_reads: bool,
    read_filter: bool,
}

/// A stop the runner handles, with the registers it read.
struct Held {
    regs: libc::user_regs_struct,
    ctx: X86_64Context,
    /// The context was changed and must be written back.
    dirty: bool,
    /// At a seccomp stop: the host system call is skipped (orig_rax = -1).
    skip: bool,
}

impl Held {
    fn read(tid: i32) -> Option<Held> {
        let regs = host::get_regs(tid).ok()?;
        Some(Held {
            regs,
            ctx: host::to_ctx(&regs),
            dirty: false,
            skip: false,
        })
    }
}

struct Runner {
    trace: bool,
    me: i32,
    root: i32,
    root_status: Option<i32>,
    procs: HashMap<i32, Proc>,
    threads: HashMap<i32, Thr>,
    /// New tasks whose first stop came before their parent's clone event.
    early: HashSet<i32>,
    tx: Notify,
    xcfg: Option<XCfg>,
    /// Signals sent to the runner by a process, held briefly: if the program gets
    /// the same one from the host (a kill of the whole process group), it is not
    /// forwarded a second time.
    outer_pending: Vec<(Signo, i32, u32, Instant)>,
    /// Host signals the program received from a process, for the same check the
    /// other way round.
    recent_host: Vec<(Signo, i32, Instant)>,
}

/// How long a signal to the runner waits for the program's own copy.
const FORWARD_WINDOW: Duration = Duration::from_millis(30);

fn signame(sig: u32) -> String {
    match Signo::new(sig) {
        Ok(s) => format!("{s}"),
        Err(_) => format!("signal {sig}"),
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn restart_name(rax: u64) -> Option<&'static str> {
    match -(rax as i64) {
        512 => Some("ERESTARTSYS"),
        513 => Some("ERESTARTNOINTR"),
        514 => Some("ERESTARTNOHAND"),
        516 => Some("ERESTART_RESTARTBLOCK"),
        _ => None,
    }
}

impl Runner {
    fn log(&self, tid: i32, msg: std::fmt::Arguments<'_>) {
        if self.trace {
            eprintln!("ksignal-run: [{tid}] {msg}");
        }
    }

    fn knows(&self, pid: i32) -> bool {
        self.threads.contains_key(&pid) || self.procs.contains_key(&pid)
    }

    fn new_thread(&self, psm: &Arc<Psm>, tid: i32, blocked: SignalSet) -> Option<Arc<Tsm>> {
        let w = RWait::new(tid, self.tx.clone());
        Tsm::new(psm, tid, blocked, w).ok().map(Arc::new)
    }

    fn new_process(&mut self, tgid: i32, psm: Psm) -> Arc<Psm> {
        let psm = Arc::new(psm);
        if self.trace {
            let hook: ksignal::Hook = Arc::new(move |sig: Signo, e: &HookEvent| {
                let to = match e.target {
                    PidType::Pid => "thread",
                    _ => "process",
                };
                eprintln!(
                    "ksignal-run: [{tgid}] generate {sig} ({to}-directed) code={} pid={} uid={} value={:#x}",
                    e.code, e.sender_pid, e.sender_uid, e.value
                );
            });
            let _ = psm.hooks().register(SignalSet::ALL, hook);
        }
        self.procs.insert(
            tgid,
            Proc {
                psm: psm.clone(),
                threads: Vec::new(),
                dying: None,
                stopping: None,
                host_chld: (0, 0),
                sfds: HashMap::new(),
                trace_reads: false,
                read_filter: false,
            },
        );
        psm
    }

    fn add_thread(&mut self, tgid: i32, tid: i32, tsm: Arc<Tsm>, st: St) {
        if let Some(p) = self.procs.get_mut(&tgid) {
            p.threads.push(tid);
        }
        self.threads.insert(
            tid,
            Thr {
                tgid,
                tsm,
                st,
                interrupting: false,
                blocked_regs: None,
                done: None,
                mirror: None,
                pending_restart: None,
                fault: FaultInfo::default(),
                sfd_call: None,
                inject: None,
                poll: None,
                dup_of: None,
                rewind: None,
            },
        );
    }

    fn set_st(&mut self, tid: i32, st: St) {
        if let Some(t) = self.threads.get_mut(&tid) {
            t.st = st;
        }
    }

    fn cont(&mut self, tid: i32, sig: i32) {
        let trace_reads = self
            .threads
            .get(&tid)
            .and_then(|t| self.procs.get(&t.tgid))
            .is_some_and(|p| p.trace_reads);
        let req = if trace_reads {
            libc::PTRACE_SYSCALL
        } else {
            libc::PTRACE_CONT
        };
        let _ = host::ptrace(req, tid, 0, sig as usize);
        self.set_st(tid, St::Running);
    }

    fn interrupt(&mut self, tid: i32) {
        if let Some(t) = self.threads.get_mut(&tid)
            && !t.interrupting
        {
            t.interrupting = true;
            let _ = host::ptrace(libc::PTRACE_INTERRUPT, tid, 0, 0);
        }
    }

    /// RLIMIT_SIGPENDING is the receiver's current soft limit (`task_rlimit` in
    /// `__sigqueue_alloc`): read it from the host before a send.
    fn refresh_limit(&self, tgid: i32) {
        let Some(p) = self.procs.get(&tgid) else {
            return;
        };
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: prlimit with a NULL new limit only writes the old one.
        if unsafe { libc::prlimit(tgid, libc::RLIMIT_SIGPENDING, std::ptr::null(), &mut lim) } == 0
        {
            p.psm
                .set_rlimit_sigpending(Some(usize::try_from(lim.rlim_cur).unwrap_or(usize::MAX)));
        }
    }

    /// Whether the crate's group stop holds this thread: nothing is delivered then.
    fn held_by_stop(&self, tgid: i32) -> bool {
        self.procs.get(&tgid).is_some_and(|p| {
            p.dying.is_some() || (p.psm.is_stopped() && p.psm.group_exit().is_none())
        })
    }

    /// Leaves a seccomp stop whose system call the runner answered itself: the host
    /// call is skipped and `ret` becomes its return value, then `resume` delivers.
    fn resume_with_result(&mut self, tid: i32, regs: libc::user_regs_struct, ret: i64) {
        let mut ctx = host::to_ctx(&regs);
        ctx.rax = ret as u64;
        let held = Held {
            regs,
            ctx,
            dirty: true,
            skip: true,
        };
        self.resume(tid, Some(held));
    }

    /// Leaves a stop. With `held`, this is a point where the thread is about to
    /// return to user space with known registers: deliver what ksignal says is
    /// deliverable (`do_signal`), write the registers back, and carry out a stop or
    /// exit. Without, just continue, and interrupt at once if something is pending.
    fn resume(&mut self, tid: i32, held: Option<Held>) {
        let Some(t) = self.threads.get(&tid) else {
            let _ = host::ptrace(libc::PTRACE_CONT, tid, 0, 0);
            return;
        };
        let (tgid, tsm) = (t.tgid, t.tsm.clone());
        let Some(mut h) = held else {
            if let Some(t) = self.threads.get_mut(&tid) {
                t.rewind = None;
            }
            self.cont(tid, 0);
            if tsm.has_pending() && !self.held_by_stop(tgid) {
                self.interrupt(tid);
            }
            return;
        };
        if let Some(regs) = self.threads.get_mut(&tid).and_then(|t| t.rewind.take())
            && !tsm.has_pending()
        {
            h.regs = again(&regs);
            h.ctx = host::to_ctx(&h.regs);
            h.dirty = true;
            h.skip = true;
            self.log(
                tid,
                format_args!("poll-family call: host signal ignored, again"),
            );
        }
        // A served call's restart code left over from a stop (see below).
        let stopped_now = self.held_by_stop(tgid);
        if !stopped_now
            && let Some(nr) = self
                .threads
                .get_mut(&tid)
                .and_then(|t| t.pending_restart.take())
        {
            h.ctx.in_syscall = true;
            h.ctx.orig_rax = nr;
            h.dirty = true;
            h.skip = true;
            if !tsm.has_pending() {
                ksignal::frame::syscall_restart(&mut h.ctx, None);
            }
        }
        let mut out = UserReturn::Resume;
        if tsm.has_pending() && !stopped_now {
            let before = h.ctx;
            let seccomp = h.skip;
            let fault = std::mem::take(&mut self.threads.get_mut(&tid).unwrap().fault);
            let cfg = *self.xcfg.get_or_insert_with(|| XCfg::probe(tid));
            let mut fp = XFp {
                pid: tid,
                cfg: &cfg,
            };
            let mut mem = RemoteMem { pid: tid };
            // TSTP, TTIN and TTOU to an orphaned process group are discarded
            // (Linux's `is_current_pgrp_orphaned`), asked of the host's /proc.
            let trace = self.trace;
            let mut orphaned = || {
                let yes = host::pgrp_orphaned(tgid);
                if yes && trace {
                    eprintln!("ksignal-run: [{tid}] process group orphaned: stop signal discarded");
                }
                yes
            };
            out = ksignal::do_signal(
                &*tsm,
                &mut h.ctx,
                &mut fp,
                &mut mem,
                KernelFrameInfo {
                    trampoline: 0,
                    fault,
                },
                &mut orphaned,
                &mut ksignal::NoTracer,
            );
            h.dirty = true;
            if let UserReturn::Stop(_) = out {
                // Linux stops inside get_signal and only then applies the restart
                // rules. Off a seccomp stop the host does that (orig_rax is kept);
                // a served call's code is kept for the thread's next resume.
                if seccomp && h.ctx.in_syscall && restart_name(h.ctx.rax).is_some() {
                    self.threads.get_mut(&tid).unwrap().pending_restart = Some(h.ctx.orig_rax);
                }
            } else {
                // Linux's restart logic ran in the crate; the host must not run its own.
                h.skip = true;
            }
            if self.trace {
                self.trace_delivery(tid, &before, &h.ctx, &out);
            }
        }
        if h.dirty {
            host::from_ctx(&mut h.regs, &h.ctx);
            if h.skip {
                h.regs.orig_rax = u64::MAX;
            }
            let _ = host::set_regs(tid, &h.regs);
        }
        match out {
            UserReturn::Resume => {
                self.cont(tid, 0);
                if tsm.has_pending() && !self.held_by_stop(tgid) {
                    self.interrupt(tid);
                }
            }
            UserReturn::Stop(sig) => {
                if let Some(p) = self.procs.get_mut(&tgid) {
                    p.stopping = Some(sig);
                }
                // SAFETY: tgkill takes plain values.
                unsafe { libc::syscall(libc::SYS_tgkill, tgid, tid, sig.get()) };
                self.cont(tid, 0);
            }
            UserReturn::Exit { sig, .. } => {
                if let Some(p) = self.procs.get_mut(&tgid) {
                    p.dying = Some(sig);
                }
                // SAFETY: tgkill takes plain values.
                unsafe { libc::syscall(libc::SYS_tgkill, tgid, tid, sig.get()) };
                self.cont(tid, 0);
            }
        }
    }

    fn trace_delivery(
        &self,
        tid: i32,
        before: &X86_64Context,
        after: &X86_64Context,
        out: &UserReturn,
    ) {
        let restart = if before.in_syscall {
            restart_name(before.rax)
        } else {
            None
        };
        if after.rip != before.rip && after.rip != before.rip.wrapping_sub(2) {
            // A handler frame was pushed: rdi is the signal of the handler that runs
            // first, rdx its ucontext (saved rax at +144, rip at +168).
            let mem = RemoteMem { pid: tid };
            let mut b = [0u8; 8];
            let saved = |off: u64, b: &mut [u8; 8]| {
                ksignal::UserMemory::read(&mem, (after.rdx + off) as usize, b)
                    .ok()
                    .map(|()| u64::from_ne_bytes(*b))
            };
            self.log(
                tid,
                format_args!(
                    "deliver {} to handler {:#x} (frame {:#x}, sp {:#x})",
                    signame(after.rdi as u32),
                    after.rip,
                    after.rdx,
                    after.rsp
                ),
            );
            if let Some(r) = restart {
                let rax = saved(144, &mut b);
                let rip = saved(168, &mut b);
                let what = if rip == Some(before.rip.wrapping_sub(2)) {
                    "restart the call after the handler".to_string()
                } else {
                    format!("return {}", rax.map_or(0, |v| v as i64))
                };
                self.log(tid, format_args!("restart: -{r} with a handler: {what}"));
            }
        } else if let Some(r) = restart {
            let what = if after.rip == before.rip.wrapping_sub(2) {
                if after.rax == 219 {
                    "restart_syscall"
                } else {
                    "restart the call"
                }
            } else {
                "return"
            };
            self.log(tid, format_args!("restart: -{r} without a handler: {what}"));
        }
        match out {
            UserReturn::Resume => {}
            UserReturn::Stop(s) => self.log(tid, format_args!("deliver {s}: default action stop")),
            UserReturn::Exit { sig, core_dump } => self.log(
                tid,
                format_args!(
                    "deliver {sig}: default action {}",
                    if *core_dump { "core dump" } else { "terminate" }
                ),
            ),
        }
    }

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Wait(pid, status) => self.on_wait(pid, status),
            Ev::WaitGone => {
                if self.root_status.is_none() {
                    self.root_status = Some(1);
                }
            }
            Ev::Done { tid, ret } => self.on_done(tid, ret),
            Ev::Kick(tid) => self.on_kick(tid),
            Ev::Ready(tid) => {
                if let Some(t) = self.threads.get(&tid)
                    && t.st == St::Running
                    && t.poll.as_ref().is_some_and(|c| !c.hooks.is_empty())
                {
                    self.interrupt(tid);
                }
            }
            Ev::Outer {
                sig,
                code,
                pid,
                uid,
                at,
            } => self.on_outer(sig, code, pid, uid, at),
        }
    }

    fn on_kick(&mut self, tid: i32) {
        let Some(t) = self.threads.get(&tid) else {
            return;
        };
        if !t.tsm.has_pending() {
            return;
        }
        let tgid = t.tgid;
        match t.st {
            St::Running if !self.held_by_stop(tgid) => self.interrupt(tid),
            St::Listening if !self.held_by_stop(tgid) => self.interrupt(tid),
            _ => {}
        }
    }

    fn on_outer(&mut self, sig: i32, code: i32, pid: i32, uid: u32, at: Instant) {
        let Ok(s) = Signo::new(sig as u32) else {
            return;
        };
        // The terminal signals its whole foreground group: the program got its own.
        if code == libc::SI_KERNEL {
            return;
        }
        // The program's copy is matched against the time the runner got its own.
        let now = at;
        self.recent_host
            .retain(|e| now.duration_since(e.2) < FORWARD_WINDOW * 2);
        if let Some(i) = self.recent_host.iter().position(|e| e.0 == s && e.1 == pid) {
            self.recent_host.remove(i);
            return;
        }
        self.outer_pending.push((s, pid, uid, now + FORWARD_WINDOW));
    }

    /// When the next held signal of the runner is due, if any.
    fn next_forward(&self) -> Option<Instant> {
        self.outer_pending.iter().map(|e| e.3).min()
    }

    /// Forwards the runner's held signals whose window has passed.
    fn flush_outer(&mut self) {
        let now = Instant::now();
        let due: Vec<_> = self
            .outer_pending
            .iter()
            .filter(|e| e.3 <= now)
            .copied()
            .collect();
        self.outer_pending.retain(|e| e.3 > now);
        for (s, pid, uid, _) in due {
            let Some(p) = self.procs.get(&self.root) else {
                return;
            };
            let info = SignalInfo::user(s, pid, uid);
            let psm = p.psm.clone();
            self.log(
                self.root,
                format_args!("runner received {s}: sent to the program"),
            );
            if let Ok(out) = psm.send(s, Some(&info)) {
                self.effects(self.root, s, &out);
            }
        }
    }

    /// What the host must do after ksignal decided a send.
    fn effects(&mut self, tgid: i32, sig: Signo, out: &SendOutcome) {
        if out.resumed {
            self.log(tgid, format_args!("{sig} continues the stopped group"));
            if let Some(p) = self.procs.get_mut(&tgid) {
                p.stopping = None;
            }
            // SAFETY: kill takes plain values.
            unsafe { libc::kill(tgid, libc::SIGCONT) };
        }
        if out.group_exit && sig == Signo::SIGKILL {
            // SAFETY: kill takes plain values.
            unsafe { libc::kill(tgid, libc::SIGKILL) };
        }
    }

    fn on_wait(&mut self, pid: i32, status: i32) {
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            self.on_exit(pid, status);
            return;
        }
        if !libc::WIFSTOPPED(status) {
            return;
        }
        let sig = libc::WSTOPSIG(status);
        let event = (status >> 16) & 0xffff;
        if !self.threads.contains_key(&pid) {
            // A new task whose parent's clone event has not been handled yet.
            self.early.insert(pid);
            return;
        }
        let was = self.threads[&pid].st;
        self.set_st(pid, St::Held);
        // Any stop consumed a pending interrupt (an exec, clone or seccomp event
        // that came first swallows it: no PTRACE_EVENT_STOP follows), so the next
        // resume interrupts again if something is still deliverable. An interrupt
        // sent while the thread was already in this stop stays pending and only
        // makes one extra PTRACE_EVENT_STOP, which the runner resumes.
        if let Some(t) = self.threads.get_mut(&pid) {
            t.interrupting = false;
            // Only the stops a host signal makes may take up an interrupted poll.
            if !(event == 0 && sig != libc::SIGTRAP | 0x80 || event == host::PTRACE_EVENT_STOP) {
                t.rewind = None;
            }
        }
        if self.threads[&pid].blocked_regs.is_some() {
            self.on_blocked_stop(pid, event, sig, was);
            return;
        }
        match event {
            0 if sig == libc::SIGTRAP | 0x80 => {
                let entry = host::syscall_op(pid) == host::PTRACE_SYSCALL_INFO_ENTRY;
                if self.threads[&pid].inject.is_some() {
                    self.on_inject_stop(pid, entry)
                } else if entry {
                    self.on_syscall_entry(pid)
                } else {
                    self.on_syscall_exit(pid)
                }
            }
            0 => self.on_signal_stop(pid, sig),
            libc::PTRACE_EVENT_SECCOMP => self.on_seccomp(pid),
            libc::PTRACE_EVENT_CLONE | libc::PTRACE_EVENT_FORK | libc::PTRACE_EVENT_VFORK => {
                self.on_clone(pid)
            }
            libc::PTRACE_EVENT_EXEC => self.on_exec(pid),
            host::PTRACE_EVENT_STOP => self.on_event_stop(pid, sig, was),
            _ => self.resume(pid, None),
        }
    }

    fn on_exit(&mut self, pid: i32, status: i32) {
        self.early.remove(&pid);
        if let Some(mut t) = self.threads.remove(&pid) {
            let tgid = t.tgid;
            if let Some(call) = t.poll.as_mut() {
                self.unhook(tgid, &mut call.hooks);
            }
            if let Some(p) = self.procs.get_mut(&tgid) {
                p.threads.retain(|x| *x != pid);
                if t.st == St::Blocked {
                    // Killed by the host while a helper waits for it: end the wait.
                    p.psm.start_group_exit(Signo::SIGKILL);
                }
                if p.threads.is_empty() {
                    self.procs.remove(&tgid);
                }
            }
        }
        if pid == self.root {
            self.root_status = Some(if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                128 + libc::WTERMSIG(status)
            });
        }
    }

    fn on_signal_stop(&mut self, tid: i32, sig: i32) {
        if !self.route(tid, sig) {
            let h = Held::read(tid);
            self.resume(tid, h);
        }
    }

    /// A host signal at a signal-delivery stop: the runner's own is let through or
    /// suppressed; any other is suppressed and handed to ksignal. Returns true if
    /// the thread was resumed here.
    fn route(&mut self, tid: i32, sig: i32) -> bool {
        let Ok(raw) = host::get_siginfo(tid) else {
            return false;
        };
        let info = SignalInfo::from_bytes(raw);
        let tgid = self.threads[&tid].tgid;
        let Ok(signo) = Signo::new(sig as u32) else {
            self.cont(tid, sig);
            return true;
        };
        if info.pid() == self.me && info.code() <= 0 {
            // The runner's own host signal carrying out a ksignal decision.
            let (dying, stopping) = self
                .procs
                .get(&tgid)
                .map_or((None, None), |p| (p.dying, p.stopping));
            if dying == Some(signo) || (stopping == Some(signo) && self.held_by_stop(tgid)) {
                self.cont(tid, sig);
                return true;
            }
            return false;
        }
        if tgid == self.root && info.code() == libc::SI_USER && info.pid() != tgid {
            let from = info.pid();
            match self
                .outer_pending
                .iter()
                .position(|e| e.0 == signo && e.1 == from)
            {
                Some(i) => {
                    self.outer_pending.remove(i);
                }
                None => self.recent_host.push((signo, from, Instant::now())),
            }
        }
        self.refresh_limit(tgid);
        let t = &self.threads[&tid];
        let (tsm, psm) = (t.tsm.clone(), self.procs[&tgid].psm.clone());
        let fault = matches!(
            signo,
            Signo::SIGSEGV | Signo::SIGBUS | Signo::SIGILL | Signo::SIGFPE | Signo::SIGTRAP
        ) && info.code() > 0;
        let out = if fault {
            let trapno = match signo {
                Signo::SIGSEGV => 14,
                Signo::SIGFPE => 0,
                Signo::SIGILL => 6,
                Signo::SIGTRAP => 3,
                _ => 0,
            };
            self.threads.get_mut(&tid).unwrap().fault = FaultInfo {
                address: info.addr() as u64,
                code: 0,
                trapno,
            };
            self.log(
                tid,
                format_args!(
                    "host fault {signo} code={} addr={:#x}: forced",
                    info.code(),
                    info.addr()
                ),
            );
            tsm.force_signal(signo, &info)
        } else if info.code() == libc::SI_TKILL
            || (info.code() == libc::SI_USER && info.pid() == tgid)
        {
            self.log(
                tid,
                format_args!(
                    "host signal {signo} code={} pid={}: to the thread",
                    info.code(),
                    info.pid()
                ),
            );
            tsm.send(signo, Some(&info))
        } else {
            self.log(
                tid,
                format_args!(
                    "host signal {signo} code={} pid={}: to the process",
                    info.code(),
                    info.pid()
                ),
            );
            psm.send(signo, Some(&info))
        };
        if let Ok(out) = out {
            self.effects(tgid, signo, &out);
        }
        false
    }

    fn on_event_stop(&mut self, tid: i32, sig: i32, was: St) {
        let tgid = self.threads[&tid].tgid;
        self.threads.get_mut(&tid).unwrap().interrupting = false;
        let group_stop = sig != libc::SIGTRAP;
        if self.keep_listening(tid, tgid, group_stop, was) {
            if group_stop {
                self.log(tid, format_args!("in group stop ({})", signame(sig as u32)));
                self.mirror_root_stop(tgid);
            }
            return;
        }
        let h = Held::read(tid);
        self.resume(tid, h);
    }

    /// A group-stop report, or a listening thread trapping again: it stays stopped
    /// (PTRACE_LISTEN) while ksignal's group stop holds, unless the host has a
    /// SIGCONT pending for it (sent from outside the traced tree), which must reach
    /// ksignal through the thread's signal-delivery stops.
    fn keep_listening(&mut self, tid: i32, tgid: i32, group_stop: bool, was: St) -> bool {
        if !(group_stop || was == St::Listening) || !self.held_by_stop(tgid) {
            return false;
        }
        if host::sigcont_pending(tid) {
            return false;
        }
        let _ = host::ptrace(libc::PTRACE_LISTEN, tid, 0, 0);
        self.set_st(tid, St::Listening);
        true
    }

    /// When the program the runner started is stopped, the runner stops too, so
    /// that the shell that started the runner sees a stopped job (and its `fg`
    /// continues both: they share a process group).
    fn mirror_root_stop(&mut self, tgid: i32) {
        if tgid != self.root {
            return;
        }
        let all = self.procs.get(&tgid).is_some_and(|p| {
            p.threads
                .iter()
                .all(|t| self.threads.get(t).is_some_and(|t| t.st == St::Listening))
        });
        if all {
            self.log(
                tgid,
                format_args!("the program is stopped: the runner stops too"),
            );
            let stopped_at = Instant::now();
            // SAFETY: raise takes a value.
            unsafe { libc::raise(libc::SIGSTOP) };
            // The runner's own copy of the signal that stopped the group may be read
            // only now (its reader thread was stopped too): the time spent stopped
            // does not count against the windows that pair it with the program's copy.
            let stopped = stopped_at.elapsed();
            for e in &mut self.recent_host {
                e.2 += stopped;
            }
            for e in &mut self.outer_pending {
                e.3 += stopped;
            }
        }
    }

    fn on_clone(&mut self, ptid: i32) {
        let child = host::event_msg(ptid).map(|m| m as i32).unwrap_or(0);
        let Ok(regs) = host::get_regs(ptid) else {
            self.resume(ptid, None);
            return;
        };
        let flags: u64 = match regs.orig_rax as i64 {
            libc::SYS_clone => regs.rdi,
            libc::SYS_clone3 => {
                let mut b = [0u8; 8];
                let _ =
                    ksignal::UserMemory::read(&RemoteMem { pid: ptid }, regs.rdi as usize, &mut b);
                u64::from_ne_bytes(b)
            }
            libc::SYS_vfork => (libc::CLONE_VM | libc::CLONE_VFORK) as u64,
            _ => 0,
        };
        let parent = &self.threads[&ptid];
        let (tgid, ptsm) = (parent.tgid, parent.tsm.clone());
        if child > 0 && !self.threads.contains_key(&child) {
            let mask = ptsm.blocked();
            if flags & libc::CLONE_THREAD as u64 != 0 {
                let psm = self.procs[&tgid].psm.clone();
                if let Some(tsm) = self.new_thread(&psm, child, mask) {
                    self.add_thread(tgid, child, tsm, St::AwaitInitial);
                }
                self.log(ptid, format_args!("clone: thread {child}"));
            } else {
                let share = flags & libc::CLONE_SIGHAND as u64 != 0;
                let forked = self.procs[&tgid].psm.fork(share);
                let parent = &self.procs[&tgid];
                let (host_chld, sfds, trace_reads, read_filter) = (
                    parent.host_chld,
                    parent.sfds.clone(),
                    parent.trace_reads,
                    parent.read_filter,
                );
                let psm = self.new_process(child, forked);
                if let Some(p) = self.procs.get_mut(&child) {
                    // The child's descriptors are copies of the parent's: the same
                    // signalfds, reading the child's own signals.
                    p.host_chld = host_chld;
                    p.sfds = sfds;
                    p.trace_reads = trace_reads;
                    // Seccomp filters are inherited across fork.
                    p.read_filter = read_filter;
                }
                if let Some(tsm) = self.new_thread(&psm, child, mask) {
                    let vm = flags & libc::CLONE_VM as u64 != 0;
                    let vfork = flags & libc::CLONE_VFORK as u64 != 0;
                    if !vm || vfork {
                        tsm.set_altstack(ptsm.altstack());
                    }
                    self.add_thread(child, child, tsm, St::AwaitInitial);
                }
                self.log(ptid, format_args!("fork: process {child}"));
            }
            if self.early.remove(&child) {
                self.set_st(child, St::Held);
                let h = Held::read(child);
                self.resume(child, h);
            }
        }
        self.resume(ptid, None);
    }

    fn on_exec(&mut self, tid: i32) {
        let tgid = self.threads[&tid].tgid;
        // Every other thread is gone; a non-leader that exec'd took the leader's id.
        let others: Vec<i32> = self.procs[&tgid]
            .threads
            .iter()
            .copied()
            .filter(|x| *x != tid)
            .collect();
        for o in others {
            self.threads.remove(&o);
        }
        if let Some(p) = self.procs.get_mut(&tgid) {
            p.threads.retain(|x| *x == tid);
            p.psm.exec();
            // The host's exec keeps SIG_IGN and clears the flags.
            p.host_chld = if p.host_chld.0 == 1 { (1, 0) } else { (0, 0) };
        }
        if tid != tgid
            && let Some(t) = self.threads.remove(&tid)
        {
            let mask = t.tsm.blocked();
            drop(t);
            let psm = self.procs[&tgid].psm.clone();
            if let Some(p) = self.procs.get_mut(&tgid) {
                p.threads.clear();
            }
            if let Some(tsm) = self.new_thread(&psm, tgid, mask) {
                self.add_thread(tgid, tgid, tsm, St::Held);
            }
            self.cont(tgid, 0);
            return;
        }
        if let Some(t) = self.threads.get(&tid) {
            t.tsm.exec();
        }
        self.log(tid, format_args!("exec: handlers reset"));
        self.resume(tid, None);
    }

    fn on_seccomp(&mut self, tid: i32) {
        let Some(mut h) = Held::read(tid) else {
            return;
        };
        let nr = h.regs.orig_rax as i64;
        h.skip = true;
        h.dirty = true;
        h.ctx.in_syscall = true;
        match nr {
            libc::SYS_rt_sigtimedwait | libc::SYS_rt_sigsuspend | libc::SYS_pause => {
                self.block(tid, nr, h.regs, None);
            }
            libc::SYS_signalfd4 | libc::SYS_signalfd => self.on_signalfd4(tid, nr, h),
            // Only the read filter traps these: served if they use a signalfd.
            n if host::SFD_TRAPPED.contains(&n) || n == libc::SYS_fcntl => {
                self.on_syscall_entry(tid)
            }
            libc::SYS_rt_sigreturn => {
                let t = &self.threads[&tid];
                let tsm = t.tsm.clone();
                let cfg = *self.xcfg.get_or_insert_with(|| XCfg::probe(tid));
                let mut fp = XFp {
                    pid: tid,
                    cfg: &cfg,
                };
                let mem = RemoteMem { pid: tid };
                match ksignal::rt_sigreturn(&*tsm, &mut h.ctx, &mut fp, &mem) {
                    Ok(ret) => {
                        h.ctx.rax = ret;
                        self.log(
                            tid,
                            format_args!(
                                "rt_sigreturn: back to {:#x}, mask {:#x}",
                                h.ctx.rip,
                                tsm.blocked().bits()
                            ),
                        );
                    }
                    Err(e) => {
                        h.ctx.rax = e.as_neg_ret() as u64;
                        self.log(tid, format_args!("rt_sigreturn: bad frame, SIGSEGV forced"));
                    }
                }
                self.resume(tid, Some(h));
            }
            _ => match self.serve(tid, nr, &h.regs) {
                Some(ret) => {
                    if nr == libc::SYS_rt_sigaction
                        && h.regs.rdi as i32 == libc::SIGCHLD
                        && ret == 0
                        && self.mirror_sigchld(tid, &h.regs, ret)
                    {
                        return;
                    }
                    h.ctx.rax = ret as u64;
                    self.resume(tid, Some(h));
                }
                None => {
                    self.log(tid, format_args!("syscall {nr}: to the host"));
                    self.resume(tid, None);
                }
            },
        }
    }

    /// After ksignal changed SIGCHLD's action: if the host's must change too (SIG_IGN,
    /// SA_NOCLDWAIT, SA_NOCLDSTOP decide what the host does when a child stops or
    /// exits), make the thread execute that rt_sigaction in the host, with a
    /// `struct sigaction` written below its red zone. Returns whether it did.
    fn mirror_sigchld(&mut self, tid: i32, regs: &libc::user_regs_struct, ret: isize) -> bool {
        let tgid = self.threads[&tid].tgid;
        let Some(p) = self.procs.get_mut(&tgid) else {
            return false;
        };
        let a = p.psm.actions().get(Signo::SIGCHLD);
        let want = match a.disposition() {
            ksignal::Disposition::Ignore => (1, 0),
            _ => (
                0,
                a.flags().bits() & (libc::SA_NOCLDWAIT | libc::SA_NOCLDSTOP) as u64,
            ),
        };
        if want == p.host_chld {
            return false;
        }
        p.host_chld = want;
        let at = (regs.rsp - 128 - 64) & !15;
        let mut b = [0u8; 32];
        b[0..8].copy_from_slice(&want.0.to_ne_bytes());
        b[8..16].copy_from_slice(&want.1.to_ne_bytes());
        let mut mem = RemoteMem { pid: tid };
        if ksignal::UserMemory::write(&mut mem, at as usize, &b).is_err() {
            return false;
        }
        let mut sub = *regs;
        sub.rdi = libc::SIGCHLD as u64;
        sub.rsi = at;
        sub.rdx = 0;
        sub.r10 = 8;
        let _ = host::set_regs(tid, &sub);
        self.threads.get_mut(&tid).unwrap().mirror = Some((*regs, ret));
        let _ = host::ptrace(libc::PTRACE_SYSCALL, tid, 0, 0);
        self.set_st(tid, St::Running);
        true
    }

    /// `signalfd4` / `signalfd`: ksignal checks the arguments in Linux's order
    /// (size, mask, flags); then the host runs the call with an empty mask, so that
    /// it creates the file (or finds that `ufd` is not a signalfd: EBADF, EINVAL)
    /// with the flags the program asked for, and the syscall-exit stop records the
    /// mask in ksignal's [`SignalFd`] for that descriptor.
    fn on_signalfd4(&mut self, tid: i32, nr: i64, mut h: Held) {
        let flags = if nr == libc::SYS_signalfd4 {
            h.regs.r10 as i32
        } else {
            0
        };
        let mut mem = RemoteMem { pid: tid };
        let args = syscall::signalfd4_args(&mem, h.regs.rsi as usize, h.regs.rdx as usize, flags);
        let at = (h.regs.rsp - 128 - 64) & !15;
        let mask = match args {
            Ok((mask, _)) => {
                ksignal::UserMemory::write(&mut mem, at as usize, &[0u8; 8]).map(|()| mask)
            }
            Err(e) => Err(e),
        };
        match mask {
            Err(e) => {
                h.ctx.rax = e.as_neg_ret() as u64;
                self.resume(tid, Some(h));
            }
            Ok(mask) => {
                let mut sub = h.regs;
                sub.rsi = at;
                let _ = host::set_regs(tid, &sub);
                self.threads.get_mut(&tid).unwrap().sfd_call = Some((h.regs, mask));
                let _ = host::ptrace(libc::PTRACE_SYSCALL, tid, 0, 0);
                self.set_st(tid, St::Running);
            }
        }
    }

    /// The host finished a `signalfd4` for ksignal: on success the descriptor's
    /// [`SignalFd`] gets the mask (a new one for `ufd == -1` or a descriptor the
    /// runner did not know), and from now on the process's reads are traced.
    fn finish_signalfd4(&mut self, tid: i32, regs: libc::user_regs_struct, mask: SignalSet) {
        let ret = host::get_regs(tid).map_or(-(libc::ESRCH as i64), |r| r.rax as i64);
        let tgid = self.threads[&tid].tgid;
        if ret >= 0
            && let Some(p) = self.procs.get_mut(&tgid)
        {
            let fd = ret as i32;
            match p.sfds.get(&fd) {
                Some(known) if regs.rdi as i32 != -1 => known.set_mask(mask),
                _ => {
                    p.sfds.insert(fd, Arc::new(SignalFd::new(mask)));
                }
            }
            let first = !p.trace_reads && !p.read_filter;
            self.log(tid, format_args!("signalfd {fd}: mask {:#x}", mask.bits()));
            if first {
                let mut done = regs;
                done.rax = ret as u64;
                if self.inject_read_filter(tid, done) {
                    return;
                }
            }
            let Some(p) = self.procs.get_mut(&tgid) else {
                return;
            };
            if !p.trace_reads && !p.read_filter {
                p.trace_reads = true;
                // Threads running under PTRACE_CONT pick up PTRACE_SYSCALL at their
                // next stop.
                let running: Vec<i32> = p
                    .threads
                    .iter()
                    .copied()
                    .filter(|t| {
                        *t != tid && self.threads.get(t).is_some_and(|x| x.st == St::Running)
                    })
                    .collect();
                for t in running {
                    self.interrupt(t);
                }
            }
        }
        self.resume_with_result(tid, regs, ret as i64);
    }

    /// Makes the thread, stopped at the exit of its first signalfd4, execute
    /// `seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, read_filter)`
    /// (the filter written below its red zone, the `syscall` instruction run
    /// again); `done` is what it returns to afterwards. False if that cannot be
    /// set up.
    fn inject_read_filter(&mut self, tid: i32, done: libc::user_regs_struct) -> bool {
        const SECCOMP_SET_MODE_FILTER: u64 = 1;
        const SECCOMP_FILTER_FLAG_TSYNC: u64 = 1;
        let filter = host::read_filter();
        let bytes = filter.len() * std::mem::size_of::<libc::sock_filter>();
        let prog_at = (done.rsp - 128 - 16 - bytes as u64 - 16) & !15;
        let filter_at = prog_at + 16;
        let mut img = Vec::with_capacity(16 + bytes);
        img.extend_from_slice(&(filter.len() as u64).to_ne_bytes());
        img.extend_from_slice(&filter_at.to_ne_bytes());
        for f in &filter {
            img.extend_from_slice(&f.code.to_ne_bytes());
            img.push(f.jt);
            img.push(f.jf);
            img.extend_from_slice(&f.k.to_ne_bytes());
        }
        let mut mem = RemoteMem { pid: tid };
        if ksignal::UserMemory::write(&mut mem, prog_at as usize, &img).is_err() {
            return false;
        }
        let mut sub = done;
        sub.rip = done.rip - 2;
        sub.rax = libc::SYS_seccomp as u64;
        sub.orig_rax = u64::MAX;
        sub.rdi = SECCOMP_SET_MODE_FILTER;
        sub.rsi = SECCOMP_FILTER_FLAG_TSYNC;
        sub.rdx = prog_at;
        if host::set_regs(tid, &sub).is_err() {
            return false;
        }
        self.threads.get_mut(&tid).unwrap().inject = Some(done);
        let _ = host::ptrace(libc::PTRACE_SYSCALL, tid, 0, 0);
        self.set_st(tid, St::Running);
        true
    }

    /// A syscall stop of the injected `seccomp`: at its entry, let it run; at its
    /// exit, note whether the filter is in (else trace the process's system
    /// calls) and return the thread to its signalfd4's result.
    fn on_inject_stop(&mut self, tid: i32, entry: bool) {
        if entry {
            let _ = host::ptrace(libc::PTRACE_SYSCALL, tid, 0, 0);
            self.set_st(tid, St::Running);
            return;
        }
        let done = self.threads.get_mut(&tid).unwrap().inject.take().unwrap();
        let ok = host::get_regs(tid).is_ok_and(|r| r.rax == 0);
        let tgid = self.threads[&tid].tgid;
        self.log(
            tid,
            format_args!(
                "read filter {}",
                if ok {
                    "added"
                } else {
                    "refused: tracing every system call"
                }
            ),
        );
        if let Some(p) = self.procs.get_mut(&tgid) {
            if ok {
                p.read_filter = true;
            } else {
                p.trace_reads = true;
            }
        }
        if !ok {
            let others: Vec<i32> = self.procs[&tgid]
                .threads
                .iter()
                .copied()
                .filter(|t| *t != tid && self.threads.get(t).is_some_and(|x| x.st == St::Running))
                .collect();
            for t in others {
                self.interrupt(t);
            }
        }
        let ctx = host::to_ctx(&done);
        self.resume(
            tid,
            Some(Held {
                regs: done,
                ctx,
                dirty: true,
                skip: true,
            }),
        );
    }

    /// A system-call entry of a process with signalfds: a `read` of one of them is
    /// served by ksignal (at once if a signal of its mask is pending or the file is
    /// non-blocking, else by a helper that blocks like `rt_sigtimedwait`'s); any
    /// other call goes on in the host.
    fn on_syscall_entry(&mut self, tid: i32) {
        let Some(mut h) = Held::read(tid) else {
            return;
        };
        let nr = h.regs.orig_rax as i64;
        match nr {
            libc::SYS_read | libc::SYS_readv => {}
            libc::SYS_poll
            | libc::SYS_ppoll
            | libc::SYS_select
            | libc::SYS_pselect6
            | libc::SYS_epoll_wait
            | libc::SYS_epoll_pwait
            | libc::SYS_epoll_pwait2 => return self.on_poll_entry(tid, h.regs),
            libc::SYS_dup | libc::SYS_dup2 | libc::SYS_dup3 | libc::SYS_fcntl => {
                return self.on_dup_entry(tid, h.regs);
            }
            _ => return self.resume(tid, None),
        }
        let fd = h.regs.rdi as i32;
        let tgid = self.threads[&tid].tgid;
        let sfd = self.procs.get(&tgid).and_then(|p| p.sfds.get(&fd).cloned());
        let Some(sfd) = sfd else {
            self.resume(tid, None);
            return;
        };
        let Some(flags) = host::signalfd_flags(tid, fd) else {
            // Closed, or reused for another file: the host's read.
            if let Some(p) = self.procs.get_mut(&tgid) {
                p.sfds.remove(&fd);
            }
            self.resume(tid, None);
            return;
        };
        let nonblock = flags & libc::O_NONBLOCK as u32 != 0;
        h.skip = true;
        h.dirty = true;
        h.ctx.in_syscall = true;
        let (buf, count) = (h.regs.rsi as usize, h.regs.rdx as usize);
        let ret = {
            let t = &self.threads[&tid];
            let caller = plain_caller(tid, tgid, &t.tsm);
            signalfd_read(&caller, nr, &sfd, true, buf, count)
        };
        self.log(
            tid,
            format_args!("{}(signalfd {fd}, {count}) = {ret}", syscall_name(nr)),
        );
        if ret == ksignal::Errno::EAGAIN.as_neg_ret() && !nonblock {
            self.block(tid, nr, h.regs, Some(sfd));
            return;
        }
        h.ctx.rax = ret as u64;
        self.resume(tid, Some(h));
    }

    /// A poll-family call of a process with signalfds. The host signalfd behind a
    /// program's signalfd has an empty mask, so the host never finds it readable;
    /// the runner makes the call see ksignal's readiness (`signalfd_poll`: a
    /// signal of the mask pending for the calling thread or its process) instead.
    ///
    /// Design: the call still runs in the host, which watches every other file.
    /// If a watched signalfd is readable now, the host runs the call with a zero
    /// timeout and the runner adds the signalfds to its answer at the exit stop.
    /// If none is, the host waits with the program's timeout while a generation
    /// hook on each watched signalfd ([`SignalFd::watch`], where Linux's
    /// `signalfd_notify` wakes the pollers) makes the runner interrupt the thread;
    /// the interrupted call is then started again from its entry, where it now
    /// finds the signalfd readable. Interception rather than making the host
    /// signalfd itself readable (a runner-owned host signal in its mask, raised
    /// and drained in step with ksignal's queues) because the latter needs a host
    /// signal taken from the program, a drain injected into the tracee at every
    /// dequeue, and still cannot tell two signalfds' masks or two threads' private
    /// queues apart. Programs without a signalfd never stop at these calls.
    fn on_poll_entry(&mut self, tid: i32, regs: libc::user_regs_struct) {
        let nr = regs.orig_rax as i64;
        let watched = self.poll_targets(tid, &regs);
        if watched.is_empty() {
            self.resume(tid, None);
            return;
        }
        let t = &self.threads[&tid];
        let (tgid, tsm) = (t.tgid, t.tsm.clone());
        let any_ready =
            |w: &[(i32, u32, u64, Arc<SignalFd>)]| w.iter().any(|x| x.3.is_ready(&*tsm));
        let mut hooks = Vec::new();
        if !any_ready(&watched) && zero_timeout(tid, &regs) {
            // Nothing to add and nothing to wait for: the host's answer is exact.
            self.resume(tid, None);
            return;
        }
        if !any_ready(&watched) {
            for (i, w) in watched.iter().enumerate() {
                if watched[..i].iter().any(|o| Arc::ptr_eq(&o.3, &w.3)) {
                    continue;
                }
                let tx = self.tx.clone();
                let wake: Arc<dyn Fn(Signo) + Send + Sync> =
                    Arc::new(move |_| tx.send(Ev::Ready(tid)));
                if let Ok(h) = w.3.watch(&*tsm, wake) {
                    hooks.push(h);
                }
            }
        }
        // Checked again after the hooks are in: a signal generated in between is seen.
        let ready: Vec<(i32, u32, u64)> = watched
            .iter()
            .filter(|w| w.3.is_ready(&*tsm))
            .map(|w| (w.0, w.1, w.2))
            .collect();
        if !ready.is_empty() {
            self.unhook(tgid, &mut hooks);
            // The same call without waiting: a zero timeout (a zero timespec or
            // timeval written below the red zone for the calls that take a pointer).
            let zero_at = (regs.rsp - 128 - 64) & !15;
            let mut mem = RemoteMem { pid: tid };
            let _ = ksignal::UserMemory::write(&mut mem, zero_at as usize, &[0u8; 16]);
            let mut sub = regs;
            match nr {
                libc::SYS_poll => sub.rdx = 0,
                libc::SYS_ppoll => sub.rdx = zero_at,
                libc::SYS_select | libc::SYS_pselect6 => sub.r8 = zero_at,
                libc::SYS_epoll_pwait2 => sub.r10 = zero_at,
                _ => sub.r10 = 0,
            }
            let _ = host::set_regs(tid, &sub);
        }
        self.log(
            tid,
            format_args!(
                "poll-family call {nr} on signalfds {:?}: {}",
                watched.iter().map(|w| w.0).collect::<Vec<_>>(),
                if ready.is_empty() {
                    "waits in the host"
                } else {
                    "ready"
                }
            ),
        );
        self.threads.get_mut(&tid).unwrap().poll = Some(PollCall { regs, ready, hooks });
        let _ = host::ptrace(libc::PTRACE_SYSCALL, tid, 0, 0);
        self.set_st(tid, St::Running);
        if tsm.has_pending() && !self.held_by_stop(tgid) {
            self.interrupt(tid);
        }
    }

    fn unhook(&self, tgid: i32, hooks: &mut Vec<ksignal::HookHandle>) {
        if let Some(p) = self.procs.get(&tgid) {
            for h in hooks.drain(..) {
                p.psm.hooks().unregister(h);
            }
        }
    }

    /// The signalfds a poll-family call watches for input: descriptor, events
    /// asked for (POLLIN for poll and select), epoll data, and the file. Empty if
    /// none (or the call's arguments cannot be read: the host answers then).
    fn poll_targets(
        &mut self,
        tid: i32,
        r: &libc::user_regs_struct,
    ) -> Vec<(i32, u32, u64, Arc<SignalFd>)> {
        let tgid = self.threads[&tid].tgid;
        let Some(p) = self.procs.get(&tgid) else {
            return Vec::new();
        };
        if p.sfds.is_empty() {
            return Vec::new();
        }
        let mem = RemoteMem { pid: tid };
        let mut found: Vec<(i32, u32, u64)> = Vec::new();
        match r.orig_rax as i64 {
            libc::SYS_poll | libc::SYS_ppoll => {
                if let Some(fds) = read_pollfds(&mem, r.rdi as usize, r.rsi as usize) {
                    for (fd, events, _) in fds {
                        if events & libc::POLLIN as u32 != 0 && p.sfds.contains_key(&fd) {
                            found.push((fd, libc::POLLIN as u32, 0));
                        }
                    }
                }
            }
            libc::SYS_select | libc::SYS_pselect6 => {
                let nfds = (r.rdi as i32).clamp(0, 1 << 16) as usize;
                if let Some(set) = read_fdset(&mem, r.rsi as usize, nfds) {
                    for fd in p.sfds.keys() {
                        if (*fd as usize) < nfds && fdset_has(&set, *fd) {
                            found.push((*fd, libc::POLLIN as u32, 0));
                        }
                    }
                    found.sort_unstable();
                }
            }
            _ => {
                for (fd, events, data) in host::epoll_targets(tid, r.rdi as i32).unwrap_or_default()
                {
                    if events & libc::EPOLLIN as u32 != 0 && p.sfds.contains_key(&fd) {
                        found.push((fd, events, data));
                    }
                }
            }
        }
        let mut out = Vec::new();
        for (fd, events, data) in found {
            if host::signalfd_flags(tid, fd).is_none() {
                // Closed, or reused for another file.
                if let Some(p) = self.procs.get_mut(&tgid) {
                    p.sfds.remove(&fd);
                }
                continue;
            }
            if let Some(f) = self.procs.get(&tgid).and_then(|p| p.sfds.get(&fd)) {
                out.push((fd, events, data, f.clone()));
            }
        }
        out
    }

    /// The exit stop of a poll-family call on signalfds. A call the host ran with
    /// a zero timeout gets the readable signalfds added to its answer (POLLIN in
    /// their `revents`, their bits in `readfds`, EPOLLIN events with their data)
    /// and its own arguments back. A waiting call interrupted only to look at
    /// the signalfds again (nothing to deliver, no host signal) starts again from
    /// its entry; any other outcome is the host's.
    fn finish_poll(&mut self, tid: i32, mut call: PollCall) {
        let tgid = self.threads[&tid].tgid;
        self.unhook(tgid, &mut call.hooks);
        let Ok(now) = host::get_regs(tid) else {
            return;
        };
        let ret = now.rax as i64;
        if call.ready.is_empty() {
            let interrupted = ret == -(libc::EINTR as i64) || restart_name(now.rax).is_some();
            let tsm = self.threads[&tid].tsm.clone();
            if interrupted && !tsm.has_pending() {
                if host::host_pending(tid) == 0 {
                    let _ = host::set_regs(tid, &again(&call.regs));
                    self.log(
                        tid,
                        format_args!("poll-family call: a signalfd may be ready, again"),
                    );
                } else {
                    // The host signal's delivery stop comes next.
                    self.threads.get_mut(&tid).unwrap().rewind = Some(call.regs);
                    self.cont(tid, 0);
                    return;
                }
            }
            self.resume(tid, None);
            return;
        }
        let n = if ret < 0 {
            ret
        } else {
            let mut mem = RemoteMem { pid: tid };
            merge_ready(&mut mem, &call.regs, &call.ready, ret)
        };
        self.log(
            tid,
            format_args!("poll-family call: {ret} from the host, {n} with signalfds"),
        );
        self.resume_with_result(tid, call.regs, n);
    }

    /// `dup`, `dup2`, `dup3` or `fcntl(F_DUPFD, F_DUPFD_CLOEXEC)` in a process with
    /// signalfds: the new descriptor is the same file, so it reads through the
    /// same [`SignalFd`]; a known signalfd number overwritten by `dup2`/`dup3` is
    /// forgotten. The host runs the call; the exit stop records the result.
    fn on_dup_entry(&mut self, tid: i32, regs: libc::user_regs_struct) {
        let nr = regs.orig_rax as i64;
        let cmd = regs.rsi as i32;
        if nr == libc::SYS_fcntl && cmd != libc::F_DUPFD && cmd != libc::F_DUPFD_CLOEXEC {
            self.resume(tid, None);
            return;
        }
        let tgid = self.threads[&tid].tgid;
        let Some(p) = self.procs.get(&tgid) else {
            self.resume(tid, None);
            return;
        };
        let file = p.sfds.get(&(regs.rdi as i32)).cloned();
        let onto_known = matches!(nr, libc::SYS_dup2 | libc::SYS_dup3)
            && p.sfds.contains_key(&(regs.rsi as i32));
        if file.is_none() && !onto_known {
            self.resume(tid, None);
            return;
        }
        self.threads.get_mut(&tid).unwrap().dup_of = Some(file);
        let _ = host::ptrace(libc::PTRACE_SYSCALL, tid, 0, 0);
        self.set_st(tid, St::Running);
    }

    fn on_syscall_exit(&mut self, tid: i32) {
        if let Some((regs, mask)) = self.threads.get_mut(&tid).and_then(|t| t.sfd_call.take()) {
            self.finish_signalfd4(tid, regs, mask);
            return;
        }
        if let Some(call) = self.threads.get_mut(&tid).and_then(|t| t.poll.take()) {
            self.finish_poll(tid, call);
            return;
        }
        if let Some(file) = self.threads.get_mut(&tid).and_then(|t| t.dup_of.take()) {
            let ret = host::get_regs(tid).map_or(-1, |r| r.rax as i64);
            let tgid = self.threads[&tid].tgid;
            self.log(
                tid,
                format_args!("dup: {ret}, a signalfd: {}", file.is_some()),
            );
            if ret >= 0
                && let Some(p) = self.procs.get_mut(&tgid)
            {
                match file {
                    Some(f) => p.sfds.insert(ret as i32, f),
                    None => p.sfds.remove(&(ret as i32)),
                };
            }
            self.resume(tid, None);
            return;
        }
        match self.threads.get_mut(&tid).and_then(|t| t.mirror.take()) {
            Some((regs, ret)) => {
                self.resume_with_result(tid, regs, ret as i64);
            }
            None => self.resume(tid, None),
        }
    }

    fn block(
        &mut self,
        tid: i32,
        nr: i64,
        regs: libc::user_regs_struct,
        sfd: Option<Arc<SignalFd>>,
    ) {
        let t = self.threads.get_mut(&tid).unwrap();
        t.st = St::Blocked;
        t.blocked_regs = Some(regs);
        t.done = None;
        // The thread sleeps in the host meanwhile: a `pause` in place of the call
        // (allowed on seccomp's re-check after a tracer changed the call).
        let mut sub = regs;
        sub.orig_rax = libc::SYS_pause as u64;
        let _ = host::set_regs(tid, &sub);
        let _ = host::ptrace(libc::PTRACE_CONT, tid, 0, 0);
        let (tgid, tsm, tx) = (t.tgid, t.tsm.clone(), self.tx.clone());
        let a = [regs.rdi, regs.rsi, regs.rdx, regs.r10].map(|x| x as usize);
        std::thread::spawn(move || {
            let caller = plain_caller(tid, tgid, &tsm);
            let mut mem = RemoteMem { pid: tid };
            let ret = match nr {
                libc::SYS_rt_sigtimedwait => {
                    syscall::sys_rt_sigtimedwait(&caller, &mut mem, a[0], a[1], a[2], a[3])
                }
                libc::SYS_rt_sigsuspend => syscall::sys_rt_sigsuspend(&caller, &mem, a[0], a[1]),
                libc::SYS_read | libc::SYS_readv => match &sfd {
                    Some(fd) => signalfd_read(&caller, nr, fd, false, a[1], a[2]),
                    None => ksignal::Errno::EBADF.as_neg_ret(),
                },
                _ => syscall::sys_pause(&caller),
            };
            tx.send(Ev::Done { tid, ret });
        });
    }

    fn on_done(&mut self, tid: i32, ret: isize) {
        let Some(t) = self.threads.get_mut(&tid) else {
            return;
        };
        if t.blocked_regs.is_none() {
            return;
        }
        t.done = Some(ret);
        if t.st == St::Blocked {
            // Take it out of its host `pause`.
            self.interrupt(tid);
        }
    }

    /// A stop of a thread inside a blocking call a helper serves.
    fn on_blocked_stop(&mut self, tid: i32, event: i32, sig: i32, was: St) {
        let tgid = self.threads[&tid].tgid;
        match event {
            0 if self.route(tid, sig) => return,
            host::PTRACE_EVENT_STOP => {
                self.threads.get_mut(&tid).unwrap().interrupting = false;
                let group_stop = sig != libc::SIGTRAP;
                if self.keep_listening(tid, tgid, group_stop, was) {
                    if group_stop {
                        self.mirror_root_stop(tgid);
                    }
                    return;
                }
            }
            _ => {}
        }
        let t = self.threads.get_mut(&tid).unwrap();
        match t.done.take() {
            Some(ret) => {
                let regs = t.blocked_regs.take().unwrap();
                self.resume_with_result(tid, regs, ret as i64);
            }
            None => {
                // Still waiting: back to the host `pause` (restarted by the host).
                let _ = host::ptrace(libc::PTRACE_CONT, tid, 0, 0);
                self.set_st(tid, St::Blocked);
            }
        }
    }

    /// Serves a non-blocking signal call; `None` leaves it to the host (a target
    /// outside the traced tree).
    fn serve(&mut self, tid: i32, nr: i64, regs: &libc::user_regs_struct) -> Option<isize> {
        let a = [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9].map(|x| x as usize);
        let t = self.threads.get(&tid)?;
        let tgid = t.tgid;
        let kill_family = matches!(
            nr,
            libc::SYS_kill
                | libc::SYS_tkill
                | libc::SYS_tgkill
                | libc::SYS_rt_sigqueueinfo
                | libc::SYS_rt_tgsigqueueinfo
                | libc::SYS_pidfd_send_signal
        );
        if kill_family {
            let target = match nr {
                libc::SYS_kill | libc::SYS_tkill | libc::SYS_rt_sigqueueinfo => a[0] as i32,
                libc::SYS_tgkill | libc::SYS_rt_tgsigqueueinfo => a[1] as i32,
                _ => {
                    let fd = a[0] as i32;
                    if fd == syscall::PIDFD_SELF_THREAD || fd == syscall::PIDFD_SELF_THREAD_GROUP {
                        0
                    } else {
                        host::pidfd_target(tid, fd).map_or(0, |(p, _)| p)
                    }
                }
            };
            if target > 0 && !self.knows(target) {
                return None;
            }
            let target_tgid = self.threads.get(&target).map_or(target, |t| t.tgid);
            self.refresh_limit(target_tgid);
        }
        let mut caller = plain_caller(tid, tgid, &t.tsm);
        if kill_family {
            (caller.ids, caller.cred) = (host::task_ids(tid, tgid), host::task_cred(tid));
        }
        let mut mem = RemoteMem { pid: tid };
        let tasks = Tasks {
            r: self,
            caller_tid: tid,
            sent: RefCell::new(Vec::new()),
        };
        let ret = match nr {
            libc::SYS_rt_sigaction => {
                syscall::sys_rt_sigaction(&caller, &mut mem, a[0], a[1], a[2], a[3])
            }
            libc::SYS_rt_sigprocmask => {
                syscall::sys_rt_sigprocmask(&caller, &mut mem, a[0], a[1], a[2], a[3])
            }
            libc::SYS_rt_sigpending => syscall::sys_rt_sigpending(&caller, &mut mem, a[0], a[1]),
            libc::SYS_sigaltstack => {
                syscall::sys_sigaltstack(&caller, &mut mem, a[0], a[1], regs.rsp as usize)
            }
            libc::SYS_kill => syscall::sys_kill(&tasks, &caller, a[0], a[1]),
            libc::SYS_tkill => syscall::sys_tkill(&tasks, &caller, a[0], a[1]),
            libc::SYS_tgkill => syscall::sys_tgkill(&tasks, &caller, a[0], a[1], a[2]),
            libc::SYS_rt_sigqueueinfo => {
                syscall::sys_rt_sigqueueinfo(&tasks, &caller, &mem, a[0], a[1], a[2])
            }
            libc::SYS_rt_tgsigqueueinfo => {
                syscall::sys_rt_tgsigqueueinfo(&tasks, &caller, &mem, a[0], a[1], a[2], a[3])
            }
            libc::SYS_pidfd_send_signal => {
                syscall::sys_pidfd_send_signal(&tasks, &caller, &mem, a[0], a[1], a[2], a[3])
            }
            _ => return None,
        };
        let sent = tasks.sent.take();
        if kill_family {
            self.log(
                tid,
                format_args!(
                    "{}({}, {}, {}) = {ret}",
                    syscall_name(nr),
                    a[0] as i32,
                    a[1] as i32,
                    a[2] as i32
                ),
            );
        }
        for (tgid, sig, out) in sent {
            self.effects(tgid, sig, &out);
        }
        Some(ret)
    }
}

fn syscall_name(nr: i64) -> &'static str {
    match nr {
        libc::SYS_kill => "kill",
        libc::SYS_tkill => "tkill",
        libc::SYS_tgkill => "tgkill",
        libc::SYS_rt_sigqueueinfo => "rt_sigqueueinfo",
        libc::SYS_rt_tgsigqueueinfo => "rt_tgsigqueueinfo",
        libc::SYS_pidfd_send_signal => "pidfd_send_signal",
        libc::SYS_read => "read",
        libc::SYS_readv => "readv",
        _ => "syscall",
    }
}

/// A `read` (`nr`: `buf`, `count`) or a `readv` (`buf` the iovec array, `count`
/// its length) of signalfd `fd` served by ksignal: a `readv` is one read into the
/// concatenated buffers (`signalfd_read_iter`'s `copy_to_iter`), 0 when they
/// hold nothing, EINVAL/EFAULT for a bad array, as `vfs_readv` answers.
fn signalfd_read(
    caller: &Caller<'_, RWait, DefaultRawMutex>,
    nr: i64,
    fd: &SignalFd,
    nonblock: bool,
    buf: usize,
    count: usize,
) -> isize {
    let tid = caller.ids.tid;
    if nr != libc::SYS_readv {
        let mut mem = RemoteMem { pid: tid };
        return syscall::sys_signalfd_read(caller, &mut mem, fd, nonblock, buf, count);
    }
    match host::IovMem::read(tid, buf, count) {
        Err(e) => e.as_neg_ret(),
        Ok(iov) if iov.is_empty() => 0,
        Ok(mut iov) => {
            let len = iov.len();
            syscall::sys_signalfd_read(caller, &mut iov, fd, nonblock, host::IOV_BASE, len)
        }
    }
}

/// Whether poll-family call `r` has a zero timeout (it does not wait).
fn zero_timeout(tid: i32, r: &libc::user_regs_struct) -> bool {
    let zero_at = |at: u64| {
        let mut b = [0xffu8; 16];
        at != 0
            && ksignal::UserMemory::read(&RemoteMem { pid: tid }, at as usize, &mut b).is_ok()
            && b == [0; 16]
    };
    match r.orig_rax as i64 {
        libc::SYS_poll => r.rdx as i32 == 0,
        libc::SYS_ppoll => zero_at(r.rdx),
        libc::SYS_select | libc::SYS_pselect6 => zero_at(r.r8),
        libc::SYS_epoll_pwait2 => zero_at(r.r10),
        _ => r.r10 as i32 == 0,
    }
}

/// Registers `regs` of a system call's entry, made to run the call again from its
/// `syscall` instruction with no restart logic of the host's.
fn again(regs: &libc::user_regs_struct) -> libc::user_regs_struct {
    let mut r = *regs;
    r.rax = r.orig_rax;
    r.rip -= 2;
    r.orig_rax = u64::MAX;
    r
}

/// The `struct pollfd` array of a poll: (fd, events, revents) each; None if it
/// cannot be read or is longer than the runner looks at.
fn read_pollfds(mem: &RemoteMem, at: usize, n: usize) -> Option<Vec<(i32, u32, u16)>> {
    if n > 1 << 16 {
        return None;
    }
    let mut raw = vec![0u8; n * 8];
    ksignal::UserMemory::read(mem, at, &mut raw).ok()?;
    Some(
        raw.chunks(8)
            .map(|c| {
                let fd = i32::from_ne_bytes(c[0..4].try_into().unwrap());
                let ev = u16::from_ne_bytes(c[4..6].try_into().unwrap());
                (
                    fd,
                    u32::from(ev),
                    u16::from_ne_bytes(c[6..8].try_into().unwrap()),
                )
            })
            .collect(),
    )
}

/// The `fd_set` of `nfds` descriptors at `at` (None if NULL or unreadable).
fn read_fdset(mem: &RemoteMem, at: usize, nfds: usize) -> Option<Vec<u8>> {
    if at == 0 {
        return None;
    }
    let mut set = vec![0u8; nfds.div_ceil(64) * 8];
    ksignal::UserMemory::read(mem, at, &mut set).ok()?;
    Some(set)
}

fn fdset_has(set: &[u8], fd: i32) -> bool {
    set[fd as usize / 8] & (1 << (fd % 8)) != 0
}

/// Adds the readable signalfds `ready` to the answer `n` the host gave a
/// poll-family call made with registers `r` (see `Runner::finish_poll`).
fn merge_ready(
    mem: &mut RemoteMem,
    r: &libc::user_regs_struct,
    ready: &[(i32, u32, u64)],
    n: i64,
) -> i64 {
    let mut n = n;
    let pollin = libc::POLLIN as u16;
    match r.orig_rax as i64 {
        libc::SYS_poll | libc::SYS_ppoll => {
            let at = r.rdi as usize;
            let Some(fds) = read_pollfds(mem, at, r.rsi as usize) else {
                return n;
            };
            for (i, (fd, events, revents)) in fds.into_iter().enumerate() {
                if events & u32::from(pollin) != 0 && ready.iter().any(|x| x.0 == fd) {
                    if revents == 0 {
                        n += 1;
                    }
                    let b = (revents | pollin).to_ne_bytes();
                    let _ = ksignal::UserMemory::write(mem, at + i * 8 + 6, &b);
                }
            }
        }
        libc::SYS_select | libc::SYS_pselect6 => {
            let nfds = (r.rdi as i32).clamp(0, 1 << 16) as usize;
            let Some(mut set) = read_fdset(mem, r.rsi as usize, nfds) else {
                return n;
            };
            for (fd, ..) in ready {
                if !fdset_has(&set, *fd) {
                    set[*fd as usize / 8] |= 1 << (fd % 8);
                    n += 1;
                }
            }
            let _ = ksignal::UserMemory::write(mem, r.rsi as usize, &set);
        }
        _ => {
            // struct epoll_event is packed on x86_64: u32 events, u64 data.
            let max = (r.rdx as i32).max(0) as i64;
            for (_, _, data) in ready {
                if n >= max {
                    break;
                }
                let mut ev = [0u8; 12];
                ev[0..4].copy_from_slice(&(libc::EPOLLIN as u32).to_ne_bytes());
                ev[4..12].copy_from_slice(&data.to_ne_bytes());
                let _ = ksignal::UserMemory::write(mem, r.rsi as usize + n as usize * 12, &ev);
                n += 1;
            }
        }
    }
    n
}

/// The traced tree as ksignal's system calls see it.
struct Tasks<'a> {
    r: &'a Runner,
    caller_tid: i32,
    sent: RefCell<Vec<(i32, Signo, SendOutcome)>>,
}

impl TaskTable for Tasks<'_> {
    type Wait = RWait;
    type Lock = ksignal::DefaultRawMutex;

    fn find_task(&self, tid: i32, f: &mut TaskVisitor<'_, RWait, Self::Lock>) {
        if tid <= 0 {
            return;
        }
        if let Some(t) = self.r.threads.get(&tid) {
            let Some(p) = self.r.procs.get(&t.tgid) else {
                return;
            };
            f(&Task {
                ids: host::task_ids(tid, t.tgid),
                cred: host::task_cred(tid),
                process: &p.psm,
                thread: Some(&t.tsm),
            });
        } else if let Some(p) = self.r.procs.get(&tid) {
            f(&Task {
                ids: host::task_ids(tid, tid),
                cred: host::task_cred(tid),
                process: &p.psm,
                thread: None,
            });
        }
    }

    fn for_each_process(
        &self,
        scope: PidType,
        id: i32,
        f: &mut TaskVisitor<'_, RWait, Self::Lock>,
    ) {
        let mut tgids: Vec<i32> = self.r.procs.keys().copied().collect();
        tgids.sort_unstable();
        for tgid in tgids {
            let ids = host::task_ids(tgid, tgid);
            if !(scope == PidType::Max || scope == PidType::Pgid && ids.pgid == id) {
                continue;
            }
            let p = &self.r.procs[&tgid];
            f(&Task {
                ids,
                cred: host::task_cred(tgid),
                process: &p.psm,
                thread: self.r.threads.get(&tgid).map(|t| &*t.tsm),
            });
        }
    }

    fn pidfd(&self, fd: i32) -> Result<PidfdTarget, ksignal::Errno> {
        let (pid, thread) = host::pidfd_target(self.caller_tid, fd)?;
        if pid < 0 {
            return Err(ksignal::Errno::ESRCH);
        }
        Ok(PidfdTarget { pid, thread })
    }

    fn signal_sent(&self, target: &Task<'_, RWait, Self::Lock>, sig: Signo, outcome: &SendOutcome) {
        self.sent
            .borrow_mut()
            .push((target.ids.tgid, sig, *outcome));
    }
}

/// The runner's own signals, forwarded to the program through ksignal.
const FORWARDED: &[i32] = &[
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGTSTP,
    libc::SIGTTIN,
    libc::SIGTTOU,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGWINCH,
];

fn sigset_of(sigs: &[i32]) -> libc::sigset_t {
    // SAFETY: sigemptyset initialises the set before any use.
    unsafe {
        let mut s: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut s);
        for &x in sigs {
            libc::sigaddset(&mut s, x);
        }
        s
    }
}

/// The kernel's `struct sigaction` on x86_64, for reading inherited dispositions.
#[repr(C)]
#[derive(Default)]
struct KSigaction {
    handler: u64,
    flags: u64,
    restorer: u64,
    mask: u64,
}

fn usage() -> ! {
    eprintln!("usage: ksignal-run [--trace] [--] PROGRAM [ARGS...]");
    std::process::exit(2);
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut trace = false;
    while let Some(a) = args.first() {
        match a.as_str() {
            "--trace" => {
                trace = true;
                args.remove(0);
            }
            "--" => {
                args.remove(0);
                break;
            }
            "-h" | "--help" => usage(),
            _ => break,
        }
    }
    if args.is_empty() {
        usage();
    }
    std::process::exit(run(args, trace));
}

fn run(args: Vec<String>, trace: bool) -> i32 {
    let prog = args[0].clone();
    let cargs: Vec<CString> = match args.iter().map(|a| CString::new(a.as_bytes())).collect() {
        Ok(v) => v,
        Err(_) => {
            eprintln!("ksignal-run: {prog}: argument contains a NUL byte");
            return 127;
        }
    };
    let mut argv: Vec<*const libc::c_char> = cargs.iter().map(|c| c.as_ptr()).collect();
    argv.push(std::ptr::null());

    // What the program inherits: the runner's mask and ignored signals, read before
    // the runner changes its own.
    let mut initial_mask: u64 = 0;
    // SAFETY: rt_sigprocmask with a NULL new set only writes the old set (8 bytes).
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_BLOCK,
            0usize,
            &mut initial_mask as *mut u64,
            8usize,
        )
    };
    let mut ignored = Vec::new();
    for sig in 1..=64 {
        let mut k = KSigaction::default();
        // SAFETY: rt_sigaction with a NULL new action only writes the old one.
        let r = unsafe {
            libc::syscall(
                libc::SYS_rt_sigaction,
                sig,
                0usize,
                &mut k as *mut KSigaction,
                8usize,
            )
        };
        // Rust's runtime ignores SIGPIPE before `main`, so the runner cannot see
        // what it inherited there: the program gets the default.
        if r == 0 && k.handler == 1 && sig != libc::SIGPIPE {
            ignored.push(sig);
        }
    }

    // The runner's own signals go to a thread that forwards them.
    let fwd = sigset_of(FORWARDED);
    // SIGCHLD tells the tracer that a tracee stopped or exited (read on a signalfd).
    let chld = sigset_of(&[libc::SIGCHLD]);
    // SAFETY: blocks signals of this thread; threads spawned later inherit the mask.
    unsafe {
        libc::pthread_sigmask(libc::SIG_BLOCK, &fwd, std::ptr::null_mut());
        libc::pthread_sigmask(libc::SIG_BLOCK, &chld, std::ptr::null_mut());
    }

    let filter = host::seccomp_filter();
    let prog_filter = libc::sock_fprog {
        len: filter.len() as u16,
        filter: filter.as_ptr() as *mut libc::sock_filter,
    };
    let mut go = [0i32; 2];
    let mut err = [0i32; 2];
    // SAFETY: pipe2 writes two descriptors into each array.
    unsafe {
        if libc::pipe2(go.as_mut_ptr(), libc::O_CLOEXEC) != 0
            || libc::pipe2(err.as_mut_ptr(), libc::O_CLOEXEC) != 0
        {
            eprintln!("ksignal-run: pipe: {}", std::io::Error::last_os_error());
            return 127;
        }
    }
    let chld_ignored = ignored.contains(&libc::SIGCHLD);

    // SAFETY: fork; the child only makes async-signal-safe calls before execvp.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        eprintln!("ksignal-run: fork: {}", std::io::Error::last_os_error());
        return 127;
    }
    if pid == 0 {
        // SAFETY: the child of fork: plain system calls on values and on memory
        // prepared before the fork.
        unsafe {
            let empty = sigset_of(&[]);
            libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
            for sig in 1..=64 {
                if sig == libc::SIGKILL || sig == libc::SIGSTOP {
                    continue;
                }
                if sig == libc::SIGCHLD && chld_ignored {
                    continue;
                }
                let k = KSigaction::default();
                libc::syscall(
                    libc::SYS_rt_sigaction,
                    sig,
                    &k as *const KSigaction,
                    0usize,
                    8usize,
                );
            }
            let mut b = 0u8;
            libc::read(go[0], (&mut b as *mut u8).cast(), 1);
            if libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &prog_filter as *const libc::sock_fprog,
            ) != 0
            {
                libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                libc::prctl(
                    libc::PR_SET_SECCOMP,
                    libc::SECCOMP_MODE_FILTER,
                    &prog_filter as *const libc::sock_fprog,
                );
            }
            libc::execvp(argv[0], argv.as_ptr());
            let e = errno();
            libc::write(err[1], (&e as *const i32).cast(), 4);
            libc::_exit(127);
        }
    }
    // SAFETY: closing our copies of the child's pipe ends.
    unsafe {
        libc::close(go[0]);
        libc::close(err[1]);
    }
    let opts = libc::PTRACE_O_TRACESECCOMP
        | libc::PTRACE_O_TRACECLONE
        | libc::PTRACE_O_TRACEFORK
        | libc::PTRACE_O_TRACEVFORK
        | libc::PTRACE_O_TRACEEXEC
        | libc::PTRACE_O_TRACESYSGOOD
        | libc::PTRACE_O_EXITKILL;
    if let Err(e) = host::ptrace(libc::PTRACE_SEIZE, pid, 0, opts as usize) {
        eprintln!("ksignal-run: ptrace: {e}");
        // SAFETY: kill takes plain values.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        return 127;
    }

    let (tx, rx): (Sender<Ev>, Receiver<Ev>) = channel();
    // SAFETY: eventfd and signalfd take values and an initialised set.
    let (efd, sfd) = unsafe {
        (
            libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK),
            libc::signalfd(-1, &chld, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK),
        )
    };
    let tx = Notify { tx, efd };
    let mut r = Runner {
        trace,
        // SAFETY: getpid has no preconditions.
        me: unsafe { libc::getpid() },
        root: pid,
        root_status: None,
        procs: HashMap::new(),
        threads: HashMap::new(),
        early: HashSet::new(),
        tx: tx.clone(),
        xcfg: None,
        outer_pending: Vec::new(),
        recent_host: Vec::new(),
    };
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one rlimit.
    unsafe { libc::getrlimit(libc::RLIMIT_SIGPENDING, &mut limit) };
    let soft = usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX);
    let psm = r.new_process(
        pid,
        ProcessSignalManager::new(
            Arc::new(SignalActions::new()),
            Arc::new(PendingLimit::new(soft)),
        ),
    );
    if chld_ignored && let Some(p) = r.procs.get_mut(&pid) {
        p.host_chld = (1, 0);
    }
    for sig in &ignored {
        if let Ok(s) = Signo::new(*sig as u32) {
            let _ = psm.sigaction(s, Some(SignalAction::IGNORE));
        }
    }
    let Some(tsm) = r.new_thread(&psm, pid, SignalSet::from_bits(initial_mask)) else {
        eprintln!("ksignal-run: out of memory");
        return 127;
    };
    r.add_thread(pid, pid, tsm, St::Running);

    // The runner's own signals.
    let stx = tx.clone();
    std::thread::spawn(move || {
        loop {
            // SAFETY: siginfo_t is plain data; sigwaitinfo fills it.
            let mut si: libc::siginfo_t = unsafe { std::mem::zeroed() };
            // SAFETY: `fwd` is an initialised set; `si` is writable.
            let s = unsafe { libc::sigwaitinfo(&fwd, &mut si) };
            if s < 0 {
                continue;
            }
            // SAFETY: si_pid/si_uid are valid to read for any siginfo (union of ints).
            let (pid, uid) = unsafe { (si.si_pid(), si.si_uid()) };
            stx.send(Ev::Outer {
                sig: s,
                code: si.si_code,
                pid,
                uid,
                at: Instant::now(),
            });
        }
    });

    // Let the child go on to exec, and learn whether it could.
    // SAFETY: writing one byte to our pipe end, then reading up to 4 bytes.
    let failed = unsafe {
        libc::write(go[1], b"x".as_ptr().cast(), 1);
        libc::close(go[1]);
        let mut e = 0i32;
        let n = libc::read(err[0], (&mut e as *mut i32).cast(), 4);
        libc::close(err[0]);
        (n == 4).then_some(e)
    };
    if let Some(e) = failed {
        let msg = std::io::Error::from_raw_os_error(e).to_string();
        let msg = msg.split(" (os error").next().unwrap_or(&msg).to_string();
        eprintln!("ksignal-run: {prog}: {msg}");
        // SAFETY: kill takes plain values.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        return 127;
    }

    // The tracer's loop: every waitpid report, then every queued event, then sleep
    // until SIGCHLD or an event arrives (with a timeout as a safety net).
    loop {
        loop {
            let mut status = 0;
            // SAFETY: waitpid writes one int.
            let p = unsafe { libc::waitpid(-1, &mut status, libc::__WALL | libc::WNOHANG) };
            if p > 0 {
                r.handle(Ev::Wait(p, status));
            } else {
                if p < 0 && errno() == libc::ECHILD {
                    r.handle(Ev::WaitGone);
                }
                break;
            }
            if let Some(code) = r.root_status {
                return code;
            }
        }
        while let Ok(ev) = rx.try_recv() {
            r.handle(ev);
        }
        r.flush_outer();
        if let Some(code) = r.root_status {
            return code;
        }
        let timeout = r.next_forward().map_or(100, |d| {
            d.saturating_duration_since(Instant::now()).as_millis() as i32 + 1
        });
        let mut fds = [
            libc::pollfd {
                fd: sfd,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: efd,
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let mut buf = [0u8; 1024];
        // SAFETY: poll on two initialised pollfds; reads into our buffer.
        unsafe {
            libc::poll(fds.as_mut_ptr(), 2, timeout.min(100));
            while libc::read(sfd, buf.as_mut_ptr().cast(), buf.len()) > 0 {}
            libc::read(efd, buf.as_mut_ptr().cast(), 8);
        }
    }
}
