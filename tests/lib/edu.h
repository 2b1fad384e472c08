/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the edu programs (tests/e2e/msi-e2e.c, tests/e2e/msi-nested.c,
 * tests/bench/msi-bench.c) share: finding QEMU's edu PCI device in sysfs,
 * binding it to vfio-pci, finding its VFIO cdev; opening it and binding it
 * to an iommufd, an IOAS with memory, attach; memory decoding, bus
 * mastering, BAR0 and MSI with an eventfd; raising MSIs and counting them,
 * the MSI message the kernel programmed, DMA through the device. Header
 * only, all static inline: each program is one static binary built from
 * one source file.
 */
#ifndef MSI_DOORBELL_TESTS_EDU_H
#define MSI_DOORBELL_TESTS_EDU_H

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

#include "ktap.h"

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_ID_VALUE		0x010000ed

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
 * software MSI window of arm-smmu-v3 (MSI_IOVA_BASE, MSI_IOVA_LENGTH).
 * dma-iommu maps the doorbell at IOMMU granule (4 KiB) size, so the device
 * sees the window plus the doorbell's offset inside its 4 KiB page.
 */
#define ITS_TRANSLATER_PHYS	0x08090040ULL
#define IOMMU_GRANULE		0x1000ULL
#define DOORBELL_OFFSET		(ITS_TRANSLATER_PHYS & (IOMMU_GRANULE - 1))
#define SW_MSI_WINDOW		0x08000000ULL
#define SW_MSI_SIZE		0x00100000ULL

/* Waiting for one MSI; stopping after losses where a loss is a failure */
#define EDU_IRQ_TIMEOUT_MS	200
#define MAX_LOST		5	/* each one costs a timeout */
#define ALL_LOST		UINT_MAX
#define SHOW_LOST		3	/* losses described at most */

/* DMA: DMA_LEN bytes to the device and back, DMA_BACK further on */
#define DMA_LEN			64
#define DMA_BACK		0x800
#define DMA_SENTINEL		0x5a
#define DMA_TIMEOUT_MS		2000

#define SYSFS_PCI		"/sys/bus/pci/devices"
#define EDU_BDF_LEN		32
#define EDU_MAX			8	/* edu functions looked at */

static inline int sysfs_read(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return 0;
}

static inline int sysfs_write(const char *path, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	if (n < 0)
		return -errno;
	return 0;
}

static inline unsigned long sysfs_read_hex(const char *bdf, const char *attr)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/%s", bdf, attr);
	if (sysfs_read(path, buf, sizeof(buf)))
		return ~0UL;
	return strtoul(buf, NULL, 16);
}

/* Copy a name that must fit (sysfs names here are short). */
static inline int copy_name(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(dst, src, n + 1);
	return 0;
}

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline int edu_bdf_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * The edu functions on the PCI bus, at most @max, sorted by BDF (so that
 * the first is always the same one): their number, or a negative errno.
 */
static inline int find_edus(char (*bdfs)[EDU_BDF_LEN], int max)
{
	struct dirent *de;
	int nr = 0;
	DIR *dir;

	dir = opendir(SYSFS_PCI);
	if (!dir)
		return -errno;
	while ((de = readdir(dir)) && nr < max) {
		if (de->d_name[0] == '.')
			continue;
		if (sysfs_read_hex(de->d_name, "vendor") == EDU_VENDOR &&
		    sysfs_read_hex(de->d_name, "device") == EDU_DEVICE &&
		    !copy_name(bdfs[nr], EDU_BDF_LEN, de->d_name))
			nr++;
	}
	closedir(dir);
	qsort(bdfs, nr, EDU_BDF_LEN, edu_bdf_cmp);
	return nr;
}

/* The first edu function (lowest BDF). */
static inline int find_edu(char *bdf, size_t len)
{
	char bdfs[EDU_MAX][EDU_BDF_LEN];
	int nr;

	nr = find_edus(bdfs, EDU_MAX);
	if (nr < 0)
		return nr;
	if (!nr)
		return -ENODEV;
	return copy_name(bdf, len, bdfs[0]);
}

