//! `ThreadSignalManager`: one thread's view of signals: sending to it, its mask,
//! its waits, and what it must do on each return to user space.
//!
//! The state lives in the process state ([`crate::process`]) under the
//! signal lock; a `ThreadSignalManager` is the thread's handle on it plus its
//! lock-free "something deliverable" flag. It reads and changes that state only
//! through the process state's methods, which keep the invariants listed in
//! [`crate::process`] (every mask change recomputes the flag, in one place). Lock
//! order and contexts: see [`crate::process`].

use crate::action::{SaFlags, SignalAction};
use crate::errno::Errno;
use crate::info::SignalInfo;
use crate::lock::DefaultRawMutex;
use crate::process::{ProcessSignalManager, SendOutcome, ThreadLink, handler_ignored};
use crate::ptrace::{NoTracer, PtraceStopKind, Tracer};
use crate::restart::RestartBlock;
use crate::set::SignalSet;
use crate::signo::{DefaultAction, Signo};
use crate::stack::SignalStack;
use crate::sync::Ordering;
use crate::wait::{WaitOutcome, WaitQueue};
use alloc::sync::Arc;
use core::time::Duration;
use lock_api::RawMutex;

/// `how` of `rt_sigprocmask`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaskHow {
    /// `SIG_BLOCK`: add to the mask.
    Block,
    /// `SIG_UNBLOCK`: remove from the mask.
    Unblock,
    /// `SIG_SETMASK`: replace the mask.
    SetMask,
}

impl MaskHow {
    /// Decodes the raw argument; `None` for anything but 0, 1, 2 (EINVAL).
    ///
    /// Context: any, interrupt context included: a pure function of its arguments (no
    /// lock, no allocation).
    pub fn from_raw(how: u64) -> Option<MaskHow> {
        use linux_raw_sys::general::{SIG_BLOCK, SIG_SETMASK, SIG_UNBLOCK};
        match how {
            h if h == SIG_BLOCK as u64 => Some(MaskHow::Block),
            h if h == SIG_UNBLOCK as u64 => Some(MaskHow::Unblock),
            h if h == SIG_SETMASK as u64 => Some(MaskHow::SetMask),
            _ => None,
        }
    }
}

/// A handler to run: everything the kernel needs to build the signal frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandlerDelivery {
    /// The signal.
    pub sig: Signo,
    /// Its siginfo.
    pub info: SignalInfo,
    /// The action as it was when the signal was dequeued (before any SA_RESETHAND
    /// reset).
    pub action: SignalAction,
    /// The mask to save in the frame and restore at `rt_sigreturn`: the mask
    /// `rt_sigsuspend` replaced, or the current one.
    pub saved_mask: SignalSet,
}

/// What the kernel must do next on the way back to user space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// Push a frame for this handler, then call
    /// [`ThreadSignalManager::signal_delivered`] (or
    /// [`ThreadSignalManager::force_sigsegv`] if the frame cannot be written), then
    /// ask again.
    Handler(HandlerDelivery),
    /// This thread stops until a SIGCONT (or a group exit) ends the group stop; the
    /// signal is the group's stop signal. Either the thread dequeued a stop signal
    /// whose default action stops the group ([rule 43]), which starts a group stop
    /// ([`crate::ProcessSignalManager::is_stopped`]) and makes every other thread
    /// come here too, or another thread started one and this one takes part
    /// ([rule 70]). The kernel reports what
    /// [`crate::ProcessSignalManager::take_cldstop`] returns to the parent (the
    /// thread that completes the stop finds its CLD_STOPPED there, [rule 72]), then
    /// puts the thread to sleep (Linux's `TASK_STOPPED`) until the group is no
    /// longer stopped, and asks again. TSTP, TTIN and TTOU in an orphaned process group never get
    /// here ([rule 44]): [`ThreadSignalManager::get_signal_with`] asks the kernel's
    /// [`JobControl`] first and discards them.
    ///
    /// [rule 43]: crate::docs::rules#rule-43
    /// [rule 44]: crate::docs::rules#rule-44
    /// [rule 70]: crate::docs::rules#rule-70
    /// [rule 72]: crate::docs::rules#rule-72
    Stop(Signo),
    /// The group exits with this signal: its default action terminates (`core_dump`
    /// when it also dumps core, [rule 43]), or another thread already started the exit.
    /// Frames already pushed never run ([rule 47b]).
    ///
    /// [rule 43]: crate::docs::rules#rule-43
    /// [rule 47b]: crate::docs::rules#rule-47b
    Exit {
        /// The signal that ends the group (its exit status).
        sig: Signo,
        /// Whether the default action dumps core.
        core_dump: bool,
    },
}

/// The questions Linux's `get_signal` asks the rest of the kernel while it decides
/// what a dequeued signal does. Passed to [`ThreadSignalManager::get_signal_with`]
/// and [`crate::do_signal`]; a closure `FnMut() -> bool` answers
/// [`JobControl::is_current_pgrp_orphaned`].
pub trait JobControl {
    /// Linux's `is_current_pgrp_orphaned()`: whether the calling thread's process
    /// group is orphaned, that is no member (other than exiting ones) has a parent in
    /// a different process group of the same session, a parent that is init not
    /// counting (`will_become_orphaned_pgrp`).
    ///
    /// Asked only for SIGTSTP, SIGTTIN and SIGTTOU whose action is the default,
    /// before the stop is recorded. `true` discards the signal and `get_signal` goes
    /// on with the next one ([rule 44]): the group is not stopped, and no later
    /// SIGCONT reports a resume. SIGSTOP always stops and never asks.
    ///
    /// Called with no lock of the crate held, as Linux drops the signal lock for it
    /// (the answer needs `tasklist_lock`, which nests outside it): it may take the
    /// kernel's task-list lock, and it may even send signals. A SIGCONT generated
    /// while it runs cancels the stop, as in Linux's `do_signal_stop`. It must not
    /// call back into this thread's `get_signal`.
    ///
    /// [rule 44]: crate::docs::rules#rule-44
    fn is_current_pgrp_orphaned(&mut self) -> bool;
}

