package synth

import "math"

// Human part labels (see PartNames).
const (
	partHead     = 1
	partTorso    = 2
	partUpperArm = 3
	partLowerArm = 4
	partUpperLeg = 5
	partLowerLeg = 6
)

// pose holds the joint angles of the figure, radians, index 0 left, 1 right.
type pose struct {
	armAbd, armFlex, elbow [2]float64
	hipAbd, hipFlex, knee  [2]float64
}

func samplePose(r *rng) pose {
	var p pose
	for i := 0; i < 2; i++ {
		p.armAbd[i] = deg(r.uniform(6, 45))
		if r.chance(0.15) {
			p.armAbd[i] = deg(r.uniform(80, 160))
		}
		p.armFlex[i] = deg(r.uniform(-25, 60))
		p.elbow[i] = deg(r.uniform(0, 110))
		p.hipAbd[i] = deg(r.uniform(0, 12))
		p.hipFlex[i] = deg(r.uniform(-15, 30))
		p.knee[i] = deg(r.uniform(0, 25))
		if p.hipFlex[i] > deg(10) {
			p.knee[i] = deg(r.uniform(0, 55))
		}
	}
	return p
}

// limbDir is the direction of a limb hanging down, turned outwards by abd
// (side -1 left, +1 right) and forwards (local -y) by flex.
func limbDir(side, abd, flex float64) vec3 {
	return v3(side*math.Sin(abd), -math.Cos(abd)*math.Sin(flex), -math.Cos(abd)*math.Cos(flex))
}

// bend turns unit direction d by angle a towards the direction to (unit,
// made orthogonal to d).
func bend(d, to vec3, a float64) vec3 {
	b := to.sub(d.mul(to.dot(d)))
	if b.len() < 1e-6 {
		b = v3(0, 0, 1).sub(d.mul(d.z))
	}
	return d.mul(math.Cos(a)).add(b.unit().mul(math.Sin(a))).unit()
}

// placePerson puts a standing figure in view, facing roughly the camera,
// and keeps the floor between it and the camera clear.
func (s *Scene) placePerson(r *rng, lay *layout) {
	height := r.uniform(1.5, 1.9)
	p := samplePose(r)
	turn := deg(r.uniform(-70, 70))
	if r.chance(0.2) {
		turn = r.uniform(-math.Pi, math.Pi)
	}
	cam := s.Camera.pos
	var best rect
	found := false
	for try := 0; try < 60; try++ {
		dist := r.uniform(2.0, 4.5)
		ang := s.Camera.Yaw + deg(r.uniform(-18, 18))
		rc := rect{cx: cam.x + dist*math.Sin(ang), cy: cam.y + dist*math.Cos(ang), hx: 0.45, hy: 0.45}
		if !rc.inside(s.room.x, s.room.y, 0.05) {
			continue
		}
		if !found {
			best, found = rc, true
		}
		u0, v0, ok0 := s.Camera.project(v3(rc.cx, rc.cy, height+0.03))
		u1, v1, ok1 := s.Camera.project(v3(rc.cx, rc.cy, 0))
		if ok0 && ok1 && u0 > 0.08 && u0 < 0.92 && u1 > 0.08 && u1 < 0.92 && v0 > 0.04 && v1 < 0.95 {
			best = rc
			break
		}
	}
	if !found {
		best = rect{cx: s.room.x / 2, cy: math.Min(s.room.y-0.5, cam.y+2.5), hx: 0.45, hy: 0.45}
	}
	best.yaw = lay.facing(best.cx, best.cy) + turn
	lay.rects = append(lay.rects, best)
	lay.corridor(best.cx, best.cy, 0.5)
	s.buildPerson(r, yawFrame(v3(best.cx, best.cy, 0), best.yaw), height, p)
}

