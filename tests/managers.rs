//! Thread and process managers against the rules of the crate's catalogue,
//! [`ksignal::docs::rules`]; each test is named `ruleN_...` after the rule it
//! checks, and the catalogue lists it under that rule.

mod common {
    pub mod delivery;
    pub mod group;
    pub mod wait;
}

use common::delivery::{deliver_all, handled};
use common::group::{Process, Thread, group, process_with_limit, set};
use common::wait::CondvarQueue;
use ksignal::code;
use ksignal::{
    Delivery, Errno, Fate, MaskHow, PendingLimit, SignalAction, SignalActions, SignalInfo,
    SignalSet, Signo,
};
use ksignal::{Disposition, SaFlags};
use std::sync::Arc;
use std::time::Duration;

fn process() -> Arc<Process> {
    process_with_limit(1024)
}

fn handler(flags: SaFlags) -> SignalAction {
    SignalAction::handler(0x1000, flags | SaFlags::SIGINFO, SignalSet::EMPTY)
}

/// The group's exit by `sig`, dumping core or not.
fn exit(sig: Signo, core_dump: bool) -> Delivery {
    Delivery::Exit { sig, core_dump }
}

/// Installs a plain handler for each of `sigs`.
fn catch(p: &Process, sigs: &[Signo]) {
    for &sig in sigs {
        p.sigaction(sig, Some(handler(SaFlags::empty()))).unwrap();
    }
}

fn kill(p: &Process, s: Signo) -> Fate {
    p.send(s, Some(&SignalInfo::user(s, 1, 0))).unwrap().fate
}

#[test]
fn rule1_std_signal_coalesces_separately_in_private_and_shared_queues() {
    let (p, t) = group(1, SignalSet::ALL);
    assert_eq!(kill(&p, Signo::SIGUSR1), Fate::Queued);
    assert_eq!(kill(&p, Signo::SIGUSR1), Fate::Coalesced);
    let tk = SignalInfo::tkill(Signo::SIGUSR1, 1, 0);
    assert_eq!(
        t[0].send(Signo::SIGUSR1, Some(&tk)).unwrap().fate,
        Fate::Queued,
        "private queue is separate"
    );
    assert_eq!(
        t[0].send(Signo::SIGUSR1, Some(&tk)).unwrap().fate,
        Fate::Coalesced
    );
}

#[test]
fn rule3_ignored_signal_is_discarded_at_generation_unless_blocked() {
    let (p, t) = group(1, SignalSet::EMPTY);
    p.sigaction(Signo::SIGUSR1, Some(SignalAction::IGNORE))
        .unwrap();
    assert_eq!(kill(&p, Signo::SIGUSR1), Fate::Ignored);
    assert_eq!(kill(&p, Signo::SIGCHLD), Fate::Ignored, "default-ignore");
    assert_eq!(kill(&p, Signo::SIGWINCH), Fate::Ignored);
    t[0].sigprocmask(MaskHow::Block, set(&[Signo::SIGUSR1, Signo::SIGCHLD]));
    assert_eq!(
        kill(&p, Signo::SIGUSR1),
        Fate::Queued,
        "blocked ignored signals stay queued"
    );
    assert_eq!(kill(&p, Signo::SIGCHLD), Fate::Queued);
    assert_eq!(t[0].sigpending(), set(&[Signo::SIGUSR1, Signo::SIGCHLD]));
}

#[test]
fn rule4_process_directed_ignore_test_uses_only_the_leaders_mask() {
    let (p, t) = group(2, SignalSet::EMPTY);
    t[1].sigprocmask(MaskHow::Block, set(&[Signo::SIGCHLD]));
    assert_eq!(
        kill(&p, Signo::SIGCHLD),
        Fate::Ignored,
        "T1 blocks it, but the leader does not"
    );
    t[0].sigprocmask(MaskHow::Block, set(&[Signo::SIGCHLD]));
    t[1].sigprocmask(MaskHow::Unblock, set(&[Signo::SIGCHLD]));
    assert_eq!(
        kill(&p, Signo::SIGCHLD),
        Fate::Queued,
        "the leader blocks it"
    );
    // A thread-directed signal tests the target thread.
    assert_eq!(t[1].send(Signo::SIGCHLD, None).unwrap().fate, Fate::Ignored);
}

