//! The signal side of ptrace against Linux 6.18's `get_signal`, `ptrace_signal`,
//! `ptrace_stop`, `sig_ignored` and `complete_signal` (issue 15, section 4): a traced
//! thread's signals stop for its tracer, which reads and replaces the siginfo, and
//! cancels, keeps or changes the signal; SIGKILL never stops and ends a stop; ignored
//! signals are kept for the tracer; a fatal signal is reported before it kills. Each
//! test is named after the rule it checks (rules 65 to 69 of `ksignal::docs::rules`).

mod common {
    pub mod group;
    pub mod wait;
}

use ksignal::{
    Delivery, Errno, Fate, JobControl, MaskHow, NoJobControl, PtraceStopKind, SaFlags,
    SignalAction, SignalInfo, SignalSet, Signo, Tracer, WaitQueue,
};
use std::sync::Arc;
use std::time::Duration;

use common::group::{Process, Thread};

const TRACER_PID: i32 = 4242;
const TRACER_UID: u32 = 1000;
const TRACEE_UID: u32 = 2000;

/// A process with `n` threads, tids 100.., nothing blocked.
fn group(n: usize) -> (Arc<Process>, Vec<Thread>) {
    common::group::group(n, SignalSet::EMPTY)
}

fn handler() -> SignalAction {
    SignalAction::handler(0x1000, SaFlags::SIGINFO, SignalSet::EMPTY)
}

fn handle(p: &Process, sigs: &[Signo]) {
    for &s in sigs {
        p.sigaction(s, Some(handler())).unwrap();
    }
}

/// One stop as the tracer saw it: the signal, the kind, and what
/// PTRACE_GETSIGINFO returned during it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Seen {
    sig: Signo,
    kind: PtraceStopKind,
    info: Result<SignalInfo, Errno>,
}

/// A tracer that runs `answer` inside each stop (with the signal lock dropped, so it
/// may call back into the tracee's manager as a tracer's system calls do) and records
/// what it saw.
struct Script<'a, F: FnMut(&Thread, Signo, PtraceStopKind) -> Option<Signo>> {
    tracee: &'a Thread,
    seen: Vec<Seen>,
    answer: F,
}

impl<'a, F: FnMut(&Thread, Signo, PtraceStopKind) -> Option<Signo>> Script<'a, F> {
    fn new(tracee: &'a Thread, answer: F) -> Self {
        Script {
            tracee,
            seen: Vec::new(),
            answer,
        }
    }

    /// The return-to-user loop: `get_signal_traced` until nothing is left, a stop or
    /// an exit, acknowledging each handler's frame.
    fn deliver_all(&mut self) -> Vec<Delivery> {
        let t = self.tracee;
        let mut out = Vec::new();
        while let Some(d) = t.get_signal_traced(&mut NoJobControl, self) {
            out.push(d);
            match d {
                Delivery::Handler(h) => t.signal_delivered(&h),
                _ => break,
            }
        }
        out
    }

    fn stops(&self) -> Vec<(Signo, PtraceStopKind)> {
        self.seen.iter().map(|s| (s.sig, s.kind)).collect()
    }
}

impl<F: FnMut(&Thread, Signo, PtraceStopKind) -> Option<Signo>> Tracer for Script<'_, F> {
    fn ptrace_stop(&mut self, sig: Signo, kind: PtraceStopKind) -> Option<Signo> {
        let info = self.tracee.ptrace_getsiginfo();
        self.seen.push(Seen { sig, kind, info });
        (self.answer)(self.tracee, sig, kind)
    }

    fn tracer_ids(&mut self) -> (i32, u32) {
        (TRACER_PID, TRACER_UID)
    }

    fn tracee_uid(&mut self) -> u32 {
        TRACEE_UID
    }
}

/// A process with `n` threads whose first one is traced, with handlers for `sigs`.
fn traced(n: usize, sigs: &[Signo]) -> (Arc<Process>, Vec<Thread>) {
    let (p, t) = group(n);
    handle(&p, sigs);
    t[0].set_traced(true).unwrap();
    (p, t)
}

/// As [`traced`], the first thread seized (`PTRACE_SEIZE`) instead.
fn seized(n: usize, sigs: &[Signo]) -> (Arc<Process>, Vec<Thread>) {
    let (p, t) = group(n);
    handle(&p, sigs);
    t[0].set_seized().unwrap();
    (p, t)
}

/// A signal-delivery stop for `sig`, as [`Script::stops`] lists it.
fn delivery_stop(sig: Signo) -> (Signo, PtraceStopKind) {
    (sig, PtraceStopKind::SignalDelivery)
}

