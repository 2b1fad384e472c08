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
 *  - doorbell_busy: IOMMU_OPTION_MSI_DOORBELL_IOVA cannot change while the
 *    device has MSI vectors (EBUSY, checked against the ITS-allocated
 *    vector); with MSI disabled it can, and on a paging HWPT (no stage 1)
 *    the re-enabled vector still uses the window IOVA.
 *  The last three need the series' uAPI: on the base kernel they fail.
 *
 * Each case sets the device up from scratch and tears it down again, so a
 * case that breaks interrupt delivery cannot poison the next one.
 *
 * Output is KTAP; the exit code is non-zero when a case failed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "../lib/edu.h"


/* edu BAR0 registers (QEMU docs/specs/edu.rst) */
#define EDU_REG_ID		0x00
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64
#define EDU_REG_DMA_SRC		0x80
#define EDU_REG_DMA_DST		0x88
#define EDU_REG_DMA_COUNT	0x90
#define EDU_REG_DMA_CMD		0x98
#define  EDU_DMA_RUN		0x1
#define  EDU_DMA_TO_RAM		0x2
/* The device's internal DMA buffer, 4 KiB, as seen in its DMA registers */
#define EDU_DMA_BUF		0x40000

#define IRQ_VALUE		0x1

/*
 * The ITS doorbell (GITS_TRANSLATER) of the virt machine, and the default
 * software MSI window of arm-smmu-v3 (MSI_IOVA_BASE). dma-iommu maps the
 * doorbell at IOMMU granule (4 KiB) size, so the device sees the window
 * plus the doorbell's offset inside its 4 KiB page.
 */
#define ITS_TRANSLATER_PHYS	0x08090040ULL
#define IOMMU_GRANULE		0x1000ULL
#define SW_MSI_WINDOW		0x08000000ULL
#define DOORBELL_OFFSET		(ITS_TRANSLATER_PHYS & (IOMMU_GRANULE - 1))
#define EXPECTED_MSI_ADDR	(SW_MSI_WINDOW + DOORBELL_OFFSET)

/*
 * The series' per-device options (include/uapi/linux/iommufd.h), spelled
 * out so that this also builds against the base tree's headers.
 */
#define OPT_SW_MSI_START	2
#define OPT_SW_MSI_SIZE		3
#define OPT_MSI_DOORBELL_IOVA	4
/* A window of our choosing, 1 MiB, away from the default and the buffer */
#define CHOSEN_WINDOW		0x0a000000ULL
#define CHOSEN_WINDOW_MB	1
/* A stage-1 doorbell IOVA, as a nested guest would give */
#define GUEST_DOORBELL_IOVA	0x0c000000ULL

/*
 * Memory mapped into each IOAS for DMA. edu masks DMA addresses to 28 bits,
 * and the IOVA must stay clear of the MSI window.
 */
#define BUF_IOVA		0x00100000ULL
#define BUF_SIZE		0x10000UL
#define DMA_LEN			64
#define DMA_BACK		0x800

#define IRQ_TIMEOUT_MS		200
#define DMA_TIMEOUT_MS		2000
#define DEFAULT_IRQS		10
#define MANY_IRQS		10000
#define REPLACES		1000
/* Stop a case after this many lost interrupts: each one costs a timeout. */
#define MAX_LOST		5
/* Print details for this many losses at most. */
#define SHOW_LOST		3

struct e2e {
	char bdf[32];
	int iommufd;
	int devfd;
	int efd;
	__u32 devid;
	__u32 ioas[2];
	__u32 hwpt;
	void *buf[2];
	uint64_t window;
	volatile uint8_t *bar0;
	size_t bar0_size;
	uint64_t cfg_offset;
};

static char edu_bdf[32];
static char edu_vfio[32];

static void print_msi_window(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX], line[128], group[32];
	const char *slash;
	ssize_t n;
	FILE *f;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		diag("%s has no iommu group", bdf);
		return;
	}
	link[n] = '\0';
	slash = strrchr(link, '/');
	if (copy_name(group, sizeof(group), slash ? slash + 1 : link))
		return;
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%s/reserved_regions", group);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		diag("iommu group %s reserved region: %s", group, line);
	}
	fclose(f);
}