#[test]
fn rule35_sigtimedwait_keeps_blocked_ignored_signals_via_real_blocked() {
    let (p, t) = group(1, set(&[Signo::SIGCHLD]));
    let p2 = p.clone();
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        p2.send(
            Signo::SIGCHLD,
            Some(&SignalInfo::user(Signo::SIGCHLD, 9, 0)),
        )
        .unwrap()
        .fate
    });
    let got = t[0].sigtimedwait(set(&[Signo::SIGCHLD]), Some(Duration::from_secs(5)));
    assert_eq!(sender.join().unwrap(), Fate::Queued);
    assert_eq!(got.map(|(s, i)| (s, i.pid())), Ok((Signo::SIGCHLD, 9)));
    assert_eq!(
        t[0].blocked(),
        set(&[Signo::SIGCHLD]),
        "mask restored after the wait"
    );
}

#[test]
fn rule5_signals_are_dropped_once_the_group_is_exiting() {
    let (p, t) = group(2, SignalSet::EMPTY);
    assert_eq!(kill(&p, Signo::SIGTERM), Fate::Queued);
    assert_eq!(p.group_exit(), Some(Signo::SIGTERM));
    assert_eq!(kill(&p, Signo::SIGUSR1), Fate::Dropped);
    for th in &t {
        assert!(th.has_pending());
        assert_eq!(th.get_signal(), Some(exit(Signo::SIGTERM, false)));
    }
}

#[test]
fn rule6_stop_signal_flushes_pending_sigcont_everywhere_even_when_discarded() {
    let (p, t) = group(2, SignalSet::ALL);
    kill(&p, Signo::SIGCONT);
    t[1].send(Signo::SIGCONT, None).unwrap();
    p.sigaction(Signo::SIGTSTP, Some(SignalAction::IGNORE))
        .unwrap();
    t[0].sigprocmask(MaskHow::Unblock, set(&[Signo::SIGTSTP]));
    assert_eq!(kill(&p, Signo::SIGTSTP), Fate::Ignored);
    assert!(p.shared_pending().is_empty());
    assert!(t[1].sigpending().is_empty());
}

#[test]
fn rule7_sigcont_discards_pending_stop_signals_and_resumes_a_stopped_group() {
    let (p, t) = group(2, SignalSet::ALL);
    kill(&p, Signo::SIGTSTP);
    t[1].send(Signo::SIGTTIN, None).unwrap();
    let out = p.send(Signo::SIGCONT, None).unwrap();
    assert_eq!(
        out.fate,
        Fate::Queued,
        "blocked SIGCONT is queued after flushing"
    );
    assert!(!out.resumed, "not stopped");
    assert_eq!(t[0].sigpending(), set(&[Signo::SIGCONT]));
    assert_eq!(t[1].sigpending(), set(&[Signo::SIGCONT]));
    // A real stop, then SIGCONT (ignored by default, discarded) resumes it.
    t[0].sigprocmask(MaskHow::SetMask, SignalSet::EMPTY);
    kill(&p, Signo::SIGSTOP);
    assert_eq!(deliver_all(&t[0]), [Delivery::Stop(Signo::SIGSTOP)]);
    assert!(p.is_stopped());
    t[0].sigprocmask(MaskHow::Block, set(&[Signo::SIGCONT]));
    t[0].sigprocmask(MaskHow::Unblock, set(&[Signo::SIGCONT]));
    let out = p.send(Signo::SIGCONT, None).unwrap();
    assert!(out.resumed);
    assert!(!p.is_stopped());
}

#[test]
fn rule11_sigkill_cannot_be_blocked_caught_or_ignored() {
    let (p, t) = group(1, SignalSet::ALL);
    assert!(!t[0].blocked().contains(Signo::SIGKILL));
    assert_eq!(
        p.sigaction(Signo::SIGKILL, Some(SignalAction::IGNORE)),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        p.sigaction(Signo::SIGSTOP, Some(SignalAction::DEFAULT)),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        p.sigaction(Signo::SIGKILL, None),
        Ok(SignalAction::DEFAULT),
        "querying works"
    );
    let out = p.send(Signo::SIGKILL, None).unwrap();
    assert!(out.group_exit);
    assert_eq!(t[0].get_signal(), Some(exit(Signo::SIGKILL, false)));
}

