package synth

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"allnet/data/pascal"
)

// Every LabelMap value the PASCAL writer can use is a PASCAL-Context class
// whose distilled normals the loader keeps, and no value is listed twice.
func TestLabelMapIDsKeepNormals(t *testing.T) {
	seen := map[uint16]bool{}
	for _, id := range contextIDs {
		assert.True(t, pascal.NormalsValid(int32(id)), "context id %d", id)
		assert.False(t, seen[id], "context id %d listed twice", id)
		seen[id] = true
	}
	for _, id := range spareContextIDs {
		assert.True(t, pascal.NormalsValid(int32(id)), "spare id %d", id)
		assert.False(t, seen[id], "spare id %d listed twice", id)
		seen[id] = true
	}
	ids := labelMapIDs([]Instance{{Kind: "wall"}, {Kind: "wall"}, {Kind: "floor"}, {Kind: "unknown kind"}, {Kind: "wall"}})
	assert.Equal(t, []uint16{440, 3, 158, 4, 6}, ids)
}
