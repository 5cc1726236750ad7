package loader

import (
	"errors"
	"io"
	"math"
	"runtime"
	"sort"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"allnet/data"
	"allnet/data/degrade"
	"allnet/data/transform"
)

func trainOpts(workers, prefetch int) Options {
	return Options{Batch: 3, Workers: workers, Prefetch: prefetch, Seed: 42, Train: true, Crop: [2]int{32, 48}}
}

// take returns the next n batches.
func take(t *testing.T, l *Loader, n int) []*Batch {
	t.Helper()
	var out []*Batch
	for range n {
		b, err := l.Next()
		require.NoError(t, err)
		out = append(out, b)
	}
	return out
}

func bitsEqual(t *testing.T, a, b []float32, what string) {
	t.Helper()
	require.Equal(t, a == nil, b == nil, what)
	require.Equal(t, len(a), len(b), what)
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			t.Fatalf("%s differs at %d: %g vs %g", what, i, a[i], b[i])
		}
	}
}

func requireSameBatch(t *testing.T, a, b *Batch) {
	t.Helper()
	bitsEqual(t, a.Images, b.Images, "images")
	bitsEqual(t, a.Clean, b.Clean, "clean")
	bitsEqual(t, a.Depth, b.Depth, "depth")
	bitsEqual(t, a.Normals, b.Normals, "normals")
	bitsEqual(t, a.Edge, b.Edge, "edge")
	bitsEqual(t, a.Sal, b.Sal, "sal")
	require.Equal(t, a, b) // everything else
}

func TestDeterministicAcrossWorkers(t *testing.T) {
	for _, train := range []bool{true, false} {
		run := func(workers, prefetch int) []*Batch {
			ds := newFake(10, 40, 56)
			o := trainOpts(workers, prefetch)
			o.Train = train
			l, err := New(ds, o)
			require.NoError(t, err)
			defer l.Close()
			if train {
				return take(t, l, 9) // two epochs and a bit
			}
			return take(t, l, 4)
		}
		a, b := run(1, 1), run(4, 8)
		for i := range a {
			requireSameBatch(t, a[i], b[i])
		}
		if train {
			require.NotEqual(t, a[0].Indices, a[4].Indices, "epochs 0 and 1 in the same order")
		}
	}
	// Another seed changes the order and the pixels.
	ds := newFake(10, 40, 56)
	o := trainOpts(2, 2)
	o.Seed = 43
	l, err := New(ds, o)
	require.NoError(t, err)
	defer l.Close()
	b43 := take(t, l, 1)[0]
	l42, err := New(ds, trainOpts(2, 2))
	require.NoError(t, err)
	defer l42.Close()
	require.NotEqual(t, take(t, l42, 1)[0].Clean, b43.Clean)
}

func TestEverySampleOncePerEpoch(t *testing.T) {
	for _, drop := range []bool{false, true} {
		ds := newFake(10, 40, 56)
		o := trainOpts(3, 4)
		o.DropLast = drop
		l, err := New(ds, o)
		require.NoError(t, err)
		per := 4
		if drop {
			per = 3
		}
		require.Equal(t, per, l.BatchesPerEpoch())
		var orders [][]int
		for epoch := range 3 {
			var seen []int
			for k := range per {
				b, err := l.Next()
				require.NoError(t, err)
				require.Equal(t, epoch, b.Epoch)
				require.Equal(t, epoch, l.Epoch())
				require.Equal(t, epoch*per+k, b.Step)
				require.Equal(t, len(b.Indices), b.B)
				for i, idx := range b.Indices {
					require.Equal(t, ds.Name(idx), b.Names[i])
				}
				seen = append(seen, b.Indices...)
			}
			orders = append(orders, append([]int(nil), seen...))
			sort.Ints(seen)
			if drop {
				require.Len(t, seen, 9)
				for i := 1; i < len(seen); i++ {
					require.NotEqual(t, seen[i-1], seen[i], "index twice in epoch %d", epoch)
				}
			} else {
				require.Equal(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, seen, "epoch %d", epoch)
			}
		}
		require.NotEqual(t, orders[0], orders[1])
		require.NoError(t, l.Close())
	}
}

