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
 * webrtc_origin core: the state every Kamailio process shares (the glue
 * keeps one worigin_state_t in shared memory behind one lock):
 *
 *  - registry versions: the WWSF registry currently in force, plus retired
 *    ones that a reader still holds (a reload never frees a registry under
 *    a reader: acquire/release count readers);
 *  - per-WWSF counters (accepted, refused because disabled or at the
 *    connection cap, connections bound now), kept by WWSF id across reloads
 *    while the WWSF stays in the registry or still has connections;
 *  - connection bindings: TCP connection id -> WWSF, Origin, remote
 *    address, time, and the IMS identities wwsf_token registered on it.
 *
 * Nothing here locks, logs or reads the clock: the caller holds its lock
 * around every call and passes "now". Memory comes from the allocator
 * given to worigin_state_init().
 */

#ifndef WORIGIN_STATE_H
#define WORIGIN_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "epc_alloc.h"
#include "epc_origin.h"
#include "epc_span.h"
#include "epc_wwsf_registry.h"

#define WORIGIN_MAX_IDS 16	  /**< identities bound per connection */
#define WORIGIN_ID_MAX 256	  /**< bytes of one bound identity */
#define WORIGIN_REMOTE_MAX 64 /**< "[v6]:port" text */
#define WORIGIN_PAGE_MAX 1000 /**< connections per listing page */

/** Result of an admission check (also the script functions' return codes). */
enum
{
	WORIGIN_ALLOWED = 1,
	WORIGIN_MISSING = -1,	  /**< no Origin (and none is mapped) */
	WORIGIN_MALFORMED = -2,	  /**< not one serialized origin */
	WORIGIN_NOT_ALLOWED = -3, /**< no WWSF has it (also "null") */
	WORIGIN_DISABLED = -4,	  /**< its WWSF is enabled="false" */
	WORIGIN_LIMIT = -5,		  /**< its WWSF is at max-connections */
	WORIGIN_ERROR = -6		  /**< no registry, out of memory */
};

/** "allowed", "missing", "malformed", "not allowed", "disabled",
 * "connection limit", "internal error". */
const char *worigin_result_str(int result);

typedef struct worigin_wstat
{
	struct worigin_wstat *next;
	unsigned refs; /* registry versions and connections using it */
	uint64_t accepted;
	uint64_t rejected_disabled;
	uint64_t rejected_limit;
	uint32_t current; /* connections bound now */
	char id[EPC_WWSF_ID_MAX + 1];
} worigin_wstat_t;

typedef struct worigin_version
{
	struct worigin_version *next;
	epc_wwsf_registry_t *reg;
	worigin_wstat_t **stats; /* parallel to reg->wwsf */
	unsigned generation;
	int64_t loaded;
	unsigned readers;
	int retired;
} worigin_version_t;

typedef struct worigin_conn
{
	struct worigin_conn *next;
	int conid;
	int64_t since;
	worigin_wstat_t *wstat;
	char wwsf[EPC_WWSF_ID_MAX + 1];
	char origin[EPC_ORIGIN_FMT_MAX]; /**< "" when bound without Origin */
	char remote[WORIGIN_REMOTE_MAX];
	unsigned n_ids;
	char *ids[WORIGIN_MAX_IDS];
} worigin_conn_t;

typedef struct worigin_state
{
	const epc_alloc_t *a;
	worigin_version_t *versions; /* newest first; the head is in force */
	worigin_wstat_t *wstats;
	unsigned generation;
	worigin_conn_t **buckets;
	size_t n_buckets; /* power of two */
	size_t n_conns;
} worigin_state_t;

/**
 * Set up an empty state (no registry yet).
 * @param a allocator of everything the state will hold (kept)
 * @param n_buckets hash size, rounded up to a power of two (>= 16)
 * @return 0, or -1 out of memory
 */
int worigin_state_init(
		worigin_state_t *st, const epc_alloc_t *a, size_t n_buckets);

/** Free everything (registries, counters, bindings). */
void worigin_state_destroy(worigin_state_t *st);

/**
 * Put a registry in force (it gets the next generation number). The one it
 * replaces is freed now, or when its last reader releases it.
 * @param reg allocated with the state's allocator; owned by the state on
 *        success, still the caller's on failure
 * @return the new generation, or -1 out of memory (nothing changed)
 */
