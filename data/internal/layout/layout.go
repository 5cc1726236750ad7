// Package layout holds what the dataset readers share: opening a split
// (its folders and split file), the error for a missing folder or file,
// which shows the expected folder tree, and the size check of ground-truth
// files (size.go).
package layout

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Layout describes a dataset's folder layout for error messages.
type Layout struct {
	// Dataset is the dataset's name in errors, e.g. "nyud".
	Dataset string
	// Release is the name of the public release, e.g. "NYUD_MT".
	Release string
	// Tree is the expected tree under the root, one entry per line, without
	// indentation for the root itself (it is printed as ROOT/).
	Tree []string
}

// Describe returns the expected layout as an indented tree.
func (l Layout) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "expected the %s layout:\n  ROOT/", l.Release)
	for _, e := range l.Tree {
		b.WriteString("\n    ")
		b.WriteString(e)
	}
	return b.String()
}

// Missing returns the error for a missing folder or file: it names path
// (counting others further missing paths), gives the root, and shows the
// expected layout.
func (l Layout) Missing(root, path string, others int) error {
	more := ""
	if others > 0 {
		more = fmt.Sprintf(" (and %d more missing)", others)
	}
	return fmt.Errorf("%s: missing %s%s under root %s; %s", l.Dataset, path, more, root, l.Describe())
}

// MissingRoot returns the error for a root folder that does not exist.
func (l Layout) MissingRoot(root string) error {
	return fmt.Errorf("%s: root folder %s does not exist; %s", l.Dataset, root, l.Describe())
}

// OpenSplit checks split ("train" or "val"), that root and the folders dirs
// under it exist and that the split file splitDir/SPLIT.txt under root does,
// and returns the names it lists (ReadSplit). A missing folder or file is
// an error that names it and shows the expected layout; a bad split or
// split file is an error too. Errors start with the dataset's name.
func (l Layout) OpenSplit(root, split string, dirs []string, splitDir string) ([]string, error) {
	if split != "train" && split != "val" {
		return nil, fmt.Errorf("%s: split %q: expected train or val", l.Dataset, split)
	}
	if !IsDir(root) {
		return nil, l.MissingRoot(root)
	}
	var missing []string
	for _, dir := range dirs {
		if p := filepath.Join(root, dir); !IsDir(p) {
			missing = append(missing, "folder "+p)
		}
	}
	if len(missing) > 0 {
		return nil, l.Missing(root, missing[0], len(missing)-1)
	}
	splitFile := filepath.Join(root, splitDir, split+".txt")
	if !IsFile(splitFile) {
		return nil, l.Missing(root, "split file "+splitFile, 0)
	}
	names, err := ReadSplit(splitFile)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.Dataset, err)
	}
	return names, nil
}

// CheckIndex returns an error unless i indexes a split of n samples.
func (l Layout) CheckIndex(i, n int, split string) error {
	if i < 0 || i >= n {
		return fmt.Errorf("%s: sample %d out of range: the %s split has %d", l.Dataset, i, split, n)
	}
	return nil
}

// IsFile reports whether path names an existing regular file (or a link to
// one).
func IsFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// IsDir reports whether path names an existing folder (or a link to one).
func IsDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// ReadSplit reads a split file: one sample name per line. A UTF-8 byte-order
// mark at the start is dropped, surrounding white space on each line
// (including the CR of CRLF line ends) is trimmed and blank lines are
// skipped. A file with no name, or a name holding a path separator, is an
// error naming the file.
func ReadSplit(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	var names []string
	for i, line := range strings.Split(string(b), "\n") {
		name := strings.TrimSpace(line)
		if name == "" {
			continue
		}
		if strings.ContainsAny(name, `/\`) {
			return nil, fmt.Errorf("%s:%d: expected a sample name (a file stem), found %q", path, i+1, name)
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		return nil, errors.New(path + ": expected one sample name per line, found none")
	}
	return names, nil
}
