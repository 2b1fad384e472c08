// SPDX-License-Identifier: GPL-2.0
/*
 * msi-nested - end-to-end test of MSIs for a VFIO device under nested
 * (stage 1 + stage 2) translation on arm-smmu-v3 with iommufd.
 *
 * Runs inside the arm64 QEMU guest (virt, GICv3 + ITS, SMMUv3 with stage 2
 * and nesting, -device edu) on a kernel with CONFIG_ARM_SMMU_V3_IOMMUFD.
 * It does what a VMM and its guest do: the VMM binds edu (vfio-pci cdev) to
 * an iommufd, gives the guest RAM as an IOAS (IOVA = the guest's IPA),
 * allocates a nest-parent HWPT on it (stage 2), a vIOMMU of type ARM_SMMUV3
 * and a vDEVICE carrying the guest's virtual stream ID; the guest writes a
 * Context Descriptor and stage-1 tables into its RAM (tests/lib/smmu-s1.h),
 * and the VMM turns the guest's STE into a nested HWPT
 * (IOMMU_HWPT_DATA_ARM_SMMUV3), attaches the device to it and forwards the
 * guest's invalidations (IOMMU_HWPT_INVALIDATE on the vIOMMU). MSI is
 * enabled with an eventfd; edu raises MSIs through its BAR0 and does DMA
 * through its DMA engine (QEMU docs/specs/edu.rst).
 *
 * Guest RAM in the IOAS: a 64 KiB DMA buffer at IPA 0x100000, 64 KiB for
 * CDs and tables at IPA 0x200000. The software MSI window of arm-smmu-v3 is
 * [0x8000000, 0x8100000): the kernel maps the ITS doorbell (GITS_TRANSLATER,
 * physical 0x08090040) in stage 2 at 0x8000000, so a device that writes IPA
 * 0x8000040 rings it.
 *
 * Cases:
 *  - nested_abort: vSTE abort. Checked: DMA fails (nothing comes back), no
 *    MSI arrives. The SMMU's event log is printed; an abort STE terminates
 *    transactions without recording an event (SMMUv3 STE.Config == abort),
 *    so none is expected.
 *  - nested_bypass: vSTE bypass: stage 2 only; DMA at IPA 0x100000 and 10
 *    MSIs at the window arrive.
 *  - nested_identity: vSTE stage-1 translate; the guest's S1 identity-maps
 *    the buffer and the whole MSI window (the RMR way: the VMM reports the
 *    window to the guest as a reserved region). DMA and 10 MSIs arrive.
 *  - nested_guest_doorbell: the original report's case. The guest's S1
 *    maps the buffer at IOVA 0x300000 only, and its doorbell only where the
 *    guest put it: S1 IOVA 0xc000000 -> IPA 0x8090000, the page of the
 *    GITS_TRANSLATER of the guest's virtual ITS (IPA 0x08090040, where QEMU
 *    virt puts it). The VMM first moves the host's software MSI window out
 *    of the way (IOMMU_OPTION_SW_MSI_START 0xa000000: the vITS page is in
 *    the default window), then gives the guest's address with
 *    IOMMU_VDEVICE_MSI_DOORBELL {index 0, IOVA 0xc000040, IPA 0x8090040}.
 *    DMA through 0x300000 must work; the device must be programmed with
 *    0xc000040 and all 10 MSIs must arrive: device -> S1 -> IPA 0x8090040
 *    -> S2 -> the physical doorbell. Bare 7.3 has neither call: it
 *    programs the window IOVA 0x8000040, which the guest's S1 does not map,
 *    and every MSI is lost (SMMU F_TRANSLATION): the negative control.
 *  - nested_change: the guest moves its doorbell to S1 IOVA 0xd000000 while
 *    its vector is allocated. The kernel refuses (EBUSY) to change the
 *    address of an allocated vector: checked, and the MSIs still arrive at
 *    the old address; then the VMM's way, MSI off, the new address, MSI on:
 *    0xd000040, and every MSI arrives.
 *  - nested_affinity: the vector's affinity moved between the two vCPUs
 *    1,000 times, an MSI after each move. The GICv3 ITS moves an LPI with a
 *    MOVI command and never rewrites the device's message, so the address
 *    read back after the moves is still the guest's; none lost.
 *  - nested_replace: 1,000 replaces between two nested HWPTs with different
 *    S1 tables (ASIDs 1 and 2), both identity-mapping the window, the
 *    second mapping the buffer at another IOVA (0x500000); an MSI after each
 *    replace, none lost; DMA through the current S1 after the first and the
 *    last replace.
 *  - nested_many: 10,000 MSIs through nested identity, none lost, rate
 *    printed.
 *
 * The guest's invalidations are those its SMMU driver issues: CFGI_CD
 * after writing a CD, TLBI_NH_ASID before it frees its tables. (On QEMU 10
 * the cases behave the same without them: the STE install's CFGI_STE
 * flushes the SMMU's cached configuration, and every S1 here is new.)
 *
 * Each case sets everything up from scratch and tears it down in order (MSI
 * off, the guest's TLBI of its ASIDs, detach, nested HWPTs, vDEVICE,
 * vIOMMU, nest parent, IOAS), so a case that breaks delivery cannot poison
 * the next one. `msi-nested <case>...` runs only those cases.
 *
 * Output is KTAP; the exit code is non-zero when a case failed.
 */
