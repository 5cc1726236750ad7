package ckpt

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Small files that claim huge sizes must fail fast, not exhaust memory.
func TestLoadPthRejectsMemoryBombs(t *testing.T) {
	dir := t.TempDir()
	for name, pkl := range map[string]string{
		"frame": "\x80\x04\x95\xff\xff\xff\xff\xff\x00\x00\x00", // FRAME of 1 TB
		"str":   "\x80\x02X\xff\xff\xff\x7f",                    // BINUNICODE of 2 GB
		"bytes": "\x80\x04\x8e\x00\x00\x00\x00\x01\x00\x00\x00", // BINBYTES8 of 4 GB
	} {
		path := writePth(t, dir, "archive", map[string][]byte{"data.pkl": []byte(pkl)})
		_, err := LoadPth(path, "")
		assert.ErrorContains(t, err, "but only", name)
		assert.ErrorContains(t, err, "malformed pickle", name)
	}

	// A zero-stride view of a 4-element storage claiming 2^30 elements.
	var p pk
	p.op("\x80\x02}(")
	p.str("w")
	p.tensor("FloatStorage", "0", 4, 0, []int{1 << 30}, []int{0})
	p.op("u.")
	path := writePth(t, dir, "archive", map[string][]byte{"data.pkl": p.Bytes(), "data/0": make([]byte, 16)})
	_, err := LoadPth(path, "")
	require.Error(t, err)
	assert.ErrorContains(t, err, "would copy out 1073741824 elements of F32")

	// A small zero-stride view stays fine.
	p.Reset()
	p.op("\x80\x02}(")
	p.str("w")
	p.tensor("FloatStorage", "0", 4, 1, []int{3, 5}, []int{1, 0})
	p.op("u.")
	path = writePth(t, dir, "archive", map[string][]byte{"data.pkl": p.Bytes(), "data/0": make([]byte, 16)})
	sd, err := LoadPth(path, "")
	require.NoError(t, err)
	assert.Equal(t, []int{3, 5}, sd["w"].Shape)
}

func TestScanPickleOpcodes(t *testing.T) {
	require.NoError(t, scanPickle([]byte("\x80\x02}q\x00X\x01\x00\x00\x00as.")))
	require.NoError(t, scanPickle([]byte("ctorch\nFloatStorage\nI12\n.")))
	assert.ErrorContains(t, scanPickle([]byte("\x80\x02\xff.")), "unknown pickle opcode 0xff at byte 2")
	assert.ErrorContains(t, scanPickle([]byte("\x80\x02}")), "without a STOP")
	assert.ErrorContains(t, scanPickle([]byte("ctorch\nFloat")), "line not terminated")
	assert.ErrorContains(t, scanPickle([]byte("\x8b\xff\xff\xff\xff.")), "negative length")
	assert.ErrorContains(t, scanPickle([]byte("U\x05ab.")), "declares 5 bytes, but only 3 follow")
}
