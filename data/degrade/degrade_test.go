package degrade

import (
	"math"
	"slices"
	"testing"
)

func TestOptionsValidateNamesTheField(t *testing.T) {
	if err := DefaultOptions().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	cases := map[string]func(o *Options){
		"types":           func(o *Options) { o.Types = nil },
		"fog":             func(o *Options) { o.Types = []Type{"fog"} },
		"noise sigma":     func(o *Options) { o.Noise.Sigma = Range{0.2, 0.1} },
		"haze beta":       func(o *Options) { o.Haze.Beta = Range{-1, 1} },
		"haze A":          func(o *Options) { o.Haze.A = Range{0.7, 1.5} },
		"rain density":    func(o *Options) { o.Rain.Density = Range{0, 0.5} },
		"rain length":     func(o *Options) { o.Rain.Length = Range{0, 10} },
		"rain width":      func(o *Options) { o.Rain.Width = Range{2, 1} },
		"rain angle":      func(o *Options) { o.Rain.Angle = Range{-100, 0} },
		"rain jitter":     func(o *Options) { o.Rain.Jitter = Range{0, 90} },
		"rain intensity":  func(o *Options) { o.Rain.Intensity = Range{0, 2} },
		"rain haze_prob":  func(o *Options) { o.Rain.HazeProb = 2 },
		"rain haze ":      func(o *Options) { o.Rain.Haze = Range{0.5, 0.1} },
		"rain haze_A":     func(o *Options) { o.Rain.HazeA = Range{-0.1, 1} },
		"blur length":     func(o *Options) { o.Blur.Length = Range{5, 100} },
		"blur angle":      func(o *Options) { o.Blur.Angle = Range{0, 400} },
		"blur curvature":  func(o *Options) { o.Blur.Curvature = Range{-1, 0} },
		"blur noise_prob": func(o *Options) { o.Blur.NoiseProb = -1 },
		"blur shot":       func(o *Options) { o.Blur.Shot = Range{0, 1} },
		"blur read":       func(o *Options) { o.Blur.Read = Range{0.1, 0} },
		"weights: 3":      func(o *Options) { o.Weights = []float64{1, 1, 1} },
		"weights: rain":   func(o *Options) { o.Weights = []float64{1, 1, -1, 1} },
		"weights: haze":   func(o *Options) { o.Weights = []float64{1, math.NaN(), 1, 1} },
		"weights: sum 0":  func(o *Options) { o.Weights = []float64{0, 0, 0, 0} },
		"weights: sum +I": func(o *Options) { o.Weights = []float64{1e308, 1e308, 1, 1} },
	}
	for field, mutate := range cases {
		o := DefaultOptions()
		mutate(&o)
		if err := o.Validate(); err == nil || !contains(err.Error(), field) {
			t.Errorf("%s: error %v, want one naming the field", field, err)
		}
	}
}

func TestSamplesStayInRanges(t *testing.T) {
	o := DefaultOptions()
	o.Rain.HazeProb = 0.5
	rng := NewRNG(41, 1)
	for range 500 {
		for _, typ := range AllTypes {
			p, err := o.Sample(typ, rng)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Validate(); err != nil {
				t.Fatalf("%s sample invalid: %v", typ, err)
			}
		}
		r := o.Rain.Sample(rng)
		b := o.Blur.Sample(rng)
		in := func(v float64, r Range) bool { return v >= r[0] && v <= r[1] }
		if !in(r.Density, o.Rain.Density) || !in(r.Length, o.Rain.Length) || !in(r.Angle, o.Rain.Angle) ||
			!in(b.Length, o.Blur.Length) || !in(b.Curvature, o.Blur.Curvature) {
			t.Fatalf("sample outside its range: %+v %+v", r, b)
		}
		if (r.Haze == 0) != (r.HazeA == 0) || (b.Shot == 0) != (b.Read == 0) {
			t.Fatalf("optional parts drawn by halves: %+v %+v", r, b)
		}
	}
}