#[test]
fn rule14_over_limit_rt_sigqueue_is_eagain_through_the_manager() {
    let p = process_with_limit(1);
    let t = Thread::new(&p, 1, SignalSet::ALL, CondvarQueue::default()).unwrap();
    let q = |v| SignalInfo::queue(Signo::SIGRTMIN, 1, 0, v);
    assert_eq!(
        p.send(Signo::SIGRTMIN, Some(&q(1))).unwrap().fate,
        Fate::Queued
    );
    assert_eq!(p.send(Signo::SIGRTMIN, Some(&q(2))), Err(Errno::EAGAIN));
    assert_eq!(
        t.send(
            Signo::SIGRTMIN,
            Some(&SignalInfo::user(Signo::SIGRTMIN, 1, 0))
        )
        .unwrap()
        .fate,
        Fate::InfoLost
    );
}

#[test]
fn rule14_a_freed_group_gives_back_the_charge_of_what_is_still_queued() {
    let limit = Arc::new(PendingLimit::new(8));
    let p = Arc::new(Process::new(Arc::new(SignalActions::new()), limit.clone()));
    let t = Thread::new(&p, 1, SignalSet::ALL, CondvarQueue::default()).unwrap();
    let q = |v| SignalInfo::queue(Signo::SIGRTMIN, 1, 0, v);
    let shared = p.send(Signo::SIGRTMIN, Some(&q(1))).unwrap();
    let private = t.send(Signo::SIGRTMIN, Some(&q(2))).unwrap();
    assert_eq!([shared.fate, private.fate], [Fate::Queued; 2]);
    assert_eq!(limit.queued(), 2);
    drop(t);
    assert_eq!(limit.queued(), 1, "the private queue goes with the thread");
    drop(p);
    assert_eq!(limit.queued(), 0, "the shared queue goes with the group");
}

#[test]
fn rule17_thread_directed_signals_never_move_to_another_thread() {
    let (_p, t) = group(2, SignalSet::EMPTY);
    t[0].sigprocmask(MaskHow::Block, set(&[Signo::SIGUSR1]));
    t[0].send(Signo::SIGUSR1, None).unwrap();
    assert!(
        t[1].get_signal().is_none(),
        "T1 does not take T0's private signal"
    );
    assert_eq!(t[0].sigpending(), set(&[Signo::SIGUSR1]));
}

#[test]
fn rule18_leader_is_chosen_first_when_it_wants_the_signal() {
    let (p, t) = group(3, SignalSet::EMPTY);
    catch(&p, &[Signo::SIGUSR1]);
    let out = p.send(Signo::SIGUSR1, None).unwrap();
    assert_eq!(out.woken, Some(100));
    assert!(t[0].has_pending() && !t[1].has_pending() && !t[2].has_pending());
}

#[test]
fn rule18_scan_starts_at_curr_target_and_it_moves_to_the_chosen_thread() {
    let (p, t) = group(4, SignalSet::EMPTY);
    catch(&p, &[Signo::SIGUSR1]);
    t[0].sigprocmask(MaskHow::Block, set(&[Signo::SIGUSR1]));
    t[1].sigprocmask(MaskHow::Block, set(&[Signo::SIGUSR1]));
    assert_eq!(
        p.send(Signo::SIGUSR1, None).unwrap().woken,
        Some(102),
        "first wanting thread after the leader"
    );
    assert_eq!(handled(&deliver_all(&t[2])), [10]);
    t[2].sigprocmask(MaskHow::Unblock, set(&[Signo::SIGUSR1]));
    // curr_target is now T2: it is scanned first even though T3 also wants it.
    assert_eq!(p.send(Signo::SIGUSR1, None).unwrap().woken, Some(102));
    deliver_all(&t[2]);
    t[2].sigprocmask(MaskHow::Block, set(&[Signo::SIGUSR1]));
    assert_eq!(p.send(Signo::SIGUSR1, None).unwrap().woken, Some(103));
}

#[test]
fn rule18_nobody_wants_it_so_it_stays_shared_until_a_thread_unblocks() {
    let (p, t) = group(2, SignalSet::ALL);
    catch(&p, &[Signo::SIGUSR2]);
    let out = p.send(Signo::SIGUSR2, None).unwrap();
    assert_eq!((out.fate, out.woken), (Fate::Queued, None));
    t[1].sigprocmask(MaskHow::Unblock, set(&[Signo::SIGUSR2]));
    assert!(t[1].has_pending());
    assert_eq!(handled(&deliver_all(&t[1])), [12]);
    assert!(p.shared_pending().is_empty());
}

