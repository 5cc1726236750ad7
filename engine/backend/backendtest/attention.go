package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"allnet/engine/backend"
)

func init() {
	register("Attention", checkAttention)
	register("AttentionBackward", checkAttentionBackward)
}

// attnCase is one attention problem: its geometry, whether it has a bias,
// and the fraction of bias entries set to -Inf (with row 1 of bias matrix 0
// masked whole when the fraction is positive).
type attnCase struct {
	g      backend.AttnGeom
	bias   bool
	masked float64
}

// attnCases cover Lq != Lk, D != DV, no bias, one bias broadcast to all
// problems, one bias per problem, a bias shared by every other problem, and
// -Inf masks including a fully masked row.
var attnCases = []attnCase{
	{g: backend.AttnGeom{Batch: 3, Lq: 5, Lk: 7, D: 6, DV: 4, Scale: 0.41}},
	{g: backend.AttnGeom{Batch: 4, Lq: 7, Lk: 5, D: 3, DV: 9, Scale: 0.7, BiasBatch: 1}, bias: true},
	{g: backend.AttnGeom{Batch: 3, Lq: 6, Lk: 6, D: 8, DV: 8, Scale: 0.35, BiasBatch: 3}, bias: true},
	{g: backend.AttnGeom{Batch: 6, Lq: 4, Lk: 9, D: 5, DV: 3, Scale: 0.5, BiasBatch: 2}, bias: true, masked: 0.3},
	{g: backend.AttnGeom{Batch: 2, Lq: 3, Lk: 11, D: 2, DV: 5, Scale: 1, BiasBatch: 1}, bias: true, masked: 0.5},
	{g: backend.AttnGeom{Batch: 2, Lq: 33, Lk: 40, D: 16, DV: 7, Scale: 0.25}},
	{g: backend.AttnGeom{Batch: 4, Lq: 21, Lk: 26, D: 9, DV: 6, Scale: 0.45, BiasBatch: 2}, bias: true, masked: 0.2},
}

func (c attnCase) String() string {
	return fmt.Sprintf("%+v bias=%v masked=%v", c.g, c.bias, c.masked)
}

// attnInputs draws q, k, v and (when the case has one) the bias, rounded
// to dt.
func attnInputs(r *rand.Rand, dt backend.DType, c attnCase) (q, k, v, bias []float64) {
	g := c.g
	q = Rounded(dt, Randn(r, g.Batch*g.Lq*g.D, 1))
	k = Rounded(dt, Randn(r, g.Batch*g.Lk*g.D, 1))
	v = Rounded(dt, Randn(r, g.Batch*g.Lk*g.DV, 1))
	if !c.bias {
		return q, k, v, nil
	}
	bias = Rounded(dt, Randn(r, g.BiasBatch*g.Lq*g.Lk, 1))
	if c.masked > 0 {
		for i := range bias {
			if r.Float64() < c.masked {
				bias[i] = math.Inf(-1)
			}
		}
		for j := range g.Lk {
			bias[g.Lk+j] = math.Inf(-1) // row 1 of bias matrix 0
		}
	}
	return q, k, v, bias
}

// attnRefScores returns the scores Scale*q_i.k_j + bias of row i of
// problem b.
func attnRefScores(q, k, bias []float64, g backend.AttnGeom, b, i int) []float64 {
	s := make([]float64, g.Lk)
	for j := range g.Lk {
		var dot float64
		for c := range g.D {
			dot += q[(b*g.Lq+i)*g.D+c] * k[(b*g.Lk+j)*g.D+c]
		}
		s[j] = g.Scale * dot
		if bias != nil {
			s[j] += bias[((b%g.BiasBatch)*g.Lq+i)*g.Lk+j]
		}
	}
	return s
}

// attnRefProbs returns softmax(s) and its log-sum-exp; all zeros and -Inf
// when every score is -Inf.
func attnRefProbs(s []float64) (p []float64, lse float64) {
	p = make([]float64, len(s))
	m := math.Inf(-1)
	for _, x := range s {
		m = math.Max(m, x)
	}
	if math.IsInf(m, -1) {
		return p, m
	}
	var sum float64
	for j, x := range s {
		p[j] = math.Exp(x - m)
		sum += p[j]
	}
	for j := range p {
		p[j] /= sum
	}
	return p, m + math.Log(sum)
}

// attnRef is the float64 reference of Attention: out and lse.
func attnRef(q, k, v, bias []float64, g backend.AttnGeom) (out, lse []float64) {
	out = make([]float64, g.Batch*g.Lq*g.DV)
	lse = make([]float64, g.Batch*g.Lq)
	for b := range g.Batch {
		for i := range g.Lq {
			p, l := attnRefProbs(attnRefScores(q, k, bias, g, b, i))
			lse[b*g.Lq+i] = l
			for j := range g.Lk {
				for c := range g.DV {
					out[(b*g.Lq+i)*g.DV+c] += p[j] * v[(b*g.Lk+j)*g.DV+c]
				}
			}
		}
	}
	return out, lse
}