/*
 * The MSI address and data the kernel programmed into the device. The VFIO
 * config region virtualizes the MSI capability (it reads back 0), so read
 * the device's real config space through sysfs.
 */
static int read_msi_msg(const char *bdf, uint64_t *addr, uint32_t *data, bool *enabled)
{
	uint8_t cfg[256];
	char path[PATH_MAX];
	unsigned int pos, ttl = 48;
	uint16_t flags;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/config", bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = pread(fd, cfg, sizeof(cfg), 0);
	close(fd);
	if (n < (ssize_t)sizeof(cfg))
		return -EIO;
	if (!(cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST))
		return -ENOENT;

	for (pos = cfg[PCI_CAPABILITY_LIST] & ~3u; pos && ttl--; pos = cfg[pos + 1] & ~3u) {
		if (pos > sizeof(cfg) - 16)
			return -EIO;
		if (cfg[pos] != PCI_CAP_ID_MSI)
			continue;
		flags = cfg[pos + PCI_MSI_FLAGS] | cfg[pos + PCI_MSI_FLAGS + 1] << 8;
		*enabled = flags & PCI_MSI_FLAGS_ENABLE;
		memcpy(addr, &cfg[pos + PCI_MSI_ADDRESS_LO], 4);
		*addr &= 0xffffffffULL;
		if (flags & PCI_MSI_FLAGS_64BIT) {
			uint32_t hi;

			memcpy(&hi, &cfg[pos + PCI_MSI_ADDRESS_HI], 4);
			*addr |= (uint64_t)hi << 32;
			*data = cfg[pos + PCI_MSI_DATA_64] | cfg[pos + PCI_MSI_DATA_64 + 1] << 8;
		} else {
			*data = cfg[pos + PCI_MSI_DATA_32] | cfg[pos + PCI_MSI_DATA_32 + 1] << 8;
		}
		return 0;
	}
	return -ENOENT;
}

static uint32_t edu_read32(struct e2e *e, unsigned int reg)
{
	return *(volatile uint32_t *)(e->bar0 + reg);
}

static void edu_write32(struct e2e *e, unsigned int reg, uint32_t val)
{
	*(volatile uint32_t *)(e->bar0 + reg) = val;
}

static void edu_write64(struct e2e *e, unsigned int reg, uint64_t val)
{
	*(volatile uint64_t *)(e->bar0 + reg) = val;
}

static int ioas_alloc_map(struct e2e *e, int idx)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_ioas_map map = { .size = sizeof(map) };

	if (ioctl(e->iommufd, IOMMU_IOAS_ALLOC, &alloc)) {
		diag("IOMMU_IOAS_ALLOC: %s", strerror(errno));
		return -errno;
	}
	e->ioas[idx] = alloc.out_ioas_id;

	e->buf[idx] = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (e->buf[idx] == MAP_FAILED) {
		e->buf[idx] = NULL;
		return -errno;
	}
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
		    IOMMU_IOAS_MAP_WRITEABLE;
	map.ioas_id = e->ioas[idx];
	map.user_va = (uintptr_t)e->buf[idx];
	map.length = BUF_SIZE;
	map.iova = BUF_IOVA;
	if (ioctl(e->iommufd, IOMMU_IOAS_MAP, &map)) {
		diag("IOMMU_IOAS_MAP: %s", strerror(errno));
		return -errno;
	}
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
		.object_id = e->devid,
		.val64 = *val,
	};

	if (ioctl(e->iommufd, IOMMU_OPTION, &opt))
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
	diag("MSI window of iommufd dev %u set to [0x%llx, 0x%llx)", e->devid,
	     (unsigned long long)start, (unsigned long long)(start + (size_mb << 20)));
	return 0;
}

/* Attach (the first time) or replace (afterwards) the device's page table. */
static int attach(struct e2e *e, __u32 pt_id)
{
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at),
		.pt_id = pt_id,
	};

	if (ioctl(e->devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))
		return -errno;
	e->hwpt = at.pt_id;
	return 0;
}

static int set_command(struct e2e *e, uint16_t bits)
{
	uint16_t cmd;

	if (pread(e->devfd, &cmd, sizeof(cmd), e->cfg_offset + PCI_COMMAND) != sizeof(cmd))
		return -EIO;
	cmd |= bits;
	if (pwrite(e->devfd, &cmd, sizeof(cmd), e->cfg_offset + PCI_COMMAND) != sizeof(cmd))
		return -EIO;
	return 0;
}

