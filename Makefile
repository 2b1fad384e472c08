# SPDX-License-Identifier: GPL-2.0
# msi-doorbell: the only entry point. `make help` tells the whole story.

# BASE=mainline (default: Linux 7.3, patches/) or BASE=6.12 (the LTS
# backport, backports/6.12/), described in bases/<BASE>.base. Every target
# takes it; the scripts read it from the environment.
ifneq ($(BASE),)
export BASE
endif
ARCH ?= arm64
FLAVOUR ?= plain
T ?= iommufd
S := scripts

.DEFAULT_GOAL := all
.PHONY: all help deps base tree export status apply qemu kernel selftests initramfs \
	sync kselftest check check-x86_64 check-arm64 check-arm64-debug harness-selftest e2e-base lint \
	send-prep bench bench-smoke stress clean distclean

help:
	@echo 'msi-doorbell: a kernel patch series and the harness that tests it.'
	@echo
	@echo 'Bases (bases/<BASE>.base); every target takes BASE=, default mainline:'
	@echo '  BASE=mainline     Linux 7.3 (linux-source-7.3 from trixie-backports, fetched'
	@echo '                    project-locally): the upstream-bound series, patches/;'
	@echo '                    arm64 guests on the project'"'"'s QEMU 10 (qemu/)'
	@echo '  BASE=6.12         Linux 6.12 LTS (linux-source-6.12): the backport, backports/6.12/'
	@echo
	@echo 'The two commands (as root on Debian 12; both install what they need):'
	@echo '  make              main job: base tree + series, arm64 kernel, boot in QEMU,'
	@echo '                    iommufd selftests + GICv3/SMMUv3 smoke + end-to-end MSIs, summary'
	@echo '  make check        full test: harness self-test; mainline: lint, x86_64 debug'
	@echo '                    kernel (KASAN, lockdep, kmemleak: iommufd + iommufd_fail_nth + msi-stress),'
	@echo '                    arm64 kernel (iommufd, smoke, e2e), arm64 debug kernel (smoke, the'
	@echo '                    e2e cases that allocate or change vectors); 6.12: checkpatch, kernel-doc,'
	@echo '                    format, arm64 kernel; bench smoke on both. A table of stages with their'
	@echo '                    base, then "N passed, N failed, N skipped" over all of them.'
	@echo '                    make BASE=<b> check: every stage, on <b> only'
	@echo
	@echo 'Patch queue (build/$$BASE/linux = tag base + one commit per patch):'
	@echo '  make deps         install packages (apt-get) and the arm64 static busybox'
	@echo '  make base         get the base'"'"'s kernel source, apply its base fixes, tag "base"'
	@echo '  make tree         re-import the queue (FORCE=1 drops unexported commits)'
	@echo '  make export       write build/$$BASE/linux back to the queue'
	@echo '  make status       is build/$$BASE/linux in sync with the queue?'
	@echo '  make apply KSRC=/path/to/linux   git am -3 the series onto your own tree'
	@echo
	@echo 'Building and testing one piece (ARCH=arm64|x86_64, FLAVOUR=plain|debug):'
	@echo '  make qemu         build the project'"'"'s QEMU 10 (qemu/) when its source or patches changed'
	@echo '  make kernel       build build/$$BASE/$$ARCH-$$FLAVOUR (incremental, ccache)'
	@echo '  make selftests    build tools/testing/selftests/iommu statically'
	@echo '  make initramfs    pack busybox, init and the tests'
	@echo '  make kselftest T=<run list>   build what changed, boot, run, classify'
	@echo '                    T=iommufd | iommufd_fail_nth | iommufd:FIXTURE[.VARIANT[.TEST]] | a,b'
	@echo '                    e.g. make kselftest ARCH=x86_64 T=iommufd:iommufd_ioas.mock_domain.area'
	@echo '  make check-x86_64 / check-arm64 / check-arm64-debug   one stage of make check'
	@echo '                    (arm64-debug: KASAN/lockdep/kmemleak kernel, the e2e cases'
	@echo '                    of tests/e2e/debug-cases.$$BASE)'
	@echo '  make stress       seeded random sequences of the MSI paths through the iommufd mock'
	@echo '                    (tests/mock/msi-stress.c) on the x86_64 debug kernel, kmemleak on:'
	@echo '                    SEED=<n> (default random, printed) STEPS=<n> (1000) replay one'
	@echo '                    sequence exactly; SEQS=<n> runs seeds SEED.. SEED+n-1; STRICT=1'
	@echo '                    fails on the known findings too; VERBOSE=1 prints every step'
	@echo '  make harness-selftest             the result classifier against recorded logs, the'
	@echo '                    bench table against a recorded bench'
	@echo '  make e2e-base     negative control: every e2e case on the bare base kernel;'
	@echo '                    passes when exactly the cases of tests/e2e/base-fails.$$BASE fail'
	@echo '  make lint         checkpatch --strict, per-patch W=1 builds, sparse, kernel-doc, rst, format'
	@echo '  make send-prep    To/Cc from get_maintainer.pl and the send command; with'
	@echo '                    SENDER="Name <mail>": a copy under build/ with the sender'"'"'s From'
	@echo '                    and Signed-off-by (refuses to print a command without it)'
	@echo '  make bench        the cost of the series: base and patched arm64 kernels built from'
	@echo '                    the same configs, booted in turn on QEMU with icount (one vCPU,'
	@echo '                    -icount shift=0,sleep=off: every figure an instruction count, the'
	@echo '                    same boot after boot; BOOTS=3 per kernel to show the spread): the'
	@echo '                    workloads of tests/bench/workloads.$$BASE (mock attach/replace/MSI'
	@echo '                    prepare, edu attach/replace/MSI enable, vIOMMU + nested attach,'
	@echo '                    instructions per delivered MSI), struct and vmlinux sizes; table in'
	@echo '                    build/results/$$BASE/bench.{txt,json}. BENCH_CLOCK=wall: the noisy'
	@echo '                    wall-clock mode (ROUNDS=5, interleaved), bench-wall.{txt,json}'
	@echo '  make bench-smoke  one short icount round on the kernels already built; builds no'
	@echo '                    kernel (make check runs it on both bases)'
	@echo '  make clean        remove kernel builds and results (keeps trees, caches)'
	@echo '  make distclean    remove build/ entirely (the cache in ~/.cache/msi-doorbell stays)'
	@echo
	@echo 'Results: build/results/$$BASE/<arch>/ (console.log, qemu-cmdline.txt, <prog>.ktap,'
	@echo '         summary.json), build/results/$$BASE/bench{,-smoke}[-wall].{txt,json}'

