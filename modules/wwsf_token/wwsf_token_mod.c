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
 * wwsf_token: registration based on web authentication (3GPP TS 23.228
 * U.2.1.3) with Trusted Node Authentication toward the S-CSCF (TS 33.203
 * Annex U, TS 24.229 sec 7.2A.2).
 *
 * Kamailio glue only: parameters, script functions, the $wwsf_token
 * pseudo-variable, counters, KEMI. The token logic is in the pure core
 * files of this directory (wwsf_token.c and friends); the WWSF registry
 * and connection bindings come from webrtc_origin (api.h); RPC in
 * wwsf_token_rpc_mod.c.
 *
 * Keys: the registry holds PEM text; wwsf_keys_sync() checks every key of
 * a newly loaded registry with OpenSSL in one process and keeps, in shm,
 * the PEMs accepted per WWSF (a WWSF whose new keys are refused keeps its
 * previous ones). Each process parses the accepted PEMs once per sync into
 * its own EVP_PKEYs (OpenSSL objects are never shared between processes);
 * verifying a token then costs one digest and one signature check.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/mod_fix.h"
#include "core/counters.h"
#include "core/data_lump.h"
#include "core/data_lump_rpl.h"
#include "core/globals.h"
#include "core/kemi.h"
#include "core/pvar.h"
#include "core/rpc_lookup.h"
#include "core/ut.h"
#include "core/parser/msg_parser.h"
#include "core/parser/parse_expires.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_uri.h"
#include "core/parser/parse_ppi_pai.h"
#include "core/parser/parse_to.h"
#include "core/parser/contact/parse_contact.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"
#include "modules/sl/sl.h"
#include "modules/htable/ht_api.h"
#include "modules/htable/api.h"

#include "kam/epc_kam.h"
#include "wwsf_authz.h"
#include "wwsf_ident.h"
#include "wwsf_replay.h"
#include "wwsf_token.h"
#include "wwsf_token_mod.h"

MODULE_VERSION

static int mod_init(void);
static int child_init(int rank);
static void mod_destroy(void);
static int w_wwsf_verify(sip_msg_t *msg, char *p1, char *p2);
static int w_wwsf_reply(sip_msg_t *msg, char *p1, char *p2);
static int w_wwsf_tna_forward(sip_msg_t *msg, char *p1, char *p2);
static int w_wwsf_strip(sip_msg_t *msg, char *p1, char *p2);
static int w_wwsf_remove_token(sip_msg_t *msg, char *p1, char *p2);
static int w_wwsf_check_identity(sip_msg_t *msg, char *p1, char *p2);
static int pv_parse_wwsf_token_name(pv_spec_t *sp, str *in);
static int pv_get_wwsf_token(
		sip_msg_t *msg, pv_param_t *param, pv_value_t *res);

#define DEFAULT_LEEWAY 60
#define DEFAULT_REPLAY_MAX 100000
#define DEFAULT_LOG_RATE 10

wwsf_shared_t *wwsf_shared = NULL;
gen_lock_t *wwsf_lock = NULL;
webrtc_origin_api_t wwsf_worigin;
str wwsf_replay_htable = STR_NULL;
int wwsf_replay_max = DEFAULT_REPLAY_MAX;

static int _wwsf_leeway = DEFAULT_LEEWAY;
static int _wwsf_max_token = WWSF_TOKEN_MAX;
static str _wwsf_impi_claim = str_init("sub");
static str _wwsf_impu_claim = str_init("impu");
static int _wwsf_require_jti = 1;
static int _wwsf_impi_from_impu = 1;
static str _wwsf_realm = STR_NULL;
static int _wwsf_tna_quote = 1;
static int _wwsf_require_binding = 1;
static int _wwsf_log_rate = DEFAULT_LOG_RATE;
static int _wwsf_token_on_requests = 0;
/* verified signatures remembered per key and process (wwsf_key_memo_init) */
static int _wwsf_verify_memo = 4096;

static wwsf_opts_t _wwsf_opts;
static sl_api_t _wwsf_slb;
static htable_api_t _wwsf_ht;
static int _wwsf_ht_ok = 0;

static counter_handle_t _wwsf_cnt[WWSF_R_COUNT];
static counter_handle_t _wwsf_cnt_relayed;

/* clang-format off */
static counter_def_t _wwsf_cnt_defs[] = {
	{&_wwsf_cnt[WWSF_R_OK], "verify_ok", 0, 0, 0,
		"tokens verified (signature, claims, WWSF, identities, replay)"},
	{&_wwsf_cnt[WWSF_R_NO_TOKEN], "verify_no_token", 0, 0, 0,
		"requests without a token on a connection whose WWSF uses tokens"},
	{&_wwsf_cnt[WWSF_R_MALFORMED], "verify_malformed", 0, 0, 0,
		"malformed credentials or tokens (syntax, base64url, JSON, claims)"},
	{&_wwsf_cnt[WWSF_R_SIGNATURE], "verify_bad_signature", 0, 0, 0,
		"tokens refused for alg, kid or signature"},
	{&_wwsf_cnt[WWSF_R_EXPIRED], "verify_expired", 0, 0, 0,
		"tokens expired, not yet valid or living too long"},
	{&_wwsf_cnt[WWSF_R_ISSUER], "verify_wrong_issuer_audience", 0, 0, 0,
		"tokens of no trusted issuer or not for this eP-CSCF"},
	{&_wwsf_cnt[WWSF_R_NOT_ALLOWED], "verify_identity_not_allowed", 0, 0, 0,
		"tokens naming identities their WWSF may not allocate"},
	{&_wwsf_cnt[WWSF_R_IDENTITY], "verify_identity_mismatch", 0, 0, 0,
		"requests using identities their token does not name"},
	{&_wwsf_cnt[WWSF_R_WWSF], "verify_wwsf_mismatch", 0, 0, 0,
		"tokens of another WWSF than the connection's"},
	{&_wwsf_cnt[WWSF_R_REPLAY], "verify_replay", 0, 0, 0,
		"tokens already used on another connection"},
	{&_wwsf_cnt[WWSF_R_INTERNAL], "verify_internal_error", 0, 0, 0,
		"verifications that failed inside (memory, replay cache full)"},
	{&_wwsf_cnt_relayed, "verify_not_required", 0, 0, 0,
		"requests without a token on a connection whose WWSF uses none"},
	{0, 0, 0, 0, 0, 0}
};

static cmd_export_t cmds[] = {
	{"wwsf_verify", (cmd_function)w_wwsf_verify, 0, 0, 0, REQUEST_ROUTE},
	{"wwsf_reply", (cmd_function)w_wwsf_reply, 0, 0, 0, REQUEST_ROUTE},
	{"wwsf_tna_forward", (cmd_function)w_wwsf_tna_forward, 0, 0, 0,
		REQUEST_ROUTE},
	{"wwsf_strip", (cmd_function)w_wwsf_strip, 0, 0, 0, REQUEST_ROUTE},
	{"wwsf_remove_token", (cmd_function)w_wwsf_remove_token, 0, 0, 0,
		REQUEST_ROUTE},
	{"wwsf_check_identity", (cmd_function)w_wwsf_check_identity, 1,
		fixup_spve_null, fixup_free_spve_null, REQUEST_ROUTE | ONREPLY_ROUTE},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"leeway", PARAM_INT, &_wwsf_leeway},
	{"max_token_size", PARAM_INT, &_wwsf_max_token},
	{"impi_claim", PARAM_STR, &_wwsf_impi_claim},
	{"impu_claim", PARAM_STR, &_wwsf_impu_claim},
	{"require_jti", PARAM_INT, &_wwsf_require_jti},
	{"impi_from_impu", PARAM_INT, &_wwsf_impi_from_impu},
	{"realm", PARAM_STR, &_wwsf_realm},
	{"tna_quote", PARAM_INT, &_wwsf_tna_quote},
	{"require_binding", PARAM_INT, &_wwsf_require_binding},
	{"replay_htable", PARAM_STR, &wwsf_replay_htable},
	{"replay_cache_max", PARAM_INT, &wwsf_replay_max},
	{"log_rate", PARAM_INT, &_wwsf_log_rate},
	{"token_on_requests", PARAM_INT, &_wwsf_token_on_requests},
	{"verify_memo", PARAM_INT, &_wwsf_verify_memo},
	{0, 0, 0}
};