impl<F: FnMut() -> bool> JobControl for F {
    fn is_current_pgrp_orphaned(&mut self) -> bool {
        self()
    }
}

/// The [`JobControl`] of a kernel without process groups: no group is ever
/// orphaned, so TSTP, TTIN and TTOU always stop. What
/// [`ThreadSignalManager::get_signal`] and [`crate::do_signal`] use.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoJobControl;

impl JobControl for NoJobControl {
    #[inline]
    fn is_current_pgrp_orphaned(&mut self) -> bool {
        false
    }
}

/// One thread's signal handle. Create it when the thread is created; call
/// [`ThreadSignalManager::exit`] (or drop it) when the thread exits.
pub struct ThreadSignalManager<W: WaitQueue, R: RawMutex = DefaultRawMutex> {
    process: Arc<ProcessSignalManager<W, R>>,
    link: Arc<ThreadLink<W>>,
    slot: u32,
    tid: i32,
    /// Linux's `current->restart_block` (see [`crate::restart`]); only this thread
    /// reads or writes it.
    pub(crate) restart: lock_api::Mutex<R, RestartBlock>,
}

impl<W: WaitQueue, R: RawMutex> ThreadSignalManager<W, R> {
    /// Adds thread `tid` to `process` with signal mask `blocked` (the creating
    /// thread's mask; everything empty for a fresh process) and the kernel's wait
    /// queue for it. The first thread added is the group leader. ENOMEM if the
    /// thread table cannot grow.
    ///
    /// Context: process context (clone); allocates.
    pub fn new(
        process: &Arc<ProcessSignalManager<W, R>>,
        tid: i32,
        blocked: SignalSet,
        wait: W,
    ) -> Result<Self, Errno> {
        // The link is the one allocation here that is not fallible: stable Rust has no
        // `Arc::try_new`. It is a few words, made once per thread in process context.
        let link = Arc::new(ThreadLink::new(tid, wait));
        let slot = process.attach(blocked, link.clone())?;
        Ok(ThreadSignalManager {
            process: process.clone(),
            link,
            slot,
            tid,
            restart: lock_api::Mutex::new(RestartBlock::None),
        })
    }

    /// The slot of this thread in its process's state.
    pub(crate) fn slot(&self) -> u32 {
        self.slot
    }

    /// `flush_itimer_signals` (exec, after the kernel deleted the process's POSIX
    /// timers): every queued `SI_TIMER` siginfo leaves this thread's private queue
    /// and the shared queue, those `rt_sigqueueinfo` forged included, as Linux's
    /// `begin_new_exec` does ([rule 62]).
    ///
    /// Context: process context, from `execve`; takes the signal lock, never
    /// allocates.
    ///
    /// [rule 62]: crate::docs::rules#rule-62
    pub fn flush_itimer_signals(&self) {
        let p = &*self.process;
        p.state
            .lock()
            .flush_itimer_signals(self.slot, &p.common.limit);
    }

    /// The thread id.
    ///
    /// Context: any, interrupt context included; takes no lock and never allocates.
    pub fn tid(&self) -> i32 {
        self.tid
    }

    /// The process this thread belongs to.
    ///
    /// Context: any, interrupt context included; takes no lock and never allocates.
    pub fn process(&self) -> &Arc<ProcessSignalManager<W, R>> {
        &self.process
    }

    /// The kernel's wait queue for this thread.
    ///
    /// Context: any, interrupt context included; takes no lock and never allocates.
    pub fn wait_queue(&self) -> &W {
        &self.link.wait
    }

    /// Tells the crate whether this thread is running on a CPU right now (Linux's
    /// `task_curr`). `complete_signal` then accepts it as a target even if it already
    /// has a signal to handle, as Linux does; a kernel that never calls this gets the
    /// choice Linux makes for threads that are not running. Call it from the
    /// scheduler's context switch; any context, never blocks.
    pub fn set_on_cpu(&self, on_cpu: bool) {
        self.link.on_cpu.store(on_cpu, Ordering::Relaxed);
    }

    /// The return-to-user check: one atomic load. `true` means call
    /// [`ThreadSignalManager::get_signal`].
    ///
    /// Context: any; never blocks.
    #[inline]
    pub fn has_pending(&self) -> bool {
        self.link.sigpending(Ordering::Acquire)
    }

    /// Sends a thread-directed signal (tkill, tgkill, rt_tgsigqueueinfo, a fault): it
    /// goes to this thread's private queue and is never taken by another thread
    /// ([rule 17]). The ignore test uses this thread's mask ([rule 4]).
    ///
    /// Context: any, including interrupt context.
    ///
    /// [rule 4]: crate::docs::rules#rule-4
    /// [rule 17]: crate::docs::rules#rule-17
    pub fn send(&self, sig: Signo, info: Option<&SignalInfo>) -> Result<SendOutcome, Errno> {
        let p = &*self.process;
        p.state
            .lock()
            .send_signal(&p.common, sig, info, self.slot, false)
    }

