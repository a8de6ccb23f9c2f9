/* SPDX-License-Identifier: MIT */
/* test_rules.c - destination and listen rules: every SPEC form, matching
 * (IPv4, IPv6, IPv4-mapped, port lists and ranges), the table of bad SPECs
 * with their file:line, and the rules table keepalive.conf gives a program. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../config/conffile.h"
#include "../../config/rules.h"
#include "helpers.h"

/* Parse @text, which must be good. */
static struct kashim_spec spec_of(const char *text)
{
	struct kashim_spec spec;
	char why[160] = "";

	ck_assert_msg(kashim_spec_parse(text, &spec, why, sizeof why), "\"%s\" refused: %s", text, why);
	return spec;
}

/* An address from "1.2.3.4" or "::1" and a port. */
static struct kashim_addr addr_of(const char *ip, unsigned port)
{
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
	struct kashim_addr a;

	if (inet_pton(AF_INET, ip, &in.sin_addr) == 1)
		ck_assert(kashim_addr_from_sockaddr((struct sockaddr *)&in, sizeof in, &a));
	else if (inet_pton(AF_INET6, ip, &in6.sin6_addr) == 1)
		ck_assert(kashim_addr_from_sockaddr((struct sockaddr *)&in6, sizeof in6, &a));
	else
		ck_abort_msg("bad test address %s", ip);
	return a;
}

static bool matches(const char *spec_text, const char *ip, unsigned port)
{
	struct kashim_spec spec = spec_of(spec_text);
	struct kashim_addr a = addr_of(ip, port);

	return kashim_spec_match(&spec, &a);
}

/* Every SPEC form of the documentation, with what it must and must not match. */
static const struct {
	const char *spec, *ip;
	unsigned port;
	bool match;
} match_table[] = {
	{"*", "192.0.2.1", 1, true},
	{"*", "2001:db8::1", 65535, true},
	{"10.0.0.0/8", "10.200.3.4", 5432, true},
	{"10.0.0.0/8", "11.0.0.1", 5432, false},
	{"10.0.0.0/8", "2001:db8::1", 5432, false},
	{"192.0.2.7", "192.0.2.7", 80, true},
	{"192.0.2.7", "192.0.2.8", 80, false},
	{"10.0.0.0/8:5432", "10.1.1.1", 5432, true},
	{"10.0.0.0/8:5432", "10.1.1.1", 5433, false},
	{"*:5432", "127.0.0.1", 5432, true},
	{"*:5432", "::1", 5432, true},
	{"*:5432", "::1", 6432, false},
	{"*:8000-8999", "127.0.0.1", 8000, true},
	{"*:8000-8999", "127.0.0.1", 8999, true},
	{"*:8000-8999", "127.0.0.1", 7999, false},
	{"*:8000-8999", "127.0.0.1", 9000, false},
	{"[2001:db8::/32]:443", "2001:db8:ffff::1", 443, true},
	{"[2001:db8::/32]:443", "2001:db9::1", 443, false},
	{"[2001:db8::/32]:443", "2001:db8::1", 80, false},
	{"[::1]", "::1", 22, true},
	{"[::1]", "::2", 22, false},
	{"[::1]", "127.0.0.1", 22, false},
	{"*:5432,6432", "10.0.0.1", 6432, true},
	{"*:5432,6432", "10.0.0.1", 5432, true},
	{"*:5432,6432", "10.0.0.1", 5433, false},
	{"*:80, 443,8000-8099", "10.0.0.1", 8050, true},
	/* IPv4 networks match IPv4-mapped IPv6 addresses (Java, dual-stack). */
	{"10.0.0.0/8", "::ffff:10.9.8.7", 1, true},
	{"127.0.0.1:5432", "::ffff:127.0.0.1", 5432, true},
	{"127.0.0.1:5432", "::ffff:127.0.0.2", 5432, false},
	{"[::ffff:10.0.0.0/104]", "10.1.2.3", 1, true},
	{"[::ffff:10.0.0.0/104]", "11.1.2.3", 1, false},
	{"[::ffff:192.0.2.7]:80", "::ffff:192.0.2.7", 80, true},
	/* Prefix edges, host bits in the network are ignored. */
	{"0.0.0.0/0", "203.0.113.9", 9, true},
	{"0.0.0.0/0", "2001:db8::1", 9, false},
	{"10.1.2.3/8", "10.99.99.99", 9, true},
	{"192.0.2.0/31", "192.0.2.1", 9, true},
	{"192.0.2.0/31", "192.0.2.2", 9, false},
	{"[::/0]", "2001:db8::1", 9, true},
	{"[2001:db8::/64]", "2001:db8::ffff:1", 9, true},
	{"[2001:db8::/65]", "2001:db8:0:0:8000::1", 9, false},
	{"[2001:db8::/65]", "2001:db8:0:0:7fff::1", 9, true},
	{"[2001:db8::1/127]", "2001:db8::", 9, true},
	{"[2001:db8::1/127]", "2001:db8::2", 9, false},
	{"*:1", "10.0.0.1", 1, true},
	{"*:65535", "10.0.0.1", 65535, true},
	/* ":PORT" is "*:PORT": any address, IPv4 and IPv6. */
	{":22", "127.0.0.1", 22, true},
	{":22", "::1", 22, true},
	{":22", "::ffff:10.0.0.1", 22, true},
	{":22", "127.0.0.1", 23, false},
	{":5432,6432", "2001:db8::1", 6432, true},
	{":8000-8999", "10.0.0.1", 8500, true},
	{":8000-8999", "10.0.0.1", 9000, false},
};

