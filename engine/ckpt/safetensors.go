package ckpt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"unicode/utf8"
)

// MaxHeaderSize is the largest JSON header accepted, the limit of the
// reference implementation (100 MB).
const MaxHeaderSize = 100_000_000

// metadataKey is the reserved header entry holding the string->string map.
const metadataKey = "__metadata__"

// File is a loaded safetensors file.
type File struct {
	// Path is the file the tensors came from.
	Path string
	// Tensors maps each tensor name to its contents.
	Tensors map[string]Tensor
	// Metadata is the header's __metadata__ map (empty, not nil, if absent).
	Metadata map[string]string
}

// Names returns the tensor names in sorted order.
func (f *File) Names() []string { return sortedKeys(f.Tensors) }

// TensorInfo describes one tensor in a safetensors header.
type TensorInfo struct {
	DType DType
	Shape []int
	// Offsets are the [begin, end) byte offsets into the data area that
	// follows the header.
	Offsets [2]int64
}

// Header is the parsed, validated JSON header of a safetensors file.
type Header struct {
	Tensors  map[string]TensorInfo
	Metadata map[string]string
	// DataStart is the file offset of the data area (8 + header length).
	DataStart int64
}

// Load reads and validates the safetensors file at path: the header length
// against the file size, the JSON, every dtype and shape, and the data
// offsets, which must lie in the data area, match shape and dtype, and cover
// the data area exactly, without gaps or overlaps.
func Load(path string) (*File, error) {
	f, size, err := openSized(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decode(path, f, size)
}

// ReadHeader reads and validates only the header of the safetensors file at
// path (the data area is checked against the file size, not read).
func ReadHeader(path string) (*Header, error) {
	f, size, err := openSized(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeHeader(path, f, size)
}

// ReadMetadata returns the __metadata__ map of the safetensors file at path,
// reading only its header.
func ReadMetadata(path string) (map[string]string, error) {
	h, err := ReadHeader(path)
	if err != nil {
		return nil, err
	}
	return h.Metadata, nil
}

func openSized(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("checkpoint %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("checkpoint %s: not a regular file", path)
	}
	return f, st.Size(), nil
}

// decode reads a whole safetensors file of the given size from r; name is
// used in errors.
func decode(name string, r io.ReaderAt, size int64) (*File, error) {
	h, err := decodeHeader(name, r, size)
	if err != nil {
		return nil, err
	}
	data := make([]byte, size-h.DataStart)
	if _, err := r.ReadAt(data, h.DataStart); err != nil && !(err == io.EOF && len(data) == 0) {
		return nil, fmt.Errorf("checkpoint %s: reading the data area: %w", name, err)
	}
	out := &File{Path: name, Tensors: make(map[string]Tensor, len(h.Tensors)), Metadata: h.Metadata}
	for n, info := range h.Tensors {
		b, e := info.Offsets[0], info.Offsets[1]
		out.Tensors[n] = Tensor{DType: info.DType, Shape: info.Shape, Data: data[b:e:e]}
	}
	return out, nil
}

func decodeHeader(name string, r io.ReaderAt, size int64) (*Header, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("checkpoint %s: "+format, append([]any{name}, args...)...)
	}
	if size < 8 {
		return nil, fail("%d bytes is too short for a safetensors file (8-byte header length missing)", size)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, fail("reading the header length: %v", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > MaxHeaderSize {
		return nil, fail("header length %d exceeds the %d-byte limit (not a safetensors file?)", n, MaxHeaderSize)
	}
	if int64(n) > size-8 {
		return nil, fail("header length %d but the file has only %d bytes after the length (truncated?)", n, size-8)
	}
	hdr := make([]byte, n)
	if _, err := r.ReadAt(hdr, 8); err != nil && n > 0 {
		return nil, fail("reading the %d-byte header: %v", n, err)
	}
	h, err := parseHeader(hdr)
	if err != nil {
		return nil, fail("%v", err)
	}
	h.DataStart = 8 + int64(n)
	if err := checkOffsets(h.Tensors, size-h.DataStart); err != nil {
		return nil, fail("%v", err)
	}
	return h, nil
}

// parseHeader parses the JSON header, rejecting duplicate names, unknown
// dtypes and malformed entries.
func parseHeader(hdr []byte) (*Header, error) {
	if !utf8.Valid(hdr) {
		return nil, fmt.Errorf("header is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("header is not a JSON object: %s", jsonErr(err, tok))
	}
	h := &Header{Tensors: map[string]TensorInfo{}, Metadata: map[string]string{}}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("header JSON: %v", err)
		}
		key := tok.(string) // object keys are always strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("header JSON, entry %q: %v", key, err)
		}
		if seen[key] {
			return nil, fmt.Errorf("header names %q twice", key)
		}
		seen[key] = true
		if key == metadataKey {
			if string(raw) == "null" { // allowed by the reference implementation
				continue
			}
			if err := json.Unmarshal(raw, &h.Metadata); err != nil || h.Metadata == nil {
				return nil, fmt.Errorf("__metadata__ must map strings to strings: %s", raw)
			}
			continue
		}
		info, err := parseInfo(raw)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %v", key, err)
		}
		h.Tensors[key] = info
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("header JSON: %v", err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("header JSON: unexpected data after the object: %s", jsonErr(err, tok))
	}
	return h, nil
}

func jsonErr(err error, tok json.Token) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("found %v", tok)
}

