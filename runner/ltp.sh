#!/usr/bin/env bash
# LTP's signal tests, natively and under ksignal-run.
#
# Copies the LTP subset (../shared/ltp-signal beside the repository, or $LTP_SRC)
# to target/ltp, builds it there (once: a stamp skips the build while the source
# is unchanged), takes the 51 cases from runtest/syscalls as its SUBSET.md says,
# runs each one natively and under ksignal-run (each in its own session, from its
# own directory, with a per-case timeout), prints the table
#
#     case | native | ksignal-run | reason (where they differ)
#
# and ends with `LTP signal: X/51 identical to native`, then a warning naming the
# cases that neither pass nor are TCONF natively (their comparison proves
# nothing). Exit status 0 only when every case is identical (or with
# --report-only). Logs: target/ltp-results/.
#
# Options:
#   --report-only     always exit 0 (the table is still printed)
#   --cases REGEX     run only the cases whose name matches REGEX (extended regex)
#   --jobs N          cases run N at a time in each mode (default: 2)
#   --timeout S       seconds per case before it is killed (default: 45, above
#                     LTP's own 30 s limit, so that LTP reports its hangs
#                     itself; signal06 gets at least 240: it sends itself
#                     150 000 signals, ~1 min under ksignal-run)
# Environment:
#   LTP_SRC           the LTP subset to build (default: ../shared/ltp-signal)
#   KSIGNAL_RUN       a ksignal-run binary to use instead of building runner/
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
self="$repo/runner/ltp.sh"

# Runs one case; called back through xargs as `ltp.sh __case MODE NAME BIN DIR`.
# Writes target/ltp-results/MODE/NAME.{log,rc,secs}.
if [[ ${1:-} == __case ]]; then
  mode=$2 name=$3 bin=$4 dir=$5
  out="$repo/target/ltp-results/$mode"
  tmp="$repo/target/ltp-tmp"
  case $mode in
    native) cmd=("./$bin") ;;
    runner) cmd=("$KSIGNAL_RUN" -- "./$bin") ;;
  esac
  limit=$LTP_CASE_TIMEOUT
  [[ $name == signal06 ]] && ((limit < 240)) && limit=240
  rm -f "$out/$name.timeout"
  start=$(date +%s%N)
  cd "$dir"
  # setsid: each case is a session and process group of its own, so a test that
  # signals its process group (kill02, kill(0, ...)) reaches only itself, and a
  # timeout can kill everything the case started.
  # `env --default-signal`: the cases start with every disposition at default.
  # Bash starts background commands with SIGINT and SIGQUIT ignored, and a
  # script started under `nohup` ignores SIGHUP, which a non-interactive bash
  # cannot reset (`trap - HUP` does nothing then); exec and fork keep ignored
  # signals ignored, and kill11 then waits 30 s for a child that ignores SIGHUP.
  (
    exec env --default-signal LTPROOT="$repo/target/ltp" TMPDIR="$tmp" LTP_COLORIZE_OUTPUT=0 \
      PATH="$dir:$repo/target/ltp/testcases/lib:$PATH" \
      setsid "${cmd[@]}" </dev/null >"$out/$name.log" 2>&1
  ) &
  pid=$!
  (
    sleep "$limit" &
    trap 'kill $! 2>/dev/null; exit 0' TERM
    wait $!
    touch "$out/$name.timeout"
    kill -TERM -- "-$pid" 2>/dev/null || true
    sleep 5 &
    wait $!
    kill -KILL -- "-$pid" 2>/dev/null || true
  ) </dev/null >/dev/null 2>&1 &
  dog=$!
  rc=0
  wait "$pid" || rc=$?
  kill "$dog" 2>/dev/null || true
  wait "$dog" 2>/dev/null || true
  # Whatever the case left behind in its process group goes with it.
  kill -KILL -- "-$pid" 2>/dev/null || true
  end=$(date +%s%N)
  echo "$rc" >"$out/$name.rc"
  echo $(((end - start) / 1000000)) >"$out/$name.ms"
  exit 0
