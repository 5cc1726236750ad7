//go:build !cgo

package emu

// Available reports whether this build has the emulator (it needs cgo).
const Available = false