#define _GNU_SOURCE
#include "../lib/edu.h"
#include "../lib/smmu-s1.h"

/*
 * Guest RAM, mapped in the IOAS at these IPAs. edu masks DMA addresses to
 * 28 bits; everything stays clear of the MSI window.
 */
/*
 * The series' uAPI, defined here when the kernel headers predate it, so that
 * the program also runs on the bare base and shows what happens there.
 */
#ifndef IOMMU_VDEVICE_MSI_DOORBELL
struct iommu_msi_doorbell {
	__u32 msi_index;
	__u32 flags;
	__aligned_u64 iova;
	__aligned_u64 nesting_parent_iova;
};

struct iommu_vdevice_msi_doorbell {
	__u32 size;
	__u32 flags;
	__u32 vdevice_id;
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
	__aligned_u64 entries_uptr;
};
#define IOMMU_MSI_DOORBELL_VALID	(1 << 0)
#define IOMMU_VDEVICE_MSI_DOORBELL_GET	(1 << 0)
#define IOMMU_VDEVICE_MSI_DOORBELL	_IO(IOMMUFD_TYPE, 0x96)
#endif
#define OPT_SW_MSI_START		2

#define BUF_IPA			0x00100000ULL
#define BUF_SIZE		0x10000UL
#define TABLES_IPA		0x00200000ULL
#define TABLES_SIZE		0x10000UL
/* Each stage 1 gets half of the table memory: a CD and 7 table pages */
#define S1_POOL_SIZE		(TABLES_SIZE / 2)

/* The guest's own addresses (S1 IOVAs) in nested_guest_doorbell */
#define GUEST_BUF_IOVA		0x00300000ULL
#define GUEST_DOORBELL_IOVA	0x0c000000ULL
/* Where the second S1 of nested_replace maps the buffer */
#define REPLACE_BUF_IOVA	0x00500000ULL
/* The guest's second doorbell IOVA, for nested_change */
#define GUEST_DOORBELL2_IOVA	0x0d000000ULL
/*
 * The guest's virtual ITS: QEMU virt puts its GITS_TRANSLATER at the same
 * guest-physical address as the host's physical one, in the host's default
 * software MSI window, which the VMM therefore moves to HOST_WINDOW.
 */
#define GUEST_VITS_IPA		ITS_TRANSLATER_PHYS
#define HOST_WINDOW		0x0a000000ULL
#define AFFINITY_MOVES		1000

/* The guest's view: virtual stream ID of edu, ASIDs of its two S1s */
#define VSID			0x20
#define ASID_A			1
#define ASID_B			2

#define DEFAULT_IRQS		10
#define MANY_IRQS		10000
#define REPLACES		1000
/* arm-smmu-v3 lines of the kernel log to print per case at most */
#define SHOW_SMMU_LINES		12

enum vste_kind { VSTE_ABORT, VSTE_BYPASS, VSTE_S1 };

struct nested {
	struct edu_dev dev;
	int kmsg;
	__u32 ioas;
	__u32 s2;		/* nest-parent HWPT: stage 2 */
	__u32 viommu;
	__u32 vdev;
	__u32 hwpt[2];		/* nested HWPTs */
	unsigned int nr_hwpt;
	__u32 attached;		/* the nested HWPT the device is attached to */
	void *buf;		/* guest RAM at BUF_IPA */
	void *tables;		/* guest RAM at TABLES_IPA */
	struct smmu_s1 s1[2];
	unsigned int nr_s1;
};

static struct edu_loc edu;
static bool hw_info_shown;

/* The physical stream ID: on virt the SMMU's StreamID is the PCI RID. */
static unsigned int bdf_rid(const char *bdf)
{
	unsigned int dom, bus, dev, fn;

	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) != 4)
		return ~0u;
	return bus << 8 | dev << 3 | fn;
}

/* ---- the kernel log: what the SMMU reported ---- */

/* Start reading the kernel log from now on (-1 if it cannot be read). */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * Print the arm-smmu-v3 lines logged since kmsg_open() (not the raw event
 * dwords), and return how many events it reported. The driver rate-limits
 * its event reports (10 per 5 s); suppressed ones are counted from the
 * rate limit's "arm_smmu_dump_event: N callbacks suppressed" line.
 */
static unsigned int smmu_events(int fd, const char *what)
{
	unsigned int events = 0, lines = 0, suppressed = 0;
	char rec[8192], *msg;
	ssize_t len;

	if (fd < 0) {
		diag("%s: /dev/kmsg cannot be read: the SMMU's events are not checked", what);
		return 0;
	}
	/* Events are reported by a threaded interrupt: let it run */
	usleep(100 * 1000);
	for (;;) {
		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)
			continue;	/* records overwritten meanwhile */
		if (len <= 0)
			break;
		rec[len] = '\0';
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		msg[strcspn(msg, "\n")] = '\0';
		if (strstr(msg, "arm_smmu_") && strstr(msg, "callbacks suppressed")) {
			const char *num = strstr(msg, ": ");

			suppressed += num ? strtoul(num + 2, NULL, 10) : 1;
			diag("kernel: %s", msg);
			continue;
		}
		if (!strstr(msg, "arm-smmu-v3"))
			continue;
		if (strstr(msg, "event 0x") && strstr(msg, "received"))
			events++;
		/* The raw dwords of an event (a tab, escaped by /dev/kmsg as \x09) */
		if (strstr(msg, ": \\x09") || strstr(msg, ": \t"))
			continue;
		if (lines++ < SHOW_SMMU_LINES)
			diag("kernel: %s", msg);
	}
	if (lines > SHOW_SMMU_LINES)
		diag("kernel: ... %u more arm-smmu-v3 lines", lines - SHOW_SMMU_LINES);
	diag("%s: the SMMU reported %u event%s in the kernel log%s", what, events,
	     events == 1 ? "" : "s", suppressed ? " (and some suppressed by its rate limit)" : "");
	return events + suppressed;
}

