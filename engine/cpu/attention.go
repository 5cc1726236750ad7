package cpu

import (
	"fmt"
	"math"

	"allnet/engine/backend"
)

// attnGrain is the number of multiply-adds below which a goroutine is not
// worth starting.
const attnGrain = 32768

// Attention computes out = softmax(Scale*q k^T + bias) v for each of
// g.Batch problems (see backend.AttnGeom) and stores each row's
// log-sum-exp in lse (-Inf, with a zero output row, where every key is
// masked). It works on blocks of attnBlock query rows, parallel over
// blocks: scores against all keys, a max-subtracted softmax summed in
// float64, then the weighted sum of v, read through a per-goroutine
// transpose of the problem's v.
func (*CPU) Attention(out, lse, q, k, v, bias backend.Buffer, g backend.AttnGeom) {
	checkAttn("Attention", g, bias, nil)
	checkLen("Attention", "out", out, g.Batch*g.Lq*g.DV)
	checkLen("Attention", "lse", lse, g.Batch*g.Lq)
	checkLen("Attention", "q", q, g.Batch*g.Lq*g.D)
	checkLen("Attention", "k", k, g.Batch*g.Lk*g.D)
	checkLen("Attention", "v", v, g.Batch*g.Lk*g.DV)
	if isF64(q) {
		attnForward(floats[float64](out), floats[float64](lse), floats[float64](q), floats[float64](k),
			floats[float64](v), floats[float64](bias), g)
	} else {
		attnForward(floats[float32](out), floats[float32](lse), floats[float32](q), floats[float32](k),
			floats[float32](v), floats[float32](bias), g)
	}
}

// AttentionBackward computes dq, dk and dv (overwritten) and, when dBias is
// not nil, accumulates the bias gradient summed over the problems that share
// each bias matrix. P = exp(Scale*q k^T + bias - lse) is recomputed twice:
// once row by row (dq and dBias, parallel over query rows, or over
// (bias matrix, row) pairs when several problems share a bias matrix, each
// summing its problems in order) and once column by column (dk and dv,
// parallel over keys), so that every output has one writer and results do
// not depend on the thread count.
func (*CPU) AttentionBackward(dq, dk, dv, dBias, dOut, q, k, v, bias, out, lse backend.Buffer, g backend.AttnGeom) {
	const op = "AttentionBackward"
	checkAttn(op, g, bias, dBias)
	checkLen(op, "dq", dq, g.Batch*g.Lq*g.D)
	checkLen(op, "dk", dk, g.Batch*g.Lk*g.D)
	checkLen(op, "dv", dv, g.Batch*g.Lk*g.DV)
	checkLen(op, "dOut", dOut, g.Batch*g.Lq*g.DV)
	checkLen(op, "q", q, g.Batch*g.Lq*g.D)
	checkLen(op, "k", k, g.Batch*g.Lk*g.D)
	checkLen(op, "v", v, g.Batch*g.Lk*g.DV)
	checkLen(op, "out", out, g.Batch*g.Lq*g.DV)
	checkLen(op, "lse", lse, g.Batch*g.Lq)
	if isF64(q) {
		a := attnArgs[float64]{q: floats[float64](q), k: floats[float64](k), v: floats[float64](v),
			bias: floats[float64](bias), dOut: floats[float64](dOut), out: floats[float64](out), lse: floats[float64](lse)}
		a.backward(floats[float64](dq), floats[float64](dk), floats[float64](dv), floats[float64](dBias), g)
	} else {
		a := attnArgs[float32]{q: floats[float32](q), k: floats[float32](k), v: floats[float32](v),
			bias: floats[float32](bias), dOut: floats[float32](dOut), out: floats[float32](out), lse: floats[float32](lse)}
		a.backward(floats[float32](dq), floats[float32](dk), floats[float32](dv), floats[float32](dBias), g)
	}
}

