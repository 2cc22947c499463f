/*
 * Unit tests: modules/eimsagw_ctl/eimsagw_sess.c (per-call media session
 * state machine). Each scenario is a call flow as the eP-CSCF sees it: the
 * side a message arrives from, what it is, and the ng command expected.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>

#include "unit.h"
#include "eimsagw_sess.h"

#define W2 EIMSAGW_SIDE_W2
#define MW EIMSAGW_SIDE_MW
#define REQ EIMSAGW_EV_REQUEST
#define RPL EIMSAGW_EV_REPLY
#define INV EIMSAGW_M_INVITE
#define NONE EIMSAGW_A_NONE
#define OFF EIMSAGW_A_OFFER
#define ANS EIMSAGW_A_ANSWER
#define DEL EIMSAGW_A_DELETE

typedef struct step
{
	int kind;
	int method;
	int status;
	int sdp;
	int rx;
	const char *from; /* From tag of the message */
	const char *to;	  /* To tag ("" none) */
	/* expected */
	int op;
	int prof; /* -1: don't care */
	const char *ngfrom;
	const char *ngto; /* "" = absent */
	int via;		  /* via-branch expected */
	int state;		  /* state after, -1: don't care */
	uint64_t fork;	  /* fork key of the event (INVITE branch) */
	int rc;			  /* < 0: the error expected (no command) */
} step_t;

static void run(const char *name, const step_t *st, size_t n, int reliable)
{
	eimsagw_sess_t s;
	eimsagw_event_t ev;
	eimsagw_actions_t a;
	size_t i;
	char cid[64];

	for(i = 0; i < n; i++) {
		int rc;
		memset(&ev, 0, sizeof(ev));
		ev.kind = st[i].kind;
		ev.method = st[i].method;
		ev.status = st[i].status;
		ev.has_sdp = st[i].sdp;
		ev.reliable = reliable && st[i].status > 100 && st[i].status < 200;
		ev.rx_side = st[i].rx;
		ev.call_id = S("call-1@host");
		ev.from_tag = S(st[i].from);
		ev.to_tag = S(st[i].to);
		ev.fork = st[i].fork;
		ev.now = 1000 + (int64_t)i;
		if(i == 0) {
			assert_true(eimsagw_sess_creates(&ev));
			assert_int_equal(eimsagw_sess_init(&s, &ev, 0), 0);
		} else {
			assert_int_not_equal(eimsagw_sess_match(&s, &ev), EIMSAGW_MATCH_NO);
		}
		rc = eimsagw_step(&s, &ev, &a);
		if((st[i].rc < 0 ? rc != st[i].rc : rc < 0) || (int)a.op != st[i].op)
			fail_msg("%s step %zu: rc %d op %d, want rc %d op %d", name, i, rc,
					(int)a.op, st[i].rc, st[i].op);
		if(st[i].state >= 0 && (int)s.state != st[i].state)
			fail_msg("%s step %zu: state %s, want %s", name, i,
					eimsagw_state_name(s.state),
					eimsagw_state_name(st[i].state));
		if(a.op == NONE)
			continue;
		snprintf(cid, sizeof(cid), "%.*s", (int)a.call_id.len, a.call_id.s);
		assert_string_equal(cid, "call-1@host");
		if(st[i].prof >= 0 && (int)a.profile != st[i].prof)
			fail_msg("%s step %zu: profile %s, want %s", name, i,
					eimsagw_prof_name(a.profile),
					eimsagw_prof_name(st[i].prof));
		if(!epc_span_eq(a.from_tag, S(st[i].ngfrom))
				|| !epc_span_eq(a.to_tag, S(st[i].ngto)))
			fail_msg("%s step %zu: tags %.*s/%.*s, want %s/%s", name, i,
					(int)a.from_tag.len, a.from_tag.s, (int)a.to_tag.len,
					a.to_tag.s, st[i].ngfrom, st[i].ngto);
		if((a.via_branch.len != 0) != (st[i].via != 0))
			fail_msg("%s step %zu: via-branch %s", name, i,
					a.via_branch.len ? "present" : "absent");
		assert_int_equal(a.rewrite, a.op != DEL);
		assert_int_equal(a.end, a.op == DEL);
	}
}

#define RUN(tab, rel) run(#tab, tab, sizeof(tab) / sizeof(tab[0]), rel)
#define OI EIMSAGW_P_OFFER_TO_IMS
#define AW EIMSAGW_P_ANSWER_TO_W2
#define OW EIMSAGW_P_OFFER_TO_W2
#define AI EIMSAGW_P_ANSWER_TO_IMS
#define S_OFF EIMSAGW_S_OFFERED
#define S_EAR EIMSAGW_S_EARLY
#define S_CON EIMSAGW_S_CONFIRMED
#define S_END EIMSAGW_S_ENDED

/* WIC calls an IMS user: offer to IMS, 180, 183 early media, 200, hold
 * and resume re-INVITEs from the WIC, callee re-INVITE, BYE from IMS. */