    /// Sends a process-directed signal through this thread (`kill(tid)` naming a
    /// non-leader thread, SIGCHLD to the parent thread): it goes to the shared queue
    /// like [`ProcessSignalManager::send`], but the send-time ignore test uses this
    /// thread's mask and `complete_signal` tries this thread first, as Linux does
    /// with the task the pid names ([rule 4], [rule 18]).
    ///
    /// Context: any, including interrupt context.
    ///
    /// [rule 4]: crate::docs::rules#rule-4
    /// [rule 18]: crate::docs::rules#rule-18
    pub fn send_process_directed(
        &self,
        sig: Signo,
        info: Option<&SignalInfo>,
    ) -> Result<SendOutcome, Errno> {
        let p = &*self.process;
        p.state
            .lock()
            .send_signal(&p.common, sig, info, self.slot, true)
    }

    /// `force_sig_info`: a fault the current instruction caused. If the signal is
    /// blocked or ignored, its action becomes SIG_DFL (handler reset, as Linux does)
    /// and it is unblocked, so a fault that cannot be handled kills the process; an
    /// unkillable group loses that protection when the action is SIG_DFL.
    ///
    /// Context: process context, on this thread, from the kernel's fault handler
    /// (Linux's `force_sig_info` runs in the faulting task), with no lock of this crate
    /// held. Takes the signal lock; resetting the action waits for the action table's
    /// readers; queues the siginfo, so calls the allocator only if the private queue is
    /// growable and has no free entry ([`ProcessSignalManager::set_growable`]).
    pub fn force_signal(&self, sig: Signo, info: &SignalInfo) -> Result<SendOutcome, Errno> {
        let p = &*self.process;
        p.state
            .lock()
            .force_sig_info(&p.common, self.slot, sig, info)
    }

    /// The signal mask.
    ///
    /// Context: any, interrupt context included with the `kspin` feature's lock; takes
    /// the signal lock briefly, never allocates or sleeps.
    pub fn blocked(&self) -> SignalSet {
        self.process.state.lock().blocked(self.slot)
    }

    /// `rt_sigprocmask` ([rule 31], [rule 32]): changes the mask and returns the old one.
    /// SIGKILL and SIGSTOP are silently left out. Blocking a shared signal this thread
    /// was about to take hands it to another thread.
    ///
    /// Context: process context, on this thread.
    ///
    /// [rule 31]: crate::docs::rules#rule-31
    /// [rule 32]: crate::docs::rules#rule-32
    pub fn sigprocmask(&self, how: MaskHow, set: SignalSet) -> SignalSet {
        self.process
            .state
            .lock()
            .update_blocked(self.slot, |old| match how {
                MaskHow::Block => old | set,
                MaskHow::Unblock => old - set,
                MaskHow::SetMask => set,
            })
    }

    /// `rt_sigpending` ([rule 33]): pending signals, private or shared, that are blocked.
    ///
    /// Context: any, interrupt context included with the `kspin` feature's lock; takes
    /// the signal lock briefly, never allocates or sleeps.
    ///
    /// [rule 33]: crate::docs::rules#rule-33
    pub fn sigpending(&self) -> SignalSet {
        self.process.state.lock().sigpending(self.slot)
    }

    /// The next thing to do on the way back to user space (`get_signal`), or `None`
    /// when nothing is deliverable.
    ///
    /// Dequeues in Linux's order (the first queued synchronous fault, then the
    /// private queue, then the shared one; synchronous signals first, then the lowest
    /// number; real-time instances FIFO), consumes ignored signals silently, applies
    /// SA_RESETHAND (the handler only, [rule 47]) and returns the first signal that
    /// needs the kernel. When it returns `None` after `rt_sigsuspend` and no handler
    /// ran, the suspended mask is restored at once ([rule 36]).
    ///
    /// Call it again and again, as Linux does, until it returns `None` or
    /// [`Delivery::Exit`] / [`Delivery::Stop`]; after each [`Delivery::Handler`], push
    /// its frame and call [`ThreadSignalManager::signal_delivered`] before asking
    /// again, so that handlers run in reverse dequeue order ([rule 47a]).
    ///
    /// This form asks no job-control question: TSTP, TTIN and TTOU always stop, as
    /// for a kernel without process groups ([`NoJobControl`]). A kernel with process
    /// groups calls [`ThreadSignalManager::get_signal_with`].
    ///
    /// Context: process context, on this thread; never allocates or blocks beyond
    /// the signal lock.
    ///
    /// [rule 36]: crate::docs::rules#rule-36
    /// [rule 47]: crate::docs::rules#rule-47
    /// [rule 47a]: crate::docs::rules#rule-47a
    pub fn get_signal(&self) -> Option<Delivery> {
        self.get_signal_with(&mut NoJobControl)
    }

    /// [`ThreadSignalManager::get_signal`] with the kernel's answers to Linux's
    /// job-control questions: before a default-action SIGTSTP, SIGTTIN or SIGTTOU
    /// stops the group, the signal lock is dropped and
    /// [`JobControl::is_current_pgrp_orphaned`] is asked; if the group is orphaned
    /// the signal is discarded and the loop goes on ([rule 44]). If a SIGCONT or a
    /// group exit came in while the lock was dropped, the stop is abandoned too
    /// (Linux's `do_signal_stop` returning false), and the loop goes on.
    ///
    /// It has no tracer ([`NoTracer`]): a thread marked traced
    /// ([`ThreadSignalManager::set_traced`]) takes its signals as if its tracer let
    /// each one through at once. A kernel with ptrace calls
    /// [`ThreadSignalManager::get_signal_traced`].
    ///
    /// Context: process context, on this thread; never allocates or blocks beyond
    /// the signal lock and what `job` does.
    ///
    /// [rule 44]: crate::docs::rules#rule-44
    pub fn get_signal_with<J: JobControl + ?Sized>(&self, job: &mut J) -> Option<Delivery> {
        self.get_signal_traced(job, &mut NoTracer)
    }

