package synth

// Palettes in sRGB; materials jitter them and convert to linear.
var (
	palWood    = [][3]float64{{0.55, 0.36, 0.20}, {0.70, 0.52, 0.32}, {0.36, 0.23, 0.13}, {0.80, 0.66, 0.45}, {0.45, 0.30, 0.22}, {0.62, 0.45, 0.30}}
	palNeutral = [][3]float64{{0.88, 0.87, 0.84}, {0.75, 0.75, 0.74}, {0.25, 0.25, 0.27}, {0.12, 0.12, 0.13}, {0.60, 0.62, 0.65}, {0.82, 0.78, 0.70}}
	palFabric  = [][3]float64{{0.25, 0.30, 0.45}, {0.55, 0.20, 0.18}, {0.42, 0.42, 0.40}, {0.72, 0.66, 0.55}, {0.22, 0.36, 0.26}, {0.50, 0.40, 0.55}, {0.80, 0.55, 0.30}, {0.15, 0.15, 0.18}, {0.85, 0.85, 0.82}}
	palPaint   = [][3]float64{{0.86, 0.84, 0.79}, {0.82, 0.76, 0.64}, {0.74, 0.75, 0.77}, {0.70, 0.78, 0.85}, {0.74, 0.80, 0.70}, {0.90, 0.82, 0.62}, {0.80, 0.68, 0.62}, {0.62, 0.52, 0.46}, {0.93, 0.92, 0.90}}
	palCeiling = [][3]float64{{0.92, 0.92, 0.90}, {0.88, 0.86, 0.82}, {0.80, 0.80, 0.80}, {0.90, 0.88, 0.84}}
	palBright  = [][3]float64{{0.85, 0.20, 0.15}, {0.15, 0.45, 0.80}, {0.95, 0.80, 0.15}, {0.20, 0.65, 0.30}, {0.90, 0.50, 0.10}, {0.60, 0.25, 0.60}, {0.90, 0.90, 0.90}, {0.10, 0.10, 0.10}, {0.30, 0.75, 0.80}}
	palTile    = [][3]float64{{0.85, 0.84, 0.80}, {0.60, 0.58, 0.55}, {0.70, 0.62, 0.50}, {0.35, 0.35, 0.38}, {0.78, 0.72, 0.62}}
	palCarpet  = [][3]float64{{0.45, 0.40, 0.35}, {0.30, 0.32, 0.40}, {0.55, 0.30, 0.25}, {0.60, 0.60, 0.58}, {0.38, 0.42, 0.33}}
	palSkin    = [][3]float64{{0.96, 0.80, 0.69}, {0.87, 0.67, 0.52}, {0.69, 0.48, 0.34}, {0.45, 0.30, 0.20}, {0.92, 0.74, 0.60}}
	palHair    = [][3]float64{{0.10, 0.07, 0.05}, {0.30, 0.18, 0.10}, {0.65, 0.50, 0.28}, {0.55, 0.55, 0.55}, {0.45, 0.20, 0.10}}
	palGreen   = [][3]float64{{0.20, 0.45, 0.18}, {0.30, 0.55, 0.22}, {0.15, 0.35, 0.20}, {0.35, 0.50, 0.15}}
	palSky     = [][3]float64{{0.75, 0.85, 0.98}, {0.92, 0.94, 0.96}, {0.85, 0.88, 0.80}, {0.98, 0.92, 0.80}}
)

// colour picks a palette entry and jitters each channel by up to +-12%.
func colour(r *rng, pal [][3]float64) vec3 {
	c := pal[r.intn(len(pal))]
	j := func(v float64) float64 { return clamp(v*r.uniform(0.88, 1.12), 0, 1) }
	return srgb(j(c[0]), j(c[1]), j(c[2]))
}

// texture weights by kind: plain, checker, stripes, noise, wood.
type texWeights [5]float64

var (
	wWood    = texWeights{0.3, 0.04, 0.05, 0.16, 0.45}
	wFabric  = texWeights{0.5, 0.08, 0.14, 0.25, 0.03}
	wNeutral = texWeights{0.6, 0.05, 0.07, 0.2, 0.08}
	wBright  = texWeights{0.45, 0.17, 0.2, 0.14, 0.04}
)