static void test_originating(void **state)
{
	static const step_t t[] = {
			{REQ, INV, 0, 1, W2, "a", "", OFF, OI, "a", "", 1, S_OFF, 0, 0},
			{RPL, INV, 100, 0, MW, "a", "", NONE, -1, "", "", 0, S_OFF, 0, 0},
			{RPL, INV, 180, 0, MW, "a", "b", NONE, -1, "", "", 0, S_EAR, 0, 0},
			{RPL, INV, 183, 1, MW, "a", "b", ANS, AW, "a", "b", 1, S_EAR, 0, 0},
			{RPL, INV, 200, 1, MW, "a", "b", ANS, AW, "a", "b", 1, S_CON, 0, 0},
			{REQ, EIMSAGW_M_ACK, 0, 0, W2, "a", "b", NONE, -1, "", "", 0, S_CON,
					0, 0},
			/* hold */
			{REQ, INV, 0, 1, W2, "a", "b", OFF, OI, "a", "b", 0, S_CON, 0, 0},
			{RPL, INV, 200, 1, MW, "a", "b", ANS, AW, "a", "b", 0, S_CON, 0, 0},
			/* resume */
			{REQ, INV, 0, 1, W2, "a", "b", OFF, OI, "a", "b", 0, S_CON, 0, 0},
			{RPL, INV, 200, 1, MW, "a", "b", ANS, AW, "a", "b", 0, S_CON, 0, 0},
			/* re-INVITE from the IMS side: offer goes to the WIC */
			{REQ, INV, 0, 1, MW, "b", "a", OFF, OW, "b", "a", 0, S_CON, 0, 0},
			{RPL, INV, 200, 1, W2, "b", "a", ANS, AI, "b", "a", 0, S_CON, 0, 0},
			{REQ, EIMSAGW_M_BYE, 0, 0, MW, "b", "a", DEL, -1, "a", "", 0, S_END,
					0, 0},
			/* nothing after the end */
			{RPL, EIMSAGW_M_BYE, 200, 0, W2, "b", "a", NONE, -1, "", "", 0,
					S_END, 0, 0},
	};
	(void)state;
	RUN(t, 0);
}

/* IMS user calls the WIC: the offer goes to W2, the WIC answers. */
static void test_terminating(void **state)
{
	static const step_t t[] = {
			{REQ, INV, 0, 1, MW, "i", "", OFF, OW, "i", "", 1, S_OFF, 0, 0},
			{RPL, INV, 180, 0, W2, "i", "w", NONE, -1, "", "", 0, S_EAR, 0, 0},
			{RPL, INV, 200, 1, W2, "i", "w", ANS, AI, "i", "w", 1, S_CON, 0, 0},
			{REQ, EIMSAGW_M_BYE, 0, 0, W2, "w", "i", DEL, -1, "i", "", 0, S_END,
					0, 0},
	};
	(void)state;
	RUN(t, 0);
}

/* Forking: 183 from two to-tags (same via-branch: the AGW replaces the
 * branch), 200 from the second; SDP of the first fork after that is
 * refused (not anchored, not to be forwarded) and its BYE does not touch
 * the confirmed call. */
static void test_forking(void **state)
{
	static const step_t t[] = {
			{REQ, INV, 0, 1, W2, "a", "", OFF, OI, "a", "", 1, S_OFF, 0, 0},
			{RPL, INV, 183, 1, MW, "a", "x", ANS, AW, "a", "x", 1, S_EAR, 0, 0},
			{RPL, INV, 183, 1, MW, "a", "y", ANS, AW, "a", "y", 1, S_EAR, 0, 0},
			/* the same INVITE once more (same branch): offered again */
			{REQ, INV, 0, 1, W2, "a", "", OFF, OI, "a", "", 1, S_EAR, 0, 0},
			{RPL, INV, 200, 1, MW, "a", "y", ANS, AW, "a", "y", 1, S_CON, 0, 0},
			/* a retransmission of it still gets the one offer */
			{REQ, INV, 0, 1, W2, "a", "", OFF, OI, "a", "", 1, S_CON, 0, 0},
			/* a new branch of the initial INVITE after the answer */
			{REQ, INV, 0, 1, W2, "a", "", NONE, -1, "", "", 0, S_CON, 2,
					EIMSAGW_SESS_E_LATE},
			{RPL, INV, 200, 1, MW, "a", "x", NONE, -1, "", "", 0, S_CON, 0,
					EIMSAGW_SESS_E_LATE},
			{RPL, INV, 183, 1, MW, "a", "x", NONE, -1, "", "", 0, S_CON, 0,
					EIMSAGW_SESS_E_LATE},
			{RPL, INV, 200, 0, MW, "a", "x", NONE, -1, "", "", 0, S_CON, 0, 0},
			{REQ, EIMSAGW_M_BYE, 0, 0, W2, "a", "x", NONE, -1, "", "", 0, S_CON,
					0, 0},
			{REQ, EIMSAGW_M_BYE, 0, 0, W2, "a", "y", DEL, -1, "a", "", 0, S_END,
					0, 0},
	};
	(void)state;
	RUN(t, 0);
}

