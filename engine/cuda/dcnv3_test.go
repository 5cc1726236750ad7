package cuda_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"allnet/engine/backend"
	"allnet/engine/backend/backendtest"
	"allnet/engine/cuda"
	"github.com/stretchr/testify/require"
)

// dcnTwinCase is one geometry of the twin tests, the spread of its random
// offsets and the kernel variants its forward and backward must run.
type dcnTwinCase struct {
	name     string
	g        backend.DCNv3Geom
	offStd   float64
	fwd, bwd string
}

// dcnTwinGeom builds a geometry whose output size follows the convolution
// rule.
func dcnTwinGeom(n, h, w, groups, d, kh, kw, s, pad, dil int, scale float64) backend.DCNv3Geom {
	return backend.DCNv3Geom{
		N: n, H: h, W: w, G: groups, D: d, KH: kh, KW: kw,
		SH: s, SW: s, PH: pad, PW: pad, DH: dil, DW: dil,
		OH: (h+2*pad-dil*(kh-1)-1)/s + 1, OW: (w+2*pad-dil*(kw-1)-1)/s + 1,
		OffsetScale: scale,
	}
}

// dcnTwinCases cover every kernel variant and lane layout: D = 16 (forward
// two float4 per thread; backward four lanes per group; G = 5 as
// InternImage-S's first level), D = 8, D = 12 (three lanes padded to four
// in the backward), D = 20 (five lanes padded to eight), D = 3 and 5
// (scalar; one and two lanes), and D = 264 (66 backward lanes padded to
// 128: four warps per group, the atomic path), with strides, padding,
// dilation, OffsetScale != 1 and non-square kernels.
var dcnTwinCases = []dcnTwinCase{
	{"D16G5 3x3s1p1", dcnTwinGeom(2, 5, 6, 5, 16, 3, 3, 1, 1, 1, 1), 1.5, "v4x2", "v4x1"},
	{"D8G3 3x3s2p0d2 scale0.7", dcnTwinGeom(2, 11, 10, 3, 8, 3, 3, 2, 0, 2, 0.7), 3, "v4x2", "v4x1"},
	{"D12G2 3x3s2p1", dcnTwinGeom(1, 9, 8, 2, 12, 3, 3, 2, 1, 1, 1), 2, "v4x1", "v4x1"},
	{"D20G1 3x3s1p2d2 scale1.3", dcnTwinGeom(1, 6, 7, 1, 20, 3, 3, 1, 2, 2, 1.3), 2, "v4x1", "v4x1"},
	{"D3G4 2x3s1p1 scale1.3", dcnTwinGeom(2, 6, 5, 4, 3, 2, 3, 1, 1, 1, 1.3), 1.5, "s4", "s4"},
	{"D5G3 3x2s2p1", dcnTwinGeom(1, 9, 7, 3, 5, 3, 2, 2, 1, 1, 1), 2, "s4", "s4"},
	{"D264G1 3x3s1p1", dcnTwinGeom(1, 3, 3, 1, 264, 3, 3, 1, 1, 1, 1), 1.5, "v4x2", "v4x1"},
}

// dcnTwinInputs draws value, offset and mask for c and checks that some
// points lie inside the image, some partly and some wholly outside.
func dcnTwinInputs(t *testing.T, r *rand.Rand, c dcnTwinCase) (value, offset, mask []float32) {
	g := c.g
	npix := g.N * g.OH * g.OW
	value = randn(r, g.N*g.H*g.W*g.G*g.D, 1)
	offset = randn(r, npix*g.G*g.P()*2, c.offStd)
	mask = randn(r, npix*g.G*g.P(), 0.5)
	off64 := make([]float64, len(offset))
	for i, o := range offset {
		off64[i] = float64(o)
	}
	full, partial, outside := backendtest.DCNv3Coverage(g, off64)
	require.True(t, full > 0 && partial > 0 && outside > 0,
		"%s: inputs cover too little: %d full, %d partial, %d outside points", c.name, full, partial, outside)
	return value, offset, mask
}

// launchCounts returns the launches per kernel recorded by b so far.
func launchCounts(b *cuda.Backend) map[string]int {
	m := map[string]int{}
	for _, k := range b.KernelTimes() {
		m[k.Kernel] = k.Launches
	}
	return m
}

// requireLaunched checks that since before (launchCounts) b launched kernel
// once and nothing else.
func requireLaunched(t *testing.T, b *cuda.Backend, before map[string]int, kernel string) {
	t.Helper()
	after := launchCounts(b)
	for k, n := range after {
		if k == kernel {
			require.Equal(t, before[k]+1, n, "launches of %s", k)
		} else {
			require.Equal(t, before[k], n, "unexpected launch of %s", k)
		}
	}
	require.Contains(t, after, kernel)
}

