// SPDX-License-Identifier: GPL-2.0-only
/*
 * msi-badinput: the bad-input table of the series' new uAPIs (issue 18,
 * item 2), through the iommufd mock (CONFIG_IOMMUFD_TEST):
 * IOMMU_OPTION_SW_MSI_START / IOMMU_OPTION_SW_MSI_SIZE (object = device)
 * and IOMMU_VDEVICE_MSI_DOORBELL (struct iommu_vdevice_msi_doorbell, entries
 * struct iommu_msi_doorbell). One rule of include/uapi/linux/iommufd.h per
 * case, named after it; each asserts the errno iommufd.h documents and reads
 * back that nothing changed (the window by GET, the entries by
 * IOMMU_VDEVICE_MSI_DOORBELL_GET, the guest doorbell page by an IOAS map
 * probe, the stage 2 by IOMMU_TEST_OP_HWPT_READ_DOORBELL).
 *
 * The series' own iommufd.c cases (iommufd_resv_region.sw_msi_option_*,
 * iommufd_msi_doorbell.args/page_in_use/device_state/...) walk the rules
 * once each in a few values; this table takes them one by one, at their
 * boundaries, with the values whose high 32 bits matter, and adds what they
 * do not cover (struct sizes, bad user pointers, destroyed objects, every
 * wrong object type, group peers, all-or-none).
 *
 * Rules (case name: rule -> expected), in the order of the file:
 *
 * IOMMU_OPTION_SW_MSI_START / _SIZE (object_id = device ID)
 *  opt_start_misaligned        START not 1 MiB aligned (any of bits 0..19,
 *                              also with bits above 31 set) -> EINVAL
 *  opt_start_high_bits_kept    START above 4 GiB (and one whose low 32 bits
 *                              are 0) kept whole -> 0, GET exact
 *  opt_size_zero               SIZE 0 -> EINVAL
 *  opt_size_high_bits_kept     SIZE 1 << 32 (MiB) is not 0 -> 0 and GET
 *                              exact, or EOVERFLOW; never EINVAL
 *  opt_size_mul_overflow       SIZE * 1 MiB past 64 bits -> EOVERFLOW
 *  opt_window_end_overflow     start + size - 1 past 64 bits -> EOVERFLOW;
 *                              the last MiB of the space is a window
 *  opt_start_keeps_size_overflow  a START that the kept SIZE carries past
 *                              the end -> EOVERFLOW
 *  opt_not_a_device            object_id of an IOAS, paging and nested HWPT,
 *                              vIOMMU, vDEVICE, selftest object, 0, ~0, GET
 *                              and SET -> ENOENT
 *  opt_destroyed_device        object_id of an unbound device -> ENOENT
 *  opt_reserved_nonzero        __reserved != 0 -> EOPNOTSUPP, val64 not written
 *  opt_unknown_op              op not GET/SET -> EOPNOTSUPP
 *  opt_no_sw_msi_device        a device without a software MSI window, GET
 *                              and SET -> EOPNOTSUPP, no window at its attach
 *  opt_struct_short            size below struct iommu_option -> EINVAL
 *  opt_struct_long_nonzero_tail  longer, non-zero tail -> E2BIG
 *  opt_struct_long_zero_tail   longer, zero tail -> accepted, GET and SET
 *  opt_set_attached_paging     SET while attached to a paging HWPT (an IOAS
 *                              domain, the nesting parent) -> EBUSY
 *  opt_set_attached_nested     SET while attached to a nested HWPT -> EBUSY
 *  opt_set_vectors_live        SET, detached, with an MSI vector allocated
 *                              -> EBUSY, the vector's doorbell kept
 *  opt_set_group_msi_prepared  SET on a never attached device once an MSI
 *                              of its group (a peer) was set up -> EBUSY
 *  opt_window_past_aperture    a window not inside the IOVA aperture of
 *                              the domain it is attached to: the attach
 *                              -> EADDRINUSE, nothing reserved
 *  opt_unknown_option_id       option_id past SW_MSI_SIZE on a device
 *                              -> EOPNOTSUPP
 *  opt_attach_window_over_mapping  the attach with a window over a mapping
 *                              of the IOAS -> EADDRINUSE, not attached
 *  opt_attach_other_window_in_group  the attach with another window than
 *                              the attached group peer's -> EBUSY
 *
 * IOMMU_VDEVICE_MSI_DOORBELL (struct iommu_vdevice_msi_doorbell)
 *  db_unknown_flags            unknown bit in @flags (alone, with GET)
 *                              -> EOPNOTSUPP, nothing written back
 *  db_reserved_nonzero         @__reserved != 0, SET and GET -> EOPNOTSUPP
 *  db_struct_short             size below the struct -> EINVAL
 *  db_struct_long_nonzero_tail longer, non-zero tail -> E2BIG
 *  db_struct_long_zero_tail    longer, zero tail -> accepted, SET and GET
 *  db_entry_len_below_min      @entry_len 0..23 -> EINVAL
 *  db_entry_len_above_max      @entry_len 4097.. (to ~0) -> EINVAL
 *  db_entry_len_bounds         @entry_len 24, 25 (entries unaligned) and
 *                              4096 -> 0, GET writes only the struct
 *  db_entry_num_zero           @entry_num 0 -> EINVAL
 *  db_entry_num_above_max      @entry_num 2049.. (to ~0) -> EINVAL
 *  db_entry_num_max            @entry_num 2048 -> 0: GET in the caller's
 *                              order, 2048 removals, 2048 entries on 2048
 *                              pages (left to the close: kmemleak)
 *  db_entries_uptr_null        @entries_uptr NULL -> EFAULT
 *  db_entries_uptr_bad         unmapped, page 0, kernel, bit 63 -> EFAULT
 *  db_entries_uptr_partial     the 2nd entry unreadable, an entry across
 *                              into an unreadable page -> EFAULT, none set
 *  db_entries_uptr_high_bits   an array above 4 GiB (low 32 bits: an
 *                              unmapped address) is used whole -> 0
 *  db_get_readonly_entries     GET into a read-only array -> EFAULT,
 *                              entries unchanged
 *  db_entry_tail_nonzero       bytes past the struct in an entry non-zero
 *                              (last byte of 4096; 2nd entry) -> E2BIG
 *  db_entry_unknown_flags      unknown entry flag on SET -> EOPNOTSUPP
 *  db_get_ignores_entry_flags  entry flags/addresses are not input on GET
 *  db_msi_index_above_max      @msi_index > 65535, SET and GET -> EINVAL,
 *                              65535 accepted
 *  db_msi_index_twice          one index twice, not adjacent -> EINVAL
 *  db_get_index_twice          twice on GET is not a rule -> 0, both read
 *  db_offset_mismatch          bits [11:0] of @iova and @nesting_parent_iova
 *                              differ (bit 0, bit 11) -> EINVAL; bit 12 may
 *  db_iova_high_bits_kept      @iova with bits above 31 (up to 63) read back
 *                              whole -> 0
 *  db_iova_programmed_whole    the vector is programmed with @iova exactly,
 *                              bits 58..63 included
 *  db_removal_with_address     flags 0 with @iova or @nesting_parent_iova
 *                              (only high bits, or bit 0) -> EINVAL, the
 *                              entry there kept
 *  db_npiova_above_aperture    @nesting_parent_iova in the reserved range
 *                              above the parent's aperture (4 GiB + a free
 *                              IPA, the last page of 2^64) -> EADDRINUSE
 *  db_npiova_in_other_window   the page in another device's software MSI
 *                              window -> EADDRINUSE
 *  db_not_a_vdevice            @vdevice_id of a device, IOAS, HWPT, nested
 *                              HWPT, vIOMMU, selftest object, 0, ~0 -> ENOENT
 *  db_destroyed_vdevice        @vdevice_id of a destroyed vDEVICE -> ENOENT
 *  db_vdevice_of_unbound_device  the vDEVICE of an unbound device -> ENOENT,
 *                              its entries gone
 *  db_no_sw_msi_device         a device without software MSI window, SET and
 *                              GET -> EOPNOTSUPP
 *  db_set_attached_paging      SET with the device on a paging HWPT (the
 *                              parent, an IOAS domain) -> EBUSY
 *  db_set_attached_other_nested  SET with the device on a nested HWPT of
 *                              another parent -> EBUSY
 *  db_set_group_peer_paging    SET while a group peer holds the group on a
 *                              paging HWPT -> EBUSY
 *  db_set_live_vector_all_or_none  one entry of a live vector changes -> EBUSY,
 *                              the other entries of the SET not applied
 *  db_set_entries_of_other_parent  the device keeps entries of another parent
 *                              (live vector, vDEVICE gone) -> EBUSY
 *  db_npiova_in_allowed_range  the page in an allowed range of the parent's
 *                              IOAS -> EADDRINUSE
 *  db_entries_uptr_unaligned   an array at an odd address -> 0
 *  db_set_all_or_none_addrinuse  the 3rd entry's page mapped -> EADDRINUSE,
 *                              the first two not set nor their pages taken
 *  db_set_change_failed_keeps_old  moving an entry onto a mapped page
 *                              -> EADDRINUSE, the old entry, page and the
 *                              vector's address kept
 *
 * Two cases found kernel bugs, fixed in the series since (2026-12-02):
 * opt_window_past_aperture (the attach succeeded, then every MSI of the
 * device failed with -ERANGE; now the attach is -EADDRINUSE, patch 22)
 * and db_iova_programmed_whole (bits 58..63 of @iova were lost: the 58-bit
 * msi_desc::iommu_msi_iova bit-field was shifted back in its own width in
 * msi_msg_set_addr(); patch 26).
 *
 * Built by the rule of scripts/build-tests.sh for tests/mock/ (-I of the
 * kernel's tools/testing/selftests/iommu), it includes the harness and
 * iommufd_test.h by paths relative to that directory rather than
 * iommufd_utils.h, which includes "kselftest_harness.h" from the directory
 * above and so needs -I tools/testing/selftests as well; the few helpers it
 * needs are here. The test-op numbers of iommufd_test.h must be those of the
 * kernel booted (the header of the same tree).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

/* Found through -I$KTREE/tools/testing/selftests/iommu */
#include "../kselftest_harness.h"
#include "../../../../drivers/iommu/iommufd/iommufd_test.h"

#define SZ_1M 0x100000ULL
#define GUEST_DB_IPA 0x09000000ULL
#define GUEST_DB_IOVA 0x0c000000ULL
#define DB_VALID ((__u32)IOMMU_MSI_DOORBELL_VALID)
/* An entry read back by db_get(): its iova, -1 for none */
#define ASSERT_DB(_vdev, _index, _iova) \
	ASSERT_EQ((long long)(_iova), db_get(self->fd, _vdev, _index, NULL))

static unsigned long page_size;
static void *probe_page;

static __attribute__((constructor)) void setup_sizes(void)
{
	page_size = sysconf(_SC_PAGE_SIZE);
	probe_page = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (probe_page == MAP_FAILED)
		abort();
	memset(probe_page, 0, page_size);
}

#define EXPECT_ERRNO(expected_errno, cmd)         \
	({                                        \
		ASSERT_EQ(-1, cmd);               \
		EXPECT_EQ(expected_errno, errno); \
	})

static int test_cmd(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOMMU_TEST_CMD, cmd);
}

/* A mock device with @flags, bound (and attached to @pt_id without NO_ATTACH) */
static int mock_dev(int fd, __u32 pt_id, __u32 flags, __u32 *stdev_id,
		    __u32 *dev_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
		.id = pt_id,
		.mock_domain_flags = { .dev_flags = flags },
	};
	int ret = test_cmd(fd, &cmd);

	if (ret)
		return ret;
	*stdev_id = cmd.mock_domain_flags.out_stdev_id;
	*dev_id = cmd.mock_domain_flags.out_idev_id;
	return 0;
}

