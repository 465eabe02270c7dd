#!/usr/bin/env bash
# Builds the user programs and the kernel, boots it under QEMU, and checks
# the console log. Exits 0 only if every user program printed
# "PASS <name>", every line of the expected list below appeared (and no PASS
# line outside it), the kernel printed "ALL DONE", and no line contains
# "FAIL".
#
#   examples/rv64-kernel/run.sh            # from anywhere, one hart
#   examples/rv64-kernel/run.sh --smp 4    # four harts (multi-threaded TCG)
#   LOG=/tmp/k.log examples/rv64-kernel/run.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TARGET=riscv64gc-unknown-none-elf
HARTS=1
while [ $# -gt 0 ]; do
    case "$1" in
        --smp) HARTS="${2:?--smp needs a hart count}"; shift 2 ;;
        --smp=*) HARTS="${1#--smp=}"; shift ;;
        *) echo "usage: $0 [--smp N]" >&2; exit 2 ;;
    esac
done
case "$HARTS" in
    [1-8]) ;;
    *) echo "--smp: 1 to 8 harts (the kernel's MAX_HARTS)" >&2; exit 2 ;;
esac
LOG="${LOG:-$HERE/target/qemu-smp$HARTS.log}"
TIME_LIMIT="${TIME_LIMIT:-600}"
cd "$HERE"

# --- tools -------------------------------------------------------------
need_pkgs=()
command -v qemu-system-riscv64 >/dev/null || need_pkgs+=(qemu-system-misc)
[ -e /usr/share/qemu/opensbi-riscv64-generic-fw_dynamic.bin ] || need_pkgs+=(opensbi qemu-system-data)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    echo "== installing ${need_pkgs[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
# rustup reads the toolchain from the repository's rust-toolchain.toml.
if ! rustup target list --installed | grep -qx "$TARGET"; then
    rustup target add "$TARGET"
fi

# --- build (build.rs builds user/ first and embeds the binaries) -------
echo "== building"
t0=$(date +%s%N)
cargo build --release
t1=$(date +%s%N)
KERNEL="$HERE/target/$TARGET/release/rv64-kernel"
echo "== build took $(( (t1 - t0) / 1000000 )) ms"

# --- boot ----------------------------------------------------------------
mkdir -p "$(dirname "$LOG")"
echo "== booting on $HARTS hart(s) (limit ${TIME_LIMIT}s), log: $LOG"
# Several harts: one host thread per hart (MTTCG), so harts really run at
# the same time, as on hardware.
accel=()
[ "$HARTS" -gt 1 ] && accel=(-accel tcg,thread=multi)
t0=$(date +%s%N)
set +e
timeout "$TIME_LIMIT" qemu-system-riscv64 -machine virt -nographic -bios default \
    "${accel[@]}" -m 128M -smp "$HARTS" -kernel "$KERNEL" </dev/null >"$LOG" 2>&1
qemu_rc=$?
set -e
t1=$(date +%s%N)
echo "== boot to shutdown took $(( (t1 - t0) / 1000000 )) ms (qemu exit $qemu_rc)"

# --- verdict -------------------------------------------------------------
# Strip carriage returns once; every check below greps this copy. (Grepping
# `tr ... | grep -q` instead would fail spuriously under pipefail: grep -q
# exits at the first match and tr dies of SIGPIPE.)
CLEAN="${LOG%.log}.clean.log"
tr -d '\r' <"$LOG" >"$CLEAN"
# Show only our own lines (not OpenSBI's banner).
sed -n '/^\[kernel\] rv64-kernel booting/,$p' "$CLEAN"

fail=0
# Every program must print "PASS <name>".
mapfile -t programs < <(find "$HERE/user/src/bin" -name '*.rs' -printf '%f\n' | sed 's/\.rs$//' | sort)
for name in "${programs[@]}"; do
    if ! grep -qx "PASS $name" "$CLEAN"; then
        echo "!! missing: PASS $name"
        fail=1
    fi