static pv_export_t mod_pvs[] = {
	{{"wwsf_token", sizeof("wwsf_token") - 1}, PVT_OTHER, pv_get_wwsf_token,
		0, pv_parse_wwsf_token_name, 0, 0, 0},
	{{0, 0}, 0, 0, 0, 0, 0, 0, 0}
};

struct module_exports exports = {
	"wwsf_token",    /* module name */
	DEFAULT_DLFLAGS, /* dlopen flags */
	cmds,            /* exported functions */
	params,          /* exported parameters */
	0,               /* RPC method exports (registered in mod_init) */
	mod_pvs,         /* exported pseudo-variables */
	0,               /* response handling function */
	mod_init,        /* module initialization function */
	child_init,      /* per-child init function */
	mod_destroy      /* module destroy function */
};
/* clang-format on */

/* --- module life --- */

static int mod_init(void)
{
	if(_wwsf_leeway < 0 || _wwsf_leeway > 600) {
		LM_ERR("leeway must be 0..600 s, not %d\n", _wwsf_leeway);
		return -1;
	}
	if(_wwsf_verify_memo < 0 || _wwsf_verify_memo > (int)WWSF_MEMO_MAX) {
		LM_ERR("verify_memo must be 0..%u, not %d\n", WWSF_MEMO_MAX,
				_wwsf_verify_memo);
		return -1;
	}
	if(_wwsf_max_token < 64 || _wwsf_max_token > WWSF_TOKEN_MAX) {
		LM_ERR("max_token_size must be 64..%d, not %d\n", WWSF_TOKEN_MAX,
				_wwsf_max_token);
		return -1;
	}
	if(_wwsf_impi_claim.len <= 0 || _wwsf_impu_claim.len <= 0) {
		LM_ERR("impi_claim and impu_claim must not be empty\n");
		return -1;
	}
	if(_wwsf_realm.len > 0 && !wwsf_quotable(epc_kam_span(&_wwsf_realm))) {
		LM_ERR("realm must be printable without quotes or backslashes\n");
		return -1;
	}
	if(wwsf_replay_max < 1 || _wwsf_log_rate < 0) {
		LM_ERR("replay_cache_max must be >= 1, log_rate >= 0\n");
		return -1;
	}
	wwsf_opts_default(&_wwsf_opts);
	_wwsf_opts.leeway = _wwsf_leeway;
	_wwsf_opts.max_token = (size_t)_wwsf_max_token;
	_wwsf_opts.impi_claim = epc_kam_span(&_wwsf_impi_claim);
	_wwsf_opts.impu_claim = epc_kam_span(&_wwsf_impu_claim);
	_wwsf_opts.require_jti = _wwsf_require_jti ? 1 : 0;
	_wwsf_opts.impi_from_impu = _wwsf_impi_from_impu ? 1 : 0;

	if(webrtc_origin_load_api(&wwsf_worigin) < 0) {
		LM_ERR("webrtc_origin (the WWSF registry) must be loaded first\n");
		return -1;
	}
	if(sl_load_api(&_wwsf_slb) != 0) {
		LM_ERR("cannot bind to the sl module\n");
		return -1;
	}
	if(wwsf_replay_htable.len > 0) {
		if(htable_load_api(&_wwsf_ht) < 0) {
			LM_ERR("replay_htable set but the htable module is not loaded\n");
			return -1;
		}
	} else {
		LM_WARN("replay_htable not set: tokens are not checked for replay\n");
	}
	wwsf_lock = lock_alloc();
	wwsf_shared = shm_malloc(sizeof(*wwsf_shared));
	if(wwsf_lock == NULL || wwsf_shared == NULL) {
		SHM_MEM_ERROR;
		goto error;
	}
	memset(wwsf_shared, 0, sizeof(*wwsf_shared));
	lock_init(wwsf_lock);
	/* the registry schema caps max-lifetime at one day */
	wwsf_rwin_init(&wwsf_shared->rwin, 86400 + _wwsf_leeway);
	snprintf(wwsf_shared->stats[0].id, sizeof(wwsf_shared->stats[0].id), "-");
	if(counter_register_array("wwsf_token", _wwsf_cnt_defs) < 0) {
		LM_ERR("cannot register counters\n");
		goto error;
	}
	if(rpc_register_array(wwsf_rpc_cmds) != 0) {
		LM_ERR("cannot register RPC commands\n");
		goto error;
	}
	/* check the keys of the registry in force now: errors show at start */
	if(wwsf_keys_sync(1) < 0)
		goto error;
	LM_INFO("wwsf_token %s initialised\n", EPC_VERSION);
	return 0;

error:
	mod_destroy();
	return -1;
}

static int child_init(int rank)
{
	unsigned int v;

	if(rank == PROC_INIT || rank == PROC_TCP_MAIN || rank == PROC_MAIN)
		return 0;
	if(wwsf_replay_htable.len > 0 && !_wwsf_ht_ok) {
		/* -1 only when the table does not exist */
		if(_wwsf_ht.get_expire(&wwsf_replay_htable, &wwsf_replay_htable, &v)
				< 0) {
			LM_ERR("replay_htable '%.*s' is no htable with autoexpire\n",
					wwsf_replay_htable.len, wwsf_replay_htable.s);
			return -1;
		}
		_wwsf_ht_ok = 1;
	}
	return 0;
}

static void free_entries(wwsf_sentry_t *e, size_t n)
{
	size_t i, j;

	for(i = 0; e && i < n; i++) {
		for(j = 0; j < e[i].n; j++)
			shm_free(e[i].keys[j].pem);
		if(e[i].keys)
			shm_free(e[i].keys);
	}
	if(e)
		shm_free(e);
}

static void mod_destroy(void)
{
	if(wwsf_shared) {
		free_entries(wwsf_shared->entries, wwsf_shared->n_entries);
		shm_free(wwsf_shared);
		wwsf_shared = NULL;
	}
	if(wwsf_lock) {
		lock_destroy(wwsf_lock);
		lock_dealloc(wwsf_lock);
		wwsf_lock = NULL;
	}
}

/* --- keys: shared store of accepted PEMs, per-process EVP_PKEYs --- */

