// The rng kernels compiled for the emulator.
#include "../rng.cu"
