package cuda_test

import (
	"fmt"
	"math"
	"testing"

	"allnet/engine/backend"
	"github.com/stretchr/testify/require"
)

// copyTwinCase is one strided copy: buffer lengths, views and the mode.
type copyTwinCase struct {
	name         string
	shape        []int
	dstLen, dOff int
	dStr         []int
	srcLen, sOff int
	sStr         []int
	acc, ints    bool
}

var copyTwinCases = []copyTwinCase{
	{name: "contiguous (device to device)", shape: []int{3, 41}, dstLen: 130, dOff: 5, dStr: []int{41, 1}, srcLen: 125, sOff: 2, sStr: []int{41, 1}},
	{name: "permute 4-d with offsets", shape: []int{3, 4, 5, 6}, dstLen: 365, dOff: 3, dStr: []int{1, 3, 12, 60}, srcLen: 363, sOff: 2, sStr: []int{120, 30, 6, 1}},
	{name: "window partition (6-d)", shape: []int{2, 3, 3, 4, 4, 5}, dstLen: 1440, dStr: []int{720, 240, 80, 20, 5, 1}, srcLen: 1440, sStr: []int{720, 240, 20, 60, 5, 1}},
	{name: "slice with step", shape: []int{7, 9}, dstLen: 63, dStr: []int{9, 1}, srcLen: 300, sOff: 7, sStr: []int{40, 3}},
	{name: "broadcast source", shape: []int{4, 5, 6}, dstLen: 125, dOff: 1, dStr: []int{30, 6, 1}, srcLen: 10, sOff: 3, sStr: []int{0, 1, 0}},
	{name: "negative strides", shape: []int{6, 7}, dstLen: 42, dStr: []int{7, 1}, srcLen: 42, sOff: 41, sStr: []int{-7, -1}},
	{name: "rank 0", shape: []int{}, dstLen: 4, dOff: 3, dStr: []int{}, srcLen: 2, sOff: 1, sStr: []int{}},
	{name: "accumulate permute", shape: []int{5, 6, 7}, dstLen: 211, dOff: 1, dStr: []int{1, 5, 30}, srcLen: 210, sStr: []int{42, 7, 1}, acc: true},
	{name: "accumulate contiguous", shape: []int{1001}, dstLen: 1001, dStr: []int{1}, srcLen: 1003, sOff: 2, sStr: []int{1}, acc: true},
	{name: "accumulate broadcast", shape: []int{8, 9}, dstLen: 72, dStr: []int{9, 1}, srcLen: 9, sStr: []int{0, 1}, acc: true},
	{name: "NCHW to NHWC (tiled)", shape: []int{2, 5, 7, 37}, dstLen: 2590, dStr: []int{1295, 259, 37, 1}, srcLen: 2590, sStr: []int{1295, 7, 1, 35}},
	{name: "NHWC to NCHW accumulate (tiled)", shape: []int{3, 19, 4, 9}, dstLen: 2052, dStr: []int{684, 36, 9, 1}, srcLen: 2052, sStr: []int{684, 1, 171, 19}, acc: true},
	{name: "padded transpose (tiled)", shape: []int{45, 70}, dstLen: 3503, dOff: 3, dStr: []int{1, 50}, srcLen: 3155, sOff: 5, sStr: []int{70, 1}},
	{name: "int32 transpose", shape: []int{13, 11}, dstLen: 143, dStr: []int{1, 13}, srcLen: 143, sStr: []int{11, 1}, ints: true},
	{name: "int32 accumulate", shape: []int{4, 25}, dstLen: 100, dStr: []int{25, 1}, srcLen: 25, sStr: []int{0, 1}, acc: true, ints: true},
}

// TestCopyTwins runs every case on both backends onto the same random dst
// and requires identical results (copies are exact; accumulation is one
// float32 addition per element on both).
func TestCopyTwins(t *testing.T) {
	c, g := twins(t)
	r := rng(t)
	for _, tc := range copyTwinCases {
		what := fmt.Sprintf("Copy %s", tc.name)
		if tc.ints {
			dst0, src := make([]int32, tc.dstLen), make([]int32, tc.srcLen)
			for i := range dst0 {
				dst0[i] = int32(r.IntN(2000) - 1000)
			}
			for i := range src {
				src[i] = int32(r.IntN(2000) - 1000)
			}
			run := func(be backend.Backend) []int32 {
				d := backend.Strided{Buf: uploadInt(be, dst0), Off: tc.dOff, Strides: tc.dStr}
				be.Copy(d, backend.Strided{Buf: uploadInt(be, src), Off: tc.sOff, Strides: tc.sStr}, tc.shape, tc.acc)
				return downloadInt(be, d.Buf)
			}
			require.Equal(t, run(c), run(g), what)
			continue
		}
		dst0, src := randn(r, tc.dstLen, 1), randn(r, tc.srcLen, 1)
		dst0[0] = float32(math.NaN()) // elements outside the view must keep even a NaN
		run := func(be backend.Backend) []float32 {
			d := backend.Strided{Buf: upload(be, dst0), Off: tc.dOff, Strides: tc.dStr}
			s := backend.Strided{Buf: upload(be, src), Off: tc.sOff, Strides: tc.sStr}
			be.Copy(d, s, tc.shape, tc.acc)
			require.Equal(t, src, download(be, s.Buf), "%s changed src", what)
			return download(be, d.Buf)
		}
		ewRequireBits(t, what, run(g), run(c))
	}
}

