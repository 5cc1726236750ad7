package ckpt

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"unicode/utf8"
)

// FormatVersionKey is the metadata key Save always fills: the version of
// allnet's checkpoint layout, FormatVersion unless the caller sets it.
const FormatVersionKey = "format_version"

// FormatVersion is the current allnet checkpoint layout version.
const FormatVersion = "1"

// afterWriteHook, when set by tests, runs after the temporary file is fully
// written and synced, before the rename; an error aborts Save there.
var afterWriteHook func(tmp string) error

// Save writes tensors and metadata to path as a safetensors file, atomically:
// it writes a temporary file in the same directory, syncs it, renames it over
// path and syncs the directory. On any error before the rename the temporary
// file is removed and an existing file at path is left untouched.
//
// Every tensor is validated first (known dtype, len(Data) matching shape);
// names must be non-empty, valid UTF-8 and not "__metadata__". The header
// lists tensors by name (sorted) with the metadata under "__metadata__",
// where format_version is set to FormatVersion unless metadata already has
// it; it is padded with spaces to a multiple of 8 bytes. The data area holds the
// tensors back to back, wider dtypes first, then by name, so every tensor
// starts at a multiple of its element size with no gaps (the layout the
// reference implementation writes). A new file gets mode 0644; a replaced
// file keeps its mode.
func Save(path string, tensors map[string]Tensor, metadata map[string]string) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("checkpoint %s: "+format, append([]any{path}, args...)...)
	}
	if err := validateTensors(tensors); err != nil {
		return fail("%v", err)
	}
	header, order, err := encodeHeader(tensors, metadata)
	if err != nil {
		return fail("%v", err)
	}

	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		if st.IsDir() {
			return fail("is a directory")
		}
		mode = st.Mode().Perm()
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fail("creating a temporary file: %w", err)
	}
	tmpName := tmp.Name()
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()

	w := bufio.NewWriterSize(tmp, 1<<20)
	writeBody(w, header, order, tensors)
	if err := w.Flush(); err != nil {
		return fail("writing %s: %w", tmpName, err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return fail("setting the mode of %s: %w", tmpName, err)
	}
	if err := tmp.Sync(); err != nil {
		return fail("syncing %s: %w", tmpName, err)
	}
	if err := tmp.Close(); err != nil {
		return fail("closing %s: %w", tmpName, err)
	}
	if afterWriteHook != nil {
		if err := afterWriteHook(tmpName); err != nil {
			return fail("%v", err)
		}
	}
	if err := os.Rename(tmpName, path); err != nil {
		return fail("renaming %s into place: %w", tmpName, err)
	}
	committed = true
	if err := syncDir(dir); err != nil {
		return fail("written, but syncing directory %s failed (the rename may not survive a crash): %w", dir, err)
	}
	return nil
}

func validateTensors(tensors map[string]Tensor) error {
	for _, name := range sortedKeys(tensors) {
		if name == "" || name == metadataKey || !utf8.ValidString(name) {
			return fmt.Errorf("invalid tensor name %q", name)
		}
		if err := tensors[name].Validate(); err != nil {
			return fmt.Errorf("tensor %q: %v", name, err)
		}
	}
	return nil
}

// writeBody writes the header length, the header and the tensors' data; a
// bufio.Writer keeps the first error for Flush.
func writeBody(w *bufio.Writer, header []byte, order []string, tensors map[string]Tensor) {
	var lenBuf [8]byte
	binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(header)))
	w.Write(lenBuf[:])
	w.Write(header)
	for _, name := range order {
		w.Write(tensors[name].Data)
	}
}

// writeOrder sorts names by element size (largest first), then by name.
func writeOrder(tensors map[string]Tensor) []string {
	names := sortedKeys(tensors)
	sort.SliceStable(names, func(i, j int) bool {
		return tensors[names[i]].DType.Size() > tensors[names[j]].DType.Size()
	})
	return names
}

type headerEntry struct {
	DType       DType    `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// encodeHeader returns the JSON header, padded with spaces to a multiple of
// 8, and the order of the tensors in the data area.
func encodeHeader(tensors map[string]Tensor, metadata map[string]string) ([]byte, []string, error) {
	order := writeOrder(tensors)
	entries := make(map[string]any, len(tensors)+1)
	var pos int64
	for _, name := range order {
		t := tensors[name]
		shape := append([]int{}, t.Shape...)
		end := pos + int64(len(t.Data))
		entries[name] = headerEntry{DType: t.DType, Shape: shape, DataOffsets: [2]int64{pos, end}}
		pos = end
	}
	meta := map[string]string{FormatVersionKey: FormatVersion}
	for k, v := range metadata {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, nil, fmt.Errorf("metadata %q: %q is not valid UTF-8", k, v)
		}
		meta[k] = v
	}
	entries[metadataKey] = meta
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(entries); err != nil { // map keys come out sorted
		return nil, nil, fmt.Errorf("encoding the header: %v", err)
	}
	hdr := bytes.TrimRight(buf.Bytes(), "\n")
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	return hdr, order, nil
}

// syncDir fsyncs a directory so that a rename in it is durable. File systems
// that cannot sync directories (EINVAL) are tolerated.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}
