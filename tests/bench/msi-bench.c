// SPDX-License-Identifier: GPL-2.0
/*
 * msi-bench - what the MSI doorbell series costs, measured in the arm64
 * QEMU guest the same way on the base kernel and on the patched one
 * (scripts/bench.sh boots both, interleaved, and compares the numbers).
 *
 * Workloads, each timed with clock_gettime(CLOCK_MONOTONIC) around many
 * iterations, in BATCHES batches after an untimed warm-up; the best batch
 * is reported (see best()):
 *
 *  null_ioctl        IOMMU_TEST_CMD with an unknown op: the ioctl floor
 *  attach_msi        create + bind + attach + detach + unbind + destroy of a
 *                    mock device with a software MSI window
 *                    (MOCK_FLAGS_DEVICE_SW_MSI), to the IOAS's existing
 *                    domain, which has a doorbell mapped
 *  attach_plain      the same with a mock device without the window
 *  replace_msi       IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE of a device with the
 *                    window and a prepared doorbell, between two paging HWPTs
 *  replace_plain     the same without the window (no doorbell)
 *  prepare_msi       IOMMU_TEST_OP_MD_PREPARE_MSI (iommu_dma_prepare_msi +
 *                    iommu_dma_compose_msi_msg) on the device with the window
 *  prepare_plain     the same on a device without the window
 *  edu_irqs          10,000 real MSIs from QEMU's edu device through the
 *                    SMMUv3 and the GICv3 ITS to an eventfd (VFIO cdev +
 *                    iommufd, default window), each raised and received
 *                    before the next, in 10 batches of 1,000: interrupts per
 *                    second of the best batch (edu_irqs_all: overall)
 *  msi_enable        VFIO_DEVICE_SET_IRQS enabling MSI with an eventfd
 *                    (disabled again, untimed, between two enables)
 *
 * Neither the base kernel nor any other tree's headers are needed beyond
 * <linux/iommufd.h> and <linux/vfio.h>, which both trees have: the selftest
 * command (drivers/iommu/iommufd/iommufd_test.h is not uAPI) is defined
 * here, and what the base kernel lacks is detected at run time:
 *  - MOCK_FLAGS_DEVICE_SW_MSI: rejected with EINVAL; the "_msi" workloads
 *    then use a device without the window, and say so (BENCH-INFO sw_msi 0);
 *  - IOMMU_TEST_OP_MD_PREPARE_MSI: EOPNOTSUPP; the prepare rows print "na".
 * An op that answers but does not do what it should (wrong composed address)
 * fails the run: numbers are only printed for what was checked to work.
 *
 * Output: KTAP (one case per workload) for the harness, and one line per
 * number for scripts/bench-report.py:
 *   BENCH <workload> <value> <unit>       (value "na": not in this kernel)
 *   BENCH-INFO <key> <value>
 * Arguments (after the init's "-f"): "smoke" runs a tenth of the
 * iterations in 3 batches.
 */
#define _GNU_SOURCE
#include "../lib/edu.h"

/* ---- the iommufd selftest command (iommufd_test.h, both trees) ---- */

/* Values of the 6.12 enum and of the series, which only appends to it. */
#define TEST_OP_MOCK_DOMAIN		2
#define TEST_OP_MOCK_DOMAIN_REPLACE	10
#define TEST_OP_MOCK_DOMAIN_FLAGS	12
#define TEST_OP_MD_PREPARE_MSI		17	/* series only */
#define TEST_OP_UNKNOWN			0xffff

#define MOCK_FLAGS_DEVICE_SW_MSI	(1u << 2)	/* series only */
#define MOCK_SW_MSI_START		(1ULL << 27)	/* series only */
#define MOCK_APERTURE_START		(1ULL << 24)

/* A fake doorbell (the virt machine's ITS page): only its address matters. */
#define MOCK_DOORBELL			0x08090040ULL
#define MOCK_DOORBELL_OFFSET		(MOCK_DOORBELL & 0xfffULL)

