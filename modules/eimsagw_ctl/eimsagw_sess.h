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
 * The media session of one call leg through the eP-CSCF (pure C): a state
 * machine eimsagw_step(session, event) -> action. Events are SIP messages
 * (with or without SDP) seen by the script, and the tm/dialog/timer events
 * the module hooks; the action is at most one ng command (offer, answer or
 * delete of the whole call) for the glue to send, with the profile to use,
 * the tags and whether the message's SDP is to be replaced.
 *
 * Offer/answer follows RFC 3264 and RFC 6337 section 2 by transaction:
 * INVITE/UPDATE with SDP = offer; SDP in a reply answers an offer of the
 * requester, or is the offer when the request had none (late offer, the
 * answer then comes in ACK or PRACK); PRACK with SDP answers a reliable
 * provisional offer or makes a new offer. The ng from-tag is the offerer's
 * SIP tag, the to-tag the answerer's.
 *
 * Forking (early media from several to-tags, RFC 3261 section 16.7):
 * every offer and answer of the initial INVITE carries one constant
 * via-branch; rtpengine 10.5 then keeps ONE answerer branch and replaces
 * it on each answer with a new to-tag - which is right, because every fork
 * received the same offer (the same AGW port toward IMS). After the first
 * 2xx, SDP from other to-tags is refused (EIMSAGW_SESS_E_LATE: those
 * dialogs are torn down by the UAC) so it cannot take over the confirmed
 * dialog's media, nor reach the other side unrewritten.
 *
 * Parallel forks TOWARD this eP-CSCF (the S-CSCF forking an initial
 * INVITE to several contacts of one user behind it): each copy has the
 * same Call-ID and From tag but its own top Via branch, and is its own
 * INVITE transaction here. The session keeps one fork per branch
 * (eimsagw_fork_key()); every fork gets the same offer at the AGW (same
 * via-branch: rtpengine 10.5 returns the same SDP), the final reply or
 * the end of each fork's transaction (tm events) is counted once, and an
 * unanswered session ends only when no fork is pending any more. A 2xx of
 * any fork confirms the call; later failures of other forks do nothing.
 *
 * A WIC-to-WIC call through the IMS core passes the eP-CSCF twice with the
 * same Call-ID and from-tag (originating pass received from W2, terminating
 * pass received from Mw): each pass is its own session, told apart by the
 * side each party is on; the second pass gets the AGW call-id
 * "<Call-ID>" EIMSAGW_SPIRAL_SUFFIX.
 */

#ifndef EIMSAGW_SESS_H
#define EIMSAGW_SESS_H

#include <stddef.h>
#include <stdint.h>

#include "epc_span.h"
#include "eimsagw_ng.h"

#define EIMSAGW_CALLID_MAX 256
#define EIMSAGW_TAG_MAX 128
#define EIMSAGW_POOL_MAX 1024
#define EIMSAGW_BRANCH_MAX 4
#define EIMSAGW_FORK_MAX 8 /* parallel forks (INVITE branches) per session */
#define EIMSAGW_VIA_BRANCH "eimsagw"
#define EIMSAGW_SPIRAL_SUFFIX "~mt"
#define EIMSAGW_ACT_BUF 1024

#define EIMSAGW_SESS_E_LONG -60	 /* Call-ID or tag too long to anchor */
#define EIMSAGW_SESS_E_ARG -61	 /* event cannot create a session */
#define EIMSAGW_SESS_E_FORKS -62 /* more parallel forks than EIMSAGW_FORK_MAX */
/* SDP of a fork that lost: a new fork of an initial INVITE after the call
 * was answered, or an answer/offer in a reply of another to-tag after the
 * 2xx; not anchored (the AGW would move the confirmed call's media) */
#define EIMSAGW_SESS_E_LATE -63

typedef enum eimsagw_method
{
	EIMSAGW_M_OTHER = 0,
	EIMSAGW_M_INVITE,
	EIMSAGW_M_ACK,
	EIMSAGW_M_BYE,
	EIMSAGW_M_CANCEL,
	EIMSAGW_M_UPDATE,
	EIMSAGW_M_PRACK
} eimsagw_method_t;