/* A mock device in the iommu_group of @group_stdev_id */
static int mock_dev_group(int fd, __u32 pt_id, __u32 group_stdev_id,
			  __u32 flags, __u32 *stdev_id, __u32 *dev_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_GROUP,
		.id = pt_id,
		.mock_domain_group = {
			.dev_flags = flags,
			.group_stdev_id = group_stdev_id,
		},
	};
	int ret = test_cmd(fd, &cmd);

	if (ret)
		return ret;
	*stdev_id = cmd.mock_domain_group.out_stdev_id;
	*dev_id = cmd.mock_domain_group.out_idev_id;
	return 0;
}

/* Attach to @pt_id (0 detaches); the HWPT attached to in @hwpt_id */
static int mock_attach(int fd, __u32 stdev_id, __u32 pt_id, __u32 *hwpt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_ATTACH,
		.id = stdev_id,
		.mock_domain_attach = { .pt_id = pt_id },
	};
	int ret = test_cmd(fd, &cmd);

	if (!ret && hwpt_id)
		*hwpt_id = cmd.mock_domain_attach.pt_id;
	return ret;
}

static int msi_alloc(int fd, __u32 stdev_id, __u32 index, __u32 offset,
		     __u64 *msi_addr)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_MSI_ALLOC,
		.id = stdev_id,
		.msi_vec = { .msi_index = index, .doorbell_offset = offset },
	};
	int ret = test_cmd(fd, &cmd);

	if (!ret && msi_addr)
		*msi_addr = cmd.msi_vec.out_msi_addr;
	return ret;
}

static int msi_free(int fd, __u32 stdev_id, __u32 index)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_MSI_FREE,
		.id = stdev_id,
		.msi_vec = { .msi_index = index },
	};

	return test_cmd(fd, &cmd);
}

static int prepare_msi(int fd, __u32 stdev_id, __u32 offset, __u64 *msi_addr)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_PREPARE_MSI,
		.id = stdev_id,
		.prepare_msi = { .doorbell_offset = offset },
	};
	int ret = test_cmd(fd, &cmd);

	if (!ret && msi_addr)
		*msi_addr = cmd.prepare_msi.out_msi_addr;
	return ret;
}

/* The doorbell offset mapped at @iova of a paging HWPT, -1 none, -2 other */
static long hwpt_doorbell(int fd, __u32 hwpt_id, __u64 iova)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_HWPT_READ_DOORBELL,
		.id = hwpt_id,
		.read_doorbell = { .iova = iova },
	};

	if (test_cmd(fd, &cmd))
		return -3;
	if (cmd.read_doorbell.out_kind == MOCK_DOORBELL_PAGE)
		return cmd.read_doorbell.out_offset;
	return cmd.read_doorbell.out_kind == MOCK_DOORBELL_NONE ? -1 : -2;
}

static int hwpt_alloc(int fd, __u32 dev_id, __u32 pt_id, __u32 flags,
		      __u32 data_type, void *data, __u32 data_len, __u32 *id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.data_type = data_type,
		.data_len = data_len,
		.data_uptr = (uintptr_t)data,
	};
	int ret = ioctl(fd, IOMMU_HWPT_ALLOC, &cmd);

	if (!ret)
		*id = cmd.out_hwpt_id;
	return ret;
}

static int nested_alloc(int fd, __u32 dev_id, __u32 viommu_id, __u32 *id)
{
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };

	return hwpt_alloc(fd, dev_id, viommu_id, 0, IOMMU_HWPT_DATA_SELFTEST,
			  &data, sizeof(data), id);
}

static int viommu_alloc(int fd, __u32 dev_id, __u32 hwpt_id, __u32 *id)
{
	struct iommu_viommu_alloc cmd = {
		.size = sizeof(cmd),
		.type = IOMMU_VIOMMU_TYPE_SELFTEST,
		.dev_id = dev_id,
		.hwpt_id = hwpt_id,
	};
	int ret = ioctl(fd, IOMMU_VIOMMU_ALLOC, &cmd);

	if (!ret)
		*id = cmd.out_viommu_id;
	return ret;
}

static int vdevice_alloc(int fd, __u32 viommu_id, __u32 dev_id, __u64 virt_id,
			 __u32 *id)
{
	struct iommu_vdevice_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.dev_id = dev_id,
		.virt_id = virt_id,
	};
	int ret = ioctl(fd, IOMMU_VDEVICE_ALLOC, &cmd);

	if (!ret)
		*id = cmd.out_vdevice_id;
	return ret;
}

static int destroy(int fd, __u32 id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl(fd, IOMMU_DESTROY, &cmd);
}

static int ioas_alloc(int fd, __u32 *id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int ret = ioctl(fd, IOMMU_IOAS_ALLOC, &cmd);

	if (!ret)
		*id = cmd.out_ioas_id;
	return ret;
}

static int ioas_map_fixed(int fd, __u32 ioas_id, void *buf, __u64 len,
			  __u64 iova)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)buf,
		.length = len,
		.iova = iova,
	};

	return ioctl(fd, IOMMU_IOAS_MAP, &cmd);
}

static int ioas_unmap(int fd, __u32 ioas_id, __u64 iova, __u64 len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = len,
	};

	return ioctl(fd, IOMMU_IOAS_UNMAP, &cmd);
}

/* 1 if the IOAS refuses a page at @iova as it does a reserved one, else 0 */
static int iova_reserved(int fd, __u32 ioas_id, __u64 iova)
{
	if (!ioas_map_fixed(fd, ioas_id, probe_page, page_size, iova)) {
		if (ioas_unmap(fd, ioas_id, iova, page_size))
			return -100;
		return 0;
	}
	return errno == EINVAL ? 1 : -errno;
}

/* IOMMU_OPTION with a struct of @size bytes; @tail goes in the byte past it */
static int option_sized(int fd, __u32 size, __u32 option_id, __u16 op,
			__u32 object_id, __u64 *val, __u8 tail)
{
	union {
		struct iommu_option opt;
		__u8 bytes[128];
	} buf = {};
	int ret;

	buf.opt.size = size;
	buf.opt.option_id = option_id;
	buf.opt.op = op;
	buf.opt.object_id = object_id;
	buf.opt.val64 = *val;
	if (size > sizeof(buf.opt) && size <= sizeof(buf))
		buf.bytes[size - 1] = tail;
	ret = ioctl(fd, IOMMU_OPTION, &buf);
	*val = buf.opt.val64;
	return ret;
}

static int option(int fd, __u32 option_id, __u16 op, __u32 object_id,
		  __u64 *val)
{
	return option_sized(fd, sizeof(struct iommu_option), option_id, op,
			    object_id, val, 0);
}

static int set_opt(int fd, __u32 option_id, __u32 dev_id, __u64 val)
{
	return option(fd, option_id, IOMMU_OPTION_OP_SET, dev_id, &val);
}

static int get_window(int fd, __u32 dev_id, __u64 *start, __u64 *size)
{
	__u64 mb = 0;

	*start = 0;
	if (option(fd, IOMMU_OPTION_SW_MSI_START, IOMMU_OPTION_OP_GET, dev_id,
		   start))
		return -1;
	if (option(fd, IOMMU_OPTION_SW_MSI_SIZE, IOMMU_OPTION_OP_GET, dev_id,
		   &mb))
		return -1;
	*size = mb * SZ_1M;
	return 0;
}

/* IOMMU_VDEVICE_MSI_DOORBELL with every field given */
static int db_ioctl(int fd, __u32 flags, __u32 vdev_id, void *entries,
		    __u32 entry_len, __u32 entry_num)
{
	struct iommu_vdevice_msi_doorbell cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.vdevice_id = vdev_id,
		.entry_len = entry_len,
		.entry_num = entry_num,
		.entries_uptr = (uintptr_t)entries,
	};

	return ioctl(fd, IOMMU_VDEVICE_MSI_DOORBELL, &cmd);
}

static int db_set(int fd, __u32 vdev_id, __u32 index, __u32 flags, __u64 iova,
		  __u64 npiova)
{
	struct iommu_msi_doorbell db = {
		.msi_index = index,
		.flags = flags,
		.iova = iova,
		.nesting_parent_iova = npiova,
	};

	return db_ioctl(fd, 0, vdev_id, &db, sizeof(db), 1);
}

/* The entry's iova; -1 if there is none, -2 if GET failed, -3 if garbled */
static long long db_get(int fd, __u32 vdev_id, __u32 index, __u64 *npiova)
{
	struct iommu_msi_doorbell db = { .msi_index = index };

	if (db_ioctl(fd, IOMMU_VDEVICE_MSI_DOORBELL_GET, vdev_id, &db,
		     sizeof(db), 1))
		return -2;
	if (npiova)
		*npiova = db.nesting_parent_iova;
	if (!(db.flags & DB_VALID))
		return db.iova || db.nesting_parent_iova || db.flags ? -3 : -1;
	if (db.flags != DB_VALID)
		return -3;
	return db.iova;
}

/* Read-backs: nothing changed */
#define ASSERT_WINDOW(dev_id, _start, _size)                             \
	({                                                               \
		__u64 __s, __z;                                          \
		ASSERT_EQ(0, get_window(self->fd, dev_id, &__s, &__z));  \
		ASSERT_EQ((__u64)(_start), __s);                         \
		ASSERT_EQ((__u64)(_size), __z);                          \
	})
#define ASSERT_DEFAULT_WINDOW(dev_id) \
	ASSERT_WINDOW(dev_id, MOCK_SW_MSI_START, MOCK_SW_MSI_LENGTH)
#define ASSERT_NO_ENTRY(vdev_id, index) \
	ASSERT_EQ(-1, db_get(self->fd, vdev_id, index, NULL))
#define ASSERT_IPA_FREE(ipa) \
	ASSERT_EQ(0, iova_reserved(self->fd, self->ioas_id, ipa))
#define ASSERT_IPA_TAKEN(ipa) \
	ASSERT_EQ(1, iova_reserved(self->fd, self->ioas_id, ipa))
/* No entry 0..3 and no guest page at GUEST_DB_IPA */
#define ASSERT_NO_ENTRIES()                             \
	({                                              \
		ASSERT_NO_ENTRY(self->vdev_id, 0);      \
		ASSERT_NO_ENTRY(self->vdev_id, 1);      \
		ASSERT_NO_ENTRY(self->vdev_id, 2);      \
		ASSERT_NO_ENTRY(self->vdev_id, 3);      \
		ASSERT_IPA_FREE(GUEST_DB_IPA);          \
		ASSERT_EQ(-1, hwpt_doorbell(self->fd, self->parent_id, \
					    GUEST_DB_IPA + 0x40)); \
	})

/*
 * A device with a software MSI window, bound and not attached; a device
 * without one; a nesting parent, a vIOMMU on it, a vDEVICE of each device and
 * a nested HWPT. Each case attaches as it needs.
 */
FIXTURE(msi_badinput)
{
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 dev_id;
	__u32 plain_stdev_id;
	__u32 plain_dev_id;
	__u32 parent_id;
	__u32 viommu_id;
	__u32 vdev_id;
	__u32 plain_vdev_id;
	__u32 nested_id;
};