    /// [`ThreadSignalManager::get_signal_with`] for a kernel with ptrace: for a
    /// traced thread ([`ThreadSignalManager::set_traced`]) each dequeued signal but
    /// SIGKILL is first a signal-delivery stop ([rule 65]): the signal lock is
    /// dropped around [`Tracer::ptrace_stop`], during which the tracer may read and
    /// replace the siginfo ([`ThreadSignalManager::ptrace_getsiginfo`],
    /// [`ThreadSignalManager::ptrace_setsiginfo`]). Then, as Linux's
    /// `ptrace_signal` does ([rule 68]): no signal from the tracer cancels it (the
    /// loop goes on); a signal other than the siginfo's `si_signo` gets a new SI_USER
    /// siginfo with the tracer's pid and uid ([`Tracer::tracer_ids`]); a signal
    /// that is blocked now, or any signal once a fatal one is pending, is queued
    /// again (to the queue it came from) and not delivered now. What is left is
    /// delivered by its action, read after the stop. SIGKILL never stops, and a
    /// SIGKILL during a stop ends the group ([rule 69]).
    ///
    /// A traced thread that stops the group traps to its tracer instead of
    /// returning [`Delivery::Stop`] ([`PtraceStopKind::GroupStop`]); once resumed it
    /// goes on taking signals, as Linux's `do_signal_stop` → `do_jobctl_trap`
    /// does for a task attached with PTRACE_TRACEME or PTRACE_ATTACH.
    ///
    /// Context: process context, on this thread; never allocates or blocks beyond
    /// the signal lock, what `job` does and the stops `tracer` blocks in.
    ///
    /// [rule 65]: crate::docs::rules#rule-65
    /// [rule 68]: crate::docs::rules#rule-68
    /// [rule 69]: crate::docs::rules#rule-69
    pub fn get_signal_traced<J, T>(&self, job: &mut J, tracer: &mut T) -> Option<Delivery>
    where
        J: JobControl + ?Sized,
        T: Tracer + ?Sized,
    {
        let p = &*self.process;
        let mut st = p.state.lock();
        loop {
            if let Some(sig) = st.group_exit() {
                return Some(Delivery::Exit {
                    sig,
                    core_dump: false,
                });
            }
            if st.stop_pending(self.slot) {
                // Another thread started a group stop: take part before dequeuing
                // anything (`do_signal_stop(0)`, rule 70). A traced thread traps
                // to its tracer instead (`JOBCTL_TRAP_STOP`).
                let sig = st.participate_group_stop(self.slot);
                if !st.is_traced(self.slot) {
                    return Some(Delivery::Stop(sig));
                }
                st.schedule_trap_stop(self.slot);
            }
            // `do_jobctl_trap`: a group-stop trap, PTRACE_INTERRUPT, or a
            // group-stop change a seized tracee reports. The signal it is resumed
            // with is dropped.
            if let Some((sig, kind)) = st.take_jobctl_trap(self.slot) {
                let info = (kind == PtraceStopKind::EventStop).then(|| {
                    let mut i = SignalInfo::user(sig, self.tid, tracer.tracee_uid());
                    i.set_code(sig.get() as i32 | crate::ptrace::PTRACE_EVENT_STOP << 8);
                    i
                });
                st.enter_ptrace_stop(self.slot, info.as_ref());
                drop(st);
                let _ = tracer.ptrace_stop(sig, kind);
                st = p.state.lock();
                st.leave_ptrace_stop(self.slot);
                continue;
            }
            let allowed = st.blocked(self.slot).complement();
            let mut info = SignalInfo::ZERO;
            let taken =
                st.dequeue_signal_typed(self.slot, allowed, &p.common.limit, &mut info, true);
            let Some((mut sig, shared)) = taken else {
                st.restore_saved_sigmask(self.slot);
                return None;
            };
            // `JOBCTL_STOP_DEQUEUED`, taken before a ptrace stop too: a SIGCONT
            // during the stop cancels a stop signal the tracer lets through.
            let mut seen = None;
            if sig != Signo::SIGKILL && st.is_traced(self.slot) {
                seen = Some(st.continue_count());
                // `ptrace_stop` returns at once, the signal unchanged, when a fatal
                // signal is already pending.
                let resumed = if st.group_exit().is_some() {
                    Some(sig)
                } else {
                    st.enter_ptrace_stop(self.slot, Some(&info));
                    drop(st);
                    let resumed = tracer.ptrace_stop(sig, PtraceStopKind::SignalDelivery);
                    let ids = resumed.map(|_| tracer.tracer_ids());
                    st = p.state.lock();
                    if let Some(last) = st.leave_ptrace_stop(self.slot) {
                        info = last;
                    }
                    // The tracer's SETSIGINFO may have changed `si_signo`: compare
                    // with what the siginfo says now, as Linux does.
                    if let (Some(new), Some((pid, uid))) = (resumed, ids)
                        && new.get() as i32 != info.signo_raw()
                    {
                        info = SignalInfo::user(new, pid, uid);
                    }
                    resumed
                };
                let Some(new) = resumed else {
                    continue;
                };
                if st.blocked(self.slot).contains(new) || st.group_exit().is_some() {
                    // Nothing to tell the caller: a failed requeue loses the signal,
                    // as `send_signal_locked`'s result is dropped in Linux.
                    let _ = st.send_signal(&p.common, new, Some(&info), self.slot, shared);
                    continue;
                }
                sig = new;
            }
            let action = p.common.actions.take_for_delivery(sig);
            match action.disposition() {
                crate::action::Disposition::Ignore => continue,
                crate::action::Disposition::Handler(_) => {
                    let saved_mask = st.sigmask_to_save(self.slot);
                    return Some(Delivery::Handler(HandlerDelivery {
                        sig,
                        info,
                        action,
                        saved_mask,
                    }));
                }
                crate::action::Disposition::Default => {}
            }
            if st.is_unkillable() && !sig.is_unblockable() {
                continue;
            }
            match sig.default_action() {
                DefaultAction::Ignore | DefaultAction::Continue => continue,
                DefaultAction::Stop => {
                    let seen = seen.unwrap_or_else(|| st.continue_count());
                    if sig != Signo::SIGSTOP {
                        drop(st);
                        // Signals can be posted in this window, SIGCONT included.
                        let orphaned = job.is_current_pgrp_orphaned();
                        st = p.state.lock();
                        if orphaned {
                            continue;
                        }
                    }
                    if !st.do_signal_stop(self.slot, sig, seen) {
                        continue;
                    }
                    if !st.is_traced(self.slot) {
                        return Some(Delivery::Stop(sig));
                    }
                    // `do_signal_stop` of a traced thread: `JOBCTL_TRAP_STOP`, taken
                    // at the top of the loop (`do_jobctl_trap`).
                    st.schedule_trap_stop(self.slot);
                }
                DefaultAction::Terminate | DefaultAction::CoreDump => {
                    let core_dump = sig.default_action() == DefaultAction::CoreDump;
                    st.zap_threads(sig);
                    return Some(Delivery::Exit { sig, core_dump });
                }
            }
        }
    }