static void ev_init(eimsagw_event_t *ev, int kind, int rx, const char *from,
		const char *to, int64_t now);

#define AUTO EIMSAGW_SIDE_AUTO
#define TMF EIMSAGW_EV_TM_FAILED
#define TMA EIMSAGW_EV_TM_ANSWERED
#define TMG EIMSAGW_EV_TM_GONE
#define DLG EIMSAGW_EV_DLG_ENDED
#define ABRT EIMSAGW_EV_FORK_ABORT
#define CAN EIMSAGW_M_CANCEL
#define BYE EIMSAGW_M_BYE

/* The S-CSCF forks an IMS offer to two WICs of one user (forks 1 and 2,
 * two INVITE transactions here): both get the offer with the same
 * via-branch; WIC 1 answers 486 while WIC 2 rings - the failed fork's
 * transaction and dialog do not end the call - then WIC 2 answers. */
static void test_parallel_busy_then_answer(void **state)
{
	static const step_t t[] = {
			{REQ, INV, 0, 1, MW, "i", "", OFF, OW, "i", "", 1, S_OFF, 1, 0},
			{REQ, INV, 0, 1, MW, "i", "", OFF, OW, "i", "", 1, S_OFF, 2, 0},
			{RPL, INV, 180, 0, W2, "i", "w2", NONE, -1, "", "", 0, S_EAR, 0, 0},
			{RPL, INV, 486, 0, W2, "i", "w1", NONE, -1, "", "", 0, S_EAR, 0, 0},
			/* the dialog module may fail the dialog of fork 1 first */
			{DLG, INV, 0, 0, AUTO, "i", "", NONE, -1, "", "", 0, S_EAR, 0, 0},
			{TMF, INV, 486, 0, AUTO, "i", "", NONE, -1, "", "", 0, S_EAR, 1, 0},
			{TMF, INV, 486, 0, AUTO, "i", "", NONE, -1, "", "", 0, S_EAR, 1, 0},
			{TMG, INV, 0, 0, AUTO, "i", "", NONE, -1, "", "", 0, S_EAR, 1, 0},
			{RPL, INV, 200, 1, W2, "i", "w2", ANS, AI, "i", "w2", 1, S_CON, 0,
					0},
			{TMA, INV, 200, 0, AUTO, "i", "w2", NONE, -1, "", "", 0, S_CON, 2,
					0},
			{TMG, INV, 0, 0, AUTO, "i", "", NONE, -1, "", "", 0, S_CON, 2, 0},
			/* fork 1's dialog freed (no callee tag), a second 2xx's dialog
			 * ended: not the call's */
			{DLG, INV, 0, 0, AUTO, "i", "", NONE, -1, "", "", 0, S_CON, 0, 0},
			{DLG, INV, 0, 0, AUTO, "i", "w1", NONE, -1, "", "", 0, S_CON, 0, 0},
			{REQ, BYE, 0, 0, W2, "w2", "i", DEL, -1, "i", "", 0, S_END, 0, 0},
	};
	(void)state;
	RUN(t, 0);
}

/* Both forks fail: the call ends with the last one, once. */
static void test_parallel_all_fail(void **state)
{
	static const step_t t[] = {
			{REQ, INV, 0, 1, MW, "i", "", OFF, OW, "i", "", 1, S_OFF, 1, 0},
			{REQ, INV, 0, 1, MW, "i", "", OFF, OW, "i", "", 1, S_OFF, 2, 0},
			{RPL, INV, 180, 0, W2, "i", "w1", NONE, -1, "", "", 0, S_EAR, 0, 0},
			{TMF, INV, 486, 0, AUTO, "i", "", NONE, -1, "", "", 0, S_EAR, 2, 0},
			/* a transaction the session does not know changes nothing */
			{TMF, INV, 486, 0, AUTO, "i", "", NONE, -1, "", "", 0, S_EAR, 7, 0},
			{TMG, INV, 0, 0, AUTO, "i", "", DEL, -1, "i", "", 0, S_END, 1, 0},
			{TMF, INV, 486, 0, AUTO, "i", "", NONE, -1, "", "", 0, S_END, 1, 0},
			{DLG, INV, 0, 0, AUTO, "i", "", NONE, -1, "", "", 0, S_END, 0, 0},
	};
	(void)state;
	RUN(t, 0);
}

/* CANCEL of every fork (the caller gave up): each CANCEL carries its
 * fork's branch; the last one ends the call. */