/* The name of the driver bound to @bdf, "" if none. */
static inline void bound_driver(const char *bdf, char *drv, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *slash;
	ssize_t n;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		drv[0] = '\0';
		return;
	}
	link[n] = '\0';
	slash = strrchr(link, '/');
	if (copy_name(drv, len, slash ? slash + 1 : link))
		drv[0] = '\0';
}

/* Bind @bdf to vfio-pci unless it already is (the smoke test may have). */
static inline int bind_vfio_pci(const char *bdf)
{
	char path[PATH_MAX], drv[64];
	int ret;

	bound_driver(bdf, drv, sizeof(drv));
	if (!strcmp(drv, "vfio-pci")) {
		diag("%s already bound to vfio-pci", bdf);
		return 0;
	}
	if (drv[0]) {
		diag("unbinding %s from %s", bdf, drv);
		snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver/unbind", bdf);
		ret = sysfs_write(path, bdf);
		if (ret)
			return ret;
	}
	snprintf(path, sizeof(path), SYSFS_PCI "/%s/driver_override", bdf);
	ret = sysfs_write(path, "vfio-pci");
	if (ret)
		return ret;
	ret = sysfs_write("/sys/bus/pci/drivers_probe", bdf);
	if (ret)
		return ret;
	bound_driver(bdf, drv, sizeof(drv));
	if (strcmp(drv, "vfio-pci"))
		return -ENODEV;
	diag("bound %s to vfio-pci", bdf);
	return 0;
}

/* The vfioN name of the device's VFIO cdev. */
static inline int find_vfio_cdev(const char *bdf, char *name, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	int ret = -ENOENT;
	DIR *dir;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/vfio-dev", bdf);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (!strncmp(de->d_name, "vfio", 4)) {
			ret = copy_name(name, len, de->d_name);
			break;
		}
	}
	closedir(dir);
	return ret;
}

/* Enable MSI of the VFIO device @devfd with eventfd @fd, or disable it (-1). */
static inline int vfio_msi_eventfd(int devfd, int fd)
{
	char storage[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)storage;

	memset(storage, 0, sizeof(storage));
	set->argsz = sizeof(storage);
	set->index = VFIO_PCI_MSI_IRQ_INDEX;
	if (fd >= 0) {
		set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
		set->count = 1;
		memcpy(set->data, &fd, sizeof(fd));
	} else {
		/* count 0 with DATA_NONE disables the index */
		set->argsz = sizeof(*set);
		set->flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	}
	return ioctl(devfd, VFIO_DEVICE_SET_IRQS, set) ? -errno : 0;
}


/* The name (number) of the iommu group of @bdf; -ENOENT if it has none. */
static inline int iommu_group_of(const char *bdf, char *group, size_t glen)
{
	char path[PATH_MAX], link[PATH_MAX];
	const char *slash;
	ssize_t len;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/iommu_group", bdf);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return -errno;
	link[len] = '\0';
	slash = strrchr(link, '/');
	return copy_name(group, glen, slash ? slash + 1 : link);
}

/* The iommu group's reserved regions of @bdf, one diagnostics line each. */
static inline void print_reserved_regions(const char *bdf)
{
	char path[PATH_MAX], line[128], group[32];
	FILE *f;

	if (iommu_group_of(bdf, group, sizeof(group))) {
		diag("%s has no iommu group", bdf);
		return;
	}
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
static inline int read_msi_msg(const char *bdf, uint64_t *addr, uint32_t *data, bool *enabled)
{
	unsigned int pos, ttl = 48;
	char path[PATH_MAX];
	uint8_t cfg[256];
	uint16_t flags;
	uint32_t lo, hi = 0;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), SYSFS_PCI "/%s/config", bdf);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	len = pread(fd, cfg, sizeof(cfg), 0);
	close(fd);
	if (len < (ssize_t)sizeof(cfg))
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
		memcpy(&lo, &cfg[pos + PCI_MSI_ADDRESS_LO], 4);
		if (flags & PCI_MSI_FLAGS_64BIT) {
			memcpy(&hi, &cfg[pos + PCI_MSI_ADDRESS_HI], 4);
			*data = cfg[pos + PCI_MSI_DATA_64] | cfg[pos + PCI_MSI_DATA_64 + 1] << 8;
		} else {
			*data = cfg[pos + PCI_MSI_DATA_32] | cfg[pos + PCI_MSI_DATA_32 + 1] << 8;
		}
		*addr = (uint64_t)hi << 32 | lo;
		return 0;
	}
	return -ENOENT;
}

