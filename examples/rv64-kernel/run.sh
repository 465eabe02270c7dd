#!/usr/bin/env bash
# Builds the user programs and the kernel, boots it under QEMU, and checks
# the console log. Exits 0 only if every user program printed
# "PASS <name>", the kernel printed "ALL DONE", and no line contains "FAIL".
#
#   examples/rv64-kernel/run.sh            # from anywhere
#   LOG=/tmp/k.log examples/rv64-kernel/run.sh
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TARGET=riscv64gc-unknown-none-elf
LOG="${LOG:-$HERE/target/qemu.log}"
TIME_LIMIT="${TIME_LIMIT:-120}"
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
echo "== booting (limit ${TIME_LIMIT}s), log: $LOG"
t0=$(date +%s%N)
set +e
timeout "$TIME_LIMIT" qemu-system-riscv64 -machine virt -nographic -bios default \
    -m 128M -smp 1 -kernel "$KERNEL" </dev/null >"$LOG" 2>&1
qemu_rc=$?
set -e
t1=$(date +%s%N)
echo "== boot to shutdown took $(( (t1 - t0) / 1000000 )) ms (qemu exit $qemu_rc)"

# --- verdict -------------------------------------------------------------
# Strip carriage returns and show only our own lines (not OpenSBI's banner).
tr -d '\r' <"$LOG" | sed -n '/^\[kernel\] rv64-kernel booting/,$p'

fail=0
mapfile -t programs < <(find "$HERE/user/src/bin" -name '*.rs' -printf '%f\n' | sed 's/\.rs$//' | sort)
passes=$(tr -d '\r' <"$LOG" | grep -c '^PASS ' || true)
for name in "${programs[@]}"; do
    if ! tr -d '\r' <"$LOG" | grep -qx "PASS $name"; then
        echo "!! missing: PASS $name"
        fail=1
    fi
done
if tr -d '\r' <"$LOG" | grep -q 'FAIL'; then
    echo "!! the log contains FAIL"
    fail=1
fi
if ! tr -d '\r' <"$LOG" | grep -qx 'ALL DONE'; then
    echo "!! no ALL DONE (timeout or crash; qemu exit $qemu_rc)"
    fail=1
fi
if [ "$qemu_rc" -ne 0 ]; then
    echo "!! qemu exited with $qemu_rc"
    fail=1
fi
if [ "$passes" -lt "${#programs[@]}" ]; then
    echo "!! only $passes PASS lines for ${#programs[@]} programs"
    fail=1
fi
if [ "$fail" -ne 0 ]; then
    echo "rv64-kernel: FAILED"
    exit 1
fi
echo "rv64-kernel: $passes PASS lines, ${#programs[@]} programs, all passed"