static void test_parallel_cancel(void **state)
{
	static const step_t t[] = {
			{REQ, INV, 0, 1, MW, "i", "", OFF, OW, "i", "", 1, S_OFF, 1, 0},
			{REQ, INV, 0, 1, MW, "i", "", OFF, OW, "i", "", 1, S_OFF, 2, 0},
			{RPL, INV, 180, 0, W2, "i", "w1", NONE, -1, "", "", 0, S_EAR, 0, 0},
			{RPL, INV, 180, 0, W2, "i", "w2", NONE, -1, "", "", 0, S_EAR, 0, 0},
			{REQ, CAN, 0, 0, MW, "i", "", NONE, -1, "", "", 0, S_EAR, 2, 0},
			{REQ, CAN, 0, 0, MW, "i", "", DEL, -1, "i", "", 0, S_END, 1, 0},
			{TMF, INV, 487, 0, AUTO, "i", "", NONE, -1, "", "", 0, S_END, 1, 0},
	};
	(void)state;
	RUN(t, 0);
}

/* A fork whose offer the AGW did not take is over; the call lives on
 * with the other fork and ends with it. */
static void test_parallel_abort(void **state)
{
	static const step_t t[] = {
			{REQ, INV, 0, 1, MW, "i", "", OFF, OW, "i", "", 1, S_OFF, 1, 0},
			{REQ, INV, 0, 1, MW, "i", "", OFF, OW, "i", "", 1, S_OFF, 2, 0},
			{ABRT, INV, 0, 0, AUTO, "i", "", NONE, -1, "", "", 0, S_OFF, 2, 0},
			{TMF, INV, 480, 0, AUTO, "i", "", DEL, -1, "i", "", 0, S_END, 1, 0},
	};
	static const step_t one[] = {
			{REQ, INV, 0, 1, W2, "a", "", OFF, OI, "a", "", 1, S_OFF, 1, 0},
			{ABRT, INV, 0, 0, AUTO, "a", "", DEL, -1, "a", "", 0, S_END, 1, 0},
	};
	(void)state;
	RUN(t, 0);
	RUN(one, 0);
}

/* One eimsagw_sess_t per call: forks are bounded; what a fork reports is
 * counted once (retransmissions and repeated tm events). */
static void test_fork_bookkeeping(void **state)
{
	eimsagw_sess_t s;
	eimsagw_event_t ev;
	eimsagw_actions_t a;
	uint64_t k;

	(void)state;
	assert_int_not_equal(eimsagw_fork_key(EPC_SPAN_NULL), 0);
	assert_int_not_equal(
			eimsagw_fork_key(S("z9hG4bK.1")), eimsagw_fork_key(S("z9hG4bK.2")));
	assert_int_equal(
			eimsagw_fork_key(S("z9hG4bK.1")), eimsagw_fork_key(S("z9hG4bK.1")));
	ev_init(&ev, REQ, MW, "i", "", 1);
	assert_int_equal(eimsagw_sess_init(&s, &ev, 0), 0);
	for(k = 1; k <= EIMSAGW_FORK_MAX; k++) {
		ev.fork = k;
		assert_int_equal(eimsagw_step(&s, &ev, &a), 1);
		assert_int_equal(a.op, OFF);
		assert_int_equal(a.new_fork, 1);
		assert_int_equal(a.via_branch.len, strlen(EIMSAGW_VIA_BRANCH));
		/* the same branch again: rewritten, not counted */
		assert_int_equal(eimsagw_step(&s, &ev, &a), 1);
		assert_int_equal(a.new_fork, 0);
		assert_int_equal(eimsagw_sess_forks_pending(&s), (int)k);
	}
	ev.fork = k;
	assert_int_equal(eimsagw_step(&s, &ev, &a), EIMSAGW_SESS_E_FORKS);
	assert_int_equal(a.op, NONE);
	assert_int_equal(s.nforks, EIMSAGW_FORK_MAX);
	/* every fork but the last fails, some twice; then the last one */
	for(k = 1; k < EIMSAGW_FORK_MAX; k++) {
		ev_init(&ev, k & 1 ? EIMSAGW_EV_TM_FAILED : EIMSAGW_EV_TM_GONE,
				EIMSAGW_SIDE_AUTO, "i", "", 2);
		ev.fork = k;
		assert_int_equal(eimsagw_step(&s, &ev, &a), 0);
		assert_int_equal(eimsagw_step(&s, &ev, &a), 0);
		assert_int_equal(
				eimsagw_sess_forks_pending(&s), (int)(EIMSAGW_FORK_MAX - k));
	}
	ev.fork = EIMSAGW_FORK_MAX;
	assert_int_equal(eimsagw_step(&s, &ev, &a), 1);
	assert_int_equal(a.op, DEL);
	assert_int_equal(s.state, S_END);
	assert_int_equal(eimsagw_sess_forks_pending(&s), 0);

	/* INVITE without SDP (late offer): the fork counts all the same */
	ev_init(&ev, REQ, MW, "i", "", 1);
	ev.has_sdp = 0;
	ev.fork = 5;
	assert_int_equal(eimsagw_sess_init(&s, &ev, 0), 0);
	assert_int_equal(eimsagw_step(&s, &ev, &a), 0);
	assert_int_equal(a.new_fork, 1);
	assert_int_equal(eimsagw_sess_forks_pending(&s), 1);
	ev_init(&ev, EIMSAGW_EV_DLG_ENDED, EIMSAGW_SIDE_AUTO, "i", "", 2);
	assert_int_equal(eimsagw_step(&s, &ev, &a), 0); /* fork still pending */
	ev_init(&ev, EIMSAGW_EV_TM_ANSWERED, EIMSAGW_SIDE_AUTO, "i", "w", 3);
	ev.fork = 5;
	assert_int_equal(eimsagw_step(&s, &ev, &a), 0);
	assert_int_equal(s.state, S_CON);
	assert_int_equal(s.forks[0].state, EIMSAGW_FORK_ANSWERED);
	ev_init(&ev, EIMSAGW_EV_DLG_ENDED, EIMSAGW_SIDE_AUTO, "i", "x", 4);
	assert_int_equal(eimsagw_step(&s, &ev, &a), 0);
	ev.to_tag = S("w");
	assert_int_equal(eimsagw_step(&s, &ev, &a), 1);
	assert_string_equal(a.why, "dialog ended");
}