static int set_msi_eventfd(struct e2e *e, int fd)
{
	return vfio_msi_eventfd(e->devfd, fd);
}

static void teardown(struct e2e *e)
{
	int i;

	if (e->devfd >= 0 && e->efd >= 0)
		set_msi_eventfd(e, -1);
	if (e->bar0)
		munmap((void *)e->bar0, e->bar0_size);
	if (e->efd >= 0)
		close(e->efd);
	/* Closing the device fd unbinds it from the iommufd. */
	if (e->devfd >= 0)
		close(e->devfd);
	if (e->iommufd >= 0)
		close(e->iommufd);
	for (i = 0; i < 2; i++)
		if (e->buf[i])
			munmap(e->buf[i], BUF_SIZE);
	memset(e, 0, sizeof(*e));
	e->iommufd = e->devfd = e->efd = -1;
}

/*
 * Open the device, bind it to a new iommufd, attach it to a fresh IOAS with
 * memory mapped, enable memory decoding and bus mastering, map BAR0 and
 * enable MSI with an eventfd.
 */
/*
 * Open the device, bind it to a new iommufd and give it a fresh IOAS with
 * memory mapped; on failure everything is torn down.
 */
static int open_bind(struct e2e *e)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	char path[PATH_MAX];

	memset(e, 0, sizeof(*e));
	e->iommufd = e->devfd = e->efd = -1;
	snprintf(e->bdf, sizeof(e->bdf), "%s", edu_bdf);

	e->iommufd = open("/dev/iommu", O_RDWR);
	if (e->iommufd < 0) {
		diag("open /dev/iommu: %s", strerror(errno));
		goto err;
	}
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", edu_vfio);
	e->devfd = open(path, O_RDWR);
	if (e->devfd < 0) {
		diag("open %s: %s", path, strerror(errno));
		goto err;
	}
	bind.iommufd = e->iommufd;
	if (ioctl(e->devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		diag("VFIO_DEVICE_BIND_IOMMUFD: %s", strerror(errno));
		goto err;
	}
	e->devid = bind.out_devid;
	if (ioas_alloc_map(e, 0))
		goto err;
	return 0;

err:
	teardown(e);
	return -1;
}

static int setup_window(struct e2e *e, uint64_t window)
{
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	uint32_t id;
	void *bar;
	int ret;

	if (open_bind(e))
		return -1;
	e->window = SW_MSI_WINDOW;
	if (window) {
		if (set_window(e, window, CHOSEN_WINDOW_MB))
			goto err;
		e->window = window;
	}
	ret = attach(e, e->ioas[0]);
	if (ret) {
		diag("VFIO_DEVICE_ATTACH_IOMMUFD_PT IOAS %u: %s", e->ioas[0], strerror(-ret));
		goto err;
	}
	diag("%s (/dev/vfio/devices/%s, iommufd dev %u) attached to IOAS %u, hwpt %u",
	     e->bdf, edu_vfio, e->devid, e->ioas[0], e->hwpt);

	reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(e->devfd, VFIO_DEVICE_GET_REGION_INFO, &reg)) {
		diag("VFIO_DEVICE_GET_REGION_INFO config: %s", strerror(errno));
		goto err;
	}
	e->cfg_offset = reg.offset;
	/* vfio-pci leaves bus mastering off: without it no DMA and no MSI. */
	if (set_command(e, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)) {
		diag("cannot enable memory decoding and bus mastering");
		goto err;
	}

	memset(&reg, 0, sizeof(reg));
	reg.argsz = sizeof(reg);
	reg.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(e->devfd, VFIO_DEVICE_GET_REGION_INFO, &reg)) {
		diag("VFIO_DEVICE_GET_REGION_INFO BAR0: %s", strerror(errno));
		goto err;
	}
	if (!(reg.flags & VFIO_REGION_INFO_FLAG_MMAP) || reg.size < 0x100) {
		diag("BAR0 cannot be mmapped (flags 0x%x, size 0x%llx)", reg.flags,
		     (unsigned long long)reg.size);
		goto err;
	}
	bar = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED, e->devfd, reg.offset);
	if (bar == MAP_FAILED) {
		diag("mmap BAR0: %s", strerror(errno));
		goto err;
	}
	e->bar0 = bar;
	e->bar0_size = reg.size;
	id = edu_read32(e, EDU_REG_ID);
	if (id != EDU_ID_VALUE) {
		diag("BAR0 identification reads 0x%08x, expected 0x%08x", id, EDU_ID_VALUE);
		goto err;
	}
	/* Start from a clean interrupt status. */
	edu_write32(e, EDU_REG_IRQ_ACK, edu_read32(e, EDU_REG_IRQ_STATUS));

	e->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (e->efd < 0) {
		diag("eventfd: %s", strerror(errno));
		goto err;
	}
	ret = set_msi_eventfd(e, e->efd);
	if (ret) {
		diag("VFIO_DEVICE_SET_IRQS MSI: %s", strerror(-ret));
		goto err;
	}
	return 0;

