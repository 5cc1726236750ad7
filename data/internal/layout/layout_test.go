package layout

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "split.txt")
	require.NoError(t, os.WriteFile(p, []byte(text), 0o644))
	return p
}

func TestReadSplit(t *testing.T) {
	for _, c := range []struct{ name, text string }{
		{"lf", "a\nb\nc\n"},
		{"no final newline", "a\nb\nc"},
		{"crlf and blank lines", "\r\na\r\n\r\nb\r\n  \r\nc\r\n\r\n"},
		{"bom and spaces", "\xef\xbb\xbf  a \n\tb\t\nc  "},
	} {
		t.Run(c.name, func(t *testing.T) {
			names, err := ReadSplit(writeFile(t, c.text))
			require.NoError(t, err)
			assert.Equal(t, []string{"a", "b", "c"}, names)
		})
	}
}

func TestReadSplitErrors(t *testing.T) {
	p := writeFile(t, "\r\n \n")
	_, err := ReadSplit(p)
	assert.ErrorContains(t, err, p+": expected one sample name per line, found none")

	p = writeFile(t, "a\nimages/b\n")
	_, err = ReadSplit(p)
	assert.ErrorContains(t, err, p+`:2: expected a sample name (a file stem), found "images/b"`)

	_, err = ReadSplit(filepath.Join(t.TempDir(), "nope.txt"))
	assert.ErrorContains(t, err, "nope.txt")
}

func TestMissing(t *testing.T) {
	l := Layout{Dataset: "ds", Release: "DS_MT", Tree: []string{"images/NAME.png", "gt/train.txt"}}
	err := l.Missing("/r", "file /r/images/x.png", 2)
	assert.EqualError(t, err, "ds: missing file /r/images/x.png (and 2 more missing) under root /r; "+
		"expected the DS_MT layout:\n  ROOT/\n    images/NAME.png\n    gt/train.txt")
	assert.EqualError(t, l.MissingRoot("/r"), "ds: root folder /r does not exist; expected the DS_MT layout:\n  ROOT/\n    images/NAME.png\n    gt/train.txt")
}
