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
 * sdp_unbundle: WebRTC SDP toward IMS entities without BUNDLE/rtcp-mux, and back
 *
 * Kamailio glue only: exports, parameters, script functions, the shm table
 * of browser offer maps, counters, RPC, KEMI. The rewriting lives in sdpu.c
 * and lib/epc_sdp.c.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/mod_fix.h"
#include "core/data_lump.h"
#include "core/counters.h"
#include "core/hashes.h"
#include "core/locking.h"
#include "core/timer.h"
#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/kemi.h"
#include "core/parser/msg_parser.h"
#include "core/parser/parse_body.h"
#include "core/parser/parse_content.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_to.h"
#include "core/parser/parse_cseq.h"
#include "modules/tm/tm_load.h"

#include "kam/epc_kam.h"
#include "sdpu.h"

MODULE_VERSION

#define SDPU_RC_CHANGED 1
#define SDPU_RC_UNCHANGED 2
#define SDPU_RC_NOSDP 3
#define SDPU_RC_ERROR -1
#define SDPU_RC_NOTHING -2
#define SDPU_RC_MALFORMED -3
#define SDPU_RC_MISMATCH -4
#define SDPU_RC_BODY_CHANGED -5

#define DIR_MW 0
#define DIR_W2 1

static int mod_init(void);
static int child_init(int rank);
static void mod_destroy(void);
static int w_sdpu_to_ims(sip_msg_t *msg, char *flags, char *p2);
static int w_sdpu_to_w2(sip_msg_t *msg, char *flags, char *p2);
static int w_sdpu_forget(sip_msg_t *msg, char *p1, char *p2);

/* module parameters */
static char *_sdpu_mw_proto = "avp";
static char *_sdpu_rtcp = "auto";
static char *_sdpu_data_channel = "reject";
static char *_sdpu_bundle_only = "reject";
static char *_sdpu_keep = "";
static char *_sdpu_default_flags = "";
static int _sdpu_w2_bundle = 1;
static int _sdpu_state_size = 4096;
static int _sdpu_state_ttl = 7200;

static sdpu_policy_t _sdpu_policy;
static struct tm_binds _sdpu_tmb;
static int _sdpu_have_tm = 0;

/* The browser offer maps, keyed by Call-ID + the WIC's tag: offer/answer
 * is strictly sequential within a dialog (RFC 3264 sec 4, RFC 6337), so the
 * last offer the WIC made in a dialog is the one the next answer toward it
 * answers, whatever message carries it (2xx/18x, ACK, PRACK, UPDATE reply)
 * and whichever side started the call. Forked answers share the offer. */
typedef struct sdpu_entry
{
	unsigned int hash;
	time_t expires;
	char *data; /* shm: key then map text */
	int klen;
	int mlen;
} sdpu_entry_t;

#define SDPU_WAYS 4
static sdpu_entry_t *_sdpu_table = NULL;
static unsigned int _sdpu_buckets = 0;
static gen_lock_t *_sdpu_lock = NULL;

/* counters */
static counter_handle_t _c_rewritten, _c_unchanged, _c_rejected, _c_bundle_rej,
		_c_dc_rej, _c_nothing, _c_malformed, _c_errors, _c_nomap;

/* clang-format off */
static counter_def_t sdpu_cnt_defs[] = {
	{&_c_rewritten, "sdp_rewritten", 0, 0, 0,
		"SDP bodies rewritten"},
	{&_c_unchanged, "sdp_unchanged", 0, 0, 0,
		"SDP bodies that needed no change"},
	{&_c_rejected, "mlines_rejected", 0, 0, 0,
		"m-lines taken out toward IMS or answered with port 0"},
	{&_c_bundle_rej, "bundle_only_rejected", 0, 0, 0,
		"of those: bundle-only streams that had no port of their own"},
	{&_c_dc_rej, "datachannel_rejected", 0, 0, 0,
		"of those: data channels"},
	{&_c_nothing, "nothing_usable", 0, 0, 0,
		"SDP left without any usable stream (488 advised)"},
	{&_c_malformed, "sdp_malformed", 0, 0, 0,
		"SDP bodies rejected as malformed"},
	{&_c_errors, "errors", 0, 0, 0,
		"other failures (bad flags, no memory, answer/offer mismatch)"},
	{&_c_nomap, "answers_without_offer", 0, 0, 0,
		"answers toward W2 for which no browser offer was known"},
	{0, 0, 0, 0, 0, 0}
};

