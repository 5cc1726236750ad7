// Package emu is the CUDA emulator: cuda_emu.h compiles the kernels/*.cu
// sources as C++ for the CPU (blocks one after another, a block's threads as
// fibers with barriers for __syncthreads and warp operations, per-block
// shared memory, atomics), and Driver implements engine/cuda's Driver on it,
// so that the whole CUDA backend runs its conformance suite without a GPU.
//
// Every kernels/NAME.cu has a kernels/emu/k_NAME.cpp that includes it. The
// package needs cgo and a C++20 compiler (g++ 10 or later); it is used by
// tests only, never by the shipped binaries.
//
// Go's build cache does not see the kernels/*.cu files that k_*.cpp include:
// `make test` puts a hash of them into CGO_CXXFLAGS so that an edited kernel
// rebuilds the emulator; a plain `go test` after editing a .cu file needs
// -a (or the same CGO_CXXFLAGS) to pick the change up.
package emu