/* ---- iommufd: the VMM's side ---- */

static void print_hw_info(struct nested *n)
{
	struct iommu_hw_info_arm_smmuv3 smmu = { 0 };
	struct iommu_hw_info info = {
		.size = sizeof(info),
		.dev_id = n->dev.devid,
		.data_len = sizeof(smmu),
		.data_uptr = (uintptr_t)&smmu,
	};

	if (hw_info_shown)
		return;
	hw_info_shown = true;
	if (ioctl(n->dev.iommufd, IOMMU_GET_HW_INFO, &info)) {
		diag("IOMMU_GET_HW_INFO: %s", strerror(errno));
		return;
	}
	if (info.out_data_type != IOMMU_HW_INFO_TYPE_ARM_SMMUV3) {
		diag("IOMMU_GET_HW_INFO: type %u, not ARM_SMMUV3", info.out_data_type);
		return;
	}
	/* IDR0 bit 0 S2P, bit 1 S1P; IDR3 bit 8 FWB; IDR5 bits 2:0 OAS */
	diag("SMMU IDR0 0x%08x (S1P %u, S2P %u), IDR3 0x%08x (FWB %u), IDR5 0x%08x (OAS code %u), IIDR 0x%x",
	     smmu.idr[0], smmu.idr[0] >> 1 & 1, smmu.idr[0] & 1, smmu.idr[3],
	     smmu.idr[3] >> 8 & 1, smmu.idr[5], smmu.idr[5] & 7, smmu.iidr);
}

/* Forward guest commands to the vIOMMU (the kernel adds the CMD_SYNC). */
static int viommu_invalidate(struct nested *n, struct iommu_viommu_arm_smmuv3_invalidate *cmds,
			     unsigned int num, const char *what)
{
	struct iommu_hwpt_invalidate inv = {
		.size = sizeof(inv),
		.hwpt_id = n->viommu,
		.data_uptr = (uintptr_t)cmds,
		.data_type = IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		.entry_len = sizeof(*cmds),
		.entry_num = num,
	};
	int ret;

	if (ioctl(n->dev.iommufd, IOMMU_HWPT_INVALIDATE, &inv)) {
		ret = -errno;
		diag("IOMMU_HWPT_INVALIDATE (%s) on vIOMMU %u: %s, %u of %u commands done",
		     what, n->viommu, strerror(-ret), inv.entry_num, num);
		return ret;
	}
	return 0;
}

/*
 * The VMM's part before the guest programs its STE: bind the device, the
 * guest's RAM as IOAS, stage 2 (nest parent), the vIOMMU and the vDEVICE.
 * On failure the caller tears down what was made.
 */
static int nested_open(struct nested *n)
{
	struct iommu_hwpt_alloc s2 = { .size = sizeof(s2) };
	struct iommu_viommu_alloc viommu = { .size = sizeof(viommu) };
	struct iommu_vdevice_alloc vdev = { .size = sizeof(vdev) };
	int ret;

	memset(n, 0, sizeof(*n));
	n->kmsg = kmsg_open();
	ret = edu_open_bind(&n->dev, &edu);
	if (ret)
		return ret;
	print_hw_info(n);

	ret = ioas_with_mem(n->dev.iommufd, &n->ioas, &n->buf, BUF_SIZE, BUF_IPA);
	if (ret)
		return ret;
	n->tables = anon_mem(TABLES_SIZE);
	if (!n->tables)
		return -ENOMEM;
	ret = iommufd_ioas_map(n->dev.iommufd, n->ioas, n->tables, TABLES_IPA, TABLES_SIZE);
	if (ret) {
		diag("IOMMU_IOAS_MAP: %s", strerror(-ret));
		return ret;
	}
	diag("IOAS %u = guest IPA space: DMA buffer %lu KiB at IPA 0x%llx, CD and S1 tables %lu KiB at IPA 0x%llx",
	     n->ioas, BUF_SIZE >> 10, BUF_IPA, TABLES_SIZE >> 10, TABLES_IPA);

	s2.flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
	s2.dev_id = n->dev.devid;
	s2.pt_id = n->ioas;
	s2.data_type = IOMMU_HWPT_DATA_NONE;
	if (ioctl(n->dev.iommufd, IOMMU_HWPT_ALLOC, &s2)) {
		ret = -errno;
		diag("IOMMU_HWPT_ALLOC NEST_PARENT on IOAS %u: %s", n->ioas, strerror(-ret));
		return ret;
	}
	n->s2 = s2.out_hwpt_id;

	viommu.type = IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
	viommu.dev_id = n->dev.devid;
	viommu.hwpt_id = n->s2;
	if (ioctl(n->dev.iommufd, IOMMU_VIOMMU_ALLOC, &viommu)) {
		ret = -errno;
		diag("IOMMU_VIOMMU_ALLOC ARM_SMMUV3 on HWPT %u: %s", n->s2, strerror(-ret));
		if (ret == -EOPNOTSUPP)
			diag("(arm-smmu-v3 wants S2FWB, SMMU_IDR3.FWB, or a CANWBS IORT flag; QEMU needs qemu/0001-hw-arm-smmuv3-Advertise-FWB-with-stage-2.patch)");
		return ret;
	}
	n->viommu = viommu.out_viommu_id;

	vdev.viommu_id = n->viommu;
	vdev.dev_id = n->dev.devid;
	vdev.virt_id = VSID;
	if (ioctl(n->dev.iommufd, IOMMU_VDEVICE_ALLOC, &vdev)) {
		ret = -errno;
		diag("IOMMU_VDEVICE_ALLOC vSID 0x%x: %s", VSID, strerror(-ret));
		return ret;
	}
	n->vdev = vdev.out_vdevice_id;
	diag("stage 2: nest-parent HWPT %u on IOAS %u; vIOMMU %u (ARM_SMMUV3); vDEVICE %u: vSID 0x%x for iommufd dev %u (physical SID 0x%x)",
	     n->s2, n->ioas, n->viommu, n->vdev, VSID, n->dev.devid, bdf_rid(n->dev.loc.bdf));
	return 0;
}

