/* SPDX-License-Identifier: MIT */
/* test_conffile.c - keepalive.conf through libconfuse: values, program
 * sections, and every kind of bad file (each ignored whole, with its line). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>

#include "../../config/conffile.h"
#include "helpers.h"

static struct captured_log cap;
static struct kashim_logger logger;
static struct kashim_settings s;

static void setup(void)
{
	memset(&cap, 0, sizeof cap);
	logger = CAPTURE_LOGGER(&cap);
	kashim_settings_defaults(&s);
}

static enum kashim_conf_result load_text(const char *text, const char *exe, const char *argv0)
{
	const char *path = WRITE_CONF(text);
	enum kashim_conf_result r = kashim_conffile_load(path, exe, argv0, &s, &logger);

	unlink(path);
	return r;
}

/* The file was refused: defaults intact, one message per problem naming
 * the line, each saying the file was ignored. */
static void assert_ignored_with(const char *needle, int line)
{
	char where[32];
	struct kashim_settings defaults;

	kashim_settings_defaults(&defaults);
	ck_assert_int_eq(s.idle, defaults.idle);
	ck_assert_int_eq(s.interval, defaults.interval);
	ck_assert_int_eq(s.count, defaults.count);
	ck_assert(s.keepalive);
	ck_assert_int_ge(cap.count, 1);
	ck_assert_msg(strstr(cap.text, needle), "expected \"%s\" in: %s", needle, cap.text);
	ck_assert_msg(strstr(cap.text, "file ignored"), "no 'file ignored' in: %s", cap.text);
	if (line > 0) {
		snprintf(where, sizeof where, ":%d: ", line);
		ck_assert_msg(strstr(cap.text, where), "expected line %d in: %s", line, cap.text);
	}
}

START_TEST(top_level_values_apply_and_are_marked_as_from_the_file)
{
	ck_assert_int_eq(load_text("idle = 30\ninterval = 3\ncount = 4\nuser_timeout = 9000\noverride = true\n",
				   "x", "x"),
			 KASHIM_CONF_APPLIED);
	ck_assert_int_eq(s.idle, 30);
	ck_assert_int_eq(s.interval, 3);
	ck_assert_int_eq(s.count, 4);
	ck_assert_int_eq(s.user_timeout, 9000);
	ck_assert(s.override);
	ck_assert_int_eq(s.source[KASHIM_F_IDLE], KASHIM_SRC_FILE);
	ck_assert_int_eq(s.source[KASHIM_F_KEEPALIVE], KASHIM_SRC_DEFAULT);
	ck_assert_int_eq(cap.count, 0);
}
END_TEST

START_TEST(first_matching_program_section_in_file_order_wins)
{
	const char *conf = "idle = 50\n"
			   "program \"redis-*\" { idle = 30 }\n"
			   "program \"redis-server\" { idle = 20 count = 2 }\n"
			   "program \"legacy_*\" { idle = 10 interval = 2 count = 3 }\n";

	ck_assert_int_eq(load_text(conf, "redis-server", "redis-server"), KASHIM_CONF_APPLIED);
	ck_assert_int_eq(s.idle, 30);
	ck_assert_int_eq(s.count, 5); /* the second matching section is not merged */
	ck_assert_str_eq(s.section, "redis-*");
	ck_assert_int_eq(s.source[KASHIM_F_IDLE], KASHIM_SRC_SECTION);
	ck_assert_int_eq(s.source[KASHIM_F_COUNT], KASHIM_SRC_DEFAULT);
	kashim_settings_defaults(&s);
	ck_assert_int_eq(load_text(conf, "other", "other"), KASHIM_CONF_APPLIED);
	ck_assert_int_eq(s.idle, 50); /* no section: top level only */
	ck_assert_str_eq(s.section, "");
}
END_TEST

START_TEST(section_matches_argv0_when_the_executable_name_differs)
{
	const char *conf = "program \"python3\" { idle = 7 }\nprogram \"sshd\" { keepalive = false }\n";

	ck_assert_int_eq(load_text(conf, "python3.11", "python3"), KASHIM_CONF_APPLIED);
	ck_assert_int_eq(s.idle, 7);
	kashim_settings_defaults(&s);
	ck_assert_int_eq(load_text(conf, "sshd", NULL), KASHIM_CONF_APPLIED);
	ck_assert(!s.keepalive);
}
END_TEST

