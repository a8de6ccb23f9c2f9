/* SPDX-License-Identifier: MIT */
/*
 * hx-host CASE [ARGS] - small programs that do what real daemons do to the
 * library inside them: threads inside a dlopen()ed constructor, closing every
 * fd, openlog(LOG_PERROR), dup() after choosing an option, fd numbers reused
 * behind the shim's back, several threads accepting on an inherited listener,
 * setsockopt() on a UNIX socket. Each prints one line of what the kernel says
 * and exits 0; 2 on a system error. They know nothing of kashim: the shim
 * reaches them through LD_PRELOAD, as it would any program.
 *
 *   dlopen-race LIB IDLE      thread B dlopen()s LIB (libhx-slowctor.so), whose
 *                             constructor signals A, waits 300 ms and makes a
 *                             TCP socket; A makes its first TCP socket on the
 *                             signal. Prints "a I b I" (TCP_KEEPIDLE of both).
 *   closeall FILE             close fds 3..1023 after a first TCP socket, then
 *                             open FILE, write, make a listener and a client,
 *                             exchange a byte, write again. Prints
 *                             "exchange ok keepalive K" or what failed.
 *   perror                    openlog(LOG_PERROR); syslog() one line; make a
 *                             TCP socket. Prints its keepalive.
 *   dup HOW                   socket(); setsockopt(SO_KEEPALIVE, 0); copy it
 *                             with HOW (dup dup2 dup3 dupfd dupfd-cloexec);
 *                             connect the copy. Prints "keepalive K".
 *   dup-plain HOW             the same without the program's setsockopt.
 *   reuse HOW                 socket(); close it with HOW (close close_range
 *                             closefrom); a socket from syscall(SYS_socket) gets
 *                             the same number; connect it. Prints "same-fd S
 *                             keepalive K idle I".
 *   accept-inherited N T      make a listener and N connections to it, then
 *                             exec this program (LD_PRELOAD as set in
 *                             HX_PRELOAD) with the listener inherited; T
 *                             threads accept the N at once. Prints
 *                             "accepted N configured M" (idle == HX_IDLE),
 *                             read once all threads are done.
 *   unix-setsockopt           setsockopt(SO_KEEPALIVE) on an AF_UNIX socket.
 *   signals N IDLE            a 100 us interval timer whose handler makes and
 *                             closes a TCP socket and dup()s and closes an
 *                             fd, while the program makes N connections
 *                             (socket, connect, accept, close) from its very
 *                             first socket on. Prints "connections N
 *                             configured M handler-sockets some|none"
 *                             (M: both ends with TCP_KEEPIDLE == IDLE).
 */
#include "hx.h" /* first: it defines _GNU_SOURCE */

#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <syslog.h>

static int idle_of(int fd)
{
	int v = -1;
	socklen_t len = sizeof v;

	if (getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &len) != 0)
		return -1;
	return v;
}

static int keepalive_of(int fd)
{
	int v = -1;
	socklen_t len = sizeof v;

	if (getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &len) != 0)
		return -1;
	return v;
}

/* A loopback listener on an ephemeral port; its address in @addr. */
static int listener(struct sockaddr_in *addr, int backlog)
{
	socklen_t len = sizeof *addr;
	int l = socket(AF_INET, SOCK_STREAM, 0);

	memset(addr, 0, sizeof *addr);
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)addr, sizeof *addr) != 0 || listen(l, backlog) != 0 ||
	    getsockname(l, (struct sockaddr *)addr, &len) != 0)
		hx_die("listener");
	return l;
}

/* ---- dlopen-race -------------------------------------------------------- */

struct dl_arg {
	const char *lib;
	int b_fd;
};

static void *dl_thread(void *p)
{
	struct dl_arg *arg = p;
	void *h = dlopen(arg->lib, RTLD_NOW);
	int *fd = h ? dlsym(h, "hx_slowctor_fd") : NULL;

	if (!fd)
		hx_die("dlopen");
	arg->b_fd = *fd;
	return NULL;
}

static int dlopen_race(const char *lib)
{
	struct dl_arg arg = {lib, -1};
	int pipefd[2], a, u = socket(AF_UNIX, SOCK_STREAM, 0); /* libc's socket() is known now */
	char env[16], c;
	pthread_t b;

	if (u < 0 || pipe(pipefd) != 0)
		hx_die("setup");
	snprintf(env, sizeof env, "%d", pipefd[1]);
	setenv("HX_SIGNAL_FD", env, 1);
	if ((errno = pthread_create(&b, NULL, dl_thread, &arg)))
		hx_die("pthread_create");
	if (read(pipefd[0], &c, 1) != 1) /* B is inside the constructor */
		hx_die("read");
	a = socket(AF_INET, SOCK_STREAM, 0);
	pthread_join(b, NULL);
	printf("a %d b %d\n", idle_of(a), idle_of(arg.b_fd));
	return 0;
}

