//! SIGCHLD generation ([`ksignal::docs::rules`], rules 8, 45 and 53):
//! do_notify_parent and do_notify_parent_cldstop semantics.

mod common {
    pub mod user_memory;
    pub mod wait;
}
mod syscall_sim;

use ksignal::ChildCode;
use ksignal::{
    ChildExit, ChildInfo, ChildStop, ExitNotice, notify_parent_cldstop, notify_parent_exit,
};
use ksignal::{Disposition, SaFlags};
use ksignal::{SignalAction, SignalSet, Signo};
use syscall_sim::{Sim, take};

const CHILD: ChildInfo = ChildInfo {
    pid: 20,
    uid: 1000,
    utime: 3,
    stime: 4,
};

fn set_chld(sim: &Sim, disp: Disposition, flags: SaFlags) {
    let a = SignalAction::new(disp, flags, SignalSet::EMPTY, 0);
    sim.proc(10)
        .process
        .sigaction(Signo::SIGCHLD, Some(a))
        .unwrap();
}

/// The parent, task 10, learns that [`CHILD`] ended with `exit`, signalled with
/// `sig` (its exit signal).
fn child_exits(sim: &Sim, exit: ChildExit, sig: Option<Signo>) -> ExitNotice {
    notify_parent_exit(&sim.task(10), &CHILD, exit, sig)
}

#[test]
fn sigchld_on_exit_reports_cld_exited_with_status_pid_uid_and_times() {
    let sim = Sim::world();
    let n = child_exits(&sim, ChildExit::Exited(3), Some(Signo::SIGCHLD));
    assert!(!n.autoreap);
    assert_eq!(n.sent.map(|(s, _)| s), Some(Signo::SIGCHLD));
    let i = take(&sim, 10, Signo::SIGCHLD).unwrap();
    assert_eq!(
        (i.code(), i.pid(), i.uid(), i.status(), i.utime(), i.stime()),
        (ChildCode::Exited.code(), 20, 1000, 3, 3, 4)
    );
}

#[test]
fn sigchld_on_death_by_signal_reports_cld_killed_or_cld_dumped() {
    let sim = Sim::world();
    let deaths = [
        (ChildExit::Killed(Signo::SIGTERM), ChildCode::Killed, 15),
        (ChildExit::Dumped(Signo::SIGSEGV), ChildCode::Dumped, 11),
    ];
    for (exit, code, status) in deaths {
        child_exits(&sim, exit, Some(Signo::SIGCHLD));
        let i = take(&sim, 10, Signo::SIGCHLD).unwrap();
        assert_eq!((i.code(), i.status()), (code.code(), status), "{exit:?}");
    }
}

#[test]
fn child_exit_decodes_the_wait_status_word() {
    assert_eq!(ChildExit::from_exit_code(7 << 8), ChildExit::Exited(7));
    assert_eq!(
        ChildExit::from_exit_code(9),
        ChildExit::Killed(Signo::SIGKILL)
    );
    assert_eq!(
        ChildExit::from_exit_code(0x80 | 11),
        ChildExit::Dumped(Signo::SIGSEGV)
    );
    assert_eq!(ChildExit::from_exit_code(0), ChildExit::Exited(0));
}

#[test]
fn sigchld_sig_ign_means_autoreap_and_no_signal() {
    let sim = Sim::world();
    set_chld(&sim, Disposition::Ignore, SaFlags::empty());
    let n = child_exits(&sim, ChildExit::Exited(0), Some(Signo::SIGCHLD));
    assert!(n.autoreap);
    assert_eq!(n.sent, None);
    assert!(take(&sim, 10, Signo::SIGCHLD).is_none());
}

#[test]
fn sigchld_sa_nocldwait_means_autoreap_but_the_signal_is_still_sent() {
    let sim = Sim::world();
    set_chld(&sim, Disposition::Handler(0x1000), SaFlags::NOCLDWAIT);
    let n = child_exits(&sim, ChildExit::Exited(0), Some(Signo::SIGCHLD));
    assert!(n.autoreap);
    assert!(n.sent.is_some());
    assert!(take(&sim, 10, Signo::SIGCHLD).is_some());
}

