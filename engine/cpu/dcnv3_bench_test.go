package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/engine/backend"
)

// dcnBench holds a DCNv3 problem: geometry and uploaded inputs.
type dcnBench struct {
	g                           backend.DCNv3Geom
	value, offset, mask, dOut   *Buffer
	valueLen, offsetLen, npoint int
}

// newDCNBench builds a 3x3/s1/p1 problem at (n, h, w) with c = groups*d
// channels: values and dOut ~ N(0,1), offsets ~ N(0, offStd) and masks
// softmaxed over each group's points, as InternImage feeds them.
func newDCNBench(dt backend.DType, n, h, w, groups, d int, offStd float64) *dcnBench {
	g := backend.DCNv3Geom{N: n, H: h, W: w, OH: h, OW: w, G: groups, D: d,
		KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1, OffsetScale: 1}
	r := rand.New(rand.NewPCG(uint64(h*w), uint64(groups)))
	randn := func(k int, s float64) []float64 {
		v := make([]float64, k)
		for i := range v {
			v[i] = r.NormFloat64() * s
		}
		return v
	}
	npix, P := n*h*w, g.P()
	mask := randn(npix*groups*P, 1)
	for q := 0; q < len(mask); q += P {
		var sum float64
		for k := q; k < q+P; k++ {
			mask[k] = math.Exp(mask[k])
			sum += mask[k]
		}
		for k := q; k < q+P; k++ {
			mask[k] /= sum
		}
	}
	up := func(v []float64) *Buffer {
		b := NewBuffer(dt, len(v))
		for i, x := range v {
			if dt == backend.Float32 {
				b.F32[i] = float32(x)
			} else {
				b.F64[i] = x
			}
		}
		return b
	}
	return &dcnBench{g: g,
		value: up(randn(npix*groups*d, 1)), offset: up(randn(npix*groups*P*2, offStd)),
		mask: up(mask), dOut: up(randn(npix*groups*d, 1)),
		valueLen: npix * groups * d, offsetLen: npix * groups * P * 2, npoint: npix * groups * P}
}

// dcnBenchShapes are InternImage-S's first and third levels at a 288x384
// input, batch 1.
var dcnBenchShapes = []struct{ c, groups, h, w int }{{80, 5, 72, 96}, {320, 20, 18, 24}}

// BenchmarkDCNv3Forward reports GFLOP/s (8 flops per point and channel: four
// corner products and their sums) and GB/s over the minimal traffic (value,
// offset, mask read once, out written once).
func BenchmarkDCNv3Forward(b *testing.B) {
	for _, s := range dcnBenchShapes {
		b.Run(fmt.Sprintf("C%d_G%d_%dx%d", s.c, s.groups, s.h, s.w), func(b *testing.B) {
			p := newDCNBench(backend.Float32, 1, s.h, s.w, s.groups, s.c/s.groups, 1)
			out := NewBuffer(backend.Float32, p.valueLen)
			cpu := New()
			b.ResetTimer()
			for b.Loop() {
				cpu.DCNv3(out, p.value, p.offset, p.mask, p.g)
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			flops := 8 * float64(p.npoint*p.g.D)
			bytes := 4 * float64(2*p.valueLen+p.offsetLen+p.npoint)
			b.ReportMetric(flops/sec/1e9, "GFLOP/s")
			b.ReportMetric(bytes/sec/1e9, "GB/s")
		})
	}
}

// BenchmarkDCNv3Backward times the backward with all three gradients.
func BenchmarkDCNv3Backward(b *testing.B) {
	for _, s := range dcnBenchShapes {
		b.Run(fmt.Sprintf("C%d_G%d_%dx%d", s.c, s.groups, s.h, s.w), func(b *testing.B) {
			p := newDCNBench(backend.Float32, 1, s.h, s.w, s.groups, s.c/s.groups, 1)
			dv := NewBuffer(backend.Float32, p.valueLen)
			do := NewBuffer(backend.Float32, p.offsetLen)
			dm := NewBuffer(backend.Float32, p.npoint)
			cpu := New()
			b.ResetTimer()
			for b.Loop() {
				cpu.DCNv3Backward(dv, do, dm, p.dOut, p.value, p.offset, p.mask, p.g)
			}
		})
	}
}

// BenchmarkPSFConv convolves a (4, 3, 288, 384) batch with 31x31 kernels.
func BenchmarkPSFConv(b *testing.B) {
	g := backend.PSFGeom{N: 4, C: 3, H: 288, W: 384, KH: 31, KW: 31}
	x := NewBuffer(backend.Float32, g.N*g.C*g.H*g.W)
	y := NewBuffer(backend.Float32, len(x.F32))
	psf := NewBuffer(backend.Float32, g.N*g.KH*g.KW)
	for i := range x.F32 {
		x.F32[i] = float32(i%17) / 17
	}
	for i := range psf.F32 {
		psf.F32[i] = 1 / float32(g.KH*g.KW)
	}
	cpu := New()
	for b.Loop() {
		cpu.PSFConv(y, x, psf, g)
	}
	flops := 2 * float64(len(x.F32)*g.KH*g.KW)
	b.ReportMetric(flops/(b.Elapsed().Seconds()/float64(b.N))/1e9, "GFLOP/s")
}

// TestDCNv3BackwardDeterministic checks that the chunked dValue scatter,
// with offsets wild enough that chunks share many input rows, gives
// bit-identical results on repeated runs and agrees with the one-goroutine
// result.
func TestDCNv3BackwardDeterministic(t *testing.T) {
	run := func(procs int, dt backend.DType) [3][]float64 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		p := newDCNBench(dt, 2, 40, 9, 3, 5, 1.5)
		dv := NewBuffer(dt, p.valueLen)
		do := NewBuffer(dt, p.offsetLen)
		dm := NewBuffer(dt, p.npoint)
		New().DCNv3Backward(dv, do, dm, p.dOut, p.value, p.offset, p.mask, p.g)
		var res [3][]float64
		for k, b := range []*Buffer{dv, do, dm} {
			res[k] = make([]float64, b.Len())
			for i := range res[k] {
				if dt == backend.Float32 {
					res[k][i] = float64(b.F32[i])
				} else {
					res[k][i] = b.F64[i]
				}
			}
		}
		return res
	}
	// The inputs must make chunks share some rows and keep others exclusive.
	p := newDCNBench(backend.Float64, 2, 40, 9, 3, 5, 1.5)
	npix := p.g.N * p.g.OH * p.g.OW
	sv := newDCNShared(&p.g, p.offset.F64, 7, func(c int) (int, int) { return c * npix / 7, (c + 1) * npix / 7 })
	require.Contains(t, sv.shared, true)
	require.Contains(t, sv.shared, false)
	for _, dt := range []backend.DType{backend.Float32, backend.Float64} {
		a, b := run(7, dt), run(7, dt)
		require.Equal(t, a, b, "%v: two runs with GOMAXPROCS=7 differ", dt)
	}
	one, many := run(1, backend.Float64), run(7, backend.Float64)
	for k := range one {
		var worst float64
		for i := range one[k] {
			worst = max(worst, math.Abs(one[k][i]-many[k][i]))
		}
		require.LessOrEqual(t, worst, 1e-12, "gradient %d: GOMAXPROCS=1 vs 7", k)
	}
}
