package cli

import (
	"runtime"
	"runtime/debug"
	"slices"
	"strings"

	"golang.org/x/sys/cpu"
)

// Version is the release this binary was built from, set at link time:
// go build -ldflags "-X allnet/cli.Version=v0.1.0" (the Makefile sets it from
// git describe). When empty, version falls back to the build's VCS stamp.
var Version string

// version returns Version, else the module version or VCS revision recorded
// by the Go toolchain, else "dev".
func version() string {
	if Version != "" {
		return Version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	if rev := buildSetting(bi, "vcs.revision"); rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v := "dev-" + rev
		if buildSetting(bi, "vcs.modified") == "true" {
			v += "-dirty"
		}
		return v
	}
	return "dev"
}

func buildSetting(bi *debug.BuildInfo, key string) string {
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

// buildTags lists the build tags in effect: those recorded by the toolchain
// (-tags), with "cuda" added when this is the CUDA build.
func buildTags() []string {
	tags := []string{}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, t := range strings.Split(buildSetting(bi, "-tags"), ",") {
			if t = strings.TrimSpace(t); t != "" {
				tags = append(tags, t)
			}
		}
	}
	if cudaBuild && !slices.Contains(tags, "cuda") {
		tags = append(tags, "cuda")
	}
	slices.Sort(tags)
	return slices.Compact(tags)
}

// buildSettings returns the toolchain settings worth reporting (cgo,
// GOEXPERIMENT, GOAMD64/GOARM64 level), those that were recorded.
func buildSettings() map[string]string {
	out := map[string]string{}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return out
	}
	for _, k := range []string{"CGO_ENABLED", "GOEXPERIMENT", "GOAMD64", "GOARM64"} {
		if v := buildSetting(bi, k); v != "" {
			out[k] = v
		}
	}
	return out
}

// cpuFeatures lists the SIMD features of this CPU that matter to the engine's
// kernels, by their usual names.
func cpuFeatures() []string {
	type feature struct {
		name string
		has  bool
	}
	var fs []feature
	switch runtime.GOARCH {
	case "amd64", "386":
		x := &cpu.X86
		fs = []feature{
			{"SSE2", x.HasSSE2}, {"SSE3", x.HasSSE3}, {"SSSE3", x.HasSSSE3},
			{"SSE4.1", x.HasSSE41}, {"SSE4.2", x.HasSSE42}, {"AVX", x.HasAVX},
			{"AVX2", x.HasAVX2}, {"FMA", x.HasFMA}, {"F16C", x.HasF16C},
			{"AVX512F", x.HasAVX512F}, {"AVX512DQ", x.HasAVX512DQ},
			{"AVX512BW", x.HasAVX512BW}, {"AVX512VL", x.HasAVX512VL},
			{"AVX512VNNI", x.HasAVX512VNNI}, {"AVX512BF16", x.HasAVX512BF16},
			{"AVXVNNI", x.HasAVXVNNI}, {"AMX-BF16", x.HasAMXBF16},
		}
	case "arm64":
		a := &cpu.ARM64
		fs = []feature{
			{"NEON", a.HasASIMD}, {"FP16", a.HasASIMDHP}, {"DOTPROD", a.HasASIMDDP},
			{"FHM", a.HasASIMDFHM}, {"I8MM", a.HasI8MM}, {"SVE", a.HasSVE}, {"SVE2", a.HasSVE2},
		}
	}
	names := []string{}
	for _, f := range fs {
		if f.has {
			names = append(names, f.name)
		}
	}
	return names
}