#[test]
fn rule19_exiting_threads_do_not_want_signals() {
    let (p, mut t) = group(3, SignalSet::EMPTY);
    catch(&p, &[Signo::SIGUSR1]);
    t[0].sigprocmask(MaskHow::Block, set(&[Signo::SIGUSR1]));
    let t1 = t.remove(1);
    t1.exit();
    assert_eq!(p.send(Signo::SIGUSR1, None).unwrap().woken, Some(102));
}

#[test]
fn rule20_fatal_default_signal_to_an_unblocking_thread_starts_group_exit() {
    let (p, t) = group(2, SignalSet::ALL);
    t[1].sigprocmask(MaskHow::Unblock, set(&[Signo::SIGTERM]));
    let out = p.send(Signo::SIGTERM, None).unwrap();
    assert!(out.group_exit);
    assert!(t[0].has_pending() && t[1].has_pending());
    // Core-dump signals are not started at generation: the thread dumps at dequeue.
    let (p, t) = group(1, SignalSet::EMPTY);
    assert!(!p.send(Signo::SIGQUIT, None).unwrap().group_exit);
    assert_eq!(t[0].get_signal(), Some(exit(Signo::SIGQUIT, true)));
}

#[test]
fn rule29_sa_mask_loses_kill_and_stop_and_flags_are_sanitised() {
    let p = process();
    let a = SignalAction::new(
        Disposition::Handler(0x10),
        SaFlags::SIGINFO,
        SignalSet::ALL,
        0,
    );
    p.sigaction(Signo::SIGUSR1, Some(a)).unwrap();
    let back = p.sigaction(Signo::SIGUSR1, None).unwrap();
    assert_eq!(back.mask(), SignalSet::ALL.without_unblockable());
}

#[test]
fn rule30_setting_sig_ign_flushes_the_signal_from_every_queue_even_if_blocked() {
    let (p, t) = group(2, SignalSet::ALL);
    kill(&p, Signo::SIGUSR1);
    t[0].send(Signo::SIGUSR1, None).unwrap();
    t[1].send(Signo::SIGUSR1, None).unwrap();
    kill(&p, Signo::SIGCHLD);
    p.sigaction(Signo::SIGUSR1, Some(SignalAction::IGNORE))
        .unwrap();
    assert!(
        t[0].sigpending() == set(&[Signo::SIGCHLD]) && t[1].sigpending() == set(&[Signo::SIGCHLD])
    );
    // SIG_DFL on a default-ignore signal flushes too.
    p.sigaction(Signo::SIGCHLD, Some(SignalAction::DEFAULT))
        .unwrap();
    assert!(t[0].sigpending().is_empty());
}

#[test]
fn rule31_sigprocmask_silently_drops_kill_and_stop() {
    let (_p, t) = group(1, SignalSet::EMPTY);
    assert_eq!(
        t[0].sigprocmask(MaskHow::SetMask, SignalSet::ALL),
        SignalSet::EMPTY
    );
    assert_eq!(t[0].blocked(), SignalSet::ALL.without_unblockable());
    t[0].sigprocmask(MaskHow::Unblock, set(&[Signo::SIGINT]));
    assert!(!t[0].blocked().contains(Signo::SIGINT));
}

#[test]
fn rule32_blocking_a_shared_signal_hands_it_to_another_thread() {
    let (p, t) = group(2, SignalSet::EMPTY);
    catch(&p, &[Signo::SIGUSR1]);
    assert_eq!(p.send(Signo::SIGUSR1, None).unwrap().woken, Some(100));
    assert!(!t[1].has_pending());
    t[0].sigprocmask(MaskHow::Block, set(&[Signo::SIGUSR1]));
    assert!(t[1].has_pending(), "retarget_shared_pending woke T1");
    assert_eq!(handled(&deliver_all(&t[1])), [10]);
}

