#!/usr/bin/env bash
# bench/gpu/run.sh: every GPU check and benchmark of the CUDA path, in one
# call of the device tool (see bench/README.md, "GPU").
#
#   bench/gpu/run.sh build    here (Go, nvcc 11.8): builds the stripped cuda
#                             binaries into bench/gpu/out (gitignored; about
#                             30 MB, under the device tool's 64 MiB carry)
#   bench/gpu/run.sh device   on the GPU machine (no Go; nvcc 13, PyTorch):
#                             1. nvidia-smi and the toolkit versions;
#                             2. compiles kernels/*.cu with the machine's own
#                                nvcc for sm_90 (a second compiler's check:
#                                errors and spills fail);
#                             3. the engine/cuda test binary on the real GPU:
#                                the whole conformance suite, every kernel
#                                against its CPU twin, TF32 GEMM against the
#                                SIMT kernel, allocator flat over 100 steps;
#                             4. allnet-cli-cuda bench on the GPU, PyTorch on
#                                the same GPU (fp32 and tf32), one table;
#                             5. 20 training steps of allnet-tiny on the GPU
#                                (motion blur on the device, PSF kernel).
#                             Logs and JSON go to $OUT (default ./gpu-out).
#
# With the device tool: `bench/gpu/run.sh build`, then
#   run(command="bash bench/gpu/run.sh device", carry=["bench/gpu/out"], timeout_s=540)
set -euo pipefail
cd "$(dirname "$0")/../.."
out_dir=bench/gpu/out

build() {
	mkdir -p "$out_dir"
	export CGO_ENABLED=1
	go build -tags cuda -trimpath -ldflags '-s -w' -o "$out_dir/allnet-cli-cuda" ./cmd/allnet-cli
	go test -tags cuda -c -trimpath -ldflags '-s -w' -o "$out_dir/cuda.test" ./engine/cuda
	bin/allnet-cli bench --list --json > "$out_dir/rows.json" 2>/dev/null ||
		go run ./cmd/allnet-cli bench --list --json > "$out_dir/rows.json"
	du -ch "$out_dir"/* | tail -n 1
	echo "built $out_dir; now run on the GPU: bash bench/gpu/run.sh device (carry bench/gpu/out)"
}

device() {
	OUT=${OUT:-$PWD/gpu-out}
	mkdir -p "$OUT"
	local failed=0
	echo "== 1. machine"
	nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.mem --format=csv | tee "$OUT/nvidia-smi.csv"
	nvcc --version | tail -n 1 || true
	python3 -c 'import torch; print("torch", torch.__version__, torch.cuda.get_device_name())' || true

	echo "== 2. kernels/*.cu with this machine's nvcc (sm_90, ptxas -v)"
	: > "$OUT/nvcc13.txt"
	for f in kernels/*.cu; do
		if ! nvcc -cubin -arch=sm_90 -Xptxas -v -o /tmp/k.cubin "$f" >> "$OUT/nvcc13.txt" 2>&1; then
			echo "FAIL: nvcc on $f" | tee -a "$OUT/summary.txt"
			failed=1
		fi
	done
	if grep -E '[1-9][0-9]* bytes spill (stores|loads)' "$OUT/nvcc13.txt"; then
		echo "FAIL: spills under the machine's nvcc (above)" | tee -a "$OUT/summary.txt"
		failed=1
	fi
	echo "nvcc: $(ls kernels/*.cu | wc -l) files compiled for sm_90"

	echo "== 3. engine/cuda tests on the GPU (conformance, twins, TF32, memory)"
	chmod +x "$out_dir"/*
	if (cd engine/cuda && timeout 240 "../../$out_dir/cuda.test" -test.count=1 -test.v) > "$OUT/gpu-tests.log" 2>&1; then
		echo "PASS: $(grep -c '^--- PASS' "$OUT/gpu-tests.log") tests" | tee -a "$OUT/summary.txt"
	else
		echo "FAIL: engine/cuda tests (see gpu-tests.log):" | tee -a "$OUT/summary.txt"
		grep -E '^(--- FAIL|panic|\s+Error)' "$OUT/gpu-tests.log" | head -n 30 | tee -a "$OUT/summary.txt"
		failed=1
	fi
	grep -E 'TF32|reserved after' "$OUT/gpu-tests.log" | head -n 5 || true

	echo "== 4. benchmarks: ours and PyTorch on the same GPU"
	"$out_dir/allnet-cli-cuda" bench --device cuda --budget 300ms --out "$OUT/ours.json" > "$OUT/ours.md" 2> "$OUT/ours.log" ||
		{ echo "FAIL: allnet-cli-cuda bench (see ours.log)" | tee -a "$OUT/summary.txt"; tail -n 5 "$OUT/ours.log"; failed=1; }
	local peers=()
	for mode in fp32 tf32; do
		local flag=()
		[ "$mode" = tf32 ] && flag=(--tf32)
		if PYTHONUNBUFFERED=1 python3 bench/peer/torch_peer.py --spec "$out_dir/rows.json" --device cuda "${flag[@]}" \
			--budget 0.3 --ops '^(gemm|linear|conv|dwconv|dcnv3|attention|psf|layernorm|softmax) ' \
			--out "$OUT/torch_$mode.json" 2> "$OUT/torch_$mode.log"; then
			peers+=("$OUT/torch_$mode.json")
		else
			echo "FAIL: PyTorch $mode peer (see torch_$mode.log)" | tee -a "$OUT/summary.txt"
		fi
	done
	if [ -s "$OUT/ours.json" ] && [ ${#peers[@]} -gt 0 ]; then
		"$out_dir/allnet-cli-cuda" bench --from "$OUT/ours.json" --compare "${peers[@]}" | tee "$OUT/table.md"
	fi
	echo "== 5. training on the GPU: allnet-tiny, synthetic, 20 steps, motion blur through the PSF kernel"
	if timeout 240 "$out_dir/allnet-cli-cuda" train --device cuda --model allnet-tiny --dataset synthetic --synth-size 96x128 \
		--synth-count 16 --batch 4 --iters 20 --warmup 2 --lr 1e-3 --eval-every 0 --log-every 5 --blur-on-device on \
		--out "$OUT/train-cuda" > "$OUT/train.md" 2> "$OUT/train.log"; then
		echo "PASS: train --device cuda ($(grep -o '[0-9.]* images/s' "$OUT/train.log" | tail -n 1))" | tee -a "$OUT/summary.txt"
	else
		echo "FAIL: train --device cuda (see train.log):" | tee -a "$OUT/summary.txt"
		tail -n 5 "$OUT/train.log" | tee -a "$OUT/summary.txt"
		failed=1
	fi
	echo "== summary"
	cat "$OUT/summary.txt" 2>/dev/null || true
	return $failed
}

case "${1:-}" in
build) build ;;
device) device ;;
*)
	echo "usage: bench/gpu/run.sh build|device (see the comment at the top)" >&2
	exit 2
	;;
esac