// checkAttn panics when the geometry is negative or a bias (or its
// gradient) is given without a positive BiasBatch or is too short.
func checkAttn(op string, g backend.AttnGeom, bias, dBias backend.Buffer) {
	if g.Batch < 0 || g.Lq < 0 || g.Lk < 0 || g.D < 0 || g.DV < 0 ||
		((bias != nil || dBias != nil) && g.BiasBatch <= 0) {
		panic(fmt.Sprintf("cpu: %s: bad geometry %+v", op, g))
	}
	if bias != nil {
		checkLen(op, "bias", bias, g.BiasBatch*g.Lq*g.Lk)
	}
	if dBias != nil {
		checkLen(op, "dBias", dBias, g.BiasBatch*g.Lq*g.Lk)
	}
}

// attnBlock is the number of query rows (or keys) handled together, so that
// each row of the other operand is loaded once for all of them.
const attnBlock = 4

// attnDot4 returns the dot products of a0..a3 with b (over len(b)), each
// summed in index order, so that a score is bitwise the same whichever
// operand is blocked.
func attnDot4[T Float](a0, a1, a2, a3, b []T) (s0, s1, s2, s3 T) {
	n := len(b)
	a0, a1, a2, a3 = a0[:n], a1[:n], a2[:n], a3[:n]
	for i, x := range b {
		s0 += a0[i] * x
		s1 += a1[i] * x
		s2 += a2[i] * x
		s3 += a3[i] * x
	}
	return s0, s1, s2, s3
}

// attnRows returns the attnBlock rows of width w starting at row i0 of
// problem b of m (rows rows per problem); rows past the last repeat it, so
// that a partial block computes, and its caller drops, duplicates.
func attnRows[T Float](m []T, b, rows, i0, w int) (r [attnBlock][]T) {
	for t := range r {
		i := (b*rows + min(i0+t, rows-1)) * w
		r[t] = m[i : i+w]
	}
	return r
}

// attnTrans holds the transpose (cols, rows) of problem b's (rows, cols)
// matrix of one operand, kept while consecutive work units stay in that
// problem. Each instance serves a single operand.
type attnTrans[T Float] struct {
	m     []T
	b     int
	valid bool
}

func (c *attnTrans[T]) get(src []T, b, rows, cols int) []T {
	if c.valid && c.b == b {
		return c.m
	}
	if c.m == nil {
		c.m = make([]T, rows*cols)
	}
	c.b, c.valid = b, true
	base := b * rows * cols
	for r := range rows {
		for col, x := range src[base+r*cols : base+(r+1)*cols] {
			c.m[col*rows+r] = x
		}
	}
	return c.m
}

// attnBiasAt returns bias[i, j] of the matrix problem b reads (0 without
// a bias).
func attnBiasAt[T Float](bias []T, g backend.AttnGeom, b, i, j int) T {
	if bias == nil {
		return 0
	}
	return bias[((b%g.BiasBatch)*g.Lq+i)*g.Lk+j]
}

// attnScores sets s[t][j] = Scale*<q_{i0+t}, k_j> + bias for the block of
// query rows starting at i0 of problem b. The backward's column pass forms
// the same expression, rounding Scale*<q, k> to T before adding the bias
// (the conversion forbids a fused multiply-add), so P matches the
// forward's lse.
func attnScores[T Float](s *[attnBlock][]T, q, k, bias []T, g backend.AttnGeom, b, i0 int) {
	qr := attnRows(q, b, g.Lq, i0, g.D)
	scale := T(g.Scale)
	for j := range g.Lk {
		kj := k[(b*g.Lk+j)*g.D : (b*g.Lk+j+1)*g.D]
		x0, x1, x2, x3 := attnDot4(qr[0], qr[1], qr[2], qr[3], kj)
		s[0][j], s[1][j], s[2][j], s[3][j] = T(scale*x0), T(scale*x1), T(scale*x2), T(scale*x3)
	}
	if bias != nil {
		for t := range min(attnBlock, g.Lq-i0) {
			for j, x := range attnBiasRow(bias, g, b, i0+t) {
				s[t][j] += x
			}
		}
	}
}

// attnBiasRow returns row i of the bias matrix problem b reads.
func attnBiasRow[T Float](bias []T, g backend.AttnGeom, b, i int) []T {
	off := ((b%g.BiasBatch)*g.Lq + i) * g.Lk
	return bias[off : off+g.Lk]
}

