package synth

import "math"

// Ray directions are never normalised: a camera ray is R*(u, v, 1), so the
// ray parameter t of a hit is the camera z-depth of the hit point. Every
// intersection routine below therefore works with any non-zero direction.

type primKind uint8

const (
	primBox primKind = iota
	primSphere
	primCylinder // capped, between a and b
	primCapsule  // segment a-b swept by a sphere of radius r
)

// prim is one analytic solid.
type prim struct {
	kind primKind
	f    frame   // box: centre and axes; others: texture frame (origin a, z along a->b)
	half vec3    // box half extents along f's axes
	a, b vec3    // cylinder / capsule segment, sphere centre in a
	r    float64 // radius
	ba   vec3    // b - a
	baba float64 // |b - a|^2

	grain int8 // box: axis of the longest side, which becomes texture z

	mat  int   // index into Scene.mats
	inst int32 // index into Scene.Instances
	part int8  // human part 1..6, 0 otherwise
}

func boxPrim(f frame, half vec3) prim {
	p := prim{kind: primBox, f: f, half: half, grain: 2}
	if half.x > half.y && half.x > half.z {
		p.grain = 0
	} else if half.y > half.z {
		p.grain = 1
	}
	return p
}

// texPoint returns the texture-frame coordinates of world point q: the
// primitive's local frame, for boxes cycled so that z runs along the longest
// side (wood grain follows planks and legs).
func (p *prim) texPoint(q vec3) vec3 {
	l := p.f.local(q)
	switch p.grain {
	case 0:
		return v3(l.y, l.z, l.x)
	case 1:
		return v3(l.z, l.x, l.y)
	}
	return l
}

func spherePrim(c vec3, r float64) prim {
	return prim{kind: primSphere, a: c, r: r, f: frame{o: c, ax: v3(1, 0, 0), ay: v3(0, 1, 0), az: v3(0, 0, 1)}}
}

func segPrim(kind primKind, a, b vec3, r float64) prim {
	ba := b.sub(a)
	return prim{kind: kind, a: a, b: b, r: r, ba: ba, baba: ba.dot(ba), f: axisFrame(a, ba.unit())}
}

// bound returns a bounding sphere of the primitive.
func (p *prim) bound() (vec3, float64) {
	switch p.kind {
	case primBox:
		return p.f.o, p.half.len()
	case primSphere:
		return p.a, p.r
	}
	return p.a.add(p.b).mul(0.5), math.Sqrt(p.baba)/2 + p.r
}

// obb returns an oriented bounding box (centre, axes, half extents) of a
// box, cylinder or capsule.
func (p *prim) obb() (c, ax, ay, az, half vec3) {
	if p.kind == primBox {
		return p.f.o, p.f.ax, p.f.ay, p.f.az, p.half
	}
	l := math.Sqrt(p.baba) / 2
	if p.kind == primCapsule {
		l += p.r
	}
	return p.a.add(p.b).mul(0.5), p.f.ax, p.f.ay, p.f.az, v3(p.r, p.r, l)
}

// hit returns the smallest t in (tmin, tmax) where the ray o + t*d enters the
// primitive, or -1.
func (p *prim) hit(o, d vec3, tmin, tmax float64) float64 {
	var t float64
	switch p.kind {
	case primBox:
		t = hitBox(&p.f, p.half, o, d)
	case primSphere:
		t = hitSphere(p.a, p.r, o, d)
	case primCylinder:
		t = hitCylinder(p, o, d)
	default:
		t = hitCapsule(p, o, d)
	}
	if t > tmin && t < tmax {
		return t
	}
	return -1
}

func hitBox(f *frame, h vec3, o, d vec3) float64 {
	lo := f.local(o)
	ld := f.localDir(d)
	tn, tf := math.Inf(-1), math.Inf(1)
	for i := 0; i < 3; i++ {
		oi, di, hi := lo.comp(i), ld.comp(i), h.comp(i)
		if di == 0 {
			if oi < -hi || oi > hi {
				return -1
			}
			continue
		}
		inv := 1 / di
		t1, t2 := (-hi-oi)*inv, (hi-oi)*inv
		if t1 > t2 {
			t1, t2 = t2, t1
		}
		if t1 > tn {
			tn = t1
		}
		if t2 < tf {
			tf = t2
		}
		if tn > tf {
			return -1
		}
	}
	return tn
}