START_TEST(every_spec_form_matches_what_it_says)
{
	for (size_t i = 0; i < sizeof match_table / sizeof match_table[0]; i++)
		ck_assert_msg(matches(match_table[i].spec, match_table[i].ip, match_table[i].port) ==
				      match_table[i].match,
			      "%s against %s port %u: expected %s", match_table[i].spec, match_table[i].ip,
			      match_table[i].port, match_table[i].match ? "a match" : "no match");
}
END_TEST

/* Bad SPECs, each with a word its message must contain. */
static const struct {
	const char *spec, *why;
} bad_table[] = {
	{"", "empty"},
	{"10.0.0.0/33", "prefix /33 is above 32"},
	{"[2001:db8::/129]", "prefix /129 is above 128"},
	{"*:65536", "outside 1..65535"},
	{"*:0", "outside 1..65535"},
	{"*:99999999", "not a port"},
	{"*:8999-8000", "reversed"},
	{"10.0.0.1:70000", "outside 1..65535"},
	{"2001:db8::1:443", "brackets"},
	{"::1", "brackets"},
	{"2001:db8::/32", "brackets"},
	{"garbage", "not *"},
	{"10.0.0", "not an IPv4 address"},
	{"10.0.0.256", "not an IPv4 address"},
	{"10.0.0.0/", "not a prefix length"},
	{"10.0.0.0/x", "not a prefix length"},
	{"[::1", "without ]"},
	{"[::1]443", "after ]"},
	{"[::1]/128", "after ]"},
	{"[10.0.0.1]", "not an IPv6 address"},
	{"*5432", "after *"},
	{"*:", "not a port"},
	{"*:5432,", "not a port"},
	{"*:5432;6432", "after a port"},
	{"*:5432-", "not the end of a port range"},
	{"*:1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", "more than 16"},
	{" *", "not *"},
	{"*:80 ", "after a port"},
	{":", "not a port"},
	{":0", "outside 1..65535"},
	{":x", "not a port"},
	{":22 ", "after a port"},
	{":22:23", "after a port"},
	{":::1", "brackets"},
};

START_TEST(bad_specs_are_refused_with_a_reason)
{
	for (size_t i = 0; i < sizeof bad_table / sizeof bad_table[0]; i++) {
		struct kashim_spec spec;
		char why[160] = "";

		ck_assert_msg(!kashim_spec_parse(bad_table[i].spec, &spec, why, sizeof why), "\"%s\" accepted",
			      bad_table[i].spec);
		ck_assert_msg(strstr(why, bad_table[i].why), "\"%s\": expected \"%s\" in \"%s\"",
			      bad_table[i].spec, bad_table[i].why, why);
	}
}
END_TEST

