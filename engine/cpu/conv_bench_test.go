package cpu

import (
	"testing"

	"allnet/engine/backend"
)

// convBenchCases are InternImage-S shapes at a 288x384 input, batch 1.
var convBenchCases = []struct {
	name string
	g    backend.ConvGeom
}{
	// Stem: conv 3->40, 3x3 stride 2 padding 1 at 288x384 (to 144x192).
	{"stem_3x288x384_s2", backend.ConvGeom{N: 1, C: 3, H: 288, W: 384, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1, DH: 1, DW: 1}},
	// Stage 1: conv 80->80, 3x3 stride 1 padding 1 at 72x96.
	{"80x72x96_s1", backend.ConvGeom{N: 1, C: 80, H: 72, W: 96, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1}},
}

// BenchmarkIm2col times Im2col in float32; bytes are those of col written.
func BenchmarkIm2col(b *testing.B) {
	benchConvCols(b, func(c *CPU, img, col backend.Buffer, g backend.ConvGeom) { c.Im2col(col, img, g) })
}

// BenchmarkCol2im times Col2im in float32; bytes are those of col read.
func BenchmarkCol2im(b *testing.B) {
	benchConvCols(b, func(c *CPU, img, col backend.Buffer, g backend.ConvGeom) { c.Col2im(img, col, g) })
}

// benchConvCols times op, Im2col or Col2im, on each of convBenchCases with
// float32 img and col buffers; bytes are those of col.
func benchConvCols(b *testing.B, op func(c *CPU, img, col backend.Buffer, g backend.ConvGeom)) {
	c := New()
	for _, bc := range convBenchCases {
		b.Run(bc.name, func(b *testing.B) {
			g := bc.g
			img := c.Alloc(backend.Float32, g.N*g.C*g.H*g.W)
			col := c.Alloc(backend.Float32, g.N*g.C*g.KH*g.KW*g.OutH()*g.OutW())
			b.SetBytes(int64(col.Len()) * 4)
			for b.Loop() {
				op(c, img, col, g)
			}
		})
	}
}

// BenchmarkResize times bilinear upsampling (1,80,72,96) -> (1,80,288,384)
// in float32, forward and backward; bytes are those of the large side.
func BenchmarkResize(b *testing.B) {
	const n, ch, h, w, oh, ow = 1, 80, 72, 96, 288, 384
	c := New()
	x := c.Alloc(backend.Float32, n*ch*h*w)
	y := c.Alloc(backend.Float32, n*ch*oh*ow)
	b.Run("forward", func(b *testing.B) {
		b.SetBytes(int64(y.Len()) * 4)
		for b.Loop() {
			c.Resize(y, x, n, ch, h, w, oh, ow)
		}
	})
	b.Run("backward", func(b *testing.B) {
		b.SetBytes(int64(y.Len()) * 4)
		for b.Loop() {
			c.ResizeBackward(x, y, n, ch, h, w, oh, ow)
		}
	})
}
