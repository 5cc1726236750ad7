package synth

import (
	"math"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

// render draws scene (seed, index); quick skips shadows and antialiasing,
// which only touch RGB.
func render(t testing.TB, cfg Config, seed uint64, index int, quick bool) (*Scene, *Frame) {
	t.Helper()
	cfg.NoShadows, cfg.NoAntialias = quick, quick
	sc, err := NewScene(cfg, seed, index)
	require.NoError(t, err)
	return sc, sc.Render()
}

// camRay is the camera-frame direction of pixel (x, y), z = 1.
func camRay(f *Frame, x, y int) vec3 {
	fx, fy, cx, cy := Intrinsics(f.Image.H, f.Image.W)
	return v3((float64(x)-cx)/fx, (float64(y)-cy)/fy, 1)
}

func normalAt(f *Frame, i int) vec3 {
	n := f.Image.H * f.Image.W
	return v3(float64(f.Normals[i]), float64(f.Normals[n+i]), float64(f.Normals[2*n+i]))
}

// upFromAngles is world up in camera coordinates, written from the camera's
// angles alone (yaw does not matter).
func upFromAngles(c Camera) vec3 {
	return v3(-math.Sin(c.Roll)*math.Cos(c.Pitch), -math.Cos(c.Roll)*math.Cos(c.Pitch), math.Sin(c.Pitch))
}

func TestConfig(t *testing.T) {
	c, err := Config{}.withDefaults()
	require.NoError(t, err)
	require.Equal(t, LikeNYUD, c.Like)
	require.Equal(t, [2]int{288, 384}, [2]int{c.H, c.W})
	for _, bad := range []Config{{Like: "kitti"}, {H: 4, W: 100}, {H: 100, W: 0}, {MinObjects: 5, MaxObjects: 2}} {
		_, err := Render(bad, 0, 0)
		require.Error(t, err, "%+v", bad)
	}
	_, err = Render(Config{}, 0, -1)
	require.Error(t, err)
	require.Equal(t, "synth_000123", Name(123))
	require.Equal(t, []string{"semseg", "depth", "normals", "edge"}, Tasks(LikeNYUD))
	require.Equal(t, []string{"semseg", "parts", "sal", "normals", "edge"}, Tasks(LikePASCAL))
	require.Equal(t, 13, NumClasses(LikeNYUD))
	require.Equal(t, 21, NumClasses(LikePASCAL))
	require.Equal(t, "person", VOCClasses[VOCPerson])
	require.Equal(t, "tvmonitor", VOCClasses[VOCTVMonitor])
	require.Equal(t, "window", NYUClasses[NYUWindow])
}

func TestIntrinsics(t *testing.T) {
	fx, fy, cx, cy := Intrinsics(480, 640)
	require.InDeltaSlice(t, []float64{518.8579, 519.4696, 325.5824, 253.7362}, []float64{fx, fy, cx, cy}, 1e-9)
	fx, fy, cx, cy = Intrinsics(288, 384)
	require.InDeltaSlice(t, []float64{518.8579 * 0.6, 519.4696 * 0.6, 325.5824*0.6 - 0.2, 253.7362*0.6 - 0.2}, []float64{fx, fy, cx, cy}, 1e-9)
}

// TestSampleTasks checks which tasks each variant fills and their sizes.
func TestSampleTasks(t *testing.T) {
	for _, like := range []string{LikeNYUD, LikePASCAL} {
		s, err := Render(Config{Like: like, H: 60, W: 80}, 1, 123)
		require.NoError(t, err)
		require.Equal(t, "synth_000123", s.Name)
		require.NoError(t, s.Image.Check())
		require.Equal(t, [3]int{3, 60, 80}, [3]int{s.Image.C, s.H(), s.W()})
		n := 60 * 80
		require.Len(t, s.Semseg, n)
		require.Len(t, s.Normals, 3*n)
		require.Len(t, s.Edge, n)
		if like == LikeNYUD {
			require.Len(t, s.Depth, n)
			require.Nil(t, s.Sal)
			require.Nil(t, s.Parts)
		} else {
			require.Nil(t, s.Depth)
			require.Len(t, s.Sal, n)
			require.Len(t, s.Parts, n)
		}
	}
}

// TestShellDepthAndNormals checks floor and ceiling pixels against the
// analytic z-depth of a plane at height 0 (Room[2]) seen from the camera:
// a point z*(u, v, 1) lies on the floor when up . z(u, v, 1) = -height, and
// their normals against world up in camera coordinates from the angles.
func TestShellDepthAndNormals(t *testing.T) {
	floor, ceil := 0, 0
	for idx := 0; idx < 6; idx++ {
		sc, f := render(t, Config{H: 120, W: 160}, 2, idx, true)
		up := upFromAngles(sc.Camera)
		got, want := sc.Camera.Up(), up.arr()
		require.InDeltaSlice(t, want[:], got[:], 1e-12, "Camera.Up")
		h := sc.Camera.Pos[2]
		W := f.Image.W
		for i, inst := range f.Instance {
			x, y := i%W, i/W
			d := camRay(f, x, y)
			var want float64
			var wantN vec3
			switch sc.Instances[inst].Kind {
			case "floor":
				want, wantN = -h/up.dot(d), up
				floor++
			case "ceiling":
				want, wantN = (sc.Room[2]-h)/up.dot(d), up.mul(-1)
				ceil++
			default:
				continue
			}
			if got := float64(f.Depth[i]); math.Abs(got-want) > 2e-6*want {
				t.Fatalf("scene %d pixel (%d,%d) %s: depth %v, want %v", idx, x, y, sc.Instances[inst].Kind, got, want)
			}
			if n := normalAt(f, i); n.sub(wantN).len() > 2e-6 {
				t.Fatalf("scene %d pixel (%d,%d) %s: normal %v, want %v", idx, x, y, sc.Instances[inst].Kind, n, wantN)
			}
		}
	}
	require.Greater(t, floor, 6*120*160/10, "too few floor pixels")
	require.Greater(t, ceil, 100, "too few ceiling pixels")
}

// TestNormalsUnitFacing checks every normal is unit length and faces the
// camera.
func TestNormalsUnitFacing(t *testing.T) {
	for _, like := range []string{LikeNYUD, LikePASCAL} {
		for idx := 0; idx < 3; idx++ {
			_, f := render(t, Config{Like: like, H: 90, W: 120}, 3, idx, true)
			for i := range f.Depth {
				n := normalAt(f, i)
				d := camRay(f, i%f.Image.W, i/f.Image.W)
				if math.Abs(n.len()-1) > 1e-6 || n.dot(d) >= 0 || f.Depth[i] < 0.05 {
					t.Fatalf("%s scene %d pixel %d: normal %v (length %v) for ray %v, depth %v", like, idx, i, n, n.len(), d, f.Depth[i])
				}
			}
		}
	}
}

// TestNormalsMatchDepth estimates normals from depth by finite differences
// of the back-projected points and compares them with the rendered normals
// on planes: the room shell, and object pixels whose 3x3 neighbourhood is
// one primitive with one rendered normal (a flat face).
func TestNormalsMatchDepth(t *testing.T) {
	for idx := 0; idx < 4; idx++ {
		sc, f := render(t, Config{Like: []string{LikeNYUD, LikePASCAL}[idx%2]}, 4, idx, true)
		W, H := f.Image.W, f.Image.H
		P := func(x, y int) vec3 { return camRay(f, x, y).mul(float64(f.Depth[y*W+x])) }
		var shellMax float64
		var other []float64
		for y := 1; y < H-1; y++ {
			for x := 1; x < W-1; x++ {
				i := y*W + x
				same := true
				for _, j := range []int{i - W - 1, i - W, i - W + 1, i - 1, i + 1, i + W - 1, i + W, i + W + 1} {
					same = same && f.Instance[j] == f.Instance[i] && f.prim[j] == f.prim[i] &&
						normalAt(f, j).dot(normalAt(f, i)) > 1-1e-9
				}
				if !same {
					continue
				}
				n := P(x+1, y).sub(P(x-1, y)).cross(P(x, y+1).sub(P(x, y-1))).unit()
				if n.dot(camRay(f, x, y)) > 0 {
					n = n.mul(-1)
				}
				ang := math.Acos(clamp(n.dot(normalAt(f, i)), -1, 1)) * 180 / math.Pi
				if !sc.Instances[f.Instance[i]].Salient && f.Instance[i] < 6 {
					shellMax = math.Max(shellMax, ang)
				} else {
					other = append(other, ang)
				}
			}
		}
		require.Less(t, shellMax, 0.5, "scene %d: room shell normals disagree with depth by %.3f deg", idx, shellMax)
		if len(other) > 0 {
			within := 0
			for _, a := range other {
				if a < 1 {
					within++
				}
			}
			require.Greater(t, float64(within)/float64(len(other)), 0.995, "scene %d: object normals vs depth (%d pixels)", idx, len(other))
		}
	}
}

// TestLabels checks class ranges, the edge map against label changes, and
// saliency against the objects, for both variants.
func TestLabels(t *testing.T) {
	shell := map[int32]bool{NYUFloor: true, NYUCeiling: true, NYUWall: true, NYUWindow: true, NYUPainting: true}
	for _, like := range []string{LikeNYUD, LikePASCAL} {
		for idx := 0; idx < 4; idx++ {
			sc, f := render(t, Config{Like: like, H: 120, W: 160}, 6, idx, true)
			W, H := f.Image.W, f.Image.H
			K := int32(NumClasses(like))
			edges := 0
			for i := range f.Semseg {
				x, y := i%W, i/W
				c := f.Semseg[i]
				if c < 0 || c >= K || int32(sc.Instances[f.Instance[i]].Class) != c {
					t.Fatalf("%s scene %d (%d,%d): class %d, instance class %d", like, idx, x, y, c, sc.Instances[f.Instance[i]].Class)
				}
				diff := func(j int) bool { return f.Semseg[j] != c || f.Instance[j] != f.Instance[i] }
				want := (x+1 < W && diff(i+1)) || (y+1 < H && diff(i+W))
				if e := f.Edge[i]; (e != 0 && e != 1) || want != (e == 1) {
					t.Fatalf("%s scene %d (%d,%d): edge %v, want %v", like, idx, x, y, e, want)
				}
				if f.Edge[i] == 1 {
					edges++
				}
				salient := f.Sal[i] == 1
				if salient != sc.Instances[f.Instance[i]].Salient || (f.Sal[i] != 0 && !salient) {
					t.Fatalf("%s scene %d (%d,%d): sal %v for %+v", like, idx, x, y, f.Sal[i], sc.Instances[f.Instance[i]])
				}
				if like == LikeNYUD && (salient == shell[c] || f.Parts[i] != 0) {
					t.Fatalf("nyud scene %d (%d,%d): class %s salient %v part %d", idx, x, y, NYUClasses[c], salient, f.Parts[i])
				}
				if like == LikePASCAL && c != VOCBackground && !salient {
					t.Fatalf("pascal scene %d (%d,%d): object class %s not salient", idx, x, y, VOCClasses[c])
				}
			}
			frac := float64(edges) / float64(W*H)
			require.True(t, frac > 0.005 && frac < 0.12, "edge fraction %v", frac)
		}
	}
}

// TestPersonParts checks the PASCAL-like figure: all six parts visible in
// most scenes, parts exactly on person pixels.
func TestPersonParts(t *testing.T) {
	full := 0
	const scenes = 20
	for idx := 0; idx < scenes; idx++ {
		_, f := render(t, Config{Like: LikePASCAL, H: 180, W: 240}, 8, idx, true)
		var count [7]int
		for i, p := range f.Parts {
			if p < 0 || p > 6 || (p > 0) != (f.Semseg[i] == VOCPerson) {
				t.Fatalf("scene %d pixel %d: part %d, class %d", idx, i, p, f.Semseg[i])
			}
			count[p]++
		}
		all := true
		for p := 1; p <= 6; p++ {
			all = all && count[p] >= 10
		}
		t.Logf("scene %d: part pixels %v", idx, count[1:])
		if all {
			full++
		}
	}
	require.GreaterOrEqual(t, full, scenes*8/10, "scenes with all six parts visible")
}

// TestDeterminism: the same (seed, index) gives identical samples whatever
// the worker count; other seeds or indices differ; the scene does not depend
// on the image size.
func TestDeterminism(t *testing.T) {
	for _, like := range []string{LikeNYUD, LikePASCAL} {
		a, err := Render(Config{Like: like, H: 72, W: 96, Workers: 1}, 9, 17)
		require.NoError(t, err)
		b, err := Render(Config{Like: like, H: 72, W: 96, Workers: 3}, 9, 17)
		require.NoError(t, err)
		require.True(t, reflect.DeepEqual(a, b), "%s: renders differ between runs", like)
		c, _ := Render(Config{Like: like, H: 72, W: 96}, 9, 18)
		d, _ := Render(Config{Like: like, H: 72, W: 96}, 10, 17)
		require.NotEqual(t, a.Image.Pix, c.Image.Pix)
		require.NotEqual(t, a.Image.Pix, d.Image.Pix)
		s1, _ := NewScene(Config{Like: like, H: 72, W: 96}, 9, 17)
		s2, _ := NewScene(Config{Like: like, H: 480, W: 640}, 9, 17)
		require.Equal(t, s1.Instances, s2.Instances)
		require.Equal(t, s1.Camera, s2.Camera)
		require.Equal(t, s1.prims, s2.prims)
	}
}

// TestImage checks the RGB image is in range and not degenerate.
func TestImage(t *testing.T) {
	for _, like := range []string{LikeNYUD, LikePASCAL} {
		for idx := 0; idx < 3; idx++ {
			_, f := render(t, Config{Like: like, H: 96, W: 128}, 12, idx, false)
			n := 96 * 128
			for c := 0; c < 3; c++ {
				var s, s2 float64
				for _, v := range f.Image.Pix[c*n : (c+1)*n] {
					require.True(t, v >= 0 && v <= 1)
					s += float64(v)
					s2 += float64(v) * float64(v)
				}
				mean := s / float64(n)
				std := math.Sqrt(s2/float64(n) - mean*mean)
				require.True(t, mean > 0.15 && mean < 0.85, "channel %d mean %v", c, mean)
				require.Greater(t, std, 0.03, "channel %d std", c)
			}
		}
	}
}
