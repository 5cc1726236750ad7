package backend

import (
	"testing"

	"github.com/stretchr/testify/require"
)

type lenBuf int

func (lenBuf) DType() DType { return Float32 }
func (b lenBuf) Len() int   { return int(b) }

func TestGemmArgsValidate(t *testing.T) {
	// A (2x3) @ B (3x4) = C (2x4), a batch of 2 with strides 6, 12, 8.
	ok := GemmArgs{M: 2, N: 4, K: 3, Batch: 2, A: lenBuf(12), LDA: 3, StrideA: 6,
		B: lenBuf(24), LDB: 4, StrideB: 12, C: lenBuf(16), LDC: 4, StrideC: 8}
	require.NoError(t, ok.Validate())
	tr := ok
	tr.TransA, tr.LDA = true, 2 // A stored as (3x2)
	require.NoError(t, tr.Validate())

	for _, c := range []struct {
		mod  func(*GemmArgs)
		want string
	}{
		{func(g *GemmArgs) { g.K = -1 }, "inconsistent arguments M=2 N=4 K=-1"},
		{func(g *GemmArgs) { g.B = nil }, "inconsistent arguments"},
		{func(g *GemmArgs) { g.LDA = 2 }, "lda=2"},
		{func(g *GemmArgs) { g.TransB = true }, "B (offset 0, stride 12, 4 x 3, ld 4) reaches element 27 of a buffer of 24"}, // B stored as (4x3)
		{func(g *GemmArgs) { g.OffC = 1 }, "C (offset 1, stride 8, 2 x 4, ld 4) reaches element 17 of a buffer of 16"},
		{func(g *GemmArgs) { g.StrideA = 7 }, "A (offset 0, stride 7, 2 x 3, ld 3) reaches element 13 of a buffer of 12"},
		{func(g *GemmArgs) { g.OffA = -1 }, "A (offset -1"},
	} {
		g := ok
		c.mod(&g)
		err := g.Validate()
		require.Error(t, err, c.want)
		require.Contains(t, err.Error(), c.want)
	}
	empty := ok
	empty.Batch, empty.OffC = 0, 99 // nothing is touched: only the sizes are checked
	require.NoError(t, empty.Validate())
}
