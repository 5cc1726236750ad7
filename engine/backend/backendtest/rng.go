package backendtest

import (
	"fmt"
	"math"
	"testing"

	"allnet/engine/backend"
)

func init() { register("Rand", checkRand) }

// rngStats returns the mean and the (biased) variance of v.
func rngStats(v []float64) (mean, variance float64) {
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	for _, x := range v {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(v))
}

// checkRand checks that RandUniform and RandNormal reproduce backend.Uniform
// and backend.Normal element by element at an offset (uniform values are
// exact in float32, so they must match bit for bit), and that 1e5 draws
// have the right moments to within five standard errors.
func checkRand(t *testing.T, b backend.Backend, dt backend.DType) {
	const n = 100003
	for _, tc := range []struct{ seed, offset uint64 }{{7, 0}, {7, 12345}, {0xdeadbeefcafe, 1 << 40}} {
		buf := b.Alloc(dt, n)
		b.RandUniform(buf, tc.seed, tc.offset)
		u := Download(b, buf)
		want := make([]float64, n)
		for i := range want {
			want[i] = backend.Uniform(tc.seed, tc.offset+uint64(i))
		}
		memExact(t, fmt.Sprintf("RandUniform seed %d offset %d", tc.seed, tc.offset), u, want)
		for i, v := range u {
			if !(v >= 0 && v < 1) {
				t.Fatalf("RandUniform: element %d is %g, outside [0, 1)", i, v)
			}
		}
		m, v := rngStats(u)
		if se := math.Sqrt(1.0 / 12 / n); math.Abs(m-0.5) > 5*se || math.Abs(v-1.0/12) > 5*math.Sqrt(1.0/180/n) {
			t.Fatalf("RandUniform seed %d: mean %.5f variance %.5f, want 0.5 and %.5f", tc.seed, m, v, 1.0/12)
		}

		b.RandNormal(buf, tc.seed, tc.offset)
		z := Download(b, buf)
		for i := range want {
			want[i] = backend.Normal(tc.seed, tc.offset+uint64(i))
		}
		Close(t, fmt.Sprintf("RandNormal seed %d offset %d", tc.seed, tc.offset), z, Rounded(dt, want), Tol(dt))
		m, v = rngStats(z)
		if math.Abs(m) > 5/math.Sqrt(n) || math.Abs(v-1) > 5*math.Sqrt(2.0/n) {
			t.Fatalf("RandNormal seed %d: mean %.5f variance %.5f, want 0 and 1", tc.seed, m, v)
		}
		b.Free(buf)
	}
	// Different seeds give different streams.
	x, y := b.Alloc(dt, 64), b.Alloc(dt, 64)
	b.RandUniform(x, 1, 0)
	b.RandUniform(y, 2, 0)
	if RelErr(Download(b, x), Download(b, y)) < 0.1 {
		t.Fatalf("RandUniform: seeds 1 and 2 give nearly the same values")
	}
	b.Free(x)
	b.Free(y)
}
