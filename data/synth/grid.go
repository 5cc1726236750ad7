package synth

import "math"

// A dirGrid buckets primitives by the directions in which they are seen from
// one point (the camera or a light), so a ray from that point (or a segment
// towards it) tests only the few primitives of its cell. Each face is a
// pinhole plane w = 1 in its frame, covering a rectangle of (u/w, v/w) split
// into cells; a primitive goes into every cell its bounding sphere's
// projection may touch, which is conservative and exact enough.
type dirGrid struct {
	faces []gridFace
}

type gridFace struct {
	f      frame   // origin at the viewpoint; az points at the face
	u0, v0 float64 // lower corner in (u/w, v/w)
	du, dv float64 // cell size
	nu, nv int
	start  []int32 // CSR: cell c holds ids[start[c]:start[c+1]]
	ids    []int32
}

// span returns the range of x/z over a disc of radius r at (x, z), clipped
// to [lo, hi]; ok is false when the disc lies behind (z <= -r) or the range
// misses [lo, hi].
func span(x, z, r, lo, hi float64) (a, b float64, ok bool) {
	if z <= -r {
		return 0, 0, false
	}
	d := math.Hypot(x, z)
	if d <= r {
		return lo, hi, true
	}
	ang, del := math.Atan2(x, z), math.Asin(r/d)
	a, b = lo, hi
	if ang-del > -math.Pi/2 {
		a = math.Max(lo, math.Tan(ang-del))
	}
	if ang+del < math.Pi/2 {
		b = math.Min(hi, math.Tan(ang+del))
	}
	return a, b, a <= b
}

// build fills the face with the primitives' bounding spheres.
func (g *gridFace) build(prims []prim) {
	nc := g.nu * g.nv
	type cellRange struct{ i0, i1, j0, j1 int }
	ranges := make([]cellRange, len(prims))
	counts := make([]int32, nc+1)
	for k := range prims {
		ranges[k] = cellRange{1, 0, 1, 0}
		a0, a1, b0, b1, ok := g.extent(&prims[k])
		if !ok {
			continue
		}
		cr := cellRange{
			i0: max(0, int(math.Floor((a0-g.u0)/g.du))), i1: min(g.nu-1, int(math.Floor((a1-g.u0)/g.du))),
			j0: max(0, int(math.Floor((b0-g.v0)/g.dv))), j1: min(g.nv-1, int(math.Floor((b1-g.v0)/g.dv))),
		}
		ranges[k] = cr
		for j := cr.j0; j <= cr.j1; j++ {
			for i := cr.i0; i <= cr.i1; i++ {
				counts[j*g.nu+i+1]++
			}
		}
	}
	for c := 0; c < nc; c++ {
		counts[c+1] += counts[c]
	}
	g.start = counts
	g.ids = make([]int32, counts[nc])
	fill := append([]int32(nil), counts[:nc]...)
	for k, cr := range ranges {
		for j := cr.j0; j <= cr.j1; j++ {
			for i := cr.i0; i <= cr.i1; i++ {
				c := j*g.nu + i
				g.ids[fill[c]] = int32(k)
				fill[c]++
			}
		}
	}
}

// extent returns the range of (u/w, v/w) the primitive may cover, clipped
// to the face: from the projected corners of its bounding box when they all
// lie in front, else from its bounding sphere.
func (g *gridFace) extent(p *prim) (a0, a1, b0, b1 float64, ok bool) {
	ua, ub := g.u0, g.u0+g.du*float64(g.nu)
	va, vb := g.v0, g.v0+g.dv*float64(g.nv)
	if p.kind != primSphere {
		c, ax, ay, az, h := p.obb()
		a0, a1, b0, b1 = math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
		front := true
		for k := 0; k < 8 && front; k++ {
			q := c.madd(h.x*float64(k&1*2-1), ax).madd(h.y*float64(k>>1&1*2-1), ay).madd(h.z*float64(k>>2&1*2-1), az)
			q = g.f.local(q)
			if q.z <= 1e-9 {
				front = false
				break
			}
			u, v := q.x/q.z, q.y/q.z
			a0, a1 = math.Min(a0, u), math.Max(a1, u)
			b0, b1 = math.Min(b0, v), math.Max(b1, v)
		}
		if front {
			a0, a1 = math.Max(a0, ua), math.Min(a1, ub)
			b0, b1 = math.Max(b0, va), math.Min(b1, vb)
			return a0, a1, b0, b1, a0 <= a1 && b0 <= b1
		}
	}
	c, r := p.bound()
	q := g.f.local(c)
	if a0, a1, ok = span(q.x, q.z, r, ua, ub); !ok {
		return
	}
	b0, b1, ok = span(q.y, q.z, r, va, vb)
	return
}