/// A group-stop trap of a `PTRACE_ATTACH`ed tracee for the stop signal `sig`.
fn group_stop(sig: Signo) -> (Signo, PtraceStopKind) {
    (sig, PtraceStopKind::GroupStop)
}

/// A `PTRACE_EVENT_STOP` trap of a seized tracee (`sig`: the stop signal, or SIGTRAP).
fn event_stop(sig: Signo) -> (Signo, PtraceStopKind) {
    (sig, PtraceStopKind::EventStop)
}

/// The group ends by `sig`'s default action, no core dump.
fn killed_by(sig: Signo) -> Delivery {
    Delivery::Exit {
        sig,
        core_dump: false,
    }
}

/// A tracer's answer: `during` runs in the first stop only, and every stop lets its
/// signal through.
fn in_first_stop(
    during: impl FnOnce(&Thread),
) -> impl FnMut(&Thread, Signo, PtraceStopKind) -> Option<Signo> {
    let mut during = Some(during);
    move |tracee: &Thread, sig, _| {
        if let Some(f) = during.take() {
            f(tracee);
        }
        Some(sig)
    }
}

/// What the handlers in `d` received: (signal, si_code, si_pid, si_value).
fn handled(d: &[Delivery]) -> Vec<(Signo, i32, i32, u64)> {
    d.iter()
        .filter_map(|d| match d {
            Delivery::Handler(h) => Some((h.sig, h.info.code(), h.info.pid(), h.info.value())),
            _ => None,
        })
        .collect()
}

/// The signals whose handlers ran in `d`, in order.
fn handled_sigs(d: &[Delivery]) -> Vec<Signo> {
    handled(d).iter().map(|h| h.0).collect()
}

use ksignal::code::{SI_QUEUE, SI_USER};

// ---- Rule 65: a traced thread's signals stop for its tracer first.

#[test]
fn rule65_each_dequeued_signal_is_a_signal_delivery_stop_with_its_siginfo() {
    let (p, t) = traced(1, &[Signo::SIGUSR1, Signo::SIGUSR2]);
    let q = SignalInfo::queue(Signo::SIGUSR1, 7, 70, 0xabc);
    t[0].send(Signo::SIGUSR1, Some(&q)).unwrap();
    p.send(
        Signo::SIGUSR2,
        Some(&SignalInfo::user(Signo::SIGUSR2, 8, 80)),
    )
    .unwrap();
    let mut tracer = Script::new(&t[0], |_, sig, _| Some(sig));
    let d = tracer.deliver_all();
    // Dequeue order (private first) is the stop order, and each stop shows the
    // signal's own siginfo.
    assert_eq!(
        tracer.seen,
        [
            Seen {
                sig: Signo::SIGUSR1,
                kind: PtraceStopKind::SignalDelivery,
                info: Ok(q),
            },
            Seen {
                sig: Signo::SIGUSR2,
                kind: PtraceStopKind::SignalDelivery,
                info: Ok(SignalInfo::user(Signo::SIGUSR2, 8, 80)),
            },
        ]
    );
    // Resumed with the same signal: delivered unchanged.
    assert_eq!(
        handled(&d),
        [
            (Signo::SIGUSR1, SI_QUEUE, 7, 0xabc),
            (Signo::SIGUSR2, SI_USER, 8, 0)
        ]
    );
}

#[test]
fn rule65_an_untraced_thread_never_stops() {
    let (_p, t) = traced(1, &[Signo::SIGUSR1]);
    t[0].set_traced(false).unwrap();
    t[0].send(Signo::SIGUSR1, None).unwrap();
    let mut tracer = Script::new(&t[0], |_, _, _| panic!("no stop expected"));
    let d = tracer.deliver_all();
    assert_eq!(handled_sigs(&d), [Signo::SIGUSR1]);
    assert!(tracer.seen.is_empty());
}

#[test]
fn rule65_getsiginfo_and_setsiginfo_outside_a_signal_delivery_stop_are_einval() {
    let (_p, t) = traced(1, &[]);
    assert_eq!(t[0].ptrace_getsiginfo(), Err(Errno::EINVAL));
    let info = SignalInfo::user(Signo::SIGUSR1, 1, 1);
    assert_eq!(t[0].ptrace_setsiginfo(&info), Err(Errno::EINVAL));
}

#[test]
fn rule65_a_thread_in_a_ptrace_stop_is_not_chosen_for_process_directed_signals() {
    let (p, t) = traced(2, &[Signo::SIGUSR1, Signo::SIGUSR2]);
    t[0].send(Signo::SIGUSR1, None).unwrap();
    let mut woken = None;
    let mut tracer = Script::new(&t[0], |_, sig, _| {
        // wants_signal refuses a traced-stopped thread, as Linux's
        // task_is_stopped_or_traced does: the sibling is chosen.
        if sig == Signo::SIGUSR1 {
            woken = p.send(Signo::SIGUSR2, None).unwrap().woken;
        }
        Some(sig)
    });
    tracer.deliver_all();
    drop(tracer);
    assert_eq!(woken, Some(101));
}