// randMat draws a material of one of the five general textures; the second
// colour is a shade of the first or another palette entry.
func randMat(r *rng, pal [][3]float64, w texWeights) material {
	kinds := []texKind{texPlain, texChecker, texStripes, texNoise, texWood}
	m := material{kind: kinds[r.weighted(w[:])], c1: colour(r, pal), seed: uint32(r.u64())}
	if r.chance(0.5) {
		m.c2 = colour(r, pal)
	} else {
		m.c2 = m.c1.mul(r.uniform(0.45, 0.75))
	}
	m.axis = r.intn(3)
	switch m.kind {
	case texChecker:
		m.scale = r.uniform(0.04, 0.2)
	case texStripes:
		m.scale = r.uniform(0.02, 0.15)
	case texNoise:
		m.scale = r.uniform(0.03, 0.3)
		if r.chance(0.8) { // mottled shades of one colour
			m.c2 = m.c1.mul(r.uniform(0.55, 0.85))
		}
	case texWood:
		m.scale = r.uniform(0.008, 0.03)
		m.c2 = m.c1.mul(r.uniform(0.6, 0.82))
		m.off = v3(r.uniform(-0.3, 0.3), r.uniform(-0.3, 0.3), r.uniform(0, 1))
		return m
	default:
		m.scale = r.uniform(0.1, 0.5)
	}
	m.off = v3(r.uniform(0, 1), r.uniform(0, 1), r.uniform(0, 1)).mul(m.scale)
	return m
}

func wallMat(r *rng) material {
	m := randMat(r, palPaint, texWeights{0.62, 0.03, 0.15, 0.2, 0})
	if m.kind == texStripes { // wallpaper: vertical stripes along the wall
		m.axis = 0
		m.c2 = m.c1.mul(r.uniform(0.75, 0.92))
	}
	if m.kind == texNoise {
		m.c2 = m.c1.mul(r.uniform(0.8, 0.95))
		m.scale = r.uniform(0.2, 1.0)
	}
	if m.kind == texChecker {
		m.c2 = m.c1.mul(r.uniform(0.8, 0.92))
	}
	return m
}

func floorMat(r *rng) material {
	switch r.weighted([]float64{0.45, 0.3, 0.25}) {
	case 0:
		m := material{kind: texPlanks, c1: colour(r, palWood), scale: r.uniform(0.09, 0.2), axis: r.intn(2), seed: uint32(r.u64())}
		m.c2 = m.c1.mul(r.uniform(0.75, 0.95))
		return m
	case 1:
		m := material{kind: texTiles, c1: colour(r, palTile), scale: r.uniform(0.25, 0.6), seed: uint32(r.u64())}
		m.c2 = m.c1.mul(r.uniform(0.5, 0.8))
		m.off = v3(r.uniform(0, 1), r.uniform(0, 1), 0).mul(m.scale)
		return m
	}
	m := randMat(r, palCarpet, texWeights{0.3, 0.1, 0.05, 0.55, 0})
	if m.kind == texNoise {
		m.scale = r.uniform(0.02, 0.15)
		m.c2 = m.c1.mul(r.uniform(0.7, 0.9))
	}
	return m
}

func ceilingMat(r *rng) material {
	m := randMat(r, palCeiling, texWeights{0.7, 0, 0, 0.2, 0})
	m.c2 = m.c1.mul(r.uniform(0.85, 0.95))
	if r.chance(0.2) { // ceiling tiles
		m.kind, m.scale = texTiles, r.uniform(0.5, 0.65)
		m.c2 = m.c1.mul(0.7)
	}
	return m
}

func rugMat(r *rng) material {
	m := randMat(r, palFabric, texWeights{0.25, 0.2, 0.25, 0.3, 0})
	m.axis = r.intn(2)
	return m
}

func artMat(r *rng) material {
	pal := palBright
	if r.chance(0.4) {
		pal = palFabric
	}
	m := material{kind: texArt, c1: colour(r, pal), c2: colour(r, pal), c3: colour(r, palNeutral), scale: r.uniform(0.08, 0.4), seed: uint32(r.u64())}
	if r.chance(0.3) {
		m2 := randMat(r, pal, texWeights{0.1, 0.3, 0.3, 0.3, 0})
		m2.axis = r.intn(2)
		return m2
	}
	return m
}

func frameMat(r *rng, window bool) material {
	if window || r.chance(0.3) {
		return randMat(r, [][3]float64{{0.92, 0.92, 0.9}, {0.85, 0.85, 0.82}}, texWeights{1, 0, 0, 0, 0})
	}
	return randMat(r, append(palWood, [3]float64{0.1, 0.1, 0.1}, [3]float64{0.75, 0.6, 0.25}), texWeights{0.6, 0, 0, 0, 0.4})
}

func glassMat(r *rng) material {
	return material{kind: texGlass, c1: colour(r, palSky), c2: srgb(0.9, 0.9, 0.88), c3: colour(r, palSky), emit: r.uniform(0.75, 1.0), seed: uint32(r.u64())}
}

func plainMat(c vec3) material { return material{kind: texPlain, c1: c, scale: 0.3} }
