/* SPDX-License-Identifier: MIT */
/*
 * hx-firstsock CASE [ARGS] - the process's first socket, made where a
 * library must not take ld.so's lock, allocate or touch dlerror(). Each
 * case prints one line of what the kernel says and exits 0; 2 on a system
 * error. Nothing in it knows kashim: the shim comes in through LD_PRELOAD.
 * This program replaces malloc, calloc, realloc and free with glibc's own
 * behind a counter, so that an allocation made while one is in progress on
 * the same thread (from a signal handler: a deadlock on malloc's lock in a
 * real program) is counted instead of hanging.
 *
 *   lock-race LIB      thread A holds the program's own lock while thread B
 *                      dlopen()s LIB (libhx-lockctor.so), whose constructor
 *                      (under ld.so's lock) waits for that lock; A makes the
 *                      process's first socket, a TCP one, then lets go.
 *                      Prints "idle I".
 *   malloc             a signal handler that interrupts malloc() makes the
 *                      first socket. Prints "reentered R idle I" (R:
 *                      allocations made inside the interrupted one).
 *   dlopen LIB         a signal raised by LIB's constructor, inside dlopen(),
 *                      makes the first socket in its handler. Prints
 *                      "reentered R idle I".
 *   dlopen-other LIB   thread B dlopen()s LIB, whose constructor signals the
 *                      process and waits for the handler, which runs on the
 *                      main thread and makes the first socket. Prints
 *                      "idle I".
 *   dlerror-socket     dlopen() of a missing file fails; the first socket
 *                      is made; prints "dlerror kept" when dlerror() still
 *                      reports the failure, "dlerror lost" otherwise.
 *   dlerror-close      the same around the process's first close().
 */
#include "hx.h" /* first: it defines _GNU_SOURCE */

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>

void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void __libc_free(void *);

static __thread int in_alloc;
static volatile sig_atomic_t raise_in_malloc, reentered;
static volatile int handler_fd = -1;

#define ENTER() (in_alloc ? reentered++ : 0, in_alloc++)
#define LEAVE() (in_alloc--)

void *malloc(size_t n)
{
	void *p;

	ENTER();
	if (raise_in_malloc) {
		raise_in_malloc = 0;
		raise(SIGUSR1);
	}
	p = __libc_malloc(n);
	LEAVE();
	return p;
}

void *calloc(size_t n, size_t size)
{
	void *p;

	ENTER();
	p = __libc_calloc(n, size);
	LEAVE();
	return p;
}

void *realloc(void *old, size_t n)
{
	void *p;

	ENTER();
	p = __libc_realloc(old, n);
	LEAVE();
	return p;
}

void free(void *p)
{
	ENTER();
	__libc_free(p);
	LEAVE();
}

static int idle_of(int fd)
{
	int v = -1;
	socklen_t len = sizeof v;

	if (getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &len) != 0)
		return -1;
	return v;
}

static int handler_done;

static void on_usr1(int sig)
{
	int saved_errno = errno;

	(void)sig;
	handler_fd = socket(AF_INET, SOCK_STREAM, 0);
	__atomic_store_n(&handler_done, 1, __ATOMIC_RELEASE);
	errno = saved_errno;
}

static void catch_usr1(void)
{
	struct sigaction sa = {.sa_handler = on_usr1};

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL) != 0)
		hx_die("sigaction");
}

/* ---- lock-race ---------------------------------------------------------- */

static pthread_mutex_t program_lock = PTHREAD_MUTEX_INITIALIZER;

static void *dl_thread(void *lib)
{
	if (!dlopen(lib, RTLD_NOW))
		hx_die("dlopen");
	return NULL;
}

static int lock_race(const char *lib)
{
	char text[64], c;
	int pipefd[2], fd;
	pthread_t b;

	if (pipe(pipefd) != 0)
		hx_die("pipe");
	snprintf(text, sizeof text, "%d %p", pipefd[1], (void *)&program_lock);
	setenv("HX_LOCK_CTOR", text, 1);
	pthread_mutex_lock(&program_lock);
	if ((errno = pthread_create(&b, NULL, dl_thread, (void *)lib)))
		hx_die("pthread_create");
	if (read(pipefd[0], &c, 1) != 1) /* B is in the constructor, about to wait */
		hx_die("read");
	usleep(100 * 1000);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	pthread_mutex_unlock(&program_lock);
	pthread_join(b, NULL);
	printf("idle %d\n", idle_of(fd));
	return 0;
}

/* ---- malloc, dlopen ----------------------------------------------------- */

static int in_malloc(void)
{
	catch_usr1();
	raise_in_malloc = 1;
	free(malloc(64));
	printf("reentered %d idle %d\n", (int)reentered, idle_of(handler_fd));
	return 0;
}

static int in_dlopen(const char *lib)
{
	catch_usr1();
	setenv("HX_RAISE_CTOR", "1", 1);
	if (!dlopen(lib, RTLD_NOW))
		hx_die("dlopen");
	printf("reentered %d idle %d\n", (int)reentered, idle_of(handler_fd));
	return 0;
}

static int in_other_dlopen(const char *lib)
{
	char text[32];
	pthread_t b;

	catch_usr1();
	snprintf(text, sizeof text, "%p", (void *)&handler_done);
	setenv("HX_KICK_CTOR", text, 1);
	if ((errno = pthread_create(&b, NULL, dl_thread, (void *)lib)))
		hx_die("pthread_create");
	pthread_join(b, NULL);
	printf("idle %d\n", idle_of(handler_fd));
	return 0;
}

/* ---- dlerror ------------------------------------------------------------ */

static int dlerror_kept(bool by_close)
{
	int fd = open("/dev/null", O_RDONLY);

	if (fd < 0)
		hx_die("open");
	if (dlopen("/nonexistent/hx-firstsock.so", RTLD_NOW))
		hx_die("dlopen of a missing file succeeded");
	if (by_close)
		close(fd);
	else
		fd = socket(AF_INET, SOCK_STREAM, 0);
	printf("dlerror %s\n", dlerror() ? "kept" : "lost");
	return 0;
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IONBF, 0);
	if (!strcmp(c, "lock-race") && argc == 3)
		return lock_race(argv[2]);
	if (!strcmp(c, "malloc"))
		return in_malloc();
	if (!strcmp(c, "dlopen") && argc == 3)
		return in_dlopen(argv[2]);
	if (!strcmp(c, "dlopen-other") && argc == 3)
		return in_other_dlopen(argv[2]);
	if (!strcmp(c, "dlerror-socket"))
		return dlerror_kept(false);
	if (!strcmp(c, "dlerror-close"))
		return dlerror_kept(true);
	fprintf(stderr, "usage: hx-firstsock lock-race LIB | malloc | dlopen LIB |\n"
			"       dlopen-other LIB | dlerror-socket | dlerror-close\n");
	return 2;
}
