package pascal

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"allnet/data"
	"allnet/data/internal/fixturetest"
)

// The fixture tree ../testdata/PASCAL_MT and the values
// Multi-Task-Learning-PyTorch's PASCALContext decodes from it
// (../testdata/expected.json) are written by
// scripts/fixtures/gen_dataset_fixtures.py.

var fixtureRoot = filepath.Join("..", "testdata", "PASCAL_MT")

type pascalSample struct {
	Size  [2]int
	Image struct {
		Tol    float64
		Pixels []fixturetest.Pixel
	}
	Semseg, Parts []int32
	Edge, Sal     []float32
	Normals       struct {
		Pixels []fixturetest.Pixel
		Valid  int
	}
}

type thinCase struct {
	H, W    int
	In, Out []int
}

type laplacianCase struct {
	H, W         int
	Labels, Mask []int32
	Edge         []float32
}

type expected struct {
	Pascal    map[string]pascalSample
	Thin      []thinCase
	Laplacian []laplacianCase
}

func loadExpected(t testing.TB) expected {
	t.Helper()
	var e expected
	fixturetest.ReadExpected(t, &e)
	require.Len(t, e.Pascal, 3)
	require.Len(t, e.Thin, 3)
	require.Len(t, e.Laplacian, 5)
	return e
}

// loadAll opens both splits and returns every sample by name.
func loadAll(t testing.TB, root string) map[string]*data.Sample {
	t.Helper()
	return fixturetest.LoadAll(t, func(split string) (data.Dataset, error) { return Open(root, split, Options{}) })
}

func TestFixtures(t *testing.T) {
	exp := loadExpected(t).Pascal
	got := loadAll(t, fixtureRoot)
	require.Len(t, got, len(exp))
	for name, e := range exp {
		s := got[name]
		require.NotNil(t, s, name)
		h, w := e.Size[0], e.Size[1]
		hw := h * w
		require.Equal(t, [2]int{h, w}, [2]int{s.H(), s.W()}, name)
		fixturetest.CheckImage(t, name, s.Image, e.Image.Pixels, e.Image.Tol)
		assert.Equal(t, e.Semseg, s.Semseg, name+" semseg")
		assert.Equal(t, e.Parts, s.Parts, name+" parts")
		assert.Equal(t, e.Edge, s.Edge, name+" edge")
		assert.Equal(t, e.Sal, s.Sal, name+" sal")
		assert.Nil(t, s.Depth)
		valid := 0
		for i := range hw {
			x, y, z := float64(s.Normals[i]), float64(s.Normals[hw+i]), float64(s.Normals[2*hw+i])
			l := math.Sqrt(x*x + y*y + z*z)
			if l == 0 {
				continue
			}
			valid++
			require.InDelta(t, 1, l, 1e-6, "%s normal length at %d", name, i)
		}
		assert.Equal(t, e.Normals.Valid, valid, name+" valid normals")
		fixturetest.CheckNormals(t, name, s.Normals, h, w, e.Normals.Pixels)
	}
	// What the fixtures hold (see the generator): parts ignored without
	// part labels, background on unlabelled person pixels.
	for i, v := range got["2008_000003"].Parts {
		require.Equal(t, int32(data.Ignore), v, "no person of positive area: pixel %d", i)
	}
	for i, v := range got["2008_000007"].Parts {
		require.Equal(t, int32(data.Ignore), v, "a person without parts: pixel %d", i)
	}
	p := got["2008_000002"].Parts
	at := func(x, y int) int32 { return p[y*28+x] }
	assert.Equal(t, int32(1), at(6, 2), "hair")
	assert.Equal(t, int32(2), at(7, 6), "neck")
	assert.Equal(t, int32(3), at(3, 9), "luarm painted over the torso")
	assert.Equal(t, int32(4), at(11, 13), "lhand")
	assert.Equal(t, int32(6), at(5, 17), "rfoot")
	assert.Equal(t, int32(0), at(8, 15), "person pixel without a part")
	assert.Equal(t, int32(0), at(17, 13), "dog head is not a person part")
	assert.Equal(t, int32(0), at(22, 3), "person whose parts are empty")
}

func TestInfo(t *testing.T) {
	d, err := Open(fixtureRoot, "val", Options{})
	require.NoError(t, err)
	assert.Equal(t, data.Info{Dataset: "pascal", Split: "val", Root: fixtureRoot,
		Tasks: []string{"semseg", "normals", "edge", "sal", "parts"}, Classes: 21}, d.Info())
	assert.Equal(t, 1, d.Len())
	assert.Equal(t, "2008_000007", d.Name(0))
	_, err = d.Load(-1)
	assert.EqualError(t, err, "pascal: sample -1 out of range: the val split has 1")
}