func TestEvaluationSplit(t *testing.T) {
	ds := newFake(5, 40, 56)
	orig := make([]*data.Sample, ds.Len())
	for i, s := range ds.samples {
		orig[i] = s.Clone()
	}
	o := Options{Batch: 2, Workers: 2, Seed: 7}
	l, err := New(ds, o)
	require.NoError(t, err)
	defer l.Close()
	require.Equal(t, 3, l.BatchesPerEpoch())
	next := 0
	for {
		b, err := l.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		require.Equal(t, [2]int{40, 56}, [2]int{b.H, b.W})
		hw := b.H * b.W
		for i, idx := range b.Indices {
			require.Equal(t, next, idx, "evaluation order")
			next++
			s := ds.samples[idx]
			spec, err := degrade.ValSpec(7, s.Name, degrade.AllTypes, degrade.DefaultOptions())
			require.NoError(t, err)
			require.Equal(t, spec, b.Specs[i])
			require.Equal(t, string(spec.Type), b.Types[i])
			want, err := degrade.ApplySpec(s.Image, s.Depth, spec)
			require.NoError(t, err)
			transform.Normalize(want, transform.ImageNetMean, transform.ImageNetStd)
			bitsEqual(t, want.Pix, b.Images[i*3*hw:(i+1)*3*hw], "degraded input of "+s.Name)
			bitsEqual(t, s.Image.Pix, b.Clean[i*3*hw:(i+1)*3*hw], "clean of "+s.Name)
			require.Equal(t, s.Semseg, b.Semseg[i*hw:(i+1)*hw])
			require.Equal(t, s.Parts, b.Parts[i*hw:(i+1)*hw])
			bitsEqual(t, s.Depth, b.Depth[i*hw:(i+1)*hw], "depth")
			bitsEqual(t, s.Normals, b.Normals[i*3*hw:(i+1)*3*hw], "normals")
			bitsEqual(t, s.Edge, b.Edge[i*hw:(i+1)*hw], "edge")
			bitsEqual(t, s.Sal, b.Sal[i*hw:(i+1)*hw], "sal")
		}
	}
	require.Equal(t, 5, next)
	_, err = l.Next()
	require.ErrorIs(t, err, io.EOF)
	require.Equal(t, orig, ds.samples, "loader wrote into the dataset's samples")
}

func TestTrainingBatches(t *testing.T) {
	ds := newFake(10, 40, 56)
	orig := make([]*data.Sample, ds.Len())
	for i, s := range ds.samples {
		orig[i] = s.Clone()
	}
	l, err := New(ds, trainOpts(2, 2))
	require.NoError(t, err)
	defer l.Close()
	types := map[string]int{}
	for _, b := range take(t, l, 12) {
		require.Equal(t, [2]int{32, 48}, [2]int{b.H, b.W})
		hw := b.H * b.W
		require.Len(t, b.Images, b.B*3*hw)
		for i := range b.B {
			types[b.Types[i]]++
			clean := data.Image{C: 3, H: b.H, W: b.W, Pix: append([]float32(nil), b.Clean[i*3*hw:(i+1)*3*hw]...)}
			for _, v := range clean.Pix {
				require.True(t, v >= 0 && v <= 1)
			}
			// The spec reproduces the input from the clean target and depth.
			want, err := degrade.ApplySpec(clean, b.Depth[i*hw:(i+1)*hw], b.Specs[i])
			require.NoError(t, err)
			transform.Normalize(want, transform.ImageNetMean, transform.ImageNetStd)
			bitsEqual(t, want.Pix, b.Images[i*3*hw:(i+1)*3*hw], "degraded input")
			for _, v := range b.Semseg[i*hw : (i+1)*hw] {
				require.True(t, (v >= 0 && v < 5) || v == data.Ignore, "label %d", v)
			}
		}
	}
	require.GreaterOrEqual(t, len(types), 3, "types %v: each batch should mix", types)
	require.Equal(t, orig, ds.samples, "loader wrote into the dataset's samples")
}

