// The index kernels compiled for the emulator.
#include "../index.cu"