#[test]
fn rule32_exiting_thread_hands_shared_signals_on() {
    let (p, mut t) = group(2, SignalSet::EMPTY);
    catch(&p, &[Signo::SIGUSR1]);
    t[1].sigprocmask(MaskHow::Block, set(&[Signo::SIGUSR1]));
    t[0].sigprocmask(MaskHow::Block, set(&[Signo::SIGUSR2]));
    p.send(Signo::SIGUSR1, None).unwrap();
    t[1].sigprocmask(MaskHow::Unblock, set(&[Signo::SIGUSR1]));
    let t0 = t.remove(0);
    t0.exit();
    assert!(t[0].has_pending());
}

#[test]
fn rule33_sigpending_is_private_or_shared_and_blocked() {
    let (p, t) = group(2, set(&[Signo::SIGUSR1, Signo::SIGUSR2]));
    kill(&p, Signo::SIGUSR1);
    t[1].send(Signo::SIGUSR2, None).unwrap();
    assert_eq!(t[0].sigpending(), set(&[Signo::SIGUSR1]));
    assert_eq!(t[1].sigpending(), set(&[Signo::SIGUSR1, Signo::SIGUSR2]));
    t[1].sigprocmask(MaskHow::Unblock, set(&[Signo::SIGUSR2]));
    catch(&p, &[Signo::SIGUSR2]);
    assert_eq!(t[1].sigpending(), set(&[Signo::SIGUSR1]));
}

#[test]
fn rule34_sigtimedwait_takes_from_the_set_whatever_the_mask_in_get_signal_order() {
    let (p, t) = group(1, SignalSet::EMPTY);
    catch(&p, &[Signo::SIGUSR1]);
    t[0].sigprocmask(MaskHow::Block, set(&[Signo::SIGSEGV, Signo::SIGHUP]));
    kill(&p, Signo::SIGHUP);
    kill(&p, Signo::SIGSEGV);
    t[0].send(Signo::SIGHUP, Some(&SignalInfo::tkill(Signo::SIGHUP, 5, 0)))
        .unwrap();
    let w = set(&[Signo::SIGHUP, Signo::SIGSEGV, Signo::SIGKILL]);
    let got: Vec<(u32, i32)> = (0..3)
        .map(|_| {
            t[0].sigtimedwait(w, Some(Duration::ZERO))
                .map(|(s, i)| (s.get(), i.code()))
                .unwrap()
        })
        .collect();
    assert_eq!(
        got,
        [(1, code::SI_TKILL), (11, code::SI_USER), (1, code::SI_USER)],
        "private first, SEGV first"
    );
    assert_eq!(
        t[0].sigtimedwait(w, Some(Duration::ZERO)),
        Err(Errno::EAGAIN),
        "poll with nothing"
    );
}

#[test]
fn rule34_sigtimedwait_times_out_with_eagain() {
    let (_p, t) = group(1, SignalSet::ALL);
    let start = std::time::Instant::now();
    assert_eq!(
        t[0].sigtimedwait(set(&[Signo::SIGUSR1]), Some(Duration::from_millis(30))),
        Err(Errno::EAGAIN)
    );
    assert!(start.elapsed() >= Duration::from_millis(30));
    assert_eq!(t[0].blocked(), SignalSet::ALL.without_unblockable());
}

#[test]
fn rule34_sigtimedwait_is_interrupted_by_another_deliverable_signal() {
    let (p, t) = group(1, SignalSet::ALL);
    catch(&p, &[Signo::SIGUSR2]);
    t[0].sigprocmask(MaskHow::Unblock, set(&[Signo::SIGUSR2]));
    let p2 = p.clone();
    let sender = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(30));
        p2.send(Signo::SIGUSR2, None).unwrap()
    });
    let r = t[0].sigtimedwait(set(&[Signo::SIGUSR1]), Some(Duration::from_secs(5)));
    assert_eq!(sender.join().unwrap().woken, Some(100));
    assert_eq!(r, Err(Errno::EINTR));
    assert_eq!(
        handled(&deliver_all(&t[0])),
        [12],
        "the interrupting signal is then delivered"
    );
}

