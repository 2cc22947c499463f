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

#include <string.h>
#include <openssl/evp.h>

#include "wwsf_replay.h"

int wwsf_replay_key(
		epc_span_t iss, epc_span_t jti, char out[WWSF_REPLAY_KEY_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	int i, ok;

	ctx = EVP_MD_CTX_new();
	if(!ctx)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1
		 && EVP_DigestUpdate(ctx, iss.s, iss.len) == 1
		 && EVP_DigestUpdate(ctx, "", 1) == 1
		 && EVP_DigestUpdate(ctx, jti.s, jti.len) == 1
		 && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1
		 && mdlen * 2 >= WWSF_REPLAY_KEY_LEN;
	EVP_MD_CTX_free(ctx);
	if(!ok)
		return -1;
	for(i = 0; i < WWSF_REPLAY_KEY_LEN / 2; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 0x0f];
	}
	out[WWSF_REPLAY_KEY_LEN] = '\0';
	return 0;
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
