// The elementwise kernels compiled for the emulator.
#include "../elementwise.cu"