struct test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			__u32 dev_flags;
		} mock_domain_flags;
		struct {
			__u32 pt_id;
		} mock_domain_replace;
		struct {
			__aligned_u64 doorbell;
			__aligned_u64 out_msi_addr;
		} prepare_msi;
		/*
		 * Larger than the kernel's union (48 bytes in both trees): a
		 * longer command is accepted when its tail is zero, so this
		 * keeps working when the union grows.
		 */
		__u8 pad[128];
	};
	__u32 last;
};
#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)

/* ---- edu (QEMU docs/specs/edu.rst) ---- */

#define IRQ_TIMEOUT_MS		1000
#define BUF_IOVA		0x00100000ULL
#define BUF_SIZE		0x10000UL

/*
 * ---- iteration counts: totals over the batches (smoke: a tenth of them,
 * in 3 batches) ----
 */

#define BATCHES			15
#define N_NULL			150000
#define N_ATTACH		4500
#define N_REPLACE		60000
#define N_PREPARE		150000
#define N_IRQS			10000	/* not scaled: the issue asks for 10,000 */
#define IRQ_BATCHES		10
#define N_ENABLE		750

static unsigned int scale = 1, batches = BATCHES;
static struct ktap results;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * A boot's value for a workload is its best batch: under TCG the guest's
 * clock is the host's, and whatever else runs on the host (builds, other
 * guests) only ever makes a batch slower. The median is printed as well.
 */
static double best(const double *v, unsigned int n, bool highest)
{
	double r = v[0];
	unsigned int i;

	for (i = 1; i < n; i++)
		if (highest ? v[i] > r : v[i] < r)
			r = v[i];
	return r;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void result(const char *name, bool ok)
{
	ktap_result(&results, name, ok);
}

static void report(const char *name, double value, const char *unit)
{
	printf("BENCH %s %.1f %s\n", name, value, unit);
}

static void report_na(const char *name, const char *why)
{
	printf("BENCH %s na %s\n", name, why);
}

/* ---- mock workloads ---- */

static int test_cmd(int fd, struct test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOMMU_TEST_CMD, cmd) ? -errno : 0;
}

/* A mock device with @flags, bound and attached to @pt_id. */
static int mock_dev(int fd, __u32 pt_id, __u32 flags, __u32 *stdev, __u32 *idev)
{
	struct test_cmd cmd = { .op = TEST_OP_MOCK_DOMAIN_FLAGS, .id = pt_id };
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

static int replace(int fd, __u32 stdev, __u32 pt_id)
{
	struct test_cmd cmd = { .op = TEST_OP_MOCK_DOMAIN_REPLACE, .id = stdev };

	cmd.mock_domain_replace.pt_id = pt_id;
	return test_cmd(fd, &cmd);
}

static int prepare_msi(int fd, __u32 stdev, __u64 doorbell, __u64 *addr)
{
	struct test_cmd cmd = { .op = TEST_OP_MD_PREPARE_MSI, .id = stdev };
	int ret;

	cmd.prepare_msi.doorbell = doorbell;
	ret = test_cmd(fd, &cmd);
	if (!ret)
		*addr = cmd.prepare_msi.out_msi_addr;
	return ret;
}

static int hwpt_alloc(int fd, __u32 idev, __u32 ioas, __u32 *hwpt)
{
	struct iommu_hwpt_alloc a = { .size = sizeof(a), .dev_id = idev, .pt_id = ioas };

	if (ioctl(fd, IOMMU_HWPT_ALLOC, &a))
		return -errno;
	*hwpt = a.out_hwpt_id;
	return 0;
}

/* What this kernel supports, found out in probe(). */
static bool have_sw_msi, have_prepare;

/*
 * Detect MOCK_FLAGS_DEVICE_SW_MSI and IOMMU_TEST_OP_MD_PREPARE_MSI, and
 * check that they do what they should.
 */
static bool probe(void)
{
	__u32 ioas, stdev;
	__u64 addr;
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
		diag("mock device flag SW_MSI: rejected (EINVAL): this kernel has no software MSI window for mock devices; the _msi workloads use a device without it");
	} else if (ret) {
		diag("IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS(SW_MSI): %s", strerror(-ret));
		goto out;
	} else {
		have_sw_msi = true;
		ret = prepare_msi(fd, stdev, MOCK_DOORBELL, &addr);
		if (ret == -EOPNOTSUPP) {
			diag("IOMMU_TEST_OP_MD_PREPARE_MSI (%d): EOPNOTSUPP: no such op in this kernel", TEST_OP_MD_PREPARE_MSI);
		} else if (ret) {
			diag("IOMMU_TEST_OP_MD_PREPARE_MSI: %s", strerror(-ret));
			goto out;
		} else if (addr != MOCK_SW_MSI_START + MOCK_DOORBELL_OFFSET) {
			diag("IOMMU_TEST_OP_MD_PREPARE_MSI composed 0x%llx, expected window + offset 0x%llx: op %d is not what this program thinks",
			     (unsigned long long)addr,
			     (unsigned long long)(MOCK_SW_MSI_START + MOCK_DOORBELL_OFFSET),
			     TEST_OP_MD_PREPARE_MSI);
			goto out;
		} else {
			have_prepare = true;
		}
		iommufd_destroy(fd, stdev);
	}
	if (!have_sw_msi) {
		/* The op must not exist either then. */
		if ((ret = mock_dev(fd, ioas, 0, &stdev, NULL)))
			goto out;
		ret = prepare_msi(fd, stdev, MOCK_DOORBELL, &addr);
		iommufd_destroy(fd, stdev);
		if (ret != -EOPNOTSUPP) {
			diag("IOMMU_TEST_OP_MD_PREPARE_MSI without SW_MSI: %s, expected EOPNOTSUPP",
			     ret ? strerror(-ret) : "success");
			goto out;
		}
	}
	ok = true;
out:
	if (ret && !ok)
		diag("probe: %s", strerror(-ret));
	close(fd);
	printf("BENCH-INFO sw_msi %d\n", have_sw_msi);
	printf("BENCH-INFO prepare_msi_op %d\n", have_prepare);
	return ok;
}

