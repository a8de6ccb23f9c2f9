/* SPDX-License-Identifier: MIT */
/* test_shim.c - the interposed calls on real sockets, read back with
 * getsockopt. This binary is linked against libkashim.so, so its socket(),
 * connect(), accept() and setsockopt() go through the shim; the controls use
 * syscall() directly, which no preload can see. Every test runs in its own
 * forked child, so each one starts with an uninitialised shim and sets its
 * environment first. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

struct ka {
	int on, idle, intvl, cnt, user_timeout;
};

static struct ka read_ka(int fd)
{
	struct ka k = {-1, -1, -1, -1, -1};
	socklen_t l = sizeof(int);

	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &k.on, &l), 0);
	getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &k.idle, &l);
	getsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &k.intvl, &l);
	getsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &k.cnt, &l);
	getsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &k.user_timeout, &l);
	return k;
}

#define TEST_ONLY "KASHIM_TEST_ONLY"

static char log_path[64];

/* Isolate the test from the machine: an empty config file, a private log
 * (named by the pid, which the fresh process of START() keeps). */
static void isolate(void)
{
	const char *conf = WRITE_CONF("");

	setenv("KASHIM_CONFIG", conf, 1);
	snprintf(log_path, sizeof log_path, "/tmp/kashim-log-%d", (int)getpid());
	if (!getenv(TEST_ONLY))
		unlink(log_path);
	setenv("KASHIM_LOG", log_path, 1);
}

/* The shim reads the environment once, when it is loaded, as it would in
 * any program: a test that has set its variables runs again, from the
 * start, in a fresh process (this binary, only this test, same pid) that
 * starts with them. main.c runs just that test when TEST_ONLY is set. */
#define START() start(__func__)
static void start(const char *fn)
{
	char self[4096];
	ssize_t n;

	if (getenv(TEST_ONLY))
		return;
	setenv(TEST_ONLY, fn, 1);
	unsetenv("CK_TAP_LOG_FILE_NAME"); /* the outer run reports it */
	/* The path, not /proc/self/exe itself: under valgrind that is the
	 * tool, while readlink() is answered for the program. */
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	ck_assert_int_gt(n, 0);
	self[n] = '\0';
	execl(self, "test_shim", (char *)NULL);
	ck_abort_msg("exec %s: %s", self, strerror(errno));
}

/* Run the build tree's kashim-compile (beside this binary's directory) on
 * @conf; its exit status. */
static int compile_conf(const char *conf)
{
	char self[4096], tool[4200];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	int status = -1;
	pid_t pid;

	ck_assert_int_gt(n, 0);
	self[n] = '\0';
	*strrchr(self, '/') = '\0';
	snprintf(tool, sizeof tool, "%s/../kashim-compile", self);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1), dup2(null, 2);
		execl(tool, tool, conf, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static const char *log_text(void)
{
	static char text[4096];
	int fd = open(log_path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : 0;

	if (fd >= 0)
		close(fd);
	text[n > 0 ? n : 0] = '\0';
	return text;
}

static int raw_socket(int domain, int type)
{
	return (int)syscall(SYS_socket, domain, type, 0);
}

/* A loopback listener made through the shim, and its port. */
static int listener(int *port, bool through_shim)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t l = sizeof a;
	int fd = through_shim ? socket(AF_INET, SOCK_STREAM, 0) : raw_socket(AF_INET, SOCK_STREAM);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	/* Not through the shim either: a listener inherited already listening. */
	ck_assert_int_eq(through_shim ? listen(fd, 8) : (int)syscall(SYS_listen, fd, 8), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &l), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void connect_raw(int fd, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	ck_assert_int_eq((int)syscall(SYS_connect, fd, &a, sizeof a), 0);
}

START_TEST(tcp_socket_gets_defaults_while_a_raw_syscall_socket_does_not)
{
	isolate();
	START();
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int control = raw_socket(AF_INET, SOCK_STREAM);
	struct ka k = read_ka(fd), c = read_ka(control);

	ck_assert_int_eq(k.on, 1);
	ck_assert_int_eq(k.idle, 60);
	ck_assert_int_eq(k.intvl, 10);
	ck_assert_int_eq(k.cnt, 5);
	ck_assert_int_eq(k.user_timeout, 0);
	ck_assert_int_eq(c.on, 0);
	ck_assert_int_eq(c.idle, 7200); /* the kernel's defaults */
}
END_TEST

START_TEST(environment_values_and_type_flags_and_ipv6)
{
	isolate();
	setenv("KASHIM_IDLE", "17", 1);
	setenv("KASHIM_INTERVAL", "3", 1);
	setenv("KASHIM_COUNT", "4", 1);
	setenv("KASHIM_USER_TIMEOUT", "auto", 1);
	START();
	int fds[] = {socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0),
		     socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP)};

	for (int i = 0; i < 2; i++) {
		struct ka k = read_ka(fds[i]);

		ck_assert_int_eq(k.on, 1);
		ck_assert_int_eq(k.idle, 17);
		ck_assert_int_eq(k.intvl, 3);
		ck_assert_int_eq(k.cnt, 4);
		ck_assert_int_eq(k.user_timeout, (17 + 3 * 4) * 1000);
	}
}
END_TEST