// cell returns the primitives of the cell holding face coordinates (a, b).
func (g *gridFace) cell(a, b float64) []int32 {
	i := int(math.Floor((a - g.u0) / g.du))
	j := int(math.Floor((b - g.v0) / g.dv))
	i = min(max(i, 0), g.nu-1)
	j = min(max(j, 0), g.nv-1)
	c := j*g.nu + i
	return g.ids[g.start[c]:g.start[c+1]]
}

// cubeFaces are the frames of a cube map: w along +-x, +-y, +-z.
var cubeFaces = [6][3]vec3{
	{v3(0, 1, 0), v3(0, 0, 1), v3(1, 0, 0)}, {v3(0, 1, 0), v3(0, 0, 1), v3(-1, 0, 0)},
	{v3(0, 0, 1), v3(1, 0, 0), v3(0, 1, 0)}, {v3(0, 0, 1), v3(1, 0, 0), v3(0, -1, 0)},
	{v3(1, 0, 0), v3(0, 1, 0), v3(0, 0, 1)}, {v3(1, 0, 0), v3(0, 1, 0), v3(0, 0, -1)},
}

const cubeCells = 24

// newCubeGrid buckets prims by direction from point o.
func newCubeGrid(o vec3, prims []prim) *dirGrid {
	g := &dirGrid{faces: make([]gridFace, 6)}
	for i, ax := range cubeFaces {
		f := &g.faces[i]
		*f = gridFace{f: frame{o: o, ax: ax[0], ay: ax[1], az: ax[2]}, u0: -1, v0: -1,
			du: 2.0 / cubeCells, dv: 2.0 / cubeCells, nu: cubeCells, nv: cubeCells}
		f.build(prims)
	}
	return g
}

// cubeCell returns the primitives that may lie in direction d from the
// cube grid's centre.
func (g *dirGrid) cubeCell(d vec3) []int32 {
	ax, ay, az := math.Abs(d.x), math.Abs(d.y), math.Abs(d.z)
	switch {
	case ax >= ay && ax >= az:
		if d.x > 0 {
			return g.faces[0].cell(d.y/ax, d.z/ax)
		}
		return g.faces[1].cell(d.y/ax, d.z/ax)
	case ay >= az:
		if d.y > 0 {
			return g.faces[2].cell(d.z/ay, d.x/ay)
		}
		return g.faces[3].cell(d.z/ay, d.x/ay)
	}
	if d.z > 0 {
		return g.faces[4].cell(d.x/az, d.y/az)
	}
	return g.faces[5].cell(d.x/az, d.y/az)
}

// newCameraGrid buckets prims by image tile of tile x tile pixels; rays of
// pixel (x, y) look up cameraCell(x, y).
func (s *Scene) newCameraGrid(h, w, tile int) *gridFace {
	fx, fy, cx, cy := Intrinsics(h, w)
	c := &s.Camera
	g := &gridFace{f: frame{o: c.pos, ax: c.right, ay: c.down, az: c.fwd},
		u0: (-0.5 - cx) / fx, v0: (-0.5 - cy) / fy, du: float64(tile) / fx, dv: float64(tile) / fy,
		nu: (w + tile - 1) / tile, nv: (h + tile - 1) / tile}
	g.build(s.prims)
	return g
}

// nearest returns the closest hit in (tmin, tmax) among prims ids, or -1.
func (s *Scene) nearest(ids []int32, o, d vec3, tmin, tmax float64) (float64, int) {
	best := -1
	for _, k := range ids {
		if t := s.prims[k].hit(o, d, tmin, tmax); t > 0 {
			tmax, best = t, int(k)
		}
	}
	return tmax, best
}

// blocked reports whether any of prims ids is hit in (tmin, tmax).
func (s *Scene) blocked(ids []int32, o, d vec3, tmin, tmax float64) bool {
	for _, k := range ids {
		if s.prims[k].hit(o, d, tmin, tmax) > 0 {
			return true
		}
	}
	return false
}