static int entry_copy_keys(
		wwsf_sentry_t *dst, const epc_wwsf_t *w, const wwsf_sentry_t *old)
{
	size_t i, n = w ? w->n_keys : old->n;

	dst->n = 0;
	dst->keys = n ? shm_malloc(n * sizeof(wwsf_skey_t)) : NULL;
	if(n && !dst->keys)
		return -1;
	for(i = 0; i < n; i++) {
		wwsf_skey_t *k = &dst->keys[i];
		epc_span_t kid = w ? w->keys[i].kid : epc_span_cstr(old->keys[i].kid);
		epc_span_t pem =
				w ? w->keys[i].pem
				  : (epc_span_t){old->keys[i].pem, old->keys[i].pem_len};

		memset(k, 0, sizeof(*k));
		snprintf(k->kid, sizeof(k->kid), "%.*s", (int)kid.len, kid.s);
		k->alg = w ? w->keys[i].alg : old->keys[i].alg;
		k->pem = shm_malloc(pem.len + 1);
		if(!k->pem)
			return -1;
		memcpy(k->pem, pem.s, pem.len);
		k->pem[pem.len] = '\0';
		k->pem_len = pem.len;
		dst->n++;
	}
	return 0;
}

static const wwsf_sentry_t *entry_find(
		const wwsf_sentry_t *e, size_t n, epc_span_t id)
{
	size_t i;

	for(i = 0; i < n; i++) {
		if(epc_span_eq(epc_span_cstr(e[i].id), id))
			return &e[i];
	}
	return NULL;
}

/* Check w's keys with OpenSSL; fill dst with them, or with old's. */
static int entry_build(wwsf_sentry_t *dst, const epc_wwsf_t *w,
		const wwsf_sentry_t *old, wwsf_key_t *tmp)
{
	char err[WWSF_KEY_ERR_MAX];
	size_t n = 0;
	int rc;

	memset(dst, 0, sizeof(*dst));
	snprintf(dst->id, sizeof(dst->id), "%s", w->id.s);
	rc = wwsf_policy_load_keys(w, tmp, EPC_WWSF_MAX_KEYS, &n, err, sizeof(err));
	wwsf_policy_free_keys(tmp, n);
	if(rc == 0)
		return entry_copy_keys(dst, w, NULL) < 0 ? -1 : 0;
	dst->stale = 1;
	snprintf(dst->error, sizeof(dst->error), "%s", err);
	if(old) {
		LM_ERR("%s: WWSF %s keeps its previous %zu keys\n", err, w->id.s,
				old->n);
		return entry_copy_keys(dst, NULL, old) < 0 ? -1 : 1;
	}
	LM_ERR("%s: WWSF %s has no usable keys\n", err, w->id.s);
	return 1;
}

int wwsf_keys_sync(int force)
{
	const epc_wwsf_registry_t *r;
	wwsf_sentry_t *ne = NULL;
	wwsf_key_t *tmp = NULL;
	unsigned gen = 0;
	size_t i, n = 0;
	int refused = 0, rc = -1;

	tmp = pkg_malloc(EPC_WWSF_MAX_KEYS * sizeof(wwsf_key_t));
	if(!tmp) {
		PKG_MEM_ERROR;
		return -1;
	}
	WWSF_LOCK;
	r = wwsf_worigin.registry_acquire(&gen);
	if(!force && wwsf_shared->synced && gen == wwsf_shared->reg_gen) {
		rc = 0;
		goto done;
	}
	for(i = 0; r && i < r->n_wwsf; i++)
		n += r->wwsf[i].has_token ? 1 : 0;
	ne = n ? shm_malloc(n * sizeof(*ne)) : NULL;
	if(n && !ne) {
		SHM_MEM_ERROR;
		goto done;
	}
	for(i = 0, n = 0; r && i < r->n_wwsf; i++) {
		const epc_wwsf_t *w = &r->wwsf[i];
		int b;

		if(!w->has_token)
			continue;
		b = entry_build(&ne[n++], w,
				entry_find(wwsf_shared->entries, wwsf_shared->n_entries, w->id),
				tmp);
		if(b < 0) {
			SHM_MEM_ERROR;
			free_entries(ne, n);
			goto done;
		}
		refused += b;
	}
	free_entries(wwsf_shared->entries, wwsf_shared->n_entries);
	wwsf_shared->entries = ne;
	wwsf_shared->n_entries = n;
	wwsf_shared->reg_gen = gen;
	wwsf_shared->synced = 1;
	wwsf_shared->key_gen++;
	wwsf_shared->syncs++;
	wwsf_shared->sync_time = time(NULL);
	rc = refused;
	LM_INFO("keys of registry generation %u: %zu WWSFs with tokens, %d kept "
			"previous keys\n",
			gen, n, refused);
done:
	if(r)
		wwsf_worigin.registry_release(r);
	WWSF_UNLOCK;
	pkg_free(tmp);
	return rc;
}

/* this process's parsed keys, per WWSF id */
typedef struct wwsf_local
{
	char id[EPC_WWSF_ID_MAX + 1];
	size_t n;
	wwsf_key_t *keys;
} wwsf_local_t;

static struct
{
	unsigned key_gen;
	int valid;
	size_t n;
	wwsf_local_t *e;
} _wwsf_local;

static void local_free(void)
{
	size_t i;

	for(i = 0; i < _wwsf_local.n; i++) {
		wwsf_policy_free_keys(_wwsf_local.e[i].keys, _wwsf_local.e[i].n);
		if(_wwsf_local.e[i].keys)
			pkg_free(_wwsf_local.e[i].keys);
	}
	if(_wwsf_local.e)
		pkg_free(_wwsf_local.e);
	memset(&_wwsf_local, 0, sizeof(_wwsf_local));
}

/* Parse the accepted PEMs of the store (lock held). */
static int local_build(void)
{
	const wwsf_sentry_t *se;
	wwsf_local_t *le;
	size_t i, j;

	local_free();
	_wwsf_local.e = pkg_malloc((wwsf_shared->n_entries + 1) * sizeof(*le));
	if(!_wwsf_local.e) {
		PKG_MEM_ERROR;
		return -1;
	}
	memset(_wwsf_local.e, 0, (wwsf_shared->n_entries + 1) * sizeof(*le));
	for(i = 0; i < wwsf_shared->n_entries; i++) {
		se = &wwsf_shared->entries[i];
		le = &_wwsf_local.e[_wwsf_local.n++];
		memcpy(le->id, se->id, sizeof(le->id));
		le->keys = se->n ? pkg_malloc(se->n * sizeof(wwsf_key_t)) : NULL;
		if(se->n && !le->keys) {
			PKG_MEM_ERROR;
			return -1;
		}
		for(j = 0; j < se->n; j++) {
			wwsf_key_t *k = &le->keys[le->n];

			if(wwsf_key_load_pem(k,
					   (epc_span_t){se->keys[j].pem, se->keys[j].pem_len},
					   wwsf_alg_from_bit(se->keys[j].alg),
					   epc_span_cstr(se->keys[j].kid))
					!= WWSF_KEY_OK) {
				LM_ERR("WWSF %s key %s: cannot load an accepted key\n", se->id,
						se->keys[j].kid);
				continue;
			}
			if(wwsf_key_memo_init(k, (size_t)_wwsf_verify_memo) != WWSF_KEY_OK)
				LM_WARN("WWSF %s key %s: no memory for the verify memo, every"
						" token is verified in full\n",
						se->id, se->keys[j].kid);
			le->n++;
		}
	}
	_wwsf_local.key_gen = wwsf_shared->key_gen;
	_wwsf_local.valid = 1;
	return 0;
}

/* Up to date keys in this process (syncs the store on a new registry). */
static int keys_current(void)
{
	int rc = 0;

	if(!wwsf_shared->synced
			|| wwsf_worigin.registry_generation() != wwsf_shared->reg_gen) {
		if(wwsf_keys_sync(0) < 0)
			return -1;
	}
	if(_wwsf_local.valid && _wwsf_local.key_gen == wwsf_shared->key_gen)
		return 0;
	WWSF_LOCK;
	rc = local_build();
	WWSF_UNLOCK;
	return rc;
}