#[test]
fn rule34_process_directed_signal_wakes_the_waiter_that_wants_it() {
    let (p, t) = group(3, SignalSet::ALL);
    let t = Arc::new(t);
    let t2 = t.clone();
    let waiter = std::thread::spawn(move || {
        t2[2].sigtimedwait(set(&[Signo::SIGUSR1]), Some(Duration::from_secs(5)))
    });
    while t[2].blocked().contains(Signo::SIGUSR1) {
        std::thread::yield_now();
    }
    let out = p
        .send(
            Signo::SIGUSR1,
            Some(&SignalInfo::queue(Signo::SIGUSR1, 7, 0, 99)),
        )
        .unwrap();
    assert_eq!(out.woken, Some(102), "exactly the waiter");
    assert_eq!(
        waiter.join().unwrap().map(|(s, i)| (s, i.value())),
        Ok((Signo::SIGUSR1, 99))
    );
    assert!(!t[0].has_pending() && !t[1].has_pending());
}

#[test]
fn rule36_sigsuspend_restores_the_mask_at_once_when_no_handler_runs() {
    let (p, t) = group(1, set(&[Signo::SIGUSR1, Signo::SIGCHLD]));
    kill(&p, Signo::SIGCHLD); // blocked, default-ignore: stays queued
    assert_eq!(t[0].sigsuspend(SignalSet::EMPTY), Errno::ERESTARTNOHAND);
    assert_eq!(t[0].get_signal(), None, "SIGCHLD consumed silently");
    assert_eq!(t[0].blocked(), set(&[Signo::SIGUSR1, Signo::SIGCHLD]));
}

#[test]
fn rule36_sigsuspend_mask_goes_into_the_frame_when_a_handler_runs() {
    let (p, t) = group(1, set(&[Signo::SIGUSR1]));
    catch(&p, &[Signo::SIGUSR1]);
    kill(&p, Signo::SIGUSR1);
    assert_eq!(t[0].sigsuspend(SignalSet::EMPTY), Errno::ERESTARTNOHAND);
    let Some(Delivery::Handler(h)) = t[0].get_signal() else {
        panic!("handler expected")
    };
    assert_eq!(h.saved_mask, set(&[Signo::SIGUSR1]));
    t[0].signal_delivered(&h);
    assert_eq!(
        t[0].blocked(),
        set(&[Signo::SIGUSR1]),
        "sa_mask and the signal, on top of the suspend mask"
    );
    assert_eq!(t[0].get_signal(), None);
    t[0].restore_saved_mask(h.saved_mask);
    assert_eq!(t[0].blocked(), set(&[Signo::SIGUSR1]));
}

#[test]
fn rule39_private_queue_is_dequeued_before_shared() {
    let (p, t) = group(1, SignalSet::ALL);
    catch(&p, &[Signo::SIGUSR2, Signo::SIGUSR1]);
    kill(&p, Signo::SIGUSR1);
    t[0].send(Signo::SIGUSR2, None).unwrap();
    t[0].sigprocmask(MaskHow::SetMask, SignalSet::EMPTY);
    let Some(Delivery::Handler(h)) = t[0].get_signal() else {
        panic!()
    };
    assert_eq!(h.sig, Signo::SIGUSR2);
}

#[test]
fn rule47_resethand_resets_the_handler_only_at_dequeue() {
    let (p, t) = group(1, SignalSet::ALL);
    let a = SignalAction::handler(
        0x10,
        SaFlags::SIGINFO | SaFlags::RESETHAND,
        set(&[Signo::SIGUSR2]),
    );
    p.sigaction(Signo::SIGRTMIN, Some(a)).unwrap();
    for v in 0..2 {
        p.send(
            Signo::SIGRTMIN,
            Some(&SignalInfo::queue(Signo::SIGRTMIN, 1, 0, v)),
        )
        .unwrap();
    }
    t[0].sigprocmask(MaskHow::SetMask, SignalSet::EMPTY);
    let Some(Delivery::Handler(h)) = t[0].get_signal() else {
        panic!()
    };
    assert_eq!(h.action, a);
    let now = p.sigaction(Signo::SIGRTMIN, None).unwrap();
    assert_eq!(
        (now.disposition(), now.flags(), now.mask()),
        (Disposition::Default, a.flags(), a.mask())
    );
    t[0].signal_delivered(&h);
    t[0].restore_saved_mask(h.saved_mask);
    assert_eq!(
        t[0].get_signal(),
        Some(exit(Signo::SIGRTMIN, false)),
        "second sees SIG_DFL"
    );
}

