// SPDX-License-Identifier: GPL-2.0
/*
 * msi-e2e - end-to-end test of MSI delivery for a VFIO device on iommufd.
 *
 * Runs inside the arm64 QEMU guest (virt, GICv3 + ITS, SMMUv3, -device edu).
 * It drives QEMU's "edu" PCI device from userspace the way a VMM would:
 * bind it to vfio-pci, open its VFIO cdev, bind it to an iommufd, attach it
 * to an IOAS, enable MSI with an eventfd and make the device raise
 * interrupts through its BAR0 (QEMU docs/specs/edu.rst).
 *
 * What it proves:
 *  - default_window: with nothing asked for, the kernel maps the ITS doorbell
 *    (GITS_TRANSLATER, physical 0x08090040) at the default software MSI
 *    window, so the device's MSI address (read from the real config space)
 *    is 0x8000000 + 0x40, and interrupts arrive on the eventfd.
 *  - many_interrupts: 10,000 interrupts in a row, none lost.
 *  - replace: after VFIO_DEVICE_ATTACH_IOMMUFD_PT moves the device to the
 *    domain of another IOAS (1,000 times, back and forth), every interrupt
 *    raised after each replace still arrives, and DMA goes through the new
 *    IOAS. On a kernel without the MSI doorbell series this case fails: the
 *    doorbell is not mapped in the new domain, the SMMU drops the MSI write
 *    (event 0x10 at IOVA 0x8000040). That failure is the negative control.
 *  - chosen_window: IOMMU_OPTION_SW_MSI_START/_SIZE move the device's MSI
 *    window before attach; the device is programmed with the new window
 *    plus the doorbell offset, interrupts arrive, and the default window is
 *    free for an IOAS mapping.
 *  - colliding_window: a window over IOVA the IOAS has mapped makes the
 *    attach fail with EADDRINUSE; nothing changed, the device attaches with
 *    the default window and interrupts arrive.
 *  The last two need the series' uAPI: on the base kernel they fail.
 *  - group_peer_gone: two edu functions of one slot share an iommu group
 *    (QEMU -device edu,addr=3.0,multifunction=on -device edu,addr=3.1;
 *    the other cases use the first edu, 00:02.0, alone in its group).
 *    Both are bound to one iommufd and attached to one IOAS (one HWPT);
 *    then A, the one that attached the group, detaches and is closed, and
 *    B enables MSI: its address is the window's, all its interrupts arrive
 *    and DMA works. The attach handle's idev is A's: on a kernel without
 *    the fix (mainline patch 1), iommufd_sw_msi() reads the freed A while
 *    B's vector is allocated; the MSIs still arrive, so what fails there
 *    is KASAN's "slab-use-after-free in iommufd_sw_msi", which the harness
 *    reports as kernel trouble. It needs a KASAN kernel to be seen.
 *
 * Each case sets the device up from scratch and tears it down again, so a
 * case that breaks interrupt delivery cannot poison the next one.
 *
 * Output is KTAP; the exit code is non-zero when a case failed.
 */
#define _GNU_SOURCE
#include "../lib/edu.h"

/*
 * The series' per-device options (include/uapi/linux/iommufd.h), spelled
 * out so that this also builds against the base tree's headers.
 */
#define OPT_SW_MSI_START	2
#define OPT_SW_MSI_SIZE		3
/* A window of our choosing, 1 MiB, away from the default and the buffer */
#define CHOSEN_WINDOW		0x0a000000ULL
#define CHOSEN_WINDOW_MB	1

/*
 * Memory mapped into each IOAS for DMA. edu masks DMA addresses to 28 bits,
 * and the IOVA must stay clear of the MSI window.
 */
#define BUF_IOVA		0x00100000ULL
#define BUF_SIZE		0x10000UL

#define DEFAULT_IRQS		10
#define MANY_IRQS		10000
#define REPLACES		1000

struct e2e {
	struct edu_dev dev;
	__u32 ioas[2];
	__u32 hwpt;
	void *buf[2];
	uint64_t window;
};

