// Package meta is a shape-only backend: its buffers know their dtype and
// length but hold no memory, and its primitives check their arguments'
// lengths (where that is cheap) and compute nothing. It serves shape checks
// and FLOP counting of models too large to run (engine.CountFLOPs), the
// "null device" of tinygrad. It is deliberately not in the backend registry:
// a user's --device can never select a backend that computes nothing; code
// that wants it calls New.
//
// Download fills float buffers with zeros and int32 buffers with the
// backend's index fill (0 unless SetIndexFill says otherwise), so that
// data-dependent control flow read back on the host, such as mixture-of-
// experts routing, can be steered: with top-1 routing every image then goes
// to expert IndexFill.
package meta

import (
	"fmt"
	"sync/atomic"

	"allnet/engine/backend"
)

// Buffer is a meta buffer: a dtype and a length, no data.
type Buffer struct {
	dtype backend.DType
	n     int
}

// DType returns the element type.
func (b *Buffer) DType() backend.DType { return b.dtype }

// Len returns the number of elements.
func (b *Buffer) Len() int { return b.n }

// Meta is the meta backend. Use New; each instance has its own index fill.
type Meta struct {
	indexFill atomic.Int32
}

// New returns a meta backend with index fill 0.
func New() *Meta { return &Meta{} }

// SetIndexFill sets the value Download writes into int32 buffers.
func (m *Meta) SetIndexFill(v int32) { m.indexFill.Store(v) }

// Name returns "meta".
func (*Meta) Name() string { return "meta" }

// Device says that the backend computes nothing.
func (*Meta) Device() string { return "meta:0 (shapes only, computes nothing)" }

// Supports reports true for float32, float64 and int32.
func (*Meta) Supports(d backend.DType) bool {
	return d == backend.Float32 || d == backend.Float64 || d == backend.Int32
}

// Alloc returns a buffer of n elements that holds no memory.
func (*Meta) Alloc(d backend.DType, n int) backend.Buffer {
	if n < 0 || (d != backend.Float32 && d != backend.Float64 && d != backend.Int32) {
		panic(fmt.Sprintf("meta: Alloc of %d elements of %v", n, d))
	}
	return &Buffer{dtype: d, n: n}
}

// Free is a no-op.
func (*Meta) Free(backend.Buffer) {}

// Upload checks src's type and length and discards the data.
func (*Meta) Upload(dst backend.Buffer, src any) {
	checkHost("Upload", dst, src)
}

// Download checks dst's type and length and fills it with zeros (int32:
// the index fill).
func (m *Meta) Download(dst any, src backend.Buffer) {
	checkHost("Download", src, dst)
	switch d := dst.(type) {
	case []float32:
		clear(d)
	case []float64:
		clear(d)
	case []int32:
		v := m.indexFill.Load()
		for i := range d {
			d[i] = v
		}
	}
}

// checkHost panics unless host is a slice of b's dtype and length.
func checkHost(op string, b backend.Buffer, host any) {
	mb := buf(op, b)
	n, ok := -1, false
	switch h := host.(type) {
	case []float32:
		n, ok = len(h), mb.dtype == backend.Float32
	case []float64:
		n, ok = len(h), mb.dtype == backend.Float64
	case []int32:
		n, ok = len(h), mb.dtype == backend.Int32
	}
	if !ok || n != mb.n {
		panic(fmt.Sprintf("meta: %s: host %T of length %d for a %v buffer of %d elements", op, host, n, mb.dtype, mb.n))
	}
}

// buf converts b to a meta buffer, panicking for another backend's buffer.
func buf(op string, b backend.Buffer) *Buffer {
	mb, ok := b.(*Buffer)
	if !ok {
		panic(fmt.Sprintf("meta: %s: buffer of type %T does not belong to the meta backend", op, b))
	}
	return mb
}

// need panics unless b is a meta buffer of at least n elements; a nil b
// passes when optional.
func need(op, name string, b backend.Buffer, n int, optional bool) {
	if b == nil {
		if optional {
			return
		}
		panic(fmt.Sprintf("meta: %s: %s is nil", op, name))
	}
	if l := buf(op, b).n; l < n {
		panic(fmt.Sprintf("meta: %s: %s holds %d elements, needs %d", op, name, l, n))
	}
}

// Fill checks dst.
func (*Meta) Fill(dst backend.Buffer, _ float64) { need("Fill", "dst", dst, 0, false) }

// Convert checks that the lengths match.
func (*Meta) Convert(dst, src backend.Buffer) {
	if buf("Convert", dst).n != buf("Convert", src).n {
		panic(fmt.Sprintf("meta: Convert: lengths %d and %d differ", dst.Len(), src.Len()))
	}
}

// Copy checks that the last element each view reaches is in its buffer.
func (*Meta) Copy(dst, src backend.Strided, shape []int, _ bool) {
	checkView("Copy", "dst", dst, shape)
	checkView("Copy", "src", src, shape)
}

