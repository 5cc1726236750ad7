package cuda_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"allnet/engine/backend"
	"allnet/engine/backend/backendtest"
	"github.com/stretchr/testify/require"
)

// attnTwinCase is one attention problem for the twin tests: masked is the
// fraction of bias entries set to -Inf, and maskRow masks row 1 of bias
// matrix 0 whole.
type attnTwinCase struct {
	g       backend.AttnGeom
	bias    bool
	masked  float64
	maskRow bool
}

// attnTwinCases cover every kernel variant (head-dim classes 32, 64, 128),
// lengths that are not multiples of the tiles (32 rows, 16*E columns),
// Lq != Lk, D != DV, biases broadcast (BiasBatch 1), per head (BiasBatch ==
// heads < Batch) and per problem, masked keys and fully masked rows.
var attnTwinCases = []attnTwinCase{
	{g: backend.AttnGeom{Batch: 2, Lq: 37, Lk: 70, D: 32, DV: 32, Scale: 0.18}},
	{g: backend.AttnGeom{Batch: 3, Lq: 45, Lk: 19, D: 17, DV: 23, Scale: 0.3, BiasBatch: 1}, bias: true},
	{g: backend.AttnGeom{Batch: 4, Lq: 33, Lk: 41, D: 64, DV: 40, Scale: 0.125, BiasBatch: 2}, bias: true, masked: 0.25, maskRow: true},
	{g: backend.AttnGeom{Batch: 2, Lq: 20, Lk: 65, D: 48, DV: 64, Scale: 0.14, BiasBatch: 2}, bias: true, masked: 0.1},
	{g: backend.AttnGeom{Batch: 2, Lq: 31, Lk: 35, D: 128, DV: 96, Scale: 0.09, BiasBatch: 1}, bias: true, masked: 0.3, maskRow: true},
	{g: backend.AttnGeom{Batch: 1, Lq: 9, Lk: 33, D: 100, DV: 127, Scale: 0.1}},
	{g: backend.AttnGeom{Batch: 3, Lq: 1, Lk: 3, D: 5, DV: 3, Scale: 1, BiasBatch: 3}, bias: true},
}

func (c attnTwinCase) String() string {
	return fmt.Sprintf("B%d_Lq%d_Lk%d_D%d_DV%d_bias%d_mask%v", c.g.Batch, c.g.Lq, c.g.Lk, c.g.D, c.g.DV, c.g.BiasBatch, c.masked)
}

// attnBias draws the case's bias (nil without one) with its -Inf entries.
func attnBias(r *rand.Rand, c attnTwinCase) []float32 {
	g := c.g
	if !c.bias {
		return nil
	}
	bias := randn(r, g.BiasBatch*g.Lq*g.Lk, 1)
	for i := range bias {
		if r.Float64() < c.masked {
			bias[i] = float32(math.Inf(-1))
		}
	}
	if c.maskRow && g.Lq > 1 {
		for j := range g.Lk {
			bias[g.Lk+j] = float32(math.Inf(-1))
		}
	}
	return bias
}

// uploadOrNil uploads x, or returns nil for a nil x.
func uploadOrNil(b backend.Backend, x []float32) backend.Buffer {
	if x == nil {
		return nil
	}
	return upload(b, x)
}

// TestAttentionTwin compares the CUDA attention forward with the CPU twin
// (out, lse, exact zeros on fully masked rows) on poisoned outputs.
func TestAttentionTwin(t *testing.T) {
	cb, gb := twins(t)
	for _, c := range attnTwinCases {
		t.Run(c.String(), func(t *testing.T) {
			g := c.g
			r := rng(t)
			q, k, v := randn(r, g.Batch*g.Lq*g.D, 1), randn(r, g.Batch*g.Lk*g.D, 1), randn(r, g.Batch*g.Lk*g.DV, 1)
			bias := attnBias(r, c)
			run := func(b backend.Backend) (out, lse []float32) {
				ob, lb := poisoned(b, g.Batch*g.Lq*g.DV), poisoned(b, g.Batch*g.Lq)
				b.Attention(ob, lb, upload(b, q), upload(b, k), upload(b, v), uploadOrNil(b, bias), g)
				return download(b, ob), download(b, lb)
			}
			wantOut, wantLse := run(cb)
			gotOut, gotLse := run(gb)
			requireClose(t, "out", gotOut, wantOut, 1e-5)
			requireClose(t, "lse", gotLse, wantLse, 2e-6)
			for row, l := range wantLse {
				if math.IsInf(float64(l), -1) {
					for c := range g.DV {
						require.Zero(t, gotOut[row*g.DV+c], "fully masked row %d", row)
					}
				}
			}
		})
	}
}