    /// Marks this thread traced or not (Linux's `ptrace_link` at PTRACE_TRACEME,
    /// PTRACE_ATTACH or PTRACE_SEIZE, and `__ptrace_unlink` at detach or when the
    /// tracer exits). While traced, its signals go through its tracer in
    /// [`ThreadSignalManager::get_signal_traced`] ([rule 65]), its ignored signals
    /// are kept for the tracer to see ([rule 66]) and a fatal signal sent to it is
    /// reported to the tracer before it ends the group ([rule 67]).
    ///
    /// A kernel that unlinks a thread in a ptrace stop wakes it; its stop then ends
    /// with the signal unchanged ([`Tracer::ptrace_stop`]).
    ///
    /// The first time a thread is traced it gets the ptrace state only tracees
    /// need (`last_siginfo` and the trap flags; an untraced thread's slot stays
    /// small): ENOMEM if that allocation fails, and the thread stays as it was.
    /// Untracing never fails.
    ///
    /// Context: process context (`ptrace` or the tracer's exit); may allocate, then
    /// takes the signal lock briefly.
    ///
    /// [rule 65]: crate::docs::rules#rule-65
    /// [rule 66]: crate::docs::rules#rule-66
    /// [rule 67]: crate::docs::rules#rule-67
    pub fn set_traced(&self, traced: bool) -> Result<(), Errno> {
        self.link_tracer(traced, false)
    }

    /// Marks this thread traced through PTRACE_SEIZE (`PT_SEIZED`): as
    /// [`ThreadSignalManager::set_traced`], and its group-stop traps are
    /// PTRACE_EVENT_STOP traps ([`PtraceStopKind::EventStop`]), it traps to report
    /// each SIGCONT and group stop of its group, and PTRACE_INTERRUPT and
    /// PTRACE_LISTEN apply to it ([rule 69a]). `set_traced(false)` ends it.
    ///
    /// Context: as [`ThreadSignalManager::set_traced`] (ENOMEM as there).
    ///
    /// [rule 69a]: crate::docs::rules#rule-69a
    pub fn set_seized(&self) -> Result<(), Errno> {
        self.link_tracer(true, true)
    }

    /// `ptrace_link` / `__ptrace_unlink`, with the ptrace state allocated before the
    /// signal lock is taken (a spare one is dropped after it is released).
    fn link_tracer(&self, traced: bool, seized: bool) -> Result<(), Errno> {
        let spare = if traced && !self.is_traced_ever() {
            Some(crate::process::PtraceState::try_new_boxed()?)
        } else {
            None
        };
        let unused = self
            .process
            .state
            .lock()
            .set_traced(self.slot, traced, seized, spare);
        drop(unused);
        Ok(())
    }

    /// Whether this thread already has its ptrace state (it was traced once).
    fn is_traced_ever(&self) -> bool {
        self.process.state.lock().has_ptrace_state(self.slot)
    }

    /// Whether this thread was attached with PTRACE_SEIZE.
    ///
    /// Context: as [`ThreadSignalManager::is_traced`].
    pub fn is_seized(&self) -> bool {
        self.process.state.lock().is_seized(self.slot)
    }

    /// PTRACE_INTERRUPT (Linux's `ptrace_request` arm), called by the tracer: EIO
    /// unless this thread was seized ([`ThreadSignalManager::set_seized`]);
    /// otherwise it will take a PTRACE_EVENT_STOP trap (after the stop it is in, if
    /// any), and is woken to take it; a listening tracee's stop ends so that it
    /// traps again ([rule 69a]). Nothing else changes: no signal is sent. Finding
    /// the tracee and checking it is the caller's (ESRCH) is the kernel's.
    ///
    /// Context: process context (the tracer's system call) or any other; takes this
    /// thread's signal lock briefly and may wake it; never allocates or sleeps.
    ///
    /// [rule 69a]: crate::docs::rules#rule-69a
    pub fn ptrace_interrupt(&self) -> Result<(), Errno> {
        self.process.state.lock().ptrace_interrupt(self.slot)
    }

