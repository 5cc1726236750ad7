package backend

// Backend is one compute device's implementation of the primitives. All
// buffers passed to a backend's methods were allocated by that backend, and
// all float buffers of one call share one dtype (Float32, or Float64 where
// Supports says so). Calls are issued from one goroutine at a time per
// backend instance; a backend may run them asynchronously as long as results
// are visible to later calls and to Download.
//
// Shape conventions are written as comments such as (N, C, H, W). Unless a
// comment says otherwise, primitives overwrite their outputs; "accumulates"
// means the result is added to what the output already holds.
type Backend interface {
	// Name is the backend's registry name ("cpu", "cuda").
	Name() string
	// Device describes the device this instance drives, e.g. "cpu (16 threads)".
	Device() string
	// Supports reports whether buffers of dtype d can be allocated.
	Supports(d DType) bool

	// Alloc returns a zero-filled buffer of n elements. It panics with a
	// message naming the bytes requested when the device is out of memory.
	Alloc(d DType, n int) Buffer
	// Free releases a buffer early; using it afterwards is an error. Backends
	// whose memory is garbage-collected may treat it as a no-op.
	Free(b Buffer)
	// Upload copies host data into dst. src is []float32, []float64 or
	// []int32 matching dst's dtype and length.
	Upload(dst Buffer, src any)
	// Download copies a buffer to the host. dst is []float32, []float64 or
	// []int32 matching src's dtype and length.
	Download(dst any, src Buffer)
	// Fill sets every element of dst to v (converted to dst's dtype).
	Fill(dst Buffer, v float64)
	// Convert copies src into dst converting between dtypes (float <-> int32
	// truncates toward zero). Lengths must match.
	Convert(dst, src Buffer)
	// Copy is an N-dimensional strided copy: for every index i of shape,
	// dst[dst.Off + sum(i*dst.Strides)] = src[src.Off + sum(i*src.Strides)].
	// It serves permute, slice, concat, split, pad and broadcast-expand. With
	// accumulate, the value is added instead (then dst positions must be
	// distinct). Strides are in elements and may be zero (broadcast reads).
	Copy(dst, src Strided, shape []int, accumulate bool)

	// Unary computes y = op(x; alpha) elementwise; x and y have equal length
	// and may be the same buffer.
	Unary(op UnaryOp, y, x Buffer, alpha float64)
	// UnaryBackward computes dx = dy * op'(x; alpha) elementwise, using x (the
	// input) and y (the forward output) as convenient for op. For the
	// comparison ops and Sign the derivative is zero.
	UnaryBackward(op UnaryOp, dx, x, y, dy Buffer, alpha float64)
	// Binary computes out = op(a, b) over out's shape; a and b are read
	// through strides (zero strides broadcast). out is contiguous.
	Binary(op BinaryOp, out Buffer, shape []int, a, b Strided)
	// Reduce reduces src of shape srcShape to dst of shape dstShape (same
	// rank, each dst dimension either equal to src's or 1, meaning that
	// dimension is reduced).
	Reduce(op ReduceOp, dst Buffer, dstShape []int, src Buffer, srcShape []int)

	// Gemm computes a batch of matrix products, see GemmArgs.
	Gemm(g GemmArgs)
	// Im2col unfolds image patches for convolution, see ConvGeom.
	Im2col(col, img Buffer, g ConvGeom)
	// Col2im is the adjoint of Im2col: it accumulates columns back into img
	// (img is not cleared first).
	Col2im(img, col Buffer, g ConvGeom)

	// Softmax computes softmax (or log-softmax) over the middle axis of x
	// viewed as (outer, dim, inner).
	Softmax(y, x Buffer, outer, dim, inner int, log bool)
	// SoftmaxBackward computes dx from the forward output y and dy: for
	// softmax dx = y*(dy - sum(dy*y)); for log-softmax dx = dy - exp(y)*sum(dy).
	SoftmaxBackward(dx, y, dy Buffer, outer, dim, inner int, log bool)

	// LayerNorm normalises each of rows rows of cols values:
	// y = (x - mean) * rstd * gamma + beta, rstd = 1/sqrt(var + eps) with the
	// biased variance. gamma and beta (length cols) may be nil (1 and 0).
	// mean and rstd (length rows) receive the statistics for the backward.
	LayerNorm(y, mean, rstd, x, gamma, beta Buffer, rows, cols int, eps float64)
	// LayerNormBackward computes dx and accumulates dgamma = sum(dy * xhat)
	// and dbeta = sum(dy) over rows. Either may be nil when not wanted; gamma
	// nil means gamma = 1 (dbeta is still well defined then).
	LayerNormBackward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma Buffer, rows, cols int)

	// Resize is bilinear resizing of (N, C, H, W) to (N, C, OH, OW) with
	// PyTorch's align_corners=False rule: src = (dst + 0.5) * in/out - 0.5,
	// clamped below at 0, neighbours clamped to the last row/column.
	Resize(y, x Buffer, n, c, h, w, oh, ow int)
	// ResizeBackward accumulates the adjoint of Resize into dx.
	ResizeBackward(dx, dy Buffer, n, c, h, w, oh, ow int)

	// AvgPool computes average pooling of (N, C, H, W), see PoolGeom.
	AvgPool(y, x Buffer, g PoolGeom)
	// AvgPoolBackward accumulates the adjoint of AvgPool into dx.
	AvgPoolBackward(dx, dy Buffer, g PoolGeom)

	// TopK finds, for each of rows rows of cols values, the k largest values
	// in descending order (ties: lower index first) and their int32 indices.
	TopK(values, indices, x Buffer, rows, cols, k int)
	// Gather reads along the middle axis of src viewed as (outer, srcDim,
	// inner): dst[o, i, n] = src[o, idx[o, i, n], n], with dst and idx of
	// shape (outer, idxDim, inner). Indices out of [0, srcDim) panic.
	Gather(dst, src, idx Buffer, outer, srcDim, idxDim, inner int)
	// ScatterAdd is Gather's adjoint: dst[o, idx[o,i,n], n] += src[o, i, n].
	ScatterAdd(dst, src, idx Buffer, outer, dstDim, idxDim, inner int)

	// RandUniform fills dst with values uniform in [0, 1) from a counter-based
	// generator: element i gets U(seed, offset+i), identical on every backend
	// (see Uniform in this package).
	RandUniform(dst Buffer, seed, offset uint64)
	// RandNormal fills dst with standard normal values: element i gets
	// Normal(seed, offset+i) (see Normal in this package).
	RandNormal(dst Buffer, seed, offset uint64)

	// DCNv3 is the DCNv3 core forward, see DCNv3Geom.
	DCNv3(out, value, offset, mask Buffer, g DCNv3Geom)
	// DCNv3Backward accumulates the gradients of DCNv3 for value, offset and
	// mask (each may be nil when not wanted).
	DCNv3Backward(dValue, dOffset, dMask, dOut, value, offset, mask Buffer, g DCNv3Geom)

	// Attention is scaled dot-product attention, see AttnGeom. lse (length
	// Batch*Lq) receives each row's log-sum-exp for the backward.
	Attention(out, lse, q, k, v, bias Buffer, g AttnGeom)
	// AttentionBackward computes dq, dk, dv (overwritten) and, when dBias is
	// not nil, accumulates the gradient of the additive bias.
	AttentionBackward(dq, dk, dv, dBias, dOut, q, k, v, bias, out, lse Buffer, g AttnGeom)

	// PSFConv convolves every channel of image n with that image's own
	// kernel, see PSFGeom.
	PSFConv(y, x, psf Buffer, g PSFGeom)
	// PSFConvBackward accumulates the gradients for x and psf (either may be
	// nil).
	PSFConvBackward(dx, dpsf, dy, x, psf Buffer, g PSFGeom)

	// CrossEntropy computes per-position losses of logits viewed as (outer,
	// classes, inner) against int32 labels (outer, inner):
	// loss = logsumexp(logits) - logits[label], and 0 where label == ignore.
	// It also stores the softmax probabilities in prob (same shape as logits)
	// for the backward.
	CrossEntropy(loss, prob, logits, labels Buffer, outer, classes, inner int, ignore int)
	// CrossEntropyBackward computes dlogits = dloss * (prob - onehot(label)),
	// zero where label == ignore.
	CrossEntropyBackward(dlogits, dloss, prob, labels Buffer, outer, classes, inner int, ignore int)

	// Synchronize waits for all queued work to finish.
	Synchronize()
}

// Strided is a view into a buffer: an element offset and per-dimension
// strides in elements.
type Strided struct {
	Buf     Buffer
	Off     int
	Strides []int
}

// ContiguousStrides returns the row-major strides of shape.
func ContiguousStrides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for i := len(shape) - 1; i >= 0; i-- {
		s[i] = acc
		acc *= shape[i]
	}
	return s
}

// Contiguous returns a row-major view of buf with the given shape.
func Contiguous(buf Buffer, shape []int) Strided {
	return Strided{Buf: buf, Strides: ContiguousStrides(shape)}
}

// NumElements returns the product of the dimensions of shape.
func NumElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
