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
 * In addition, as a special exception, the copyright holders give
 * permission to link the code of portions of this program with the
 * OpenSSL library under certain conditions as described in each
 * individual source file, and distribute linked combinations
 * including the two.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

/**
 * tls_guard: several TLS worker processes with Kamailio 5.6 and OpenSSL 3
 *
 * The tls module routes every OpenSSL allocation to shared memory and
 * initialises OpenSSL in the main process, so the per-thread state OpenSSL
 * creates there (error queue, thread-stop handler list) is inherited by
 * every worker and mutated by all of them without a lock: double frees and
 * heap corruption under parallel TLS handshakes. This module releases that
 * state in the parent right before each fork, so every process creates its
 * own, and checks in each child that nothing was inherited.
 *
 * Kamailio glue only; the OpenSSL side is tlsg_ossl.c.
 */

#include <pthread.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/atomic_ops.h"
#include "core/mem/shm_mem.h"
#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/pt.h"

#include "tlsg_ossl.h"

MODULE_VERSION

static int mod_init(void);
static int child_init(int rank);
static void mod_destroy(void);

#define TLSG_CHILD_NOT_FORKED (-2)

/* modparam: 1 release the per-thread state before fork, 0 only check */
static int _tlsg_mode = 1;

/* main process state; children inherit a copy at fork */
static tlsg_fork_probe_t _tlsg_probe = TLSG_PROBE_INIT;
static int _tlsg_active = 0;
/* tlsg_openssl_locks_shared(), found once at start */
static int _tlsg_locks_shared = -1;
/* per process: what the atfork child handler found */
static int _tlsg_child_shares = TLSG_CHILD_NOT_FORKED;

typedef struct tlsg_stats
{
	atomic_t forks;			   /* fork()s seen by the prepare handler */
	atomic_t children_clean;   /* children without inherited state */
	atomic_t children_shared;  /* children sharing their parent's state */
	atomic_t children_unknown; /* children that could not tell */
} tlsg_stats_t;

static tlsg_stats_t *_tlsg_stats = NULL;

static void tlsg_rpc_status(rpc_t *rpc, void *ctx);

static const char *tlsg_rpc_status_doc[2] = {
		"OpenSSL fork handling: mode, library, counters", 0};

/* clang-format off */
static rpc_export_t tlsg_rpc_cmds[] = {
	{"tls_guard.status", tlsg_rpc_status, tlsg_rpc_status_doc, 0},
	{0, 0, 0, 0}
};

static cmd_export_t cmds[] = {
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"mode", PARAM_INT, &_tlsg_mode},
	{0, 0, 0}
};

struct module_exports exports = {
	"tls_guard",     /* module name */
	DEFAULT_DLFLAGS, /* dlopen flags */
	cmds,            /* exported functions */
	params,          /* exported parameters */
	tlsg_rpc_cmds,   /* RPC method exports */
	0,               /* exported pseudo-variables */
	0,               /* response handling function */
	mod_init,        /* module initialization function */
	child_init,      /* per-child init function */
	mod_destroy      /* module destroy function */
};
/* clang-format on */

/* pthread_atfork handlers: run in whatever process forks (the main one for
 * every Kamailio worker), single-threaded */
static void tlsg_atfork_prepare(void)
{
	if(!_tlsg_active)
		return;
	tlsg_fork_prepare(&_tlsg_probe, _tlsg_mode);
	atomic_inc(&_tlsg_stats->forks);
}

static void tlsg_atfork_child(void)
{
	if(!_tlsg_active)
		return;
	/* before anything in the child can touch OpenSSL */
	_tlsg_child_shares = tlsg_fork_child_shares(&_tlsg_probe);
}

