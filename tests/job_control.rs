//! Job control as Linux 6.18 completes it (issue 15, section 5; rules 70 to 74 of
//! `ksignal::docs::rules`): a group stop that reaches threads waiting in
//! `sigtimedwait` and `sigsuspend`, its completion and each continue reported
//! exactly once, orphaned process groups at exit, `PR_SET_PDEATHSIG`, and the
//! exit signal that falls back to SIGCHLD after the parent's exec. Each test is
//! named after the rule it checks.

mod common {
    pub mod delivery;
    pub mod group;
    pub mod return_to_user;
    pub mod user_memory;
    pub mod user_stack;
    pub mod wait;
}
mod syscall_sim;

use common::delivery::{deliver_all, handled};
use common::return_to_user::return_to_user;
use common::wait::CondvarQueue;
use ksignal::SaFlags;
use ksignal::code;
use ksignal::syscall::{Credentials, TaskIds, TaskTable, sys_prctl_pdeathsig};
use ksignal::{
    ChildStop, ExitingTask, OrphanCheck, exit_signal_for_parent, kill_orphaned_pgrp,
    send_pdeath_signal,
};
use ksignal::{Delivery, Errno, MaskHow, SignalAction, SignalSet, Signo};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use syscall_sim::{BAD, BASE, Mem, Sim};

use common::group::{Process, Thread};

/// A process with `n` threads, tids 100.., nothing blocked.
fn group(n: usize) -> (Arc<Process>, Vec<Thread>) {
    common::group::group(n, SignalSet::EMPTY)
}

fn handler() -> SignalAction {
    SignalAction::handler(0x1000, SaFlags::SIGINFO, SignalSet::EMPTY)
}

const STOP: Delivery = Delivery::Stop(Signo::SIGSTOP);

/// `t` dequeues a SIGSTOP sent to its process and starts the group stop.
fn start_stop(p: &Process, t: &Thread) {
    p.send(Signo::SIGSTOP, None).unwrap();
    assert_eq!(deliver_all(t), [STOP]);
}

/// A one-thread group its SIGSTOP has stopped.
fn stopped_group() -> (Arc<Process>, Vec<Thread>) {
    let (p, t) = group(1);
    start_stop(&p, &t[0]);
    (p, t)
}

/// The report of a stop by SIGSTOP.
const STOPPED: Option<ChildStop> = Some(ChildStop::Stopped(Signo::SIGSTOP));

// ---- Rule 70: a group stop reaches every thread, waiters included.

#[test]
fn rule70_group_stop_ends_a_sigtimedwait_with_eintr_and_completes_while_the_waiter_is_in_the_call()
{
    let (p, t) = group(2);
    let set = SignalSet::single(Signo::SIGUSR1);
    t[1].sigprocmask(MaskHow::Block, set);
    std::thread::scope(|s| {
        let waiter = s.spawn(|| t[1].sigtimedwait(set, Some(Duration::from_secs(30))));
        // Let the waiter sleep, then stop the group from the other thread.
        std::thread::sleep(Duration::from_millis(50));
        start_stop(&p, &t[0]);
        assert_eq!(
            waiter.join().unwrap(),
            Err(Errno::EINTR),
            "do_sigtimedwait returns EINTR when the stop wakes it"
        );
    });
    // The waiter has not returned to user space: the stop is not complete until it
    // takes part on its way out.
    assert!(t[1].has_pending(), "JOBCTL_STOP_PENDING keeps its flag set");
    assert!(!p.is_stop_complete());
    assert_eq!(p.take_cldstop(), None);
    assert_eq!(deliver_all(&t[1]), [STOP]);
    assert!(p.is_stop_complete());
    assert_eq!(p.take_cldstop(), STOPPED);
    // A signal of its set sent while stopped stays queued; the continue does not
    // make the call take it: it returned EINTR already.
    t[1].send(Signo::SIGUSR1, None).unwrap();
    assert!(p.send(Signo::SIGCONT, None).unwrap().resumed);
    assert_eq!(p.take_cldstop(), Some(ChildStop::Continued));
    assert_eq!(deliver_all(&t[1]), []);
    assert_eq!(
        t[1].sigpending(),
        set,
        "the mask is back, SIGUSR1 still pending"
    );
}