// attnScratch returns attnBlock zeroed slices of n values.
func attnScratch[T Float](n int) (s [attnBlock][]T) {
	for t := range s {
		s[t] = make([]T, n)
	}
	return s
}

func attnForward[T Float](out, lse, q, k, v, bias []T, g backend.AttnGeom) {
	Lq, Lk, DV := g.Lq, g.Lk, g.DV
	nBlk := (Lq + attnBlock - 1) / attnBlock
	parallelFor(g.Batch*nBlk, max(1, attnGrain/max(1, attnBlock*Lk*(g.D+DV))), func(lo, hi int) {
		s := attnScratch[T](Lk)
		var vT attnTrans[T]
		for u := lo; u < hi; u++ {
			b, i0 := u/nBlk, (u%nBlk)*attnBlock
			rows := min(attnBlock, Lq-i0)
			attnScores(&s, q, k, bias, g, b, i0)
			var inv [attnBlock]T
			for t := range rows {
				mx := math.Inf(-1)
				for _, x := range s[t] {
					mx = max(mx, float64(x))
				}
				r := b*Lq + i0 + t
				if math.IsInf(mx, -1) { // every key masked (or none)
					clear(s[t])
					lse[r] = T(mx)
					continue
				}
				var sum float64
				for j, x := range s[t] {
					p := smExp[T](float64(x) - mx)
					sum += p
					s[t][j] = T(p)
				}
				inv[t] = T(1 / sum)
				lse[r] = T(mx + math.Log(sum))
			}
			vt := vT.get(v, b, Lk, DV)
			for c := range DV {
				o0, o1, o2, o3 := attnDot4(s[0], s[1], s[2], s[3], vt[c*Lk:(c+1)*Lk])
				o := [attnBlock]T{o0, o1, o2, o3}
				for t := range rows {
					out[(b*Lq+i0+t)*DV+c] = o[t] * inv[t]
				}
			}
		}
	})
}

// attnArgs holds the read-only operands of the backward.
type attnArgs[T Float] struct {
	q, k, v, bias, dOut, out, lse []T
}

func (a attnArgs[T]) backward(dq, dk, dv, dBias []T, g backend.AttnGeom) {
	delta := make([]float64, g.Batch*g.Lq) // rowsum(dOut * out)
	for r := range delta {
		var d float64
		for c, x := range a.dOut[r*g.DV : (r+1)*g.DV] {
			d += float64(x) * float64(a.out[r*g.DV+c])
		}
		delta[r] = d
	}
	a.backwardRows(dq, dBias, delta, g)
	a.backwardCols(dk, dv, delta, g)
}

// attnP returns P = exp(s - lse) for a score s and a row's lse, 0 for a
// fully masked row.
func attnP[T Float](s, lse T) float64 {
	if math.IsInf(float64(lse), -1) {
		return 0
	}
	return smExp[T](float64(s) - float64(lse))
}

