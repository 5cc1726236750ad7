// The attention kernels compiled for the emulator.
#include "../attention.cu"