func hitSphere(c vec3, r float64, o, d vec3) float64 {
	oc := o.sub(c)
	dd := d.dot(d)
	b := oc.dot(d)
	cc := oc.dot(oc) - r*r
	h := b*b - dd*cc
	if h < 0 {
		return -1
	}
	return (-b - math.Sqrt(h)) / dd
}

// hitCylinder intersects a capped cylinder (after Inigo Quilez's
// "intersectors", generalised to unnormalised directions).
func hitCylinder(p *prim, o, d vec3) float64 {
	oc := o.sub(p.a)
	dd := d.dot(d)
	bard := p.ba.dot(d)
	baoc := p.ba.dot(oc)
	k2 := p.baba*dd - bard*bard
	k1 := p.baba*oc.dot(d) - baoc*bard
	k0 := p.baba*oc.dot(oc) - baoc*baoc - p.r*p.r*p.baba
	if k2 <= 0 { // ray parallel to the axis
		if k0 > 0 || bard == 0 {
			return -1
		}
		t0 := -baoc / bard
		t1 := (p.baba - baoc) / bard
		return math.Min(t0, t1)
	}
	h := k1*k1 - k2*k0
	if h < 0 {
		return -1
	}
	h = math.Sqrt(h)
	t := (-k1 - h) / k2
	y := baoc + t*bard
	if y > 0 && y < p.baba {
		return t
	}
	if bard == 0 {
		return -1
	}
	cap := 0.0
	if y >= p.baba {
		cap = p.baba
	}
	t = (cap - baoc) / bard
	if math.Abs(k1+k2*t) < h {
		return t
	}
	return -1
}

// hitCapsule intersects a capsule (after Inigo Quilez, unnormalised d).
func hitCapsule(p *prim, o, d vec3) float64 {
	oa := o.sub(p.a)
	dd := d.dot(d)
	bard := p.ba.dot(d)
	baoa := p.ba.dot(oa)
	qa := p.baba*dd - bard*bard
	qb := p.baba*d.dot(oa) - baoa*bard
	qc := p.baba*oa.dot(oa) - baoa*baoa - p.r*p.r*p.baba
	if qa > 0 {
		h := qb*qb - qa*qc
		if h < 0 {
			return -1
		}
		t := (-qb - math.Sqrt(h)) / qa
		y := baoa + t*bard
		if y > 0 && y < p.baba {
			return t
		}
		if y <= 0 {
			return hitSphere(p.a, p.r, o, d)
		}
		return hitSphere(p.b, p.r, o, d)
	}
	// parallel to the axis: the nearer end sphere
	ta, tb := hitSphere(p.a, p.r, o, d), hitSphere(p.b, p.r, o, d)
	switch {
	case ta < 0:
		return tb
	case tb < 0:
		return ta
	}
	return math.Min(ta, tb)
}

// normal returns the outward unit normal at surface point q (world).
func (p *prim) normal(q vec3) vec3 {
	switch p.kind {
	case primBox:
		l := p.f.local(q)
		best, bi := -1.0, 0
		for i := 0; i < 3; i++ {
			if v := math.Abs(l.comp(i)) / p.half.comp(i); v > best {
				best, bi = v, i
			}
		}
		s := math.Copysign(1, l.comp(bi))
		switch bi {
		case 0:
			return p.f.ax.mul(s)
		case 1:
			return p.f.ay.mul(s)
		}
		return p.f.az.mul(s)
	case primSphere:
		return q.sub(p.a).unit()
	case primCylinder:
		y := q.sub(p.a).dot(p.ba) / p.baba
		rad := q.sub(p.a.madd(y, p.ba))
		rl := rad.len()
		// on a cap when the axial distance to it is smaller than to the side
		ax := math.Sqrt(p.baba)
		dcap0 := math.Abs(y) * ax
		dcap1 := math.Abs(1-y) * ax
		dside := math.Abs(rl - p.r)
		if dcap0 < dside && dcap0 <= dcap1 {
			return p.ba.mul(-1 / ax)
		}
		if dcap1 < dside {
			return p.ba.mul(1 / ax)
		}
		return rad.mul(1 / rl)
	}
	y := clamp(q.sub(p.a).dot(p.ba)/p.baba, 0, 1)
	return q.sub(p.a.madd(y, p.ba)).unit()
}