err:
	teardown(e);
	return -1;
}

static int setup(struct e2e *e)
{
	return setup_window(e, 0);
}

/* Collect eventfd signals that arrived after their timeout. */
static uint64_t drain(struct e2e *e)
{
	uint64_t cnt, late = 0;

	while (read(e->efd, &cnt, sizeof(cnt)) == sizeof(cnt))
		late += cnt;
	return late;
}

/*
 * Make the device raise one MSI and wait for it on the eventfd. Returns 1 if
 * it arrived, 0 if it did not within IRQ_TIMEOUT_MS, -1 on error. The
 * interrupt is acknowledged on the device either way; *status is the
 * device's interrupt status before the acknowledgement (proof that the
 * device did raise it).
 */
static int irq_roundtrip(struct e2e *e, uint32_t *status, uint64_t *extra)
{
	struct pollfd pfd = { .fd = e->efd, .events = POLLIN };
	uint64_t cnt;
	int ret;

	edu_write32(e, EDU_REG_IRQ_RAISE, IRQ_VALUE);
	do {
		ret = poll(&pfd, 1, IRQ_TIMEOUT_MS);
	} while (ret < 0 && errno == EINTR);
	*status = edu_read32(e, EDU_REG_IRQ_STATUS);
	edu_write32(e, EDU_REG_IRQ_ACK, *status);
	if (ret < 0) {
		diag("poll: %s", strerror(errno));
		return -1;
	}
	if (ret == 0)
		return 0;
	if (read(e->efd, &cnt, sizeof(cnt)) != sizeof(cnt)) {
		diag("read eventfd: %s", strerror(errno));
		return -1;
	}
	/* One raise, one MSI: more than one signal is a duplicate. */
	*extra += cnt - 1;
	return 1;
}

struct irq_stats {
	unsigned int sent;
	unsigned int received;
	unsigned int lost;
	uint64_t extra;
};

/* Raise @n interrupts one after the other; stop after MAX_LOST losses. */
static int irq_burst(struct e2e *e, unsigned int n, struct irq_stats *st)
{
	uint32_t status;
	unsigned int i;
	int ret;

	for (i = 0; i < n && st->lost < MAX_LOST; i++) {
		st->extra += drain(e);
		st->sent++;
		ret = irq_roundtrip(e, &status, &st->extra);
		if (ret < 0)
			return -1;
		if (ret) {
			st->received++;
			continue;
		}
		st->lost++;
		if (st->lost <= SHOW_LOST)
			diag("interrupt %u lost: no eventfd signal within %d ms (device irq status 0x%x)",
			     i + 1, IRQ_TIMEOUT_MS, status);
	}
	st->extra += drain(e);
	return 0;
}

static bool check_msi_addr(struct e2e *e, const char *when)
{
	uint64_t expected = e->window + DOORBELL_OFFSET;
	uint64_t addr;
	uint32_t data;
	bool enabled;
	int ret;

	ret = read_msi_msg(e->bdf, &addr, &data, &enabled);
	if (ret) {
		diag("cannot read the MSI capability of %s: %s", e->bdf, strerror(-ret));
		return false;
	}
	diag("MSI %s: %s, address 0x%" PRIx64 ", data 0x%x (expected address 0x%llx = window 0x%llx + doorbell offset 0x%llx)",
	     when, enabled ? "enabled" : "DISABLED", addr, data,
	     (unsigned long long)expected, (unsigned long long)e->window,
	     (unsigned long long)DOORBELL_OFFSET);
	return enabled && addr == expected;
}