START_TEST(udp_unix_and_seqpacket_sockets_are_never_touched)
{
	isolate();
	START();
	int udp = socket(AF_INET, SOCK_DGRAM, 0);
	int unx = socket(AF_UNIX, SOCK_STREAM, 0);
	int seq = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	int on = -1;
	socklen_t l = sizeof on;

	ck_assert_int_eq(getsockopt(udp, SOL_SOCKET, SO_KEEPALIVE, &on, &l), 0);
	ck_assert_int_eq(on, 0);
	ck_assert_int_eq(getsockopt(unx, SOL_SOCKET, SO_KEEPALIVE, &on, &l), 0);
	ck_assert_int_eq(on, 0);
	ck_assert_int_eq(getsockopt(seq, SOL_SOCKET, SO_KEEPALIVE, &on, &l), 0);
	ck_assert_int_eq(on, 0);
	/* and no TCP socket was made, so the config was never read */
	ck_assert_str_eq(log_text(), "");
}
END_TEST

START_TEST(errno_is_untouched_on_success_and_libcs_on_failure)
{
	isolate();
	START();
	errno = 1234;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(errno, 1234);
	errno = 0;
	ck_assert_int_eq(socket(AF_INET, SOCK_STREAM, 999), -1);
	int shim_errno = errno;
	ck_assert_int_eq((int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 999), -1);
	ck_assert_int_eq(shim_errno, errno);
	errno = 0;
	ck_assert_int_eq(connect(-1, NULL, 0), -1);
	ck_assert_int_eq(errno, EBADF);
	errno = 0;
	ck_assert_int_eq(accept(-1, NULL, NULL), -1);
	ck_assert_int_eq(errno, EBADF);
	errno = 0;
	ck_assert_int_eq(accept4(-1, NULL, NULL, 0), -1);
	ck_assert_int_eq(errno, EBADF);
}
END_TEST

START_TEST(accepted_connections_inherit_from_a_listener_made_through_the_shim)
{
	isolate();
	setenv("KASHIM_IDLE", "21", 1);
	START();
	int port, lfd = listener(&port, true);
	int client = raw_socket(AF_INET, SOCK_STREAM);

	connect_raw(client, port);
	int a = accept(lfd, NULL, NULL);
	struct ka k = read_ka(a), c = read_ka(client);

	ck_assert_int_eq(k.on, 1);
	ck_assert_int_eq(k.idle, 21);
	ck_assert_int_eq(c.on, 0); /* control: the raw client side */
	client = raw_socket(AF_INET, SOCK_STREAM);
	connect_raw(client, port);
	a = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_eq(read_ka(a).idle, 21);
}
END_TEST

START_TEST(inherited_listener_is_configured_on_first_accept_with_its_connections)
{
	isolate();
	setenv("KASHIM_IDLE", "22", 1);
	START();
	int port, lfd = listener(&port, false); /* as if inherited: not seen by socket() */

	ck_assert_int_eq(read_ka(lfd).on, 0);
	for (int i = 0; i < 2; i++) {
		int client = raw_socket(AF_INET, SOCK_STREAM);

		connect_raw(client, port);
		int a = accept4(lfd, NULL, NULL, 0);
		struct ka k = read_ka(a);

		ck_assert_int_eq(k.on, 1);
		ck_assert_int_eq(k.idle, 22);
	}
	ck_assert_int_eq(read_ka(lfd).idle, 22);
}
END_TEST

