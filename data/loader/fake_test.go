package loader

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"

	"allnet/data"
)

// fakeDS is an in-memory dataset whose Load returns the same shared *Sample
// every time (so the tests also check that the loader never writes into
// them), with an optional hook run before each Load.
type fakeDS struct {
	info    data.Info
	samples []*data.Sample
	loads   atomic.Int64
	hook    func(i int) error
}

func (d *fakeDS) Len() int          { return len(d.samples) }
func (d *fakeDS) Name(i int) string { return d.samples[i].Name }
func (d *fakeDS) Info() data.Info   { return d.info }
func (d *fakeDS) Load(i int) (*data.Sample, error) {
	d.loads.Add(1)
	if d.hook != nil {
		if err := d.hook(i); err != nil {
			return nil, err
		}
	}
	return d.samples[i], nil
}

// newFake returns n samples of h x w with every task: gradient images that
// differ per sample, simple labels, depth with an invalid corner, unit
// normals, a vertical edge and a salient block.
func newFake(n, h, w int) *fakeDS {
	d := &fakeDS{info: data.Info{Dataset: "fake", Split: "train", Classes: 5, Size: [2]int{h, w},
		Tasks: []string{"semseg", "depth", "normals", "edge", "sal", "parts"}}}
	for i := range n {
		d.samples = append(d.samples, fakeSample(fmt.Sprintf("s%02d", i), i, h, w))
	}
	return d
}

func fakeSample(name string, i, h, w int) *data.Sample {
	hw := h * w
	s := &data.Sample{Name: name, Image: data.NewImage(3, h, w), Semseg: make([]int32, hw),
		Depth: make([]float32, hw), Normals: make([]float32, 3*hw), Edge: make([]float32, hw),
		Sal: make([]float32, hw), Parts: make([]int32, hw)}
	r := rand.New(rand.NewPCG(uint64(i), 1))
	for y := range h {
		for x := range w {
			p := y*w + x
			for c := range 3 {
				v := 0.2 + 0.6*float64((x+c*y+7*i)%w)/float64(w) + 0.05*r.Float64()
				s.Image.Pix[c*hw+p] = float32(v)
			}
			s.Semseg[p] = int32((x/8 + y/8 + i) % 5)
			s.Parts[p] = int32((x / 10) % 7)
			if x < 4 && y < 4 {
				s.Semseg[p] = data.Ignore
				continue // depth and normals invalid
			}
			s.Depth[p] = 1 + float32(y)/float32(h)*3 + float32(i)/10
			a := float64(x)/float64(w) - 0.5
			s.Normals[p], s.Normals[hw+p], s.Normals[2*hw+p] = float32(math.Sin(a)), 0, float32(-math.Cos(a))
			if x == w/2 {
				s.Edge[p] = 1
			}
			if x > w/3 && y > h/3 {
				s.Sal[p] = 1
			}
		}
	}
	return s
}
