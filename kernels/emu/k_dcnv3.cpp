// The DCNv3 kernels (forward and backward) compiled for the emulator. The
// .cu is included, so the build cache does not see its edits by itself.
#include "../dcnv3.cu"
