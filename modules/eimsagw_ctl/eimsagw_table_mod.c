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
 * eimsagw_ctl glue: the media session table in shm (hash of Call-IDs, one
 * lock per bucket) and everything that feeds events into the sessions'
 * state machines: script calls, tm callbacks on the initial INVITE
 * transaction and dialog callbacks (so media sessions go away even when
 * the routing script forgets a branch), and the timer's sweep.
 *
 * Locking: the bucket lock is held to find a session and step its state
 * machine, never across an ng exchange. A session a worker exchanges with
 * the AGW for is marked busy until the exchange returned and its outcome
 * is recorded: another SIP message of the same call waits for it (polling
 * outside the lock, bounded by the longest exchange), so the commands of
 * one call reach the AGW one at a time in the order its state machine
 * decided them. Two parallel forks of an initial INVITE in two workers:
 * the second joins the session the first created once the first's offer
 * is anchored, and is offered the same. tm, dialog and timer events never
 * wait: they step the session under the lock; if that ends a busy
 * session, its owner deletes the call at the AGW when its exchange
 * returns (and the message it was for gets an error, not a forward). An
 * ended session stays in the table, busy, until its delete returned, so a
 * new INVITE of the same call (a fork after all others failed, a retry
 * after a 401) is anchored only after the old call is gone at the AGW.
 */

#include <string.h>
#include <time.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/hashes.h"
#include "core/trim.h"
#include "core/locking.h"
#include "core/atomic_ops.h"
#include "core/data_lump.h"
#include "core/lump_struct.h"
#include "core/msg_translator.h"
#include "core/route.h"
#include "core/pt.h"
#include "core/ip_addr.h"
#include "core/ut.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"
#include "core/parser/parse_from.h"
#include "core/parser/parse_to.h"
#include "core/parser/parse_cseq.h"
#include "core/parser/parse_body.h"
#include "core/parser/parse_content.h"
#include "core/parser/msg_parser.h"
#include "modules/tm/tm_load.h"
#include "modules/dialog/dlg_load.h"
#include "modules/dialog/dlg_hash.h"

#include "eimsagw_ctl_mod.h"

#define EIMSAGW_EV_BATCH 8 /* sessions ended per locked pass */

typedef struct eimsagw_entry
{
	struct eimsagw_entry *next;
	int busy; /* a worker exchanges with the AGW for it (or deletes it) */
	eimsagw_sess_t s;
} eimsagw_entry_t;

typedef struct eimsagw_table
{
	unsigned int size; /* power of two */
	gen_lock_set_t *locks;
	eimsagw_entry_t **buckets;
	atomic_t count;
	gen_lock_t id_lock;
	uint64_t next_id;
} eimsagw_table_t;

/* What the locked step leaves for the unlocked ng exchange. */
typedef struct eimsagw_work
{
	uint64_t id;
	unsigned int h;
	int agw;
	int created;
	size_t keylen;
	char key[EIMSAGW_CALLID_MAX + EIMSAGW_TAG_MAX];
	eimsagw_actions_t a; /* last: the fields above are reset apart */
} eimsagw_work_t;

static eimsagw_table_t *_tab = NULL;
static struct tm_binds _tmb;
static struct dlg_binds _dlgb;
static int _have_dlg = 0;

char eimsagw_last_err[256];
char eimsagw_last_agw[128];

static unsigned int bucket_of(epc_span_t callid)
{
	return get_hash1_raw(callid.s ? callid.s : "", (int)callid.len)
		   & (_tab->size - 1);
}

int eimsagw_table_init(void)
{
	unsigned int size = 16;

	while(size < (unsigned int)eimsagw_hash_size && size < 65536)
		size <<= 1;
	_tab = shm_malloc(sizeof(*_tab));
	if(!_tab) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_tab, 0, sizeof(*_tab));
	_tab->size = size;
	_tab->buckets = shm_malloc(sizeof(eimsagw_entry_t *) * size);
	_tab->locks = lock_set_alloc(size);
	if(!_tab->buckets || !_tab->locks) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_tab->buckets, 0, sizeof(eimsagw_entry_t *) * size);
	if(!lock_set_init(_tab->locks) || !lock_init(&_tab->id_lock)) {
		LM_ERR("cannot init the session table locks\n");
		lock_set_dealloc(_tab->locks);
		_tab->locks = NULL;
		return -1;
	}
	atomic_set(&_tab->count, 0);
	_tab->next_id = 1;
	return 0;
}

void eimsagw_table_destroy(void)
{
	unsigned int i;
	eimsagw_entry_t *e, *n;

	if(!_tab)
		return;
	if(_tab->buckets) {
		for(i = 0; i < _tab->size; i++) {
			for(e = _tab->buckets[i]; e; e = n) {
				n = e->next;
				shm_free(e);
			}
		}
		shm_free(_tab->buckets);
	}
	if(_tab->locks) {
		lock_set_destroy(_tab->locks);
		lock_set_dealloc(_tab->locks);
	}
	shm_free(_tab);
	_tab = NULL;
}

int eimsagw_table_count(void)
{
	return _tab ? atomic_get(&_tab->count) : 0;
}

/* --- locked helpers (bucket lock held) --- */

static void unlink_entry(unsigned int h, eimsagw_entry_t *e)
{
	eimsagw_entry_t **pp;

	for(pp = &_tab->buckets[h]; *pp; pp = &(*pp)->next) {
		if(*pp == e) {
			*pp = e->next;
			shm_free(e);
			atomic_dec(&_tab->count);
			return;
		}
	}
}

static eimsagw_entry_t *find_id(unsigned int h, uint64_t id)
{
	eimsagw_entry_t *e;

	for(e = _tab->buckets[h]; e; e = e->next) {
		if(e->s.id == id)
			return e;
	}
	return NULL;
}

