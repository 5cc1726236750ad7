// emu.cpp: the CUDA emulator's runtime (see cuda_emu.h): the kernel
// registry, the per-block fiber scheduler, and the C entry points.
#include <setjmp.h>
#include <ucontext.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cuda_emu.h"
#include "emu_api.h"

namespace emu {

thread_local dim3 t_thread_idx;
thread_local dim3 t_block_idx;
thread_local dim3 t_block_dim;
thread_local dim3 t_grid_dim;

namespace {

struct Kernel {
	Entry entry;
	int nargs;
	bool sync;
};

std::map<std::string, Kernel>& registry() {
	static std::map<std::string, Kernel> r;
	return r;
}

enum State { kRunnable, kAtBarrier, kAtWarp, kDone };

constexpr std::size_t kStackBytes = 256 * 1024;
constexpr unsigned kMaxThreads = 1024;
constexpr std::size_t kMaxShared = 227 * 1024;

// A fiber starts once through setcontext (makecontext gives it its stack)
// and then switches with _setjmp/_longjmp, which skip the signal-mask
// system calls of swapcontext: a switch costs tens of nanoseconds.
struct Fiber {
	ucontext_t ctx;
	jmp_buf jb;
	bool started = false;
	dim3 idx;
	unsigned linear = 0;
	State state = kRunnable;
};

// Launch is the state of the launch running on this OS thread.
struct Launch {
	const char* name = nullptr;
	Kernel kernel{};
	void** args = nullptr;
	bool fibers = false;
	jmp_buf scheduler;
	std::vector<Fiber> threads;
	Fiber* current = nullptr;
	std::vector<unsigned long long> slots;  // one per thread, for warp exchanges
	std::vector<unsigned char> shared;
};

thread_local Launch* t_launch = nullptr;
thread_local std::vector<std::unique_ptr<char[]>> t_stacks;

Launch& launch_or_fail(const char* what) {
	if (t_launch == nullptr) fail(what);
	return *t_launch;
}

void switch_to_scheduler(State s) {
	Launch& L = *t_launch;
	Fiber* f = L.current;
	f->state = s;
	if (_setjmp(f->jb) == 0) _longjmp(L.scheduler, 1);
	// Resumed: restore this thread's coordinates.
	t_thread_idx = f->idx;
}

[[noreturn]] void fiber_main() {
	Launch& L = *t_launch;
	L.kernel.entry(L.args);
	L.current->state = kDone;
	_longjmp(L.scheduler, 1);
}

void require_fibers(const char* op) {
	Launch& L = launch_or_fail("warp or block synchronisation outside a kernel");
	if (!L.fibers) {
		static thread_local char msg[256];
		std::snprintf(msg, sizeof msg,
			"kernel %s calls %s but is registered with EMU_REGISTER_NOSYNC; register it with EMU_REGISTER", L.name, op);
		fail(msg);
	}
}

// run_block runs one block's threads as fibers until all have returned.
void run_block(Launch& L) {
	const unsigned nx = t_block_dim.x, ny = t_block_dim.y, nz = t_block_dim.z;
	const unsigned n = nx * ny * nz;
	L.threads.resize(n);
	while (t_stacks.size() < n) t_stacks.emplace_back(new char[kStackBytes]);
	for (unsigned i = 0; i < n; i++) {
		Fiber& f = L.threads[i];
		f.linear = i;
		f.idx = dim3(i % nx, (i / nx) % ny, i / (nx * ny));
		f.state = kRunnable;
		f.started = false;
		getcontext(&f.ctx);
		f.ctx.uc_stack.ss_sp = t_stacks[i].get();
		f.ctx.uc_stack.ss_size = kStackBytes;
		f.ctx.uc_link = nullptr;
		makecontext(&f.ctx, (void (*)())fiber_main, 0);
	}
	const unsigned warps = (n + 31) / 32;
	for (;;) {
		for (unsigned i = 0; i < n; i++) {
			Fiber& f = L.threads[i];
			if (f.state != kRunnable) continue;
			L.current = &f;
			t_thread_idx = f.idx;
			if (_setjmp(L.scheduler) == 0) {
				if (!f.started) {
					f.started = true;
					setcontext(&f.ctx);
				}
				_longjmp(f.jb, 1);
			}
		}
		unsigned live = 0, at_barrier = 0;
		for (unsigned i = 0; i < n; i++) {
			if (L.threads[i].state != kDone) live++;
			if (L.threads[i].state == kAtBarrier) at_barrier++;
		}
		if (live == 0) return;
		bool released = false;
		for (unsigned w = 0; w < warps; w++) {
			unsigned lo = w * 32, hi = lo + 32 < n ? lo + 32 : n;
			unsigned waiting = 0, alive = 0;
			for (unsigned i = lo; i < hi; i++) {
				State s = L.threads[i].state;
				if (s != kDone) alive++;
				if (s == kAtWarp) waiting++;
			}
			if (alive > 0 && waiting == alive) {
				for (unsigned i = lo; i < hi; i++)
					if (L.threads[i].state == kAtWarp) L.threads[i].state = kRunnable;
				released = true;
			}
		}
		if (!released && at_barrier == live) {
			for (unsigned i = 0; i < n; i++)
				if (L.threads[i].state == kAtBarrier) L.threads[i].state = kRunnable;
			released = true;
		}
		if (!released) {
			static thread_local char msg[256];
			std::snprintf(msg, sizeof msg,
				"kernel %s deadlocks in block (%u,%u,%u): some threads wait at __syncthreads while others of their warp wait at a warp operation",
				L.name, t_block_idx.x, t_block_idx.y, t_block_idx.z);
			fail(msg);
		}
	}
}

}  // namespace

void fail(const char* what) {
	std::fprintf(stderr, "kernels/emu: %s\n", what);
	std::fflush(stderr);
	std::abort();
}

bool register_kernel(const char* name, Entry entry, int nargs, bool sync) {
	auto& r = registry();
	if (r.count(name) != 0) {
		std::fprintf(stderr, "kernels/emu: kernel %s registered twice\n", name);
		std::abort();
	}
	r[name] = Kernel{entry, nargs, sync};
	return true;
}

void sync_block() {
	require_fibers("__syncthreads");
	switch_to_scheduler(kAtBarrier);
}

void sync_warp() {
	require_fibers("__syncwarp or a warp operation");
	switch_to_scheduler(kAtWarp);
}

unsigned lane() {
	require_fibers("a warp operation");
	return t_launch->current->linear % 32;
}

unsigned long long exchange(unsigned long long v, int src) {
	require_fibers("a warp shuffle");
	Launch& L = *t_launch;
	Fiber* self = L.current;
	const unsigned me = self->linear;
	L.slots[me] = v;
	sync_warp();
	unsigned base = me - me % 32;
	unsigned long long out = v;
	if (src >= 0 && src < 32) {
		unsigned s = base + (unsigned)src;
		if (s < L.threads.size() && L.threads[s].state != kDone) out = L.slots[s];
	}
	sync_warp();
	return out;
}

unsigned ballot(bool pred) {
	require_fibers("a warp vote");
	Launch& L = *t_launch;
	const unsigned me = L.current->linear;
	L.slots[me] = pred ? 1 : 0;
	sync_warp();
	unsigned base = me - me % 32, mask = 0;
	for (unsigned l = 0; l < 32 && base + l < L.threads.size(); l++)
		if (L.threads[base + l].state != kDone && L.slots[base + l] != 0) mask |= 1u << l;
	sync_warp();
	return mask;
}

void* dyn_shared() {
	Launch& L = launch_or_fail("dynamic shared memory outside a kernel");
	return L.shared.data();
}

}  // namespace emu