// parseInfo parses {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}.
// Unknown fields are ignored, as the reference implementation does.
func parseInfo(raw json.RawMessage) (TensorInfo, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return TensorInfo{}, fmt.Errorf("entry is not a JSON object: %s", raw)
	}
	var info TensorInfo
	var dt string
	var shape, offs []int64
	for _, f := range []struct {
		name string
		dst  any
	}{{"dtype", &dt}, {"shape", &shape}, {"data_offsets", &offs}} {
		v, ok := fields[f.name]
		if !ok || string(v) == "null" {
			return info, fmt.Errorf("%q missing", f.name)
		}
		if err := json.Unmarshal(v, f.dst); err != nil {
			return info, fmt.Errorf("bad %q %s: %v", f.name, v, err)
		}
	}
	info.DType = DType(dt)
	if !info.DType.Known() {
		return info, fmt.Errorf("unknown dtype %q", dt)
	}
	info.Shape = make([]int, len(shape))
	for i, d := range shape {
		if d < 0 || int64(int(d)) != d {
			return info, fmt.Errorf("bad shape %v", shape)
		}
		info.Shape[i] = int(d)
	}
	if len(offs) != 2 || offs[0] < 0 || offs[1] < offs[0] {
		return info, fmt.Errorf("bad data_offsets %v (want [begin, end] with 0 <= begin <= end)", offs)
	}
	info.Offsets = [2]int64{offs[0], offs[1]}
	return info, nil
}

// checkOffsets checks each tensor's byte length against its shape and dtype,
// and that the tensors tile [0, dataLen) exactly.
func checkOffsets(tensors map[string]TensorInfo, dataLen int64) error {
	names := sortedKeys(tensors)
	for _, n := range names {
		info := tensors[n]
		span := info.Offsets[1] - info.Offsets[0]
		count, err := numElements(info.Shape)
		if err != nil {
			return fmt.Errorf("tensor %q: %v", n, err)
		}
		want, ok := mulNoOverflow(count, info.DType.Size())
		if !ok || int64(want) != span {
			return fmt.Errorf("tensor %q has shape %v (%s as %s) but data_offsets %v cover %d bytes",
				n, info.Shape, byteCount(count, info.DType), info.DType, info.Offsets, span)
		}
		if info.Offsets[1] > dataLen {
			return fmt.Errorf("tensor %q has data_offsets %v beyond the %d-byte data area (truncated?)",
				n, info.Offsets, dataLen)
		}
	}
	sort.SliceStable(names, func(i, j int) bool {
		a, b := tensors[names[i]].Offsets, tensors[names[j]].Offsets
		return a[0] < b[0] || a[0] == b[0] && a[1] < b[1]
	})
	var pos int64
	prev := ""
	for _, n := range names {
		o := tensors[n].Offsets
		switch {
		case o[0] < pos:
			return fmt.Errorf("tensor %q (data_offsets %v) overlaps tensor %q (ends at %d)", n, o, prev, pos)
		case o[0] > pos:
			return fmt.Errorf("gap in the data area: bytes [%d, %d) belong to no tensor", pos, o[0])
		}
		pos, prev = o[1], n
	}
	if pos != dataLen {
		return fmt.Errorf("tensors cover %d bytes but the data area has %d (trailing bytes)", pos, dataLen)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
