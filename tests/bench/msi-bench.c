// SPDX-License-Identifier: GPL-2.0
/*
 * msi-bench - what the MSI doorbell series costs, measured in the arm64
 * QEMU guest the same way on the base kernel and on the patched one
 * (scripts/bench.sh boots both and scripts/bench-report.py compares them).
 *
 * The workloads are a table (workloads[] below): a name, a group (mock:
 * iommufd's selftest mock device; edu: QEMU's edu device through the
 * emulated SMMUv3 and GICv3 ITS, driven as a VMM does it, VFIO cdev +
 * iommufd), what the kernel must have for it (features probed at run time,
 * see probe()), and setup / step / teardown functions. A new workload is a
 * new row: setup makes what it needs in a struct bctx, step does one
 * iteration, teardown undoes setup. A row with a slot text is a workload
 * that cannot be measured yet (the uAPI it needs does not exist): it is
 * printed as such on both kernels, never as a number.
 *
 * Each workload runs one untimed warm-up batch, then `batches` timed ones
 * of n iterations, clock_gettime(CLOCK_MONOTONIC) around each batch. Under
 * QEMU's icount (make bench's default: -icount shift=0,sleep=off, one vCPU)
 * the guest's clock advances one nanosecond per executed guest instruction,
 * so a batch's time is its instruction count, exactly and whatever the host
 * does. The batches of one boot then differ only by the interrupts that
 * land in them (a timer tick is some 10,000 instructions, at a phase that
 * differs between two kernels) and by the workload's own rhythm (slab
 * refills). The batches are short, about 300,000 instructions or one
 * operation (a tick every 4,000,000 at HZ=250), and 15 of them, so that
 * some have no tick: a boot's value is its smallest batch, the one with the
 * least of that. In wall mode (TCG's real time, noisy) it is the best of 15
 * batches, 20 times longer, too: host load only ever slows one.
 *
 * What a kernel lacks is found out at run time, never assumed:
 *  - the mock's software MSI window (MOCK_FLAGS_DEVICE_SW_MSI: EINVAL
 *    without), the MSI prepare test op (IOMMU_TEST_OP_MD_PREPARE_MSI:
 *    EOPNOTSUPP without; it must compose window + doorbell offset);
 *  - IOMMU_OPTION_SW_MSI_START (EOPNOTSUPP on the edu device without);
 *  - a vIOMMU on the SMMUv3 (IOMMU_VIOMMU_ALLOC; needs the project QEMU);
 *  - IOMMU_VDEVICE_MSI_DOORBELL on its vDEVICE (ENOTTY without: an ioctl
 *    iommufd does not know; a GET of a vector without an entry must read
 *    back zeros);
 * a workload whose feature is missing prints "na not-in-kernel:<feature>".
 * An op that answers but does not do what it should fails the run:
 * numbers are printed only for what was checked to work.
 *
 * Output: KTAP (one case per workload) for the harness, and for
 * scripts/bench-report.py:
 *   BENCH-INFO <key> <value>
 *   BENCH-WL <workload> <group> <label>
 *   BENCH <workload> <value> <unit> <n> <batch>/<batch>/...   (per iteration)
 *   BENCH <workload> na <why>          (not-in-kernel:<feature> or slot)
 * Arguments (after the init's "-f"): words of "smoke" (a tenth of the
 * iterations, 3 batches), "icount" (the clock counts instructions: short
 * batches, 15) or neither (wall clock, batches 20 times longer, 15).
 */
#define _GNU_SOURCE
#include <termios.h>
#include "../lib/edu.h"
#include "../lib/smmu-s1.h"
/*
 * The selftest command of the tree under test, the patched one
 * (drivers/iommu/iommufd/iommufd_test.h; scripts/bench.sh puts its
 * directory on the include path): a series only appends to its enums, so
 * its values mean the same on the base kernel, which answers EOPNOTSUPP or
 * EINVAL for what it does not know.
 */
#include "iommufd_test.h"

/* The series' IOMMU_OPTIONs, spelled out: the base's header lacks them. */
#define OPT_SW_MSI_START	2
#define OPT_SW_MSI_SIZE		3

/* Mainline's series gives the prepare op a doorbell offset in kernel pages */
#ifdef MOCK_MSI_DOORBELL_PAGES
#define PREPARE_BY_OFFSET	1
#endif
/* The mock doorbell: the virt machine's ITS page offset (6.12: its address) */
#define MOCK_DOORBELL		0x08090040ULL
#define MOCK_DOORBELL_OFFSET	(MOCK_DOORBELL & 0xfffULL)

#define IRQ_TIMEOUT_MS		1000
#define BUF_IOVA		0x00100000ULL
#define BUF_SIZE		0x10000UL
#define CHOSEN_WINDOW		0x0a000000ULL
#define VSID			0x20

/*
 * The guest's own doorbell, as tests/e2e/msi-nested.c nested_guest_doorbell
 * has it: the host's window moved out of the way (to CHOSEN_WINDOW: the
 * guest's vITS page is in the default window), a stage 1 of the guest in
 * its RAM at TABLES_IPA (CD + tables, ASID 1) that maps its buffer at
 * GUEST_BUF_IOVA and its doorbell IOVA to the page of its vITS
 * GITS_TRANSLATER (IPA 0x8090040, where QEMU virt puts it, the same as the
 * host's physical one); the VMM gives {vector 0, IOVA 0xc000040, IPA
 * 0x8090040} with IOMMU_VDEVICE_MSI_DOORBELL.
 */
#define TABLES_IPA		0x00200000ULL
#define TABLES_SIZE		0x8000UL
#define GUEST_ASID		1
#define GUEST_BUF_IOVA		0x00300000ULL
#define GUEST_DOORBELL_IOVA	0x0c000000ULL
#define GUEST_VITS_IPA		ITS_TRANSLATER_PHYS