/* ---- closeall ----------------------------------------------------------- */

static int closeall(const char *path)
{
	struct sockaddr_in addr;
	int first = socket(AF_INET, SOCK_STREAM, 0), f, l, c, a;
	char byte = 'x';

	if (first < 0)
		hx_die("socket");
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (f < 0 || write(f, "first\n", 6) != 6)
		hx_die("file");
	l = socket(AF_INET, SOCK_STREAM, 0);
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof addr;
	if (l < 0 || bind(l, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(l, 4) != 0 ||
	    getsockname(l, (struct sockaddr *)&addr, &len) != 0) {
		printf("listener broken: %s\n", strerror(errno));
		return 0;
	}
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&addr, sizeof addr) != 0) {
		printf("client broken: %s\n", strerror(errno));
		return 0;
	}
	a = accept(l, NULL, NULL);
	if (a < 0 || send(c, &byte, 1, 0) != 1 || recv(a, &byte, 1, 0) != 1) {
		printf("exchange broken: %s\n", strerror(errno));
		return 0;
	}
	if (write(f, "second\n", 7) != 7 || close(f) != 0) {
		printf("file broken: %s\n", strerror(errno));
		return 0;
	}
	printf("exchange ok keepalive %d\n", keepalive_of(c));
	return 0;
}

/* ---- perror ------------------------------------------------------------- */

static int perror_case(void)
{
	int fd;

	openlog("hx-host", LOG_PERROR, LOG_USER);
	syslog(LOG_INFO, "the program's own line");
	fd = socket(AF_INET, SOCK_STREAM, 0);
	printf("keepalive %d\n", keepalive_of(fd));
	return 0;
}

/* ---- dup ---------------------------------------------------------------- */

static int copy_fd(int s, const char *how)
{
	if (!strcmp(how, "dup"))
		return dup(s);
	if (!strcmp(how, "dup2"))
		return dup2(s, 100);
	if (!strcmp(how, "dup3"))
		return dup3(s, 101, O_CLOEXEC);
	if (!strcmp(how, "dupfd"))
		return fcntl(s, F_DUPFD, 200);
	if (!strcmp(how, "dupfd-cloexec"))
		return fcntl(s, F_DUPFD_CLOEXEC, 300);
	fprintf(stderr, "unknown copy %s\n", how);
	exit(2);
}

static int dup_case(const char *how, bool choose)
{
	struct sockaddr_in addr;
	int off = 0, l = listener(&addr, 4), s = socket(AF_INET, SOCK_STREAM, 0), d;

	if (s < 0 || (choose && setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &off, sizeof off) != 0))
		hx_die("socket");
	d = copy_fd(s, how);
	if (d < 0 || connect(d, (struct sockaddr *)&addr, sizeof addr) != 0)
		hx_die("connect");
	printf("keepalive %d idle %d\n", keepalive_of(d), idle_of(d));
	close(l);
	return 0;
}

/* ---- reuse -------------------------------------------------------------- */

static int reuse_case(const char *how)
{
	struct sockaddr_in addr;
	int l = listener(&addr, 4), s = socket(AF_INET, SOCK_STREAM, 0), r;

	if (s < 0)
		hx_die("socket");
	if (!strcmp(how, "close"))
		close(s);
	else if (!strcmp(how, "close_range"))
		close_range((unsigned)s, (unsigned)s, 0);
	else if (!strcmp(how, "closefrom"))
		closefrom(s);
	else
		return fprintf(stderr, "unknown close %s\n", how), 2;
	r = (int)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	if (r < 0 || connect(r, (struct sockaddr *)&addr, sizeof addr) != 0)
		hx_die("raw socket");
	printf("same-fd %d keepalive %d idle %d\n", r == s, keepalive_of(r), idle_of(r));
	close(l);
	return 0;
}

/* ---- accept-inherited --------------------------------------------------- */

static pthread_barrier_t accept_line;
static atomic_int accepted;
static int inherited_listener, per_thread, want_idle;
static int accepted_fds[1024];

static void *acceptor(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&accept_line);
	for (int i = 0; i < per_thread; i++) {
		int fd = accept4(inherited_listener, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			hx_die("accept");
		accepted_fds[atomic_fetch_add(&accepted, 1)] = fd;
	}
	return NULL;
}

