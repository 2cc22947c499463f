/*
 * Unit tests: modules/tls_guard/tlsg_ossl.c
 *
 * Reproduces Kamailio's process model without Kamailio: OpenSSL allocates
 * from one shared mapping (as the tls module makes it allocate from shm),
 * the parent initialises OpenSSL and creates its error state, then forks
 * workers. Without the release the workers share one error queue (a worker
 * sees another worker's error); with tlsg_fork_prepare(release) each has
 * its own, and a concurrent error storm causes no double free.
 *
 * Locks: OpenSSL 3 creates its locks (pthread rwlocks) with its allocator,
 * so here, as in Kamailio, they live in the shared mapping. /usr/sbin/kamailio
 * exports its own pthread_mutex_init()/pthread_rwlock_init() that add
 * PTHREAD_PROCESS_SHARED (KSR_PTHREAD_MUTEX_SHARED in main.c, checked with
 * `nm -D /usr/sbin/kamailio | grep pthread_rwlock_init`), and this test
 * binary does the same. Without it a private futex wake in one process
 * never reaches a waiter in another: the storm test hung in about one run
 * of ten (a child asleep in ERR_set_mark -> CRYPTO_THREAD_write_lock).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
/* ERR_get_state(): deprecated in OpenSSL 3, still the only way to name the
 * per-thread error state a process uses */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "unit.h"

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tlsg_ossl.h"

/* -- process-shared locks, as in /usr/sbin/kamailio ----------------------- */

/* Every child arms this before it does anything that can block: a child
 * that hangs dies with SIGALRM and the parent's check fails. */
#define CHILD_WATCHDOG_S 30

__attribute__((visibility("default"))) int pthread_mutex_init(
		pthread_mutex_t *m, const pthread_mutexattr_t *a)
{
	static int (*real)(pthread_mutex_t *, const pthread_mutexattr_t *);
	pthread_mutexattr_t attr;
	int rc;

	if(real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "pthread_mutex_init");
	if(real == NULL)
		return -1;
	if(a != NULL)
		attr = *a;
	else
		pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	rc = real(m, &attr);
	if(a == NULL)
		pthread_mutexattr_destroy(&attr);
	return rc;
}

__attribute__((visibility("default"))) int pthread_rwlock_init(
		pthread_rwlock_t *restrict l, const pthread_rwlockattr_t *restrict a)
{
	static int (*real)(pthread_rwlock_t *, const pthread_rwlockattr_t *);
	pthread_rwlockattr_t attr;
	int rc;

	if(real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "pthread_rwlock_init");
	if(real == NULL)
		return -1;
	if(a != NULL)
		attr = *a;
	else
		pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	rc = real(l, &attr);
	if(a == NULL)
		pthread_rwlockattr_destroy(&attr);
	return rc;
}

static pid_t fork_child(void)
{
	pid_t pid = fork();

	if(pid == 0)
		alarm(CHILD_WATCHDOG_S);
	return pid;
}

/* -- a tiny "shm": bump allocator in a MAP_SHARED region ------------------ */

#define ARENA_SIZE (256u << 20)
#define BLK_LIVE 0x4c495645u
#define BLK_FREE 0x46524545u

typedef struct arena
{
	pthread_mutex_t lock; /* process-shared, like Kamailio's shm lock */
	size_t used;
	unsigned long double_frees;
	unsigned long bad_frees;
	void *slot[8]; /* results children report to the parent */
	unsigned char mem[];
} arena_t;

typedef struct blk
{
	size_t size;
	unsigned magic;
	unsigned pad;
} blk_t;

static arena_t *_arena;

static void *arena_malloc(size_t n, const char *file, int line)
{
	blk_t *b = NULL;
	size_t need = sizeof(blk_t) + ((n + 15) & ~(size_t)15);

	(void)file;
	(void)line;
	pthread_mutex_lock(&_arena->lock);
	if(_arena->used + need <= ARENA_SIZE - sizeof(arena_t)) {
		/* never reused: a double free is counted, never hidden */
		b = (blk_t *)(_arena->mem + _arena->used);
		_arena->used += need;
		b->size = n;
		b->magic = BLK_LIVE;
	}
	pthread_mutex_unlock(&_arena->lock);
	return b ? (void *)(b + 1) : NULL;
}