/*
 * DMA a pattern from the IOAS's buffer into the device and back to another
 * offset of the same buffer. Both IOASes map their own buffer at the same
 * IOVA, so a match proves the device translates through IOAS @idx.
 */
static bool dma_roundtrip(struct e2e *e, int idx)
{
	uint8_t *buf = e->buf[idx];
	unsigned int i, step;
	int t;

	for (i = 0; i < DMA_LEN; i++)
		buf[i] = (uint8_t)(0xa0 + idx * 0x10 + i);
	memset(buf + DMA_BACK, 0, DMA_LEN);

	for (step = 0; step < 2; step++) {
		if (!step) {
			edu_write64(e, EDU_REG_DMA_SRC, BUF_IOVA);
			edu_write64(e, EDU_REG_DMA_DST, EDU_DMA_BUF);
		} else {
			edu_write64(e, EDU_REG_DMA_SRC, EDU_DMA_BUF);
			edu_write64(e, EDU_REG_DMA_DST, BUF_IOVA + DMA_BACK);
		}
		edu_write64(e, EDU_REG_DMA_COUNT, DMA_LEN);
		edu_write64(e, EDU_REG_DMA_CMD, EDU_DMA_RUN | (step ? EDU_DMA_TO_RAM : 0));
		for (t = 0; edu_read32(e, EDU_REG_DMA_CMD) & EDU_DMA_RUN; t++) {
			if (t >= DMA_TIMEOUT_MS) {
				diag("DMA through IOAS %u did not complete", e->ioas[idx]);
				return false;
			}
			usleep(1000);
		}
	}
	if (memcmp(buf, buf + DMA_BACK, DMA_LEN)) {
		diag("DMA through IOAS %u: data did not come back", e->ioas[idx]);
		return false;
	}
	diag("DMA through IOAS %u: %d bytes to the device and back, ok", e->ioas[idx], DMA_LEN);
	return true;
}

static void print_stats(const char *what, struct irq_stats *st)
{
	diag("%s: interrupts sent %u, received %u, lost %u, late or duplicate signals %" PRIu64,
	     what, st->sent, st->received, st->lost, st->extra);
}

static bool test_default_window(void)
{
	struct irq_stats st = { 0 };
	struct e2e e;
	bool ok;

	if (setup(&e))
		return false;
	ok = check_msi_addr(&e, "as programmed");
	if (irq_burst(&e, DEFAULT_IRQS, &st))
		ok = false;
	print_stats("default_window", &st);
	if (st.received != DEFAULT_IRQS || st.lost)
		ok = false;
	teardown(&e);
	return ok;
}

static bool test_many_interrupts(void)
{
	struct irq_stats st = { 0 };
	double t0, secs;
	struct e2e e;
	bool ok = true;

	if (setup(&e))
		return false;
	t0 = now();
	if (irq_burst(&e, MANY_IRQS, &st))
		ok = false;
	secs = now() - t0;
	print_stats("many_interrupts", &st);
	diag("many_interrupts: %u interrupts in %.2f s, %.0f per second",
	     st.received, secs, secs > 0 ? st.received / secs : 0.0);
	if (st.lost)
		diag("many_interrupts: stopped early after %u lost interrupts", st.lost);
	if (st.received != MANY_IRQS)
		ok = false;
	teardown(&e);
	return ok;
}