static int mod_init(void)
{
	_tlsg_locks_shared = tlsg_openssl_locks_shared();
	if(_tlsg_mode != 0 && _tlsg_mode != 1) {
		LM_ERR("invalid mode %d (0 or 1)\n", _tlsg_mode);
		return -1;
	}
	if(!tlsg_openssl_has_thread_state()) {
		LM_INFO("tls_guard %s initialised: %s keeps no per-thread state, "
				"nothing to do\n",
				EPC_VERSION, tlsg_openssl_version());
		return 0;
	}
	if(!tlsg_openssl_mem_custom()) {
		/* OpenSSL allocates from libc: fork copies the state, nothing is
		 * shared (the tls module is not loaded or is disabled) */
		LM_INFO("tls_guard %s initialised: OpenSSL does not allocate from "
				"shared memory (no tls module), nothing to do\n",
				EPC_VERSION);
		return 0;
	}
	_tlsg_stats = shm_malloc(sizeof(*_tlsg_stats));
	if(_tlsg_stats == NULL) {
		LM_ERR("out of shared memory\n");
		return -1;
	}
	atomic_set(&_tlsg_stats->forks, 0);
	atomic_set(&_tlsg_stats->children_clean, 0);
	atomic_set(&_tlsg_stats->children_shared, 0);
	atomic_set(&_tlsg_stats->children_unknown, 0);
	if(pthread_atfork(tlsg_atfork_prepare, NULL, tlsg_atfork_child) != 0) {
		LM_ERR("pthread_atfork failed\n");
		goto error;
	}
	_tlsg_active = 1;
	if(_tlsg_mode && _tlsg_locks_shared == 0)
		LM_WARN("pthread_mutex_init/pthread_rwlock_init are the C library's "
				"(this kamailio was built without KSR_PTHREAD_MUTEX_SHARED): "
				"OpenSSL's locks in shared memory are private to each "
				"process, and a worker creating its OpenSSL state can wait "
				"for ever on a lock another worker released\n");
	LM_INFO("tls_guard %s initialised: %s in shared memory: per-thread "
			"state %s before every fork\n",
			EPC_VERSION, tlsg_openssl_version(),
			_tlsg_mode ? "released"
					   : "only checked (mode 0: NOT safe with "
						 "several TLS processes)");
	return 0;

error:
	shm_free(_tlsg_stats);
	_tlsg_stats = NULL;
	return -1;
}

static int child_init(int rank)
{
	if(!_tlsg_active || _tlsg_child_shares == TLSG_CHILD_NOT_FORKED)
		return 0;
	switch(_tlsg_child_shares) {
		case 0:
			atomic_inc(&_tlsg_stats->children_clean);
			LM_DBG("rank %d: no OpenSSL per-thread state inherited\n", rank);
			break;
		case 1:
			atomic_inc(&_tlsg_stats->children_shared);
			LM_WARN("rank %d (pid %d) shares OpenSSL per-thread state with "
					"its parent: TLS in several processes at once corrupts "
					"shared memory (tls_guard mode 1 prevents it)\n",
					rank, my_pid());
			break;
		default:
			atomic_inc(&_tlsg_stats->children_unknown);
			LM_DBG("rank %d: cannot check OpenSSL per-thread state\n", rank);
			break;
	}
	/* a process that forks again gets its own prepare/child run */
	_tlsg_child_shares = TLSG_CHILD_NOT_FORKED;
	return 0;
}

static void mod_destroy(void)
{
	/* atfork handlers cannot be unregistered: make them no-ops */
	_tlsg_active = 0;
	if(_tlsg_stats) {
		shm_free(_tlsg_stats);
		_tlsg_stats = NULL;
	}
}

static void tlsg_rpc_status(rpc_t *rpc, void *ctx)
{
	void *th;

	if(rpc->add(ctx, "{", &th) < 0) {
		rpc->fault(ctx, 500, "Internal error creating the reply");
		return;
	}
	if(rpc->struct_add(th, "dsddd", "mode", _tlsg_mode, "openssl",
			   tlsg_openssl_version(), "shared_memory",
			   tlsg_openssl_mem_custom(), "locks_shared", _tlsg_locks_shared,
			   "active", _tlsg_active)
			< 0) {
		rpc->fault(ctx, 500, "Internal error filling the reply");
		return;
	}
	if(_tlsg_stats == NULL)
		return;
	if(rpc->struct_add(th, "dddd", "forks", atomic_get(&_tlsg_stats->forks),
			   "children_clean", atomic_get(&_tlsg_stats->children_clean),
			   "children_shared", atomic_get(&_tlsg_stats->children_shared),
			   "children_unknown", atomic_get(&_tlsg_stats->children_unknown))
			< 0)
		rpc->fault(ctx, 500, "Internal error filling the reply");
}