/* Remove session id, if still there (takes the bucket lock). */
static void remove_id(unsigned int h, uint64_t id)
{
	eimsagw_entry_t *e;

	lock_set_get(_tab->locks, h);
	e = find_id(h, id);
	if(e)
		unlink_entry(h, e);
	lock_set_release(_tab->locks, h);
}

/* Best session for a SIP event; *spiral = a pass of this call exists
 * that this initial INVITE does not belong to. */
static eimsagw_entry_t *find_best(
		unsigned int h, const eimsagw_event_t *ev, int *spiral)
{
	eimsagw_entry_t *e, *loose = NULL;
	int m;

	*spiral = 0;
	for(e = _tab->buckets[h]; e; e = e->next) {
		m = eimsagw_sess_match(&e->s, ev);
		if(m == EIMSAGW_MATCH_EXACT)
			return e;
		if(m == EIMSAGW_MATCH_TAGS && !loose)
			loose = e;
	}
	if(loose && eimsagw_sess_creates(ev)) {
		*spiral = 1;
		return NULL;
	}
	return loose;
}

static eimsagw_entry_t *create(
		unsigned int h, const eimsagw_event_t *ev, int spiral, int *rc)
{
	eimsagw_entry_t *e;

	if(eimsagw_max_sessions > 0
			&& atomic_get(&_tab->count) >= eimsagw_max_sessions) {
		*rc = EIMSAGW_RC_LIMIT;
		return NULL;
	}
	e = shm_malloc(sizeof(*e));
	if(!e) {
		SHM_MEM_ERROR;
		*rc = EIMSAGW_RC_LIMIT;
		return NULL;
	}
	e->next = NULL;
	e->busy = 0;
	if(eimsagw_sess_init(&e->s, ev, spiral) < 0) {
		shm_free(e);
		*rc = EIMSAGW_RC_ERROR;
		return NULL;
	}
	lock_get(&_tab->id_lock);
	e->s.id = _tab->next_id++;
	lock_release(&_tab->id_lock);
	e->next = _tab->buckets[h];
	_tab->buckets[h] = e;
	atomic_inc(&_tab->count);
	counter_inc(eimsagw_cnt.sessions_created);
	return e;
}

static void work_from(eimsagw_work_t *w, const eimsagw_entry_t *e)
{
	epc_span_t cid = eimsagw_sess_str(&e->s, e->s.call_id);
	epc_span_t tag = eimsagw_sess_str(&e->s, e->s.init_tag);

	w->id = e->s.id;
	w->agw = e->s.agw;
	memcpy(w->key, cid.s, cid.len);
	memcpy(w->key + cid.len, tag.s, tag.len);
	w->keylen = cid.len + tag.len;
}

/* --- the ng command of an action, with failover for new calls --- */

static void set_err(const char *what, epc_span_t detail)
{
	char d[200];

	eimsagw_sanitize(detail, d, sizeof(d));
	snprintf(eimsagw_last_err, sizeof(eimsagw_last_err), "%s%s%s", what,
			d[0] ? ": " : "", d);
}

static eimsagw_ngcmd_t cmd_of(eimsagw_op_t op)
{
	return op == EIMSAGW_A_OFFER	? EIMSAGW_NG_OFFER
		   : op == EIMSAGW_A_ANSWER ? EIMSAGW_NG_ANSWER
									: EIMSAGW_NG_DELETE;
}

static void req_from(eimsagw_ngreq_t *r, const eimsagw_work_t *w,
		epc_span_t sdp, const eimsagw_profile_t *extra, sip_msg_t *msg,
		char *addr, size_t addrsz)
{
	memset(r, 0, sizeof(*r));
	r->cmd = cmd_of(w->a.op);
	r->call_id = w->a.call_id;
	r->from_tag = w->a.from_tag;
	r->to_tag = w->a.to_tag;
	r->via_branch = w->a.via_branch;
	r->delete_delay = eimsagw_delete_delay;
	if(w->a.op == EIMSAGW_A_DELETE)
		return;
	r->sdp = sdp;
	r->profile = &eimsagw_profiles[w->a.profile];
	r->extra = extra;
	if(msg) {
		int n = ip_addr2sbuf(&msg->rcv.src_ip, addr, (int)addrsz - 1);
		r->rcv_addr.s = addr;
		r->rcv_addr.len = n > 0 ? (size_t)n : 0;
		r->rcv_ipv6 = msg->rcv.src_ip.af == AF_INET6;
	}
}

static int run_delete(const eimsagw_work_t *w, eimsagw_ngreq_t *r)
{
	eimsagw_ngreply_t rp;
	str u = eimsagw_io_uri(w->agw);

	if(w->agw < 0)
		return EIMSAGW_RC_OK; /* never anchored */
	snprintf(eimsagw_last_agw, sizeof(eimsagw_last_agw), "%.*s", u.len, u.s);
	/* a down AGW lost its calls: do not block a worker (or tm's timer, for
	 * callback-driven deletes) on its timeouts */
	if(!eimsagw_io_up(w->agw)) {
		LM_INFO("call %.*s: AGW %.*s is down, nothing to delete there\n",
				(int)w->a.call_id.len, w->a.call_id.s, u.len, u.s);
		set_err("eIMS-AGW of this call is down", EPC_SPAN_NULL);
		return EIMSAGW_RC_NO_AGW;
	}
	if(eimsagw_io_request(w->agw, r, &rp, NULL) != EIMSAGW_IO_OK) {
		LM_WARN("call %.*s: delete not confirmed by AGW %.*s (%s); the AGW "
				"times the call out itself\n",
				(int)w->a.call_id.len, w->a.call_id.s, u.len, u.s,
				w->a.why ? w->a.why : "");
		set_err("no answer from the eIMS-AGW", EPC_SPAN_NULL);
		return EIMSAGW_RC_NO_AGW;
	}
	counter_inc(eimsagw_cnt.deletes);
	LM_DBG("call %.*s deleted at AGW %.*s (%s)\n", (int)w->a.call_id.len,
			w->a.call_id.s, u.len, u.s, w->a.why);
	return EIMSAGW_RC_OK;
}

