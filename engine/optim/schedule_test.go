package optim

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPolyShape(t *testing.T) {
	p := Poly{Base: 6e-5, Power: 0.9, Total: 100, WarmupSteps: 10, WarmupRatio: 1e-6, MinLR: 1e-6}
	assert.NoError(t, p.Validate())
	assert.Equal(t, 6e-5*1e-6, p.LR(0))
	assert.Equal(t, 6e-5*1e-6, p.LR(-5), "negative steps count as 0")
	assert.InDelta(t, 6e-5*(1e-6+(1-1e-6)*0.5), p.LR(5), 1e-20)
	assert.Equal(t, 6e-5, p.LR(10))
	assert.InDelta(t, 6e-5*math.Pow(0.5, 0.9), p.LR(55), 1e-20)
	for s := 10; s < 200; s++ { // non-increasing after warm-up, floored at MinLR
		assert.LessOrEqual(t, p.LR(s+1), p.LR(s), "step %d", s)
		assert.GreaterOrEqual(t, p.LR(s), 1e-6, "step %d", s)
	}
	assert.Greater(t, p.LR(99), 1e-6)
	assert.Equal(t, 1e-6, p.LR(100))
	assert.Equal(t, 1e-6, p.LR(1000))

	p.WarmupSteps = 0
	assert.Equal(t, 6e-5, p.LR(0), "no warm-up starts at Base")
}

func TestCosineShape(t *testing.T) {
	c := Cosine{Base: 1, Total: 12, WarmupSteps: 2, WarmupRatio: 0.5, MinLR: 0.1}
	assert.NoError(t, c.Validate())
	assert.Equal(t, 0.5, c.LR(0))
	assert.Equal(t, 0.75, c.LR(1))
	assert.Equal(t, 1.0, c.LR(2))
	assert.InDelta(t, 0.55, c.LR(7), 1e-15) // halfway: (Base+MinLR)/2
	assert.InDelta(t, 0.1, c.LR(12), 1e-15)
	assert.InDelta(t, 0.1, c.LR(50), 1e-15)
}

func TestScheduleValidate(t *testing.T) {
	ok := Poly{Base: 1, Power: 0.9, Total: 10, WarmupSteps: 2, WarmupRatio: 0.1}
	for _, c := range []struct {
		mutate func(*Poly)
		want   string
	}{
		{func(p *Poly) { p.Base = 0 }, "Base is 0"},
		{func(p *Poly) { p.Base = math.Inf(1) }, "Base is +Inf"},
		{func(p *Poly) { p.Total = 0 }, "Total is 0"},
		{func(p *Poly) { p.WarmupSteps = 10 }, "WarmupSteps is 10"},
		{func(p *Poly) { p.WarmupSteps = -1 }, "WarmupSteps is -1"},
		{func(p *Poly) { p.WarmupRatio = 1.5 }, "WarmupRatio is 1.5"},
		{func(p *Poly) { p.MinLR = 2 }, "MinLR is 2"},
		{func(p *Poly) { p.Power = 0 }, "Power is 0"},
	} {
		p := ok
		c.mutate(&p)
		err := p.Validate()
		if assert.Error(t, err, c.want) {
			assert.Contains(t, err.Error(), c.want)
		}
	}
	assert.NoError(t, ok.Validate())
	err := Cosine{Base: 1, Total: 5, MinLR: -1}.Validate()
	if assert.Error(t, err) {
		assert.Contains(t, err.Error(), "Cosine: MinLR is -1")
	}
}
