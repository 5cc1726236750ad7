package synth

// obj adds primitives in an object's local frame (x right, y back, z up,
// origin on the floor at the footprint centre; the front faces local -y).
// Primitives take the current material, instance and part.
type obj struct {
	s    *Scene
	f    frame
	mat  int
	inst int32
	part int8
}

func (o *obj) w(x, y, z float64) vec3 {
	return o.f.o.madd(x, o.f.ax).madd(y, o.f.ay).madd(z, o.f.az)
}

func (o *obj) add(p prim) {
	p.mat, p.inst, p.part = o.mat, o.inst, o.part
	o.s.prims = append(o.s.prims, p)
}

// box adds a box centred at (x, y, z) with half extents (hx, hy, hz).
func (o *obj) box(x, y, z, hx, hy, hz float64) {
	o.add(boxPrim(frame{o: o.w(x, y, z), ax: o.f.ax, ay: o.f.ay, az: o.f.az}, v3(hx, hy, hz)))
}

// boxOn adds a box standing on z0 with full height h.
func (o *obj) boxOn(x, y, z0, hx, hy, h float64) { o.box(x, y, z0+h/2, hx, hy, h/2) }

func (o *obj) sphere(x, y, z, r float64) { o.add(spherePrim(o.w(x, y, z), r)) }

// cyl adds an upright capped cylinder from height z0 to z1.
func (o *obj) cyl(x, y, z0, z1, r float64) {
	o.add(segPrim(primCylinder, o.w(x, y, z0), o.w(x, y, z1), r))
}

func (o *obj) capsule(a, b vec3, r float64) {
	o.add(segPrim(primCapsule, o.w(a.x, a.y, a.z), o.w(b.x, b.y, b.z), r))
}

func (o *obj) segCyl(a, b vec3, r float64) {
	o.add(segPrim(primCylinder, o.w(a.x, a.y, a.z), o.w(b.x, b.y, b.z), r))
}

// newObj starts an object of the given kind at floor frame f.
func (s *Scene) newObj(kind string, f frame, mat material) *obj {
	return &obj{s: s, f: f, inst: s.addInstance(kind, true), mat: s.addMat(mat)}
}
