// Package backendtest is the conformance suite every backend runs: each
// primitive of backend.Backend is checked against a float64 reference written
// from the primitive's doc comment, on fresh random inputs, for every float
// dtype the backend supports. A backend's test calls Run:
//
//	func TestConformance(t *testing.T) { backendtest.Run(t, cpu.New()) }
package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"allnet/engine/backend"
)

// A check tests one primitive of b at dtype dt.
type check func(t *testing.T, b backend.Backend, dt backend.DType)

var checks = map[string]check{}

// register adds a named check to the suite; files of this package call it
// from init.
func register(name string, c check) {
	if _, dup := checks[name]; dup {
		panic("backendtest: duplicate check " + name)
	}
	checks[name] = c
}

// Run runs every check on b for each float dtype b supports.
func Run(t *testing.T, b backend.Backend) {
	names := make([]string, 0, len(checks))
	for n := range checks {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, dt := range []backend.DType{backend.Float32, backend.Float64} {
		if !b.Supports(dt) {
			continue
		}
		for _, n := range names {
			c := checks[n]
			t.Run(fmt.Sprintf("%s/%v", n, dt), func(t *testing.T) { c(t, b, dt) })
		}
	}
}

// Names lists the registered checks, sorted.
func Names() []string {
	names := make([]string, 0, len(checks))
	for n := range checks {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Tol is the relative-error tolerance for results computed in dt: loose
// enough for float32 accumulation over the suite's sizes, tight for float64.
func Tol(dt backend.DType) float64 {
	if dt == backend.Float64 {
		return 1e-10
	}
	return 2e-5
}

// RNG returns a deterministic generator for a check, seeded by its name so
// that each check sees its own inputs.
func RNG(name string) *rand.Rand {
	var h uint64 = 1469598103934665603
	for _, c := range name {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return rand.New(rand.NewPCG(h, 0x5eed))
}

// Randn returns n standard normal values scaled by s.
func Randn(r *rand.Rand, n int, s float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = r.NormFloat64() * s
	}
	return v
}

// Upload allocates a buffer of dtype dt on b holding vals.
func Upload(b backend.Backend, dt backend.DType, vals []float64) backend.Buffer {
	buf := b.Alloc(dt, len(vals))
	switch dt {
	case backend.Float32:
		f := make([]float32, len(vals))
		for i, v := range vals {
			f[i] = float32(v)
		}
		b.Upload(buf, f)
	case backend.Float64:
		b.Upload(buf, append([]float64(nil), vals...))
	case backend.Int32:
		f := make([]int32, len(vals))
		for i, v := range vals {
			f[i] = int32(v)
		}
		b.Upload(buf, f)
	}
	return buf
}

// UploadInts allocates an int32 buffer holding vals.
func UploadInts(b backend.Backend, vals []int32) backend.Buffer {
	buf := b.Alloc(backend.Int32, len(vals))
	b.Upload(buf, append([]int32(nil), vals...))
	return buf
}

// Download returns a buffer's contents as float64.
func Download(b backend.Backend, buf backend.Buffer) []float64 {
	b.Synchronize()
	out := make([]float64, buf.Len())
	switch buf.DType() {
	case backend.Float32:
		f := make([]float32, buf.Len())
		b.Download(f, buf)
		for i, v := range f {
			out[i] = float64(v)
		}
	case backend.Float64:
		b.Download(out, buf)
	case backend.Int32:
		f := make([]int32, buf.Len())
		b.Download(f, buf)
		for i, v := range f {
			out[i] = float64(v)
		}
	}
	return out
}

// Rounded returns vals rounded to dt, so that references see exactly the
// inputs the backend sees.
func Rounded(dt backend.DType, vals []float64) []float64 {
	out := append([]float64(nil), vals...)
	if dt == backend.Float32 {
		for i, v := range out {
			out[i] = float64(float32(v))
		}
	}
	return out
}

// RelErr returns ||got - want|| / ||want|| (or ||got - want|| when want is
// zero). NaN anywhere yields +Inf unless both have NaN at the same places.
func RelErr(got, want []float64) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var num, den float64
	for i := range got {
		g, w := got[i], want[i]
		if math.IsNaN(g) || math.IsNaN(w) {
			if math.IsNaN(g) != math.IsNaN(w) {
				return math.Inf(1)
			}
			continue
		}
		if math.IsInf(w, 0) || math.IsInf(g, 0) {
			if g != w {
				return math.Inf(1)
			}
			continue
		}
		num += (g - w) * (g - w)
		den += w * w
	}
	if den == 0 {
		return math.Sqrt(num)
	}
	return math.Sqrt(num / den)
}

// Close fails t when RelErr(got, want) exceeds tol, printing up to 10 of the
// largest mismatches.
func Close(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d values, want %d", what, len(got), len(want))
	}
	e := RelErr(got, want)
	if e <= tol {
		return
	}
	type bad struct {
		i    int
		diff float64
	}
	var bads []bad
	for i := range got {
		d := math.Abs(got[i] - want[i])
		if d > 0 || math.IsNaN(d) {
			bads = append(bads, bad{i, d})
		}
	}
	sort.Slice(bads, func(a, b int) bool { return bads[a].diff > bads[b].diff || math.IsNaN(bads[a].diff) })
	msg := ""
	for k, bd := range bads {
		if k == 10 {
			break
		}
		msg += fmt.Sprintf("\n  [%d] got %.9g want %.9g", bd.i, got[bd.i], want[bd.i])
	}
	t.Fatalf("%s: relative error %.3g > %.3g%s", what, e, tol, msg)
}

// RunOnly runs the named checks (see Names) on b, for each float dtype b
// supports; an unknown name fails the test.
func RunOnly(t *testing.T, b backend.Backend, names ...string) {
	for _, n := range names {
		if _, ok := checks[n]; !ok {
			t.Fatalf("backendtest: no check named %q (have %v)", n, Names())
		}
	}
	for _, dt := range []backend.DType{backend.Float32, backend.Float64} {
		if !b.Supports(dt) {
			continue
		}
		for _, n := range names {
			c := checks[n]
			t.Run(fmt.Sprintf("%s/%v", n, dt), func(t *testing.T) { c(t, b, dt) })
		}
	}
}
