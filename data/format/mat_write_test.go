package format

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"allnet/data"
)

// The PASCAL_MT files the synthetic writer produces, built with the
// constructors, read back with ReadMat as the PASCAL loader reads them.
func TestWriteMatPascalRoundTrip(t *testing.T) {
	h, w := 3, 5
	lm := []uint16{0, 1, 2, 3, 4, 65535, 6, 7, 8, 9, 10, 11, 12, 13, 440}
	maskA := []bool{true, false, false, true, true, false, false, false, false, false, true, true, true, true, false}
	maskB := slices.Clone(maskA)
	slices.Reverse(maskB)
	partT := []string{"part_name", "mask"}
	objT := []string{"class", "class_ind", "mask", "parts"}
	objects := MatStructRow(objT,
		[]*MatValue{MatString("person"), MatDoubleScalar(15), MatLogicalMatrix(h, w, maskA),
			MatStructRow(partT,
				[]*MatValue{MatString("head"), MatLogicalMatrix(h, w, maskB)},
				[]*MatValue{MatString("rlleg"), MatLogicalMatrix(h, w, maskA)})},
		[]*MatValue{MatString("chair"), MatDoubleScalar(9), MatLogicalMatrix(h, w, maskB), MatStructRow(partT)},
	)
	anno := MatStructRow([]string{"imname", "objects"}, []*MatValue{MatString("synth_000001"), objects})

	for _, compress := range []bool{false, true} {
		dir := t.TempDir()
		path := filepath.Join(dir, "x.mat")
		require.NoError(t, WriteMat(path, compress, MatUint16Matrix(h, w, lm).Named("LabelMap"), anno.Named("anno")))
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		first := binary.LittleEndian.Uint32(b[128:])
		if compress {
			assert.Equal(t, uint32(miCOMPRESSED), first)
		} else {
			assert.Equal(t, uint32(miMATRIX), first)
		}
		f, err := ReadMat(path)
		require.NoError(t, err)
		assert.Equal(t, []string{"LabelMap", "anno"}, f.Names)
		assert.False(t, f.BigEndian)

		v, err := f.Var("LabelMap")
		require.NoError(t, err)
		assert.Equal(t, MatUint16, v.Class)
		gh, gw, got, err := v.Int32Matrix()
		require.NoError(t, err)
		require.Equal(t, []int{h, w}, []int{gh, gw})
		for i := range lm {
			assert.Equal(t, int32(lm[i]), got[i], "LabelMap[%d]", i)
		}

		a, err := f.Var("anno")
		require.NoError(t, err)
		im, err := a.Field("imname")
		require.NoError(t, err)
		s, err := im.Text()
		require.NoError(t, err)
		assert.Equal(t, "synth_000001", s)
		objs, err := a.Field("objects")
		require.NoError(t, err)
		require.Equal(t, []int{1, 2}, objs.Dims)
		type part struct {
			name string
			mask []int32
		}
		want := []struct {
			class string
			ind   float64
			mask  []bool
			parts []part
		}{
			{"person", 15, maskA, []part{{"head", bools(maskB)}, {"rlleg", bools(maskA)}}},
			{"chair", 9, maskB, nil},
		}
		for i, wo := range want {
			o, err := objs.Index(i)
			require.NoError(t, err)
			c, err := o.Field("class")
			require.NoError(t, err)
			cs, err := c.Text()
			require.NoError(t, err)
			assert.Equal(t, wo.class, cs)
			ci, err := o.Field("class_ind")
			require.NoError(t, err)
			assert.Equal(t, []float64{wo.ind}, ci.Real)
			m, err := o.Field("mask")
			require.NoError(t, err)
			assert.True(t, m.Logical)
			_, _, mv, err := m.Int32Matrix()
			require.NoError(t, err)
			assert.Equal(t, bools(wo.mask), mv)
			ps, err := o.Field("parts")
			require.NoError(t, err)
			assert.Equal(t, partT, ps.Fields)
			require.Equal(t, len(wo.parts), ps.Len())
			for j, wp := range wo.parts {
				p, err := ps.Index(j)
				require.NoError(t, err)
				pn, err := p.Field("part_name")
				require.NoError(t, err)
				name, err := pn.Text()
				require.NoError(t, err)
				assert.Equal(t, wp.name, name)
				pm, err := p.Field("mask")
				require.NoError(t, err)
				_, _, pmv, err := pm.Int32Matrix()
				require.NoError(t, err)
				assert.Equal(t, wp.mask, pmv)
			}
		}
	}
}

