package cli

import (
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"allnet/engine/backend"
)

func init() { addCommand(infoCommand) }

func infoCommand() *ucli.Command {
	return &ucli.Command{
		Name:  "info",
		Usage: "show the version, build, CPU features, and the backends and devices this tool can use",
		Description: "Prints the version, Go version, OS/architecture, build tags, the CPU's SIMD features, " +
			"GOMAXPROCS, and each registered backend with its devices. The CPU build also runs " +
			"`allnet-cli-cuda info --json` and lists what the CUDA build reports, or why it is unavailable. " +
			"With --device, the device is opened as a check. With --model PRESET [--dataset D] [--size HxW] it " +
			"prints the parameters per part of an ALLNet preset instead; with --checkpoint FILE, the metadata " +
			"and tensor count of a safetensors checkpoint.",
		Flags:  append([]ucli.Flag{JSONFlag(), DeviceFlag()}, infoModelFlags()...),
		Action: runInfo,
	}
}

// infoReport is the JSON shape of `info --json`.
type infoReport struct {
	Program       string            `json:"program"`
	Version       string            `json:"version"`
	Go            string            `json:"go"`
	OS            string            `json:"os"`
	Arch          string            `json:"arch"`
	CUDABuild     bool              `json:"cuda_build"`
	BuildTags     []string          `json:"build_tags"`
	BuildSettings map[string]string `json:"build_settings,omitempty"`
	NumCPU        int               `json:"num_cpu"`
	GOMAXPROCS    int               `json:"gomaxprocs"`
	CPUFeatures   []string          `json:"cpu_features"`
	Backends      []backendReport   `json:"backends"`
	Device        string            `json:"device,omitempty"` // the --device opened, when given
	CUDABinary    *siblingReport    `json:"cuda_binary,omitempty"`
}

// backendReport is one registered backend and its devices.
type backendReport struct {
	Name    string   `json:"name"`
	Devices []string `json:"devices"`
	Error   string   `json:"error,omitempty"`
}

func runInfo(c *ucli.Context) error {
	if err := NoArgs(c); err != nil {
		return err
	}
	if c.IsSet("model") || c.IsSet("checkpoint") {
		return runInfoModel(c)
	}
	rep := infoReport{
		Program:       programName,
		Version:       version(),
		Go:            runtime.Version(),
		OS:            runtime.GOOS,
		Arch:          runtime.GOARCH,
		CUDABuild:     cudaBuild,
		BuildTags:     buildTags(),
		BuildSettings: buildSettings(),
		NumCPU:        runtime.NumCPU(),
		GOMAXPROCS:    runtime.GOMAXPROCS(0),
		CPUFeatures:   cpuFeatures(),
		Backends:      []backendReport{},
	}
	if cudaBuild {
		rep.Program = cudaProgram
	}
	for _, b := range backend.Registered() {
		br := backendReport{Name: b.Name, Devices: []string{}}
		if b.Devices != nil {
			devs, err := b.Devices()
			if err != nil {
				br.Error = oneLine(err.Error())
			}
			if devs != nil {
				br.Devices = devs
			}
		}
		rep.Backends = append(rep.Backends, br)
	}
	if c.IsSet("device") {
		b, err := OpenDevice(c)
		if err != nil {
			return err
		}
		rep.Device = b.Device()
	}
	mode, _ := c.App.Metadata[metaHandoffMode].(string)
	if !cudaBuild && mode == "" {
		rep.CUDABinary = probeSibling()
	}
	if c.Bool("json") {
		return WriteJSON(Stdout(c), rep)
	}
	return writeInfoMarkdown(Stdout(c), &rep)
}

func writeInfoMarkdown(w io.Writer, r *infoReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s %s\n\n", r.Program, r.Version)
	writeInfoTable(&b, r)
	if r.CUDABinary != nil {
		s := r.CUDABinary
		fmt.Fprintf(&b, "\n## CUDA build (%s)\n\n", cudaProgram)
		switch {
		case !s.Available:
			fmt.Fprintf(&b, "Unavailable: %s\n", s.Error)
		default:
			fmt.Fprintf(&b, "Found at `%s`; it reports:\n\n", s.Path)
			writeInfoTable(&b, s.Info)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeInfoTable writes the build facts and the backends of one report.
func writeInfoTable(b *strings.Builder, r *infoReport) {
	tags := "none"
	if len(r.BuildTags) > 0 {
		tags = strings.Join(r.BuildTags, ", ")
	}
	kind := "CPU build: pure Go, --device cuda is handed to " + cudaProgram
	if r.CUDABuild {
		kind = "CUDA build (links libcuda)"
	}
	var settings []string
	for k, v := range r.BuildSettings {
		settings = append(settings, k+"="+v)
	}
	sort.Strings(settings)
	features := "none detected"
	if len(r.CPUFeatures) > 0 {
		features = strings.Join(r.CPUFeatures, " ")
	}
	rows := [][2]string{
		{"Version", r.Version},
		{"Go", r.Go},
		{"OS/arch", r.OS + "/" + r.Arch},
		{"Build", kind},
		{"Build tags", tags},
	}
	if len(settings) > 0 {
		rows = append(rows, [2]string{"Build settings", strings.Join(settings, " ")})
	}
	rows = append(rows,
		[2]string{"CPUs", fmt.Sprintf("%d (GOMAXPROCS %d)", r.NumCPU, r.GOMAXPROCS)},
		[2]string{"CPU SIMD", features},
	)
	if r.Device != "" {
		rows = append(rows, [2]string{"Device", r.Device})
	}
	b.WriteString("| | |\n|---|---|\n")
	for _, row := range rows {
		fmt.Fprintf(b, "| %s | %s |\n", row[0], mdCell(row[1]))
	}
	b.WriteString("\n| Backend | Devices |\n|---|---|\n")
	for _, be := range r.Backends {
		devs := strings.Join(be.Devices, "<br>")
		if be.Error != "" {
			if devs != "" {
				devs += "<br>"
			}
			devs += "unavailable: " + be.Error
		}
		if devs == "" {
			devs = "none"
		}
		fmt.Fprintf(b, "| %s | %s |\n", be.Name, mdCell(devs))
	}
}

// mdCell makes s safe inside a Markdown table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}