/* ---- where edu is ---- */

struct edu_loc {
	char bdf[EDU_BDF_LEN];
	char vfio[32];		/* the vfioN name of its VFIO cdev */
};

/*
 * Bind the edu function @bdf to vfio-pci unless it is, find its VFIO cdev,
 * and show its reserved regions; what fails is said.
 */
static inline int edu_locate_bdf(struct edu_loc *loc, const char *bdf)
{
	int ret;

	ret = copy_name(loc->bdf, sizeof(loc->bdf), bdf);
	if (ret)
		return ret;
	diag("edu device at %s", loc->bdf);
	ret = bind_vfio_pci(loc->bdf);
	if (ret) {
		diag("cannot bind %s to vfio-pci: %s", loc->bdf, strerror(-ret));
		return ret;
	}
	ret = find_vfio_cdev(loc->bdf, loc->vfio, sizeof(loc->vfio));
	if (ret) {
		diag("no VFIO cdev for %s: %s", loc->bdf, strerror(-ret));
		return ret;
	}
	diag("VFIO cdev /dev/vfio/devices/%s", loc->vfio);
	print_reserved_regions(loc->bdf);
	return 0;
}

/* edu_locate_bdf() of the first edu function (the lowest BDF). */
static inline int edu_locate(struct edu_loc *loc)
{
	char bdf[EDU_BDF_LEN];
	int ret;

	ret = find_edu(bdf, sizeof(bdf));
	if (ret) {
		diag("no edu device (%04x:%04x) in " SYSFS_PCI ": QEMU needs -device edu",
		     EDU_VENDOR, EDU_DEVICE);
		return ret;
	}
	return edu_locate_bdf(loc, bdf);
}

/*
 * Two edu functions in one iommu group, located (edu_locate_bdf(), which
 * binds each function it looks at) in @loc[0] and @loc[1]: the first such
 * pair by BDF, as QEMU's `-device edu,addr=3.0,multifunction=on -device
 * edu,addr=3.1` gives them (no ACS between the functions of a slot). What
 * is missing is said.
 */
static inline int edu_locate_group_pair(struct edu_loc loc[2])
{
	char bdfs[EDU_MAX][EDU_BDF_LEN], group[EDU_MAX][32];
	struct edu_loc found[EDU_MAX];
	int nr, i, j, ret;

	nr = find_edus(bdfs, EDU_MAX);
	if (nr < 0)
		return nr;
	for (i = 0; i < nr; i++) {
		ret = edu_locate_bdf(&found[i], bdfs[i]);
		if (!ret)
			ret = iommu_group_of(bdfs[i], group[i], sizeof(group[i]));
		if (ret) {
			diag("%s: no iommu group: %s", bdfs[i], strerror(-ret));
			return ret;
		}
		diag("%s: iommu group %s", bdfs[i], group[i]);
		for (j = 0; j < i; j++) {
			if (strcmp(group[j], group[i]))
				continue;
			loc[0] = found[j];
			loc[1] = found[i];
			return 0;
		}
	}
	diag("no two of the %d edu functions share an iommu group: QEMU needs two in one slot (-device edu,addr=3.0,multifunction=on -device edu,addr=3.1)",
	     nr);
	return -ENODEV;
}

/* edu_locate(@loc) as the ready() of ktap_run(): true if edu is there. */
static inline bool edu_ready(void *loc)
{
	return !edu_locate(loc);
}

/* ---- iommufd ---- */

