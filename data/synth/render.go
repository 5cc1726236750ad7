package synth

import (
	"math"
	"sync"
	"sync/atomic"

	"allnet/data"
)

// Frame holds every map a render computes, all H x W, row-major.
type Frame struct {
	Image    data.Image // RGB (3, H, W) in [0, 1], sRGB-encoded
	Depth    []float32  // z-depth in metres, > 0 everywhere
	Normals  []float32  // (3, H, W) unit camera-frame normals facing the camera
	Semseg   []int32    // class ids of the scene's variant
	Instance []int32    // index into Scene.Instances
	Parts    []int32    // 0 background, 1..6 human parts
	Edge     []float32  // 1 where the class or instance changes (right/down neighbour)
	Sal      []float32  // 1 on objects, 0 on the room shell

	prim []int32 // primitive seen, -1 for the room shell (tests)
}

// surface is what a primary ray sees.
type surface struct {
	t    float64
	p, n vec3 // world point and unit normal facing the ray
	inst int32
	prim int32 // -1 for the room shell
	part int8
	mat  int
	tex  vec3 // texture-frame point
}

const shadowEps = 2e-4

// renderer holds the per-render lookup grids of a scene.
type renderer struct {
	s      *Scene
	cam    *gridFace  // primitives by image tile
	lights []*dirGrid // primitives by direction from each light
}

func (s *Scene) newRenderer() *renderer {
	r := &renderer{s: s, cam: s.newCameraGrid(s.cfg.H, s.cfg.W, 8)}
	for _, l := range s.lights {
		r.lights = append(r.lights, newCubeGrid(l.pos, s.prims))
	}
	return r
}

// trace returns the nearest surface along the camera ray of camera-frame
// direction dc = (u, v, 1); the hit's t is its z-depth.
func (r *renderer) trace(dc vec3) surface {
	s := r.s
	o, d := s.Camera.pos, s.Camera.toWorld(dc)
	// room shell: the ray leaves the box through the nearest face
	t, face := math.Inf(1), 0
	for i := 0; i < 3; i++ {
		di, oi := d.comp(i), o.comp(i)
		var ti float64
		switch {
		case di > 0:
			ti = (s.room.comp(i) - oi) / di
		case di < 0:
			ti = -oi / di
		default:
			continue
		}
		if ti < t {
			t, face = ti, 2*i
			if di > 0 {
				face++
			}
		}
	}
	t, pi := s.nearest(r.cam.cell(dc.x, dc.y), o, d, 1e-6, t)
	sf := surface{t: t, p: o.madd(t, d), prim: int32(pi)}
	if pi >= 0 {
		pr := &s.prims[pi]
		sf.n = pr.normal(sf.p)
		sf.inst, sf.part, sf.mat = pr.inst, pr.part, pr.mat
		sf.tex = pr.texPoint(sf.p)
	} else {
		s.shellSurface(face, &sf)
	}
	if sf.n.dot(d) > 0 {
		sf.n = sf.n.mul(-1)
	}
	return sf
}

// shellSurface fills the instance, material and texture point of a room face
// hit, looking up the face's decals.
func (s *Scene) shellSurface(face int, sf *surface) {
	sf.n = faceNormals[face]
	u, v := faceUV(face, sf.p)
	sf.inst, sf.mat, sf.tex = int32(face), s.faceMat[face], v3(u, v, 0)
	for i := range s.decals[face] {
		d := &s.decals[face][i]
		if u < d.u0 || u > d.u1 || v < d.v0 || v > d.v1 {
			continue
		}
		sf.inst = d.inst
		b := d.border
		if u < d.u0+b || u > d.u1-b || v < d.v0+b || v > d.v1-b {
			sf.mat = d.frameMat
		} else {
			sf.mat = d.mat
			if d.glass {
				sf.tex = v3((u-d.u0-b)/(d.u1-d.u0-2*b), (v-d.v0-b)/(d.v1-d.v0-2*b), 0)
			}
		}
		return
	}
}

// radiance returns the lit linear colour (before exposure) and the emitted
// display colour of a surface.
func (r *renderer) radiance(sf *surface) (lit, emit vec3) {
	s := r.s
	m := &s.mats[sf.mat]
	a := m.albedo(sf.tex)
	if m.emit > 0 {
		return vec3{}, a.mul(m.emit)
	}
	v := s.Camera.pos.sub(sf.p)
	e := s.ambient.add(s.fill.mul(math.Max(0, sf.n.dot(v)/v.len())))
	for li, l := range s.lights {
		L := l.pos.sub(sf.p)
		d2 := L.dot(L)
		ndl := sf.n.dot(L) / math.Sqrt(d2)
		if ndl <= 0 {
			continue
		}
		if !s.cfg.NoShadows {
			o := sf.p.madd(shadowEps, sf.n)
			if s.blocked(r.lights[li].cubeCell(o.sub(l.pos)), o, l.pos.sub(o), 1e-6, 1) {
				continue
			}
		}
		e = e.add(l.col.mul(ndl / (d2 + 0.3)))
	}
	return a.hadamard(e), vec3{}
}