/* Offer/answer at the session's AGW; a new call (or one whose AGW is
 * gone, on a new offer) tries the AGWs in rendezvous order. */
static int run_sdp(
		eimsagw_work_t *w, eimsagw_ngreq_t *r, eimsagw_ngreply_t *rp, int *used)
{
	epc_span_t key = {w->key, w->keylen};
	uint32_t exclude = 0;
	int agw = w->agw, roam = 0, rc;

	if(agw < 0 || !eimsagw_io_usable(agw)) {
		if(w->a.op != EIMSAGW_A_OFFER) {
			set_err("eIMS-AGW of this call is unavailable", EPC_SPAN_NULL);
			return EIMSAGW_RC_NO_AGW;
		}
		if(agw >= 0)
			LM_WARN("call %.*s: AGW %d is down, re-anchoring the new offer\n",
					(int)w->a.call_id.len, w->a.call_id.s, agw);
		roam = 1;
		agw = eimsagw_io_pick(key, 0);
	}
	for(;;) {
		if(agw < 0) {
			counter_inc(eimsagw_cnt.refused_no_agw);
			set_err("no eIMS-AGW available", EPC_SPAN_NULL);
			return EIMSAGW_RC_NO_AGW;
		}
		rc = eimsagw_io_request(agw, r, rp, NULL);
		if(rc == EIMSAGW_IO_E_BUILD) {
			set_err("SDP too large for the eIMS-AGW", EPC_SPAN_NULL);
			return EIMSAGW_RC_ERROR;
		}
		if(rc == EIMSAGW_IO_OK && !(roam && rp->overloaded))
			break;
		if(!roam) {
			if(rc == EIMSAGW_IO_OK)
				break;
			set_err("no answer from the eIMS-AGW", EPC_SPAN_NULL);
			return EIMSAGW_RC_NO_AGW;
		}
		exclude |= 1u << agw;
		counter_inc(eimsagw_cnt.failovers);
		LM_WARN("call %.*s: AGW %d failed, trying the next one\n",
				(int)w->a.call_id.len, w->a.call_id.s, agw);
		agw = eimsagw_io_pick(key, exclude);
	}
	*used = agw;
	if(rp->result != EIMSAGW_NGR_OK) {
		counter_inc(eimsagw_cnt.ng_errors);
		counter_inc(eimsagw_cnt.sdp_rejected);
		set_err("eIMS-AGW rejected the SDP", rp->error_reason);
		return EIMSAGW_RC_REJECTED;
	}
	if(rp->sdp.len == 0) {
		counter_inc(eimsagw_cnt.ng_errors);
		set_err("eIMS-AGW returned no SDP", EPC_SPAN_NULL);
		return EIMSAGW_RC_ERROR;
	}
	counter_inc(w->a.op == EIMSAGW_A_OFFER ? eimsagw_cnt.offers
										   : eimsagw_cnt.answers);
	return EIMSAGW_RC_OK;
}

/* A delete that cleans up after another outcome keeps $eimsagw(err). */
static void run_delete_quiet(const eimsagw_work_t *w)
{
	eimsagw_ngreq_t r;
	char err[sizeof(eimsagw_last_err)];

	memcpy(err, eimsagw_last_err, sizeof(err));
	req_from(&r, w, EPC_SPAN_NULL, NULL, NULL, NULL, 0);
	(void)run_delete(w, &r);
	memcpy(eimsagw_last_err, err, sizeof(err));
}

/* The end of a worker's exchange for session w->id (busy): record the AGW
 * it used, end the fork whose offer failed, and when the session is over
 * (by an event during the exchange, or by that failure) delete the call at
 * the AGW and remove it; else it is free again.
 * @return 1 if the session was ended by something else during the exchange */
static int release(const eimsagw_work_t *w, uint64_t fork, int used, int rc)
{
	eimsagw_entry_t *e;
	eimsagw_work_t d;
	eimsagw_event_t ab;
	int was_ended;

	memset(&d, 0, offsetof(eimsagw_work_t, a));
	lock_set_get(_tab->locks, w->h);
	e = find_id(w->h, w->id);
	if(!e) {
		lock_set_release(_tab->locks, w->h);
		return 0;
	}
	was_ended = e->s.state == EIMSAGW_S_ENDED;
	if(rc == EIMSAGW_RC_OK && used >= 0)
		e->s.agw = used;
	if(rc != EIMSAGW_RC_OK && w->a.new_fork && !was_ended) {
		memset(&ab, 0, sizeof(ab));
		ab.kind = EIMSAGW_EV_FORK_ABORT;
		ab.fork = fork;
		ab.now = eimsagw_now();
		(void)eimsagw_step(&e->s, &ab, &d.a);
	}
	if(e->s.state != EIMSAGW_S_ENDED) {
		e->busy = 0;
		lock_set_release(_tab->locks, w->h);
		return 0;
	}
	d.h = w->h;
	work_from(&d, e);
	eimsagw_sess_delete_action(&e->s, &d.a,
			was_ended ? "ended during the exchange" : "media not anchored");
	lock_set_release(_tab->locks, w->h);
	run_delete_quiet(&d);
	remove_id(d.h, d.id);
	return was_ended;
}

/* The message whose SDP this process replaced last (a second call for the
 * same message must not send the AGW its own SDP). */
static unsigned int _rewritten_id = 0;
static int _rewritten_pid = 0;

