package loader

import (
	"fmt"
	"strings"

	"allnet/data"
	"allnet/data/degrade"
	"allnet/data/transform"
)

// Batch is B samples collated into contiguous, channels-first, row-major
// arrays of one size H x W. A task the dataset lacks is nil.
type Batch struct {
	B, H, W int
	Epoch   int      // epoch the batch belongs to, from 0
	Step    int      // position of the batch in the loader's sequence, from 0
	Indices []int    // dataset indices
	Names   []string // sample names

	Images []float32 // (B, 3, H, W) degraded input, ImageNet-normalised: the network input
	Clean  []float32 // (B, 3, H, W) clean (augmented) image in [0, 1]: the restoration target

	Semseg  []int32   // (B, H, W) class ids, data.Ignore unlabelled
	Depth   []float32 // (B, H, W) metres, 0 = invalid
	Normals []float32 // (B, 3, H, W) unit vectors, all zero = invalid
	Edge    []float32 // (B, H, W) 0 or 1
	Sal     []float32 // (B, H, W) 0 or 1
	Parts   []int32   // (B, H, W) 0..6, data.Ignore unlabelled

	Types []string       // degradation type per image ("clean" when none)
	Specs []degrade.Spec // full degradation per image: ApplySpec on Clean reproduces it
	// Deferred marks the images whose degradation (blur, with
	// Options.DeferBlur) is not applied yet: Images holds their clean
	// image. Nil when there are none.
	Deferred []bool
}

// item is one prepared sample: augmented ground truth and clean image, its
// degraded image and how it was degraded.
type item struct {
	index    int
	s        *data.Sample
	degraded data.Image
	spec     degrade.Spec
	deferred bool // spec not applied: degraded is the clean image
}

// collate stacks items into a Batch; the first item decides the size and the
// tasks, and an item that differs is an error naming both samples.
func collate(items []item, epoch, step int) (*Batch, error) {
	f := items[0].s
	h, w := f.H(), f.W()
	n, hw := len(items), h*w
	b := &Batch{B: n, H: h, W: w, Epoch: epoch, Step: step,
		Indices: make([]int, n), Names: make([]string, n), Types: make([]string, n), Specs: make([]degrade.Spec, n),
		Images: make([]float32, n*3*hw), Clean: make([]float32, n*3*hw),
		Semseg: alloc[int32](f.Semseg, n*hw), Depth: alloc[float32](f.Depth, n*hw),
		Normals: alloc[float32](f.Normals, n*3*hw), Edge: alloc[float32](f.Edge, n*hw),
		Sal: alloc[float32](f.Sal, n*hw), Parts: alloc[int32](f.Parts, n*hw)}
	for i, it := range items {
		s := it.s
		if s.H() != h || s.W() != w {
			return nil, fmt.Errorf("loader: sample %q is %dx%d but %q in the same batch is %dx%d",
				s.Name, s.H(), s.W(), f.Name, h, w)
		}
		if m := tasks(s); m != tasks(f) {
			return nil, fmt.Errorf("loader: sample %q has tasks [%s] but %q in the same batch has [%s]",
				s.Name, m, f.Name, tasks(f))
		}
		b.Indices[i], b.Names[i], b.Types[i], b.Specs[i] = it.index, s.Name, string(it.spec.Type), it.spec
		if it.deferred {
			if b.Deferred == nil {
				b.Deferred = make([]bool, n)
			}
			b.Deferred[i] = true
		}
		img := data.Image{C: 3, H: h, W: w, Pix: b.Images[i*3*hw : (i+1)*3*hw]}
		copy(img.Pix, it.degraded.Pix)
		transform.Normalize(img, transform.ImageNetMean, transform.ImageNetStd)
		copy(b.Clean[i*3*hw:], s.Image.Pix)
		put(b.Semseg, s.Semseg, i)
		put(b.Depth, s.Depth, i)
		put(b.Normals, s.Normals, i)
		put(b.Edge, s.Edge, i)
		put(b.Sal, s.Sal, i)
		put(b.Parts, s.Parts, i)
	}
	return b, nil
}

// tasks lists the tasks s has, comma-separated.
func tasks(s *data.Sample) string {
	var names []string
	for _, t := range []struct {
		name    string
		present bool
	}{{"semseg", s.Semseg != nil}, {"depth", s.Depth != nil}, {"normals", s.Normals != nil},
		{"edge", s.Edge != nil}, {"sal", s.Sal != nil}, {"parts", s.Parts != nil}} {
		if t.present {
			names = append(names, t.name)
		}
	}
	return strings.Join(names, ",")
}

// alloc returns a slice of n values when the task is present, else nil.
func alloc[T int32 | float32](task []T, n int) []T {
	if task == nil {
		return nil
	}
	return make([]T, n)
}

// put copies sample i's task into its place in dst.
func put[T int32 | float32](dst, src []T, i int) {
	if dst != nil {
		copy(dst[i*len(src):], src)
	}
}
