package format

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"testing"
)

// Benchmarks at PASCAL's typical image size (500x375).
const benchW, benchH = 500, 375

func BenchmarkDecodeImageJPEG420(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	m := image.NewRGBA(image.Rect(0, 0, benchW, benchH))
	for i := range m.Pix {
		m.Pix[i] = uint8(i/7%256) ^ uint8(rng.IntN(32))
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 90}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if _, err := DecodeImage("b.jpg", buf.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeGrayPNG(b *testing.B) {
	m := image.NewGray(image.Rect(0, 0, benchW, benchH))
	for i := range m.Pix {
		m.Pix[i] = uint8(i / 4000)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := DecodeGray("b.png", buf.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeMatLabelMap(b *testing.B) {
	var m matBuilder
	d := make([]byte, 2*benchW*benchH)
	for i := range benchW * benchH {
		binary.LittleEndian.PutUint16(d[2*i:], uint16(i/3000))
	}
	file := m.file(compress(b, m.matrix("LabelMap", uint32(MatUint16), []int32{benchH, benchW}, m.elem(miUINT16, d))))
	for b.Loop() {
		f, err := DecodeMat("b.mat", file)
		if err != nil {
			b.Fatal(err)
		}
		v, _ := f.Var("LabelMap")
		if _, _, _, err := v.Int32Matrix(); err != nil {
			b.Fatal(err)
		}
	}
}
