package degrade

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOptionsScaled(t *testing.T) {
	d := DefaultOptions()
	require.Equal(t, d, d.Scaled(1))
	require.Equal(t, d, d.Scaled(0))
	s := d.Scaled(1.0 / 6)
	require.NoError(t, s.Validate())
	require.InDeltaSlice(t, []float64{5.0 / 6, 25.0 / 6}, s.Blur.Length[:], 1e-12)
	require.InDeltaSlice(t, []float64{10.0 / 6, 40.0 / 6}, s.Rain.Length[:], 1e-12)
	require.Equal(t, Range{0.25, 1.0 / 3}, s.Rain.Width, "width clamped to 0.25 px")
	// Nothing else changes, and the input is left alone.
	s.Blur.Length, s.Rain.Length, s.Rain.Width = d.Blur.Length, d.Rain.Length, d.Rain.Width
	require.Equal(t, d, s)
	require.Equal(t, DefaultOptions(), d)
	// Clamped at the top too.
	require.Equal(t, Range{50, 60}, d.Scaled(10).Blur.Length)
}