START_TEST(connect_configures_a_socket_made_behind_the_shims_back)
{
	isolate();
	setenv("KASHIM_IDLE", "23", 1);
	START();
	int port, lfd = listener(&port, false);
	int fd = raw_socket(AF_INET, SOCK_STREAM);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	(void)lfd;
	ck_assert_int_eq(read_ka(fd).on, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(read_ka(fd).on, 1);
	ck_assert_int_eq(read_ka(fd).idle, 23);
}
END_TEST

START_TEST(programs_own_choice_between_socket_and_connect_stands)
{
	isolate();
	START();
	int port, lfd = listener(&port, false);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int off = 0;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

	(void)lfd;
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &off, sizeof off), 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(read_ka(fd).on, 0);
}
END_TEST

START_TEST(override_off_lets_the_program_set_its_own_idle)
{
	isolate();
	START();
	int fd = socket(AF_INET, SOCK_STREAM, 0), idle = 300;

	ck_assert_int_eq(setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle), 0);
	ck_assert_int_eq(read_ka(fd).idle, 300);
}
END_TEST

START_TEST(override_on_keeps_configured_values_and_returns_success)
{
	isolate();
	setenv("KASHIM_OVERRIDE", "on", 1);
	setenv("KASHIM_IDLE", "24", 1);
	START();
	int fd = socket(AF_INET, SOCK_STREAM, 0), idle = 300, off = 0;
	int udp = socket(AF_INET, SOCK_DGRAM, 0), on = 1, got = 0;
	socklen_t l = sizeof got;

	errno = 77;
	ck_assert_int_eq(setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle), 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &off, sizeof off), 0);
	ck_assert_int_eq(errno, 77);
	ck_assert_int_eq(read_ka(fd).idle, 24);
	ck_assert_int_eq(read_ka(fd).on, 1);
	/* other options and other protocols pass through */
	ck_assert_int_eq(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on), 0);
	ck_assert_int_eq(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &got, &l), 0);
	ck_assert_int_eq(got, 1);
	ck_assert_int_eq(setsockopt(udp, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on), 0);
	ck_assert_int_eq(getsockopt(udp, SOL_SOCKET, SO_KEEPALIVE, &got, &l), 0);
	ck_assert_int_eq(got, 1);
	/* a bad call the shim does not swallow still fails as libc's */
	ck_assert_int_eq(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, 1), -1);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(keepalive_off_leaves_tcp_sockets_alone)
{
	isolate();
	setenv("KASHIM_KEEPALIVE", "off", 1);
	START();
	ck_assert_int_eq(read_ka(socket(AF_INET, SOCK_STREAM, 0)).on, 0);
}
END_TEST

START_TEST(program_section_from_kashim_config_applies)
{
	isolate();
	const char *conf = WRITE_CONF("idle = 40\nprogram \"nomatch\" { idle = 5 }\n"
				      "program \"test_*\" { idle = 25 count = 2 }\n");

	ck_assert_int_eq(compile_conf(conf), 0);
	setenv("KASHIM_CONFIG", conf, 1);
	START();
	struct ka k = read_ka(socket(AF_INET, SOCK_STREAM, 0));

	ck_assert_int_eq(k.idle, 25);
	ck_assert_int_eq(k.cnt, 2);
	ck_assert_int_eq(k.intvl, 10);
}
END_TEST

START_TEST(bad_config_is_not_compiled_and_defaults_apply)
{
	isolate();
	const char *conf = WRITE_CONF("idle = 30\ncount = 500\n");

	/* kashim-compile refuses it (its message with the line: test_config) */
	ck_assert_int_eq(compile_conf(conf), 2);
	setenv("KASHIM_CONFIG", conf, 1);
	START();
	struct ka k = read_ka(socket(AF_INET, SOCK_STREAM, 0));

	ck_assert_int_eq(k.on, 1);
	ck_assert_int_eq(k.idle, 60);
	/* KASHIM_CONFIG was there at load: the text was parsed then, and its
	 * problem is logged with the line. */
	ck_assert_ptr_nonnull(strstr(log_text(), ":2: count = 500 is out of range 1..127"));
}
END_TEST

START_TEST(missing_kashim_config_file_is_logged_and_env_still_applies)
{
	isolate();
	setenv("KASHIM_CONFIG", "/nonexistent/kashim.conf", 1);
	setenv("KASHIM_IDLE", "26", 1);
	START();
	ck_assert_int_eq(read_ka(socket(AF_INET, SOCK_STREAM, 0)).idle, 26);
	ck_assert_ptr_nonnull(strstr(log_text(), "/nonexistent/kashim.conf does not exist"));
}
END_TEST