static unsigned int scale = 1, batches = 15;
static bool icount;
static struct ktap results;

/* ---- features, found out by probe() ---- */

enum {
	F_MOCK_SW_MSI = 1 << 0,	/* MOCK_FLAGS_DEVICE_SW_MSI */
	F_PREPARE = 1 << 1,	/* IOMMU_TEST_OP_MD_PREPARE_MSI */
	F_EDU = 1 << 2,		/* an edu device bound to vfio-pci */
	F_SW_MSI_OPT = 1 << 3,	/* IOMMU_OPTION_SW_MSI_START / _SIZE */
	F_NESTED = 1 << 4,	/* vIOMMU + vDEVICE + nested HWPT on the SMMUv3 */
	F_GUEST_DOORBELL = 1 << 5,	/* IOMMU_VDEVICE_MSI_DOORBELL */
};
static const char *const feature_names[] = {
	"mock-sw-msi-window", "msi-prepare-test-op", "edu-device",
	"iommu-option-sw-msi-start", "viommu-nested", "vdevice-msi-doorbell",
};
static unsigned int features;
static struct edu_loc edu;

/* ---- the context of one workload ---- */

struct bctx {
	/* mock */
	int fd;
	__u32 ioas, stdev, idev, hwpt[2];
	__u32 flags;
	unsigned int replaces;	/* replace: to hwpt[replaces % 2] next */
	/* edu */
	struct edu_dev dev;
	void *buf;
	__u32 eioas, ehwpt[2], attached;
	/* nested */
	__u32 s2, viommu, vdev, nested;
	/* the guest's stage 1 (in its RAM at TABLES_IPA) */
	void *tables;
	struct smmu_s1 s1;
};

/* ---- mock helpers ---- */

static int test_cmd(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOMMU_TEST_CMD, cmd) ? -errno : 0;
}

/* A mock device with @flags, bound and attached to @pt_id. */
static int mock_dev(int fd, __u32 pt_id, __u32 flags, __u32 *stdev, __u32 *idev)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, .id = pt_id };
	int ret;

	cmd.mock_domain_flags.dev_flags = flags;
	ret = test_cmd(fd, &cmd);
	if (ret)
		return ret;
	*stdev = cmd.mock_domain_flags.out_stdev_id;
	if (idev)
		*idev = cmd.mock_domain_flags.out_idev_id;
	return 0;
}

static int mock_replace(int fd, __u32 stdev, __u32 pt_id)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, .id = stdev };

	cmd.mock_domain_replace.pt_id = pt_id;
	return test_cmd(fd, &cmd);
}

/* What the prepare op must compose: the window + the doorbell's page offset */
#define PREPARE_EXPECT	(MOCK_SW_MSI_START + MOCK_DOORBELL_OFFSET)

static int prepare_msi(int fd, __u32 stdev, __u64 *addr)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MD_PREPARE_MSI, .id = stdev };
	int ret;

#ifdef PREPARE_BY_OFFSET
	cmd.prepare_msi.doorbell_offset = MOCK_DOORBELL_OFFSET;
#else
	cmd.prepare_msi.doorbell = MOCK_DOORBELL;
#endif
	ret = test_cmd(fd, &cmd);
	if (!ret)
		*addr = cmd.prepare_msi.out_msi_addr;
	return ret;
}

static int hwpt_alloc(int fd, __u32 idev, __u32 pt_id, __u32 flags, __u32 *hwpt)
{
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .dev_id = idev, .pt_id = pt_id,
				      .flags = flags };

	if (ioctl(fd, IOMMU_HWPT_ALLOC, &a))
		return -errno;
	*hwpt = a.out_hwpt_id;
	return 0;
}

static int iommu_option(int fd, __u32 object, __u32 option_id, __u16 op, __u64 *val)
{
	struct iommu_option opt = {
		.size = sizeof(opt), .option_id = option_id, .op = op,
		.object_id = object, .val64 = *val,
	};

	if (ioctl(fd, IOMMU_OPTION, &opt))
		return -errno;
	*val = opt.val64;
	return 0;
}

/* ---- probe: what this kernel has ---- */

static bool probe_mock(void)
{
	__u32 ioas = 0, stdev = 0;
	__u64 addr = 0;
	int fd, ret;
	bool ok = false;

	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0) {
		diag("open /dev/iommu: %s", strerror(errno));
		return false;
	}
	if ((ret = iommufd_ioas_alloc(fd, &ioas)))
		goto out;
	ret = mock_dev(fd, ioas, MOCK_FLAGS_DEVICE_SW_MSI, &stdev, NULL);
	if (ret == -EINVAL) {
		diag("mock device flag SW_MSI: EINVAL: no software MSI window for mock devices in this kernel");
		/* Then the prepare op must not exist either. */
		if ((ret = mock_dev(fd, ioas, 0, &stdev, NULL)))
			goto out;
		ret = prepare_msi(fd, stdev, &addr);
		iommufd_destroy(fd, stdev);
		if (ret != -EOPNOTSUPP) {
			diag("IOMMU_TEST_OP_MD_PREPARE_MSI without SW_MSI: %s, expected EOPNOTSUPP",
			     ret ? strerror(-ret) : "success");
			ret = ret ?: -EPROTO;
			goto out;
		}
		ret = 0;
		ok = true;
		goto out;
	} else if (ret) {
		diag("IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS(SW_MSI): %s", strerror(-ret));
		goto out;
	}
	features |= F_MOCK_SW_MSI;
	ret = prepare_msi(fd, stdev, &addr);
	if (ret == -EOPNOTSUPP) {
		diag("IOMMU_TEST_OP_MD_PREPARE_MSI (%d): EOPNOTSUPP: no such op in this kernel",
		     IOMMU_TEST_OP_MD_PREPARE_MSI);
		ret = 0;
	} else if (ret) {
		diag("IOMMU_TEST_OP_MD_PREPARE_MSI: %s", strerror(-ret));
		goto out;
	} else if (addr != PREPARE_EXPECT) {
		diag("IOMMU_TEST_OP_MD_PREPARE_MSI composed 0x%llx, expected window + offset 0x%llx",
		     (unsigned long long)addr, (unsigned long long)PREPARE_EXPECT);
		ret = -EPROTO;
		goto out;
	} else {
		features |= F_PREPARE;
	}
	iommufd_destroy(fd, stdev);
	ok = true;
