// The crossentropy kernels compiled for the emulator.
#include "../crossentropy.cu"
