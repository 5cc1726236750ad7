package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"allnet/engine/backend"
)

func init() {
	register("TopK", checkTopK)
	register("Gather", checkGather)
	register("ScatterAdd", checkScatterAdd)
}

// idxRefTopK is the float64 reference of TopK: a stable sort of each row
// by descending value, so that ties keep the lower index first.
func idxRefTopK(x []float64, rows, cols, k int) (values, indices []float64) {
	for r := range rows {
		row := x[r*cols : (r+1)*cols]
		order := make([]int, cols)
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(a, b int) bool { return row[order[a]] > row[order[b]] })
		for _, i := range order[:k] {
			values = append(values, row[i])
			indices = append(indices, float64(i))
		}
	}
	return values, indices
}

// checkTopK uses values drawn from few levels, so that ties are common, and
// k from 1 to cols.
func checkTopK(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("TopK")
	for _, sz := range []struct{ rows, cols int }{{1, 1}, {37, 23}, {5, 300}, {801, 9}} {
		x := make([]float64, sz.rows*sz.cols)
		for i := range x {
			if i%2 == 0 {
				x[i] = float64(r.IntN(7)-3) / 2
			} else {
				x[i] = r.NormFloat64()
			}
		}
		x = Rounded(dt, x)
		xb := Upload(b, dt, x)
		for _, k := range []int{1, 2, 5, sz.cols} {
			if k > sz.cols {
				continue
			}
			vb, ib := b.Alloc(dt, sz.rows*k), b.Alloc(backend.Int32, sz.rows*k)
			b.Fill(vb, math.NaN())
			b.Fill(ib, -1)
			b.TopK(vb, ib, xb, sz.rows, sz.cols, k)
			wv, wi := idxRefTopK(x, sz.rows, sz.cols, k)
			what := fmt.Sprintf("TopK rows %d cols %d k %d", sz.rows, sz.cols, k)
			memExact(t, what+" values", Download(b, vb), wv)
			memExact(t, what+" indices", Download(b, ib), wi)
			b.Free(vb)
			b.Free(ib)
		}
		memExact(t, "TopK leaves x alone", Download(b, xb), x)
		b.Free(xb)
	}
}

// idxShape is a (outer, dim, idxDim, inner) problem for Gather (dim =
// srcDim) and ScatterAdd (dim = dstDim).
type idxShape struct{ outer, dim, idxDim, inner int }

// idxShapes include repeated indices (idxDim > dim), inner == 1, outer ==
// 1, and sizes that backends split.
var idxShapes = []idxShape{
	{3, 11, 7, 5}, {4, 4, 13, 1}, {1, 6, 9, 17}, {2, 1, 3, 4}, {2, 5, 9, 1500}, {300, 3, 8, 20},
}

func idxRandom(r *rand.Rand, n, dim int) []int32 {
	v := make([]int32, n)
	for i := range v {
		v[i] = int32(r.IntN(dim))
	}
	return v
}

// idxRefGather is the float64 reference of Gather.
func idxRefGather(src []float64, idx []int32, s idxShape) []float64 {
	dst := make([]float64, len(idx))
	for o := range s.outer {
		for i := range s.idxDim {
			for n := range s.inner {
				p := (o*s.idxDim+i)*s.inner + n
				dst[p] = src[(o*s.dim+int(idx[p]))*s.inner+n]
			}
		}
	}
	return dst
}

// idxRefScatterAdd is the float64 reference of ScatterAdd onto dst0.
func idxRefScatterAdd(dst0, src []float64, idx []int32, s idxShape) []float64 {
	dst := append([]float64(nil), dst0...)
	for o := range s.outer {
		for i := range s.idxDim {
			for n := range s.inner {
				p := (o*s.idxDim+i)*s.inner + n
				dst[(o*s.dim+int(idx[p]))*s.inner+n] += src[p]
			}
		}
	}
	return dst
}

// idxExpectPanics sets idx[at] to dim, then to -1, uploads idx to ib and
// fails t unless call (then Synchronize) panics each time.
func idxExpectPanics(t *testing.T, b backend.Backend, what string, idx []int32, ib backend.Buffer, at, dim int, call func()) {
	t.Helper()
	for _, bad := range []int32{int32(dim), -1} {
		idx[at] = bad
		b.Upload(ib, idx)
		memExpectPanic(t, fmt.Sprintf("%s with index %d", what, bad), func() {
			call()
			b.Synchronize()
		})
	}
}

func checkGather(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("Gather")
	for _, s := range idxShapes {
		src := Rounded(dt, Randn(r, s.outer*s.dim*s.inner, 1))
		idx := idxRandom(r, s.outer*s.idxDim*s.inner, s.dim)
		sb, ib, db := Upload(b, dt, src), UploadInts(b, idx), b.Alloc(dt, len(idx))
		b.Fill(db, math.NaN())
		b.Gather(db, sb, ib, s.outer, s.dim, s.idxDim, s.inner)
		memExact(t, fmt.Sprintf("Gather %+v", s), Download(b, db), idxRefGather(src, idx, s))
		idxExpectPanics(t, b, fmt.Sprintf("Gather %+v", s), idx, ib, len(idx)/2, s.dim, func() {
			b.Gather(db, sb, ib, s.outer, s.dim, s.idxDim, s.inner)
		})
		b.Free(sb)
		b.Free(ib)
		b.Free(db)
	}
}

func checkScatterAdd(t *testing.T, b backend.Backend, dt backend.DType) {
	r := RNG("ScatterAdd")
	for _, s := range idxShapes {
		dst0 := Rounded(dt, Randn(r, s.outer*s.dim*s.inner, 1))
		src := Rounded(dt, Randn(r, s.outer*s.idxDim*s.inner, 1))
		idx := idxRandom(r, len(src), s.dim)
		db, sb, ib := Upload(b, dt, dst0), Upload(b, dt, src), UploadInts(b, idx)
		b.ScatterAdd(db, sb, ib, s.outer, s.dim, s.idxDim, s.inner)
		Close(t, fmt.Sprintf("ScatterAdd %+v", s), Download(b, db), idxRefScatterAdd(dst0, src, idx, s), Tol(dt))
		idxExpectPanics(t, b, fmt.Sprintf("ScatterAdd %+v", s), idx, ib, len(idx)/3, s.dim, func() {
			b.ScatterAdd(db, sb, ib, s.outer, s.dim, s.idxDim, s.inner)
		})
		b.Free(db)
		b.Free(sb)
		b.Free(ib)
	}
}