#[test]
fn rule70_group_stop_ends_a_sigsuspend_which_restarts_without_running_a_handler() {
    let (p, t) = group(2);
    p.sigaction(Signo::SIGUSR1, Some(handler())).unwrap();
    let before = SignalSet::single(Signo::SIGUSR1);
    t[1].sigprocmask(MaskHow::SetMask, before);
    std::thread::scope(|s| {
        let waiter = s.spawn(|| t[1].sigsuspend(SignalSet::single(Signo::SIGUSR2)));
        std::thread::sleep(Duration::from_millis(50));
        start_stop(&p, &t[0]);
        assert_eq!(waiter.join().unwrap(), Errno::ERESTARTNOHAND);
    });
    assert_eq!(deliver_all(&t[1]), [STOP], "it takes part in the stop");
    assert_eq!(p.take_cldstop(), STOPPED);
    assert!(p.send(Signo::SIGCONT, None).unwrap().resumed);
    // No handler runs: get_signal finds nothing, so the mask sigsuspend replaced
    // comes back at once and ERESTARTNOHAND restarts the call.
    assert_eq!(deliver_all(&t[1]), []);
    assert_eq!(t[1].sigprocmask(MaskHow::Block, SignalSet::EMPTY), before);
}

#[test]
fn rule70_after_the_stop_do_signal_restarts_sigsuspend_and_leaves_sigtimedwaits_eintr() {
    use ksignal::frame::NoFp;
    use ksignal::frame::x86_64::X86_64Context;
    use ksignal::{KernelFrameInfo, UserReturn};
    let (p, t) = group(2);
    let mut mem = common::user_stack::memory();
    // What each call left in the return register when the stop woke it.
    for (nr, ret) in [
        (130, Errno::ERESTARTNOHAND.as_neg_ret()),
        (128, Errno::EINTR.as_neg_ret()),
    ] {
        start_stop(&p, &t[0]);
        let mut ctx = X86_64Context {
            rip: 0x40_0500,
            rsp: common::user_stack::stack_top(),
            in_syscall: true,
            orig_rax: nr,
            rax: ret as u64,
            ..Default::default()
        };
        let k = KernelFrameInfo::default();
        assert_eq!(
            return_to_user(&t[1], &mut ctx, &mut NoFp, &mut mem, k),
            UserReturn::Stop(Signo::SIGSTOP),
            "it stops before the restart rules run"
        );
        assert_eq!((ctx.rip, ctx.rax), (0x40_0500, ret as u64));
        p.send(Signo::SIGCONT, None).unwrap();
        assert_eq!(
            return_to_user(&t[1], &mut ctx, &mut NoFp, &mut mem, k),
            UserReturn::Resume
        );
        if nr == 130 {
            // rt_sigsuspend: no handler ran, so the call restarts.
            assert_eq!((ctx.rip, ctx.rax), (0x40_0500 - 2, 130));
        } else {
            // rt_sigtimedwait: EINTR reaches user space.
            assert_eq!((ctx.rip, ctx.rax), (0x40_0500, ret as u64));
        }
        while p.take_cldstop().is_some() {}
    }
}

#[test]
fn rule70_group_stop_ends_pause() {
    let (p, t) = group(2);
    std::thread::scope(|s| {
        let waiter = s.spawn(|| t[1].pause());
        std::thread::sleep(Duration::from_millis(50));
        start_stop(&p, &t[0]);
        assert_eq!(waiter.join().unwrap(), Errno::ERESTARTNOHAND);
    });
}

#[test]
fn rule70_group_stop_completes_when_the_last_thread_takes_part() {
    let (p, t) = group(3);
    start_stop(&p, &t[0]);
    assert!(p.is_stopped() && !p.is_stop_complete());
    assert!(t[1].has_pending() && t[2].has_pending());
    assert_eq!(p.take_cldstop(), None);
    assert_eq!(deliver_all(&t[2]), [STOP]);
    assert_eq!(p.take_cldstop(), None);
    assert_eq!(deliver_all(&t[1]), [STOP]);
    assert!(p.is_stop_complete());
    assert_eq!(p.take_cldstop(), STOPPED);
    assert_eq!(p.take_cldstop(), None);
    assert!(!t[1].has_pending() && !t[2].has_pending());
}