// checkView panics when view s of shape reaches past its buffer.
func checkView(op, name string, s backend.Strided, shape []int) {
	if len(s.Strides) != len(shape) {
		panic(fmt.Sprintf("meta: %s: %s has %d strides for shape %v", op, name, len(s.Strides), shape))
	}
	last := s.Off
	for i, d := range shape {
		if d == 0 {
			return
		}
		last += (d - 1) * s.Strides[i]
	}
	need(op, name, s.Buf, last+1, false)
}

// Unary checks the lengths.
func (*Meta) Unary(_ backend.UnaryOp, y, x backend.Buffer, _ float64) {
	need("Unary", "y", y, x.Len(), false)
}

// UnaryBackward checks the lengths.
func (*Meta) UnaryBackward(_ backend.UnaryOp, dx, x, y, dy backend.Buffer, _ float64) {
	need("UnaryBackward", "dx", dx, dy.Len(), false)
}

// Binary checks out and the operand views.
func (*Meta) Binary(_ backend.BinaryOp, out backend.Buffer, shape []int, a, b backend.Strided) {
	need("Binary", "out", out, backend.NumElements(shape), false)
	checkView("Binary", "a", a, shape)
	checkView("Binary", "b", b, shape)
}

// Reduce checks the lengths.
func (*Meta) Reduce(_ backend.ReduceOp, dst backend.Buffer, dstShape []int, src backend.Buffer, srcShape []int) {
	need("Reduce", "dst", dst, backend.NumElements(dstShape), false)
	need("Reduce", "src", src, backend.NumElements(srcShape), false)
}

// Gemm checks the arguments as every backend does (backend.GemmArgs.Validate)
// and that the operands are meta buffers.
func (*Meta) Gemm(g backend.GemmArgs) {
	if err := g.Validate(); err != nil {
		panic("meta: Gemm: " + err.Error())
	}
	buf("Gemm", g.A)
	buf("Gemm", g.B)
	buf("Gemm", g.C)
}

// Im2col checks the lengths.
func (*Meta) Im2col(col, img backend.Buffer, g backend.ConvGeom) {
	need("Im2col", "img", img, g.N*g.C*g.H*g.W, false)
	need("Im2col", "col", col, g.N*g.C*g.KH*g.KW*g.OutH()*g.OutW(), false)
}

// Col2im checks the lengths.
func (*Meta) Col2im(img, col backend.Buffer, g backend.ConvGeom) {
	need("Col2im", "img", img, g.N*g.C*g.H*g.W, false)
	need("Col2im", "col", col, g.N*g.C*g.KH*g.KW*g.OutH()*g.OutW(), false)
}

// Softmax checks the lengths.
func (*Meta) Softmax(y, x backend.Buffer, outer, dim, inner int, _ bool) {
	need("Softmax", "x", x, outer*dim*inner, false)
	need("Softmax", "y", y, outer*dim*inner, false)
}

// SoftmaxBackward checks the lengths.
func (*Meta) SoftmaxBackward(dx, y, dy backend.Buffer, outer, dim, inner int, _ bool) {
	need("SoftmaxBackward", "dx", dx, outer*dim*inner, false)
}

// LayerNorm checks the lengths.
func (*Meta) LayerNorm(y, mean, rstd, x, gamma, beta backend.Buffer, rows, cols int, _ float64) {
	need("LayerNorm", "x", x, rows*cols, false)
	need("LayerNorm", "y", y, rows*cols, false)
	need("LayerNorm", "gamma", gamma, cols, true)
	need("LayerNorm", "beta", beta, cols, true)
}

// LayerNormBackward checks the lengths.
func (*Meta) LayerNormBackward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma backend.Buffer, rows, cols int) {
	need("LayerNormBackward", "dx", dx, rows*cols, true)
}

// Resize checks the lengths.
func (*Meta) Resize(y, x backend.Buffer, n, c, h, w, oh, ow int) {
	need("Resize", "x", x, n*c*h*w, false)
	need("Resize", "y", y, n*c*oh*ow, false)
}

// ResizeBackward checks the lengths.
func (*Meta) ResizeBackward(dx, dy backend.Buffer, n, c, h, w, oh, ow int) {
	need("ResizeBackward", "dx", dx, n*c*h*w, false)
}

// AvgPool checks the lengths.
func (*Meta) AvgPool(y, x backend.Buffer, g backend.PoolGeom) {
	need("AvgPool", "x", x, g.N*g.C*g.H*g.W, false)
	need("AvgPool", "y", y, g.N*g.C*g.OH*g.OW, false)
}

// AvgPoolBackward checks the lengths.
func (*Meta) AvgPoolBackward(dx, dy backend.Buffer, g backend.PoolGeom) {
	need("AvgPoolBackward", "dx", dx, g.N*g.C*g.H*g.W, false)
}