deps:
	@$(S)/deps.sh

base: deps
	@$(S)/get-base.sh

tree: deps
	@$(S)/queue-import.sh

export:
	@$(S)/queue-export.sh

status:
	@$(S)/queue-status.sh

apply:
	@$(S)/queue-apply.sh "$(KSRC)"

sync: deps
	@$(S)/queue-sync.sh

qemu: deps
	@$(S)/build-qemu.sh

kernel: sync
	@$(S)/build-kernel.sh $(ARCH) $(FLAVOUR)

selftests: kernel
	@$(S)/build-selftests.sh $(ARCH) $(FLAVOUR)

initramfs: selftests
	@[ ! -x $(S)/build-tests.sh ] || $(S)/build-tests.sh $(ARCH) $(FLAVOUR)
	@$(S)/make-initramfs.sh $(ARCH) $(FLAVOUR)

kselftest: sync
	@$(S)/kselftest.sh $(ARCH) $(FLAVOUR) $(T)

all: sync
	@$(S)/demo.sh

check: sync
	@$(S)/check.sh

check-x86_64: sync
	@bash -c 'source $(S)/lib.sh && QEMU_TIMEOUT=1500 $(S)/kselftest.sh x86_64 debug "$$(x86_64_debug_runlist)" 1'

stress: sync
	@SEED="$(SEED)" STEPS="$(STEPS)" SEQS="$(SEQS)" STRICT="$(STRICT)" VERBOSE="$(VERBOSE)" $(S)/stress.sh

check-arm64: sync
	@bash -c 'source $(S)/lib.sh && $(S)/kselftest.sh arm64 plain "$$(arm64_runlist)"'

check-arm64-debug: sync
	@bash -c 'source $(S)/lib.sh && l=$$(arm64_debug_runlist) && \
		if [ -z "$$l" ]; then echo "base $${BASE:-mainline}: no E2E_DEBUG_CASES, no arm64 debug stage"; \
		else QEMU_TIMEOUT=1500 $(S)/kselftest.sh arm64 debug "$$l" 1; fi'

harness-selftest:
	@tests/harness/run.sh build/results/harness

e2e-base: sync
	@$(S)/e2e-base.sh

lint: sync
	@$(S)/lint.sh

send-prep: sync
	@$(S)/send-prep.sh

bench: sync
	@$(S)/bench.sh full

bench-smoke:
	@$(S)/bench.sh smoke

clean:
	rm -rf build/*/*-plain build/*/*-debug build/*/e2e-base build/*/bench build/results

distclean:
	rm -rf build