out:
	if (!ok)
		diag("probe of the mock: %s", strerror(-ret));
	close(fd);
	return ok;
}

/* The edu device, IOMMU_OPTION_SW_MSI_START on it, and a vIOMMU on the SMMUv3 */
/*
 * vIOMMUs (IOMMU_VIOMMU_ALLOC) came after 6.12: built against a tree without
 * them the nested workloads are "not in this kernel".
 */
/*
 * IOMMU_VDEVICE_MSI_DOORBELL (the series' part 2b) likewise: without it in
 * the uAPI the guest-doorbell workloads are "not in this kernel".
 */
#if defined(IOMMU_VIOMMU_ALLOC) && defined(IOMMU_VDEVICE_MSI_DOORBELL)
#define HAVE_GUEST_DOORBELL	1

/* One entry of vDEVICE @vdev: SET it, or with @get read it back into *db */
static int vdev_doorbell(int fd, __u32 vdev, bool get, struct iommu_msi_doorbell *db)
{
	struct iommu_vdevice_msi_doorbell cmd = {
		.size = sizeof(cmd), .flags = get ? IOMMU_VDEVICE_MSI_DOORBELL_GET : 0,
		.vdevice_id = vdev, .entry_len = sizeof(*db), .entry_num = 1,
		.entries_uptr = (uintptr_t)db,
	};

	return ioctl(fd, IOMMU_VDEVICE_MSI_DOORBELL, &cmd) ? -errno : 0;
}

/*
 * On a vDEVICE of @viommu: a GET of vector 0, which has no entry, must
 * read back zeros; ENOTTY: iommufd does not know the ioctl.
 */
static int probe_guest_doorbell(int fd, __u32 devid, __u32 viommu)
{
	struct iommu_vdevice_alloc vdev = { .size = sizeof(vdev) };
	struct iommu_msi_doorbell db = { .msi_index = 0, .flags = ~0u, .iova = ~0ULL,
					 .nesting_parent_iova = ~0ULL };
	int ret;

	vdev.viommu_id = viommu;
	vdev.dev_id = devid;
	vdev.virt_id = VSID;
	if (ioctl(fd, IOMMU_VDEVICE_ALLOC, &vdev)) {
		ret = -errno;
		diag("IOMMU_VDEVICE_ALLOC: %s", strerror(-ret));
		return ret;
	}
	ret = vdev_doorbell(fd, vdev.out_vdevice_id, true, &db);
	if (ret == -ENOTTY) {
		diag("IOMMU_VDEVICE_MSI_DOORBELL: ENOTTY: not in this kernel");
		ret = 0;
	} else if (ret) {
		diag("IOMMU_VDEVICE_MSI_DOORBELL GET: %s", strerror(-ret));
	} else if (db.flags || db.iova || db.nesting_parent_iova) {
		diag("IOMMU_VDEVICE_MSI_DOORBELL GET of vector 0 without an entry: flags 0x%x, IOVA 0x%llx, IPA 0x%llx, expected zeros",
		     db.flags, (unsigned long long)db.iova, (unsigned long long)db.nesting_parent_iova);
		ret = -EPROTO;
	} else {
		features |= F_GUEST_DOORBELL;
	}
	iommufd_destroy(fd, vdev.out_vdevice_id);
	return ret;
}
#else
static int probe_guest_doorbell(int fd, __u32 devid, __u32 viommu)
{
	(void)fd, (void)devid, (void)viommu;
	diag("no IOMMU_VDEVICE_MSI_DOORBELL in this tree's uAPI: no guest-doorbell workloads");
	return 0;
}
#endif

/* A vIOMMU works: F_NESTED, and on it the guest's doorbell. 0 or an error */
#ifdef IOMMU_VIOMMU_ALLOC
static int viommu_works(int fd, __u32 devid, __u32 s2)
{
	struct iommu_viommu_alloc viommu = { .size = sizeof(viommu) };
	int ret;

	viommu.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
	viommu.dev_id = devid;
	viommu.hwpt_id = s2;
	if (ioctl(fd, IOMMU_VIOMMU_ALLOC, &viommu)) {
		diag("IOMMU_VIOMMU_ALLOC ARM_SMMUV3: %s: no nested workloads", strerror(errno));
		return 0;
	}
	features |= F_NESTED;
	ret = probe_guest_doorbell(fd, devid, viommu.out_viommu_id);
	iommufd_destroy(fd, viommu.out_viommu_id);
	return ret;
}
#else
static int viommu_works(int fd, __u32 devid, __u32 s2)
{
	(void)fd, (void)devid, (void)s2;
	diag("no IOMMU_VIOMMU_ALLOC in this tree's uAPI: no nested workloads");
	return probe_guest_doorbell(fd, devid, 0);
}
#endif

