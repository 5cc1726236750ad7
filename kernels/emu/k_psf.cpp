// The PSF convolution kernels compiled for the emulator.
#include "../psf.cu"
