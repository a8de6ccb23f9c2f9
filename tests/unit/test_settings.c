/* SPDX-License-Identifier: MIT */
/* test_settings.c - defaults, number parsing, environment precedence. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>

#include "helpers.h"
#include "../../config/conffile.h"

#include <ctype.h>

/* A fake environment: pairs of name, value. */
static const char *const *fake_env;
static const char *fake_getenv(const char *name)
{
	for (const char *const *p = fake_env; p && p[0]; p += 2)
		if (!strcmp(p[0], name))
			return p[1];
	return NULL;
}

START_TEST(defaults_are_on_60_10_5_no_user_timeout_no_override)
{
	struct kashim_settings s;

	kashim_settings_defaults(&s);
	ck_assert(s.keepalive);
	ck_assert_int_eq(s.idle, 60);
	ck_assert_int_eq(s.interval, 10);
	ck_assert_int_eq(s.count, 5);
	ck_assert_int_eq(s.user_timeout, 0);
	ck_assert(!s.override);
	for (int f = 0; f < KASHIM_NFIELDS; f++)
		ck_assert_int_eq(s.source[f], KASHIM_SRC_DEFAULT);
}
END_TEST

START_TEST(parse_number_accepts_only_plain_digits_in_range)
{
	long v = -1;

	ck_assert(kashim_parse_number("1", 1, 32767, &v) && v == 1);
	ck_assert(kashim_parse_number("32767", 1, 32767, &v) && v == 32767);
	ck_assert(kashim_parse_number("2147483647", 0, 2147483647L, &v) && v == 2147483647L);
	v = 42;
	ck_assert(!kashim_parse_number("0", 1, 32767, &v));
	ck_assert(!kashim_parse_number("32768", 1, 32767, &v));
	ck_assert(!kashim_parse_number("", 1, 32767, &v));
	ck_assert(!kashim_parse_number(NULL, 1, 32767, &v));
	ck_assert(!kashim_parse_number("-5", 1, 32767, &v));
	ck_assert(!kashim_parse_number("+5", 1, 32767, &v));
	ck_assert(!kashim_parse_number(" 5", 1, 32767, &v));
	ck_assert(!kashim_parse_number("5 ", 1, 32767, &v));
	ck_assert(!kashim_parse_number("5s", 1, 32767, &v));
	ck_assert(!kashim_parse_number("0x10", 1, 32767, &v));
	ck_assert(!kashim_parse_number("99999999999999999999999", 1, 32767, &v));
	ck_assert(!kashim_parse_number("2147483648", 0, 2147483647L, &v));
	ck_assert_int_eq(v, 42); /* failures leave the output alone */
}
END_TEST

START_TEST(parse_bool_and_user_timeout_words)
{
	bool b = false, is_auto = false;
	long ms = -1;

	ck_assert(kashim_parse_bool("ON", &b) && b);
	ck_assert(kashim_parse_bool("no", &b) && !b);
	ck_assert(kashim_parse_bool("1", &b) && b);
	ck_assert(!kashim_parse_bool("maybe", &b));
	ck_assert(!kashim_parse_bool("", &b));
	ck_assert(kashim_parse_user_timeout("auto", &ms, &is_auto) && is_auto);
	ck_assert(kashim_parse_user_timeout("25000", &ms, &is_auto) && !is_auto && ms == 25000);
	ck_assert(kashim_parse_user_timeout("0", &ms, &is_auto) && ms == 0);
	ck_assert(!kashim_parse_user_timeout("-1", &ms, &is_auto));
	ck_assert(!kashim_parse_user_timeout("autox", &ms, &is_auto));
}
END_TEST

