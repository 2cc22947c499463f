/*
 * Copyright (C) 2026 The eP-CSCF modules authors
 *
 * This file is part of the eP-CSCF modules for Kamailio.
 *
 * This program is free software; you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the Free
 * Software Foundation; either version 2 of the License, or (at your option)
 * any later version.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/* ERR_get_state() is deprecated in OpenSSL 3 but still exported: it is the
 * only public way to name the error state, and it is used here only to find
 * and compare a pointer, never to touch the structure. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <dlfcn.h>
#include <gnu/lib-names.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>

#include "tlsg_ossl.h"

#ifndef PTHREAD_KEYS_MAX
#define PTHREAD_KEYS_MAX 1024
#endif

/* glibc's pthread_key_t is a small index and pthread_getspecific() of an
 * index that was never created returns NULL, so the key holding a known
 * value can be found by looking. Used for the child's self-check only; the
 * release itself goes through OpenSSL's public API. */
static int tlsg_find_key(const void *value)
{
	int k;

	if(value == NULL)
		return -1;
	for(k = 0; k < PTHREAD_KEYS_MAX; k++) {
		if(pthread_getspecific((pthread_key_t)k) == value)
			return k;
	}
	return -1;
}

void tlsg_fork_prepare(tlsg_fork_probe_t *p, int release)
{
	const void *err;

	if(!tlsg_openssl_has_thread_state())
		return;
	/* creates the state if the thread had none: it is released just below
	 * in release mode, and the tls module always has one anyway */
	err = ERR_get_state();
	if(err != NULL
			&& (p->err_key < 0
					|| pthread_getspecific((pthread_key_t)p->err_key) != err))
		p->err_key = tlsg_find_key(err);
	p->parent_err = err;
	if(release) {
		/* runs OpenSSL's thread-stop handlers for this thread: frees the
		 * error state, the per-thread DRBGs and the handler list itself
		 * and clears their thread-local slots */
		OPENSSL_thread_stop();
	}
}

int tlsg_fork_child_shares(const tlsg_fork_probe_t *p)
{
	const void *v;

	if(p->err_key < 0)
		return -1;
	v = pthread_getspecific((pthread_key_t)p->err_key);
	if(v == NULL)
		return 0;
	return v == p->parent_err ? 1 : 0;
}

int tlsg_openssl_mem_custom(void)
{
	CRYPTO_malloc_fn m = NULL;
	CRYPTO_realloc_fn r = NULL;
	CRYPTO_free_fn f = NULL;

	CRYPTO_get_mem_functions(&m, &r, &f);
	return m != NULL && m != CRYPTO_malloc;
}

int tlsg_openssl_has_thread_state(void)
{
#if defined(LIBRESSL_VERSION_NUMBER)
	return 0;
#else
	return OpenSSL_version_num() >= 0x10100000L;
#endif
}

int tlsg_openssl_locks_shared(void)
{
	static const char *const fn[] = {
			"pthread_mutex_init", "pthread_rwlock_init"};
	void *libc;
	int i, own = 0;

	libc = dlopen(LIBC_SO, RTLD_LAZY | RTLD_NOLOAD);
	if(libc == NULL)
		return -1;
	for(i = 0; i < 2; i++) {
		void *global = dlsym(RTLD_DEFAULT, fn[i]);
		void *mine = dlsym(libc, fn[i]);

		if(global == NULL || mine == NULL) {
			dlclose(libc);
			return -1;
		}
		if(global == mine)
			own++;
	}
	dlclose(libc);
	return own == 0 ? 1 : 0;
}

const char *tlsg_openssl_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}
