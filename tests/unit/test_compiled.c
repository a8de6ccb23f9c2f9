/* SPDX-License-Identifier: MIT */
/* test_compiled.c - FILE.cache (config/compiled.h) and the section glob
 * (config/glob.h): a form built from a parsed file reads back as the same
 * profiles; every kind of damage is refused whole; freshness follows the
 * text file; the glob agrees with fnmatch(3), which it replaces. */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../config/compiled.h"
#include "../../config/conffile.h"
#include "../../config/glob.h"
#include "helpers.h"

static const char example[] = "idle = 30\n"
			      "destination \"10.0.0.0/8:5432\" { idle = 5 }\n"
			      "program \"redis-*\" { keepalive = false }\n"
			      "program \"python3*\" {\n"
			      "  idle = 17\n"
			      "  listen \"*:8000\" { interval = 3 }\n"
			      "}\n";

/* The form of @text, written as FILE.cache beside it: its bytes (free()),
 * the text's path in @path. */
static unsigned char *build_form(const char *text, char *path, size_t path_len, size_t *len)
{
	struct kashim_conf_profiles p;
	struct kashim_settings base;
	struct captured_log cap = {0};
	struct kashim_logger log = CAPTURE_LOGGER(&cap);
	unsigned char *form;
	struct stat st;

	snprintf(path, path_len, "%s", WRITE_CONF(text));
	kashim_settings_defaults(&base);
	ck_assert_int_eq(kashim_conffile_load_profiles(path, &base, &p, &log), KASHIM_CONF_APPLIED);
	ck_assert_int_eq(stat(path, &st), 0);
	form = kashim_compiled_build(&p, st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec,
				     st.st_mtim.tv_nsec, len);
	ck_assert_ptr_nonnull(form);
	kashim_conf_profiles_free(&p);
	return form;
}

/* A copy of @form in 8-byte aligned memory, as the reader gets it. */
static unsigned char *aligned_copy(const unsigned char *form, size_t len)
{
	uint64_t *copy = calloc(1, len + 8);

	memcpy(copy, form, len);
	return (unsigned char *)copy;
}

START_TEST(form_reads_back_as_the_profiles)
{
	char path[256], cache[300];
	size_t len;
	unsigned char *form = build_form(example, path, sizeof path, &len);
	const char *what;
	struct kashim_compiled_view v;
	const struct kashim_compiled_profile *p;
	struct kashim_ruleset *rules;

	ck_assert(kashim_compiled_path(path, cache, sizeof cache));
	ck_assert(kashim_compiled_write_file(cache, form, len, &what));
	ck_assert_int_eq(kashim_compiled_open(cache, false, &v), KASHIM_COMPILED_OK);
	ck_assert_int_eq(kashim_compiled_freshness(&v, path), KASHIM_COMPILED_FRESH);
	/* first matching section, by executable or argv[0] name */
	p = kashim_compiled_select(&v, "python3.11", "x");
	ck_assert_str_eq(kashim_compiled_title(&v, p), "python3*");
	ck_assert_int_eq(p->settings.idle, 17);
	ck_assert_int_eq(p->settings.source[KASHIM_F_IDLE], KASHIM_SRC_SECTION);
	rules = kashim_compiled_rules(&v, p);
	ck_assert_ptr_nonnull(rules);
	ck_assert_uint_eq(rules->n, 2); /* its listen rule, then the top level's destination */
	ck_assert_int_eq(rules->rule[0].kind, KASHIM_RULE_LISTEN);
	ck_assert_int_eq(rules->rule[0].settings.interval, 3);
	ck_assert_int_eq(rules->rule[0].settings.idle, 17);
	ck_assert_int_eq(rules->rule[1].settings.idle, 5);
	p = kashim_compiled_select(&v, "", "redis-server");
	ck_assert_int_eq(p->settings.keepalive, 0);
	p = kashim_compiled_select(&v, "nginx", NULL);
	ck_assert_ptr_null(kashim_compiled_title(&v, p));
	ck_assert_int_eq(p->settings.idle, 30);
	ck_assert_uint_eq(kashim_compiled_rules(&v, p)->n, 1);
	kashim_compiled_close(&v);
	unlink(cache);
	unlink(path);
	free(form);
}
END_TEST

