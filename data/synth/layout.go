package synth

import "math"

// rect is an oriented footprint on the floor (or on a support, in its frame).
type rect struct{ cx, cy, hx, hy, yaw float64 }

// overlaps reports whether two oriented rectangles intersect (separating
// axis test).
func (a rect) overlaps(b rect) bool {
	axes := [4][2]float64{
		{math.Cos(a.yaw), math.Sin(a.yaw)}, {-math.Sin(a.yaw), math.Cos(a.yaw)},
		{math.Cos(b.yaw), math.Sin(b.yaw)}, {-math.Sin(b.yaw), math.Cos(b.yaw)},
	}
	dx, dy := b.cx-a.cx, b.cy-a.cy
	for _, n := range axes {
		ra := a.radius(n)
		rb := b.radius(n)
		if math.Abs(dx*n[0]+dy*n[1]) >= ra+rb {
			return false
		}
	}
	return true
}

// radius is the half extent of the rectangle projected on unit axis n.
func (a rect) radius(n [2]float64) float64 {
	c, s := math.Cos(a.yaw), math.Sin(a.yaw)
	return a.hx*math.Abs(c*n[0]+s*n[1]) + a.hy*math.Abs(-s*n[0]+c*n[1])
}

// inside reports whether the rectangle lies within [m, X-m] x [m, Y-m].
func (a rect) inside(x, y, m float64) bool {
	rx := a.radius([2]float64{1, 0})
	ry := a.radius([2]float64{0, 1})
	return a.cx-rx >= m && a.cx+rx <= x-m && a.cy-ry >= m && a.cy+ry <= y-m
}

// support is a horizontal top (table, cabinet) small items stand on.
type support struct {
	f      frame // centre of the top surface, axes of the furniture
	yaw    float64
	hx, hy float64
	items  []rect // in the support's frame
}

// layout tracks what occupies the floor while a scene is generated.
type layout struct {
	s        *Scene
	rects    []rect
	supports []support
	keepOut  []rect // camera spot and the camera->person corridor
}

func (l *layout) free(rc rect) bool {
	if !rc.inside(l.s.room.x, l.s.room.y, 0.01) {
		return false
	}
	grown := rc
	grown.hx += 0.04
	grown.hy += 0.04
	for _, o := range l.rects {
		if grown.overlaps(o) {
			return false
		}
	}
	for _, o := range l.keepOut {
		if rc.overlaps(o) {
			return false
		}
	}
	return true
}

// cameraKeepOut keeps objects out of a square around the camera.
func (l *layout) cameraKeepOut() {
	c := l.s.Camera.pos
	l.keepOut = append(l.keepOut, rect{cx: c.x, cy: c.y, hx: 0.6, hy: 0.6})
}

// corridor keeps objects off the ground between the camera and point (x, y).
func (l *layout) corridor(x, y, halfWidth float64) {
	c := l.s.Camera.pos
	dx, dy := x-c.x, y-c.y
	d := math.Hypot(dx, dy)
	l.keepOut = append(l.keepOut, rect{cx: (x + c.x) / 2, cy: (y + c.y) / 2, hx: d / 2, hy: halfWidth, yaw: math.Atan2(dy, dx)})
}

// facing returns the yaw that turns an object's front (local -y) towards the
// camera from floor position (x, y).
func (l *layout) facing(x, y float64) float64 {
	c := l.s.Camera.pos
	return math.Atan2(c.x-x, -(c.y - y))
}