static inline int iommufd_ioas_alloc(int iommufd, __u32 *ioas)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc))
		return -errno;
	*ioas = alloc.out_ioas_id;
	return 0;
}

/* Map @len bytes at @mem at the fixed @iova of @ioas, read and write. */
static inline int iommufd_ioas_map(int iommufd, __u32 ioas, void *mem, uint64_t iova, size_t len)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)mem,
		.length = len,
		.iova = iova,
	};

	return ioctl(iommufd, IOMMU_IOAS_MAP, &map) ? -errno : 0;
}

static inline int iommufd_destroy(int iommufd, __u32 id)
{
	struct iommu_destroy d = { .size = sizeof(d), .id = id };

	return ioctl(iommufd, IOMMU_DESTROY, &d) ? -errno : 0;
}

/* Fresh zeroed memory (the DMA buffer, a guest's RAM); NULL if none. */
static inline void *anon_mem(size_t len)
{
	void *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return mem == MAP_FAILED ? NULL : mem;
}

/*
 * A new IOAS (*ioas) with @len bytes of fresh memory (*mem, the caller's to
 * unmap) mapped at @iova.
 */
static inline int ioas_with_mem(int iommufd, __u32 *ioas, void **mem, size_t len, uint64_t iova)
{
	int ret;

	ret = iommufd_ioas_alloc(iommufd, ioas);
	if (ret) {
		diag("IOMMU_IOAS_ALLOC: %s", strerror(-ret));
		return ret;
	}
	*mem = anon_mem(len);
	if (!*mem)
		return -ENOMEM;
	ret = iommufd_ioas_map(iommufd, *ioas, *mem, iova, len);
	if (ret)
		diag("IOMMU_IOAS_MAP: %s", strerror(-ret));
	return ret;
}

/* ---- the device: VFIO cdev on an iommufd, BAR0, MSI ---- */

struct edu_dev {
	struct edu_loc loc;
	int iommufd;
	int devfd;
	int efd;		/* the MSI's eventfd */
	__u32 devid;		/* iommufd's ID of the device */
	bool msi_on;
	volatile uint8_t *bar0;
	size_t bar0_size;
	uint64_t cfg_offset;	/* of the VFIO config region */
};

static inline void edu_dev_init(struct edu_dev *d)
{
	memset(d, 0, sizeof(*d));
	d->iommufd = d->devfd = d->efd = -1;
}

static inline uint32_t edu_read32(struct edu_dev *d, unsigned int reg)
{
	return *(volatile uint32_t *)(d->bar0 + reg);
}

static inline void edu_write32(struct edu_dev *d, unsigned int reg, uint32_t val)
{
	*(volatile uint32_t *)(d->bar0 + reg) = val;
}

static inline void edu_write64(struct edu_dev *d, unsigned int reg, uint64_t val)
{
	*(volatile uint64_t *)(d->bar0 + reg) = val;
}

/*
 * Open the VFIO cdev of @loc and bind the device to the iommufd @iommufd,
 * or to a new one if @iommufd is -1; the device holds its own descriptor
 * of it (a dup()), so that each edu_close() closes only its own. On
 * failure the caller closes what is open (edu_close()).
 */
static inline int edu_open_bind_to(struct edu_dev *d, const struct edu_loc *loc, int iommufd)
{
	struct vfio_device_bind_iommufd bind = { .argsz = sizeof(bind) };
	char path[PATH_MAX];
	int ret;

	edu_dev_init(d);
	d->loc = *loc;
	if (iommufd < 0)
		d->iommufd = open("/dev/iommu", O_RDWR);
	else
		d->iommufd = dup(iommufd);
	if (d->iommufd < 0) {
		ret = -errno;
		diag("open /dev/iommu: %s", strerror(-ret));
		return ret;
	}
	snprintf(path, sizeof(path), "/dev/vfio/devices/%s", loc->vfio);
	d->devfd = open(path, O_RDWR);
	if (d->devfd < 0) {
		ret = -errno;
		diag("open %s: %s", path, strerror(-ret));
		return ret;
	}
	bind.iommufd = d->iommufd;
	if (ioctl(d->devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind)) {
		ret = -errno;
		diag("VFIO_DEVICE_BIND_IOMMUFD: %s", strerror(-ret));
		return ret;
	}
	d->devid = bind.out_devid;
	return 0;
}

