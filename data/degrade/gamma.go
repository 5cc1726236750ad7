package degrade

import "math"

// powTabBits sets the size of the tables behind pow01: 2^13 intervals keep
// its relative error below 1e-8, under a tenth of float32's resolution.
const powTabBits = 13

var log2Tab, exp2Tab = powTables()

// powTables returns log2(1 + i/N) and 2^(i/N) for i = 0..N.
func powTables() (lg, ex []float64) {
	n := 1 << powTabBits
	lg, ex = make([]float64, n+1), make([]float64, n+1)
	for i := range n + 1 {
		t := float64(i) / float64(n)
		lg[i] = math.Log2(1 + t)
		ex[i] = math.Exp2(t)
	}
	return lg, ex
}

// pow01 returns x^e for x in [0, 1] and e > 0 (0 at or below 0 and for
// NaN, 1 at or above 1), about ten times faster than math.Pow:
// 2^(e*log2 x), with log2 of the mantissa and 2^ of the fraction
// interpolated linearly in tables. Its relative error stays below 1e-8
// (TestPow01); results below 2^-1022 flush to 0.
func pow01(x, e float64) float64 {
	if !(x > 0) {
		return 0
	}
	if x >= 1 {
		return 1
	}
	const (
		n        = 1 << powTabBits
		fracBits = 52 - powTabBits
	)
	b := math.Float64bits(x)
	exp := int(b>>52) - 1023 // x = (1 + mant/2^52) * 2^exp
	if exp < -1022 {
		return 0 // subnormal input
	}
	mant := b & (1<<52 - 1)
	i := int(mant >> fracBits)
	f := float64(mant&(1<<fracBits-1)) / (1 << fracBits)
	lg := float64(exp) + log2Tab[i] + f*(log2Tab[i+1]-log2Tab[i])
	y := e * lg
	fl := math.Floor(y)
	if fl < -1022 {
		return 0
	}
	g := (y - fl) * n
	j := min(int(g), n-1) // y - fl may round up to 1
	v := exp2Tab[j] + (g-float64(j))*(exp2Tab[j+1]-exp2Tab[j])
	return v * math.Float64frombits(uint64(int64(fl)+1023)<<52)
}