// Training draws the four types uniformly per image.
func TestRandomDegradationUniform(t *testing.T) {
	rng := NewRNG(42, 1)
	count := map[Type]int{}
	for range 4000 {
		typ, p, err := RandomDegradation(rng, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		if p.Type() != typ {
			t.Fatalf("type %s with %T", typ, p)
		}
		count[typ]++
	}
	for _, typ := range AllTypes {
		if count[typ] < 900 || count[typ] > 1100 {
			t.Fatalf("type counts %v, want about 1000 each", count)
		}
	}
	o := DefaultOptions()
	o.Types = []Type{Haze}
	if typ, _, _ := RandomDegradation(rng, o); typ != Haze {
		t.Fatalf("types [haze] drew %s", typ)
	}
}

// Weights set the proportions of the types; a type of weight 0 is never
// drawn.
func TestRandomDegradationWeighted(t *testing.T) {
	rng := NewRNG(43, 1)
	o := DefaultOptions() // noise, haze, rain, blur
	o.Weights = []float64{0, 1, 0, 3}
	count := map[Type]int{}
	for range 4000 {
		typ, p, err := RandomDegradation(rng, o)
		if err != nil {
			t.Fatal(err)
		}
		if p.Type() != typ {
			t.Fatalf("type %s with %T", typ, p)
		}
		count[typ]++
	}
	if count[Noise] != 0 || count[Rain] != 0 || count[Haze] < 900 || count[Haze] > 1100 || count[Blur] < 2900 || count[Blur] > 3100 {
		t.Fatalf("type counts %v with weights %v, want about 1000 haze and 3000 blur", count, o.Weights)
	}
	if s := o.Scaled(0.5); !slices.Equal(s.Weights, o.Weights) {
		t.Fatalf("Scaled weights %v, want %v", s.Weights, o.Weights)
	}
}

// Same parameters and generator seed give identical output; another seed
// gives another noise, rain or noisy-blur realisation.
func TestApplyDeterministic(t *testing.T) {
	img := randomImage(64, 80, 6)
	for _, p := range []Params{
		NoiseParams{Sigma: 0.1},
		HazeParams{Beta: 0.3, A: [3]float64{0.7, 0.8, 0.9}},
		RainParams{Density: 0.004, Length: 20, Width: 1.5, Angle: -10, Jitter: 4, Intensity: 0.6},
		BlurParams{Length: 12, Angle: 70, Curvature: 0.1, Shot: 0.001, Read: 0.002},
		CleanParams{},
	} {
		a, b := mustApply(t, img, nil, p, 1), mustApply(t, img, nil, p, 1)
		if !slices.Equal(a.Pix, b.Pix) {
			t.Errorf("%T: two runs with the same seed differ", p)
		}
		c := mustApply(t, img, nil, p, 2)
		random := p.Type() != Haze && p.Type() != Clean
		if random == slices.Equal(a.Pix, c.Pix) {
			t.Errorf("%T: output with another seed equal=%v, want %v", p, !random, !random)
		}
	}
	if img2 := randomImage(64, 80, 6); !slices.Equal(img.Pix, img2.Pix) {
		t.Error("Apply modified its input")
	}
}

func TestApplyErrors(t *testing.T) {
	img := randomImage(8, 10, 1)
	rng := NewRNG(1, 1)
	if _, err := Apply(img, make([]float32, 5), HazeParams{Beta: 1, A: [3]float64{1, 1, 1}}, rng); err == nil || !contains(err.Error(), "depth") {
		t.Errorf("short depth: %v", err)
	}
	grey := flatImage(1, 8, 10, 0.5)
	if _, err := Apply(grey, nil, HazeParams{Beta: 1, A: [3]float64{1, 1, 1}}, rng); err == nil || !contains(err.Error(), "channels") {
		t.Errorf("1-channel haze: %v", err)
	}
	if _, err := Apply(img, nil, NoiseParams{Sigma: 0.1}, nil); err == nil || !contains(err.Error(), "generator") {
		t.Errorf("nil rng: %v", err)
	}
	if _, err := Apply(img, nil, NoiseParams{Sigma: -1}, rng); err == nil || !contains(err.Error(), "sigma") {
		t.Errorf("negative sigma: %v", err)
	}
	bad := img
	bad.Pix = bad.Pix[:7]
	if _, err := Apply(bad, nil, NoiseParams{Sigma: 0.1}, rng); err == nil {
		t.Error("accepted a malformed image")
	}
	if _, err := ParseType("fog"); err == nil {
		t.Error("ParseType accepted fog")
	}
}
