/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A guest's stage 1 for arm-smmu-v3, built the way a guest kernel builds it,
 * for tests that drive nested translation through iommufd: one Context
 * Descriptor (a linear CD table with a single entry, SSID 0) and 4 KiB
 * granule translation tables for a 48-bit input address space (four
 * levels, L0 to L3), written into memory the test owns and has mapped into
 * its IOAS. The IOAS is the guest's physical address space, so every
 * address the SMMU is given is an IPA (= IOAS IOVA): S1ContextPtr in the
 * vSTE, TTB0 in the CD, the next-level pointers and the output addresses in
 * the tables. The SMMU reads all of them through stage 2.
 *
 * Also here: the three vSTEs a nested HWPT can carry (abort, bypass,
 * stage-1 translate; IOMMU_HWPT_DATA_ARM_SMMUV3) and the invalidation
 * commands a guest issues when it changes its CD or tables (given to
 * IOMMU_HWPT_INVALIDATE on the vIOMMU).
 *
 * Field positions: Arm IHI 0070 (SMMUv3) "Stream Table Entry", "Context
 * Descriptor", "Commands"; Arm DDI 0487 (VMSAv8-64) translation table
 * descriptors. Only what the tests need is defined. Header only, all
 * static inline: each program is one static binary built from one file.
 */
#ifndef MSI_DOORBELL_TESTS_SMMU_S1_H
#define MSI_DOORBELL_TESTS_SMMU_S1_H

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <linux/types.h>

#define SMMU_S1_PAGE		0x1000ULL
#define SMMU_S1_IA_BITS		48
#define SMMU_S1_LEVELS		4
#define SMMU_S1_ENTRIES		512

/* Bits [hi:lo] of a 64-bit word */
#define SMMU_MASK(hi, lo)	((~0ULL >> (63 - (hi))) & ~((1ULL << (lo)) - 1))
#define SMMU_FIELD(hi, lo, v)	(((uint64_t)(v) << (lo)) & SMMU_MASK(hi, lo))

/* STE word 0 and 1 (only the fields userspace may set for a nested STE) */
#define STE0_V			(1ULL << 0)
#define STE0_CFG(v)		SMMU_FIELD(3, 1, v)
#define  STE0_CFG_ABORT		0x0
#define  STE0_CFG_BYPASS	0x4
#define  STE0_CFG_S1_TRANS	0x5
#define STE0_S1FMT_LINEAR	SMMU_FIELD(5, 4, 0)
#define STE0_S1CTXPTR(ipa)	((ipa) & SMMU_MASK(51, 6))
#define STE0_S1CDMAX(v)		SMMU_FIELD(63, 59, v)
#define STE1_S1DSS_SSID0	SMMU_FIELD(1, 0, 2)
#define STE1_S1CIR(v)		SMMU_FIELD(3, 2, v)
#define STE1_S1COR(v)		SMMU_FIELD(5, 4, v)
#define STE1_S1CSH(v)		SMMU_FIELD(7, 6, v)
/* Cacheability and shareability codes (STE S1Cxx, CD IRx/ORx/SHx) */
#define SMMU_WBWA		0x1
#define SMMU_ISH		0x3

/* CD words 0 to 3 */
#define CD_WORDS		8
#define CD0_T0SZ(v)		SMMU_FIELD(5, 0, v)
#define CD0_TG0_4K		SMMU_FIELD(7, 6, 0)
#define CD0_IR0(v)		SMMU_FIELD(9, 8, v)
#define CD0_OR0(v)		SMMU_FIELD(11, 10, v)
#define CD0_SH0(v)		SMMU_FIELD(13, 12, v)
#define CD0_EPD1		(1ULL << 30)
#define CD0_V			(1ULL << 31)
#define CD0_IPS(v)		SMMU_FIELD(34, 32, v)
#define  CD0_IPS_40BIT		0x2
#define CD0_AA64		(1ULL << 41)
#define CD0_R			(1ULL << 45)	/* record faults */
#define CD0_A			(1ULL << 46)	/* abort, do not stall, on fault */
#define CD0_ASET		(1ULL << 47)	/* ASID not shared with the CPUs */
#define CD0_ASID(v)		SMMU_FIELD(63, 48, v)
#define CD1_TTB0(ipa)		((ipa) & SMMU_MASK(51, 4))

/* MAIR attribute 0: Normal write-back RW-allocate; 1: Device-nGnRE */
#define S1_MAIR			(0xffULL | 0x04ULL << 8)
#define S1_ATTR_MEM		0
#define S1_ATTR_DEV		1

