package cuda_test

import (
	"fmt"
	"math"
	"testing"

	"allnet/engine/backend"
	"allnet/engine/backend/backendtest"
	"github.com/stretchr/testify/require"
)

// TestTopKTwin compares TopK with the CPU twin exactly: values drawn from a
// few levels (many ties) with -0, +0 and NaNs, rows that fit the sort buffer,
// rows that stream through it (cols > 4096), and the counting fallback
// (k > 2048 of more than 4096 columns).
func TestTopKTwin(t *testing.T) {
	cpu, gpu := twins(t)
	r := rng(t)
	for _, s := range []struct{ rows, cols, k int }{
		{1, 1, 1}, {3, 9, 9}, {7, 23, 5}, {4, 300, 17}, {2, 5000, 40}, {1, 4100, 2100}, {5, 64, 1},
	} {
		x := make([]float32, s.rows*s.cols)
		for i := range x {
			switch r.IntN(9) {
			case 0:
				x[i] = float32(math.NaN())
			case 1:
				x[i] = float32(math.Copysign(0, -1))
			case 2, 3, 4:
				x[i] = float32(r.IntN(5)-2) / 2
			default:
				x[i] = float32(r.NormFloat64())
			}
		}
		var vals [2][]float32
		var idx [2][]int32
		for i, b := range []backend.Backend{cpu, gpu} {
			vb, ib := poisoned(b, s.rows*s.k), b.Alloc(backend.Int32, s.rows*s.k)
			b.Fill(ib, -7)
			b.TopK(vb, ib, upload(b, x), s.rows, s.cols, s.k)
			vals[i], idx[i] = download(b, vb), downloadInt(b, ib)
		}
		what := fmt.Sprintf("TopK %+v", s)
		require.Equal(t, idx[0], idx[1], what+" indices")
		for j := range vals[0] {
			w, g := vals[0][j], vals[1][j]
			require.True(t, math.Float32bits(w) == math.Float32bits(g) || (w != w && g != g), "%s values[%d] = %v, want %v", what, j, g, w)
		}
	}
}

// TestGatherScatterTwin compares Gather (float32 and int32) and ScatterAdd
// (float32 and int32, repeated indices) with the CPU twin.
func TestGatherScatterTwin(t *testing.T) {
	cpu, gpu := twins(t)
	r := rng(t)
	for _, s := range []struct{ outer, dim, idxDim, inner int }{{3, 11, 7, 5}, {4, 4, 13, 1}, {2, 1, 3, 4}, {2, 5, 9, 300}} {
		n, m := s.outer*s.idxDim*s.inner, s.outer*s.dim*s.inner
		ix := make([]int32, n)
		for i := range ix {
			ix[i] = int32(r.IntN(s.dim))
		}
		src, small, dst0 := randn(r, m, 1), randn(r, n, 1), randn(r, m, 1)
		isrc, ismall, idst0 := make([]int32, m), make([]int32, n), make([]int32, m)
		for i := range isrc {
			isrc[i], idst0[i] = int32(r.IntN(2000)-1000), int32(r.IntN(2000)-1000)
		}
		for i := range ismall {
			ismall[i] = int32(r.IntN(2000) - 1000)
		}
		var f [2][2][]float32
		var in [2][2][]int32
		for i, b := range []backend.Backend{cpu, gpu} {
			ib := uploadInt(b, ix)
			g := poisoned(b, n)
			b.Gather(g, upload(b, src), ib, s.outer, s.dim, s.idxDim, s.inner)
			gi := b.Alloc(backend.Int32, n)
			b.Fill(gi, -7)
			b.Gather(gi, uploadInt(b, isrc), ib, s.outer, s.dim, s.idxDim, s.inner)
			d := upload(b, dst0)
			b.ScatterAdd(d, upload(b, small), ib, s.outer, s.dim, s.idxDim, s.inner)
			di := uploadInt(b, idst0)
			b.ScatterAdd(di, uploadInt(b, ismall), ib, s.outer, s.dim, s.idxDim, s.inner)
			f[i] = [2][]float32{download(b, g), download(b, d)}
			in[i] = [2][]int32{downloadInt(b, gi), downloadInt(b, di)}
		}
		what := fmt.Sprintf("%+v", s)
		require.Equal(t, f[0][0], f[1][0], "Gather float32 "+what)
		require.Equal(t, in[0][0], in[1][0], "Gather int32 "+what)
		requireClose(t, "ScatterAdd float32 "+what, f[1][1], f[0][1], 1e-6)
		require.Equal(t, in[0][1], in[1][1], "ScatterAdd int32 "+what)
	}
}

// TestIndexPanics checks that out-of-range indices panic with the CPU
// twin's message (but for the backend prefix), naming the first bad one.
func TestIndexPanics(t *testing.T) {
	cpu, gpu := twins(t)
	ix := []int32{0, 1, 2, 1, 0, 3, 2, -1, 5, 0, 1, 2}
	msgs := func(b backend.Backend) []string {
		var out []string
		for _, f := range []func(){
			func() {
				b.Gather(b.Alloc(backend.Float32, 12), b.Alloc(backend.Float32, 12), uploadInt(b, ix), 2, 3, 3, 2)
			},
			func() {
				b.ScatterAdd(b.Alloc(backend.Int32, 12), b.Alloc(backend.Int32, 12), uploadInt(b, ix), 2, 3, 3, 2)
			},
		} {
			out = append(out, panicMessage(t, f))
		}
		return out
	}
	want, got := msgs(cpu), msgs(gpu)
	for i := range want {
		require.Contains(t, want[i], "index 3 at [0, 2, 1]")
		require.Equal(t, "cuda"+want[i][len("cpu"):], got[i])
	}
}

// panicMessage runs f and returns its panic's message, failing t when f
// returns normally.
func panicMessage(t *testing.T, f func()) (msg string) {
	t.Helper()
	defer func() {
		r := recover()
		require.NotNil(t, r, "no panic")
		msg = fmt.Sprint(r)
	}()
	f()
	return ""
}

func TestIndexConformance(t *testing.T) {
	backendtest.RunOnly(t, newEmu(t), "TopK", "Gather", "ScatterAdd")
}
