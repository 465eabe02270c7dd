#!/usr/bin/env bash
# Real programs, natively and under ksignal-run: bash job control and traps,
# Python's signal module, and a C program (runner/tests/sigprog.c) with nested
# handlers, siginfo, ucontext edits, sigaltstack, FP state and signalfds (poll,
# select and epoll readiness, dup, readv). Each case's
# stdout, stderr and exit status under ksignal-run must equal the native run's
# (and, where the case names one, the expected exit status).
#
#     runner/tests/real-programs.sh [--cases REGEX] [--timeout S]
#
# Prints one line per case and ends with `N passed, N failed`; exit status 0
# only when none failed. KSIGNAL_RUN names a ksignal-run binary to use instead
# of building runner/. Outputs: target/real-programs/.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
filter=.
timeout=30
while (($#)); do
  case $1 in
    --cases) filter=$2; shift ;;
    --timeout) timeout=$2; shift ;;
    *) echo "real-programs.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

missing=()
for tool in gcc python3 setsid timeout; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "real-programs.sh: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev python3 util-linux coreutils >/dev/null
fi
# The system's python3 itself (not a version manager's shell wrapper).
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3)
# Unbuffered, so that a case that hangs still shows how far it got.
export PYTHONUNBUFFERED=1

if [[ -z ${KSIGNAL_RUN:-} ]]; then
  cargo build --release --quiet --manifest-path "$repo/runner/Cargo.toml"
  KSIGNAL_RUN="$repo/runner/target/release/ksignal-run"
fi
ksr=$(realpath "$KSIGNAL_RUN")

out="$repo/target/real-programs"
mkdir -p "$out/work"
gcc -O2 -pthread -Wall -Wextra -Wno-infinite-recursion -o "$out/sigprog" "$repo/runner/tests/sigprog.c"
sigprog="$out/sigprog"

passed=0
failed=0
# check NAME EXPECTED_STATUS|- PROGRAM [ARGS...]
check() {
  local name=$1 want=$2 mode
  shift 2
  [[ $name =~ $filter ]] || return 0
  for mode in native runner; do
    local pre=()
    [[ $mode == runner ]] && pre=("$ksr" --)
    # Its own session (no controlling terminal, whatever runs this script),
    # every signal disposition at default (`env --default-signal`: bash starts
    # background commands with SIGINT/SIGQUIT ignored, and under `nohup` SIGHUP
    # is ignored, which a non-interactive bash cannot reset), no core files, a
    # fixed cwd.
    # (The group's 2>/dev/null keeps this shell's own "Killed"-style
    # reports about the case out of the output.)
    {
      (
        cd "$out/work"
        ulimit -c 0
        exec timeout -k 5 "$timeout" env --default-signal setsid "${pre[@]}" "$@" </dev/null \
          >"$out/$name.$mode.out" 2>"$out/$name.$mode.err"
      ) && rc=0 || rc=$?
    } 2>/dev/null
    echo "$rc" >"$out/$name.$mode.status"
  done
  local n r why=
  n=$(cat "$out/$name.native.status")
  r=$(cat "$out/$name.runner.status")
  if [[ $want != - && $n != "$want" ]]; then
    why="native exit $n, expected $want"
  elif [[ $r != "$n" ]]; then
    why="exit $r, native $n"
    [[ $r == 124 ]] && why="timed out after ${timeout}s"
  elif ! cmp -s "$out/$name.native.out" "$out/$name.runner.out"; then
    why="stdout differs: $(diff "$out/$name.native.out" "$out/$name.runner.out" | grep '^[<>]' | head -n1 || true)"
  elif ! cmp -s "$out/$name.native.err" "$out/$name.runner.err"; then
    why="stderr differs: $(diff "$out/$name.native.err" "$out/$name.runner.err" | grep '^[<>]' | head -n1 || true)"
  fi
  if [[ -z $why ]]; then
    passed=$((passed + 1))
    printf 'PASS %-28s exit %s\n' "$name" "$n"
  else
    failed=$((failed + 1))
    printf 'FAIL %-28s %s\n' "$name" "${why:0:160}"
  fi
}

# ---- the issue's done-when case ----
check bash-kill-usr1-self 138 bash -c 'kill -USR1 $$'

