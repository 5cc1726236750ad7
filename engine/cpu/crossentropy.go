package cpu

import (
	"fmt"
	"math"

	"allnet/engine/backend"
)

// CrossEntropy computes loss[o, n] = logsumexp_c(logits[o, c, n]) -
// logits[o, label, n] (0 where label == ignore) and prob = softmax over c,
// with logits and prob viewed as (outer, classes, inner) and labels, loss as
// (outer, inner). It works in float64 after subtracting each position's
// maximum, so logits of any magnitude are safe. A label outside
// [0, classes) other than ignore panics.
func (*CPU) CrossEntropy(loss, prob, logits, labels backend.Buffer, outer, classes, inner int, ignore int) {
	checkCE("CrossEntropy", outer, classes, inner)
	checkLen("CrossEntropy", "loss", loss, outer*inner)
	checkLen("CrossEntropy", "prob", prob, outer*classes*inner)
	checkLen("CrossEntropy", "logits", logits, outer*classes*inner)
	checkLen("CrossEntropy", "labels", labels, outer*inner)
	lab := ints(labels)
	checkLabels("CrossEntropy", lab, outer, classes, inner, ignore)
	if isF64(logits) {
		crossEntropy(floats[float64](loss), floats[float64](prob), floats[float64](logits), lab, outer, classes, inner, ignore)
	} else {
		crossEntropy(floats[float32](loss), floats[float32](prob), floats[float32](logits), lab, outer, classes, inner, ignore)
	}
}

func checkCE(op string, outer, classes, inner int) {
	if outer < 0 || classes < 1 || inner < 0 {
		panic(fmt.Sprintf("cpu: %s: bad shape outer=%d classes=%d inner=%d", op, outer, classes, inner))
	}
}

// checkLabels panics on the first label outside [0, classes) that is not
// ignore, naming its value and position.
func checkLabels(op string, lab []int32, outer, classes, inner, ignore int) {
	for p, l := range lab[:outer*inner] {
		if int(l) != ignore && (l < 0 || int(l) >= classes) {
			panic(fmt.Sprintf("cpu: %s: label %d at [%d, %d] of labels (%d, %d) is outside [0, %d) and is not the ignore label %d",
				op, l, p/inner, p%inner, outer, inner, classes, ignore))
		}
	}
}

// ceBlock is the number of inner positions one task handles.
const ceBlock = 256

// crossEntropy runs parallel over (o, block of inner positions); each task
// makes three passes over classes: maximum, exponentials and their sum
// (stored in prob), normalisation.
func crossEntropy[T Float](loss, prob, logits []T, lab []int32, outer, classes, inner, ignore int) {
	nb := (inner + ceBlock - 1) / ceBlock
	parallelFor(outer*nb, max(1, elemGrain/max(1, classes*min(inner, ceBlock))), func(lo, hi int) {
		var mx, sum [ceBlock]float64
		for t := lo; t < hi; t++ {
			o, b := t/nb, t%nb
			n0, n1 := b*ceBlock, min((b+1)*ceBlock, inner)
			w := n1 - n0
			base := o*classes*inner + n0
			for j := range w {
				mx[j], sum[j] = math.Inf(-1), 0
			}
			for c := range classes {
				x := logits[base+c*inner : base+c*inner+w]
				for j, v := range x {
					if f := float64(v); f > mx[j] {
						mx[j] = f
					}
				}
			}
			for c := range classes {
				x := logits[base+c*inner : base+c*inner+w]
				p := prob[base+c*inner : base+c*inner+w]
				for j, v := range x {
					e := math.Exp(float64(v) - mx[j])
					sum[j] += e
					p[j] = T(e)
				}
			}
			for j := range w {
				sum[j] = 1 / sum[j] // now the normaliser
			}
			for c := range classes {
				p := prob[base+c*inner : base+c*inner+w]
				for j := range p {
					p[j] = T(float64(p[j]) * sum[j])
				}
			}
			for j := range w {
				n := o*inner + n0 + j
				l := int(lab[n])
				if l == ignore {
					loss[n] = 0
					continue
				}
				// (max - x) + log(sum), with sum[j] holding 1/sum.
				loss[n] = T((mx[j] - float64(logits[base+l*inner+j])) - math.Log(sum[j]))
			}
		}
	})
}

// CrossEntropyBackward computes dlogits[o, c, n] = dloss[o, n] *
// (prob[o, c, n] - [c == label[o, n]]), zero where label == ignore.
func (*CPU) CrossEntropyBackward(dlogits, dloss, prob, labels backend.Buffer, outer, classes, inner int, ignore int) {
	checkCE("CrossEntropyBackward", outer, classes, inner)
	checkLen("CrossEntropyBackward", "dlogits", dlogits, outer*classes*inner)
	checkLen("CrossEntropyBackward", "dloss", dloss, outer*inner)
	checkLen("CrossEntropyBackward", "prob", prob, outer*classes*inner)
	checkLen("CrossEntropyBackward", "labels", labels, outer*inner)
	lab := ints(labels)
	checkLabels("CrossEntropyBackward", lab, outer, classes, inner, ignore)
	if isF64(prob) {
		crossEntropyBackward(floats[float64](dlogits), floats[float64](dloss), floats[float64](prob), lab, outer, classes, inner, ignore)
	} else {
		crossEntropyBackward(floats[float32](dlogits), floats[float32](dloss), floats[float32](prob), lab, outer, classes, inner, ignore)
	}
}

// crossEntropyBackward runs parallel over the (o, c) rows of dlogits.
func crossEntropyBackward[T Float](dlogits, dloss, prob []T, lab []int32, outer, classes, inner, ignore int) {
	parallelFor(outer*classes, max(1, elemGrain/max(inner, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			o, c := r/classes, r%classes
			d := dlogits[r*inner : (r+1)*inner]
			p := prob[r*inner : (r+1)*inner]
			dl := dloss[o*inner : (o+1)*inner]
			lb := lab[o*inner : (o+1)*inner]
			for n := range d {
				l := int(lb[n])
				switch l {
				case ignore:
					d[n] = 0
				case c:
					d[n] = dl[n] * (p[n] - 1)
				default:
					d[n] = dl[n] * p[n]
				}
			}
		}
	})
}
