/* SPDX-License-Identifier: MIT */
/*
 * hx-fork MODE ... - process trees under the shim. Every socket is checked
 * with getsockopt (SO_KEEPALIVE on, TCP_KEEPIDLE as expected); each mode
 * prints one result line and exits 0 when all was as expected, 1 if not,
 * 2 on a system error.
 *
 *   hx-fork children N IDLE
 *       The parent makes no socket, forks N children that each make 20
 *       sockets (each child initialises kashim itself); then the parent
 *       makes one and forks N more, which inherit its initialised state.
 *   hx-fork vfork PROGRAM | hx-fork spawn PROGRAM
 *       Start PROGRAM (hx-probe) with vfork()+execv() or posix_spawn() after
 *       the parent made a socket; PROGRAM prints its own findings.
 *   hx-fork during-init FILE CONF PARENT_IDLE CHILD_IDLE
 *       KASHIM_CONFIG is FILE: a thread's first socket() is held inside
 *       kashim's initialisation while it reads FILE (a FIFO with the
 *       stand-in config plugin libhx-slowconf.so, or a compiled FILE whose
 *       reading a tracer holds: strace's delay injection). Meanwhile the
 *       main thread forks. The child, pointed at CONF (idle = CHILD_IDLE),
 *       must not wait for an initialiser that does not exist in it: it
 *       initialises anew. Then the parent opens FILE for writing, which
 *       releases a FIFO's reader.
 */
#include "hx.h" /* first: it defines _GNU_SOURCE */

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

/* Make @n TCP sockets and return how many carried @idle. */
static int make_and_check(int n, int idle)
{
	int ok = 0;

	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0)
			hx_die("socket");
		ok += hx_configured(fd, idle);
		close(fd);
	}
	return ok;
}

/* Fork @n children that each check 20 sockets; returns how many failed. */
static int fork_children(int n, int idle)
{
	int failed = 0, status;

	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			hx_die("fork");
		if (pid == 0)
			_exit(make_and_check(20, idle) == 20 ? 0 : 1);
	}
	for (int i = 0; i < n; i++) {
		if (wait(&status) < 0)
			hx_die("wait");
		failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	return failed;
}

static int mode_children(int n, int idle)
{
	int before = fork_children(n, idle);
	int parent = make_and_check(1, idle);
	int after = fork_children(n, idle);

	printf("children failed before init %d, parent configured %d, failed after init %d\n", before,
	       parent, after);
	return before == 0 && parent == 1 && after == 0 ? 0 : 1;
}

/* vfork()+execv() or posix_spawn() @program after this process's first socket. */
static int mode_start(const char *how, char *program)
{
	char *args[] = {program, NULL};
	int status, fd = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	if (fd < 0)
		hx_die("socket");
	fflush(stdout);
	if (!strcmp(how, "vfork")) {
		pid = vfork();
		if (pid == 0) {
			execv(program, args);
			_exit(127);
		}
	} else if ((errno = posix_spawn(&pid, program, NULL, NULL, args, environ))) {
		hx_die("posix_spawn");
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		hx_die("wait");
	close(fd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static pid_t blocked_tid;
static int blocked_fd = -1;

/* The thread that enters kashim's initialisation and blocks there. */
static void *first_socket(void *arg)
{
	(void)arg;
	__atomic_store_n(&blocked_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	blocked_fd = socket(AF_INET, SOCK_STREAM, 0);
	return NULL;
}

/* True once @tid sleeps in the kernel waiting for the FIFO's writer, or
 * is held by its tracer. */
static bool blocked_on_fifo(pid_t tid)
{
	char path[64], wchan[64] = "";
	FILE *f;

	snprintf(path, sizeof path, "/proc/self/task/%d/wchan", (int)tid);
	if (!(f = fopen(path, "r")))
		return false;
	if (!fgets(wchan, sizeof wchan, f))
		wchan[0] = '\0';
	fclose(f);
	return strstr(wchan, "wait_for_partner") != NULL || strstr(wchan, "ptrace_stop") != NULL;
}

static int mode_during_init(const char *fifo, const char *conf, int parent_idle, int child_idle)
{
	pthread_t thread;
	int status, writer, tries = 0;
	pid_t pid, tid;
	struct timespec tick = {0, 10 * 1000 * 1000};

	setenv("KASHIM_CONFIG", fifo, 1);
	if ((errno = pthread_create(&thread, NULL, first_socket, NULL)))
		hx_die("pthread_create");
	while (!(tid = __atomic_load_n(&blocked_tid, __ATOMIC_SEQ_CST)) || !blocked_on_fifo(tid)) {
		if (++tries > 1000) {
			printf("the first socket() never blocked on %s\n", fifo);
			return 1;
		}
		nanosleep(&tick, NULL);
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		hx_die("fork");
	if (pid == 0) {
		/* A child stuck waiting for the parent's initialiser dies here. */
		alarm(10);
		setenv("KASHIM_CONFIG", conf, 1);
		_exit(make_and_check(5, child_idle) == 5 ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid)
		hx_die("waitpid");
	writer = open(fifo, O_WRONLY);
	if (writer < 0)
		hx_die("open fifo");
	close(writer);
	pthread_join(thread, NULL);
	printf("child %s %d, parent's blocked socket configured %d\n",
	       WIFEXITED(status) ? "exited" : "killed by signal",
	       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
	       blocked_fd >= 0 && hx_configured(blocked_fd, parent_idle));
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 && hx_configured(blocked_fd, parent_idle) ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "children"))
		return mode_children(atoi(argv[2]), atoi(argv[3]));
	if (argc == 3 && (!strcmp(argv[1], "vfork") || !strcmp(argv[1], "spawn")))
		return mode_start(argv[1], argv[2]);
	if (argc == 6 && !strcmp(argv[1], "during-init"))
		return mode_during_init(argv[2], argv[3], atoi(argv[4]), atoi(argv[5]));
	fprintf(stderr, "usage: see the comment at the top of hx-fork.c\n");
	return 2;
}
