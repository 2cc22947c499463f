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

/**
 * OpenSSL per-thread state across fork(): the pure core of tls_guard.
 *
 * OpenSSL >= 1.1 keeps per-thread state (the error queue ERR_STATE, the
 * list of thread-stop handlers, the per-thread DRBGs) behind pthread
 * thread-local keys. When the allocator is shared memory (Kamailio's tls
 * module) and the state is created in a process that then forks, every
 * child inherits the same pointers and mutates the same objects without a
 * lock. tlsg_fork_prepare() releases the calling thread's state before the
 * fork so that each child creates its own; tlsg_fork_child_shares() lets a
 * child verify that it did not inherit any.
 *
 * No Kamailio types here: OpenSSL and pthreads only.
 */

#ifndef TLSG_OSSL_H
#define TLSG_OSSL_H

/** What a parent learnt about its OpenSSL error state before a fork. */
typedef struct tlsg_fork_probe
{
	/** pthread key under which OpenSSL keeps the error state, -1 unknown */
	int err_key;
	/** the parent's error state when it forked (may be freed since) */
	const void *parent_err;
} tlsg_fork_probe_t;

#define TLSG_PROBE_INIT \
	{                   \
		-1, NULL        \
	}

/**
 * In the parent, right before fork() (a pthread_atfork prepare handler).
 * Records where the error state lives, then, when release is non-zero,
 * releases every piece of OpenSSL per-thread state of the calling thread
 * (OPENSSL_thread_stop()), so the child starts without any.
 * Single-threaded callers only (Kamailio's processes are).
 * @param p   probe, updated
 * @param release  non-zero: release the per-thread state
 */
void tlsg_fork_prepare(tlsg_fork_probe_t *p, int release);

/**
 * In the child, right after fork() and before it uses OpenSSL.
 * @param p  the probe as the parent left it
 * @return 1 the child sees the parent's error state (shared with the
 *         parent and every sibling), 0 it does not, -1 cannot tell (the
 *         parent never found its key)
 */
int tlsg_fork_child_shares(const tlsg_fork_probe_t *p);

/** 1 if OpenSSL allocates through custom functions (CRYPTO_set_mem_functions,
 * e.g. Kamailio's tls module: shared memory), 0 if through libc. */
int tlsg_openssl_mem_custom(void);

/** 1 if the running OpenSSL keeps per-thread state in thread-local keys
 * (1.1.0 and later, not LibreSSL), i.e. the fork hazard exists. */
int tlsg_openssl_has_thread_state(void);

/**
 * 1 if pthread_mutex_init() and pthread_rwlock_init(), as the dynamic
 * linker resolves them for libcrypto, are not the C library's own, i.e.
 * something (/usr/sbin/kamailio built with KSR_PTHREAD_MUTEX_SHARED)
 * interposes them to make every lock PTHREAD_PROCESS_SHARED; 0 if they are
 * the C library's (OpenSSL's locks in shared memory are then private to
 * each process: a wake-up in one process never reaches a waiter in
 * another); -1 if it cannot tell.
 */
int tlsg_openssl_locks_shared(void);

/** The running libcrypto's version text, e.g. "OpenSSL 3.0.19 27 Jan 2026". */
const char *tlsg_openssl_version(void);

#endif /* TLSG_OSSL_H */
