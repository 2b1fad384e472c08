/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KTAP output of the guest test programs (tests/e2e, tests/bench): the
 * plan, one result line per case, "# " diagnostics and the totals line,
 * and the case runner of the e2e programs (`<prog> [<case>...]`). Header
 * only, all static inline: each program is one static binary built from
 * one source file.
 */
#ifndef MSI_DOORBELL_TESTS_KTAP_H
#define MSI_DOORBELL_TESTS_KTAP_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

#define diag(fmt, ...) printf("# " fmt "\n", ##__VA_ARGS__)

struct ktap {
	unsigned int num;	/* results printed */
	unsigned int failed;
};

/* The KTAP header, @count results to come; stdout is line buffered. */
static inline void ktap_plan(unsigned int count)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n");
	printf("1..%u\n", count);
}

static inline void ktap_result(struct ktap *k, const char *name, bool ok)
{
	printf("%s %u %s\n", ok ? "ok" : "not ok", ++k->num, name);
	if (!ok)
		k->failed++;
}

/* The totals line; returns the exit code, non-zero when a case failed. */
static inline int ktap_totals(const struct ktap *k)
{
	diag("Totals: pass:%u fail:%u xfail:0 xpass:0 skip:0 error:0",
	     k->num - k->failed, k->failed);
	return k->failed ? 1 : 0;
}

struct ktap_case {
	const char *name;
	bool (*fn)(void);
};

/* Whether @name is one of the '!'-separated names of @list ("!a!b"). */
static inline bool ktap_excluded(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p;

	for (p = list; (p = strchr(p, '!')); p++)
		if (!strncmp(p + 1, name, len) && (p[len + 1] == '!' || !p[len + 1]))
			return true;
	return false;
}

/*
 * Whether case @name runs: all of them do, or those named on the command
 * line (bare, or after the kselftest harness's -f/-r/-v/-t options, which
 * is how tests/guest/init passes "<prog>:<case>"); "!<case>[!<case>...]"
 * leaves those out (init: "<prog>:!<case>", as make e2e-base runs the
 * cases that need a KASAN kernel apart).
 */
static inline bool ktap_selected(int argc, char **argv, const char *name)
{
	bool any = false, named = false;
	int i;

	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		if (argv[i][0] == '!') {
			if (ktap_excluded(argv[i], name))
				return false;
			continue;
		}
		any = true;
		if (!strcmp(argv[i], name))
			named = true;
	}
	return named || !any;
}

/*
 * Run the selected @cases as KTAP: the plan, then @ready(@ctx) (false:
 * every case fails without running), then each selected case in order,
 * and the totals. Returns the exit code: 2 if the command line selects no
 * case.
 */
static inline int ktap_run(const char *prog, const struct ktap_case *cases, unsigned int nr,
			   int argc, char **argv, bool (*ready)(void *ctx), void *ctx)
{
	unsigned int i, count = 0;
	struct ktap k = { 0 };
	bool can_run;

	for (i = 0; i < nr; i++)
		count += ktap_selected(argc, argv, cases[i].name);
	if (!count) {
		fprintf(stderr, "%s: no such case\n", prog);
		return 2;
	}
	ktap_plan(count);
	can_run = ready(ctx);

	for (i = 0; i < nr; i++) {
		bool ok = false;

		if (!ktap_selected(argc, argv, cases[i].name))
			continue;
		if (can_run) {
			diag("%s: start", cases[i].name);
			ok = cases[i].fn();
		}
		ktap_result(&k, cases[i].name, ok);
	}
	return ktap_totals(&k);
}

/* Case <name>: bool test_<name>(void) */
#define KTAP_CASE(name)		{ #name, test_##name }

/*
 * The main() of program @prog (`<prog> [<case>...]`), its cases the
 * KTAP_CASE()s after @ready and @ctx, in order; see ktap_run().
 */
#define KTAP_MAIN(prog, ready, ctx, ...)					\
	static const struct ktap_case ktap_cases[] = { __VA_ARGS__ };		\
										\
	int main(int argc, char **argv)						\
	{									\
		return ktap_run(prog, ktap_cases, ARRAY_SIZE(ktap_cases),	\
				argc, argv, ready, ctx);			\
	}

#endif /* MSI_DOORBELL_TESTS_KTAP_H */
