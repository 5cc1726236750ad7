// common.cuh: included first by every kernels/*.cu file.
//
// Under nvcc it only adds the project's conventions; compiled as C++ by
// g++ (kernels/emu) it pulls in the emulation header, which defines the
// CUDA built-ins (threadIdx, __syncthreads, warp shuffles, atomics, ...) so
// that the same source runs on the CPU.
//
// Conventions for kernels in this directory:
//   - kernels are `extern "C" __global__` (stable names for the driver) and
//     every argument is 64 bits wide: pointers, `i64` or `double` (the cu
//     driver copies 8 bytes per argument);
//   - device helpers are `static __device__` (file-local, no clashes when the
//     emulator links all kernel files together);
//   - dynamic shared memory is declared with DYN_SHARED(type, name);
//   - after each kernel, EMU_REGISTER(name) (kernels that use __syncthreads,
//     shuffles or shared memory) or EMU_REGISTER_NOSYNC(name) (kernels whose
//     threads never wait for each other: the emulator then runs the block's
//     threads as a plain loop) makes it launchable under kernels/emu;
//   - tensor-core code (inline PTX mma) sits inside `#if ALLNET_HAS_MMA` and
//     is never registered with the emulator; a SIMT variant is.
#pragma once

typedef long long i64;

#ifdef __CUDACC__
#define DYN_SHARED(T, name) extern __shared__ T name[]
#define EMU_REGISTER(k)
#define EMU_REGISTER_NOSYNC(k)
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
#define ALLNET_HAS_MMA 1
#else
#define ALLNET_HAS_MMA 0
#endif
#else
#include "emu/cuda_emu.h"
#define ALLNET_HAS_MMA 0
#endif

// Grid-stride loop over [0, n).
#define GRID_LOOP(i, n) \
	for (i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (i64)blockDim.x * gridDim.x)
