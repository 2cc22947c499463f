/*
 * Unit tests: modules/tls_guard/tlsg_ossl.c, the lock check in a process
 * that does NOT interpose pthread_mutex_init()/pthread_rwlock_init() (the
 * other half is in test_tlsg_ossl.c, which does, like /usr/sbin/kamailio).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include "unit.h"

#include <pthread.h>

#include "tlsg_ossl.h"

static void test_locks_not_shared_without_interposer(void **state)
{
	(void)state;
	/* libcrypto binds to the C library's functions: OpenSSL's locks in
	 * shared memory would be private to each process */
	assert_int_equal(tlsg_openssl_locks_shared(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_locks_not_shared_without_interposer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
