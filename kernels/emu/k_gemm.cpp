// The GEMM kernels (SIMT only; the TF32 variant needs a GPU) compiled for the emulator.
#include "../gemm.cu"