#[test]
fn rule65_signals_sent_during_the_stop_are_found_after_it() {
    let (_p, t) = traced(1, &[Signo::SIGUSR1, Signo::SIGUSR2]);
    t[0].send(Signo::SIGUSR1, None).unwrap();
    let mut tracer = Script::new(
        &t[0],
        in_first_stop(|tracee: &Thread| {
            tracee.send(Signo::SIGUSR2, None).unwrap();
        }),
    );
    let d = tracer.deliver_all();
    assert_eq!(
        tracer.stops(),
        [delivery_stop(Signo::SIGUSR1), delivery_stop(Signo::SIGUSR2)]
    );
    assert_eq!(handled_sigs(&d), [Signo::SIGUSR1, Signo::SIGUSR2]);
}

#[test]
fn rule65_a_traced_thread_traps_to_its_tracer_in_a_group_stop() {
    let (p, t) = traced(1, &[Signo::SIGUSR1]);
    p.send(Signo::SIGSTOP, None).unwrap();
    let mut info_in_group_stop = None;
    let mut tracer = Script::new(&t[0], |tracee: &Thread, sig, kind| match kind {
        PtraceStopKind::SignalDelivery => Some(sig),
        PtraceStopKind::GroupStop => {
            info_in_group_stop = Some(tracee.ptrace_getsiginfo());
            assert!(tracee.process().is_stopped());
            // A signal given when resuming from a group-stop trap is dropped.
            Some(Signo::SIGUSR1)
        }
        _ => panic!("not seized: no {kind:?}"),
    });
    let d = tracer.deliver_all();
    assert_eq!(
        tracer.stops(),
        [delivery_stop(Signo::SIGSTOP), group_stop(Signo::SIGSTOP)]
    );
    drop(tracer);
    assert_eq!(info_in_group_stop, Some(Err(Errno::EINVAL)));
    // Resumed by its tracer, the thread goes on (no Delivery::Stop), and the
    // SIGUSR1 it was resumed with is not delivered.
    assert_eq!(d, []);
    assert_eq!(t[0].sigpending() | t[0].pending_all(), SignalSet::EMPTY);
}

// ---- Rule 66: ignored signals are kept for the tracer; SIGKILL is not.

#[test]
fn rule66_a_traced_thread_keeps_ignored_signals_for_its_tracer() {
    let (p, t) = group(1);
    p.sigaction(Signo::SIGUSR1, Some(SignalAction::IGNORE))
        .unwrap();
    // Untraced: discarded at generation.
    let out = p.send(Signo::SIGUSR1, None).unwrap();
    assert_eq!(out.fate, Fate::Ignored);
    let out = t[0].send(Signo::SIGCHLD, None).unwrap();
    assert_eq!(out.fate, Fate::Ignored);
    t[0].set_traced(true).unwrap();
    let out = p.send(Signo::SIGUSR1, None).unwrap();
    assert_eq!(out.fate, Fate::Queued);
    let out = t[0].send(Signo::SIGCHLD, None).unwrap();
    assert_eq!(out.fate, Fate::Queued);
    let mut tracer = Script::new(&t[0], |_, sig, _| Some(sig));
    let d = tracer.deliver_all();
    // Private queue first.
    assert_eq!(
        tracer.stops(),
        [delivery_stop(Signo::SIGCHLD), delivery_stop(Signo::SIGUSR1)]
    );
    // Let through, they take their action: ignored.
    assert_eq!(d, []);
}

#[test]
fn rule66_a_traced_unkillable_process_still_discards_sigkill() {
    let (p, t) = group(1);
    p.set_unkillable(true);
    t[0].set_traced(true).unwrap();
    assert_eq!(p.send(Signo::SIGKILL, None).unwrap().fate, Fate::Ignored);
    // Other default-action signals reach the tracer, then are dropped by
    // `get_signal`'s unkillable test.
    assert_eq!(p.send(Signo::SIGTERM, None).unwrap().fate, Fate::Queued);
    let mut tracer = Script::new(&t[0], |_, sig, _| Some(sig));
    assert_eq!(tracer.deliver_all(), []);
    assert_eq!(tracer.stops(), [delivery_stop(Signo::SIGTERM)]);
}