/* ":PORT" and every port list after the colon parse exactly as "*:PORT". */
START_TEST(colon_port_is_any_address_with_that_port)
{
	static const char *const forms[] = {":22", ":5432,6432", ":8000-8999", ":80, 443,8000-8099",
					    ":1", ":65535"};

	for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
		char star[64];
		struct kashim_spec colon, any;

		snprintf(star, sizeof star, "*%s", forms[i]);
		colon = spec_of(forms[i]);
		any = spec_of(star);
		ck_assert_msg(memcmp(&colon, &any, sizeof colon) == 0, "\"%s\" differs from \"%s\"",
			      forms[i], star);
		ck_assert_int_eq(colon.family, 0);
		ck_assert_int_gt(colon.nports, 0);
	}
}
END_TEST

START_TEST(short_and_foreign_addresses_are_not_matched)
{
	struct sockaddr_in in = {.sin_family = AF_INET};
	struct sockaddr_un_like {
		sa_family_t family;
		char path[20];
	} un = {AF_UNIX, "/tmp/x"};
	struct kashim_addr a;

	ck_assert(!kashim_addr_from_sockaddr((struct sockaddr *)&in, sizeof in - 1, &a));
	ck_assert(!kashim_addr_from_sockaddr((struct sockaddr *)&un, sizeof un, &a));
	ck_assert(!kashim_addr_from_sockaddr(NULL, 0, &a));
}
END_TEST

START_TEST(addresses_are_formatted_for_reports)
{
	struct kashim_addr a = addr_of("::ffff:10.0.0.1", 5432);
	char buf[80];

	ck_assert_str_eq(kashim_addr_format(&a, buf, sizeof buf), "10.0.0.1:5432");
	a = addr_of("2001:db8::1", 443);
	ck_assert_str_eq(kashim_addr_format(&a, buf, sizeof buf), "[2001:db8::1]:443");
}
END_TEST

/* ---- through keepalive.conf -------------------------------------------- */

static struct captured_log cap;
static struct kashim_logger logger;
static struct kashim_settings s;
static struct kashim_ruleset *set;

static void setup(void)
{
	memset(&cap, 0, sizeof cap);
	logger = CAPTURE_LOGGER(&cap);
	kashim_settings_defaults(&s);
	set = NULL;
}

static void teardown(void)
{
	free(set);
}

static enum kashim_conf_result load_rules(const char *text, const char *exe)
{
	const char *path = WRITE_CONF(text);
	enum kashim_conf_result r = kashim_conffile_load_rules(path, exe, exe, &s, &set, &logger);

	unlink(path);
	return r;
}

static int find(enum kashim_rule_kind kind, const char *ip, unsigned port)
{
	struct kashim_addr a = addr_of(ip, port);

	return kashim_rules_find(set, kind, &a);
}

