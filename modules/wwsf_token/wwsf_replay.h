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
 * Token replay defence (RFC 7519 sec 4.1.7 jti): the decision and the
 * bookkeeping; the cache itself is a Kamailio htable owned by the glue (so
 * that DMQ can replicate it).
 *
 * A token may be presented again on the connection where it was first
 * used (the WIC sends it in every request, TS 24.371 sec 7.2.1, and may
 * refresh the registration with it while it is valid); on any other
 * connection it is a replay. Entries live until the token expires.
 */

#ifndef WWSF_REPLAY_H
#define WWSF_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "epc_span.h"

/** Length of a cache key: 32 hex digits (128 bits of SHA-256). */
#define WWSF_REPLAY_KEY_LEN 32

enum wwsf_replay_verdict
{
	WWSF_REPLAY_FIRST = 0, /* not seen: remember it for this connection */
	WWSF_REPLAY_SAME = 1,  /* seen on this connection: fine */
	WWSF_REPLAY_OTHER = -1 /* seen on another connection: replay */
};

/**
 * Cache key of a token: SHA-256 over issuer, a NUL and jti (the decoded
 * claim values), as lower-case hex, NUL-terminated.
 * @return 0, -1 on a crypto library failure.
 */
int wwsf_replay_key(
		epc_span_t iss, epc_span_t jti, char out[WWSF_REPLAY_KEY_LEN + 1]);

/**
 * What this process already confirmed: the token with this cache key was
 * first seen on the connection with this tag (the glue's connection tag),
 * so presenting it there again is WWSF_REPLAY_SAME without asking the
 * shared cache. Entries in the shared cache are never re-assigned to
 * another connection, only expire with the token, so a confirmation stays
 * true until exp. 2-way set-associative, fixed size, per process (no
 * locks); a miss only means "ask the shared cache".
 */
#define WWSF_SEEN_SETS 1024

typedef struct wwsf_seen_ent
{
	char key[WWSF_REPLAY_KEY_LEN]; /* the cache key */
	uint64_t tag;				   /* hash of the connection tag */
	int64_t exp;				   /* when the token expires (0: empty) */
} wwsf_seen_ent_t;

typedef struct wwsf_seen
{
	wwsf_seen_ent_t e[WWSF_SEEN_SETS][2];
	uint64_t hits, misses;
} wwsf_seen_t;

/** 1 if (key, tag) was confirmed and the token has not expired at now. */
int wwsf_seen_has(wwsf_seen_t *s, const char key[WWSF_REPLAY_KEY_LEN + 1],
		epc_span_t tag, int64_t now);

/** Remember that key was first seen on tag; the token expires at exp. */
void wwsf_seen_add(wwsf_seen_t *s, const char key[WWSF_REPLAY_KEY_LEN + 1],
		epc_span_t tag, int64_t exp, int64_t now);

/** The verdict for a token seen before (found) on stored_conn. */
int wwsf_replay_decide(int found, int64_t stored_conn, int64_t conn);

#define WWSF_RWIN_SLOTS 256

/**
 * How many cache entries are still alive, counted by expiry time in
 * WWSF_RWIN_SLOTS slots of gran seconds (an upper bound: entries of the
 * current slot count until the slot is over). Lets the glue bound the
 * cache without walking it.
 */
typedef struct wwsf_rwin
{
	int64_t horizon; /* longest entry lifetime, seconds */
	int64_t gran;	 /* seconds per slot */
	int64_t epoch[WWSF_RWIN_SLOTS];
	uint32_t count[WWSF_RWIN_SLOTS];
} wwsf_rwin_t;

/** Start empty for entries living at most horizon seconds (>= 1). */
void wwsf_rwin_init(wwsf_rwin_t *w, int64_t horizon);

/** Count an entry expiring at expire (clamped into (now, now + horizon]). */
void wwsf_rwin_add(wwsf_rwin_t *w, int64_t expire, int64_t now);

/** Entries not yet expired at now (upper bound). */
uint64_t wwsf_rwin_live(const wwsf_rwin_t *w, int64_t now);

#endif /* WWSF_REPLAY_H */
