//! Stop, continue and exit edges of the managers against Linux 6.18 (issue 12):
//! signals sent while the group is stopped, orphaned process groups, the sticky
//! thread choice when its thread exits, thread-directed signals to a zombie leader,
//! `complete_signal`'s exact test, RLIMIT_SIGPENDING per receiving process, and what
//! an exiting thread hands on. Each test is named after the rule it checks.

mod common;

use common::CondvarQueue;
use ksignal::action::SaFlags;
use ksignal::{
    Delivery, Fate, MaskHow, PendingLimit, ProcessSignalManager, SignalAction, SignalActions,
    SignalInfo, SignalSet, Signo, ThreadSignalManager,
};
use std::sync::Arc;
use std::time::Duration;

type Process = ProcessSignalManager<CondvarQueue>;
type Thread = ThreadSignalManager<CondvarQueue>;

/// A process with `n` threads, tids 100.., every thread blocking `blocked`.
fn group(n: usize, blocked: SignalSet) -> (Arc<Process>, Vec<Thread>) {
    let p = Arc::new(Process::new(
        Arc::new(SignalActions::new()),
        Arc::new(PendingLimit::new(1024)),
    ));
    let threads = (0..n)
        .map(|i| Thread::new(&p, 100 + i as i32, blocked, CondvarQueue::default()).unwrap())
        .collect();
    (p, threads)
}

fn set(sigs: &[Signo]) -> SignalSet {
    sigs.iter().copied().collect()
}

fn handler() -> SignalAction {
    SignalAction::handler(0x1000, SaFlags::SIGINFO, SignalSet::EMPTY)
}

fn user(s: Signo) -> SignalInfo {
    SignalInfo::user(s, 1, 0)
}

/// The return-to-user loop: a frame per handler (its mask at once), stop at
/// Exit/Stop.
fn deliver_all(t: &Thread) -> Vec<Delivery> {
    let mut out = Vec::new();
    while let Some(d) = t.get_signal() {
        out.push(d);
        match d {
            Delivery::Handler(h) => t.signal_delivered(&h),
            _ => break,
        }
    }
    out
}

fn handled(d: &[Delivery]) -> Vec<u32> {
    d.iter()
        .filter_map(|d| match d {
            Delivery::Handler(h) => Some(h.sig.get()),
            _ => None,
        })
        .collect()
}

/// Stops the group through `t` with SIGSTOP, as a kernel's delivery loop does.
fn stop(p: &Process, t: &Thread) {
    p.send(Signo::SIGSTOP, Some(&user(Signo::SIGSTOP))).unwrap();
    assert_eq!(deliver_all(t), [Delivery::Stop(Signo::SIGSTOP)]);
    assert!(p.is_stopped());
}

const EXIT_TERM: Delivery = Delivery::Exit {
    sig: Signo::SIGTERM,
    core_dump: false,
};

// ---- Finding 1: what arrives while the group is stopped is there after SIGCONT.

#[test]
fn rule19_default_fatal_signal_sent_while_stopped_kills_the_group_after_sigcont() {
    let (p, t) = group(1, SignalSet::EMPTY);
    stop(&p, &t[0]);
    let out = p.send(Signo::SIGTERM, Some(&user(Signo::SIGTERM))).unwrap();
    // wants_signal refuses a stopped thread (only SIGKILL passes), so Linux's
    // complete_signal chooses nobody and starts no group exit: it stays pending.
    assert_eq!(
        (out.fate, out.group_exit, out.woken),
        (Fate::Queued, false, None)
    );
    assert_eq!(p.group_exit(), None);
    let out = p.send(Signo::SIGCONT, Some(&user(Signo::SIGCONT))).unwrap();
    assert!(out.resumed);
    assert!(t[0].has_pending(), "the continued thread must look again");
    assert_eq!(deliver_all(&t[0]), [EXIT_TERM]);
}

#[test]
fn rule19_default_fatal_signal_sent_while_stopped_kills_a_multithreaded_group_after_sigcont() {
    let (p, t) = group(3, SignalSet::EMPTY);
    t[0].sigprocmask(MaskHow::Block, set(&[Signo::SIGTERM]));
    stop(&p, &t[0]);
    assert!(!p.send(Signo::SIGTERM, None).unwrap().group_exit);
    assert!(p.send(Signo::SIGCONT, None).unwrap().resumed);
    assert!(!t[0].has_pending(), "the leader blocks SIGTERM");
    assert!(t[1].has_pending() && t[2].has_pending());
    assert_eq!(deliver_all(&t[2]), [EXIT_TERM]);
    assert_eq!(p.group_exit(), Some(Signo::SIGTERM));
    assert_eq!(deliver_all(&t[1]), [EXIT_TERM]);
}