    /// PTRACE_LISTEN, called by the tracer on this thread in a ptrace stop: EIO
    /// unless it was seized and the stop is a PTRACE_EVENT_STOP trap. The thread
    /// then listens: it stays stopped, the kernel no longer counts it as stopped for
    /// the tracer (its `wait4` and other requests, Linux's `JOBCTL_LISTENING`), and
    /// the stop ends by itself ([`ThreadSignalManager::ptrace_stop_must_end`]) when
    /// the group's stop state changes (a SIGCONT, a new group stop) or the tracer
    /// interrupts it, so that it traps again ([rule 69a]).
    ///
    /// Context: as [`ThreadSignalManager::ptrace_interrupt`].
    ///
    /// [rule 69a]: crate::docs::rules#rule-69a
    pub fn ptrace_listen(&self) -> Result<(), Errno> {
        self.process.state.lock().ptrace_listen(self.slot)
    }

    /// Whether this thread listens in its ptrace stop (PTRACE_LISTEN).
    ///
    /// Context: any, interrupt context included with the `kspin` feature's lock; takes
    /// the signal lock briefly, never allocates or sleeps.
    pub fn is_ptrace_listening(&self) -> bool {
        self.process.state.lock().is_listening(self.slot)
    }

    /// Whether this thread's ptrace stop must end without its tracer resuming it
    /// (Linux's wake-ups of a `TASK_TRACED` task): a fatal signal is pending
    /// ([rule 69]), a group-stop change or PTRACE_INTERRUPT reached it while it
    /// listened ([rule 69a]), or it is no longer traced. The kernel's
    /// [`Tracer::ptrace_stop`] sleeps until the tracer resumes the thread or this
    /// is true; whatever makes it true wakes the thread's [`WaitQueue`].
    ///
    /// Context: any, interrupt context included with the `kspin` feature's lock; takes
    /// the signal lock briefly, never allocates or sleeps.
    ///
    /// [rule 69]: crate::docs::rules#rule-69
    /// [rule 69a]: crate::docs::rules#rule-69a
    pub fn ptrace_stop_must_end(&self) -> bool {
        self.process.state.lock().ptrace_stop_must_end(self.slot)
    }

    /// Whether this thread is traced ([`ThreadSignalManager::set_traced`]).
    ///
    /// Context: any, interrupt context included with the `kspin` feature's lock; takes
    /// the signal lock briefly, never allocates or sleeps.
    pub fn is_traced(&self) -> bool {
        self.process.state.lock().is_traced(self.slot)
    }

    /// PTRACE_GETSIGINFO (Linux's `ptrace_getsiginfo`), called by the tracer on
    /// this (stopped) thread: the siginfo of its signal-delivery stop, as the tracer
    /// last left it (bytes 48 to 128 zero, as Linux copies it out). EINVAL if the thread is in no signal-delivery stop (running, or
    /// in a group-stop trap, [`PtraceStopKind::GroupStop`]). Whether the caller is
    /// the tracer and the thread is stopped for it (`ptrace_check_attach`, ESRCH) is
    /// the kernel's check.
    ///
    /// Context: process context (the tracer's system call) or any other; takes this
    /// thread's signal lock briefly, never allocates or sleeps.
    pub fn ptrace_getsiginfo(&self) -> Result<SignalInfo, Errno> {
        self.process.state.lock().ptrace_getsiginfo(self.slot)
    }

    /// PTRACE_SETSIGINFO (Linux's `ptrace_setsiginfo`): replaces the siginfo of the
    /// signal-delivery stop this thread is in; the thread is delivered what it says
    /// ([rule 68]). As in Linux, the stop keeps a `struct kernel_siginfo` (the first
    /// 48 bytes, [`SignalInfo::compact`]; the copy from user space, with its E2BIG
    /// check for an unknown layout, is the caller's) and nothing in it is checked.
    /// EINVAL as for [`ThreadSignalManager::ptrace_getsiginfo`].
    ///
    /// Context: as [`ThreadSignalManager::ptrace_getsiginfo`].
    ///
    /// [rule 68]: crate::docs::rules#rule-68
    pub fn ptrace_setsiginfo(&self, info: &SignalInfo) -> Result<(), Errno> {
        self.process.state.lock().ptrace_setsiginfo(self.slot, info)
    }

    /// Linux's `fatal_signal_pending` for this thread: its group is exiting (a
    /// SIGKILL, or another fatal signal, or `exit_group`). A ptrace stop ends when
    /// this becomes true ([rule 69]); the send that makes it true wakes the
    /// thread's [`WaitQueue`].
    ///
    /// Context: any, interrupt context included with the `kspin` feature's lock; takes
    /// the signal lock briefly, never allocates or sleeps.
    ///
    /// [rule 69]: crate::docs::rules#rule-69
    pub fn fatal_signal_pending(&self) -> bool {
        self.process.state.lock().group_exit().is_some()
    }

    /// The frame for `d` was written (`signal_delivered`): block `sa_mask` and the
    /// signal itself (not with SA_NODEFER), and forget the `rt_sigsuspend` mask, which
    /// now lives in the frame.
    ///
    /// Context: process context, on this thread, after its frame was written and with
    /// no lock of this crate held; takes the signal lock; never allocates or sleeps.
    pub fn signal_delivered(&self, d: &HandlerDelivery) {
        let mut block = d.action.mask();
        if !d.action.flags().contains(SaFlags::NODEFER) {
            block.insert(d.sig);
        }
        self.process.state.lock().signal_delivered(self.slot, block);
    }