START_TEST(freshness_follows_the_text_file)
{
	char path[256], cache[300];
	size_t len;
	unsigned char *form = build_form("idle = 30\n", path, sizeof path, &len);
	const char *what;
	struct kashim_compiled_view v;
	FILE *f;

	ck_assert(kashim_compiled_path(path, cache, sizeof cache));
	ck_assert(kashim_compiled_write_file(cache, form, len, &what));
	ck_assert_int_eq(kashim_compiled_open(cache, false, &v), KASHIM_COMPILED_OK);
	ck_assert_int_eq(kashim_compiled_freshness(&v, path), KASHIM_COMPILED_FRESH);
	f = fopen(path, "a");
	fputs("# changed\n", f);
	fclose(f);
	ck_assert_int_eq(kashim_compiled_freshness(&v, path), KASHIM_COMPILED_STALE);
	unlink(path);
	ck_assert_int_eq(kashim_compiled_freshness(&v, path), KASHIM_COMPILED_SOURCE_MISSING);
	kashim_compiled_close(&v);
	ck_assert_int_eq(chmod(cache, 0666), 0);
	ck_assert_int_eq(kashim_compiled_open(cache, true, &v), KASHIM_COMPILED_UNSAFE);
	ck_assert_ptr_null(v.base);
	unlink(cache);
	ck_assert_int_eq(kashim_compiled_open(cache, false, &v), KASHIM_COMPILED_MISSING);
	free(form);
}
END_TEST

START_TEST(every_changed_byte_and_every_cut_is_refused)
{
	char path[256];
	size_t len;
	unsigned char *form = build_form(example, path, sizeof path, &len);
	unsigned char *copy = aligned_copy(form, len);

	ck_assert_int_eq(kashim_compiled_check(copy, len), KASHIM_COMPILED_OK);
	for (size_t i = 0; i < len; i++) {
		copy[i] ^= 0x20;
		ck_assert_int_ne(kashim_compiled_check(copy, len), KASHIM_COMPILED_OK);
		copy[i] ^= 0x20;
	}
	for (size_t cut = 0; cut < len; cut += 8)
		ck_assert_int_ne(kashim_compiled_check(copy, cut), KASHIM_COMPILED_OK);
	ck_assert_int_eq(kashim_compiled_check(copy, 40), KASHIM_COMPILED_DAMAGED);
	unlink(path);
	free(copy);
	free(form);
}
END_TEST

/* Change @form through @edit, reseal it (a valid checksum) and check it. */
static enum kashim_compiled_status resealed(const unsigned char *form, size_t len,
					    void (*edit)(unsigned char *buf))
{
	unsigned char *copy = aligned_copy(form, len);
	struct kashim_compiled_header *h = (struct kashim_compiled_header *)copy;
	enum kashim_compiled_status st;

	edit(copy);
	h->checksum = kashim_compiled_checksum(copy, len);
	st = kashim_compiled_check(copy, len);
	free(copy);
	return st;
}

static struct kashim_compiled_profile *profile(unsigned char *buf, unsigned i)
{
	struct kashim_compiled_header *h = (struct kashim_compiled_header *)buf;

	return (struct kashim_compiled_profile *)(buf + h->profiles_off) + i;
}

#define HEADER(b) ((struct kashim_compiled_header *)(b))
static void bad_version(unsigned char *b) { HEADER(b)->version++; }
static void bad_layout(unsigned char *b) { HEADER(b)->settings_size += 8; }
static void bad_order(unsigned char *b) { HEADER(b)->byte_order = 0x04030201; }
static void bad_count(unsigned char *b) { HEADER(b)->nprofiles += 100; }
static void bad_offset(unsigned char *b) { HEADER(b)->profiles_off = 1u << 30; }
static void bad_rules_off(unsigned char *b) { profile(b, 2)->rules_off += 4; }
static void bad_title_off(unsigned char *b) { profile(b, 1)->title_off = 8; }
static void bad_idle(unsigned char *b) { profile(b, 0)->settings.idle = 0; }
static void bad_bool(unsigned char *b) { *(unsigned char *)&profile(b, 0)->settings.keepalive = 7; }
static void bad_string(unsigned char *b) { memset(profile(b, 0)->settings.file, 'x', 256); }
static void bad_nrules(unsigned char *b)
{
	((struct kashim_ruleset *)(b + profile(b, 2)->rules_off))->n = 1u << 20;
}
static void bad_nports(unsigned char *b)
{
	((struct kashim_ruleset *)(b + profile(b, 2)->rules_off))->rule[0].spec.nports = 200;
}