START_TEST(user_timeout_auto_in_file)
{
	ck_assert_int_eq(load_text("idle = 10\ninterval = 2\ncount = 3\nuser_timeout = auto\n", "x", "x"),
			 KASHIM_CONF_APPLIED);
	kashim_settings_finish(&s);
	ck_assert_int_eq(s.user_timeout, 16000);
}
END_TEST

START_TEST(empty_file_and_comments_change_nothing)
{
	ck_assert_int_eq(load_text("", "x", "x"), KASHIM_CONF_APPLIED);
	ck_assert_int_eq(load_text("# only a comment\n\n", "x", "x"), KASHIM_CONF_APPLIED);
	ck_assert_int_eq(s.idle, 60);
	ck_assert_int_eq(cap.count, 0);
}
END_TEST

START_TEST(missing_file_is_reported_as_missing_without_a_message)
{
	ck_assert_int_eq(kashim_conffile_load("/nonexistent/keepalive.conf", "x", "x", &s, &logger),
			 KASHIM_CONF_MISSING);
	ck_assert_int_eq(cap.count, 0);
}
END_TEST

START_TEST(unknown_key_ignores_the_whole_file)
{
	ck_assert_int_eq(load_text("idle = 5\nidel = 6\n", "x", "x"), KASHIM_CONF_INVALID);
	assert_ignored_with("no such option 'idel'", 2);
}
END_TEST

START_TEST(out_of_range_values_are_all_reported_with_lines)
{
	ck_assert_int_eq(load_text("idle = 0\ninterval = 32768\ncount = 128\n", "x", "x"), KASHIM_CONF_INVALID);
	assert_ignored_with("idle = 0 is out of range 1..32767", 1);
	assert_ignored_with("interval = 32768 is out of range 1..32767", 2);
	assert_ignored_with("count = 128 is out of range 1..127", 3);
	ck_assert_int_eq(cap.count, 3);
}
END_TEST

START_TEST(negative_and_out_of_range_in_a_section)
{
	ck_assert_int_eq(load_text("program \"x\" {\n  idle = -5\n}\n", "x", "x"), KASHIM_CONF_INVALID);
	assert_ignored_with("idle = -5 is out of range", 2);
}
END_TEST

START_TEST(wrong_types_are_refused)
{
	ck_assert_int_eq(load_text("idle = fast\n", "x", "x"), KASHIM_CONF_INVALID);
	assert_ignored_with("idle", 1);
	setup();
	ck_assert_int_eq(load_text("keepalive = 3\n", "x", "x"), KASHIM_CONF_INVALID);
	assert_ignored_with("keepalive", 1);
	setup();
	ck_assert_int_eq(load_text("user_timeout = soon\n", "x", "x"), KASHIM_CONF_INVALID);
	assert_ignored_with("user_timeout = soon is not a number of ms", 1);
	setup();
	ck_assert_int_eq(load_text("idle = 99999999999999999999999\n", "x", "x"), KASHIM_CONF_INVALID);
	assert_ignored_with("idle", 1);
}
END_TEST

START_TEST(duplicate_program_titles_are_refused)
{
	ck_assert_int_eq(load_text("program \"a\" { idle = 3 }\nprogram \"a\" { idle = 4 }\n", "a", "a"),
			 KASHIM_CONF_INVALID);
	assert_ignored_with("duplicate title 'a'", 2);
}
END_TEST

START_TEST(truncated_section_is_refused)
{
	ck_assert_int_eq(load_text("idle = 5\nprogram \"x\" {\n  idle = 3\n", "x", "x"), KASHIM_CONF_INVALID);
	assert_ignored_with("not closed", 2);
}
END_TEST

START_TEST(unterminated_comment_is_refused)
{
	ck_assert_int_eq(load_text("idle = 5\n/* a note\nidle = 6\n", "x", "x"), KASHIM_CONF_INVALID);
	assert_ignored_with("comment opened here is not closed", 2);
	setup();
	/* control: the same comment closed is fine */
	ck_assert_int_eq(load_text("idle = 5\n/* a note */\nidle = 6\n", "x", "x"), KASHIM_CONF_APPLIED);
	ck_assert_int_eq(s.idle, 6);
}
END_TEST