#[test]
fn rule70_a_thread_with_a_stop_to_take_part_in_stops_before_taking_a_signal() {
    let (p, t) = group(2);
    p.sigaction(Signo::SIGUSR1, Some(handler())).unwrap();
    t[1].send(Signo::SIGUSR1, None).unwrap();
    start_stop(&p, &t[0]);
    assert_eq!(deliver_all(&t[1]), [STOP]);
    p.send(Signo::SIGCONT, None).unwrap();
    assert_eq!(handled(&deliver_all(&t[1])), [Signo::SIGUSR1.get()]);
}

#[test]
fn rule70_an_exiting_thread_takes_part_in_a_stop_in_progress() {
    let (p, mut t) = group(3);
    start_stop(&p, &t[0]);
    assert_eq!(deliver_all(&t[1]), [STOP]);
    t.pop().unwrap().exit();
    assert!(p.is_stop_complete(), "exit_signals completes the stop");
    assert_eq!(p.take_cldstop(), STOPPED);
}

#[test]
fn rule70_a_thread_created_during_a_stop_in_progress_joins_it() {
    let (p, t) = group(2);
    start_stop(&p, &t[0]);
    let late = Thread::new(&p, 200, SignalSet::EMPTY, CondvarQueue::default()).unwrap();
    assert!(late.has_pending());
    assert_eq!(deliver_all(&t[1]), [STOP]);
    assert!(
        !p.is_stop_complete(),
        "task_join_group_stop counted the new thread"
    );
    assert_eq!(deliver_all(&late), [STOP]);
    assert!(p.is_stop_complete());
    drop(t);
}

#[test]
fn rule70_sigkill_ends_a_stop_in_progress_and_clears_every_stop_to_take_part_in() {
    let (p, t) = group(3);
    start_stop(&p, &t[0]);
    assert!(p.send(Signo::SIGKILL, None).unwrap().group_exit);
    for th in &t[1..] {
        assert!(matches!(
            deliver_all(th)[..],
            [Delivery::Exit {
                sig: Signo::SIGKILL,
                ..
            }]
        ));
    }
    assert_eq!(
        p.take_cldstop(),
        None,
        "a killed group reports its exit only"
    );
}

// ---- Rule 72: CLD_STOPPED and CLD_CONTINUED once per transition.

#[test]
fn rule72_two_sigconts_continue_and_report_once() {
    let (p, _t) = stopped_group();
    assert_eq!(p.take_cldstop(), STOPPED);
    assert!(p.send(Signo::SIGCONT, None).unwrap().resumed);
    assert!(!p.send(Signo::SIGCONT, None).unwrap().resumed);
    assert_eq!(p.take_cldstop(), Some(ChildStop::Continued));
    assert_eq!(p.take_cldstop(), None);
}

#[test]
fn rule72_concurrent_sigconts_resume_and_report_once() {
    for _ in 0..50 {
        let (p, t) = group(1);
        start_stop(&p, &t[0]);
        let _ = p.take_cldstop();
        let resumed = AtomicUsize::new(0);
        let reported = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    if p.send(Signo::SIGCONT, None).unwrap().resumed {
                        resumed.fetch_add(1, Ordering::Relaxed);
                    }
                    if p.take_cldstop() == Some(ChildStop::Continued) {
                        reported.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
        });
        assert_eq!(resumed.load(Ordering::Relaxed), 1);
        assert_eq!(reported.load(Ordering::Relaxed), 1);
    }
}

#[test]
fn rule72_sigcont_during_a_stop_in_progress_reports_cld_stopped_only() {
    let (p, t) = group(2);
    start_stop(&p, &t[0]);
    assert!(p.send(Signo::SIGCONT, None).unwrap().resumed);
    // Linux pretends the stop completed and the continue's report was lost.
    assert_eq!(p.take_cldstop(), STOPPED);
    assert_eq!(p.take_cldstop(), None);
    assert_eq!(deliver_all(&t[1]), [], "nothing left to take part in");
}

#[test]
fn rule72_a_stop_and_a_continue_not_yet_taken_are_both_reported_in_order() {
    let (p, _t) = stopped_group();
    assert!(p.send(Signo::SIGCONT, None).unwrap().resumed);
    assert_eq!(p.take_cldstop(), STOPPED);
    assert_eq!(p.take_cldstop(), Some(ChildStop::Continued));
    assert_eq!(p.take_cldstop(), None);
}

#[test]
fn rule72_a_group_exit_forgets_a_continue_not_yet_reported() {
    let (p, _t) = stopped_group();
    assert_eq!(p.take_cldstop(), STOPPED);
    assert!(p.send(Signo::SIGCONT, None).unwrap().resumed);
    p.start_group_exit(Signo::SIGKILL);
    assert_eq!(p.take_cldstop(), None);
}

