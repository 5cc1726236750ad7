// The pool kernels compiled for the emulator.
#include "../pool.cu"
