package nyud

import (
	"fmt"
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"allnet/data"
	"allnet/data/internal/fixturetest"
)

// The fixture tree ../testdata/NYUD_MT and the values the multi-task
// codebases decode from it (../testdata/expected.json) are written by
// scripts/fixtures/gen_dataset_fixtures.py.

var fixtureRoot = filepath.Join("..", "testdata", "NYUD_MT")

type nyudSample struct {
	Size  [2]int
	Image struct {
		Ext    string
		Tol    float64
		Pixels []fixturetest.Pixel
	}
	Semseg40 []int32
	Semseg13 []int32
	Depth    struct {
		Pixels   []fixturetest.Pixel
		Invalid  int
		MinValid float64 `json:"min_valid"`
	}
	Normals struct {
		Ext     string
		Pixels  []fixturetest.Pixel
		Invalid int
	}
	Edge struct {
		Ext    string
		Sum    float64
		Pixels []fixturetest.Pixel
	}
}

func loadExpected(t testing.TB) map[string]nyudSample {
	t.Helper()
	var e struct{ Nyud map[string]nyudSample }
	fixturetest.ReadExpected(t, &e)
	require.Len(t, e.Nyud, 3)
	return e.Nyud
}

// loadAll opens both splits and returns every sample by name.
func loadAll(t testing.TB, root string, opts Options) map[string]*data.Sample {
	t.Helper()
	return fixturetest.LoadAll(t, func(split string) (data.Dataset, error) { return Open(root, split, opts) })
}

func countZero(v []float32, c int) int {
	hw := len(v) / c
	n := 0
	for i := range hw {
		zero := true
		for k := range c {
			zero = zero && v[k*hw+i] == 0
		}
		if zero {
			n++
		}
	}
	return n
}

// At the native size (24x32) the resizers are the identity, so Load gives
// the decoded values themselves.
func TestFixturesNative(t *testing.T) {
	exp := loadExpected(t)
	for _, classes := range []int{40, 13} {
		got := loadAll(t, fixtureRoot, Options{Classes: classes, Size: [2]int{24, 32}})
		require.Len(t, got, len(exp))
		for name, e := range exp {
			s := got[name]
			require.NotNil(t, s, name)
			h, w := e.Size[0], e.Size[1]
			require.Equal(t, [2]int{h, w}, [2]int{s.H(), s.W()})
			fixturetest.CheckImage(t, name, s.Image, e.Image.Pixels, e.Image.Tol)
			if classes == 40 {
				assert.Equal(t, e.Semseg40, s.Semseg, name)
			} else {
				assert.Equal(t, e.Semseg13, s.Semseg, name)
			}
			for _, p := range e.Depth.Pixels {
				assert.InDelta(t, p.V[0], float64(s.Depth[p.Y*w+p.X]), 1e-6, "%s depth (%d,%d)", name, p.X, p.Y)
			}
			assert.Equal(t, e.Depth.Invalid, countZero(s.Depth, 1), name+" invalid depth")
			fixturetest.CheckNormals(t, name, s.Normals, h, w, e.Normals.Pixels)
			assert.Equal(t, e.Normals.Invalid, countZero(s.Normals, 3), name+" invalid normals")
			sum := 0.0
			for _, v := range s.Edge {
				sum += float64(v)
			}
			assert.Equal(t, e.Edge.Sum, sum, name+" edge sum")
			for _, p := range e.Edge.Pixels {
				assert.Equal(t, p.V[0], float64(s.Edge[p.Y*w+p.X]), "%s edge (%d,%d)", name, p.X, p.Y)
			}
		}
	}
}

func TestMap40To13(t *testing.T) {
	by := func(name string) int {
		for i, n := range Classes40 {
			if n == name {
				return i
			}
		}
		t.Fatalf("no class %q", name)
		return -1
	}
	for from, to := range map[string]string{
		"wall": "wall", "floor": "floor", "bed": "bed", "chair": "chair", "sofa": "sofa",
		"table": "table", "window": "window", "ceiling": "ceiling", "books": "books",
		"picture": "picture", "television": "tv", "door": "wall", "blinds": "window",
		"curtain": "window", "desk": "table", "floor mat": "floor", "cabinet": "furniture",
		"bookshelf": "furniture", "night stand": "furniture", "otherfurniture": "furniture",
		"pillow": "objects", "person": "objects", "otherprop": "objects", "otherstructure": "objects",
	} {
		assert.Equal(t, to, Classes13[Map40To13[by(from)]], from)
	}
	hit := map[int32]int{}
	for _, v := range Map40To13 {
		hit[v]++
	}
	assert.Len(t, hit, 13, "every 13-class label is reached")
	assert.Equal(t, 8, hit[5], "furniture")
	assert.Equal(t, 16, hit[6], "objects")
}