done
# Every expected PASS line must appear, and every PASS line must be expected
# (a new check needs a line here, so it cannot silently stop running).
mapfile -t expected < <(sed -e 's/^[[:space:]]*//' -e '/^#/d' -e '/^$/d' <<'EXPECTED'
PASS faults
PASS forkwait
PASS fp
PASS hello
PASS sleep_read
PASS threads
PASS sig_alarm: setitimer/getitimer: EINVAL for bad arguments; a one-shot SIGALRM (SI_KERNEL) after its time, then disarmed
PASS sig_alarm: a 1 ms periodic SIGALRM from the timer interrupt while every thread hammers the signal lock in the kernel
PASS sig_alarm
PASS sig_altstack: sigaltstack set/query, ENOMEM and EINVAL
PASS sig_altstack: SA_ONSTACK handler on the alternate stack (SS_ONSTACK, EPERM), nested further down, and back
PASS sig_altstack: a handler without SA_ONSTACK stays on the normal stack
PASS sig_altstack: SS_AUTODISARM disarms while the handler runs, sigreturn restores it
PASS sig_altstack: new threads have none, fork children inherit it
PASS sig_altstack: a frame that cannot be written kills with SIGSEGV
PASS sig_altstack
PASS sig_badframe: unreadable or malformed frames kill only the forger with SIGSEGV (catchable, SI_KERNEL)
PASS sig_badframe: a frame with a kernel pc resumes in user mode and faults there (SIGSEGV)
PASS sig_badframe: a forged valid frame resumes its pc/sp/a0/a1/f10, mask without SIGKILL/SIGSTOP
PASS sig_badframe
PASS sig_cycles: 10,000 self-kills each counted once by generation, do_signal, rt_sigreturn and the handler; every phase above 0, the three below the whole round trip
PASS sig_cycles
PASS sig_fatal: SIGTERM, SIGUSR1 and SIGRTMIN+5 terminate: WIFSIGNALED with the signal
PASS sig_fatal: SIGQUIT and a raised SIGABRT (core actions) end the process, no core-dump bit
PASS sig_fatal: SIGKILL kills with every signal blocked; ignored or handled signals do not kill
PASS sig_fatal: a blocked fatal signal kills when unblocked
PASS sig_fatal: a fatal signal ends every thread of the process
PASS sig_fatal
PASS sig_fault: SIGSEGV caught: SEGV_MAPERR / SEGV_ACCERR, si_addr, uc pc; resumed past the fault
PASS sig_fault: SIGILL (ILL_ILLOPC) and SIGTRAP (TRAP_BRKPT) caught with si_addr = the instruction
PASS sig_fault: a fault with SIGSEGV blocked, ignored, or inside its handler kills with SIGSEGV
PASS sig_fault
PASS sig_fp: the handler starts with the interrupted FP state, also saved in uc_mcontext
PASS sig_fp: f0-f31 and fcsr intact after a handler that overwrote them all
PASS sig_fp: sigreturn loads the FP state from the (edited) ucontext
PASS sig_fp
PASS sig_info: handler args a0-a2, ra = trampoline, 16-byte aligned frame
PASS sig_info: SI_QUEUE siginfo with value, pid and uid
PASS sig_info: ucontext pc/sp/a0/sigmask are the interrupted ones; mask restored
PASS sig_info: SI_TKILL and SI_USER carry the sender's pid
PASS sig_info: sigsuspend; SI_USER from another process carries its pid
PASS sig_info: EINVAL, ESRCH, EFAULT, EPERM from the syscall layer
PASS sig_info
PASS sig_job: SIGSTOP stops both threads; SIGCHLD CLD_STOPPED and wait4 WUNTRACED (0x137f)
PASS sig_job: SIGCONT continues it; SIGCHLD CLD_CONTINUED and wait4 WCONTINUED (0xffff)
PASS sig_job: the stopped nanosleep resumed to its deadline (restart_syscall); CLD_EXITED
PASS sig_job: SIGKILL ends a stopped child; SIGCHLD CLD_KILLED
PASS sig_job: SA_NOCLDSTOP: no SIGCHLD for stop and continue, one for the exit
PASS sig_job: SIGCHLD handlers (stop, continue, exit) run during wait4, which restarts (SA_RESTART)
PASS sig_job: with SIGCHLD ignored children are reaped automatically (ECHILD)
PASS sig_job
PASS sig_nested: a signal raised in its own handler waits until the handler returns
PASS sig_nested: SA_NODEFER lets the handler be interrupted by its own signal
PASS sig_nested: another signal nests inside a running handler
PASS sig_nested: a signal in sa_mask waits until the handler returns
PASS sig_nested: two pending signals, two frames, handlers run in Linux's order
PASS sig_nested: SA_RESETHAND resets the action on delivery
PASS sig_nested
PASS sig_ptrace: PTRACE_TRACEME; each signal is a signal-delivery stop (wait4 0x7f|sig<<8) with its siginfo (PTRACE_GETSIGINFO)
PASS sig_ptrace: PTRACE_CONT with 0 suppresses a signal; with another signal delivers that one, SI_USER from the tracer
PASS sig_ptrace: PTRACE_SETSIGINFO changes the si_value and si_code the handler receives
PASS sig_ptrace: an ignored signal still stops; a changed signal that is blocked waits and stops again when unblocked
PASS sig_ptrace: a fatal signal stops first and kills only when let through; SIGKILL never stops, and ends a stop
PASS sig_ptrace
PASS sig_restart: SA_RESTART restarts an interrupted blocking read
PASS sig_restart: without SA_RESTART the read fails with EINTR after the handler
PASS sig_restart: wait4 fails with EINTR, or restarts with SA_RESTART
PASS sig_restart: nanosleep fails with EINTR and the time left, even with SA_RESTART
PASS sig_restart: ignored and blocked signals do not interrupt a sleep
PASS sig_restart
PASS sig_restartblock: nanosleep(2 s) stopped by SIGSTOP and continued 0.5 s later returns 0 after about 2 s (restart_syscall)
PASS sig_restartblock: with a handler nanosleep(2 s) fails with EINTR and rem holds the time left
PASS sig_restartblock: after the handler's sigreturn restart_syscall returns EINTR
PASS sig_restartblock: clock_nanosleep(TIMER_ABSTIME) stopped and continued returns 0 at its deadline
PASS sig_restartblock
PASS sig_resume: every general register restored after a handler that trashed them
PASS sig_resume: f0-f31 and fcsr restored after a handler that trashed them
PASS sig_resume
PASS sig_signalfd: signalfd4 checks the mask size, the flags and the descriptor (EINVAL, EBADF)
PASS sig_signalfd: a blocked signal is read as one 128-byte record: signo, SI_QUEUE, pid, uid, value
PASS sig_signalfd: an empty SFD_NONBLOCK signalfd reads EAGAIN; a read shorter than a record is EINVAL
PASS sig_signalfd: signalfd4 on the descriptor changes its mask; one read returns 4 records in Linux's order
PASS sig_signalfd: a blocking read sleeps until a kill from another thread, then from another process, wakes it
PASS sig_signalfd: a forked child reads its own signals through the inherited descriptor
PASS sig_signalfd: a signal of the mask that is not blocked is delivered to its handler, not read
PASS sig_signalfd: close; a closed descriptor is EBADF
PASS sig_signalfd
PASS sig_wait: sigtimedwait times out with EAGAIN (zero and 40 ms timeouts)
PASS sig_wait: a pending signal is taken at once; RT signals queue in order, standard ones coalesce
PASS sig_wait: sigtimedwait satisfied by a sibling thread's rt_tgsigqueueinfo
PASS sig_wait: sigtimedwait takes a process-directed signal the other threads block
PASS sig_wait: another deliverable signal ends sigtimedwait with EINTR
PASS sig_wait: a process-directed signal is taken by the thread that does not block it
PASS sig_wait
PASS sig_orphan: the stopped child of an exiting parent, alone in its orphaned group, gets SIGHUP then SIGCONT (SI_KERNEL)
PASS sig_orphan: SIGTSTP to the orphaned group is discarded
PASS sig_orphan: PR_SET_PDEATHSIG: SIGUSR1 (SI_USER, from the parent) when the parent exits; EINVAL for 65
PASS sig_orphan: a thread in sigtimedwait lets its group stop (CLD_STOPPED, wait4 WUNTRACED 0x137f) and gets EINTR after SIGCONT
PASS sig_orphan: two concurrent SIGCONTs: one CLD_CONTINUED
PASS sig_orphan
PASS sig_smp: 4 threads sigqueue / rt_tgsigqueueinfo RT signals with values to 4 threads taking them by sigtimedwait and handlers: each exactly once, per-sender FIFO
PASS sig_smp: the same while other threads change sigaction and sigprocmask flat out
PASS sig_smp: RLIMIT_SIGPENDING back to exactly 0: 1024 queue, the 1025th gets EAGAIN
PASS sig_smp
PASS sig_timer: timer_create/settime/getoverrun/delete: EINVAL and EFAULT as Linux gives them
PASS sig_timer: a periodic timer blocked for 5 periods delivers one SI_TIMER signal (id, value) with si_overrun 4 = timer_getoverrun, then is rearmed
PASS sig_timer: a SIGEV_THREAD_ID timer's signal reaches only its thread
PASS sig_timer: a timer deleted with its signal pending never delivers it
PASS sig_timer: setitimer (alarm) delivers SIGALRM from the kernel (SI_KERNEL)
PASS sig_timer
EXPECTED
)
for line in "${expected[@]}"; do
    if ! grep -qxF "$line" "$CLEAN"; then
        echo "!! missing: $line"
        fail=1
    fi
