package ckpt

import (
	"fmt"
	"math/big"

	"github.com/nlpodyssey/gopickle/types"
)

// The Go stand-ins for the Python globals a PyTorch checkpoint may name.
// gopickle never runs Python: a global resolves to one of these values or
// the load fails. Besides these, gopickle itself resolves
// collections.OrderedDict, __builtin__.object and copy_reg._reconstructor.

// storageClasses maps torch's legacy storage classes to dtypes.
var storageClasses = map[string]DType{
	"torch.FloatStorage":    F32,
	"torch.HalfStorage":     F16,
	"torch.BFloat16Storage": BF16,
	"torch.DoubleStorage":   F64,
	"torch.LongStorage":     I64,
	"torch.IntStorage":      I32,
	"torch.ShortStorage":    I16,
	"torch.CharStorage":     I8,
	"torch.ByteStorage":     U8,
	"torch.BoolStorage":     BOOL,
}

// inertGlobals are classes and functions that appear in the metadata of
// real checkpoints (training configs, numpy scalars, optimizer settings).
// They become inert placeholders: calling or instantiating one records
// nothing and runs nothing, and a placeholder is never a tensor.
var inertGlobals = map[string]bool{
	"builtins.set": true, "builtins.frozenset": true, "builtins.slice": true,
	"builtins.complex": true, "builtins.range": true, "builtins.bytearray": true,
	"builtins.list": true, "builtins.dict": true, "builtins.tuple": true,
	"builtins.int": true, "builtins.float": true, "builtins.str": true,
	"builtins.bool": true, "builtins.bytes": true,
	"collections.defaultdict": true, "argparse.Namespace": true,
	"torch.device": true, "torch.Size": true,
	"torch.float32": true, "torch.float16": true, "torch.bfloat16": true,
	"torch.float64": true, "torch.int64": true, "torch.int32": true,
	"torch.uint8": true, "torch.bool": true,
	"numpy.dtype": true, "numpy.ndarray": true,
	"numpy.core.multiarray.scalar": true, "numpy.core.multiarray._reconstruct": true,
	"numpy._core.multiarray.scalar": true, "numpy._core.multiarray._reconstruct": true,
	"yacs.config.CfgNode": true, "mmcv.utils.config.ConfigDict": true,
	"mmengine.config.config.ConfigDict": true, "addict.addict.Dict": true,
}

// findClass resolves a pickle global against the allowlist. Protocol-2
// pickles spell Python 3 modules the Python 2 way (__builtin__, copy_reg).
func findClass(module, name string) (any, error) {
	switch module {
	case "__builtin__":
		module = "builtins"
	case "copy_reg":
		module = "copyreg"
	}
	full := module + "." + name
	if dt, ok := storageClasses[full]; ok {
		return &storageClass{dtype: dt, name: full}, nil
	}
	switch full {
	case "torch._utils._rebuild_tensor_v2":
		return rebuildTensor{}, nil
	case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
		return rebuildParameter{}, nil
	case "copyreg._reconstructor":
		return &types.Reconstructor{}, nil
	case "builtins.object":
		return &types.ObjectClass{}, nil
	case "_codecs.encode":
		return codecsEncode{}, nil
	}
	if inertGlobals[full] {
		return &inertClass{name: full}, nil
	}
	return nil, fmt.Errorf("the pickle names global %s, which this loader does not accept "+
		"(it loads tensors, storages and plain containers only; nothing in the file is executed)", full)
}

// storageClass stands for torch.FloatStorage and friends.
type storageClass struct {
	dtype DType
	name  string
}

// storage is one storage record: elements as little-endian bytes.
type storage struct {
	dtype DType
	data  []byte
	// budget is the bytes that tensor views may still copy out of the
	// file's storages, shared by all of them: overlapping (expanded) views
	// could otherwise turn a small file into any amount of memory.
	budget *int64
}

// pthTensor is a rebuilt tensor, already contiguous.
type pthTensor struct{ Tensor }

// rebuildTensor is torch._utils._rebuild_tensor_v2(storage, storage_offset,
// size, stride, requires_grad, backward_hooks[, metadata]).
type rebuildTensor struct{}

func (rebuildTensor) Call(args ...any) (any, error) {
	if len(args) < 6 || len(args) > 7 {
		return nil, fmt.Errorf("_rebuild_tensor_v2: got %d arguments, want 6 or 7", len(args))
	}
	st, ok := args[0].(*storage)
	if !ok {
		return nil, fmt.Errorf("_rebuild_tensor_v2: first argument has type %s, not a storage", describe(args[0]))
	}
	off, ok := args[1].(int)
	size, err1 := intTuple(args[2])
	stride, err2 := intTuple(args[3])
	if !ok || err1 != nil || err2 != nil || len(size) != len(stride) {
		return nil, fmt.Errorf("_rebuild_tensor_v2: bad storage offset, size or stride: %v, %v, %v",
			args[1], describe(args[2]), describe(args[3]))
	}
	t, err := materialize(st, off, size, stride)
	if err != nil {
		return nil, fmt.Errorf("_rebuild_tensor_v2: %v", err)
	}
	return t, nil
}

// rebuildParameter is torch._utils._rebuild_parameter(data, requires_grad,
// backward_hooks[, state]): a Parameter is its data.
type rebuildParameter struct{}