    /// The frame for `sig` could not be written (`force_sigsegv`, [rule 48]): SIGSEGV is
    /// forced on the thread; if the failed signal was SIGSEGV itself, its handler is
    /// reset first so the SIGSEGV is fatal.
    ///
    /// Context: as [`ThreadSignalManager::force_signal`]: process context, on this
    /// thread, with no lock of this crate held.
    ///
    /// [rule 48]: crate::docs::rules#rule-48
    pub fn force_sigsegv(&self, sig: Signo) -> Result<SendOutcome, Errno> {
        if sig == Signo::SIGSEGV {
            self.process
                .common
                .actions
                .set(Signo::SIGSEGV, SignalAction::DEFAULT);
        }
        self.force_signal(Signo::SIGSEGV, &SignalInfo::kernel(Signo::SIGSEGV))
    }

    /// `rt_sigreturn`'s mask restore ([rule 52]): the mask saved in the frame, without
    /// SIGKILL and SIGSTOP.
    ///
    /// Context: process context, on this thread, from `rt_sigreturn`; takes the signal
    /// lock; never allocates or sleeps.
    ///
    /// [rule 52]: crate::docs::rules#rule-52
    pub fn restore_saved_mask(&self, saved_mask: SignalSet) {
        self.process.state.lock().set_blocked(self.slot, saved_mask);
    }

    /// `rt_sigtimedwait` ([rule 34], [rule 35]): takes a signal of `set` (SIGKILL and
    /// SIGSTOP left out) whatever the mask or disposition, waiting up to `timeout`
    /// (`None` waits forever). While waiting the set is unblocked and the old mask kept
    /// as `real_blocked`, so `complete_signal` can choose this thread and blocked
    /// ignored signals stay queued. EAGAIN on a zero or expired timeout; EINTR when
    /// another deliverable signal (or a group exit) arrives first.
    ///
    /// A group stop ends the wait with EINTR ([rule 70]): the thread then stops on
    /// its way back to user space, and the caller sees EINTR after the SIGCONT, as
    /// in Linux. Unlike Linux, a spurious wake-up (one with nothing to deliver and
    /// no stop to take part in) does not end the wait with EINTR: the wait goes on
    /// for the time left.
    ///
    /// Context: process context, on this thread.
    ///
    /// [rule 34]: crate::docs::rules#rule-34
    /// [rule 35]: crate::docs::rules#rule-35
    /// [rule 70]: crate::docs::rules#rule-70
    pub fn sigtimedwait(
        &self,
        set: SignalSet,
        timeout: Option<Duration>,
    ) -> Result<(Signo, SignalInfo), Errno> {
        let mut info = SignalInfo::ZERO;
        let sig = self.sigtimedwait_into(set, timeout, &mut info)?;
        Ok((sig, info))
    }

    /// [`ThreadSignalManager::sigtimedwait`] writing the siginfo into `out` (all 128
    /// bytes, only when a signal is taken) instead of returning it: the copy-free form
    /// for a syscall layer that copies it straight out to user space.
    ///
    /// Context: as [`ThreadSignalManager::sigtimedwait`]: process context, on this
    /// thread; sleeps.
    pub fn sigtimedwait_into(
        &self,
        set: SignalSet,
        timeout: Option<Duration>,
        info: &mut SignalInfo,
    ) -> Result<Signo, Errno> {
        let p = &*self.process;
        let set = set.without_unblockable();
        {
            let mut st = p.state.lock();
            if let Some(sig) = st.dequeue_signal(self.slot, set, &p.common.limit, info) {
                return Ok(sig);
            }
            if timeout == Some(Duration::ZERO) {
                return Err(Errno::EAGAIN);
            }
            st.unblock_for_sigtimedwait(self.slot, set);
        }
        let mut remaining = timeout;
        let result = loop {
            self.link.wait.prepare_to_wait();
            {
                let mut st = p.state.lock();
                if let Some(sig) = st.dequeue_signal(self.slot, set, &p.common.limit, info) {
                    self.link.wait.finish_wait();
                    break Ok(sig);
                }
                if self.link.sigpending(Ordering::Relaxed) {
                    self.link.wait.finish_wait();
                    break Err(Errno::EINTR);
                }
            }
            match self.link.wait.wait(remaining) {
                WaitOutcome::Woken { remaining: left } => remaining = left.or(remaining),
                WaitOutcome::TimedOut => {
                    let mut st = p.state.lock();
                    break st
                        .dequeue_signal(self.slot, set, &p.common.limit, info)
                        .ok_or(Errno::EAGAIN);
                }
            }
        };
        p.state.lock().restore_real_blocked(self.slot);
        result
    }

    /// Takes the first pending signal of `set` (SIGKILL and SIGSTOP left out),
    /// private queue first, then shared, whatever the mask or disposition: the
    /// non-blocking `dequeue_signal` that `rt_sigtimedwait` starts with and a
    /// signalfd read uses ([`crate::SignalFd`]). The siginfo goes to `info` (all 128
    /// bytes) only when a signal is taken.
    ///
    /// Context: process context, on this thread; never blocks beyond the signal lock.
    pub fn dequeue_in(&self, set: SignalSet, info: &mut SignalInfo) -> Option<Signo> {
        let p = &*self.process;
        let mut st = p.state.lock();
        st.dequeue_signal(self.slot, set.without_unblockable(), &p.common.limit, info)
    }

    /// The signals pending for this thread, private or shared, blocked or not
    /// (what a signalfd's poll tests against its mask).
    ///
    /// Context: any; never blocks beyond the signal lock.
    pub fn pending_all(&self) -> SignalSet {
        self.process.state.lock().pending_all(self.slot)
    }

