package synth

import (
	"fmt"
	"math"
)

// Camera is the pinhole camera of a scene. World coordinates are metres with
// x and y horizontal, z up and the floor at z = 0; the room spans
// [0, Room[0]] x [0, Room[1]] x [0, Room[2]]. The camera frame is OpenCV's
// (x right, y down, z forward); its axes in world coordinates come from yaw
// (about world z, 0 = looking along +y), pitch (> 0 looks up) and roll
// (about the optical axis), applied in that order.
type Camera struct {
	Pos              [3]float64 // world position; Pos[2] is the height above the floor
	Yaw, Pitch, Roll float64    // radians

	right, down, fwd vec3
	pos              vec3
}

func newCamera(pos vec3, yaw, pitch, roll float64) Camera {
	f := v3(math.Sin(yaw)*math.Cos(pitch), math.Cos(yaw)*math.Cos(pitch), math.Sin(pitch))
	r0 := v3(math.Cos(yaw), -math.Sin(yaw), 0)
	d0 := f.cross(r0)
	cr, sr := math.Cos(roll), math.Sin(roll)
	return Camera{
		Pos: pos.arr(), Yaw: yaw, Pitch: pitch, Roll: roll,
		right: r0.mul(cr).madd(sr, d0),
		down:  r0.mul(-sr).madd(cr, d0),
		fwd:   f,
		pos:   pos,
	}
}

// toCam maps a world direction to camera coordinates.
func (c *Camera) toCam(v vec3) vec3 { return v3(v.dot(c.right), v.dot(c.down), v.dot(c.fwd)) }

// toWorld maps a camera-frame direction to world coordinates.
func (c *Camera) toWorld(v vec3) vec3 { return c.right.mul(v.x).madd(v.y, c.down).madd(v.z, c.fwd) }

// Up returns world up (0, 0, 1) in camera coordinates: the normal of the
// floor as the renderer reports it.
func (c *Camera) Up() [3]float64 { return c.toCam(v3(0, 0, 1)).arr() }

// project returns the image position of world point p as fractions of the
// width and height, and whether p is in front of the camera.
func (c *Camera) project(p vec3) (u, v float64, ok bool) {
	q := c.toCam(p.sub(c.pos))
	if q.z < 0.05 {
		return 0, 0, false
	}
	return (nyuFx*q.x/q.z + nyuCx + 0.5) / nyuW, (nyuFy*q.y/q.z + nyuCy + 0.5) / nyuH, true
}

// Instance is one labelled surface: a shell part (floor, ceiling, a wall, a
// painting, a window) or an object.
type Instance struct {
	Kind    string // "floor", "wall", "table", "person", ...
	Class   int    // semantic class in the variant's label set
	Salient bool   // an object rather than part of the room shell
}

// Shell faces of the room box, in instance order.
const (
	faceLeft    = iota // x = 0
	faceRight          // x = Room[0]
	faceBack           // y = 0 (behind the camera)
	faceFar            // y = Room[1]
	faceFloor          // z = 0
	faceCeiling        // z = Room[2]
)

// decal is a flat rectangle on a shell face: a painting, a window or a rug.
// (u, v) are the face's in-plane coordinates (see faceUV).
type decal struct {
	face           int
	u0, u1, v0, v1 float64
	border         float64
	mat, frameMat  int
	inst           int32
	glass          bool // canvas texture takes pane-normalised coordinates
}

type light struct{ pos, col vec3 }

// Scene is a generated room, ready to render.
type Scene struct {
	Like      string
	Camera    Camera
	Room      [3]float64 // extent in metres
	Instances []Instance

	cfg     Config
	room    vec3
	mats    []material
	faceMat [6]int
	decals  [6][]decal
	prims   []prim
	lights  []light
	ambient vec3
	fill    vec3    // unshadowed light from the camera's side
	target  float64 // mean linear luminance after exposure
}

func (s *Scene) addMat(m material) int {
	s.mats = append(s.mats, m)
	return len(s.mats) - 1
}

