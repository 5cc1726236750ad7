package nn

import (
	"fmt"

	"allnet/engine"
)

// BatchNorm2d is torch.nn.BatchNorm2d (affine, tracking running
// statistics): for x (N, C, H, W),
//
//	y = (x - mean_c) / sqrt(var_c + eps) * weight_c + bias_c
//
// with batch statistics in training (and the running statistics updated:
// running = (1-momentum)*running + momentum*batch, unbiased variance) and
// the running statistics in evaluation. State_dict names: weight, bias,
// running_mean, running_var. PyTorch also stores num_batches_tracked, an
// int64 counter used only when momentum is None; the engine has no int64,
// so it is omitted here and a checkpoint loader should skip it.
type BatchNorm2d struct {
	Weight, Bias            *engine.Tensor // (C), trainable
	RunningMean, RunningVar *engine.Tensor // (C), buffers
	Momentum, Eps           float64
	Training                bool
}

// NewBatchNorm2d returns a float32 batch norm over c channels, named under
// prefix, initialised as PyTorch does (weight 1, bias 0, running mean 0,
// running variance 1, momentum 0.1, eps 1e-5) and in training mode.
func NewBatchNorm2d(prefix string, c int) *BatchNorm2d {
	if c <= 0 {
		panic(fmt.Sprintf("nn: NewBatchNorm2d: %d channels", c))
	}
	rm := engine.Zeros(c)
	rm.Name = Join(prefix, "running_mean")
	rv := ones(c)
	rv.Name = Join(prefix, "running_var")
	return &BatchNorm2d{
		Weight:      engine.Param(Join(prefix, "weight"), ones(c)),
		Bias:        engine.Param(Join(prefix, "bias"), engine.Zeros(c)),
		RunningMean: rm,
		RunningVar:  rv,
		Momentum:    0.1,
		Eps:         1e-5,
		Training:    true,
	}
}

// Parameters returns weight and bias.
func (m *BatchNorm2d) Parameters() []*engine.Tensor { return []*engine.Tensor{m.Weight, m.Bias} }

// Buffers returns running_mean and running_var.
func (m *BatchNorm2d) Buffers() []*engine.Tensor {
	return []*engine.Tensor{m.RunningMean, m.RunningVar}
}

// SetTraining selects batch statistics (true) or running statistics.
func (m *BatchNorm2d) SetTraining(train bool) { m.Training = train }

// Forward normalises x (N, C, H, W); in training it also updates the
// running statistics in place.
func (m *BatchNorm2d) Forward(x *engine.Tensor) *engine.Tensor {
	if x.Rank() != 4 || x.Dim(1) != m.Weight.Dim(0) {
		panic(fmt.Sprintf("nn: BatchNorm2d: input %v, want (N, %d, H, W)", x.Shape(), m.Weight.Dim(0)))
	}
	return engine.BatchNorm(x, m.Weight, m.Bias, m.RunningMean, m.RunningVar, m.Training, m.Momentum, m.Eps)
}
