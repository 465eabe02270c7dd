//! Stop, continue and exit edges of the managers against Linux 6.18 (issue 12):
//! signals sent while the group is stopped, orphaned process groups, the sticky
//! thread choice when its thread exits, thread-directed signals to a zombie leader,
//! `complete_signal`'s exact test, RLIMIT_SIGPENDING per receiving process, and what
//! an exiting thread hands on. Each test is named after the rule it checks.

mod common {
    pub mod delivery;
    pub mod group;
    pub mod user_stack;
    pub mod wait;
}

use common::delivery::{deliver_all, handled};
use common::group::{Process, Thread, group, set};
use common::wait::CondvarQueue;
use ksignal::SaFlags;
use ksignal::{
    Delivery, Fate, MaskHow, PendingLimit, SignalAction, SignalActions, SignalInfo, SignalSet,
    Signo,
};
use std::sync::Arc;
use std::time::Duration;

fn handler() -> SignalAction {
    SignalAction::handler(0x1000, SaFlags::SIGINFO, SignalSet::EMPTY)
}

fn user(s: Signo) -> SignalInfo {
    SignalInfo::user(s, 1, 0)
}

/// Stops the group through `t` with SIGSTOP, as a kernel's delivery loop does.
fn stop(p: &Process, t: &Thread) {
    p.send(Signo::SIGSTOP, Some(&user(Signo::SIGSTOP))).unwrap();
    assert_eq!(deliver_all(t), [Delivery::Stop(Signo::SIGSTOP)]);
    assert!(p.is_stopped());
}

/// A group of `n` threads blocking `blocked`, a handler for `caught`, stopped by
/// SIGSTOP, which thread `stopper` took.
fn stopped_group(
    n: usize,
    blocked: SignalSet,
    caught: Signo,
    stopper: usize,
) -> (Arc<Process>, Vec<Thread>) {
    let (p, t) = group(n, blocked);
    p.sigaction(caught, Some(handler())).unwrap();
    stop(&p, &t[stopper]);
    (p, t)
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
    let (p, t) = stopped_group(1, SignalSet::EMPTY, Signo::SIGUSR1, 0);
    assert_eq!(p.send(Signo::SIGUSR1, None).unwrap().woken, None);
    assert!(!t[0].has_pending());
    assert!(p.send(Signo::SIGCONT, None).unwrap().resumed);
    assert!(t[0].has_pending());
    assert_eq!(handled(&deliver_all(&t[0])), [10]);
    assert!(!t[0].has_pending());
}

#[test]
fn rule19_thread_directed_signal_sent_while_stopped_reaches_only_its_thread_after_sigcont() {
    let (p, t) = stopped_group(2, SignalSet::EMPTY, Signo::SIGUSR2, 0);
    assert_eq!(t[1].send(Signo::SIGUSR2, None).unwrap().woken, None);
    assert!(p.send(Signo::SIGCONT, None).unwrap().resumed);
    let pending = (t[0].has_pending(), t[1].has_pending());
    assert_eq!(pending, (false, true), "only its thread has it");
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
    assert!(!t[0].has_pending());
    assert_stop_flag_only(&t[1]);
}

/// T's flag is only the one the group stop left (Linux's `do_signal_stop` woke it
/// with TIF_SIGPENDING): its `get_signal` finds nothing and clears it.
fn assert_stop_flag_only(t: &Thread) {
    assert!(t.has_pending(), "flagged by the group stop");
    assert_eq!(t.get_signal(), None);
    assert!(!t.has_pending());
}

