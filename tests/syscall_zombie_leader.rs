//! Thread-directed signals to a zombie group leader ([rule 25](ksignal::docs::rules#rule-25): a leader whose thread has
//! exited while other threads of the group live). Linux 6.18 still finds the leader
//! by its id, so `tkill`/`tgkill` do not fail with ESRCH, but the exited thread no
//! longer takes signals: `do_send_specific` reports success for it ("pretend the
//! task died right after receiving the signal") and no generation happens. Checked
//! against the host kernel by the conformance scenario
//! `tests/scenarios/zombie_leader_tgkill_cont.scen`: SIGCONT does not continue a
//! stopped group, SIGKILL does not kill it, and nothing is queued.

mod common {
    pub mod user_memory;
    pub mod wait;
}
mod syscall_sim;

use ksignal::syscall::{sys_kill, sys_tgkill, sys_tkill};
use ksignal::{Delivery, MaskHow, SignalSet, Signo};
use syscall_sim::Sim;

fn sig(s: Signo) -> usize {
    s.get() as usize
}

/// Process 10 (threads 10, 11, 12) with its leader exited, the others unblocking
/// everything.
fn zombie_leader() -> Sim {
    let mut sim = Sim::world();
    sim.exit_thread(10);
    for tid in [11, 12] {
        sim.thread(tid)
            .sigprocmask(MaskHow::SetMask, SignalSet::EMPTY);
    }
    sim
}

/// The same group, stopped by SIGSTOP.
fn stopped_with_zombie_leader() -> Sim {
    let sim = zombie_leader();
    let c = sim.caller(20);
    assert_eq!(sys_kill(&sim, &c, 10, sig(Signo::SIGSTOP)), 0);
    // 11 starts the group stop, 12 takes part in it (rule 70): the stop is complete.
    for tid in [11, 12] {
        assert_eq!(
            sim.thread(tid).get_signal(),
            Some(Delivery::Stop(Signo::SIGSTOP))
        );
    }
    assert!(sim.proc(10).process.is_stopped());
    assert!(sim.proc(10).process.is_stop_complete());
    sim.sent.lock().unwrap().clear();
    sim
}

/// Nothing happened: no send reported to the kernel, nothing pending anywhere.
fn assert_untouched(sim: &Sim) {
    assert!(sim.sent.lock().unwrap().is_empty(), "no generation");
    assert!(sim.proc(10).process.shared_pending().is_empty());
    assert_eq!(sim.proc(10).process.group_exit(), None);
}

#[test]
fn tgkill_sigcont_to_a_zombie_leader_succeeds_and_leaves_the_group_stopped() {
    let sim = stopped_with_zombie_leader();
    let c = sim.caller(20);
    assert_eq!(sys_tgkill(&sim, &c, 10, 10, sig(Signo::SIGCONT)), 0);
    assert!(sim.proc(10).process.is_stopped(), "no prepare_signal");
    assert_untouched(&sim);
}

#[test]
fn tkill_sigcont_to_a_zombie_leader_succeeds_and_leaves_the_group_stopped() {
    let sim = stopped_with_zombie_leader();
    let c = sim.caller(20);
    assert_eq!(sys_tkill(&sim, &c, 10, sig(Signo::SIGCONT)), 0);
    assert!(sim.proc(10).process.is_stopped());
    assert_untouched(&sim);
}

#[test]
fn tgkill_sigkill_to_a_zombie_leader_kills_nobody() {
    let sim = stopped_with_zombie_leader();
    let c = sim.caller(20);
    assert_eq!(sys_tgkill(&sim, &c, 10, 10, sig(Signo::SIGKILL)), 0);
    assert_untouched(&sim);
    for tid in [11, 12] {
        assert_eq!(sim.thread(tid).get_signal(), None, "nothing to deliver");
    }
}

#[test]
fn tgkill_default_fatal_signal_to_a_zombie_leader_kills_nobody() {
    let sim = zombie_leader();
    let c = sim.caller(20);
    let r = sys_tgkill(&sim, &c, 10, 10, sig(Signo::SIGTERM));
    assert_eq!(r, 0, "the zombie leader is still a valid target");
    assert_untouched(&sim);
    assert_eq!(sim.thread(11).get_signal(), None);
}

#[test]
fn tgkill_stop_signal_to_a_zombie_leader_keeps_pending_sigcont() {
    let sim = zombie_leader();
    let c = sim.caller(20);
    // Blocked, so the process-directed SIGCONT stays pending.
    for tid in [11, 12] {
        sim.thread(tid)
            .sigprocmask(MaskHow::SetMask, SignalSet::single(Signo::SIGCONT));
    }
    assert_eq!(sys_kill(&sim, &c, 10, sig(Signo::SIGCONT)), 0);
    assert!(
        sim.proc(10)
            .process
            .shared_pending()
            .contains(Signo::SIGCONT)
    );
    assert_eq!(sys_tgkill(&sim, &c, 10, 10, sig(Signo::SIGTSTP)), 0);
    assert!(
        sim.proc(10)
            .process
            .shared_pending()
            .contains(Signo::SIGCONT),
        "no prepare_signal: SIGCONT is not flushed"
    );
}
