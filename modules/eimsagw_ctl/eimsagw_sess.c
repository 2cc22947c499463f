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

#include "eimsagw_sess.h"
#include "eimsagw_set.h"

epc_span_t eimsagw_sess_str(const eimsagw_sess_t *s, eimsagw_ref_t r)
{
	epc_span_t out = {r.len ? s->pool + r.off : NULL, r.len};
	return out;
}

uint64_t eimsagw_fork_key(epc_span_t branch)
{
	uint64_t k = eimsagw_hash64(branch, EPC_SPAN_NULL);

	return k ? k : 1;
}

int eimsagw_sess_forks_pending(const eimsagw_sess_t *s)
{
	uint32_t i;
	int n = 0;

	for(i = 0; i < s->nforks && i < EIMSAGW_FORK_MAX; i++)
		n += s->forks[i].state == EIMSAGW_FORK_PENDING;
	return n;
}

static eimsagw_fork_t *fork_find(eimsagw_sess_t *s, uint64_t key)
{
	uint32_t i;

	for(i = 0; i < s->nforks && i < EIMSAGW_FORK_MAX; i++) {
		if(s->forks[i].key == key)
			return &s->forks[i];
	}
	return NULL;
}

static int pool_add(eimsagw_sess_t *s, epc_span_t v, eimsagw_ref_t *r)
{
	if(v.len > EIMSAGW_POOL_MAX - s->pool_len)
		return EIMSAGW_SESS_E_LONG;
	if(v.len)
		memcpy(s->pool + s->pool_len, v.s, v.len);
	r->off = (uint16_t)s->pool_len;
	r->len = (uint16_t)v.len;
	s->pool_len += (uint32_t)v.len;
	return 0;
}

static int other_side(int side)
{
	return side == EIMSAGW_SIDE_W2 ? EIMSAGW_SIDE_MW : EIMSAGW_SIDE_W2;
}

static int other_role(int role)
{
	return role == EIMSAGW_ROLE_CALLER ? EIMSAGW_ROLE_CALLEE
									   : EIMSAGW_ROLE_CALLER;
}

static int is_sip(const eimsagw_event_t *ev)
{
	return ev->kind == EIMSAGW_EV_REQUEST || ev->kind == EIMSAGW_EV_REPLY;
}

int eimsagw_sess_creates(const eimsagw_event_t *ev)
{
	return ev->kind == EIMSAGW_EV_REQUEST && ev->method == EIMSAGW_M_INVITE
		   && ev->to_tag.len == 0;
}

/* Role of the party that sent ev (replies: the responder). */
static int sender_role(const eimsagw_sess_t *s, const eimsagw_event_t *ev)
{
	int from_caller =
			epc_span_eq(ev->from_tag, eimsagw_sess_str(s, s->init_tag));

	if(ev->kind == EIMSAGW_EV_REPLY)
		return from_caller ? EIMSAGW_ROLE_CALLEE : EIMSAGW_ROLE_CALLER;
	return from_caller ? EIMSAGW_ROLE_CALLER : EIMSAGW_ROLE_CALLEE;
}

static int role_side(const eimsagw_sess_t *s, int role)
{
	return role == EIMSAGW_ROLE_CALLER ? s->caller_side
									   : other_side(s->caller_side);
}

/* The callee's tag in this message: the tag that is not the caller's. */
static epc_span_t callee_tag(const eimsagw_sess_t *s, const eimsagw_event_t *ev)
{
	if(epc_span_eq(ev->from_tag, eimsagw_sess_str(s, s->init_tag)))
		return ev->to_tag;
	return ev->from_tag;
}

int eimsagw_sess_match(const eimsagw_sess_t *s, const eimsagw_event_t *ev)
{
	epc_span_t init = eimsagw_sess_str(s, s->init_tag);

	if(!epc_span_eq(ev->call_id, eimsagw_sess_str(s, s->call_id)))
		return EIMSAGW_MATCH_NO;
	if(!epc_span_eq(ev->from_tag, init) && !epc_span_eq(ev->to_tag, init))
		return EIMSAGW_MATCH_NO;
	if(ev->rx_side == EIMSAGW_SIDE_AUTO)
		return EIMSAGW_MATCH_EXACT;
	if(role_side(s, sender_role(s, ev)) != ev->rx_side)
		return EIMSAGW_MATCH_TAGS;
	return EIMSAGW_MATCH_EXACT;
}