START_TEST(parse_log_dest_takes_syslog_stderr_or_an_absolute_path)
{
	enum kashim_log_to to = KASHIM_TO_FILE;

	ck_assert(kashim_parse_log_dest("syslog", &to) && to == KASHIM_TO_SYSLOG);
	ck_assert(kashim_parse_log_dest("stderr", &to) && to == KASHIM_TO_STDERR);
	ck_assert(kashim_parse_log_dest("/var/log/kashim.log", &to) && to == KASHIM_TO_FILE);
	/* Case matters, and a relative path would follow each program's cwd. */
	to = KASHIM_TO_SYSLOG;
	ck_assert(!kashim_parse_log_dest("Syslog", &to));
	ck_assert(!kashim_parse_log_dest("STDERR", &to));
	ck_assert(!kashim_parse_log_dest("kashim.log", &to));
	ck_assert(!kashim_parse_log_dest("", &to));
	ck_assert(!kashim_parse_log_dest(NULL, &to));
	ck_assert_int_eq(to, KASHIM_TO_SYSLOG);
}
END_TEST

START_TEST(kashim_variables_override_libkeepalive_ones)
{
	static const char *const env[] = {"KEEPIDLE", "30", "KEEPINTVL", "3", "KEEPCNT", "4",
					  "KASHIM_IDLE", "17", NULL};
	struct captured_log cap = {0};
	struct kashim_logger log = CAPTURE_LOGGER(&cap);
	struct kashim_settings s;

	fake_env = env;
	kashim_settings_defaults(&s);
	ck_assert_int_eq(kashim_settings_apply_env(&s, fake_getenv, &log), 0);
	ck_assert_int_eq(s.idle, 17);
	ck_assert_int_eq(s.source[KASHIM_F_IDLE], KASHIM_SRC_ENV);
	ck_assert_int_eq(s.interval, 3);
	ck_assert_int_eq(s.source[KASHIM_F_INTERVAL], KASHIM_SRC_LIBKEEPALIVE);
	ck_assert_int_eq(s.count, 4);
	ck_assert_int_eq(cap.count, 0);
}
END_TEST

START_TEST(libkeepalive_off_disables_and_kashim_keepalive_on_wins)
{
	static const char *const off[] = {"KEEPALIVE", "off", NULL};
	static const char *const both[] = {"KEEPALIVE", "off", "KASHIM_KEEPALIVE", "on", NULL};
	static const char *const other[] = {"KEEPALIVE", "whatever", NULL};
	struct kashim_settings s;

	fake_env = off;
	kashim_settings_defaults(&s);
	kashim_settings_apply_env(&s, fake_getenv, NULL);
	ck_assert(!s.keepalive);
	fake_env = both;
	kashim_settings_defaults(&s);
	kashim_settings_apply_env(&s, fake_getenv, NULL);
	ck_assert(s.keepalive);
	ck_assert_int_eq(s.source[KASHIM_F_KEEPALIVE], KASHIM_SRC_ENV);
	fake_env = other; /* libkeepalive ignored anything but "off" */
	kashim_settings_defaults(&s);
	ck_assert_int_eq(kashim_settings_apply_env(&s, fake_getenv, NULL), 0);
	ck_assert(s.keepalive);
}
END_TEST

START_TEST(each_bad_variable_is_named_once_and_ignored_others_apply)
{
	static const char *const env[] = {
		"KASHIM_IDLE", "abc", "KASHIM_INTERVAL", "", "KASHIM_COUNT", "128",
		"KASHIM_USER_TIMEOUT", "-3", "KASHIM_KEEPALIVE", "perhaps", "KEEPIDLE", " 5",
		"KASHIM_OVERRIDE", "yes", NULL};
	struct captured_log cap = {0};
	struct kashim_logger log = CAPTURE_LOGGER(&cap);
	struct kashim_settings s;

	fake_env = env;
	kashim_settings_defaults(&s);
	ck_assert_int_eq(kashim_settings_apply_env(&s, fake_getenv, &log), 6);
	ck_assert_int_eq(cap.count, 6);
	ck_assert_ptr_nonnull(strstr(cap.text, "KASHIM_IDLE=\"abc\" is not a whole number from 1 to 32767"));
	ck_assert_ptr_nonnull(strstr(cap.text, "KASHIM_INTERVAL=\"\""));
	ck_assert_ptr_nonnull(strstr(cap.text, "KASHIM_COUNT=\"128\" is not a whole number from 1 to 127"));
	ck_assert_ptr_nonnull(strstr(cap.text, "KASHIM_USER_TIMEOUT=\"-3\""));
	ck_assert_ptr_nonnull(strstr(cap.text, "KASHIM_KEEPALIVE=\"perhaps\" is not on or off"));
	ck_assert_ptr_nonnull(strstr(cap.text, "KEEPIDLE=\" 5\""));
	/* the bad ones fell back, the good one applied */
	ck_assert_int_eq(s.idle, 60);
	ck_assert_int_eq(s.interval, 10);
	ck_assert_int_eq(s.count, 5);
	ck_assert(s.keepalive);
	ck_assert(s.override);
}
END_TEST