START_TEST(unterminated_string_is_refused)
{
	ck_assert_int_eq(load_text("program \"abc { idle = 3 }\n", "x", "x"), KASHIM_CONF_INVALID);
	assert_ignored_with(":", 0);
}
END_TEST

START_TEST(env_references_and_include_are_refused)
{
	setenv("KASHIM_TEST_TITLE", "x", 1);
	ck_assert_int_eq(load_text("idle = 9\nprogram \"${KASHIM_TEST_TITLE}\" { idle = 3 }\n", "x", "x"),
			 KASHIM_CONF_INVALID);
	assert_ignored_with("${...} environment references are not supported", 2);
	setup();
	ck_assert_int_eq(load_text("include(\"/etc/passwd\")\n", "x", "x"), KASHIM_CONF_INVALID);
	assert_ignored_with("include", 1);
}
END_TEST

START_TEST(binary_and_huge_files_are_refused)
{
	char *big = malloc(KASHIM_CONF_MAX_BYTES + 2);
	const char *path;

	ck_assert_ptr_nonnull(big);
	path = write_temp("idle = 5\n\0\x7f" "ELF", 13);
	ck_assert_int_eq(kashim_conffile_load(path, "x", "x", &s, &logger), KASHIM_CONF_INVALID);
	unlink(path);
	assert_ignored_with("NUL byte", 0);
	setup();
	memset(big, '#', KASHIM_CONF_MAX_BYTES + 1);
	path = write_temp(big, KASHIM_CONF_MAX_BYTES + 1);
	ck_assert_int_eq(kashim_conffile_load(path, "x", "x", &s, &logger), KASHIM_CONF_INVALID);
	unlink(path);
	assert_ignored_with("larger than", 0);
	free(big);
}
END_TEST

START_TEST(a_directory_or_unreadable_path_is_refused)
{
	ck_assert_int_eq(kashim_conffile_load("/tmp", "x", "x", &s, &logger), KASHIM_CONF_INVALID);
	assert_ignored_with("not a regular file", 0);
}
END_TEST

START_TEST(example_file_shipped_with_kashim_is_valid)
{
	ck_assert_int_eq(kashim_conffile_load("keepalive.conf.example", "redis-server", "redis-server", &s, &logger),
			 KASHIM_CONF_APPLIED);
	ck_assert_msg(cap.count == 0, "example produced messages: %s", cap.text);
	ck_assert_int_eq(s.source[KASHIM_F_IDLE], KASHIM_SRC_SECTION);
}
END_TEST

Suite *conffile_suite(void)
{
	Suite *su = suite_create("conffile");
	TCase *tc = tcase_create("valid-files");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, top_level_values_apply_and_are_marked_as_from_the_file);
	tcase_add_test(tc, first_matching_program_section_in_file_order_wins);
	tcase_add_test(tc, section_matches_argv0_when_the_executable_name_differs);
	tcase_add_test(tc, user_timeout_auto_in_file);
	tcase_add_test(tc, empty_file_and_comments_change_nothing);
	tcase_add_test(tc, missing_file_is_reported_as_missing_without_a_message);
	tcase_add_test(tc, example_file_shipped_with_kashim_is_valid);
	suite_add_tcase(su, tc);
	tc = tcase_create("bad-files");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, unknown_key_ignores_the_whole_file);
	tcase_add_test(tc, out_of_range_values_are_all_reported_with_lines);
	tcase_add_test(tc, negative_and_out_of_range_in_a_section);
	tcase_add_test(tc, wrong_types_are_refused);
	tcase_add_test(tc, duplicate_program_titles_are_refused);
	tcase_add_test(tc, truncated_section_is_refused);
	tcase_add_test(tc, unterminated_string_is_refused);
	tcase_add_test(tc, unterminated_comment_is_refused);
	tcase_add_test(tc, env_references_and_include_are_refused);
	tcase_add_test(tc, binary_and_huge_files_are_refused);
	tcase_add_test(tc, a_directory_or_unreadable_path_is_refused);
	suite_add_tcase(su, tc);
	return su;
}