static bool probe_edu(void)
{
	struct edu_dev d;
	__u32 ioas = 0, s2 = 0;
	void *buf = NULL;
	__u64 val = 0;
	int ret;

	if (edu_locate(&edu)) {
		diag("no edu device: the edu workloads cannot run");
		return false;
	}
	features |= F_EDU;
	ret = edu_open_bind(&d, &edu);
	if (ret)
		goto out;
	/*
	 * GET: the window of the next attach on mainline (the SMMUv3's), the
	 * value SET stored on 6.12 (0 until then).
	 */
	ret = iommu_option(d.iommufd, d.devid, OPT_SW_MSI_START, IOMMU_OPTION_OP_GET, &val);
	if (!ret && (val == SW_MSI_WINDOW || val == 0)) {
		features |= F_SW_MSI_OPT;
	} else if (!ret) {
		diag("IOMMU_OPTION_SW_MSI_START GET on edu: 0x%llx, expected the SMMUv3 window 0x%llx (or 0: not set)",
		     (unsigned long long)val, SW_MSI_WINDOW);
		ret = -EPROTO;
		goto out;
	} else if (ret == -EOPNOTSUPP) {
		diag("IOMMU_OPTION_SW_MSI_START: EOPNOTSUPP: not in this kernel");
	} else {
		diag("IOMMU_OPTION_SW_MSI_START GET: %s", strerror(-ret));
		goto out;
	}
	ret = ioas_with_mem(d.iommufd, &ioas, &buf, BUF_SIZE, BUF_IOVA);
	if (!ret)
		ret = hwpt_alloc(d.iommufd, d.devid, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT, &s2);
	if (ret) {
		diag("nest-parent HWPT: %s: no nested workloads", strerror(-ret));
		ret = 0;
		goto out;
	}
	ret = viommu_works(d.iommufd, d.devid, s2);
out:
	edu_close(&d);
	if (buf)
		munmap(buf, BUF_SIZE);
	if (ret)
		diag("probe of edu: %s", strerror(-ret));
	return !ret;
}

/* ---- mock workloads ---- */

/*
 * An IOAS with a resident mock device (it keeps the IOAS's domain, so that
 * attach joins it rather than allocating one) and two more paging HWPTs;
 * with the window, one doorbell prepared, so that each replace installs it.
 */
static int mock_setup_flags(struct bctx *c, __u32 flags)
{
	__u64 addr;
	int ret;

	c->flags = flags;
	c->fd = open("/dev/iommu", O_RDWR);
	if (c->fd < 0)
		return -errno;
	if ((ret = iommufd_ioas_alloc(c->fd, &c->ioas)) ||
	    (ret = mock_dev(c->fd, c->ioas, flags, &c->stdev, &c->idev)) ||
	    (ret = hwpt_alloc(c->fd, c->idev, c->ioas, 0, &c->hwpt[0])) ||
	    (ret = hwpt_alloc(c->fd, c->idev, c->ioas, 0, &c->hwpt[1])))
		return ret;
	if (flags & MOCK_FLAGS_DEVICE_SW_MSI)
		return prepare_msi(c->fd, c->stdev, &addr);
	return 0;
}

static int mock_setup(struct bctx *c)
{
	return mock_setup_flags(c, 0);
}

static int mock_setup_msi(struct bctx *c)
{
	return mock_setup_flags(c, MOCK_FLAGS_DEVICE_SW_MSI);
}

static void mock_teardown(struct bctx *c)
{
	if (c->fd > 0)
		close(c->fd);
}

static int step_null(struct bctx *c, unsigned int i)
{
	struct iommu_test_cmd cmd = { .op = 0xffff };

	(void)i;
	return test_cmd(c->fd, &cmd) == -EOPNOTSUPP ? 0 : -EPROTO;
}

static int step_attach(struct bctx *c, unsigned int i)
{
	__u32 stdev;
	int ret;

	(void)i;
	ret = mock_dev(c->fd, c->ioas, c->flags, &stdev, NULL);
	return ret ?: iommufd_destroy(c->fd, stdev);
}

/* Never to the HWPT it is on: each replace is a real one, whatever n is. */
static int step_replace(struct bctx *c, unsigned int i)
{
	(void)i;
	return mock_replace(c->fd, c->stdev, c->hwpt[c->replaces++ % 2]);
}

static int step_prepare(struct bctx *c, unsigned int i)
{
	__u64 addr = 0;
	int ret;

	(void)i;
	ret = prepare_msi(c->fd, c->stdev, &addr);
	return ret ?: (addr == PREPARE_EXPECT ? 0 : -EPROTO);
}

/* ---- edu workloads ---- */

/* Open edu, bind it to a new iommufd, an IOAS with memory. */
static int edu_open(struct bctx *c)
{
	int ret = edu_open_bind(&c->dev, &edu);

	return ret ?: ioas_with_mem(c->dev.iommufd, &c->eioas, &c->buf, BUF_SIZE, BUF_IOVA);
}

/* ...attached to the IOAS (@window: chosen first, 0 for the default), MSI on. */
static int edu_up_window(struct bctx *c, __u64 window)
{
	__u64 mb = 1;
	int ret = edu_open(c);

	if (!ret && window) {
		ret = iommu_option(c->dev.iommufd, c->dev.devid, OPT_SW_MSI_START,
				   IOMMU_OPTION_OP_SET, &window);
		if (!ret)
			ret = iommu_option(c->dev.iommufd, c->dev.devid, OPT_SW_MSI_SIZE,
					   IOMMU_OPTION_OP_SET, &mb);
	}
	if (!ret)
		ret = edu_attach(&c->dev, c->eioas, &c->attached);
	if (!ret)
		ret = edu_enable(&c->dev);
	if (!ret)
		ret = edu_msi_on(&c->dev);
	if (!ret && !edu_check_msi_addr(&c->dev, "before the workload",
					(window ?: SW_MSI_WINDOW) + DOORBELL_OFFSET,
					window ? "the chosen window" : "the default window"))
		ret = -EPROTO;
	return ret;
}

static int edu_up(struct bctx *c)
{
	return edu_up_window(c, 0);
}

static int edu_up_chosen(struct bctx *c)
{
	return edu_up_window(c, CHOSEN_WINDOW);
}