#[test]
fn rule47a_handlers_stack_in_dequeue_order_and_nodefer_lets_rt_instances_nest() {
    let (p, t) = group(1, SignalSet::ALL);
    for s in [Signo::SIGSEGV, Signo::SIGHUP, Signo::SIGUSR1] {
        p.sigaction(s, Some(handler(SaFlags::empty()))).unwrap();
        kill(&p, s);
    }
    t[0].sigprocmask(MaskHow::SetMask, SignalSet::EMPTY);
    assert_eq!(
        handled(&deliver_all(&t[0])),
        [11, 1, 10],
        "dequeued SEGV, HUP, USR1: run USR1, HUP, SEGV"
    );
    // Three instances of SIGRTMIN queued to a handler of `flags`: how many frames
    // are pushed at once.
    let frames_at_once = |flags: SaFlags| {
        let (p, t) = group(1, SignalSet::ALL);
        let rt = Signo::SIGRTMIN;
        p.sigaction(rt, Some(handler(flags))).unwrap();
        for v in 1..=3 {
            p.send(rt, Some(&SignalInfo::queue(rt, 1, 0, v))).unwrap();
        }
        t[0].sigprocmask(MaskHow::SetMask, SignalSet::EMPTY);
        deliver_all(&t[0]).len()
    };
    // Without SA_NODEFER the second RT instance waits for the first handler.
    assert_eq!(frames_at_once(SaFlags::empty()), 1);
    // With it, all three are pushed at once.
    assert_eq!(frames_at_once(SaFlags::NODEFER), 3);
}

#[test]
fn rule47b_fatal_default_signal_in_the_loop_ends_the_group_before_pushed_handlers_run() {
    let (p, t) = group(1, SignalSet::ALL);
    catch(&p, &[Signo::SIGHUP]);
    kill(&p, Signo::SIGHUP);
    kill(&p, Signo::SIGTERM);
    t[0].sigprocmask(MaskHow::SetMask, SignalSet::EMPTY);
    let d = deliver_all(&t[0]);
    assert_eq!(handled(&d), [1]);
    assert_eq!(d.last(), Some(&exit(Signo::SIGTERM, false)));
}

#[test]
fn rule48_frame_failure_forces_sigsegv_fatal_if_it_was_sigsegv() {
    let (p, t) = group(1, SignalSet::EMPTY);
    catch(&p, &[Signo::SIGSEGV]);
    t[0].force_sigsegv(Signo::SIGSEGV).unwrap();
    assert_eq!(t[0].get_signal(), Some(exit(Signo::SIGSEGV, true)));
}

#[test]
fn force_signal_unblocks_and_resets_a_blocked_fault() {
    let (p, t) = group(1, set(&[Signo::SIGBUS]));
    catch(&p, &[Signo::SIGBUS]);
    t[0].force_signal(Signo::SIGBUS, &SignalInfo::fault(Signo::SIGBUS, 2, 0x40))
        .unwrap();
    assert!(!t[0].blocked().contains(Signo::SIGBUS));
    assert_eq!(t[0].get_signal(), Some(exit(Signo::SIGBUS, true)));
}

#[test]
fn rule52_sigreturn_restores_the_mask_without_kill_and_stop() {
    let (_p, t) = group(1, SignalSet::EMPTY);
    t[0].restore_saved_mask(SignalSet::ALL);
    assert_eq!(t[0].blocked(), SignalSet::ALL.without_unblockable());
}

#[test]
fn rule54_exec_resets_handlers_keeps_ignore_mask_and_pending() {
    let (p, t) = group(1, set(&[Signo::SIGUSR1]));
    catch(&p, &[Signo::SIGUSR1]);
    p.sigaction(Signo::SIGUSR2, Some(SignalAction::IGNORE))
        .unwrap();
    kill(&p, Signo::SIGUSR1);
    p.exec();
    assert_eq!(
        p.sigaction(Signo::SIGUSR1, None).unwrap().disposition(),
        Disposition::Default
    );
    assert_eq!(
        p.sigaction(Signo::SIGUSR2, None).unwrap().disposition(),
        Disposition::Ignore
    );
    assert_eq!(t[0].sigpending(), set(&[Signo::SIGUSR1]));
}

