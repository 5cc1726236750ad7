// The selftest kernels compiled for the emulator.
#include "../selftest.cu"
