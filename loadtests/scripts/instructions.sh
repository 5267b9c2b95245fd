#!/usr/bin/env bash
# Instructions per request of a server, counted by valgrind's callgrind: deterministic
# where time is not, so a before/after comparison holds on a busy shared machine.
#
# Usage: loadtests/scripts/instructions.sh SERVER SCENARIO [RATE] [SECONDS]
#   SERVER    a rollgate binary (started with --demo, seeded like `loadtest all` does),
#             or `baseline` for the baseline server
#   SCENARIO  ofrep-flag, ofrep-bulk, ruleset, ruleset-304
#   RATE      open-loop requests per second (default 500: the same load for every build)
#   SECONDS   length of the counted run (default 4)
# Prints `SCENARIO SERVER requests=N instructions/request=M` and leaves the profile in
# loadtests/results/callgrind.out for callgrind_annotate. Needs valgrind, and a release
# build of the load tests (cargo build --release -p rollgate-loadtests).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
loadtest="$root/target/release/loadtest"
server=$1 scenario=$2 rate=${3:-500} seconds=${4:-4}
token="instructions-admin-token-$RANDOM$RANDOM"
work="$(mktemp -d)"
pid=
cleanup() {
    if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

if [[ "$server" == baseline ]]; then
    command=("$root/target/release/baseline" --bind 127.0.0.1:0)
else
    command=("$server" serve --bind 127.0.0.1:0 --data-dir "$work/data" --demo)
fi
ROLLGATE_ADMIN_TOKEN="$token" ROLLGATE_LOG__LEVEL=warn valgrind --tool=callgrind \
    --instr-atstart=no --callgrind-out-file="$work/callgrind.out" "${command[@]}" \
    >"$work/stdout" 2>"$work/stderr" &
pid=$!
address=
for _ in $(seq 600); do
    address="$(sed -n 's/.*listening on http:\/\///p' "$work/stdout" | head -n1)"
    [[ -n "$address" ]] && break
    sleep 0.1
done
[[ -n "$address" ]] || { echo "the server did not start: $(cat "$work/stderr")" >&2; exit 1; }
key=none
if [[ "$server" != baseline ]]; then
    key="$("$loadtest" seed --address "$address" --admin-token "$token")"
fi
drive() {
    "$loadtest" run --threads 1 --connections 8 --address "$address" --sdk-key "$key" \
        --admin-token "$token" --scenario "$scenario" "$@"
}
# Warm-up: first uses of metric labels, caches, lazily built state.
drive --duration 1 --rate 200 >/dev/null
callgrind_control -i on "$pid" >/dev/null
outcome="$(drive --duration "$seconds" --rate "$rate" --json)"
callgrind_control -i off "$pid" >/dev/null
callgrind_control -d "$pid" >/dev/null
profile=
for _ in $(seq 100); do
    profile="$(ls "$work"/callgrind.out.* 2>/dev/null | head -n1 || true)"
    [[ -n "$profile" ]] && grep -q '^totals:' "$profile" && break
    sleep 0.1
done
requests="$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["ok"]+sum(d["errors"].values()))' <<<"$outcome")"
failed="$(python3 -c 'import json,sys; print(sum(json.load(sys.stdin)["errors"].values()))' <<<"$outcome")"
if [[ "$failed" != 0 ]]; then
    # Requests the server never answered (a timeout under valgrind on a loaded machine)
    # cost it nothing, so the figure below is too low: run again, or at a lower RATE.
    echo "warning: $failed of $requests requests failed; instructions/request is not comparable" >&2
fi
instructions="$(sed -n 's/^totals: //p' "$profile")"
mkdir -p "$root/loadtests/results"
cp "$profile" "$root/loadtests/results/callgrind.out"
echo "$scenario $(basename "$server") requests=$requests instructions/request=$((instructions / requests))"
