package synth

// rng is a small splitmix64 generator: the scene of (seed, index) depends only
// on this sequence, never on math/rand, so it is stable across Go releases.
type rng struct{ s uint64 }

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// newRNG seeds a generator from the dataset seed, the image index and the
// variant, so that every (seed, index, like) triple has its own stream.
func newRNG(seed uint64, index int, like string) *rng {
	h := mix64(seed ^ 0x5851f42d4c957f2d)
	h = mix64(h ^ uint64(index)*0xd1b54a32d192ed03)
	for _, c := range []byte(like) {
		h = mix64(h ^ uint64(c))
	}
	return &rng{s: h}
}

func (r *rng) u64() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// float returns a uniform value in [0, 1).
func (r *rng) float() float64 { return float64(r.u64()>>11) / (1 << 53) }

// uniform returns a uniform value in [a, b).
func (r *rng) uniform(a, b float64) float64 { return a + (b-a)*r.float() }

// intn returns a value in [0, n).
func (r *rng) intn(n int) int { return int(r.u64() % uint64(n)) }

// between returns an integer in [a, b], inclusive.
func (r *rng) between(a, b int) int { return a + r.intn(b-a+1) }

func (r *rng) chance(p float64) bool { return r.float() < p }

// sign returns -1 or +1.
func (r *rng) sign() float64 {
	if r.u64()&1 == 0 {
		return -1
	}
	return 1
}

// weighted returns index i with probability w[i] / sum(w).
func (r *rng) weighted(w []float64) int {
	s := 0.0
	for _, v := range w {
		s += v
	}
	x := r.float() * s
	for i, v := range w {
		if x < v {
			return i
		}
		x -= v
	}
	return len(w) - 1
}
