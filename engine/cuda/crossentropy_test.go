package cuda_test

import (
	"fmt"
	"testing"

	"allnet/engine/backend"
	"allnet/engine/backend/backendtest"
	"github.com/stretchr/testify/require"
)

// TestCrossEntropyTwin compares CrossEntropy (loss and prob) and
// CrossEntropyBackward with the CPU twin: inner > 1 and inner == 1 (short
// and long rows), an ignore label that is a valid class, large logits, and
// one class.
func TestCrossEntropyTwin(t *testing.T) {
	cpu, gpu := twins(t)
	r := rng(t)
	for _, c := range []struct {
		outer, classes, inner, ignore int
		scale                         float64
	}{
		{3, 7, 11, 255, 1}, {17, 5, 1, -100, 3}, {2, 4, 9, 2, 1}, {2, 6, 13, 255, 1e3},
		{3, 1, 5, -1, 1}, {3, 1500, 1, -1, 2}, {2, 40, 70, 255, 2},
	} {
		n := c.outer * c.classes * c.inner
		logits := randn(r, n, c.scale)
		labels := make([]int32, c.outer*c.inner)
		for i := range labels {
			labels[i] = int32(r.IntN(c.classes))
			if r.IntN(5) == 0 {
				labels[i] = int32(c.ignore)
			}
		}
		dloss := randn(r, c.outer*c.inner, 1)
		var got [2][3][]float32
		for i, b := range []backend.Backend{cpu, gpu} {
			lb := uploadInt(b, labels)
			loss, prob := poisoned(b, c.outer*c.inner), poisoned(b, n)
			b.CrossEntropy(loss, prob, upload(b, logits), lb, c.outer, c.classes, c.inner, c.ignore)
			dx := poisoned(b, n)
			b.CrossEntropyBackward(dx, upload(b, dloss), prob, lb, c.outer, c.classes, c.inner, c.ignore)
			got[i] = [3][]float32{download(b, loss), download(b, prob), download(b, dx)}
		}
		what := fmt.Sprintf("%+v", c)
		requireClose(t, "CrossEntropy loss "+what, got[1][0], got[0][0], 2e-6)
		requireClose(t, "CrossEntropy prob "+what, got[1][1], got[0][1], 2e-6)
		requireClose(t, "CrossEntropyBackward "+what, got[1][2], got[0][2], 2e-6)
	}
}

// TestCrossEntropyPanics checks that a bad label panics with the CPU twin's
// message (but for the backend prefix), forward and backward, for both
// forward kernels.
func TestCrossEntropyPanics(t *testing.T) {
	cpu, gpu := twins(t)
	for _, inner := range []int{1, 3} {
		labels := []int32{0, 1, 255, 2, 9, 1, 7, 0, 1}
		outer, classes := 9/inner, 4
		msgs := func(b backend.Backend) []string {
			lb := uploadInt(b, labels)
			n := outer * classes * inner
			return []string{
				panicMessage(t, func() {
					b.CrossEntropy(b.Alloc(backend.Float32, 9), b.Alloc(backend.Float32, n), b.Alloc(backend.Float32, n), lb, outer, classes, inner, 255)
				}),
				panicMessage(t, func() {
					b.CrossEntropyBackward(b.Alloc(backend.Float32, n), b.Alloc(backend.Float32, 9), b.Alloc(backend.Float32, n), lb, outer, classes, inner, 255)
				}),
			}
		}
		want, got := msgs(cpu), msgs(gpu)
		for i := range want {
			require.Contains(t, want[i], "label 9 at")
			require.Equal(t, "cuda"+want[i][len("cpu"):], got[i])
		}
	}
}

func TestCrossEntropyConformance(t *testing.T) {
	backendtest.RunOnly(t, newEmu(t), "CrossEntropy", "CrossEntropyBackward")
}