static cmd_export_t cmds[] = {
	{"sdpu_to_ims", (cmd_function)w_sdpu_to_ims, 0, 0, 0,
		REQUEST_ROUTE | ONREPLY_ROUTE | FAILURE_ROUTE | BRANCH_ROUTE},
	{"sdpu_to_ims", (cmd_function)w_sdpu_to_ims, 1, fixup_spve_null,
		fixup_free_spve_null,
		REQUEST_ROUTE | ONREPLY_ROUTE | FAILURE_ROUTE | BRANCH_ROUTE},
	{"sdpu_to_w2", (cmd_function)w_sdpu_to_w2, 0, 0, 0,
		REQUEST_ROUTE | ONREPLY_ROUTE | FAILURE_ROUTE | BRANCH_ROUTE},
	{"sdpu_to_w2", (cmd_function)w_sdpu_to_w2, 1, fixup_spve_null,
		fixup_free_spve_null,
		REQUEST_ROUTE | ONREPLY_ROUTE | FAILURE_ROUTE | BRANCH_ROUTE},
	{"sdpu_forget", (cmd_function)w_sdpu_forget, 0, 0, 0,
		REQUEST_ROUTE | ONREPLY_ROUTE | FAILURE_ROUTE | BRANCH_ROUTE
			| EVENT_ROUTE},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"mw_proto", PARAM_STRING, &_sdpu_mw_proto},
	{"rtcp", PARAM_STRING, &_sdpu_rtcp},
	{"data_channel", PARAM_STRING, &_sdpu_data_channel},
	{"bundle_only", PARAM_STRING, &_sdpu_bundle_only},
	{"keep", PARAM_STRING, &_sdpu_keep},
	{"default_flags", PARAM_STRING, &_sdpu_default_flags},
	{"w2_bundle", PARAM_INT, &_sdpu_w2_bundle},
	{"state_size", PARAM_INT, &_sdpu_state_size},
	{"state_ttl", PARAM_INT, &_sdpu_state_ttl},
	{0, 0, 0}
};

struct module_exports exports = {
	"sdp_unbundle",  /* module name */
	DEFAULT_DLFLAGS, /* dlopen flags */
	cmds,            /* exported functions */
	params,          /* exported parameters */
	0,               /* RPC method exports (registered in mod_init) */
	0,               /* exported pseudo-variables */
	0,               /* response handling function */
	mod_init,        /* module initialization function */
	child_init,      /* per-child init function */
	mod_destroy      /* module destroy function */
};
/* clang-format on */

/* ---- policy from module parameters ---- */

static int policy_word(const char *prefix, const char *val)
{
	char w[128];
	int n;

	n = snprintf(w, sizeof(w), "%s%s", prefix, val);
	if(n < 0 || n >= (int)sizeof(w)
			|| sdpu_policy_flags(&_sdpu_policy, epc_span_cstr(w), NULL) < 0) {
		LM_ERR("invalid value '%s' (%s...)\n", val, prefix);
		return -1;
	}
	return 0;
}

