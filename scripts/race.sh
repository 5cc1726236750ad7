#!/usr/bin/env bash
# Runs `go test -race -short` over the packages that start goroutines: the
# data loader and synthetic renderer, the CPU backend, the metrics, and the
# emulated CUDA driver (kernels/emu) with the CUDA backend's host code once
# they have Go files. The race detector needs cgo and a C compiler.
#
#   scripts/race.sh [extra go test flags]
set -euo pipefail
cd "$(dirname "$0")/.."
pkgs=(./data/loader ./data/synth ./engine ./engine/cpu ./metrics)
for p in ./kernels/emu ./engine/cuda; do
	if compgen -G "$p/*.go" >/dev/null; then
		pkgs+=("$p")
	fi
done
echo "race: ${pkgs[*]}"
start=$(date +%s)
CGO_ENABLED=1 go test -race -short -count=1 -timeout 15m "$@" "${pkgs[@]}"
# The model's whole backward on two goroutines (engine.SetBackwardWorkers),
# and data-parallel replicas training side by side (TrainConfig.Replicas).
CGO_ENABLED=1 go test -race -count=1 -timeout 15m -run 'TestParallelBackwardModel|TestReplicatedStepGradient|TestTrainReplicas' "$@" ./allnet
echo "race: passed in $(($(date +%s) - start))s"