static int s1_map(struct smmu_s1 *s1, uint64_t iova, uint64_t ipa, uint64_t size,
		  unsigned int attr, const char *what)
{
	int ret = smmu_s1_map(s1, iova, ipa, size, attr);

	if (ret) {
		diag("S1 map of IOVA 0x%" PRIx64 ": %s", iova, strerror(-ret));
		return ret;
	}
	diag("S1 ASID %u: IOVA [0x%" PRIx64 ", 0x%" PRIx64 ") -> IPA 0x%" PRIx64 " (%s, %s)",
	     s1->asid, iova, iova + size, ipa, what,
	     attr == S1_ATTR_DEV ? "device memory" : "normal memory");
	return 0;
}

/* The guest's S1 layouts */
static int layout_identity(struct smmu_s1 *s1)
{
	return s1_map(s1, BUF_IPA, BUF_IPA, BUF_SIZE, S1_ATTR_MEM, "buffer, identity") ?:
	       s1_map(s1, SW_MSI_WINDOW, SW_MSI_WINDOW, SW_MSI_SIZE, S1_ATTR_DEV,
		      "MSI window, identity (RMR)");
}

static int layout_guest_doorbell(struct smmu_s1 *s1)
{
	uint64_t vits_page = GUEST_VITS_IPA & ~(SMMU_S1_PAGE - 1);

	return s1_map(s1, GUEST_BUF_IOVA, BUF_IPA, BUF_SIZE, S1_ATTR_MEM, "buffer") ?:
	       s1_map(s1, GUEST_DOORBELL_IOVA, vits_page, SMMU_S1_PAGE, S1_ATTR_DEV,
		      "the guest's doorbell page -> its vITS GITS_TRANSLATER page") ?:
	       s1_map(s1, GUEST_DOORBELL2_IOVA, vits_page, SMMU_S1_PAGE, S1_ATTR_DEV,
		      "a second doorbell IOVA, same vITS page");
}

static int layout_replace_b(struct smmu_s1 *s1)
{
	return s1_map(s1, REPLACE_BUF_IOVA, BUF_IPA, BUF_SIZE, S1_ATTR_MEM, "buffer") ?:
	       s1_map(s1, SW_MSI_WINDOW, SW_MSI_WINDOW, SW_MSI_SIZE, S1_ATTR_DEV,
		      "MSI window, identity (RMR)");
}

/*
 * The guest builds stage 1 number @idx in its table memory, writes the CD
 * and issues CFGI_CD for it, as its SMMU driver does after writing a CD.
 */
static int s1_build(struct nested *n, unsigned int idx, uint16_t asid,
		    int (*layout)(struct smmu_s1 *))
{
	struct iommu_viommu_arm_smmuv3_invalidate cmd;
	struct smmu_s1 *s1 = &n->s1[idx];
	int ret;

	ret = smmu_s1_init(s1, (uint8_t *)n->tables + idx * S1_POOL_SIZE,
			   TABLES_IPA + idx * S1_POOL_SIZE, S1_POOL_SIZE, asid);
	if (ret)
		return ret;
	n->nr_s1 = idx + 1;
	ret = layout(s1);
	if (ret)
		return ret;
	smmu_s1_write_cd(s1);
	diag("S1 ASID %u: CD at IPA 0x%" PRIx64 ", TTB0 IPA 0x%" PRIx64 ", 48-bit IOVA, 4 KiB granule, 4 levels, %llu table pages",
	     asid, s1->cd_ipa, s1->ttb0_ipa, (unsigned long long)(s1->used / SMMU_S1_PAGE - 1));
	smmu_cmd_cfgi_cd(cmd.cmd, VSID);
	return viommu_invalidate(n, &cmd, 1, "CFGI_CD");
}

