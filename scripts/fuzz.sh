#!/usr/bin/env bash
# Runs every fuzz target of the module for SECONDS each (default 10), one
# after another; exits 1 at the end if any failed (each crasher is then in
# its package's testdata/fuzz/FuzzX/: fix it, and commit the file as a
# regression test).
#
#   scripts/fuzz.sh [SECONDS]
#
# FUZZ_PARALLEL=N sets the fuzzing workers (default: go's, GOMAXPROCS);
# FUZZ_ONLY=REGEX runs only the targets whose name matches; FUZZ_MINIMIZE
# bounds the minimisation of each new interesting input (default 5s; go's
# own default, 60s, can eat most of a short run on a loaded machine).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
par=()
[[ -n "${FUZZ_PARALLEL:-}" ]] && par=(-parallel "$FUZZ_PARALLEL")

# "dir target" for every func FuzzX in a *_test.go file.
mapfile -t targets < <(grep -rlE --include='*_test.go' '^func Fuzz[A-Za-z0-9_]*\(' . |
	while read -r f; do
		for t in $(grep -oE '^func Fuzz[A-Za-z0-9_]*' "$f" | cut -d' ' -f2); do
			echo "$(dirname "$f") $t"
		done
	done | sort)
[[ ${#targets[@]} -gt 0 ]] || { echo "fuzz.sh: no fuzz targets found" >&2; exit 1; }

failed=()
for entry in "${targets[@]}"; do
	read -r dir target <<<"$entry"
	[[ -n "${FUZZ_ONLY:-}" && ! "$target" =~ $FUZZ_ONLY ]] && continue
	echo "== $target ($dir, ${secs}s)"
	start=$(date +%s)
	ok=0
	for attempt in 1 2; do
		log=$(mktemp)
		if go test "$dir" -run '^$' -fuzz "^${target}\$" -fuzztime "${secs}s" -timeout "$((secs + 300))s" \
			-fuzzminimizetime "${FUZZ_MINIMIZE:-5s}" "${par[@]}" 2>&1 | tee "$log"; then
			ok=1
		fi
		# Go's fuzzer sometimes ends a run that found nothing with "context
		# deadline exceeded" (the time ran out inside a worker); that is not
		# a crasher (none is written), so the target runs once more.
		flaky=0
		grep -q 'context deadline exceeded' "$log" && ! grep -q 'failing input written' "$log" && flaky=1
		rm -f "$log"
		[[ $ok == 1 || $flaky == 0 ]] && break
		echo "== $target: the fuzzer timed out without a failing input; running it again"
	done
	if [[ $ok == 1 ]]; then
		echo "== $target passed in $(($(date +%s) - start))s"
	else
		echo "== $target FAILED after $(($(date +%s) - start))s"
		failed+=("$target")
	fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
	echo "fuzz.sh: failed: ${failed[*]}" >&2
	exit 1
fi