func bools(b []bool) []int32 {
	out := make([]int32, len(b))
	for i, v := range b {
		if v {
			out[i] = 1
		}
	}
	return out
}

// Every variable of the scipy/MATLAB fixtures (except the sparse ones, which
// the writer does not support) survives a write and a read: the values the
// reader got from real files are exactly what it gets back from ours.
func TestWriteMatRewritesFixtures(t *testing.T) {
	e := loadExpected(t)
	for name, stem := range e.MatFiles {
		if stem == "sparse" {
			continue
		}
		f, err := ReadMat(testdata(name))
		require.NoError(t, err)
		var vars []*MatValue
		for _, vn := range f.Names {
			v, err := f.Var(vn)
			require.NoError(t, err)
			vars = append(vars, v)
		}
		for _, compress := range []bool{false, true} {
			b, err := EncodeMat(compress, vars...)
			require.NoError(t, err, name)
			g, err := DecodeMat(name, b)
			require.NoError(t, err, name)
			assert.Equal(t, f.Names, g.Names, name)
			for vn, want := range e.Mat[stem] {
				v, err := g.Var(vn)
				require.NoError(t, err)
				checkTree(t, name+":"+vn, v, want)
			}
		}
	}
}

func TestWriteMatEveryClass(t *testing.T) {
	vals := map[MatClass][]float64{
		MatDouble: {-1.5, math.Inf(1), 1e300, 0}, MatSingle: {-1.5, 3.25, 1e30, 0},
		MatInt8: {-128, 127, 0, 1}, MatUint8: {0, 255, 7, 1},
		MatInt16: {-32768, 32767, 0, 1}, MatUint16: {0, 65535, 7, 1},
		MatInt32: {math.MinInt32, math.MaxInt32, 0, 1}, MatUint32: {0, math.MaxUint32, 7, 1},
		MatInt64: {-(1 << 62), 1 << 53, 0, 1}, MatUint64: {0, 1 << 60, 7, 1},
	}
	var vars []*MatValue
	for c, v := range vals {
		vars = append(vars, MatNumeric(c, 2, 2, v).Named("v_"+c.String()))
	}
	cplx := MatNumeric(MatDouble, 1, 2, []float64{1, 2})
	cplx.Complex, cplx.Imag = true, []float64{-3, 4}
	cube := &MatValue{Class: MatInt16, Dims: []int{2, 1, 3}, Real: []float64{1, 2, 3, 4, 5, 6}}
	vars = append(vars, cplx.Named("z"), cube.Named("cube"),
		MatCellRow(MatString("héllo 😀"), MatString(""), MatCellRow(MatDoubleScalar(2))).Named("c"))
	b, err := EncodeMat(true, vars...)
	require.NoError(t, err)
	f, err := DecodeMat("every.mat", b)
	require.NoError(t, err)
	for c, want := range vals {
		v, err := f.Var("v_" + c.String())
		require.NoError(t, err)
		assert.Equal(t, c, v.Class)
		_, _, got, err := v.Float64Matrix()
		require.NoError(t, err)
		if c == MatSingle {
			for i := range want {
				want[i] = float64(float32(want[i]))
			}
		}
		assert.Equal(t, want, got, c.String())
	}
	z, _ := f.Var("z")
	assert.True(t, z.Complex)
	assert.Equal(t, []float64{1, 2}, z.Real)
	assert.Equal(t, []float64{-3, 4}, z.Imag)
	cb, _ := f.Var("cube")
	assert.Equal(t, []int{2, 1, 3}, cb.Dims)
	assert.Equal(t, []float64{1, 2, 3, 4, 5, 6}, cb.Real)
	cv, _ := f.Var("c")
	c0, err := cv.Index(0)
	require.NoError(t, err)
	s, err := c0.Text()
	require.NoError(t, err)
	assert.Equal(t, "héllo 😀", s)
	assert.Equal(t, []int{1, 8}, c0.Dims, "dimensions count UTF-16 code units, as MATLAB does")
	c1, _ := cv.Index(1)
	assert.Equal(t, []int{0, 0}, c1.Dims)
	c2, _ := cv.Index(2)
	in, err := c2.Index(0)
	require.NoError(t, err)
	assert.Equal(t, []float64{2}, in.Real)
}

