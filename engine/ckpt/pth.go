package ckpt

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// LoadPth reads the state_dict of a PyTorch checkpoint written by torch.save
// in the zip format (PyTorch >= 1.6; the legacy format is an error that says
// so). Tensor names are returned as stored: prefixes such as "module." or
// "backbone." are the caller's business.
//
// The pickled object must be a dict. key picks the entry holding the
// state_dict ("model", "model_ema", "state_dict", ...); key "" means: the
// entry "model", else "state_dict", else the top-level dict itself. Every
// value of the chosen dict must be a tensor; anything else is an error that
// names the entry and lists the top-level keys.
//
// Tensors come back contiguous, in the dtype they were saved with (F32, F16,
// BF16, F64, I64, ...); views (strides, storage offsets) are copied out of
// their storages, and big-endian files (the "byteorder" record) are swapped
// to little-endian. Globals outside a small allowlist make the load fail; no
// code from the file is ever run.
func LoadPth(path, key string) (map[string]Tensor, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("checkpoint %s: "+format, append([]any{path}, args...)...)
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return nil, fail("%w", err)
		}
		if isLegacyPickle(path) {
			return nil, fail("legacy (non-zip) PyTorch checkpoint; only the zip format of PyTorch >= 1.6 is supported: " +
				"re-save it with torch.save(torch.load(f), g) in PyTorch >= 1.6")
		}
		return nil, fail("not a PyTorch zip checkpoint: %v", err)
	}
	defer zr.Close()
	st, err := stat(path)
	if err != nil {
		return nil, fail("%w", err)
	}
	// Tensors may share storages (tied weights) or view them with zero
	// strides; allow copying out 8 times the file plus 16 MiB in all.
	budget := 8*st + 16<<20
	r := &pthReader{records: map[string]*zip.File{}, storages: map[string]*storage{}, fileSize: st, budget: &budget}
	for _, f := range zr.File {
		r.records[f.Name] = f
	}
	if err := r.locate(); err != nil {
		return nil, fail("%v", err)
	}
	obj, err := r.unpickle()
	if err != nil {
		return nil, fail("%v", err)
	}
	sd, err := selectStateDict(obj, key)
	if err != nil {
		return nil, fail("%v", err)
	}
	return sd, nil
}

func stat(path string) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// isLegacyPickle reports whether the file starts like a pickle (PROTO
// opcode), which is how pre-1.6 torch.save files begin.
func isLegacyPickle(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [2]byte
	_, err = io.ReadFull(f, b[:])
	return err == nil && b[0] == 0x80 && b[1] >= 2 && b[1] <= 5
}

// pthReader holds the records of one zip checkpoint.
type pthReader struct {
	records   map[string]*zip.File
	prefix    string // the archive's top folder plus "/", e.g. "archive/"
	bigEndian bool
	storages  map[string]*storage
	fileSize  int64
	budget    *int64 // see storage.budget
}

// locate finds PREFIX/data.pkl and reads PREFIX/byteorder.
func (r *pthReader) locate() error {
	var pkls []string
	for name := range r.records {
		dir, base := path.Split(name)
		if base == "data.pkl" && dir != "" && strings.Count(dir, "/") == 1 {
			pkls = append(pkls, name)
		}
	}
	sort.Strings(pkls)
	switch len(pkls) {
	case 0:
		return fmt.Errorf("zip archive without a TOP/data.pkl record: not a torch.save checkpoint")
	case 1:
	default:
		return fmt.Errorf("zip archive with several data.pkl records %v", pkls)
	}
	r.prefix = strings.TrimSuffix(pkls[0], "data.pkl")
	if _, ok := r.records[r.prefix+"constants.pkl"]; ok {
		return fmt.Errorf("TorchScript archive (torch.jit.save), not a torch.save checkpoint")
	}
	if f, ok := r.records[r.prefix+"byteorder"]; ok {
		b, err := r.read(f, 16)
		if err != nil {
			return err
		}
		switch s := strings.TrimSpace(string(b)); s {
		case "little":
		case "big":
			r.bigEndian = true
		default:
			return fmt.Errorf("record %s says %q, want \"little\" or \"big\"", f.Name, s)
		}
	}
	return nil
}

// read returns the contents of a record of at most limit bytes.
func (r *pthReader) read(f *zip.File, limit uint64) ([]byte, error) {
	n := f.UncompressedSize64
	if n > limit {
		return nil, fmt.Errorf("record %s holds %d bytes, more than the %d expected", f.Name, n, limit)
	}
	// A stored record cannot exceed the file; a deflated one can expand at
	// most ~1032x. Check before allocating what the directory claims.
	if n > uint64(r.fileSize) && (f.Method == zip.Store || n > 1100*f.CompressedSize64+1024) {
		return nil, fmt.Errorf("record %s claims %d bytes, impossible in a %d-byte file", f.Name, n, r.fileSize)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("record %s: %v", f.Name, err)
	}
	defer rc.Close()
	b := make([]byte, n)
	if _, err := io.ReadFull(rc, b); err != nil {
		return nil, fmt.Errorf("record %s: %v", f.Name, err)
	}
	return b, nil
}