static wwsf_local_t *local_find(epc_span_t id)
{
	size_t i;

	for(i = 0; i < _wwsf_local.n; i++) {
		if(epc_span_eq(epc_span_cstr(_wwsf_local.e[i].id), id))
			return &_wwsf_local.e[i];
	}
	return NULL;
}

/* --- per-message result ($wwsf_token, wwsf_reply, wwsf_tna_forward) --- */

/* outcome of the last wwsf_verify() in this process; valid for the message
 * it was made for only (message id + pid) */
static struct
{
	unsigned int msg_id;
	int msg_pid;
	int done;
	int err; /* WWSF_OK or WWSF_E_* */
	int not_required;
	int64_t exp;
	char wwsf[EPC_WWSF_ID_MAX + 1];
	char authz_server[513];
	wwsf_ids_t ids;
} _wwsf_last;

static wwsf_token_t _wwsf_tok; /* 13 KB per process, not on the stack */

static int last_valid(sip_msg_t *msg)
{
	return _wwsf_last.done && _wwsf_last.msg_id == msg->id
		   && _wwsf_last.msg_pid == msg->pid;
}

static void last_reset(sip_msg_t *msg)
{
	_wwsf_last.msg_id = msg->id;
	_wwsf_last.msg_pid = msg->pid;
	_wwsf_last.done = 1;
	_wwsf_last.err = WWSF_E_INTERNAL;
	_wwsf_last.not_required = 0;
	_wwsf_last.exp = 0;
	_wwsf_last.wwsf[0] = '\0';
	_wwsf_last.authz_server[0] = '\0';
	_wwsf_last.ids.nimpu = 0;
	_wwsf_last.ids.impi_len = 0;
}

static void last_wwsf(const epc_wwsf_t *w)
{
	if(!w)
		return;
	snprintf(_wwsf_last.wwsf, sizeof(_wwsf_last.wwsf), "%s", w->id.s);
	snprintf(_wwsf_last.authz_server, sizeof(_wwsf_last.authz_server), "%s",
			w->authz_server.len ? w->authz_server.s : "");
}

/* count the result for the WWSF (lock held by the caller) */
static void stat_count(const char *wwsf, int result)
{
	size_t i;
	wwsf_stat_t *s = &wwsf_shared->stats[0];

	for(i = 1; wwsf[0] && i <= wwsf_shared->n_stats; i++) {
		if(strcmp(wwsf_shared->stats[i].id, wwsf) == 0) {
			s = &wwsf_shared->stats[i];
			break;
		}
	}
	if(s == &wwsf_shared->stats[0] && wwsf[0]
			&& wwsf_shared->n_stats < WWSF_STATS_MAX) {
		s = &wwsf_shared->stats[++wwsf_shared->n_stats];
		snprintf(s->id, sizeof(s->id), "%s", wwsf);
	}
	s->n[result]++;
}

/* log a refusal: at most log_rate lines per second and process */
static int log_allowed(void)
{
	static time_t sec;
	static int n;
	time_t now = time(NULL);

	if(now != sec) {
		sec = now;
		n = 0;
	}
	return n++ < _wwsf_log_rate;
}

static int finish(sip_msg_t *msg, int err)
{
	int result = wwsf_result_of(err);

	_wwsf_last.err = err;
	counter_inc(_wwsf_cnt[result]);
	WWSF_LOCK;
	stat_count(_wwsf_last.wwsf, result);
	WWSF_UNLOCK;
	if(err == WWSF_OK) {
		LM_DBG("token of WWSF %s verified for %.*s\n", _wwsf_last.wwsf,
				(int)_wwsf_last.ids.impu_len[0], _wwsf_last.ids.impu[0]);
		return 1;
	}
	if(log_allowed())
		LM_NOTICE(
				"%.*s from %s:%d (conn %d, WWSF %s): token refused: %s (%s)\n",
				msg->first_line.u.request.method.len,
				msg->first_line.u.request.method.s, ip_addr2a(&msg->rcv.src_ip),
				msg->rcv.src_port, msg->rcv.proto_reserved1,
				_wwsf_last.wwsf[0] ? _wwsf_last.wwsf : "-",
				wwsf_result_name(result), wwsf_strerror(err));
	else
		LM_DBG("token refused: %s\n", wwsf_strerror(err));
	return -result;
}

/* --- verification --- */

static int is_stream(sip_msg_t *msg)
{
	int p = msg->rcv.proto;

	return p == PROTO_TCP || p == PROTO_TLS || p == PROTO_WS || p == PROTO_WSS;
}

/* The Bearer token and the Digest username of the request. Digest
 * problems only matter with a token: without one, IMS authentication
 * (U.2.1.2) is the S-CSCF's business. */
static int find_credentials(sip_msg_t *msg, epc_span_t *token, char *impi,
		size_t impi_cap, size_t *impi_len)
{
	hdr_field_t *hf;
	wwsf_cred_t c;
	char u[WWSF_IDENT_MAX];
	size_t ul;
	int bearers = 0, bad_digest = 0;

	*token = EPC_SPAN_NULL;
	*impi_len = 0;
	for(hf = msg->headers; hf; hf = hf->next) {
		if(hf->type != HDR_AUTHORIZATION_T && hf->type != HDR_PROXYAUTH_T)
			continue;
		if(wwsf_cred_parse(epc_kam_span(&hf->body), &c) < 0) {
			if(c.scheme == WWSF_CRED_BEARER)
				return WWSF_E_CREDENTIALS;
			continue; /* a broken Digest is the S-CSCF's business */
		}
		if(c.scheme == WWSF_CRED_BEARER) {
			/* RFC 6750 sec 2: one method, one token per request */
			if(bearers++)
				return WWSF_E_CREDENTIALS;
			*token = c.token;
			continue;
		}
		if(c.scheme != WWSF_CRED_DIGEST || !c.has_username
				|| hf->type != HDR_AUTHORIZATION_T)
			continue;
		/* each Digest username must be the token's IMPI */
		if(wwsf_unquote(c.username, u, sizeof(u), &ul) < 0 || ul > impi_cap
				|| (*impi_len
						&& !epc_span_eq((epc_span_t){u, ul},
								(epc_span_t){impi, *impi_len}))) {
			bad_digest = 1;
			continue;
		}
		memcpy(impi, u, ul);
		*impi_len = ul;
	}
	if(!bearers)
		return WWSF_E_NOTOKEN;
	return bad_digest ? WWSF_E_IDENTITY : WWSF_OK;
}

static int uri_of(hdr_field_t *hf, epc_span_t *out)
{
	to_body_t *tb;

	if(!hf || !hf->parsed)
		return -1;
	tb = (to_body_t *)hf->parsed;
	*out = epc_kam_span(&tb->uri);
	return 0;
}

/* The identities the request uses: REGISTER: To and From (TS 24.229
 * 5.2.2.1: a UE registers its own IMPU); others: From and the
 * P-Preferred-Identity. */
static int request_identities(
		sip_msg_t *msg, wwsf_idreq_t *req, epc_span_t impi)
{
	p_id_body_t *ppi;

	memset(req, 0, sizeof(*req));
	req->impi = impi;
	if(parse_from_header(msg) < 0 || !msg->to
			|| uri_of(msg->from, &req->impu[req->nimpu++]) < 0)
		return -1;
	if(msg->first_line.u.request.method_value == METHOD_REGISTER) {
		if(uri_of(msg->to, &req->impu[req->nimpu++]) < 0)
			return -1;
		return 0;
	}
	req->impi = EPC_SPAN_NULL;
	if(msg->ppi && parse_ppi_header(msg) == 0) {
		ppi = get_ppi(msg);
		if(ppi && ppi->id)
			req->impu[req->nimpu++] = epc_kam_span(&ppi->id->uri);
	}
	return 0;
}