int eimsagw_sess_init(eimsagw_sess_t *s, const eimsagw_event_t *ev, int spiral)
{
	if(!eimsagw_sess_creates(ev) || ev->call_id.len == 0
			|| ev->from_tag.len == 0
			|| (ev->rx_side != EIMSAGW_SIDE_W2
					&& ev->rx_side != EIMSAGW_SIDE_MW))
		return EIMSAGW_SESS_E_ARG;
	if(ev->call_id.len > EIMSAGW_CALLID_MAX
			|| ev->from_tag.len > EIMSAGW_TAG_MAX)
		return EIMSAGW_SESS_E_LONG;
	memset(s, 0, sizeof(*s));
	s->state = EIMSAGW_S_NEW;
	s->caller_side = ev->rx_side;
	s->agw = -1;
	s->spiral = spiral ? 1 : 0;
	s->created = ev->now;
	s->updated = ev->now;
	if(pool_add(s, ev->call_id, &s->call_id) < 0
			|| pool_add(s, ev->from_tag, &s->init_tag) < 0)
		return EIMSAGW_SESS_E_LONG;
	return 0;
}

epc_span_t eimsagw_sess_ng_call_id(
		const eimsagw_sess_t *s, char *buf, size_t cap)
{
	epc_span_t cid = eimsagw_sess_str(s, s->call_id);
	size_t sl = s->spiral ? sizeof(EIMSAGW_SPIRAL_SUFFIX) - 1 : 0;
	epc_span_t out = EPC_SPAN_NULL;

	if(cid.len + sl > cap)
		return out;
	memcpy(buf, cid.s, cid.len);
	if(sl)
		memcpy(buf + cid.len, EIMSAGW_SPIRAL_SUFFIX, sl);
	out.s = buf;
	out.len = cid.len + sl;
	return out;
}

/* --- actions --- */

static epc_span_t act_copy(eimsagw_actions_t *a, epc_span_t v)
{
	epc_span_t out = EPC_SPAN_NULL;

	if(v.len == 0 || v.len > sizeof(a->buf) - a->used)
		return out;
	memcpy(a->buf + a->used, v.s, v.len);
	out.s = a->buf + a->used;
	out.len = v.len;
	a->used += v.len;
	return out;
}

static void act_ids(eimsagw_actions_t *a, const eimsagw_sess_t *s)
{
	a->call_id = eimsagw_sess_ng_call_id(
			s, a->buf + a->used, sizeof(a->buf) - a->used);
	a->used += a->call_id.len;
}

void eimsagw_sess_delete_action(
		const eimsagw_sess_t *s, eimsagw_actions_t *a, const char *why)
{
	memset(a, 0, offsetof(eimsagw_actions_t, buf));
	act_ids(a, s);
	a->op = EIMSAGW_A_DELETE;
	a->from_tag = act_copy(a, eimsagw_sess_str(s, s->init_tag));
	a->end = 1;
	a->why = why;
}

/* The whole call at the AGW goes away: delete by Call-ID and caller tag. */
static int act_end(eimsagw_sess_t *s, eimsagw_actions_t *a, const char *why)
{
	eimsagw_sess_delete_action(s, a, why);
	s->state = EIMSAGW_S_ENDED;
	return 1;
}

/* A fork is over (failed, cancelled, not anchored): the call ends when it
 * was never answered and no other fork is still pending. */
static int fork_over(eimsagw_sess_t *s, eimsagw_actions_t *a, uint64_t key,
		uint32_t how, const char *why)
{
	eimsagw_fork_t *f = fork_find(s, key);

	if(f) {
		if(f->state == EIMSAGW_FORK_PENDING)
			f->state = how;
	} else if(s->nforks) {
		return 0; /* a transaction this session does not know */
	}
	if(s->state >= EIMSAGW_S_CONFIRMED || eimsagw_sess_forks_pending(s))
		return 0;
	return act_end(s, a, why);
}

static eimsagw_prof_t profile_for(eimsagw_op_t op, int dest_side)
{
	if(op == EIMSAGW_A_OFFER)
		return dest_side == EIMSAGW_SIDE_W2 ? EIMSAGW_P_OFFER_TO_W2
											: EIMSAGW_P_OFFER_TO_IMS;
	return dest_side == EIMSAGW_SIDE_W2 ? EIMSAGW_P_ANSWER_TO_W2
										: EIMSAGW_P_ANSWER_TO_IMS;
}