func TestInfo(t *testing.T) {
	d, err := Open(fixtureRoot, "train", Options{})
	require.NoError(t, err)
	assert.Equal(t, data.Info{Dataset: "nyud", Split: "train", Root: fixtureRoot,
		Tasks: []string{"semseg", "depth", "normals", "edge"}, Classes: 13, Size: [2]int{288, 384}}, d.Info())
	assert.Equal(t, 2, d.Len())
	assert.Equal(t, "0002", d.Name(1))
	_, err = d.Load(2)
	assert.EqualError(t, err, "nyud: sample 2 out of range: the train split has 2")
}

// At 288x384 (12x the fixtures' 24x32) every task keeps its meaning.
func TestFixturesWorkingResolution(t *testing.T) {
	exp := loadExpected(t)
	got := loadAll(t, fixtureRoot, Options{})
	const H, W = 288, 384
	for name, s := range got {
		require.Equal(t, [2]int{H, W}, [2]int{s.H(), s.W()}, name)
		require.NoError(t, s.Image.Check())
		require.Len(t, s.Semseg, H*W)
		require.Len(t, s.Depth, H*W)
		require.Len(t, s.Normals, 3*H*W)
		require.Len(t, s.Edge, H*W)
		for _, v := range s.Image.Pix {
			if v < 0 || v > 1 {
				t.Fatalf("%s: image value %v", name, v)
			}
		}
		for _, v := range s.Semseg {
			if (v < 0 || v >= 13) && v != data.Ignore {
				t.Fatalf("%s: label %d", name, v)
			}
		}
		// Valid depths are means of valid inputs: never pulled toward 0.
		lo := float32(exp[name].Depth.MinValid)
		for i, v := range s.Depth {
			if v != 0 && v < lo-1e-5 {
				t.Fatalf("%s: depth %v at %d below the smallest valid input %v", name, v, i, lo)
			}
		}
		for i := range H * W {
			x, y, z := s.Normals[i], s.Normals[H*W+i], s.Normals[2*H*W+i]
			if l := math.Sqrt(float64(x*x + y*y + z*z)); l != 0 && math.Abs(l-1) > 1e-5 {
				t.Fatalf("%s: normal length %v at %d", name, l, i)
			}
		}
	}
	// 0001: depth invalid on native rows 8..15, columns 10..19; normals zero
	// on rows 4..9, columns 20..27. Inside (half a native pixel from the
	// border) the output is invalid; a native pixel away from it, valid.
	s := got["0001"]
	inside := func(y, x, y0, y1, x0, x1 int) bool {
		return y >= y0*12+6 && y < y1*12-6 && x >= x0*12+6 && x < x1*12-6
	}
	near := func(y, x, y0, y1, x0, x1 int) bool {
		return y >= (y0-1)*12 && y < (y1+1)*12 && x >= (x0-1)*12 && x < (x1+1)*12
	}
	var nd, nn int
	for y := range H {
		for x := range W {
			i := y*W + x
			if in := inside(y, x, 8, 16, 10, 20); in || !near(y, x, 8, 16, 10, 20) {
				if (s.Depth[i] == 0) != in {
					t.Fatalf("depth (%d,%d) = %v: want invalid %v", x, y, s.Depth[i], in)
				}
				if in {
					nd++
				}
			}
			if in := inside(y, x, 4, 10, 20, 28); in || !near(y, x, 4, 10, 20, 28) {
				if (s.Normals[2*H*W+i] == 0) != in {
					t.Fatalf("normal z (%d,%d) = %v: want invalid %v", x, y, s.Normals[2*H*W+i], in)
				}
				if in {
					nn++
				}
			}
		}
	}
	assert.Equal(t, (8*12-12)*(10*12-12), nd)
	assert.Equal(t, (6*12-12)*(8*12-12), nn)
	// The invalid region keeps about its area (threshold 0.5 on the mask).
	assert.InDelta(t, 80*144, countZero(s.Depth, 1), 2*(8+10)*12)
	// Labels by nearest neighbour: output (y, x) takes native (y/12, x/12).
	native := loadAll(t, fixtureRoot, Options{Size: [2]int{24, 32}})["0001"]
	for y := 0; y < H; y += 7 {
		for x := 0; x < W; x += 5 {
			require.Equal(t, native.Semseg[(y/12)*32+x/12], s.Semseg[y*W+x])
			require.Equal(t, native.Edge[(y/12)*32+x/12], s.Edge[y*W+x])
		}
	}
}

func TestLoadConcurrent(t *testing.T) {
	d, err := Open(fixtureRoot, "train", Options{Size: [2]int{48, 64}})
	require.NoError(t, err)
	want := make([]*data.Sample, d.Len())
	for i := range want {
		want[i], err = d.Load(i)
		require.NoError(t, err)
	}
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			s, err := d.Load(g % d.Len())
			if err == nil && fmt.Sprint(s.Depth) != fmt.Sprint(want[g%d.Len()].Depth) {
				err = fmt.Errorf("sample %d differs", g%d.Len())
			}
			errs <- err
		}()
	}
	for range 8 {
		require.NoError(t, <-errs)
	}
}
