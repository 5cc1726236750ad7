package kernels

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	kernelDecl = regexp.MustCompile(`extern\s+"C"\s+__global__\s+(?:__launch_bounds__\([^)]*\)\s+)?void\s+(?:__launch_bounds__\([^)]*\)\s+)?(\w+)\s*\(`)
	emuReg     = regexp.MustCompile(`EMU_REGISTER(?:_NOSYNC)?\((\w+)\)`)
	ptxEntry   = regexp.MustCompile(`\.entry\s+(\w+)\(`)
)

// TestSourcesMatchPTXAndEmulator checks the bookkeeping that keeps the
// three views of the kernels in step: every kernels/NAME.cu has committed PTX
// (kernels/ptx/NAME.ptx, embedded) declaring each of its kernels, and a
// kernels/emu/k_NAME.cpp that compiles it for the emulator, where each
// kernel is registered unless it is a tensor-core kernel (the name contains
// "tf32": those cannot be emulated and are checked on the GPU).
func TestSourcesMatchPTXAndEmulator(t *testing.T) {
	sources, err := filepath.Glob("*.cu")
	require.NoError(t, err)
	require.NotEmpty(t, sources)
	modules := map[string][]byte{}
	for _, m := range Modules() {
		modules[m.Name] = m.PTX
	}
	for _, src := range sources {
		name := strings.TrimSuffix(src, ".cu")
		text, err := os.ReadFile(src)
		require.NoError(t, err)
		ptx, ok := modules[name]
		require.True(t, ok, "%s has no kernels/ptx/%s.ptx: run make kernels", src, name)
		entries := map[string]bool{}
		for _, m := range ptxEntry.FindAllSubmatch(ptx, -1) {
			entries[string(m[1])] = true
		}
		registered := map[string]bool{}
		for _, m := range emuReg.FindAllSubmatch(text, -1) {
			registered[string(m[1])] = true
		}
		_, err = os.Stat(filepath.Join("emu", "k_"+name+".cpp"))
		require.NoError(t, err, "%s needs kernels/emu/k_%s.cpp including it", src, name)
		decls := kernelDecl.FindAllSubmatch(text, -1)
		require.NotEmpty(t, decls, "%s declares no extern \"C\" __global__ kernel", src)
		for _, m := range decls {
			k := string(m[1])
			require.True(t, entries[k], "kernel %s of %s is missing from kernels/ptx/%s.ptx: the PTX is stale, run make kernels", k, src, name)
			if !strings.Contains(k, "tf32") {
				require.True(t, registered[k], "kernel %s of %s is not registered with EMU_REGISTER", k, src)
			}
		}
	}
}