#[test]
fn fork_copies_actions_and_starts_with_nothing_pending() {
    let (p, t) = group(1, set(&[Signo::SIGUSR1]));
    catch(&p, &[Signo::SIGUSR2]);
    kill(&p, Signo::SIGUSR1);
    let child = Arc::new(p.fork(false));
    let ct = Thread::new(&child, 200, t[0].blocked(), CondvarQueue::default()).unwrap();
    assert_eq!(
        child.sigaction(Signo::SIGUSR2, None).unwrap(),
        handler(SaFlags::empty())
    );
    assert!(ct.sigpending().is_empty());
    assert_eq!(ct.blocked(), set(&[Signo::SIGUSR1]));
    child
        .sigaction(Signo::SIGUSR2, Some(SignalAction::DEFAULT))
        .unwrap();
    assert!(
        p.sigaction(Signo::SIGUSR2, None).unwrap().is_handler(),
        "separate tables"
    );
}

#[test]
fn idle_check_flag_tracks_deliverability() {
    let (p, t) = group(1, SignalSet::ALL);
    kill(&p, Signo::SIGUSR1);
    assert!(!t[0].has_pending(), "blocked: nothing deliverable");
    t[0].sigprocmask(MaskHow::Unblock, set(&[Signo::SIGUSR1]));
    assert!(t[0].has_pending());
    t[0].sigprocmask(MaskHow::Block, set(&[Signo::SIGUSR1]));
    assert!(!t[0].has_pending());
}

#[test]
fn unkillable_group_discards_default_action_signals() {
    let (p, t) = group(1, SignalSet::EMPTY);
    p.set_unkillable(true);
    assert_eq!(kill(&p, Signo::SIGTERM), Fate::Ignored);
    assert_eq!(kill(&p, Signo::SIGKILL), Fate::Ignored);
    catch(&p, &[Signo::SIGUSR1]);
    kill(&p, Signo::SIGUSR1);
    assert_eq!(handled(&deliver_all(&t[0])), [10]);
}

#[test]
fn generation_hooks_observe_pending_signals_in_registration_order() {
    use ksignal::{HookEvent, PidType};
    use std::sync::Mutex;
    let (p, t) = group(1, SignalSet::ALL);
    type Seen = Vec<(u8, u32, PidType, i32)>;
    let seen: Arc<Mutex<Seen>> = Arc::default();
    for id in [1u8, 2] {
        let seen = seen.clone();
        let hook = Arc::new(move |s: Signo, e: &HookEvent| {
            seen.lock().unwrap().push((id, s.get(), e.target, e.code))
        });
        p.hooks()
            .register(set(&[Signo::SIGUSR1, Signo::SIGKILL]), hook)
            .unwrap();
    }
    kill(&p, Signo::SIGUSR1);
    kill(&p, Signo::SIGUSR1); // coalesced: not generated again
    t[0].send(
        Signo::SIGUSR1,
        Some(&SignalInfo::tkill(Signo::SIGUSR1, 3, 0)),
    )
    .unwrap();
    kill(&p, Signo::SIGUSR2); // not observed
    p.send(Signo::SIGKILL, None).unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            (1, 10, PidType::Tgid, code::SI_USER),
            (2, 10, PidType::Tgid, code::SI_USER),
            (1, 10, PidType::Pid, code::SI_TKILL),
            (2, 10, PidType::Pid, code::SI_TKILL),
            (1, 9, PidType::Tgid, 0),
            (2, 9, PidType::Tgid, 0),
        ]
    );
}

#[test]
fn rule19_a_running_thread_is_chosen_even_with_a_signal_already_pending() {
    let (p, t) = group(2, SignalSet::EMPTY);
    catch(&p, &[Signo::SIGUSR1, Signo::SIGUSR2]);
    // T0 (the leader) already has something to handle.
    t[0].send(Signo::SIGUSR2, None).unwrap();
    assert!(t[0].has_pending());
    // Not running: complete_signal passes over it.
    assert_eq!(p.send(Signo::SIGUSR1, None).unwrap().woken, Some(101));
    deliver_all(&t[1]);
    t[1].sigprocmask(MaskHow::Unblock, set(&[Signo::SIGUSR1])); // the handler's sigreturn
    // Running on a CPU (task_curr): it is taken at once, as Linux does.
    t[0].set_on_cpu(true);
    assert_eq!(p.send(Signo::SIGUSR1, None).unwrap().woken, Some(100));
}