/* CANCEL before the answer; a 487 and the tm failure afterwards are no-ops. */
static void test_cancel(void **state)
{
	static const step_t t[] = {
			{REQ, INV, 0, 1, W2, "a", "", OFF, OI, "a", "", 1, S_OFF, 0, 0},
			{RPL, INV, 180, 0, MW, "a", "b", NONE, -1, "", "", 0, S_EAR, 0, 0},
			{REQ, EIMSAGW_M_CANCEL, 0, 0, W2, "a", "", DEL, -1, "a", "", 0,
					S_END, 0, 0},
			{RPL, INV, 487, 0, MW, "a", "b", NONE, -1, "", "", 0, S_END, 0, 0},
			{EIMSAGW_EV_TM_FAILED, INV, 487, 0, W2, "a", "", NONE, -1, "", "",
					0, S_END, 0, 0},
	};
	(void)state;
	RUN(t, 0);
}

/* 486: the failure reply itself does nothing (failure_route may still
 * serial-fork); the final reply sent upstream (tm) deletes the call. */
static void test_busy(void **state)
{
	static const step_t t[] = {
			{REQ, INV, 0, 1, W2, "a", "", OFF, OI, "a", "", 1, S_OFF, 0, 0},
			{RPL, INV, 486, 0, MW, "a", "b", NONE, -1, "", "", 0, S_OFF, 0, 0},
			{EIMSAGW_EV_TM_FAILED, INV, 486, 0, W2, "a", "", DEL, -1, "a", "",
					0, S_END, 0, 0},
	};
	(void)state;
	RUN(t, 0);
}

/* Late offer: INVITE without SDP, offer in the 200, answer in the ACK. */
static void test_late_offer(void **state)
{
	static const step_t t[] = {
			{REQ, INV, 0, 0, W2, "a", "", NONE, -1, "", "", 0, S_OFF, 0, 0},
			{RPL, INV, 200, 1, MW, "a", "b", OFF, OW, "b", "a", 1, S_CON, 0, 0},
			{REQ, EIMSAGW_M_ACK, 0, 1, W2, "a", "b", ANS, AI, "b", "a", 0,
					S_CON, 0, 0},
			{REQ, EIMSAGW_M_ACK, 0, 1, W2, "a", "b", NONE, -1, "", "", 0, S_CON,
					0, 0},
	};
	(void)state;
	RUN(t, 0);
}

/* 100rel: answer in the reliable 183, UPDATE offer/answer in the early
 * dialog, 200 without SDP. */
static void test_prack_update(void **state)
{
	static const step_t t[] = {
			{REQ, INV, 0, 1, W2, "a", "", OFF, OI, "a", "", 1, S_OFF, 0, 0},
			{RPL, INV, 183, 1, MW, "a", "b", ANS, AW, "a", "b", 1, S_EAR, 0, 0},
			{REQ, EIMSAGW_M_PRACK, 0, 0, W2, "a", "b", NONE, -1, "", "", 0,
					S_EAR, 0, 0},
			{REQ, EIMSAGW_M_UPDATE, 0, 1, W2, "a", "b", OFF, OI, "a", "b", 1,
					S_EAR, 0, 0},
			{RPL, EIMSAGW_M_UPDATE, 200, 1, MW, "a", "b", ANS, AW, "a", "b", 1,
					S_EAR, 0, 0},
			{RPL, INV, 200, 0, MW, "a", "b", NONE, -1, "", "", 0, S_CON, 0, 0},
			/* PRACK offer from the caller, answered in the PRACK 200 */
			{REQ, EIMSAGW_M_PRACK, 0, 1, W2, "a", "b", OFF, OI, "a", "b", 0,
					S_CON, 0, 0},
			{RPL, EIMSAGW_M_PRACK, 200, 1, MW, "a", "b", ANS, AW, "a", "b", 0,
					S_CON, 0, 0},
			/* UPDATE rejected: no answer expected any more */
			{REQ, EIMSAGW_M_UPDATE, 0, 1, MW, "b", "a", OFF, OW, "b", "a", 0,
					S_CON, 0, 0},
			{RPL, EIMSAGW_M_UPDATE, 491, 0, W2, "b", "a", NONE, -1, "", "", 0,
					S_CON, 0, 0},
			{RPL, EIMSAGW_M_UPDATE, 200, 1, W2, "b", "a", NONE, -1, "", "", 0,
					S_CON, 0, 0},
	};
	(void)state;
	RUN(t, 1);
}

