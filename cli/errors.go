package cli

import (
	"errors"
	"fmt"
	"strings"

	ucli "github.com/urfave/cli/v2"
)

// Exit codes shared by every command (CONVENTIONS.md).
const (
	CodeOK          = 0
	CodeError       = 1
	CodeUsage       = 2
	CodeInterrupted = 130 // SIGINT; SIGTERM gives 143
)

// ExitError is an error that carries the process exit code. Commands return
// it (usually through Errorf or UsageErrorf); Run prints its message as one
// line on stderr and exits with Code.
type ExitError struct {
	Code int   // the process exit status
	Err  error // what went wrong
}

// Error returns the wrapped error's message.
func (e *ExitError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error.
func (e *ExitError) Unwrap() error { return e.Err }

// WithCode wraps err so that the process exits with code; a nil err stays nil.
func WithCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &ExitError{Code: code, Err: err}
}

// Errorf returns an error that exits with status 1. The message should name
// what was wrong (the file, flag or value), what was expected and what was
// found, on one line.
func Errorf(format string, args ...any) error {
	return &ExitError{Code: CodeError, Err: fmt.Errorf(format, args...)}
}

// UsageErrorf returns an error that exits with status 2: the command line
// itself is wrong (a missing or extra argument, a bad flag combination).
func UsageErrorf(format string, args ...any) error {
	return &ExitError{Code: CodeUsage, Err: fmt.Errorf(format, args...)}
}

// ExitCode returns the exit status that err asks for: 0 for nil, the code of
// an error made by Errorf, UsageErrorf or WithCode (or urfave's cli.Exit),
// and 1 for any other error.
func ExitCode(err error) int {
	if err == nil {
		return CodeOK
	}
	var e *ExitError
	if errors.As(err, &e) {
		return e.Code
	}
	var ec ucli.ExitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	if strings.HasPrefix(err.Error(), "Required flag") {
		return CodeUsage
	}
	return CodeError
}

// oneLine joins a multi-line message into one line, so that every error the
// CLI prints is a single line on stderr.
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	var parts []string
	for _, l := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return strings.Join(parts, "; ")
}
