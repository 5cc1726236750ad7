package backendtest

// CentralDiff returns the central finite differences
// (f(x + h e_i) - f(x - h e_i)) / 2h of f at x for each index i of idx, in
// order, or for every index of x when idx is nil. f reads x, which is
// perturbed in place and restored exactly.
func CentralDiff(f func() float64, x []float64, idx []int, h float64) []float64 {
	if idx == nil {
		idx = make([]int, len(x))
		for i := range idx {
			idx[i] = i
		}
	}
	out := make([]float64, len(idx))
	for k, i := range idx {
		old := x[i]
		x[i] = old + h
		fp := f()
		x[i] = old - h
		fm := f()
		x[i] = old
		out[k] = (fp - fm) / (2 * h)
	}
	return out
}