// attnRefBackward is the float64 reference of AttentionBackward, written
// with the softmax Jacobian: dP = dOut v^T, dS_ij = P_ij (dP_ij - sum_l
// P_il dP_il), dq = Scale dS k, dk = Scale dS^T q, dv = P^T dOut, and dBias
// (nil without a bias) sums dS over the problems sharing each matrix.
func attnRefBackward(dOut, q, k, v, bias []float64, g backend.AttnGeom) (dq, dk, dv, dBias []float64) {
	dq = make([]float64, g.Batch*g.Lq*g.D)
	dk = make([]float64, g.Batch*g.Lk*g.D)
	dv = make([]float64, g.Batch*g.Lk*g.DV)
	if bias != nil {
		dBias = make([]float64, g.BiasBatch*g.Lq*g.Lk)
	}
	for b := range g.Batch {
		for i := range g.Lq {
			p, _ := attnRefProbs(attnRefScores(q, k, bias, g, b, i))
			dp := make([]float64, g.Lk)
			var pdp float64
			for j := range g.Lk {
				for c := range g.DV {
					dp[j] += dOut[(b*g.Lq+i)*g.DV+c] * v[(b*g.Lk+j)*g.DV+c]
				}
				pdp += p[j] * dp[j]
			}
			for j := range g.Lk {
				ds := p[j] * (dp[j] - pdp)
				for c := range g.D {
					dq[(b*g.Lq+i)*g.D+c] += g.Scale * ds * k[(b*g.Lk+j)*g.D+c]
					dk[(b*g.Lk+j)*g.D+c] += g.Scale * ds * q[(b*g.Lq+i)*g.D+c]
				}
				for c := range g.DV {
					dv[(b*g.Lk+j)*g.DV+c] += p[j] * dOut[(b*g.Lq+i)*g.DV+c]
				}
				if dBias != nil {
					dBias[((b%g.BiasBatch)*g.Lq+i)*g.Lk+j] += ds
				}
			}
		}
	}
	return dq, dk, dv, dBias
}

// uploadOrNil uploads vals, or returns nil for nil vals.
func uploadOrNil(b backend.Backend, dt backend.DType, vals []float64) backend.Buffer {
	if vals == nil {
		return nil
	}
	return Upload(b, dt, vals)
}

// allocNaN returns a buffer of n NaNs, for outputs that must be overwritten.
func allocNaN(b backend.Backend, dt backend.DType, n int) backend.Buffer {
	buf := b.Alloc(dt, n)
	b.Fill(buf, math.NaN())
	return buf
}

// checkAttention compares out and lse with attnRef; outputs start as NaN,
// and masked rows must give exact zeros and lse -Inf.
func checkAttention(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("Attention")
	for _, c := range attnCases {
		g := c.g
		q, k, v, bias := attnInputs(r, dt, c)
		wantOut, wantLse := attnRef(q, k, v, bias, g)
		qb, kb, vb, bb := Upload(b, dt, q), Upload(b, dt, k), Upload(b, dt, v), uploadOrNil(b, dt, bias)
		out, lse := allocNaN(b, dt, len(wantOut)), allocNaN(b, dt, len(wantLse))
		b.Attention(out, lse, qb, kb, vb, bb, g)
		gotOut, gotLse := Download(b, out), Download(b, lse)
		Close(t, "Attention out "+c.String(), gotOut, wantOut, Tol(dt))
		Close(t, "Attention lse "+c.String(), gotLse, wantLse, Tol(dt))
		for row, l := range wantLse {
			if !math.IsInf(l, -1) {
				continue
			}
			for ch := range g.DV {
				if o := gotOut[row*g.DV+ch]; o != 0 {
					t.Fatalf("Attention %v: fully masked row %d has output %g, want 0", c, row, o)
				}
			}
		}
		for _, buf := range []backend.Buffer{qb, kb, vb, bb, out, lse} {
			if buf != nil {
				b.Free(buf)
			}
		}
	}
}

// checkAttentionBackward feeds the reference forward's out and lse to the
// backward and compares dq, dk, dv (pre-filled with NaN, so they must be
// overwritten) and dBias (pre-filled with random values, so it must
// accumulate; also run with dBias nil) against attnRefBackward.
func checkAttentionBackward(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("AttentionBackward")
	for _, c := range attnCases {
		g := c.g
		q, k, v, bias := attnInputs(r, dt, c)
		out, lse := attnRef(q, k, v, bias, g)
		dOut := Rounded(dt, Randn(r, len(out), 1))
		wdq, wdk, wdv, wdBias := attnRefBackward(dOut, q, k, v, bias, g)
		ins := []backend.Buffer{Upload(b, dt, q), Upload(b, dt, k), Upload(b, dt, v), uploadOrNil(b, dt, bias),
			Upload(b, dt, dOut), Upload(b, dt, out), Upload(b, dt, lse)}
		qb, kb, vb, bb, dob, ob, lb := ins[0], ins[1], ins[2], ins[3], ins[4], ins[5], ins[6]
		withBias := []bool{false}
		if bias != nil {
			withBias = append(withBias, true)
		}
		for _, wantDBias := range withBias {
			what := fmt.Sprintf("AttentionBackward %v dBias=%v", c, wantDBias)
			dq, dk, dv := allocNaN(b, dt, len(wdq)), allocNaN(b, dt, len(wdk)), allocNaN(b, dt, len(wdv))
			var dBias backend.Buffer
			var dBias0 []float64
			if wantDBias {
				dBias0 = Rounded(dt, Randn(r, len(wdBias), 1))
				dBias = Upload(b, dt, dBias0)
			}
			b.AttentionBackward(dq, dk, dv, dBias, dob, qb, kb, vb, bb, ob, lb, g)
			Close(t, what+": dq", Download(b, dq), wdq, Tol(dt))
			Close(t, what+": dk", Download(b, dk), wdk, Tol(dt))
			Close(t, what+": dv", Download(b, dv), wdv, Tol(dt))
			if wantDBias {
				got := Download(b, dBias)
				for i := range got {
					got[i] -= dBias0[i] // what was accumulated
				}
				Close(t, what+": dBias", got, wdBias, Tol(dt))
				b.Free(dBias)
			}
			b.Free(dq)
			b.Free(dk)
			b.Free(dv)
		}
		for _, buf := range ins {
			if buf != nil {
				b.Free(buf)
			}
		}
	}
}