func (s *Scene) addInstance(kind string, salient bool) int32 {
	s.Instances = append(s.Instances, Instance{Kind: kind, Class: classOf(s.Like, kind), Salient: salient})
	return int32(len(s.Instances) - 1)
}

// classOf maps an instance kind to the variant's semantic class.
func classOf(like, kind string) int {
	if like == LikePASCAL {
		switch kind {
		case "table":
			return VOCDiningTable
		case "chair":
			return VOCChair
		case "sofa":
			return VOCSofa
		case "tv":
			return VOCTVMonitor
		case "plant":
			return VOCPottedPlant
		case "bottle":
			return VOCBottle
		case "person":
			return VOCPerson
		}
		return VOCBackground
	}
	switch kind {
	case "floor":
		return NYUFloor
	case "ceiling":
		return NYUCeiling
	case "wall":
		return NYUWall
	case "painting":
		return NYUPainting
	case "window":
		return NYUWindow
	case "table":
		return NYUTable
	case "chair":
		return NYUChair
	case "sofa":
		return NYUSofa
	case "bed":
		return NYUBed
	case "cabinet", "bookshelf":
		return NYUFurniture
	case "tv":
		return NYUTV
	case "books":
		return NYUBooks
	}
	return NYUObjects // balls, lamps, bins, boxes, plants, bottles, pillows, vases
}

// faceUV returns the in-plane coordinates of point p on a shell face: walls
// (horizontal position along the wall, height), floor and ceiling (x, y).
func faceUV(face int, p vec3) (u, v float64) {
	switch face {
	case faceLeft, faceRight:
		return p.y, p.z
	case faceBack, faceFar:
		return p.x, p.z
	}
	return p.x, p.y
}

var faceNormals = [6]vec3{v3(1, 0, 0), v3(-1, 0, 0), v3(0, 1, 0), v3(0, -1, 0), v3(0, 0, 1), v3(0, 0, -1)}

// NewScene generates scene index of the synthetic dataset with the given
// seed (see the package comment for the determinism guarantee).
func NewScene(cfg Config, seed uint64, index int) (*Scene, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if index < 0 {
		return nil, fmt.Errorf("synth: image index %d: want >= 0", index)
	}
	r := newRNG(seed, index, cfg.Like)
	s := &Scene{Like: cfg.Like, cfg: cfg}
	s.room = v3(r.uniform(3.2, 6.5), r.uniform(3.8, 7.5), r.uniform(2.45, 3.2))
	s.Room = s.room.arr()
	s.makeShell(r)
	s.makeCamera(r)
	s.makeLights(r)
	lay := &layout{s: s}
	if s.Like == LikePASCAL {
		s.placePerson(r, lay)
	}
	s.placeObjects(r, lay)
	s.placeItems(r, lay)
	s.makeDecals(r)
	return s, nil
}

func (s *Scene) makeShell(r *rng) {
	for face := 0; face < 4; face++ {
		s.addInstance("wall", false)
	}
	s.addInstance("floor", false)
	s.addInstance("ceiling", false)
	wall := s.addMat(wallMat(r))
	for face := 0; face < 4; face++ {
		s.faceMat[face] = wall
	}
	if r.chance(0.25) { // an accent wall
		s.faceMat[[]int{faceLeft, faceRight, faceFar}[r.intn(3)]] = s.addMat(wallMat(r))
	}
	s.faceMat[faceFloor] = s.addMat(floorMat(r))
	s.faceMat[faceCeiling] = s.addMat(ceilingMat(r))
	if r.chance(0.45) { // a rug: same instance and class as the floor
		w, d := r.uniform(1.0, 2.6), r.uniform(1.0, 3.0)
		x := r.uniform(0.3, math.Max(0.31, s.room.x-w-0.3))
		y := r.uniform(1.0, math.Max(1.01, s.room.y-d-0.3))
		s.decals[faceFloor] = append(s.decals[faceFloor], decal{face: faceFloor,
			u0: x, u1: x + w, v0: y, v1: y + d, mat: s.addMat(rugMat(r)), inst: faceFloor})
	}
}