/* ...with two paging HWPTs of the IOAS, attached to the first, MSI on. */
static int edu_up_hwpts(struct bctx *c)
{
	int ret = edu_open(c);

	if (!ret)
		ret = hwpt_alloc(c->dev.iommufd, c->dev.devid, c->eioas, 0, &c->ehwpt[0]);
	if (!ret)
		ret = hwpt_alloc(c->dev.iommufd, c->dev.devid, c->eioas, 0, &c->ehwpt[1]);
	if (!ret)
		ret = edu_attach(&c->dev, c->ehwpt[0], &c->attached);
	if (!ret)
		ret = edu_enable(&c->dev);
	return ret ?: edu_msi_on(&c->dev);
}

static void edu_teardown(struct bctx *c)
{
	edu_close(&c->dev);
	if (c->buf)
		munmap(c->buf, BUF_SIZE);
}

static int step_edu_attach(struct bctx *c, unsigned int i)
{
	int ret;

	(void)i;
	ret = edu_attach(&c->dev, c->eioas, &c->attached);
	return ret ?: edu_detach(&c->dev);
}

static int step_edu_replace(struct bctx *c, unsigned int i)
{
	(void)i;
	return edu_attach(&c->dev, c->ehwpt[++c->replaces % 2], &c->attached);
}

static int step_msi_enable(struct bctx *c, unsigned int i)
{
	int ret;

	(void)i;
	ret = vfio_msi_eventfd(c->dev.devfd, -1);
	return ret ?: vfio_msi_eventfd(c->dev.devfd, c->dev.efd);
}

static int step_irq(struct bctx *c, unsigned int i)
{
	uint64_t extra = 0;
	uint32_t status;
	int ret;

	(void)i;
	ret = edu_irq_roundtrip(&c->dev, IRQ_TIMEOUT_MS, &status, &extra);
	if (ret <= 0)
		return ret ?: -ETIMEDOUT;
	return extra ? -EPROTO : 0;
}

static int step_window_option(struct bctx *c, unsigned int i)
{
	__u64 start = i % 2 ? CHOSEN_WINDOW : SW_MSI_WINDOW, got = 0;
	int ret;

	ret = iommu_option(c->dev.iommufd, c->dev.devid, OPT_SW_MSI_START,
			   IOMMU_OPTION_OP_SET, &start);
	if (!ret)
		ret = iommu_option(c->dev.iommufd, c->dev.devid, OPT_SW_MSI_START,
				   IOMMU_OPTION_OP_GET, &got);
	return ret ?: (got == start ? 0 : -EPROTO);
}

/* ---- nested (vIOMMU on the SMMUv3): the guest's vSTE bypasses stage 1 ---- */

#ifdef IOMMU_VIOMMU_ALLOC
static int viommu_up(struct bctx *c)
{
	struct iommu_viommu_alloc viommu = { .size = sizeof(viommu) };
	struct iommu_vdevice_alloc vdev = { .size = sizeof(vdev) };

	viommu.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
	viommu.dev_id = c->dev.devid;
	viommu.hwpt_id = c->s2;
	if (ioctl(c->dev.iommufd, IOMMU_VIOMMU_ALLOC, &viommu))
		return -errno;
	c->viommu = viommu.out_viommu_id;
	vdev.viommu_id = c->viommu;
	vdev.dev_id = c->dev.devid;
	vdev.virt_id = VSID;
	if (ioctl(c->dev.iommufd, IOMMU_VDEVICE_ALLOC, &vdev))
		return -errno;
	c->vdev = vdev.out_vdevice_id;
	return 0;
}

/* A nested HWPT: the guest's vSTE, bypass, or with @s1 stage-1 translate */
static int nested_alloc_ste(struct bctx *c, const struct smmu_s1 *s1)
{
	struct iommu_hwpt_arm_smmuv3 vste = { 0 };
	struct iommu_hwpt_alloc alloc = {
		.size = sizeof(alloc), .dev_id = c->dev.devid, .pt_id = c->viommu,
		.data_type = IOMMU_HWPT_DATA_ARM_SMMUV3, .data_len = sizeof(vste),
		.data_uptr = (uintptr_t)&vste,
	};

	if (s1)
		smmu_vste_s1(s1, vste.ste);
	else
		smmu_vste_bypass(vste.ste);
	if (ioctl(c->dev.iommufd, IOMMU_HWPT_ALLOC, &alloc))
		return -errno;
	c->nested = alloc.out_hwpt_id;
	return 0;
}

static int nested_alloc(struct bctx *c)
{
	return nested_alloc_ste(c, NULL);
}
#else
static int viommu_up(struct bctx *c)
{
	(void)c;
	return -EOPNOTSUPP;
}

static int nested_alloc(struct bctx *c)
{
	(void)c;
	return -EOPNOTSUPP;
}
#endif

/* edu on the nest parent (stage 2 = the IOAS), MSI on. */
static int nested_base(struct bctx *c)
{
	int ret = edu_open(c);

	if (!ret)
		ret = hwpt_alloc(c->dev.iommufd, c->dev.devid, c->eioas,
				 IOMMU_HWPT_ALLOC_NEST_PARENT, &c->s2);
	if (!ret)
		ret = edu_attach(&c->dev, c->s2, &c->attached);
	if (!ret)
		ret = edu_enable(&c->dev);
	return ret;
}

/* ...then the vIOMMU, vDEVICE and a nested HWPT (vSTE bypass), attached. */
static int nested_up(struct bctx *c)
{
	int ret = nested_base(c);

	if (!ret)
		ret = viommu_up(c);
	if (!ret)
		ret = nested_alloc(c);
	if (!ret)
		ret = edu_attach(&c->dev, c->nested, &c->attached);
	if (!ret)
		ret = edu_msi_on(&c->dev);
	if (!ret && !edu_check_msi_addr(&c->dev, "nested, before the workload",
					SW_MSI_WINDOW + DOORBELL_OFFSET, "the default window"))
		ret = -EPROTO;
	return ret;
}