/* "<server_id>:<conid>" (datagrams: "<server_id>:<ip>:<port>"): which
 * connection of which eP-CSCF used a token first */
static int conn_tag(sip_msg_t *msg, char *buf, size_t cap)
{
	if(is_stream(msg))
		return snprintf(buf, cap, "%d:%d", server_id, msg->rcv.proto_reserved1);
	return snprintf(buf, cap, "%d:%s:%d", server_id,
			ip_addr2a(&msg->rcv.src_ip), msg->rcv.src_port);
}

/* per process: tokens this process already found on their own connection */
static wwsf_seen_t _wwsf_seen;

static int replay_check(sip_msg_t *msg, const wwsf_token_t *t, int64_t now)
{
	char iss[512], jti[WWSF_JTI_MAX], key[WWSF_REPLAY_KEY_LEN + 1], tag[96];
	size_t il, jl;
	str hname = wwsf_replay_htable, kname, stored = STR_NULL;
	ht_cell_t *cell;
	int_str v;
	int found = 0, verdict, rc = WWSF_OK;

	if(wwsf_replay_htable.len <= 0 || !t->jti)
		return WWSF_OK; /* disabled, or jti not required and absent */
	if(wwsf_json_str_decode(t->iss, iss, sizeof(iss), &il) < 0
			|| wwsf_json_str_decode(t->jti, jti, sizeof(jti), &jl) < 0)
		return WWSF_E_CLAIM;
	if(wwsf_replay_key((epc_span_t){iss, il}, (epc_span_t){jti, jl}, key) < 0)
		return WWSF_E_INTERNAL;
	kname.s = key;
	kname.len = WWSF_REPLAY_KEY_LEN;
	conn_tag(msg, tag, sizeof(tag));
	/* the WIC presents its token again on its connection (every request,
	 * refreshes): confirmed here before, no shared lookup needed */
	if(wwsf_seen_has(&_wwsf_seen, key, epc_span_cstr(tag), now))
		return WWSF_OK;
	/* one lock around lookup and insert: two connections presenting the
	 * same token at the same time cannot both be first (on this node) */
	WWSF_LOCK;
	cell = _wwsf_ht.get_clone(&hname, &kname);
	if(cell) {
		found = 1;
		if(cell->flags & AVP_VAL_STR)
			stored = cell->value.s;
	}
	verdict = (found && stored.len == (int)strlen(tag)
					  && memcmp(stored.s, tag, stored.len) == 0)
					  ? WWSF_REPLAY_SAME
			  : found ? WWSF_REPLAY_OTHER
					  : WWSF_REPLAY_FIRST;
	if(verdict == WWSF_REPLAY_OTHER) {
		rc = WWSF_E_REPLAY;
	} else if(verdict == WWSF_REPLAY_FIRST) {
		if(wwsf_rwin_live(&wwsf_shared->rwin, now)
				>= (uint64_t)wwsf_replay_max) {
			wwsf_shared->replay_full++;
			rc = WWSF_E_INTERNAL;
		} else {
			v.s.s = tag;
			v.s.len = (int)strlen(tag);
			if(_wwsf_ht.set(&hname, &kname, AVP_VAL_STR, &v, 0) < 0) {
				rc = WWSF_E_INTERNAL;
			} else {
				/* gone when the token is */
				v.n = (int)(t->exp - now + _wwsf_opts.leeway);
				if(v.n < 1)
					v.n = 1;
				_wwsf_ht.set_expire(&hname, &kname, 0, &v);
				wwsf_rwin_add(
						&wwsf_shared->rwin, t->exp + _wwsf_opts.leeway, now);
				wwsf_shared->replay_inserted++;
			}
		}
	}
	WWSF_UNLOCK;
	if(cell)
		pkg_free(cell);
	if(rc == WWSF_OK)
		wwsf_seen_add(&_wwsf_seen, key, epc_span_cstr(tag),
				t->exp + _wwsf_opts.leeway, now);
	if(rc == WWSF_E_INTERNAL && log_allowed())
		LM_ERR("replay cache %.*s: cannot record a token (full: %d live)\n",
				hname.len, hname.s, wwsf_replay_max);
	return rc;
}

/* The WWSF of the token's issuer among those with tokens, or NULL. */
static const epc_wwsf_t *wwsf_of_issuer(
		const epc_wwsf_registry_t *r, const wwsf_token_t *t)
{
	size_t i;

	for(i = 0; r && i < r->n_wwsf; i++) {
		if(r->wwsf[i].has_token && wwsf_token_iss_is(t, r->wwsf[i].issuer))
			return &r->wwsf[i];
	}
	return NULL;
}

static void bind_identities(sip_msg_t *msg)
{
	size_t i;
	int rc;

	if(!is_stream(msg))
		return;
	for(i = 0; i < _wwsf_last.ids.nimpu; i++) {
		str id = {_wwsf_last.ids.impu[i], (int)_wwsf_last.ids.impu_len[i]};

		rc = wwsf_worigin.bind_identity(msg->rcv.proto_reserved1, &id);
		if(rc < 0)
			LM_WARN("cannot bind %.*s to connection %d (%d)\n", id.len, id.s,
					msg->rcv.proto_reserved1, rc);
	}
}

/* The token chain with the registry held; fills _wwsf_last. */
static int verify_locked(sip_msg_t *msg, const epc_wwsf_registry_t *r,
		const epc_wwsf_t *conn_w, epc_span_t token, epc_span_t impi)
{
	const epc_wwsf_t *w;
	wwsf_local_t *lk;
	wwsf_policy_t pol;
	wwsf_idreq_t req;
	int64_t now = (int64_t)time(NULL);
	int rc;

	rc = wwsf_token_parse(&_wwsf_tok, token, &_wwsf_opts);
	if(rc != WWSF_OK)
		return rc;
	w = wwsf_of_issuer(r, &_wwsf_tok);
	if(!w)
		return WWSF_E_ISSUER;
	last_wwsf(w);
	lk = local_find(w->id);
	pol.w = w;
	pol.keys = lk ? lk->keys : NULL;
	pol.nkeys = lk ? lk->n : 0;
	rc = wwsf_token_verify(&_wwsf_tok, &pol, &_wwsf_opts, now);
	if(rc != WWSF_OK)
		return rc;
	/* a valid token, but is it of the WWSF that served this WIC? */
	if(conn_w ? !epc_span_eq(conn_w->id, w->id) : _wwsf_require_binding)
		return WWSF_E_WWSF;
	rc = wwsf_token_identities(&_wwsf_tok, &pol, &_wwsf_opts, &_wwsf_last.ids);
	if(rc != WWSF_OK)
		return rc;
	if(request_identities(msg, &req, impi) < 0)
		return WWSF_E_IDENTITY;
	rc = wwsf_ids_check_request(&_wwsf_last.ids, &req);
	if(rc != WWSF_OK)
		return rc;
	_wwsf_last.exp = _wwsf_tok.exp;
	return replay_check(msg, &_wwsf_tok, now);
}