// TestCopyPanics checks mismatched dtypes, views outside their buffers and
// too many unmergeable dimensions.
func TestCopyPanics(t *testing.T) {
	g := newEmu(t)
	f, i := g.Alloc(backend.Float32, 8), g.Alloc(backend.Int32, 8)
	require.PanicsWithValue(t, "cuda: Copy from int32 into float32", func() {
		g.Copy(backend.Contiguous(f, []int{8}), backend.Contiguous(i, []int{8}), []int{8}, false)
	})
	require.PanicsWithValue(t, "cuda: Copy: src (offset 1, strides [1]) of shape [8] reaches elements 1..8 of a buffer of 8", func() {
		g.Copy(backend.Contiguous(f, []int{8}), backend.Strided{Buf: f, Off: 1, Strides: []int{1}}, []int{8}, false)
	})
	shape := []int{2, 2, 2, 2, 2, 2, 2, 2, 2}
	big, out := g.Alloc(backend.Float32, 512), g.Alloc(backend.Float32, 512)
	rev := backend.Strided{Buf: big, Strides: []int{1, 2, 4, 8, 16, 32, 64, 128, 256}}
	require.PanicsWithValue(t, "cuda: Copy: 9 dimensions remain after merging contiguous ones (shape [2 2 2 2 2 2 2 2 2]); the kernels take at most 8",
		func() { g.Copy(backend.Contiguous(out, shape), rev, shape, false) })
}

// TestElementwisePaths checks, through the per-kernel timing, which kernel
// each layout takes, so that the fast paths stay in use.
func TestElementwisePaths(t *testing.T) {
	g := newEmu(t)
	g.EnableKernelTiming(true)
	launched := func(f func()) []string {
		before := map[string]int{}
		for _, k := range g.KernelTimes() {
			before[k.Kernel] = k.Launches
		}
		f()
		var out []string
		for _, k := range g.KernelTimes() {
			if k.Launches > before[k.Kernel] {
				out = append(out, k.Kernel)
			}
		}
		return out
	}
	x, y := g.Alloc(backend.Float32, 4096), g.Alloc(backend.Float32, 4096)
	nchw := backend.Strided{Buf: x, Strides: []int{2048, 16, 1, 256}} // (2, 8, 16, 16) viewed as NHWC
	require.Equal(t, []string{"ew_transpose_b32"}, launched(func() {
		g.Copy(backend.Contiguous(y, []int{2, 16, 16, 8}), nchw, []int{2, 16, 16, 8}, false)
	}))
	require.Equal(t, []string{"ew_copy_b32"}, launched(func() {
		g.Copy(backend.Strided{Buf: y, Strides: []int{2, 0}}, backend.Contiguous(x, []int{3, 2}), []int{3, 2}, true)
	}))
	require.Empty(t, launched(func() { // device to device
		g.Copy(backend.Contiguous(y, []int{64, 64}), backend.Contiguous(x, []int{64, 64}), []int{64, 64}, false)
	}))
	require.Equal(t, []string{"ew_binary_flat_f32"}, launched(func() {
		g.Binary(backend.Add, y, []int{64, 64}, backend.Contiguous(x, []int{64, 64}), backend.Strided{Buf: x, Off: 7, Strides: []int{0, 0}})
	}))
	require.Equal(t, []string{"ew_binary_f32"}, launched(func() {
		g.Binary(backend.Add, y, []int{64, 64}, backend.Contiguous(x, []int{64, 64}), backend.Strided{Buf: x, Strides: []int{0, 1}})
	}))
	require.Equal(t, []string{"reduce_rows_f32"}, launched(func() {
		g.Reduce(backend.ReduceSum, g.Alloc(backend.Float32, 2), []int{2, 1}, x, []int{2, 2048})
	}))
	require.Equal(t, []string{"reduce_cols_f32"}, launched(func() {
		g.Reduce(backend.ReduceMax, g.Alloc(backend.Float32, 64), []int{1, 64}, x, []int{64, 64})
	}))
}
