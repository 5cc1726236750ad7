package synth

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestWritePNGs writes example renders (RGB, depth, normals, semseg, edges,
// parts) as PNGs under $SYNTH_PNG_DIR for a visual check; skipped otherwise.
func TestWritePNGs(t *testing.T) {
	dir := os.Getenv("SYNTH_PNG_DIR")
	if dir == "" {
		t.Skip("set SYNTH_PNG_DIR to write example renders")
	}
	for _, like := range []string{LikeNYUD, LikePASCAL} {
		for idx := 0; idx < 4; idx++ {
			sc, err := NewScene(Config{Like: like}, 7, idx)
			if err != nil {
				t.Fatal(err)
			}
			f := sc.Render()
			W, H := f.Image.W, f.Image.H
			out := image.NewRGBA(image.Rect(0, 0, 3*W, 2*H))
			n := W * H
			maxD := float32(0)
			for _, d := range f.Depth {
				maxD = max(maxD, d)
			}
			for y := 0; y < H; y++ {
				for x := 0; x < W; x++ {
					i := y*W + x
					b := func(v float32) uint8 { return uint8(math.Round(float64(min(max(v, 0), 1)) * 255)) }
					out.Set(x, y, color.RGBA{b(f.Image.Pix[i]), b(f.Image.Pix[n+i]), b(f.Image.Pix[2*n+i]), 255})
					d := f.Depth[i] / maxD
					out.Set(W+x, y, color.RGBA{b(d), b(1 - 2*float32(math.Abs(float64(d)-0.5))), b(1 - d), 255})
					out.Set(2*W+x, y, color.RGBA{b((f.Normals[i] + 1) / 2), b((f.Normals[n+i] + 1) / 2), b((f.Normals[2*n+i] + 1) / 2), 255})
					out.Set(x, H+y, labelColour(int(f.Semseg[i])))
					e := uint8(255 * (1 - f.Edge[i]))
					sal := uint8(0)
					if f.Sal[i] > 0 {
						sal = 80
					}
					out.Set(W+x, H+y, color.RGBA{e, e, e - sal*uint8(f.Edge[i]), 255})
					if f.Sal[i] > 0 && f.Edge[i] == 0 {
						out.Set(W+x, H+y, color.RGBA{255, 255, 175, 255})
					}
					out.Set(2*W+x, H+y, labelColour(int(f.Parts[i])*3))
				}
			}
			path := filepath.Join(dir, fmt.Sprintf("%s_%d.png", like, idx))
			fh, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := png.Encode(fh, out); err != nil {
				t.Fatal(err)
			}
			fh.Close()
		}
	}
}

func labelColour(k int) color.RGBA {
	if k == 0 {
		return color.RGBA{0, 0, 0, 255}
	}
	h := mix64(uint64(k) * 0x9e3779b97f4a7c15)
	return color.RGBA{uint8(64 + h%192), uint8(64 + (h>>8)%192), uint8(64 + (h>>16)%192), 255}
}
