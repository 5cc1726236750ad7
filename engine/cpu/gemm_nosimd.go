//go:build !(goexperiment.simd && amd64)

package cpu

// simdFamilies returns every SIMD kernel family this CPU can run, for tests:
// none in a build without GOEXPERIMENT=simd on amd64.
func simdFamilies() []*simdKernels { return nil }
