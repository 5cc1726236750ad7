package data

// Dataset is a finite, indexable set of samples at the dataset's working
// resolution (NYUD 288x384; PASCAL each image's own size; synthetic as
// configured). Implementations must be safe for concurrent Load calls.
type Dataset interface {
	// Len returns the number of samples in the split.
	Len() int
	// Name returns sample i's name (its file stem, e.g. "0001" or
	// "2008_000123"), without reading it.
	Name(i int) string
	// Load reads sample i with every task the dataset has. Errors name the
	// file and what was expected.
	Load(i int) (*Sample, error)
	// Info describes the dataset.
	Info() Info
}

// Info describes a dataset split.
type Info struct {
	Dataset string   // "nyud", "pascal" or "synthetic"
	Split   string   // "train" or "val"
	Root    string   // folder it was read from ("" for in-memory data)
	Tasks   []string // task names in CONVENTIONS.md order: semseg, depth, normals, edge, sal, parts
	Classes int      // semantic classes (13 or 40 for NYUD, 21 for PASCAL)
	// Size is the fixed working resolution [H, W], or [0, 0] when images keep
	// their own sizes (PASCAL).
	Size [2]int
}