func TestWriteMatErrors(t *testing.T) {
	ok := MatDoubleScalar(1)
	cases := []struct {
		vars []*MatValue
		want string
	}{
		{[]*MatValue{ok}, `variable name "": expected a letter`},
		{[]*MatValue{ok.Named("1x")}, `variable name "1x"`},
		{[]*MatValue{ok.Named("a"), ok.Named("a")}, `variable "a" given twice`},
		{[]*MatValue{MatNumeric(MatUint8, 1, 2, []float64{1, 256}).Named("u")}, "u: 1x2 uint8: value 256 at 1 does not fit the class"},
		{[]*MatValue{MatNumeric(MatInt32, 1, 1, []float64{0.5}).Named("i")}, "value 0.5 at 0 does not fit"},
		{[]*MatValue{MatNumeric(MatDouble, 2, 2, []float64{1}).Named("d")}, "d: 2x2 double: holds 1 values, expected 4"},
		{[]*MatValue{MatStructRow([]string{"a_field_name_that_is_much_too_long"}, []*MatValue{ok}).Named("s")}, `s: field name "a_field_name_that_is_much_too_long"`},
		{[]*MatValue{MatStructRow([]string{"a", "b"}, []*MatValue{ok}).Named("s")}, "s: 1x1 struct array of 2 fields holds 1 values, expected 2"},
		{[]*MatValue{MatCellRow(ok, nil).Named("c")}, "c{2}: nil element"},
		{[]*MatValue{(&MatValue{Class: MatSparse, Dims: []int{1, 1}}).Named("sp")}, "sp: cannot write a sparse array"},
	}
	for _, c := range cases {
		_, err := EncodeMat(false, c.vars...)
		assert.ErrorContains(t, err, c.want)
	}
	err := WriteMat(filepath.Join(t.TempDir(), "none", "x.mat"), false, ok.Named("x"))
	assert.ErrorContains(t, err, "none/x.mat")
}

func TestWriteImageJPEG(t *testing.T) {
	h, w := 16, 24
	im := data.NewImage(3, h, w)
	for c := range 3 {
		for y := range h {
			for x := range w {
				im.Set(c, x, y, float32(x+y+8*c)/float32(w+h+16))
			}
		}
	}
	path := filepath.Join(t.TempDir(), "a.jpg")
	require.NoError(t, WriteImageJPEG(path, im, 95))
	got, err := ReadImage(path)
	require.NoError(t, err)
	require.Equal(t, []int{3, h, w}, []int{got.C, got.H, got.W})
	var worst float64
	for i := range im.Pix {
		worst = max(worst, math.Abs(float64(got.Pix[i]-im.Pix[i])))
	}
	assert.Less(t, worst, 6.0/255, "a smooth image survives quality 95 within a few levels")
	assert.ErrorContains(t, WriteImageJPEG(path, data.NewImage(1, 2, 2), 95), "expected an RGB image of 3 channels, found 1")
	assert.ErrorContains(t, WriteImageJPEG(path, im, 0), "JPEG quality 0")
}