static int policy_init(void)
{
	epc_span_t rest = epc_span_cstr(_sdpu_keep), w;
	char word[64];
	size_t bad = 0;

	sdpu_policy_default(&_sdpu_policy);
	if(policy_word("proto=", _sdpu_mw_proto) < 0
			|| policy_word("rtcp=", _sdpu_rtcp) < 0
			|| policy_word("dc=", _sdpu_data_channel) < 0
			|| policy_word("bundle-only=", _sdpu_bundle_only) < 0)
		return -1;
	while(rest.len > 0) {
		long c = epc_span_find_byte(rest, ',');
		w = epc_span_trim(epc_span_sub(rest, 0, c < 0 ? rest.len : (size_t)c));
		rest = c < 0 ? epc_span_sub(rest, rest.len, 0)
					 : epc_span_sub(rest, (size_t)c + 1, rest.len);
		if(w.len == 0)
			continue;
		if(w.len >= sizeof(word)) {
			LM_ERR("invalid keep entry\n");
			return -1;
		}
		memcpy(word, w.s, w.len);
		word[w.len] = '\0';
		if(policy_word("keep-", word) < 0)
			return -1;
	}
	_sdpu_policy.w2_bundle = _sdpu_w2_bundle ? 1 : 0;
	if(sdpu_policy_flags(
			   &_sdpu_policy, epc_span_cstr(_sdpu_default_flags), &bad)
			< 0) {
		LM_ERR("invalid default_flags at offset %zu: '%s'\n", bad,
				_sdpu_default_flags);
		return -1;
	}
	return 0;
}

/* ---- offer map table ---- */

static unsigned int key_hash(str *key)
{
	return core_hash(key, 0, 0);
}

static void entry_clear(sdpu_entry_t *e)
{
	if(e->data)
		shm_free(e->data);
	memset(e, 0, sizeof(*e));
}

static sdpu_entry_t *entry_find(str *key, unsigned int h)
{
	sdpu_entry_t *b = &_sdpu_table[(h % _sdpu_buckets) * SDPU_WAYS];
	time_t now = time(NULL);
	int i;

	for(i = 0; i < SDPU_WAYS; i++) {
		if(b[i].data && b[i].hash == h && b[i].klen == key->len
				&& memcmp(b[i].data, key->s, key->len) == 0) {
			if(b[i].expires < now) {
				entry_clear(&b[i]);
				return NULL;
			}
			return &b[i];
		}
	}
	return NULL;
}