/* Offer or answer of the SDP in ev; offerer = role that made the offer. */
static int act_sdp(eimsagw_sess_t *s, const eimsagw_event_t *ev,
		eimsagw_actions_t *a, eimsagw_op_t op, int offerer, const char *why)
{
	epc_span_t caller = eimsagw_sess_str(s, s->init_tag);
	epc_span_t callee = callee_tag(s, ev);

	act_ids(a, s);
	a->op = op;
	a->profile = profile_for(op, other_side(role_side(s, sender_role(s, ev))));
	a->rewrite = 1;
	a->why = why;
	a->from_tag = act_copy(a, offerer == EIMSAGW_ROLE_CALLER ? caller : callee);
	a->to_tag = act_copy(a, offerer == EIMSAGW_ROLE_CALLER ? callee : caller);
	if(s->state < EIMSAGW_S_CONFIRMED)
		a->via_branch = act_copy(a, EPC_SPAN_LIT(EIMSAGW_VIA_BRANCH));
	if(op == EIMSAGW_A_OFFER)
		s->offers++;
	else
		s->answers++;
	return 1;
}

static void note_branch(eimsagw_sess_t *s, epc_span_t tag)
{
	uint32_t i;

	if(tag.len == 0)
		return;
	for(i = 0; i < s->nbranches; i++) {
		if(epc_span_eq(eimsagw_sess_str(s, s->branches[i]), tag))
			return;
	}
	if(s->nbranches < EIMSAGW_BRANCH_MAX
			&& pool_add(s, tag, &s->branches[s->nbranches]) == 0)
		s->nbranches++;
}

static int is_confirmed_dialog(
		const eimsagw_sess_t *s, const eimsagw_event_t *ev)
{
	return epc_span_eq(callee_tag(s, ev), eimsagw_sess_str(s, s->conf_tag));
}

/* --- requests --- */

static int req_invite(
		eimsagw_sess_t *s, const eimsagw_event_t *ev, eimsagw_actions_t *a)
{
	int role = sender_role(s, ev);
	int added = 0, rc;
	const char *why = "re-INVITE offer";

	if(ev->to_tag.len == 0) {
		/* Each parallel fork of the initial INVITE toward this eP-CSCF (the
		 * S-CSCF forking to several contacts of the user) has its own top
		 * Via branch: a new branch joins the session and gets the same
		 * offer rewritten; the same branch again (a retransmission tm did
		 * not absorb yet) is rewritten again and counts once. */
		eimsagw_fork_t *f = fork_find(s, ev->fork);
		if(f) {
			why = "INVITE offer (again)";
		} else {
			if(s->state >= EIMSAGW_S_CONFIRMED)
				return EIMSAGW_SESS_E_LATE;
			if(s->nforks >= EIMSAGW_FORK_MAX)
				return EIMSAGW_SESS_E_FORKS;
			f = &s->forks[s->nforks++];
			f->key = ev->fork;
			f->state = EIMSAGW_FORK_PENDING;
			added = 1;
			why = s->nforks == 1 ? "INVITE offer"
								 : "INVITE offer (parallel fork)";
		}
		if(s->state == EIMSAGW_S_NEW)
			s->state = EIMSAGW_S_OFFERED;
		role = EIMSAGW_ROLE_CALLER;
	}
	s->inv_offer = ev->has_sdp ? role : EIMSAGW_ROLE_NONE;
	s->inv_answered = 0;
	a->new_fork = added;
	if(!ev->has_sdp)
		return 0;
	rc = act_sdp(s, ev, a, EIMSAGW_A_OFFER, role, why);
	/* every copy of the initial offer under the one via-branch, so the AGW
	 * answers each with the same SDP */
	if(ev->to_tag.len == 0 && a->via_branch.len == 0)
		a->via_branch = act_copy(a, EPC_SPAN_LIT(EIMSAGW_VIA_BRANCH));
	return rc;
}

