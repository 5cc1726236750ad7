// Package engine is allnet's tensor library: float32 tensors (float64 for
// gradient checks, int32 for labels) on any registered backend, shapes with
// NumPy broadcasting, define-by-run automatic differentiation and the ops
// built on the backend primitives, each with its forward and backward side
// by side.
//
// Tensors are always contiguous and row-major; views such as Permute copy.
// Ops panic with a message naming the op and the shapes when shapes do not
// fit; the CLI turns such panics into errors.
package engine

import (
	"fmt"
	"slices"
	"strings"

	"allnet/engine/backend"
	"allnet/engine/cpu"
)

// Element types, re-exported from backend.
const (
	Float32 = backend.Float32
	Float64 = backend.Float64
	Int32   = backend.Int32
)

// DType is the element type of a tensor.
type DType = backend.DType

var cpuBackend = cpu.New()

// CPU returns the CPU backend, the default device.
func CPU() backend.Backend { return cpuBackend }

// Tensor is an n-dimensional array on one backend, with optional autograd
// state. The zero value is not usable; create tensors with the constructors.
type Tensor struct {
	shape []int
	dtype DType
	dev   backend.Backend
	buf   backend.Buffer

	// Name is the parameter name (PyTorch state_dict name) for parameters;
	// empty for other tensors.
	Name string

	requiresGrad bool
	grad         *Tensor
	node         *node
}

// New returns a zero-filled tensor of the given dtype and shape on dev.
func New(dev backend.Backend, dt DType, shape ...int) *Tensor {
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("engine: New: negative dimension in shape %v", shape))
		}
	}
	if !dev.Supports(dt) {
		panic(fmt.Sprintf("engine: New: backend %s does not support %v", dev.Name(), dt))
	}
	s := append([]int(nil), shape...)
	return &Tensor{shape: s, dtype: dt, dev: dev, buf: dev.Alloc(dt, backend.NumElements(s))}
}

// Zeros returns a float32 tensor of zeros on the CPU.
func Zeros(shape ...int) *Tensor { return New(cpuBackend, Float32, shape...) }

// Full returns a tensor of dtype dt filled with v.
func Full(dev backend.Backend, dt DType, v float64, shape ...int) *Tensor {
	t := New(dev, dt, shape...)
	if v != 0 {
		dev.Fill(t.buf, v)
	}
	return t
}

// FromFloat32 returns a float32 tensor on dev holding a copy of data.
func FromFloat32(dev backend.Backend, data []float32, shape ...int) *Tensor {
	return fromSlice("FromFloat32", dev, Float32, data, shape)
}

// FromFloat64 returns a float64 tensor on dev holding a copy of data.
func FromFloat64(dev backend.Backend, data []float64, shape ...int) *Tensor {
	return fromSlice("FromFloat64", dev, Float64, data, shape)
}

// FromInt32 returns an int32 tensor on dev holding a copy of data.
func FromInt32(dev backend.Backend, data []int32, shape ...int) *Tensor {
	return fromSlice("FromInt32", dev, Int32, data, shape)
}

// fromSlice returns a tensor of dtype dt (that of T) on dev holding a copy
// of data; op names the caller in the panic on a length mismatch.
func fromSlice[T float32 | float64 | int32](op string, dev backend.Backend, dt DType, data []T, shape []int) *Tensor {
	t := New(dev, dt, shape...)
	checkDataLen(op, len(data), shape)
	dev.Upload(t.buf, append([]T(nil), data...))
	return t
}

// FromValues returns a tensor of dtype dt on dev from float64 values
// (converted), convenient in tests.
func FromValues(dev backend.Backend, dt DType, data []float64, shape ...int) *Tensor {
	checkDataLen("FromValues", len(data), shape)
	switch dt {
	case Float32:
		f := make([]float32, len(data))
		for i, v := range data {
			f[i] = float32(v)
		}
		return FromFloat32(dev, f, shape...)
	case Int32:
		f := make([]int32, len(data))
		for i, v := range data {
			f[i] = int32(v)
		}
		return FromInt32(dev, f, shape...)
	}
	return FromFloat64(dev, data, shape...)
}

func checkDataLen(op string, n int, shape []int) {
	if want := backend.NumElements(shape); n != want {
		panic(fmt.Sprintf("engine: %s: %d values for shape %v (%d elements)", op, n, shape, want))
	}
}

// Shape returns a copy of the tensor's shape.
func (t *Tensor) Shape() []int { return append([]int{}, t.shape...) }

// Dim returns the size of dimension i; negative i counts from the end.
func (t *Tensor) Dim(i int) int { return t.shape[t.axis("Dim", i)] }

// Rank returns the number of dimensions.
func (t *Tensor) Rank() int { return len(t.shape) }

// Len returns the number of elements.
func (t *Tensor) Len() int { return backend.NumElements(t.shape) }

// DType returns the element type.
func (t *Tensor) DType() DType { return t.dtype }

// Backend returns the backend the tensor lives on.
func (t *Tensor) Backend() backend.Backend { return t.dev }

// Buffer returns the tensor's device buffer, for code that calls backend
// primitives directly.
func (t *Tensor) Buffer() backend.Buffer { return t.buf }

