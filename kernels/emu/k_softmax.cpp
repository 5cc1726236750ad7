// The softmax kernels compiled for the emulator.
#include "../softmax.cu"
