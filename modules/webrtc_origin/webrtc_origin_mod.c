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
 * webrtc_origin: only WICs from an authorized WWSF may open a WebSocket
 * (3GPP TS 23.228 Annex U U.1.3.3, steps 2 of U.2.1.2 / U.2.1.3).
 *
 * Kamailio glue only: parameters, the check for event_route[xhttp:request],
 * the $wwsf pseudo-variable, counters, KEMI, the API for wwsf_token, the
 * connection clean-up hooks. The logic is in worigin_state.c and lib/
 * (epc_origin, epc_wwsf_registry); RPC in webrtc_origin_rpc_mod.c.
 *
 * Shared state: one worigin_state_t in shm behind one lock. The registry is
 * loaded once per (re)load, in the process that (re)loads it, straight into
 * shm, and published by swapping a pointer under the lock; every process
 * sees the new one at its next check. Readers hold a version by reference
 * count, so a reload never frees a registry in use.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/mod_fix.h"
#include "core/counters.h"
#include "core/events.h"
#include "core/timer.h"
#include "core/pvar.h"
#include "core/kemi.h"
#include "core/ip_addr.h"
#include "core/strutils.h"
#include "core/rpc_lookup.h"
#include "core/parser/msg_parser.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"

#include "kam/epc_kam.h"
#include "epc_origin.h"
#include "epc_wwsf_registry.h"
#include "worigin_state.h"
#include "webrtc_origin_mod.h"
#include "api.h"

MODULE_VERSION

/* core/tcp_main.c exports it; 5.6 declares it in no header */
extern int tcpconn_exists(int conn_id, ip_addr_t *peer_ip, int peer_port,
		ip_addr_t *local_ip, int local_port);

static int mod_init(void);
static int child_init(int rank);
static void mod_destroy(void);
static int w_webrtc_origin_check(sip_msg_t *msg, char *p1, char *p2);
static int w_webrtc_origin_match(sip_msg_t *msg, char *p1, char *p2);
static int pv_parse_wwsf_name(pv_spec_t *sp, str *in);
static int pv_get_wwsf(sip_msg_t *msg, pv_param_t *param, pv_value_t *res);
static counter_val_t cnt_connections(counter_handle_t h, void *param);

#define DEFAULT_HASH_SIZE 4096
#define DEFAULT_SWEEP_INTERVAL 10
#define DEFAULT_REJECT_LOG_RATE 10

worigin_shared_t *worigin_shared = NULL;
gen_lock_t *worigin_lock = NULL;
char *worigin_registry_path = NULL;
static str _worigin_no_origin_wwsf = STR_NULL;
static int _worigin_hash_size = DEFAULT_HASH_SIZE;
static int _worigin_sweep_interval = DEFAULT_SWEEP_INTERVAL;
static int _worigin_reject_log_rate = DEFAULT_REJECT_LOG_RATE;
/* compiled once in mod_init; each process has its copy after fork */
static epc_wwsf_schema_t *_worigin_schema = NULL;

static struct
{
	counter_handle_t accepted;
	counter_handle_t missing;
	counter_handle_t malformed;
	counter_handle_t not_allowed;
	counter_handle_t disabled;
	counter_handle_t limit;
	counter_handle_t error;
	counter_handle_t connections;
	counter_handle_t reloads;
	counter_handle_t reload_failures;
} _worigin_cnt;

/* clang-format off */
static counter_def_t _worigin_cnt_defs[] = {
	{&_worigin_cnt.accepted, "handshakes_accepted", 0, 0, 0,
		"WebSocket handshakes whose Origin belongs to an enabled WWSF"},
	{&_worigin_cnt.missing, "rejected_missing", 0, 0, 0,
		"handshakes refused: no Origin header (and no_origin_wwsf unset)"},
	{&_worigin_cnt.malformed, "rejected_malformed", 0, 0, 0,
		"handshakes refused: Origin not one serialized origin"},
	{&_worigin_cnt.not_allowed, "rejected_not_allowed", 0, 0, 0,
		"handshakes refused: Origin of no WWSF in the registry (or null)"},
	{&_worigin_cnt.disabled, "rejected_disabled", 0, 0, 0,
		"handshakes refused: the WWSF is disabled"},
	{&_worigin_cnt.limit, "rejected_limit", 0, 0, 0,
		"handshakes refused: the WWSF is at its max-connections"},
	{&_worigin_cnt.error, "rejected_error", 0, 0, 0,
		"handshakes refused: internal error (out of memory)"},
	{&_worigin_cnt.connections, "connections", CNT_F_NO_RESET,
		cnt_connections, 0,
		"connections bound to a WWSF now"},
	{&_worigin_cnt.reloads, "registry_reloads", 0, 0, 0,
		"registry loads put in force (the one at startup included)"},
	{&_worigin_cnt.reload_failures, "registry_reload_failures", 0, 0, 0,
		"registry reloads refused (the previous registry stayed)"},
	{0, 0, 0, 0, 0, 0}
};