static struct edu_loc edu;

static int ioas_alloc_map(struct e2e *e, int idx)
{
	int ret;

	ret = ioas_with_mem(e->dev.iommufd, &e->ioas[idx], &e->buf[idx], BUF_SIZE, BUF_IOVA);
	if (ret)
		return ret;
	diag("IOAS %u: mapped %lu KiB of memory at IOVA 0x%llx", e->ioas[idx],
	     BUF_SIZE >> 10, (unsigned long long)BUF_IOVA);
	return 0;
}

static int option(struct e2e *e, __u32 option_id, __u16 op, uint64_t *val)
{
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = option_id,
		.op = op,
		.object_id = e->dev.devid,
		.val64 = *val,
	};

	if (ioctl(e->dev.iommufd, IOMMU_OPTION, &opt))
		return -errno;
	*val = opt.val64;
	return 0;
}

static int set_option(struct e2e *e, __u32 option_id, uint64_t val)
{
	return option(e, option_id, IOMMU_OPTION_OP_SET, &val);
}

/* Choose the MSI window of the device (size in MiB) and read it back. */
static int set_window(struct e2e *e, uint64_t start, uint64_t size_mb)
{
	uint64_t got_start = 0, got_size = 0;
	int ret;

	ret = set_option(e, OPT_SW_MSI_START, start);
	if (!ret)
		ret = set_option(e, OPT_SW_MSI_SIZE, size_mb);
	if (ret) {
		diag("IOMMU_OPTION_SW_MSI_START/SIZE 0x%llx, %llu MiB: %s",
		     (unsigned long long)start, (unsigned long long)size_mb, strerror(-ret));
		return ret;
	}
	if (option(e, OPT_SW_MSI_START, IOMMU_OPTION_OP_GET, &got_start) ||
	    option(e, OPT_SW_MSI_SIZE, IOMMU_OPTION_OP_GET, &got_size) ||
	    got_start != start || got_size != size_mb) {
		diag("the window reads back as 0x%llx, %llu MiB",
		     (unsigned long long)got_start, (unsigned long long)got_size);
		return -EIO;
	}
	diag("MSI window of iommufd dev %u set to [0x%llx, 0x%llx)", e->dev.devid,
	     (unsigned long long)start, (unsigned long long)(start + (size_mb << 20)));
	return 0;
}

static void teardown(struct e2e *e)
{
	int i;

	edu_close(&e->dev);
	for (i = 0; i < 2; i++)
		if (e->buf[i])
			munmap(e->buf[i], BUF_SIZE);
	memset(e, 0, sizeof(*e));
	edu_dev_init(&e->dev);
}

/*
 * Open the device, bind it to a new iommufd and give it a fresh IOAS with
 * memory mapped; on failure everything is torn down.
 */
static int open_bind(struct e2e *e)
{
	memset(e, 0, sizeof(*e));
	if (edu_open_bind(&e->dev, &edu) || ioas_alloc_map(e, 0)) {
		teardown(e);
		return -1;
	}
	return 0;
}

/*
 * Open and bind, choose the MSI window @window (0: the default), attach to
 * the IOAS, enable memory decoding and bus mastering, map BAR0 and enable
 * MSI with an eventfd; on failure everything is torn down.
 */
static int setup_window(struct e2e *e, uint64_t window)
{
	if (open_bind(e))
		return -1;
	e->window = SW_MSI_WINDOW;
	if (window) {
		if (set_window(e, window, CHOSEN_WINDOW_MB))
			goto err;
		e->window = window;
	}
	if (edu_attach_first(&e->dev, "IOAS", e->ioas[0], &e->hwpt) ||
	    edu_enable(&e->dev) || edu_msi_on(&e->dev))
		goto err;
	return 0;

err:
	teardown(e);
	return -1;
}

static int setup(struct e2e *e)
{
	return setup_window(e, 0);
}