/* edu_open_bind_to() a new iommufd. */
static inline int edu_open_bind(struct edu_dev *d, const struct edu_loc *loc)
{
	return edu_open_bind_to(d, loc, -1);
}

/*
 * Attach (the first time) or replace (afterwards) the device's page table
 * with @pt_id; *hwpt is then the HWPT it is attached to.
 */
static inline int edu_attach(struct edu_dev *d, __u32 pt_id, __u32 *hwpt)
{
	struct vfio_device_attach_iommufd_pt at = {
		.argsz = sizeof(at),
		.pt_id = pt_id,
	};

	if (ioctl(d->devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &at))
		return -errno;
	*hwpt = at.pt_id;
	return 0;
}

/* The first attach, to @pt_id, which is a @what ("IOAS", "nested HWPT"), said. */
static inline int edu_attach_first(struct edu_dev *d, const char *what, __u32 pt_id, __u32 *hwpt)
{
	char also[32] = "";
	int ret;

	ret = edu_attach(d, pt_id, hwpt);
	if (ret) {
		diag("VFIO_DEVICE_ATTACH_IOMMUFD_PT %s %u: %s", what, pt_id, strerror(-ret));
		return ret;
	}
	if (*hwpt != pt_id)
		snprintf(also, sizeof(also), ", hwpt %u", *hwpt);
	diag("%s (/dev/vfio/devices/%s, iommufd dev %u) attached to %s %u%s",
	     d->loc.bdf, d->loc.vfio, d->devid, what, pt_id, also);
	return 0;
}

/* Detach the device from the page table it is attached to. */
static inline int edu_detach(struct edu_dev *d)
{
	struct vfio_device_detach_iommufd_pt det = { .argsz = sizeof(det) };

	return ioctl(d->devfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &det) ? -errno : 0;
}

static inline int edu_set_command(struct edu_dev *d, uint16_t bits)
{
	uint16_t cmd;

	if (pread(d->devfd, &cmd, sizeof(cmd), d->cfg_offset + PCI_COMMAND) != sizeof(cmd))
		return -EIO;
	cmd |= bits;
	if (pwrite(d->devfd, &cmd, sizeof(cmd), d->cfg_offset + PCI_COMMAND) != sizeof(cmd))
		return -EIO;
	return 0;
}

/*
 * Memory decoding and bus mastering (vfio-pci leaves them off: without
 * them no DMA and no MSI), BAR0 mapped and checked, the interrupt status
 * cleared, an eventfd for the MSI; MSI itself stays off.
 */
static inline int edu_enable(struct edu_dev *d)
{
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	uint32_t id;
	void *bar;
	int ret;

	reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(d->devfd, VFIO_DEVICE_GET_REGION_INFO, &reg)) {
		ret = -errno;
		diag("VFIO_DEVICE_GET_REGION_INFO config: %s", strerror(-ret));
		return ret;
	}
	d->cfg_offset = reg.offset;
	if (edu_set_command(d, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)) {
		diag("cannot enable memory decoding and bus mastering");
		return -EIO;
	}

	memset(&reg, 0, sizeof(reg));
	reg.argsz = sizeof(reg);
	reg.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(d->devfd, VFIO_DEVICE_GET_REGION_INFO, &reg)) {
		ret = -errno;
		diag("VFIO_DEVICE_GET_REGION_INFO BAR0: %s", strerror(-ret));
		return ret;
	}
	if (!(reg.flags & VFIO_REGION_INFO_FLAG_MMAP) || reg.size < 0x100) {
		diag("BAR0 cannot be mmapped (flags 0x%x, size 0x%llx)", reg.flags,
		     (unsigned long long)reg.size);
		return -EIO;
	}
	bar = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED, d->devfd, reg.offset);
	if (bar == MAP_FAILED) {
		ret = -errno;
		diag("mmap BAR0: %s", strerror(-ret));
		return ret;
	}
	d->bar0 = bar;
	d->bar0_size = reg.size;
	id = edu_read32(d, EDU_REG_ID);
	if (id != EDU_ID_VALUE) {
		diag("BAR0 identification reads 0x%08x, expected 0x%08x", id, EDU_ID_VALUE);
		return -EIO;
	}
	/* Start from a clean interrupt status. */
	edu_write32(d, EDU_REG_IRQ_ACK, edu_read32(d, EDU_REG_IRQ_STATUS));

	d->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->efd < 0) {
		ret = -errno;
		diag("eventfd: %s", strerror(-ret));
		return ret;
	}
	return 0;
}

