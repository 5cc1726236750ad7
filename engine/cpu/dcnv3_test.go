package cpu

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"allnet/engine/backend"
)

// relErr is ||a-b|| / ||b|| of a float32 result against a float64 one.
func relErr(a []float32, b []float64) float64 {
	var num, den float64
	for i, v := range b {
		d := float64(a[i]) - v
		num += d * d
		den += v * v
	}
	return math.Sqrt(num / den)
}

// TestDCNv3Channels checks the float32 DCNv3 forward (the SIMD gather where
// the build has one: D = 16 and 24 use its 16- and 8-wide steps, D = 13 its
// scalar tail too) and backward against float64, with two workers so that
// the backward's shared rows are exercised.
func TestDCNv3Channels(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	for _, d := range []int{16, 24, 13} {
		name := fmt.Sprintf("D%d", d)
		p32 := newDCNBench(backend.Float32, 2, 9, 11, 3, d, 1.5)
		p64 := newDCNBench(backend.Float64, 2, 9, 11, 3, d, 1.5)
		cpu := New()
		out32, out64 := NewBuffer(backend.Float32, p32.valueLen), NewBuffer(backend.Float64, p64.valueLen)
		cpu.DCNv3(out32, p32.value, p32.offset, p32.mask, p32.g)
		cpu.DCNv3(out64, p64.value, p64.offset, p64.mask, p64.g)
		require.LessOrEqual(t, relErr(out32.F32, out64.F64), 1e-6, name+" forward")

		grads := func(dt backend.DType, p *dcnBench) (dv, do, dm *Buffer) {
			dv, do, dm = NewBuffer(dt, p.valueLen), NewBuffer(dt, p.offsetLen), NewBuffer(dt, p.npoint)
			cpu.DCNv3Backward(dv, do, dm, p.dOut, p.value, p.offset, p.mask, p.g)
			return dv, do, dm
		}
		v32, o32, m32 := grads(backend.Float32, p32)
		v64, o64, m64 := grads(backend.Float64, p64)
		require.LessOrEqual(t, relErr(v32.F32, v64.F64), 1e-6, name+" dValue")
		require.LessOrEqual(t, relErr(o32.F32, o64.F64), 1e-5, name+" dOffset")
		require.LessOrEqual(t, relErr(m32.F32, m64.F64), 1e-6, name+" dMask")
	}
}
