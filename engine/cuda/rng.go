package cuda

import "allnet/engine/backend"

// RandUniform fills dst with backend.Uniform(seed, offset+i), bit for bit
// (kernels/rng.cu repeats the integer arithmetic of engine/backend/rng.go).
func (b *Backend) RandUniform(dst backend.Buffer, seed, offset uint64) {
	b.randFill("rng_uniform_f32", dst, seed, offset)
}

// RandNormal fills dst with backend.Normal(seed, offset+i) rounded to
// float32: the Box-Muller transform runs in double precision on the device,
// as in the Go reference.
func (b *Backend) RandNormal(dst backend.Buffer, seed, offset uint64) {
	b.randFill("rng_normal_f32", dst, seed, offset)
}

func (b *Backend) randFill(kernel string, dst backend.Buffer, seed, offset uint64) {
	d := b.ewF32(kernel, "dst", dst)
	if d.n > 0 {
		b.launch(kernel, ewBlocks(d.n), dim1(ewThreads), 0, d, seed, offset, d.n)
	}
}