static bool check_msi_addr(struct e2e *e, const char *when)
{
	char why[32];

	snprintf(why, sizeof(why), "window 0x%llx", (unsigned long long)e->window);
	return edu_check_msi_addr(&e->dev, when, e->window + DOORBELL_OFFSET, why);
}

/*
 * DMA through IOAS @idx (@ctx: the struct e2e): both IOASes map their own
 * buffer at the same IOVA, so the pattern coming back proves the device
 * translates through @idx.
 */
static bool dma_through(void *ctx, unsigned int idx)
{
	struct e2e *e = ctx;
	char via[24];

	snprintf(via, sizeof(via), "IOAS %u", e->ioas[idx]);
	return edu_dma_roundtrip(&e->dev, e->buf[idx], BUF_IOVA, via);
}

/* A fresh setup (@when) has the default window's doorbell, its MSIs arrive. */
static bool default_window_irqs(const char *name, const char *when)
{
	struct e2e e;
	bool ok;

	if (setup(&e))
		return false;
	ok = check_msi_addr(&e, when);
	ok &= edu_irqs_all(&e.dev, name, DEFAULT_IRQS);
	teardown(&e);
	return ok;
}

static bool test_default_window(void)
{
	return default_window_irqs("default_window", "as programmed");
}

static bool test_many_interrupts(void)
{
	struct e2e e;
	bool ok;

	if (setup(&e))
		return false;
	ok = edu_irqs_timed(&e.dev, "many_interrupts", MANY_IRQS);
	teardown(&e);
	return ok;
}

static bool test_replace(void)
{
	struct edu_replace r = { .name = "replace", .kind = "IOAS", .dma = dma_through };
	struct e2e e;

	if (setup(&e))
		return false;
	if (ioas_alloc_map(&e, 1)) {
		teardown(&e);
		return false;
	}
	r.pt[0] = e.ioas[0];
	r.pt[1] = e.ioas[1];
	r.hwpt = &e.hwpt;
	r.ctx = &e;
	check_msi_addr(&e, "before the first replace");
	if (edu_replaces(&e.dev, &r, REPLACES)) {
		teardown(&e);
		return false;
	}
	check_msi_addr(&e, "after the replaces");
	irq_stats_print("replace", &r.st);
	teardown(&e);
	return r.ok;
}

/* Map one page of the IOAS's buffer at @iova. */
static int map_at(struct e2e *e, int idx, uint64_t iova)
{
	return iommufd_ioas_map(e->dev.iommufd, e->ioas[idx], e->buf[idx], iova, 4096);
}

static bool test_chosen_window(void)
{
	struct e2e e;
	bool ok;
	int ret;

	if (setup_window(&e, CHOSEN_WINDOW))
		return false;
	ok = check_msi_addr(&e, "as programmed");
	ok &= edu_irqs_all(&e.dev, "chosen_window", DEFAULT_IRQS);
	/* The default window is not reserved any more, the chosen one is */
	ret = map_at(&e, 0, SW_MSI_WINDOW);
	diag("IOAS map at the default window 0x%llx: %s (expected success)",
	     (unsigned long long)SW_MSI_WINDOW, ret ? strerror(-ret) : "ok");
	if (ret)
		ok = false;
	ret = map_at(&e, 0, CHOSEN_WINDOW);
	diag("IOAS map at the chosen window 0x%llx: %s (expected %s)",
	     (unsigned long long)CHOSEN_WINDOW, ret ? strerror(-ret) : "ok",
	     strerror(EINVAL));
	if (ret != -EINVAL)
		ok = false;
	teardown(&e);
	return ok;
}