/* The SDP as changed so far in this route (by an earlier SDP editor such
 * as sdp_unbundle): the message built with its pending changes, the part
 * after the headers. Only for a body that is all SDP, in routes where the
 * message and its changes are this process's (pkg) own.
 * @return 0 and *cur (pkg, caller frees), or -1 */
static int pending_sdp(sip_msg_t *msg, str *cur)
{
	dest_info_t dst;
	struct lump *hdr_lumps;
	unsigned int len = 0;
	char *buf, *p, *end;

	if(!(get_route_type() & (REQUEST_ROUTE | ONREPLY_ROUTE))
			|| parse_content_type_hdr(msg)
					   != ((TYPE_APPLICATION << 16) | SUBTYPE_SDP))
		return -1;
	init_dest_info(&dst);
	dst.proto = PROTO_UDP;
	/* building the message adds a Content-Length lump to the header lumps
	 * (add_rm): build without them (only the body is wanted) and throw
	 * what the build added away */
	hdr_lumps = msg->add_rm;
	msg->add_rm = NULL;
	if(msg->first_line.type == SIP_REPLY)
		buf = generate_res_buf_from_sip_res(msg, &len, BUILD_NO_VIA1_UPDATE);
	else
		buf = build_req_buf_from_sip_req(msg, &len, &dst,
				BUILD_NO_PATH | BUILD_NO_LOCAL_VIA | BUILD_NO_VIA1_UPDATE);
	if(msg->add_rm)
		free_lump_list(msg->add_rm);
	msg->add_rm = hdr_lumps;
	if(!buf)
		return -1;
	end = buf + len;
	for(p = buf; p + 3 < end; p++) {
		if(p[0] == '\r' && p[1] == '\n' && p[2] == '\r' && p[3] == '\n')
			break;
	}
	if(p + 3 >= end) {
		pkg_free(buf);
		return -1;
	}
	p += 4;
	cur->len = (int)(end - p);
	cur->s = pkg_malloc(cur->len ? cur->len : 1);
	if(!cur->s) {
		pkg_free(buf);
		PKG_MEM_ERROR;
		return -1;
	}
	memcpy(cur->s, p, cur->len);
	pkg_free(buf);
	return 0;
}

/* Replace the SDP of msg by the AGW's (and drop the earlier, pending
 * changes of the body: the AGW's SDP was made from them). */
static int rewrite(sip_msg_t *msg, str *sdp, epc_span_t with)
{
	struct lump *anchor;
	char *buf;

	buf = pkg_malloc(with.len);
	if(!buf) {
		PKG_MEM_ERROR;
		return -1;
	}
	memcpy(buf, with.s, with.len);
	if(msg->body_lumps) {
		free_lump_list(msg->body_lumps);
		msg->body_lumps = NULL;
	}
	anchor = del_lump(msg, (int)(sdp->s - msg->buf), sdp->len, 0);
	if(!anchor || !insert_new_lump_after(anchor, buf, (int)with.len, 0)) {
		LM_ERR("cannot replace the SDP body\n");
		pkg_free(buf);
		return -1;
	}
	_rewritten_id = msg->id;
	_rewritten_pid = my_pid();
	return 0;
}

/* --- SIP message -> event --- */

static eimsagw_method_t method_of(unsigned int m)
{
	switch(m) {
		case METHOD_INVITE:
			return EIMSAGW_M_INVITE;
		case METHOD_ACK:
			return EIMSAGW_M_ACK;
		case METHOD_BYE:
			return EIMSAGW_M_BYE;
		case METHOD_CANCEL:
			return EIMSAGW_M_CANCEL;
		case METHOD_UPDATE:
			return EIMSAGW_M_UPDATE;
		case METHOD_PRACK:
			return EIMSAGW_M_PRACK;
	}
	return EIMSAGW_M_OTHER;
}

static int has_rseq(sip_msg_t *msg)
{
	struct hdr_field *hf;

	for(hf = msg->headers; hf; hf = hf->next) {
		if(hf->name.len == 4 && strncasecmp(hf->name.s, "RSeq", 4) == 0)
			return 1;
	}
	return 0;
}

static epc_span_t str_span(str s)
{
	epc_span_t r = {s.len > 0 ? s.s : NULL, s.len > 0 ? (size_t)s.len : 0};
	return r;
}

/* The fork key of a request: its top Via branch (the whole top Via for
 * an RFC 2543 client without one). */
static uint64_t fork_key(sip_msg_t *msg)
{
	struct via_body *v = msg->via1;

	if(v && v->branch && v->branch->value.len > 0)
		return eimsagw_fork_key(str_span(v->branch->value));
	if(msg->h_via1)
		return eimsagw_fork_key(str_span(msg->h_via1->body));
	return eimsagw_fork_key(EPC_SPAN_NULL);
}

