package synth

import "math"

// vec3 is a point or direction in float64.
type vec3 struct{ x, y, z float64 }

func v3(x, y, z float64) vec3 { return vec3{x, y, z} }

func (a vec3) add(b vec3) vec3             { return vec3{a.x + b.x, a.y + b.y, a.z + b.z} }
func (a vec3) sub(b vec3) vec3             { return vec3{a.x - b.x, a.y - b.y, a.z - b.z} }
func (a vec3) mul(s float64) vec3          { return vec3{a.x * s, a.y * s, a.z * s} }
func (a vec3) hadamard(b vec3) vec3        { return vec3{a.x * b.x, a.y * b.y, a.z * b.z} }
func (a vec3) dot(b vec3) float64          { return a.x*b.x + a.y*b.y + a.z*b.z }
func (a vec3) len() float64                { return math.Sqrt(a.dot(a)) }
func (a vec3) madd(s float64, b vec3) vec3 { return vec3{a.x + s*b.x, a.y + s*b.y, a.z + s*b.z} }

func (a vec3) cross(b vec3) vec3 {
	return vec3{a.y*b.z - a.z*b.y, a.z*b.x - a.x*b.z, a.x*b.y - a.y*b.x}
}

func (a vec3) unit() vec3 {
	l := a.len()
	if l == 0 {
		return a
	}
	return a.mul(1 / l)
}

func (a vec3) comp(i int) float64 {
	switch i {
	case 0:
		return a.x
	case 1:
		return a.y
	}
	return a.z
}

func (a vec3) arr() [3]float64 { return [3]float64{a.x, a.y, a.z} }

// frame is an orthonormal frame: origin o and axes ax, ay, az (world).
type frame struct{ o, ax, ay, az vec3 }

// local returns the coordinates of world point p in the frame.
func (f *frame) local(p vec3) vec3 {
	q := p.sub(f.o)
	return vec3{q.dot(f.ax), q.dot(f.ay), q.dot(f.az)}
}

// localDir returns the coordinates of world direction d in the frame.
func (f *frame) localDir(d vec3) vec3 { return vec3{d.dot(f.ax), d.dot(f.ay), d.dot(f.az)} }

// worldDir maps frame coordinates of a direction back to the world.
func (f *frame) worldDir(d vec3) vec3 { return f.ax.mul(d.x).madd(d.y, f.ay).madd(d.z, f.az) }

// axisFrame returns a frame with origin o whose z axis is the unit vector z.
func axisFrame(o, z vec3) frame {
	h := v3(1, 0, 0)
	if math.Abs(z.x) > 0.9 {
		h = v3(0, 1, 0)
	}
	x := h.sub(z.mul(h.dot(z))).unit()
	return frame{o: o, ax: x, ay: z.cross(x), az: z}
}

// yawFrame returns a frame at o rotated by yaw (radians) about the world z axis.
func yawFrame(o vec3, yaw float64) frame {
	c, s := math.Cos(yaw), math.Sin(yaw)
	return frame{o: o, ax: v3(c, s, 0), ay: v3(-s, c, 0), az: v3(0, 0, 1)}
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

func lerp(a, b, t float64) float64 { return a + (b-a)*t }

func mixv(a, b vec3, t float64) vec3 { return a.mul(1 - t).add(b.mul(t)) }

func smoothstep(e0, e1, x float64) float64 {
	t := clamp((x-e0)/(e1-e0), 0, 1)
	return t * t * (3 - 2*t)
}
