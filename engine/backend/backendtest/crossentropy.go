package backendtest

import (
	"fmt"
	"math"
	"testing"

	"allnet/engine/backend"
)

func init() {
	register("CrossEntropy", checkCrossEntropy)
	register("CrossEntropyBackward", checkCrossEntropyBackward)
}

// ceRef is the float64 reference of CrossEntropy: per position (o, n) of
// logits viewed as (outer, classes, inner), prob = softmax over classes and
// loss = logsumexp - logits[label] (0 where label == ignore).
func ceRef(logits []float64, labels []int32, outer, classes, inner, ignore int) (loss, prob []float64) {
	loss = make([]float64, outer*inner)
	prob = make([]float64, len(logits))
	at := func(o, c, n int) int { return (o*classes+c)*inner + n }
	for o := range outer {
		for n := range inner {
			m := math.Inf(-1)
			for c := range classes {
				m = math.Max(m, logits[at(o, c, n)])
			}
			var s float64
			for c := range classes {
				s += math.Exp(logits[at(o, c, n)] - m)
			}
			// Written so that no large value cancels: x - m is exact for
			// nearby values.
			for c := range classes {
				prob[at(o, c, n)] = math.Exp(logits[at(o, c, n)]-m) / s
			}
			if l := int(labels[o*inner+n]); l != ignore {
				loss[o*inner+n] = (m - logits[at(o, l, n)]) + math.Log(s)
			}
		}
	}
	return loss, prob
}

// ceRefBackward is the float64 reference of CrossEntropyBackward.
func ceRefBackward(dloss, prob []float64, labels []int32, outer, classes, inner, ignore int) []float64 {
	d := make([]float64, len(prob))
	for o := range outer {
		for c := range classes {
			for n := range inner {
				l := int(labels[o*inner+n])
				if l == ignore {
					continue
				}
				p := (o*classes+c)*inner + n
				d[p] = prob[p]
				if c == l {
					d[p]--
				}
				d[p] *= dloss[o*inner+n]
			}
		}
	}
	return d
}

// ceCase is one problem; logits are shift + N(0, scale^2).
type ceCase struct {
	outer, classes, inner, ignore int
	scale, shift                  float64
}

var ceCases = []ceCase{
	{3, 7, 11, 255, 1, 0},
	{17, 5, 1, -100, 3, 0},
	{2, 4, 9, 2, 1, 0},       // ignore is a valid class index
	{2, 6, 13, 255, 1e3, 0},  // logits ~ +-1000: needs the max subtraction
	{3, 5, 7, 255, 2, 1000},  // exp(logit) overflows
	{3, 5, 7, 255, 2, -1000}, // exp(logit) underflows
	{3, 1, 5, -1, 1, 0},      // one class: loss 0, prob 1
	{4, 19, 1000, 255, 2, 0},
}

// ceInputs returns rounded logits and labels of which about one in five is
// ignore.
func ceInputs(name string, dt backend.DType, c ceCase) ([]float64, []int32) {
	r := RNG(fmt.Sprintf("%s %+v", name, c))
	logits := Randn(r, c.outer*c.classes*c.inner, c.scale)
	for i := range logits {
		logits[i] += c.shift
	}
	logits = Rounded(dt, logits)
	labels := make([]int32, c.outer*c.inner)
	for i := range labels {
		labels[i] = int32(r.IntN(c.classes))
		if r.IntN(5) == 0 {
			labels[i] = int32(c.ignore)
		}
	}
	return logits, labels
}

func checkCrossEntropy(t *testing.T, b backend.Backend, dt backend.DType) {
	for _, c := range ceCases {
		logits, labels := ceInputs("CrossEntropy", dt, c)
		lb, yb := Upload(b, dt, logits), UploadInts(b, labels)
		loss, prob := b.Alloc(dt, c.outer*c.inner), b.Alloc(dt, len(logits))
		b.Fill(loss, math.NaN())
		b.Fill(prob, math.NaN())
		b.CrossEntropy(loss, prob, lb, yb, c.outer, c.classes, c.inner, c.ignore)
		wantLoss, wantProb := ceRef(logits, labels, c.outer, c.classes, c.inner, c.ignore)
		what := fmt.Sprintf("CrossEntropy %+v", c)
		Close(t, what+" loss", Download(b, loss), wantLoss, Tol(dt))
		// prob is checked where the label is not ignored.
		gotProb, gp, wp := Download(b, prob), []float64(nil), []float64(nil)
		for i := range gotProb {
			o, n := i/(c.classes*c.inner), i%c.inner
			if int(labels[o*c.inner+n]) != c.ignore {
				gp, wp = append(gp, gotProb[i]), append(wp, wantProb[i])
			}
		}
		Close(t, what+" prob", gp, wp, Tol(dt))

		// A label outside [0, classes) that is not ignore panics, naming it.
		labels[len(labels)/2] = 1234567
		b.Upload(yb, labels)
		memExpectPanic(t, what+" with label 1234567", func() {
			b.CrossEntropy(loss, prob, lb, yb, c.outer, c.classes, c.inner, c.ignore)
			b.Synchronize()
		}, "1234567")
		for _, bb := range []backend.Buffer{lb, yb, loss, prob} {
			b.Free(bb)
		}
	}
}

func checkCrossEntropyBackward(t *testing.T, b backend.Backend, dt backend.DType) {
	for _, c := range ceCases {
		logits, labels := ceInputs("CrossEntropyBackward", dt, c)
		_, prob := ceRef(logits, labels, c.outer, c.classes, c.inner, c.ignore)
		prob = Rounded(dt, prob)
		dloss := Rounded(dt, Randn(RNG(fmt.Sprintf("CrossEntropyBackward dloss %+v", c)), c.outer*c.inner, 1))
		pb, yb, dlb := Upload(b, dt, prob), UploadInts(b, labels), Upload(b, dt, dloss)
		dx := b.Alloc(dt, len(prob))
		b.Fill(dx, math.NaN()) // every element, ignored ones included, is written
		b.CrossEntropyBackward(dx, dlb, pb, yb, c.outer, c.classes, c.inner, c.ignore)
		Close(t, fmt.Sprintf("CrossEntropyBackward %+v", c), Download(b, dx),
			ceRefBackward(dloss, prob, labels, c.outer, c.classes, c.inner, c.ignore), Tol(dt))
		for _, bb := range []backend.Buffer{pb, yb, dlb, dx} {
			b.Free(bb)
		}
	}
}