static int msg_event(sip_msg_t *msg, int rx_side, eimsagw_event_t *ev, str *sdp)
{
	str cid;
	int len = 0;

	memset(ev, 0, sizeof(*ev));
	sdp->s = NULL;
	sdp->len = 0;
	if(parse_headers(msg, HDR_EOH_F, 0) < 0 || !msg->callid || !msg->from
			|| !msg->to || !msg->cseq || parse_from_header(msg) < 0
			|| !msg->to->parsed) {
		LM_ERR("message without parsable Call-ID/From/To/CSeq\n");
		return -1;
	}
	cid = msg->callid->body;
	trim(&cid);
	ev->call_id = str_span(cid);
	ev->from_tag = str_span(get_from(msg)->tag_value);
	ev->to_tag = str_span(get_to(msg)->tag_value);
	if(msg->first_line.type == SIP_REQUEST) {
		ev->kind = EIMSAGW_EV_REQUEST;
		ev->method = method_of(msg->first_line.u.request.method_value);
		ev->fork = fork_key(msg);
	} else {
		ev->kind = EIMSAGW_EV_REPLY;
		ev->status = (int)msg->first_line.u.reply.statuscode;
		ev->method = method_of(get_cseq(msg)->method_id);
		ev->reliable = ev->status > 100 && ev->status < 200 && has_rseq(msg);
	}
	if(rx_side != EIMSAGW_SIDE_AUTO)
		ev->rx_side = rx_side;
	else
		ev->rx_side =
				(msg->rcv.proto == PROTO_WS || msg->rcv.proto == PROTO_WSS)
						? EIMSAGW_SIDE_W2
						: EIMSAGW_SIDE_MW;
	sdp->s = get_body_part(msg, TYPE_APPLICATION, SUBTYPE_SDP, &len);
	sdp->len = sdp->s ? len : 0;
	ev->has_sdp = sdp->len > 0;
	ev->now = eimsagw_now();
	return 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Longest a session stays busy: an exchange failing over across every
 * AGW, or a delete, each retransmitted. */
static int64_t busy_wait_ms(void)
{
	int n = eimsagw_io_count();

	return (int64_t)(1 + eimsagw_ng_retries) * eimsagw_ng_timeout
				   * ((n > 0 ? n : 1) + 1)
		   + 200;
}

static int step_error(const eimsagw_event_t *ev, int rc)
{
	switch(rc) {
		case EIMSAGW_SESS_E_LATE:
			LM_INFO("call %.*s: SDP of a fork after the call was answered by "
					"another: not anchored\n",
					(int)ev->call_id.len, ev->call_id.s);
			set_err("the call was answered by another fork", EPC_SPAN_NULL);
			return EIMSAGW_RC_LATE;
		case EIMSAGW_SESS_E_FORKS:
			LM_WARN("call %.*s: more than %d parallel forks\n",
					(int)ev->call_id.len, ev->call_id.s, EIMSAGW_FORK_MAX);
			set_err("too many parallel forks of the call", EPC_SPAN_NULL);
			return EIMSAGW_RC_LIMIT;
		default:
			LM_ERR("call %.*s: tag too long to track\n", (int)ev->call_id.len,
					ev->call_id.s);
			set_err("Call-ID or tag too long", EPC_SPAN_NULL);
			return EIMSAGW_RC_ERROR;
	}
}

/* Locked part for a SIP event: wait until its session is not busy, step
 * it, and own it (busy) when there is an ng command to send.
 * @return 1 work to do, 0 nothing, < 0 rc */
static int step_message(const eimsagw_event_t *ev, eimsagw_work_t *w)
{
	eimsagw_entry_t *e;
	int64_t deadline = 0;
	int spiral, rc = 0;

	memset(w, 0, offsetof(eimsagw_work_t, a));
	w->a.op = EIMSAGW_A_NONE;
	w->h = bucket_of(ev->call_id);
	for(;;) {
		lock_set_get(_tab->locks, w->h);
		e = find_best(w->h, ev, &spiral);
		if(!e || !e->busy)
			break;
		lock_set_release(_tab->locks, w->h);
		if(deadline == 0) {
			deadline = mono_ms() + busy_wait_ms();
		} else if(mono_ms() > deadline) {
			LM_WARN("call %.*s: its media session stayed busy, giving up\n",
					(int)ev->call_id.len, ev->call_id.s);
			set_err("eIMS-AGW busy with this call", EPC_SPAN_NULL);
			return EIMSAGW_RC_NO_AGW;
		}
		sleep_us(500);
	}
	if(!e && eimsagw_sess_creates(ev)) {
		e = create(w->h, ev, spiral, &rc);
		w->created = 1;
	}
	if(!e) {
		lock_set_release(_tab->locks, w->h);
		return rc;
	}
	work_from(w, e);
	rc = eimsagw_step(&e->s, ev, &w->a);
	if(rc < 0 || w->a.op == EIMSAGW_A_NONE) {
		if(w->created && rc < 0)
			unlink_entry(w->h, e);
		lock_set_release(_tab->locks, w->h);
		return rc < 0 ? step_error(ev, rc) : 0;
	}
	e->busy = 1;
	lock_set_release(_tab->locks, w->h);
	return 1;
}

/* Step the session of ev and do its ng command; sdp is the body part to
 * replace, in its form for the AGW. @return EIMSAGW_RC_* */
static int anchor_message(sip_msg_t *msg, const eimsagw_event_t *ev,
		const eimsagw_profile_t *extra, str *sdp, str *in)
{
	eimsagw_work_t w;
	eimsagw_ngreq_t r;
	eimsagw_ngreply_t rp;
	char addr[IP_ADDR_MAX_STR_SIZE + 1];
	str u;
	int rc, used = -1;

	rc = step_message(ev, &w);
	if(rc <= 0) {
		if(rc == EIMSAGW_RC_LIMIT && !eimsagw_last_err[0])
			set_err("too many media sessions", EPC_SPAN_NULL);
		return rc == 0 ? EIMSAGW_RC_NOTHING : rc;
	}
	req_from(&r, &w, str_span(*in), extra, msg, addr, sizeof(addr));
	if(w.a.op == EIMSAGW_A_DELETE) {
		rc = run_delete(&w, &r);
		remove_id(w.h, w.id);
		return rc;
	}
	rc = run_sdp(&w, &r, &rp, &used);
	u = eimsagw_io_uri(used);
	if(used >= 0)
		snprintf(
				eimsagw_last_agw, sizeof(eimsagw_last_agw), "%.*s", u.len, u.s);
	if(rc != EIMSAGW_RC_OK)
		LM_ERR("call %.*s: ng %s (%s) failed: %s\n", (int)ev->call_id.len,
				ev->call_id.s, eimsagw_ng_cmd_name(r.cmd), w.a.why,
				eimsagw_last_err);
	if(release(&w, ev->fork, used, rc) && rc == EIMSAGW_RC_OK) {
		/* the call ended while we talked to the AGW (deleted there by
		 * release()): this message must not go on with the AGW's SDP of a
		 * call that is gone, nor with its own */
		LM_INFO("call %.*s: ended during the %s exchange, not forwarding "
				"its SDP\n",
				(int)ev->call_id.len, ev->call_id.s,
				eimsagw_ng_cmd_name(r.cmd));
		set_err("the call ended during media setup", EPC_SPAN_NULL);
		return EIMSAGW_RC_ERROR;
	}
	if(rc != EIMSAGW_RC_OK)
		return rc;
	if(w.a.rewrite && rewrite(msg, sdp, rp.sdp) < 0) {
		if(w.a.new_fork) {
			/* the request is refused: its fork is over */
			str cid = {(char *)ev->call_id.s, (int)ev->call_id.len};
			str tag = {(char *)ev->from_tag.s, (int)ev->from_tag.len};
			eimsagw_table_event(EIMSAGW_EV_FORK_ABORT, &cid, &tag, NULL,
					ev->fork, ev->rx_side, 0);
		}
		set_err("cannot rewrite the SDP", EPC_SPAN_NULL);
		return EIMSAGW_RC_ERROR;
	}
	LM_DBG("call %.*s: %s via %s at AGW %d\n", (int)ev->call_id.len,
			ev->call_id.s, w.a.why, eimsagw_prof_name(w.a.profile), used);
	return EIMSAGW_RC_OK;
}

int eimsagw_table_message(
		sip_msg_t *msg, const eimsagw_profile_t *extra, int delete_only)
{
	eimsagw_event_t ev;
	str sdp, cur = STR_NULL;
	int rc;

	eimsagw_last_err[0] = '\0';
	eimsagw_last_agw[0] = '\0';
	if(msg_event(msg, extra ? extra->rx_side : EIMSAGW_SIDE_AUTO, &ev, &sdp)
			< 0) {
		set_err("malformed SIP message", EPC_SPAN_NULL);
		return EIMSAGW_RC_ERROR;
	}
	if(delete_only) {
		eimsagw_table_event(EIMSAGW_EV_DELETE, &msg->callid->body,
				&get_from(msg)->tag_value, NULL, 0, EIMSAGW_SIDE_AUTO, 0);
		if(get_to(msg)->tag_value.len)
			eimsagw_table_event(EIMSAGW_EV_DELETE, &msg->callid->body,
					&get_to(msg)->tag_value, NULL, 0, EIMSAGW_SIDE_AUTO, 0);
		return EIMSAGW_RC_OK;
	}
	if(ev.has_sdp && msg->body_lumps) {
		if((msg->id == _rewritten_id && my_pid() == _rewritten_pid)
				|| pending_sdp(msg, &cur) < 0) {
			LM_ERR("call %.*s: the SDP was already changed in this route "
				   "and cannot be taken as it is now (multipart body, or "
				   "eimsagw_manage() twice on one message)\n",
					(int)ev.call_id.len, ev.call_id.s);
			set_err("SDP already modified", EPC_SPAN_NULL);
			return EIMSAGW_RC_ERROR;
		}
	}
	rc = anchor_message(msg, &ev, extra, &sdp, cur.s ? &cur : &sdp);
	if(cur.s)
		pkg_free(cur.s);
	if(rc == EIMSAGW_RC_NOTHING && ev.has_sdp) {
		/* SDP no session anchors must not go on as it is */
		str m = msg->first_line.type == SIP_REQUEST
						? msg->first_line.u.request.method
						: get_cseq(msg)->method;

		LM_INFO("call %.*s: SDP in %s %.*s with no media session to anchor "
				"it\n",
				(int)ev.call_id.len, ev.call_id.s,
				ev.kind == EIMSAGW_EV_REPLY ? "reply to" : "request", m.len,
				m.s);
		set_err("no media session for this SDP", EPC_SPAN_NULL);
		return EIMSAGW_RC_UNANCHORED;
	}
	return rc;
}

/* --- non-SIP events (tm, dialog, RPC, timer) --- */

/* Step e by ev (bucket lock held). If that ends it: a busy session is left
 * to its owner (which deletes it when its exchange returns); else it is
 * taken (busy) into *w for the caller to delete and remove.
 * @return 1 if *w is to be deleted */
static int step_event(unsigned int h, eimsagw_entry_t *e,
		const eimsagw_event_t *ev, eimsagw_work_t *w)
{
	memset(w, 0, offsetof(eimsagw_work_t, a));
	w->h = h;
	work_from(w, e);
	if(eimsagw_step(&e->s, ev, &w->a) <= 0 || !w->a.end)
		return 0;
	if(e->busy) {
		LM_DBG("call %.*s: ended (%s) during an exchange; its owner deletes "
			   "it\n",
				(int)w->a.call_id.len, w->a.call_id.s, w->a.why);
		return 0;
	}
	e->busy = 1;
	return 1;
}

static void end_work(eimsagw_work_t *w, int cleanup)
{
	eimsagw_ngreq_t r;

	req_from(&r, w, EPC_SPAN_NULL, NULL, NULL, NULL, 0);
	if(cleanup) {
		counter_inc(eimsagw_cnt.cleanups);
		LM_INFO("call %.*s: media session removed (%s)\n",
				(int)w->a.call_id.len, w->a.call_id.s, w->a.why);
	} else {
		LM_DBG("call %.*s: media session ended (%s)\n", (int)w->a.call_id.len,
				w->a.call_id.s, w->a.why);
	}
	(void)run_delete(w, &r);
	remove_id(w->h, w->id);
}

void eimsagw_table_event(eimsagw_evkind_t kind, str *callid, str *tag,
		str *to_tag, uint64_t fork, int rx_side, int cleanup)
{
	eimsagw_event_t ev;
	eimsagw_work_t w[EIMSAGW_EV_BATCH];
	eimsagw_entry_t *e;
	unsigned int h;
	str cid;
	int n = 0, i;

	if(!_tab || !callid || !tag || callid->len <= 0 || tag->len <= 0)
		return;
	cid = *callid;
	trim(&cid);
	memset(&ev, 0, sizeof(ev));
	ev.kind = kind;
	ev.call_id = str_span(cid);
	ev.from_tag = str_span(*tag);
	if(to_tag)
		ev.to_tag = str_span(*to_tag);
	ev.fork = fork;
	ev.rx_side = rx_side;
	ev.now = eimsagw_now();
	h = bucket_of(ev.call_id);
	lock_set_get(_tab->locks, h);
	for(e = _tab->buckets[h]; e && n < EIMSAGW_EV_BATCH; e = e->next) {
		if(eimsagw_sess_match(&e->s, &ev) == EIMSAGW_MATCH_EXACT)
			n += step_event(h, e, &ev, &w[n]);
	}
	lock_set_release(_tab->locks, h);
	for(i = 0; i < n; i++)
		end_work(&w[i], cleanup);
}

void eimsagw_table_sweep(int64_t now)
{
	eimsagw_event_t ev;
	eimsagw_work_t *w;
	eimsagw_entry_t *e;
	unsigned int h;
	int n, i;

	if(!_tab || (eimsagw_early_timeout <= 0 && eimsagw_session_lifetime <= 0))
		return;
	w = pkg_malloc(sizeof(*w) * EIMSAGW_EV_BATCH);
	if(!w) {
		PKG_MEM_ERROR;
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.kind = EIMSAGW_EV_SWEEP;
	ev.now = now;
	ev.early_timeout = eimsagw_early_timeout;
	ev.lifetime = eimsagw_session_lifetime;
	for(h = 0; h < _tab->size; h++) {
		do {
			n = 0;
			lock_set_get(_tab->locks, h);
			/* a busy session is in use: not stale */
			for(e = _tab->buckets[h]; e && n < EIMSAGW_EV_BATCH; e = e->next) {
				if(!e->busy)
					n += step_event(h, e, &ev, &w[n]);
			}
			lock_set_release(_tab->locks, h);
			for(i = 0; i < n; i++)
				end_work(&w[i], 1);
		} while(n == EIMSAGW_EV_BATCH);
	}
	pkg_free(w);
}

int eimsagw_table_snapshot(
		eimsagw_sess_t **out, int max, const str *callid, int *total)
{
	eimsagw_sess_t *arr;
	eimsagw_entry_t *e;
	unsigned int h, from = 0, to;
	int n = 0, seen = 0;

	*out = NULL;
	*total = 0;
	if(!_tab || max <= 0)
		return 0;
	arr = pkg_malloc(sizeof(*arr) * max);
	if(!arr) {
		PKG_MEM_ERROR;
		return -1;
	}
	to = _tab->size;
	if(callid) {
		epc_span_t c = {callid->s, (size_t)callid->len};
		from = bucket_of(c);
		to = from + 1;
	}
	for(h = from; h < to; h++) {
		lock_set_get(_tab->locks, h);
		for(e = _tab->buckets[h]; e; e = e->next) {
			epc_span_t c = eimsagw_sess_str(&e->s, e->s.call_id);
			if(e->s.state == EIMSAGW_S_ENDED)
				continue; /* being deleted */
			if(callid
					&& !epc_span_eq(
							c, (epc_span_t){callid->s, (size_t)callid->len}))
				continue;
			seen++;
			if(n < max)
				memcpy(&arr[n++], &e->s, sizeof(e->s));
		}
		lock_set_release(_tab->locks, h);
	}
	*out = arr;
	*total = seen;
	return n;
}

void eimsagw_table_per_agw(int *counts, int n)
{
	eimsagw_entry_t *e;
	unsigned int h;

	memset(counts, 0, sizeof(int) * n);
	if(!_tab)
		return;
	for(h = 0; h < _tab->size; h++) {
		lock_set_get(_tab->locks, h);
		for(e = _tab->buckets[h]; e; e = e->next) {
			if(e->s.state != EIMSAGW_S_ENDED && e->s.agw >= 0 && e->s.agw < n)
				counts[e->s.agw]++;
		}
		lock_set_release(_tab->locks, h);
	}
}

/* --- tm: each initial INVITE transaction (fork) and BYE --- */

/* One per initial INVITE transaction: its call and fork (the top Via
 * branch of the INVITE as received). Its final reply sent upstream, or its
 * end without one, is the fork's outcome; the session counts each fork's
 * outcome once (a fork leaves the pending state once). */
typedef struct eimsagw_tmkey
{
	int rx_side;
	uint64_t fork;
	str callid;
	str tag;
} eimsagw_tmkey_t;

static void tmkey_free(void *p)
{
	shm_free(p);
}

static void tm_cb(struct cell *t, int type, struct tmcb_params *ps)
{
	eimsagw_tmkey_t *k = ps->param ? (eimsagw_tmkey_t *)*ps->param : NULL;

	(void)t;
	if(!k)
		return;
	if(type == TMCB_RESPONSE_OUT && ps->code >= 300)
		eimsagw_table_event(EIMSAGW_EV_TM_FAILED, &k->callid, &k->tag, NULL,
				k->fork, k->rx_side, 0);
	else if(type == TMCB_RESPONSE_OUT && ps->code >= 200 && ps->rpl
			&& ps->rpl != FAKED_REPLY
			&& parse_headers(ps->rpl, HDR_TO_F, 0) == 0 && ps->rpl->to
			&& ps->rpl->to->parsed)
		eimsagw_table_event(EIMSAGW_EV_TM_ANSWERED, &k->callid, &k->tag,
				&get_to(ps->rpl)->tag_value, k->fork, k->rx_side, 0);
	else if(type == TMCB_DESTROY)
		eimsagw_table_event(EIMSAGW_EV_TM_GONE, &k->callid, &k->tag, NULL,
				k->fork, k->rx_side, 1);
}

/* A BYE relayed statefully ends its call's media even when no dialog
 * follows the call (e.g. the dialog module's spiral detection kept only
 * the dialog of a fork that failed) and the script does not pass the BYE
 * to eimsagw_manage(); with a dialog the session is usually gone already.
 * $eimsagw() of the script is left as it was. */
static void tm_bye(sip_msg_t *msg)
{
	eimsagw_event_t ev;
	char err[sizeof(eimsagw_last_err)], agw[sizeof(eimsagw_last_agw)];
	str sdp;

	if(msg_event(msg, EIMSAGW_SIDE_AUTO, &ev, &sdp) < 0)
		return;
	memcpy(err, eimsagw_last_err, sizeof(err));
	memcpy(agw, eimsagw_last_agw, sizeof(agw));
	ev.has_sdp = 0;
	sdp.s = NULL;
	sdp.len = 0;
	(void)anchor_message(msg, &ev, NULL, &sdp, &sdp);
	memcpy(eimsagw_last_err, err, sizeof(err));
	memcpy(eimsagw_last_agw, agw, sizeof(agw));
}

static void tm_request_in(struct cell *t, int type, struct tmcb_params *ps)
{
	sip_msg_t *msg = ps->req;
	eimsagw_tmkey_t *k;
	str cid, tag;

	(void)type;
	if(!msg || msg->first_line.type != SIP_REQUEST)
		return;
	if(msg->first_line.u.request.method_value == METHOD_BYE) {
		tm_bye(msg);
		return;
	}
	if(msg->first_line.u.request.method_value != METHOD_INVITE)
		return;
	if(parse_headers(msg, HDR_CALLID_F | HDR_FROM_F | HDR_TO_F, 0) < 0
			|| !msg->callid || !msg->to || !msg->to->parsed
			|| get_to(msg)->tag_value.len > 0 || parse_from_header(msg) < 0)
		return;
	cid = msg->callid->body;
	trim(&cid);
	tag = get_from(msg)->tag_value;
	k = shm_malloc(sizeof(*k) + cid.len + tag.len);
	if(!k) {
		SHM_MEM_ERROR;
		return;
	}
	k->rx_side = (msg->rcv.proto == PROTO_WS || msg->rcv.proto == PROTO_WSS)
						 ? EIMSAGW_SIDE_W2
						 : EIMSAGW_SIDE_MW;
	k->fork = fork_key(msg);
	k->callid.s = (char *)(k + 1);
	k->callid.len = cid.len;
	memcpy(k->callid.s, cid.s, cid.len);
	k->tag.s = k->callid.s + cid.len;
	k->tag.len = tag.len;
	memcpy(k->tag.s, tag.s, tag.len);
	if(_tmb.register_tmcb(
			   0, t, TMCB_RESPONSE_OUT | TMCB_DESTROY, tm_cb, k, tmkey_free)
			< 0) {
		LM_ERR("cannot register tm callbacks\n");
		shm_free(k);
	}
}

/* --- dialog: the end of the dialog, however it ends --- */

static void dlg_ended(struct dlg_cell *dlg, int type, struct dlg_cb_params *p)
{
	(void)p;
	/* BYE (terminated) and negative final replies (failed) are the normal
	 * ends; expiry and destruction of a dialog that still has media are
	 * cleanups (see the "cleanups" counter). The callee tag tells whose
	 * dialog it was: with parallel forks each fork may have its own (or
	 * only the first one a dialog); before the answer the forks'
	 * transactions decide, after it only the confirmed dialog's end
	 * counts (eimsagw_sess.c) */
	eimsagw_table_event(EIMSAGW_EV_DLG_ENDED, &dlg->callid,
			&dlg->tag[DLG_CALLER_LEG], &dlg->tag[DLG_CALLEE_LEG], 0,
			EIMSAGW_SIDE_AUTO, (type & (DLGCB_EXPIRED | DLGCB_DESTROY)) != 0);
}

static void dlg_created(struct dlg_cell *dlg, int type, struct dlg_cb_params *p)
{
	(void)type;
	(void)p;
	if(_dlgb.register_dlgcb(dlg,
			   DLGCB_TERMINATED | DLGCB_EXPIRED | DLGCB_FAILED | DLGCB_DESTROY,
			   dlg_ended, NULL, NULL)
			!= 0)
		LM_ERR("cannot register dialog callbacks\n");
}

int eimsagw_table_hooks(void)
{
	if(load_tm_api(&_tmb) < 0) {
		LM_ERR("cannot bind tm (load tm.so before eimsagw_ctl.so)\n");
		return -1;
	}
	if(_tmb.register_tmcb(0, 0, TMCB_REQUEST_IN, tm_request_in, 0, 0) <= 0) {
		LM_ERR("cannot register the tm REQUEST_IN callback\n");
		return -1;
	}
	if(module_loaded("dialog")) {
		if(load_dlg_api(&_dlgb) < 0) {
			LM_ERR("cannot bind the dialog module\n");
			return -1;
		}
		if(_dlgb.register_dlgcb(NULL, DLGCB_CREATED, dlg_created, NULL, NULL)
				!= 0) {
			LM_ERR("cannot register the dialog CREATED callback\n");
			return -1;
		}
		_have_dlg = 1;
	} else if(eimsagw_session_lifetime <= 0) {
		LM_WARN("dialog module not loaded and session_lifetime is 0: a "
				"confirmed call whose BYE the script does not pass to "
				"eimsagw_manage() stays in the session table\n");
	}
	return 0;
}