static void arena_free(void *p, const char *file, int line)
{
	blk_t *b;

	(void)file;
	(void)line;
	if(p == NULL)
		return;
	b = (blk_t *)p - 1;
	pthread_mutex_lock(&_arena->lock);
	if(b->magic == BLK_FREE)
		_arena->double_frees++;
	else if(b->magic != BLK_LIVE)
		_arena->bad_frees++;
	b->magic = BLK_FREE;
	pthread_mutex_unlock(&_arena->lock);
}

static void *arena_realloc(void *p, size_t n, const char *file, int line)
{
	void *q;
	size_t old;

	if(p == NULL)
		return arena_malloc(n, file, line);
	old = ((blk_t *)p - 1)->size;
	q = arena_malloc(n, file, line);
	if(q) {
		memcpy(q, p, old < n ? old : n);
		arena_free(p, file, line);
	}
	return q;
}

static int arena_init(void)
{
	pthread_mutexattr_t a;

	_arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if(_arena == MAP_FAILED)
		return -1;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutex_init(&_arena->lock, &a);
	pthread_mutexattr_destroy(&a);
	/* like the tls module at load time: before any OpenSSL allocation */
	if(!CRYPTO_set_mem_functions(arena_malloc, arena_realloc, arena_free))
		return -1;
	return 0;
}

/* like tls_h_mod_pre_init_f() + loading a certificate in the main
 * process: leaves OpenSSL per-thread state in the main thread */
static void parent_uses_openssl(void)
{
	SSL_CTX *ctx;

	OPENSSL_init_ssl(0, NULL);
	ctx = SSL_CTX_new(TLS_server_method());
	SSL_CTX_free(ctx);
	ERR_set_mark();
	ERR_raise_data(ERR_LIB_SSL, 1, "parent %d", 1);
	ERR_pop_to_mark();
	assert_non_null(ERR_get_state());
}

