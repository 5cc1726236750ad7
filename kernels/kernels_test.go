package kernels_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"allnet/kernels"
	"allnet/kernels/emu"
	"github.com/stretchr/testify/require"
)

var ptxEntry = regexp.MustCompile(`\.entry\s+(\w+)\(`)

// TestSourcesMatchPTXAndEmulator checks the bookkeeping that keeps the
// three views of the kernels in step: every kernels/NAME.cu has committed PTX
// (kernels/ptx/NAME.ptx, embedded) and a kernels/emu/k_NAME.cpp that compiles
// it for the emulator, and every kernel in the PTX is registered with the
// emulator unless it is a tensor-core kernel (its name contains "tf32":
// those cannot be emulated and are checked against their SIMT twins on the
// GPU). Whether the PTX is current is CI's check (make -B ptx, then git
// status).
func TestSourcesMatchPTXAndEmulator(t *testing.T) {
	sources, err := filepath.Glob("*.cu")
	require.NoError(t, err)
	require.NotEmpty(t, sources)
	modules := map[string][]byte{}
	for _, m := range kernels.Modules() {
		modules[m.Name] = m.PTX
	}
	registered := map[string]bool{}
	if emu.Available {
		for _, k := range emu.Kernels() {
			registered[k] = true
		}
	}
	for _, src := range sources {
		name := strings.TrimSuffix(src, ".cu")
		ptx, ok := modules[name]
		require.True(t, ok, "%s has no kernels/ptx/%s.ptx: run make kernels", src, name)
		_, err = os.Stat(filepath.Join("emu", "k_"+name+".cpp"))
		require.NoError(t, err, "%s needs kernels/emu/k_%s.cpp including it", src, name)
		entries := ptxEntry.FindAllSubmatch(ptx, -1)
		require.NotEmpty(t, entries, "kernels/ptx/%s.ptx declares no kernel", name)
		for _, m := range entries {
			k := string(m[1])
			if strings.Contains(k, "tf32") || !emu.Available {
				continue
			}
			require.True(t, registered[k], "kernel %s of %s is not registered with EMU_REGISTER", k, src)
		}
	}
	for name := range modules {
		_, err := os.Stat(name + ".cu")
		require.NoError(t, err, "kernels/ptx/%s.ptx has no kernels/%s.cu: remove the stale PTX", name, name)
	}
}