/* The guest's STE, turned into a nested HWPT by the VMM */
static int nested_hwpt(struct nested *n, enum vste_kind kind, const struct smmu_s1 *s1,
		       __u32 *id)
{
	static const char * const names[] = { "abort", "bypass", "S1 translate" };
	struct iommu_hwpt_arm_smmuv3 vste = { 0 };
	struct iommu_hwpt_alloc alloc = {
		.size = sizeof(alloc),
		.dev_id = n->dev.devid,
		.pt_id = n->viommu,
		.data_type = IOMMU_HWPT_DATA_ARM_SMMUV3,
		.data_len = sizeof(vste),
		.data_uptr = (uintptr_t)&vste,
	};
	int ret;

	if (kind == VSTE_ABORT)
		smmu_vste_abort(vste.ste);
	else if (kind == VSTE_BYPASS)
		smmu_vste_bypass(vste.ste);
	else
		smmu_vste_s1(s1, vste.ste);
	if (ioctl(n->dev.iommufd, IOMMU_HWPT_ALLOC, &alloc)) {
		ret = -errno;
		diag("IOMMU_HWPT_ALLOC nested (vSTE %s) on vIOMMU %u: %s", names[kind],
		     n->viommu, strerror(-ret));
		return ret;
	}
	*id = alloc.out_hwpt_id;
	n->hwpt[n->nr_hwpt++] = *id;
	diag("nested HWPT %u: vSTE %s, 0x%016llx 0x%016llx", *id, names[kind],
	     (unsigned long long)le64toh(vste.ste[0]), (unsigned long long)le64toh(vste.ste[1]));
	return 0;
}

/*
 * Everything up to a device attached to a nested HWPT of @kind (for S1, the
 * guest's tables from @layout, ASID_A), with MSI still off. The cases
 * enable it, so that nested_guest_doorbell can act before.
 */
/*
 * The VMM moves the host's software MSI window before it attaches the device
 * (IOMMU_OPTION_SW_MSI_START, 0 = the driver's). Bare 7.3 has no such
 * option: the window stays, which the case's result then shows.
 */
static void move_window(struct nested *n, uint64_t window)
{
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = OPT_SW_MSI_START,
		.op = IOMMU_OPTION_OP_SET,
		.object_id = n->dev.devid,
		.val64 = window,
	};

	if (ioctl(n->dev.iommufd, IOMMU_OPTION, &opt))
		diag("IOMMU_OPTION_SW_MSI_START 0x%" PRIx64 ": %s: the host's window stays at 0x%llx",
		     window, strerror(errno), SW_MSI_WINDOW);
	else
		diag("host software MSI window moved to [0x%" PRIx64 ", 0x%" PRIx64 "), out of the guest's vITS page",
		     window, window + (uint64_t)SW_MSI_SIZE);
}

static int start_at(struct nested *n, enum vste_kind kind, int (*layout)(struct smmu_s1 *),
		    uint64_t window)
{
	__u32 hwpt;
	int ret;

	ret = nested_open(n);
	if (!ret && window)
		move_window(n, window);
	if (!ret && kind == VSTE_S1)
		ret = s1_build(n, 0, ASID_A, layout);
	if (!ret)
		ret = nested_hwpt(n, kind, &n->s1[0], &hwpt);
	if (!ret)
		ret = edu_attach_first(&n->dev, "nested HWPT", hwpt, &n->attached);
	return ret ?: edu_enable(&n->dev);
}

static int start(struct nested *n, enum vste_kind kind, int (*layout)(struct smmu_s1 *))
{
	return start_at(n, kind, layout, 0);
}

/* What teardown() did, for one diagnostics line */
struct undo_log {
	char text[256];
	size_t len;
	bool ok;
};

static void undone(struct undo_log *log, int ret, const char *what, __u32 id)
{
	int n;

	if (ret) {
		diag("cleanup: %s %u: %s", what, id, strerror(-ret));
		log->ok = false;
		return;
	}
	if (log->len >= sizeof(log->text))
		return;
	n = snprintf(log->text + log->len, sizeof(log->text) - log->len, "%s%s",
		     log->len ? ", " : "", what);
	if (n > 0)
		log->len += n;
	if (id && log->len < sizeof(log->text)) {
		n = snprintf(log->text + log->len, sizeof(log->text) - log->len, " %u", id);
		if (n > 0)
			log->len += n;
	}
}

/*
 * Undo everything in order: MSI off, the guest's TLBI of its ASIDs (it
 * frees its tables), detach, nested HWPTs, vDEVICE, vIOMMU, nest parent,
 * IOAS; then the device and the iommufd. False if a step failed.
 */