static int wait_child(pid_t pid)
{
	int st = 0;

	if(waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* -- children ------------------------------------------------------------- */

/* A raises an error and tells B; B reports the first error it sees on its
 * own queue (0 = none, as it should be for a separate process). */
static int error_seen_by_sibling(int release)
{
	tlsg_fork_probe_t p = TLSG_PROBE_INIT;
	int ab[2], ba[2];
	pid_t a, b;
	char c = 0;
	unsigned long seen = 0;

	parent_uses_openssl();
	if(pipe(ab) != 0 || pipe(ba) != 0)
		return -1;
	_arena->slot[0] = NULL;
	tlsg_fork_prepare(&p, release);
	a = fork_child();
	if(a == 0) {
		ERR_clear_error();
		ERR_raise(ERR_LIB_SSL, 42);
		if(write(ab[1], "x", 1) != 1 || read(ba[0], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	tlsg_fork_prepare(&p, release);
	b = fork_child();
	if(b == 0) {
		if(read(ab[0], &c, 1) != 1)
			_exit(2);
		_arena->slot[0] = (void *)(uintptr_t)ERR_peek_error();
		if(write(ba[1], "x", 1) != 1)
			_exit(2);
		_exit(0);
	}
	/* once both exist the parent holds no pipe end: a child whose sibling
	 * died reads EOF instead of waiting for ever */
	close(ab[0]);
	close(ab[1]);
	close(ba[0]);
	close(ba[1]);
	if(a < 0 || b < 0 || wait_child(a) != 0 || wait_child(b) != 0)
		return -1;
	seen = (unsigned long)(uintptr_t)_arena->slot[0];
	return seen != 0 && ERR_GET_REASON(seen) == 42 ? 1 : 0;
}

static void test_openssl_facts(void **state)
{
	(void)state;
	assert_int_equal(tlsg_openssl_mem_custom(), 1);
	assert_int_equal(tlsg_openssl_has_thread_state(), 1);
	assert_non_null(strstr(tlsg_openssl_version(), "OpenSSL"));
	/* this binary interposes both, like /usr/sbin/kamailio */
	assert_int_equal(tlsg_openssl_locks_shared(), 1);
}

static void test_child_inherits_without_release(void **state)
{
	tlsg_fork_probe_t p = TLSG_PROBE_INIT;
	pid_t pid;

	(void)state;
	parent_uses_openssl();
	tlsg_fork_prepare(&p, 0);
	assert_true(p.err_key >= 0);
	assert_ptr_equal(p.parent_err, ERR_get_state());
	pid = fork_child();
	if(pid == 0) {
		/* the child's thread-local slot still points at the parent's
		 * state, which lives in the shared mapping */
		int shares = tlsg_fork_child_shares(&p);
		_exit(shares == 1 && ERR_get_state() == p.parent_err ? 0 : 1);
	}
	assert_int_equal(wait_child(pid), 0);
}

static void test_child_clean_with_release(void **state)
{
	tlsg_fork_probe_t p = TLSG_PROBE_INIT;
	pid_t pid[2];
	int i;

	(void)state;
	parent_uses_openssl();
	for(i = 0; i < 2; i++) {
		tlsg_fork_prepare(&p, 1);
		assert_true(p.err_key >= 0);
		pid[i] = fork_child();
		if(pid[i] == 0) {
			int shares = tlsg_fork_child_shares(&p);
			void *mine = ERR_get_state();
			_arena->slot[1 + i] = mine;
			_exit(shares == 0 && mine != NULL && mine != p.parent_err ? 0 : 1);
		}
		assert_int_equal(wait_child(pid[i]), 0);
	}
	/* and the two workers do not share theirs either */
	assert_ptr_not_equal(_arena->slot[1], _arena->slot[2]);
}

static void test_sibling_sees_error_without_release(void **state)
{
	(void)state;
	/* the hazard, deterministically: one worker's error shows up in
	 * another worker's queue */
	assert_int_equal(error_seen_by_sibling(0), 1);
}

static void test_sibling_isolated_with_release(void **state)
{
	(void)state;
	assert_int_equal(error_seen_by_sibling(1), 0);
}

static void test_error_storm_no_double_free(void **state)
{
	tlsg_fork_probe_t p = TLSG_PROBE_INIT;
	pid_t pid[4];
	unsigned long before;
	int i, k;

	(void)state;
	parent_uses_openssl();
	before = _arena->double_frees + _arena->bad_frees;
	for(i = 0; i < 4; i++) {
		tlsg_fork_prepare(&p, 1);
		pid[i] = fork_child();
		if(pid[i] == 0) {
			/* what a TLS handshake does to the error queue in OpenSSL 3:
			 * marks, errors with allocated data, pops */
			for(k = 0; k < 3000; k++) {
				ERR_set_mark();
				ERR_raise_data(ERR_LIB_SSL, 7, "worker %d round %d", i, k);
				ERR_raise_data(ERR_LIB_EVP, 8, "more data %d", k);
				ERR_pop_to_mark();
				if(k % 64 == 0)
					ERR_clear_error();
			}
			_exit(0);
		}
	}
	for(i = 0; i < 4; i++)
		assert_int_equal(wait_child(pid[i]), 0);
	assert_int_equal(_arena->double_frees + _arena->bad_frees, before);
}

static void test_child_shares_unknown_probe(void **state)
{
	tlsg_fork_probe_t p = TLSG_PROBE_INIT;

	(void)state;
	assert_int_equal(tlsg_fork_child_shares(&p), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_openssl_facts),
			cmocka_unit_test(test_child_inherits_without_release),
			cmocka_unit_test(test_child_clean_with_release),
			cmocka_unit_test(test_sibling_sees_error_without_release),
			cmocka_unit_test(test_sibling_isolated_with_release),
			cmocka_unit_test(test_error_storm_no_double_free),
			cmocka_unit_test(test_child_shares_unknown_probe),
	};

	if(arena_init() != 0) {
		fprintf(stderr, "cannot set up the shared OpenSSL arena\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