static int nested_base_msi(struct bctx *c)
{
	return nested_base(c) ?: edu_msi_on(&c->dev);
}

/* The VMM's bring-up of a nested guest device, and back (MSI on). */
static int step_nested_attach(struct bctx *c, unsigned int i)
{
	int ret;

	(void)i;
	ret = viommu_up(c);
	if (!ret)
		ret = nested_alloc(c);
	if (!ret)
		ret = edu_attach(&c->dev, c->nested, &c->attached);
	if (!ret)
		ret = edu_attach(&c->dev, c->s2, &c->attached);
	if (!ret)
		ret = iommufd_destroy(c->dev.iommufd, c->nested);
	if (!ret)
		ret = iommufd_destroy(c->dev.iommufd, c->vdev);
	if (!ret)
		ret = iommufd_destroy(c->dev.iommufd, c->viommu);
	return ret;
}

/* ---- nested with the guest's own doorbell (IOMMU_VDEVICE_MSI_DOORBELL) ---- */

#ifdef HAVE_GUEST_DOORBELL
/* What the VMM gives for vector 0, and the removal of that entry */
static const struct iommu_msi_doorbell guest_db = {
	.msi_index = 0, .flags = IOMMU_MSI_DOORBELL_VALID,
	.iova = GUEST_DOORBELL_IOVA + DOORBELL_OFFSET, .nesting_parent_iova = GUEST_VITS_IPA,
};
static const struct iommu_msi_doorbell guest_db_none = { .msi_index = 0 };

static int guest_doorbell_set(struct bctx *c, const struct iommu_msi_doorbell *e)
{
	struct iommu_msi_doorbell db = *e;

	return vdev_doorbell(c->dev.iommufd, c->vdev, false, &db);
}

/* Vector 0's entry reads back as @e */
static int guest_doorbell_check(struct bctx *c, const struct iommu_msi_doorbell *e,
				const char *when)
{
	struct iommu_msi_doorbell db = { .msi_index = 0 };
	int ret = vdev_doorbell(c->dev.iommufd, c->vdev, true, &db);

	if (ret) {
		diag("IOMMU_VDEVICE_MSI_DOORBELL GET %s: %s", when, strerror(-ret));
		return ret;
	}
	if (db.flags != e->flags || db.iova != e->iova ||
	    db.nesting_parent_iova != e->nesting_parent_iova) {
		diag("IOMMU_VDEVICE_MSI_DOORBELL GET %s: flags 0x%x, IOVA 0x%llx, IPA 0x%llx; expected 0x%x, 0x%llx, 0x%llx",
		     when, db.flags, (unsigned long long)db.iova,
		     (unsigned long long)db.nesting_parent_iova, e->flags,
		     (unsigned long long)e->iova, (unsigned long long)e->nesting_parent_iova);
		return -EPROTO;
	}
	return 0;
}

/*
 * The guest's stage 1 in its RAM (mapped in the IOAS at TABLES_IPA): its
 * buffer at GUEST_BUF_IOVA, its doorbell IOVA to its vITS page, and
 * nothing of the window; the CD written and the guest's CFGI_CD forwarded
 * to the vIOMMU, as its SMMU driver does.
 */
static int guest_s1(struct bctx *c)
{
	struct iommu_viommu_arm_smmuv3_invalidate cmd;
	struct iommu_hwpt_invalidate inv = {
		.size = sizeof(inv), .hwpt_id = c->viommu, .data_uptr = (uintptr_t)&cmd,
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		.entry_len = sizeof(cmd), .entry_num = 1,
	};
	int ret;

	c->tables = anon_mem(TABLES_SIZE);
	if (!c->tables)
		return -ENOMEM;
	ret = iommufd_ioas_map(c->dev.iommufd, c->eioas, c->tables, TABLES_IPA, TABLES_SIZE);
	if (!ret)
		ret = smmu_s1_init(&c->s1, c->tables, TABLES_IPA, TABLES_SIZE, GUEST_ASID);
	if (!ret)
		ret = smmu_s1_map(&c->s1, GUEST_BUF_IOVA, BUF_IOVA, BUF_SIZE, S1_ATTR_MEM);
	if (!ret)
		ret = smmu_s1_map(&c->s1, GUEST_DOORBELL_IOVA, GUEST_VITS_IPA & ~(SMMU_S1_PAGE - 1),
				  SMMU_S1_PAGE, S1_ATTR_DEV);
	if (ret)
		return ret;
	smmu_s1_write_cd(&c->s1);
	smmu_cmd_cfgi_cd(cmd.cmd, VSID);
	return ioctl(c->dev.iommufd, IOMMU_HWPT_INVALIDATE, &inv) ? -errno : 0;
}

/*
 * edu as the VMM sets it up for a guest with its own doorbell
 * (msi-nested's nested_guest_doorbell): the host's window moved to
 * CHOSEN_WINDOW before any attach, the nest parent, vIOMMU, vDEVICE, the
 * guest's stage 1, a nested HWPT with its vSTE (stage-1 translate),
 * attached; MSI off, no entry.
 */
static int gd_base(struct bctx *c)
{
	__u64 window = CHOSEN_WINDOW;
	int ret = edu_open(c);

	if (!ret)
		ret = iommu_option(c->dev.iommufd, c->dev.devid, OPT_SW_MSI_START,
				   IOMMU_OPTION_OP_SET, &window);
	if (!ret)
		ret = hwpt_alloc(c->dev.iommufd, c->dev.devid, c->eioas,
				 IOMMU_HWPT_ALLOC_NEST_PARENT, &c->s2);
	if (!ret)
		ret = viommu_up(c);
	if (!ret)
		ret = guest_s1(c);
	if (!ret)
		ret = nested_alloc_ste(c, &c->s1);
	if (!ret)
		ret = edu_attach(&c->dev, c->nested, &c->attached);
	if (!ret)
		ret = edu_enable(&c->dev);
	return ret;
}

