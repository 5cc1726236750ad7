package synth

import "math"

// texKind selects a procedural texture. Textures are solid (3-D) functions of
// the hit point in the primitive's own frame, so they move with the object;
// the room shell passes in-plane coordinates (u, v, 0).
type texKind uint8

const (
	texPlain   texKind = iota // base colour with faint value noise
	texChecker                // 3-D checkerboard
	texStripes                // hard stripes along one axis
	texNoise                  // two colours blended by fractal value noise
	texWood                   // growth rings around the z axis
	texPlanks                 // floor boards along x with seams
	texTiles                  // square tiles with grout lines
	texArt                    // abstract painting: three colours by noise
	texGlass                  // window pane: sky gradient with a cross bar
)

// material is an albedo texture (linear RGB) plus an optional emission that
// is added after exposure (windows, screens).
type material struct {
	kind       texKind
	c1, c2, c3 vec3    // linear colours
	scale      float64 // feature size in metres
	axis       int     // stripes / planks axis
	off        vec3    // pattern offset, keeps pattern edges off planes
	seed       uint32
	emit       float64 // emitted display intensity, 0 = lit surface
}

// srgb converts an sRGB colour in [0, 1] to linear.
func srgb(r, g, b float64) vec3 {
	f := func(c float64) float64 { return math.Pow(clamp(c, 0, 1), 2.2) }
	return v3(f(r), f(g), f(b))
}

func hash3(ix, iy, iz int64, seed uint32) float64 {
	h := uint32(ix)*0x8da6b343 ^ uint32(iy)*0xd8163841 ^ uint32(iz)*0xcb1ab31f ^ seed*0x165667b1
	h ^= h >> 15
	h *= 0x2c1b3c6d
	h ^= h >> 12
	h *= 0x297a2d39
	h ^= h >> 15
	return float64(h) / 4294967295.0
}

// vnoise is trilinear value noise in [0, 1].
func vnoise(p vec3, seed uint32) float64 {
	fx, fy, fz := math.Floor(p.x), math.Floor(p.y), math.Floor(p.z)
	ix, iy, iz := int64(fx), int64(fy), int64(fz)
	tx, ty, tz := p.x-fx, p.y-fy, p.z-fz
	tx, ty, tz = tx*tx*(3-2*tx), ty*ty*(3-2*ty), tz*tz*(3-2*tz)
	c := func(dx, dy, dz int64) float64 { return hash3(ix+dx, iy+dy, iz+dz, seed) }
	x00 := lerp(c(0, 0, 0), c(1, 0, 0), tx)
	x10 := lerp(c(0, 1, 0), c(1, 1, 0), tx)
	x01 := lerp(c(0, 0, 1), c(1, 0, 1), tx)
	x11 := lerp(c(0, 1, 1), c(1, 1, 1), tx)
	return lerp(lerp(x00, x10, ty), lerp(x01, x11, ty), tz)
}

// fbm sums octaves of value noise, result in [0, 1].
func fbm(p vec3, seed uint32, octaves int) float64 {
	s, a, n := 0.0, 0.5, 0.0
	for i := 0; i < octaves; i++ {
		s += a * vnoise(p, seed+uint32(i)*7919)
		n += a
		a *= 0.5
		p = p.mul(2.03)
	}
	return s / n
}

func frac(x float64) float64 { return x - math.Floor(x) }

// albedo returns the linear albedo at texture-frame point p.
func (m *material) albedo(p vec3) vec3 {
	q := p.add(m.off)
	s := m.scale
	switch m.kind {
	case texChecker:
		k := int64(math.Floor(q.x/s)) + int64(math.Floor(q.y/s)) + int64(math.Floor(q.z/s))
		if k&1 == 0 {
			return m.c1
		}
		return m.c2
	case texStripes:
		if frac(q.comp(m.axis)/s) < 0.5 {
			return m.c1
		}
		return m.c2
	case texNoise:
		return mixv(m.c1, m.c2, smoothstep(0.3, 0.7, fbm(q.mul(1/s), m.seed, 4)))
	case texWood:
		r := math.Hypot(q.x, q.y)/s + 0.8*vnoise(v3(q.x*0.7/s, q.y*0.7/s, q.z*0.08/s), m.seed)
		v := frac(r)
		ring := smoothstep(0, 0.2, v) * smoothstep(1, 0.6, v)
		grain := 0.88 + 0.24*vnoise(v3(q.x*150, q.y*150, q.z*4), m.seed+1)
		return mixv(m.c2, m.c1, ring).mul(grain)
	case texPlanks:
		a, b := q.comp(m.axis), q.comp(1-m.axis)
		plank := math.Floor(b / s)
		along := a/(6*s) + hash3(int64(plank), 0, 0, m.seed)
		seg := math.Floor(along)
		shade := 0.8 + 0.4*hash3(int64(plank), int64(seg), 1, m.seed)
		grain := 0.85 + 0.3*vnoise(v3(a*3, b*60, 0), m.seed+2)
		c := mixv(m.c1, m.c2, hash3(int64(plank), int64(seg), 2, m.seed)).mul(shade * grain)
		if fb, fa := frac(b/s), frac(along); fb < 0.03 || fb > 0.97 || fa < 0.005 {
			c = c.mul(0.45)
		}
		return c
	case texTiles:
		fx, fy := frac(q.x/s), frac(q.y/s)
		const g = 0.03
		if fx < g || fy < g {
			return m.c2
		}
		h := hash3(int64(math.Floor(q.x/s)), int64(math.Floor(q.y/s)), 0, m.seed)
		return m.c1.mul(0.92 + 0.16*h)
	case texArt:
		n := fbm(q.mul(1/s), m.seed, 3)
		switch {
		case n < 0.42:
			return m.c1
		case n < 0.58:
			return m.c2
		}
		return m.c3
	case texGlass:
		// p.x runs along the pane, p.y up it, both in [0, 1]
		if math.Abs(p.x-0.5) < 0.02 || math.Abs(p.y-0.55) < 0.025 {
			return m.c2
		}
		return mixv(m.c1, m.c3, clamp(p.y, 0, 1))
	}
	return m.c1.mul(0.93 + 0.14*vnoise(q.mul(4/s), m.seed))
}