# ---- bash: job control, wait, traps ----
check bash-sigstop-sigtstp-cont 0 bash -c '
# Job notifications go to stderr whenever bash notices a change (racy by
# nature): only stdout is compared here.
exec 2>/dev/null
set -m
sleep 30 &
p=$!
sleep 0.3  # sleep is inside clock_nanosleep when it stops: restarted on SIGCONT
kill -STOP $p
wait $p; echo "wait after SIGSTOP: $?"
jobs
kill -CONT $p
sleep 0.3
jobs
kill -TSTP $p
wait $p; echo "wait after SIGTSTP: $?"
jobs
bg %1 >/dev/null
sleep 0.3
jobs
kill -TERM $p
wait $p; echo "wait after SIGTERM: $?"
(exit 7) &
wait $!; echo "wait after exit 7: $?"
sleep 0.1 &
wait $!; echo "wait after sleep: $?"
'
check bash-trap 3 bash -c '
trap "echo trapped USR1" USR1
trap "echo trapped TERM; exit 3" TERM
kill -USR1 $$
echo "after USR1"
trap - USR1
trap "" HUP
kill -HUP $$
echo "HUP ignored"
(trap; kill -HUP $BASHPID; echo "subshell: HUP still ignored")
kill -TERM $$
echo not reached
'
check bash-trap-interrupts-wait 0 bash -c '
trap "echo trapped USR2" USR2
(sleep 1; kill -USR2 $$) &
sleep 30 &
p=$!
wait $p; echo "wait interrupted: $?"
kill $p
wait $p; echo "sleep killed: $?"
wait; echo "all waited"
'
check bash-child-signal-statuses 0 bash -c '
for s in INT QUIT TERM KILL SEGV ABRT USR2; do
  { bash -c "kill -$s \$\$"; echo "$s: $?"; } 2>/dev/null
done
sh -c "exit 9"; echo "exit 9: $?"
'
check bash-sigpipe-pipeline 0 bash -c '
yes | head -n 3
echo "PIPESTATUS ${PIPESTATUS[*]}"
'
check bash-sigchld-trap 0 bash -c '
set -m
n=0
trap "n=\$((n+1))" CHLD
sleep 0.1 & sleep 0.2 &
wait
echo "SIGCHLD traps at least 2: $((n >= 2))"
'
check bash-killed-by-signal 143 bash -c 'sleep 30 & kill -TERM $$; wait'

# ---- python3: the signal module ----
check py-signal-kill 143 "$py" -c '
import os, signal
got = []
signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
os.kill(os.getpid(), signal.SIGUSR1)
os.kill(os.getpid(), signal.SIGUSR1)
print("handled", [signal.Signals(s).name for s in got])
print("old handler is SIG_DFL:", signal.signal(signal.SIGUSR2, signal.SIG_IGN) is signal.SIG_DFL)
os.kill(os.getpid(), signal.SIGUSR2)
print("SIGUSR2 ignored")
try:
    os.kill(os.getpid(), signal.SIGINT)
except KeyboardInterrupt:
    print("SIGINT -> KeyboardInterrupt")
signal.signal(signal.SIGTERM, signal.SIG_DFL)
os.kill(os.getpid(), signal.SIGTERM)
print("not reached")
'
check py-setitimer 0 "$py" -c '
import signal, time
n = {"ALRM": 0, "VTALRM": 0, "PROF": 0}
def h(s, f): n[signal.Signals(s).name[3:]] += 1
for s in (signal.SIGALRM, signal.SIGVTALRM, signal.SIGPROF):
    signal.signal(s, h)
signal.setitimer(signal.ITIMER_REAL, 0.02, 0.02)
while n["ALRM"] < 5:
    signal.pause()
signal.setitimer(signal.ITIMER_REAL, 0)
print("ITIMER_REAL fired 5 times")
signal.setitimer(signal.ITIMER_VIRTUAL, 0.01, 0.01)
while n["VTALRM"] < 3:
    pass
signal.setitimer(signal.ITIMER_VIRTUAL, 0)
print("ITIMER_VIRTUAL fired 3 times")
signal.setitimer(signal.ITIMER_PROF, 0.01, 0.01)
while n["PROF"] < 3:
    pass
print("getitimer interval:", signal.getitimer(signal.ITIMER_PROF)[1])
signal.setitimer(signal.ITIMER_PROF, 0)
signal.alarm(1)
print("alarm left:", signal.alarm(0))
'
check py-sigwait 0 "$py" -c '
import os, signal
S = {signal.SIGUSR1, signal.SIGUSR2, signal.SIGRTMIN}
signal.pthread_sigmask(signal.SIG_BLOCK, S)
os.kill(os.getpid(), signal.SIGRTMIN)
os.kill(os.getpid(), signal.SIGUSR2)
os.kill(os.getpid(), signal.SIGUSR1)
os.kill(os.getpid(), signal.SIGUSR1)
print("pending", sorted(int(s) for s in signal.sigpending()))
print("sigwait", int(signal.sigwait(S)))
i = signal.sigwaitinfo(S)
print("sigwaitinfo", i.si_signo, "code", i.si_code, "pid is self", i.si_pid == os.getpid())
i = signal.sigtimedwait(S, 1)
print("sigtimedwait", i.si_signo - signal.SIGRTMIN, "(rtmin+)")
print("sigtimedwait timeout", signal.sigtimedwait(S, 0.05))
print("pending", sorted(int(s) for s in signal.sigpending()))
'
check py-pthread-kill 0 "$py" -c '
import os, signal, threading
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
ready = threading.Event()
got = []
def waiter():
    ready.set()
    got.append(int(signal.sigwait({signal.SIGUSR1})))
