package backend

// DepthwiseConv is an optional primitive for depthwise convolutions (groups
// = input channels = output channels). A backend that implements it runs
// them directly; the engine otherwise unfolds with Im2col and issues one Gemm
// per channel, which costs little on a GPU and a great deal per call on a
// CPU. g describes the input (N, C, H, W) and the kernel, whose weight w is
// (C, 1, KH, KW).
type DepthwiseConv interface {
	// DepthwiseConv2d accumulates into out (N, C, OH, OW) the depthwise
	// convolution of x (N, C, H, W) by w.
	DepthwiseConv2d(out, x, w Buffer, g ConvGeom)
	// DepthwiseConv2dBackward accumulates the gradients for dy (N, C, OH,
	// OW) into dx (N, C, H, W) and dw (C, 1, KH, KW); either may be nil
	// when not wanted.
	DepthwiseConv2dBackward(dx, dw, x, w, dy Buffer, g ConvGeom)
}