#[test]
fn rule72_each_new_stop_reports_its_own_signal() {
    let (p, t) = stopped_group();
    assert_eq!(p.take_cldstop(), STOPPED);
    p.send(Signo::SIGCONT, None).unwrap();
    assert_eq!(p.take_cldstop(), Some(ChildStop::Continued));
    p.send(Signo::SIGTSTP, None).unwrap();
    assert_eq!(deliver_all(&t[0]), [Delivery::Stop(Signo::SIGTSTP)]);
    assert_eq!(p.take_cldstop(), Some(ChildStop::Stopped(Signo::SIGTSTP)));
}

// ---- Rule 71: orphaned process groups at exit.

const PARENT: i32 = 50;
const CHILD: i32 = 60;

/// A parent (pid 50, its own group, session 5) and a child (pid 60) in a group of
/// its own in the same session; the child's threads block nothing.
fn family() -> Sim {
    let mut sim = Sim::new();
    sim.spawn(1, &[1], 1, 1, Credentials::ROOT);
    sim.spawn(PARENT, &[PARENT], PARENT, 5, Credentials::user(1000));
    sim.spawn(
        CHILD,
        &[CHILD, CHILD + 1],
        CHILD,
        5,
        Credentials::user(1000),
    );
    for tid in [CHILD, CHILD + 1] {
        sim.thread(tid)
            .sigprocmask(MaskHow::SetMask, SignalSet::EMPTY);
    }
    sim
}

fn ids(sim: &Sim, tgid: i32) -> TaskIds {
    sim.proc(tgid).ids(tgid)
}

fn stop_child(sim: &Sim) {
    sim.proc(CHILD).process.send(Signo::SIGSTOP, None).unwrap();
    assert_eq!(deliver_all(sim.thread(CHILD)), [STOP]);
    assert_eq!(deliver_all(sim.thread(CHILD + 1)), [STOP]);
    assert!(sim.proc(CHILD).process.is_stop_complete());
    assert_eq!(sim.proc(CHILD).process.take_cldstop(), STOPPED);
    sim.sent.lock().unwrap().clear();
}

fn sent(sim: &Sim) -> Vec<(i32, u32)> {
    sim.sent
        .lock()
        .unwrap()
        .iter()
        .map(|(t, s, _)| (*t, *s))
        .collect()
}

/// `kill_orphaned_pgrp` as the child leaves `parent` (`side`: the parent exits and
/// the child is reparented, or the child itself exits), every group it asks about
/// said to become orphaned or not as `orphaned` says: whether it signalled the
/// child's group, and what it asked (pgid, the process to ignore).
fn child_leaves(
    sim: &Sim,
    parent: &TaskIds,
    side: OrphanCheck,
    orphaned: bool,
) -> (bool, Vec<(i32, Option<i32>)>) {
    let mut asked = Vec::new();
    let mut groups = |pgid: i32, ignored: Option<i32>| {
        asked.push((pgid, ignored));
        orphaned
    };
    let signalled = kill_orphaned_pgrp(sim, &mut groups, &ids(sim, CHILD), parent, side);
    (signalled, asked)
}

#[test]
fn rule71_a_newly_orphaned_group_with_a_stopped_member_gets_sighup_then_sigcont() {
    let sim = family();
    for s in [Signo::SIGHUP, Signo::SIGCONT] {
        sim.proc(CHILD)
            .process
            .sigaction(s, Some(handler()))
            .unwrap();
    }
    stop_child(&sim);
    let parent = ids(&sim, PARENT);
    let (signalled, asked) = child_leaves(&sim, &parent, OrphanCheck::Reparent, true);
    assert!(signalled);
    assert_eq!(asked, [(CHILD, None)]);
    assert_eq!(sent(&sim), [(CHILD, 1), (CHILD, 18)]);
    let outcomes = sim.sent.lock().unwrap().clone();
    assert!(outcomes[1].2.resumed, "the SIGCONT continues the group");
    assert_eq!(
        sim.proc(CHILD).process.take_cldstop(),
        Some(ChildStop::Continued)
    );
    // Both are sent by the kernel, and the handlers run lowest number first.
    let d = deliver_all(sim.thread(CHILD));
    assert_eq!(handled(&d), [1, 18]);
    for d in d {
        if let Delivery::Handler(h) = d {
            assert_eq!(h.info.code(), code::SI_KERNEL);
        }
    }
}