FIXTURE_SETUP(msi_badinput)
{
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_NE(-1, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	ASSERT_EQ(0, mock_dev(self->fd, self->ioas_id,
			      MOCK_FLAGS_DEVICE_SW_MSI |
				      MOCK_FLAGS_DEVICE_NO_ATTACH,
			      &self->stdev_id, &self->dev_id));
	ASSERT_EQ(0, mock_dev(self->fd, self->ioas_id,
			      MOCK_FLAGS_DEVICE_NO_ATTACH,
			      &self->plain_stdev_id, &self->plain_dev_id));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev_id, self->ioas_id,
				IOMMU_HWPT_ALLOC_NEST_PARENT,
				IOMMU_HWPT_DATA_NONE, NULL, 0,
				&self->parent_id));
	ASSERT_EQ(0, viommu_alloc(self->fd, self->dev_id, self->parent_id,
				  &self->viommu_id));
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu_id, self->dev_id,
				   0x99, &self->vdev_id));
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu_id,
				   self->plain_dev_id, 0x98,
				   &self->plain_vdev_id));
	ASSERT_EQ(0, nested_alloc(self->fd, self->dev_id, self->viommu_id,
				  &self->nested_id));
}

FIXTURE_TEARDOWN(msi_badinput)
{
	if (self->fd != -1)
		EXPECT_EQ(0, close(self->fd));
}

/* ---- IOMMU_OPTION_SW_MSI_START / IOMMU_OPTION_SW_MSI_SIZE ---- */

TEST_F(msi_badinput, opt_start_misaligned)
{
	static const __u64 bad[] = {
		0x0a000001ULL, 0x0a001000ULL, 0x0a080000ULL, 0x0a0ff000ULL,
		(1ULL << 32) | 0x80000, 0x8000000000000001ULL,
	};
	unsigned int i;

	for (i = 0; i != sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_ERRNO(EINVAL, set_opt(self->fd, IOMMU_OPTION_SW_MSI_START,
					     self->dev_id, bad[i]));
		ASSERT_DEFAULT_WINDOW(self->dev_id);
	}
}

TEST_F(msi_badinput, opt_start_high_bits_kept)
{
	__u64 start = (1ULL << 32) | 0x0a000000;

	ASSERT_EQ(0, set_opt(self->fd, IOMMU_OPTION_SW_MSI_START, self->dev_id,
			     start));
	ASSERT_WINDOW(self->dev_id, start, MOCK_SW_MSI_LENGTH);
	/* and a start whose low 32 bits are 0 is not 0 */
	start = 1ULL << 40;
	ASSERT_EQ(0, set_opt(self->fd, IOMMU_OPTION_SW_MSI_START, self->dev_id,
			     start));
	ASSERT_WINDOW(self->dev_id, start, MOCK_SW_MSI_LENGTH);
}

TEST_F(msi_badinput, opt_size_zero)
{
	EXPECT_ERRNO(EINVAL, set_opt(self->fd, IOMMU_OPTION_SW_MSI_SIZE,
				     self->dev_id, 0));
	ASSERT_DEFAULT_WINDOW(self->dev_id);
}

TEST_F(msi_badinput, opt_size_high_bits_kept)
{
	__u64 mb = 1ULL << 32;
	__u64 start, size;

	/* 4 Gi MiB from 128 MiB: a size, not 0; too big is EOVERFLOW only */
	if (set_opt(self->fd, IOMMU_OPTION_SW_MSI_SIZE, self->dev_id, mb)) {
		EXPECT_EQ(EOVERFLOW, errno);
		ASSERT_DEFAULT_WINDOW(self->dev_id);
		return;
	}
	ASSERT_EQ(0, get_window(self->fd, self->dev_id, &start, &size));
	ASSERT_EQ((__u64)MOCK_SW_MSI_START, start);
	ASSERT_EQ(mb * SZ_1M, size);
}

TEST_F(msi_badinput, opt_size_mul_overflow)
{
	static const __u64 bad[] = { 1ULL << 44, (1ULL << 44) + 1, ~0ULL };
	unsigned int i;

	for (i = 0; i != sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_ERRNO(EOVERFLOW,
			     set_opt(self->fd, IOMMU_OPTION_SW_MSI_SIZE,
				     self->dev_id, bad[i]));
		ASSERT_DEFAULT_WINDOW(self->dev_id);
	}
}

TEST_F(msi_badinput, opt_window_end_overflow)
{
	/* No overflow in the multiplication; the end passes 2^64 */
	EXPECT_ERRNO(EOVERFLOW, set_opt(self->fd, IOMMU_OPTION_SW_MSI_SIZE,
					self->dev_id, (1ULL << 44) - 1));
	ASSERT_DEFAULT_WINDOW(self->dev_id);
	/* The last MiB of the space is a window; 2 MiB there are not */
	ASSERT_EQ(0, set_opt(self->fd, IOMMU_OPTION_SW_MSI_START, self->dev_id,
			     -SZ_1M));
	EXPECT_ERRNO(EOVERFLOW, set_opt(self->fd, IOMMU_OPTION_SW_MSI_SIZE,
					self->dev_id, 2));
	ASSERT_WINDOW(self->dev_id, -SZ_1M, SZ_1M);
}

TEST_F(msi_badinput, opt_start_keeps_size_overflow)
{
	ASSERT_EQ(0, set_opt(self->fd, IOMMU_OPTION_SW_MSI_SIZE, self->dev_id,
			     16));
	EXPECT_ERRNO(EOVERFLOW, set_opt(self->fd, IOMMU_OPTION_SW_MSI_START,
					self->dev_id, -8 * SZ_1M));
	ASSERT_WINDOW(self->dev_id, MOCK_SW_MSI_START, 16 * SZ_1M);
	ASSERT_EQ(0, set_opt(self->fd, IOMMU_OPTION_SW_MSI_START, self->dev_id,
			     -16 * SZ_1M));
	ASSERT_WINDOW(self->dev_id, -16 * SZ_1M, 16 * SZ_1M);
}

TEST_F(msi_badinput, opt_not_a_device)
{
	const __u32 ids[] = {
		self->ioas_id, self->parent_id, self->nested_id,
		self->viommu_id, self->vdev_id, self->stdev_id, 0, ~0U,
	};
	unsigned int i;
	__u64 val;

	for (i = 0; i != sizeof(ids) / sizeof(ids[0]); i++) {
		val = 0x0a000000;
		EXPECT_ERRNO(ENOENT, option(self->fd, IOMMU_OPTION_SW_MSI_START,
					    IOMMU_OPTION_OP_SET, ids[i], &val));
		val = 2;
		EXPECT_ERRNO(ENOENT, option(self->fd, IOMMU_OPTION_SW_MSI_SIZE,
					    IOMMU_OPTION_OP_SET, ids[i], &val));
		val = 0;
		EXPECT_ERRNO(ENOENT, option(self->fd, IOMMU_OPTION_SW_MSI_START,
					    IOMMU_OPTION_OP_GET, ids[i], &val));
		EXPECT_ERRNO(ENOENT, option(self->fd, IOMMU_OPTION_SW_MSI_SIZE,
					    IOMMU_OPTION_OP_GET, ids[i], &val));
	}
	ASSERT_DEFAULT_WINDOW(self->dev_id);
}

TEST_F(msi_badinput, opt_destroyed_device)
{
	__u32 stdev_id, dev_id;
	__u64 val = 0;

	ASSERT_EQ(0, mock_dev(self->fd, self->ioas_id,
			      MOCK_FLAGS_DEVICE_SW_MSI |
				      MOCK_FLAGS_DEVICE_NO_ATTACH,
			      &stdev_id, &dev_id));
	ASSERT_DEFAULT_WINDOW(dev_id);
	ASSERT_EQ(0, destroy(self->fd, stdev_id));
	EXPECT_ERRNO(ENOENT, option(self->fd, IOMMU_OPTION_SW_MSI_START,
				    IOMMU_OPTION_OP_GET, dev_id, &val));
	EXPECT_ERRNO(ENOENT, set_opt(self->fd, IOMMU_OPTION_SW_MSI_START,
				     dev_id, 0x0a000000));
	EXPECT_ERRNO(ENOENT, set_opt(self->fd, IOMMU_OPTION_SW_MSI_SIZE,
				     dev_id, 2));
	/* The other device is not touched, and its window is free */
	ASSERT_DEFAULT_WINDOW(self->dev_id);
	ASSERT_IPA_FREE(0x0a000000);
}

TEST_F(msi_badinput, opt_reserved_nonzero)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_SW_MSI_START,
		.op = IOMMU_OPTION_OP_SET,
		.__reserved = 1,
		.object_id = self->dev_id,
		.val64 = 0x0a000000,
	};

	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_OPTION, &cmd));
	cmd.__reserved = 0x8000;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_OPTION, &cmd));
	cmd.option_id = IOMMU_OPTION_SW_MSI_SIZE;
	cmd.val64 = 2;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_OPTION, &cmd));
	cmd.op = IOMMU_OPTION_OP_GET;
	cmd.val64 = 0x5a5a;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_OPTION, &cmd));
	ASSERT_EQ(0x5a5aULL, cmd.val64);
	ASSERT_DEFAULT_WINDOW(self->dev_id);
}

TEST_F(msi_badinput, opt_unknown_op)
{
	static const __u16 ops[] = { 2, 3, 0x8000, 0xffff };
	unsigned int i;
	__u64 val;

	for (i = 0; i != sizeof(ops) / sizeof(ops[0]); i++) {
		val = 0x0a000000;
		EXPECT_ERRNO(EOPNOTSUPP,
			     option(self->fd, IOMMU_OPTION_SW_MSI_START, ops[i],
				    self->dev_id, &val));
		val = 2;
		EXPECT_ERRNO(EOPNOTSUPP,
			     option(self->fd, IOMMU_OPTION_SW_MSI_SIZE, ops[i],
				    self->dev_id, &val));
	}
	ASSERT_DEFAULT_WINDOW(self->dev_id);
}

TEST_F(msi_badinput, opt_no_sw_msi_device)
{
	__u64 val = 0;

	EXPECT_ERRNO(EOPNOTSUPP, option(self->fd, IOMMU_OPTION_SW_MSI_START,
					IOMMU_OPTION_OP_GET,
					self->plain_dev_id, &val));
	EXPECT_ERRNO(EOPNOTSUPP, option(self->fd, IOMMU_OPTION_SW_MSI_SIZE,
					IOMMU_OPTION_OP_GET,
					self->plain_dev_id, &val));
	EXPECT_ERRNO(EOPNOTSUPP, set_opt(self->fd, IOMMU_OPTION_SW_MSI_START,
					 self->plain_dev_id, 0x0a000000));
	EXPECT_ERRNO(EOPNOTSUPP, set_opt(self->fd, IOMMU_OPTION_SW_MSI_SIZE,
					 self->plain_dev_id, 2));
	/* and it still has no window at its attach */
	ASSERT_EQ(0, mock_attach(self->fd, self->plain_stdev_id, self->ioas_id,
				 NULL));
	ASSERT_IPA_FREE(0x0a000000);
	ASSERT_IPA_FREE(MOCK_SW_MSI_START);
}

TEST_F(msi_badinput, opt_struct_short)
{
	static const __u32 sizes[] = { 0, 4, 16, 23 };
	unsigned int i;
	__u64 val;

	for (i = 0; i != sizeof(sizes) / sizeof(sizes[0]); i++) {
		val = 0x0a000000;
		EXPECT_ERRNO(EINVAL, option_sized(self->fd, sizes[i],
						  IOMMU_OPTION_SW_MSI_START,
						  IOMMU_OPTION_OP_SET,
						  self->dev_id, &val, 0));
		val = 0;
		EXPECT_ERRNO(EINVAL, option_sized(self->fd, sizes[i],
						  IOMMU_OPTION_SW_MSI_SIZE,
						  IOMMU_OPTION_OP_GET,
						  self->dev_id, &val, 0));
		ASSERT_EQ(0ULL, val);
	}
	ASSERT_DEFAULT_WINDOW(self->dev_id);
}

