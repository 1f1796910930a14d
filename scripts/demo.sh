#!/usr/bin/env bash
# Mounts graphsyncfs over the Graph emulator's demo tenant and prints a tour.
# Usage: scripts/demo.sh [MOUNTPOINT]     start (default /tmp/graphsyncfs-demo)
#        scripts/demo.sh stop             unmount and stop the emulator
# The emulator runs time-scaled: one minute of Graph time lasts half a second,
# so provisioning jobs visibly change state within a minute.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${GS_DEMO_STATE:-/tmp/graphsyncfs-demo.state}"
time_scale="${GS_DEMO_TIME_SCALE:-0.5}"

say() { echo "demo.sh: $*"; }
die() { echo "demo.sh: $*" >&2; exit 1; }

alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

is_mounted() { findmnt --mountpoint "$1" -n >/dev/null 2>&1; }

# Waits up to $2 tenths of a second for the process $1 to exit.
wait_exit() {
    local pid="$1" n="$2"
    while alive "$pid" && [[ $n -gt 0 ]]; do
        sleep 0.1
        n=$((n - 1))
    done
    ! alive "$pid"
}

stop_pid() {
    local pid="$1" what="$2"
    alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    if ! wait_exit "$pid" 50; then
        say "$what ($pid) did not stop on SIGTERM; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
}

stop_demo() {
    local mp="" fs_pid="" emu_pid=""
    [[ -f "$state/mountpoint" ]] && mp="$(cat "$state/mountpoint")"
    [[ -f "$state/graphsyncfs.pid" ]] && fs_pid="$(cat "$state/graphsyncfs.pid")"
    [[ -f "$state/emulator.pid" ]] && emu_pid="$(cat "$state/emulator.pid")"
    if [[ -z "$mp$fs_pid$emu_pid" ]]; then
        say "no demo is running (no state in $state)"
        return 0
    fi
    if [[ -n "$mp" ]] && is_mounted "$mp"; then
        say "unmounting $mp"
        fusermount3 -u "$mp" || fusermount3 -u -z "$mp" || true
    fi
    if [[ -n "$fs_pid" ]] && ! wait_exit "$fs_pid" 100; then
        stop_pid "$fs_pid" "graphsyncfs"
    fi
    stop_pid "$emu_pid" "the emulator"
    rm -f "$state/mountpoint" "$state/graphsyncfs.pid" "$state/emulator.pid" "$state/port"
    say "stopped (logs kept in $state)"
}

if [[ "${1:-}" == "stop" ]]; then
    stop_demo
    exit 0
fi
if [[ "${1:-}" == -* ]]; then
    echo "usage: $0 [MOUNTPOINT] | $0 stop" >&2
    exit 2
fi

mp="${1:-/tmp/graphsyncfs-demo}"
mkdir -p "$mp"
mp="$(cd "$mp" && pwd)"

"$root/scripts/deps.sh" demo
# only the daemon: no unit tests, no fuzz replays, no sanitizers
build="$root/build-demo"
if [[ -f "$build/meson-private/coredata.dat" ]]; then
    meson configure "$build" -Db_sanitize=none -Dtests=false >/dev/null
else
    say "setting up $build"
    meson setup "$build" "$root" -Db_sanitize=none -Dtests=false >/dev/null
fi
ninja -C "$build" fs/graphsyncfs
bin="$build/fs/graphsyncfs"
[[ -x "$bin" ]] || die "the build made no $bin"

if [[ -f "$state/emulator.pid" || -f "$state/graphsyncfs.pid" ]]; then
    say "stopping the demo that is already running"
    stop_demo
fi
if is_mounted "$mp"; then
    die "$mp is already a mount point; unmount it first (fusermount3 -u $mp)"
fi
if [[ -n "$(ls -A "$mp")" ]]; then
    die "$mp is not empty; give an empty directory"
fi

mkdir -p "$state"
rm -f "$state/port"
say "starting the Graph emulator (demo tenant, time scale $time_scale)"
(
    cd "$root"
    exec /usr/bin/python3 -m tests.emulator --tenant demo --time-scale "$time_scale" \
        --port 0 --port-file "$state/port" --quiet
) >"$state/emulator.log" 2>&1 </dev/null &
emu_pid=$!
echo "$emu_pid" >"$state/emulator.pid"

n=300
while [[ ! -s "$state/port" ]]; do
    alive "$emu_pid" || die "the emulator exited; see $state/emulator.log: $(tail -n 5 "$state/emulator.log")"
    [[ $n -gt 0 ]] || { stop_demo; die "the emulator wrote no port file in 30 s"; }
    sleep 0.1
    n=$((n - 1))
done
port="$(cat "$state/port")"
url="http://127.0.0.1:$port"

say "mounting $mp"
echo "$mp" >"$state/mountpoint"
"$bin" -f -o "graph_url=$url,auth=none" demo "$mp" >"$state/graphsyncfs.log" 2>&1 </dev/null &
fs_pid=$!
echo "$fs_pid" >"$state/graphsyncfs.pid"

n=300
until is_mounted "$mp"; do
    if ! alive "$fs_pid"; then
        msg="$(cat "$state/graphsyncfs.log")"
        stop_demo
        die "graphsyncfs exited: $msg"
    fi
    [[ $n -gt 0 ]] || { stop_demo; die "the mount did not appear in 30 s"; }
    sleep 0.1
    n=$((n - 1))
done

# Real ids for the tour: the first service principal with a job.
tenant="$(curl -fsS "$url/_emulator/tenant")"
sp="$(jq -r '[.servicePrincipals[] | select((.jobs | length) > 0)][0].id' <<<"$tenant")"
job="$(jq -r '[.servicePrincipals[] | select((.jobs | length) > 0)][0].jobs[0]' <<<"$tenant")"
name="$(jq -r --arg sp "$sp" '.servicePrincipals[] | select(.id == $sp) | .displayName' <<<"$tenant")"

cat <<EOF

graphsyncfs is mounted at $mp over the Graph emulator at $url
(the demo tenant; jobs run time-scaled, so their status changes within a minute).

Try (the first line sets M, the mount, and J, a job of $name):
  M=$mp; J=\$M/servicePrincipals/$sp/jobs/$job
  cat \$M/README
  ls \$M \$M/servicePrincipals \$M/by-name
  column -t -s \$'\\t' \$M/status.tsv | cut -c1-160
  jq '{displayName, appId}' \$M/servicePrincipals/$sp/servicePrincipal.json
  ls \$J
  jq '{code, lastRun: .lastExecution.state, quarantine}' \$J/status.json
  watch -n 5 "jq -c '.lastExecution | {state, timeEnded}' \$J/status.json"
  grep -l Quarantine \$M/servicePrincipals/*/jobs/*/status.json
  echo Full > \$J/restart; jq .code \$J/status.json

Logs: $state/graphsyncfs.log, $state/emulator.log
Stop: $0 stop
EOF