done
declare -A is_expected=()
for line in "${expected[@]}"; do
    is_expected[$line]=1
done
# sig_resume's first line carries run-specific numbers; match its prefix.
if ! grep -q '^PASS sig_resume: asynchronous signal interrupted the loop at pc 0x[0-9a-f]*; ucontext holds its registers' "$CLEAN"; then
    echo "!! missing: PASS sig_resume: asynchronous signal interrupted the loop ..."
    fail=1
fi
while IFS= read -r line; do
    case "$line" in
        "PASS sig_resume: asynchronous signal interrupted the loop at pc "*) continue ;;
    esac
    # (A lookup table, not `printf | grep -q`: under pipefail that fails
    # whenever grep exits before printf is done.)
    if [ -z "${is_expected[$line]+x}" ]; then
        echo "!! unexpected PASS line (add it to the expected list in run.sh): $line"
        fail=1
    fi
done < <(grep '^PASS ' "$CLEAN")
passes=$(grep -c '^PASS ' "$CLEAN" || true)
if grep -q 'FAIL' "$CLEAN"; then
    echo "!! the log contains FAIL"
    fail=1
fi
if ! grep -qx 'ALL DONE' "$CLEAN"; then
    echo "!! no ALL DONE (timeout or crash; qemu exit $qemu_rc)"
    fail=1
fi
if [ "$qemu_rc" -ne 0 ]; then
    echo "!! qemu exited with $qemu_rc"
    fail=1
fi
if [ "$fail" -ne 0 ]; then
    echo "rv64-kernel on $HARTS hart(s): FAILED"
    exit 1
fi
# The stress figures (signals/s and run time of each sig_smp round).
grep '^sig_smp: case [0-9]: [0-9]* signals in' "$CLEAN" | sed 's/; by sigtimedwait.*//' || true
# The round trip's per-phase figures (sig_cycles).
grep '^sig_cycles: ' "$CLEAN" || true
echo "rv64-kernel on $HARTS hart(s): $passes PASS lines (${#expected[@]} listed + 1 with run-specific numbers), ${#programs[@]} programs, all passed"