/* ...and a set and a removal of vector 0's entry checked (GET) to work. */
static int gd_setup(struct bctx *c)
{
	int ret = gd_base(c);

	if (!ret)
		ret = guest_doorbell_set(c, &guest_db);
	if (!ret)
		ret = guest_doorbell_check(c, &guest_db, "after the set");
	if (!ret)
		ret = guest_doorbell_set(c, &guest_db_none);
	return ret ?: guest_doorbell_check(c, &guest_db_none, "after the removal");
}

/*
 * ...with the entry given, MSI on: the device is programmed with the
 * guest's exact IOVA (device -> S1 -> IPA 0x8090040 -> S2 -> doorbell).
 */
static int gd_up(struct bctx *c)
{
	int ret = gd_base(c);

	if (!ret)
		ret = guest_doorbell_set(c, &guest_db);
	if (!ret)
		ret = guest_doorbell_check(c, &guest_db, "before MSI on");
	if (!ret)
		ret = edu_msi_on(&c->dev);
	if (!ret && !edu_check_msi_addr(&c->dev, "nested, guest doorbell, before the workload",
					guest_db.iova, "the guest's doorbell IOVA 0xc000000"))
		ret = -EPROTO;
	return ret;
}

/* MSI off, the entry removed, then as edu_teardown */
static void gd_teardown(struct bctx *c)
{
	if (c->dev.msi_on)
		edu_msi_off(&c->dev);
	if (c->vdev && c->dev.iommufd >= 0)
		guest_doorbell_set(c, &guest_db_none);
	edu_teardown(c);
	if (c->tables)
		munmap(c->tables, TABLES_SIZE);
}

/* The guest programs its vector's address, and takes it back: set + removal */
static int step_guest_doorbell(struct bctx *c, unsigned int i)
{
	(void)i;
	return guest_doorbell_set(c, &guest_db) ?: guest_doorbell_set(c, &guest_db_none);
}
#else
static int gd_setup(struct bctx *c)
{
	(void)c;
	return -EOPNOTSUPP;
}

static int gd_up(struct bctx *c)
{
	(void)c;
	return -EOPNOTSUPP;
}

static void gd_teardown(struct bctx *c)
{
	edu_teardown(c);
}

static int step_guest_doorbell(struct bctx *c, unsigned int i)
{
	(void)c, (void)i;
	return -EOPNOTSUPP;
}
#endif

/* ---- the table ---- */

struct workload {
	const char *name;
	const char *group;	/* mock | edu */
	const char *label;
	unsigned int needs;	/* F_* */
	const char *slot;	/* not measurable yet: why */
	unsigned int n;		/* iterations per batch (icount; wall: x20; smoke: /10) */
	int (*setup)(struct bctx *c);
	int (*step)(struct bctx *c, unsigned int i);
	void (*teardown)(struct bctx *c);
};

static const struct workload workloads[] = {
	{ "null_ioctl", "mock", "IOMMU_TEST_CMD with an unknown op: the ioctl floor",
	  0, NULL, 500, mock_setup, step_null, mock_teardown },
	{ "attach_plain", "mock",
	  "attach+detach of a mock device (create, bind, attach to the IOAS's domain, back), no MSI window",
	  0, NULL, 2, mock_setup, step_attach, mock_teardown },
	{ "attach_msi", "mock",
	  "the same, a device with the mock's SW_MSI window, a doorbell mapped in the domain",
	  F_MOCK_SW_MSI | F_PREPARE, NULL, 2, mock_setup_msi, step_attach, mock_teardown },
	{ "replace_plain", "mock", "replace between 2 paging HWPTs, no window",
	  0, NULL, 30, mock_setup, step_replace, mock_teardown },
	{ "replace_msi", "mock",
	  "replace between 2 paging HWPTs, SW_MSI window, one doorbell to install",
	  F_MOCK_SW_MSI | F_PREPARE, NULL, 30, mock_setup_msi, step_replace, mock_teardown },
	{ "prepare_msi", "mock",
	  "MSI prepare + compose (IOMMU_TEST_OP_MD_PREPARE_MSI), SW_MSI window, doorbell mapped",
	  F_MOCK_SW_MSI | F_PREPARE, NULL, 200, mock_setup_msi, step_prepare, mock_teardown },
	{ "edu_attach", "edu",
	  "attach+detach of edu to an IOAS (SMMUv3, default window; MSI off: no doorbell yet)",
	  F_EDU, NULL, 4, edu_open, step_edu_attach, edu_teardown },
	{ "edu_replace", "edu",
	  "replace of edu between 2 paging HWPTs, MSI on: the doorbell is installed each time",
	  F_EDU, NULL, 20, edu_up_hwpts, step_edu_replace, edu_teardown },
	{ "msi_enable", "edu",
	  "VFIO_DEVICE_SET_IRQS MSI disable + enable (ITS vector, iommu_dma_prepare_msi, compose)",
	  F_EDU, NULL, 3, edu_up, step_msi_enable, edu_teardown },
	{ "window_option", "edu",
	  "IOMMU_OPTION_SW_MSI_START set + get on edu, bound, not attached",
	  F_EDU | F_SW_MSI_OPT, NULL, 100, edu_open, step_window_option, edu_teardown },
	{ "guest_doorbell", "edu",
	  "IOMMU_VDEVICE_MSI_DOORBELL on edu's vDEVICE (nested, S1, window moved), no vector allocated: set vector 0's entry (IOVA 0xc000040 -> IPA 0x8090040; reserves the IPA page in the parent's IOAS) + remove it",
	  F_EDU | F_NESTED | F_GUEST_DOORBELL, NULL, 20, gd_setup, step_guest_doorbell, gd_teardown },
	{ "nested_attach", "edu",
	  "vIOMMU + vDEVICE + nested HWPT (vSTE bypass) alloc, attach, back to S2, destroy; MSI on",
	  F_EDU | F_NESTED, NULL, 8, nested_base_msi, step_nested_attach, edu_teardown },
	{ "irq_default", "edu",
	  "one delivered edu MSI (raise, SMMUv3, ITS LPI, eventfd, poll + read, ack): default window",
	  F_EDU, NULL, 100, edu_up, step_irq, edu_teardown },
	{ "irq_chosen", "edu",
	  "the same, window chosen with IOMMU_OPTION_SW_MSI_START (0xa000000, 1 MiB)",
	  F_EDU | F_SW_MSI_OPT, NULL, 100, edu_up_chosen, step_irq, edu_teardown },
	{ "irq_nested", "edu",
	  "the same through a nested HWPT (vIOMMU, vDEVICE, vSTE bypass), doorbell at the window",
	  F_EDU | F_NESTED, NULL, 100, nested_up, step_irq, edu_teardown },
	{ "irq_nested_doorbell", "edu",
	  "the same, nested with the guest's own doorbell: vSTE S1 translate, window moved to 0xa000000, IOMMU_VDEVICE_MSI_DOORBELL {0, IOVA 0xc000040, IPA 0x8090040}, the device programmed with 0xc000040",
	  F_EDU | F_NESTED | F_GUEST_DOORBELL, NULL, 100, gd_up, step_irq, gd_teardown },
};

