// Package layout holds what the dataset readers share: split files and the
// error for a missing folder or file, which shows the expected folder tree.
package layout

import (
	"bytes"
	"errors"
	"fmt"
	"os"
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