#[test]
fn rule19_blocked_signal_sent_while_stopped_stays_pending_until_unblocked() {
    let (p, t) = stopped_group(2, set(&[Signo::SIGUSR1]), Signo::SIGUSR1, 0);
    p.send(Signo::SIGUSR1, None).unwrap();
    assert!(p.send(Signo::SIGCONT, None).unwrap().resumed);
    assert!(!t[0].has_pending());
    assert_stop_flag_only(&t[1]);
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

// ---- Finding 2: TSTP/TTIN/TTOU in an orphaned process group.

#[test]
fn rule44_job_control_stop_in_an_orphaned_pgrp_is_discarded_and_the_group_runs_on() {
    for sig in [Signo::SIGTSTP, Signo::SIGTTIN, Signo::SIGTTOU] {
        let (p, t) = group(1, SignalSet::EMPTY);
        p.sigaction(Signo::SIGUSR1, Some(handler())).unwrap();
        p.send(sig, None).unwrap();
        let mut asked = 0;
        assert_eq!(
            t[0].get_signal_with(&mut || {
                asked += 1;
                true
            }),
            None,
            "{sig}"
        );
        assert_eq!(asked, 1);
        assert!(!p.is_stopped(), "{sig}: no stop is recorded");
        assert!(!t[0].has_pending());
        // Not stopped, so a later signal is flagged on the thread at once...
        assert_eq!(p.send(Signo::SIGUSR1, None).unwrap().woken, Some(100));
        assert_eq!(handled(&deliver_all(&t[0])), [10]);
        // ...and a later SIGCONT resumes nothing (no spurious CLD_CONTINUED).
        assert!(!p.send(Signo::SIGCONT, None).unwrap().resumed);
    }
}

#[test]
fn rule44_job_control_stop_in_a_pgrp_that_is_not_orphaned_stops_the_group() {
    for sig in [Signo::SIGTSTP, Signo::SIGTTIN, Signo::SIGTTOU] {
        let (p, t) = group(1, SignalSet::EMPTY);
        p.send(sig, None).unwrap();
        assert_eq!(
            t[0].get_signal_with(&mut || false),
            Some(Delivery::Stop(sig))
        );
        assert!(p.is_stopped());
        assert!(p.send(Signo::SIGCONT, None).unwrap().resumed);
    }
}

#[test]
fn rule44_sigstop_stops_an_orphaned_pgrp_without_asking() {
    let (p, t) = group(1, SignalSet::EMPTY);
    p.send(Signo::SIGSTOP, None).unwrap();
    let mut asked = false;
    assert_eq!(
        t[0].get_signal_with(&mut || {
            asked = true;
            true
        }),
        Some(Delivery::Stop(Signo::SIGSTOP))
    );
    assert!(!asked);
    assert!(p.is_stopped());
}

#[test]
fn rule44_discarded_stop_lets_the_loop_deliver_the_next_signal() {
    let (p, t) = group(1, SignalSet::EMPTY);
    p.sigaction(Signo::SIGUSR2, Some(handler())).unwrap();
    p.send(Signo::SIGUSR2, None).unwrap();
    p.send(Signo::SIGTSTP, None).unwrap();
    let d = t[0].get_signal_with(&mut || true);
    assert!(matches!(d, Some(Delivery::Handler(h)) if h.sig == Signo::SIGUSR2));
    assert!(!p.is_stopped());
}

#[test]
fn rule44_sigcont_while_the_kernel_answers_cancels_the_stop() {
    let (p, t) = group(1, SignalSet::EMPTY);
    p.send(Signo::SIGTSTP, None).unwrap();
    let mut resumed = None;
    let d = t[0].get_signal_with(&mut || {
        // The signal lock is not held: another CPU's SIGCONT gets in.
        resumed = Some(p.send(Signo::SIGCONT, None).unwrap().resumed);
        false
    });
    assert_eq!(d, None, "do_signal_stop sees the SIGCONT and does not stop");
    assert_eq!(resumed, Some(false));
    assert!(!p.is_stopped());
}

#[test]
fn rule44_sigkill_while_the_kernel_answers_ends_the_group_instead() {
    let (p, t) = group(1, SignalSet::EMPTY);
    p.send(Signo::SIGTTOU, None).unwrap();
    let d = t[0].get_signal_with(&mut || {
        assert!(p.send(Signo::SIGKILL, None).unwrap().group_exit);
        false
    });
    assert_eq!(
        d,
        Some(Delivery::Exit {
            sig: Signo::SIGKILL,
            core_dump: false
        })
    );
    assert!(!p.is_stopped());
}

#[test]
fn rule44_do_signal_in_an_orphaned_pgrp_returns_to_user_instead_of_stopping() {
    use ksignal::frame::NoFp;
    use ksignal::frame::x86_64::X86_64Context;
    use ksignal::{KernelFrameInfo, NoTracer, UserReturn, do_signal};
    let (p, t) = group(1, SignalSet::EMPTY);
    let mut ctx = X86_64Context {
        rip: 0x40_0500,
        rsp: common::user_stack::stack_top(),
        rflags: 0x202,
        cs: 0x33,
        ss: 0x2b,
        ..Default::default()
    };
    let mut mem = common::user_stack::memory();
    let mut deliver = |orphaned: bool| {
        p.send(Signo::SIGTTIN, None).unwrap();
        let k = KernelFrameInfo::default();
        let job = &mut || orphaned;
        do_signal(&t[0], &mut ctx, &mut NoFp, &mut mem, k, job, &mut NoTracer)
    };
    assert_eq!(deliver(true), UserReturn::Resume);
    assert!(!p.is_stopped());
    assert_eq!(deliver(false), UserReturn::Stop(Signo::SIGTTIN));
    assert!(p.is_stopped());
}

// ---- Finding 3: the sticky thread choice when its thread exits.

#[test]
fn rule18_curr_target_moves_to_the_next_thread_when_its_thread_exits() {
    // Leader, A, B, C.
    let (p, mut t) = group(4, SignalSet::EMPTY);
    p.sigaction(Signo::SIGUSR1, Some(handler())).unwrap();
    p.sigaction(Signo::SIGUSR2, Some(handler())).unwrap();
    t[0].sigprocmask(MaskHow::Block, set(&[Signo::SIGUSR1]));
    // The leader refuses SIGUSR1: the scan from the leader chooses A, which becomes
    // curr_target. A takes it, so its flag is clear when it exits.
    assert_eq!(p.send(Signo::SIGUSR1, None).unwrap().woken, Some(101));
    t[1].sigtimedwait(set(&[Signo::SIGUSR1]), Some(Duration::ZERO))
        .unwrap();
    assert!(!t[1].has_pending());
    t.remove(1).exit();
    // __exit_signal: curr_target = next_thread(A) = B. A signal sent through C
    // (kill naming C), which blocks it, is then scanned from B, not from the leader.
    t[2].sigprocmask(MaskHow::Block, set(&[Signo::SIGUSR2]));
    let out = t[2].send_process_directed(Signo::SIGUSR2, None).unwrap();
    assert_eq!(out.woken, Some(102), "the scan starts at B");
}

#[test]
fn rule18_curr_target_wraps_to_the_leader_when_the_last_thread_exits() {
    // Leader, A, B; curr_target becomes B, the last thread, which then exits.
    let (p, mut t) = group(3, SignalSet::EMPTY);
    p.sigaction(Signo::SIGUSR1, Some(handler())).unwrap();
    t[0].sigprocmask(MaskHow::Block, set(&[Signo::SIGUSR1]));
    t[1].sigprocmask(MaskHow::Block, set(&[Signo::SIGUSR1]));
    assert_eq!(p.send(Signo::SIGUSR1, None).unwrap().woken, Some(102));
    t[2].sigtimedwait(set(&[Signo::SIGUSR1]), Some(Duration::ZERO))
        .unwrap();
    t.remove(2).exit();
    // next_thread(B) wraps to the leader. Through A, which blocks SIGUSR1: the
    // scan from the leader finds the leader (it unblocked SIGUSR1 meanwhile).
    t[0].sigprocmask(MaskHow::Unblock, set(&[Signo::SIGUSR1]));
    let out = t[1].send_process_directed(Signo::SIGUSR1, None).unwrap();
    assert_eq!(out.woken, Some(100));
}

// ---- Finding 8: complete_signal's test is Linux's, with no SIGNAL_UNKILLABLE.

#[test]
fn rule20_unkillable_group_whose_leader_blocks_a_fatal_signal_is_ended_by_another_thread() {
    let (p, t) = group(2, SignalSet::EMPTY);
    p.set_unkillable(true);
    // SIG_DFL in an unkillable group is discarded at generation, unless the target
    // (the leader) blocks it: then it is queued, and complete_signal finds T1, which
    // does not block it, and starts the group exit (Linux 6.18's complete_signal has
    // no SIGNAL_UNKILLABLE test).
    t[0].sigprocmask(MaskHow::Block, set(&[Signo::SIGTERM]));
    let out = p.send(Signo::SIGTERM, None).unwrap();
    assert_eq!(out.fate, Fate::Queued);
    assert!(out.group_exit);
    assert_eq!(deliver_all(&t[1]), [EXIT_TERM]);
    // Not blocked by the leader: discarded at generation, as before.
    let (p, _t) = group(2, SignalSet::EMPTY);
    p.set_unkillable(true);
    assert_eq!(p.send(Signo::SIGTERM, None).unwrap().fate, Fate::Ignored);
}

// ---- exit_signals: only a thread with its pending flag hands shared signals on.

#[test]
fn rule32_exiting_thread_without_its_pending_flag_hands_nothing_on() {
    // Leader, B, C: the leader is chosen for SIGUSR1 (flagged); B and C are not.
    let (p, mut t) = group(3, SignalSet::EMPTY);
    p.sigaction(Signo::SIGUSR1, Some(handler())).unwrap();
    assert_eq!(p.send(Signo::SIGUSR1, None).unwrap().woken, Some(100));
    assert!(!t[1].has_pending() && !t[2].has_pending());
    // B exits with no TIF_SIGPENDING: Linux's exit_signals skips
    // retarget_shared_pending, so C is not woken for the leader's signal.
    t.remove(1).exit();
    assert!(!t[1].has_pending(), "C was not handed SIGUSR1");
    assert_eq!(handled(&deliver_all(&t[0])), [10]);
}

#[test]
fn rule32_exiting_thread_with_its_pending_flag_hands_shared_signals_on() {
    let (p, mut t) = group(3, SignalSet::EMPTY);
    p.sigaction(Signo::SIGUSR1, Some(handler())).unwrap();
    // Through B: B is chosen and flagged; it exits before taking it.
    let out = t[1].send_process_directed(Signo::SIGUSR1, None).unwrap();
    assert_eq!(out.woken, Some(101));
    assert!(!t[2].has_pending());
    t.remove(1).exit();
    assert!(t[1].has_pending(), "C, next after B, is woken");
    assert_eq!(handled(&deliver_all(&t[1])), [10]);
}

#[test]
fn rule32_thread_exiting_during_a_group_exit_hands_nothing_on() {
    let (p, mut t) = group(3, SignalSet::EMPTY);
    p.sigaction(Signo::SIGUSR1, Some(handler())).unwrap();
    t[1].send_process_directed(Signo::SIGUSR1, None).unwrap();
    p.start_group_exit(Signo::SIGKILL);
    t.remove(1).exit();
    // Every thread is flagged by the group exit anyway; the shared signal stays.
    assert!(p.shared_pending().contains(Signo::SIGUSR1));
    assert!(t[1].has_pending());
}

// ---- RLIMIT_SIGPENDING: the user's count against the receiver's own limit.

#[test]
fn rule14_the_users_count_is_held_to_the_receiving_processs_own_rlimit() {
    use ksignal::Errno;
    let account = Arc::new(PendingLimit::new(1024));
    let new = || {
        Arc::new(Process::new(
            Arc::new(SignalActions::new()),
            account.clone(),
        ))
    };
    let (a, b) = (new(), new());
    let _ta = Thread::new(&a, 1, SignalSet::ALL, CondvarQueue::default()).unwrap();
    let _tb = Thread::new(&b, 2, SignalSet::ALL, CondvarQueue::default()).unwrap();
    a.set_rlimit_sigpending(Some(1));
    b.set_rlimit_sigpending(Some(3));
    assert_eq!((a.rlimit_sigpending(), b.rlimit_sigpending()), (1, 3));
    let q = |v| SignalInfo::queue(Signo::SIGRTMIN, 1, 0, v);
    assert_eq!(
        a.send(Signo::SIGRTMIN, Some(&q(1))).unwrap().fate,
        Fate::Queued
    );
    assert_eq!(
        b.send(Signo::SIGRTMIN, Some(&q(2))).unwrap().fate,
        Fate::Queued
    );
    assert_eq!(account.queued(), 2, "one count for the user");
    // 3 > A's limit of 1, but within B's limit of 3.
    assert_eq!(a.send(Signo::SIGRTMIN, Some(&q(3))), Err(Errno::EAGAIN));
    assert_eq!(
        b.send(Signo::SIGRTMIN, Some(&q(3))).unwrap().fate,
        Fate::Queued
    );
    assert_eq!(b.send(Signo::SIGRTMIN, Some(&q(4))), Err(Errno::EAGAIN));
    // fork copies the group's own limit; None goes back to the account's.
    assert_eq!(a.fork(false).rlimit_sigpending(), 1);
    a.set_rlimit_sigpending(None);
    assert_eq!(a.rlimit_sigpending(), 1024);
    assert_eq!(
        a.send(Signo::SIGRTMIN, Some(&q(5))).unwrap().fate,
        Fate::Queued
    );
}

// ---- do_signal_stop: the other threads take part in the stop.

#[test]
fn rule43_group_stop_flags_every_other_live_thread() {
    let (p, t) = group(3, SignalSet::EMPTY);
    stop(&p, &t[1]);
    assert!(
        !t[1].has_pending(),
        "the stopping thread recalculated its flag"
    );
    assert!(t[0].has_pending() && t[2].has_pending());
}

#[test]
fn rule18_sigcont_finds_no_wanting_thread_among_those_the_stop_flagged() {
    // Linux: the threads the stop woke still have TIF_SIGPENDING, so SIGCONT's
    // complete_signal chooses nobody and curr_target stays at the leader; the next
    // process-directed signal goes to the first thread after the leader that takes
    // it (T1), not to the one that took SIGCONT's scan (T2).
    let all_but_usr1 = set(&[Signo::SIGUSR1]).complement();
    let (p, t) = group(3, all_but_usr1);
    p.sigaction(Signo::SIGUSR1, Some(handler())).unwrap();
    t[0].sigprocmask(MaskHow::Block, set(&[Signo::SIGUSR1]));
    t[2].sigprocmask(MaskHow::Unblock, set(&[Signo::SIGCONT]));
    stop(&p, &t[0]);
    let out = p.send(Signo::SIGCONT, None).unwrap();
    assert!(out.resumed);
    assert_eq!(out.woken, None, "no thread wants SIGCONT");
    for th in &t {
        let _ = deliver_all(th);
    }
    assert_eq!(p.send(Signo::SIGUSR1, None).unwrap().woken, Some(101));
}
