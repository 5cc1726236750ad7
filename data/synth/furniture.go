package synth

import "math"

// Builders of the floor-standing objects. Each samples its dimensions and
// finishes when called and returns a spec whose build adds the primitives.

func tableSpec(r *rng) spec {
	h, th := r.uniform(0.68, 0.78), r.uniform(0.025, 0.05)
	m := furnitureMat(r)
	if r.chance(0.25) { // round pedestal table
		rad := r.uniform(0.4, 0.65)
		pr, br := r.uniform(0.04, 0.08), r.uniform(0.22, 0.34)
		return spec{kind: "table", hx: rad, hy: rad, h: h, build: func(o *obj, l *layout) {
			o.setup("table", m)
			o.cyl(0, 0, h-th, h, rad)
			o.cyl(0, 0, 0.03, h-th, pr)
			o.cyl(0, 0, 0, 0.03, br)
			l.addSupport(o, 0, 0, h, rad*0.68, rad*0.68)
		}}
	}
	hx, hy := r.uniform(0.4, 0.9), r.uniform(0.3, 0.5)
	leg, inset := r.uniform(0.018, 0.035), r.uniform(0.03, 0.08)
	round := r.chance(0.4)
	apron := r.chance(0.5)
	return spec{kind: "table", hx: hx, hy: hy, h: h, wall: 0.2, facing: true, build: func(o *obj, l *layout) {
		o.setup("table", m)
		o.boxOn(0, 0, h-th, hx, hy, th)
		lx, ly := hx-inset-leg, hy-inset-leg
		for _, p := range [][2]float64{{-lx, -ly}, {lx, -ly}, {-lx, ly}, {lx, ly}} {
			if round {
				o.cyl(p[0], p[1], 0, h-th, leg)
			} else {
				o.boxOn(p[0], p[1], 0, leg, leg, h-th)
			}
		}
		if apron {
			o.boxOn(0, -ly, h-th-0.08, lx, 0.01, 0.08)
			o.boxOn(0, ly, h-th-0.08, lx, 0.01, 0.08)
		}
		l.addSupport(o, 0, 0, h, hx-0.05, hy-0.05)
	}}
}

func chairSpec(r *rng) spec {
	hs := r.uniform(0.2, 0.25)
	sh, th := r.uniform(0.42, 0.48), r.uniform(0.03, 0.07)
	bh := r.uniform(0.35, 0.5)
	leg := r.uniform(0.012, 0.022)
	m := furnitureMat(r)
	seat := m
	if r.chance(0.4) {
		seat = randMat(r, palFabric, wFabric)
	}
	office := r.chance(0.3)
	return spec{kind: "chair", hx: hs + 0.02, hy: hs + 0.02, h: sh + bh, facing: true, build: func(o *obj, _ *layout) {
		o.setup("chair", m)
		if office {
			o.cyl(0, 0, 0.05, sh-th, 0.025)
			o.cyl(0, 0, 0, 0.05, hs)
		} else {
			for _, p := range [][2]float64{{-1, -1}, {1, -1}, {-1, 1}, {1, 1}} {
				o.boxOn(p[0]*(hs-leg), p[1]*(hs-leg), 0, leg, leg, sh-th)
			}
		}
		o.boxOn(0, hs-0.02, sh, hs, 0.02, bh) // back rest
		o.mat = o.s.addMat(seat)
		o.boxOn(0, 0, sh-th, hs, hs, th)
	}}
}

func sofaSpec(r *rng) spec {
	hx, hy := r.uniform(0.75, 1.2), r.uniform(0.4, 0.5)
	bh, back := r.uniform(0.36, 0.44), r.uniform(0.75, 0.92)
	bt, aw, ah := r.uniform(0.16, 0.25), r.uniform(0.1, 0.2), r.uniform(0.55, 0.66)
	m := randMat(r, palFabric, wFabric)
	cush := m
	if r.chance(0.3) {
		cush = randMat(r, palFabric, wFabric)
	}
	nc := r.between(2, 3)
	return spec{kind: "sofa", hx: hx, hy: hy, h: back, wall: 0.6, facing: true, build: func(o *obj, _ *layout) {
		o.setup("sofa", m)
		o.boxOn(0, 0, 0.06, hx, hy, bh-0.06)           // base
		o.boxOn(0, hy-bt/2, 0.06, hx, bt/2, back-0.06) // back
		o.boxOn(-hx+aw/2, 0, 0.06, aw/2, hy, ah-0.06)
		o.boxOn(hx-aw/2, 0, 0.06, aw/2, hy, ah-0.06)
		for _, p := range [][2]float64{{-1, -1}, {1, -1}, {-1, 1}, {1, 1}} {
			o.boxOn(p[0]*(hx-0.05), p[1]*(hy-0.05), 0, 0.025, 0.025, 0.06)
		}
		o.mat = o.s.addMat(cush)
		inner := hx - aw
		cw := 2 * inner / float64(nc)
		for i := 0; i < nc; i++ {
			cx := -inner + cw*(float64(i)+0.5)
			o.boxOn(cx, -bt/2, bh, cw/2-0.01, hy-bt/2-0.01, 0.1)
		}
	}}
}