/* VMSAv8-64 descriptors, 4 KiB granule */
#define PTE_VALID		(1ULL << 0)
#define PTE_TABLE		(1ULL << 1)	/* L0-L2: table; L3: page */
#define PTE_ATTRINDX(v)		SMMU_FIELD(4, 2, v)
#define PTE_AP_RW_EL0		SMMU_FIELD(7, 6, 1)	/* read/write, unprivileged too */
#define PTE_SH_ISH		SMMU_FIELD(9, 8, 3)
#define PTE_AF			(1ULL << 10)	/* without it: access fault */
#define PTE_NG			(1ULL << 11)	/* tagged with the CD's ASID */
#define PTE_ADDR(ipa)		((ipa) & SMMU_MASK(47, 12))
#define PTE_XN			(3ULL << 53)	/* PXN and UXN */

/* Commands a vIOMMU accepts (IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3) */
#define CMD_OP_CFGI_CD		0x05
#define CMD_OP_TLBI_NH_ASID	0x11
#define CMD0_CFGI_SID(v)	SMMU_FIELD(63, 32, v)
#define CMD1_CFGI_LEAF		(1ULL << 0)
#define CMD0_TLBI_ASID(v)	SMMU_FIELD(63, 48, v)

/*
 * One stage-1 address space. @mem (CPU view) is mapped in the IOAS at IPA
 * @ipa; its first page holds the CD, the second the L0 table, the rest is
 * handed out for lower-level tables as smmu_s1_map() needs them.
 */
struct smmu_s1 {
	uint8_t *mem;
	uint64_t ipa;
	size_t size;
	size_t used;
	uint16_t asid;
	uint64_t cd_ipa;
	uint64_t ttb0_ipa;
};

static inline uint64_t *smmu_s1_table(struct smmu_s1 *s1, uint64_t ipa)
{
	return (uint64_t *)(s1->mem + (ipa - s1->ipa));
}

/* A zeroed page of @s1's memory, by IPA; 0 when the memory is used up. */
static inline uint64_t smmu_s1_alloc(struct smmu_s1 *s1)
{
	uint64_t ipa;

	if (s1->used + SMMU_S1_PAGE > s1->size)
		return 0;
	ipa = s1->ipa + s1->used;
	s1->used += SMMU_S1_PAGE;
	memset(smmu_s1_table(s1, ipa), 0, SMMU_S1_PAGE);
	return ipa;
}

/* @mem must be page aligned, @size a multiple of the page size, >= 2 pages. */
static inline int smmu_s1_init(struct smmu_s1 *s1, void *mem, uint64_t ipa,
			       size_t size, uint16_t asid)
{
	memset(s1, 0, sizeof(*s1));
	if (((uintptr_t)mem | ipa | size) & (SMMU_S1_PAGE - 1))
		return -EINVAL;
	s1->mem = mem;
	s1->ipa = ipa;
	s1->size = size;
	s1->asid = asid;
	s1->cd_ipa = smmu_s1_alloc(s1);
	s1->ttb0_ipa = smmu_s1_alloc(s1);
	if (!s1->cd_ipa || !s1->ttb0_ipa)
		return -ENOSPC;
	return 0;
}

/* Index of @iova in the table of @level (0 to 3) */
static inline unsigned int smmu_s1_index(uint64_t iova, unsigned int level)
{
	return (iova >> (12 + 9 * (SMMU_S1_LEVELS - 1 - level))) & (SMMU_S1_ENTRIES - 1);
}

/*
 * Map [@iova, @iova + @size) to IPA @ipa with 4 KiB pages, memory attribute
 * @attr (S1_ATTR_MEM or S1_ATTR_DEV). Tables are created as needed; a page
 * that is already mapped is -EEXIST. A guest must invalidate after changing
 * a live table; the caller does (see smmu_cmd_tlbi_asid()).
 */
