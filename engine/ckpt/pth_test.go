package ckpt

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pthExpected mirrors testdata/pth_expected.json, written by
// scripts/golden/gen_pth_fixtures.py.
type pthExpected struct {
	Torch string
	Files map[string]map[string]map[string]struct {
		DType  DType
		Shape  []int
		Values []json.Number
	}
}

func TestLoadPthFixtures(t *testing.T) {
	raw, err := os.ReadFile("testdata/pth_expected.json")
	require.NoError(t, err)
	var want pthExpected
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&want))
	require.NotEmpty(t, want.Files)

	for file, keys := range want.Files {
		for key, tensors := range keys {
			got, err := LoadPth(filepath.Join("testdata", file), key)
			require.NoError(t, err, "%s key %q", file, key)
			require.Equal(t, sortedKeys(tensors), sortedKeys(got), "%s key %q", file, key)
			for name, w := range tensors {
				g := got[name]
				where := file + " " + key + " " + name
				require.NoError(t, g.Validate(), where)
				assert.Equal(t, w.DType, g.DType, where)
				assert.Equal(t, len(w.Shape), len(g.Shape), where)
				if len(w.Shape) > 0 {
					assert.Equal(t, w.Shape, g.Shape, where)
				}
				if g.DType.IsFloat() {
					v, err := g.Float64s()
					require.NoError(t, err, where)
					require.Len(t, v, len(w.Values), where)
					for i, n := range w.Values {
						f, err := n.Float64()
						require.NoError(t, err)
						require.Equal(t, f, v[i], "%s[%d]", where, i)
					}
				} else {
					v, err := g.Int64s()
					require.NoError(t, err, where)
					require.Len(t, v, len(w.Values), where)
					for i, n := range w.Values {
						x, err := n.Int64()
						require.NoError(t, err)
						require.Equal(t, x, v[i], "%s[%d]", where, i)
					}
				}
			}
		}
	}

	// Auto key picks "model"; its dtypes cover what the brief asks for.
	auto, err := LoadPth("testdata/model.pth", "")
	require.NoError(t, err)
	model, err := LoadPth("testdata/model.pth", "model")
	require.NoError(t, err)
	assert.Equal(t, model, auto)
	dtypes := map[DType]bool{}
	for _, ten := range model {
		dtypes[ten.DType] = true
	}
	for _, dt := range []DType{F32, F16, BF16, F64, I64} {
		assert.True(t, dtypes[dt], "fixture lacks %s", dt)
	}
	// The transposed entry is base.t(): a non-contiguous view of a shared storage.
	base, _ := model["base"].Float32s()
	tr, _ := model["transposed"].Float32s()
	assert.Equal(t, []int{5, 3}, model["transposed"].Shape)
	for i := 0; i < 3; i++ {
		for j := 0; j < 5; j++ {
			assert.Equal(t, base[i*5+j], tr[j*3+i])
		}
	}
}

func TestLoadPthKeyErrors(t *testing.T) {
	path := "testdata/model.pth"
	keys := "top-level keys: model, model_ema, epoch, meta"
	_, err := LoadPth(path, "state_dict")
	assert.EqualError(t, err, "checkpoint "+path+`: key "state_dict" not found; `+keys)
	_, err = LoadPth(path, "epoch")
	assert.EqualError(t, err, "checkpoint "+path+`: "epoch" has type int, not a dict of tensors; `+keys)
	_, err = LoadPth(path, "meta")
	assert.EqualError(t, err, "checkpoint "+path+`: entry "note" of "meta" has type str, not a tensor (choose the state_dict with a key; `+keys+")")
}

