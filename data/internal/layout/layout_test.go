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

func TestOpenSplit(t *testing.T) {
	l := Layout{Dataset: "ds", Release: "DS_MT", Tree: []string{"images/NAME.png"}}
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "images"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "sets", "x"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "sets", "x", "val.txt"), []byte("b\na\n"), 0o644))
	dirs := []string{"images", "sets/x"}
	names, err := l.OpenSplit(root, "val", dirs, "sets/x")
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "a"}, names)

	_, err = l.OpenSplit(root, "test", dirs, "sets/x")
	assert.EqualError(t, err, `ds: split "test": expected train or val`)
	_, err = l.OpenSplit(filepath.Join(root, "nope"), "val", dirs, "sets/x")
	assert.EqualError(t, err, l.MissingRoot(filepath.Join(root, "nope")).Error())
	_, err = l.OpenSplit(root, "val", []string{"images", "depth", "edge"}, "sets/x")
	assert.EqualError(t, err, l.Missing(root, "folder "+filepath.Join(root, "depth"), 1).Error())
	_, err = l.OpenSplit(root, "train", dirs, "sets/x")
	assert.EqualError(t, err, l.Missing(root, "split file "+filepath.Join(root, "sets", "x", "train.txt"), 0).Error())
	require.NoError(t, os.WriteFile(filepath.Join(root, "sets", "x", "train.txt"), nil, 0o644))
	_, err = l.OpenSplit(root, "train", dirs, "sets/x")
	assert.ErrorContains(t, err, "ds: "+filepath.Join(root, "sets", "x", "train.txt")+": expected one sample name per line")

	assert.NoError(t, l.CheckIndex(2, 3, "val"))
	assert.EqualError(t, l.CheckIndex(3, 3, "val"), "ds: sample 3 out of range: the val split has 3")
	assert.EqualError(t, l.CheckIndex(-1, 3, "val"), "ds: sample -1 out of range: the val split has 3")
}

func TestSizeCheck(t *testing.T) {
	s := Size{H: 2, W: 3, Image: "im.png"}
	assert.NoError(t, s.Check("a.png", 2, 3))
	assert.EqualError(t, s.Check("a.png", 3, 2), "a.png: expected 2x3 (HxW, the size of im.png), found 3x2")
}
