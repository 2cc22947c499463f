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

#include <pthread.h>
#include <string.h>
#include <openssl/evp.h>

#include "wwsf_replay.h"

/* One digest context per process, made on first use and reused: no
 * allocation (and, under Kamailio's tls module, no shared-memory lock) per
 * request. A context inherited over fork() belongs to the parent (it may
 * live in shared memory): the child forgets it and makes its own. */
static struct
{
	EVP_MD *md;
	EVP_MD_CTX *ctx;
	int atfork;
} _rk;

static void replay_ctx_forget(void)
{
	_rk.md = NULL;
	_rk.ctx = NULL;
}

static EVP_MD_CTX *replay_ctx(void)
{
	if(_rk.ctx)
		return _rk.ctx;
	if(!_rk.atfork)
		_rk.atfork = pthread_atfork(NULL, NULL, replay_ctx_forget) == 0;
	if(!_rk.atfork)
		return NULL;
	_rk.md = EVP_MD_fetch(NULL, "SHA256", NULL);
	_rk.ctx = EVP_MD_CTX_new();
	if(!_rk.md || !_rk.ctx) {
		EVP_MD_free(_rk.md);
		EVP_MD_CTX_free(_rk.ctx);
		_rk.md = NULL;
		_rk.ctx = NULL;
	}
	return _rk.ctx;
}

int wwsf_replay_key(
		epc_span_t iss, epc_span_t jti, char out[WWSF_REPLAY_KEY_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = replay_ctx();
	int i, ok;

	if(!ctx)
		return -1;
	ok = EVP_DigestInit_ex2(ctx, _rk.md, NULL) == 1
		 && EVP_DigestUpdate(ctx, iss.s, iss.len) == 1
		 && EVP_DigestUpdate(ctx, "", 1) == 1
		 && EVP_DigestUpdate(ctx, jti.s, jti.len) == 1
		 && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1
		 && mdlen * 2 >= WWSF_REPLAY_KEY_LEN;
	if(!ok)
		return -1;
	for(i = 0; i < WWSF_REPLAY_KEY_LEN / 2; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[WWSF_REPLAY_KEY_LEN] = '\0';
	return 0;
}

/* FNV-1a, 64 bits: over our own connection tag, and over key digits that
 * are already SHA-256 output (only spread over the sets) */
static uint64_t fnv1a(epc_span_t t)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for(i = 0; i < t.len; i++) {
		h ^= (unsigned char)t.s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* the key's set: from its second half */
static wwsf_seen_ent_t *seen_set(wwsf_seen_t *s, const char *key)
{
	epc_span_t half = {key + WWSF_REPLAY_KEY_LEN / 2, WWSF_REPLAY_KEY_LEN / 2};

	return s->e[fnv1a(half) % WWSF_SEEN_SETS];
}

static int seen_is(const wwsf_seen_ent_t *e, const char *key)
{
	return memcmp(e->key, key, WWSF_REPLAY_KEY_LEN) == 0;
}

int wwsf_seen_has(wwsf_seen_t *s, const char key[WWSF_REPLAY_KEY_LEN + 1],
		epc_span_t tag, int64_t now)
{
	wwsf_seen_ent_t *set = seen_set(s, key);
	uint64_t th = fnv1a(tag);
	int w;

	for(w = 0; w < 2; w++) {
		if(set[w].exp > now && set[w].tag == th && seen_is(&set[w], key)) {
			s->hits++;
			return 1;
		}
	}
	s->misses++;
	return 0;
}

void wwsf_seen_add(wwsf_seen_t *s, const char key[WWSF_REPLAY_KEY_LEN + 1],
		epc_span_t tag, int64_t exp, int64_t now)
{
	wwsf_seen_ent_t *set = seen_set(s, key), *slot;

	if(exp <= now)
		return;
	/* the same key again: refresh; else an empty or expired way; else the
	 * one that expires first */
	if(seen_is(&set[0], key))
		slot = &set[0];
	else if(seen_is(&set[1], key))
		slot = &set[1];
	else if(set[0].exp <= now)
		slot = &set[0];
	else if(set[1].exp <= now)
		slot = &set[1];
	else
		slot = set[0].exp <= set[1].exp ? &set[0] : &set[1];
	memcpy(slot->key, key, WWSF_REPLAY_KEY_LEN);
	slot->tag = fnv1a(tag);
	slot->exp = exp;
}

int wwsf_replay_decide(int found, int64_t stored_conn, int64_t conn)
{
	if(!found)
		return WWSF_REPLAY_FIRST;
	return stored_conn == conn ? WWSF_REPLAY_SAME : WWSF_REPLAY_OTHER;
}

void wwsf_rwin_init(wwsf_rwin_t *w, int64_t horizon)
{
	memset(w, 0, sizeof(*w));
	w->horizon = horizon < 1 ? 1 : horizon;
	/* the window (horizon) must fit in fewer slots than there are */
	w->gran = w->horizon / (WWSF_RWIN_SLOTS - 2) + 1;
	memset(w->epoch, 0xff, sizeof(w->epoch)); /* -1: empty */
}

void wwsf_rwin_add(wwsf_rwin_t *w, int64_t expire, int64_t now)
{
	int64_t e;
	size_t i;

	if(expire <= now)
		expire = now + 1;
	if(expire > now + w->horizon)
		expire = now + w->horizon;
	e = expire / w->gran;
	i = (size_t)(e % WWSF_RWIN_SLOTS);
	if(w->epoch[i] != e) {
		/* the slot held entries of an expiry at least a full window ago */
		w->epoch[i] = e;
		w->count[i] = 0;
	}
	if(w->count[i] < UINT32_MAX)
		w->count[i]++;
}

uint64_t wwsf_rwin_live(const wwsf_rwin_t *w, int64_t now)
{
	int64_t cur = now / w->gran;
	uint64_t live = 0;
	size_t i;

	for(i = 0; i < WWSF_RWIN_SLOTS; i++) {
		if(w->epoch[i] >= cur)
			live += w->count[i];
	}
	return live;
}
