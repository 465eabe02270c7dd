//! Thread-directed signals to a zombie group leader (issue 12, finding 4): Linux's
//! `do_send_specific` still finds the leader by its id and sends through
//! `__send_signal_locked` with `PIDTYPE_PID`, so generation's group-wide effects
//! happen; the signal itself waits in the exited leader's private queue, which no
//! thread dequeues, and `complete_signal` wakes nobody (`wants_signal` refuses an
//! exiting thread before it looks at SIGKILL).

mod common;
mod syscall_sim;

use ksignal::syscall::{sys_kill, sys_tgkill, sys_tkill};
use ksignal::{Delivery, MaskHow, SignalSet, Signo};
use syscall_sim::Sim;

fn sig(s: Signo) -> usize {
    s.get() as usize
}

/// Process 10 (threads 10, 11, 12) stopped by SIGSTOP with its leader exited.
fn stopped_with_zombie_leader() -> Sim {
    let mut sim = Sim::world();
    sim.exit_thread(10);
    for tid in [11, 12] {
        sim.thread(tid)
            .sigprocmask(MaskHow::SetMask, SignalSet::EMPTY);
    }
    let c = sim.caller(20);
    assert_eq!(sys_kill(&sim, &c, 10, sig(Signo::SIGSTOP)), 0);
    assert_eq!(
        sim.thread(11).get_signal(),
        Some(Delivery::Stop(Signo::SIGSTOP))
    );
    assert!(sim.proc(10).process.is_stopped());
    sim.sent.lock().unwrap().clear();
    sim
}

#[test]
fn rule7_tgkill_sigcont_to_a_zombie_leader_continues_the_group() {
    let sim = stopped_with_zombie_leader();
    let c = sim.caller(20);
    assert_eq!(sys_tgkill(&sim, &c, 10, 10, sig(Signo::SIGCONT)), 0);
    assert!(!sim.proc(10).process.is_stopped(), "prepare_signal ran");
    let sent = sim.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1, "the kernel hears of the send");
    assert_eq!((sent[0].0, sent[0].1), (10, 18));
    assert!(sent[0].2.resumed, "CLD_CONTINUED is due");
}

#[test]
fn rule7_tkill_sigcont_to_a_zombie_leader_continues_the_group() {
    let sim = stopped_with_zombie_leader();
    let c = sim.caller(20);
    assert_eq!(sys_tkill(&sim, &c, 10, sig(Signo::SIGCONT)), 0);
    assert!(!sim.proc(10).process.is_stopped());
}

#[test]
fn rule6_tgkill_stop_signal_to_a_zombie_leader_discards_pending_sigcont() {
    let sim = Sim::world();
    let mut sim = sim;
    sim.exit_thread(10);
    let c = sim.caller(20);
    assert_eq!(sys_kill(&sim, &c, 10, sig(Signo::SIGCONT)), 0);
    assert!(
        sim.proc(10)
            .process
            .shared_pending()
            .contains(Signo::SIGCONT)
    );
    assert_eq!(sys_tgkill(&sim, &c, 10, 10, sig(Signo::SIGTSTP)), 0);
    assert!(
        !sim.proc(10)
            .process
            .shared_pending()
            .contains(Signo::SIGCONT),
        "prepare_signal flushed SIGCONT from every queue"
    );
}

#[test]
fn rule19_tgkill_sigkill_to_a_zombie_leader_thread_kills_nobody() {
    // Linux 6.18: wants_signal tests PF_EXITING before SIGKILL, and a PIDTYPE_PID
    // send never looks for another thread, so the group lives on.
    let sim = stopped_with_zombie_leader();
    let c = sim.caller(20);
    assert_eq!(sys_tgkill(&sim, &c, 10, 10, sig(Signo::SIGKILL)), 0);
    let sent = sim.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert!(!sent[0].2.group_exit);
    assert_eq!(sent[0].2.woken, None);
    assert_eq!(sim.proc(10).process.group_exit(), None);
    assert!(!sim.thread(11).has_pending() && !sim.thread(12).has_pending());
}
