package cpu

import "allnet/engine/backend"

// RandUniform fills dst with backend.Uniform(seed, offset+i).
func (*CPU) RandUniform(dst backend.Buffer, seed, offset uint64) {
	randFill(dst, func(i int) float64 { return backend.Uniform(seed, offset+uint64(i)) })
}

// RandNormal fills dst with backend.Normal(seed, offset+i).
func (*CPU) RandNormal(dst backend.Buffer, seed, offset uint64) {
	randFill(dst, func(i int) float64 { return backend.Normal(seed, offset+uint64(i)) })
}

func randFill(dst backend.Buffer, f func(int) float64) {
	d := buf(dst)
	parallelFor(d.Len(), elemGrain, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			setF(d, i, f(i))
		}
	})
}