// TestDeferBlur checks Options.DeferBlur: the same batches as without it,
// except that blurred images keep their clean pixels and are marked
// Deferred (their Specs unchanged); evaluation ignores it.
func TestDeferBlur(t *testing.T) {
	ds := newFake(10, 40, 56)
	o := trainOpts(2, 2)
	plain, err := New(ds, o)
	require.NoError(t, err)
	defer plain.Close()
	o.DeferBlur = true
	deferred, err := New(ds, o)
	require.NoError(t, err)
	defer deferred.Close()
	blurred := 0
	for k := range 12 {
		a, b := take(t, plain, 1)[0], take(t, deferred, 1)[0]
		require.Equal(t, a.Specs, b.Specs, "batch %d", k)
		hw := b.H * b.W
		for i := range b.B {
			img := b.Images[i*3*hw : (i+1)*3*hw]
			if a.Types[i] != string(degrade.Blur) {
				require.True(t, b.Deferred == nil || !b.Deferred[i])
				bitsEqual(t, a.Images[i*3*hw:(i+1)*3*hw], img, "not blurred")
				continue
			}
			blurred++
			require.True(t, b.Deferred[i], "batch %d image %d: blur is deferred", k, i)
			clean := data.Image{C: 3, H: b.H, W: b.W, Pix: append([]float32(nil), b.Clean[i*3*hw:(i+1)*3*hw]...)}
			transform.Normalize(clean, transform.ImageNetMean, transform.ImageNetStd)
			bitsEqual(t, clean.Pix, img, "deferred blur keeps the clean image")
		}
	}
	require.Positive(t, blurred, "some images drew blur")

	o = trainOpts(1, 1)
	o.Train, o.DeferBlur, o.Batch = false, true, 10
	ev, err := New(ds, o)
	require.NoError(t, err)
	defer ev.Close()
	b := take(t, ev, 1)[0]
	require.Nil(t, b.Deferred, "the validation split is degraded by the loader")
	require.Contains(t, b.Types, string(degrade.Blur))
}

func TestCleanOption(t *testing.T) {
	ds := newFake(4, 40, 56)
	for _, train := range []bool{true, false} {
		o := trainOpts(2, 2)
		o.Train, o.Clean, o.Batch = train, true, 2
		l, err := New(ds, o)
		require.NoError(t, err)
		b := take(t, l, 1)[0]
		require.Equal(t, []string{"clean", "clean"}, b.Types)
		hw := b.H * b.W
		for i := range b.B {
			img := data.Image{C: 3, H: b.H, W: b.W, Pix: append([]float32(nil), b.Clean[i*3*hw:(i+1)*3*hw]...)}
			transform.Normalize(img, transform.ImageNetMean, transform.ImageNetStd)
			bitsEqual(t, img.Pix, b.Images[i*3*hw:(i+1)*3*hw], "clean input")
		}
		require.NoError(t, l.Close())
	}
}

func TestPrefetchBounded(t *testing.T) {
	for _, c := range []struct{ workers, prefetch int }{{4, 2}, {1, 3}, {3, 1}} {
		ds := newFake(20, 16, 16)
		loaded := make(chan int, 100)
		ds.hook = func(i int) error { loaded <- i; return nil }
		o := Options{Batch: 2, Workers: c.workers, Prefetch: c.prefetch, Seed: 1, Train: true, Clean: true}
		l, err := New(ds, o)
		require.NoError(t, err)
		wait := func(n int) {
			for range n {
				select {
				case <-loaded:
				case <-time.After(5 * time.Second):
					t.Fatalf("workers %d prefetch %d: loads stalled", c.workers, c.prefetch)
				}
			}
			select {
			case i := <-loaded:
				t.Fatalf("workers %d prefetch %d: load of %d beyond %d in flight", c.workers, c.prefetch, i, n)
			case <-time.After(100 * time.Millisecond):
			}
		}
		wait(c.prefetch * o.Batch) // Prefetch batches built ahead, no more
		_, err = l.Next()
		require.NoError(t, err)
		wait(o.Batch) // one more batch once one is consumed
		require.EqualValues(t, (c.prefetch+1)*o.Batch, ds.loads.Load())
		require.NoError(t, l.Close())
	}
}

