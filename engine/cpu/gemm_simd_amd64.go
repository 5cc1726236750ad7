//go:build goexperiment.simd && amd64

package cpu

import (
	"os"
	"simd/archsimd"
)

// init picks the float32 GEMM micro-kernels for this CPU: AVX-512 where it
// is present, else AVX2 with FMA. ALLNET_CPU_SIMD=avx2 restricts the choice
// to AVX2, and ALLNET_CPU_SIMD=off keeps the portable kernel.
func init() {
	gemmSIMD = pickSIMD(os.Getenv("ALLNET_CPU_SIMD"))
}

// pickSIMD returns the widest kernel family that the CPU supports and the
// setting allows ("", "avx512", "avx2" or "off"), or nil.
func pickSIMD(setting string) *simdKernels {
	switch {
	case setting == "off":
		return nil
	case archsimd.X86.AVX512() && setting != "avx2":
		return &simdKernels{name: "avx512", mr: 4, lanes: 16, kern: gemmKernelsAVX512[:]}
	case archsimd.X86.AVX2() && archsimd.X86.FMA():
		return &simdKernels{name: "avx2", mr: 3, lanes: 8, kern: gemmKernelsAVX2[:]}
	}
	return nil
}

// simdFamilies returns every kernel family this CPU can run, for tests.
func simdFamilies() []*simdKernels {
	var fs []*simdKernels
	for _, s := range []string{"", "avx2"} {
		if k := pickSIMD(s); k != nil && (len(fs) == 0 || fs[0].name != k.name) {
			fs = append(fs, k)
		}
	}
	return fs
}