typedef enum eimsagw_evkind
{
	EIMSAGW_EV_REQUEST = 1,
	EIMSAGW_EV_REPLY,
	EIMSAGW_EV_TM_FAILED,	/* final >= 300 sent for the initial INVITE */
	EIMSAGW_EV_TM_ANSWERED, /* 2xx sent for it (to_tag: the callee's) */
	EIMSAGW_EV_TM_GONE,		/* initial INVITE transaction freed */
	EIMSAGW_EV_DLG_ENDED,	/* dialog terminated, expired, failed, freed */
	EIMSAGW_EV_DELETE,		/* script or RPC: delete now */
	EIMSAGW_EV_SWEEP,		/* periodic check of stale sessions */
	EIMSAGW_EV_FORK_ABORT	/* the fork's offer could not be anchored */
} eimsagw_evkind_t;

typedef struct eimsagw_event
{
	eimsagw_evkind_t kind;
	eimsagw_method_t method; /* request method, or CSeq method of a reply */
	int status;				 /* reply status */
	int has_sdp;
	int reliable; /* provisional reply with RSeq (RFC 3262) */
	int rx_side;  /* EIMSAGW_SIDE_W2/MW; AUTO = any (non-SIP events) */
	/* the initial INVITE transaction (fork) of the event: eimsagw_fork_key()
	 * of the top Via branch of the INVITE as received; for initial INVITE
	 * and CANCEL requests and the TM_* and FORK_ABORT events */
	uint64_t fork;
	epc_span_t call_id;
	epc_span_t from_tag;
	epc_span_t to_tag; /* DLG_ENDED: the dialog's callee tag ("" if none) */
	int64_t now;
	int64_t early_timeout; /* SWEEP: end unanswered sessions this old */
	int64_t lifetime;	   /* SWEEP: end sessions idle this long (0 off) */
} eimsagw_event_t;

typedef enum eimsagw_state
{
	EIMSAGW_S_NEW = 0,
	EIMSAGW_S_OFFERED, /* initial INVITE seen */
	EIMSAGW_S_EARLY,   /* provisional reply from the callee side */
	EIMSAGW_S_CONFIRMED,
	EIMSAGW_S_ENDED
} eimsagw_state_t;

#define EIMSAGW_ROLE_NONE 0
#define EIMSAGW_ROLE_CALLER 1
#define EIMSAGW_ROLE_CALLEE 2

typedef struct eimsagw_ref
{
	uint16_t off;
	uint16_t len;
} eimsagw_ref_t;

#define EIMSAGW_FORK_PENDING 1	/* its INVITE transaction has no final reply */
#define EIMSAGW_FORK_ANSWERED 2 /* 2xx */
#define EIMSAGW_FORK_FAILED 3	/* final >= 300, CANCEL, gone, not anchored */

typedef struct eimsagw_fork
{
	uint64_t key;
	uint32_t state;
} eimsagw_fork_t;

typedef struct eimsagw_sess
{
	uint64_t id; /* set by the glue */
	uint32_t state;
	int caller_side; /* EIMSAGW_SIDE_* of the dialog initiator */
	int agw;		 /* AGW index, -1 until the first command succeeds */
	int spiral;		 /* AGW call-id carries EIMSAGW_SPIRAL_SUFFIX */
	int inv_offer;	 /* role that offered in the current INVITE */
	int inv_answered;
	int pend_offer; /* role with an open UPDATE/PRACK offer */
	int64_t created;
	int64_t updated;
	int64_t confirmed_at;
	uint32_t offers;
	uint32_t answers;
	eimsagw_ref_t call_id;
	eimsagw_ref_t init_tag;
	eimsagw_ref_t conf_tag;
	eimsagw_ref_t branches[EIMSAGW_BRANCH_MAX]; /* callee tags seen */
	uint32_t nbranches;
	eimsagw_fork_t forks[EIMSAGW_FORK_MAX]; /* initial INVITE transactions */
	uint32_t nforks;
	uint32_t pool_len;
	char pool[EIMSAGW_POOL_MAX];
} eimsagw_sess_t;

