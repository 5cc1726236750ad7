# allnet: build, test and CUDA targets. `make help` lists them.

GO        ?= go
BIN       ?= bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X allnet/cli.Version=$(VERSION)
BENCH     ?= .
BENCHTIME ?= 1s

# Go 1.26's simd/archsimd (the AVX2/AVX-512 GEMM in engine/cpu) is an experiment;
# without it the portable Go kernels are used.
export GOEXPERIMENT ?= simd

# kernels/emu compiles kernels/*.cu through #include, which Go's build cache
# does not track (it hashes the package's own files only): a hash of the
# sources in CGO_CXXFLAGS makes an edited kernel rebuild the emulator.
KERNELS_HASH := $(shell cat kernels/*.cu kernels/*.cuh kernels/emu/*.h kernels/emu/*.cpp 2>/dev/null | cksum | cut -d' ' -f1)
export CGO_CXXFLAGS ?= -g -O2 -DALLNET_KERNELS_HASH=$(KERNELS_HASH)

# CUDA. PTX targets compute_80 by default (runs on Ampere and Hopper through the
# driver's JIT). nvcc comes from PATH (Debian's /usr/bin/nvcc) or /usr/local/cuda.
CUDA_ARCH ?= compute_80
NVCCFLAGS ?=
NVCC      ?= $(firstword $(shell command -v nvcc 2>/dev/null) $(wildcard /usr/local/cuda/bin/nvcc))
CUDA_HOME ?=
CUDA_INC  := $(strip $(if $(CUDA_HOME),$(CUDA_HOME)/include) /usr/include /usr/local/cuda/include)
CUDA_H    := $(firstword $(wildcard $(addsuffix /cuda.h,$(CUDA_INC))))
CU_SRC    := $(wildcard kernels/*.cu)
PTX       := $(patsubst kernels/%.cu,kernels/ptx/%.ptx,$(CU_SRC))
CUDA_ENV  := CGO_ENABLED=1 $(if $(CUDA_HOME),CGO_CFLAGS="-I$(CUDA_HOME)/include" CGO_LDFLAGS="-L$(CUDA_HOME)/lib64")

.DEFAULT_GOAL := help
.PHONY: help build build-cuda kernels ptx test bench demo lint cuda-toolkit clean cgo-cxxflags

help: ## list the targets
	@echo "allnet make targets:"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  %-13s %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo "variables: CUDA_ARCH=$(CUDA_ARCH) CUDA_HOME=$(CUDA_HOME) BENCH=$(BENCH) BENCHTIME=$(BENCHTIME) VERSION=$(VERSION)"

build: ## bin/allnet-cli: the pure-Go CPU binary (no cgo)
	CGO_ENABLED=0 $(GO) build -ldflags '$(LDFLAGS)' -o $(BIN)/allnet-cli ./cmd/allnet-cli

build-cuda: ## bin/allnet-cli-cuda: the CUDA binary (tag cuda; needs cgo, cuda.h and libcuda)
	@if [ -z "$(CUDA_H)" ]; then \
		echo "build-cuda: cuda.h not found (looked in: $(CUDA_INC)); install the CUDA toolkit with 'make cuda-toolkit' (Debian's nvidia-cuda-toolkit), or set CUDA_HOME to a toolkit's root" >&2; \
		exit 1; \
	fi
	@command -v $(CC) >/dev/null 2>&1 || { \
		echo "build-cuda: no C compiler '$(CC)' for cgo; install one with 'sudo apt-get install -y gcc'" >&2; \
		exit 1; }
	$(CUDA_ENV) $(GO) build -tags cuda -ldflags '$(LDFLAGS)' -o $(BIN)/allnet-cli-cuda ./cmd/allnet-cli

kernels: ptx ## compile kernels/*.cu to kernels/ptx/*.ptx (nvcc -ptx, CUDA_ARCH), check them with ptxas, then build-cuda
	@$(MAKE) --no-print-directory build-cuda

PTXAS     ?= $(firstword $(shell command -v ptxas 2>/dev/null) $(wildcard /usr/local/cuda/bin/ptxas))
PTXAS_ARCHS ?= sm_80 sm_90

ifeq ($(strip $(CU_SRC)),)
ptx:
	@echo "kernels: no kernels/*.cu sources yet, so no PTX to compile"
else ifeq ($(strip $(NVCC)),)
ptx:
	@echo "kernels: nvcc not found (looked on PATH and in /usr/local/cuda/bin); skipping PTX compilation, the committed kernels/ptx/*.ptx are used. 'make cuda-toolkit' installs Debian's CUDA toolkit."
else
ptx: $(PTX) $(PTX:.ptx=.ptxas.txt)
endif

# nvcc names internal-linkage symbols _INTERNAL_<hash>_ with a hash that
# depends on where the checkout lives; the sed makes the PTX the same in
# every clone (the stale-PTX check compares it byte for byte).
kernels/ptx/%.ptx: kernels/%.cu $(wildcard kernels/*.cuh)
	@mkdir -p $(@D)
	$(NVCC) -ptx -arch=$(CUDA_ARCH) $(NVCCFLAGS) -o $@.tmp $<
	@sed -E 's/_INTERNAL_[0-9a-f]{8}_/_INTERNAL_00000000_/g' $@.tmp > $@ && rm -f $@.tmp

# The ptxas report (registers, shared memory, spills) for each target, kept
# next to the PTX; a ptxas error or any spill fails the build.
kernels/ptx/%.ptxas.txt: kernels/ptx/%.ptx
	@set -e; : > $@.tmp; \
	for a in $(PTXAS_ARCHS); do \
		echo "# ptxas -arch=$$a -v $<" >> $@.tmp; \
		$(PTXAS) -arch=$$a -v $< -o /dev/null >> $@.tmp 2>&1 || { cat $@.tmp >&2; rm -f $@.tmp; echo "kernels: ptxas failed on $< for $$a" >&2; exit 1; }; \
	done; \
	if grep -E '[1-9][0-9]* bytes spill (stores|loads)' $@.tmp >&2; then rm -f $@.tmp; echo "kernels: $< spills registers (above); reduce register pressure" >&2; exit 1; fi; \
	mv $@.tmp $@

test: ## run every test (no GPU and no CUDA toolkit needed)
	$(GO) test ./...

bench: ## engine benchmarks (BENCH=regexp, BENCHTIME=1s)
	$(GO) test -run '^$$' -bench '$(BENCH)' -benchtime=$(BENCHTIME) ./engine/...

demo: ## train allnet-tiny on built-in synthetic scenes (CPU, under 10 min), evaluate, print the run folder
	$(GO) run ./cmd/allnet-cli demo

lint: ## gofmt must list nothing; go vet
	@unformatted=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	if [ -n "$$unformatted" ]; then \
		echo "lint: gofmt would change these files (run gofmt -w on them):" >&2; \
		echo "$$unformatted" >&2; \
		exit 1; \
	fi
	$(GO) vet ./...

# cuda-toolkit adds bookworm's contrib and non-free components, on the mirror
# apt is already configured with, then installs Debian's nvidia-cuda-toolkit
# (nvcc, ptxas, cuda.h, libcuda; about 1.6 GB).
cuda-toolkit: ## install Debian's CUDA toolkit (non-free) when nvcc is missing
	@set -e; \
	if [ -n "$(NVCC)" ]; then echo "cuda-toolkit: nvcc is already installed at $(NVCC)"; exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "cuda-toolkit: apt-get not found; this target installs Debian's nvidia-cuda-toolkit, elsewhere install NVIDIA's CUDA toolkit (https://developer.nvidia.com/cuda-downloads)" >&2; exit 1; fi; \
	sudo=""; if [ "$$(id -u)" != 0 ]; then sudo=sudo; fi; \
	codename=$$(. /etc/os-release && echo "$$VERSION_CODENAME"); \
	codename=$${codename:-bookworm}; \
	mirror=""; \
	if [ -f /etc/apt/sources.list.d/debian.sources ]; then \
		mirror=$$(awk '/^URIs:/ && $$2 !~ /security/ {print $$2; exit}' /etc/apt/sources.list.d/debian.sources); fi; \
	if [ -z "$$mirror" ] && [ -f /etc/apt/sources.list ]; then \
		mirror=$$(awk '$$1 == "deb" && $$0 !~ /security/ {for (i = 2; i <= NF; i++) if ($$i ~ /^https?:/) {print $$i; exit}}' /etc/apt/sources.list); fi; \
	mirror=$${mirror:-http://deb.debian.org/debian}; \
	list=/etc/apt/sources.list.d/allnet-cuda.sources; \
	echo "cuda-toolkit: adding $$codename contrib non-free from $$mirror to $$list"; \
	printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: contrib non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
		"$$mirror" "$$codename" "$$codename" | $$sudo tee "$$list" >/dev/null; \
	$$sudo apt-get update; \
	DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y --no-install-recommends nvidia-cuda-toolkit; \
	echo "cuda-toolkit: installed $$(command -v nvcc): $$(nvcc --version | tail -n 1)"

cgo-cxxflags: ## print the CGO_CXXFLAGS (with the kernel hash) for go commands run outside make
	@echo '$(CGO_CXXFLAGS)'

clean: ## remove bin/ (the committed PTX stays)
	rm -rf $(BIN)
