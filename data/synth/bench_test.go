package synth

import "testing"

// BenchmarkRender measures one 288x384 scene (generation and rendering) per
// variant, on one worker and on GOMAXPROCS workers.
func BenchmarkRender(b *testing.B) {
	for _, like := range []string{LikeNYUD, LikePASCAL} {
		for _, w := range []struct {
			name    string
			workers int
		}{{"1core", 1}, {"all", 0}} {
			b.Run(like+"/"+w.name, func(b *testing.B) {
				cfg := Config{Like: like, Workers: w.workers}
				for i := 0; b.Loop(); i++ {
					if _, err := Render(cfg, 1, i%16); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