#[test]
fn rule71_the_exit_side_ignores_the_exiting_process_itself() {
    let sim = family();
    stop_child(&sim);
    let parent = ids(&sim, PARENT);
    let (signalled, asked) = child_leaves(&sim, &parent, OrphanCheck::Exit, true);
    assert!(signalled);
    assert_eq!(asked, [(CHILD, Some(CHILD))]);
}

#[test]
fn rule71_no_signal_without_a_stopped_member_or_when_not_orphaned() {
    let sim = family();
    let parent = ids(&sim, PARENT);
    let nothing_stopped = child_leaves(&sim, &parent, OrphanCheck::Reparent, true);
    assert!(!nothing_stopped.0);
    stop_child(&sim);
    let not_orphaned = child_leaves(&sim, &parent, OrphanCheck::Reparent, false);
    assert!(!not_orphaned.0);
    assert!(sent(&sim).is_empty());
    assert!(sim.proc(CHILD).process.is_stopped());
}

#[test]
fn rule71_no_signal_when_the_parent_shares_the_group_or_is_in_another_session() {
    let sim = family();
    stop_child(&sim);
    let same_group = TaskIds {
        pgid: CHILD,
        ..ids(&sim, PARENT)
    };
    let other_session = TaskIds {
        sid: 6,
        ..ids(&sim, PARENT)
    };
    for parent in [same_group, other_session] {
        let (signalled, asked) = child_leaves(&sim, &parent, OrphanCheck::Reparent, true);
        assert!(!signalled);
        assert_eq!(asked, [], "will_become_orphaned_pgrp is not even asked");
    }
    assert!(sent(&sim).is_empty());
}

#[test]
fn rule71_a_stop_still_in_progress_is_not_a_stopped_job() {
    let sim = family();
    sim.proc(CHILD).process.send(Signo::SIGSTOP, None).unwrap();
    assert_eq!(deliver_all(sim.thread(CHILD)), [STOP]);
    let parent = ids(&sim, PARENT);
    assert!(!child_leaves(&sim, &parent, OrphanCheck::Exit, true).0);
}

// ---- Rule 73: PR_SET_PDEATHSIG.

fn exiting_parent(sim: &Sim) -> ExitingTask {
    ExitingTask {
        ids: ids(sim, PARENT),
        cred: sim.proc(PARENT).cred,
    }
}