/* Late offer answered by PRACK (offer in a reliable 183). */
static void test_prack_answer(void **state)
{
	static const step_t t[] = {
			{REQ, INV, 0, 0, MW, "i", "", NONE, -1, "", "", 0, S_OFF, 0, 0},
			{RPL, INV, 183, 1, W2, "i", "w", OFF, OI, "w", "i", 1, S_EAR, 0, 0},
			{REQ, EIMSAGW_M_PRACK, 0, 1, MW, "i", "w", ANS, AW, "w", "i", 1,
					S_EAR, 0, 0},
			{RPL, INV, 200, 0, W2, "i", "w", NONE, -1, "", "", 0, S_CON, 0, 0},
	};
	(void)state;
	RUN(t, 1);
}

/* Rejected re-INVITE: the next SDP in a 200 of another re-INVITE still
 * pairs correctly. */
static void test_reinvite_rejected(void **state)
{
	static const step_t t[] = {
			{REQ, INV, 0, 1, W2, "a", "", OFF, OI, "a", "", 1, S_OFF, 0, 0},
			{RPL, INV, 200, 1, MW, "a", "b", ANS, AW, "a", "b", 1, S_CON, 0, 0},
			{REQ, INV, 0, 1, W2, "a", "b", OFF, OI, "a", "b", 0, S_CON, 0, 0},
			{RPL, INV, 488, 0, MW, "a", "b", NONE, -1, "", "", 0, S_CON, 0, 0},
			{REQ, INV, 0, 0, MW, "b", "a", NONE, -1, "", "", 0, S_CON, 0, 0},
			{RPL, INV, 200, 1, W2, "b", "a", OFF, OI, "a", "b", 0, S_CON, 0, 0},
			{REQ, EIMSAGW_M_ACK, 0, 1, MW, "b", "a", ANS, AW, "a", "b", 0,
					S_CON, 0, 0},
	};
	(void)state;
	RUN(t, 0);
}

static void ev_init(eimsagw_event_t *ev, int kind, int rx, const char *from,
		const char *to, int64_t now)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->method = INV;
	ev->has_sdp = 1;
	ev->rx_side = rx;
	ev->call_id = S("c@h");
	ev->from_tag = S(from);
	ev->to_tag = S(to);
	ev->now = now;
}

