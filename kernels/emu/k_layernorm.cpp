// The layernorm kernels compiled for the emulator (row kernels, warp
// kernels with the row in registers, parameter-gradient reduction).
#include "../layernorm.cu"