t = threading.Thread(target=waiter)
t.start()
ready.wait()
signal.pthread_kill(t.ident, signal.SIGUSR1)
t.join()
print("thread sigwait got", got)
print("main pending", sorted(int(s) for s in signal.sigpending()))
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})
seen = []
signal.signal(signal.SIGUSR2, lambda s, f: seen.append(threading.current_thread() is threading.main_thread()))
signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR2)
print("handler ran in main thread", seen)
signal.pthread_kill(threading.main_thread().ident, 0)
print("pthread_kill 0: ok")
'
check py-pthread-sigmask 0 "$py" -c '
import os, signal
order = []
for s in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGHUP):
    signal.signal(s, lambda n, f: order.append(signal.Signals(n).name))
old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGUSR2})
print("old mask", sorted(int(s) for s in old))
os.kill(os.getpid(), signal.SIGUSR2)
os.kill(os.getpid(), signal.SIGUSR1)
os.kill(os.getpid(), signal.SIGHUP)
print("ran while blocked", order)
m = signal.pthread_sigmask(signal.SIG_SETMASK, {signal.SIGUSR2})
print("mask was", sorted(int(s) for s in m))
print("ran after partial unblock", order)
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR2})
print("ran after full unblock", order)
print("SIGKILL cannot be blocked:", int(signal.SIGKILL) not in signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGKILL, signal.SIGSTOP}) and int(signal.SIGKILL) not in signal.pthread_sigmask(signal.SIG_BLOCK, set()))
'
check py-eintr-handler-raises 0 "$py" -c '
import os, signal
class Alarm(Exception): pass
def h(s, f): raise Alarm()
signal.signal(signal.SIGALRM, h)
r, w = os.pipe()
signal.setitimer(signal.ITIMER_REAL, 0.1)
try:
    os.read(r, 1)
except Alarm:
    print("read interrupted by SIGALRM handler")
signal.signal(signal.SIGALRM, lambda s, f: None)
pid = os.fork()
if pid == 0:
    import time; time.sleep(0.8); os.write(w, b"x"); os._exit(0)
signal.setitimer(signal.ITIMER_REAL, 0.1)
print("read retried after EINTR (PEP 475):", os.read(r, 1))
os.waitpid(pid, 0)
'
check py-subprocess-stop-cont 0 "$py" -c '
import os, signal, subprocess, sys, time
p = subprocess.Popen(["sleep", "30"])
time.sleep(0.3)  # past its exec (c-stop-exec checks a stop during exec)
p.send_signal(signal.SIGSTOP)
_, st = os.waitpid(p.pid, os.WUNTRACED)
print("stopped", os.WIFSTOPPED(st), os.WSTOPSIG(st))
p.send_signal(signal.SIGCONT)
_, st = os.waitpid(p.pid, os.WCONTINUED)
print("continued", os.WIFCONTINUED(st))
p.terminate()
print("returncode", p.wait())
print("segv child", subprocess.run([sys.executable, "-c", "import ctypes; ctypes.string_at(0)"]).returncode)
'

check py-signalfd-epoll 0 "$py" -c '
# Python has no signalfd of its own: libc`s, through ctypes, read with os.read
# and watched with select.epoll, select.select and select.poll.
import ctypes, os, select, signal, struct, threading
libc = ctypes.CDLL(None, use_errno=True)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGTERM})
mask = (ctypes.c_ulong * 16)((1 << (signal.SIGUSR1 - 1)) | (1 << (signal.SIGTERM - 1)))
fd = libc.signalfd(-1, mask, os.O_NONBLOCK | os.O_CLOEXEC)
signo = lambda f: signal.Signals(struct.unpack_from("I", os.read(f, 128))[0]).name
ep = select.epoll()
ep.register(fd, select.EPOLLIN)
print("idle epoll:", ep.poll(0.1))
threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGUSR1)).start()
print("epoll after a thread`s kill:", [(f == fd, e) for f, e in ep.poll(5)])
print("read:", signo(fd))
os.kill(os.getpid(), signal.SIGTERM)
print("select:", select.select([fd], [], [], 1)[0] == [fd])
p = select.poll()
p.register(fd, select.POLLIN)
print("poll:", [(f == fd, e) for f, e in p.poll(1000)])
d = os.dup(fd)
print("read from a dup:", signo(d))
print("idle poll:", p.poll(50))
'

# ---- the C program ----
for t in nested siginfo altstack fp restart longjmp nocldwait threads stop-exec \
  sfd-epoll sfd-poll sfd-dup sfd-readv; do
  check "c-$t" 0 "$sigprog" "$t"
done
check c-fault-edit 139 "$sigprog" fault-edit
check c-abort 134 "$sigprog" abort

echo "$passed passed, $failed failed"
((failed == 0))