static int ki_wwsf_verify(sip_msg_t *msg)
{
	const epc_wwsf_registry_t *r = NULL;
	const epc_wwsf_t *conn_w = NULL;
	worigin_conn_info_t ci;
	epc_span_t token;
	char impi[WWSF_IDENT_MAX];
	size_t impi_len = 0;
	int rc, bound = 0;

	if(msg->first_line.type != SIP_REQUEST)
		return -1;
	last_reset(msg);
	if(parse_headers(msg, HDR_EOH_F, 0) < 0)
		return finish(msg, WWSF_E_CREDENTIALS);
	if(keys_current() < 0)
		return finish(msg, WWSF_E_INTERNAL);
	rc = find_credentials(msg, &token, impi, sizeof(impi), &impi_len);
	if(is_stream(msg)
			&& wwsf_worigin.conn_info(msg->rcv.proto_reserved1, &ci) == 1)
		bound = 1;
	r = wwsf_worigin.registry_acquire(NULL);
	conn_w = bound && r ? epc_wwsf_registry_find(r, epc_span_cstr(ci.wwsf))
						: NULL;
	last_wwsf(conn_w);
	if(rc == WWSF_E_NOTOKEN
			&& (!(conn_w && conn_w->has_token)
					|| (!_wwsf_token_on_requests
							&& msg->first_line.u.request.method_value
									   != METHOD_REGISTER))) {
		/* the connection's WWSF does no web authentication: IMS
		 * authentication (U.2.1.2) goes on without us; or a request after
		 * the registration, whose flow binds it (token_on_requests 0) */
		if(r)
			wwsf_worigin.registry_release(r);
		_wwsf_last.not_required = 1;
		_wwsf_last.err = WWSF_E_NOTOKEN;
		counter_inc(_wwsf_cnt_relayed);
		return 2;
	}
	if(rc == WWSF_OK)
		rc = r ? verify_locked(
					 msg, r, conn_w, token, (epc_span_t){impi, impi_len})
			   : WWSF_E_ISSUER;
	if(r)
		wwsf_worigin.registry_release(r);
	if(rc == WWSF_OK
			&& msg->first_line.u.request.method_value == METHOD_REGISTER)
		bind_identities(msg);
	return finish(msg, rc);
}

static int w_wwsf_verify(sip_msg_t *msg, char *p1, char *p2)
{
	return ki_wwsf_verify(msg);
}

/* --- the answer to a refused request --- */

/* RFC 8898 realm: the parameter, else the domain of the To URI */
static epc_span_t challenge_realm(sip_msg_t *msg)
{
	to_body_t *tb;
	sip_uri_t u;

	if(_wwsf_realm.len > 0)
		return epc_kam_span(&_wwsf_realm);
	if(msg->to && msg->to->parsed) {
		tb = (to_body_t *)msg->to->parsed;
		if(parse_uri(tb->uri.s, tb->uri.len, &u) == 0 && u.host.len > 0)
			return epc_kam_span(&u.host);
	}
	return EPC_SPAN_LIT("ims");
}

static int ki_wwsf_reply(sip_msg_t *msg)
{
	char hdr[1024];
	size_t n;
	wwsf_answer_t a;
	str reason;

	if(!last_valid(msg) || _wwsf_last.err == WWSF_OK
			|| _wwsf_last.not_required) {
		LM_ERR("no refused wwsf_verify() for this request\n");
		return -1;
	}
	a = wwsf_answer(_wwsf_last.err);
	if(a.challenge) {
		memcpy(hdr, "WWW-Authenticate: ", 18);
		if(wwsf_bearer_challenge(challenge_realm(msg),
				   epc_span_cstr(_wwsf_last.authz_server),
				   epc_span_cstr(a.error), hdr + 18, sizeof(hdr) - 20, &n)
				< 0) {
			LM_ERR("cannot build the Bearer challenge\n");
			a = wwsf_answer(WWSF_E_INTERNAL);
		} else {
			memcpy(hdr + 18 + n, "\r\n", 2);
			if(add_lump_rpl(msg, hdr, (int)(18 + n + 2), LUMP_RPL_HDR) == 0) {
				LM_ERR("cannot add the Bearer challenge\n");
				return -1;
			}
		}
	}
	reason.s = (char *)a.reason;
	reason.len = (int)strlen(a.reason);
	if(_wwsf_slb.freply(msg, a.status, &reason) < 0) {
		LM_ERR("cannot send the %d reply\n", a.status);
		return -1;
	}
	return 1;
}

static int w_wwsf_reply(sip_msg_t *msg, char *p1, char *p2)
{
	return ki_wwsf_reply(msg);
}

/* --- lumps --- */

static int del_header(sip_msg_t *msg, hdr_field_t *hf)
{
	return del_lump(msg, hf->name.s - msg->buf, hf->len, 0) ? 0 : -1;
}

/* Replace [s, s+len) of the message with the bytes v (copied); *ins (if
 * not NULL) gets the lump that inserts them. */
static int replace_span(
		sip_msg_t *msg, char *s, int len, epc_span_t v, struct lump **ins)
{
	struct lump *l, *a;
	char *p;

	l = del_lump(msg, s - msg->buf, len, 0);
	if(!l)
		return -1;
	p = pkg_malloc(v.len ? v.len : 1);
	if(!p) {
		PKG_MEM_ERROR;
		return -1;
	}
	memcpy(p, v.s, v.len);
	a = insert_new_lump_after(l, p, (int)v.len, 0);
	if(!a) {
		pkg_free(p);
		return -1;
	}
	if(ins)
		*ins = a;
	return 0;
}

/* Credentials headers wwsf_strip() rewrote (ins = its insert lump) or
 * removed (ins = NULL) in the current message, so that removing them
 * later never lays a second lump over the same bytes. */
#define STRIPPED_MAX 16
static struct
{
	unsigned int msg_id;
	int msg_pid;
	int done;
	int n;
	struct
	{
		int body_off;
		struct lump *ins;
	} e[STRIPPED_MAX];
} _wwsf_stripped;

static int stripped_add(sip_msg_t *msg, hdr_field_t *hf, struct lump *ins)
{
	if(_wwsf_stripped.n >= STRIPPED_MAX)
		return -1;
	_wwsf_stripped.e[_wwsf_stripped.n].body_off = hf->body.s - msg->buf;
	_wwsf_stripped.e[_wwsf_stripped.n].ins = ins;
	_wwsf_stripped.n++;
	return 0;
}

/* Remove a credentials header, whatever wwsf_strip() did to it before. */
static int del_credentials(sip_msg_t *msg, hdr_field_t *hf)
{
	int i, off = hf->body.s - msg->buf, end;

	if(_wwsf_stripped.msg_id != msg->id || _wwsf_stripped.msg_pid != msg->pid)
		return del_header(msg, hf);
	for(i = 0; i < _wwsf_stripped.n; i++) {
		if(_wwsf_stripped.e[i].body_off != off)
			continue;
		if(!_wwsf_stripped.e[i].ins)
			return 0; /* removed already */
		/* the body is deleted already: drop its replacement, then the
		 * name before it and the line end after it */
		_wwsf_stripped.e[i].ins->len = 0;
		end = hf->name.s - msg->buf + hf->len;
		if(hf->body.s > hf->name.s
				&& !del_lump(
						msg, hf->name.s - msg->buf, hf->body.s - hf->name.s, 0))
			return -1;
		if(end > off + hf->body.len
				&& !del_lump(
						msg, off + hf->body.len, end - off - hf->body.len, 0))
			return -1;
		return 0;
	}
	return del_header(msg, hf);
}