START_TEST(section_rules_come_first_then_top_level_each_on_its_section_values)
{
	const char *conf = "idle = 50\n"
			   "destination \"*:5432\" { idle = 11 }\n"
			   "listen \"*:8080\" { count = 2 }\n"
			   "program \"db-client\" {\n"
			   "\tinterval = 7\n"
			   "\tdestination \"10.0.0.0/8:5432\" { idle = 22 user_timeout = 30000 }\n"
			   "\tdestination \"[::1]\" { keepalive = false }\n"
			   "}\n"
			   "program \"other\" { destination \"*\" { idle = 99 } }\n";

	ck_assert_int_eq(load_rules(conf, "db-client"), KASHIM_CONF_APPLIED);
	ck_assert_int_eq(cap.count, 0);
	ck_assert_ptr_nonnull(set);
	ck_assert_uint_eq(set->n, 4); /* two of db-client, two top-level; not other's */
	ck_assert_int_eq(s.idle, 50);
	ck_assert_int_eq(s.interval, 7);

	int i = find(KASHIM_RULE_DESTINATION, "10.1.2.3", 5432);
	ck_assert_int_eq(i, 0);
	ck_assert_int_eq(set->rule[i].settings.idle, 22);
	ck_assert_int_eq(set->rule[i].settings.interval, 7); /* the section's */
	ck_assert_int_eq(set->rule[i].settings.user_timeout, 30000);
	ck_assert_int_eq(set->rule[i].settings.source[KASHIM_F_IDLE], KASHIM_SRC_RULE);
	ck_assert_int_eq(set->rule[i].settings.source[KASHIM_F_INTERVAL], KASHIM_SRC_SECTION);
	ck_assert_int_eq(set->rule[i].settings.source[KASHIM_F_COUNT], KASHIM_SRC_DEFAULT);
	ck_assert_str_eq(set->rule[i].settings.rule, "destination \"10.0.0.0/8:5432\" at line 6");

	i = find(KASHIM_RULE_DESTINATION, "192.0.2.1", 5432); /* the top-level one */
	ck_assert_int_ge(i, 0);
	ck_assert_int_eq(set->rule[i].settings.idle, 11);
	ck_assert_int_eq(set->rule[i].settings.interval, 7);
	ck_assert_str_eq(set->rule[i].settings.rule, "destination \"*:5432\" at line 2");

	i = find(KASHIM_RULE_DESTINATION, "::1", 9);
	ck_assert_int_ge(i, 0);
	ck_assert(!set->rule[i].settings.keepalive);

	ck_assert_int_eq(find(KASHIM_RULE_DESTINATION, "192.0.2.1", 80), -1);
	/* Listen rules are not destination rules, and the other way round. */
	ck_assert_int_eq(find(KASHIM_RULE_DESTINATION, "192.0.2.1", 8080), -1);
	i = find(KASHIM_RULE_LISTEN, "0.0.0.0", 8080);
	ck_assert_int_ge(i, 0);
	ck_assert_int_eq(set->rule[i].settings.count, 2);
	ck_assert_int_eq(find(KASHIM_RULE_LISTEN, "0.0.0.0", 5432), -1);
}
END_TEST

START_TEST(first_match_in_file_order_wins)
{
	const char *conf = "destination \"127.0.0.0/8\" { idle = 1 }\n"
			   "destination \"127.0.0.1:80\" { idle = 2 }\n";

	ck_assert_int_eq(load_rules(conf, "x"), KASHIM_CONF_APPLIED);
	ck_assert_int_eq(set->rule[find(KASHIM_RULE_DESTINATION, "127.0.0.1", 80)].settings.idle, 1);
}
END_TEST

START_TEST(no_rules_give_no_table)
{
	ck_assert_int_eq(load_rules("idle = 5\nprogram \"x\" { idle = 6 }\n", "x"), KASHIM_CONF_APPLIED);
	ck_assert_ptr_null(set);
	/* Rules only in another program's section: none for this one. */
	ck_assert_int_eq(load_rules("program \"y\" { listen \"*\" { idle = 6 } }\n", "x"), KASHIM_CONF_APPLIED);
	ck_assert_ptr_null(set);
}
END_TEST

START_TEST(plain_load_still_reads_files_with_rules)
{
	const char *path = WRITE_CONF("idle = 9\ndestination \"*\" { idle = 3 }\n");

	ck_assert_int_eq(kashim_conffile_load(path, "x", "x", &s, &logger), KASHIM_CONF_APPLIED);
	unlink(path);
	ck_assert_int_eq(s.idle, 9);
}
END_TEST

START_TEST(rule_source_is_described_with_file_and_line)
{
	char buf[400];

	ck_assert_int_eq(load_rules("\n\ndestination \"*:5432\" {\n idle = 4\n}\n", "x"), KASHIM_CONF_APPLIED);
	kashim_source_describe(&set->rule[0].settings, KASHIM_F_IDLE, buf, sizeof buf);
	ck_assert_msg(strstr(buf, "rule destination \"*:5432\" at line 3 in /tmp/kashim-test-"), "%s", buf);
}
END_TEST

/* A bad SPEC anywhere (also in another program's section) refuses the
 * whole file, with file:line, like any other mistake. */