#[test]
fn rule66_blocked_signals_are_kept_traced_or_not() {
    let (p, t) = group(1);
    p.sigaction(Signo::SIGUSR1, Some(SignalAction::IGNORE))
        .unwrap();
    t[0].sigprocmask(MaskHow::Block, SignalSet::single(Signo::SIGUSR1));
    assert_eq!(p.send(Signo::SIGUSR1, None).unwrap().fate, Fate::Queued);
}

// ---- Rule 67: a fatal signal to a traced thread is reported before it kills.

#[test]
fn rule67_a_fatal_signal_to_a_traced_thread_waits_for_its_tracer() {
    let (p, t) = traced(2, &[]);
    let out = t[0].send_process_directed(Signo::SIGTERM, None).unwrap();
    assert!(!out.group_exit, "no group exit at generation");
    assert_eq!(p.group_exit(), None);
    // The tracer cancels it: nobody dies.
    let mut tracer = Script::new(&t[0], |_, _, _| None);
    assert_eq!(tracer.deliver_all(), []);
    assert_eq!(p.group_exit(), None);
    // Sent again and let through, it ends the group.
    t[0].send_process_directed(Signo::SIGTERM, None).unwrap();
    let mut tracer = Script::new(&t[0], |_, sig, _| Some(sig));
    assert_eq!(tracer.deliver_all(), [killed_by(Signo::SIGTERM)]);
    assert_eq!(p.group_exit(), Some(Signo::SIGTERM));
}

#[test]
fn rule67_a_fatal_signal_through_an_untraced_thread_kills_at_once() {
    let (p, t) = group(2);
    t[1].set_traced(true).unwrap();
    // The target (the thread the signal names) is not traced: complete_signal
    // ends the group, whoever else is traced.
    let out = t[0].send_process_directed(Signo::SIGTERM, None).unwrap();
    assert!(out.group_exit);
    assert_eq!(p.group_exit(), Some(Signo::SIGTERM));
}

// ---- Rule 68: what the tracer resumes with is what is delivered.

#[test]
fn rule68_resuming_with_no_signal_cancels_it() {
    let (_p, t) = traced(1, &[Signo::SIGUSR1]);
    t[0].send(Signo::SIGUSR1, None).unwrap();
    let mut tracer = Script::new(&t[0], |_, _, _| None);
    assert_eq!(tracer.deliver_all(), []);
    assert_eq!(tracer.seen.len(), 1);
    drop(tracer);
    assert_eq!(t[0].pending_all(), SignalSet::EMPTY);
    assert!(!t[0].has_pending());
}

#[test]
fn rule68_another_signal_gets_a_new_si_user_siginfo_from_the_tracer() {
    let (_p, t) = traced(1, &[Signo::SIGUSR1, Signo::SIGUSR2]);
    let q = SignalInfo::queue(Signo::SIGUSR1, 7, 70, 0xabc);
    t[0].send(Signo::SIGUSR1, Some(&q)).unwrap();
    let mut tracer = Script::new(&t[0], |_, _, _| Some(Signo::SIGUSR2));
    let d = tracer.deliver_all();
    assert_eq!(handled(&d), [(Signo::SIGUSR2, SI_USER, TRACER_PID, 0)]);
    let Delivery::Handler(h) = d[0] else {
        unreachable!()
    };
    assert_eq!(
        h.info,
        SignalInfo::user(Signo::SIGUSR2, TRACER_PID, TRACER_UID)
    );
}

#[test]
fn rule68_setsiginfo_replaces_what_the_handler_receives() {
    let (_p, t) = traced(1, &[Signo::SIGUSR1]);
    t[0].send(Signo::SIGUSR1, None).unwrap();
    let forged = SignalInfo::queue(Signo::SIGUSR1, 99, 9, 0x5eed);
    let mut tracer = Script::new(&t[0], |tracee: &Thread, sig, _| {
        tracee.ptrace_setsiginfo(&forged).unwrap();
        assert_eq!(tracee.ptrace_getsiginfo(), Ok(forged));
        Some(sig)
    });
    let d = tracer.deliver_all();
    assert_eq!(handled(&d), [(Signo::SIGUSR1, SI_QUEUE, 99, 0x5eed)]);
}