/* tm/dialog/timer events end a session at the right moments only. */
static void test_module_events(void **state)
{
	eimsagw_sess_t s;
	eimsagw_event_t ev;
	eimsagw_actions_t a;

	(void)state;
	ev_init(&ev, REQ, W2, "a", "", 100);
	assert_int_equal(eimsagw_sess_init(&s, &ev, 0), 0);
	assert_int_equal(eimsagw_step(&s, &ev, &a), 1);
	/* transaction freed without any reply: delete */
	ev_init(&ev, EIMSAGW_EV_TM_GONE, EIMSAGW_SIDE_AUTO, "a", "", 101);
	assert_int_equal(eimsagw_step(&s, &ev, &a), 1);
	assert_int_equal(a.op, DEL);
	assert_string_equal(a.why, "INVITE transaction ended unanswered");

	/* confirmed: tm events are ignored, the dialog's end deletes */
	ev_init(&ev, REQ, W2, "a", "", 100);
	assert_int_equal(eimsagw_sess_init(&s, &ev, 0), 0);
	eimsagw_step(&s, &ev, &a);
	ev_init(&ev, RPL, MW, "a", "b", 101);
	ev.status = 200;
	eimsagw_step(&s, &ev, &a);
	assert_int_equal(s.state, S_CON);
	ev_init(&ev, EIMSAGW_EV_TM_GONE, EIMSAGW_SIDE_AUTO, "a", "", 102);
	assert_int_equal(eimsagw_step(&s, &ev, &a), 0);
	ev_init(&ev, EIMSAGW_EV_TM_FAILED, EIMSAGW_SIDE_AUTO, "a", "", 102);
	assert_int_equal(eimsagw_step(&s, &ev, &a), 0);
	ev_init(&ev, EIMSAGW_EV_SWEEP, EIMSAGW_SIDE_AUTO, "a", "", 5000);
	ev.early_timeout = 60;
	assert_int_equal(eimsagw_step(&s, &ev, &a), 0); /* no lifetime set */
	ev.lifetime = 3600;
	assert_int_equal(eimsagw_step(&s, &ev, &a), 1);
	assert_string_equal(a.why, "lifetime exceeded");
	assert_int_equal(eimsagw_step(&s, &ev, &a), 0); /* ended */

	/* an unanswered session is swept after early_timeout */
	ev_init(&ev, REQ, W2, "a", "", 100);
	assert_int_equal(eimsagw_sess_init(&s, &ev, 0), 0);
	eimsagw_step(&s, &ev, &a);
	ev_init(&ev, EIMSAGW_EV_SWEEP, EIMSAGW_SIDE_AUTO, "a", "", 159);
	ev.early_timeout = 60;
	assert_int_equal(eimsagw_step(&s, &ev, &a), 0);
	ev.now = 160;
	assert_int_equal(eimsagw_step(&s, &ev, &a), 1);
	assert_string_equal(a.why, "never answered");

	/* a 2xx the script did not see (no SDP): tm tells the module, and the
	 * end of the INVITE transaction then leaves the call alone */
	ev_init(&ev, REQ, W2, "a", "", 100);
	assert_int_equal(eimsagw_sess_init(&s, &ev, 0), 0);
	eimsagw_step(&s, &ev, &a);
	ev_init(&ev, RPL, MW, "a", "b", 101);
	ev.status = 183;
	ev.reliable = 1;
	assert_int_equal(eimsagw_step(&s, &ev, &a), 1);
	assert_int_equal(s.state, S_EAR);
	ev_init(&ev, EIMSAGW_EV_TM_ANSWERED, EIMSAGW_SIDE_AUTO, "a", "b", 102);
	assert_int_equal(eimsagw_step(&s, &ev, &a), 0);
	assert_int_equal(s.state, S_CON);
	assert_true(epc_span_eq(eimsagw_sess_str(&s, s.conf_tag), S("b")));
	ev_init(&ev, EIMSAGW_EV_TM_ANSWERED, EIMSAGW_SIDE_AUTO, "a", "c", 103);
	assert_int_equal(eimsagw_step(&s, &ev, &a), 0); /* first 2xx wins */
	assert_true(epc_span_eq(eimsagw_sess_str(&s, s.conf_tag), S("b")));
	ev_init(&ev, EIMSAGW_EV_TM_GONE, EIMSAGW_SIDE_AUTO, "a", "", 104);
	assert_int_equal(eimsagw_step(&s, &ev, &a), 0);

	ev_init(&ev, REQ, W2, "a", "", 100);
	assert_int_equal(eimsagw_sess_init(&s, &ev, 0), 0);
	ev_init(&ev, EIMSAGW_EV_DLG_ENDED, EIMSAGW_SIDE_AUTO, "a", "", 101);
	assert_int_equal(eimsagw_step(&s, &ev, &a), 1);
	assert_int_equal(a.op, DEL);
	ev_init(&ev, REQ, W2, "a", "", 100);
	assert_int_equal(eimsagw_sess_init(&s, &ev, 0), 0);
	ev_init(&ev, EIMSAGW_EV_DELETE, EIMSAGW_SIDE_AUTO, "a", "", 101);
	assert_int_equal(eimsagw_step(&s, &ev, &a), 1);
	assert_string_equal(a.why, "deleted");
}

/* A WIC-to-WIC call through the IMS core passes twice: each pass matches
 * exactly only the messages on its own sides. */
static void test_spiral_match(void **state)
{
	eimsagw_sess_t orig, term;
	eimsagw_event_t ev;
	eimsagw_actions_t a;
	char buf[300];

	(void)state;
	ev_init(&ev, REQ, W2, "a", "", 1);
	assert_int_equal(eimsagw_sess_init(&orig, &ev, 0), 0);
	ev_init(&ev, REQ, MW, "a", "", 1);
	/* the terminating pass is only a tag match for the originating one */
	assert_int_equal(eimsagw_sess_match(&orig, &ev), EIMSAGW_MATCH_TAGS);
	assert_int_equal(eimsagw_sess_init(&term, &ev, 1), 0);
	assert_int_equal(eimsagw_sess_match(&term, &ev), EIMSAGW_MATCH_EXACT);
	assert_true(epc_span_eq(eimsagw_sess_ng_call_id(&term, buf, sizeof(buf)),
			S("c@h" EIMSAGW_SPIRAL_SUFFIX)));
	assert_true(epc_span_eq(
			eimsagw_sess_ng_call_id(&orig, buf, sizeof(buf)), S("c@h")));
	assert_int_equal(eimsagw_sess_ng_call_id(&term, buf, 3).len, 0);
	assert_int_equal(eimsagw_step(&term, &ev, &a), 1);
	assert_true(epc_span_eq(a.call_id, S("c@h" EIMSAGW_SPIRAL_SUFFIX)));
	assert_int_equal(a.profile, OW);
	/* 200 from the called WIC arrives over W2: terminating pass */
	ev_init(&ev, RPL, W2, "a", "b", 2);
	ev.status = 200;
	assert_int_equal(eimsagw_sess_match(&term, &ev), EIMSAGW_MATCH_EXACT);
	assert_int_equal(eimsagw_sess_match(&orig, &ev), EIMSAGW_MATCH_TAGS);
	/* the same 200 forwarded by the core reaches the originating pass */
	ev.rx_side = MW;
	assert_int_equal(eimsagw_sess_match(&orig, &ev), EIMSAGW_MATCH_EXACT);
	/* BYE from the callee WIC (W2) */
	ev_init(&ev, REQ, W2, "b", "a", 3);
	assert_int_equal(eimsagw_sess_match(&term, &ev), EIMSAGW_MATCH_EXACT);
	/* other calls and tags */
	ev.call_id = S("other");
	assert_int_equal(eimsagw_sess_match(&term, &ev), EIMSAGW_MATCH_NO);
	ev_init(&ev, REQ, W2, "x", "y", 3);
	assert_int_equal(eimsagw_sess_match(&term, &ev), EIMSAGW_MATCH_NO);
	ev.rx_side = EIMSAGW_SIDE_AUTO;
	ev.from_tag = S("a");
	assert_int_equal(eimsagw_sess_match(&term, &ev), EIMSAGW_MATCH_EXACT);
}