static const struct {
	const char *conf;
	int line;
	const char *needle;
} bad_files[] = {
	{"destination \"10.0.0.0/33\" { idle = 1 }\n", 1, "destination \"10.0.0.0/33\": prefix /33 is above 32"},
	{"idle = 5\n\nlisten \"*:65536\" { }\n", 3, "listen \"*:65536\": port 65536 is outside 1..65535"},
	{"program \"a\" {\n  destination \"*:10-9\" { }\n}\n", 2, "reversed"},
	{"program \"zzz-not-this-one\" {\n\n  destination \"::1:443\" { }\n}\n", 3, "brackets"},
	{"destination \"*\" { }\nprogram \"a\" {\n destination \"*\" { }\n destination\n \"nonsense\" { }\n}\n", 4,
	 "destination \"nonsense\": not *"},
	{"listen \"[2001:db8::/200]\" { }\n", 1, "prefix /200 is above 128"},
	{"destination \"*\" { idle = 0 }\n", 1, "idle = 0 is out of range"},
	{"program \"a\" {\n listen \"*\" {\n  count = 500\n }\n}\n", 3, "count = 500 is out of range"},
	{"destination \"*\" { frequency = 3 }\n", 1, "frequency"},
	{"destination \"*:80\" { }\ndestination \"*:80\" { }\n", 0, "duplicate"},
	{"destination \"*\" { destination \"*\" { } }\n", 0, "destination"},
	{"listen \"*\" { idle = 5 }\nlisten \"*:x\" { }\nlisten \"*:1-\" { }\n", 3, "not the end of a port range"},
	{"cgroup \"web\" {\n  destination \"10.0.0.0/33\" { }\n}\n", 2, "prefix /33 is above 32"},
	{"cgroup \"web\" {\n listen \"*\" {\n  count = 500\n }\n}\n", 3,
	 "count = 500 is out of range"},
};

START_TEST(bad_specs_refuse_the_file_with_file_and_line)
{
	for (size_t i = 0; i < sizeof bad_files / sizeof bad_files[0]; i++) {
		struct kashim_settings before;
		char where[32];

		setup();
		s.idle = 1234;
		before = s;
		ck_assert_msg(load_rules(bad_files[i].conf, "a") == KASHIM_CONF_INVALID, "accepted: %s",
			      bad_files[i].conf);
		ck_assert_ptr_null(set);
		ck_assert_int_eq(s.idle, before.idle);
		ck_assert_msg(strstr(cap.text, bad_files[i].needle), "file %zu: expected \"%s\" in: %s", i,
			      bad_files[i].needle, cap.text);
		ck_assert_msg(strstr(cap.text, "file ignored"), "%s", cap.text);
		ck_assert_msg(strstr(cap.text, "/tmp/kashim-test-"), "no file name in: %s", cap.text);
		if (bad_files[i].line) {
			snprintf(where, sizeof where, ":%d: ", bad_files[i].line);
			ck_assert_msg(strstr(cap.text, where), "file %zu: expected line %d in: %s", i,
				      bad_files[i].line, cap.text);
		}
	}
}
END_TEST

START_TEST(every_bad_spec_of_a_file_is_reported)
{
	ck_assert_int_eq(load_rules("destination \"*:0\" { }\nlisten \"x\" { }\n", "a"), KASHIM_CONF_INVALID);
	ck_assert_int_eq(cap.count, 2);
	ck_assert(strstr(cap.text, ":1: destination \"*:0\""));
	ck_assert(strstr(cap.text, ":2: listen \"x\""));
}
END_TEST

START_TEST(keywords_in_comments_and_titles_do_not_shift_lines)
{
	const char *conf = "# destination \"*\" in a comment\n"
			   "/* listen \"*\" { } */\n"
			   "program \"listen\" {\n"
			   "  destination \"*:1\" { }   // destination\n"
			   "}\n"
			   "program destination { }\n"
			   "destination \"*:99999\" { }\n";

	ck_assert_int_eq(load_rules(conf, "a"), KASHIM_CONF_INVALID);
	ck_assert_msg(strstr(cap.text, ":7: destination \"*:99999\""), "%s", cap.text);
}
END_TEST