// TestAttentionBackwardTwin compares dq, dk, dv (poisoned) and the
// accumulated dBias (pre-filled with random values) with the CPU twin, fed
// the CPU forward's out and lse; dBias nil is run too.
func TestAttentionBackwardTwin(t *testing.T) {
	cb, gb := twins(t)
	for _, c := range attnTwinCases {
		t.Run(c.String(), func(t *testing.T) {
			g := c.g
			r := rng(t)
			q, k, v := randn(r, g.Batch*g.Lq*g.D, 1), randn(r, g.Batch*g.Lk*g.D, 1), randn(r, g.Batch*g.Lk*g.DV, 1)
			bias := attnBias(r, c)
			dOut := randn(r, g.Batch*g.Lq*g.DV, 1)
			ob, lb := cb.Alloc(backend.Float32, len(dOut)), cb.Alloc(backend.Float32, g.Batch*g.Lq)
			cb.Attention(ob, lb, upload(cb, q), upload(cb, k), upload(cb, v), uploadOrNil(cb, bias), g)
			out, lse := download(cb, ob), download(cb, lb)
			var dBias0 []float32
			if bias != nil {
				dBias0 = randn(r, len(bias), 1)
			}
			run := func(b backend.Backend, withBias bool) (dq, dk, dv, dBias []float32) {
				dqb, dkb, dvb := poisoned(b, len(q)), poisoned(b, len(k)), poisoned(b, len(v))
				var dbb backend.Buffer
				if withBias {
					dbb = upload(b, dBias0)
				}
				b.AttentionBackward(dqb, dkb, dvb, dbb, upload(b, dOut), upload(b, q), upload(b, k), upload(b, v),
					uploadOrNil(b, bias), upload(b, out), upload(b, lse), g)
				if withBias {
					dBias = download(b, dbb)
				}
				return download(b, dqb), download(b, dkb), download(b, dvb), dBias
			}
			for _, withBias := range []bool{false, bias != nil} {
				wq, wk, wv, wb := run(cb, withBias)
				gq, gk, gv, gbias := run(gb, withBias)
				requireClose(t, "dq", gq, wq, 2e-5)
				requireClose(t, "dk", gk, wk, 2e-5)
				requireClose(t, "dv", gv, wv, 2e-5)
				if withBias {
					for i := range gbias {
						gbias[i] -= dBias0[i]
						wb[i] -= dBias0[i]
					}
					requireClose(t, "dBias", gbias, wb, 2e-5)
				}
			}
		})
	}
}

// TestAttentionConformance runs the suite's attention checks.
func TestAttentionConformance(t *testing.T) {
	backendtest.RunOnly(t, newEmu(t), "Attention", "AttentionBackward")
}

// TestAttentionWorkspaceLinear shows through the allocator's statistics that
// attention forward + backward need extra device memory linear in the
// sequence length: going from L = 64 to L = 256 (x4) the peak beyond the
// operands grows at most x4 (a score matrix would grow x16), stays far
// below the size of one Lq x Lk score matrix, and all of it is returned.
func TestAttentionWorkspaceLinear(t *testing.T) {
	const batch, d = 2, 16
	extra := map[int]int64{}
	for _, L := range []int{64, 256} {
		b := newEmu(t)
		g := backend.AttnGeom{Batch: batch, Lq: L, Lk: L, D: d, DV: d, Scale: 0.25}
		r := rng(t)
		n := batch * L * d
		q, k, v, dOut := upload(b, randn(r, n, 1)), upload(b, randn(r, n, 1)), upload(b, randn(r, n, 1)), upload(b, randn(r, n, 1))
		out, lse := b.Alloc(backend.Float32, n), b.Alloc(backend.Float32, batch*L)
		dq, dk, dv := b.Alloc(backend.Float32, n), b.Alloc(backend.Float32, n), b.Alloc(backend.Float32, n)
		before := b.Stats()
		require.Equal(t, before.InUse, before.Peak, "nothing freed yet, so the peak is the operands")
		b.Attention(out, lse, q, k, v, nil, g)
		b.AttentionBackward(dq, dk, dv, nil, dOut, q, k, v, nil, out, lse, g)
		after := b.Stats()
		require.Equal(t, before.InUse, after.InUse, "L=%d: workspace not returned", L)
		extra[L] = after.Peak - before.InUse
		scores := int64(batch) * int64(L) * int64(L) * 4
		require.Less(t, extra[L], scores/8, "L=%d: %d bytes of workspace vs a %d-byte score matrix", L, extra[L], scores)
		t.Logf("L=%d: workspace %d bytes (one score matrix: %d bytes)", L, extra[L], scores)
		require.True(t, allFinite(download(b, dq)) && allFinite(download(b, dk)) && allFinite(download(b, dv)))
	}
	require.Positive(t, extra[64])
	require.LessOrEqual(t, extra[256], 4*extra[64], "workspace grows faster than linearly: %v", extra)
}

func allFinite(x []float32) bool {
	for _, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return false
		}
	}
	return true
}

// TestAttentionHeadDimLimit checks that head dims over 128 are refused with
// a message naming them.
func TestAttentionHeadDimLimit(t *testing.T) {
	b := newEmu(t)
	g := backend.AttnGeom{Batch: 1, Lq: 2, Lk: 2, D: 129, DV: 4, Scale: 1}
	require.PanicsWithValue(t, "cuda: Attention: head dims D=129, DV=4 exceed the kernels' limit 128", func() {
		b.Attention(b.Alloc(backend.Float32, 8), b.Alloc(backend.Float32, 2), b.Alloc(backend.Float32, 258),
			b.Alloc(backend.Float32, 258), b.Alloc(backend.Float32, 8), nil, g)
	})
}
