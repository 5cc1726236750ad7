package cuda

import (
	"fmt"

	"allnet/engine/backend"
)

// CrossEntropy computes loss[o, n] = logsumexp_c(logits[o, c, n]) -
// logits[o, label, n] (0 where label == ignore) and prob = softmax over the
// classes (kernels/crossentropy.cu: a thread per position when inner > 1, a
// row group per position when inner == 1). A label outside [0, classes)
// other than ignore panics after the launch.
func (b *Backend) CrossEntropy(loss, prob, logits, labels backend.Buffer, outer, classes, inner int, ignore int) {
	const op = "CrossEntropy"
	ceShape(op, outer, classes, inner)
	normF32(op, "loss", loss, outer*inner)
	normF32(op, "prob", prob, outer*classes*inner)
	normF32(op, "logits", logits, outer*classes*inner)
	normLen(op, "labels", labels, outer*inner, backend.Int32)
	if outer*inner == 0 {
		return
	}
	b.labelCheck(op, labels, outer, classes, inner, ignore, func(err backend.Buffer) {
		if inner == 1 {
			grid, block := rowShape(outer, classes)
			b.launch("ce_fwd_rows_f32", grid, block, 0, loss, prob, logits, labels, outer, classes, ignore, err)
			return
		}
		n := outer * inner
		b.launch("ce_fwd_cols_f32", dim1(blocksFor(n, 256)), dim1(256), 0, loss, prob, logits, labels, outer, classes, inner, ignore, err)
	})
}

// CrossEntropyBackward computes dlogits = dloss * (prob - onehot(label)),
// zero where label == ignore, one thread per element.
func (b *Backend) CrossEntropyBackward(dlogits, dloss, prob, labels backend.Buffer, outer, classes, inner int, ignore int) {
	const op = "CrossEntropyBackward"
	ceShape(op, outer, classes, inner)
	normF32(op, "dlogits", dlogits, outer*classes*inner)
	normF32(op, "dloss", dloss, outer*inner)
	normF32(op, "prob", prob, outer*classes*inner)
	normLen(op, "labels", labels, outer*inner, backend.Int32)
	n := outer * classes * inner
	if n == 0 {
		return
	}
	b.labelCheck(op, labels, outer, classes, inner, ignore, func(err backend.Buffer) {
		b.launch("ce_bwd_f32", dim1(blocksFor(n, 256)), dim1(256), 0, dlogits, dloss, prob, labels, outer, classes, inner, ignore, err)
	})
}

func ceShape(op string, outer, classes, inner int) {
	if outer < 0 || classes < 1 || inner < 0 {
		panic(fmt.Sprintf("cuda: %s: bad shape outer=%d classes=%d inner=%d", op, outer, classes, inner))
	}
}

// labelCheck runs launch with a device error word and panics, naming the
// first bad label and its position as the CPU backend does, when a kernel
// met a label outside [0, classes) that is not ignore.
func (b *Backend) labelCheck(op string, labels backend.Buffer, outer, classes, inner, ignore int, launch func(err backend.Buffer)) {
	p, bad := b.withErrWord(launch)
	if !bad {
		return
	}
	lab := make([]int32, labels.Len())
	b.Download(lab, labels)
	panic(fmt.Sprintf("cuda: %s: label %d at [%d, %d] of labels (%d, %d) is outside [0, %d) and is not the ignore label %d",
		op, lab[p], p/inner, p%inner, outer, inner, classes, ignore))
}
