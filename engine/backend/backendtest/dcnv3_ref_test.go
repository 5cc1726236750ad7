package backendtest

import (
	"testing"

	"allnet/engine/backend"
)

// TestDCNv3RefBackward checks the reference backward against central
// differences of the reference forward on the suite's geometries. Offsets
// are random, so no sampling location lies on the integer grid where the
// bilinear interpolation is not differentiable.
func TestDCNv3RefBackward(t *testing.T) {
	r := RNG("DCNv3RefBackward")
	for _, c := range dcnCases {
		value, offset, mask := dcnInputs(r, backend.Float64, c)
		requireCoverage(t, c, offset)
		dOut := Randn(r, c.g.N*c.g.OH*c.g.OW*c.g.G*c.g.D, 1)
		loss := func() float64 { return refDot(DCNv3Ref(c.g, value, offset, mask), dOut) }
		dv, do, dm := dcnv3RefBackward(c.g, dOut, value, offset, mask)
		for _, in := range []struct {
			name    string
			x, grad []float64
		}{{"value", value, dv}, {"offset", offset, do}, {"mask", mask, dm}} {
			idx := refSample(r, len(in.x), 40)
			Close(t, c.name+" d"+in.name, refPick(in.grad, idx), CentralDiff(loss, in.x, idx, 1e-6), 1e-6)
		}
	}
}

// TestDCNv3RefPointOrder pins the point order p = i*KH + j (i over the
// kernel's x): with zero offsets and a one-hot mask on point p of a 2x3
// kernel (KH=2, KW=3), offset scale 1 and pad 1, output (oh, ow) is the value
// at row oh - 1 + j, column ow - 1 + i.
func TestDCNv3RefPointOrder(t *testing.T) {
	g := dcnGeom(1, 4, 5, 1, 1, 2, 3, 1, 1, 1, 1)
	value := make([]float64, g.H*g.W)
	for i := range value {
		value[i] = float64(i)
	}
	offset := make([]float64, g.OH*g.OW*g.P()*2)
	for p := 0; p < g.P(); p++ {
		mask := make([]float64, g.OH*g.OW*g.P())
		for pix := 0; pix < g.OH*g.OW; pix++ {
			mask[pix*g.P()+p] = 1
		}
		out := DCNv3Ref(g, value, offset, mask)
		i, j := p/g.KH, p%g.KH
		oh, ow := 2, 2
		x, y := ow-g.PW+i, oh-g.PH+j
		if got, want := out[oh*g.OW+ow], value[y*g.W+x]; got != want {
			t.Fatalf("point %d: got %v, want value at (%d, %d) = %v", p, got, y, x, want)
		}
	}
}