START_TEST(user_timeout_auto_is_idle_plus_interval_times_count_in_ms)
{
	static const char *const env[] = {"KASHIM_USER_TIMEOUT", "auto", "KASHIM_IDLE", "30",
					  "KASHIM_INTERVAL", "5", "KASHIM_COUNT", "4", NULL};
	struct kashim_settings s;

	fake_env = env;
	kashim_settings_defaults(&s);
	kashim_settings_apply_env(&s, fake_getenv, NULL);
	kashim_settings_finish(&s);
	ck_assert_int_eq(s.user_timeout, (30 + 5 * 4) * 1000);
}
END_TEST

/* (32767 + 32767 * 127) * 1000 ms does not fit the kernel's int: as an int
 * it was -100791296, which TCP_USER_TIMEOUT refuses. */
START_TEST(user_timeout_auto_at_the_largest_values_is_capped_at_the_kernels_max)
{
	static const char *const env[] = {"KASHIM_USER_TIMEOUT", "auto", "KASHIM_IDLE", "32767",
					  "KASHIM_INTERVAL", "32767", "KASHIM_COUNT", "127", NULL};
	struct kashim_settings s;

	fake_env = env;
	kashim_settings_defaults(&s);
	ck_assert_int_eq(kashim_settings_apply_env(&s, fake_getenv, NULL), 0);
	kashim_settings_finish(&s);
	ck_assert(s.user_timeout_auto);
	ck_assert_int_eq(s.user_timeout, 2147483647L);
	ck_assert_int_eq((int)s.user_timeout, 2147483647);
}
END_TEST

START_TEST(sources_are_described_for_check_mode)
{
	struct kashim_settings s;
	char buf[200];

	kashim_settings_defaults(&s);
	ck_assert_str_eq(kashim_source_describe(&s, KASHIM_F_IDLE, buf, sizeof buf), "default");
	s.source[KASHIM_F_IDLE] = KASHIM_SRC_ENV;
	ck_assert_str_eq(kashim_source_describe(&s, KASHIM_F_IDLE, buf, sizeof buf), "environment KASHIM_IDLE");
	s.source[KASHIM_F_COUNT] = KASHIM_SRC_LIBKEEPALIVE;
	ck_assert_str_eq(kashim_source_describe(&s, KASHIM_F_COUNT, buf, sizeof buf), "environment KEEPCNT");
	strcpy(s.section, "redis-*");
	strcpy(s.file, "/etc/keepalive.conf");
	s.source[KASHIM_F_INTERVAL] = KASHIM_SRC_SECTION;
	ck_assert_str_eq(kashim_source_describe(&s, KASHIM_F_INTERVAL, buf, sizeof buf),
			 "program section \"redis-*\" in /etc/keepalive.conf");
}
END_TEST

/* The table's rows are consistent: what ka-run, ka-status and kashim-bpf
 * generate from them needs unique names, bits and options. */
