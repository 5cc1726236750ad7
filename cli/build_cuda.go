//go:build cuda

package cli

// cudaBuild reports whether this binary was built with the cuda tag (it is
// allnet-cli-cuda, which links libcuda and runs --device cuda itself).
const cudaBuild = true
