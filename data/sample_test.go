package data

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSampleCloneIsDeep(t *testing.T) {
	s := &Sample{Name: "a", Image: NewImage(3, 1, 2), Semseg: []int32{1, 2}, Depth: []float32{3, 4}}
	c := s.Clone()
	assert.Equal(t, s, c)
	c.Image.Pix[0], c.Semseg[0], c.Depth[0] = 9, 9, 9
	assert.Equal(t, float32(0), s.Image.Pix[0])
	assert.Equal(t, int32(1), s.Semseg[0])
	assert.Equal(t, float32(3), s.Depth[0])
	assert.Nil(t, c.Normals, "a missing task stays nil")
	assert.Nil(t, c.Parts)
}
