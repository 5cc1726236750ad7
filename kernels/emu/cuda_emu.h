// cuda_emu.h: compiles the kernels/*.cu sources as C++20 for the CPU.
//
// The emulator runs a launch's blocks one after another on the calling OS
// thread. Within a block, each CUDA thread is a fiber with its own stack
// (started with makecontext, switched with _setjmp/_longjmp);
// __syncthreads and the warp-level operations (shuffles, ballots,
// __syncwarp) switch fibers until every live thread of the block (or warp)
// has arrived, so the usual cooperative patterns work unchanged. A thread that
// returns early leaves the block: barriers wait only for live threads.
//
// __shared__ variables become `static thread_local`: they are shared by the
// fibers of a block (one OS thread) and reused by the next block, exactly as
// uninitialised shared memory may be. Dynamic shared memory is declared with
// DYN_SHARED (common.cuh) and sized by the launch.
//
// Kernels registered with EMU_REGISTER_NOSYNC never wait for each other, so
// their threads run as a plain loop (much faster); calling __syncthreads or a
// warp operation from such a kernel aborts with a message naming it.
//
// Atomics are plain read-modify-write: a launch runs on one OS thread.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

struct dim3 {
	unsigned int x, y, z;
	constexpr dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1) : x(x_), y(y_), z(z_) {}
};
typedef dim3 uint3;

