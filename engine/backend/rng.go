package backend

import "math"

// The counter-based generator shared by every backend: element i of a draw
// with (seed, offset) depends only on seed and offset+i, so results are the
// same on every device, at any parallel split, and a stream can be resumed
// from its counter alone. It is two rounds of the SplitMix64 finaliser keyed by
// the seed; CUDA kernels implement the same integer arithmetic.

// Mix64 is the SplitMix64 finaliser.
func Mix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Bits returns 64 random bits for counter c of stream seed.
func Bits(seed, c uint64) uint64 {
	return Mix64(Mix64(seed) ^ c)
}

// Uniform returns the value in [0, 1) for counter c of stream seed: the top
// 24 bits of Bits scaled by 2^-24, exactly representable in float32.
func Uniform(seed, c uint64) float64 {
	return float64(Bits(seed, c)>>40) * (1.0 / (1 << 24))
}

// Normal returns a standard normal value for counter c of stream seed by the
// Box-Muller transform of two 32-bit uniforms from one Bits call.
func Normal(seed, c uint64) float64 {
	b := Bits(seed, c)
	u1 := (float64(b>>32) + 1) * (1.0 / 4294967297.0) // (0, 1]
	u2 := float64(b&0xffffffff) * (1.0 / 4294967296.0)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}