func TestLoadPthRejectsForeignGlobals(t *testing.T) {
	// torch.save of an object whose __reduce__ is os.system (posix.system).
	_, err := LoadPth("testdata/evil.pth", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "checkpoint testdata/evil.pth: ")
	assert.Contains(t, err.Error(), "global posix.system, which this loader does not accept")
	assert.Contains(t, err.Error(), "nothing in the file is executed")

	// A hand-made pickle calling os.system("touch MARKER").
	dir := t.TempDir()
	marker := filepath.Join(dir, "MARKER")
	var p pk
	p.op("\x80\x02")
	p.global("os", "system")
	p.str("touch " + marker)
	p.op("\x85R.") // TUPLE1, REDUCE, STOP
	path := writePth(t, dir, "archive", map[string][]byte{"data.pkl": p.Bytes()})
	_, err = LoadPth(path, "")
	assert.ErrorContains(t, err, "checkpoint "+path+": record archive/data.pkl: the pickle names global os.system")
	assert.NoFileExists(t, marker)

	for _, g := range [][2]string{{"builtins", "eval"}, {"builtins", "getattr"}, {"subprocess", "Popen"}, {"torch.nn.modules.linear", "Linear"}} {
		var p pk
		p.op("\x80\x02")
		p.global(g[0], g[1])
		p.op(".")
		path := writePth(t, dir, "archive", map[string][]byte{"data.pkl": p.Bytes()})
		_, err = LoadPth(path, "")
		assert.ErrorContains(t, err, "global "+g[0]+"."+g[1]+", which this loader does not accept")
	}
}

func TestLoadPthFormats(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadPth("testdata/legacy.pth", "")
	assert.EqualError(t, err, "checkpoint testdata/legacy.pth: legacy (non-zip) PyTorch checkpoint; only the zip format "+
		"of PyTorch >= 1.6 is supported: re-save it with torch.save(torch.load(f), g) in PyTorch >= 1.6")

	notZip := filepath.Join(dir, "x.pth")
	require.NoError(t, os.WriteFile(notZip, []byte("hello, not a checkpoint"), 0o644))
	_, err = LoadPth(notZip, "")
	assert.ErrorContains(t, err, "checkpoint "+notZip+": not a PyTorch zip checkpoint")

	_, err = LoadPth(filepath.Join(dir, "missing.pth"), "")
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.ErrorContains(t, err, "checkpoint "+filepath.Join(dir, "missing.pth"))

	noPkl := writePth(t, dir, "archive", map[string][]byte{"version": []byte("3\n")})
	_, err = LoadPth(noPkl, "")
	assert.ErrorContains(t, err, "without a TOP/data.pkl record")

	script := writePth(t, dir, "archive", map[string][]byte{"data.pkl": {}, "constants.pkl": {}})
	_, err = LoadPth(script, "")
	assert.ErrorContains(t, err, "TorchScript archive")

	garbage := writePth(t, dir, "archive", map[string][]byte{"data.pkl": []byte("\x80\x02X\xff\xff\xff\x7fab")})
	_, err = LoadPth(garbage, "")
	assert.ErrorContains(t, err, "checkpoint "+garbage+": record archive/data.pkl:")

	list := writePth(t, dir, "archive", map[string][]byte{"data.pkl": []byte("\x80\x02]q\x00.")})
	_, err = LoadPth(list, "")
	assert.ErrorContains(t, err, "the pickled object has type list, not dict")
}