START_TEST(field_table_rows_are_consistent)
{
	unsigned bits = 0;

	for (int f = 0; f < KASHIM_NFIELDS; f++) {
		const struct kashim_field_info *i = kashim_field_info(f);
		char env[64] = "KASHIM_";

		ck_assert_ptr_nonnull(i);
		for (const char *p = i->name; *p; p++)
			env[strlen(env)] = (char)toupper((unsigned char)*p);
		ck_assert_str_eq(i->env, env);
		ck_assert_int_eq(kashim_field_by_name(i->name), f);
		ck_assert_ptr_nonnull(i->long_opt);
		ck_assert_ptr_nonnull(i->help);
		ck_assert(i->dflt >= i->min && i->dflt <= i->max);
		/* A flag takes no value; every other option does. */
		ck_assert_int_eq(i->kind == KASHIM_KIND_BOOL, i->arg == NULL);
		ck_assert_int_eq(i->level == -1, i->option == -1);
		/* ka-status shows what a socket carries, nothing else. */
		ck_assert_int_eq(i->level == -1, i->column == NULL);
		ck_assert_uint_eq(i->bpf_bit & bits, 0);
		ck_assert_uint_eq(i->bpf_bit & (i->bpf_bit - 1), 0);
		bits |= i->bpf_bit;
		for (int g = 0; g < f; g++) {
			ck_assert_str_ne(kashim_field_info(g)->long_opt, i->long_opt);
			ck_assert(!i->short_opt || kashim_field_info(g)->short_opt != i->short_opt);
		}
	}
	ck_assert_ptr_null(kashim_field_info(KASHIM_NFIELDS));
	ck_assert_int_eq(kashim_field_by_name("idle "), -1);
	ck_assert_int_eq(kashim_field_by_name(NULL), -1);
}
END_TEST

/* The generated accessors reach the named members. */
START_TEST(get_and_set_reach_each_member_and_mark_the_source)
{
	struct kashim_settings s;

	kashim_settings_defaults(&s);
	kashim_settings_set(&s, KASHIM_F_IDLE, 17, KASHIM_SRC_FILE);
	kashim_settings_set(&s, KASHIM_F_INTERVAL, 3, KASHIM_SRC_SECTION);
	kashim_settings_set(&s, KASHIM_F_COUNT, 4, KASHIM_SRC_RULE);
	kashim_settings_set(&s, KASHIM_F_KEEPALIVE, 0, KASHIM_SRC_ENV);
	kashim_settings_set(&s, KASHIM_F_OVERRIDE, 1, KASHIM_SRC_ENV);
	kashim_settings_set(&s, KASHIM_F_USER_TIMEOUT, 9000, KASHIM_SRC_ENV);
	ck_assert_int_eq(s.idle, 17);
	ck_assert_int_eq(s.interval, 3);
	ck_assert_int_eq(s.count, 4);
	ck_assert(!s.keepalive);
	ck_assert(s.override);
	ck_assert_int_eq(s.user_timeout, 9000);
	ck_assert(!s.user_timeout_auto);
	ck_assert_int_eq(s.source[KASHIM_F_INTERVAL], KASHIM_SRC_SECTION);
	ck_assert_int_eq(s.source[KASHIM_F_COUNT], KASHIM_SRC_RULE);
	ck_assert_int_eq(kashim_settings_get(&s, KASHIM_F_IDLE), 17);
	ck_assert_int_eq(kashim_settings_get(&s, KASHIM_F_KEEPALIVE), 0);
	kashim_settings_set(&s, KASHIM_F_USER_TIMEOUT, KASHIM_VALUE_AUTO, KASHIM_SRC_FILE);
	ck_assert(s.user_timeout_auto);
	ck_assert_int_eq(kashim_settings_get(&s, KASHIM_F_USER_TIMEOUT), KASHIM_VALUE_AUTO);
	kashim_settings_finish(&s);
	ck_assert_int_eq(s.user_timeout, (17 + 3 * 4) * 1000);
}
END_TEST

/* Each field's value for the checks below: the one furthest from its default. */
static const char *other_value(enum kashim_field f, long *want)
{
	const struct kashim_field_info *i = kashim_field_info(f);
	static char text[32];

	if (i->kind == KASHIM_KIND_BOOL) {
		*want = !i->dflt;
		return i->dflt ? "off" : "on";
	}
	*want = i->dflt == i->max ? i->min : i->max;
	snprintf(text, sizeof text, "%ld", *want);
	return text;
}

/* A row added to the table is read from the environment and from the file
 * with no other change: each field, alone, through both. */