func TestPartGroup(t *testing.T) {
	for name, want := range map[string]int32{
		"head": 1, "hair": 1, "leye": 1, "rear": 1, "lebrow": 1, "nose": 1, "mouth": 1,
		"torso": 2, "neck": 2, "luarm": 3, "ruarm": 3, "llarm": 4, "rlarm": 4, "lhand": 4,
		"rhand": 4, "luleg": 5, "ruleg": 5, "llleg": 6, "rlleg": 6, "lfoot": 6, "rfoot": 6,
	} {
		g, ok := PartGroup(name)
		assert.True(t, ok, name)
		assert.Equal(t, want, g, name)
	}
	assert.Len(t, partGroup, 24)
	_, ok := PartGroup("tail")
	assert.False(t, ok)
	assert.Equal(t, "lower legs", PartNames[6])
}

func TestNormalsValid(t *testing.T) {
	for id, name := range map[int32]string{440: "wall", 158: "floor", 68: "ceiling", 284: "person",
		368: "sofa", 427: "tvmonitor", 18: "bed", 72: "chair", 397: "table", 454: "window"} {
		assert.True(t, NormalsValid(id), name)
	}
	for id, name := range map[int32]string{0: "unlabelled", 360: "sky", 187: "grass", 324: "road",
		420: "tree", 431: "unknown", 459: "wool", 460: "out of range", -1: "negative"} {
		assert.False(t, NormalsValid(id), name)
	}
	n := 0
	for _, v := range normalsValid {
		if v {
			n++
		}
	}
	assert.Equal(t, 170, n)
}

func TestThinMatchesSkimage(t *testing.T) {
	for i, c := range loadExpected(t).Thin {
		img := make([]bool, len(c.In))
		for k, v := range c.In {
			img[k] = v != 0
		}
		thin(img, c.H, c.W)
		got := make([]int, len(img))
		for k, v := range img {
			if v {
				got[k] = 1
			}
		}
		assert.Equal(t, c.Out, got, "case %d", i)
	}
	// The example of skimage.morphology.thin's documentation.
	in := []string{
		".#.....",
		"..###..",
		"..###..",
		"..###..",
		"..###..",
		"..###..",
		".......",
	}
	want := []string{
		".#.....",
		"..#....",
		"...#...",
		"...#...",
		"...#...",
		".......",
		".......",
	}
	img := make([]bool, 49)
	for y, r := range in {
		for x, ch := range r {
			img[y*7+x] = ch == '#'
		}
	}
	thin(img, 7, 7)
	for y, r := range want {
		for x, ch := range r {
			assert.Equal(t, ch == '#', img[y*7+x], "(%d,%d)", x, y)
		}
	}
}

// Random labels 0..2 make neighbour differences cancel often, at the
// borders too, which tells reflect-101 from other borders.
func TestLaplacianMatchesReference(t *testing.T) {
	for i, c := range loadExpected(t).Laplacian {
		m := laplacianMask(c.Labels, c.H, c.W)
		got := make([]int32, len(m))
		for k, v := range m {
			if v {
				got[k] = 1
			}
		}
		assert.Equal(t, c.Mask, got, "case %d mask", i)
		assert.Equal(t, c.Edge, edgesFromLabels(c.Labels, c.H, c.W), "case %d edges", i)
	}
}

func TestLaplacianMask(t *testing.T) {
	// One row 4 5 6 7 7: the interior of a linear ramp cancels (the
	// Laplacian is 0), so only its ends are marked; reflect-101 borders.
	got := laplacianMask([]int32{4, 5, 6, 7, 7}, 1, 5)
	assert.Equal(t, []bool{true, false, false, true, false}, got)
	// Two regions: both sides of the boundary are marked.
	got = laplacianMask([]int32{1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2}, 2, 6)
	assert.Equal(t, []bool{false, false, true, true, false, false, false, false, true, true, false, false}, got)
	// Thinning keeps one line of the two-pixel band, the left one, and (the
	// image border counting as background) drops its end pixel at the top,
	// as skimage's thin does.
	var lm []int32
	for range 5 {
		lm = append(lm, 1, 1, 1, 2, 2, 2)
	}
	e := edgesFromLabels(lm, 5, 6)
	want := make([]float32, 30)
	for y := 1; y < 5; y++ {
		want[y*6+2] = 1
	}
	assert.Equal(t, want, e)
}