/* Add "Name: value\r\n" at the end of the header. */
/* Appends header lines (each "Name: value\r\n") after the last header:
 * one lump for all of them. */
static int append_headers(sip_msg_t *msg, epc_span_t lines)
{
	struct lump *anchor;
	char *p;

	anchor = anchor_lump(msg, msg->unparsed - msg->buf, 0, 0);
	if(!anchor)
		return -1;
	p = pkg_malloc(lines.len);
	if(!p) {
		PKG_MEM_ERROR;
		return -1;
	}
	memcpy(p, lines.s, lines.len);
	if(!insert_new_lump_before(anchor, p, (int)lines.len, 0)) {
		pkg_free(p);
		return -1;
	}
	return 0;
}

/* --- TNA toward the S-CSCF --- */

/* Expires header and contact expires above the token's remaining life are
 * lowered to it; *missing tells that the REGISTER has no Expires header
 * (the caller adds one with the remaining life). */
static int cap_expires(sip_msg_t *msg, uint32_t remaining, int *missing)
{
	char num[INT2STR_MAX_LEN];
	hdr_field_t *hf;
	contact_t *c;
	exp_body_t *eb;
	uint32_t v;
	int len, has_expires = 0;
	char *s;

	s = int2bstr(remaining, num, &len);
	for(hf = msg->headers; hf; hf = hf->next) {
		if(hf->type == HDR_EXPIRES_T) {
			has_expires = 1;
			if(parse_expires(hf) < 0 || !(eb = hf->parsed) || !eb->valid)
				return -1;
			if(eb->val > remaining
					&& replace_span(msg, hf->body.s, hf->body.len,
							   (epc_span_t){s, (size_t)len}, NULL)
							   < 0)
				return -1;
		} else if(hf->type == HDR_CONTACT_T) {
			/* most REGISTERs ask for less than the token's life: then
			 * there is nothing to lower and no need to parse */
			if(!hf->parsed
					&& wwsf_contact_expires_within(
							epc_kam_span(&hf->body), remaining))
				continue;
			if(parse_contact(hf) < 0 || !hf->parsed)
				return -1;
			for(c = ((contact_body_t *)hf->parsed)->contacts; c; c = c->next) {
				if(!c->expires || c->expires->body.len <= 0)
					continue;
				if(str2int(&c->expires->body, &v) < 0 || v <= remaining)
					continue; /* 0 (de-registration) is never touched */
				if(replace_span(msg, c->expires->body.s, c->expires->body.len,
						   (epc_span_t){s, (size_t)len}, NULL)
						< 0)
					return -1;
			}
		}
	}
	*missing = !has_expires;
	return 0;
}

static int ki_wwsf_tna_forward(sip_msg_t *msg)
{
	/* the header lines this adds: the TNA credentials (and the Expires a
	 * REGISTER without one gets), written in place, one lump */
	static const char auth[] = "Authorization: ";
	char lines[sizeof(auth) - 1 + 1024 + 2 + 32];
	size_t n, ln, al = sizeof(auth) - 1;
	int no_expires = 0, en;
	uint32_t remaining;
	hdr_field_t *hf;
	epc_span_t impi, realm;
	long at;

	if(msg->first_line.type != SIP_REQUEST
			|| msg->first_line.u.request.method_value != METHOD_REGISTER
			|| !last_valid(msg) || _wwsf_last.err != WWSF_OK) {
		LM_ERR("wwsf_tna_forward() needs a REGISTER whose wwsf_verify() "
			   "succeeded\n");
		return -1;
	}
	impi = (epc_span_t){_wwsf_last.ids.impi, _wwsf_last.ids.impi_len};
	at = epc_span_find_byte(impi, '@');
	/* TS 24.229 5.2.2.1: realm = home network domain (the IMPI's realm) */
	realm = _wwsf_realm.len > 0 ? epc_kam_span(&_wwsf_realm)
								: epc_span_sub(impi, (size_t)at + 1, impi.len);
	memcpy(lines, auth, al);
	if(wwsf_tna_credentials(impi, realm,
			   epc_kam_span(&msg->first_line.u.request.uri), _wwsf_tna_quote,
			   lines + al, 1024, &n)
			< 0) {
		LM_ERR("cannot build the TNA credentials\n");
		return -1;
	}
	/* no client credentials cross to Mw: the Bearer token, any Digest */
	for(hf = msg->headers; hf; hf = hf->next) {
		if((hf->type == HDR_AUTHORIZATION_T || hf->type == HDR_PROXYAUTH_T)
				&& del_credentials(msg, hf) < 0)
			return -1;
	}
	remaining = wwsf_remaining(_wwsf_last.exp, (int64_t)time(NULL));
	if(cap_expires(msg, remaining, &no_expires) < 0)
		goto error;
	ln = al + n;
	memcpy(lines + ln, "\r\n", 2);
	ln += 2;
	if(no_expires) {
		en = snprintf(lines + ln, sizeof(lines) - ln, "Expires: %u\r\n",
				(unsigned)remaining);
		if(en <= 0 || (size_t)en >= sizeof(lines) - ln)
			goto error;
		ln += (size_t)en;
	}
	if(append_headers(msg, (epc_span_t){lines, ln}) < 0)
		goto error;
	return 1;

error:
	LM_ERR("cannot rewrite the REGISTER for TNA\n");
	return -1;
}

static int w_wwsf_tna_forward(sip_msg_t *msg, char *p1, char *p2)
{
	return ki_wwsf_tna_forward(msg);
}

/* --- W2 policing --- */

static int is_p_charging(hdr_field_t *hf)
{
	return hf->name.len > 11 && strncasecmp(hf->name.s, "P-Charging-", 11) == 0;
}

static int is_named(hdr_field_t *hf, const char *name)
{
	return hf->name.len == (int)strlen(name)
		   && strncasecmp(hf->name.s, name, hf->name.len) == 0;
}

static int contains_nocase(str s, const char *needle)
{
	int i, n = (int)strlen(needle);

	for(i = 0; i + n <= s.len; i++) {
		if(strncasecmp(s.s + i, needle, n) == 0)
			return 1;
	}
	return 0;
}

/* TS 24.229 5.2.2 / 5.2.6.3, TS 33.203: what only a trusted node may send
 * is removed from W2 requests before anything else looks at them */
static int ki_wwsf_strip(sip_msg_t *msg)
{
	char out[2048];
	hdr_field_t *hf;
	struct lump *ins;
	size_t n;
	int rc, removed = 0;

	if(parse_headers(msg, HDR_EOH_F, 0) < 0)
		return -1;
	if(_wwsf_stripped.msg_id == msg->id && _wwsf_stripped.msg_pid == msg->pid
			&& _wwsf_stripped.done)
		return 1; /* once per message: lumps must not overlap */
	_wwsf_stripped.msg_id = msg->id;
	_wwsf_stripped.msg_pid = msg->pid;
	_wwsf_stripped.n = 0;
	_wwsf_stripped.done = 1;
	for(hf = msg->headers; hf; hf = hf->next) {
		if(hf->type == HDR_PAI_T || is_named(hf, "P-Visited-Network-ID")
				|| is_p_charging(hf)) {
			if(del_header(msg, hf) < 0)
				return -1;
			removed++;
			continue;
		}
		if(hf->type != HDR_AUTHORIZATION_T && hf->type != HDR_PROXYAUTH_T)
			continue;
		rc = wwsf_cred_strip_param(epc_kam_span(&hf->body),
				EPC_SPAN_LIT("integrity-protected"), out, sizeof(out), &n);
		if(rc == 0)
			continue;
		if(rc < 0) {
			/* unparsable: only ours to judge if it could carry the param */
			if(!contains_nocase(hf->body, "integrity-protected"))
				continue;
			if(stripped_add(msg, hf, NULL) < 0 || del_header(msg, hf) < 0)
				return -1;
		} else if(replace_span(msg, hf->body.s, hf->body.len,
						  (epc_span_t){out, n}, &ins)
						  < 0
				  || stripped_add(msg, hf, ins) < 0) {
			return -1;
		}
		removed++;
	}
	if(removed)
		LM_INFO("%.*s from %s:%d: removed %d client-sent trusted-node "
				"items\n",
				msg->first_line.u.request.method.len,
				msg->first_line.u.request.method.s, ip_addr2a(&msg->rcv.src_ip),
				msg->rcv.src_port, removed);
	return removed ? 2 : 1;
}