#[test]
fn rule19_sigkill_sent_while_stopped_kills_the_group_at_once() {
    let (p, t) = group(2, SignalSet::EMPTY);
    stop(&p, &t[0]);
    let out = p.send(Signo::SIGKILL, None).unwrap();
    assert!(out.group_exit, "wants_signal lets SIGKILL through a stop");
    assert!(!p.is_stopped());
    assert!(t[0].has_pending() && t[1].has_pending());
}

#[test]
fn rule19_caught_signal_sent_while_stopped_runs_its_handler_after_sigcont() {
    let (p, t) = group(1, SignalSet::EMPTY);
    p.sigaction(Signo::SIGUSR1, Some(handler())).unwrap();
    stop(&p, &t[0]);
    assert_eq!(p.send(Signo::SIGUSR1, None).unwrap().woken, None);
    assert!(!t[0].has_pending());
    assert!(p.send(Signo::SIGCONT, None).unwrap().resumed);
    assert!(t[0].has_pending());
    assert_eq!(handled(&deliver_all(&t[0])), [10]);
    assert!(!t[0].has_pending());
}

#[test]
fn rule19_thread_directed_signal_sent_while_stopped_reaches_only_its_thread_after_sigcont() {
    let (p, t) = group(2, SignalSet::EMPTY);
    p.sigaction(Signo::SIGUSR2, Some(handler())).unwrap();
    stop(&p, &t[0]);
    assert_eq!(t[1].send(Signo::SIGUSR2, None).unwrap().woken, None);
    assert!(p.send(Signo::SIGCONT, None).unwrap().resumed);
    assert!(!t[0].has_pending());
    assert!(t[1].has_pending());
    assert_eq!(handled(&deliver_all(&t[1])), [12]);
}

#[test]
fn rule19_caught_sigcont_itself_runs_its_handler_after_resuming() {
    let (p, t) = group(2, SignalSet::EMPTY);
    p.sigaction(Signo::SIGCONT, Some(handler())).unwrap();
    p.sigaction(Signo::SIGUSR1, Some(handler())).unwrap();
    stop(&p, &t[1]);
    p.send(Signo::SIGUSR1, None).unwrap();
    let out = p.send(Signo::SIGCONT, None).unwrap();
    assert!(out.resumed);
    assert_eq!(out.fate, Fate::Queued);
    let mut got = handled(&deliver_all(&t[0]));
    got.extend(handled(&deliver_all(&t[1])));
    got.sort();
    assert_eq!(got, [10, 18], "both handlers run, each once");
}

#[test]
fn rule3_ignored_signal_sent_while_stopped_is_discarded_and_nothing_is_flagged_after_sigcont() {
    let (p, t) = group(2, SignalSet::EMPTY);
    p.sigaction(Signo::SIGUSR1, Some(SignalAction::IGNORE))
        .unwrap();
    stop(&p, &t[0]);
    assert_eq!(p.send(Signo::SIGUSR1, None).unwrap().fate, Fate::Ignored);
    assert!(p.send(Signo::SIGCONT, None).unwrap().resumed);
    assert!(!t[0].has_pending() && !t[1].has_pending());
}

#[test]
fn rule19_blocked_signal_sent_while_stopped_stays_pending_until_unblocked() {
    let (p, t) = group(2, set(&[Signo::SIGUSR1]));
    p.sigaction(Signo::SIGUSR1, Some(handler())).unwrap();
    stop(&p, &t[0]);
    p.send(Signo::SIGUSR1, None).unwrap();
    assert!(p.send(Signo::SIGCONT, None).unwrap().resumed);
    assert!(!t[0].has_pending() && !t[1].has_pending());
    assert_eq!(t[1].sigpending(), set(&[Signo::SIGUSR1]));
    t[1].sigprocmask(MaskHow::Unblock, set(&[Signo::SIGUSR1]));
    assert!(t[1].has_pending());
    assert_eq!(handled(&deliver_all(&t[1])), [10]);
}

#[test]
fn rule7_sigcont_to_a_group_that_is_not_stopped_flags_nobody() {
    let (p, t) = group(2, SignalSet::EMPTY);
    p.sigaction(Signo::SIGUSR1, Some(handler())).unwrap();
    t[1].sigprocmask(MaskHow::Block, set(&[Signo::SIGUSR1]));
    // Pending for the leader, which was woken; T1 blocks it.
    p.send(Signo::SIGUSR1, None).unwrap();
    t[1].sigprocmask(MaskHow::Unblock, set(&[Signo::SIGUSR1]));
    t[1].sigtimedwait(set(&[Signo::SIGUSR1]), Some(Duration::ZERO))
        .unwrap();
    assert!(!t[1].has_pending());
    assert!(!p.send(Signo::SIGCONT, None).unwrap().resumed);
    assert!(!t[1].has_pending());
}
