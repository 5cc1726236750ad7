package synth

import "math"

// itemSpec samples a small object that stands on a support.
func itemSpec(r *rng, kind string) spec {
	switch kind {
	case "books":
		n := r.between(3, 10)
		w := float64(n) * 0.035
		maxH := r.uniform(0.16, 0.3)
		return spec{kind: "books", hx: w/2 + 0.01, hy: 0.12, h: maxH, build: func(o *obj, _ *layout) {
			o.books(r, -w/2, w/2, 0, 0, maxH, 0.22)
		}}
	case "bottle":
		rad, h := r.uniform(0.028, 0.045), r.uniform(0.15, 0.26)
		m := randMat(r, append(palGreen, palBright...), texWeights{0.8, 0, 0.15, 0.05, 0})
		return spec{kind: "bottle", hx: rad, hy: rad, h: h + 0.08, build: func(o *obj, _ *layout) {
			o.setup("bottle", m)
			o.cyl(0, 0, 0, h, rad)
			o.capsule(v3(0, 0, h), v3(0, 0, h+0.07), rad*0.38)
		}}
	case "vase":
		rad, h := r.uniform(0.05, 0.09), r.uniform(0.15, 0.35)
		m := randMat(r, append(palBright, palNeutral...), wBright)
		round := r.chance(0.4)
		return spec{kind: "vase", hx: rad * 1.3, hy: rad * 1.3, h: h, build: func(o *obj, _ *layout) {
			o.setup("vase", m)
			if round {
				o.sphere(0, 0, rad*1.25, rad*1.25)
				o.cyl(0, 0, rad*2, rad*2+h*0.4, rad*0.5)
			} else {
				o.cyl(0, 0, 0, h, rad)
			}
		}}
	case "lamp":
		h, sr := r.uniform(0.3, 0.5), r.uniform(0.09, 0.16)
		m := randMat(r, palNeutral, wNeutral)
		shade := randMat(r, [][3]float64{{0.95, 0.92, 0.82}, {0.9, 0.85, 0.7}}, texWeights{0.8, 0, 0.1, 0.1, 0})
		return spec{kind: "lamp", hx: sr, hy: sr, h: h, build: func(o *obj, _ *layout) {
			o.setup("lamp", m)
			o.cyl(0, 0, 0, 0.025, 0.07)
			o.cyl(0, 0, 0.025, h-0.1, 0.01)
			o.mat = o.s.addMat(shade)
			o.cyl(0, 0, h-0.18, h, sr)
		}}
	case "tv":
		w := r.uniform(0.5, 1.1)
		hh := w * r.uniform(0.55, 0.62)
		d := r.uniform(0.03, 0.06)
		body := randMat(r, [][3]float64{{0.08, 0.08, 0.09}, {0.2, 0.2, 0.22}, {0.6, 0.6, 0.62}}, texWeights{1, 0, 0, 0, 0})
		screen := plainMat(srgb(0.05, 0.05, 0.06))
		if r.chance(0.5) { // switched on: an emissive picture
			screen = artMat(r)
			screen.emit = r.uniform(0.5, 0.9)
		}
		neck := r.uniform(0.04, 0.1)
		return spec{kind: "tv", hx: math.Max(w/2*0.5, 0.12), hy: 0.1, h: hh + neck, build: func(o *obj, _ *layout) {
			o.setup("tv", body)
			o.boxOn(0, 0, 0, math.Max(w/2*0.35, 0.1), 0.09, 0.015)
			o.boxOn(0, 0.01, 0.015, 0.03, 0.015, neck)
			o.boxOn(0, 0, neck, w/2, d/2, hh)
			o.mat = o.s.addMat(screen)
			o.boxOn(0, -d/2-0.0015, neck+0.02, w/2-0.02, 0.0015, hh-0.04)
		}}
	case "plant":
		return plantSpec(r, true)
	case "ball":
		return ballSpec(r, 0.05, 0.11)
	}
	hx, hy, h := r.uniform(0.05, 0.15), r.uniform(0.05, 0.12), r.uniform(0.04, 0.2)
	m := randMat(r, append(palBright, palWood...), wBright)
	return spec{kind: "box", hx: hx, hy: hy, h: h, build: func(o *obj, _ *layout) {
		o.setup("box", m)
		o.boxOn(0, 0, 0, hx, hy, h)
	}}
}

// placeItems puts small objects on the supports.
func (s *Scene) placeItems(r *rng, lay *layout) {
	w := itemWeightsNYU
	if s.Like == LikePASCAL {
		w = itemWeightsVOC
	}
	for si := range lay.supports {
		sup := &lay.supports[si]
		if !r.chance(0.75) {
			continue
		}
		n := r.between(1, 3)
		for i := 0; i < n; i++ {
			sp := itemSpec(r, itemKinds[r.weighted(w)])
			for try := 0; try < 10; try++ {
				if sp.hx > sup.hx || sp.hy > sup.hy {
					break
				}
				rc := rect{cx: r.uniform(-1, 1) * (sup.hx - sp.hx), cy: r.uniform(-1, 1) * (sup.hy - sp.hy), hx: sp.hx, hy: sp.hy}
				if sp.kind == "tv" {
					rc.cy = sup.hy - sp.hy
				} else {
					rc.yaw = deg(r.uniform(-20, 20))
				}
				ok := true
				for _, o := range sup.items {
					if rc.overlaps(o) {
						ok = false
						break
					}
				}
				if !ok {
					continue
				}
				sup.items = append(sup.items, rc)
				o := sup.f.o.madd(rc.cx, sup.f.ax).madd(rc.cy, sup.f.ay)
				sp.build(&obj{s: s, f: yawFrame(o, sup.yaw+rc.yaw)}, lay)
				break
			}
		}
	}
}
