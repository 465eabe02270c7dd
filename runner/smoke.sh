#!/usr/bin/env bash
# Smoke cases for ksignal-run: each program runs natively and under the runner,
# and the two must print the same and exit the same.
#   bash runner/smoke.sh            (builds the runner in release mode first)
set -euo pipefail
cd "$(dirname "$0")"
cargo build --release --quiet
run=$PWD/target/release/ksignal-run
out=$PWD/target/smoke
mkdir -p "$out"
command -v gcc >/dev/null || { apt-get update -qq && apt-get install -y -qq gcc >/dev/null; }
fail=0
check() { # name expected actual
  if [ "$2" == "$3" ]; then echo "PASS $1"; else echo "FAIL $1: expected [$2] got [$3]"; fail=1; fi
}

# Every case starts with every signal disposition at default, whatever this
# script inherited (under `nohup`, SIGHUP is ignored, and exec keeps that).
dflt=(env --default-signal)

set +e
"${dflt[@]}" "$run" bash -c 'kill -USR1 $$'; check "bash -c 'kill -USR1 \$\$' exits 138" 138 $?
"${dflt[@]}" "$run" false; check "false exits 1" 1 $?
"${dflt[@]}" "$run" /nonexistent/program 2>/dev/null; check "unstartable program exits 127" 127 $?
"${dflt[@]}" "$run" sh -c 'trap "echo trapped" USR1; kill -USR1 $$; exit 3' > "$out/trap.txt"; check "sh trap handler, exit 3" "3 trapped" "$? $(cat "$out/trap.txt")"
# The shell's job control sees the runner stop with its program and continue.
out_jc=$("${dflt[@]}" bash -c "set -m; '$run' sleep 1 & sleep 0.5; kill -TSTP %1; sleep 0.3; jobs; kill -CONT %1; wait %1; echo status=\$?" 2>&1)
jc="stopped=$(grep -c Stopped <<<"$out_jc") $(tail -n1 <<<"$out_jc")"
case "$jc" in "stopped=0 "*) ;; *) jc="stopped $(tail -n1 <<<"$out_jc")" ;; esac
check "bash job control: SIGTSTP to the job, jobs shows it stopped, continue, wait" "stopped status=0" "$jc"
set -e

for prog in basic jobs reap stopcont signalfd orphan; do
  gcc -O1 -pthread -o "$out/$prog" "smoke/$prog.c"
  set +e
  (cd "$out" && timeout 60 "${dflt[@]}" "./$prog" > "$prog.native" 2>&1); n=$?
  (cd "$out" && timeout 60 "${dflt[@]}" "$run" "./$prog" > "$prog.runner" 2>&1); r=$?
  set -e
  if [ $n == $r ] && cmp -s "$out/$prog.native" "$out/$prog.runner"; then
    echo "PASS $prog.c: same output and status ($n) as native"
  else
    echo "FAIL $prog.c: native status $n, runner status $r"; diff "$out/$prog.native" "$out/$prog.runner" || true
    fail=1
  fi
done
if [ $fail == 0 ]; then echo "ksignal-run smoke: all cases identical to native"; else echo "ksignal-run smoke: FAILED"; exit 1; fi