static bool test_replace(void)
{
	struct irq_stats st = { 0 };
	unsigned int i, replaces = 0;
	uint32_t status;
	bool ok = true;
	struct e2e e;
	__u32 target;
	int ret;

	if (setup(&e))
		return false;
	if (ioas_alloc_map(&e, 1)) {
		teardown(&e);
		return false;
	}
	/* Delivery and DMA must work before the first replace, or this proves nothing. */
	st.sent++;
	ret = irq_roundtrip(&e, &status, &st.extra);
	if (ret != 1 || !dma_roundtrip(&e, 0)) {
		diag("replace: no interrupt or DMA before any replace");
		teardown(&e);
		return false;
	}
	st.received++;
	check_msi_addr(&e, "before the first replace");

	for (i = 1; i <= REPLACES && st.lost < MAX_LOST; i++) {
		target = e.ioas[i % 2];
		ret = attach(&e, target);
		if (ret) {
			diag("replace %u to IOAS %u: VFIO_DEVICE_ATTACH_IOMMUFD_PT: %s",
			     i, target, strerror(-ret));
			ok = false;
			break;
		}
		replaces++;
		if (i <= 2)
			diag("replace %u: device moved to IOAS %u, hwpt %u", i, target, e.hwpt);
		if (i == 1 && !dma_roundtrip(&e, 1))
			ok = false;

		st.extra += drain(&e);
		st.sent++;
		ret = irq_roundtrip(&e, &status, &st.extra);
		if (ret < 0) {
			ok = false;
			break;
		}
		if (ret) {
			st.received++;
			continue;
		}
		st.lost++;
		if (st.lost <= SHOW_LOST)
			diag("replace %u (to IOAS %u): interrupt lost, no eventfd signal within %d ms (device irq status 0x%x)",
			     i, target, IRQ_TIMEOUT_MS, status);
	}
	st.extra += drain(&e);
	if (st.lost >= MAX_LOST)
		diag("replace: stopping early after %u lost interrupts", st.lost);
	check_msi_addr(&e, "after the replaces");
	diag("replace: %u of %u replaces done", replaces, REPLACES);
	print_stats("replace", &st);
	if (st.lost || replaces != REPLACES || st.received != st.sent)
		ok = false;
	teardown(&e);
	return ok;
}

/* Map one page of the IOAS's buffer at @iova. */
static int map_at(struct e2e *e, int idx, uint64_t iova)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = e->ioas[idx],
		.user_va = (uintptr_t)e->buf[idx],
		.length = 4096,
		.iova = iova,
	};

	if (ioctl(e->iommufd, IOMMU_IOAS_MAP, &map))
		return -errno;
	return 0;
}

static bool test_chosen_window(void)
{
	struct irq_stats st = { 0 };
	struct e2e e;
	bool ok;
	int ret;

	if (setup_window(&e, CHOSEN_WINDOW))
		return false;
	ok = check_msi_addr(&e, "as programmed");
	if (irq_burst(&e, DEFAULT_IRQS, &st))
		ok = false;
	print_stats("chosen_window", &st);
	if (st.received != DEFAULT_IRQS || st.lost)
		ok = false;
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
	struct irq_stats st = { 0 };
	struct e2e e;
	bool ok = true;
	int ret;

	if (open_bind(&e))
		return false;
	/* The window takes the IOAS's buffer at BUF_IOVA */
	if (set_window(&e, BUF_IOVA & ~0xfffffULL, 1)) {
		teardown(&e);
		return false;
	}
	ret = attach(&e, e.ioas[0]);
	diag("attach with the window over the IOAS's mapping at 0x%llx: %s (expected %s)",
	     (unsigned long long)BUF_IOVA, ret ? strerror(-ret) : "attached",
	     strerror(EADDRINUSE));
	if (ret != -EADDRINUSE)
		ok = false;
	/* The refused attach left the binding usable: back to the default */
	ret = set_option(&e, OPT_SW_MSI_SIZE, 0);
	if (!ret)
		ret = attach(&e, e.ioas[0]);
	diag("same binding, default window: %s", ret ? strerror(-ret) : "attached");
	if (ret)
		ok = false;
	teardown(&e);
	if (!ok)
		return false;

	/* And a full setup of the device gets its MSIs through */
	if (setup(&e))
		return false;
	ok = check_msi_addr(&e, "after the refused window");
	if (irq_burst(&e, DEFAULT_IRQS, &st))
		ok = false;
	print_stats("colliding_window", &st);
	if (st.received != DEFAULT_IRQS || st.lost)
		ok = false;
	teardown(&e);
	return ok;
}