#[test]
fn rule68_setsiginfo_naming_the_new_signal_keeps_the_tracers_siginfo() {
    // Linux compares the resumed signal with the siginfo's si_signo, so a tracer
    // that wrote a siginfo for the signal it injects keeps it.
    let (_p, t) = traced(1, &[Signo::SIGUSR1, Signo::SIGUSR2]);
    t[0].send(Signo::SIGUSR1, None).unwrap();
    let forged = SignalInfo::queue(Signo::SIGUSR2, 5, 5, 77);
    let mut tracer = Script::new(&t[0], |tracee: &Thread, _, _| {
        tracee.ptrace_setsiginfo(&forged).unwrap();
        Some(Signo::SIGUSR2)
    });
    let d = tracer.deliver_all();
    assert_eq!(handled(&d), [(Signo::SIGUSR2, SI_QUEUE, 5, 77)]);
    // But a siginfo naming another signal than the one resumed with is replaced.
    t[0].send(Signo::SIGUSR1, None).unwrap();
    let mut tracer = Script::new(&t[0], |tracee: &Thread, _, _| {
        tracee.ptrace_setsiginfo(&forged).unwrap();
        Some(Signo::SIGUSR1)
    });
    let d = tracer.deliver_all();
    assert_eq!(handled(&d), [(Signo::SIGUSR1, SI_USER, TRACER_PID, 0)]);
}

#[test]
fn rule68_a_new_signal_that_is_blocked_is_queued_again_not_delivered() {
    let (p, t) = traced(1, &[Signo::SIGUSR1, Signo::SIGUSR2]);
    t[0].sigprocmask(MaskHow::Block, SignalSet::single(Signo::SIGUSR2));
    t[0].send(Signo::SIGUSR1, None).unwrap();
    let mut tracer = Script::new(&t[0], |_, _, _| Some(Signo::SIGUSR2));
    assert_eq!(tracer.deliver_all(), []);
    drop(tracer);
    // Queued again on the private queue it came from, with the tracer's siginfo.
    assert_eq!(t[0].sigpending(), SignalSet::single(Signo::SIGUSR2));
    assert_eq!(p.shared_pending(), SignalSet::EMPTY);
    t[0].sigprocmask(MaskHow::Unblock, SignalSet::single(Signo::SIGUSR2));
    // Unblocked, it stops again (the tracer sees it a second time) and runs.
    let mut tracer = Script::new(&t[0], |_, sig, _| Some(sig));
    let d = tracer.deliver_all();
    assert_eq!(
        tracer.seen,
        [Seen {
            sig: Signo::SIGUSR2,
            kind: PtraceStopKind::SignalDelivery,
            info: Ok(SignalInfo::user(Signo::SIGUSR2, TRACER_PID, TRACER_UID)),
        }]
    );
    assert_eq!(handled(&d), [(Signo::SIGUSR2, SI_USER, TRACER_PID, 0)]);
}

#[test]
fn rule68_a_process_directed_signal_is_queued_again_on_the_shared_queue() {
    let (p, t) = traced(1, &[Signo::SIGUSR1, Signo::SIGUSR2]);
    t[0].sigprocmask(MaskHow::Block, SignalSet::single(Signo::SIGUSR2));
    p.send(Signo::SIGUSR1, None).unwrap();
    let mut tracer = Script::new(&t[0], |_, _, _| Some(Signo::SIGUSR2));
    assert_eq!(tracer.deliver_all(), []);
    assert_eq!(p.shared_pending(), SignalSet::single(Signo::SIGUSR2));
}

#[test]
fn rule68_a_sigcont_during_the_stop_cancels_a_stop_signal_let_through() {
    let (p, t) = traced(1, &[]);
    p.send(Signo::SIGTSTP, None).unwrap();
    let mut tracer = Script::new(
        &t[0],
        in_first_stop(|tracee: &Thread| {
            tracee.process().send(Signo::SIGCONT, None).unwrap();
        }),
    );
    assert_eq!(tracer.deliver_all(), []);
    // The SIGCONT (default: ignore, kept for the tracer) stops too; no group stop.
    assert_eq!(
        tracer.stops(),
        [delivery_stop(Signo::SIGTSTP), delivery_stop(Signo::SIGCONT)]
    );
    drop(tracer);
    assert!(!p.is_stopped());
}

#[test]
fn rule68_the_action_is_read_after_the_stop() {
    // The handler installed while the thread is stopped is the one that runs.
    let (_p, t) = traced(1, &[]);
    t[0].send(Signo::SIGUSR1, None).unwrap();
    let mut tracer = Script::new(&t[0], |tracee: &Thread, sig, _| {
        tracee.process().sigaction(sig, Some(handler())).unwrap();
        Some(sig)
    });
    let d = tracer.deliver_all();
    assert_eq!(handled_sigs(&d), [Signo::SIGUSR1]);
}

#[test]
fn rule68_the_tracer_may_turn_a_signal_into_sigkill() {
    let (_p, t) = traced(1, &[Signo::SIGUSR1]);
    t[0].send(Signo::SIGUSR1, None).unwrap();
    let mut tracer = Script::new(&t[0], |_, _, _| Some(Signo::SIGKILL));
    assert_eq!(tracer.deliver_all(), [killed_by(Signo::SIGKILL)]);
}

// ---- Rule 69: SIGKILL never stops, and ends a stop.