static inline int edu_msi_on(struct edu_dev *d)
{
	int ret = vfio_msi_eventfd(d->devfd, d->efd);

	if (ret) {
		diag("VFIO_DEVICE_SET_IRQS MSI: %s", strerror(-ret));
		return ret;
	}
	d->msi_on = true;
	return 0;
}

static inline int edu_msi_off(struct edu_dev *d)
{
	d->msi_on = false;
	return vfio_msi_eventfd(d->devfd, -1);
}

/*
 * MSI off if edu_msi_on() turned it on, BAR0 unmapped, the eventfd, the
 * device (which unbinds it from the iommufd) and the iommufd closed.
 */
static inline void edu_close(struct edu_dev *d)
{
	if (d->msi_on)
		edu_msi_off(d);
	if (d->bar0)
		munmap((void *)d->bar0, d->bar0_size);
	if (d->efd >= 0)
		close(d->efd);
	if (d->devfd >= 0)
		close(d->devfd);
	if (d->iommufd >= 0)
		close(d->iommufd);
	edu_dev_init(d);
}

/* ---- MSIs ---- */

/* Collect eventfd signals that arrived after their timeout. */
static inline uint64_t edu_drain(struct edu_dev *d)
{
	uint64_t cnt, late = 0;

	while (read(d->efd, &cnt, sizeof(cnt)) == sizeof(cnt))
		late += cnt;
	return late;
}

/*
 * Make the device raise one MSI and wait for it on the eventfd: 1 if it
 * arrived, 0 if it did not within @timeout_ms, a negative errno on error.
 * The interrupt is acknowledged on the device either way; *status is the
 * device's interrupt status before the acknowledgement (proof that the
 * device did raise it). Signals beyond the first are added to *extra.
 */