static bool teardown(struct nested *n)
{
	struct iommu_viommu_arm_smmuv3_invalidate cmds[2];
	struct undo_log log = { .ok = true };
	unsigned int i;

	if (n->dev.msi_on)
		undone(&log, edu_msi_off(&n->dev), "MSI off", 0);
	if (n->viommu && n->nr_s1) {
		for (i = 0; i < n->nr_s1; i++)
			smmu_cmd_tlbi_asid(cmds[i].cmd, n->s1[i].asid);
		undone(&log, viommu_invalidate(n, cmds, n->nr_s1, "TLBI_NH_ASID"),
		       "TLBI_NH_ASID of its ASIDs on vIOMMU", n->viommu);
	}
	if (n->attached)
		undone(&log, edu_detach(&n->dev), "detached from HWPT", n->attached);
	while (n->nr_hwpt) {
		__u32 id = n->hwpt[--n->nr_hwpt];

		undone(&log, iommufd_destroy(n->dev.iommufd, id), "destroyed nested HWPT", id);
	}
	if (n->vdev)
		undone(&log, iommufd_destroy(n->dev.iommufd, n->vdev), "vDEVICE", n->vdev);
	if (n->viommu)
		undone(&log, iommufd_destroy(n->dev.iommufd, n->viommu), "vIOMMU", n->viommu);
	if (n->s2)
		undone(&log, iommufd_destroy(n->dev.iommufd, n->s2), "nest parent", n->s2);
	if (n->ioas)
		undone(&log, iommufd_destroy(n->dev.iommufd, n->ioas), "IOAS", n->ioas);

	edu_close(&n->dev);
	if (n->kmsg >= 0)
		close(n->kmsg);
	if (n->buf)
		munmap(n->buf, BUF_SIZE);
	if (n->tables)
		munmap(n->tables, TABLES_SIZE);
	if (log.len)
		diag("cleanup: %s", log.text);
	memset(n, 0, sizeof(*n));
	edu_dev_init(&n->dev);
	n->kmsg = -1;
	return log.ok;
}

/* start() and MSI on; on failure everything is torn down. */
static int start_msi(struct nested *n, enum vste_kind kind, int (*layout)(struct smmu_s1 *))
{
	int ret;

	ret = start(n, kind, layout);
	if (!ret)
		ret = edu_msi_on(&n->dev);
	if (ret)
		teardown(n);
	return ret;
}

/* ---- what the device does ---- */

static bool check_msi_addr(struct nested *n, uint64_t expected, const char *why)
{
	return edu_check_msi_addr(&n->dev, "as programmed", expected, why);
}

static bool dma_roundtrip(struct nested *n, uint64_t iova, const char *via)
{
	return edu_dma_roundtrip(&n->dev, n->buf, iova, via);
}

/* ---- the cases ---- */

static bool test_nested_abort(void)
{
	struct irq_stats st = { 0 };
	struct nested n;
	bool ok, dma;

	if (start_msi(&n, VSTE_ABORT, NULL))
		return false;
	check_msi_addr(&n, SW_MSI_WINDOW + DOORBELL_OFFSET, "window");
	dma = dma_roundtrip(&n, BUF_IPA, "vSTE abort, expected to fail");
	ok = !dma;
	if (edu_irq_burst(&n.dev, DEFAULT_IRQS, ALL_LOST, &st))
		ok = false;
	irq_stats_print("nested_abort", &st);
	diag("nested_abort: expected DMA to fail and no interrupt: DMA %s, %u of %u interrupts arrived",
	     dma ? "WORKED" : "failed", st.received, st.sent);
	if (st.received || st.extra)
		ok = false;
	smmu_events(n.kmsg, "nested_abort");
	diag("nested_abort: an abort STE terminates without recording an event (SMMUv3 STE.Config 0b000), so none is expected; DMA and MSIs are what is checked");
	return teardown(&n) && ok;
}

/*
 * The device is programmed with the window's doorbell, DMA at IPA 0x100000
 * (through @via) and DEFAULT_IRQS MSIs arrive.
 */
static bool window_case(const char *name, enum vste_kind kind, int (*layout)(struct smmu_s1 *),
			const char *why, const char *via)
{
	struct nested n;
	bool ok;

	if (start_msi(&n, kind, layout))
		return false;
	ok = check_msi_addr(&n, SW_MSI_WINDOW + DOORBELL_OFFSET, why);
	ok &= dma_roundtrip(&n, BUF_IPA, via);
	ok &= edu_irqs_all(&n.dev, name, DEFAULT_IRQS);
	smmu_events(n.kmsg, name);
	return teardown(&n) && ok;
}

static bool test_nested_bypass(void)
{
	return window_case("nested_bypass", VSTE_BYPASS, NULL, "window", "S2 only: IPA");
}

static bool test_nested_identity(void)
{
	return window_case("nested_identity", VSTE_S1, layout_identity, "window, identity in S1",
			   "S1 identity -> IPA 0x100000");
}

/*
 * What the VMM does when it traps the guest's MSI address write: it gives
 * the kernel the exact address the guest programmed (@s1_iova + the
 * doorbell's offset) and the guest-physical address of the virtual doorbell
 * the guest's S1 points to (its vITS GITS_TRANSLATER), for vector 0 (edu
 * has one MSI). The kernel programs the device with the guest's address and
 * maps the physical doorbell in stage 2 at that IPA, when the vector is
 * allocated. The entry is read back. Returns the ioctl's errno.
 */