static cmd_export_t cmds[] = {
	{"webrtc_origin_check", (cmd_function)w_webrtc_origin_check, 0,
		0, 0, ANY_ROUTE},
	{"webrtc_origin_match", (cmd_function)w_webrtc_origin_match, 1,
		fixup_spve_null, fixup_free_spve_null, ANY_ROUTE},
	{"bind_webrtc_origin", (cmd_function)bind_webrtc_origin, 1,
		0, 0, 0},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"registry", PARAM_STRING, &worigin_registry_path},
	{"no_origin_wwsf", PARAM_STR, &_worigin_no_origin_wwsf},
	{"hash_size", PARAM_INT, &_worigin_hash_size},
	{"sweep_interval", PARAM_INT, &_worigin_sweep_interval},
	{"reject_log_rate", PARAM_INT, &_worigin_reject_log_rate},
	{0, 0, 0}
};

static pv_export_t mod_pvs[] = {
	{{"wwsf", sizeof("wwsf") - 1}, PVT_OTHER, pv_get_wwsf, 0,
		pv_parse_wwsf_name, 0, 0, 0},
	{{0, 0}, 0, 0, 0, 0, 0, 0, 0}
};

struct module_exports exports = {
	"webrtc_origin", /* module name */
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

/* --- clean-up of bindings --- */

/* SREV_TCP_WS_CLOSE: the websocket module's timer runs it for every
 * WebSocket connection it forgets (close frame, TCP EOF/reset, keepalive
 * timeout, ws.close), a few seconds after the close. */
static int worigin_ws_closed(sr_event_param_t *evp)
{
	int removed = 0;

	if(evp == NULL || evp->rcv == NULL || worigin_shared == NULL)
		return 0;
	WORIGIN_LOCK;
	removed =
			worigin_conn_remove(&worigin_shared->st, evp->rcv->proto_reserved1);
	WORIGIN_UNLOCK;
	if(removed)
		LM_DBG("connection %d closed: binding removed\n",
				evp->rcv->proto_reserved1);
	return 0;
}

/* Bindings of connections the websocket module never took over (the
 * handshake failed after the check, or the script did not call
 * ws_handle_handshake()) go when their TCP connection is gone. */
static void worigin_sweep(unsigned int ticks, void *param)
{
	size_t n, i;
	int *ids, gone = 0;

	WORIGIN_LOCK;
	n = worigin_shared->st.n_conns;
	WORIGIN_UNLOCK;
	if(n == 0)
		return;
	ids = pkg_malloc(n * sizeof(int));
	if(ids == NULL) {
		PKG_MEM_ERROR;
		return;
	}
	WORIGIN_LOCK;
	n = worigin_conns_all(&worigin_shared->st, ids, n);
	WORIGIN_UNLOCK;
	for(i = 0; i < n; i++) {
		if(tcpconn_exists(ids[i], NULL, 0, NULL, 0))
			continue;
		WORIGIN_LOCK;
		gone += worigin_conn_remove(&worigin_shared->st, ids[i]);
		WORIGIN_UNLOCK;
	}
	pkg_free(ids);
	if(gone)
		LM_DBG("%d bindings of closed connections removed\n", gone);
}

/* --- registry --- */

#define EMPTY_REGISTRY "<wwsf-registry version=\"1\"/>"

long worigin_reload(char *err, size_t errlen)
{
	epc_wwsf_load_opts_t empty_opts = {
			"(no registry file)", NULL, _worigin_schema};
	epc_wwsf_registry_t *r = NULL;
	long gen;
	int rc;

	if(worigin_registry_path && worigin_registry_path[0]) {
		rc = epc_wwsf_registry_load_file(worigin_registry_path, _worigin_schema,
				&epc_kam_shm, &r, err, errlen);
	} else if(worigin_shared->st.generation == 0) {
		/* no file: an empty registry, every handshake is refused */
		rc = epc_wwsf_registry_load_mem(EMPTY_REGISTRY,
				sizeof(EMPTY_REGISTRY) - 1, &empty_opts, &epc_kam_shm, &r, err,
				errlen);
	} else {
		rc = EPC_WWSF_E_ARG;
		snprintf(err, errlen,
				"no registry file configured (parameter "
				"registry)");
	}
	WORIGIN_LOCK;
	gen = rc == 0 ? worigin_publish(&worigin_shared->st, r, time(NULL)) : rc;
	if(rc == 0 && gen < 0) {
		rc = EPC_WWSF_E_NOMEM;
		snprintf(
				err, errlen, "%s: out of shared memory", worigin_registry_path);
	}
	worigin_shared->reload_time = time(NULL);
	worigin_shared->reload_ok = rc == 0;
	if(rc == 0) {
		worigin_shared->reloads++;
		worigin_shared->reload_error[0] = '\0';
	} else {
		worigin_shared->reload_failures++;
		snprintf(worigin_shared->reload_error,
				sizeof(worigin_shared->reload_error), "%s", err);
	}
	WORIGIN_UNLOCK;
	if(rc < 0) {
		epc_wwsf_registry_free(r, &epc_kam_shm);
		counter_inc(_worigin_cnt.reload_failures);
		return rc;
	}
	counter_inc(_worigin_cnt.reloads);
	LM_INFO("WWSF registry %s in force: generation %ld, %zu WWSFs, %zu "
			"origins\n",
			r->source.s, gen, r->n_wwsf, r->n_origins);
	return gen;
}

static counter_val_t cnt_connections(counter_handle_t h, void *param)
{
	counter_val_t n;

	if(worigin_shared == NULL)
		return 0;
	WORIGIN_LOCK;
	n = (counter_val_t)worigin_shared->st.n_conns;
	WORIGIN_UNLOCK;
	return n;
}

static int mod_init(void)
{
	char err[EPC_WWSF_ERR_MAX];
	long gen;

	if(_worigin_hash_size < 16 || _worigin_hash_size > (1 << 24)) {
		LM_ERR("hash_size must be 16..16777216, not %d\n", _worigin_hash_size);
		return -1;
	}
	if(_worigin_sweep_interval < 1 || _worigin_sweep_interval > 3600) {
		LM_ERR("sweep_interval must be 1..3600 s, not %d\n",
				_worigin_sweep_interval);
		return -1;
	}
	if(_worigin_reject_log_rate < 0) {
		LM_ERR("reject_log_rate must be >= 0\n");
		return -1;
	}
	xmlInitParser();
	if(epc_wwsf_schema_new(&_worigin_schema, err, sizeof(err)) < 0) {
		LM_ERR("cannot compile the registry schema: %s\n", err);
		return -1;
	}
	worigin_lock = lock_alloc();
	worigin_shared = shm_malloc(sizeof(*worigin_shared));
	if(worigin_lock == NULL || worigin_shared == NULL) {
		SHM_MEM_ERROR;
		goto error;
	}
	memset(worigin_shared, 0, sizeof(*worigin_shared));
	lock_init(worigin_lock);
	if(worigin_state_init(
			   &worigin_shared->st, &epc_kam_shm, (size_t)_worigin_hash_size)
			< 0) {
		SHM_MEM_ERROR;
		goto error;
	}
	if(counter_register_array("webrtc_origin", _worigin_cnt_defs) < 0) {
		LM_ERR("cannot register counters\n");
		goto error;
	}
	gen = worigin_reload(err, sizeof(err));
	if(gen < 0) {
		LM_ERR("cannot load the WWSF registry: %s\n", err);
		goto error;
	}
	if(rpc_register_array(worigin_rpc_cmds) != 0) {
		LM_ERR("cannot register RPC commands\n");
		goto error;
	}
	if(sr_event_register_cb(SREV_TCP_WS_CLOSE, worigin_ws_closed) != 0) {
		LM_ERR("cannot register the WebSocket close callback\n");
		goto error;
	}
	if(register_timer(worigin_sweep, 0, _worigin_sweep_interval) < 0) {
		LM_ERR("cannot register the sweep timer\n");
		goto error;
	}
	if(worigin_registry_path == NULL || worigin_registry_path[0] == '\0')
		LM_WARN("no WWSF registry file (parameter registry): every "
				"WebSocket handshake is refused\n");
	if(!module_loaded("websocket"))
		LM_WARN("websocket module not loaded: bindings are removed by the "
				"sweep only\n");
	if(_worigin_no_origin_wwsf.len > 0)
		LM_INFO("handshakes without Origin are bound to WWSF '%.*s'\n",
				_worigin_no_origin_wwsf.len, _worigin_no_origin_wwsf.s);
	LM_INFO("webrtc_origin %s initialised\n", EPC_VERSION);
	return 0;

error:
	mod_destroy();
	return -1;
}

static int child_init(int rank)
{
	return 0;
}

static void mod_destroy(void)
{
	if(worigin_shared) {
		if(worigin_lock)
			WORIGIN_LOCK;
		worigin_state_destroy(&worigin_shared->st);
		if(worigin_lock)
			WORIGIN_UNLOCK;
		shm_free(worigin_shared);
		worigin_shared = NULL;
	}
	if(worigin_lock) {
		lock_destroy(worigin_lock);
		lock_dealloc(worigin_lock);
		worigin_lock = NULL;
	}
	epc_wwsf_schema_free(_worigin_schema);
	_worigin_schema = NULL;
}

/* --- the check --- */

/* outcome of the last check/match in this process, for $wwsf(result) and
 * $wwsf(matched); valid for the message it was made for only */
static struct
{
	unsigned int msg_id;
	int msg_pid;
	int result;
	char wwsf[EPC_WWSF_ID_MAX + 1];
} _worigin_last;

static void last_set(sip_msg_t *msg, int result, const char *wwsf)
{
	_worigin_last.msg_id = msg->id;
	_worigin_last.msg_pid = msg->pid;
	_worigin_last.result = result;
	snprintf(_worigin_last.wwsf, sizeof(_worigin_last.wwsf), "%s",
			wwsf ? wwsf : "");
}

static int last_valid(sip_msg_t *msg)
{
	return _worigin_last.result != 0 && _worigin_last.msg_id == msg->id
		   && _worigin_last.msg_pid == msg->pid;
}

static int is_stream(sip_msg_t *msg)
{
	int p = msg->rcv.proto;

	return p == PROTO_TCP || p == PROTO_TLS || p == PROTO_WS || p == PROTO_WSS;
}

/* printable excerpt of a client-supplied value for the log */
static const char *excerpt(epc_span_t v, char *buf, size_t size)
{
	size_t i, n = v.len < size - 4 ? v.len : size - 4;

	for(i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v.s[i];
		buf[i] = (c > 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if(n < v.len) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/* at most reject_log_rate lines per second per process */
static int log_budget(void)
{
	static time_t window;
	static int used, dropped;
	time_t now = time(NULL);

	if(now != window) {
		if(dropped)
			LM_NOTICE("%d more refused WebSocket handshakes not logged\n",
					dropped);
		window = now;
		used = dropped = 0;
	}
	if(used < _worigin_reject_log_rate) {
		used++;
		return 1;
	}
	dropped++;
	return 0;
}

static void account(sip_msg_t *msg, const worigin_decision_t *d,
		const char *detail, epc_span_t origin, const char *remote)
{
	static counter_handle_t *by_result[] = {&_worigin_cnt.missing,
			&_worigin_cnt.malformed, &_worigin_cnt.not_allowed,
			&_worigin_cnt.disabled, &_worigin_cnt.limit, &_worigin_cnt.error};
	char buf[128];

	last_set(msg, d->result, d->wwsf);
	if(d->result == WORIGIN_ALLOWED) {
		counter_inc(_worigin_cnt.accepted);
		LM_DBG("WebSocket from %s (conid %d) bound to WWSF '%s' (Origin "
			   "%s)\n",
				remote, msg->rcv.proto_reserved1, d->wwsf,
				d->origin[0] ? d->origin : "none");
		return;
	}
	counter_inc(*by_result[-d->result - 1]);
	if(log_budget())
		LM_NOTICE("WebSocket handshake from %s refused: Origin %s%s%s%s%s "
				  "(Origin: %s)\n",
				remote, worigin_result_str(d->result), detail ? " - " : "",
				detail ? detail : "", d->wwsf[0] ? ", WWSF " : "", d->wwsf,
				origin.len ? excerpt(origin, buf, sizeof(buf)) : "none");
}

/* the Origin headers of the request: how many, and the first one's value */
static int origin_headers(sip_msg_t *msg, epc_span_t *value)
{
	hdr_field_t *h;
	int n = 0;

	if(parse_headers(msg, HDR_EOH_F, 0) < 0)
		return -1;
	for(h = msg->headers; h; h = h->next) {
		if(cmp_hdrname_strzn(&h->name, "Origin", 6) != 0)
			continue;
		if(n++ == 0)
			*value = epc_span_trim(epc_kam_span(&h->body));
	}
	return n;
}

static void remote_text(sip_msg_t *msg, char *buf, size_t size)
{
	char ip[IP_ADDR_MAX_STR_SIZE + 1];
	int af = msg->rcv.src_ip.af;

	ip_addr2sbufz(&msg->rcv.src_ip, ip, sizeof(ip));
	snprintf(buf, size, af == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
			(unsigned)msg->rcv.src_port);
}

static int ki_webrtc_origin_check(sip_msg_t *msg)
{
	worigin_decision_t d;
	epc_origin_t o;
	epc_span_t val = EPC_SPAN_NULL;
	char remote[WORIGIN_REMOTE_MAX];
	const char *detail = NULL;
	int n, rc;

	memset(&d, 0, sizeof(d));
	remote_text(msg, remote, sizeof(remote));
	if(!is_stream(msg)) {
		LM_ERR("webrtc_origin_check() needs a request on a TCP/TLS "
			   "connection\n");
		d.result = WORIGIN_ERROR;
		goto done;
	}
	n = origin_headers(msg, &val);
	if(n < 0 || n > 1) {
		d.result = WORIGIN_MALFORMED;
		detail = n < 0 ? "cannot parse the headers" : "several Origin headers";
		goto done;
	}
	rc = n ? epc_origin_parse(val, &o) : 0;
	if(rc < 0) {
		/* "null" is a valid Origin that no WWSF can own */
		d.result = rc == EPC_ORIGIN_E_NULL ? WORIGIN_NOT_ALLOWED
										   : WORIGIN_MALFORMED;
		detail = epc_origin_strerror(rc);
		goto done;
	}
	WORIGIN_LOCK;
	worigin_admit(&worigin_shared->st, msg->rcv.proto_reserved1, n ? &o : NULL,
			epc_kam_span(&_worigin_no_origin_wwsf), epc_span_cstr(remote),
			time(NULL), &d);
	WORIGIN_UNLOCK;
	if(d.result == WORIGIN_MISSING && _worigin_no_origin_wwsf.len > 0)
		detail = "no_origin_wwsf names no WWSF of the registry";
done:
	account(msg, &d, detail, val, remote);
	return d.result;
}

static int w_webrtc_origin_check(sip_msg_t *msg, char *p1, char *p2)
{
	return ki_webrtc_origin_check(msg);
}

/* which WWSF an origin belongs to; no binding, no counters */
static int ki_webrtc_origin_match(sip_msg_t *msg, str *origin)
{
	worigin_version_t *v;
	const epc_wwsf_t *w;
	epc_origin_t o;
	int rc, result;
	char wwsf[EPC_WWSF_ID_MAX + 1] = "";

	rc = epc_origin_parse(epc_span_trim(epc_kam_span(origin)), &o);
	if(rc < 0) {
		result = rc == EPC_ORIGIN_E_NULL
						 ? WORIGIN_NOT_ALLOWED
						 : (rc == EPC_ORIGIN_E_EMPTY ? WORIGIN_MISSING
													 : WORIGIN_MALFORMED);
		goto done;
	}
	WORIGIN_LOCK;
	v = worigin_acquire(&worigin_shared->st);
	w = v ? epc_wwsf_registry_match_origin(v->reg, &o, NULL) : NULL;
	if(w)
		snprintf(wwsf, sizeof(wwsf), "%s", w->id.s);
	result = v == NULL ? WORIGIN_ERROR
					   : (w == NULL ? WORIGIN_NOT_ALLOWED
									: (w->enabled ? WORIGIN_ALLOWED
												  : WORIGIN_DISABLED));
	worigin_release(&worigin_shared->st, v);
	WORIGIN_UNLOCK;
done:
	last_set(msg, result, wwsf);
	return result;
}

static int w_webrtc_origin_match(sip_msg_t *msg, char *p1, char *p2)
{
	str origin;

	if(fixup_get_svalue(msg, (gparam_t *)p1, &origin) < 0) {
		LM_ERR("cannot get the origin parameter\n");
		return WORIGIN_ERROR;
	}
	return ki_webrtc_origin_match(msg, &origin);
}

/* --- $wwsf(key) --- */

enum
{
	PVW_ID = 1,
	PVW_ORIGIN,
	PVW_REMOTE,
	PVW_AGE,
	PVW_IDENTITIES,
	PVW_RESULT,
	PVW_MATCHED
};

static int pv_parse_wwsf_name(pv_spec_t *sp, str *in)
{
	static const struct
	{
		const char *name;
		int key;
	} keys[] = {{"id", PVW_ID}, {"origin", PVW_ORIGIN}, {"remote", PVW_REMOTE},
			{"age", PVW_AGE}, {"identities", PVW_IDENTITIES},
			{"result", PVW_RESULT}, {"matched", PVW_MATCHED}};
	size_t i;

	for(i = 0; in && i < sizeof(keys) / sizeof(keys[0]); i++) {
		if(in->len == (int)strlen(keys[i].name)
				&& strncmp(in->s, keys[i].name, in->len) == 0) {
			sp->pvp.pvn.type = PV_NAME_INTSTR;
			sp->pvp.pvn.u.isname.type = 0;
			sp->pvp.pvn.u.isname.name.n = keys[i].key;
			return 0;
		}
	}
	LM_ERR("unknown key in $wwsf(%.*s)\n", in ? in->len : 0, in ? in->s : "");
	return -1;
}

/* the binding of the message's connection, copied out under the lock */
static int pv_binding(
		sip_msg_t *msg, int key, char *buf, size_t size, long *age)
{
	const worigin_conn_t *c;
	size_t i, len = 0;
	int found = 0;

	if(!is_stream(msg))
		return 0;
	WORIGIN_LOCK;
	c = worigin_conn_find(&worigin_shared->st, msg->rcv.proto_reserved1);
	if(c) {
		found = 1;
		*age = (long)(time(NULL) - c->since);
		if(key == PVW_ID)
			snprintf(buf, size, "%s", c->wwsf);
		else if(key == PVW_ORIGIN)
			snprintf(buf, size, "%s", c->origin);
		else if(key == PVW_REMOTE)
			snprintf(buf, size, "%s", c->remote);
		for(i = 0; key == PVW_IDENTITIES && i < c->n_ids && len < size; i++)
			len += (size_t)snprintf(
					buf + len, size - len, "%s%s", i ? "," : "", c->ids[i]);
	}
	WORIGIN_UNLOCK;
	return found;
}

static int pv_get_wwsf(sip_msg_t *msg, pv_param_t *param, pv_value_t *res)
{
	/* one buffer per key: several $wwsf() in one xlog stay intact */
	static char bufs[PVW_MATCHED + 1][WORIGIN_MAX_IDS * (WORIGIN_ID_MAX + 1)];
	int key = param->pvn.u.isname.name.n;
	long age = 0;

	if(msg == NULL || key < PVW_ID || key > PVW_MATCHED)
		return pv_get_null(msg, param, res);
	if(key == PVW_RESULT || key == PVW_MATCHED) {
		if(!last_valid(msg)
				|| (key == PVW_MATCHED && _worigin_last.wwsf[0] == '\0'))
			return pv_get_null(msg, param, res);
		return pv_get_strzval(msg, param, res,
				key == PVW_RESULT
						? (char *)worigin_result_str(_worigin_last.result)
						: _worigin_last.wwsf);
	}
	bufs[key][0] = '\0';
	if(!pv_binding(msg, key, bufs[key], sizeof(bufs[key]), &age))
		return pv_get_null(msg, param, res);
	if(key == PVW_AGE)
		return pv_get_sintval(msg, param, res, (int)age);
	if(key == PVW_ORIGIN && bufs[key][0] == '\0')
		return pv_get_null(msg, param, res);
	return pv_get_strzval(msg, param, res, bufs[key]);
}

/* --- inter-module API --- */

static int api_conn_info(int conid, worigin_conn_info_t *out)
{
	const worigin_conn_t *c;

	memset(out, 0, sizeof(*out));
	WORIGIN_LOCK;
	c = worigin_conn_find(&worigin_shared->st, conid);
	if(c) {
		out->conid = c->conid;
		snprintf(out->wwsf, sizeof(out->wwsf), "%s", c->wwsf);
		snprintf(out->origin, sizeof(out->origin), "%s", c->origin);
		snprintf(out->remote, sizeof(out->remote), "%s", c->remote);
		out->since = (long)c->since;
		out->n_identities = c->n_ids;
	}
	WORIGIN_UNLOCK;
	return c != NULL;
}

static const epc_wwsf_registry_t *api_registry_acquire(unsigned *generation)
{
	worigin_version_t *v;

	WORIGIN_LOCK;
	v = worigin_acquire(&worigin_shared->st);
	if(generation)
		*generation = v ? v->generation : 0;
	WORIGIN_UNLOCK;
	return v ? v->reg : NULL;
}

static void api_registry_release(const epc_wwsf_registry_t *r)
{
	if(r == NULL)
		return;
	WORIGIN_LOCK;
	worigin_release(
			&worigin_shared->st, worigin_version_of(&worigin_shared->st, r));
	WORIGIN_UNLOCK;
}

static unsigned api_registry_generation(void)
{
	unsigned g;

	WORIGIN_LOCK;
	g = worigin_shared->st.generation;
	WORIGIN_UNLOCK;
	return g;
}

static int api_bind_identity(int conid, str *id)
{
	int rc;

	WORIGIN_LOCK;
	rc = worigin_conn_bind_id(&worigin_shared->st, conid, epc_kam_span(id));
	WORIGIN_UNLOCK;
	return rc;
}

static int api_unbind_identity(int conid, str *id)
{
	int rc;

	WORIGIN_LOCK;
	rc = worigin_conn_unbind_id(&worigin_shared->st, conid, epc_kam_span(id));
	WORIGIN_UNLOCK;
	return rc;
}

static int api_has_identity(int conid, str *id)
{
	int rc;

	WORIGIN_LOCK;
	rc = worigin_conn_has_id(
			worigin_conn_find(&worigin_shared->st, conid), epc_kam_span(id));
	WORIGIN_UNLOCK;
	return rc;
}

int bind_webrtc_origin(webrtc_origin_api_t *api)
{
	if(api == NULL) {
		LM_ERR("NULL api\n");
		return -1;
	}
	if(worigin_shared == NULL) {
		LM_ERR("webrtc_origin is not initialised (load it first)\n");
		return -1;
	}
	api->conn_info = api_conn_info;
	api->registry_acquire = api_registry_acquire;
	api->registry_release = api_registry_release;
	api->registry_generation = api_registry_generation;
	api->bind_identity = api_bind_identity;
	api->unbind_identity = api_unbind_identity;
	api->has_identity = api_has_identity;
	return 0;
}

/* --- KEMI --- */

/* clang-format off */
static sr_kemi_t sr_kemi_webrtc_origin_exports[] = {
	{ str_init("webrtc_origin"), str_init("check"),
		SR_KEMIP_INT, ki_webrtc_origin_check,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("webrtc_origin"), str_init("match"),
		SR_KEMIP_INT, ki_webrtc_origin_match,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ {0, 0}, {0, 0}, 0, NULL, { 0, 0, 0, 0, 0, 0 } }
};
/* clang-format on */

int mod_register(char *path, int *dlflags, void *p1, void *p2)
{
	sr_kemi_modules_add(sr_kemi_webrtc_origin_exports);
	return 0;
}