#[test]
fn sigchld_other_exit_signal_is_sent_without_autoreap() {
    let sim = Sim::world();
    set_chld(&sim, Disposition::Ignore, SaFlags::empty());
    let n = child_exits(&sim, ChildExit::Exited(1), Some(Signo::SIGUSR1));
    assert!(!n.autoreap, "only SIGCHLD's disposition matters");
    let i = take(&sim, 10, Signo::SIGUSR1).unwrap();
    assert_eq!((i.signo_raw(), i.code()), (10, ChildCode::Exited.code()));
    let n = child_exits(&sim, ChildExit::Exited(1), None);
    assert_eq!((n.autoreap, n.sent), (false, None), "exit signal 0");
}

#[test]
fn sigchld_default_disposition_discards_unblocked_sigchld() {
    let sim = Sim::world();
    let c = sim.caller(10);
    c.thread
        .sigprocmask(ksignal::MaskHow::SetMask, SignalSet::EMPTY);
    let n = child_exits(&sim, ChildExit::Exited(0), Some(Signo::SIGCHLD));
    assert!(
        !n.autoreap,
        "SIG_DFL is not SIG_IGN: the child stays a zombie"
    );
    assert_eq!(n.sent.map(|(_, o)| o.fate), Some(ksignal::Fate::Ignored));
}

/// `do_notify_parent_cldstop` for the child's `stop`, to task 10: the SIGCHLD it
/// took (si_code, si_status, si_pid), or None if none was sent.
fn cldstop_report(sim: &Sim, stop: ChildStop) -> Option<(i32, i32, i32)> {
    notify_parent_cldstop(&sim.task(10), &CHILD, stop)?;
    let i = take(sim, 10, Signo::SIGCHLD).unwrap();
    Some((i.code(), i.status(), i.pid()))
}

#[test]
fn sigchld_on_stop_and_continue_reports_cld_stopped_and_cld_continued() {
    let sim = Sim::world();
    let stopped = cldstop_report(&sim, ChildStop::Stopped(Signo::SIGTSTP));
    assert_eq!(stopped, Some((ChildCode::Stopped.code(), 20, 20)));
    let continued = cldstop_report(&sim, ChildStop::Continued);
    assert_eq!(continued, Some((ChildCode::Continued.code(), 18, 20)));
}

#[test]
fn rule65_a_ptrace_stop_reports_cld_trapped_with_its_signal_unless_nocldstop() {
    let sim = Sim::world();
    let trapped = cldstop_report(&sim, ChildStop::Trapped(Signo::SIGUSR1));
    assert_eq!(trapped, Some((ChildCode::Trapped.code(), 10, 20)));
    let tracer = sim.task(10);
    set_chld(&sim, Disposition::Handler(0x1000), SaFlags::NOCLDSTOP);
    assert!(notify_parent_cldstop(&tracer, &CHILD, ChildStop::Trapped(Signo::SIGUSR1)).is_none());
}

#[test]
fn sa_nocldstop_or_sig_ign_suppresses_stop_and_continue_notification() {
    let sim = Sim::world();
    set_chld(&sim, Disposition::Handler(0x1000), SaFlags::NOCLDSTOP);
    let parent = sim.task(10);
    assert!(notify_parent_cldstop(&parent, &CHILD, ChildStop::Stopped(Signo::SIGSTOP)).is_none());
    assert!(notify_parent_cldstop(&parent, &CHILD, ChildStop::Continued).is_none());
    set_chld(&sim, Disposition::Ignore, SaFlags::empty());
    assert!(notify_parent_cldstop(&parent, &CHILD, ChildStop::Stopped(Signo::SIGSTOP)).is_none());
    assert!(take(&sim, 10, Signo::SIGCHLD).is_none());
    // SA_NOCLDSTOP does not affect exit notification.
    set_chld(&sim, Disposition::Handler(0x1000), SaFlags::NOCLDSTOP);
    let n = child_exits(&sim, ChildExit::Exited(0), Some(Signo::SIGCHLD));
    assert!(n.sent.is_some() && !n.autoreap);
}
