package cuda

import (
	"fmt"

	"allnet/engine/backend"
)

// Copy modes of the ew_copy_b32 kernel.
const (
	copyPlain  = 0
	copyAddF32 = 1
	copyAddI32 = 2
)

// Copy is the N-dimensional strided copy: for every index i of shape,
// dst[dst.Off + sum(i*dst.Strides)] = src[src.Off + sum(i*src.Strides)], or
// += with accumulate (dst positions then distinct). Both buffers have one
// dtype (float32 or int32). Dimensions that both views walk contiguously are
// merged; a copy that is contiguous on both sides goes device to device, a
// (batched) transpose through shared-memory tiles, anything else through
// the general strided kernel.
func (b *Backend) Copy(dst, src backend.Strided, shape []int, accumulate bool) {
	d, s := b.buf(dst.Buf), b.buf(src.Buf)
	if d.dt != s.dt {
		panic(fmt.Sprintf("cuda: Copy from %v into %v", s.dt, d.dt))
	}
	ewCheckView("Copy", "dst", dst, shape, d.n)
	ewCheckView("Copy", "src", src, shape, s.n)
	n := backend.NumElements(shape)
	if n == 0 {
		return
	}
	ms, str := ewCollapse(shape, dst.Strides, src.Strides)
	pd, ps := ptrAt(d, dst.Off), ptrAt(s, src.Off)
	contiguous := len(ms) == 0 || (len(ms) == 1 && str[0][0] == 1 && str[1][0] == 1)
	bytes := DevicePtr(n * d.dt.Size())
	if !accumulate && contiguous && (pd+bytes <= ps || ps+bytes <= pd) {
		b.check("Copy", b.drv.DtoD(pd, ps, int64(bytes)))
		return
	}
	mode := copyPlain
	if accumulate {
		mode = copyAddF32
		if d.dt == backend.Int32 {
			mode = copyAddI32
		}
	}
	if b.copyTransposed(pd, ps, mode, ms, str[0], str[1]) {
		return
	}
	args := append([]any{pd, ps, mode, n}, ewGeomArgs("Copy", ms, str[0], str[1])...)
	b.launch("ew_copy_b32", ewBlocks(n), dim1(ewThreads), 0, args...)
}

// copyTransposed launches the tiled ew_transpose_b32 when the merged copy
// is a (batched) transpose: two or three dimensions, dst contiguous along
// one (q) and src along another (p), each at least transposeMin long; the
// third, if any, is the batch. It reports whether it did.
func (b *Backend) copyTransposed(pd, ps DevicePtr, mode int, shape, ds, ss []int) bool {
	const transposeMin = 8
	r := len(shape)
	if r < 2 || r > 3 {
		return false
	}
	q, p := -1, -1
	for k := range shape {
		if ds[k] == 1 && q < 0 {
			q = k
		}
		if ss[k] == 1 && p < 0 {
			p = k
		}
	}
	if q < 0 || p < 0 || q == p || shape[q] < transposeMin || shape[p] < transposeMin {
		return false
	}
	nb, dsb, ssb := 1, 0, 0
	for k := range shape {
		if k != p && k != q {
			nb, dsb, ssb = shape[k], ds[k], ss[k]
		}
	}
	np, nq := shape[p], shape[q]
	grid := Dim3{X: min((nq+31)/32, maxGridX), Y: min((np+31)/32, maxGridYZ), Z: min(nb, maxGridYZ)}
	b.launch("ew_transpose_b32", grid, Dim3{X: 32, Y: 8, Z: 1}, 0, pd, ps, mode, nb, np, nq, dsb, ds[p], ssb, ss[q])
	return true
}