static int w_wwsf_strip(sip_msg_t *msg, char *p1, char *p2)
{
	return ki_wwsf_strip(msg);
}

/* Bearer credentials never cross to Mw (TS 24.371 7.2.1 has the WIC send
 * them in every request) */
static int ki_wwsf_remove_token(sip_msg_t *msg)
{
	hdr_field_t *hf;
	wwsf_cred_t c;
	int removed = 0;

	if(parse_headers(msg, HDR_EOH_F, 0) < 0)
		return -1;
	for(hf = msg->headers; hf; hf = hf->next) {
		if(hf->type != HDR_AUTHORIZATION_T && hf->type != HDR_PROXYAUTH_T)
			continue;
		(void)wwsf_cred_parse(epc_kam_span(&hf->body), &c);
		if(c.scheme != WWSF_CRED_BEARER)
			continue;
		if(del_credentials(msg, hf) < 0)
			return -1;
		removed++;
	}
	return removed ? 2 : 1;
}

static int w_wwsf_remove_token(sip_msg_t *msg, char *p1, char *p2)
{
	return ki_wwsf_remove_token(msg);
}

/* 1: identity bound to this connection by a token registration;
 * -7: the connection has token identities, not this one;
 * -1: the connection has none (no token registration on it) */
static int ki_wwsf_check_identity(sip_msg_t *msg, str *uri)
{
	worigin_conn_info_t ci;
	char n[WWSF_IDENT_MAX];
	size_t len;
	str id;

	if(!is_stream(msg)
			|| wwsf_worigin.conn_info(msg->rcv.proto_reserved1, &ci) != 1
			|| ci.n_identities == 0)
		return -1;
	if(wwsf_ident_norm(epc_kam_span(uri), n, sizeof(n), &len) < 0)
		return -WWSF_R_IDENTITY;
	id.s = n;
	id.len = (int)len;
	return wwsf_worigin.has_identity(msg->rcv.proto_reserved1, &id) == 1
				   ? 1
				   : -WWSF_R_IDENTITY;
}

static int w_wwsf_check_identity(sip_msg_t *msg, char *p1, char *p2)
{
	str uri;

	if(fixup_get_svalue(msg, (gparam_t *)p1, &uri) < 0) {
		LM_ERR("cannot get the identity parameter\n");
		return -1;
	}
	return ki_wwsf_check_identity(msg, &uri);
}

/* --- $wwsf_token(name) --- */

enum
{
	PVW_RESULT = 1,
	PVW_REASON,
	PVW_WWSF,
	PVW_IMPI,
	PVW_IMPU,
	PVW_EXPIRES,
	PVW_AUTHZ_SERVER
};

static int pv_parse_wwsf_token_name(pv_spec_t *sp, str *in)
{
	/* clang-format off */
	static const struct { const char *name; int id; } names[] = {
		{"result", PVW_RESULT}, {"reason", PVW_REASON}, {"wwsf", PVW_WWSF},
		{"impi", PVW_IMPI}, {"impu", PVW_IMPU}, {"expires", PVW_EXPIRES},
		{"authz_server", PVW_AUTHZ_SERVER},
	};
	/* clang-format on */
	size_t i;

	if(sp == NULL || in == NULL || in->len <= 0)
		return -1;
	for(i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if(in->len == (int)strlen(names[i].name)
				&& strncmp(in->s, names[i].name, in->len) == 0) {
			sp->pvp.pvn.type = PV_NAME_INTSTR;
			sp->pvp.pvn.u.isname.name.n = names[i].id;
			return 0;
		}
	}
	LM_ERR("unknown $wwsf_token name '%.*s'\n", in->len, in->s);
	return -1;
}

static int pv_get_wwsf_token(sip_msg_t *msg, pv_param_t *param, pv_value_t *res)
{
	str s;

	if(!last_valid(msg))
		return pv_get_null(msg, param, res);
	switch(param->pvn.u.isname.name.n) {
		case PVW_RESULT:
			s.s = _wwsf_last.not_required
						  ? "not_required"
						  : (char *)wwsf_result_name(
								  wwsf_result_of(_wwsf_last.err));
			break;
		case PVW_REASON:
			s.s = (char *)wwsf_strerror(_wwsf_last.err);
			break;
		case PVW_WWSF:
			s.s = _wwsf_last.wwsf;
			break;
		case PVW_AUTHZ_SERVER:
			s.s = _wwsf_last.authz_server;
			break;
		case PVW_IMPI:
			if(_wwsf_last.err != WWSF_OK)
				return pv_get_null(msg, param, res);
			s.s = _wwsf_last.ids.impi;
			s.len = (int)_wwsf_last.ids.impi_len;
			return pv_get_strval(msg, param, res, &s);
		case PVW_IMPU:
			if(_wwsf_last.err != WWSF_OK || _wwsf_last.ids.nimpu == 0)
				return pv_get_null(msg, param, res);
			s.s = _wwsf_last.ids.impu[0];
			s.len = (int)_wwsf_last.ids.impu_len[0];
			return pv_get_strval(msg, param, res, &s);
		case PVW_EXPIRES:
			if(_wwsf_last.err != WWSF_OK)
				return pv_get_null(msg, param, res);
			return pv_get_sintval(msg, param, res,
					(int)wwsf_remaining(_wwsf_last.exp, (int64_t)time(NULL)));
		default:
			return pv_get_null(msg, param, res);
	}
	s.len = (int)strlen(s.s);
	return pv_get_strval(msg, param, res, &s);
}

/* --- KEMI --- */

/* clang-format off */
static sr_kemi_t sr_kemi_wwsf_token_exports[] = {
	{ str_init("wwsf_token"), str_init("verify"),
		SR_KEMIP_INT, ki_wwsf_verify,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("wwsf_token"), str_init("reply"),
		SR_KEMIP_INT, ki_wwsf_reply,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("wwsf_token"), str_init("tna_forward"),
		SR_KEMIP_INT, ki_wwsf_tna_forward,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("wwsf_token"), str_init("strip"),
		SR_KEMIP_INT, ki_wwsf_strip,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("wwsf_token"), str_init("remove_token"),
		SR_KEMIP_INT, ki_wwsf_remove_token,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("wwsf_token"), str_init("check_identity"),
		SR_KEMIP_INT, ki_wwsf_check_identity,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ {0, 0}, {0, 0}, 0, NULL, { 0, 0, 0, 0, 0, 0 } }
};
/* clang-format on */

int mod_register(char *path, int *dlflags, void *p1, void *p2)
{
	sr_kemi_modules_add(sr_kemi_wwsf_token_exports);
	return 0;
}