static int on_request(
		eimsagw_sess_t *s, const eimsagw_event_t *ev, eimsagw_actions_t *a)
{
	int role = sender_role(s, ev);

	switch(ev->method) {
		case EIMSAGW_M_INVITE:
			return req_invite(s, ev, a);
		case EIMSAGW_M_UPDATE:
			if(!ev->has_sdp)
				return 0;
			s->pend_offer = role;
			return act_sdp(s, ev, a, EIMSAGW_A_OFFER, role, "UPDATE offer");
		case EIMSAGW_M_PRACK:
			if(!ev->has_sdp)
				return 0;
			if(s->inv_offer == other_role(role) && !s->inv_answered) {
				s->inv_answered = 1;
				return act_sdp(s, ev, a, EIMSAGW_A_ANSWER, other_role(role),
						"PRACK answer");
			}
			s->pend_offer = role;
			return act_sdp(s, ev, a, EIMSAGW_A_OFFER, role, "PRACK offer");
		case EIMSAGW_M_ACK:
			if(!ev->has_sdp || s->inv_offer != other_role(role)
					|| s->inv_answered)
				return 0;
			s->inv_answered = 1;
			return act_sdp(
					s, ev, a, EIMSAGW_A_ANSWER, other_role(role), "ACK answer");
		case EIMSAGW_M_BYE:
			/* a BYE for a dialog created by another fork's 2xx is not ours */
			if(s->state == EIMSAGW_S_CONFIRMED && !is_confirmed_dialog(s, ev))
				return 0;
			return act_end(s, a, "BYE");
		case EIMSAGW_M_CANCEL:
			/* a CANCEL has the branch of the INVITE it cancels: that fork
			 * is over; one of an unknown branch cancels the call */
			if(s->state >= EIMSAGW_S_CONFIRMED)
				return 0;
			if(fork_find(s, ev->fork))
				return fork_over(s, a, ev->fork, EIMSAGW_FORK_FAILED, "CANCEL");
			return act_end(s, a, "CANCEL");
		default:
			return 0;
	}
}

/* --- replies --- */

static int rpl_invite(
		eimsagw_sess_t *s, const eimsagw_event_t *ev, eimsagw_actions_t *a)
{
	int responder = sender_role(s, ev);
	int requester = other_role(responder);
	int initial = s->state < EIMSAGW_S_CONFIRMED;
	int rc = 0;

	if(ev->status <= 100)
		return 0;
	if(!initial && !is_confirmed_dialog(s, ev)) {
		/* another fork after the first 2xx: its SDP must neither move the
		 * confirmed call's media at the AGW nor pass unrewritten */
		return ev->has_sdp && ev->status < 300 ? EIMSAGW_SESS_E_LATE : 0;
	}
	if(ev->status >= 300) {
		/* initial: the whole call ends with the final reply (TM_FAILED);
		 * re-offer rejected: the AGW has no rollback, media continues */
		if(!initial)
			s->inv_offer = EIMSAGW_ROLE_NONE;
		return 0;
	}
	if(ev->has_sdp) {
		if(s->inv_offer == requester) {
			if(ev->status >= 200 || ev->reliable)
				s->inv_answered = 1;
			rc = act_sdp(s, ev, a, EIMSAGW_A_ANSWER, requester,
					ev->status >= 200 ? "2xx answer" : "early answer");
		} else {
			s->inv_offer = responder;
			s->inv_answered = 0;
			rc = act_sdp(
					s, ev, a, EIMSAGW_A_OFFER, responder, "offer in reply");
		}
	}
	if(initial) {
		epc_span_t tag = callee_tag(s, ev);
		note_branch(s, tag);
		if(ev->status < 200) {
			s->state = EIMSAGW_S_EARLY;
		} else {
			if(tag.len > EIMSAGW_TAG_MAX || pool_add(s, tag, &s->conf_tag) < 0)
				return EIMSAGW_SESS_E_LONG;
			s->state = EIMSAGW_S_CONFIRMED;
			s->confirmed_at = ev->now;
		}
	}
	return rc;
}

static int on_reply(
		eimsagw_sess_t *s, const eimsagw_event_t *ev, eimsagw_actions_t *a)
{
	int requester = other_role(sender_role(s, ev));

	switch(ev->method) {
		case EIMSAGW_M_INVITE:
			return rpl_invite(s, ev, a);
		case EIMSAGW_M_UPDATE:
		case EIMSAGW_M_PRACK:
			if(ev->status < 200 || s->pend_offer != requester)
				return 0;
			s->pend_offer = EIMSAGW_ROLE_NONE;
			if(ev->status >= 300 || !ev->has_sdp)
				return 0;
			return act_sdp(s, ev, a, EIMSAGW_A_ANSWER, requester,
					ev->method == EIMSAGW_M_UPDATE ? "UPDATE answer"
												   : "PRACK answer");
		default:
			return 0;
	}
}