// TestLoadPthBigEndianViews builds a checkpoint by hand with byteorder "big"
// (as torch.save writes on big-endian hosts), the "archive/" prefix of
// PyTorch >= 2, a storage offset and strides.
func TestLoadPthBigEndianViews(t *testing.T) {
	dir := t.TempDir()
	doubles := []float64{1.5, -2, 3.25, 4, 5, 6}
	halves := []uint16{0x3c00, 0xc000, 0x0001} // 1, -2, 2^-24
	var p pk
	p.op("\x80\x02}(") // EMPTY_DICT, MARK
	p.str("d")
	p.tensor("DoubleStorage", "0", 6, 1, []int{2, 2}, []int{1, 2}) // [[d1, d3], [d2, d4]]
	p.str("h")
	p.tensor("HalfStorage", "1", 3, 0, []int{3}, []int{1})
	p.str("h2") // same storage, offset 2
	p.tensor("HalfStorage", "1", 3, 2, []int{1}, []int{1})
	p.op("u.") // SETITEMS, STOP
	be := func(v []uint64, size int) []byte {
		var b []byte
		for _, x := range v {
			tmp := make([]byte, 8)
			binary.BigEndian.PutUint64(tmp, x)
			b = append(b, tmp[8-size:]...)
		}
		return b
	}
	var dbits, hbits []uint64
	for _, d := range doubles {
		dbits = append(dbits, math.Float64bits(d))
	}
	for _, h := range halves {
		hbits = append(hbits, uint64(h))
	}
	path := writePth(t, dir, "archive", map[string][]byte{
		"data.pkl": p.Bytes(), "byteorder": []byte("big"),
		"data/0": be(dbits, 8), "data/1": be(hbits, 2),
	})
	got, err := LoadPth(path, "")
	require.NoError(t, err)
	d, err := got["d"].Float64s()
	require.NoError(t, err)
	assert.Equal(t, []float64{-2, 4, 3.25, 5}, d)
	assert.Equal(t, []int{2, 2}, got["d"].Shape)
	h, err := got["h"].Float32s()
	require.NoError(t, err)
	assert.Equal(t, []float32{1, -2, float32(math.Pow(2, -24))}, h)
	h2, _ := got["h2"].Float32s()
	assert.Equal(t, []float32{float32(math.Pow(2, -24))}, h2)

	// The same records with a view past the end of its storage.
	var bad pk
	bad.op("\x80\x02}")
	bad.str("d")
	bad.tensor("DoubleStorage", "0", 6, 4, []int{2, 2}, []int{1, 2})
	bad.op("s.")
	path = writePth(t, dir, "archive", map[string][]byte{"data.pkl": bad.Bytes(), "data/0": be(dbits, 8)})
	_, err = LoadPth(path, "")
	assert.ErrorContains(t, err, "view (offset 4, size [2 2], stride [1 2]) reaches element 7 of a 6-element storage")

	// A storage record shorter than the pickle declares.
	path = writePth(t, dir, "archive", map[string][]byte{"data.pkl": bad.Bytes(), "data/0": be(dbits[:5], 8)})
	_, err = LoadPth(path, "")
	assert.ErrorContains(t, err, "storage record archive/data/0 holds 40 bytes, but the pickle declares 6 elements of F64 (48 bytes)")

	// A missing storage record.
	path = writePth(t, dir, "archive", map[string][]byte{"data.pkl": bad.Bytes()})
	_, err = LoadPth(path, "")
	assert.ErrorContains(t, err, "storage record archive/data/0 is missing")

	// An unknown byte order.
	path = writePth(t, dir, "archive", map[string][]byte{"data.pkl": p.Bytes(), "byteorder": []byte("middle")})
	_, err = LoadPth(path, "")
	assert.ErrorContains(t, err, `record archive/byteorder says "middle"`)
}

// pk assembles protocol-2 pickles by hand.
type pk struct{ bytes.Buffer }

func (p *pk) op(s string) { p.WriteString(s) }

func (p *pk) global(module, name string) { p.WriteString("c" + module + "\n" + name + "\n") }

func (p *pk) str(s string) {
	p.WriteByte('X')
	binary.Write(&p.Buffer, binary.LittleEndian, uint32(len(s)))
	p.WriteString(s)
}

func (p *pk) int(n int) {
	p.WriteByte('J')
	binary.Write(&p.Buffer, binary.LittleEndian, int32(n))
}

func (p *pk) tuple(v []int) {
	p.op("(")
	for _, x := range v {
		p.int(x)
	}
	p.op("t")
}

// tensor writes _rebuild_tensor_v2(storage, offset, size, stride, False,
// OrderedDict()).
func (p *pk) tensor(cls, key string, numel, offset int, size, stride []int) {
	p.global("torch._utils", "_rebuild_tensor_v2")
	p.op("((") // MARK args, MARK persistent id
	p.str("storage")
	p.global("torch", cls)
	p.str(key)
	p.str("cpu")
	p.int(numel)
	p.op("tQ") // TUPLE, BINPERSID
	p.int(offset)
	p.tuple(size)
	p.tuple(stride)
	p.op("\x89") // NEWFALSE
	p.global("collections", "OrderedDict")
	p.op(")R") // EMPTY_TUPLE, REDUCE
	p.op("tR") // TUPLE, REDUCE
}

// writePth writes a zip with the records under prefix/ and returns its path.
func writePth(t *testing.T, dir, prefix string, records map[string][]byte) string {
	f, err := os.CreateTemp(dir, "*.pth")
	require.NoError(t, err)
	defer f.Close()
	w := zip.NewWriter(f)
	names := sortedKeys(records)
	sort.SliceStable(names, func(i, j int) bool { return strings.HasSuffix(names[i], ".pkl") })
	for _, name := range names {
		fw, err := w.CreateHeader(&zip.FileHeader{Name: prefix + "/" + name, Method: zip.Store})
		require.NoError(t, err)
		_, err = fw.Write(records[name])
		require.NoError(t, err)
	}
	require.NoError(t, w.Close())
	return f.Name()
}
