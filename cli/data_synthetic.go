package cli

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"allnet/data"
	"allnet/data/nyud"
	"allnet/data/pascal"
	"allnet/data/synth"
)

// --dataset synthetic is the built-in scenes (data/synth), in one of two
// forms:
//
//   - without --root, rendered in memory: --like nyud|pascal (default nyud),
//     --synth-seed S (the scenes' seed, default 0, what `data synth --seed`
//     takes), --synth-size HxW (default 288x384) and --synth-count N (samples
//     in the split, default the real dataset's split size: NYUD 795/654,
//     PASCAL 4998/5105);
//   - with --root DIR, a folder written by `data synth`, read by the NYUD_MT
//     or PASCAL_MT loader as its synth.json says (its samples keep the size
//     they were rendered at); --like, if given, must agree.
//
// --classes: the nyud-like scenes have 13 classes; 40 gives the 40-class
// labels the NYUD_MT files store (synth.NYU40Of13). The pascal-like scenes
// have PASCAL's 21 (13, eval's default, is accepted and means nothing
// there).

// synthOptions are the synthetic dataset's flags as a command gave them.
type synthOptions struct {
	like  string // --like; "" = nyud, or the manifest's
	seed  uint64 // --synth-seed
	count int    // --synth-count; 0 = synth.DefaultCount
	size  string // --synth-size; "" = synth.DefaultH x synth.DefaultW
	given []string
}

// syntheticFlags are the flags of --dataset synthetic; commands that take
// --dataset list them.
func syntheticFlags() []ucli.Flag {
	return []ucli.Flag{
		&ucli.StringFlag{Name: "like", Usage: "with --dataset synthetic: scene `VARIANT` nyud or pascal", DefaultText: "nyud, or what --root's synth.json says"},
		&ucli.Uint64Flag{Name: "synth-seed", Usage: "with --dataset synthetic in memory (no --root): seed `S` of the scenes, as data synth --seed takes it"},
		&ucli.IntFlag{Name: "synth-count", Usage: "with --dataset synthetic in memory: samples `N` in the split", DefaultText: "the real split's size: nyud 795 train, 654 val; pascal 4998, 5105"},
		&ucli.StringFlag{Name: "synth-size", Usage: "with --dataset synthetic in memory: image size `HxW`", DefaultText: "288x384"},
	}
}

// synthOptionsOf reads the synthetic flags of the running command (zero
// values where it does not define them).
func synthOptionsOf(c *ucli.Context) synthOptions {
	var o synthOptions
	has := func(name string) bool {
		for _, f := range c.Command.Flags {
			for _, n := range f.Names() {
				if n == name {
					return true
				}
			}
		}
		return false
	}
	if has("like") {
		o.like = c.String("like")
	}
	if has("synth-seed") {
		o.seed = c.Uint64("synth-seed")
	}
	if has("synth-count") {
		o.count = c.Int("synth-count")
	}
	if has("synth-size") {
		o.size = c.String("synth-size")
	}
	for _, n := range []string{"synth-seed", "synth-count", "synth-size"} {
		if has(n) && c.IsSet(n) {
			o.given = append(o.given, "--"+n)
		}
	}
	return o
}

// openSynthetic opens split of the synthetic dataset (see the top of this
// file).
func openSynthetic(root, split string, classes int, o synthOptions) (data.Dataset, error) {
	if o.like != "" && o.like != synth.LikeNYUD && o.like != synth.LikePASCAL {
		return nil, UsageErrorf("--like %q: expected nyud or pascal", o.like)
	}
	if root != "" {
		return openSyntheticRoot(root, split, classes, o)
	}
	like := o.like
	if like == "" {
		like = synth.LikeNYUD
	}
	if err := checkSynthClasses(like, classes); err != nil {
		return nil, err
	}
	h, w := synth.DefaultH, synth.DefaultW
	if o.size != "" {
		var err error
		if h, w, err = parseSize("--synth-size", o.size); err != nil {
			return nil, err
		}
	}
	n := o.count
	if n == 0 {
		n = synth.DefaultCount(like, split)
	}
	if n < 0 || n > synth.ValOffset {
		return nil, UsageErrorf("--synth-count %d: expected 1..%d", n, synth.ValOffset)
	}
	d, err := synth.Open(synth.Config{Like: like, H: h, W: w}, o.seed, split, n)
	if err != nil {
		return nil, UsageErrorf("--dataset synthetic: %v", err)
	}
	if classes == 40 {
		return classes40{d}, nil
	}
	return d, nil
}