static int accept_inherited(int argc, char **argv)
{
	int n = atoi(argv[2]), threads = atoi(argv[3]);

	if (argc == 5) { /* the exec()ed half: the listener is fd argv[4] */
		pthread_t tid[64];
		int configured = 0;

		inherited_listener = atoi(argv[4]);
		per_thread = n / threads;
		want_idle = atoi(getenv("HX_IDLE") ? getenv("HX_IDLE") : "0");
		if (threads > 64 || n > 1024 || pthread_barrier_init(&accept_line, NULL, (unsigned)threads))
			hx_die("setup");
		for (int i = 0; i < threads; i++)
			if ((errno = pthread_create(&tid[i], NULL, acceptor, NULL)))
				hx_die("pthread_create");
		for (int i = 0; i < threads; i++)
			pthread_join(tid[i], NULL);
		/* Read once every thread is done: a connection accepted while
		 * another thread was still reading kashim's settings is
		 * configured by that thread when it finishes. */
		for (int i = 0; i < atomic_load(&accepted); i++)
			configured += hx_configured(accepted_fds[i], want_idle);
		printf("accepted %d configured %d\n", atomic_load(&accepted), configured);
		return 0;
	} else {
		struct sockaddr_in addr;
		int l = listener(&addr, n + 8);
		char fdtext[16];
		struct tcp_info info;
		socklen_t len;

		hx_raise_nofile((rlim_t)(3 * n + 64));
		for (int i = 0; i < n; i++) {
			int c = socket(AF_INET, SOCK_STREAM, 0);

			if (c < 0 || connect(c, (struct sockaddr *)&addr, sizeof addr) != 0)
				hx_die("connect");
		}
		/* Every handshake is complete before the other half starts. */
		for (int tries = 0; tries < 1000; tries++) {
			len = sizeof info;
			if (getsockopt(l, IPPROTO_TCP, TCP_INFO, &info, &len) == 0 && (int)info.tcpi_unacked >= n)
				break;
			usleep(1000);
		}
		snprintf(fdtext, sizeof fdtext, "%d", l);
		if (getenv("HX_PRELOAD"))
			setenv("LD_PRELOAD", getenv("HX_PRELOAD"), 1);
		/* The path, not /proc/self/exe itself: under valgrind that is
		 * the tool, while readlink() is answered for the program. */
		{
			char self[4096];
			ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);

			if (len <= 0)
				hx_die("readlink");
			self[len] = '\0';
			execl(self, argv[0], argv[1], argv[2], argv[3], fdtext, (char *)NULL);
		}
		hx_die("exec");
	}
	return 2;
}

/* ---- signals ------------------------------------------------------------ */

static volatile sig_atomic_t handler_sockets;

static void on_alarm(int sig)
{
	int saved_errno = errno, s = socket(AF_INET, SOCK_STREAM, 0), d = dup(0);

	(void)sig;
	if (s >= 0) {
		handler_sockets++;
		close(s);
	}
	if (d >= 0)
		close(d);
	errno = saved_errno;
}

static int signals_case(int n, int want)
{
	struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
	struct itimerval every = {{0, 100}, {0, 100}}, off = {{0, 0}, {0, 0}};
	struct sockaddr_in addr;
	int configured = 0, l;

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) != 0 || setitimer(ITIMER_REAL, &every, NULL) != 0)
		hx_die("timer");
	l = listener(&addr, 64);
	for (int i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0), a;

		if (c < 0 || connect(c, (struct sockaddr *)&addr, sizeof addr) != 0)
			hx_die("connect");
		while ((a = accept(l, NULL, NULL)) < 0 && errno == EINTR)
			;
		if (a < 0)
			hx_die("accept");
		configured += hx_configured(c, want) && hx_configured(a, want);
		close(a);
		close(c);
	}
	setitimer(ITIMER_REAL, &off, NULL);
	printf("connections %d configured %d handler-sockets %s\n", n, configured,
	       handler_sockets > 0 ? "some" : "none");
	return 0;
}

/* ---- unix-setsockopt ---------------------------------------------------- */

static int unix_setsockopt(void)
{
	int on = 1, u = socket(AF_UNIX, SOCK_STREAM, 0);
	int rc = setsockopt(u, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);

	printf("setsockopt %d\n", rc);
	return 0;
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(c, "dlopen-race") && argc == 3)
		return dlopen_race(argv[2]);
	if (!strcmp(c, "closeall") && argc == 3)
		return closeall(argv[2]);
	if (!strcmp(c, "perror"))
		return perror_case();
	if (!strcmp(c, "dup") && argc == 3)
		return dup_case(argv[2], true);
	if (!strcmp(c, "dup-plain") && argc == 3)
		return dup_case(argv[2], false);
	if (!strcmp(c, "reuse") && argc == 3)
		return reuse_case(argv[2]);
	if (!strcmp(c, "accept-inherited") && (argc == 4 || argc == 5))
		return accept_inherited(argc, argv);
	if (!strcmp(c, "signals") && argc == 4)
		return signals_case(atoi(argv[2]), atoi(argv[3]));
	if (!strcmp(c, "unix-setsockopt"))
		return unix_setsockopt();
	fprintf(stderr, "usage: hx-host CASE [ARGS] (see the comment at the top)\n");
	return 2;
}