    /// Something that wakes this thread's wait queue from any context (a hook that
    /// must wake a thread blocked on a signalfd read).
    pub(crate) fn waker(&self) -> Arc<ThreadLink<W>> {
        self.link.clone()
    }

    /// `rt_sigsuspend` ([rule 36]): replaces the mask with `mask` until a signal is
    /// deliverable or a group stop is to be taken part in ([rule 70]), then returns
    /// ERESTARTNOHAND for the kernel's restart logic (after a stop no handler runs,
    /// so the call restarts). The
    /// old mask is restored when the handler returns (it is saved in the frame), or by
    /// [`ThreadSignalManager::get_signal`] at once if no handler runs.
    ///
    /// Context: process context, on this thread.
    ///
    /// [rule 36]: crate::docs::rules#rule-36
    /// [rule 70]: crate::docs::rules#rule-70
    pub fn sigsuspend(&self, mask: SignalSet) -> Errno {
        self.process
            .state
            .lock()
            .set_sigsuspend_mask(self.slot, mask);
        self.wait_for_signal()
    }

    /// `pause`: waits until a signal is deliverable; ERESTARTNOHAND.
    ///
    /// Context: process context, on this thread, with no lock of this crate held;
    /// sleeps in [`WaitQueue::wait`].
    pub fn pause(&self) -> Errno {
        self.wait_for_signal()
    }

    fn wait_for_signal(&self) -> Errno {
        loop {
            self.link.wait.prepare_to_wait();
            if self.has_pending() {
                self.link.wait.finish_wait();
                return Errno::ERESTARTNOHAND;
            }
            self.link.wait.wait(None);
        }
    }

    /// Whether this thread's disposition for `sig` would discard it (for kernels that
    /// want to skip work for ignored signals, such as SIGCHLD on child exit).
    ///
    /// Context: as [`crate::SignalActions::get`]: any with the `kspin` feature.
    pub fn is_ignored(&self, sig: Signo) -> bool {
        handler_ignored(&self.process.common.actions.get(sig), sig)
    }

    /// The alternate signal stack. A new thread starts with it disabled; `fork`
    /// copies the parent thread's (set it on the child), a thread created with
    /// CLONE_VM (and not CLONE_VFORK) does not get one, as in Linux.
    ///
    /// Context: any, interrupt context included with the `kspin` feature's lock; takes
    /// the signal lock briefly, never allocates or sleeps.
    pub fn altstack(&self) -> SignalStack {
        self.process.state.lock().altstack(self.slot)
    }

    /// Replaces the alternate signal stack (after `SignalStack::sigaltstack`
    /// validated the change, or after a frame was pushed with SS_AUTODISARM).
    ///
    /// Context: process context, on this thread; takes the signal lock briefly, never
    /// allocates or sleeps.
    pub fn set_altstack(&self, stack: SignalStack) {
        self.process.state.lock().set_altstack(self.slot, stack);
    }

    /// The signal this thread asked for with `PR_SET_PDEATHSIG`, sent to its thread
    /// group when the thread that forked its process exits
    /// ([`crate::send_pdeath_signal`], [rule 73]); `None` if none.
    ///
    /// Context: any, interrupt context included with the `kspin` feature's lock; takes
    /// the signal lock briefly, never allocates or sleeps.
    ///
    /// [rule 73]: crate::docs::rules#rule-73
    pub fn pdeath_signal(&self) -> Option<Signo> {
        self.process.state.lock().pdeath_signal(self.slot)
    }

    /// Sets or clears (`None`) the parent-death signal ([rule 73]): `prctl`'s
    /// `PR_SET_PDEATHSIG` ([`crate::syscall::sys_prctl_pdeathsig`]). A new thread
    /// starts without one (fork and clone clear it, as Linux's `copy_process`
    /// does); `execve` keeps it, except that Linux clears it for a set-user-id or
    /// otherwise privilege-changing exec (`bprm->secureexec`) and whenever
    /// `commit_creds` changes the euid, egid, fsuid, fsgid or capabilities: a kernel
    /// with credentials calls this with `None` there.
    ///
    /// Context: process context; takes the signal lock briefly.
    ///
    /// [rule 73]: crate::docs::rules#rule-73
    pub fn set_pdeath_signal(&self, sig: Option<Signo>) {
        self.process.state.lock().set_pdeath_signal(self.slot, sig);
    }

    /// `execve` on this thread: the alternate stack is disabled (the mask and pending
    /// signals stay; the actions are reset by `ProcessSignalManager::exec`).
    ///
    /// Context: process context, from `execve`, on this thread; takes the signal lock
    /// briefly.
    pub fn exec(&self) {
        self.set_altstack(SignalStack::DISABLED);
    }

    /// A thread exits ([rule 32]): its private queue is dropped and shared signals it
    /// would have taken are handed to another thread.
    ///
    /// Context: process context, as the thread exits, with no lock of this crate held;
    /// takes the signal lock, wakes another thread if it hands signals on, and frees
    /// the thread's queue (calls the deallocator).
    ///
    /// [rule 32]: crate::docs::rules#rule-32
    pub fn exit(self) {
        drop(self);
    }
}

impl<W: WaitQueue, R: RawMutex> Drop for ThreadSignalManager<W, R> {
    fn drop(&mut self) {
        let p = &*self.process;
        p.state.lock().detach(self.slot, &p.common.limit);
    }
}

impl<W: WaitQueue, R: RawMutex> core::fmt::Debug for ThreadSignalManager<W, R> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ThreadSignalManager")
            .field("tid", &self.tid)
            .finish()
    }
}