// Render ray casts the scene at the configured size. Rows are shared among
// cfg.Workers goroutines; the output does not depend on their number.
func (s *Scene) Render() *Frame {
	H, W := s.cfg.H, s.cfg.W
	n := H * W
	f := &Frame{
		Image: data.NewImage(3, H, W), Depth: make([]float32, n), Normals: make([]float32, 3*n),
		Semseg: make([]int32, n), Instance: make([]int32, n), Parts: make([]int32, n),
		Edge: make([]float32, n), Sal: make([]float32, n), prim: make([]int32, n),
	}
	lit := make([]vec3, n)
	emit := make([]vec3, n)
	fx, fy, cx, cy := Intrinsics(H, W)
	cam := &s.Camera
	ray := func(x, y float64) vec3 { return v3((x-cx)/fx, (y-cy)/fy, 1) }
	rd := s.newRenderer()

	s.rows(H, func(y int) {
		for x := 0; x < W; x++ {
			i := y*W + x
			sf := rd.trace(ray(float64(x), float64(y)))
			nc := cam.toCam(sf.n)
			f.Depth[i] = float32(sf.t)
			f.Normals[i], f.Normals[n+i], f.Normals[2*n+i] = float32(nc.x), float32(nc.y), float32(nc.z)
			f.Instance[i] = sf.inst
			f.prim[i] = sf.prim
			f.Semseg[i] = int32(s.Instances[sf.inst].Class)
			f.Parts[i] = int32(sf.part)
			if s.Instances[sf.inst].Salient {
				f.Sal[i] = 1
			}
			lit[i], emit[i] = rd.radiance(&sf)
		}
	})
	f.edges(W, H)
	if !s.cfg.NoAntialias {
		// supersample RGB (only) where the label changes: 2x2 stratified
		s.rows(H, func(y int) {
			for x := 0; x < W; x++ {
				i := y*W + x
				if !f.border(x, y, W, H) {
					continue
				}
				var l, e vec3
				for _, o := range [4][2]float64{{-0.25, -0.25}, {0.25, -0.25}, {-0.25, 0.25}, {0.25, 0.25}} {
					sf := rd.trace(ray(float64(x)+o[0], float64(y)+o[1]))
					li, ei := rd.radiance(&sf)
					l, e = l.add(li), e.add(ei)
				}
				lit[i], emit[i] = l.mul(0.25), e.mul(0.25)
			}
		})
	}
	s.expose(f, lit, emit)
	return f
}

// rows runs fn for every row on cfg.Workers goroutines.
func (s *Scene) rows(h int, fn func(y int)) {
	w := min(s.cfg.Workers, h)
	if w <= 1 {
		for y := 0; y < h; y++ {
			fn(y)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < w; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for y := int(next.Add(1) - 1); y < h; y = int(next.Add(1) - 1) {
				fn(y)
			}
		}()
	}
	wg.Wait()
}

// differs reports whether pixels i and j carry another class or instance.
func (f *Frame) differs(i, j int) bool {
	return f.Semseg[i] != f.Semseg[j] || f.Instance[i] != f.Instance[j]
}

// edges marks pixels whose right or lower neighbour differs.
func (f *Frame) edges(W, H int) {
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			i := y*W + x
			if (x+1 < W && f.differs(i, i+1)) || (y+1 < H && f.differs(i, i+W)) {
				f.Edge[i] = 1
			}
		}
	}
}

// border reports whether any 4-neighbour of (x, y) differs.
func (f *Frame) border(x, y, W, H int) bool {
	i := y*W + x
	return (x > 0 && f.differs(i, i-1)) || (x+1 < W && f.differs(i, i+1)) ||
		(y > 0 && f.differs(i, i-W)) || (y+1 < H && f.differs(i, i+W))
}

// expose scales the lit radiance so that its mean luminance hits the scene's
// target, adds emission, and encodes with gamma 2.2.
func (s *Scene) expose(f *Frame, lit, emit []vec3) {
	sum := 0.0
	for _, c := range lit {
		sum += 0.2126*c.x + 0.7152*c.y + 0.0722*c.z
	}
	mean := sum / float64(len(lit))
	k := 1.0
	if mean > 0 {
		k = s.target / mean
	}
	n := len(lit)
	pix := f.Image.Pix
	for i, c := range lit {
		v := c.mul(k).add(emit[i])
		pix[i] = gamma(v.x)
		pix[n+i] = gamma(v.y)
		pix[2*n+i] = gamma(v.z)
	}
}

var gammaLUT = func() []float32 {
	t := make([]float32, 4097)
	for i := range t {
		t[i] = float32(math.Pow(float64(i)/4096, 1/2.2))
	}
	return t
}()

// gamma encodes a linear value, clamped to [0, 1].
func gamma(v float64) float32 {
	if v <= 0 {
		return 0
	}
	if v >= 1 {
		return 1
	}
	if v < 1.0/256 {
		return float32(math.Pow(v, 1/2.2))
	}
	x := v * 4096
	i := int(x)
	fr := float32(x - float64(i))
	return gammaLUT[i]*(1-fr) + gammaLUT[i+1]*fr
}
