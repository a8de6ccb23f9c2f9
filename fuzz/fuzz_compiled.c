/* SPDX-License-Identifier: MIT */
/*
 * fuzz_compiled.c - libFuzzer target for the reader of FILE.cache
 * (config/compiled.c), which runs inside every host's first TCP socket.
 *
 * Each input is taken as a compiled form, in 8-byte aligned memory of
 * exactly its size (ASan sees any read past it). Beyond "no crash, no
 * sanitizer report", the reader's contract is checked:
 *  - a form it accepts holds only what the parser can produce: every
 *    profile's and rule's values in the kernel's ranges, strings ended,
 *    at most KASHIM_RULES_MAX rules; and selecting a profile and matching
 *    its rules against an address stays inside the input;
 *  - it is deterministic: the same bytes give the same verdict;
 *  - each input is tried twice, the second time with its checksum made
 *    right, so mutations reach the checks behind the checksum;
 *  - nothing reaches stdout or stderr.
 * Built two ways by mk/compiled.mk: with clang -fsanitize=fuzzer for
 * `make fuzz`, and with fuzz/replay.c's main() for `make check`, which
 * replays fuzz/corpus-compiled/ and fuzz/regressions-compiled/.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../config/compiled.h"

static void violated(const char *what)
{
	fprintf(stderr, "contract violated: %s\n", what);
	abort();
}

static void check_settings(const struct kashim_settings *s)
{
	if (s->idle < 1 || s->idle > KASHIM_IDLE_MAX || s->interval < 1 ||
	    s->interval > KASHIM_INTERVAL_MAX || s->count < 1 || s->count > KASHIM_COUNT_MAX ||
	    s->user_timeout < 0 || s->user_timeout > KASHIM_USER_TIMEOUT_MAX)
		violated("a value out of range in an accepted form");
	if (strnlen(s->section, sizeof s->section) == sizeof s->section ||
	    strnlen(s->file, sizeof s->file) == sizeof s->file ||
	    strnlen(s->rule, sizeof s->rule) == sizeof s->rule)
		violated("an unterminated string in an accepted form");
}

/* Use profile @p as the shim would: its settings, its rules matched
 * against two addresses. */
static void use_profile(const struct kashim_compiled_view *v,
			const struct kashim_compiled_profile *p)
{
	struct kashim_addr a4 = { .family = AF_INET, .port = 5432, .v4 = 0x0a000001 };
	struct kashim_addr a6 = { .family = AF_INET6, .port = 443, .v6 = { 0, 1 } };
	const struct kashim_ruleset *set = kashim_compiled_rules(v, p);
	const char *title = kashim_compiled_title(v, p);

	check_settings(&p->settings);
	if (title)
		(void)strlen(title);
	if (!set)
		return;
	if (set->n > KASHIM_RULES_MAX)
		violated("too many rules in an accepted form");
	for (unsigned i = 0; i < set->n; i++)
		check_settings(&set->rule[i].settings);
	(void)kashim_rules_find(set, KASHIM_RULE_DESTINATION, &a4);
	(void)kashim_rules_find(set, KASHIM_RULE_LISTEN, &a6);
}

/* Check @buf (@size bytes) and use it as the shim would when accepted. */
static void check_and_use(unsigned char *buf, size_t size)
{
	static const char *const names[] = { "redis-server", "python3.11", "", "x", "[", "a*b" };
	struct kashim_compiled_view v;
	enum kashim_compiled_status st = kashim_compiled_check(buf, size);

	if (st != kashim_compiled_check(buf, size))
		violated("two checks of the same bytes disagree");
	if (st == KASHIM_COMPILED_OK) {
		const struct kashim_compiled_header *h = (const struct kashim_compiled_header *)buf;

		v.base = buf;
		v.size = v.mapped = size;
		for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
			use_profile(&v, kashim_compiled_select(&v, names[i], names[(i + 1) % 6]));
		for (uint32_t i = 0; i < h->nprofiles; i++)
			use_profile(&v, (const struct kashim_compiled_profile *)(buf +
										 h->profiles_off) +
						i);
	} else if (st == KASHIM_COMPILED_MISSING || st == KASHIM_COMPILED_UNREADABLE ||
		   st == KASHIM_COMPILED_UNSAFE) {
		violated("a file status for bytes in memory");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly @size bytes, 8-byte aligned: malloc's alignment is 16. */
	unsigned char *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	check_and_use(buf, size);
	/* Again with the checksum made right, so that mutations reach the
	 * checks of sizes, offsets, counts and values behind it. */
	if (size >= sizeof(struct kashim_compiled_header) && size % 8 == 0) {
		((struct kashim_compiled_header *)buf)->checksum =
			kashim_compiled_checksum(buf, size);
		check_and_use(buf, size);
	}
	free(buf);
	return 0;
}
