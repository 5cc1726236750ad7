package metrics

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// thinBits thins the binary image drawn by rows of '0'/'1' and draws the
// result the same way.
func thinBits(rows []string) []string {
	h, w := len(rows), len(rows[0])
	var t thinner
	t.reset(h, w)
	var pts []int32
	for y, r := range rows {
		for x, c := range r {
			if c == '1' {
				pts = append(pts, t.pad(y*w+x, w))
			}
		}
	}
	pts = t.thin(pts)
	out := make([][]byte, h)
	for y := range out {
		out[y] = []byte(strings.Repeat("0", w))
	}
	for _, p := range pts {
		i := t.unpad(p, w)
		out[int(i)/w][int(i)%w] = '1'
	}
	res := make([]string, h)
	for y := range out {
		res[y] = string(out[y])
	}
	for _, v := range t.img {
		if v != 0 {
			panic("thin left pixels set")
		}
	}
	return res
}

func TestThinMatchesScikitImage(t *testing.T) {
	for i, c := range loadGolden(t).Thin {
		require.Equal(t, c.Out, thinBits(c.In), "case %d (%dx%d)", i, c.H, c.W)
	}
}

func TestThinHandCases(t *testing.T) {
	// A 3-pixel-thick bar thins to its middle row, one pixel shorter at each
	// end (skimage agrees); a 1-pixel line and an isolated pixel stay.
	require.Equal(t, []string{
		"000000000",
		"000000000",
		"001111100",
		"000000000",
		"000000000",
	}, thinBits([]string{
		"000000000",
		"011111110",
		"011111110",
		"011111110",
		"000000000",
	}))
	line := []string{"00000", "01110", "00000", "00010"}
	require.Equal(t, line, thinBits(line))
	// The corner of an L drawn 4-connected is redundant in 8-connectivity.
	require.Equal(t, []string{"0000", "0010", "0100", "0100"}, thinBits([]string{"0000", "0110", "0100", "0100"}))
}
