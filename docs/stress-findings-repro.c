// Minimal reproductions of what msi-stress found (expected behaviour asserted)
#include <sys/mman.h>
#include "iommufd_utils.h"

static long rdb(int fd, __u32 hwpt, __u64 iova)
{
	__u32 kind, off;

	if (_test_cmd_hwpt_read_doorbell(fd, hwpt, iova, &kind, &off))
		return -3;
	return kind == MOCK_DOORBELL_PAGE ? (long)off : kind == MOCK_DOORBELL_NONE ? -1 : -2;
}

static int ranges_allow(int fd, __u32 ioas, __u64 iova)
{
	struct iommu_iova_range r[32];
	struct iommu_ioas_iova_ranges c = { .size = sizeof(c), .ioas_id = ioas,
		.num_iovas = 32, .allowed_iovas = (uintptr_t)r };
	unsigned int i;

	if (ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &c))
		return -1;
	for (i = 0; i < c.num_iovas; i++)
		if (iova >= r[i].start && iova <= r[i].last)
			return 1;
	return 0;
}

FIXTURE(f) { int fd; __u32 ioas; void *buf; };
FIXTURE_SETUP(f)
{
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_NE(-1, self->fd);
	ASSERT_EQ(0, _test_ioctl_ioas_alloc(self->fd, &self->ioas));
	self->buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}
FIXTURE_TEARDOWN(f) { close(self->fd); }

/* F1: a HWPT keeps a doorbell after its last user detached; the window is unreserved */
TEST_F(f, stale_doorbell)
{
	__u32 stdev, idev, hwpt;
	__u64 addr, iova = MOCK_SW_MSI_START;
	int rc;

	ASSERT_EQ(0, _test_cmd_mock_domain_flags(self->fd, self->ioas,
		MOCK_FLAGS_DEVICE_SW_MSI | MOCK_FLAGS_DEVICE_NO_ATTACH, &stdev, NULL, &idev));
	ASSERT_EQ(0, _test_cmd_hwpt_alloc(self->fd, idev, self->ioas, 0, 0, &hwpt,
					  IOMMU_HWPT_DATA_NONE, NULL, 0));
	ASSERT_EQ(0, _test_cmd_mock_domain_attach(self->fd, stdev, hwpt, NULL));
	ASSERT_EQ(0, _test_cmd_md_prepare_msi(self->fd, stdev, 0x40, &addr));
	TH_LOG("prepared: %#llx, hwpt maps %ld there, IOVA usable in IOAS: %d",
	       (unsigned long long)addr, rdb(self->fd, hwpt, addr), ranges_allow(self->fd, self->ioas, addr));
	ASSERT_EQ(0, _test_cmd_mock_domain_attach(self->fd, stdev, 0, NULL));
	TH_LOG("detached: hwpt maps %ld at %#llx, IOVA usable in IOAS: %d",
	       rdb(self->fd, hwpt, addr), (unsigned long long)addr, ranges_allow(self->fd, self->ioas, addr));
	rc = _test_ioctl_ioas_map(self->fd, self->ioas, self->buf, 4096, &iova,
		IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE) ? errno : 0;
	TH_LOG("IOAS_MAP at %#llx: %d", (unsigned long long)MOCK_SW_MSI_START, rc);
	/* Expected: either reserved (not usable) or mappable */
	EXPECT_FALSE(ranges_allow(self->fd, self->ioas, addr) == 1 && rc != 0);
}

/* F2: a first attach with another window moves the group's window under a live vector */
TEST_F(f, window_moved_under_vector)
{
	__u32 a, a_idev, b, b_idev, hwpt_a, hwpt_b;
	__u64 addr, v = 256 << 20;
	int rc, rc_b;

	ASSERT_EQ(0, _test_cmd_mock_domain_flags(self->fd, self->ioas, MOCK_FLAGS_DEVICE_SW_MSI,
						 &a, &hwpt_a, &a_idev));
	ASSERT_EQ(0, _test_cmd_mock_domain_group(self->fd, hwpt_a, a, MOCK_FLAGS_DEVICE_SW_MSI,
						 &b, NULL, &b_idev));
	/* B leaves and asks for another window, before the group has an MSI */
	ASSERT_EQ(0, _test_cmd_mock_domain_attach(self->fd, b, 0, NULL));
	ASSERT_EQ(0, _test_ioctl_option(self->fd, IOMMU_OPTION_SW_MSI_START, IOMMU_OPTION_OP_SET,
					b_idev, &v));
	/* A allocates a vector in the default window, then detaches */
	ASSERT_EQ(0, _test_cmd_md_msi_alloc(self->fd, a, 0, 0x40, &addr));
	TH_LOG("A's vector: %#llx, mapped: %ld", (unsigned long long)addr, rdb(self->fd, hwpt_a, addr));
	ASSERT_EQ(0, _test_cmd_mock_domain_attach(self->fd, a, 0, NULL));
	/* B attaches the group first, with its window */
	rc = _test_cmd_mock_domain_attach(self->fd, b, self->ioas, &hwpt_b) ? errno : 0;
	rc_b = rc;
	TH_LOG("B attaches first with window 256 MiB: %d (hwpt %u)", rc, hwpt_b);
	if (!rc)
		TH_LOG("A's live vector %#llx in the group's domain: %ld (-1: nothing mapped)",
		       (unsigned long long)addr, rdb(self->fd, hwpt_b, addr));
	rc = _test_cmd_mock_domain_attach(self->fd, a, hwpt_b, NULL) ? errno : 0;
	TH_LOG("A attaches again: %d", rc);
	/* Expected: B's first attach refused while A's vector lives in another window */
	EXPECT_NE(0, rc_b);
}

TEST_HARNESS_MAIN