START_TEST(every_field_is_read_from_its_variable_and_from_the_file)
{
	for (int f = 0; f < KASHIM_NFIELDS; f++) {
		const struct kashim_field_info *i = kashim_field_info(f);
		const char *env[3] = {i->env, NULL, NULL};
		struct kashim_settings s;
		const char *path;
		char conf[128];
		long want;

		env[1] = other_value(f, &want);
		fake_env = env;
		kashim_settings_defaults(&s);
		ck_assert_int_eq(kashim_settings_apply_env(&s, fake_getenv, NULL), 0);
		ck_assert_int_eq(kashim_settings_get(&s, f), want);
		ck_assert_int_eq(s.source[f], KASHIM_SRC_ENV);

		snprintf(conf, sizeof conf, "%s = %s\n", i->name, other_value(f, &want));
		kashim_settings_defaults(&s);
		path = WRITE_CONF(conf);
		ck_assert_int_eq(kashim_conffile_load(path, "x", "x", &s, NULL),
				 KASHIM_CONF_APPLIED);
		unlink(path);
		ck_assert_int_eq(kashim_settings_get(&s, f), want);
		ck_assert_int_eq(s.source[f], KASHIM_SRC_FILE);
		for (int g = 0; g < KASHIM_NFIELDS; g++)
			ck_assert_int_eq(s.source[g],
					 g == f ? KASHIM_SRC_FILE : KASHIM_SRC_DEFAULT);
	}
}
END_TEST

START_TEST(field_parse_and_expect_follow_the_kind)
{
	char buf[128];
	long v = 7;

	ck_assert(kashim_field_parse(KASHIM_F_OVERRIDE, "yes", &v) && v == 1);
	ck_assert(kashim_field_parse(KASHIM_F_USER_TIMEOUT, "AUTO", &v) && v == KASHIM_VALUE_AUTO);
	ck_assert(kashim_field_parse(KASHIM_F_COUNT, "127", &v) && v == 127);
	ck_assert(!kashim_field_parse(KASHIM_F_COUNT, "auto", &v));
	ck_assert(!kashim_field_parse(KASHIM_F_COUNT, "128", &v));
	ck_assert(!kashim_field_parse(KASHIM_F_IDLE, "0", &v));
	ck_assert_str_eq(kashim_field_expect(KASHIM_F_KEEPALIVE, buf, sizeof buf), "on or off");
	ck_assert_str_eq(kashim_field_expect(KASHIM_F_INTERVAL, buf, sizeof buf),
			 "a whole number from 1 to 32767");
	ck_assert_str_eq(kashim_field_expect(KASHIM_F_USER_TIMEOUT, buf, sizeof buf),
			 "a number of milliseconds from 0 to 2147483647 or \"auto\"");
}
END_TEST

Suite *settings_suite(void)
{
	Suite *s = suite_create("settings");
	TCase *tc = tcase_create("defaults-and-parsing");

	tcase_add_test(tc, defaults_are_on_60_10_5_no_user_timeout_no_override);
	tcase_add_test(tc, parse_number_accepts_only_plain_digits_in_range);
	tcase_add_test(tc, parse_bool_and_user_timeout_words);
	tcase_add_test(tc, parse_log_dest_takes_syslog_stderr_or_an_absolute_path);
	suite_add_tcase(s, tc);
	tc = tcase_create("environment");
	tcase_add_test(tc, kashim_variables_override_libkeepalive_ones);
	tcase_add_test(tc, libkeepalive_off_disables_and_kashim_keepalive_on_wins);
	tcase_add_test(tc, each_bad_variable_is_named_once_and_ignored_others_apply);
	tcase_add_test(tc, user_timeout_auto_is_idle_plus_interval_times_count_in_ms);
	tcase_add_test(tc, user_timeout_auto_at_the_largest_values_is_capped_at_the_kernels_max);
	tcase_add_test(tc, sources_are_described_for_check_mode);
	suite_add_tcase(s, tc);
	tc = tcase_create("field-table");
	tcase_add_test(tc, field_table_rows_are_consistent);
	tcase_add_test(tc, get_and_set_reach_each_member_and_mark_the_source);
	tcase_add_test(tc, every_field_is_read_from_its_variable_and_from_the_file);
	tcase_add_test(tc, field_parse_and_expect_follow_the_kind);
	suite_add_tcase(s, tc);
	return s;
}