static void test_init_limits(void **state)
{
	eimsagw_sess_t s;
	eimsagw_event_t ev;
	char big[EIMSAGW_CALLID_MAX + 2];

	(void)state;
	ev_init(&ev, REQ, W2, "a", "", 1);
	memset(big, 'c', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ev.call_id = S(big);
	assert_int_equal(eimsagw_sess_init(&s, &ev, 0), EIMSAGW_SESS_E_LONG);
	big[EIMSAGW_CALLID_MAX] = '\0';
	ev.call_id = S(big);
	assert_int_equal(eimsagw_sess_init(&s, &ev, 0), 0);
	ev.to_tag = S("t");
	assert_false(eimsagw_sess_creates(&ev));
	assert_int_equal(eimsagw_sess_init(&s, &ev, 0), EIMSAGW_SESS_E_ARG);
	ev_init(&ev, REQ, EIMSAGW_SIDE_AUTO, "a", "", 1);
	assert_int_equal(eimsagw_sess_init(&s, &ev, 0), EIMSAGW_SESS_E_ARG);
	ev_init(&ev, REQ, W2, "", "", 1);
	assert_int_equal(eimsagw_sess_init(&s, &ev, 0), EIMSAGW_SESS_E_ARG);
	ev_init(&ev, RPL, W2, "a", "", 1);
	assert_false(eimsagw_sess_creates(&ev));
	assert_string_equal(eimsagw_side_name(W2), "w2");
	assert_string_equal(eimsagw_side_name(0), "auto");
	assert_string_equal(eimsagw_state_name(99), "unknown");
	assert_string_equal(eimsagw_prof_name(EIMSAGW_P_COUNT), "unknown");
}

/* More forks than remembered branches, and a long confirmed tag: bounded. */
static void test_many_branches(void **state)
{
	eimsagw_sess_t s;
	eimsagw_event_t ev;
	eimsagw_actions_t a;
	char tag[EIMSAGW_TAG_MAX + 2];
	int i;

	(void)state;
	ev_init(&ev, REQ, W2, "a", "", 1);
	assert_int_equal(eimsagw_sess_init(&s, &ev, 0), 0);
	eimsagw_step(&s, &ev, &a);
	for(i = 0; i < 3 * EIMSAGW_BRANCH_MAX; i++) {
		memset(tag, 'a' + i, EIMSAGW_TAG_MAX);
		tag[EIMSAGW_TAG_MAX] = '\0';
		ev_init(&ev, RPL, MW, "a", tag, 2);
		ev.status = 183;
		assert_int_equal(eimsagw_step(&s, &ev, &a), 1);
	}
	assert_true(s.nbranches <= EIMSAGW_BRANCH_MAX);
	memset(tag, 'z', sizeof(tag) - 1);
	tag[sizeof(tag) - 1] = '\0';
	ev_init(&ev, RPL, MW, "a", tag, 3);
	ev.status = 200;
	assert_int_equal(eimsagw_step(&s, &ev, &a), EIMSAGW_SESS_E_LONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_originating),
			cmocka_unit_test(test_terminating),
			cmocka_unit_test(test_forking),
			cmocka_unit_test(test_parallel_busy_then_answer),
			cmocka_unit_test(test_parallel_all_fail),
			cmocka_unit_test(test_parallel_cancel),
			cmocka_unit_test(test_parallel_abort),
			cmocka_unit_test(test_fork_bookkeeping),
			cmocka_unit_test(test_cancel),
			cmocka_unit_test(test_busy),
			cmocka_unit_test(test_late_offer),
			cmocka_unit_test(test_prack_update),
			cmocka_unit_test(test_prack_answer),
			cmocka_unit_test(test_reinvite_rejected),
			cmocka_unit_test(test_module_events),
			cmocka_unit_test(test_spiral_match),
			cmocka_unit_test(test_init_limits),
			cmocka_unit_test(test_many_branches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