static bool test_doorbell_busy(void)
{
	struct irq_stats st = { 0 };
	uint64_t val = 0;
	struct e2e e;
	bool ok = true;
	int ret;

	if (setup(&e))
		return false;
	/* setup() enabled MSI: the ITS allocated a vector, composed it */
	ret = set_option(&e, OPT_MSI_DOORBELL_IOVA, GUEST_DOORBELL_IOVA);
	diag("doorbell IOVA 0x%llx with MSI enabled: %s (expected %s)",
	     (unsigned long long)GUEST_DOORBELL_IOVA, ret ? strerror(-ret) : "set",
	     strerror(EBUSY));
	if (ret != -EBUSY)
		ok = false;

	ret = set_msi_eventfd(&e, -1);
	if (!ret)
		ret = set_option(&e, OPT_MSI_DOORBELL_IOVA, GUEST_DOORBELL_IOVA);
	if (!ret)
		ret = option(&e, OPT_MSI_DOORBELL_IOVA, IOMMU_OPTION_OP_GET, &val);
	diag("doorbell IOVA with MSI disabled: %s, reads back 0x%llx",
	     ret ? strerror(-ret) : "set", (unsigned long long)val);
	if (ret || val != GUEST_DOORBELL_IOVA)
		ok = false;

	/* A paging HWPT has no stage 1: the vector uses the window IOVA */
	ret = set_msi_eventfd(&e, e.efd);
	if (ret) {
		diag("VFIO_DEVICE_SET_IRQS MSI again: %s", strerror(-ret));
		ok = false;
	}
	if (!check_msi_addr(&e, "re-enabled on a paging HWPT"))
		ok = false;
	if (irq_burst(&e, DEFAULT_IRQS, &st))
		ok = false;
	print_stats("doorbell_busy", &st);
	if (st.received != DEFAULT_IRQS || st.lost)
		ok = false;
	teardown(&e);
	return ok;
}

static const struct {
	const char *name;
	bool (*fn)(void);
} cases[] = {
	/* replace last: on a broken kernel it is the one that loses interrupts */
	{ "default_window", test_default_window },
	{ "many_interrupts", test_many_interrupts },
	{ "chosen_window", test_chosen_window },
	{ "colliding_window", test_colliding_window },
	{ "doorbell_busy", test_doorbell_busy },
	{ "replace", test_replace },
};

/*
 * Which cases to run: all of them, or those named on the command line
 * (bare, or after the kselftest harness's -f/-r/-v/-t options, which is how
 * tests/guest/init passes "msi-e2e:<case>").
 */
static bool selected(int argc, char **argv, const char *name)
{
	bool any = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		any = true;
		if (!strcmp(argv[i], name))
			return true;
	}
	return !any;
}

int main(int argc, char **argv)
{
	unsigned int i, n = 0, num = 0, failed = 0;
	bool ready = true;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		n += selected(argc, argv, cases[i].name);
	if (!n) {
		fprintf(stderr, "msi-e2e: no such case\n");
		return 2;
	}
	printf("TAP version 13\n");
	printf("1..%u\n", n);

	ret = find_edu(edu_bdf, sizeof(edu_bdf));
	if (ret) {
		diag("no edu device (%04x:%04x) in " SYSFS_PCI ": QEMU needs -device edu",
		     EDU_VENDOR, EDU_DEVICE);
		ready = false;
	} else {
		diag("edu device at %s", edu_bdf);
		ret = bind_vfio_pci(edu_bdf);
		if (ret) {
			diag("cannot bind %s to vfio-pci: %s", edu_bdf, strerror(-ret));
			ready = false;
		} else if ((ret = find_vfio_cdev(edu_bdf, edu_vfio, sizeof(edu_vfio)))) {
			diag("no VFIO cdev for %s: %s", edu_bdf, strerror(-ret));
			ready = false;
		} else {
			diag("VFIO cdev /dev/vfio/devices/%s", edu_vfio);
			print_msi_window(edu_bdf);
		}
	}

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ok = false;

		if (!selected(argc, argv, cases[i].name))
			continue;
		if (ready) {
			diag("%s: start", cases[i].name);
			ok = cases[i].fn();
		}
		printf("%s %u %s\n", ok ? "ok" : "not ok", ++num, cases[i].name);
		if (!ok)
			failed++;
	}
	diag("Totals: pass:%u fail:%u xfail:0 xpass:0 skip:0 error:0", n - failed, failed);
	return failed ? 1 : 0;
}
