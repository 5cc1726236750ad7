package optim

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"allnet/engine"
)

// State returns the moment tensors, named StatePrefix+slot+"."+param (e.g.
// "optim.exp_avg.backbone.patch_embed.conv1.weight"), and the counts StepKey
// and StepKey+"."+param. The tensors are copies on the parameters'
// backend (AdamW updates its moments in place), so they stay a consistent
// snapshot of this moment.
func (b *base) State() (map[string]*engine.Tensor, map[string]int) {
	tensors := map[string]*engine.Tensor{}
	counts := map[string]int{StepKey: b.steps}
	for i, p := range b.params {
		for k, slot := range b.slots {
			tensors[slotName(slot, p.Name)] = b.moments[i][k].Clone()
		}
		counts[stepName(p.Name)] = b.pSteps[i]
	}
	return tensors, counts
}

// LoadState restores state saved by State, copying each tensor onto the
// parameter's backend and dtype (any float dtype is accepted). Names that do
// not start with StatePrefix are ignored. Every expected name must be
// present with the parameter's shape, no other StatePrefix name may appear,
// and counts must be >= 0; otherwise nothing changes and the error lists
// all missing, unexpected, mis-shaped and invalid entries.
func (b *base) LoadState(tensors map[string]*engine.Tensor, counts map[string]int) error {
	var missing, unexpected, bad []string
	want := map[string]bool{StepKey: true}
	moments := make([][]*engine.Tensor, len(b.params))
	pSteps := make([]int, len(b.params))
	steps, ok := counts[StepKey]
	if !ok {
		missing = append(missing, StepKey)
	} else if steps < 0 {
		bad = append(bad, fmt.Sprintf("%s = %d (want >= 0)", StepKey, steps))
	}
	for i, p := range b.params {
		sn := stepName(p.Name)
		want[sn] = true
		if n, ok := counts[sn]; !ok {
			missing = append(missing, sn)
		} else if n < 0 {
			bad = append(bad, fmt.Sprintf("%s = %d (want >= 0)", sn, n))
		} else {
			pSteps[i] = n
		}
		moments[i] = make([]*engine.Tensor, len(b.slots))
		for k, slot := range b.slots {
			name := slotName(slot, p.Name)
			want[name] = true
			t, ok := tensors[name]
			switch {
			case !ok || t == nil:
				missing = append(missing, name)
			case !slices.Equal(t.Shape(), p.Shape()):
				bad = append(bad, fmt.Sprintf("%s: shape %v, parameter has %v", name, t.Shape(), p.Shape()))
			case !t.DType().IsFloat():
				bad = append(bad, fmt.Sprintf("%s: dtype %v, want a float dtype", name, t.DType()))
			default:
				m := engine.New(p.Backend(), p.DType(), p.Shape()...)
				m.CopyFrom(t.Cast(p.DType()))
				moments[i][k] = m
			}
		}
	}
	for name := range tensors {
		if strings.HasPrefix(name, StatePrefix) && !want[name] {
			unexpected = append(unexpected, name)
		}
	}
	for name := range counts {
		if strings.HasPrefix(name, StatePrefix) && !want[name] {
			unexpected = append(unexpected, name)
		}
	}
	if len(missing)+len(unexpected)+len(bad) > 0 {
		var parts []string
		for _, l := range []struct {
			what  string
			names []string
		}{{"missing", missing}, {"unexpected", unexpected}, {"mis-shaped or invalid", bad}} {
			if len(l.names) > 0 {
				parts = append(parts, fmt.Sprintf("%d %s: %s", len(l.names), l.what, listNames(l.names)))
			}
		}
		return fmt.Errorf("optim: %s.LoadState: state does not fit the %d parameters: %s",
			b.opName, len(b.params), strings.Join(parts, "; "))
	}
	b.steps, b.pSteps, b.moments = steps, pSteps, moments
	return nil
}

// listNames joins sorted names, eliding all but the first 20.
func listNames(names []string) string {
	const show = 20
	sort.Strings(names)
	if len(names) <= show {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:show], ", ") + fmt.Sprintf(", ... and %d more", len(names)-show)
}