func TestErrorNamesSample(t *testing.T) {
	ds := newFake(10, 16, 16)
	ds.hook = func(i int) error {
		if i == 7 {
			return errors.New("file images/s07.png: truncated")
		}
		return nil
	}
	l, err := New(ds, Options{Batch: 1, Workers: 3, Seed: 1})
	require.NoError(t, err)
	defer l.Close()
	for i := range 7 {
		b, err := l.Next()
		require.NoError(t, err)
		require.Equal(t, []int{i}, b.Indices)
	}
	_, err = l.Next()
	require.ErrorContains(t, err, `sample "s07" (index 7)`)
	require.ErrorContains(t, err, "truncated")
	_, err2 := l.Next()
	require.Equal(t, err, err2)

	// A malformed sample is named too.
	ds = newFake(3, 16, 16)
	bad := ds.samples[1].Clone()
	bad.Depth = bad.Depth[:10]
	ds.samples[1] = bad
	l2, err := New(ds, Options{Batch: 1, Workers: 1})
	require.NoError(t, err)
	defer l2.Close()
	take(t, l2, 1)
	_, err = l2.Next()
	require.ErrorContains(t, err, `sample "s01": depth has 10 values`)
}

func TestCollateMismatch(t *testing.T) {
	ds := newFake(4, 16, 16)
	ds.samples[1] = fakeSample("s01", 1, 16, 20)
	ds.samples[3] = ds.samples[3].Clone()
	ds.samples[3].Sal = nil
	l, err := New(ds, Options{Batch: 2, Workers: 1})
	require.NoError(t, err)
	defer l.Close()
	_, err = l.Next()
	require.ErrorContains(t, err, `sample "s01" is 16x20 but "s00" in the same batch is 16x16`)
	l2, err := New(ds, Options{Batch: 2, Workers: 1, Train: true, Clean: true})
	require.NoError(t, err)
	defer l2.Close()
	for {
		_, err = l2.Next()
		if err != nil {
			break
		}
	}
	require.ErrorContains(t, err, `"s03"`)
	require.ErrorContains(t, err, `[semseg,depth,normals,edge,parts]`)
}

func TestOptionErrors(t *testing.T) {
	ds := newFake(3, 16, 16)
	for _, c := range []struct {
		o    Options
		want string
	}{
		{Options{Batch: 0}, "batch 0"},
		{Options{Batch: 1, Workers: -1}, "must not be negative"},
		{Options{Batch: 4, DropLast: true, Train: true}, "leave no batch"},
		{Options{Batch: 1, Degrade: degrade.Options{Types: []degrade.Type{"snow"}}}, `"snow"`},
		{Options{Batch: 1, Train: true, Augment: transform.Options{ScaleMin: 2, ScaleMax: 1}}, "augment scale"},
	} {
		_, err := New(ds, c.o)
		require.ErrorContains(t, err, c.want, "%+v", c.o)
	}
	ds.info.Size = [2]int{}
	_, err := New(ds, Options{Batch: 2})
	require.ErrorContains(t, err, "use batch 1")
	_, err = New(ds, Options{Batch: 2, Train: true})
	require.ErrorContains(t, err, "set Crop")
}

func TestCloseStopsWorkers(t *testing.T) {
	before := runtime.NumGoroutine()
	ds := newFake(12, 24, 24)
	var active atomic.Int32
	ds.hook = func(int) error {
		active.Add(1)
		time.Sleep(2 * time.Millisecond)
		active.Add(-1)
		return nil
	}
	for _, n := range []int{0, 2} {
		l, err := New(ds, trainOpts(4, 3))
		require.NoError(t, err)
		take(t, l, n)
		require.NoError(t, l.Close())
		require.Zero(t, active.Load(), "Close returned while a Load was running")
		require.NoError(t, l.Close())
		_, err = l.Next()
		require.ErrorIs(t, err, ErrClosed)
	}
	// An evaluation loader read to the end exits on its own; Close still works.
	l, err := New(ds, Options{Batch: 5, Workers: 2})
	require.NoError(t, err)
	take(t, l, 3)
	_, err = l.Next()
	require.ErrorIs(t, err, io.EOF)
	require.NoError(t, l.Close())
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), before, "goroutines leaked")
}