long worigin_publish(
		worigin_state_t *st, epc_wwsf_registry_t *reg, int64_t now);

/** The version in force, counted as read until worigin_release(); NULL
 * if none was published. */
worigin_version_t *worigin_acquire(worigin_state_t *st);

/** Stop reading v (from worigin_acquire or worigin_version_of). */
void worigin_release(worigin_state_t *st, worigin_version_t *v);

/** The live version that holds reg, or NULL. */
worigin_version_t *worigin_version_of(
		worigin_state_t *st, const epc_wwsf_registry_t *reg);

/** What worigin_admit decided, copied out for the caller. */
typedef struct worigin_decision
{
	int result;						 /**< WORIGIN_* */
	char wwsf[EPC_WWSF_ID_MAX + 1];	 /**< matched WWSF ("" if none) */
	char origin[EPC_ORIGIN_FMT_MAX]; /**< canonical Origin ("" if none) */
	unsigned generation;			 /**< registry that decided */
} worigin_decision_t;

/**
 * Decide a WebSocket handshake and, when allowed, bind the connection.
 * @param o the parsed Origin, or NULL when the request has none
 * @param no_origin_wwsf WWSF id that handshakes without Origin get; empty:
 *        they are refused (WORIGIN_MISSING)
 * @param remote peer address text for listings
 * @return d->result: WORIGIN_ALLOWED or a negative WORIGIN_* code
 */
int worigin_admit(worigin_state_t *st, int conid, const epc_origin_t *o,
		epc_span_t no_origin_wwsf, epc_span_t remote, int64_t now,
		worigin_decision_t *d);

/** The binding of a connection, or NULL (valid until the next call). */
const worigin_conn_t *worigin_conn_find(const worigin_state_t *st, int conid);

/** Drop a binding. @return 1 if there was one, else 0. */
int worigin_conn_remove(worigin_state_t *st, int conid);

/**
 * Record an IMS identity as registered on a connection (no duplicates).
 * @return 1 added or already there; -1 connection not bound; -2 already
 *         WORIGIN_MAX_IDS identities; -3 empty or longer than
 *         WORIGIN_ID_MAX; -4 out of memory
 */
int worigin_conn_bind_id(worigin_state_t *st, int conid, epc_span_t id);

/**
 * Forget an identity (id.len == 0: all of them).
 * @return how many were removed, or -1 connection not bound
 */
int worigin_conn_unbind_id(worigin_state_t *st, int conid, epc_span_t id);

/** 1 if the identity is bound on the connection (exact bytes), else 0. */
int worigin_conn_has_id(const worigin_conn_t *c, epc_span_t id);

enum
{
	WORIGIN_FILTER_ALL = 0,
	WORIGIN_FILTER_WWSF,
	WORIGIN_FILTER_ORIGIN,
	WORIGIN_FILTER_IMPU,
	WORIGIN_FILTER_CONID
};

typedef struct worigin_filter
{
	int field;
	int conid;
	char value[EPC_ORIGIN_MAX_LEN + 1];
	size_t len;
} worigin_filter_t;

/**
 * Parse a listing filter: "", "*" or "all"; "wwsf=<id>"; "origin=<origin>"
 * (compared in canonical form); "impu=<identity>"; "conid=<n>".
 * @return 0 or -1 (unknown field, bad value)
 */
int worigin_filter_parse(epc_span_t in, worigin_filter_t *f);

/** 1 if the binding passes the filter. */
int worigin_filter_match(const worigin_filter_t *f, const worigin_conn_t *c);

/**
 * One page of bound connections: the smallest conids above after that
 * pass the filter, ascending.
 * @param out room for max conids (max <= WORIGIN_PAGE_MAX)
 * @param total set to how many bindings pass the filter
 * @param more set to 1 if conids above the page's last one also pass
 * @return how many conids were written
 */
size_t worigin_conns_page(const worigin_state_t *st, const worigin_filter_t *f,
		int after, int *out, size_t max, size_t *total, int *more);

/** Up to max bound conids, in hash order (for sweeping). */
size_t worigin_conns_all(const worigin_state_t *st, int *out, size_t max);

#endif /* WORIGIN_STATE_H */
