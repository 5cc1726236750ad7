package degrade

import (
	"math"
	"slices"
)

// Scaled returns the options with their spatial ranges multiplied by f: the
// blur trajectory length and the rain streak length and width, which are
// in pixels and set for the 288x384 working size (the defaults). Images at
// f times that size (the demo's 48x64: f = 1/6) then get degradations of the
// same relative extent. Each range is clamped to its valid domain (rain
// width at least 0.25 px, rain length at least 1 px); the other ranges, the
// types and the draw order are unchanged, so a seed picks the same types and
// the same non-spatial parameters at any f. f <= 0 or 1 returns o as is.
func (o Options) Scaled(f float64) Options {
	if !(f > 0) || f == 1 {
		return o
	}
	o.Types = append([]Type(nil), o.Types...)
	o.Weights = slices.Clone(o.Weights)
	scale := func(r Range, lo, hi float64) Range {
		return Range{math.Min(math.Max(r[0]*f, lo), hi), math.Min(math.Max(r[1]*f, lo), hi)}
	}
	o.Blur.Length = scale(o.Blur.Length, 0, 60)
	o.Rain.Length = scale(o.Rain.Length, 1, 200)
	o.Rain.Width = scale(o.Rain.Width, 0.25, 10)
	return o
}