TEST_F(msi_badinput, opt_struct_long_nonzero_tail)
{
	static const __u32 sizes[] = { 25, 32, 128 };
	unsigned int i;
	__u64 val;

	for (i = 0; i != sizeof(sizes) / sizeof(sizes[0]); i++) {
		val = 0x0a000000;
		EXPECT_ERRNO(E2BIG, option_sized(self->fd, sizes[i],
						 IOMMU_OPTION_SW_MSI_START,
						 IOMMU_OPTION_OP_SET,
						 self->dev_id, &val, 1));
		val = 4;
		EXPECT_ERRNO(E2BIG, option_sized(self->fd, sizes[i],
						 IOMMU_OPTION_SW_MSI_SIZE,
						 IOMMU_OPTION_OP_SET,
						 self->dev_id, &val, 0x80));
	}
	ASSERT_DEFAULT_WINDOW(self->dev_id);
}

TEST_F(msi_badinput, opt_struct_long_zero_tail)
{
	__u64 val = 0x0a000000;

	ASSERT_EQ(0, option_sized(self->fd, 128, IOMMU_OPTION_SW_MSI_START,
				  IOMMU_OPTION_OP_SET, self->dev_id, &val, 0));
	val = 3;
	ASSERT_EQ(0, option_sized(self->fd, 32, IOMMU_OPTION_SW_MSI_SIZE,
				  IOMMU_OPTION_OP_SET, self->dev_id, &val, 0));
	val = 0;
	ASSERT_EQ(0, option_sized(self->fd, 32, IOMMU_OPTION_SW_MSI_START,
				  IOMMU_OPTION_OP_GET, self->dev_id, &val, 0));
	ASSERT_EQ(0x0a000000ULL, val);
	val = 0;
	ASSERT_EQ(0, option_sized(self->fd, 128, IOMMU_OPTION_SW_MSI_SIZE,
				  IOMMU_OPTION_OP_GET, self->dev_id, &val, 0));
	ASSERT_EQ(3ULL, val);
	ASSERT_WINDOW(self->dev_id, 0x0a000000, 3 * SZ_1M);
}

TEST_F(msi_badinput, opt_set_attached_paging)
{
	__u32 hwpt_id;

	ASSERT_EQ(0, mock_attach(self->fd, self->stdev_id, self->ioas_id,
				 &hwpt_id));
	EXPECT_ERRNO(EBUSY, set_opt(self->fd, IOMMU_OPTION_SW_MSI_START,
				    self->dev_id, 0x0a000000));
	EXPECT_ERRNO(EBUSY, set_opt(self->fd, IOMMU_OPTION_SW_MSI_SIZE,
				    self->dev_id, 2));
	/* The same on the nesting parent */
	ASSERT_EQ(0, mock_attach(self->fd, self->stdev_id, 0, NULL));
	ASSERT_EQ(0, mock_attach(self->fd, self->stdev_id, self->parent_id,
				 NULL));
	EXPECT_ERRNO(EBUSY, set_opt(self->fd, IOMMU_OPTION_SW_MSI_START,
				    self->dev_id, 0x0a000000));
	ASSERT_DEFAULT_WINDOW(self->dev_id);
	ASSERT_IPA_TAKEN(MOCK_SW_MSI_START);
	ASSERT_IPA_FREE(0x0a000000);
	ASSERT_IPA_FREE(MOCK_SW_MSI_START + SZ_1M);
}

TEST_F(msi_badinput, opt_set_attached_nested)
{
	ASSERT_EQ(0, mock_attach(self->fd, self->stdev_id, self->nested_id,
				 NULL));
	EXPECT_ERRNO(EBUSY, set_opt(self->fd, IOMMU_OPTION_SW_MSI_START,
				    self->dev_id, 0x0a000000));
	EXPECT_ERRNO(EBUSY, set_opt(self->fd, IOMMU_OPTION_SW_MSI_SIZE,
				    self->dev_id, 2));
	ASSERT_DEFAULT_WINDOW(self->dev_id);
	/* The window is in the parent's IOAS, where it was */
	ASSERT_IPA_TAKEN(MOCK_SW_MSI_START);
	ASSERT_IPA_FREE(0x0a000000);
}

TEST_F(msi_badinput, opt_set_vectors_live)
{
	__u64 msi_addr;
	__u32 hwpt_id;

	ASSERT_EQ(0, mock_attach(self->fd, self->stdev_id, self->ioas_id,
				 &hwpt_id));
	ASSERT_EQ(0, msi_alloc(self->fd, self->stdev_id, 0, 0x40, &msi_addr));
	ASSERT_EQ((__u64)MOCK_SW_MSI_START + 0x40, msi_addr);
	ASSERT_EQ(0, mock_attach(self->fd, self->stdev_id, 0, NULL));
	/* Detached, with a vector that keeps its IOVA in the window */
	EXPECT_ERRNO(EBUSY, set_opt(self->fd, IOMMU_OPTION_SW_MSI_START,
				    self->dev_id, 0x0a000000));
	EXPECT_ERRNO(EBUSY, set_opt(self->fd, IOMMU_OPTION_SW_MSI_SIZE,
				    self->dev_id, 2));
	ASSERT_DEFAULT_WINDOW(self->dev_id);
	/* Back: the vector's doorbell is where it was */
	ASSERT_EQ(0, mock_attach(self->fd, self->stdev_id, self->ioas_id,
				 &hwpt_id));
	ASSERT_EQ(0x40, hwpt_doorbell(self->fd, hwpt_id,
				      MOCK_SW_MSI_START + 0x40));
	ASSERT_EQ(0, msi_free(self->fd, self->stdev_id, 0));
}

TEST_F(msi_badinput, opt_set_group_msi_prepared)
{
	__u32 peer_stdev, peer_dev;

	/* A peer in the device's group, attached (a group peer always is) */
	ASSERT_EQ(0, mock_dev_group(self->fd, self->ioas_id, self->stdev_id,
				    MOCK_FLAGS_DEVICE_SW_MSI, &peer_stdev,
				    &peer_dev));
	/* The device itself, never attached, may still move */
	ASSERT_EQ(0, set_opt(self->fd, IOMMU_OPTION_SW_MSI_SIZE, self->dev_id,
			     1));
	ASSERT_EQ(0, prepare_msi(self->fd, peer_stdev, 0x40, NULL));
	/* Once its group had an MSI set up it may not */
	EXPECT_ERRNO(EBUSY, set_opt(self->fd, IOMMU_OPTION_SW_MSI_START,
				    self->dev_id, 0x0a000000));
	EXPECT_ERRNO(EBUSY, set_opt(self->fd, IOMMU_OPTION_SW_MSI_SIZE,
				    self->dev_id, 2));
	ASSERT_DEFAULT_WINDOW(self->dev_id);
	ASSERT_IPA_FREE(0x0a000000);
}

TEST_F(msi_badinput, opt_window_past_aperture)
{
	static const struct { __u64 start, mb; } bad[] = {
		{ 1ULL << 40, 1 },	/* wholly above the mock's aperture */
		{ 0x7ff00000, 2 },	/* its second MiB above it */
	};
	unsigned int i;

	/*
	 * SET cannot know the IOVA space of the domain the device will be
	 * attached to; the attach can, and a window not inside its aperture
	 * is -EADDRINUSE (iommufd.h), with nothing reserved.
	 */
	for (i = 0; i != sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(0, set_opt(self->fd, IOMMU_OPTION_SW_MSI_START,
				     self->dev_id, bad[i].start));
		ASSERT_EQ(0, set_opt(self->fd, IOMMU_OPTION_SW_MSI_SIZE,
				     self->dev_id, bad[i].mb));
		EXPECT_ERRNO(EADDRINUSE, mock_attach(self->fd, self->stdev_id,
						     self->ioas_id, NULL));
		ASSERT_WINDOW(self->dev_id, bad[i].start, bad[i].mb * SZ_1M);
		ASSERT_IPA_FREE(0x7ff00000);
	}
	/* The driver's window again: attached, and its MSIs work */
	ASSERT_EQ(0, set_opt(self->fd, IOMMU_OPTION_SW_MSI_START, self->dev_id,
			     MOCK_SW_MSI_START));
	ASSERT_EQ(0, set_opt(self->fd, IOMMU_OPTION_SW_MSI_SIZE, self->dev_id,
			     1));
	ASSERT_EQ(0, mock_attach(self->fd, self->stdev_id, self->ioas_id,
				 NULL));
	ASSERT_EQ(0, prepare_msi(self->fd, self->stdev_id, 0x40, NULL));
}

TEST_F(msi_badinput, opt_unknown_option_id)
{
	static const __u32 ids[] = { IOMMU_OPTION_SW_MSI_SIZE + 1, 0x100,
				     ~0U };
	unsigned int i;
	__u64 val;

	for (i = 0; i != sizeof(ids) / sizeof(ids[0]); i++) {
		val = 0x0a000000;
		EXPECT_ERRNO(EOPNOTSUPP, option(self->fd, ids[i],
						IOMMU_OPTION_OP_SET,
						self->dev_id, &val));
		val = 0;
		EXPECT_ERRNO(EOPNOTSUPP, option(self->fd, ids[i],
						IOMMU_OPTION_OP_GET,
						self->dev_id, &val));
	}
	ASSERT_DEFAULT_WINDOW(self->dev_id);
}

TEST_F(msi_badinput, opt_attach_window_over_mapping)
{
	__u64 chosen = 0x0a000000;

	ASSERT_EQ(0, set_opt(self->fd, IOMMU_OPTION_SW_MSI_START, self->dev_id,
			     chosen));
	ASSERT_EQ(0, set_opt(self->fd, IOMMU_OPTION_SW_MSI_SIZE, self->dev_id,
			     2));
	/* The last page of the window is mapped */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, probe_page,
				    page_size, chosen + 2 * SZ_1M - page_size));
	EXPECT_ERRNO(EADDRINUSE, mock_attach(self->fd, self->stdev_id,
					     self->ioas_id, NULL));
	/* Not attached, the window kept, the mapping untouched */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id,
				chosen + 2 * SZ_1M - page_size, page_size));
	ASSERT_WINDOW(self->dev_id, chosen, 2 * SZ_1M);
	ASSERT_IPA_FREE(chosen);
	ASSERT_EQ(0, set_opt(self->fd, IOMMU_OPTION_SW_MSI_SIZE, self->dev_id,
			     1));
}

TEST_F(msi_badinput, opt_attach_other_window_in_group)
{
	__u32 peer_stdev, peer_dev;

	/* The peer is attached at its creation with the driver's window */
	ASSERT_EQ(0, mock_dev_group(self->fd, self->ioas_id, self->stdev_id,
				    MOCK_FLAGS_DEVICE_SW_MSI, &peer_stdev,
				    &peer_dev));
	ASSERT_IPA_TAKEN(MOCK_SW_MSI_START);
	ASSERT_EQ(0, set_opt(self->fd, IOMMU_OPTION_SW_MSI_START, self->dev_id,
			     0x0a000000));
	EXPECT_ERRNO(EBUSY, mock_attach(self->fd, self->stdev_id,
					self->ioas_id, NULL));
	ASSERT_WINDOW(self->dev_id, 0x0a000000, MOCK_SW_MSI_LENGTH);
	ASSERT_IPA_FREE(0x0a000000);
	ASSERT_WINDOW(peer_dev, MOCK_SW_MSI_START, MOCK_SW_MSI_LENGTH);
	/* The same window is fine */
	ASSERT_EQ(0, set_opt(self->fd, IOMMU_OPTION_SW_MSI_START, self->dev_id,
			     MOCK_SW_MSI_START));
	ASSERT_EQ(0, mock_attach(self->fd, self->stdev_id, self->ioas_id,
				 NULL));
}