func bedSpec(r *rng) spec {
	hx, hy := r.uniform(0.5, 0.9), r.uniform(0.95, 1.05)
	fh, mh := r.uniform(0.22, 0.35), r.uniform(0.16, 0.25)
	hb := r.uniform(0.85, 1.2)
	frameM := furnitureMat(r)
	sheet := randMat(r, append(palFabric, palNeutral[0], palNeutral[5]), wFabric)
	duvet := randMat(r, palFabric, wFabric)
	pillow := randMat(r, append(palNeutral[:2:2], palFabric...), wFabric)
	np := 1
	if hx > 0.65 {
		np = 2
	}
	return spec{kind: "bed", hx: hx, hy: hy, h: hb, wall: 0.9, build: func(o *obj, _ *layout) {
		o.setup("bed", frameM)
		o.boxOn(0, 0, 0, hx, hy, fh)
		o.boxOn(0, hy-0.03, 0, hx, 0.03, hb) // headboard at the back (the wall)
		o.mat = o.s.addMat(sheet)
		o.boxOn(0, -0.03, fh, hx-0.03, hy-0.06, mh)
		o.mat = o.s.addMat(duvet)
		o.boxOn(0, -0.35, fh, hx-0.01, hy-0.35, mh+0.04)
		o.inst = o.s.addInstance("pillow", true)
		o.mat = o.s.addMat(pillow)
		pw := (2*hx - 0.1) / float64(np)
		for i := 0; i < np; i++ {
			cx := -hx + 0.05 + pw*(float64(i)+0.5)
			o.boxOn(cx, hy-0.28, fh+mh, pw/2-0.04, 0.17, 0.12)
		}
	}}
}

func cabinetSpec(r *rng) spec {
	hx, hy, h := r.uniform(0.2, 0.8), r.uniform(0.18, 0.3), r.uniform(0.45, 2.0)
	m := furnitureMat(r)
	handle := plainMat(colour(r, [][3]float64{{0.7, 0.7, 0.72}, {0.15, 0.15, 0.15}, {0.75, 0.6, 0.3}}))
	drawers := r.chance(0.5)
	return spec{kind: "cabinet", hx: hx, hy: hy, h: h, wall: 0.85, facing: true, build: func(o *obj, l *layout) {
		o.setup("cabinet", m)
		o.boxOn(0, 0, 0.05, hx, hy, h-0.05)
		o.boxOn(0, 0.02, 0, hx-0.03, hy-0.03, 0.05) // plinth
		front := -hy - 0.008
		hm := o.s.addMat(handle)
		if drawers {
			n := int(math.Max(2, math.Round((h-0.05)/0.25)))
			dh := (h - 0.05) / float64(n)
			for i := 0; i < n; i++ {
				z := 0.05 + dh*float64(i)
				o.boxOn(0, front, z+0.01, hx-0.02, 0.008, dh-0.02)
				o.mat, hm = hm, o.mat
				o.boxOn(0, front-0.02, z+dh/2-0.01, 0.06, 0.012, 0.02)
				o.mat, hm = hm, o.mat
			}
		} else {
			dw := hx
			for i := -1; i <= 1; i += 2 {
				cx := float64(i) * dw / 2
				o.boxOn(cx, front, 0.06, dw/2-0.01, 0.008, h-0.07)
				o.mat, hm = hm, o.mat
				o.boxOn(float64(i)*0.05, front-0.02, h*0.55, 0.012, 0.012, 0.12)
				o.mat, hm = hm, o.mat
			}
		}
		if h < 1.25 {
			l.addSupport(o, 0, 0, h, hx-0.04, hy-0.04)
		}
	}}
}