/// The task for thread `tid` of the child, with its thread.
fn child_thread_task(
    sim: &Sim,
    tid: i32,
    f: impl FnOnce(&ksignal::syscall::Task<'_, CondvarQueue, ksignal::DefaultRawMutex>),
) {
    let mut f = Some(f);
    sim.find_task(tid, &mut |t| (f.take().unwrap())(t));
}

#[test]
fn rule73_pdeath_signal_goes_to_the_childs_group_as_si_user_from_the_exiting_parent() {
    let sim = family();
    let mut mem = Mem::new();
    let c = sim.caller(CHILD + 1);
    assert_eq!(
        sys_prctl_pdeathsig(&c, &mut mem, 1, Signo::SIGUSR1.get() as usize),
        Some(0)
    );
    let parent = exiting_parent(&sim);
    // The thread that asked gets nothing for its sibling's name: the signal is its own.
    child_thread_task(&sim, CHILD, |t| {
        assert_eq!(send_pdeath_signal(&sim, &parent, t), None);
    });
    child_thread_task(&sim, CHILD + 1, |t| {
        assert_eq!(send_pdeath_signal(&sim, &parent, t), Some(Signo::SIGUSR1));
    });
    assert!(
        sim.proc(CHILD)
            .process
            .shared_pending()
            .contains(Signo::SIGUSR1),
        "process-directed"
    );
    let (sig, info) = sim
        .thread(CHILD + 1)
        .sigtimedwait(SignalSet::single(Signo::SIGUSR1), Some(Duration::ZERO))
        .unwrap();
    assert_eq!(sig, Signo::SIGUSR1);
    assert_eq!(
        (info.code(), info.pid(), info.uid()),
        (code::SI_USER, PARENT, 1000)
    );
}

#[test]
fn rule73_pdeath_signal_is_subject_to_the_kill_permission_check() {
    let mut sim = family();
    sim.spawn(70, &[70], 70, 5, Credentials::user(2000));
    let mut mem = Mem::new();
    let c = sim.caller(70);
    assert_eq!(
        sys_prctl_pdeathsig(&c, &mut mem, 1, Signo::SIGTERM.get() as usize),
        Some(0)
    );
    let parent = exiting_parent(&sim);
    child_thread_task(&sim, 70, |t| {
        assert_eq!(
            send_pdeath_signal(&sim, &parent, t),
            None,
            "uid 1000 may not signal uid 2000"
        );
    });
    assert!(sim.proc(70).process.shared_pending().is_empty());
}

#[test]
fn rule73_prctl_pdeathsig_checks_the_whole_register_and_get_writes_an_int() {
    let sim = family();
    let mut mem = Mem::new();
    let c = sim.caller(CHILD);
    let (set, get) = (1, 2);
    assert_eq!(
        sys_prctl_pdeathsig(&c, &mut mem, set, 65),
        Some(Errno::EINVAL.as_neg_ret())
    );
    assert_eq!(
        sys_prctl_pdeathsig(&c, &mut mem, set, (1 << 32) | 9),
        Some(Errno::EINVAL.as_neg_ret())
    );
    assert_eq!(c.thread.pdeath_signal(), None, "state unchanged");
    assert_eq!(sys_prctl_pdeathsig(&c, &mut mem, set, 64), Some(0));
    assert_eq!(sys_prctl_pdeathsig(&c, &mut mem, get, BASE), Some(0));
    assert_eq!(mem.get(BASE, 4), 64i32.to_ne_bytes());
    assert_eq!(
        sys_prctl_pdeathsig(&c, &mut mem, get, BAD),
        Some(Errno::EFAULT.as_neg_ret())
    );
    assert_eq!(
        sys_prctl_pdeathsig(&c, &mut mem, (1 << 32) | set, 0),
        Some(0),
        "option is an int"
    );
    assert_eq!(sys_prctl_pdeathsig(&c, &mut mem, get, BASE), Some(0));
    assert_eq!(mem.get(BASE, 4), 0i32.to_ne_bytes(), "0 cleared it");
    assert_eq!(
        sys_prctl_pdeathsig(&c, &mut mem, 15, 0),
        None,
        "not a signal option"
    );
}

#[test]
fn rule73_new_threads_and_forked_processes_start_without_a_pdeath_signal() {
    let (p, t) = group(1);
    t[0].set_pdeath_signal(Some(Signo::SIGHUP));
    let sibling = Thread::new(&p, 300, SignalSet::EMPTY, CondvarQueue::default()).unwrap();
    assert_eq!(sibling.pdeath_signal(), None);
    let child = Arc::new(p.fork(false));
    let ct = Thread::new(&child, 400, SignalSet::EMPTY, CondvarQueue::default()).unwrap();
    assert_eq!(ct.pdeath_signal(), None);
    t[0].exec();
    assert_eq!(
        t[0].pdeath_signal(),
        Some(Signo::SIGHUP),
        "an ordinary exec keeps it"
    );
}

// ---- Rule 74: the exit signal after the parent's exec.

#[test]
fn rule74_exit_signal_other_than_sigchld_becomes_sigchld_after_the_parent_execs() {
    let (parent, _pt) = group(1);
    let child = parent.fork(false);
    assert_eq!(child.parent_exec_id(), parent.self_exec_id());
    let usr1 = Some(Signo::SIGUSR1);
    assert_eq!(exit_signal_for_parent(&child, &parent, usr1), usr1);
    parent.exec();
    assert_eq!(
        exit_signal_for_parent(&child, &parent, usr1),
        Some(Signo::SIGCHLD)
    );
    assert_eq!(
        exit_signal_for_parent(&child, &parent, None),
        None,
        "exit signal 0 stays 0"
    );
    let sigchld = Some(Signo::SIGCHLD);
    assert_eq!(exit_signal_for_parent(&child, &parent, sigchld), sigchld);
    // A child forked after the exec keeps its exit signal.
    let later = parent.fork(false);
    assert_eq!(exit_signal_for_parent(&later, &parent, usr1), usr1);
    // CLONE_PARENT: the creator's own parent_exec_id.
    later.set_parent_exec_id(child.parent_exec_id());
    assert_eq!(
        exit_signal_for_parent(&later, &parent, usr1),
        Some(Signo::SIGCHLD)
    );
}