extern "C" int emu_launch(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by,
	unsigned bz, size_t shmem, unsigned long long* args, int nargs, char* err, size_t errlen) {
	using namespace emu;
	auto& r = registry();
	auto it = r.find(name);
	if (it == r.end()) {
		std::snprintf(err, errlen, "no kernel named %s (is it registered with EMU_REGISTER?)", name);
		return -1;
	}
	if (it->second.nargs != nargs) {
		std::snprintf(err, errlen, "kernel %s takes %d arguments, launch passed %d", name, it->second.nargs, nargs);
		return -1;
	}
	unsigned threads = bx * by * bz;
	if (gx == 0 || gy == 0 || gz == 0 || threads == 0 || threads > kMaxThreads || bz > 64 || gy > 65535 || gz > 65535) {
		std::snprintf(err, errlen, "kernel %s: invalid launch shape grid (%u,%u,%u) block (%u,%u,%u)", name, gx, gy, gz, bx, by, bz);
		return -1;
	}
	if (shmem > kMaxShared) {
		std::snprintf(err, errlen, "kernel %s: %zu bytes of dynamic shared memory requested, at most %zu", name, shmem, kMaxShared);
		return -1;
	}
	if (t_launch != nullptr) {
		std::snprintf(err, errlen, "kernel %s launched from inside a kernel", name);
		return -1;
	}
	std::vector<void*> ptrs((size_t)nargs);
	for (int i = 0; i < nargs; i++) ptrs[(size_t)i] = &args[i];
	Launch L;
	L.name = name;
	L.kernel = it->second;
	L.args = ptrs.data();
	L.fibers = it->second.sync;
	L.slots.assign(threads, 0);
	L.shared.assign(shmem + 16, 0);
	t_launch = &L;
	t_grid_dim = dim3(gx, gy, gz);
	t_block_dim = dim3(bx, by, bz);
	for (unsigned z = 0; z < gz; z++)
		for (unsigned y = 0; y < gy; y++)
			for (unsigned x = 0; x < gx; x++) {
				t_block_idx = dim3(x, y, z);
				if (L.fibers) {
					run_block(L);
					continue;
				}
				for (unsigned i = 0; i < threads; i++) {
					t_thread_idx = dim3(i % bx, (i / bx) % by, i / (bx * by));
					L.kernel.entry(L.args);
				}
			}
	t_launch = nullptr;
	return 0;
}

extern "C" int emu_kernel_count(void) { return (int)emu::registry().size(); }

extern "C" const char* emu_kernel_name(int i) {
	auto& r = emu::registry();
	if (i < 0 || (size_t)i >= r.size()) return nullptr;
	auto it = r.begin();
	std::advance(it, i);
	return it->first.c_str();
}
