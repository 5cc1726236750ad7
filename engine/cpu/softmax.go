package cpu

import (
	"fmt"
	"math"

	"allnet/engine/backend"
)

// smBlock is the number of inner positions one work unit handles together,
// so that the walk along dim reads contiguous runs when inner > 1.
const smBlock = 64

// Softmax computes y = softmax(x) (or log-softmax) over the middle axis of
// (outer, dim, inner), subtracting each slice's maximum first and summing in
// float64. y may be x.
func (*CPU) Softmax(y, x backend.Buffer, outer, dim, inner int, log bool) {
	n := checkSoftmax("Softmax", outer, dim, inner)
	checkLen("Softmax", "y", y, n)
	checkLen("Softmax", "x", x, n)
	if isF64(x) {
		softmax(floats[float64](y), floats[float64](x), outer, dim, inner, log)
	} else {
		softmax(floats[float32](y), floats[float32](x), outer, dim, inner, log)
	}
}

// SoftmaxBackward computes dx = y*(dy - sum(dy*y)) for softmax and
// dx = dy - exp(y)*sum(dy) for log-softmax, sums along dim in float64. dx
// may be dy.
func (*CPU) SoftmaxBackward(dx, y, dy backend.Buffer, outer, dim, inner int, log bool) {
	n := checkSoftmax("SoftmaxBackward", outer, dim, inner)
	checkLen("SoftmaxBackward", "dx", dx, n)
	checkLen("SoftmaxBackward", "y", y, n)
	checkLen("SoftmaxBackward", "dy", dy, n)
	if isF64(y) {
		softmaxBackward(floats[float64](dx), floats[float64](y), floats[float64](dy), outer, dim, inner, log)
	} else {
		softmaxBackward(floats[float32](dx), floats[float32](y), floats[float32](dy), outer, dim, inner, log)
	}
}

// smExp returns e^x: math.Exp for float64 T; for float32 T a Cephes-style
// polynomial accurate to about 1 ulp of float32 (several times faster),
// giving 0 below -87 (where e^x is under float32's normal range).
func smExp[T Float](x float64) float64 {
	var z T
	if _, ok := any(z).(float32); !ok {
		return math.Exp(x)
	}
	return float64(exp32(float32(x)))
}

// exp32 is e^x in float32 precision: x = n ln2 + r with |r| <= ln2/2, a
// degree-7 polynomial for e^r, and n added to the exponent bits.
func exp32(x float32) float32 {
	switch {
	case x < -87:
		return 0 // also -Inf
	case x > 88:
		return float32(math.Exp(float64(x))) // Inf beyond 88.72
	case x != x:
		return x
	}
	const ln2Hi, ln2Lo = 0.693359375, -2.12194440e-4
	z := x * 1.44269504088896341
	if z < 0 {
		z -= 0.5
	} else {
		z += 0.5
	}
	n := float32(int32(z))
	r := x - n*ln2Hi - n*ln2Lo
	p := float32(1.9875691500e-4)
	p = p*r + 1.3981999507e-3
	p = p*r + 8.3334519073e-3
	p = p*r + 4.1665795894e-2
	p = p*r + 1.6666665459e-1
	p = p*r + 5.0000001201e-1
	y := p*r*r + r + 1
	return math.Float32frombits(math.Float32bits(y) + uint32(int32(n))<<23)
}

func checkSoftmax(op string, outer, dim, inner int) int {
	if outer < 0 || dim < 0 || inner < 0 {
		panic(fmt.Sprintf("cpu: %s: bad shape (outer %d, dim %d, inner %d)", op, outer, dim, inner))
	}
	return outer * dim * inner
}

// smUnits splits (outer, inner) into work units of up to smBlock inner
// positions and calls fn for each unit's slice offset and width, from
// parallel goroutines with per-goroutine scratch of smBlock float64s.
func smUnits(outer, dim, inner int, fn func(base, w int, s []float64)) {
	nb := (inner + smBlock - 1) / smBlock
	cost := max(1, dim*min(inner, smBlock))
	parallelFor(outer*nb, max(1, 16384/cost), func(lo, hi int) {
		s := make([]float64, 2*smBlock)
		for u := lo; u < hi; u++ {
			o, blk := u/nb, u%nb
			n0 := blk * smBlock
			fn(o*dim*inner+n0, min(smBlock, inner-n0), s)
		}
	})
}

func softmax[T Float](y, x []T, outer, dim, inner int, log bool) {
	smUnits(outer, dim, inner, func(base, w int, scratch []float64) {
		m, s := scratch[:w], scratch[smBlock:smBlock+w]
		for t := range m {
			m[t] = math.Inf(-1)
			s[t] = 0
		}
		for d := 0; d < dim; d++ {
			for t, v := range x[base+d*inner : base+d*inner+w] {
				if float64(v) > m[t] {
					m[t] = float64(v)
				}
			}
		}
		for d := 0; d < dim; d++ {
			off := base + d*inner
			yr := y[off : off+w]
			for t, v := range x[off : off+w] {
				e := smExp[T](float64(v) - m[t])
				s[t] += e
				if !log {
					yr[t] = T(e)
				}
			}
		}
		if log {
			for t := range s {
				s[t] = m[t] + math.Log(s[t])
			}
			for d := 0; d < dim; d++ {
				off := base + d*inner
				yr := y[off : off+w]
				for t, v := range x[off : off+w] {
					yr[t] = T(float64(v) - s[t])
				}
			}
			return
		}
		for t := range s {
			s[t] = 1 / s[t]
		}
		for d := 0; d < dim; d++ {
			yr := y[base+d*inner : base+d*inner+w]
			for t, v := range yr {
				yr[t] = T(float64(v) * s[t])
			}
		}
	})
}

func softmaxBackward[T Float](dx, y, dy []T, outer, dim, inner int, log bool) {
	smUnits(outer, dim, inner, func(base, w int, scratch []float64) {
		s := scratch[:w]
		clear(s)
		for d := 0; d < dim; d++ {
			off := base + d*inner
			yr := y[off : off+w]
			for t, g := range dy[off : off+w] {
				if log {
					s[t] += float64(g)
				} else {
					s[t] += float64(g) * float64(yr[t])
				}
			}
		}
		for d := 0; d < dim; d++ {
			off := base + d*inner
			yr, gr, dr := y[off:off+w], dy[off:off+w], dx[off:off+w]
			for t, g := range gr {
				if log {
					dr[t] = T(float64(g) - smExp[T](float64(yr[t]))*s[t])
				} else {
					dr[t] = T(float64(yr[t]) * (float64(g) - s[t]))
				}
			}
		}
	})
}
