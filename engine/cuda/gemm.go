package cuda

import (
	"fmt"
	"math"

	"allnet/engine/backend"
)

// SetTF32 chooses Gemm's kernels: false (the default) computes in exact
// float32 with the SIMT kernels; true uses the tensor-core kernels
// (kernels/gemm.cu gemm_tf32_*), which round A and B to TF32 (a 10-bit
// mantissa, relative error about 5e-4 per product) and accumulate in float32,
// like PyTorch's allow_tf32. TF32 needs compute capability 8.0 or newer; the
// emulated device (kernels/emu) has no tensor cores, so with TF32 on its Gemm
// panics naming the missing kernel.
func (b *Backend) SetTF32(on bool) { b.tf32.Store(on) }

// TF32 reports whether Gemm uses the tensor-core kernels (see SetTF32).
func (b *Backend) TF32() bool { return b.tf32.Load() }

// Gemm computes C[b] = Alpha*op(A[b])*op(B[b]) + Beta*C[b] (see
// backend.GemmArgs) with kernels/gemm.cu: a 128x128-tile SIMT kernel when M
// and N exceed 64 and its grid fills the device, the 64x64-tile one
// otherwise, or the TF32 tensor-core kernel after SetTF32(true). One launch
// covers the whole batch; every product is computed, so a NaN or Inf in A or
// B reaches C, and with Beta == 0 the old C is never read.
func (b *Backend) Gemm(g backend.GemmArgs) {
	checkGemm(g)
	if g.Batch == 0 || g.M == 0 || g.N == 0 {
		return
	}
	offA, offB := g.OffA, g.OffB
	if g.K == 0 { // A and B are not read; their offsets may lie anywhere
		offA, offB = 0, 0
	}
	pa, pb, pc := ptrAt(g.A, offA), ptrAt(g.B, offB), ptrAt(g.C, g.OffC)
	vecA, vecB := gemmVec(pa, g.LDA, g.StrideA), gemmVec(pb, g.LDB, g.StrideB)

	trans := [2][2]string{{"nn", "nt"}, {"tn", "tt"}}[gemmBit(g.TransA)][gemmBit(g.TransB)]
	tile, block := 64, Dim3{X: 16, Y: 16, Z: 1}
	kernel := "gemm_simt64_" + trans + "_f32"
	switch {
	case b.TF32():
		tile, block, kernel = 128, dim1(256), "gemm_tf32_"+trans+"_f32"
	case gemmBigTiles(g.M, g.N, g.Batch, b.drv.Info().SMs):
		tile, kernel = 128, "gemm_simt128_"+trans+"_f32"
	}
	grid := Dim3{
		X: (g.N + tile - 1) / tile,
		Y: min((g.M+tile-1)/tile, maxGridYZ),
		Z: min(g.Batch, maxGridYZ),
	}
	b.launch(kernel, grid, block, 0, pa, pb, pc, g.M, g.N, g.K, g.Batch,
		g.LDA, g.StrideA, g.LDB, g.StrideB, g.LDC, g.StrideC, g.Alpha, g.Beta, vecA, vecB)
}

// gemmBigTiles reports whether the 128x128 tiles suit an M x N product over
// batch matrices: both sides above 64 (otherwise at least half of each tile
// would be padding) and at least one tile per multiprocessor.
func gemmBigTiles(m, n, batch, sms int) bool {
	if m <= 64 || n <= 64 {
		return false
	}
	tiles := ((m + 127) / 128) * ((n + 127) / 128) * batch
	return tiles >= sms
}

// gemmVec reports whether an operand at p with leading dimension ld and
// batch stride stride can be read four floats at a time: 16-byte aligned at
// every row of every matrix.
func gemmVec(p DevicePtr, ld, stride int) bool { return p%16 == 0 && ld%4 == 0 && stride%4 == 0 }

// gemmBit is 1 for true and 0 for false.
func gemmBit(v bool) int {
	if v {
		return 1
	}
	return 0
}

// checkGemm panics, naming the inconsistency, unless g describes float32
// matrices that lie inside their buffers (the rules of engine/cpu's Gemm);
// the kernels index K in 32 bits.
func checkGemm(g backend.GemmArgs) {
	if err := g.Validate(); err != nil {
		panic("cuda: Gemm: " + err.Error())
	}
	if g.K > math.MaxInt32 {
		panic(fmt.Sprintf("cuda: Gemm: inconsistent arguments M=%d N=%d K=%d batch=%d lda=%d ldb=%d ldc=%d transA=%v transB=%v",
			g.M, g.N, g.K, g.Batch, g.LDA, g.LDB, g.LDC, g.TransA, g.TransB))
	}
	for _, x := range []struct {
		name   string
		buf    backend.Buffer
		stride int
		used   bool // the operand is read or written (a K of 0 reads neither A nor B)
	}{{"A", g.A, g.StrideA, g.K > 0}, {"B", g.B, g.StrideB, g.K > 0}, {"C", g.C, g.StrideC, true}} {
		if x.buf.DType() != backend.Float32 {
			panic(fmt.Sprintf("cuda: Gemm: %s is %v, want float32", x.name, x.buf.DType()))
		}
		if x.used && x.stride < 0 && g.Batch > 0 && g.M > 0 && g.N > 0 {
			panic(fmt.Sprintf("cuda: Gemm: %s has a negative batch stride %d", x.name, x.stride))
		}
	}
}