/* Attach with a window over IOVA the IOAS maps: EADDRINUSE, nothing changes. */
static bool test_colliding_window(void)
{
	uint64_t def_start = 0, def_mb = 0;
	struct e2e e;
	bool ok = true;
	int ret;

	if (open_bind(&e))
		return false;
	/* The driver's window, to put back: GET tells it before any SET */
	if (option(&e, OPT_SW_MSI_START, IOMMU_OPTION_OP_GET, &def_start) ||
	    option(&e, OPT_SW_MSI_SIZE, IOMMU_OPTION_OP_GET, &def_mb)) {
		diag("IOMMU_OPTION_SW_MSI_START/SIZE GET: %s", strerror(errno));
		teardown(&e);
		return false;
	}
	/* The window takes the IOAS's buffer at BUF_IOVA */
	if (set_window(&e, BUF_IOVA & ~0xfffffULL, 1)) {
		teardown(&e);
		return false;
	}
	ret = edu_attach(&e.dev, e.ioas[0], &e.hwpt);
	diag("attach with the window over the IOAS's mapping at 0x%llx: %s (expected %s)",
	     (unsigned long long)BUF_IOVA, ret ? strerror(-ret) : "attached",
	     strerror(EADDRINUSE));
	if (ret != -EADDRINUSE)
		ok = false;
	/* The refused attach left the binding usable: back to the default */
	ret = set_window(&e, def_start, def_mb);
	if (!ret)
		ret = edu_attach(&e.dev, e.ioas[0], &e.hwpt);
	diag("same binding, default window: %s", ret ? strerror(-ret) : "attached");
	if (ret)
		ok = false;
	teardown(&e);
	if (!ok)
		return false;

	/* And a full setup of the device gets its MSIs through */
	return default_window_irqs("colliding_window", "after the refused window");
}

/*
 * A and B in one group on one iommufd and IOAS; A attaches first, so the
 * group's attach handle records A. A detaches and is closed (unbound, its
 * iommufd_device freed); B then allocates an MSI vector, which makes the
 * ITS prepare the doorbell through iommufd_sw_msi() with that handle.
 */
static bool test_group_peer_gone(void)
{
	struct edu_loc loc[2];
	struct edu_dev b;
	__u32 hwpt_b = 0;
	struct e2e e;
	bool ok = true;
	int ret;

	if (edu_locate_group_pair(loc))
		return false;
	memset(&e, 0, sizeof(e));
	edu_dev_init(&b);
	if (edu_open_bind_to(&e.dev, &loc[0], -1) || ioas_alloc_map(&e, 0) ||
	    edu_open_bind_to(&b, &loc[1], e.dev.iommufd) ||
	    edu_attach_first(&e.dev, "IOAS", e.ioas[0], &e.hwpt) ||
	    edu_attach_first(&b, "IOAS", e.ioas[0], &hwpt_b)) {
		ok = false;
		goto out;
	}
	if (hwpt_b != e.hwpt) {
		diag("B is on hwpt %u, A on %u: not one attachment of the group", hwpt_b, e.hwpt);
		ok = false;
		goto out;
	}

	ret = edu_detach(&e.dev);
	diag("A (%s) detached: %s", loc[0].bdf, ret ? strerror(-ret) : "ok");
	if (ret) {
		ok = false;
		goto out;
	}
	/* The IOAS (and the iommufd) stay: B holds its own descriptor */
	edu_close(&e.dev);
	diag("A closed: unbound from the iommufd; B (%s) stays attached to hwpt %u",
	     loc[1].bdf, hwpt_b);

	if (edu_enable(&b) || edu_msi_on(&b)) {
		ok = false;
		goto out;
	}
	ok &= edu_check_msi_addr(&b, "of B as programmed", SW_MSI_WINDOW + DOORBELL_OFFSET,
				 "the default window");
	ok &= edu_irqs_all(&b, "group_peer_gone", DEFAULT_IRQS);
	ok &= edu_dma_roundtrip(&b, e.buf[0], BUF_IOVA, "the IOAS, B alone in the group");
out:
	edu_close(&b);
	teardown(&e);
	return ok;
}

/* replace last: on a broken kernel it is the one that loses interrupts */
KTAP_MAIN("msi-e2e", edu_ready, &edu,
	  KTAP_CASE(default_window), KTAP_CASE(many_interrupts), KTAP_CASE(chosen_window),
	  KTAP_CASE(colliding_window), KTAP_CASE(group_peer_gone), KTAP_CASE(replace))
