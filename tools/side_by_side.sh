#!/usr/bin/env bash
# Run each argument (a shell command) at the same time as the others; when all have ended, print
# each one's output in turn, and fail if any failed. `make test` runs its two longest passes this
# way (nbval on the generic CPU path, the browser tests): each leaves a core idle much of the time.
#
#   tools/side_by_side.sh "command one" "command two"
set -u
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
pids=()
for i in $(seq 1 $#); do
    bash -c "${!i}" >"$logs/$i.log" 2>&1 &
    pids+=($!)
done
status=0
for i in $(seq 1 $#); do
    code=0
    wait "${pids[$((i - 1))]}" || code=$?
    echo "=== ${!i}  (exit status $code)"
    cat "$logs/$i.log"
    [ "$code" -eq 0 ] || status=1
done
exit $status