func (rebuildParameter) Call(args ...any) (any, error) {
	if len(args) < 1 {
		return nil, fmt.Errorf("_rebuild_parameter: no arguments")
	}
	t, ok := args[0].(*pthTensor)
	if !ok {
		return nil, fmt.Errorf("_rebuild_parameter: data has type %s, not a tensor", describe(args[0]))
	}
	return t, nil
}

// codecsEncode is _codecs.encode(str, "latin1"), which protocol-2 pickles
// use for bytes objects.
type codecsEncode struct{}

func (codecsEncode) Call(args ...any) (any, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("_codecs.encode: got %d arguments, want 2", len(args))
	}
	s, ok1 := args[0].(string)
	enc, ok2 := args[1].(string)
	if !ok1 || !ok2 || (enc != "latin1" && enc != "latin-1") {
		return nil, fmt.Errorf("_codecs.encode: only (str, \"latin1\") is supported, got (%s, %v)", describe(args[0]), args[1])
	}
	out := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xff {
			return nil, fmt.Errorf("_codecs.encode: character %U is not latin1", r)
		}
		out = append(out, byte(r))
	}
	return out, nil
}

// inertClass is a placeholder for an allowed metadata class or function.
type inertClass struct{ name string }

func (c *inertClass) Call(...any) (any, error)  { return &inertObject{class: c}, nil }
func (c *inertClass) PyNew(...any) (any, error) { return &inertObject{class: c}, nil }

// inertObject is an instance of an inertClass; it accepts and drops state,
// items and attributes.
type inertObject struct{ class *inertClass }

func (*inertObject) PySetState(any) error        { return nil }
func (*inertObject) PyDictSet(_, _ any) error    { return nil }
func (*inertObject) PySetAttr(string, any) error { return nil }
func (*inertObject) Set(_, _ any)                {}
func (*inertObject) Append(any)                  {}
func (*inertObject) Add(any)                     {}

// materialize copies the view (offset, size, stride) of st into a
// contiguous tensor, checking that it stays inside the storage.
func materialize(st *storage, off int, size, stride []int) (*pthTensor, error) {
	es := st.dtype.Size()
	total := len(st.data) / es
	n, err := numElements(size)
	if err != nil {
		return nil, err
	}
	if off < 0 {
		return nil, fmt.Errorf("negative storage offset %d", off)
	}
	if st.budget != nil {
		if int64(n) > (*st.budget)/int64(es) {
			return nil, fmt.Errorf("view (offset %d, size %v, stride %v) would copy out %d elements of %s, more than the file's "+
				"storages can hold without overlapping views", off, size, stride, n, st.dtype)
		}
		*st.budget -= int64(n * es)
	}
	out := make([]byte, n*es)
	if n == 0 {
		return &pthTensor{Tensor{DType: st.dtype, Shape: size, Data: out}}, nil
	}
	last := off
	contiguous, want := true, 1
	for i := len(size) - 1; i >= 0; i-- {
		if stride[i] < 0 {
			return nil, fmt.Errorf("negative stride %v", stride)
		}
		step, ok := mulNoOverflow(size[i]-1, stride[i])
		if !ok || last > total || step > total {
			return nil, fmt.Errorf("view (offset %d, size %v, stride %v) exceeds its %d-element storage", off, size, stride, total)
		}
		last += step
		if size[i] != 1 && stride[i] != want {
			contiguous = false
		}
		want *= size[i]
	}
	if last >= total {
		return nil, fmt.Errorf("view (offset %d, size %v, stride %v) reaches element %d of a %d-element storage",
			off, size, stride, last, total)
	}
	if contiguous {
		copy(out, st.data[off*es:])
		return &pthTensor{Tensor{DType: st.dtype, Shape: size, Data: out}}, nil
	}
	idx := make([]int, len(size))
	src := off
	for k := 0; k < n; k++ {
		copy(out[k*es:(k+1)*es], st.data[src*es:])
		for d := len(size) - 1; d >= 0; d-- {
			idx[d]++
			src += stride[d]
			if idx[d] < size[d] {
				break
			}
			src -= stride[d] * size[d]
			idx[d] = 0
		}
	}
	return &pthTensor{Tensor{DType: st.dtype, Shape: size, Data: out}}, nil
}

func intTuple(v any) ([]int, error) {
	t, ok := v.(*types.Tuple)
	if !ok {
		return nil, fmt.Errorf("not a tuple")
	}
	out := make([]int, t.Len())
	for i := range out {
		if out[i], ok = t.Get(i).(int); !ok {
			return nil, fmt.Errorf("not a tuple of ints")
		}
	}
	return out, nil
}

// describe names the Python type of an unpickled value, for errors.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "None"
	case bool:
		return "bool"
	case int, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case *types.Tuple:
		return "tuple"
	case *types.List:
		return "list"
	case *types.Dict:
		return "dict"
	case *types.OrderedDict:
		return "OrderedDict"
	case *pthTensor:
		return "tensor"
	case *storage:
		return "storage"
	case *inertObject:
		return x.class.name + " object"
	case *inertClass:
		return x.name
	case *storageClass:
		return x.name
	}
	return fmt.Sprintf("%T", v)
}