#[test]
fn rule69_sigkill_never_stops() {
    let (p, t) = traced(1, &[]);
    let out = p.send(Signo::SIGKILL, None).unwrap();
    assert!(out.group_exit);
    let mut tracer = Script::new(&t[0], |_, _, _| panic!("SIGKILL must not stop"));
    assert_eq!(tracer.deliver_all(), [killed_by(Signo::SIGKILL)]);
}

/// A kernel's ptrace stop: sleeps on the thread's wait queue until the crate says
/// the stop must end (no tracer ever resumes it here), then returns the signal
/// unchanged. Reports each stop on `stopped`.
struct SleepUntilWoken<'a> {
    tracee: &'a Thread,
    stopped: std::sync::mpsc::Sender<(Signo, PtraceStopKind)>,
}

impl Tracer for SleepUntilWoken<'_> {
    fn ptrace_stop(&mut self, sig: Signo, kind: PtraceStopKind) -> Option<Signo> {
        self.stopped.send((sig, kind)).unwrap();
        loop {
            self.tracee.wait_queue().prepare_to_wait();
            if self.tracee.ptrace_stop_must_end() {
                self.tracee.wait_queue().finish_wait();
                return Some(sig);
            }
            self.tracee.wait_queue().wait(None);
        }
    }

    fn tracer_ids(&mut self) -> (i32, u32) {
        (TRACER_PID, TRACER_UID)
    }

    fn tracee_uid(&mut self) -> u32 {
        TRACEE_UID
    }
}

/// Runs `get_signal_traced` for `tracee` on a thread of its own, each stop a
/// [`SleepUntilWoken`]; returns that thread and where it reports its stops.
fn sleep_in_stops(
    tracee: &Arc<Thread>,
) -> (
    std::thread::JoinHandle<Option<Delivery>>,
    std::sync::mpsc::Receiver<(Signo, PtraceStopKind)>,
) {
    let (tx, rx) = std::sync::mpsc::channel();
    let tracee = tracee.clone();
    let runner = std::thread::spawn(move || {
        let mut k = SleepUntilWoken {
            tracee: &tracee,
            stopped: tx,
        };
        tracee.get_signal_traced(&mut NoJobControl, &mut k)
    });
    (runner, rx)
}

#[test]
fn rule69_a_sigkill_during_a_stop_wakes_the_thread_and_ends_the_group() {
    let (p, mut t) = group(1);
    handle(&p, &[Signo::SIGUSR1]);
    let tracee = Arc::new(t.remove(0));
    tracee.set_traced(true).unwrap();
    tracee.send(Signo::SIGUSR1, None).unwrap();
    let (runner, rx) = sleep_in_stops(&tracee);
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the tracee reached its stop");
    assert_eq!(
        tracee.ptrace_getsiginfo().map(|i| i.signo()),
        Ok(Some(Signo::SIGUSR1))
    );
    // A signal that is not fatal leaves it stopped: nothing chooses it.
    let out = p.send(Signo::SIGUSR1, None).unwrap();
    assert_eq!(out.woken, None);
    assert!(!tracee.ptrace_stop_must_end());
    let out = p.send(Signo::SIGKILL, None).unwrap();
    assert!(out.group_exit);
    let d = runner.join().unwrap();
    // The SIGUSR1 of the stop is not delivered: the fatal signal wins.
    assert_eq!(d, Some(killed_by(Signo::SIGKILL)));
}

#[test]
fn rule69_a_signal_let_through_while_a_fatal_one_is_pending_is_not_delivered() {
    let (_p, t) = traced(1, &[Signo::SIGUSR1]);
    t[0].send(Signo::SIGUSR1, None).unwrap();
    let mut tracer = Script::new(&t[0], |tracee: &Thread, sig, _| {
        tracee.process().send(Signo::SIGKILL, None).unwrap();
        Some(sig)
    });
    assert_eq!(tracer.deliver_all(), [killed_by(Signo::SIGKILL)]);
}

/// `JobControl` is still asked for a traced thread's TSTP (after its stop).
#[test]
fn rule65_job_control_is_asked_after_the_tracer_let_a_tstp_through() {
    struct Orphaned(u32);
    impl JobControl for Orphaned {
        fn is_current_pgrp_orphaned(&mut self) -> bool {
            self.0 += 1;
            true
        }
    }
    let (p, t) = traced(1, &[]);
    p.send(Signo::SIGTSTP, None).unwrap();
    let mut job = Orphaned(0);
    let mut tracer = Script::new(&t[0], |_, sig, _| Some(sig));
    assert_eq!(t[0].get_signal_traced(&mut job, &mut tracer), None);
    assert_eq!(job.0, 1);
    assert_eq!(tracer.stops().len(), 1);
    drop(tracer);
    assert!(!p.is_stopped());
}

