// emu_api.h: the C interface of the CUDA emulator, called from Go (driver.go).
#pragma once
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

// emu_launch runs kernel name over grid (gx, gy, gz) x block (bx, by, bz)
// with shmem bytes of dynamic shared memory; args holds one 64-bit value per
// kernel argument. It returns 0, or -1 with a message in err (errlen bytes).
int emu_launch(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
	unsigned bz, size_t shmem, unsigned long long* args, int nargs, char* err, size_t errlen);

// emu_kernel_count and emu_kernel_name list the registered kernels.
int emu_kernel_count(void);
const char* emu_kernel_name(int i);

#ifdef __cplusplus
}
#endif
