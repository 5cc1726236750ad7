// The reduce kernels compiled for the emulator.
#include "../reduce.cu"
