//go:build cuda

package main

// The cuda build tag makes this binary allnet-cli-cuda (`make build-cuda`).
// It links libcuda through gorgonia.org/cu, whose init() calls cuInit and
// exits when no GPU is usable, so only this binary carries it.
//
// The CUDA backend package (allnet/engine/cuda, a later issue) will be
// blank-imported here so that it registers itself as "cuda"; until then the
// driver package is imported directly, which keeps it in go.mod.
import _ "gorgonia.org/cu"
