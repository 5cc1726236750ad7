package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"allnet/engine/backend"
)

func init() {
	register("DCNv3", checkDCNv3)
	register("DCNv3Backward", checkDCNv3Backward)
}

// dcnCase is one test geometry with the spread of its random offsets.
type dcnCase struct {
	name   string
	g      backend.DCNv3Geom
	offStd float64
}

// dcnGeom builds a geometry whose output size follows the convolution rule.
func dcnGeom(n, h, w, groups, d, kh, kw, s, pad, dil int, scale float64) backend.DCNv3Geom {
	return backend.DCNv3Geom{
		N: n, H: h, W: w, G: groups, D: d, KH: kh, KW: kw,
		SH: s, SW: s, PH: pad, PW: pad, DH: dil, DW: dil,
		OH: (h+2*pad-dil*(kh-1)-1)/s + 1, OW: (w+2*pad-dil*(kw-1)-1)/s + 1,
		OffsetScale: scale,
	}
}

// dcnCases are the suite's geometries: the standard 3x3/s1/p1 block, a
// strided and dilated one without padding, and a non-square kernel (which
// pins the point order p = i*KH + j); offsets are large enough that points
// fall partly and wholly outside the image.
var dcnCases = []dcnCase{
	{"3x3s1p1", dcnGeom(2, 7, 9, 3, 5, 3, 3, 1, 1, 1, 1), 1.5},
	{"3x3s2p0d2", dcnGeom(2, 11, 10, 2, 6, 3, 3, 2, 0, 2, 0.7), 3},
	{"2x3s1p1", dcnGeom(2, 6, 5, 4, 3, 2, 3, 1, 1, 1, 1.3), 1.5},
}

// dcnInputs draws value, offset and mask for c, rounded to dt.
func dcnInputs(r *rand.Rand, dt backend.DType, c dcnCase) (value, offset, mask []float64) {
	g := c.g
	npix := g.N * g.OH * g.OW
	value = Rounded(dt, Randn(r, g.N*g.H*g.W*g.G*g.D, 1))
	offset = Rounded(dt, Randn(r, npix*g.G*g.P()*2, c.offStd))
	mask = Rounded(dt, Randn(r, npix*g.G*g.P(), 0.5))
	return value, offset, mask
}

// dcnLoc returns the sampling location of point (i, j) of output (oh, ow),
// written out from the DCNv3Geom doc comment.
func dcnLoc(g backend.DCNv3Geom, oh, ow, i, j int, offX, offY float64) (x, y float64) {
	cx := g.DW * (g.KW - 1) / 2
	cy := g.DH * (g.KH - 1) / 2
	x = float64(ow*g.SW-g.PW+cx) + (float64(i*g.DW-cx)+offX)*g.OffsetScale
	y = float64(oh*g.SH-g.PH+cy) + (float64(j*g.DH-cy)+offY)*g.OffsetScale
	return x, y
}

// dcnVisit calls fn for every (n, oh, ow, group, point i, point j) with the
// flat indices of the point's mask entry and output pixel.
func dcnVisit(g backend.DCNv3Geom, fn func(n, oh, ow, gi, i, j, p, pix int)) {
	for n := 0; n < g.N; n++ {
		for oh := 0; oh < g.OH; oh++ {
			for ow := 0; ow < g.OW; ow++ {
				pix := (n*g.OH+oh)*g.OW + ow
				for gi := 0; gi < g.G; gi++ {
					for i := 0; i < g.KW; i++ {
						for j := 0; j < g.KH; j++ {
							fn(n, oh, ow, gi, i, j, (pix*g.G+gi)*g.P()+i*g.KH+j, pix)
						}
					}
				}
			}
		}
	}
}

// dcnCorner is one bilinear corner: its pixel and the derivatives of its
// weight with respect to x and y.
type dcnCorner struct {
	h, w       int
	wt, dx, dy float64
}

// dcnCorners returns the in-image corners of location (x, y), or nil when the
// point does not contribute (outside -1 < x < W, -1 < y < H).
func dcnCorners(g backend.DCNv3Geom, x, y float64) []dcnCorner {
	if !(x > -1 && x < float64(g.W) && y > -1 && y < float64(g.H)) {
		return nil
	}
	x0, y0 := math.Floor(x), math.Floor(y)
	fx, fy := x-x0, y-y0
	all := []dcnCorner{
		{int(y0), int(x0), (1 - fy) * (1 - fx), -(1 - fy), -(1 - fx)},
		{int(y0), int(x0) + 1, (1 - fy) * fx, 1 - fy, -fx},
		{int(y0) + 1, int(x0), fy * (1 - fx), -fy, 1 - fx},
		{int(y0) + 1, int(x0) + 1, fy * fx, fy, fx},
	}
	in := make([]dcnCorner, 0, 4)
	for _, c := range all {
		if c.h >= 0 && c.h < g.H && c.w >= 0 && c.w < g.W {
			in = append(in, c)
		}
	}
	return in
}

