package transform

import (
	"fmt"

	"allnet/data"
)

// Check reports a sample whose image is not RGB or whose task slices do not
// match the image size, naming the sample and the task.
func Check(s *data.Sample) error {
	if s == nil {
		return fmt.Errorf("nil sample")
	}
	if err := s.Image.Check(); err != nil {
		return fmt.Errorf("sample %q: %w", s.Name, err)
	}
	if s.Image.C != 3 {
		return fmt.Errorf("sample %q: image has %d channels, want 3 (RGB)", s.Name, s.Image.C)
	}
	hw := s.H() * s.W()
	for _, t := range []struct {
		name    string
		present bool
		n, c    int
	}{
		{"semseg", s.Semseg != nil, len(s.Semseg), 1}, {"depth", s.Depth != nil, len(s.Depth), 1},
		{"normals", s.Normals != nil, len(s.Normals), 3}, {"edge", s.Edge != nil, len(s.Edge), 1},
		{"sal", s.Sal != nil, len(s.Sal), 1}, {"parts", s.Parts != nil, len(s.Parts), 1},
	} {
		if t.present && t.n != t.c*hw {
			return fmt.Errorf("sample %q: %s has %d values, want %d for a %dx%d image",
				s.Name, t.name, t.n, t.c*hw, s.H(), s.W())
		}
	}
	return nil
}
