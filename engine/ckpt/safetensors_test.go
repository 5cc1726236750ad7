package ckpt

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sampleTensors covers every dtype family, a scalar and an empty tensor.
func sampleTensors() map[string]Tensor {
	return map[string]Tensor{
		"backbone.patch_embed.conv1.weight": FromFloat32([]int{2, 3, 1}, []float32{1, -2, 3.5, 0, 1e-30, -7}),
		"head.bias":                         FromFloat64([]int{3}, []float64{0.25, -1, 1e300}),
		"labels":                            FromInt32([]int{2, 2}, []int32{0, 1, -1, 1 << 30}),
		"bn.num_batches_tracked":            FromInt64([]int{}, []int64{42}),
		"half":                              {DType: F16, Shape: []int{3}, Data: []byte{0, 0x3c, 0, 0xc0, 1, 0}},
		"mask":                              {DType: BOOL, Shape: []int{3}, Data: []byte{1, 0, 1}},
		"empty":                             FromFloat32([]int{0, 5}, nil),
		"odd.u8":                            {DType: U8, Shape: []int{5}, Data: []byte{1, 2, 3, 4, 5}},
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "last.safetensors")
	in := sampleTensors()
	meta := map[string]string{"preset": "allnet-tiny", "step": "120", "config": "a: <b & c>\n"}
	require.NoError(t, Save(path, in, meta))

	f, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, path, f.Path)
	assert.Equal(t, map[string]string{"preset": "allnet-tiny", "step": "120", "config": "a: <b & c>\n",
		FormatVersionKey: FormatVersion}, f.Metadata)
	require.Len(t, f.Tensors, len(in))
	for name, want := range in {
		got := f.Tensors[name]
		assert.Equal(t, want.DType, got.DType, name)
		assert.Equal(t, len(want.Shape), len(got.Shape), name)
		if len(want.Shape) > 0 {
			assert.Equal(t, want.Shape, got.Shape, name)
		}
		assert.Equal(t, len(want.Data), len(got.Data), name)
		if len(want.Data) > 0 {
			assert.Equal(t, want.Data, got.Data, name)
		}
		assert.Equal(t, len(got.Data), cap(got.Data), "%s: capacity must stop at the tensor's end", name)
	}
	assert.Equal(t, sortedKeys(in), f.Names())

	v, err := f.Tensors["head.bias"].Float64s()
	require.NoError(t, err)
	assert.Equal(t, []float64{0.25, -1, 1e300}, v)

	m, err := ReadMetadata(path)
	require.NoError(t, err)
	assert.Equal(t, f.Metadata, m)
	h, err := ReadHeader(path)
	require.NoError(t, err)
	assert.Equal(t, []int{2, 3, 1}, h.Tensors["backbone.patch_embed.conv1.weight"].Shape)
	assert.Equal(t, []int{}, h.Tensors["bn.num_batches_tracked"].Shape)
}

func TestSaveLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.safetensors")
	require.NoError(t, Save(path, sampleTensors(), map[string]string{FormatVersionKey: "7"}))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	n := binary.LittleEndian.Uint64(raw)
	assert.Zero(t, n%8, "header length must be a multiple of 8")
	hdr := raw[8 : 8+n]
	assert.Equal(t, byte('{'), hdr[0])
	assert.Equal(t, "}", strings.TrimRight(string(hdr), " ")[len(strings.TrimRight(string(hdr), " "))-1:])
	assert.NotContains(t, string(hdr), `\u0026`, "no HTML escaping")

	var parsed map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(hdr, &parsed))
	assert.JSONEq(t, `{"format_version": "7"}`, string(parsed["__metadata__"]), "caller's format_version wins")

	h, err := ReadHeader(path)
	require.NoError(t, err)
	assert.Equal(t, int64(8+n), h.DataStart)
	for name, info := range h.Tensors {
		assert.Zero(t, info.Offsets[0]%int64(info.DType.Size()), "%s is not aligned to its element size", name)
	}
	// Wider dtypes come first.
	assert.Equal(t, int64(0), h.Tensors["bn.num_batches_tracked"].Offsets[0])
}

func TestSaveEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.safetensors")
	require.NoError(t, Save(path, nil, nil))
	f, err := Load(path)
	require.NoError(t, err)
	assert.Empty(t, f.Tensors)
	assert.Equal(t, map[string]string{"format_version": "1"}, f.Metadata)
}

func TestSaveRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.safetensors")
	cases := map[string]struct {
		tensors map[string]Tensor
		meta    map[string]string
		want    string
	}{
		"length":   {map[string]Tensor{"a.b": {DType: F32, Shape: []int{3, 4}, Data: make([]byte, 40)}}, nil, `tensor "a.b": shape [3 4] (48 bytes as F32) but 40 bytes of data`},
		"dtype":    {map[string]Tensor{"a": {DType: "F12", Shape: []int{1}, Data: make([]byte, 4)}}, nil, `tensor "a": unknown dtype "F12"`},
		"negative": {map[string]Tensor{"a": {DType: F32, Shape: []int{-1}}}, nil, `tensor "a": shape [-1] has a negative dimension`},
		"reserved": {map[string]Tensor{"__metadata__": FromFloat32([]int{1}, []float32{1})}, nil, `invalid tensor name "__metadata__"`},
		"noname":   {map[string]Tensor{"": FromFloat32([]int{1}, []float32{1})}, nil, `invalid tensor name ""`},
		"utf8":     {nil, map[string]string{"k": "\xff"}, `metadata "k"`},
	}
	for name, c := range cases {
		err := Save(path, c.tensors, c.meta)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "checkpoint "+path+": ", name)
		assert.Contains(t, err.Error(), c.want, name)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing may be left behind")
}

// craft builds a file from a raw header and data area.
func craft(header string, data []byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, uint64(len(header)))
	b.WriteString(header)
	b.Write(data)
	return b.Bytes()
}

func validFile(t testing.TB) []byte {
	path := filepath.Join(t.TempDir(), "valid.safetensors")
	require.NoError(t, Save(path, sampleTensors(), map[string]string{"step": "3"}))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	return raw
}