// TestDCNv3Twin compares DCNv3 and DCNv3Backward (all three gradients,
// accumulated into random contents) with the CPU twin on every case.
func TestDCNv3Twin(t *testing.T) {
	cpu, gpu := twins(t)
	for _, c := range dcnTwinCases {
		t.Run(c.name, func(t *testing.T) {
			g := c.g
			r := rng(t)
			value, offset, mask := dcnTwinInputs(t, r, c)
			nout := g.N * g.OH * g.OW * g.G * g.D
			dOut := randn(r, nout, 1)
			pre := [3][]float32{randn(r, len(value), 1), randn(r, len(offset), 1), randn(r, len(mask), 1)}

			var outs [2][]float32
			var grads [2][3][]float32
			for i, b := range []backend.Backend{cpu, gpu} {
				vb, ob, mb := upload(b, value), upload(b, offset), upload(b, mask)
				out := poisoned(b, nout)
				b.DCNv3(out, vb, ob, mb, g)
				outs[i] = download(b, out)
				dv, do, dm := upload(b, pre[0]), upload(b, pre[1]), upload(b, pre[2])
				b.DCNv3Backward(dv, do, dm, upload(b, dOut), vb, ob, mb, g)
				grads[i] = [3][]float32{download(b, dv), download(b, do), download(b, dm)}
			}
			requireClose(t, "DCNv3", outs[1], outs[0], 5e-6)
			for k, name := range []string{"dValue", "dOffset", "dMask"} {
				requireClose(t, "DCNv3Backward "+name, grads[1][k], grads[0][k], 5e-6)
			}
		})
	}
}

// TestDCNv3Variant checks that each case runs the kernel variant it is
// meant to test (the vector paths when D allows them).
func TestDCNv3Variant(t *testing.T) {
	b := newEmu(t)
	for _, c := range dcnTwinCases {
		g := c.g
		npix := g.N * g.OH * g.OW
		vb := b.Alloc(backend.Float32, g.N*g.H*g.W*g.G*g.D)
		ob := b.Alloc(backend.Float32, npix*g.G*g.P()*2)
		mb := b.Alloc(backend.Float32, npix*g.G*g.P())
		out := b.Alloc(backend.Float32, npix*g.G*g.D)
		dm := b.Alloc(backend.Float32, mb.Len())
		b.EnableKernelTiming(true)
		before := launchCounts(b)
		b.DCNv3(out, vb, ob, mb, g)
		requireLaunched(t, b, before, "dcnv3_fwd_f32_"+c.fwd)
		before = launchCounts(b)
		b.DCNv3Backward(nil, nil, dm, out, vb, ob, mb, g)
		requireLaunched(t, b, before, "dcnv3_bwd_f32_"+c.bwd)
		b.EnableKernelTiming(false)
	}
}

// TestDCNv3BackwardSubsets runs DCNv3Backward with every subset of the
// three gradients (nil for the others) against the CPU twin, on a vector
// case and a scalar one; the empty subset must leave everything alone.
func TestDCNv3BackwardSubsets(t *testing.T) {
	cpu, gpu := twins(t)
	for _, c := range []dcnTwinCase{dcnTwinCases[0], dcnTwinCases[5]} {
		g := c.g
		r := rng(t)
		value, offset, mask := dcnTwinInputs(t, r, c)
		dOut := randn(r, g.N*g.OH*g.OW*g.G*g.D, 1)
		pre := [3][]float32{randn(r, len(value), 1), randn(r, len(offset), 1), randn(r, len(mask), 1)}
		for set := 0; set < 8; set++ {
			var got [2][3][]float32
			for i, b := range []backend.Backend{cpu, gpu} {
				var bufs [3]backend.Buffer
				for k := range bufs {
					if set&(1<<k) != 0 {
						bufs[k] = upload(b, pre[k])
					}
				}
				vb, ob, mb := upload(b, value), upload(b, offset), upload(b, mask)
				b.DCNv3Backward(bufs[0], bufs[1], bufs[2], upload(b, dOut), vb, ob, mb, g)
				for k, buf := range bufs {
					if buf != nil {
						got[i][k] = download(b, buf)
					}
				}
				// The inputs are left alone.
				require.Equal(t, value, download(b, vb))
				require.Equal(t, offset, download(b, ob))
				require.Equal(t, mask, download(b, mb))
			}
			for k, name := range []string{"dValue", "dOffset", "dMask"} {
				if got[1][k] != nil {
					requireClose(t, fmt.Sprintf("%s %s (set %03b)", c.name, name, set), got[1][k], got[0][k], 5e-6)
				}
			}
		}
	}
}

// TestDCNv3Conformance runs the suite's DCNv3 checks on the emulated backend.
func TestDCNv3Conformance(t *testing.T) {
	backendtest.RunOnly(t, newEmu(t), "DCNv3", "DCNv3Backward")
}