/*
 * Run @fn(@ctx, @n / BATCHES) once to warm up, then BATCHES times timed;
 * report the best batch's time per iteration in ns. @fn returns 0 or a
 * negative errno.
 */
static bool timed(const char *name, unsigned int n, int (*fn)(void *, unsigned int), void *ctx)
{
	double v[BATCHES], t0, b0;
	unsigned int b;
	int ret;

	n = n / BATCHES / scale ? n / BATCHES / scale : 1;
	/* Warm up (caches, allocator, lazily set up state), untimed. */
	ret = fn(ctx, n);
	if (ret) {
		diag("%s: %s", name, strerror(-ret));
		return false;
	}
	for (b = 0; b < batches; b++) {
		t0 = now();
		ret = fn(ctx, n);
		v[b] = (now() - t0) * 1e9 / n;
		if (ret) {
			diag("%s: %s", name, strerror(-ret));
			return false;
		}
	}
	b0 = best(v, batches, false);
	diag("%s: %u x %u iterations, ns per iteration: best batch %.0f, median %.0f", name,
	     batches, n, b0, median(v, batches));
	report(name, b0, "ns");
	return true;
}

struct mock_ctx {
	int fd;
	__u32 ioas;
	__u32 flags;
	__u32 stdev;
	__u32 hwpt[2];
};

static int do_null(void *p, unsigned int n)
{
	struct mock_ctx *c = p;
	struct test_cmd cmd = { .op = TEST_OP_UNKNOWN };
	unsigned int i;

	for (i = 0; i < n; i++)
		if (test_cmd(c->fd, &cmd) != -EOPNOTSUPP)
			return -EPROTO;
	return 0;
}

static int do_attach(void *p, unsigned int n)
{
	struct mock_ctx *c = p;
	unsigned int i;
	__u32 stdev;
	int ret;

	for (i = 0; i < n; i++) {
		ret = mock_dev(c->fd, c->ioas, c->flags, &stdev, NULL);
		if (ret)
			return ret;
		ret = iommufd_destroy(c->fd, stdev);
		if (ret)
			return ret;
	}
	return 0;
}

static int do_replace(void *p, unsigned int n)
{
	struct mock_ctx *c = p;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = replace(c->fd, c->stdev, c->hwpt[i % 2]);
		if (ret)
			return ret;
	}
	return 0;
}

