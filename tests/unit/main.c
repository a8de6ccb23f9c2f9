/* SPDX-License-Identifier: MIT */
/* main.c - runs the Suites named at build time; exit status = failures. */
#include <check.h>
#include <stdlib.h>

#ifdef KASHIM_TEST_SHIM
Suite *shim_suite(void);
#else
Suite *settings_suite(void);
Suite *conffile_suite(void);
Suite *rules_suite(void);
Suite *compiled_suite(void);
#endif

int main(void)
{
#ifdef KASHIM_TEST_SHIM
	SRunner *sr = srunner_create(shim_suite());
	/* Each test needs a fresh, uninitialised shim: always fork. */
	srunner_set_fork_status(sr, CK_FORK);
#else
	SRunner *sr = srunner_create(settings_suite());
	srunner_add_suite(sr, conffile_suite());
	srunner_add_suite(sr, rules_suite());
	srunner_add_suite(sr, compiled_suite());
#endif
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
