// The resize kernels compiled for the emulator.
#include "../resize.cu"