static int do_prepare(void *p, unsigned int n)
{
	struct mock_ctx *c = p;
	__u64 want = c->flags ? MOCK_SW_MSI_START + MOCK_DOORBELL_OFFSET : MOCK_DOORBELL;
	unsigned int i;
	__u64 addr = 0;
	int ret;

	for (i = 0; i < n; i++) {
		ret = prepare_msi(c->fd, c->stdev, MOCK_DOORBELL, &addr);
		if (ret)
			return ret;
	}
	/* The last answer must be right (checked once, outside the timing). */
	return addr == want ? 0 : -EPROTO;
}

static bool mock_setup(struct mock_ctx *c, __u32 flags)
{
	__u32 idev;
	__u64 addr;
	int ret;

	memset(c, 0, sizeof(*c));
	c->flags = flags;
	c->fd = open("/dev/iommu", O_RDWR);
	if (c->fd < 0) {
		diag("open /dev/iommu: %s", strerror(errno));
		return false;
	}
	if ((ret = iommufd_ioas_alloc(c->fd, &c->ioas)) ||
	    (ret = mock_dev(c->fd, c->ioas, flags, &c->stdev, &idev)) ||
	    (ret = hwpt_alloc(c->fd, idev, c->ioas, &c->hwpt[0])) ||
	    (ret = hwpt_alloc(c->fd, idev, c->ioas, &c->hwpt[1]))) {
		diag("mock setup (flags 0x%x): %s", flags, strerror(-ret));
		close(c->fd);
		return false;
	}
	/*
	 * With the window: a doorbell is mapped in the device's domain, so
	 * that replace has a doorbell to install in the new one.
	 */
	if (have_prepare && flags) {
		ret = prepare_msi(c->fd, c->stdev, MOCK_DOORBELL, &addr);
		if (ret) {
			diag("prepare MSI: %s", strerror(-ret));
			close(c->fd);
			return false;
		}
	}
	return true;
}

static void mock_workloads(void)
{
	__u32 msi_flags = have_sw_msi ? MOCK_FLAGS_DEVICE_SW_MSI : 0;
	struct mock_ctx c;
	bool ok;

	if (!mock_setup(&c, 0)) {
		result("null_ioctl", false);
		result("attach_plain", false);
		result("replace_plain", false);
		result("prepare_plain", false);
	} else {
		result("null_ioctl", timed("null_ioctl", N_NULL, do_null, &c));
		/*
		 * attach: the resident device keeps the IOAS's auto domain, so
		 * the new device attaches to it rather than allocating one.
		 */
		result("attach_plain", timed("attach_plain", N_ATTACH, do_attach, &c));
		result("replace_plain", timed("replace_plain", N_REPLACE, do_replace, &c));
		if (have_prepare)
			ok = timed("prepare_plain", N_PREPARE, do_prepare, &c);
		else
			ok = true, report_na("prepare_plain", "no-such-op");
		result("prepare_plain", ok);
		close(c.fd);
	}

	if (!mock_setup(&c, msi_flags)) {
		result("attach_msi", false);
		result("replace_msi", false);
		result("prepare_msi", false);
		return;
	}
	result("attach_msi", timed("attach_msi", N_ATTACH, do_attach, &c));
	result("replace_msi", timed("replace_msi", N_REPLACE, do_replace, &c));
	if (have_prepare)
		ok = timed("prepare_msi", N_PREPARE, do_prepare, &c);
	else
		ok = true, report_na("prepare_msi", "no-such-op");
	result("prepare_msi", ok);
	close(c.fd);
}

/* ---- edu end to end ---- */

struct edu {
	struct edu_dev dev;
	void *buf;
};

static void edu_teardown(struct edu *e)
{
	edu_close(&e->dev);
	if (e->buf)
		munmap(e->buf, BUF_SIZE);
}

/* As msi-e2e does it: bind, IOAS with memory, attach, BAR0, eventfd. */
static int edu_setup(struct edu *e)
{
	struct edu_loc loc;
	__u32 ioas, hwpt;
	int ret;

	edu_dev_init(&e->dev);
	ret = edu_locate(&loc);
	if (!ret)
		ret = edu_open_bind(&e->dev, &loc);
	if (!ret)
		ret = ioas_with_mem(e->dev.iommufd, &ioas, &e->buf, BUF_SIZE, BUF_IOVA);
	if (!ret)
		ret = edu_attach(&e->dev, ioas, &hwpt);
	if (!ret)
		ret = edu_enable(&e->dev);
	return ret ?: edu_msi_on(&e->dev);
}