// openSyntheticRoot reads a folder written by `data synth`.
func openSyntheticRoot(root, split string, classes int, o synthOptions) (data.Dataset, error) {
	if len(o.given) > 0 {
		return nil, UsageErrorf("%s: applies to the in-memory synthetic dataset, not to --root %s (its synth.json fixes the scenes)", o.given[0], root)
	}
	m, err := synth.ReadManifest(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Errorf("--root %s: no %s: expected a folder written by `%s data synth` (read other folders with --dataset nyud or pascal)", root, synth.ManifestName, programName)
	}
	if err != nil {
		return nil, Errorf("--root %s: %v", root, err)
	}
	if o.like != "" && o.like != m.Like {
		return nil, UsageErrorf("--like %s: --root %s holds %s-like scenes (%s)", o.like, root, m.Like, synth.ManifestName)
	}
	if err := checkSynthClasses(m.Like, classes); err != nil {
		return nil, err
	}
	var d data.Dataset
	if m.Like == synth.LikePASCAL {
		d, err = pascal.Open(root, split, pascal.Options{})
	} else {
		d, err = nyud.Open(root, split, nyud.Options{Classes: classes, Size: m.Size})
	}
	if err != nil {
		return nil, Errorf("--root %s: %v", root, err)
	}
	return renamed{d, "synthetic"}, nil
}

func checkSynthClasses(like string, classes int) error {
	switch {
	case classes == 0 || classes == 13:
		return nil
	case like == synth.LikeNYUD && classes == 40:
		return nil
	case like == synth.LikeNYUD:
		return UsageErrorf("--classes %d: expected 13 or 40", classes)
	}
	return UsageErrorf("--classes %d: applies to nyud-like scenes only (pascal-like ones have 21 classes)", classes)
}

// renamed reports another dataset name in Info.
type renamed struct {
	data.Dataset
	name string
}

func (r renamed) Info() data.Info {
	i := r.Dataset.Info()
	i.Dataset = r.name
	return i
}

// classes40 gives the in-memory nyud-like scenes' labels as the 40-class
// labels the NYUD_MT writer stores (synth.NYU40Of13).
type classes40 struct{ data.Dataset }

func (d classes40) Load(i int) (*data.Sample, error) {
	s, err := d.Dataset.Load(i)
	if err != nil {
		return nil, err
	}
	for p, c := range s.Semseg {
		if c >= 0 && int(c) < len(synth.NYU40Of13) {
			s.Semseg[p] = int32(synth.NYU40Of13[c])
		}
	}
	return s, nil
}

func (d classes40) Info() data.Info {
	i := d.Dataset.Info()
	i.Classes = 40
	return i
}

// parseSize parses flag's value "HxW" (e.g. 288x384).
func parseSize(flag, s string) (h, w int, err error) {
	hs, ws, ok := strings.Cut(strings.ToLower(s), "x")
	if ok {
		h, err = strconv.Atoi(hs)
		if err == nil {
			w, err = strconv.Atoi(ws)
		}
	}
	if !ok || err != nil || h < 8 || w < 8 || h > 8192 || w > 8192 {
		return 0, 0, UsageErrorf("%s %q: expected HxW with H and W in 8..8192, e.g. 288x384", flag, s)
	}
	return h, w, nil
}