// Float32s downloads a float32 tensor's values.
func (t *Tensor) Float32s() []float32 {
	t.mustDType("Float32s", Float32)
	out := make([]float32, t.Len())
	t.dev.Download(out, t.buf)
	return out
}

// Float64s downloads any tensor's values converted to float64.
func (t *Tensor) Float64s() []float64 {
	out := make([]float64, t.Len())
	switch t.dtype {
	case Float64:
		t.dev.Download(out, t.buf)
	case Float32:
		for i, v := range t.Float32s() {
			out[i] = float64(v)
		}
	case Int32:
		for i, v := range t.Int32s() {
			out[i] = float64(v)
		}
	}
	return out
}

// Int32s downloads an int32 tensor's values.
func (t *Tensor) Int32s() []int32 {
	t.mustDType("Int32s", Int32)
	out := make([]int32, t.Len())
	t.dev.Download(out, t.buf)
	return out
}

// Item returns the value of a one-element tensor.
func (t *Tensor) Item() float64 {
	if t.Len() != 1 {
		panic(fmt.Sprintf("engine: Item: tensor of shape %v has %d elements, want 1", t.shape, t.Len()))
	}
	return t.Float64s()[0]
}

// String describes the tensor briefly: dtype, shape, device and name.
func (t *Tensor) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Tensor(%v%v on %s", t.dtype, t.shape, t.dev.Name())
	if t.Name != "" {
		fmt.Fprintf(&b, ", %q", t.Name)
	}
	if t.requiresGrad {
		b.WriteString(", requires grad")
	}
	b.WriteString(")")
	return b.String()
}

// To returns a copy of t on backend dev (t itself when already there). The
// copy is a leaf: it does not carry gradients back to t.
func (t *Tensor) To(dev backend.Backend) *Tensor {
	if dev == t.dev {
		return t
	}
	out := New(dev, t.dtype, t.shape...)
	switch t.dtype {
	case Float32:
		dev.Upload(out.buf, t.Float32s())
	case Float64:
		dev.Upload(out.buf, t.Float64s())
	default:
		dev.Upload(out.buf, t.Int32s())
	}
	return out
}

// Cast returns t converted to dtype dt (t itself when it already has it).
// Casting between float dtypes is differentiable.
func (t *Tensor) Cast(dt DType) *Tensor {
	if dt == t.dtype {
		return t
	}
	out := New(t.dev, dt, t.shape...)
	t.dev.Convert(out.buf, t.buf)
	if dt.IsFloat() && t.dtype.IsFloat() {
		src := t.dtype
		record(out, "cast", []*Tensor{t}, func(g *Tensor) []*Tensor { return []*Tensor{g.Cast(src)} })
	}
	return out
}

// Clone returns a copy of t's data as a new leaf tensor (no gradient link).
func (t *Tensor) Clone() *Tensor {
	out := New(t.dev, t.dtype, t.shape...)
	t.dev.Copy(backend.Contiguous(out.buf, out.shape), backend.Contiguous(t.buf, t.shape), t.shape, false)
	return out
}

// CopyFrom overwrites t's values with src's (same shape and dtype; src may
// live on another backend). It records no gradient: use it for parameter
// loading and optimiser updates.
func (t *Tensor) CopyFrom(src *Tensor) {
	if !slices.Equal(t.shape, src.shape) || t.dtype != src.dtype {
		panic(fmt.Sprintf("engine: CopyFrom: %v%v from %v%v", t.dtype, t.shape, src.dtype, src.shape))
	}
	src = src.To(t.dev)
	t.dev.Copy(backend.Contiguous(t.buf, t.shape), backend.Contiguous(src.buf, src.shape), t.shape, false)
}

func (t *Tensor) mustDType(op string, dt DType) {
	if t.dtype != dt {
		panic(fmt.Sprintf("engine: %s: tensor is %v%v, want %v", op, t.dtype, t.shape, dt))
	}
}

func (t *Tensor) mustFloat(op string) {
	if !t.dtype.IsFloat() {
		panic(fmt.Sprintf("engine: %s: tensor is %v%v, want a float tensor", op, t.dtype, t.shape))
	}
}

// axis resolves a possibly negative axis against t's rank.
func (t *Tensor) axis(op string, a int) int {
	r := len(t.shape)
	if a < 0 {
		a += r
	}
	if a < 0 || a >= r {
		panic(fmt.Sprintf("engine: %s: axis %d out of range for shape %v", op, a, t.shape))
	}
	return a
}

// like returns a new zero tensor with t's dtype, device and the given shape.
func (t *Tensor) like(shape ...int) *Tensor { return New(t.dev, t.dtype, shape...) }

// sameDevice panics unless all tensors share a backend and a dtype.
func sameDevice(op string, ts ...*Tensor) {
	for _, u := range ts[1:] {
		if u.dev != ts[0].dev {
			panic(fmt.Sprintf("engine: %s: tensors on %s and %s", op, ts[0].dev.Name(), u.dev.Name()))
		}
		if u.dtype != ts[0].dtype {
			panic(fmt.Sprintf("engine: %s: dtypes %v%v and %v%v differ", op, ts[0].dtype, ts[0].shape, u.dtype, u.shape))
		}
	}
}