/* ---- IOMMU_VDEVICE_MSI_DOORBELL ---- */

TEST_F(msi_badinput, db_unknown_flags)
{
	static const __u32 flags[] = { 1 << 1, 1 << 31, ~0U,
				       ~(__u32)IOMMU_VDEVICE_MSI_DOORBELL_GET };
	struct iommu_msi_doorbell db = { 0, DB_VALID, GUEST_DB_IOVA + 0x40,
					 GUEST_DB_IPA + 0x40 };
	unsigned int i;

	for (i = 0; i != sizeof(flags) / sizeof(flags[0]); i++) {
		EXPECT_ERRNO(EOPNOTSUPP, db_ioctl(self->fd, flags[i],
						  self->vdev_id, &db,
						  sizeof(db), 1));
		/* A GET with an unknown bit wrote nothing */
		ASSERT_EQ(DB_VALID, db.flags);
		ASSERT_EQ(GUEST_DB_IOVA + 0x40, db.iova);
	}
	ASSERT_NO_ENTRIES();
}

TEST_F(msi_badinput, db_reserved_nonzero)
{
	struct iommu_msi_doorbell db = { 0, DB_VALID, GUEST_DB_IOVA + 0x40,
					 GUEST_DB_IPA + 0x40 };
	struct iommu_vdevice_msi_doorbell cmd = {
		.size = sizeof(cmd),
		.vdevice_id = self->vdev_id,
		.entry_len = sizeof(db),
		.entry_num = 1,
		.__reserved = 1,
		.entries_uptr = (uintptr_t)&db,
	};

	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_VDEVICE_MSI_DOORBELL,
				       &cmd));
	cmd.__reserved = 1U << 31;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_VDEVICE_MSI_DOORBELL,
				       &cmd));
	cmd.flags = IOMMU_VDEVICE_MSI_DOORBELL_GET;
	EXPECT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_VDEVICE_MSI_DOORBELL,
				       &cmd));
	ASSERT_EQ(GUEST_DB_IOVA + 0x40, db.iova);
	ASSERT_NO_ENTRIES();
}

/* The command in a buffer of @size bytes, @tail in its last byte past it */
static int db_ioctl_sized(int fd, __u32 size, __u8 tail, __u32 flags,
			  __u32 vdev_id, void *entries)
{
	union {
		struct iommu_vdevice_msi_doorbell cmd;
		__u8 bytes[256];
	} buf = {};

	buf.cmd.size = size;
	buf.cmd.flags = flags;
	buf.cmd.vdevice_id = vdev_id;
	buf.cmd.entry_len = sizeof(struct iommu_msi_doorbell);
	buf.cmd.entry_num = 1;
	buf.cmd.entries_uptr = (uintptr_t)entries;
	if (size > sizeof(buf.cmd) && size <= sizeof(buf))
		buf.bytes[size - 1] = tail;
	return ioctl(fd, IOMMU_VDEVICE_MSI_DOORBELL, &buf);
}

TEST_F(msi_badinput, db_struct_short)
{
	static const __u32 sizes[] = { 0, 8, 24, 31 };
	struct iommu_msi_doorbell db = { 0, DB_VALID, GUEST_DB_IOVA + 0x40,
					 GUEST_DB_IPA + 0x40 };
	unsigned int i;

	for (i = 0; i != sizeof(sizes) / sizeof(sizes[0]); i++) {
		EXPECT_ERRNO(EINVAL, db_ioctl_sized(self->fd, sizes[i], 0, 0,
						    self->vdev_id, &db));
		EXPECT_ERRNO(EINVAL, db_ioctl_sized(
					     self->fd, sizes[i], 0,
					     IOMMU_VDEVICE_MSI_DOORBELL_GET,
					     self->vdev_id, &db));
		ASSERT_EQ(GUEST_DB_IOVA + 0x40, db.iova);
	}
	ASSERT_NO_ENTRIES();
}

TEST_F(msi_badinput, db_struct_long_nonzero_tail)
{
	static const __u32 sizes[] = { 33, 40, 256 };
	struct iommu_msi_doorbell db = { 0, DB_VALID, GUEST_DB_IOVA + 0x40,
					 GUEST_DB_IPA + 0x40 };
	unsigned int i;

	for (i = 0; i != sizeof(sizes) / sizeof(sizes[0]); i++) {
		EXPECT_ERRNO(E2BIG, db_ioctl_sized(self->fd, sizes[i], 1, 0,
						   self->vdev_id, &db));
		EXPECT_ERRNO(E2BIG, db_ioctl_sized(
					    self->fd, sizes[i], 0xff,
					    IOMMU_VDEVICE_MSI_DOORBELL_GET,
					    self->vdev_id, &db));
		ASSERT_EQ(GUEST_DB_IOVA + 0x40, db.iova);
	}
	ASSERT_NO_ENTRIES();
}

TEST_F(msi_badinput, db_struct_long_zero_tail)
{
	struct iommu_msi_doorbell db = { 0, DB_VALID, GUEST_DB_IOVA + 0x40,
					 GUEST_DB_IPA + 0x40 };

	ASSERT_EQ(0, db_ioctl_sized(self->fd, 256, 0, 0, self->vdev_id, &db));
	ASSERT_EQ((long long)(GUEST_DB_IOVA + 0x40), db_get(self->fd, self->vdev_id, 0,
					       NULL));
	memset(&db, 0, sizeof(db));
	ASSERT_EQ(0, db_ioctl_sized(self->fd, 40, 0,
				    IOMMU_VDEVICE_MSI_DOORBELL_GET,
				    self->vdev_id, &db));
	ASSERT_EQ(DB_VALID, db.flags);
	ASSERT_EQ(GUEST_DB_IOVA + 0x40, db.iova);
	ASSERT_EQ(GUEST_DB_IPA + 0x40, db.nesting_parent_iova);
	ASSERT_IPA_TAKEN(GUEST_DB_IPA);
}

TEST_F(msi_badinput, db_entry_len_below_min)
{
	static const __u32 lens[] = { 0, 1, 16, 20, 23 };
	struct iommu_msi_doorbell db[2] = {
		{ 0, DB_VALID, GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x40 },
	};
	unsigned int i;

	for (i = 0; i != sizeof(lens) / sizeof(lens[0]); i++) {
		EXPECT_ERRNO(EINVAL, db_ioctl(self->fd, 0, self->vdev_id, db,
					      lens[i], 1));
		EXPECT_ERRNO(EINVAL, db_ioctl(self->fd,
					      IOMMU_VDEVICE_MSI_DOORBELL_GET,
					      self->vdev_id, db, lens[i], 1));
	}
	ASSERT_EQ(GUEST_DB_IOVA + 0x40, db[0].iova);
	ASSERT_NO_ENTRIES();
}

TEST_F(msi_badinput, db_entry_len_above_max)
{
	static const __u32 lens[] = { 4097, 8192, 1U << 31, ~0U };
	__u8 *buf = calloc(1, 8192);
	unsigned int i;

	ASSERT_NE(NULL, buf);
	*(struct iommu_msi_doorbell *)buf = (struct iommu_msi_doorbell){
		0, DB_VALID, GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x40
	};
	for (i = 0; i != sizeof(lens) / sizeof(lens[0]); i++) {
		EXPECT_ERRNO(EINVAL, db_ioctl(self->fd, 0, self->vdev_id, buf,
					      lens[i], 1));
		EXPECT_ERRNO(EINVAL, db_ioctl(self->fd,
					      IOMMU_VDEVICE_MSI_DOORBELL_GET,
					      self->vdev_id, buf, lens[i], 1));
	}
	ASSERT_EQ(GUEST_DB_IOVA + 0x40,
		  ((struct iommu_msi_doorbell *)buf)->iova);
	free(buf);
	ASSERT_NO_ENTRIES();
}

TEST_F(msi_badinput, db_entry_len_bounds)
{
	static const __u32 lens[] = { 24, 25, 4096 };
	__u8 *buf = calloc(2, 4096);
	struct iommu_msi_doorbell db;
	unsigned int i;

	ASSERT_NE(NULL, buf);
	for (i = 0; i != sizeof(lens) / sizeof(lens[0]); i++) {
		/* Two entries, the second at an odd offset when len is 25 */
		memset(buf, 0, 2 * 4096);
		db = (struct iommu_msi_doorbell){ 0, DB_VALID,
						  GUEST_DB_IOVA + 0x40 + i,
						  GUEST_DB_IPA + 0x40 + i };
		memcpy(buf, &db, sizeof(db));
		db.msi_index = 1;
		db.iova += 0x1000;
		memcpy(buf + lens[i], &db, sizeof(db));
		ASSERT_EQ(0, db_ioctl(self->fd, 0, self->vdev_id, buf, lens[i],
				      2));
		ASSERT_EQ((long long)(GUEST_DB_IOVA + 0x40 + i), db_get(self->fd, self->vdev_id, 0, NULL));
		ASSERT_EQ((long long)(GUEST_DB_IOVA + 0x1040 + i), db_get(self->fd, self->vdev_id, 1, NULL));
		/* and a GET at that length fills both, the tails untouched */
		memset(buf, 0, 2 * 4096);
		((struct iommu_msi_doorbell *)buf)->msi_index = 0;
		memcpy(buf + lens[i], &(__u32){ 1 }, sizeof(__u32));
		ASSERT_EQ(0, db_ioctl(self->fd, IOMMU_VDEVICE_MSI_DOORBELL_GET,
				      self->vdev_id, buf, lens[i], 2));
		memcpy(&db, buf + lens[i], sizeof(db));
		ASSERT_EQ(1U, db.msi_index);
		ASSERT_EQ(DB_VALID, db.flags);
		ASSERT_EQ(GUEST_DB_IOVA + 0x1040 + i, db.iova);
		ASSERT_EQ(GUEST_DB_IPA + 0x40 + i, db.nesting_parent_iova);
		ASSERT_EQ(0, db_set(self->fd, self->vdev_id, 0, 0, 0, 0));
		ASSERT_EQ(0, db_set(self->fd, self->vdev_id, 1, 0, 0, 0));
	}
	free(buf);
	ASSERT_NO_ENTRIES();
}

TEST_F(msi_badinput, db_entry_num_zero)
{
	struct iommu_msi_doorbell db = { 0, DB_VALID, GUEST_DB_IOVA + 0x40,
					 GUEST_DB_IPA + 0x40 };

	EXPECT_ERRNO(EINVAL, db_ioctl(self->fd, 0, self->vdev_id, &db,
				      sizeof(db), 0));
	EXPECT_ERRNO(EINVAL, db_ioctl(self->fd, IOMMU_VDEVICE_MSI_DOORBELL_GET,
				      self->vdev_id, &db, sizeof(db), 0));
	ASSERT_EQ(DB_VALID, db.flags);
	ASSERT_NO_ENTRIES();
}

