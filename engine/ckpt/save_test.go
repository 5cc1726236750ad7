package ckpt

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// existing writes a valid checkpoint at dir/last.safetensors and returns its
// path and bytes.
func existing(t *testing.T, dir string) (string, []byte) {
	path := filepath.Join(dir, "last.safetensors")
	require.NoError(t, Save(path, map[string]Tensor{"w": FromFloat32([]int{2}, []float32{1, 2})},
		map[string]string{"step": "1"}))
	old, err := os.ReadFile(path)
	require.NoError(t, err)
	return path, old
}

// assertUntouched checks that path still holds old and that dir holds
// nothing else (no temporary files).
func assertUntouched(t *testing.T, dir, path string, old []byte) {
	t.Helper()
	now, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, old, now, "the existing checkpoint changed")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{filepath.Base(path)}, names, "temporary files left behind")
}

func TestSaveReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path, _ := existing(t, dir)
	require.NoError(t, os.Chmod(path, 0o600))
	require.NoError(t, Save(path, map[string]Tensor{"w": FromFloat32([]int{3}, []float32{4, 5, 6})},
		map[string]string{"step": "2"}))
	f, err := Load(path)
	require.NoError(t, err)
	assert.Equal(t, "2", f.Metadata["step"])
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "a replaced file keeps its mode")
	assertUntouched(t, dir, path, mustRead(t, path))

	fresh := filepath.Join(t.TempDir(), "new.safetensors")
	require.NoError(t, Save(fresh, nil, nil))
	st, err = os.Stat(fresh)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())
}

func mustRead(t *testing.T, path string) []byte {
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func TestSaveBadTensorLeavesOldFile(t *testing.T) {
	dir := t.TempDir()
	path, old := existing(t, dir)
	err := Save(path, map[string]Tensor{
		"ok":  FromFloat32([]int{1}, []float32{1}),
		"a.b": {DType: F32, Shape: []int{3, 4}, Data: make([]byte, 40)},
	}, nil)
	require.Error(t, err)
	assert.Equal(t, "checkpoint "+path+`: tensor "a.b": shape [3 4] (48 bytes as F32) but 40 bytes of data`, err.Error())
	assertUntouched(t, dir, path, old)
}

func TestSaveFailureAfterWriteLeavesOldFile(t *testing.T) {
	dir := t.TempDir()
	path, old := existing(t, dir)
	var tmpSeen string
	afterWriteHook = func(tmp string) error {
		tmpSeen = tmp
		// The temporary file is complete and valid before the rename.
		_, err := Load(tmp)
		require.NoError(t, err)
		return errors.New("injected failure")
	}
	defer func() { afterWriteHook = nil }()
	err := Save(path, map[string]Tensor{"w": FromFloat32([]int{3}, []float32{7, 8, 9})}, nil)
	require.ErrorContains(t, err, "checkpoint "+path+": injected failure")
	assert.Equal(t, dir, filepath.Dir(tmpSeen), "the temporary file must live beside the target")
	assertUntouched(t, dir, path, old)
}

func TestSaveReadOnlyDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions")
	}
	dir := t.TempDir()
	path, old := existing(t, dir)
	require.NoError(t, os.Chmod(dir, 0o555))
	defer os.Chmod(dir, 0o755)
	err := Save(path, map[string]Tensor{"w": FromFloat32([]int{1}, []float32{3})}, nil)
	require.ErrorContains(t, err, "checkpoint "+path+": creating a temporary file")
	assertUntouched(t, dir, path, old)
}

func TestSaveOntoDirectoryFails(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "ckpt")
	require.NoError(t, os.Mkdir(target, 0o755))
	err := Save(target, nil, nil)
	require.ErrorContains(t, err, "checkpoint "+target+": is a directory")
	missing := filepath.Join(dir, "missing", "x.safetensors")
	err = Save(missing, nil, nil)
	require.ErrorContains(t, err, "checkpoint "+missing+": creating a temporary file")
	assert.ErrorIs(t, err, os.ErrNotExist)
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1)
}