// unpickle interprets PREFIX/data.pkl with the allowlist of pickle.go.
func (r *pthReader) unpickle() (obj any, err error) {
	f := r.records[r.prefix+"data.pkl"]
	b, err := r.read(f, maxPickleSize)
	if err != nil {
		return nil, err
	}
	// gopickle allocates every declared length before reading it: check
	// them all first.
	if err := scanPickle(b); err != nil {
		return nil, fmt.Errorf("record %s: malformed pickle (%v)", f.Name, err)
	}
	defer func() { // gopickle panics on some malformed input
		if p := recover(); p != nil {
			obj, err = nil, fmt.Errorf("record %s: malformed pickle (%v)", f.Name, p)
		}
	}()
	u := pickle.NewUnpickler(bufio.NewReader(bytes.NewReader(b)))
	u.FindClass = findClass
	u.PersistentLoad = r.persistentLoad
	obj, err = u.Load()
	if err != nil {
		return nil, fmt.Errorf("record %s: %v", f.Name, err)
	}
	return obj, nil
}

// persistentLoad resolves ("storage", StorageClass, key, location, numel)
// to the bytes of record PREFIX/data/KEY.
func (r *pthReader) persistentLoad(id any) (any, error) {
	t, ok := id.(*types.Tuple)
	if !ok || t.Len() < 5 || t.Get(0) != "storage" {
		return nil, fmt.Errorf("persistent id %v is not (\"storage\", class, key, location, numel)", id)
	}
	cls, ok1 := t.Get(1).(*storageClass)
	key, ok2 := t.Get(2).(string)
	numel, ok3 := t.Get(4).(int)
	if !ok1 || !ok2 || !ok3 || numel < 0 {
		return nil, fmt.Errorf("persistent id %v is not (\"storage\", class, key, location, numel)", id)
	}
	if st, ok := r.storages[key]; ok {
		if st.dtype != cls.dtype {
			return nil, fmt.Errorf("storage %q used as both %s and %s", key, st.dtype, cls.dtype)
		}
		return st, nil
	}
	name := r.prefix + "data/" + key
	f, ok := r.records[name]
	if !ok {
		return nil, fmt.Errorf("storage record %s is missing", name)
	}
	es := cls.dtype.Size()
	want, ok := mulNoOverflow(numel, es)
	if !ok || f.UncompressedSize64 != uint64(want) {
		return nil, fmt.Errorf("storage record %s holds %d bytes, but the pickle declares %d elements of %s (%s)",
			name, f.UncompressedSize64, numel, cls.dtype, byteCount(numel, cls.dtype))
	}
	data, err := r.read(f, uint64(want))
	if err != nil {
		return nil, err
	}
	if r.bigEndian {
		swapBytes(data, es)
	}
	st := &storage{dtype: cls.dtype, data: data, budget: r.budget}
	r.storages[key] = st
	return st, nil
}

// swapBytes reverses the bytes of each size-byte element in place.
func swapBytes(data []byte, size int) {
	for i := 0; i+size <= len(data); i += size {
		for a, b := i, i+size-1; a < b; a, b = a+1, b-1 {
			data[a], data[b] = data[b], data[a]
		}
	}
}

type dictEntry struct {
	key   any
	value any
}

// dictEntries returns the entries of a dict or OrderedDict in order.
func dictEntries(v any) ([]dictEntry, bool) {
	switch d := v.(type) {
	case *types.Dict:
		out := make([]dictEntry, 0, d.Len())
		for _, e := range *d {
			out = append(out, dictEntry{e.Key, e.Value})
		}
		return out, true
	case *types.OrderedDict:
		out := make([]dictEntry, 0, d.Len())
		for el := d.List.Front(); el != nil; el = el.Next() {
			e := el.Value.(*types.OrderedDictEntry)
			out = append(out, dictEntry{e.Key, e.Value})
		}
		return out, true
	}
	return nil, false
}

// selectStateDict picks the state_dict out of the unpickled object.
func selectStateDict(obj any, key string) (map[string]Tensor, error) {
	top, ok := dictEntries(obj)
	if !ok {
		return nil, fmt.Errorf("the pickled object has type %s, not dict", describe(obj))
	}
	var keys []string
	for _, e := range top {
		keys = append(keys, fmt.Sprintf("%v", e.key))
	}
	keyList := "top-level keys: " + strings.Join(keys, ", ")
	lookup := func(k string) (any, bool) {
		for _, e := range top {
			if e.key == k {
				return e.value, true
			}
		}
		return nil, false
	}
	where, entries := "the top-level dict", top
	if key != "" {
		v, ok := lookup(key)
		if !ok {
			return nil, fmt.Errorf("key %q not found; %s", key, keyList)
		}
		where = fmt.Sprintf("%q", key)
		if entries, ok = dictEntries(v); !ok {
			return nil, fmt.Errorf("%s has type %s, not a dict of tensors; %s", where, describe(v), keyList)
		}
	} else {
		for _, k := range []string{"model", "state_dict"} {
			if v, ok := lookup(k); ok {
				where = fmt.Sprintf("%q", k)
				if entries, ok = dictEntries(v); !ok {
					return nil, fmt.Errorf("%s has type %s, not a dict of tensors; %s", where, describe(v), keyList)
				}
				break
			}
		}
	}
	out := make(map[string]Tensor, len(entries))
	for _, e := range entries {
		name, ok := e.key.(string)
		if !ok {
			return nil, fmt.Errorf("%s has a key %v of type %s, not str", where, e.key, describe(e.key))
		}
		t, ok := e.value.(*pthTensor)
		if !ok {
			return nil, fmt.Errorf("entry %q of %s has type %s, not a tensor (choose the state_dict with a key; %s)",
				name, where, describe(e.value), keyList)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("%s names %q twice", where, name)
		}
		out[name] = t.Tensor
	}
	return out, nil
}