func TestLoadMalformed(t *testing.T) {
	valid := validFile(t)
	hugeLen := append([]byte{}, valid...)
	binary.LittleEndian.PutUint64(hugeLen, uint64(len(valid)))
	f32x2 := make([]byte, 8)
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"empty", nil, "0 bytes is too short"},
		{"short", []byte{1, 2, 3}, "3 bytes is too short"},
		{"truncated", valid[:len(valid)-3], "beyond the"},
		{"truncated header", valid[:20], "truncated?"},
		{"header length > file", hugeLen, "header length " + itoa(len(valid))},
		{"bad json", craft(`{"a": {"dtype": "F32",   `, nil), "header JSON"},
		{"not an object", craft(`[1, 2]  `, nil), "header is not a JSON object"},
		{"trailing json", craft(`{} {}   `, nil), "unexpected data after the object"},
		{"not utf8", craft("{\"\xff\": 1}", nil), "not valid UTF-8"},
		{"unknown dtype", craft(`{"a":{"dtype":"F7","shape":[2],"data_offsets":[0,8]}}`, f32x2), `tensor "a": unknown dtype "F7"`},
		{"missing shape", craft(`{"a":{"dtype":"F32","data_offsets":[0,8]}}`, f32x2), `tensor "a": "shape" missing`},
		{"negative shape", craft(`{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, f32x2), `tensor "a": bad shape [-2]`},
		{"float shape", craft(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}`, f32x2), `tensor "a": bad "shape" [1.5]`},
		{"bad offsets", craft(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}`, f32x2), `tensor "a": bad data_offsets [8 0]`},
		{"three offsets", craft(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,9]}}`, f32x2), `bad data_offsets`},
		{"size mismatch", craft(`{"a.b":{"dtype":"F32","shape":[3,4],"data_offsets":[0,40]}}`, make([]byte, 40)),
			`tensor "a.b" has shape [3 4] (48 bytes as F32) but data_offsets [0 40] cover 40 bytes`},
		{"beyond data", craft(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, f32x2), "beyond the 8-byte data area"},
		{"overlap", craft(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)),
			`tensor "b" (data_offsets [4 12]) overlaps tensor "a" (ends at 8)`},
		{"gap", craft(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32x2), "gap in the data area: bytes [0, 4)"},
		{"trailing bytes", craft(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32x2), "tensors cover 4 bytes but the data area has 8"},
		{"duplicate", craft(`{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, []byte{1, 2}), `header names "a" twice`},
		{"metadata type", craft(`{"__metadata__":{"step":3}}`, nil), "__metadata__ must map strings to strings"},
		{"overflow shape", craft(`{"a":{"dtype":"F64","shape":[4611686018427387904,4],"data_offsets":[0,8]}}`, f32x2), "has too many elements"},
		{"overflow bytes", craft(`{"a":{"dtype":"F64","shape":[1152921504606846976,2],"data_offsets":[0,8]}}`, f32x2), "(too many bytes as F64)"},
	}
	dir := t.TempDir()
	for _, c := range cases {
		path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".safetensors")
		require.NoError(t, os.WriteFile(path, c.file, 0o644))
		_, err := Load(path)
		require.Error(t, err, c.name)
		assert.True(t, strings.HasPrefix(err.Error(), "checkpoint "+path+": "), "%s: %v", c.name, err)
		assert.Contains(t, err.Error(), c.want, c.name)
		_, herr := ReadHeader(path)
		assert.Error(t, herr, c.name)
	}

	big := craft("", nil)
	binary.LittleEndian.PutUint64(big, MaxHeaderSize+1)
	_, err := decode("big", bytes.NewReader(big), 1<<40)
	assert.ErrorContains(t, err, "exceeds the 100000000-byte limit")

	_, err = Load(filepath.Join(dir, "missing.safetensors"))
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.ErrorContains(t, err, "checkpoint "+filepath.Join(dir, "missing.safetensors"))
	_, err = Load(dir)
	assert.ErrorContains(t, err, "not a regular file")
}

func TestLoadAcceptsForeignLayouts(t *testing.T) {
	// Zero-length tensors sharing an offset, null metadata, extra fields,
	// unpadded header: all valid per the reference implementation.
	file := craft(`{"z":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1},`+
		`"b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},"__metadata__":null}`, []byte{0, 0, 0x80, 0x3f, 0x80, 0x3f, 0x00, 0xc0})
	f, err := decode("mem", bytes.NewReader(file), int64(len(file)))
	require.NoError(t, err)
	assert.Empty(t, f.Metadata)
	v, err := f.Tensors["b"].Float32s()
	require.NoError(t, err)
	assert.Equal(t, []float32{1, -2}, v)
	assert.Equal(t, 0, f.Tensors["z"].NumElements())
}

func itoa(n int) string { return strconv.Itoa(n) }

func FuzzLoad(f *testing.F) {
	f.Add(validFile(f))
	f.Add(craft(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"k":"v"}}`, make([]byte, 8)))
	f.Add(craft(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[],"data_offsets":[4,5]}}`, make([]byte, 5)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		file, err := decode("fuzz", bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "checkpoint fuzz: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		// Whatever loads must validate and survive a write/read round trip.
		for name, ten := range file.Tensors {
			if err := ten.Validate(); err != nil {
				t.Fatalf("loaded tensor %q does not validate: %v", name, err)
			}
		}
		if validateTensors(file.Tensors) != nil {
			return // e.g. an empty name: loadable, but Save refuses it
		}
		header, order, err := encodeHeader(file.Tensors, file.Metadata)
		if err != nil {
			return // metadata that is not valid UTF-8 after JSON decoding cannot occur, but be safe
		}
		var buf bytes.Buffer
		w := bufioWriter(&buf)
		writeBody(w, header, order, file.Tensors)
		require.NoError(t, w.Flush())
		again, err := decode("again", bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		require.NoError(t, err)
		require.Equal(t, len(file.Tensors), len(again.Tensors))
		for name, ten := range file.Tensors {
			got := again.Tensors[name]
			require.Equal(t, ten.DType, got.DType)
			require.Equal(t, len(ten.Shape), len(got.Shape))
			require.True(t, bytes.Equal(ten.Data, got.Data))
		}
	})
}

func bufioWriter(b *bytes.Buffer) *bufio.Writer { return bufio.NewWriter(b) }