TEST_F(msi_badinput, db_entry_num_above_max)
{
	static const __u32 nums[] = { 2049, 4096, 1U << 31, ~0U };
	struct iommu_msi_doorbell *dbs = calloc(4096,
						sizeof(struct iommu_msi_doorbell));
	unsigned int i;

	ASSERT_NE(NULL, dbs);
	for (i = 0; i != 4096; i++)
		dbs[i] = (struct iommu_msi_doorbell){
			i, DB_VALID, GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x40
		};
	for (i = 0; i != sizeof(nums) / sizeof(nums[0]); i++) {
		EXPECT_ERRNO(EINVAL, db_ioctl(self->fd, 0, self->vdev_id, dbs,
					      sizeof(*dbs), nums[i]));
		EXPECT_ERRNO(EINVAL, db_ioctl(self->fd,
					      IOMMU_VDEVICE_MSI_DOORBELL_GET,
					      self->vdev_id, dbs, sizeof(*dbs),
					      nums[i]));
	}
	free(dbs);
	ASSERT_NO_ENTRIES();
}

TEST_F(msi_badinput, db_entry_num_max)
{
	struct iommu_msi_doorbell *dbs = calloc(2048,
						sizeof(struct iommu_msi_doorbell));
	unsigned int i;

	ASSERT_NE(NULL, dbs);
	ASSERT_EQ(0, db_set(self->fd, self->vdev_id, 2047, DB_VALID,
			    GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x40));
	for (i = 0; i != 2048; i++)
		dbs[i].msi_index = 2047 - i;
	ASSERT_EQ(0, db_ioctl(self->fd, IOMMU_VDEVICE_MSI_DOORBELL_GET,
			      self->vdev_id, dbs, sizeof(*dbs), 2048));
	/* In the caller's order, only index 2047 (entry 0) with an entry */
	ASSERT_EQ(2047U, dbs[0].msi_index);
	ASSERT_EQ(DB_VALID, dbs[0].flags);
	ASSERT_EQ(GUEST_DB_IOVA + 0x40, dbs[0].iova);
	for (i = 1; i != 2048; i++) {
		ASSERT_EQ(2047 - i, dbs[i].msi_index);
		ASSERT_EQ(0U, dbs[i].flags);
		ASSERT_EQ(0ULL, dbs[i].iova);
		ASSERT_EQ(0ULL, dbs[i].nesting_parent_iova);
	}
	/* 2048 removals in one SET */
	memset(dbs, 0, 2048 * sizeof(*dbs));
	for (i = 0; i != 2048; i++)
		dbs[i].msi_index = i;
	ASSERT_EQ(0, db_ioctl(self->fd, 0, self->vdev_id, dbs, sizeof(*dbs),
			      2048));
	ASSERT_NO_ENTRY(self->vdev_id, 2047);
	ASSERT_NO_ENTRIES();
	/* 2048 entries on 2048 pages, left to the close of the fd */
	for (i = 0; i != 2048; i++)
		dbs[i] = (struct iommu_msi_doorbell){
			i, DB_VALID, GUEST_DB_IOVA + 0x40 + i * 0x1000ULL,
			GUEST_DB_IPA + 0x40 + i * 0x1000ULL
		};
	ASSERT_EQ(0, db_ioctl(self->fd, 0, self->vdev_id, dbs, sizeof(*dbs),
			      2048));
	free(dbs);
	ASSERT_DB(self->vdev_id, 2047, GUEST_DB_IOVA + 0x40 + 2047 * 0x1000ULL);
	ASSERT_IPA_TAKEN(GUEST_DB_IPA + 2047 * 0x1000ULL);
	ASSERT_IPA_FREE(GUEST_DB_IPA + 2048 * 0x1000ULL);
}

TEST_F(msi_badinput, db_entries_uptr_null)
{
	EXPECT_ERRNO(EFAULT, db_ioctl(self->fd, 0, self->vdev_id, NULL,
				      sizeof(struct iommu_msi_doorbell), 1));
	EXPECT_ERRNO(EFAULT, db_ioctl(self->fd, IOMMU_VDEVICE_MSI_DOORBELL_GET,
				      self->vdev_id, NULL,
				      sizeof(struct iommu_msi_doorbell), 1));
	ASSERT_NO_ENTRIES();
}

TEST_F(msi_badinput, db_entries_uptr_bad)
{
	void *gone = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const uintptr_t ptrs[] = {
		0, /* replaced by @gone */
		(uintptr_t)-page_size, /* the top page: kernel */
		(uintptr_t)1 << 63, /* non-canonical or kernel half */
		16, /* in page 0, never mapped */
	};
	unsigned int i;

	ASSERT_NE(MAP_FAILED, gone);
	ASSERT_EQ(0, munmap(gone, page_size));
	for (i = 0; i != sizeof(ptrs) / sizeof(ptrs[0]); i++) {
		void *p = i ? (void *)ptrs[i] : gone;

		EXPECT_ERRNO(EFAULT, db_ioctl(self->fd, 0, self->vdev_id, p,
					      sizeof(struct iommu_msi_doorbell),
					      1));
		EXPECT_ERRNO(EFAULT, db_ioctl(self->fd,
					      IOMMU_VDEVICE_MSI_DOORBELL_GET,
					      self->vdev_id, p,
					      sizeof(struct iommu_msi_doorbell),
					      1));
	}
	ASSERT_NO_ENTRIES();
}

TEST_F(msi_badinput, db_entries_uptr_partial)
{
	struct iommu_msi_doorbell db = { 0, DB_VALID, GUEST_DB_IOVA + 0x40,
					 GUEST_DB_IPA + 0x40 };
	__u8 *two = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__u8 *first;

	ASSERT_NE(MAP_FAILED, two);
	ASSERT_EQ(0, mprotect(two + page_size, page_size, PROT_NONE));
	/* Entry 0 readable at the end of the first page, entry 1 not */
	first = two + page_size - sizeof(db);
	memcpy(first, &db, sizeof(db));
	EXPECT_ERRNO(EFAULT, db_ioctl(self->fd, 0, self->vdev_id, first,
				      sizeof(db), 2));
	/* and an entry that straddles the two pages */
	first = two + page_size - 8;
	EXPECT_ERRNO(EFAULT, db_ioctl(self->fd, 0, self->vdev_id, first,
				      sizeof(db), 1));
	munmap(two, 2 * page_size);
	ASSERT_NO_ENTRIES();
}