fi

report_only=0
filter=.
jobs=2
export LTP_CASE_TIMEOUT=45
while (($#)); do
  case $1 in
    --report-only) report_only=1 ;;
    --cases) filter=$2; shift ;;
    --jobs) jobs=$2; shift ;;
    --timeout) LTP_CASE_TIMEOUT=$2; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "ltp.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

t0=$SECONDS

# The source: $LTP_SRC, else ../shared/ltp-signal beside the repository (a
# clone), else two levels up (a git worktree under wt/).
src=${LTP_SRC:-}
if [[ -z $src ]]; then
  for candidate in "$repo/../shared/ltp-signal" "$repo/../../shared/ltp-signal"; do
    if [[ -f $candidate/runtest/syscalls ]]; then src=$candidate; break; fi
  done
fi
if [[ -z $src || ! -f $src/runtest/syscalls ]]; then
  echo "ltp.sh: LTP signal tests not found (looked for ../shared/ltp-signal; set LTP_SRC)" >&2
  exit 2
fi
src=$(cd "$src" && pwd)

# The build needs a C toolchain; install it on a fresh machine.
missing=()
for tool in gcc make pkg-config setsid; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  echo "ltp.sh: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc make libc6-dev pkg-config util-linux >/dev/null
fi

folders=(kill tkill tgkill rt_sigaction rt_sigprocmask rt_sigqueueinfo rt_sigsuspend
  rt_sigtimedwait sigaction sigaltstack sighold signal signalfd signalfd4 sigpending
  sigprocmask sigrelse sigsuspend sigtimedwait sigwait sigwaitinfo pause pidfd_send_signal)

ltp="$repo/target/ltp"
stamp="$ltp/.ksignal-build-stamp"
# The stamp names the source tree (paths, sizes, mtimes) and the compiler.
fingerprint=$( (cd "$src" && find . -type f -printf '%P %s %T@\n' | LC_ALL=C sort; gcc --version | head -n1) | md5sum | cut -d' ' -f1)
tb=$SECONDS
if [[ -f $stamp && $(cat "$stamp") == "$fingerprint" ]]; then
  echo "LTP: build up to date in target/ltp (source $src)"
else
  echo "LTP: building in target/ltp from $src"
  rm -rf "$ltp"
  mkdir -p "$repo/target"
  cp -r "$src" "$ltp"
  log="$repo/target/ltp-build.log"
  if ! (
    cd "$ltp"
    ./configure
    make -j"$(nproc)" -C lib libltp.a  # the library only, not its own tests
    for f in "${folders[@]}"; do make -j"$(nproc)" -C "testcases/kernel/syscalls/$f"; done
  ) >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    echo "ltp.sh: the LTP build failed (full log: $log)" >&2
    exit 2
  fi
  echo "$fingerprint" >"$stamp"
fi
build_secs=$((SECONDS - tb))

# The cases: runtest/syscalls lines whose name starts with one of these.
cases=()
while read -r name bin _; do
  [[ $name =~ ^(kill|tkill|tgkill|rt_sig|sig|pause|pidfd_send_signal|signalfd) ]] || continue
  [[ $name =~ $filter ]] || continue
  cases+=("$name $bin")
