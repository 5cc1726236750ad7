package cuda

import (
	"fmt"

	"allnet/engine/backend"
)

// AvgPool averages windows of x (N, C, H, W) into y (N, C, OH, OW), fixed or
// adaptive (see backend.PoolGeom): kernels/pool.cu, one thread per output.
func (b *Backend) AvgPool(y, x backend.Buffer, g backend.PoolGeom) {
	checkPoolGeom("AvgPool", g)
	normF32("AvgPool", "x", x, g.N*g.C*g.H*g.W)
	normF32("AvgPool", "y", y, g.N*g.C*g.OH*g.OW)
	total := g.N * g.C * g.OH * g.OW
	b.launch("pool_avg_fwd_f32", dim1(blocksFor(total, 256)), dim1(256), 0, y, x, g.N*g.C, g.H, g.W, g.OH, g.OW,
		g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.Adaptive)
}

// AvgPoolBackward accumulates the adjoint of AvgPool into dx, one thread per
// input element gathering from the windows that contain it (no atomics).
func (b *Backend) AvgPoolBackward(dx, dy backend.Buffer, g backend.PoolGeom) {
	checkPoolGeom("AvgPoolBackward", g)
	normF32("AvgPoolBackward", "dx", dx, g.N*g.C*g.H*g.W)
	normF32("AvgPoolBackward", "dy", dy, g.N*g.C*g.OH*g.OW)
	total := g.N * g.C * g.H * g.W
	b.launch("pool_avg_bwd_f32", dim1(blocksFor(total, 256)), dim1(256), 0, dx, dy, g.N*g.C, g.H, g.W, g.OH, g.OW,
		g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, g.Adaptive)
}

// checkPoolGeom panics unless g is consistent: positive sizes and, for fixed
// windows, OH and OW equal to what the kernel, stride and padding give.
func checkPoolGeom(op string, g backend.PoolGeom) {
	if g.N <= 0 || g.C <= 0 || g.H <= 0 || g.W <= 0 || g.OH <= 0 || g.OW <= 0 {
		panic(fmt.Sprintf("cuda: %s: bad geometry %+v", op, g))
	}
	if g.Adaptive {
		return
	}
	if g.KH <= 0 || g.KW <= 0 || g.SH <= 0 || g.SW <= 0 || g.PH < 0 || g.PW < 0 ||
		g.H+2*g.PH < g.KH || g.W+2*g.PW < g.KW {
		panic(fmt.Sprintf("cuda: %s: bad geometry %+v", op, g))
	}
	if oh, ow := (g.H+2*g.PH-g.KH)/g.SH+1, (g.W+2*g.PW-g.KW)/g.SW+1; g.OH != oh || g.OW != ow {
		panic(fmt.Sprintf("cuda: %s: output %dx%d, but kernel %dx%d stride %dx%d padding %dx%d give %dx%d from %dx%d",
			op, g.OH, g.OW, g.KH, g.KW, g.SH, g.SW, g.PH, g.PW, oh, ow, g.H, g.W))
	}
}
