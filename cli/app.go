// Package cli holds the commands of allnet-cli (urfave/cli/v2) and the rules
// every command follows (CONVENTIONS.md):
//
//   - stdout carries the result only: Markdown by default, one JSON document
//     with --json; logs and progress go to stderr (Logf).
//   - Exit status 0 on success; 1 on an error, printed as one line on stderr
//     naming what was wrong (Errorf); 2 on a usage error such as an unknown
//     command or flag (UsageErrorf); 130/143 when interrupted. A panic is
//     turned into a one-line error with status 1 (the stack trace is printed
//     only when ALLNET_DEBUG=1).
//   - The CPU build hands any command run with --device cuda[:N] to the
//     allnet-cli-cuda binary (handoff.go).
//
// Each command lives in its own file and registers itself from init() with
// addCommand; shared flags are in flags.go.
package cli

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"

	ucli "github.com/urfave/cli/v2"

	// The CPU backend registers itself as "cpu".
	_ "allnet/engine/cpu"
)

// programName is the name of the CPU binary; the CUDA build is programName-cuda.
const programName = "allnet-cli"

// debugEnv set to 1 makes the CLI print stack traces for panics.
const debugEnv = "ALLNET_DEBUG"

var commandMakers []func() *ucli.Command

// addCommand registers a command; call it from init() in the command's file.
// The maker is called once per run, so flags are never shared between runs.
func addCommand(mk func() *ucli.Command) { commandMakers = append(commandMakers, mk) }

// Main runs the command line args (os.Args) on the process's standard
// streams and returns the exit status. It also takes part in the hand-off
// from the CPU binary when this process was started by one.
func Main(args []string) int {
	mode := os.Getenv(handoffEnv)
	os.Unsetenv(handoffEnv)
	if mode == handoffFDs {
		acceptHandoff()
	}
	return run(args, os.Stdin, os.Stdout, os.Stderr, mode)
}

// Run runs the command line args (args[0] is the program name) with the
// given streams and returns the exit status. It never calls os.Exit.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return run(args, stdin, stdout, stderr, "")
}

// run is Run for a process whose hand-off mode (the value of ALLNET_HANDOFF
// it was started with) is mode.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer, mode string) (code int) {
	prog := programName
	if len(args) > 0 {
		prog = strings.TrimSuffix(filepath.Base(args[0]), ".exe")
	} else {
		args = []string{prog}
	}
	defer func() {
		if r := recover(); r != nil {
			if os.Getenv(debugEnv) == "1" {
				fmt.Fprintf(stderr, "%s: internal error: %v\n%s", prog, r, debug.Stack())
			} else {
				fmt.Fprintf(stderr, "%s: internal error: %s (set %s=1 for the stack trace)\n", prog, oneLine(fmt.Sprint(r)), debugEnv)
			}
			code = CodeError
		}
	}()

	if dev, ok := deviceArg(args[1:]); ok && isCUDADevice(dev) && !cudaBuild {
		if mode != "" {
			fmt.Fprintf(stderr, "%s: --device %s: this binary was started as allnet-cli-cuda but is a CPU build (no cuda tag); rebuild it with `make build-cuda`\n", prog, dev)
			return CodeError
		}
		return handOff(prog, dev, args, stdin, stdout, stderr)
	}

	app := newApp(stdin, stdout, stderr)
	app.Metadata = map[string]any{metaHandoffMode: mode}
	err := app.Run(args)
	if err != nil {
		msg := oneLine(err.Error())
		if os.Getenv(debugEnv) == "1" {
			msg = err.Error()
		}
		fmt.Fprintf(stderr, "%s: %s\n", prog, msg)
	}
	return ExitCode(err)
}

func init() {
	// urfave's command help ends without a newline; end every help text with one.
	orig := ucli.HelpPrinter
	ucli.HelpPrinter = func(w io.Writer, templ string, data any) {
		var b bytes.Buffer
		orig(&b, templ, data)
		if b.Len() > 0 && !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
			b.WriteByte('\n')
		}
		_, _ = w.Write(b.Bytes())
	}
}

// metaHandoffMode is the App.Metadata key holding the process's hand-off mode.
const metaHandoffMode = "handoff-mode"

func newApp(stdin io.Reader, stdout, stderr io.Writer) *ucli.App {
	app := &ucli.App{
		Name:    programName,
		Version: version(),
		Usage:   "train, evaluate and run ALLNet (multi-task dense prediction for degraded images) on a Go deep-learning engine",
		Description: "allnet-cli runs the allnet engine: a deep-learning engine in Go with hand-written CUDA kernels " +
			"and a pure-Go CPU backend, and on it ALLNet, which predicts segmentation, depth, surface normals, " +
			"edges and more from noisy, hazy, rainy or blurred images while restoring the clean image.\n\n" +
			"Results go to stdout as Markdown, or as JSON with --json; logs go to stderr. Exit status: " +
			"0 success, 1 error, 2 usage error, 130/143 interrupted. This binary runs on the CPU; " +
			"--device cuda hands the command to allnet-cli-cuda (built by `make kernels`).",
		Reader:          stdin,
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
		OnUsageError:    usageError,
		ExitErrHandler:  func(*ucli.Context, error) {}, // run maps errors to exit codes; nothing calls os.Exit
		Action: func(c *ucli.Context) error {
			if c.NArg() > 0 {
				return UsageErrorf("unknown command %q (commands: %s; see '%s --help')", c.Args().First(), strings.Join(commandNames(c.App), ", "), programName)
			}
			ucli.HelpPrinter(c.App.ErrWriter, ucli.AppHelpTemplate, c.App)
			return UsageErrorf("no command given (see the list above)")
		},
	}
	for _, mk := range commandMakers {
		cmd := mk()
		if cmd.OnUsageError == nil {
			cmd.OnUsageError = usageError
		}
		app.Commands = append(app.Commands, cmd)
	}
	sort.Slice(app.Commands, func(i, j int) bool { return app.Commands[i].Name < app.Commands[j].Name })
	return app
}

// usageError turns urfave's flag-parsing errors into exit status 2.
func usageError(c *ucli.Context, err error, isSubcommand bool) error {
	if isSubcommand && c.Command != nil && c.Command.Name != "" {
		return UsageErrorf("%s: %v (see '%s %s --help')", c.Command.Name, err, programName, c.Command.Name)
	}
	return UsageErrorf("%v (see '%s --help')", err, programName)
}

func commandNames(app *ucli.App) []string {
	var names []string
	for _, c := range app.Commands {
		if !c.Hidden {
			names = append(names, c.Name)
		}
	}
	return names
}
