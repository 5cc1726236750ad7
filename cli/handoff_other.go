//go:build !linux

package cli

import "os"

// gateSupported: outside Linux the hand-off passes the streams straight
// through (allnet-cli-cuda is built for Linux only).
const gateSupported = false

// acceptHandoff does nothing where the start-up protocol is not used.
func acceptHandoff() {}

// deliveredByTerminal reports false: every SIGINT and SIGTERM is forwarded.
func deliveredByTerminal(os.Signal) bool { return false }
