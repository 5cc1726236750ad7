package cuda

import (
	"fmt"

	"allnet/engine/backend"
)

// LayerNorm normalises each of rows rows of cols values (kernels/layernorm.cu:
// a warp per row holding the row in registers up to 512 columns, a row group
// rereading it beyond): y = (x - mean) * rstd * gamma + beta with the
// biased variance; gamma and beta may be nil. y may be x.
func (b *Backend) LayerNorm(y, mean, rstd, x, gamma, beta backend.Buffer, rows, cols int, eps float64) {
	const op = "LayerNorm"
	layerNormShape(op, rows, cols)
	normF32(op, "y", y, rows*cols)
	normF32(op, "mean", mean, rows)
	normF32(op, "rstd", rstd, rows)
	normF32(op, "x", x, rows*cols)
	if gamma != nil {
		normF32(op, "gamma", gamma, cols)
	}
	if beta != nil {
		normF32(op, "beta", beta, cols)
	}
	if rows == 0 {
		return
	}
	grid, block := rowShape(rows, cols)
	kernel := "layernorm_fwd_f32"
	switch {
	case cols <= 256:
		kernel = "layernorm_fwd_w8_f32"
	case cols <= 512:
		kernel = "layernorm_fwd_w16_f32"
	}
	b.launch(kernel, grid, block, 0, y, mean, rstd, x, gamma, beta, rows, cols, eps)
}

// LayerNormBackward computes dx and accumulates dgamma += sum_rows dy*xhat and
// dbeta += sum_rows dy (each may be nil); gamma nil means 1. The parameter
// gradients are summed per chunk of rows into a workspace, then over chunks
// in order (deterministic, no atomics). dx may be dy.
func (b *Backend) LayerNormBackward(dx, dgamma, dbeta, dy, x, mean, rstd, gamma backend.Buffer, rows, cols int) {
	const op = "LayerNormBackward"
	layerNormShape(op, rows, cols)
	normF32(op, "dx", dx, rows*cols)
	normF32(op, "dy", dy, rows*cols)
	normF32(op, "x", x, rows*cols)
	normF32(op, "mean", mean, rows)
	normF32(op, "rstd", rstd, rows)
	for _, p := range []struct {
		name string
		buf  backend.Buffer
	}{{"gamma", gamma}, {"dgamma", dgamma}, {"dbeta", dbeta}} {
		if p.buf != nil {
			normF32(op, p.name, p.buf, cols)
		}
	}
	if rows == 0 {
		return
	}
	// Parameter gradients first: dx may overwrite dy.
	if dgamma != nil || dbeta != nil {
		tiles := (cols + 31) / 32
		want := max(1, 1024/tiles)
		chunk := max(64, (rows+want-1)/want)
		chunks := (rows + chunk - 1) / chunk
		grid, block := Dim3{X: tiles, Y: chunks, Z: 1}, Dim3{X: 32, Y: 8, Z: 1}
		if chunks == 1 {
			b.launch("layernorm_bwd_param_f32", grid, block, 0, dgamma, dbeta, dy, x, mean, rstd, rows, cols, chunk, true)
		} else {
			var pg, pb backend.Buffer
			if dgamma != nil {
				pg = b.Alloc(backend.Float32, chunks*cols)
				defer b.Free(pg)
			}
			if dbeta != nil {
				pb = b.Alloc(backend.Float32, chunks*cols)
				defer b.Free(pb)
			}
			b.launch("layernorm_bwd_param_f32", grid, block, 0, pg, pb, dy, x, mean, rstd, rows, cols, chunk, false)
			b.launch("layernorm_bwd_param_sum_f32", dim1(blocksFor(cols, 256)), dim1(256), 0,
				dgamma, dbeta, pg, pb, chunks, cols)
		}
	}
	grid, block := rowShape(rows, cols)
	kernel := "layernorm_bwd_dx_f32"
	switch {
	case cols <= 256:
		kernel = "layernorm_bwd_dx_w8_f32"
	case cols <= 1024:
		kernel = "layernorm_bwd_dx_w32_f32"
	}
	b.launch(kernel, grid, block, 0, dx, dy, x, mean, rstd, gamma, rows, cols)
}

func layerNormShape(op string, rows, cols int) {
	if rows < 0 || cols <= 0 {
		panic(fmt.Sprintf("cuda: %s: bad shape (rows %d, cols %d)", op, rows, cols))
	}
}