// DCNv3Ref is the float64 reference of Backend.DCNv3, written from the
// DCNv3Geom doc comment: value (N, H, W, G*D), offset (N, OH, OW, G*P*2) and
// mask (N, OH, OW, G*P) give the output (N, OH, OW, G*D). The engine's tests
// check DCNv3Core against it too.
func DCNv3Ref(g backend.DCNv3Geom, value, offset, mask []float64) []float64 {
	C := g.G * g.D
	out := make([]float64, g.N*g.OH*g.OW*C)
	dcnVisit(g, func(n, oh, ow, gi, i, j, p, pix int) {
		x, y := dcnLoc(g, oh, ow, i, j, offset[2*p], offset[2*p+1])
		for _, c := range dcnCorners(g, x, y) {
			for d := 0; d < g.D; d++ {
				v := value[((n*g.H+c.h)*g.W+c.w)*C+gi*g.D+d]
				out[pix*C+gi*g.D+d] += mask[p] * c.wt * v
			}
		}
	})
	return out
}

// dcnv3RefBackward is the float64 reference backward: the gradients of
// sum(out * dOut) with respect to value, offset and mask.
func dcnv3RefBackward(g backend.DCNv3Geom, dOut, value, offset, mask []float64) (dValue, dOffset, dMask []float64) {
	C := g.G * g.D
	dValue = make([]float64, len(value))
	dOffset = make([]float64, len(offset))
	dMask = make([]float64, len(mask))
	dcnVisit(g, func(n, oh, ow, gi, i, j, p, pix int) {
		x, y := dcnLoc(g, oh, ow, i, j, offset[2*p], offset[2*p+1])
		for _, c := range dcnCorners(g, x, y) {
			for d := 0; d < g.D; d++ {
				vi := ((n*g.H+c.h)*g.W+c.w)*C + gi*g.D + d
				t := dOut[pix*C+gi*g.D+d]
				dValue[vi] += mask[p] * c.wt * t
				dMask[p] += c.wt * value[vi] * t
				dOffset[2*p] += mask[p] * c.dx * g.OffsetScale * value[vi] * t
				dOffset[2*p+1] += mask[p] * c.dy * g.OffsetScale * value[vi] * t
			}
		}
	})
	return dValue, dOffset, dMask
}

// DCNv3Coverage counts the sampling points of g at offset that contribute
// with all four corners, with some corners outside the image, and not at all:
// inputs that test every bounds rule have all three.
func DCNv3Coverage(g backend.DCNv3Geom, offset []float64) (full, partial, outside int) {
	dcnVisit(g, func(n, oh, ow, gi, i, j, p, pix int) {
		x, y := dcnLoc(g, oh, ow, i, j, offset[2*p], offset[2*p+1])
		switch cs := dcnCorners(g, x, y); {
		case cs == nil:
			outside++
		case len(cs) < 4:
			partial++
		default:
			full++
		}
	})
	return full, partial, outside
}

// requireCoverage fails t unless the case's points are inside, partly
// outside and wholly outside the image, so that every bounds rule is tested.
func requireCoverage(t *testing.T, c dcnCase, offset []float64) {
	t.Helper()
	full, partial, outside := DCNv3Coverage(c.g, offset)
	if full == 0 || partial == 0 || outside == 0 {
		t.Fatalf("%s: test inputs cover too little: %d full, %d partial, %d outside points", c.name, full, partial, outside)
	}
}

func checkDCNv3(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("DCNv3")
	for _, c := range dcnCases {
		value, offset, mask := dcnInputs(r, dt, c)
		requireCoverage(t, c, offset)
		want := DCNv3Ref(c.g, value, offset, mask)
		out := Upload(b, dt, Randn(r, len(want), 1)) // overwritten
		b.DCNv3(out, Upload(b, dt, value), Upload(b, dt, offset), Upload(b, dt, mask), c.g)
		Close(t, "DCNv3 "+c.name, Download(b, out), want, Tol(dt))
	}
}

func checkDCNv3Backward(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("DCNv3Backward")
	for _, c := range dcnCases {
		value, offset, mask := dcnInputs(r, dt, c)
		requireCoverage(t, c, offset)
		g := c.g
		dOut := Rounded(dt, Randn(r, g.N*g.OH*g.OW*g.G*g.D, 1))
		wantV, wantO, wantM := dcnv3RefBackward(g, dOut, value, offset, mask)
		bv, bo, bm, bd := Upload(b, dt, value), Upload(b, dt, offset), Upload(b, dt, mask), Upload(b, dt, dOut)
		// Every subset of the three gradients, each pre-filled so that the
		// accumulation is checked; the empty subset must be a no-op.
		for set := 0; set < 8; set++ {
			grads := []struct {
				name string
				want []float64
			}{{"dValue", wantV}, {"dOffset", wantO}, {"dMask", wantM}}
			pre := make([][]float64, 3)
			bufs := make([]backend.Buffer, 3)
			for k, gr := range grads {
				if set&(1<<k) != 0 {
					pre[k] = Rounded(dt, Randn(r, len(gr.want), 1))
					bufs[k] = Upload(b, dt, pre[k])
				}
			}
			b.DCNv3Backward(bufs[0], bufs[1], bufs[2], bd, bv, bo, bm, g)
			for k, gr := range grads {
				if bufs[k] == nil {
					continue
				}
				got := Download(b, bufs[k])
				for i := range got {
					got[i] -= pre[k][i]
				}
				Close(t, fmt.Sprintf("DCNv3Backward %s %s (set %03b)", c.name, gr.name, set), got, gr.want, Tol(dt))
			}
		}
	}
}