// ---- Rule 69a: PTRACE_SEIZE tracees: PTRACE_EVENT_STOP traps, INTERRUPT, LISTEN.

const EVENT_STOP: i32 = ksignal::PTRACE_EVENT_STOP;

#[test]
fn rule69a_a_seized_tracee_traps_with_ptrace_event_stop_in_a_group_stop() {
    let (p, t) = seized(1, &[]);
    assert!(t[0].is_seized() && t[0].is_traced());
    p.send(Signo::SIGSTOP, None).unwrap();
    let mut tracer = Script::new(&t[0], |_, sig, _| Some(sig));
    assert_eq!(tracer.deliver_all(), []);
    assert_eq!(
        tracer.stops(),
        [delivery_stop(Signo::SIGSTOP), event_stop(Signo::SIGSTOP)]
    );
    // PTRACE_GETSIGINFO in the trap: si_signo the stop signal, si_code
    // `sig | PTRACE_EVENT_STOP << 8`, the tracee's own tid and uid.
    let info = tracer.seen[1].info.unwrap();
    assert_eq!(
        (info.signo(), info.code(), info.pid(), info.uid()),
        (
            Some(Signo::SIGSTOP),
            Signo::SIGSTOP.get() as i32 | EVENT_STOP << 8,
            100,
            TRACEE_UID
        )
    );
    drop(tracer);
    assert!(p.is_stopped());
}

#[test]
fn rule69a_ptrace_interrupt_traps_a_running_seized_tracee_with_sigtrap() {
    let (_p, t) = traced(1, &[Signo::SIGUSR1]);
    assert_eq!(t[0].ptrace_interrupt(), Err(Errno::EIO), "not seized");
    t[0].set_seized().unwrap();
    assert!(!t[0].has_pending());
    assert_eq!(t[0].ptrace_interrupt(), Ok(()));
    assert!(t[0].has_pending(), "woken to take the trap");
    let mut tracer = Script::new(&t[0], |_, _, _| Some(Signo::SIGUSR1));
    // The trap's resume signal is dropped; nothing was sent.
    assert_eq!(tracer.deliver_all(), []);
    assert_eq!(tracer.stops(), [event_stop(Signo::SIGTRAP)]);
    assert_eq!(
        tracer.seen[0].info.map(|i| (i.code(), i.pid(), i.uid())),
        Ok((
            Signo::SIGTRAP.get() as i32 | EVENT_STOP << 8,
            100,
            TRACEE_UID
        ))
    );
    drop(tracer);
    assert!(!t[0].has_pending());
}

#[test]
fn rule69a_ptrace_interrupt_during_a_stop_traps_after_it() {
    let (_p, t) = seized(1, &[Signo::SIGUSR1]);
    t[0].send(Signo::SIGUSR1, None).unwrap();
    let mut tracer = Script::new(
        &t[0],
        in_first_stop(|tracee: &Thread| {
            tracee.ptrace_interrupt().unwrap();
        }),
    );
    let d = tracer.deliver_all();
    assert_eq!(
        tracer.stops(),
        [delivery_stop(Signo::SIGUSR1), event_stop(Signo::SIGTRAP)]
    );
    assert_eq!(handled_sigs(&d), [Signo::SIGUSR1]);
}

/// PTRACE_LISTEN tried in each stop of `tracee`, each then let through: what it
/// returned, by the kind of stop.
fn listen_in_each_stop(tracee: &Thread) -> Vec<(PtraceStopKind, Result<(), Errno>)> {
    let mut results = Vec::new();
    Script::new(tracee, |tracee: &Thread, sig, kind| {
        results.push((kind, tracee.ptrace_listen()));
        Some(sig)
    })
    .deliver_all();
    results
}

#[test]
fn rule69a_listen_needs_a_seized_tracee_in_a_ptrace_event_stop() {
    let (_p, t) = seized(1, &[Signo::SIGUSR1]);
    assert_eq!(t[0].ptrace_listen(), Err(Errno::EIO), "not stopped");
    t[0].send(Signo::SIGUSR1, None).unwrap();
    t[0].ptrace_interrupt().unwrap();
    assert_eq!(
        listen_in_each_stop(&t[0]),
        [
            (PtraceStopKind::EventStop, Ok(())),
            (PtraceStopKind::SignalDelivery, Err(Errno::EIO))
        ]
    );
    // A tracee that is not seized cannot listen, even in its group-stop trap.
    let (p, t) = traced(1, &[]);
    p.send(Signo::SIGSTOP, None).unwrap();
    assert_eq!(
        listen_in_each_stop(&t[0]),
        [
            (PtraceStopKind::SignalDelivery, Err(Errno::EIO)),
            (PtraceStopKind::GroupStop, Err(Errno::EIO))
        ]
    );
}

