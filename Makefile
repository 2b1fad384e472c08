# SPDX-License-Identifier: GPL-2.0
# msi-doorbell: the only entry point. `make help` tells the whole story.

ARCH ?= arm64
FLAVOUR ?= plain
T ?= iommufd
S := scripts

.DEFAULT_GOAL := all
.PHONY: all help deps base tree export status apply kernel selftests initramfs \
	sync kselftest check check-x86_64 check-arm64 harness-selftest e2e-base lint \
	send-prep bench bench-smoke clean distclean

help:
	@echo 'msi-doorbell: a kernel patch series (patches/) and the harness that tests it.'
	@echo
	@echo 'The two commands (as root on Debian 12; both install what they need):'
	@echo '  make              main job: base tree + series, arm64 kernel, boot in QEMU,'
	@echo '                    iommufd selftests + GICv3/SMMUv3 smoke + end-to-end MSIs, summary'
	@echo '  make check        full test: harness self-test, lint, x86_64 debug kernel'
	@echo '                    (KASAN, lockdep, kmemleak: iommufd + iommufd_fail_nth), arm64'
	@echo '                    kernel (iommufd, smoke, e2e), bench smoke; ends with'
	@echo '                    "N passed, N failed, N skipped"'
	@echo
	@echo 'Patch queue (build/linux = tag base + one commit per patch):'
	@echo '  make deps         install packages (apt-get) and the arm64 static busybox'
	@echo '  make base         unpack linux-source-6.12, apply base-fixes/, tag "base"'
	@echo '  make tree         re-import patches/ into build/linux (FORCE=1 drops unexported commits)'
	@echo '  make export       write build/linux (base..HEAD) back to patches/'
	@echo '  make status       is build/linux in sync with patches/?'
	@echo '  make apply KSRC=/path/to/linux   git am -3 the series onto your own tree'
	@echo
	@echo 'Building and testing one piece (ARCH=arm64|x86_64, FLAVOUR=plain|debug):'
	@echo '  make kernel       build build/$$ARCH-$$FLAVOUR (incremental, ccache)'
	@echo '  make selftests    build tools/testing/selftests/iommu statically'
	@echo '  make initramfs    pack busybox, init and the tests'
	@echo '  make kselftest T=<run list>   build what changed, boot, run, classify'
	@echo '                    T=iommufd | iommufd_fail_nth | iommufd:FIXTURE[.VARIANT[.TEST]] | a,b'
	@echo '                    e.g. make kselftest ARCH=x86_64 T=iommufd:iommufd_ioas.mock_domain.area'
	@echo '  make check-x86_64 / check-arm64   one stage of make check'
	@echo '  make harness-selftest             the result classifier against recorded logs'
	@echo '  make e2e-base     negative control: the e2e test on the base kernel (no series);'
	@echo '                    passes when its replace case fails as expected'
	@echo '  make lint         checkpatch --strict, per-patch W=1 builds, sparse, kernel-doc, format'
	@echo '  make send-prep    To/Cc from get_maintainer.pl and the git send-email command'
	@echo '  make bench        the cost of the series: base and patched arm64 kernels built from'
	@echo '                    the same configs, booted in turn (ROUNDS=5, interleaved): mock'
	@echo '                    attach/replace/MSI prepare, 10,000 edu MSIs, MSI enable, struct'
	@echo '                    and vmlinux sizes; table of medians and ratios against the goals'
	@echo '                    in build/results/bench.{txt,json} (not in make check: slow)'
	@echo '  make bench-smoke  one short round of it on the kernels already built (build/arm64-plain,'
	@echo '                    and build/e2e-base/arm64-plain if built); builds no kernel'
	@echo '  make clean        remove kernel builds and results (keeps the tree and ccache)'
	@echo '  make distclean    remove build/ entirely'
	@echo
	@echo 'Results: build/results/<arch>/ (console.log, qemu-cmdline.txt, <prog>.ktap, summary.json),'
	@echo '         build/results/bench{,-smoke}.{txt,json}'

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
	@RESULTS=build/results/x86_64 QEMU_TIMEOUT=1500 $(S)/kselftest.sh x86_64 debug iommufd,iommufd_fail_nth 1

check-arm64: sync
	@bash -c 'source $(S)/lib.sh && RESULTS=build/results/arm64 $(S)/kselftest.sh arm64 plain "$$(arm64_runlist)"'

harness-selftest:
	@tests/harness/run.sh build/results/harness

e2e-base: deps
	@$(S)/e2e-base.sh

lint: sync
	@$(S)/lint.sh

send-prep: sync
	@$(S)/send-prep.sh

bench: deps
	@$(S)/bench.sh full

bench-smoke:
	@$(S)/bench.sh smoke

clean:
	rm -rf build/*-plain build/*-debug build/results

distclean:
	rm -rf build