static int give_guest_doorbell(struct nested *n, uint64_t s1_iova)
{
	struct iommu_msi_doorbell db = {
		.msi_index = 0,
		.flags = IOMMU_MSI_DOORBELL_VALID,
		.iova = s1_iova + DOORBELL_OFFSET,
		.nesting_parent_iova = GUEST_VITS_IPA,
	};
	struct iommu_vdevice_msi_doorbell cmd = {
		.size = sizeof(cmd),
		.vdevice_id = n->vdev,
		.entry_len = sizeof(db),
		.entry_num = 1,
		.entries_uptr = (uintptr_t)&db,
	};
	int ret = 0;

	if (ioctl(n->dev.iommufd, IOMMU_VDEVICE_MSI_DOORBELL, &cmd))
		ret = -errno;
	diag("IOMMU_VDEVICE_MSI_DOORBELL vDEVICE %u: vector 0, IOVA 0x%llx, IPA 0x%llx: %s",
	     n->vdev, (unsigned long long)db.iova, (unsigned long long)db.nesting_parent_iova,
	     ret ? strerror(-ret) : "set");
	if (ret)
		return ret;
	memset(&db, 0, sizeof(db));
	cmd.flags = IOMMU_VDEVICE_MSI_DOORBELL_GET;
	if (ioctl(n->dev.iommufd, IOMMU_VDEVICE_MSI_DOORBELL, &cmd))
		return -errno;
	diag("read back: vector %u, flags 0x%x, IOVA 0x%llx, IPA 0x%llx", db.msi_index, db.flags,
	     (unsigned long long)db.iova, (unsigned long long)db.nesting_parent_iova);
	return 0;
}

/* The path of one MSI, for the log */
static void show_msi_path(uint64_t iova)
{
	diag("MSI path: device writes IOVA 0x%llx -> guest S1 -> IPA 0x%llx (vITS GITS_TRANSLATER) -> S2 -> physical doorbell 0x%llx",
	     (unsigned long long)(iova + DOORBELL_OFFSET), GUEST_VITS_IPA, ITS_TRANSLATER_PHYS);
}

static bool test_nested_guest_doorbell(void)
{
	struct irq_stats st = { 0 };
	struct nested n;
	bool ok, addr_ok;

	if (start_at(&n, VSTE_S1, layout_guest_doorbell, HOST_WINDOW)) {
		teardown(&n);
		return false;
	}
	ok = dma_roundtrip(&n, GUEST_BUF_IOVA, "S1 -> IPA 0x100000");
	if (give_guest_doorbell(&n, GUEST_DOORBELL_IOVA))
		diag("nested_guest_doorbell: the kernel was not told the guest's doorbell; it programs its window");
	if (edu_msi_on(&n.dev)) {
		teardown(&n);
		return false;
	}
	addr_ok = check_msi_addr(&n, GUEST_DOORBELL_IOVA + DOORBELL_OFFSET, "the guest's doorbell IOVA");
	if (!addr_ok)
		diag("nested_guest_doorbell: the device is not programmed with the guest's doorbell IOVA; the S1 maps nothing else of the window");
	else
		show_msi_path(GUEST_DOORBELL_IOVA);
	if (edu_irq_burst(&n.dev, DEFAULT_IRQS, ALL_LOST, &st))
		ok = false;
	irq_stats_print("nested_guest_doorbell", &st);
	if (!addr_ok || st.received != DEFAULT_IRQS)
		ok = false;
	smmu_events(n.kmsg, "nested_guest_doorbell");
	return teardown(&n) && ok;
}

/*
 * The guest moves its doorbell to another S1 IOVA while the vector is
 * allocated: refused, and nothing changed; then the VMM frees the vector,
 * gives the new address and allocates it again.
 */
static bool test_nested_change(void)
{
	struct nested n;
	bool ok = true;
	int ret;

	if (start_at(&n, VSTE_S1, layout_guest_doorbell, HOST_WINDOW) ||
	    give_guest_doorbell(&n, GUEST_DOORBELL_IOVA) || edu_msi_on(&n.dev)) {
		teardown(&n);
		return false;
	}
	ok &= check_msi_addr(&n, GUEST_DOORBELL_IOVA + DOORBELL_OFFSET, "the guest's first doorbell IOVA");

	ret = give_guest_doorbell(&n, GUEST_DOORBELL2_IOVA);
	diag("nested_change: with the vector allocated the change must be refused (EBUSY): %s",
	     ret ? strerror(-ret) : "it was NOT refused");
	ok &= ret == -EBUSY;
	ok &= check_msi_addr(&n, GUEST_DOORBELL_IOVA + DOORBELL_OFFSET, "unchanged");
	ok &= edu_irqs_all(&n.dev, "nested_change: at the first address", DEFAULT_IRQS);

	if (edu_msi_off(&n.dev) || give_guest_doorbell(&n, GUEST_DOORBELL2_IOVA) ||
	    edu_msi_on(&n.dev)) {
		teardown(&n);
		return false;
	}
	ok &= check_msi_addr(&n, GUEST_DOORBELL2_IOVA + DOORBELL_OFFSET, "the guest's second doorbell IOVA");
	show_msi_path(GUEST_DOORBELL2_IOVA);
	ok &= edu_irqs_all(&n.dev, "nested_change: at the second address", DEFAULT_IRQS);
	smmu_events(n.kmsg, "nested_change");
	return teardown(&n) && ok;
}

