/* SPDX-License-Identifier: MIT */
/* main.c - runs the Suites named at build time; exit status = failures. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef KASHIM_TEST_SHIM
Suite *shim_suite(const char *only);
#else
Suite *settings_suite(void);
Suite *conffile_suite(void);
Suite *rules_suite(void);
Suite *compiled_suite(void);
#endif

int main(void)
{
#ifdef KASHIM_TEST_SHIM
	/* Each test needs a fresh, uninitialised shim: always fork; a test
	 * that sets variables runs again alone, in this process image started
	 * afresh with them (KASHIM_TEST_ONLY, test_shim.c). */
	const char *only = getenv("KASHIM_TEST_ONLY");
	SRunner *sr = srunner_create(shim_suite(only));

	srunner_set_fork_status(sr, only ? CK_NOFORK : CK_FORK);
#else
	SRunner *sr = srunner_create(settings_suite());
	srunner_add_suite(sr, conffile_suite());
	srunner_add_suite(sr, rules_suite());
	srunner_add_suite(sr, compiled_suite());
#endif
#ifdef KASHIM_TEST_SHIM
	if (only) {
		/* The outer run reports the test: its status, and the
		 * failure's message as a comment. */
		srunner_run_all(sr, CK_SILENT);
		TestResult **failures = srunner_failures(sr);

		for (int i = 0; i < srunner_ntests_failed(sr); i++)
			printf("# %s:%d: %s\n", tr_lfile(failures[i]), tr_lno(failures[i]),
			       tr_msg(failures[i]));
		free(failures);
	} else {
		srunner_run_all(sr, CK_NORMAL);
	}
#else
	srunner_run_all(sr, CK_NORMAL);
#endif
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