/* One MSI raised and received; -ETIMEDOUT if it did not arrive. */
static int irq_roundtrip(struct edu *e)
{
	uint64_t extra = 0;
	uint32_t status;
	int ret;

	ret = edu_irq_roundtrip(&e->dev, IRQ_TIMEOUT_MS, &status, &extra);
	if (ret <= 0)
		return ret ?: -ETIMEDOUT;
	return extra ? -EPROTO : 0;
}

static int set_msi(struct edu *e, int fd)
{
	return vfio_msi_eventfd(e->dev.devfd, fd);
}

static void edu_workloads(void)
{
	double v[BATCHES], vi[IRQ_BATCHES], t0, secs;
	unsigned int i, b, n;
	struct edu e;
	int ret;

	memset(&e, 0, sizeof(e));
	ret = edu_setup(&e);
	if (ret) {
		diag("edu setup: %s", strerror(-ret));
		result("edu_irqs", false);
		result("msi_enable", false);
		edu_teardown(&e);
		return;
	}

	/* 100 interrupts first: delivery works, and is warm. */
	for (i = 0, ret = 0; !ret && i < 100; i++)
		ret = irq_roundtrip(&e);
	/*
	 * N_IRQS in IRQ_BATCHES batches: the overall rate, and the median
	 * batch's, which a burst of host load during one batch does not move.
	 */
	secs = 0;
	for (b = 0; !ret && b < IRQ_BATCHES; b++) {
		t0 = now();
		for (i = 0; !ret && i < N_IRQS / IRQ_BATCHES; i++)
			ret = irq_roundtrip(&e);
		vi[b] = now() - t0;
		secs += vi[b];
		vi[b] = N_IRQS / IRQ_BATCHES / vi[b];
	}
	if (ret) {
		diag("edu_irqs: batch %u, interrupt %u: %s", b, i, strerror(-ret));
	} else {
		double top = best(vi, IRQ_BATCHES, true);

		diag("edu_irqs: %u interrupts in %.3f s, none lost: %.0f per second; of %u batches: best %.0f, median %.0f",
		     N_IRQS, secs, N_IRQS / secs, IRQ_BATCHES, top, median(vi, IRQ_BATCHES));
		report("edu_irqs", top, "per-s");
		report("edu_irqs_all", N_IRQS / secs, "per-s");
	}
	result("edu_irqs", !ret);

	n = N_ENABLE / BATCHES / scale ? N_ENABLE / BATCHES / scale : 1;
	for (b = 0; !ret && b < batches; b++) {
		double sum = 0;

		for (i = 0; !ret && i < n; i++) {
			if ((ret = set_msi(&e, -1)))
				break;
			t0 = now();
			ret = set_msi(&e, e.dev.efd);
			sum += now() - t0;
		}
		v[b] = sum * 1e6 / n;
	}
	/* And MSIs still arrive after all that. */
	if (!ret)
		ret = irq_roundtrip(&e);
	if (ret) {
		diag("msi_enable: %s", strerror(-ret));
	} else {
		double b0 = best(v, batches, false);

		diag("msi_enable: %u x %u enables, us each: best batch %.1f, median %.1f", batches, n,
		     b0, median(v, batches));
		report("msi_enable", b0, "us");
	}
	result("msi_enable", !ret);
	edu_teardown(&e);
}

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "smoke")) {
			scale = 10;
			batches = 3;
		}
	ktap_plan(10);
	printf("BENCH-INFO mode %s\n", scale == 1 ? "full" : "smoke");
	printf("BENCH-INFO batches %u\n", batches);
	if (!probe()) {
		result("probe", false);
		for (i = 0; i < 9; i++)
			result("skipped-after-probe-failure", false);
	} else {
		result("probe", true);
		mock_workloads();
		edu_workloads();
	}
	return ktap_totals(&results);
}