/* The Linux IRQ number of the device's MSI (vfio-msi[0](<bdf>) in /proc/interrupts) */
static int vfio_msi_irq(const char *bdf)
{
	char line[512], name[64];
	FILE *f;
	int irq = -1;

	snprintf(name, sizeof(name), "vfio-msi[0](%s)", bdf);
	f = fopen("/proc/interrupts", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, name) && sscanf(line, " %d:", &irq) == 1)
			break;
	fclose(f);
	return irq;
}

static bool test_nested_affinity(void)
{
	char path[64], eff[32];
	struct irq_stats st = { 0 };
	unsigned int i, moved = 0;
	struct nested n;
	bool ok;
	int irq;

	if (start_at(&n, VSTE_S1, layout_guest_doorbell, HOST_WINDOW) ||
	    give_guest_doorbell(&n, GUEST_DOORBELL_IOVA) || edu_msi_on(&n.dev)) {
		teardown(&n);
		return false;
	}
	ok = check_msi_addr(&n, GUEST_DOORBELL_IOVA + DOORBELL_OFFSET, "before the moves");
	irq = vfio_msi_irq(n.dev.loc.bdf);
	if (irq < 0) {
		diag("nested_affinity: no vfio-msi interrupt of %s in /proc/interrupts", n.dev.loc.bdf);
		teardown(&n);
		return false;
	}
	snprintf(path, sizeof(path), "/proc/irq/%d/smp_affinity_list", irq);
	for (i = 0; i < AFFINITY_MOVES && st.lost < MAX_LOST; i++) {
		int ret = sysfs_write(path, i % 2 ? "0" : "1");

		if (ret) {
			diag("nested_affinity: writing %s: %s", path, strerror(-ret));
			ok = false;
			break;
		}
		moved++;
		if (edu_irq_one(&n.dev, &st, "nested_affinity") < 0)
			break;
	}
	snprintf(path, sizeof(path), "/proc/irq/%d/effective_affinity_list", irq);
	if (sysfs_read(path, eff, sizeof(eff)))
		snprintf(eff, sizeof(eff), "?");
	diag("nested_affinity: IRQ %d moved %u times between CPU 0 and CPU 1 (now on CPU %s), an MSI after each",
	     irq, moved, eff);
	irq_stats_print("nested_affinity", &st);
	ok &= moved == AFFINITY_MOVES && st.received == AFFINITY_MOVES;
	ok &= check_msi_addr(&n, GUEST_DOORBELL_IOVA + DOORBELL_OFFSET,
			     "after the moves: the ITS moves the LPI (MOVI), the message stays");
	smmu_events(n.kmsg, "nested_affinity");
	return teardown(&n) && ok;
}

/* DMA through the S1 of nested HWPT @idx (@ctx: the struct nested) */
static bool replace_dma(void *ctx, unsigned int idx)
{
	static const uint64_t buf_iova[2] = { BUF_IPA, REPLACE_BUF_IOVA };
	struct nested *n = ctx;
	char via[24];

	snprintf(via, sizeof(via), "S1 ASID %u only", n->s1[idx].asid);
	return dma_roundtrip(n, buf_iova[idx], via);
}

static bool test_nested_replace(void)
{
	struct edu_replace r = {
		.name = "nested_replace",
		.kind = "nested HWPT",
		.dma = replace_dma,
	};
	char asid[2][16];
	struct nested n;
	unsigned int i;
	__u32 other;
	bool ok;

	if (start(&n, VSTE_S1, layout_identity) ||
	    s1_build(&n, 1, ASID_B, layout_replace_b) ||
	    nested_hwpt(&n, VSTE_S1, &n.s1[1], &other) || edu_msi_on(&n.dev)) {
		teardown(&n);
		return false;
	}
	for (i = 0; i < 2; i++) {
		snprintf(asid[i], sizeof(asid[i]), "S1 ASID %u", n.s1[i].asid);
		r.label[i] = asid[i];
		r.pt[i] = n.hwpt[i];
	}
	r.hwpt = &n.attached;
	r.ctx = &n;
	check_msi_addr(&n, SW_MSI_WINDOW + DOORBELL_OFFSET, "window, identity in both S1s");
	if (edu_replaces(&n.dev, &r, REPLACES)) {
		teardown(&n);
		return false;
	}
	ok = r.ok;
	ok &= replace_dma(&n, r.idx);
	ok &= check_msi_addr(&n, SW_MSI_WINDOW + DOORBELL_OFFSET, "window");
	irq_stats_print("nested_replace", &r.st);
	smmu_events(n.kmsg, "nested_replace");
	return teardown(&n) && ok;
}

static bool test_nested_many(void)
{
	struct nested n;
	bool ok;

	if (start_msi(&n, VSTE_S1, layout_identity))
		return false;
	ok = edu_irqs_timed(&n.dev, "nested_many", MANY_IRQS);
	smmu_events(n.kmsg, "nested_many");
	return teardown(&n) && ok;
}

KTAP_MAIN("msi-nested", edu_ready, &edu,
	  KTAP_CASE(nested_abort), KTAP_CASE(nested_bypass), KTAP_CASE(nested_identity),
	  KTAP_CASE(nested_guest_doorbell), KTAP_CASE(nested_change), KTAP_CASE(nested_affinity),
	  KTAP_CASE(nested_replace), KTAP_CASE(nested_many))