// backwardRows computes dq_i = Scale * sum_j dS_ij k_j with
// dS_ij = P_ij (dOut_i.v_j - delta_i) and accumulates dS into dBias, for
// blocks of query rows. Work unit u is (group, block): with dBias set and
// fewer bias matrices than problems, group is the bias matrix and the unit
// walks its problems in order; otherwise group is the problem.
func (a attnArgs[T]) backwardRows(dq, dBias []T, delta []float64, g backend.AttnGeom) {
	Lq, Lk, D, DV := g.Lq, g.Lk, g.D, g.DV
	groups := g.Batch
	if dBias != nil && g.BiasBatch < g.Batch {
		groups = g.BiasBatch
	}
	nBlk := (Lq + attnBlock - 1) / attnBlock
	perUnit := max(1, attnBlock*Lk*(2*D+DV)*g.Batch/max(1, groups))
	parallelFor(groups*nBlk, max(1, attnGrain/perUnit), func(lo, hi int) {
		s := attnScratch[T](Lk)
		var kT attnTrans[T]
		for u := lo; u < hi; u++ {
			grp, i0 := u/nBlk, (u%nBlk)*attnBlock
			rows := min(attnBlock, Lq-i0)
			for b := grp; b < g.Batch; b += groups {
				attnScores(&s, a.q, a.k, a.bias, g, b, i0)
				do := attnRows(a.dOut, b, Lq, i0, DV)
				for j := range Lk {
					vj := a.v[(b*Lk+j)*DV : (b*Lk+j+1)*DV]
					d0, d1, d2, d3 := attnDot4(do[0], do[1], do[2], do[3], vj)
					dp := [attnBlock]T{d0, d1, d2, d3}
					for t := range rows {
						r := b*Lq + i0 + t
						s[t][j] = T(attnP(s[t][j], a.lse[r]) * (float64(dp[t]) - delta[r]))
					}
				}
				if dBias != nil {
					for t := range rows {
						off := ((b%g.BiasBatch)*Lq + i0 + t) * Lk
						for j, x := range s[t] {
							dBias[off+j] += x
						}
					}
				}
				kt := kT.get(a.k, b, Lk, D)
				for c := range D {
					x0, x1, x2, x3 := attnDot4(s[0], s[1], s[2], s[3], kt[c*Lk:(c+1)*Lk])
					x := [attnBlock]T{x0, x1, x2, x3}
					for t := range rows {
						dq[(b*Lq+i0+t)*D+c] = T(g.Scale) * x[t]
					}
				}
			}
		}
	})
}

// backwardCols computes, for blocks of keys, dk_j = Scale * sum_i dS_ij q_i
// and dv_j = sum_i P_ij dOut_i, recomputing P column by column.
func (a attnArgs[T]) backwardCols(dk, dv []T, delta []float64, g backend.AttnGeom) {
	Lq, Lk, D, DV := g.Lq, g.Lk, g.D, g.DV
	scale := T(g.Scale)
	nBlk := (Lk + attnBlock - 1) / attnBlock
	parallelFor(g.Batch*nBlk, max(1, attnGrain/max(1, attnBlock*Lq*(2*D+2*DV))), func(lo, hi int) {
		p, ds := attnScratch[T](Lq), attnScratch[T](Lq)
		var qT, doT attnTrans[T]
		for u := lo; u < hi; u++ {
			b, j0 := u/nBlk, (u%nBlk)*attnBlock
			keys := min(attnBlock, Lk-j0)
			kr := attnRows(a.k, b, Lk, j0, D)
			vr := attnRows(a.v, b, Lk, j0, DV)
			for i := range Lq {
				r := b*Lq + i
				qi := a.q[r*D : (r+1)*D]
				x0, x1, x2, x3 := attnDot4(kr[0], kr[1], kr[2], kr[3], qi)
				d0, d1, d2, d3 := attnDot4(vr[0], vr[1], vr[2], vr[3], a.dOut[r*DV:(r+1)*DV])
				x := [attnBlock]T{x0, x1, x2, x3}
				dp := [attnBlock]T{d0, d1, d2, d3}
				for t := range keys {
					pt := attnP(T(scale*x[t])+attnBiasAt(a.bias, g, b, i, j0+t), a.lse[r])
					p[t][i] = T(pt)
					ds[t][i] = T(pt * (float64(dp[t]) - delta[r]))
				}
			}
			qt := qT.get(a.q, b, Lq, D)
			for c := range D {
				x0, x1, x2, x3 := attnDot4(ds[0], ds[1], ds[2], ds[3], qt[c*Lq:(c+1)*Lq])
				x := [attnBlock]T{x0, x1, x2, x3}
				for t := range keys {
					dk[(b*Lk+j0+t)*D+c] = scale * x[t]
				}
			}
			dot := doT.get(a.dOut, b, Lq, DV)
			for c := range DV {
				x0, x1, x2, x3 := attnDot4(p[0], p[1], p[2], p[3], dot[c*Lq:(c+1)*Lq])
				x := [attnBlock]T{x0, x1, x2, x3}
				for t := range keys {
					dv[(b*Lk+j0+t)*DV+c] = x[t]
				}
			}
		}
	})
}