/* ---- the measurement ---- */

static uint64_t ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* No console output of ours may be drained by the kernel inside a batch. */
static void quiet(void)
{
	fflush(stdout);
	tcdrain(STDOUT_FILENO);
}

static int run_batch(const struct workload *w, struct bctx *c, unsigned int n, uint64_t *ns)
{
	uint64_t t0 = ns_now();
	unsigned int i;
	int ret = 0;

	for (i = 0; i < n && !ret; i++)
		ret = w->step(c, i);
	*ns = ns_now() - t0;
	if (ret)
		diag("%s: iteration %u: %s", w->name, i - 1, strerror(-ret));
	return ret;
}

static bool run_workload(const struct workload *w)
{
	double v[32], sorted[32], value;
	unsigned int n, b, missing = w->needs & ~features, f;
	char line[512];
	size_t len;
	struct bctx c;
	uint64_t ns;
	int ret;

	printf("BENCH-WL %s %s %s%s%s%s\n", w->name, w->group, w->label,
	       w->slot ? " [slot: " : "", w->slot ?: "", w->slot ? "]" : "");
	if (w->slot) {
		diag("%s: a slot, not measured: %s", w->name, w->slot);
		printf("BENCH %s na slot\n", w->name);
		return true;
	}
	if (missing) {
		for (f = 0; !(missing & (1u << f)); f++)
			;
		diag("%s: not in this kernel: %s", w->name, feature_names[f]);
		printf("BENCH %s na not-in-kernel:%s\n", w->name, feature_names[f]);
		return true;
	}
	n = w->n * (icount ? 1 : 20) / scale ?: 1;
	memset(&c, 0, sizeof(c));
	c.fd = -1;
	edu_dev_init(&c.dev);
	ret = w->setup(&c);
	if (ret) {
		diag("%s: setup: %s", w->name, strerror(-ret));
		goto out;
	}
	quiet();
	/* Warm-up (caches, allocator, lazily set up state), untimed. */
	ret = run_batch(w, &c, n, &ns);
	for (b = 0; !ret && b < batches; b++) {
		ret = run_batch(w, &c, n, &ns);
		v[b] = (double)ns / n;
	}
	if (ret)
		goto out;
	memcpy(sorted, v, sizeof(v[0]) * batches);
	qsort(sorted, batches, sizeof(v[0]), cmp_double);
	/* The smallest batch (see the top of the file) */
	value = sorted[0];
	len = 0;
	for (b = 0; b < batches && len < sizeof(line) - 32; b++)
		len += snprintf(line + len, sizeof(line) - len, "%s%.1f", b ? "/" : "", v[b]);
	diag("%s: %u batches of %u, per iteration: %s %s", w->name, batches, n, line,
	     icount ? "instructions" : "ns");
	printf("BENCH %s %.1f %s %u %s\n", w->name, value, icount ? "insn" : "ns", n, line);
out:
	if (w->teardown)
		w->teardown(&c);
	return !ret;
}

int main(int argc, char **argv)
{
	unsigned int i;
	bool ok;

	for (i = 1; i < (unsigned int)argc; i++) {
		if (strstr(argv[i], "smoke"))
			scale = 10;
		if (strstr(argv[i], "icount"))
			icount = true;
	}
	if (scale > 1)
		batches = 3;
	ktap_plan(1 + ARRAY_SIZE(workloads));
	printf("BENCH-INFO mode %s\n", scale == 1 ? "full" : "smoke");
	printf("BENCH-INFO clock %s\n", icount ? "icount" : "wall");
	printf("BENCH-INFO batches %u\n", batches);
	ok = probe_mock() && probe_edu();
	for (i = 0; i < ARRAY_SIZE(feature_names); i++)
		printf("BENCH-INFO %s %d\n", feature_names[i], !!(features & (1u << i)));
	ktap_result(&results, "probe", ok);
	for (i = 0; i < ARRAY_SIZE(workloads); i++)
		ktap_result(&results, workloads[i].name, ok && run_workload(&workloads[i]));
	return ktap_totals(&results);
}