func shelfSpec(r *rng) spec {
	hx, hy, h := r.uniform(0.3, 0.6), r.uniform(0.14, 0.2), r.uniform(1.0, 2.0)
	m := furnitureMat(r)
	n := int(math.Max(2, math.Round(h/r.uniform(0.3, 0.42))))
	return spec{kind: "bookshelf", hx: hx, hy: hy, h: h, wall: 0.95, facing: true, build: func(o *obj, _ *layout) {
		o.setup("bookshelf", m)
		const t = 0.018
		o.boxOn(-hx+t, 0, 0, t, hy, h)
		o.boxOn(hx-t, 0, 0, t, hy, h)
		o.boxOn(0, hy-t/2, 0, hx-2*t, t/2, h)
		sp := (h - t) / float64(n)
		for i := 0; i <= n; i++ {
			o.boxOn(0, 0, sp*float64(i), hx-2*t, hy-t, t)
		}
		for i := 0; i < n; i++ {
			if r.chance(0.2) {
				continue
			}
			z := sp*float64(i) + t
			maxH := math.Min(0.3, sp-t-0.02)
			o.books(r, -hx+2*t+0.01, hx-2*t-0.01, -0.01, z, maxH, hy-t)
		}
	}}
}

// books adds a row of books standing on height z between local x0 and x1,
// centred at depth y, as one "books" instance.
func (o *obj) books(r *rng, x0, x1, y, z, maxH, maxD float64) {
	if maxH < 0.1 {
		return
	}
	saved := *o
	o.inst = o.s.addInstance("books", true)
	x := x0 + r.uniform(0, 0.1)*(x1-x0)
	end := x1 - r.uniform(0, 0.4)*(x1-x0)
	for x < end {
		t := r.uniform(0.018, 0.05)
		if x+t > end {
			break
		}
		bh := r.uniform(0.6, 1.0) * maxH
		bd := math.Min(maxD, r.uniform(0.14, 0.24)) / 2
		m := randMat(r, append(palBright, palFabric...), texWeights{0.8, 0, 0.15, 0.05, 0})
		if m.kind == texStripes {
			m.axis = 2
		}
		o.mat = o.s.addMat(m)
		o.boxOn(x+t/2, y, z, t/2-0.001, bd, bh)
		x += t
	}
	o.inst, o.mat = saved.inst, saved.mat
}

func floorLampSpec(r *rng) spec {
	h := r.uniform(1.3, 1.75)
	m := randMat(r, palNeutral, wNeutral)
	shade := randMat(r, [][3]float64{{0.95, 0.92, 0.82}, {0.9, 0.85, 0.7}, {0.85, 0.85, 0.85}}, texWeights{0.7, 0, 0.1, 0.2, 0})
	sr, sh := r.uniform(0.15, 0.25), r.uniform(0.22, 0.35)
	ball := r.chance(0.35)
	return spec{kind: "lamp", hx: 0.2, hy: 0.2, h: h, wall: 0.4, build: func(o *obj, _ *layout) {
		o.setup("lamp", m)
		o.cyl(0, 0, 0, 0.03, 0.17)
		o.cyl(0, 0, 0.03, h-sh*0.6, 0.014)
		o.mat = o.s.addMat(shade)
		if ball {
			o.sphere(0, 0, h-sr, sr*0.8)
		} else {
			o.cyl(0, 0, h-sh, h, sr)
		}
	}}
}

func plantSpec(r *rng, small bool) spec {
	pr, ph := r.uniform(0.12, 0.2), r.uniform(0.2, 0.35)
	fr := r.uniform(0.18, 0.35)
	if small {
		pr, ph, fr = r.uniform(0.05, 0.09), r.uniform(0.08, 0.14), r.uniform(0.08, 0.15)
	}
	pot := randMat(r, [][3]float64{{0.72, 0.38, 0.22}, {0.85, 0.85, 0.82}, {0.2, 0.2, 0.22}, {0.55, 0.45, 0.35}}, wBright)
	leaves := randMat(r, palGreen, texWeights{0.15, 0, 0, 0.85, 0})
	leaves.scale = r.uniform(0.02, 0.06)
	leaves.c2 = leaves.c1.mul(0.45)
	n := r.between(2, 4)
	offs := make([][4]float64, n)
	for i := range offs {
		offs[i] = [4]float64{r.uniform(-0.35, 0.35) * fr, r.uniform(-0.35, 0.35) * fr, r.uniform(0.45, 1.2) * fr, r.uniform(0.6, 0.9) * fr}
	}
	return spec{kind: "plant", hx: math.Max(pr, 1.25*fr), hy: math.Max(pr, 1.25*fr), h: ph + 2*fr, wall: 0.4, build: func(o *obj, _ *layout) {
		o.setup("plant", pot)
		o.cyl(0, 0, 0, ph, pr)
		o.mat = o.s.addMat(leaves)
		top := 0.0
		for _, f := range offs { // foliage; the stem reaches the highest ball
			o.sphere(f[0], f[1], ph+f[2], f[3])
			top = math.Max(top, f[2])
		}
		o.cyl(0, 0, ph, ph+top, pr*0.15)
	}}
}
