package format

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes b to path through a temporary file beside it,
// renamed over path once everything is written, so that an interrupted run
// never leaves half a file. The file gets mode 0644; errors name path.
func WriteFileAtomic(path string, b []byte) error {
	return writeAtomic(path, func(w io.Writer) error { _, err := w.Write(b); return err })
}

// writeAtomic writes path through write into a temporary file beside it and
// renames that over path once everything is written. The file gets mode 0644.
func writeAtomic(path string, write func(io.Writer) error) error {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	bw := bufio.NewWriterSize(f, 1<<16)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
