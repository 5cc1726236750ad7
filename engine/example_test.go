package engine_test

import (
	"fmt"

	"allnet/engine"
)

// The README's example: a convolution, a loss and its gradient.
func Example() {
	pixels := make([]float32, 3*32*32)
	for i := range pixels {
		pixels[i] = float32(i%7) / 7
	}
	x := engine.FromFloat32(engine.CPU(), pixels, 1, 3, 32, 32)
	w := engine.Param("conv.weight", engine.NewGenerator(0).Normal(engine.CPU(), engine.Float32, 8, 3, 3, 3))
	y := engine.GELU(engine.Conv2d(x, w, nil, engine.ConvOptions{Padding: [2]int{1, 1}}))
	loss := engine.MeanAll(engine.Square(y))
	loss.Backward()
	fmt.Println(y.Shape(), w.Grad().Shape(), loss.Item() > 0)
	// Output: [1 8 32 32] [8 3 3 3] true
}
