package cli

import (
	"os"

	"golang.org/x/sys/unix"
)

// gateSupported: the start-up protocol of handoff.go is used on Linux.
const gateSupported = true

// acceptHandoff is the child's side of the start-up protocol: move the real
// stdout and stderr (fds 4 and 5) onto fds 1 and 2, then say "ok" on fd 3.
// When moving fails it says nothing, and the parent holds the output back
// until this process exits.
func acceptHandoff() {
	defer unix.Close(3)
	if unix.Dup3(4, 1, 0) != nil || unix.Dup3(5, 2, 0) != nil {
		return
	}
	unix.Close(4)
	unix.Close(5)
	_, _ = unix.Write(3, []byte("ok\n"))
}

// deliveredByTerminal reports whether sig is a SIGINT that the terminal sent
// to our whole process group, the child included (Ctrl-C while this process
// group is in the foreground), so that forwarding it would deliver it twice.
func deliveredByTerminal(sig os.Signal) bool {
	if sig != os.Interrupt {
		return false
	}
	tty, err := os.Open("/dev/tty")
	if err != nil {
		return false
	}
	defer tty.Close()
	pgrp, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}