START_TEST(bad_variable_is_logged_once_never_on_stderr)
{
	/* The variable is read when the shim loads: stderr is the file from
	 * the start of the fresh process. */
	char path[64];
	struct stat st;

	snprintf(path, sizeof path, "/tmp/kashim-stderr-%d", (int)getpid());
	isolate();
	unsetenv("KASHIM_LOG"); /* the default: syslog */
	setenv("KASHIM_IDLE", "12x", 1);
	if (!getenv(TEST_ONLY)) {
		int err = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		ck_assert_int_ge(err, 0);
		dup2(err, 2);
	}
	START();
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(read_ka(socket(AF_INET, SOCK_STREAM, 0)).idle, 60);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	unlink(path);
}
END_TEST

START_TEST(bad_variable_message_names_it_once)
{
	isolate();
	setenv("KASHIM_COUNT", "0", 1);
	START();
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(read_ka(socket(AF_INET, SOCK_STREAM, 0)).cnt, 5);
	const char *t = log_text();
	const char *first = strstr(t, "KASHIM_COUNT=\"0\" is not a whole number from 1 to 127");

	ck_assert_ptr_nonnull(first);
	ck_assert_ptr_null(strstr(first + 1, "KASHIM_COUNT"));
}
END_TEST

START_TEST(debug_logs_each_decision)
{
	isolate();
	setenv("KASHIM_DEBUG", "1", 1);
	START();
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char needle[64];

	snprintf(needle, sizeof needle, "fd %d (socket AF_INET): keepalive idle=60", fd);
	ck_assert_ptr_nonnull(strstr(log_text(), needle));
	ck_assert_ptr_nonnull(strstr(log_text(), "settings for"));
}
END_TEST

/* Every test, in the order they run, with its test case. */
static const struct {
	const char *tcase;
	const TTest *const *test;
} all_tests[] = {
	{"socket", &tcp_socket_gets_defaults_while_a_raw_syscall_socket_does_not},
	{"socket", &environment_values_and_type_flags_and_ipv6},
	{"socket", &udp_unix_and_seqpacket_sockets_are_never_touched},
	{"socket", &errno_is_untouched_on_success_and_libcs_on_failure},
	{"accept-connect", &accepted_connections_inherit_from_a_listener_made_through_the_shim},
	{"accept-connect", &inherited_listener_is_configured_on_first_accept_with_its_connections},
	{"accept-connect", &connect_configures_a_socket_made_behind_the_shims_back},
	{"accept-connect", &programs_own_choice_between_socket_and_connect_stands},
	{"setsockopt-override", &override_off_lets_the_program_set_its_own_idle},
	{"setsockopt-override", &override_on_keeps_configured_values_and_returns_success},
	{"settings-sources", &keepalive_off_leaves_tcp_sockets_alone},
	{"settings-sources", &program_section_from_kashim_config_applies},
	{"settings-sources", &bad_config_is_not_compiled_and_defaults_apply},
	{"settings-sources", &missing_kashim_config_file_is_logged_and_env_still_applies},
	{"settings-sources", &bad_variable_is_logged_once_never_on_stderr},
	{"settings-sources", &bad_variable_message_names_it_once},
	{"settings-sources", &debug_logs_each_decision},
};

/* @fn is a test function's name (NAME_fn) as START() saw it. */
static bool is_test(const TTest *t, const char *fn)
{
	size_t n = strlen(t->name);

	return !strncmp(fn, t->name, n) && !strcmp(fn + n, "_fn");
}

/* All the tests, or only the one whose function is @only (the fresh
 * process of START()). */
Suite *shim_suite(const char *only)
{
	Suite *s = suite_create("shim");
	TCase *tc = NULL;
	const char *current = "";

	for (size_t i = 0; i < sizeof all_tests / sizeof all_tests[0]; i++) {
		if (only && !is_test(*all_tests[i].test, only))
			continue;
		if (!tc || strcmp(current, all_tests[i].tcase)) {
			current = all_tests[i].tcase;
			tc = tcase_create(current);
			suite_add_tcase(s, tc);
		}
		tcase_add_test(tc, *all_tests[i].test);
	}
	return s;
}
