/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What tests/e2e/msi-e2e.c and tests/bench/msi-bench.c share: finding
 * QEMU's edu PCI device in sysfs, binding it to vfio-pci, finding its VFIO
 * cdev, enabling MSI with an eventfd. Header only, all static inline: each
 * program is one static binary built from one source file.
 */
#ifndef MSI_DOORBELL_TESTS_EDU_H
#define MSI_DOORBELL_TESTS_EDU_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/vfio.h>

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_ID_VALUE		0x010000ed

#define SYSFS_PCI		"/sys/bus/pci/devices"

#define diag(fmt, ...) printf("# " fmt "\n", ##__VA_ARGS__)

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

static inline int find_edu(char *bdf, size_t len)
{
	struct dirent *de;
	int ret = -ENODEV;
	DIR *dir;

	dir = opendir(SYSFS_PCI);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		if (sysfs_read_hex(de->d_name, "vendor") == EDU_VENDOR &&
		    sysfs_read_hex(de->d_name, "device") == EDU_DEVICE) {
			ret = copy_name(bdf, len, de->d_name);
			break;
		}
	}
	closedir(dir);
	return ret;
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

#endif /* MSI_DOORBELL_TESTS_EDU_H */
