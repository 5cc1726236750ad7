package cuda_test

import (
	"fmt"
	"testing"

	"allnet/engine/backend"
	"allnet/engine/backend/backendtest"
)

// TestLayerNormTwin compares LayerNorm and LayerNormBackward with the CPU
// twin: odd column counts, one column, every row kernel (registers for 8,
// 16 and 32 values per lane, a warp rereading the row, a block per row),
// enough rows for several dgamma/dbeta chunks, nil gamma and beta, and
// dgamma/dbeta accumulating onto random values (or nil).
func TestLayerNormTwin(t *testing.T) {
	cpu, gpu := twins(t)
	r := rng(t)
	for _, c := range []struct {
		rows, cols  int
		gamma, beta bool
	}{
		{7, 13, true, true}, {5, 37, false, false}, {3, 1, true, false}, {2, 1100, true, true}, {3, 300, true, true}, {2, 700, false, true},
		{150, 19, true, true}, {70, 40, false, true}, {9, 64, true, false},
	} {
		what := fmt.Sprintf("%+v", c)
		n := c.rows * c.cols
		x := randn(r, n, 2)
		for i := range x {
			x[i] += 3
		}
		var gamma, beta []float32
		if c.gamma {
			gamma = randn(r, c.cols, 1)
		}
		if c.beta {
			beta = randn(r, c.cols, 1)
		}
		dy := randn(r, n, 1)
		dg0, db0 := randn(r, c.cols, 1), randn(r, c.cols, 1)
		var outs [2][6][]float32
		for i, b := range []backend.Backend{cpu, gpu} {
			opt := func(v []float32) backend.Buffer {
				if v == nil {
					return nil
				}
				return upload(b, v)
			}
			xb, gb, bb := upload(b, x), opt(gamma), opt(beta)
			y, mean, rstd := poisoned(b, n), poisoned(b, c.rows), poisoned(b, c.rows)
			b.LayerNorm(y, mean, rstd, xb, gb, bb, c.rows, c.cols, 1e-5)
			dx := poisoned(b, n)
			dgb, dbb := upload(b, dg0), upload(b, db0)
			b.LayerNormBackward(dx, dgb, dbb, upload(b, dy), xb, mean, rstd, gb, c.rows, c.cols)
			dx2 := poisoned(b, n)
			dbOnly := upload(b, db0)
			b.LayerNormBackward(dx2, nil, dbOnly, upload(b, dy), xb, mean, rstd, gb, c.rows, c.cols)
			outs[i] = [6][]float32{download(b, y), append(download(b, mean), download(b, rstd)...),
				download(b, dx), download(b, dgb), download(b, dbb), append(download(b, dx2), download(b, dbOnly)...)}
		}
		for j, name := range []string{"y", "mean+rstd", "dx", "dgamma", "dbeta", "dx+dbeta (no dgamma)"} {
			requireClose(t, "LayerNorm "+what+" "+name, outs[1][j], outs[0][j], 1e-5)
		}
	}
}

// TestLayerNormInPlace checks y == x and dx == dy without parameter
// gradients.
func TestLayerNormInPlace(t *testing.T) {
	cpu, gpu := twins(t)
	r := rng(t)
	rows, cols := 11, 29
	x, dy := randn(r, rows*cols, 1), randn(r, rows*cols, 1)
	var got [2][]float32
	for i, b := range []backend.Backend{cpu, gpu} {
		x0, xb := upload(b, x), upload(b, x)
		mean, rstd := poisoned(b, rows), poisoned(b, rows)
		b.LayerNorm(xb, mean, rstd, xb, nil, nil, rows, cols, 1e-5)
		dyb := upload(b, dy)
		b.LayerNormBackward(dyb, nil, nil, dyb, x0, mean, rstd, nil, rows, cols)
		got[i] = append(download(b, xb), download(b, dyb)...)
	}
	requireClose(t, "LayerNorm in place", got[1], got[0], 1e-5)
}

func TestLayerNormConformance(t *testing.T) {
	backendtest.RunOnly(t, newEmu(t), "LayerNorm", "LayerNormBackward")
}