struct alignas(8) float2 { float x, y; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(8) int2 { int x, y; };
struct alignas(16) int4 { int x, y, z, w; };
inline float2 make_float2(float x, float y) { return float2{x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }
inline int2 make_int2(int x, int y) { return int2{x, y}; }
inline int4 make_int4(int x, int y, int z, int w) { return int4{x, y, z, w}; }

namespace emu {

// The current emulated thread's coordinates (saved and restored by the
// scheduler on every fiber switch).
extern thread_local dim3 t_thread_idx;
extern thread_local dim3 t_block_idx;
extern thread_local dim3 t_block_dim;
extern thread_local dim3 t_grid_dim;

// sync_block is __syncthreads; sync_warp is __syncwarp (every live lane of
// the calling thread's warp).
void sync_block();
void sync_warp();
// lane returns the calling thread's lane (linear thread index % 32).
unsigned lane();
// exchange publishes v for the calling lane, waits for the warp, and
// returns the value published by lane src (or v itself when src is not a
// live lane of the warp); then waits again so that the slots can be reused.
unsigned long long exchange(unsigned long long v, int src);
// ballot returns the bit mask of the warp's live lanes whose pred is true.
unsigned ballot(bool pred);
// dyn_shared returns this block's dynamic shared memory.
void* dyn_shared();
// fail reports a misuse of the emulator and aborts.
[[noreturn]] void fail(const char* what);

// Kernel registration: Entry unpacks the launch's argument array (one
// 8-byte slot per argument) into a typed call of the kernel.
using Entry = void (*)(void** args);
bool register_kernel(const char* name, Entry entry, int nargs, bool sync);

template <auto F>
struct Trampoline;
template <typename... A, void (*F)(A...)>
struct Trampoline<F> {
	static_assert(((sizeof(A) == 8) && ...), "kernel arguments must be 64-bit (pointers, i64 or double)");
	static constexpr int nargs = sizeof...(A);
	template <std::size_t... I>
	static void call(void** args, std::index_sequence<I...>) {
		F(*static_cast<A*>(args[I])...);
	}
	static void run(void** args) { call(args, std::index_sequence_for<A...>{}); }
};

template <typename T>
inline unsigned long long to_bits(T v) {
	static_assert(sizeof(T) <= 8, "shuffle of a type wider than 8 bytes");
	unsigned long long b = 0;
	std::memcpy(&b, &v, sizeof(T));
	return b;
}
template <typename T>
inline T from_bits(unsigned long long b) {
	T v;
	std::memcpy(&v, &b, sizeof(T));
	return v;
}

}  // namespace emu

#define EMU_REGISTER(k) \
	static const bool emu_registered_##k = emu::register_kernel(#k, &emu::Trampoline<&k>::run, emu::Trampoline<&k>::nargs, true);
#define EMU_REGISTER_NOSYNC(k) \
	static const bool emu_registered_##k = emu::register_kernel(#k, &emu::Trampoline<&k>::run, emu::Trampoline<&k>::nargs, false);
#define DYN_SHARED(T, name) T* name = reinterpret_cast<T*>(emu::dyn_shared())

#define threadIdx (emu::t_thread_idx)
#define blockIdx (emu::t_block_idx)
#define blockDim (emu::t_block_dim)
#define gridDim (emu::t_grid_dim)
#define warpSize 32

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __restrict__ __restrict
#define __launch_bounds__(...)
#define __shared__ static thread_local

inline void __syncthreads() { emu::sync_block(); }
inline void __syncwarp(unsigned = 0xffffffffu) { emu::sync_warp(); }
inline unsigned __activemask() { return 0xffffffffu; }
inline void __threadfence() {}
inline void __threadfence_block() {}

template <typename T>
inline T __shfl_sync(unsigned, T v, int src, int width = 32) {
	int l = (int)emu::lane();
	return emu::from_bits<T>(emu::exchange(emu::to_bits(v), (l & ~(width - 1)) + (src & (width - 1))));
}
template <typename T>
inline T __shfl_xor_sync(unsigned, T v, int mask, int width = 32) {
	int l = (int)emu::lane();
	int src = l ^ mask;
	if ((src & ~(width - 1)) != (l & ~(width - 1))) src = l;
	return emu::from_bits<T>(emu::exchange(emu::to_bits(v), src));
}
template <typename T>
inline T __shfl_down_sync(unsigned, T v, unsigned delta, int width = 32) {
	int l = (int)emu::lane();
	int src = ((l & (width - 1)) + (int)delta < width) ? l + (int)delta : l;
	return emu::from_bits<T>(emu::exchange(emu::to_bits(v), src));
}
template <typename T>
inline T __shfl_up_sync(unsigned, T v, unsigned delta, int width = 32) {
	int l = (int)emu::lane();
	int src = ((l & (width - 1)) >= (int)delta) ? l - (int)delta : l;
	return emu::from_bits<T>(emu::exchange(emu::to_bits(v), src));
}
inline unsigned __ballot_sync(unsigned, int pred) { return emu::ballot(pred != 0); }
inline int __any_sync(unsigned, int pred) { return emu::ballot(pred != 0) != 0; }
inline int __all_sync(unsigned, int pred) { return emu::ballot(pred == 0) == 0; }

// Atomics (plain: a launch runs on one OS thread). They return the old value.
template <typename T>
inline T atomicAdd(T* p, T v) {
	T old = *p;
	*p = old + v;
	return old;
}
template <typename T>
inline T atomicSub(T* p, T v) {
	T old = *p;
	*p = old - v;
	return old;
}
template <typename T>
inline T atomicMax(T* p, T v) {
	T old = *p;
	if (v > old) *p = v;
	return old;
}
template <typename T>
inline T atomicMin(T* p, T v) {
	T old = *p;
	if (v < old) *p = v;
	return old;
}
template <typename T>
inline T atomicExch(T* p, T v) {
	T old = *p;
	*p = v;
	return old;
}
template <typename T>
inline T atomicCAS(T* p, T cmp, T v) {
	T old = *p;
	if (old == cmp) *p = v;
	return old;
}

// Device math intrinsics and reinterpretations.
template <typename T>
inline T __ldg(const T* p) { return *p; }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __powf(float x, float y) { return powf(x, y); }
inline float __fdividef(float x, float y) { return x / y; }
inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }
inline float __saturatef(float x) { return x < 0.f ? 0.f : (x > 1.f ? 1.f : x); }
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline int __float_as_int(float x) { return emu::from_bits<int>(emu::to_bits(x)); }
inline float __int_as_float(int x) { return emu::from_bits<float>(emu::to_bits(x)); }
inline unsigned __float_as_uint(float x) { return emu::from_bits<unsigned>(emu::to_bits(x)); }
inline float __uint_as_float(unsigned x) { return emu::from_bits<float>(emu::to_bits(x)); }
inline long long __double_as_longlong(double x) { return emu::from_bits<long long>(emu::to_bits(x)); }
inline double __longlong_as_double(long long x) { return emu::from_bits<double>(emu::to_bits(x)); }
inline int __float2int_rd(float x) { return (int)floorf(x); }
inline int __float2int_rz(float x) { return (int)x; }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __ffs(unsigned x) { return __builtin_ffs((int)x); }
inline int __clz(unsigned x) { return x == 0 ? 32 : __builtin_clz(x); }

// CUDA's overloaded min/max (mixed operand types promote as in C++).
template <typename A, typename B>
inline auto min(A a, B b) -> decltype(a + b) { return a < b ? a : b; }
template <typename A, typename B>
inline auto max(A a, B b) -> decltype(a + b) { return a > b ? a : b; }