done <"$ltp/runtest/syscalls"
total=${#cases[@]}
if ((total == 0)); then
  echo "ltp.sh: no case matches '$filter'" >&2
  exit 2
fi

# ksignal-run: $KSIGNAL_RUN, else built from runner/.
tr=$SECONDS
if [[ -z ${KSIGNAL_RUN:-} ]]; then
  if [[ ! -f $repo/runner/Cargo.toml ]]; then
    echo "ltp.sh: runner/Cargo.toml not found and KSIGNAL_RUN not set" >&2
    exit 2
  fi
  cargo build --release --quiet --manifest-path "$repo/runner/Cargo.toml"
  KSIGNAL_RUN="$repo/runner/target/release/ksignal-run"
fi
KSIGNAL_RUN=$(realpath "$KSIGNAL_RUN")
export KSIGNAL_RUN
runner_build_secs=$((SECONDS - tr))

# Each case's binary and folder.
jobsfile="$repo/target/ltp-results/jobs"
rm -rf "$repo/target/ltp-results"
mkdir -p "$repo/target/ltp-results/native" "$repo/target/ltp-results/runner" "$repo/target/ltp-tmp"
: >"$jobsfile"
for c in "${cases[@]}"; do
  read -r name bin <<<"$c"
  path=$(find "$ltp/testcases/kernel/syscalls" -type f -name "$bin" -perm -u+x | head -n1)
  if [[ -z $path ]]; then
    echo "ltp.sh: $name: binary $bin was not built" >&2
    exit 2
  fi
  printf '%s %s %s\n' "$name" "$bin" "$(dirname "$path")" >>"$jobsfile"
done

run_mode() {
  local t=$SECONDS
  # Longest first (signal06 sends 150 000 signals, kill02 sleeps ~10 s), so
  # the parallel runs end together.
  { grep -E '^(signal06|kill02) ' "$jobsfile" || true; grep -vE '^(signal06|kill02) ' "$jobsfile" || true; } |
    xargs -P "$jobs" -L 1 bash "$self" __case "$1"
  echo $((SECONDS - t))
}
native_secs=$(run_mode native)
runner_secs=$(run_mode runner)

# PASS / TCONF / FAIL(code) / TIMEOUT for one case in one mode.
result() {
  local dir="$repo/target/ltp-results/$1" rc
  if [[ -f $dir/$2.timeout ]]; then echo TIMEOUT; return; fi
  rc=$(cat "$dir/$2.rc")
  case $rc in
    0) echo PASS ;;
    32) echo TCONF ;;
    *) echo "FAIL($rc)" ;;
  esac
}

# Why a case's run differs: its first LTP failure line, else its last line.
reason() {
  local log="$repo/target/ltp-results/$1/$2.log" line
  line=$(grep -m1 -E 'TFAIL|TBROK|TWARN|TCONF' "$log" || true)
  [[ -n $line ]] || line=$(grep -v '^[[:space:]]*$' "$log" | tail -n1 || true)
  [[ -f $repo/target/ltp-results/$1/$2.timeout ]] &&
    line="no exit in time ($(($(cat "$repo/target/ltp-results/$1/$2.ms") / 1000)) s); last: $line"
  line=${line//|/\/}
  echo "${line:0:110}"
}

same=0
native_broken=()
printf '\n%-20s | %-9s | %-11s | %s\n' case native ksignal-run reason
printf '%s\n' "---------------------+-----------+-------------+-------"
while read -r name _ _; do
  n=$(result native "$name")
  r=$(result runner "$name")
  why=
  if [[ $n == "$r" ]]; then
    same=$((same + 1))
  else
    why=$(reason runner "$name")
  fi
  if [[ $n != PASS && $n != TCONF ]]; then
    why="native: $(reason native "$name")${why:+; runner: $why}"
    native_broken+=("$name")
  fi
  printf '%-20s | %-9s | %-11s | %s\n' "$name" "$n" "$r" "$why"
done <"$jobsfile"

echo
echo "Times: LTP build ${build_secs} s, ksignal-run build ${runner_build_secs} s," \
  "native runs ${native_secs} s, ksignal-run runs ${runner_secs} s (${jobs} at a time)," \
  "total $((SECONDS - t0)) s. Logs: target/ltp-results/{native,runner}/CASE.log"
echo "LTP signal: $same/$total identical to native"
# Natively every case passes or is TCONF on Linux 6.18 as root (SUBSET.md); one
# that does not says the host or this script's set-up is off, and its comparison
# shows nothing about ksignal-run, identical or not.
if ((${#native_broken[@]})); then
  echo "WARNING: ${#native_broken[@]} case(s) neither pass nor TCONF natively, so their comparison proves nothing: ${native_broken[*]}"
fi
((same == total || report_only)) || exit 1