START_TEST(too_many_rules_refuse_the_file)
{
	size_t len = (KASHIM_RULES_MAX + 1) * 40;
	char *conf = malloc(len);
	size_t used = 0;

	ck_assert_ptr_nonnull(conf);
	for (int i = 0; i <= KASHIM_RULES_MAX; i++)
		used += (size_t)snprintf(conf + used, len - used, "destination \"*:%d\" { }\n", i + 1);
	ck_assert_int_eq(load_rules(conf, "a"), KASHIM_CONF_INVALID);
	free(conf);
	ck_assert_msg(strstr(cap.text, ":1025: more than 1024 destination and listen rules; file ignored"), "%s",
		      cap.text);
	/* One fewer is fine. */
	setup();
	conf = malloc(len);
	used = 0;
	for (int i = 0; i < KASHIM_RULES_MAX; i++)
		used += (size_t)snprintf(conf + used, len - used, "destination \"*:%d\" { }\n", i + 1);
	ck_assert_int_eq(load_rules(conf, "a"), KASHIM_CONF_APPLIED);
	free(conf);
	ck_assert_uint_eq(set->n, KASHIM_RULES_MAX);
	ck_assert_int_eq(find(KASHIM_RULE_DESTINATION, "10.0.0.1", 1024), 1023);
}
END_TEST

/* Rules inside cgroup sections are read and checked like a program
 * section's, and their lines do not shift those of the program sections
 * around them; the shim never applies them. */
START_TEST(cgroup_section_rules_keep_program_rule_lines)
{
	const char *conf = "cgroup \"web\" {\n"
			   "  destination \"*:1\" { idle = 5 }\n"
			   "  listen \"*:2\" { idle = 6 }\n"
			   "}\n"
			   "program \"a\" {\n"
			   "  destination \"10.0.0.0/8\" { idle = 7 }\n"
			   "}\n"
			   "cgroup listen { destination \"*:3\" { } }\n"
			   "destination \"*:4\" { idle = 8 }\n";

	ck_assert_int_eq(load_rules(conf, "a"), KASHIM_CONF_APPLIED);
	ck_assert_int_eq(cap.count, 0);
	ck_assert_uint_eq(set->n, 2); /* program a's then the top level's: no cgroup's */
	ck_assert_str_eq(set->rule[0].settings.rule, "destination \"10.0.0.0/8\" at line 6");
	ck_assert_str_eq(set->rule[1].settings.rule, "destination \"*:4\" at line 9");
	ck_assert_int_eq(find(KASHIM_RULE_DESTINATION, "192.0.2.1", 1), -1);
	ck_assert_int_eq(find(KASHIM_RULE_LISTEN, "192.0.2.1", 2), -1);
}
END_TEST

static bool match_web(void *ctx, const char *title)
{
	(void)ctx;
	return !strcmp(title, "web");
}

static bool match_none(void *ctx, const char *title)
{
	++*(int *)ctx;
	(void)title;
	return false;
}

/* A cgroup's profile, as kashim-bpf gets it: the top level, then the
 * first cgroup section the query matches; its rules: that section's in
 * file order, then the top level's, each on top of the section's values
 * (as a program section's are for the shim). */
