package nn

import (
	"fmt"

	"allnet/engine"
)

// MultiHeadAttention is torch.nn.MultiheadAttention with batch_first=True,
// equal query, key and value widths, bias and no dropout: for query
// (B, Lq, C), key (B, Lk, C) and value (B, Lk, C),
//
//	q = query Wq^T + bq, k = key Wk^T + bk, v = value Wv^T + bv
//	head h: o_h = softmax(q_h k_h^T / sqrt(C/H) + bias) v_h
//	out = concat_h(o_h) Wo^T + bo  (B, Lq, C)
//
// where [Wq; Wk; Wv] is in_proj_weight (3C, C), [bq; bk; bv] in_proj_bias
// (3C) and q_h the h-th block of C/H channels. Parameter names are PyTorch's:
// in_proj_weight, in_proj_bias, out_proj.weight, out_proj.bias, so its
// state_dict loads as is. Separate kdim/vdim (PyTorch's q_proj_weight,
// k_proj_weight, v_proj_weight), add_bias_kv, add_zero_attn and attention
// dropout are not supported.
type MultiHeadAttention struct {
	Dim, Heads   int
	InProjWeight *engine.Tensor // (3C, C)
	InProjBias   *engine.Tensor // (3C)
	OutWeight    *engine.Tensor // out_proj.weight (C, C)
	OutBias      *engine.Tensor // out_proj.bias (C)
	Training     bool
}

// NewMultiHeadAttention returns an attention layer of width dim split into
// heads heads, its float32 parameters named under prefix and initialised as
// PyTorch does: in_proj_weight xavier-uniform U(-sqrt(6/(C+3C)), +),
// out_proj.weight U(-1/sqrt(C), 1/sqrt(C)), biases zero. Draws come from g.
func NewMultiHeadAttention(prefix string, dim, heads int, g *engine.Generator) *MultiHeadAttention {
	if dim <= 0 || heads <= 0 || dim%heads != 0 {
		panic(fmt.Sprintf("nn: NewMultiHeadAttention: width %d is not a positive multiple of %d heads", dim, heads))
	}
	inW, inB := initWeights(InitXavier, g, []int{3 * dim, dim}, dim, 3*dim, 3*dim, true)
	outW, _ := initWeights(InitDefault, g, []int{dim, dim}, dim, dim, dim, false)
	return &MultiHeadAttention{
		Dim: dim, Heads: heads,
		InProjWeight: engine.Param(Join(prefix, "in_proj_weight"), inW),
		InProjBias:   engine.Param(Join(prefix, "in_proj_bias"), inB),
		OutWeight:    engine.Param(Join(prefix, "out_proj.weight"), outW),
		OutBias:      engine.Param(Join(prefix, "out_proj.bias"), engine.Zeros(dim)),
		Training:     true,
	}
}

// Parameters returns in_proj_weight, in_proj_bias, out_proj.weight and
// out_proj.bias.
func (m *MultiHeadAttention) Parameters() []*engine.Tensor {
	return []*engine.Tensor{m.InProjWeight, m.InProjBias, m.OutWeight, m.OutBias}
}

// Buffers returns nothing: the layer has no buffers.
func (m *MultiHeadAttention) Buffers() []*engine.Tensor { return nil }

// SetTraining records the mode; the layer behaves the same in both.
func (m *MultiHeadAttention) SetTraining(train bool) { m.Training = train }

// Forward attends from query (B, Lq, C) over key and value (B, Lk, C) and
// returns (B, Lq, C). bias (nil for none) is added to the scaled scores and
// broadcasts to (B, H, Lq, Lk) as in engine.ScaledDotProductAttention: -Inf
// masks a key (a PyTorch attn_mask of shape (Lq, Lk) is such a bias; a
// key_padding_mask (B, Lk) becomes a bias (B, 1, 1, Lk)). When query, key
// and value are the same tensor (self-attention) the three projections run
// as one product.
func (m *MultiHeadAttention) Forward(query, key, value, bias *engine.Tensor) *engine.Tensor {
	const op = "nn: MultiHeadAttention"
	c := m.Dim
	for _, x := range []*engine.Tensor{query, key, value} {
		if x.Rank() != 3 || x.Dim(2) != c {
			panic(fmt.Sprintf("%s: input %v, want (B, L, %d)", op, x.Shape(), c))
		}
	}
	b, lq, lk := query.Dim(0), query.Dim(1), key.Dim(1)
	if key.Dim(0) != b || value.Dim(0) != b || value.Dim(1) != lk {
		panic(fmt.Sprintf("%s: query %v, key %v, value %v (want (B, Lq, C), (B, Lk, C), (B, Lk, C))", op, query.Shape(), key.Shape(), value.Shape()))
	}
	var q, k, v *engine.Tensor
	if query == key && key == value {
		qkv := engine.Split(engine.Linear(query, m.InProjWeight, m.InProjBias), 2, c, c, c)
		q, k, v = qkv[0], qkv[1], qkv[2]
	} else {
		ws := engine.Split(m.InProjWeight, 0, c, c, c)
		bs := engine.Split(m.InProjBias, 0, c, c, c)
		q = engine.Linear(query, ws[0], bs[0])
		k = engine.Linear(key, ws[1], bs[1])
		v = engine.Linear(value, ws[2], bs[2])
	}
	o := engine.ScaledDotProductAttention(splitHeads(q, m.Heads), splitHeads(k, m.Heads), splitHeads(v, m.Heads), bias, 0)
	o = engine.Reshape(engine.Permute(o, 0, 2, 1, 3), b, lq, c) // (B, H, Lq, d) -> (B, Lq, C)
	return engine.Linear(o, m.OutWeight, m.OutBias)
}

// splitHeads turns (B, L, H*d) into (B, H, L, d).
func splitHeads(x *engine.Tensor, heads int) *engine.Tensor {
	b, l, c := x.Dim(0), x.Dim(1), x.Dim(2)
	return engine.Permute(engine.Reshape(x, b, l, heads, c/heads), 0, 2, 1, 3)
}