static int on_sweep(
		eimsagw_sess_t *s, const eimsagw_event_t *ev, eimsagw_actions_t *a)
{
	if(s->state < EIMSAGW_S_CONFIRMED && ev->early_timeout > 0
			&& ev->now - s->created >= ev->early_timeout)
		return act_end(s, a, "never answered");
	if(ev->lifetime > 0 && ev->now - s->updated >= ev->lifetime)
		return act_end(s, a, "lifetime exceeded");
	return 0;
}

int eimsagw_step(
		eimsagw_sess_t *s, const eimsagw_event_t *ev, eimsagw_actions_t *out)
{
	memset(out, 0, offsetof(eimsagw_actions_t, buf));
	if(s->state == EIMSAGW_S_ENDED)
		return 0;
	if(is_sip(ev))
		s->updated = ev->now;
	switch(ev->kind) {
		case EIMSAGW_EV_REQUEST:
			return on_request(s, ev, out);
		case EIMSAGW_EV_REPLY:
			return on_reply(s, ev, out);
		case EIMSAGW_EV_TM_FAILED:
			return fork_over(
					s, out, ev->fork, EIMSAGW_FORK_FAILED, "INVITE failed");
		case EIMSAGW_EV_TM_ANSWERED: {
			/* the call is confirmed even when the script passed only the
			 * SDP-carrying replies (e.g. a 2xx without SDP after an answer
			 * in a reliable 183) */
			eimsagw_fork_t *f = fork_find(s, ev->fork);
			if(f && f->state == EIMSAGW_FORK_PENDING)
				f->state = EIMSAGW_FORK_ANSWERED;
			if(s->state < EIMSAGW_S_CONFIRMED && ev->to_tag.len) {
				if(ev->to_tag.len > EIMSAGW_TAG_MAX
						|| pool_add(s, ev->to_tag, &s->conf_tag) < 0)
					return EIMSAGW_SESS_E_LONG;
				note_branch(s, ev->to_tag);
				s->state = EIMSAGW_S_CONFIRMED;
				s->confirmed_at = ev->now;
			}
			return 0;
		}
		case EIMSAGW_EV_TM_GONE:
			return fork_over(s, out, ev->fork, EIMSAGW_FORK_FAILED,
					"INVITE transaction ended unanswered");
		case EIMSAGW_EV_FORK_ABORT:
			return fork_over(s, out, ev->fork, EIMSAGW_FORK_FAILED,
					"media not anchored");
		case EIMSAGW_EV_DLG_ENDED:
			/* Before the answer the forks' transactions tell (the dialog
			 * module may follow only the first fork, or fail one fork's
			 * dialog while others ring); after it, only the end of the
			 * confirmed dialog (its callee tag) ends the call, not that of
			 * a failed fork's dialog or of a second 2xx's */
			if(s->state < EIMSAGW_S_CONFIRMED) {
				if(eimsagw_sess_forks_pending(s))
					return 0;
				return act_end(s, out, "dialog ended");
			}
			if(!epc_span_eq(ev->to_tag, eimsagw_sess_str(s, s->conf_tag)))
				return 0;
			return act_end(s, out, "dialog ended");
		case EIMSAGW_EV_DELETE:
			return act_end(s, out, "deleted");
		case EIMSAGW_EV_SWEEP:
			return on_sweep(s, ev, out);
	}
	return 0;
}

const char *eimsagw_state_name(uint32_t state)
{
	switch(state) {
		case EIMSAGW_S_NEW:
			return "new";
		case EIMSAGW_S_OFFERED:
			return "offered";
		case EIMSAGW_S_EARLY:
			return "early";
		case EIMSAGW_S_CONFIRMED:
			return "confirmed";
		case EIMSAGW_S_ENDED:
			return "ended";
	}
	return "unknown";
}

const char *eimsagw_side_name(int side)
{
	switch(side) {
		case EIMSAGW_SIDE_W2:
			return "w2";
		case EIMSAGW_SIDE_MW:
			return "mw";
	}
	return "auto";
}

const char *eimsagw_prof_name(eimsagw_prof_t p)
{
	switch(p) {
		case EIMSAGW_P_OFFER_TO_IMS:
			return "offer_to_ims";
		case EIMSAGW_P_ANSWER_TO_W2:
			return "answer_to_w2";
		case EIMSAGW_P_OFFER_TO_W2:
			return "offer_to_w2";
		case EIMSAGW_P_ANSWER_TO_IMS:
			return "answer_to_ims";
		case EIMSAGW_P_COUNT:
			break;
	}
	return "unknown";
}