TEST_F(msi_badinput, db_entries_uptr_high_bits)
{
	struct iommu_msi_doorbell db = { 0, DB_VALID, GUEST_DB_IOVA + 0x40,
					 GUEST_DB_IPA + 0x40 };
	/* Low 32 bits of the address: 0x1000, which is not mapped */
	void *want = (void *)(((uintptr_t)1 << 35) + 0x1000);
	struct iommu_msi_doorbell *high;

	if (sizeof(void *) < 8)
		SKIP(return, "32-bit process");
	high = mmap(want, page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (high == MAP_FAILED || high != want)
		SKIP(return, "no mapping at %p", want);
	*high = db;
	ASSERT_EQ(0, db_ioctl(self->fd, 0, self->vdev_id, high, sizeof(db),
			      1));
	memset(high, 0, sizeof(*high));
	ASSERT_EQ(0, db_ioctl(self->fd, IOMMU_VDEVICE_MSI_DOORBELL_GET,
			      self->vdev_id, high, sizeof(db), 1));
	ASSERT_EQ(DB_VALID, high->flags);
	ASSERT_EQ(GUEST_DB_IOVA + 0x40, high->iova);
	munmap(high, page_size);
	ASSERT_IPA_TAKEN(GUEST_DB_IPA);
}

TEST_F(msi_badinput, db_get_readonly_entries)
{
	struct iommu_msi_doorbell *ro = mmap(NULL, page_size, PROT_READ,
					     MAP_PRIVATE | MAP_ANONYMOUS, -1,
					     0);
	__u64 npiova;

	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(0, db_set(self->fd, self->vdev_id, 0, DB_VALID,
			    GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x40));
	/* Index 0 (the zero page) can be read, not written */
	EXPECT_ERRNO(EFAULT, db_ioctl(self->fd, IOMMU_VDEVICE_MSI_DOORBELL_GET,
				      self->vdev_id, ro, sizeof(*ro), 1));
	munmap(ro, page_size);
	ASSERT_EQ((long long)(GUEST_DB_IOVA + 0x40), db_get(self->fd, self->vdev_id, 0, &npiova));
	ASSERT_EQ(GUEST_DB_IPA + 0x40, npiova);
	ASSERT_IPA_TAKEN(GUEST_DB_IPA);
}

TEST_F(msi_badinput, db_entry_tail_nonzero)
{
	__u8 *buf = calloc(2, 4096);
	struct iommu_msi_doorbell db = { 0, DB_VALID, GUEST_DB_IOVA + 0x40,
					 GUEST_DB_IPA + 0x40 };

	ASSERT_NE(NULL, buf);
	/* The last byte of a 4096-byte entry */
	memcpy(buf, &db, sizeof(db));
	buf[4095] = 1;
	EXPECT_ERRNO(E2BIG, db_ioctl(self->fd, 0, self->vdev_id, buf, 4096,
				     1));
	EXPECT_ERRNO(E2BIG, db_ioctl(self->fd, IOMMU_VDEVICE_MSI_DOORBELL_GET,
				     self->vdev_id, buf, 4096, 1));
	/* The second of two entries: the first is not set either */
	memset(buf, 0, 2 * 4096);
	memcpy(buf, &db, sizeof(db));
	db.msi_index = 1;
	db.iova += 0x1000;
	memcpy(buf + 32, &db, sizeof(db));
	buf[32 + 24] = 0x80;
	EXPECT_ERRNO(E2BIG, db_ioctl(self->fd, 0, self->vdev_id, buf, 32, 2));
	free(buf);
	ASSERT_NO_ENTRIES();
}

TEST_F(msi_badinput, db_entry_unknown_flags)
{
	static const __u32 flags[] = { 1 << 1, DB_VALID | 1 << 1, 1U << 31,
				       ~0U };
	unsigned int i;

	for (i = 0; i != sizeof(flags) / sizeof(flags[0]); i++)
		EXPECT_ERRNO(EOPNOTSUPP,
			     db_set(self->fd, self->vdev_id, 0, flags[i],
				    GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x40));
	ASSERT_NO_ENTRIES();
}

TEST_F(msi_badinput, db_get_ignores_entry_flags)
{
	struct iommu_msi_doorbell db[2] = {
		{ 0, ~0U, ~0ULL, ~0ULL },
		{ 1, 1U << 31, 0, 0 },
	};

	ASSERT_EQ(0, db_set(self->fd, self->vdev_id, 1, DB_VALID,
			    GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x40));
	ASSERT_EQ(0, db_ioctl(self->fd, IOMMU_VDEVICE_MSI_DOORBELL_GET,
			      self->vdev_id, db, sizeof(db[0]), 2));
	ASSERT_EQ(0U, db[0].flags);
	ASSERT_EQ(0ULL, db[0].iova);
	ASSERT_EQ(0ULL, db[0].nesting_parent_iova);
	ASSERT_EQ(DB_VALID, db[1].flags);
	ASSERT_EQ(GUEST_DB_IOVA + 0x40, db[1].iova);
	ASSERT_EQ(GUEST_DB_IPA + 0x40, db[1].nesting_parent_iova);
}

TEST_F(msi_badinput, db_msi_index_above_max)
{
	static const __u32 bad[] = { 65536, 1U << 31, ~0U };
	struct iommu_msi_doorbell db;
	unsigned int i;

	for (i = 0; i != sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_ERRNO(EINVAL, db_set(self->fd, self->vdev_id, bad[i],
					    DB_VALID, GUEST_DB_IOVA + 0x40,
					    GUEST_DB_IPA + 0x40));
		db = (struct iommu_msi_doorbell){ .msi_index = bad[i] };
		EXPECT_ERRNO(EINVAL, db_ioctl(self->fd,
					      IOMMU_VDEVICE_MSI_DOORBELL_GET,
					      self->vdev_id, &db, sizeof(db),
					      1));
	}
	/* 65536 is not read as index 0 */
	ASSERT_NO_ENTRIES();
	/* The last index is one */
	ASSERT_EQ(0, db_set(self->fd, self->vdev_id, 65535, DB_VALID,
			    GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x40));
	ASSERT_EQ((long long)(GUEST_DB_IOVA + 0x40), db_get(self->fd, self->vdev_id, 65535, NULL));
	ASSERT_NO_ENTRY(self->vdev_id, 0);
}

TEST_F(msi_badinput, db_msi_index_twice)
{
	struct iommu_msi_doorbell db[3] = {
		{ 5, DB_VALID, GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x40 },
		{ 1, DB_VALID, GUEST_DB_IOVA + 0x1040, GUEST_DB_IPA + 0x10040 },
		{ 5, 0, 0, 0 },
	};

	EXPECT_ERRNO(EINVAL, db_ioctl(self->fd, 0, self->vdev_id, db,
				      sizeof(db[0]), 3));
	ASSERT_NO_ENTRY(self->vdev_id, 5);
	ASSERT_NO_ENTRY(self->vdev_id, 1);
	ASSERT_IPA_FREE(GUEST_DB_IPA + 0x10000);
	ASSERT_NO_ENTRIES();
}

TEST_F(msi_badinput, db_get_index_twice)
{
	struct iommu_msi_doorbell db[3] = { { .msi_index = 2 },
					    { .msi_index = 1 },
					    { .msi_index = 2 } };

	ASSERT_EQ(0, db_set(self->fd, self->vdev_id, 2, DB_VALID,
			    GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x40));
	/* "given twice" is a rule of SET: a GET reads both */
	ASSERT_EQ(0, db_ioctl(self->fd, IOMMU_VDEVICE_MSI_DOORBELL_GET,
			      self->vdev_id, db, sizeof(db[0]), 3));
	ASSERT_EQ(GUEST_DB_IOVA + 0x40, db[0].iova);
	ASSERT_EQ(0U, db[1].flags);
	ASSERT_EQ(GUEST_DB_IOVA + 0x40, db[2].iova);
	ASSERT_EQ(DB_VALID, db[2].flags);
}

TEST_F(msi_badinput, db_offset_mismatch)
{
	/* Bit 0, bit 11: refused */
	EXPECT_ERRNO(EINVAL, db_set(self->fd, self->vdev_id, 0, DB_VALID,
				    GUEST_DB_IOVA + 0x41, GUEST_DB_IPA + 0x40));
	EXPECT_ERRNO(EINVAL, db_set(self->fd, self->vdev_id, 0, DB_VALID,
				    GUEST_DB_IOVA + 0x840, GUEST_DB_IPA + 0x40));
	EXPECT_ERRNO(EINVAL, db_set(self->fd, self->vdev_id, 0, DB_VALID,
				    GUEST_DB_IOVA + 0xfff, GUEST_DB_IPA));
	ASSERT_NO_ENTRIES();
	/* Bit 12 and up may differ */
	ASSERT_EQ(0, db_set(self->fd, self->vdev_id, 0, DB_VALID,
			    GUEST_DB_IOVA + 0x1ffc, GUEST_DB_IPA + 0xffc));
	ASSERT_EQ((long long)(GUEST_DB_IOVA + 0x1ffc), db_get(self->fd, self->vdev_id, 0, NULL));
}

TEST_F(msi_badinput, db_iova_high_bits_kept)
{
	__u64 iova = 0xdead00000c000040ULL, npiova;

	ASSERT_EQ(0, db_set(self->fd, self->vdev_id, 0, DB_VALID, iova,
			    GUEST_DB_IPA + 0x40));
	ASSERT_EQ((long long)iova, db_get(self->fd, self->vdev_id, 0, &npiova));
	ASSERT_EQ(GUEST_DB_IPA + 0x40, npiova);
	iova = 0xfc0000000c000040ULL;
	ASSERT_EQ(0, db_set(self->fd, self->vdev_id, 1, DB_VALID, iova,
			    GUEST_DB_IPA + 0x40));
	ASSERT_EQ((long long)iova, db_get(self->fd, self->vdev_id, 1, NULL));
}

TEST_F(msi_badinput, db_iova_programmed_whole)
{
	/* "The device is programmed with exactly this address", any value */
	const __u64 iova[2] = { (1ULL << 57) | 0x0c000040,
				0xdead00000c000040ULL };
	__u64 msi_addr;
	unsigned int i;

	for (i = 0; i != 2; i++)
		ASSERT_EQ(0, db_set(self->fd, self->vdev_id, i, DB_VALID,
				    iova[i], GUEST_DB_IPA + 0x40));
	ASSERT_EQ(0, mock_attach(self->fd, self->stdev_id, self->nested_id,
				 NULL));
	for (i = 0; i != 2; i++) {
		ASSERT_EQ(0, msi_alloc(self->fd, self->stdev_id, i, 0x40,
				       &msi_addr));
		ASSERT_EQ(0x40, hwpt_doorbell(self->fd, self->parent_id,
					      GUEST_DB_IPA + 0x40));
		/* bits 58..63 of the second */
		ASSERT_EQ(iova[i], msi_addr);
	}
	for (i = 0; i != 2; i++)
		ASSERT_EQ(0, msi_free(self->fd, self->stdev_id, i));
}

TEST_F(msi_badinput, db_removal_with_address)
{
	EXPECT_ERRNO(EINVAL, db_set(self->fd, self->vdev_id, 0, 0, 1ULL << 63,
				    0));
	EXPECT_ERRNO(EINVAL, db_set(self->fd, self->vdev_id, 0, 0, 0,
				    1ULL << 32));
	EXPECT_ERRNO(EINVAL, db_set(self->fd, self->vdev_id, 0, 0, 1, 0));
	ASSERT_NO_ENTRIES();
	/* with an entry there, it stays */
	ASSERT_EQ(0, db_set(self->fd, self->vdev_id, 0, DB_VALID,
			    GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x40));
	EXPECT_ERRNO(EINVAL, db_set(self->fd, self->vdev_id, 0, 0,
				    GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x40));
	ASSERT_EQ((long long)(GUEST_DB_IOVA + 0x40), db_get(self->fd, self->vdev_id, 0, NULL));
	ASSERT_IPA_TAKEN(GUEST_DB_IPA);
}

TEST_F(msi_badinput, db_npiova_above_aperture)
{
	/* 4 GiB above a free IPA: not that IPA */
	EXPECT_ERRNO(EADDRINUSE,
		     db_set(self->fd, self->vdev_id, 0, DB_VALID,
			    GUEST_DB_IOVA + 0x40,
			    (1ULL << 32) + GUEST_DB_IPA + 0x40));
	EXPECT_ERRNO(EADDRINUSE,
		     db_set(self->fd, self->vdev_id, 0, DB_VALID,
			    GUEST_DB_IOVA + 0x40,
			    (__u64)MOCK_APERTURE_LAST + 1 + 0x40));
	/* The last page of the 64-bit space */
	EXPECT_ERRNO(EADDRINUSE,
		     db_set(self->fd, self->vdev_id, 0, DB_VALID, 0x40,
			    0xfffffffffffff040ULL));
	ASSERT_NO_ENTRIES();
}

TEST_F(msi_badinput, db_npiova_in_other_window)
{
	__u32 stdev2, dev2;

	ASSERT_EQ(0, mock_dev(self->fd, self->ioas_id,
			      MOCK_FLAGS_DEVICE_SW_MSI |
				      MOCK_FLAGS_DEVICE_NO_ATTACH,
			      &stdev2, &dev2));
	ASSERT_EQ(0, set_opt(self->fd, IOMMU_OPTION_SW_MSI_START, dev2,
			     0x0a000000));
	ASSERT_EQ(0, mock_attach(self->fd, stdev2, self->parent_id, NULL));
	EXPECT_ERRNO(EADDRINUSE,
		     db_set(self->fd, self->vdev_id, 0, DB_VALID,
			    GUEST_DB_IOVA + 0x40, 0x0a000040));
	EXPECT_ERRNO(EADDRINUSE,
		     db_set(self->fd, self->vdev_id, 0, DB_VALID,
			    GUEST_DB_IOVA + 0xffc, 0x0a0ffffc));
	ASSERT_NO_ENTRIES();
	ASSERT_EQ(-1, hwpt_doorbell(self->fd, self->parent_id, 0x0a000040));
}

TEST_F(msi_badinput, db_not_a_vdevice)
{
	const __u32 ids[] = {
		self->dev_id, self->ioas_id, self->parent_id, self->nested_id,
		self->viommu_id, self->stdev_id, 0, ~0U,
	};
	struct iommu_msi_doorbell db = { 0, DB_VALID, GUEST_DB_IOVA + 0x40,
					 GUEST_DB_IPA + 0x40 };
	unsigned int i;

	for (i = 0; i != sizeof(ids) / sizeof(ids[0]); i++) {
		EXPECT_ERRNO(ENOENT, db_ioctl(self->fd, 0, ids[i], &db,
					      sizeof(db), 1));
		EXPECT_ERRNO(ENOENT, db_ioctl(self->fd,
					      IOMMU_VDEVICE_MSI_DOORBELL_GET,
					      ids[i], &db, sizeof(db), 1));
		ASSERT_EQ(GUEST_DB_IOVA + 0x40, db.iova);
	}
	ASSERT_NO_ENTRIES();
}

TEST_F(msi_badinput, db_destroyed_vdevice)
{
	__u32 vdev_id = self->vdev_id;

	ASSERT_EQ(0, destroy(self->fd, vdev_id));
	EXPECT_ERRNO(ENOENT, db_set(self->fd, vdev_id, 0, DB_VALID,
				    GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x40));
	EXPECT_ERRNO(ENOENT, db_set(self->fd, vdev_id, 0, 0, 0, 0));
	ASSERT_EQ(-2, db_get(self->fd, vdev_id, 0, NULL));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_IPA_FREE(GUEST_DB_IPA);
	/* A new vDEVICE of the device sees no entry */
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu_id, self->dev_id,
				   0x99, &self->vdev_id));
	ASSERT_NO_ENTRIES();
}

TEST_F(msi_badinput, db_vdevice_of_unbound_device)
{
	__u32 stdev2, dev2, vdev2;

	ASSERT_EQ(0, mock_dev(self->fd, self->ioas_id,
			      MOCK_FLAGS_DEVICE_SW_MSI |
				      MOCK_FLAGS_DEVICE_NO_ATTACH,
			      &stdev2, &dev2));
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu_id, dev2, 0x97,
				   &vdev2));
	ASSERT_EQ(0, db_set(self->fd, vdev2, 0, DB_VALID, GUEST_DB_IOVA + 0x40,
			    GUEST_DB_IPA + 0x40));
	ASSERT_IPA_TAKEN(GUEST_DB_IPA);
	ASSERT_EQ(0, destroy(self->fd, stdev2));
	EXPECT_ERRNO(ENOENT, db_set(self->fd, vdev2, 1, DB_VALID,
				    GUEST_DB_IOVA + 0x1040,
				    GUEST_DB_IPA + 0x10040));
	ASSERT_EQ(-2, db_get(self->fd, vdev2, 0, NULL));
	EXPECT_EQ(ENOENT, errno);
	/* Its entries went with it */
	ASSERT_IPA_FREE(GUEST_DB_IPA + 0x10000);
	ASSERT_NO_ENTRIES();
}

