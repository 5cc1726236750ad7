#!/usr/bin/env bash
# Soak test: trains allnet-tiny on in-memory synthetic scenes on the CPU for
# ITERS steps (default 2000) with evaluation and checkpoints along the way,
# samples the process's resident memory (VmRSS from /proc/PID/status) every
# INTERVAL seconds into OUT/rss.csv, and prints the RSS after warm-up, at
# the end and at its maximum, the mean per tenth of the run, and an ASCII
# curve. Exits 1 when the mean RSS of the last tenth exceeds that of the
# first tenth after warm-up by more than GROWTH_MB (default 64).
#
#   scripts/soak.sh [ITERS] [OUT]
#
# Settings (environment): SIZE (default 32x32), BATCH (1), EVAL_EVERY (200),
# CKPT_EVERY (100), INTERVAL (2), WARMUP_STEPS (200: samples before this step
# are warm-up), GROWTH_MB (64), BIN (a built allnet-cli; default: build one),
# REPORT (an rss.csv of an earlier soak: only print its summary).
set -euo pipefail
cd "$(dirname "$0")/.."
iters=${1:-2000}
out=${2:-}
size=${SIZE:-32x32}
batch=${BATCH:-1}
eval_every=${EVAL_EVERY:-200}
ckpt_every=${CKPT_EVERY:-100}
interval=${INTERVAL:-2}
warm=${WARMUP_STEPS:-200}
growth=${GROWTH_MB:-64}
report() { # report CSV WALL
	local csv=$1 wall=$2
	# Figures: the first sample at or after step $warm, the last, the maximum.
	awk -F, -v warm="$warm" -v iters="$iters" -v wall="$wall" -v growth="$growth" -v csv="$csv" '
	NR == 1 { next }
	{ t[n] = $1; s[n] = $2; r[n] = $3; n++ }
	END {
		if (n == 0) { print "soak: no samples" > "/dev/stderr"; exit 1 }
		w = -1; max = 0
		for (i = 0; i < n; i++) {
			if (w < 0 && s[i] >= warm) w = i
			if (r[i] > max) { max = r[i]; at = i }
		}
		if (w < 0) w = 0
		if (wall == "?") wall = t[n-1]
		printf "soak: %d steps in %.0f s (%d samples in %s)\n", iters, wall, n, csv
		printf "soak: RSS after warm-up (step %d, %.0f s): %.1f MiB\n", s[w], t[w], r[w] / 1024
		printf "soak: RSS at the end    (step %d, %.0f s): %.1f MiB\n", s[n-1], t[n-1], r[n-1] / 1024
		printf "soak: RSS maximum       (step %d, %.0f s): %.1f MiB\n", s[at], t[at], max / 1024
		# ASCII curve: 60 columns over time, 12 rows over [min, max] of RSS.
		min = max
		for (i = 0; i < n; i++) if (r[i] < min) min = r[i]
		cols = 60; rows = 12; span = max - min; if (span < 1024) span = 1024
		for (c = 0; c < cols; c++) { col[c] = -1 }
		for (i = 0; i < n; i++) { c = int(i * cols / n); if (r[i] > col[c]) col[c] = r[i] }
		for (c = 1; c < cols; c++) if (col[c] < 0) col[c] = col[c - 1]
		for (row = rows - 1; row >= 0; row--) {
			level = min + span * row / (rows - 1)
			line = sprintf("%8.1f MiB |", level / 1024)
			for (c = 0; c < cols; c++) line = line ((col[c] >= 0 && col[c] >= level - span / (2 * (rows - 1))) ? "#" : " ")
			print line
		}
		axis = sprintf("%" cols "s", ""); gsub(/ /, "-", axis)
		printf "%13s+%s\n%14s0 s%" (cols - 6) "s%.0f s\n", "", axis, "", "", t[n-1]
		# Means over tenths of the schedule (RSS swings with each GC cycle, so
		# single samples are noisy); growth is judged on them.
		win = iters / 10; if (win < 1) win = 1
		for (i = 0; i < n; i++) { b = int(s[i] / win); if (b > 9) b = 9; sum[b] += r[i]; cnt[b]++; if (r[i] > wmax[b]) wmax[b] = r[i] }
		first = -1
		for (b = 0; b < 10; b++) {
			if (!cnt[b]) continue
			printf "soak: steps %5d-%5d: %3d samples, RSS mean %.1f MiB, max %.1f MiB\n", b * win, (b + 1) * win - 1, cnt[b], sum[b] / cnt[b] / 1024, wmax[b] / 1024
			if (first < 0 && b * win >= warm) first = b
			last = b
		}
		if (first < 0) first = last
		g = (sum[last] / cnt[last] - sum[first] / cnt[first]) / 1024
		printf "soak: mean RSS change from steps %d-%d to the last tenth: %+.1f MiB\n", first * win, (first + 1) * win - 1, g
		if (g > growth) {
			printf "soak: RSS grew by %.1f MiB after warm-up, more than %d MiB\n", g, growth > "/dev/stderr"
			exit 1
		}
	}' "$csv"
}

if [[ -n "${REPORT:-}" ]]; then # only summarise an earlier OUT/rss.csv
	report "$REPORT" "?"
	exit
fi
[[ -n "$out" ]] || out=$(mktemp -d /tmp/allnet-soak-XXXXXX)
mkdir -p "$out"
bin=${BIN:-}
if [[ -z "$bin" ]]; then
	bin=$out/allnet-cli
	CGO_ENABLED=0 go build -o "$bin" ./cmd/allnet-cli
fi
run=$out/run
csv=$out/rss.csv
echo "soak: $iters steps of allnet-tiny, $size, batch $batch, eval every $eval_every, checkpoint every $ckpt_every; run folder $run" >&2

"$bin" train --model allnet-tiny --dataset synthetic --synth-size "$size" --synth-count 64 \
	--batch "$batch" --iters "$iters" --warmup "$((iters / 10 < 50 ? iters / 10 : 50))" --lr 1e-3 --eval-every "$eval_every" --eval-limit 16 \
	--ckpt-every "$ckpt_every" --log-every 20 --workers 1 --out "$run" >"$out/train.out" 2>"$out/train.err" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT
start=$(date +%s.%N)
echo "seconds,step,rss_kib" >"$csv"
while kill -0 "$pid" 2>/dev/null; do
	rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
	step=$(tail -n 1 "$run/log.jsonl" 2>/dev/null | sed -n 's/.*"step":\([0-9]*\).*/\1/p' || true)
	if [[ -n "$rss" ]]; then
		printf '%.1f,%s,%s\n' "$(echo "$(date +%s.%N) - $start" | bc)" "${step:-0}" "$rss" >>"$csv"
	fi
	sleep "$interval"
done
trap - EXIT
status=0
wait "$pid" || status=$?
wall=$(echo "$(date +%s.%N) - $start" | bc)
if [[ $status -ne 0 ]]; then
	echo "soak: training failed with status $status:" >&2
	tail -n 5 "$out/train.err" >&2
	exit 1
fi
report "$csv" "$wall"
