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
 * webrtc_origin inter-module API (for wwsf_token), in the style of sdpops
 * and tm:
 *
 *   #include "../webrtc_origin/api.h"
 *   static webrtc_origin_api_t worigin;
 *   ... in mod_init:  if(webrtc_origin_load_api(&worigin) < 0) return -1;
 *
 * Reading the registry entry of the WWSF a connection is bound to:
 *
 *   worigin_conn_info_t ci;
 *   unsigned gen;
 *   if(worigin.conn_info(msg->rcv.proto_reserved1, &ci) == 1) {
 *       const epc_wwsf_registry_t *r = worigin.registry_acquire(&gen);
 *       const epc_wwsf_t *w = r ? epc_wwsf_registry_find(r,
 *                                     epc_span_cstr(ci.wwsf)) : NULL;
 *       ... use w (issuer, keys, identities; see lib/epc_wwsf_registry.h)
 *       worigin.registry_release(r);
 *   }
 *
 * The registry is immutable and stays valid between acquire and release,
 * even across a reload (the reload publishes a new one; gen changes). A
 * process that caches something derived from it (e.g. EVP_PKEYs made from
 * the PEM keys) rebuilds the cache when registry_generation() differs from
 * the generation it cached. w may be NULL: the WWSF a connection was bound
 * to can have been removed by a reload since (the connection stays bound).
 * All functions may be called from any process after mod_init; none may be
 * called while holding a lock that webrtc_origin's functions could wait on.
 */

#ifndef WEBRTC_ORIGIN_API_H
#define WEBRTC_ORIGIN_API_H

#include "core/dprint.h"
#include "core/sr_module.h"
#include "core/str.h"

#include "epc_origin.h"
#include "epc_wwsf_registry.h"

#define WORIGIN_API_REMOTE_MAX 64

/** A copy of a connection's binding. */
typedef struct worigin_conn_info
{
	int conid;
	char wwsf[EPC_WWSF_ID_MAX + 1];	 /**< WWSF id */
	char origin[EPC_ORIGIN_FMT_MAX]; /**< canonical Origin, "" if none */
	char remote[WORIGIN_API_REMOTE_MAX];
	long since;			   /**< unix time of the handshake */
	unsigned n_identities; /**< identities bound so far */
} worigin_conn_info_t;

/** 1 and *out filled if conid is bound, 0 if not. */
typedef int (*worigin_conn_info_f)(int conid, worigin_conn_info_t *out);

/** The registry in force (NULL if none), held until registry_release();
 * *generation (may be NULL) gets its generation number. */
typedef const epc_wwsf_registry_t *(*worigin_registry_acquire_f)(
		unsigned *generation);
typedef void (*worigin_registry_release_f)(const epc_wwsf_registry_t *r);

/** Generation of the registry in force (0 before the first load). */
typedef unsigned (*worigin_registry_generation_f)(void);

/**
 * Bind an IMS identity (normalised IMPU, exact bytes) to a connection.
 * @return 1 bound (or already); -1 connection not bound to a WWSF; -2 the
 *         connection has the maximum of identities; -3 empty or too long;
 *         -4 out of memory
 */
typedef int (*worigin_bind_identity_f)(int conid, str *identity);

/** Unbind one identity (identity NULL or empty: all). @return how many were
 * removed, -1 if the connection is not bound. */
typedef int (*worigin_unbind_identity_f)(int conid, str *identity);

/** 1 if the identity is bound to the connection, else 0. */
typedef int (*worigin_has_identity_f)(int conid, str *identity);

typedef struct webrtc_origin_api
{
	worigin_conn_info_f conn_info;
	worigin_registry_acquire_f registry_acquire;
	worigin_registry_release_f registry_release;
	worigin_registry_generation_f registry_generation;
	worigin_bind_identity_f bind_identity;
	worigin_unbind_identity_f unbind_identity;
	worigin_has_identity_f has_identity;
} webrtc_origin_api_t;

typedef int (*bind_webrtc_origin_f)(webrtc_origin_api_t *api);

/** Exported as cmd "bind_webrtc_origin". */
int bind_webrtc_origin(webrtc_origin_api_t *api);

/** Fill api from the loaded webrtc_origin module. @return 0 or -1. */
static inline int webrtc_origin_load_api(webrtc_origin_api_t *api)
{
	bind_webrtc_origin_f bindf;

	bindf = (bind_webrtc_origin_f)find_export("bind_webrtc_origin", 1, 0);
	if(bindf == NULL) {
		LM_ERR("cannot find bind_webrtc_origin (is webrtc_origin loaded?)\n");
		return -1;
	}
	return bindf(api);
}

#endif /* WEBRTC_ORIGIN_API_H */
