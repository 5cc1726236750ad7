package transform

import (
	"fmt"

	"allnet/data"
)

// ImageNet's per-channel RGB mean and standard deviation (intensities in
// [0, 1]), the normalisation the InternImage backbone was trained with.
var (
	ImageNetMean = [3]float32{0.485, 0.456, 0.406}
	ImageNetStd  = [3]float32{0.229, 0.224, 0.225}
)

// Normalize maps an RGB image in place to (v - mean[c]) / std[c], computed
// in float32. It panics on an image that is not 3-channel or whose size does
// not match its pixels.
func Normalize(img data.Image, mean, std [3]float32) {
	checkRGB("Normalize", img)
	n := img.H * img.W
	for c := range 3 {
		m, s := mean[c], std[c]
		p := img.Pix[c*n : (c+1)*n]
		for i, v := range p {
			p[i] = (v - m) / s
		}
	}
}

// Denormalize undoes Normalize in place: v * std[c] + mean[c].
func Denormalize(img data.Image, mean, std [3]float32) {
	checkRGB("Denormalize", img)
	n := img.H * img.W
	for c := range 3 {
		m, s := mean[c], std[c]
		p := img.Pix[c*n : (c+1)*n]
		for i, v := range p {
			p[i] = v*s + m
		}
	}
}

func checkRGB(op string, img data.Image) {
	if img.C != 3 || img.Check() != nil {
		panic(fmt.Sprintf("transform.%s: image of %dx%dx%d with %d values, want 3 channels", op, img.C, img.H, img.W, len(img.Pix)))
	}
}