// TopK checks the lengths.
func (*Meta) TopK(values, indices, x backend.Buffer, rows, cols, k int) {
	if k < 0 || k > cols {
		panic(fmt.Sprintf("meta: TopK: k=%d of %d columns", k, cols))
	}
	need("TopK", "x", x, rows*cols, false)
	need("TopK", "values", values, rows*k, false)
	need("TopK", "indices", indices, rows*k, false)
}

// Gather checks the lengths (indices are not read).
func (*Meta) Gather(dst, src, idx backend.Buffer, outer, srcDim, idxDim, inner int) {
	need("Gather", "src", src, outer*srcDim*inner, false)
	need("Gather", "dst", dst, outer*idxDim*inner, false)
	need("Gather", "idx", idx, outer*idxDim*inner, false)
}

// ScatterAdd checks the lengths (indices are not read).
func (*Meta) ScatterAdd(dst, src, idx backend.Buffer, outer, dstDim, idxDim, inner int) {
	need("ScatterAdd", "dst", dst, outer*dstDim*inner, false)
	need("ScatterAdd", "src", src, outer*idxDim*inner, false)
}

// RandUniform checks dst.
func (*Meta) RandUniform(dst backend.Buffer, _, _ uint64) { need("RandUniform", "dst", dst, 0, false) }

// RandNormal checks dst.
func (*Meta) RandNormal(dst backend.Buffer, _, _ uint64) { need("RandNormal", "dst", dst, 0, false) }

// DCNv3 checks the geometry and the lengths.
func (*Meta) DCNv3(out, value, offset, mask backend.Buffer, g backend.DCNv3Geom) {
	g.Check()
	need("DCNv3", "value", value, g.N*g.H*g.W*g.G*g.D, false)
	need("DCNv3", "offset", offset, g.N*g.OH*g.OW*g.G*g.P()*2, false)
	need("DCNv3", "mask", mask, g.N*g.OH*g.OW*g.G*g.P(), false)
	need("DCNv3", "out", out, g.N*g.OH*g.OW*g.G*g.D, false)
}

// DCNv3Backward checks the geometry.
func (*Meta) DCNv3Backward(dValue, dOffset, dMask, dOut, value, offset, mask backend.Buffer, g backend.DCNv3Geom) {
	g.Check()
	need("DCNv3Backward", "dOut", dOut, g.N*g.OH*g.OW*g.G*g.D, false)
}

// Attention checks the lengths.
func (*Meta) Attention(out, lse, q, k, v, bias backend.Buffer, g backend.AttnGeom) {
	need("Attention", "q", q, g.Batch*g.Lq*g.D, false)
	need("Attention", "k", k, g.Batch*g.Lk*g.D, false)
	need("Attention", "v", v, g.Batch*g.Lk*g.DV, false)
	need("Attention", "out", out, g.Batch*g.Lq*g.DV, false)
	need("Attention", "lse", lse, g.Batch*g.Lq, false)
	need("Attention", "bias", bias, g.BiasBatch*g.Lq*g.Lk, true)
}

// AttentionBackward checks the lengths.
func (*Meta) AttentionBackward(dq, dk, dv, dBias, dOut, q, k, v, bias, out, lse backend.Buffer, g backend.AttnGeom) {
	need("AttentionBackward", "dOut", dOut, g.Batch*g.Lq*g.DV, false)
}

// PSFConv checks the lengths.
func (*Meta) PSFConv(y, x, psf backend.Buffer, g backend.PSFGeom) {
	need("PSFConv", "x", x, g.N*g.C*g.H*g.W, false)
	need("PSFConv", "y", y, g.N*g.C*g.H*g.W, false)
	need("PSFConv", "psf", psf, g.N*g.KH*g.KW, false)
}

// PSFConvBackward checks the lengths.
func (*Meta) PSFConvBackward(dx, dpsf, dy, x, psf backend.Buffer, g backend.PSFGeom) {
	need("PSFConvBackward", "dy", dy, g.N*g.C*g.H*g.W, false)
}

// CrossEntropy checks the lengths.
func (*Meta) CrossEntropy(loss, prob, logits, labels backend.Buffer, outer, classes, inner int, _ int) {
	need("CrossEntropy", "logits", logits, outer*classes*inner, false)
	need("CrossEntropy", "labels", labels, outer*inner, false)
	need("CrossEntropy", "loss", loss, outer*inner, false)
}

// CrossEntropyBackward checks the lengths.
func (*Meta) CrossEntropyBackward(dlogits, dloss, prob, labels backend.Buffer, outer, classes, inner int, _ int) {
	need("CrossEntropyBackward", "dlogits", dlogits, outer*classes*inner, false)
}

// Synchronize is a no-op.
func (*Meta) Synchronize() {}

var _ backend.Backend = (*Meta)(nil)