#[test]
fn rule69a_sigcont_ends_a_listening_stop_and_the_tracee_reports_it_with_sigtrap() {
    let (p, t) = seized(1, &[]);
    p.send(Signo::SIGSTOP, None).unwrap();
    let mut tracer = Script::new(&t[0], |tracee: &Thread, sig, kind| {
        if (sig, kind) == event_stop(Signo::SIGSTOP) {
            tracee.ptrace_listen().unwrap();
            assert!(tracee.is_ptrace_listening());
            assert!(!tracee.ptrace_stop_must_end());
            tracee.process().send(Signo::SIGCONT, None).unwrap();
            // The kernel's stop sees this and ends, the signal unchanged.
            assert!(tracee.ptrace_stop_must_end());
        }
        Some(sig)
    });
    assert_eq!(tracer.deliver_all(), []);
    assert_eq!(
        tracer.stops(),
        [
            delivery_stop(Signo::SIGSTOP),
            event_stop(Signo::SIGSTOP),
            // Re-trapped: the group is no longer stopped.
            event_stop(Signo::SIGTRAP),
            // Then the SIGCONT itself, kept for the tracer.
            delivery_stop(Signo::SIGCONT)
        ]
    );
    drop(tracer);
    assert!(!p.is_stopped());
    assert!(!t[0].is_ptrace_listening());
}

#[test]
fn rule69a_sigcont_to_a_running_seized_tracee_makes_it_report() {
    let (p, t) = seized(1, &[]);
    p.send(Signo::SIGCONT, None).unwrap();
    let mut tracer = Script::new(&t[0], |_, sig, _| Some(sig));
    assert_eq!(
        tracer.deliver_all(),
        [],
        "SIGCONT's default action is to ignore"
    );
    assert_eq!(
        tracer.stops(),
        [event_stop(Signo::SIGTRAP), delivery_stop(Signo::SIGCONT)]
    );
}

#[test]
fn rule69a_a_group_stop_makes_a_seized_sibling_trap() {
    let (p, t) = group(2);
    t[1].set_seized().unwrap();
    p.sigaction(Signo::SIGUSR1, Some(handler())).unwrap();
    t[0].sigprocmask(MaskHow::Block, SignalSet::EMPTY);
    t[0].send(Signo::SIGSTOP, None).unwrap();
    let mut untraced = Script::new(&t[0], |_, _, _| panic!("t0 is not traced"));
    assert_eq!(untraced.deliver_all(), [Delivery::Stop(Signo::SIGSTOP)]);
    assert!(t[1].has_pending(), "the seized sibling is told");
    let mut tracer = Script::new(&t[1], |_, sig, _| Some(sig));
    assert_eq!(tracer.deliver_all(), []);
    assert_eq!(tracer.stops(), [event_stop(Signo::SIGSTOP)]);
}

#[test]
fn rule69a_a_notify_wakes_a_listening_tracee_sleeping_in_its_stop() {
    let (p, mut t) = group(1);
    let tracee = Arc::new(t.remove(0));
    tracee.set_seized().unwrap();
    p.send(Signo::SIGSTOP, None).unwrap();
    // The first stop (signal delivery of SIGSTOP) ends only through
    // PTRACE_INTERRUPT-less means here: the test ends it by untracing.
    let (runner, rx) = sleep_in_stops(&tracee);
    let wait = |rx: &std::sync::mpsc::Receiver<(Signo, PtraceStopKind)>| {
        rx.recv_timeout(Duration::from_secs(10)).expect("a stop")
    };
    assert_eq!(wait(&rx), delivery_stop(Signo::SIGSTOP));
    // Interrupting a stop that does not listen does not end it.
    tracee.ptrace_interrupt().unwrap();
    assert!(!tracee.ptrace_stop_must_end());
    // Untracing ends it (the kernel's `__ptrace_unlink` wake-up); traced again at
    // once, the thread goes on as a seized tracee.
    tracee.set_traced(false).unwrap();
    tracee.set_seized().unwrap();
    // The stop returned SIGSTOP unchanged: the group stops and the thread traps.
    assert_eq!(wait(&rx), event_stop(Signo::SIGSTOP));
    tracee.ptrace_listen().unwrap();
    p.send(Signo::SIGCONT, None).unwrap();
    assert_eq!(wait(&rx), event_stop(Signo::SIGTRAP));
    p.send(Signo::SIGKILL, None).unwrap();
    assert_eq!(runner.join().unwrap(), Some(killed_by(Signo::SIGKILL)));
}
