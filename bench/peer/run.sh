#!/usr/bin/env bash
# bench/peer/run.sh: allnet-cli bench beside PyTorch (the PyPI release and
# Debian's python3-torch 1.13) and OpenBLAS (Debian's libopenblas) on this
# CPU, same thread count, printed as one table. See bench/README.md.
#
# Environment (all optional):
#   THREADS=2          threads for every side (GOMAXPROCS, torch.set_num_threads,
#                      openblas_set_num_threads)
#   OPS=REGEX          run only the rows whose "OP | SHAPE" matches
#   REPEAT=0           timed calls per row (0: as many as fit in 1 s, 3 to 50)
#   STAT=median        compare medians, or min (the fastest calls)
#   SIZE=288x384       model input the shapes derive from
#   OUT=bench/peer/results   where the result files and the table go
#   INTERNIMAGE_CLASSIFICATION=DIR   the classification/ folder of an
#                      OpenGVLab/InternImage checkout (for the whole-network rows)
#   SKIP="pypi debian openblas"      peers to leave out
#   PIP_ARGS=          extra arguments for pip install (e.g. --index-url
#                      https://download.pytorch.org/whl/cpu for a CPU-only wheel)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
THREADS=${THREADS:-2}
OPS=${OPS:-}
REPEAT=${REPEAT:-0}
STAT=${STAT:-median}
SIZE=${SIZE:-288x384}
OUT=${OUT:-bench/peer/results}
SKIP=${SKIP:-}
PIP_ARGS=${PIP_ARGS:-}
export INTERNIMAGE_CLASSIFICATION=${INTERNIMAGE_CLASSIFICATION:-}
venv=bench/peer/.venv
mkdir -p "$OUT"

say() { echo "run.sh: $*" >&2; }
skipped() { [[ " $SKIP " == *" $1 "* ]]; }

# Our binary, built as `make build` does (GOEXPERIMENT=simd for the SIMD kernels).
say "building bin/allnet-cli"
make --no-print-directory build >&2
cli=bin/allnet-cli
"$cli" bench --list --json --size "$SIZE" ${OPS:+--ops "$OPS"} > "$OUT/rows.json"
peer_args=(--spec "$OUT/rows.json" --threads "$THREADS" --repeat "$REPEAT" ${OPS:+--ops "$OPS"})
if [[ -z "$INTERNIMAGE_CLASSIFICATION" ]]; then
	say "INTERNIMAGE_CLASSIFICATION is not set: the PyTorch internimage-s rows will be reported as not run (see bench/README.md)"
fi

say "ours: $cli bench --threads $THREADS"
"$cli" bench --size "$SIZE" --threads "$THREADS" --repeat "$REPEAT" ${OPS:+--ops "$OPS"} --out "$OUT/allnet.json" > /dev/null
files=()

if ! skipped pypi; then
	if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c 'import torch' 2>/dev/null; then
		say "installing the PyPI PyTorch into $venv (several GB with its NVIDIA wheels; once)"
		nice -n 10 python3 -m venv "$venv"
		# shellcheck disable=SC2086
		nice -n 10 "$venv/bin/pip" install --no-input $PIP_ARGS torch numpy >&2
	fi
	say "PyTorch (PyPI): $("$venv/bin/python" -c 'import torch; print(torch.__version__)')"
	"$venv/bin/python" bench/peer/torch_peer.py "${peer_args[@]}" --out "$OUT/torch_pypi.json" >&2
	files+=("$OUT/torch_pypi.json")
fi

if ! skipped debian; then
	if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
		say "PyTorch (Debian): $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"
		/usr/bin/python3 bench/peer/torch_peer.py "${peer_args[@]}" --label "torch $(/usr/bin/python3 -c 'import torch; print(torch.__version__)') (Debian)" --out "$OUT/torch_debian.json" >&2
		files+=("$OUT/torch_debian.json")
	else
		say "skipping Debian's PyTorch: /usr/bin/python3 has no torch (sudo apt-get install python3-torch)"
	fi
fi

if ! skipped openblas; then
	say "OpenBLAS (OPENBLAS_CORETYPE unset: its own choice of kernel for this CPU)"
	if go build -tags peer -o "$OUT/openblas-peer" ./bench/peer/openblas; then
		env -u OPENBLAS_CORETYPE "$OUT/openblas-peer" "${peer_args[@]}" --out "$OUT/openblas.json" >&2
		files+=("$OUT/openblas.json")
	else
		say "skipping OpenBLAS: the peer did not build (sudo apt-get install libopenblas-dev; it needs cgo and gcc)"
	fi
fi

if [[ ${#files[@]} -eq 0 ]]; then
	say "no peer ran; our results are in $OUT/allnet.json"
	"$cli" bench --from "$OUT/allnet.json" --stat "$STAT"
	exit 0
fi
"$cli" bench --from "$OUT/allnet.json" --stat "$STAT" --compare "${files[@]}" | tee "$OUT/table.md"
"$cli" bench --from "$OUT/allnet.json" --stat "$STAT" --json --compare "${files[@]}" > "$OUT/table.json"
say "results in $OUT (allnet.json, torch_*.json, openblas.json, table.md, table.json)"
