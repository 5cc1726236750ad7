package cuda

import (
	"fmt"

	"allnet/engine/backend"
)

// Launch constants of kernels/psf.cu.
const (
	psfThreadsX    = 8         // psf_corr_f32 threads per row, four outputs each: 32-wide tiles
	psfMaxRows     = 16        // psf_corr_f32 tile height (rows of threads), halved for tall kernels
	psfPartTileH   = 16        // PSF_DT_H
	psfPartTileW   = 32        // PSF_DT_W
	psfPartThreads = 256       // PSF_DP_THREADS
	psfMaxTaps     = 16 * 256  // PSF_DP_MAXQ * PSF_DP_THREADS
	psfMaxShared   = 48 << 10  // static launch limit of dynamic shared memory
	psfMaxParts    = 256       // most partial sums per image for dpsf
	psfRowPad      = 4         // tile rows are padded to 1 mod psfRowPad floats
	psfWordBytes   = 4         // bytes per float32
	psfMaxPlaneDim = 1<<31 - 1 // H*W indexed in 32 bits
)

// PSFConv convolves every channel of image n with psf[n] (see
// backend.PSFGeom) with kernels/psf.cu: shared-memory tiles of the image with
// their halo and the whole kernel; kernels up to 64x64 taps (in general: a
// 16x32 tile, its halo and the kernel within 48 KiB of shared memory).
func (b *Backend) PSFConv(y, x, psf backend.Buffer, g backend.PSFGeom) {
	psfCheck("PSFConv", g, x, psf)
	psfF32("PSFConv", "y", y, g.N*g.C*g.H*g.W)
	b.psfCorr("PSFConv", y, x, psf, g, true, false)
}

// PSFConvBackward accumulates dx (a correlation of dy with psf, the forward's
// kernel in reverse) and dpsf (per tap, the sum over pixels and channels of dy
// times shifted x: partial sums per block of image tiles, then a second pass
// adds them in a fixed order, so the result is deterministic); either may be
// nil.
func (b *Backend) PSFConvBackward(dx, dpsf, dy, x, psf backend.Buffer, g backend.PSFGeom) {
	psfCheck("PSFConvBackward", g, x, psf)
	psfF32("PSFConvBackward", "dy", dy, g.N*g.C*g.H*g.W)
	if dx != nil {
		psfF32("PSFConvBackward", "dx", dx, g.N*g.C*g.H*g.W)
		b.psfCorr("PSFConvBackward", dx, dy, psf, g, false, true)
	}
	if dpsf == nil {
		return
	}
	taps := g.KH * g.KW
	psfF32("PSFConvBackward", "dpsf", dpsf, g.N*taps)
	if taps > psfMaxTaps {
		panic(fmt.Sprintf("cuda: PSFConvBackward: a %dx%d kernel has more than %d taps, the most the dpsf kernel holds", g.KH, g.KW, psfMaxTaps))
	}
	xw := psfRowWidth(psfPartTileW + g.KW - 1)
	shared := (psfPartTileH*psfPartTileW + (psfPartTileH+g.KH-1)*xw + psfPartThreads) * psfWordBytes
	if shared > psfMaxShared {
		panic(fmt.Sprintf("cuda: PSFConvBackward: a %dx%d kernel needs %d bytes of shared memory for dpsf, at most %d", g.KH, g.KW, shared, psfMaxShared))
	}
	items := g.C * ((g.H + psfPartTileH - 1) / psfPartTileH) * ((g.W + psfPartTileW - 1) / psfPartTileW)
	parts := psfParts(items, g.N, b.drv.Info().SMs)
	ws := b.Alloc(backend.Float32, g.N*parts*taps)
	defer b.Free(ws)
	b.launch("psf_dpsf_part_f32", Dim3{X: parts, Y: min(g.N, maxGridYZ), Z: 1}, dim1(psfPartThreads), shared,
		ws, dy, x, g.N, g.C, g.H, g.W, g.KH, g.KW, parts, xw)
	b.launch("psf_dpsf_sum_f32", dim1(blocksFor(g.N*taps, 256)), dim1(256), 0, dpsf, ws, g.N, taps, parts)
}

// psfParts returns how many blocks share each image's items (tiles times
// channels) for dpsf: about four blocks per multiprocessor over all images,
// at least one and at most one per item (and psfMaxParts).
func psfParts(items, n, sms int) int {
	p := (4*max(sms, 1) + n - 1) / n
	return max(1, min(p, items, psfMaxParts))
}

// psfCorr launches psf_corr_f32: the forward (flip, overwrite) or dx (no
// flip, accumulate). Tiles are 32 columns by up to psfMaxRows rows, fewer
// when a tall kernel's halo would not fit in shared memory.
func (b *Backend) psfCorr(op string, out, in, psf backend.Buffer, g backend.PSFGeom, flip, accumulate bool) {
	tw := 4 * psfThreadsX
	xw := psfRowWidth(tw + g.KW)
	rows := psfMaxRows
	shared := func(rows int) int { return ((rows+g.KH-1)*xw + g.KH*g.KW) * psfWordBytes }
	for rows > 1 && shared(rows) > psfMaxShared {
		rows /= 2
	}
	if shared(rows) > psfMaxShared {
		panic(fmt.Sprintf("cuda: %s: a %dx%d kernel needs %d bytes of shared memory, at most %d", op, g.KH, g.KW, shared(rows), psfMaxShared))
	}
	grid := Dim3{X: (g.W + tw - 1) / tw, Y: (g.H + rows - 1) / rows, Z: min(g.N*g.C, maxGridYZ)}
	if grid.Y > maxGridYZ {
		panic(fmt.Sprintf("cuda: %s: images of height %d exceed the launch grid", op, g.H))
	}
	b.launch("psf_corr_f32", grid, Dim3{X: psfThreadsX, Y: rows, Z: 1}, shared(rows),
		out, in, psf, g.N, g.C, g.H, g.W, g.KH, g.KW, flip, accumulate, xw)
}

// psfRowWidth returns the smallest width >= w that is 1 mod psfRowPad, so
// that the tile rows read by one warp start on different banks.
func psfRowWidth(w int) int {
	for w%psfRowPad != 1 {
		w++
	}
	return w
}

// psfCheck panics unless g is a valid geometry and x and psf match it.
func psfCheck(op string, g backend.PSFGeom, x, psf backend.Buffer) {
	if g.N <= 0 || g.C <= 0 || g.H <= 0 || g.W <= 0 || g.KH <= 0 || g.KW <= 0 || g.H*g.W > psfMaxPlaneDim {
		panic(fmt.Sprintf("cuda: %s: bad geometry %+v", op, g))
	}
	psfF32(op, "x", x, g.N*g.C*g.H*g.W)
	psfF32(op, "psf", psf, g.N*g.KH*g.KW)
}

// psfF32 panics unless buf is a float32 buffer of n elements.
func psfF32(op, name string, buf backend.Buffer, n int) {
	if buf == nil {
		panic(fmt.Sprintf("cuda: %s: %s is nil", op, name))
	}
	if buf.DType() != backend.Float32 || buf.Len() != n {
		panic(fmt.Sprintf("cuda: %s: %s is %v[%d], want float32[%d]", op, name, buf.DType(), buf.Len(), n))
	}
}
