// The im2col and col2im kernels compiled for the emulator.
#include "../conv.cu"