static inline int smmu_s1_map(struct smmu_s1 *s1, uint64_t iova, uint64_t ipa,
			      uint64_t size, unsigned int attr)
{
	uint64_t end = iova + size;

	if ((iova | ipa | size) & (SMMU_S1_PAGE - 1) || !size ||
	    end > 1ULL << SMMU_S1_IA_BITS || end < iova)
		return -EINVAL;

	for (; iova < end; iova += SMMU_S1_PAGE, ipa += SMMU_S1_PAGE) {
		uint64_t *table = smmu_s1_table(s1, s1->ttb0_ipa);
		uint64_t pte, *leaf;
		unsigned int level;

		for (level = 0; level < SMMU_S1_LEVELS - 1; level++) {
			uint64_t *desc = &table[smmu_s1_index(iova, level)];
			uint64_t next;

			if (!(le64toh(*desc) & PTE_VALID)) {
				next = smmu_s1_alloc(s1);
				if (!next)
					return -ENOSPC;
				*desc = htole64(PTE_ADDR(next) | PTE_TABLE | PTE_VALID);
			}
			table = smmu_s1_table(s1, PTE_ADDR(le64toh(*desc)));
		}

		leaf = &table[smmu_s1_index(iova, SMMU_S1_LEVELS - 1)];
		if (le64toh(*leaf) & PTE_VALID)
			return -EEXIST;
		pte = PTE_ADDR(ipa) | PTE_VALID | PTE_TABLE | PTE_ATTRINDX(attr) |
		      PTE_AP_RW_EL0 | PTE_AF | PTE_NG;
		pte |= attr == S1_ATTR_DEV ? PTE_XN : PTE_SH_ISH;
		*leaf = htole64(pte);
	}
	return 0;
}

/*
 * Write the CD: TTB0 walks the tables (4 KiB granule, T0SZ 16, i.e. 48-bit
 * input addresses, start at L0), TTB1 is disabled, output (IPA) size
 * 40 bits, which covers the IPAs of the tests (an SMMU with a smaller OAS
 * uses its OAS instead). Faults
 * are recorded (R) and terminate the transaction (A; no stall). Word 0,
 * with V, is written last, as a driver updates a CD.
 */
static inline void smmu_s1_write_cd(struct smmu_s1 *s1)
{
	uint64_t *cd = smmu_s1_table(s1, s1->cd_ipa);

	memset(cd, 0, CD_WORDS * sizeof(*cd));
	cd[1] = htole64(CD1_TTB0(s1->ttb0_ipa));
	cd[3] = htole64(S1_MAIR);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	cd[0] = htole64(CD0_T0SZ(64 - SMMU_S1_IA_BITS) | CD0_TG0_4K |
			CD0_IR0(SMMU_WBWA) | CD0_OR0(SMMU_WBWA) | CD0_SH0(SMMU_ISH) |
			CD0_EPD1 | CD0_V | CD0_IPS(CD0_IPS_40BIT) | CD0_AA64 |
			CD0_R | CD0_A | CD0_ASET | CD0_ASID(s1->asid));
	/* The SMMU reads the CD and tables from memory: make them visible */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* vSTEs for struct iommu_hwpt_arm_smmuv3 (little-endian) */
static inline void smmu_vste_abort(__le64 ste[2])
{
	ste[0] = htole64(STE0_V | STE0_CFG(STE0_CFG_ABORT));
	ste[1] = 0;
}

static inline void smmu_vste_bypass(__le64 ste[2])
{
	ste[0] = htole64(STE0_V | STE0_CFG(STE0_CFG_BYPASS));
	ste[1] = 0;
}

/* Stage-1 translate through @s1's CD: one CD (S1CDMax 0), linear format */
static inline void smmu_vste_s1(const struct smmu_s1 *s1, __le64 ste[2])
{
	ste[0] = htole64(STE0_V | STE0_CFG(STE0_CFG_S1_TRANS) | STE0_S1FMT_LINEAR |
			 STE0_S1CTXPTR(s1->cd_ipa) | STE0_S1CDMAX(0));
	ste[1] = htole64(STE1_S1DSS_SSID0 | STE1_S1CIR(SMMU_WBWA) |
			 STE1_S1COR(SMMU_WBWA) | STE1_S1CSH(SMMU_ISH));
}

/*
 * Commands for struct iommu_viommu_arm_smmuv3_invalidate. The SID is the
 * guest's (the vSID of the vDEVICE); the kernel puts in the physical SID,
 * and the VMID of the vIOMMU into TLBIs. CMD_SYNC is the kernel's.
 */
static inline void smmu_cmd_cfgi_cd(__le64 cmd[2], uint32_t vsid)
{
	cmd[0] = htole64(CMD_OP_CFGI_CD | CMD0_CFGI_SID(vsid));	/* SSID 0 */
	cmd[1] = htole64(CMD1_CFGI_LEAF);
}

static inline void smmu_cmd_tlbi_asid(__le64 cmd[2], uint16_t asid)
{
	cmd[0] = htole64(CMD_OP_TLBI_NH_ASID | CMD0_TLBI_ASID(asid));
	cmd[1] = 0;
}

#endif /* MSI_DOORBELL_TESTS_SMMU_S1_H */
