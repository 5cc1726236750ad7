package engine

import (
	"fmt"

	"allnet/engine/backend"
)

// LayerNorm normalises x (..., C) over its last axis, as
// torch.nn.functional.layer_norm(x, (C,), gamma, beta, eps):
//
//	y = (x - mean) / sqrt(var + eps) * gamma + beta
//
// with the biased variance of each row of C values. gamma and beta are (C)
// and either may be nil (1 and 0). The output has x's shape.
func LayerNorm(x, gamma, beta *Tensor, eps float64) *Tensor {
	const op = "LayerNorm"
	x.mustFloat(op)
	if len(x.shape) == 0 || x.shape[len(x.shape)-1] == 0 {
		panic(fmt.Sprintf("engine: %s: input %v needs a non-empty last axis", op, x.shape))
	}
	c := x.shape[len(x.shape)-1]
	checkChannelParams(op, x, c, gamma, beta)
	rows := x.Len() / c
	out := x.like(x.shape...)
	mean, rstd := x.like(rows), x.like(rows)
	x.dev.LayerNorm(out.buf, mean.buf, rstd.buf, x.buf, bufOf(gamma), bufOf(beta), rows, c, eps)
	record(out, "layer_norm", []*Tensor{x, gamma, beta}, func(g *Tensor) []*Tensor {
		dx := x.like(x.shape...)
		var dgamma, dbeta *Tensor
		if gamma != nil && gamma.requiresGrad {
			dgamma = gamma.like(c)
		}
		if gamma != nil && beta != nil && beta.requiresGrad {
			dbeta = beta.like(c)
		}
		x.dev.LayerNormBackward(dx.buf, bufOf(dgamma), bufOf(dbeta), g.buf, x.buf, mean.buf, rstd.buf, bufOf(gamma), rows, c)
		if gamma == nil && beta != nil && beta.requiresGrad {
			// Without gamma the primitive is not asked for dbeta: sum dy over rows.
			dbeta = sumTo(Reshape(g, rows, c), beta.shape)
		}
		return []*Tensor{dx, dgamma, dbeta}
	})
	return out
}

// LayerNormChannels is layer norm over the channel axis of a channels-first
// tensor x (N, C, ...) (InternImage's LayerNorm in channels_first form):
// each (n, :, h, w) vector of C values is normalised as in LayerNorm, with
// gamma and beta (C) or nil. The output has x's shape.
func LayerNormChannels(x, gamma, beta *Tensor, eps float64) *Tensor {
	r := len(x.shape)
	if r < 2 {
		panic(fmt.Sprintf("engine: LayerNormChannels: input %v, want (N, C, ...)", x.shape))
	}
	if r == 2 {
		return LayerNorm(x, gamma, beta, eps)
	}
	toLast := make([]int, 0, r) // (N, C, d2..) -> (N, d2.., C)
	toLast = append(toLast, 0)
	for i := 2; i < r; i++ {
		toLast = append(toLast, i)
	}
	toLast = append(toLast, 1)
	back := make([]int, 0, r) // (N, d2.., C) -> (N, C, d2..)
	back = append(back, 0, r-1)
	for i := 1; i < r-1; i++ {
		back = append(back, i)
	}
	return Permute(LayerNorm(Permute(x, toLast...), gamma, beta, eps), back...)
}

// BatchNorm normalises x (N, C, ...) per channel, as
// torch.nn.functional.batch_norm(x, runningMean, runningVar, gamma, beta,
// training, momentum, eps):
//
//	y = (x - mean_c) / sqrt(var_c + eps) * gamma_c + beta_c
//
// In training (or when no running statistics are given) mean_c and var_c
// are the batch statistics over every axis but 1, var_c biased; in training
// the running statistics (C) are then updated in place, outside the graph:
// running = (1 - momentum)*running + momentum*batch, with the unbiased
// variance for runningVar. In evaluation the running statistics are used.
// gamma, beta, runningMean and runningVar are (C) or nil (the running pair
// both or neither). The backward is derived by autograd from the
// composition; the running statistics receive no gradient.
func BatchNorm(x, gamma, beta, runningMean, runningVar *Tensor, training bool, momentum, eps float64) *Tensor {
	const op = "BatchNorm"
	x.mustFloat(op)
	r := len(x.shape)
	if r < 2 {
		panic(fmt.Sprintf("engine: %s: input %v, want (N, C, ...)", op, x.shape))
	}
	c := x.shape[1]
	checkChannelParams(op, x, c, gamma, beta)
	if (runningMean == nil) != (runningVar == nil) {
		panic(fmt.Sprintf("engine: %s: give both running mean and running variance or neither (input %v)", op, x.shape))
	}
	if runningMean != nil {
		checkChannelParams(op, x, c, runningMean, runningVar)
	}
	bshape := make([]int, r) // (1, C, 1, ...)
	for i := range bshape {
		bshape[i] = 1
	}
	bshape[1] = c
	var y *Tensor
	if training || runningMean == nil {
		axes := []int{0}
		for i := 2; i < r; i++ {
			axes = append(axes, i)
		}
		n := x.Len() / max(c, 1)
		if training && n <= 1 {
			panic(fmt.Sprintf("engine: %s: expected more than 1 value per channel when training, got input %v", op, x.shape))
		}
		mean := Mean(x, true, axes...)
		xc := Sub(x, mean)
		v := Mean(Square(xc), true, axes...)
		y = Div(xc, Sqrt(AddScalar(v, eps)))
		if training && runningMean != nil {
			// The running statistics are updated from detached batch
			// statistics, so no graph is recorded without a NoGrad scope
			// (grad mode is process-wide: another goroutine may be
			// recording a graph meanwhile).
			unbiased := float64(n) / float64(n-1)
			runningMean.CopyFrom(Add(Scale(runningMean, 1-momentum), Scale(Reshape(mean.Detach(), c), momentum)))
			runningVar.CopyFrom(Add(Scale(runningVar, 1-momentum), Scale(Reshape(v.Detach(), c), momentum*unbiased)))
		}
	} else {
		rm := Reshape(runningMean.Detach(), bshape...)
		rs := Recip(Sqrt(AddScalar(Reshape(runningVar.Detach(), bshape...), eps)))
		y = Mul(Sub(x, rm), rs)
	}
	if gamma != nil {
		y = Mul(y, Reshape(gamma, bshape...))
	}
	if beta != nil {
		y = Add(y, Reshape(beta, bshape...))
	}
	return y
}

// checkChannelParams panics unless each non-nil parameter is a (c) tensor on
// x's device with x's dtype.
func checkChannelParams(op string, x *Tensor, c int, params ...*Tensor) {
	for _, p := range params {
		if p == nil {
			continue
		}
		sameDevice(op, x, p)
		if len(p.shape) != 1 || p.shape[0] != c {
			panic(fmt.Sprintf("engine: %s: parameter of shape %v for input %v, want (%d)", op, p.shape, x.shape, c))
		}
	}
}

// bufOf returns t's buffer, or a nil Buffer for a nil tensor.
func bufOf(t *Tensor) backend.Buffer {
	if t == nil {
		return nil
	}
	return t.buf
}