static inline int edu_irq_roundtrip(struct edu_dev *d, int timeout_ms, uint32_t *status,
				    uint64_t *extra)
{
	struct pollfd pfd = { .fd = d->efd, .events = POLLIN };
	uint64_t cnt;
	ssize_t len;
	int ret;

	edu_write32(d, EDU_REG_IRQ_RAISE, IRQ_VALUE);
	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		ret = -errno;
	*status = edu_read32(d, EDU_REG_IRQ_STATUS);
	edu_write32(d, EDU_REG_IRQ_ACK, *status);
	if (ret < 0) {
		diag("poll: %s", strerror(-ret));
		return ret;
	}
	if (!ret)
		return 0;
	len = read(d->efd, &cnt, sizeof(cnt));
	if (len != sizeof(cnt)) {
		ret = len < 0 ? -errno : -EIO;
		diag("read eventfd: %s", strerror(-ret));
		return ret;
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

static inline void irq_stats_print(const char *what, const struct irq_stats *st)
{
	diag("%s: interrupts sent %u, received %u, lost %u, late or duplicate signals %" PRIu64,
	     what, st->sent, st->received, st->lost, st->extra);
}

/* One MSI, counted in @st; the first SHOW_LOST losses are described. */
static inline int edu_irq_one(struct edu_dev *d, struct irq_stats *st, const char *what)
{
	uint32_t status;
	int ret;

	st->extra += edu_drain(d);
	st->sent++;
	ret = edu_irq_roundtrip(d, EDU_IRQ_TIMEOUT_MS, &status, &st->extra);
	if (ret > 0)
		st->received++;
	if (!ret && ++st->lost <= SHOW_LOST)
		diag("%s: interrupt lost, no eventfd signal within %d ms (device irq status 0x%x)",
		     what, EDU_IRQ_TIMEOUT_MS, status);
	return ret;
}

/* Raise @count MSIs one after the other; stop after @max_lost losses. */
static inline int edu_irq_burst(struct edu_dev *d, unsigned int count, unsigned int max_lost,
				struct irq_stats *st)
{
	char what[32];
	unsigned int i;

	for (i = 0; i < count && st->lost < max_lost; i++) {
		snprintf(what, sizeof(what), "interrupt %u", i + 1);
		if (edu_irq_one(d, st, what) < 0)
			return -1;
	}
	st->extra += edu_drain(d);
	return 0;
}

/* @count MSIs, counted as @what: true if every one arrived. */
static inline bool edu_irqs_all(struct edu_dev *d, const char *what, unsigned int count)
{
	struct irq_stats st = { 0 };
	bool ok;

	ok = !edu_irq_burst(d, count, MAX_LOST, &st);
	irq_stats_print(what, &st);
	return ok && st.received == count;
}

/* The same, timed: the rate is printed. */
static inline bool edu_irqs_timed(struct edu_dev *d, const char *what, unsigned int count)
{
	struct irq_stats st = { 0 };
	double t0, secs;
	bool ok;

	t0 = now();
	ok = !edu_irq_burst(d, count, MAX_LOST, &st);
	secs = now() - t0;
	irq_stats_print(what, &st);
	diag("%s: %u interrupts in %.2f s, %.0f per second",
	     what, st.received, secs, secs > 0 ? st.received / secs : 0.0);
	if (st.lost)
		diag("%s: stopped early after %u lost interrupts", what, st.lost);
	return ok && st.received == count;
}

/*
 * A run of replaces: the device starts on pt[0], replace i attaches
 * pt[i % 2]. The caller fills in the first part.
 */
struct edu_replace {
	const char *name;	/* the case's, in what is said */
	const char *kind;	/* what pt[] are: "IOAS", "nested HWPT" */
	__u32 pt[2];
	const char *label[2];	/* said with pt[], or NULL */
	__u32 *hwpt;		/* kept up to date: the HWPT attached to */
	/* DMA through pt[@idx] works; before the first replace and after it */
	bool (*dma)(void *ctx, unsigned int idx);
	void *ctx;

	struct irq_stats st;	/* the MSIs, one after each replace */
	unsigned int done;	/* replaces done */
	unsigned int idx;	/* the device is on pt[idx] */
	bool ok;		/* every replace done, every MSI arrived, DMA ok */
};

/*
 * @count replaces as @r says, an MSI raised after each, DMA checked after
 * the first; stops after MAX_LOST lost MSIs. An MSI and DMA must work
 * before the first replace, or this proves nothing: -1 then, else 0 and
 * the result in @r.
 */
static inline int edu_replaces(struct edu_dev *d, struct edu_replace *r, unsigned int count)
{
	char what[32], also[48];
	unsigned int i, next;
	size_t len;
	int ret;

	r->ok = true;
	r->idx = 0;
	if (edu_irq_one(d, &r->st, "before any replace") != 1 || !r->dma(r->ctx, 0)) {
		diag("%s: no interrupt or DMA before any replace", r->name);
		return -1;
	}

	for (i = 1; i <= count && r->st.lost < MAX_LOST; i++) {
		next = i % 2;
		ret = edu_attach(d, r->pt[next], r->hwpt);
		if (ret) {
			diag("replace %u to %s %u: VFIO_DEVICE_ATTACH_IOMMUFD_PT: %s",
			     i, r->kind, r->pt[next], strerror(-ret));
			r->ok = false;
			break;
		}
		r->done++;
		r->idx = next;
		if (i <= 2) {
			also[0] = '\0';
			if (r->label[next])
				snprintf(also, sizeof(also), " (%s)", r->label[next]);
			len = strlen(also);
			if (*r->hwpt != r->pt[next])
				snprintf(also + len, sizeof(also) - len, ", hwpt %u", *r->hwpt);
			diag("replace %u: device moved to %s %u%s", i, r->kind, r->pt[next], also);
		}
		if (i == 1 && !r->dma(r->ctx, next))
			r->ok = false;
		snprintf(what, sizeof(what), "after replace %u", i);
		if (edu_irq_one(d, &r->st, what) < 0) {
			r->ok = false;
			break;
		}
	}
	r->st.extra += edu_drain(d);
	if (r->st.lost >= MAX_LOST)
		diag("%s: stopping early after %u lost interrupts", r->name, r->st.lost);
	diag("%s: %u of %u replaces done, now on %s %u", r->name, r->done, count, r->kind,
	     r->pt[r->idx]);
	if (r->st.lost || r->done != count || r->st.received != r->st.sent)
		r->ok = false;
	return 0;
}

/*
 * The device's MSI message as the kernel programmed it, said: enabled, at
 * @expected, which is @why plus the doorbell's offset.
 */
static inline bool edu_check_msi_addr(struct edu_dev *d, const char *when, uint64_t expected,
				      const char *why)
{
	uint64_t addr;
	uint32_t data;
	bool enabled;
	int ret;

	ret = read_msi_msg(d->loc.bdf, &addr, &data, &enabled);
	if (ret) {
		diag("cannot read the MSI capability of %s: %s", d->loc.bdf, strerror(-ret));
		return false;
	}
	diag("MSI %s: %s, address 0x%" PRIx64 ", data 0x%x (expected 0x%" PRIx64 " = %s + doorbell offset 0x%llx)",
	     when, enabled ? "enabled" : "DISABLED", addr, data, expected, why, DOORBELL_OFFSET);
	return enabled && addr == expected;
}

/* ---- DMA ---- */

/*
 * DMA a fresh pattern from @buf into the device and back to another offset
 * of @buf, edu addressing @buf at device IOVA @iova (@via: how that
 * translates). True if the pattern came back.
 */
static inline bool edu_dma_roundtrip(struct edu_dev *d, void *buf, uint64_t iova,
				     const char *via)
{
	static uint8_t seed = 0x10;
	unsigned int i, step;
	bool untouched = true;
	uint8_t *mem = buf;
	int t;

	seed += 0x25;
	for (i = 0; i < DMA_LEN; i++)
		mem[i] = (uint8_t)(seed + 3 * i) | 1;
	memset(mem + DMA_BACK, DMA_SENTINEL, DMA_LEN);

	for (step = 0; step < 2; step++) {
		edu_write64(d, EDU_REG_DMA_SRC, step ? EDU_DMA_BUF : iova);
		edu_write64(d, EDU_REG_DMA_DST, step ? iova + DMA_BACK : EDU_DMA_BUF);
		edu_write64(d, EDU_REG_DMA_COUNT, DMA_LEN);
		edu_write64(d, EDU_REG_DMA_CMD, EDU_DMA_RUN | (step ? EDU_DMA_TO_RAM : 0));
		for (t = 0; edu_read32(d, EDU_REG_DMA_CMD) & EDU_DMA_RUN; t++) {
			if (t >= DMA_TIMEOUT_MS) {
				diag("DMA at device IOVA 0x%" PRIx64 " did not complete", iova);
				return false;
			}
			usleep(1000);
		}
	}
	if (!memcmp(mem, mem + DMA_BACK, DMA_LEN)) {
		diag("DMA at device IOVA 0x%" PRIx64 " (%s): %d bytes to the device and back, ok",
		     iova, via, DMA_LEN);
		return true;
	}
	for (i = 0; i < DMA_LEN; i++)
		untouched &= mem[DMA_BACK + i] == DMA_SENTINEL;
	diag("DMA at device IOVA 0x%" PRIx64 " (%s): %s", iova, via,
	     untouched ? "nothing came back" : "wrong data came back");
	return false;
}

#endif /* MSI_DOORBELL_TESTS_EDU_H */