func (s *Scene) makeCamera(r *rng) {
	h := r.uniform(1.2, 1.7)
	pitch := deg(r.uniform(-24, -4))
	if s.Like == LikePASCAL {
		h = r.uniform(1.1, 1.6)
		pitch = deg(r.uniform(-14, 0))
	}
	pos := v3(s.room.x*r.uniform(0.3, 0.7), r.uniform(0.25, 0.9), h)
	s.Camera = newCamera(pos, deg(r.uniform(-35, 35)), pitch, deg(r.uniform(-4, 4)))
}

func (s *Scene) makeLights(r *rng) {
	n := 1
	if r.chance(0.4) {
		n = 2
	}
	warm := r.float()
	tint := mixv(v3(1.0, 0.9, 0.76), v3(0.9, 0.96, 1.05), warm)
	power := r.uniform(4, 9) / float64(n)
	for i := 0; i < n; i++ {
		p := v3(s.room.x*r.uniform(0.2, 0.8), s.room.y*r.uniform(0.25, 0.85), s.room.z-r.uniform(0.25, 0.6))
		s.lights = append(s.lights, light{pos: p, col: tint.mul(power)})
	}
	s.ambient = mixv(v3(1, 0.95, 0.88), v3(0.9, 0.95, 1.05), r.float()).mul(r.uniform(0.12, 0.3))
	s.fill = s.ambient.mul(r.uniform(0.3, 1.0))
	s.target = r.uniform(0.13, 0.24)
}

// makeDecals hangs paintings and windows on the walls the camera can see.
func (s *Scene) makeDecals(r *rng) {
	walls := []int{faceLeft, faceRight, faceFar}
	lens := []float64{s.room.y, s.room.y, s.room.x}
	nw := r.weighted([]float64{0.35, 0.45, 0.2})
	np := r.weighted([]float64{0.2, 0.35, 0.3, 0.15})
	for i := 0; i < nw+np; i++ {
		window := i < nw
		face := walls[r.weighted(lens)]
		wallLen := lens[faceIndex(walls, face)]
		var w, h, v0, border float64
		if window {
			w, h = r.uniform(0.6, 1.6), r.uniform(0.8, 1.5)
			v0 = r.uniform(0.7, 1.0)
			border = r.uniform(0.04, 0.08)
		} else {
			w, h = r.uniform(0.3, 1.2), r.uniform(0.3, 0.9)
			v0 = r.uniform(1.0, 1.4)
			border = r.uniform(0.015, 0.06)
		}
		if v0+h > s.room.z-0.15 {
			h = s.room.z - 0.15 - v0
		}
		if w > wallLen-0.6 || h < 0.25 {
			continue
		}
		for try := 0; try < 10; try++ {
			u0 := r.uniform(0.3, wallLen-0.3-w)
			dc := decal{face: face, u0: u0, u1: u0 + w, v0: v0, v1: v0 + h, border: border}
			if s.decalFree(dc) {
				if window {
					dc.inst = s.addInstance("window", false)
					dc.mat = s.addMat(glassMat(r))
					dc.frameMat = s.addMat(frameMat(r, true))
					dc.glass = true
				} else {
					dc.inst = s.addInstance("painting", false)
					dc.mat = s.addMat(artMat(r))
					dc.frameMat = s.addMat(frameMat(r, false))
				}
				s.decals[face] = append(s.decals[face], dc)
				break
			}
		}
	}
}

func faceIndex(faces []int, f int) int {
	for i, v := range faces {
		if v == f {
			return i
		}
	}
	return -1
}

func (s *Scene) decalFree(d decal) bool {
	const m = 0.15
	for _, e := range s.decals[d.face] {
		if d.u0 < e.u1+m && e.u0 < d.u1+m && d.v0 < e.v1+m && e.v0 < d.v1+m {
			return false
		}
	}
	return true
}
