//go:build cuda

package main

// The cuda build tag makes this binary allnet-cli-cuda (`make build-cuda`).
// The CUDA backend's real driver (engine/cuda/driver_cu.go) links libcuda
// through gorgonia.org/cu, whose init() calls cuInit and exits when no GPU
// is usable, so only this binary carries it. Importing the package
// registers the "cuda" backend.
import _ "allnet/engine/cuda"
