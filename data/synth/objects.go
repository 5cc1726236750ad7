package synth

import "math"

// spec is a sampled object: its footprint, height, how often it stands
// against a wall, and a builder that adds its primitives.
type spec struct {
	kind   string
	hx, hy float64 // footprint half extents (local x, y)
	h      float64
	wall   float64 // probability of standing against a wall
	facing bool    // turn the front towards the camera when free-standing
	build  func(o *obj, l *layout)
}

var (
	floorKindsNYU   = []string{"table", "chair", "sofa", "bed", "cabinet", "bookshelf", "ball", "lamp", "bin", "box", "plant"}
	floorWeightsNYU = []float64{0.16, 0.18, 0.1, 0.06, 0.12, 0.07, 0.06, 0.06, 0.06, 0.06, 0.07}
	floorWeightsVOC = []float64{0.18, 0.25, 0.14, 0, 0.08, 0.04, 0.04, 0.05, 0.04, 0.04, 0.14}
	itemKinds       = []string{"books", "bottle", "vase", "lamp", "tv", "plant", "ball", "box"}
	itemWeightsNYU  = []float64{0.25, 0.12, 0.12, 0.1, 0.18, 0.1, 0.05, 0.08}
	itemWeightsVOC  = []float64{0.08, 0.3, 0.05, 0.05, 0.25, 0.2, 0.02, 0.05}
)

// furnitureMat draws a wood or painted finish.
func furnitureMat(r *rng) material {
	if r.chance(0.65) {
		return randMat(r, palWood, wWood)
	}
	return randMat(r, palNeutral, wNeutral)
}

func (s *Scene) placeObjects(r *rng, lay *layout) {
	lay.cameraKeepOut()
	w := floorWeightsNYU
	if s.Like == LikePASCAL {
		w = floorWeightsVOC
	}
	n := r.between(s.cfg.MinObjects, s.cfg.MaxObjects)
	for i := 0; i < n; i++ {
		sp := floorSpec(r, floorKindsNYU[r.weighted(w)])
		for try := 0; try < 40; try++ {
			if f, ok := lay.tryPlace(r, sp); ok {
				o := &obj{s: s, f: f}
				sp.build(o, lay)
				break
			}
		}
	}
}

// tryPlace draws a floor position for sp and returns its frame when the
// spot is free and the object's middle is in view.
func (l *layout) tryPlace(r *rng, sp spec) (frame, bool) {
	s := l.s
	var rc rect
	if r.chance(sp.wall) {
		lens := []float64{s.room.y, s.room.y, s.room.x}
		face := r.weighted(lens)
		if lens[face] < 2*sp.hx+0.1 {
			return frame{}, false
		}
		u := r.uniform(sp.hx+0.05, lens[face]-sp.hx-0.05)
		const gap = 0.02
		switch face {
		case 0: // left wall, x = 0
			rc = rect{cx: sp.hy + gap, cy: u, yaw: math.Pi / 2}
		case 1:
			rc = rect{cx: s.room.x - sp.hy - gap, cy: u, yaw: -math.Pi / 2}
		default:
			rc = rect{cx: u, cy: s.room.y - sp.hy - gap}
		}
	} else {
		m := math.Max(sp.hx, sp.hy) + 0.05
		if 2*m >= s.room.x || 2*m >= s.room.y {
			return frame{}, false
		}
		rc = rect{cx: r.uniform(m, s.room.x-m), cy: r.uniform(m, s.room.y-m)}
		if sp.facing && r.chance(0.7) {
			rc.yaw = l.facing(rc.cx, rc.cy) + deg(r.uniform(-50, 50))
		} else {
			rc.yaw = r.uniform(-math.Pi, math.Pi)
		}
	}
	rc.hx, rc.hy = sp.hx, sp.hy
	if !l.free(rc) {
		return frame{}, false
	}
	u, v, ok := s.Camera.project(v3(rc.cx, rc.cy, sp.h/2))
	if !ok || u < 0.03 || u > 0.97 || v < 0.03 || v > 1.05 {
		return frame{}, false
	}
	l.rects = append(l.rects, rc)
	return yawFrame(v3(rc.cx, rc.cy, 0), rc.yaw), true
}

// addSupport registers a top at height z, centred at local (x, y).
func (l *layout) addSupport(o *obj, x, y, z, hx, hy float64) {
	if hx < 0.08 || hy < 0.08 {
		return
	}
	f := o.f
	f.o = o.w(x, y, z)
	yaw := math.Atan2(o.f.ax.y, o.f.ax.x)
	l.supports = append(l.supports, support{f: f, yaw: yaw, hx: hx, hy: hy})
}

// ballSpec samples a ball of radius U(lo, hi) in a bright material.
func ballSpec(r *rng, lo, hi float64) spec {
	rad := r.uniform(lo, hi)
	m := randMat(r, palBright, wBright)
	return spec{kind: "ball", hx: rad, hy: rad, h: 2 * rad, build: func(o *obj, _ *layout) {
		o.setup("ball", m)
		o.sphere(0, 0, rad, rad)
	}}
}

// floorSpec samples the dimensions of a floor-standing object.
func floorSpec(r *rng, kind string) spec {
	switch kind {
	case "table":
		return tableSpec(r)
	case "chair":
		return chairSpec(r)
	case "sofa":
		return sofaSpec(r)
	case "bed":
		return bedSpec(r)
	case "cabinet":
		return cabinetSpec(r)
	case "bookshelf":
		return shelfSpec(r)
	case "ball":
		return ballSpec(r, 0.1, 0.3)
	case "lamp":
		return floorLampSpec(r)
	case "bin":
		rad, h := r.uniform(0.12, 0.2), r.uniform(0.3, 0.55)
		m := randMat(r, append(palBright, palNeutral...), wBright)
		return spec{kind: "bin", hx: rad, hy: rad, h: h, wall: 0.3, build: func(o *obj, _ *layout) {
			o.setup("bin", m)
			o.cyl(0, 0, 0, h, rad)
		}}
	case "box":
		hx, hy, h := r.uniform(0.15, 0.32), r.uniform(0.15, 0.25), r.uniform(0.25, 0.5)
		m := randMat(r, [][3]float64{{0.65, 0.5, 0.32}, {0.55, 0.42, 0.28}}, texWeights{0.5, 0, 0.1, 0.4, 0})
		if r.chance(0.4) {
			m = randMat(r, palBright, wBright)
		}
		return spec{kind: "box", hx: hx, hy: hy, h: h, wall: 0.3, build: func(o *obj, _ *layout) {
			o.setup("box", m)
			o.boxOn(0, 0, 0, hx, hy, h)
		}}
	}
	return plantSpec(r, false)
}

// setup makes o a new instance of kind with material m.
func (o *obj) setup(kind string, m material) {
	o.inst = o.s.addInstance(kind, true)
	o.mat = o.s.addMat(m)
}