TEST_F(msi_badinput, db_no_sw_msi_device)
{
	EXPECT_ERRNO(EOPNOTSUPP, db_set(self->fd, self->plain_vdev_id, 0,
					DB_VALID, GUEST_DB_IOVA + 0x40,
					GUEST_DB_IPA + 0x40));
	EXPECT_ERRNO(EOPNOTSUPP, db_set(self->fd, self->plain_vdev_id, 0, 0,
					0, 0));
	ASSERT_EQ(-2, db_get(self->fd, self->plain_vdev_id, 0, NULL));
	EXPECT_EQ(EOPNOTSUPP, errno);
	ASSERT_IPA_FREE(GUEST_DB_IPA);
}

TEST_F(msi_badinput, db_set_attached_paging)
{
	__u32 pt[2] = { self->parent_id, self->ioas_id };
	unsigned int i;

	for (i = 0; i != 2; i++) {
		ASSERT_EQ(0, mock_attach(self->fd, self->stdev_id, pt[i],
					 NULL));
		EXPECT_ERRNO(EBUSY, db_set(self->fd, self->vdev_id, 0,
					   DB_VALID, GUEST_DB_IOVA + 0x40,
					   GUEST_DB_IPA + 0x40));
		ASSERT_NO_ENTRIES();
		ASSERT_EQ(0, mock_attach(self->fd, self->stdev_id, 0, NULL));
	}
}

TEST_F(msi_badinput, db_set_attached_other_nested)
{
	__u32 parent2, nested2;

	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev_id, self->ioas_id,
				IOMMU_HWPT_ALLOC_NEST_PARENT,
				IOMMU_HWPT_DATA_NONE, NULL, 0, &parent2));
	/* A nested HWPT on parent2 itself: a device has one vDEVICE only */
	ASSERT_EQ(0, nested_alloc(self->fd, self->dev_id, parent2, &nested2));
	ASSERT_EQ(0, mock_attach(self->fd, self->stdev_id, nested2, NULL));
	EXPECT_ERRNO(EBUSY, db_set(self->fd, self->vdev_id, 0, DB_VALID,
				   GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x40));
	ASSERT_NO_ENTRIES();
	ASSERT_EQ(-1, hwpt_doorbell(self->fd, parent2, GUEST_DB_IPA + 0x40));
}

TEST_F(msi_badinput, db_set_group_peer_paging)
{
	__u32 peer_stdev, peer_dev;

	ASSERT_EQ(0, mock_dev_group(self->fd, self->parent_id, self->stdev_id,
				    MOCK_FLAGS_DEVICE_SW_MSI, &peer_stdev,
				    &peer_dev));
	/* The device itself is not attached; its group is, to paging */
	EXPECT_ERRNO(EBUSY, db_set(self->fd, self->vdev_id, 0, DB_VALID,
				   GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x40));
	ASSERT_NO_ENTRIES();
}

TEST_F(msi_badinput, db_set_live_vector_all_or_none)
{
	struct iommu_msi_doorbell db[2] = {
		{ 1, DB_VALID, GUEST_DB_IOVA + 0x1040, GUEST_DB_IPA + 0x10040 },
		{ 0, DB_VALID, GUEST_DB_IOVA + 0x2040, GUEST_DB_IPA + 0x40 },
	};
	__u64 msi_addr;

	ASSERT_EQ(0, mock_attach(self->fd, self->stdev_id, self->nested_id,
				 NULL));
	ASSERT_EQ(0, db_set(self->fd, self->vdev_id, 0, DB_VALID,
			    GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x40));
	ASSERT_EQ(0, msi_alloc(self->fd, self->stdev_id, 0, 0x40, &msi_addr));
	ASSERT_EQ(GUEST_DB_IOVA + 0x40, msi_addr);
	/* Index 1 is new, index 0 would change under its vector */
	EXPECT_ERRNO(EBUSY, db_ioctl(self->fd, 0, self->vdev_id, db,
				     sizeof(db[0]), 2));
	ASSERT_NO_ENTRY(self->vdev_id, 1);
	ASSERT_IPA_FREE(GUEST_DB_IPA + 0x10000);
	ASSERT_EQ((long long)(GUEST_DB_IOVA + 0x40), db_get(self->fd, self->vdev_id, 0, NULL));
	ASSERT_EQ(0x40, hwpt_doorbell(self->fd, self->parent_id,
				      GUEST_DB_IPA + 0x40));
	ASSERT_EQ(0, msi_free(self->fd, self->stdev_id, 0));
}

TEST_F(msi_badinput, db_set_entries_of_other_parent)
{
	__u32 parent2, viommu2, vdev2;
	__u64 msi_addr;

	ASSERT_EQ(0, mock_attach(self->fd, self->stdev_id, self->nested_id,
				 NULL));
	ASSERT_EQ(0, db_set(self->fd, self->vdev_id, 0, DB_VALID,
			    GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x40));
	ASSERT_EQ(0, msi_alloc(self->fd, self->stdev_id, 0, 0x40, &msi_addr));
	/* The vDEVICE goes; the entry of the allocated vector stays */
	ASSERT_EQ(0, destroy(self->fd, self->vdev_id));
	ASSERT_EQ(0, mock_attach(self->fd, self->stdev_id, 0, NULL));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->dev_id, self->ioas_id,
				IOMMU_HWPT_ALLOC_NEST_PARENT,
				IOMMU_HWPT_DATA_NONE, NULL, 0, &parent2));
	ASSERT_EQ(0, viommu_alloc(self->fd, self->dev_id, parent2, &viommu2));
	ASSERT_EQ(0, vdevice_alloc(self->fd, viommu2, self->dev_id, 0x99,
				   &vdev2));
	EXPECT_ERRNO(EBUSY, db_set(self->fd, vdev2, 1, DB_VALID,
				   GUEST_DB_IOVA + 0x1040,
				   GUEST_DB_IPA + 0x10040));
	ASSERT_IPA_FREE(GUEST_DB_IPA + 0x10000);
	ASSERT_EQ(-1, hwpt_doorbell(self->fd, parent2, GUEST_DB_IPA + 0x10040));
	/* The old entry still maps its doorbell in the old parent */
	ASSERT_EQ(0x40, hwpt_doorbell(self->fd, self->parent_id,
				      GUEST_DB_IPA + 0x40));
	ASSERT_EQ((long long)(GUEST_DB_IOVA + 0x40), db_get(self->fd, vdev2, 0, NULL));
	ASSERT_EQ(0, msi_free(self->fd, self->stdev_id, 0));
}

TEST_F(msi_badinput, db_npiova_in_allowed_range)
{
	struct iommu_iova_range allowed = {
		.start = GUEST_DB_IPA + 0x10000,
		.last = GUEST_DB_IPA + 0x1ffff,
	};
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas_id,
		.num_iovas = 1,
		.allowed_iovas = (uintptr_t)&allowed,
	};

	ASSERT_EQ(0, ioctl(self->fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd));
	EXPECT_ERRNO(EADDRINUSE,
		     db_set(self->fd, self->vdev_id, 0, DB_VALID,
			    GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x10040));
	EXPECT_ERRNO(EADDRINUSE,
		     db_set(self->fd, self->vdev_id, 0, DB_VALID,
			    GUEST_DB_IOVA + 0xffc, GUEST_DB_IPA + 0x1fffc));
	ASSERT_NO_ENTRIES();
	/* Its pages were not taken */
	ASSERT_IPA_FREE(GUEST_DB_IPA + 0x10000);
	ASSERT_IPA_FREE(GUEST_DB_IPA + 0x1f000);
}

TEST_F(msi_badinput, db_entries_uptr_unaligned)
{
	__u8 *buf = calloc(1, 64);
	struct iommu_msi_doorbell db = { 0, DB_VALID, GUEST_DB_IOVA + 0x40,
					 GUEST_DB_IPA + 0x40 };

	ASSERT_NE(NULL, buf);
	memcpy(buf + 3, &db, sizeof(db));
	ASSERT_EQ(0, db_ioctl(self->fd, 0, self->vdev_id, buf + 3, sizeof(db),
			      1));
	memset(buf, 0, 64);
	ASSERT_EQ(0, db_ioctl(self->fd, IOMMU_VDEVICE_MSI_DOORBELL_GET,
			      self->vdev_id, buf + 3, sizeof(db), 1));
	memcpy(&db, buf + 3, sizeof(db));
	free(buf);
	ASSERT_EQ(DB_VALID, db.flags);
	ASSERT_EQ(GUEST_DB_IOVA + 0x40, db.iova);
	ASSERT_EQ(GUEST_DB_IPA + 0x40, db.nesting_parent_iova);
}

TEST_F(msi_badinput, db_set_all_or_none_addrinuse)
{
	struct iommu_msi_doorbell db[3] = {
		{ 0, DB_VALID, GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x40 },
		{ 1, DB_VALID, GUEST_DB_IOVA + 0x1040, GUEST_DB_IPA + 0x10040 },
		{ 2, DB_VALID, GUEST_DB_IOVA + 0x2040, GUEST_DB_IPA + 0x20040 },
	};

	/* The last entry's page is mapped in the parent's IOAS */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, probe_page,
				    page_size, GUEST_DB_IPA + 0x20000));
	EXPECT_ERRNO(EADDRINUSE, db_ioctl(self->fd, 0, self->vdev_id, db,
					  sizeof(db[0]), 3));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id,
				GUEST_DB_IPA + 0x20000, page_size));
	/* The first two were not set, their pages not kept */
	ASSERT_NO_ENTRIES();
	ASSERT_IPA_FREE(GUEST_DB_IPA + 0x10000);
	ASSERT_IPA_FREE(GUEST_DB_IPA + 0x20000);
}

TEST_F(msi_badinput, db_set_change_failed_keeps_old)
{
	__u64 npiova;

	ASSERT_EQ(0, db_set(self->fd, self->vdev_id, 0, DB_VALID,
			    GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x40));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, probe_page,
				    page_size, GUEST_DB_IPA + 0x10000));
	/* The new page is mapped: the entry keeps its old page */
	EXPECT_ERRNO(EADDRINUSE,
		     db_set(self->fd, self->vdev_id, 0, DB_VALID,
			    GUEST_DB_IOVA + 0x40, GUEST_DB_IPA + 0x10040));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id,
				GUEST_DB_IPA + 0x10000, page_size));
	ASSERT_EQ(GUEST_DB_IOVA + 0x40,
		  (__u64)db_get(self->fd, self->vdev_id, 0, &npiova));
	ASSERT_EQ(GUEST_DB_IPA + 0x40, npiova);
	ASSERT_IPA_TAKEN(GUEST_DB_IPA);
	ASSERT_IPA_FREE(GUEST_DB_IPA + 0x10000);
	/* and the vector gets the old address */
	ASSERT_EQ(0, mock_attach(self->fd, self->stdev_id, self->nested_id,
				 NULL));
	ASSERT_EQ(0, msi_alloc(self->fd, self->stdev_id, 0, 0x40, &npiova));
	ASSERT_EQ(GUEST_DB_IOVA + 0x40, npiova);
	ASSERT_EQ(0x40, hwpt_doorbell(self->fd, self->parent_id,
				      GUEST_DB_IPA + 0x40));
	ASSERT_EQ(-1, hwpt_doorbell(self->fd, self->parent_id,
				    GUEST_DB_IPA + 0x10040));
	ASSERT_EQ(0, msi_free(self->fd, self->stdev_id, 0));
}

TEST_HARNESS_MAIN