START_TEST(cgroup_profile_is_its_section_rules_then_the_top_levels)
{
	const char *conf = "idle = 50\n"
			   "destination \"*:5432\" { idle = 11 }\n"
			   "cgroup \"other\" { destination \"*\" { idle = 99 } }\n"
			   "program \"web\" { destination \"*\" { idle = 98 } }\n"
			   "cgroup \"web\" {\n"
			   "\tinterval = 7\n"
			   "\tdestination \"10.0.0.0/8:5432\" { idle = 22 }\n"
			   "\tlisten \"*:8080\" { keepalive = false }\n"
			   "}\n"
			   "cgroup \"web2\" { idle = 3 }\n";
	const char *path = WRITE_CONF(conf);
	const struct kashim_conf_cgroup_query web = {.match = match_web};
	struct kashim_conf_profile p;
	int seen = 0;
	const struct kashim_conf_cgroup_query none = {.match = match_none, .ctx = &seen};

	ck_assert_int_eq(kashim_conffile_load_cgroup(path, &web, &s, &p, &logger),
			 KASHIM_CONF_APPLIED);
	ck_assert_int_eq(cap.count, 0);
	ck_assert_str_eq(p.title, "web");
	ck_assert_int_eq(p.settings.idle, 50);
	ck_assert_int_eq(p.settings.interval, 7);
	ck_assert_int_eq(p.settings.source[KASHIM_F_INTERVAL], KASHIM_SRC_SECTION);
	ck_assert_str_eq(p.settings.section, "web");
	ck_assert_ptr_nonnull(p.rules);
	ck_assert_uint_eq(p.rules->n, 3);
	ck_assert_str_eq(p.rules->rule[0].settings.rule,
			 "destination \"10.0.0.0/8:5432\" at line 7");
	ck_assert_int_eq(p.rules->rule[0].settings.idle, 22);
	ck_assert_int_eq(p.rules->rule[0].settings.interval, 7);
	ck_assert_str_eq(p.rules->rule[1].settings.rule, "listen \"*:8080\" at line 8");
	ck_assert(!p.rules->rule[1].settings.keepalive);
	ck_assert_str_eq(p.rules->rule[2].settings.rule, "destination \"*:5432\" at line 2");
	ck_assert_int_eq(p.rules->rule[2].settings.interval, 7); /* on top of the section */
	set = p.rules;
	ck_assert_int_eq(find(KASHIM_RULE_DESTINATION, "10.1.2.3", 5432), 0);
	ck_assert_int_eq(find(KASHIM_RULE_DESTINATION, "192.0.2.1", 5432), 2);
	free((char *)p.title);

	/* No section matches: the top level alone, and every title was asked. */
	free(set);
	set = NULL;
	ck_assert_int_eq(kashim_conffile_load_cgroup(path, &none, &s, &p, &logger),
			 KASHIM_CONF_APPLIED);
	ck_assert_int_eq(seen, 3);
	ck_assert_ptr_null(p.title);
	ck_assert_int_eq(p.settings.interval, 10);
	ck_assert_uint_eq(p.rules->n, 1);
	set = p.rules;
	unlink(path);
}
END_TEST

START_TEST(the_example_file_has_rules_and_is_valid)
{
	ck_assert_int_eq(kashim_conffile_load_rules("keepalive.conf.example", "psql", "psql", &s, &set, &logger), KASHIM_CONF_APPLIED);
	ck_assert_int_eq(cap.count, 0);
	ck_assert_ptr_nonnull(set);
}
END_TEST

Suite *rules_suite(void)
{
	Suite *su = suite_create("rules");
	TCase *tc = tcase_create("spec");

	tcase_add_test(tc, every_spec_form_matches_what_it_says);
	tcase_add_test(tc, bad_specs_are_refused_with_a_reason);
	tcase_add_test(tc, colon_port_is_any_address_with_that_port);
	tcase_add_test(tc, short_and_foreign_addresses_are_not_matched);
	tcase_add_test(tc, addresses_are_formatted_for_reports);
	suite_add_tcase(su, tc);
	tc = tcase_create("conffile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, section_rules_come_first_then_top_level_each_on_its_section_values);
	tcase_add_test(tc, first_match_in_file_order_wins);
	tcase_add_test(tc, no_rules_give_no_table);
	tcase_add_test(tc, plain_load_still_reads_files_with_rules);
	tcase_add_test(tc, rule_source_is_described_with_file_and_line);
	tcase_add_test(tc, bad_specs_refuse_the_file_with_file_and_line);
	tcase_add_test(tc, every_bad_spec_of_a_file_is_reported);
	tcase_add_test(tc, keywords_in_comments_and_titles_do_not_shift_lines);
	tcase_add_test(tc, too_many_rules_refuse_the_file);
	tcase_add_test(tc, cgroup_section_rules_keep_program_rule_lines);
	tcase_add_test(tc, cgroup_profile_is_its_section_rules_then_the_top_levels);
	tcase_add_test(tc, the_example_file_has_rules_and_is_valid);
	suite_add_tcase(su, tc);
	return su;
}