typedef enum eimsagw_op
{
	EIMSAGW_A_NONE = 0,
	EIMSAGW_A_OFFER,
	EIMSAGW_A_ANSWER,
	EIMSAGW_A_DELETE
} eimsagw_op_t;

/** The four flag profiles, by the kind of SDP and the side it goes to. */
typedef enum eimsagw_prof
{
	EIMSAGW_P_OFFER_TO_IMS = 0,
	EIMSAGW_P_ANSWER_TO_W2,
	EIMSAGW_P_OFFER_TO_W2,
	EIMSAGW_P_ANSWER_TO_IMS,
	EIMSAGW_P_COUNT
} eimsagw_prof_t;

typedef struct eimsagw_actions
{
	eimsagw_op_t op;
	eimsagw_prof_t profile; /* offer/answer */
	int rewrite;			/* replace the message SDP with the AGW's */
	int end;				/* session over: remove it after the command */
	int new_fork;	 /* the event added a fork (abort it if the offer fails) */
	const char *why; /* short reason, for logs */
	/* ng identifiers; they point into buf, valid while this struct is */
	epc_span_t call_id;
	epc_span_t from_tag;
	epc_span_t to_tag;
	epc_span_t via_branch;
	size_t used;
	char buf[EIMSAGW_ACT_BUF];
} eimsagw_actions_t;

/** Fork key of an initial INVITE from its top Via branch (never 0). */
uint64_t eimsagw_fork_key(epc_span_t branch);

/** Forks of s whose INVITE transaction has no final reply yet. */
int eimsagw_sess_forks_pending(const eimsagw_sess_t *s);

/** Text of a session string. */
epc_span_t eimsagw_sess_str(const eimsagw_sess_t *s, eimsagw_ref_t r);

/** 1 if ev is an initial INVITE (the only event that creates a session). */
int eimsagw_sess_creates(const eimsagw_event_t *ev);

#define EIMSAGW_MATCH_NO 0
#define EIMSAGW_MATCH_TAGS 1 /* Call-ID and tags, but a party's side differs */
#define EIMSAGW_MATCH_EXACT 2

/** How well ev belongs to s (see EIMSAGW_MATCH_*). */
int eimsagw_sess_match(const eimsagw_sess_t *s, const eimsagw_event_t *ev);

/**
 * Initialise s from an initial INVITE event.
 * @param spiral 1 if another pass of this Call-ID/from-tag is anchored
 * @return 0, EIMSAGW_SESS_E_LONG or EIMSAGW_SESS_E_ARG
 */
int eimsagw_sess_init(eimsagw_sess_t *s, const eimsagw_event_t *ev, int spiral);

/**
 * Advance s by ev; *out receives the ng command to send (op NONE: none).
 * @return 1 if out->op is set, 0 if nothing to do, EIMSAGW_SESS_E_LONG,
 * EIMSAGW_SESS_E_FORKS or EIMSAGW_SESS_E_LATE (nothing to send; the
 * message's SDP must not be forwarded as it is)
 */
int eimsagw_step(
		eimsagw_sess_t *s, const eimsagw_event_t *ev, eimsagw_actions_t *out);

/** The delete of the whole call of s (whatever its state) into *out. */
void eimsagw_sess_delete_action(
		const eimsagw_sess_t *s, eimsagw_actions_t *out, const char *why);

/** AGW call-id of s into buf (Call-ID plus the spiral suffix if any). */
epc_span_t eimsagw_sess_ng_call_id(
		const eimsagw_sess_t *s, char *buf, size_t cap);

const char *eimsagw_state_name(uint32_t state);
const char *eimsagw_side_name(int side);
const char *eimsagw_prof_name(eimsagw_prof_t p);

#endif /* EIMSAGW_SESS_H */