START_TEST(forms_with_a_valid_checksum_are_still_checked)
{
	static const struct {
		void (*edit)(unsigned char *);
		enum kashim_compiled_status want;
	} cases[] = {
		{bad_version, KASHIM_COMPILED_FOREIGN}, {bad_layout, KASHIM_COMPILED_FOREIGN},
		{bad_order, KASHIM_COMPILED_FOREIGN},   {bad_count, KASHIM_COMPILED_DAMAGED},
		{bad_offset, KASHIM_COMPILED_DAMAGED},  {bad_rules_off, KASHIM_COMPILED_DAMAGED},
		{bad_title_off, KASHIM_COMPILED_DAMAGED}, {bad_idle, KASHIM_COMPILED_DAMAGED},
		{bad_bool, KASHIM_COMPILED_DAMAGED},    {bad_string, KASHIM_COMPILED_DAMAGED},
		{bad_nrules, KASHIM_COMPILED_DAMAGED},  {bad_nports, KASHIM_COMPILED_DAMAGED},
	};
	char path[256];
	size_t len;
	unsigned char *form = build_form(example, path, sizeof path, &len);

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		ck_assert_msg(resealed(form, len, cases[i].edit) == cases[i].want, "case %zu", i);
	unlink(path);
	free(form);
}
END_TEST

START_TEST(glob_agrees_with_fnmatch)
{
	static const char *const patterns[] = {
		"*", "redis-*", "redis-serve?", "*.py", "[a-c]*", "[!a-c]*", "[^a-c]x", "[]]",
		"[]a]*", "[!]]", "[a-]", "a\\*b", "a\\", "[[:alpha:]]*", "[[:digit:]][[:digit:]]",
		"[[:foo:]]", "[z-a]", "*a*b*c", "**x", "?*?", "[\\]]", "[a\\-z]", "python3*", "*.[ch]",
		"[[:punct:]]", "[[:space:]]", "[[:upper:][:digit:]]*", "\\[x]", "[-a]", "[a-c-e]",
		"*/bin", "[[.a.]]", "[[=a=]]", "[:alpha:]"};
	static const char *const names[] = {
		"", "redis-server", "redis-serve", "x.py", "apple", "dog", "bx", "]", "]a", "a", "-",
		"a*b", "ab", "a\\", "[", "abc", "12", "1", "z", "axbyc", "xx", "x", "python3.11",
		".hidden", "f.c", "f.h", "!",
		" ", "Q9", "[x]", "b", "/usr/bin", ":", "a]"};
	static const char alphabet[] = "ab*?[]!^-\\:./";
	static const char name_chars[] = "ab]-[\\!:/.";

	for (size_t i = 0; i < sizeof patterns / sizeof patterns[0]; i++)
		for (size_t j = 0; j < sizeof names / sizeof names[0]; j++)
			ck_assert_msg(kashim_glob_match(patterns[i], names[j]) ==
					      (fnmatch(patterns[i], names[j], 0) == 0),
				      "pattern \"%s\" name \"%s\"", patterns[i], names[j]);
	/* Random patterns whose every '[' is closed (glob.h: where glibc is
	 * not consistent with itself, kashim follows POSIX). */
	srand(1);
	for (int it = 0; it < 300000; it++) {
		char p[10], n[8];
		int pl = rand() % 9, nl = rand() % 7;
		const char *q = p;
		bool closed = true;

		for (int i = 0; i < pl; i++)
			p[i] = alphabet[rand() % (sizeof alphabet - 1)];
		p[pl] = '\0';
		for (int i = 0; i < nl; i++)
			n[i] = name_chars[rand() % (sizeof name_chars - 1)];
		n[nl] = '\0';
		while ((q = strchr(q, '[')) && closed)
			closed = strchr(++q, ']') != NULL;
		if (closed)
			ck_assert_msg(kashim_glob_match(p, n) == (fnmatch(p, n, 0) == 0),
				      "pattern \"%s\" name \"%s\"", p, n);
	}
}
END_TEST

Suite *compiled_suite(void)
{
	Suite *su = suite_create("compiled");
	TCase *tc = tcase_create("form");

	tcase_add_test(tc, form_reads_back_as_the_profiles);
	tcase_add_test(tc, freshness_follows_the_text_file);
	tcase_add_test(tc, every_changed_byte_and_every_cut_is_refused);
	tcase_add_test(tc, forms_with_a_valid_checksum_are_still_checked);
	tcase_add_test(tc, glob_agrees_with_fnmatch);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(su, tc);
	return su;
}
