//go:build !cuda

package cli

// cudaBuild reports whether this binary was built with the cuda tag. This is
// the CPU build: it hands --device cuda to allnet-cli-cuda (see handoff.go).
const cudaBuild = false