// buildPerson adds the figure's primitives: head (with hair), neck, torso,
// capsule limbs, sphere hands and box feet, each with its part label.
func (s *Scene) buildPerson(r *rng, f frame, height float64, p pose) {
	k := height / 1.75
	skin := s.addMat(plainMat(colour(r, palSkin)))
	hair := s.addMat(randMat(r, palHair, texWeights{0.6, 0, 0, 0.4, 0}))
	shirt := s.addMat(randMat(r, append(palFabric, palBright...), wFabric))
	pants := s.addMat(randMat(r, [][3]float64{{0.2, 0.25, 0.4}, {0.15, 0.15, 0.17}, {0.55, 0.48, 0.35}, {0.4, 0.4, 0.42}}, texWeights{0.6, 0.05, 0.05, 0.3, 0}))
	shoes := s.addMat(plainMat(colour(r, [][3]float64{{0.1, 0.08, 0.07}, {0.35, 0.22, 0.12}, {0.9, 0.9, 0.9}})))
	longSleeves := r.chance(0.5)
	shorts := r.chance(0.2)

	// joints in the body frame before lifting the feet onto the floor
	hipH, shoulderH := 0.95*k, 1.41*k
	upperLeg, lowerLeg := 0.44*k, 0.43*k
	upperArm, lowerArm := 0.29*k, 0.25*k
	var hip, knee, ankle, shoulder, elbow, wrist [2]vec3
	var foreDir [2]vec3
	minZ := math.Inf(1)
	for i, side := range []float64{-1, 1} {
		hip[i] = v3(side*0.095*k, 0, hipH)
		d := limbDir(side, p.hipAbd[i], p.hipFlex[i])
		knee[i] = hip[i].add(d.mul(upperLeg))
		d2 := limbDir(side, p.hipAbd[i], p.hipFlex[i]-p.knee[i])
		ankle[i] = knee[i].add(d2.mul(lowerLeg))
		minZ = math.Min(minZ, ankle[i].z-0.08*k)
		minZ = math.Min(minZ, knee[i].z-0.06*k)

		shoulder[i] = v3(side*0.2*k, 0, shoulderH)
		a := limbDir(side, p.armAbd[i], p.armFlex[i])
		elbow[i] = shoulder[i].add(a.mul(upperArm))
		foreDir[i] = bend(a, v3(0, -1, 0.3), p.elbow[i])
		wrist[i] = elbow[i].add(foreDir[i].mul(lowerArm))
	}
	lift := v3(0, 0, -minZ)
	L := func(v vec3) vec3 { return v.add(lift) }

	o := &obj{s: s, f: f, inst: s.addInstance("person", true)}
	set := func(mat int, part int8) { o.mat, o.part = mat, part }

	set(skin, partHead)
	o.sphere(0, -0.01*k, 1.64*k-minZ, 0.105*k)
	set(hair, partHead)
	o.sphere(0, 0.025*k, 1.67*k-minZ, 0.106*k)

	set(skin, partTorso)
	o.cyl(0, 0, 1.38*k-minZ, 1.55*k-minZ, 0.05*k)
	set(shirt, partTorso)
	o.box(0, 0, (hipH-0.05*k+shoulderH)/2-minZ, 0.165*k, 0.1*k, (shoulderH-hipH+0.05*k)/2)
	o.capsule(L(v3(-0.17*k, 0, shoulderH-0.02*k)), L(v3(0.17*k, 0, shoulderH-0.02*k)), 0.065*k)
	set(pants, partTorso)
	o.box(0, 0, hipH+0.02*k-minZ, 0.155*k, 0.095*k, 0.09*k)

	for i := 0; i < 2; i++ {
		set(shirt, partUpperArm)
		o.capsule(L(shoulder[i]), L(elbow[i]), 0.047*k)
		if longSleeves {
			set(shirt, partLowerArm)
		} else {
			set(skin, partLowerArm)
		}
		o.capsule(L(elbow[i]), L(wrist[i]), 0.038*k)
		set(skin, partLowerArm)
		h := L(wrist[i].add(foreDir[i].mul(0.055 * k)))
		o.sphere(h.x, h.y, h.z, 0.048*k)

		set(pants, partUpperLeg)
		o.capsule(L(hip[i]), L(knee[i]), 0.075*k)
		if shorts {
			set(skin, partLowerLeg)
		} else {
			set(pants, partLowerLeg)
		}
		o.capsule(L(knee[i]), L(ankle[i]), 0.055*k)
		set(shoes, partLowerLeg)
		a := L(ankle[i])
		o.box(a.x, a.y-0.06*k, a.z-0.045*k, 0.045*k, 0.12*k, 0.035*k)
	}
}
