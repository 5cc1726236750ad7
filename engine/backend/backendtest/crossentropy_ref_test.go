package backendtest

import (
	"math"
	"testing"
)

// TestCrossEntropyRefBackward checks ceRefBackward against central finite
// differences of sum(dloss * ceRef loss), ignored positions included.
func TestCrossEntropyRefBackward(t *testing.T) {
	for _, c := range []ceCase{{3, 5, 4, 255, 1, 0}, {2, 4, 3, 1, 2, 0}, {4, 3, 1, -100, 1, 0}, {2, 4, 3, 255, 1, -1000}} {
		r := RNG("ceRef")
		logits, labels := ceInputs("ceRef", 0, c)
		dloss := Randn(r, len(labels), 1)
		f := func() float64 {
			loss, _ := ceRef(logits, labels, c.outer, c.classes, c.inner, c.ignore)
			return refDot(dloss, loss)
		}
		_, prob := ceRef(logits, labels, c.outer, c.classes, c.inner, c.ignore)
		got := ceRefBackward(dloss, prob, labels, c.outer, c.classes, c.inner, c.ignore)
		want := CentralDiff(f, logits, nil, 1e-5)
		Close(t, "ceRefBackward vs finite differences", got, want, 1e-8)
	}
}

// TestCrossEntropyRefLarge checks the reference itself on logits ~ +-1000,
// against closed forms.
func TestCrossEntropyRefLarge(t *testing.T) {
	logits := []float64{1000, -1000, 999, 0, -1000, 2}
	loss, prob := ceRef(logits, []int32{2, 1}, 2, 3, 1, -1)
	want := []float64{1 + math.Log1p(math.Exp(-1)), 1002 + math.Log1p(math.Exp(-2))}
	Close(t, "ceRef loss at +-1000", loss, want, 1e-15)
	for o := range 2 {
		var s float64
		for _, p := range prob[3*o : 3*o+3] {
			s += p
		}
		if math.Abs(s-1) > 1e-15 {
			t.Fatalf("ceRef probabilities of row %d sum to %v", o, s)
		}
	}
}