static int state_save(str *key, const sdpu_map_t *map)
{
	char text[SDPU_MAP_TEXT_MAX];
	size_t tlen;
	unsigned int h = key_hash(key);
	sdpu_entry_t *b, *e;
	char *data;
	int i;

	if(sdpu_map_encode(map, text, sizeof(text), &tlen) < 0)
		return -1;
	data = shm_malloc(key->len + tlen);
	if(data == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memcpy(data, key->s, key->len);
	memcpy(data + key->len, text, tlen);
	lock_get(_sdpu_lock);
	e = entry_find(key, h);
	if(e == NULL) {
		b = &_sdpu_table[(h % _sdpu_buckets) * SDPU_WAYS];
		e = &b[0];
		for(i = 0; i < SDPU_WAYS; i++) {
			if(b[i].data == NULL) {
				e = &b[i];
				break;
			}
			if(b[i].expires < e->expires)
				e = &b[i];
		}
	}
	entry_clear(e);
	e->hash = h;
	e->expires = time(NULL) + _sdpu_state_ttl;
	e->data = data;
	e->klen = key->len;
	e->mlen = (int)tlen;
	lock_release(_sdpu_lock);
	return 0;
}

static int state_load(str *key, sdpu_map_t *map)
{
	unsigned int h = key_hash(key);
	sdpu_entry_t *e;
	int rc = -1;

	lock_get(_sdpu_lock);
	e = entry_find(key, h);
	if(e) {
		epc_span_t t = {e->data + e->klen, (size_t)e->mlen};
		rc = sdpu_map_decode(t, map) == 0 ? 0 : -1;
	}
	lock_release(_sdpu_lock);
	return rc;
}

static void state_forget(str *key)
{
	unsigned int h = key_hash(key);
	sdpu_entry_t *e;

	lock_get(_sdpu_lock);
	e = entry_find(key, h);
	if(e)
		entry_clear(e);
	lock_release(_sdpu_lock);
}

static void state_timer(unsigned int ticks, void *param)
{
	time_t now = time(NULL);
	unsigned int i;

	for(i = 0; i < _sdpu_buckets * SDPU_WAYS; i++) {
		lock_get(_sdpu_lock);
		if(_sdpu_table[i].data && _sdpu_table[i].expires < now)
			entry_clear(&_sdpu_table[i]);
		lock_release(_sdpu_lock);
	}
}

/* ---- message helpers ---- */

/* Call-ID + the WIC's tag. From WIC (Mw direction): its requests carry its
 * tag in From, its replies in To; toward the WIC the other way round. */
static int state_key(sip_msg_t *msg, int dir, char *buf, int size, str *key)
{
	str tag;
	int from;

	if(parse_headers(msg, HDR_CALLID_F | HDR_FROM_F | HDR_TO_F, 0) < 0
			|| msg->callid == NULL || msg->to == NULL
			|| parse_from_header(msg) < 0)
		return -1;
	from = (msg->first_line.type == SIP_REQUEST) == (dir == DIR_MW);
	tag = from ? get_from(msg)->tag_value : get_to(msg)->tag_value;
	if(msg->callid->body.len + 1 + tag.len > size)
		return -1;
	memcpy(buf, msg->callid->body.s, msg->callid->body.len);
	buf[msg->callid->body.len] = '|';
	if(tag.len > 0)
		memcpy(buf + msg->callid->body.len + 1, tag.s, tag.len);
	key->s = buf;
	key->len = msg->callid->body.len + 1 + tag.len;
	return 0;
}

static int has_sdp_body(sip_msg_t *req)
{
	int len = 0;

	return get_body_part(req, TYPE_APPLICATION, SUBTYPE_SDP, &len) != NULL
		   && len > 0;
}

/* RFC 3261/3262/3311/6337: which side of offer/answer this body is. */
static int resolve_role(sip_msg_t *msg, int forced)
{
	struct cell *t;
	int m;

	if(forced != SDPU_ROLE_AUTO)
		return forced;
	if(msg->first_line.type == SIP_REQUEST) {
		m = msg->first_line.u.request.method_value;
		return (m == METHOD_ACK || m == METHOD_PRACK) ? SDPU_ROLE_ANSWER
													  : SDPU_ROLE_OFFER;
	}
	if(parse_headers(msg, HDR_CSEQ_F, 0) < 0 || msg->cseq == NULL)
		return SDPU_ROLE_ANSWER;
	if(get_cseq(msg)->method_id != METHOD_INVITE)
		return SDPU_ROLE_ANSWER;
	/* a reply to an INVITE answers its offer, or offers if it had none */
	if(!_sdpu_have_tm)
		return SDPU_ROLE_ANSWER;
	t = _sdpu_tmb.t_gett();
	if(t == NULL || t == T_UNDEFINED || t->uas.request == NULL)
		return SDPU_ROLE_ANSWER;
	return has_sdp_body(t->uas.request) ? SDPU_ROLE_ANSWER : SDPU_ROLE_OFFER;
}

static int replace_body(
		sip_msg_t *msg, char *part, int len, char *out, size_t outlen)
{
	struct lump *l;

	l = del_lump(msg, (int)(part - msg->buf), len, 0);
	if(l == NULL)
		return -1;
	if(insert_new_lump_after(l, out, (int)outlen, 0) == NULL)
		return -1;
	return 0;
}

static void count_result(const sdpu_stats_t *st, int dir, int is_offer)
{
	counter_inc(st->changed ? _c_rewritten : _c_unchanged);
	if(st->rejected)
		counter_add(_c_rejected, (int)st->rejected);
	if(st->bundle_rejected)
		counter_add(_c_bundle_rej, (int)st->bundle_rejected);
	if(st->dc_rejected)
		counter_add(_c_dc_rej, (int)st->dc_rejected);
	if(st->bundle_rejected || st->dc_rejected)
		LM_NOTICE("%s %s: %u m-line(s) not sent to IMS (bundle-only without "
				  "a port: %u, data channel: %u)\n",
				dir == DIR_MW ? "toward Mw" : "toward W2",
				is_offer ? "offer" : "answer", st->rejected,
				st->bundle_rejected, st->dc_rejected);
}

/* The transform of the core, on the SDP part of the current message. */
static int sdpu_run(
		sip_msg_t *msg, int dir, const sdpu_policy_t *pol, char *part, int len)
{
	epc_sdp_t sdp;
	epc_sdp_err_t err = {0, 0};
	sdpu_map_t map, prev, *pmap = NULL;
	sdpu_stats_t st;
	char kbuf[512], *out = NULL;
	size_t outsz, outlen = 0;
	str key = STR_NULL;
	int role, rc, have_key, ret = SDPU_RC_ERROR;

	role = resolve_role(msg, pol->role);
	rc = epc_sdp_parse_alloc(
			(epc_span_t){part, (size_t)len}, &epc_kam_pkg, &sdp, &err);
	if(rc < 0) {
		counter_inc(rc == EPC_SDP_E_NOMEM ? _c_errors : _c_malformed);
		LM_WARN("SDP rejected: %s at byte %zu\n", epc_sdp_strerror(rc),
				err.offset);
		return rc == EPC_SDP_E_NOMEM ? SDPU_RC_ERROR : SDPU_RC_MALFORMED;
	}
	have_key = state_key(msg, dir, kbuf, sizeof(kbuf), &key) == 0;
	outsz = (size_t)len + 1024 + 160 * SDPU_MAX_MEDIA;
	out = pkg_malloc(outsz);
	if(out == NULL) {
		PKG_MEM_ERROR;
		goto done;
	}
	if(dir == DIR_MW) {
		int offer = role == SDPU_ROLE_OFFER;
		int hp = offer && have_key && state_load(&key, &prev) == 0;
		rc = sdpu_to_mw(&sdp, pol, offer, hp ? &prev : NULL,
				offer ? &map : NULL, out, outsz, &outlen, &st);
		if(rc == 0 && offer && have_key && !pol->nosave
				&& state_save(&key, &map) < 0)
			LM_WARN("cannot save the offer map (no shm memory?)\n");
	} else {
		if(role == SDPU_ROLE_ANSWER) {
			if(have_key && state_load(&key, &map) == 0)
				pmap = &map;
			else
				counter_inc(_c_nomap);
		}
		rc = sdpu_to_w2(&sdp, pol, role == SDPU_ROLE_OFFER, pmap, out, outsz,
				&outlen, &st);
	}
	if(rc < 0) {
		counter_inc(_c_errors);
		LM_ERR("SDP %s: %s\n", dir == DIR_MW ? "toward Mw" : "toward W2",
				sdpu_strerror(rc));
		ret = rc == SDPU_E_MISMATCH ? SDPU_RC_MISMATCH : SDPU_RC_ERROR;
		goto done;
	}
	count_result(&st, dir, role == SDPU_ROLE_OFFER);
	ret = st.changed ? SDPU_RC_CHANGED : SDPU_RC_UNCHANGED;
	if(st.changed) {
		if(replace_body(msg, part, len, out, outlen) < 0) {
			counter_inc(_c_errors);
			LM_ERR("cannot replace the SDP body\n");
			ret = SDPU_RC_ERROR;
			goto done;
		}
		out = NULL; /* owned by the lump now */
	}
	if(st.usable == 0) {
		counter_inc(_c_nothing);
		LM_NOTICE("no usable media stream left in the SDP\n");
		ret = SDPU_RC_NOTHING;
	}
done:
	if(out)
		pkg_free(out);
	epc_sdp_free(&sdp, &epc_kam_pkg);
	return ret;
}

static int ki_sdpu_apply(sip_msg_t *msg, int dir, str *flags)
{
	sdpu_policy_t pol = _sdpu_policy;
	char *part;
	size_t bad = 0;
	int len = 0;

	if(flags && flags->len > 0
			&& sdpu_policy_flags(&pol, epc_kam_span(flags), &bad) < 0) {
		counter_inc(_c_errors);
		LM_ERR("unknown flag at offset %zu in '%.*s'\n", bad, flags->len,
				flags->s);
		return SDPU_RC_ERROR;
	}
	if(msg->body_lumps != NULL) {
		/* another function already rewrote the body: its result is only in
		 * lumps; msg_apply_changes() (textopsx) makes it the body */
		counter_inc(_c_errors);
		LM_ERR("the body was already changed in this route; call "
			   "msg_apply_changes() before sdpu_to_%s()\n",
				dir == DIR_MW ? "ims" : "w2");
		return SDPU_RC_BODY_CHANGED;
	}
	part = get_body_part(msg, TYPE_APPLICATION, SUBTYPE_SDP, &len);
	if(part == NULL || len <= 0)
		return SDPU_RC_NOSDP;
	return sdpu_run(msg, dir, &pol, part, len);
}

static int ki_sdpu_to_ims_flags(sip_msg_t *msg, str *flags)
{
	return ki_sdpu_apply(msg, DIR_MW, flags);
}

static int ki_sdpu_to_w2_flags(sip_msg_t *msg, str *flags)
{
	return ki_sdpu_apply(msg, DIR_W2, flags);
}

static int ki_sdpu_to_ims(sip_msg_t *msg)
{
	return ki_sdpu_apply(msg, DIR_MW, NULL);
}

static int ki_sdpu_to_w2(sip_msg_t *msg)
{
	return ki_sdpu_apply(msg, DIR_W2, NULL);
}

/* Drop what is kept for this dialog (e.g. on BYE); both tag sides. */
static int ki_sdpu_forget(sip_msg_t *msg)
{
	char kbuf[512];
	str key;

	if(state_key(msg, DIR_MW, kbuf, sizeof(kbuf), &key) == 0)
		state_forget(&key);
	if(state_key(msg, DIR_W2, kbuf, sizeof(kbuf), &key) == 0)
		state_forget(&key);
	return 1;
}

static int w_flags(sip_msg_t *msg, char *p, str *flags)
{
	if(p == NULL) {
		flags->s = NULL;
		flags->len = 0;
		return 0;
	}
	if(fixup_get_svalue(msg, (gparam_t *)p, flags) < 0) {
		LM_ERR("cannot get the flags\n");
		return -1;
	}
	return 0;
}

static int w_sdpu_to_ims(sip_msg_t *msg, char *p1, char *p2)
{
	str flags;

	if(w_flags(msg, p1, &flags) < 0)
		return SDPU_RC_ERROR;
	return ki_sdpu_apply(msg, DIR_MW, &flags);
}

static int w_sdpu_to_w2(sip_msg_t *msg, char *p1, char *p2)
{
	str flags;

	if(w_flags(msg, p1, &flags) < 0)
		return SDPU_RC_ERROR;
	return ki_sdpu_apply(msg, DIR_W2, &flags);
}

static int w_sdpu_forget(sip_msg_t *msg, char *p1, char *p2)
{
	return ki_sdpu_forget(msg);
}

/* ---- RPC ---- */

static const char *sdpu_rpc_state_doc[2] = {
		"Offer maps kept (entries, capacity, ttl).", 0};

static void sdpu_rpc_state(rpc_t *rpc, void *ctx)
{
	unsigned int i, n = 0;
	void *th;

	lock_get(_sdpu_lock);
	for(i = 0; i < _sdpu_buckets * SDPU_WAYS; i++)
		n += _sdpu_table[i].data != NULL;
	lock_release(_sdpu_lock);
	if(rpc->add(ctx, "{", &th) < 0) {
		rpc->fault(ctx, 500, "Internal error");
		return;
	}
	rpc->struct_add(th, "ddd", "entries", (int)n, "capacity",
			(int)(_sdpu_buckets * SDPU_WAYS), "ttl", _sdpu_state_ttl);
}

/* clang-format off */
static rpc_export_t sdpu_rpc[] = {
	{"sdp_unbundle.state", sdpu_rpc_state, sdpu_rpc_state_doc, 0},
	{0, 0, 0, 0}
};
/* clang-format on */

/* ---- lifecycle ---- */

static int mod_init(void)
{
	if(policy_init() < 0)
		return -1;
	if(_sdpu_state_size < SDPU_WAYS || _sdpu_state_ttl <= 0) {
		LM_ERR("state_size must be >= %d and state_ttl > 0\n", SDPU_WAYS);
		return -1;
	}
	_sdpu_have_tm = load_tm_api(&_sdpu_tmb) == 0;
	if(!_sdpu_have_tm)
		LM_INFO("tm not loaded: replies to INVITE are taken as answers\n");
	_sdpu_buckets = (unsigned int)_sdpu_state_size / SDPU_WAYS;
	_sdpu_table = shm_malloc(sizeof(sdpu_entry_t) * _sdpu_buckets * SDPU_WAYS);
	if(_sdpu_table == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_sdpu_table, 0, sizeof(sdpu_entry_t) * _sdpu_buckets * SDPU_WAYS);
	_sdpu_lock = lock_alloc();
	if(_sdpu_lock == NULL || lock_init(_sdpu_lock) == NULL) {
		LM_ERR("cannot create the lock\n");
		return -1;
	}
	if(counter_register_array("sdp_unbundle", sdpu_cnt_defs) < 0
			|| rpc_register_array(sdpu_rpc) != 0
			|| register_timer(state_timer, 0, 60) < 0) {
		LM_ERR("cannot register counters, RPC or timer\n");
		return -1;
	}
	LM_INFO("sdp_unbundle %s initialised\n", EPC_VERSION);
	return 0;
}

static int child_init(int rank)
{
	return 0;
}

static void mod_destroy(void)
{
	unsigned int i;

	if(_sdpu_table) {
		for(i = 0; i < _sdpu_buckets * SDPU_WAYS; i++)
			entry_clear(&_sdpu_table[i]);
		shm_free(_sdpu_table);
		_sdpu_table = NULL;
	}
	if(_sdpu_lock) {
		lock_destroy(_sdpu_lock);
		lock_dealloc(_sdpu_lock);
		_sdpu_lock = NULL;
	}
}

/* ---- KEMI ---- */

/* clang-format off */
static sr_kemi_t sr_kemi_sdp_unbundle_exports[] = {
	{ str_init("sdp_unbundle"), str_init("sdpu_to_ims"),
		SR_KEMIP_INT, ki_sdpu_to_ims,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("sdp_unbundle"), str_init("sdpu_to_ims_flags"),
		SR_KEMIP_INT, ki_sdpu_to_ims_flags,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("sdp_unbundle"), str_init("sdpu_to_w2"),
		SR_KEMIP_INT, ki_sdpu_to_w2,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("sdp_unbundle"), str_init("sdpu_to_w2_flags"),
		SR_KEMIP_INT, ki_sdpu_to_w2_flags,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("sdp_unbundle"), str_init("sdpu_forget"),
		SR_KEMIP_INT, ki_sdpu_forget,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ {0, 0}, {0, 0}, 0, NULL, { 0, 0, 0, 0, 0, 0 } }
};
/* clang-format on */

int mod_register(char *path, int *dlflags, void *p1, void *p2)
{
	sr_kemi_modules_add(sr_kemi_sdp_unbundle_exports);
	return 0;
}
