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
 * eimsagw_ctl glue: the AGW set in shm (health under one lock), the ng
 * exchange over per-process connected UDP sockets (cookie, retransmission,
 * timeout; ICMP port unreachable ends the wait at once) and the timer
 * process (pings, session sweep).
 */

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/locking.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"
#include "core/ip_addr.h"
#include "core/pt.h"
#include "core/ut.h"

#include "eimsagw_ctl_mod.h"

#define EIMSAGW_BUF_MAX 65536
#define EIMSAGW_NODES_MAX 4096

typedef struct eimsagw_addr
{
	union sockaddr_union su;
	socklen_t len;
	str uri; /* shm, the spec text */
} eimsagw_addr_t;

/* shm, built in mod_init */
static eimsagw_set_t *_set = NULL;
static gen_lock_t *_set_lock = NULL;
static eimsagw_addr_t *_addrs = NULL;
static int _nagw = 0;

/* modparam values (pkg of the main process, read in mod_init) */
static char *_specs[EIMSAGW_AGW_MAX];
static int _nspecs = 0;

/* per process */
static int _fds[EIMSAGW_AGW_MAX];
static int _fds_pid = 0;
static unsigned int _seq = 0;
static unsigned int _salt = 0;
static char _req_buf[EIMSAGW_BUF_MAX];
static char _rpl_buf[EIMSAGW_BUF_MAX];
static eimsagw_bnode_t _nodes[EIMSAGW_NODES_MAX];

int eimsagw_io_param(modparam_t type, void *val)
{
	if(!val || !*(char *)val)
		return 0;
	if(_nspecs >= EIMSAGW_AGW_MAX) {
		LM_ERR("more than %d AGWs configured\n", EIMSAGW_AGW_MAX);
		return -1;
	}
	_specs[_nspecs++] = (char *)val;
	return 0;
}

static int resolve(const eimsagw_agw_spec_t *sp, eimsagw_addr_t *a)
{
	struct addrinfo hints, *res = NULL;
	char port[8];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	hints.ai_family = sp->ipv6 ? AF_INET6 : AF_UNSPEC;
	snprintf(port, sizeof(port), "%u", (unsigned)sp->port);
	rc = getaddrinfo(sp->host, port, &hints, &res);
	if(rc != 0 || !res) {
		LM_ERR("cannot resolve AGW host %s: %s\n", sp->host, gai_strerror(rc));
		return -1;
	}
	if(res->ai_addrlen > sizeof(a->su)) {
		freeaddrinfo(res);
		return -1;
	}
	memcpy(&a->su, res->ai_addr, res->ai_addrlen);
	a->len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int add_one(const char *text, int64_t now)
{
	eimsagw_agw_spec_t sp;
	eimsagw_addr_t *a = &_addrs[_nagw];
	epc_span_t t = epc_span_cstr(text);

	if(eimsagw_agw_spec_parse(t, &sp) < 0) {
		LM_ERR("invalid AGW spec '%s' (want udp:HOST:PORT[;weight=N]"
			   "[;disabled])\n",
				text);
		return -1;
	}
	if(resolve(&sp, a) < 0)
		return -1;
	a->uri.len = (int)strlen(text);
	a->uri.s = shm_malloc(a->uri.len + 1);
	if(!a->uri.s) {
		SHM_MEM_ERROR;
		return -1;
	}
	memcpy(a->uri.s, text, a->uri.len + 1);
	if(eimsagw_set_add(_set, &sp, t, now) < 0)
		return -1;
	_nagw++;
	LM_INFO("AGW %d: %s (weight %u%s)\n", _nagw - 1, text, sp.weight,
			sp.disabled ? ", disabled" : "");
	return 0;
}

int eimsagw_io_init(void)
{
	int i;

	if(_nspecs == 0)
		LM_WARN("no AGW configured (modparam agw): every SDP offer is "
				"refused as 'no eIMS-AGW available'\n");
	_set = shm_malloc(sizeof(*_set));
	_addrs = shm_malloc(sizeof(*_addrs) * (_nspecs ? _nspecs : 1));
	_set_lock = lock_alloc();
	if(!_set || !_addrs || !_set_lock) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_addrs, 0, sizeof(*_addrs) * (_nspecs ? _nspecs : 1));
	if(!lock_init(_set_lock)) {
		LM_ERR("cannot init the AGW set lock\n");
		lock_dealloc(_set_lock);
		_set_lock = NULL;
		return -1;
	}
	eimsagw_set_init(_set, (uint32_t)eimsagw_down_after);
	for(i = 0; i < _nspecs; i++) {
		if(add_one(_specs[i], eimsagw_now()) < 0)
			return -1;
	}
	return 0;
}

void eimsagw_io_destroy(void)
{
	int i;

	if(_addrs) {
		for(i = 0; i < _nagw; i++) {
			if(_addrs[i].uri.s)
				shm_free(_addrs[i].uri.s);
		}
		shm_free(_addrs);
		_addrs = NULL;
	}
	if(_set_lock) {
		lock_destroy(_set_lock);
		lock_dealloc(_set_lock);
		_set_lock = NULL;
	}
	if(_set) {
		shm_free(_set);
		_set = NULL;
	}
}

int eimsagw_io_count(void)
{
	return _nagw;
}

/* Sockets of this process (re)initialised after a fork. */
static void fds_check(void)
{
	int i, pid = my_pid();
	struct timeval tv;

	if(_fds_pid == pid)
		return;
	for(i = 0; i < EIMSAGW_AGW_MAX; i++) {
		if(_fds_pid != 0 && _fds[i] >= 0)
			close(_fds[i]);
		_fds[i] = -1;
	}
	gettimeofday(&tv, NULL);
	_salt = (unsigned int)(tv.tv_usec ^ (tv.tv_sec << 8)) & 0xffffff;
	_seq = 0;
	_fds_pid = pid;
}

static int get_fd(int i)
{
	int fd;

	fds_check();
	if(_fds[i] >= 0)
		return _fds[i];
	fd = socket(_addrs[i].su.s.sa_family,
			SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if(fd < 0) {
		LM_ERR("socket for AGW %.*s: %s\n", _addrs[i].uri.len, _addrs[i].uri.s,
				strerror(errno));
		return -1;
	}
	/* connected: replies only from the AGW, and ICMP errors reach us */
	if(connect(fd, &_addrs[i].su.s, _addrs[i].len) < 0) {
		LM_ERR("connect to AGW %.*s: %s\n", _addrs[i].uri.len, _addrs[i].uri.s,
				strerror(errno));
		close(fd);
		return -1;
	}
	_fds[i] = fd;
	return fd;
}

int eimsagw_io_child_init(int rank)
{
	int i;

	if(rank == PROC_INIT || rank == PROC_TCP_MAIN || rank == PROC_MAIN)
		return 0;
	for(i = 0; i < _nagw; i++)
		(void)get_fd(i); /* failures are retried at the first use */
	return 0;
}

static int64_t now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static void record(int i, int ok, int64_t rtt)
{
	int tr;

	lock_get(_set_lock);
	tr = eimsagw_set_result(_set, (uint32_t)i, ok, rtt, eimsagw_now());
	lock_release(_set_lock);
	if(tr == EIMSAGW_SET_WENT_DOWN) {
		int counts[EIMSAGW_AGW_MAX];
		eimsagw_table_per_agw(counts, EIMSAGW_AGW_MAX);
		LM_ERR("AGW %.*s is down (no answer): %d media sessions anchored "
			   "there are lost (listed by eimsagw.sessions); new calls go "
			   "to other AGWs\n",
				_addrs[i].uri.len, _addrs[i].uri.s, counts[i]);
	} else if(tr == EIMSAGW_SET_WENT_UP)
		LM_NOTICE("AGW %.*s is up again\n", _addrs[i].uri.len, _addrs[i].uri.s);
}

/* Wait for the reply with our cookie until deadline (us).
 * @return 1 reply, 0 timeout, -1 refused/socket error, -2 bad reply */
static int wait_reply(
		int fd, int64_t deadline, epc_span_t cookie, eimsagw_ngreply_t *rp)
{
	struct pollfd pfd;
	ssize_t n;
	int rc;

	for(;;) {
		int64_t left = deadline - now_us();
		if(left <= 0)
			return 0;
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		rc = poll(&pfd, 1, (int)((left + 999) / 1000));
		if(rc < 0 && errno == EINTR)
			continue;
		if(rc <= 0)
			return rc == 0 ? 0 : -1;
		n = recv(fd, _rpl_buf, sizeof(_rpl_buf), 0);
		if(n < 0) {
			if(errno == EAGAIN || errno == EINTR)
				continue;
			return -1; /* ECONNREFUSED: nobody listens there */
		}
		rc = eimsagw_ng_parse_reply(
				_rpl_buf, (size_t)n, cookie, _nodes, EIMSAGW_NODES_MAX, rp);
		if(rc == EIMSAGW_NG_E_COOKIE)
			continue; /* late reply to an earlier, timed-out request */
		if(rc < 0) {
			LM_ERR("unusable ng reply (%s)\n", eimsagw_ng_strerror(rc));
			return -2;
		}
		return 1;
	}
}

/* Send (and resend) until a reply or timeout. @return as wait_reply */
static int exchange(
		int fd, size_t len, epc_span_t cookie, eimsagw_ngreply_t *rp)
{
	int tries = 1 + (eimsagw_ng_retries > 0 ? eimsagw_ng_retries : 0);
	int t, rc = 0;

	/* drop stale datagrams (replies to requests we gave up on) */
	while(recv(fd, _rpl_buf, sizeof(_rpl_buf), MSG_DONTWAIT) > 0)
		;
	for(t = 0; t < tries; t++) {
		if(send(fd, _req_buf, len, 0) < 0 && errno != EAGAIN)
			return -1;
		rc = wait_reply(
				fd, now_us() + (int64_t)eimsagw_ng_timeout * 1000, cookie, rp);
		if(rc != 0)
			return rc;
	}
	return 0;
}

int eimsagw_io_request(int agw, const eimsagw_ngreq_t *req,
		eimsagw_ngreply_t *rp, const eimsagw_bnode_t **nodes)
{
	char ck[EIMSAGW_COOKIE_MAX + 1];
	epc_span_t cookie;
	size_t len;
	int64_t t0;
	int fd, rc;

	if(agw < 0 || agw >= _nagw)
		return EIMSAGW_IO_E_SOCKET;
	fd = get_fd(agw);
	/* unique among all processes and restarts: rtpengine caches replies by
	 * cookie alone and would answer a reused one from its cache */
	cookie.len = (size_t)snprintf(
			ck, sizeof(ck), "%x_%x_%x", (unsigned)my_pid(), _salt, ++_seq);
	cookie.s = ck;
	rc = eimsagw_ng_build(req, cookie, _req_buf, sizeof(_req_buf), &len);
	if(rc < 0) {
		LM_ERR("cannot build ng %s: %s\n", eimsagw_ng_cmd_name(req->cmd),
				eimsagw_ng_strerror(rc));
		return EIMSAGW_IO_E_BUILD;
	}
	if(fd < 0) {
		record(agw, 0, 0);
		return EIMSAGW_IO_E_SOCKET;
	}
	t0 = now_us();
	rc = exchange(fd, len, cookie, rp);
	if(rc <= 0 && rc != -2) {
		counter_inc(eimsagw_cnt.ng_timeouts);
		LM_WARN("AGW %.*s: no answer to ng %s (%s)\n", _addrs[agw].uri.len,
				_addrs[agw].uri.s, eimsagw_ng_cmd_name(req->cmd),
				rc == 0 ? "timeout" : strerror(errno));
		record(agw, 0, 0);
		return EIMSAGW_IO_E_TIMEOUT;
	}
	record(agw, 1, now_us() - t0);
	if(rc == -2)
		return EIMSAGW_IO_E_REPLY;
	if(nodes)
		*nodes = _nodes;
	return EIMSAGW_IO_OK;
}

int eimsagw_io_pick(epc_span_t key, uint32_t exclude)
{
	int i;

	lock_get(_set_lock);
	i = eimsagw_set_pick(_set, key, exclude);
	lock_release(_set_lock);
	return i;
}

int eimsagw_io_usable(int agw)
{
	int u;

	if(agw < 0 || agw >= _nagw)
		return 0;
	lock_get(_set_lock);
	u = eimsagw_set_usable(_set, (uint32_t)agw);
	lock_release(_set_lock);
	return u;
}

int eimsagw_io_up(int agw)
{
	int u;

	if(agw < 0 || agw >= _nagw)
		return 0;
	lock_get(_set_lock);
	u = _set->agw[agw].up;
	lock_release(_set_lock);
	return u;
}

str eimsagw_io_uri(int agw)
{
	str none = str_init("none");

	if(agw < 0 || agw >= _nagw)
		return none;
	return _addrs[agw].uri;
}

void eimsagw_io_snapshot(eimsagw_set_t *out)
{
	lock_get(_set_lock);
	memcpy(out, _set, sizeof(*out));
	lock_release(_set_lock);
}

int eimsagw_io_enable(int agw, int on)
{
	if(agw < 0 || agw >= _nagw)
		return -1;
	lock_get(_set_lock);
	eimsagw_set_enable(_set, (uint32_t)agw, on, eimsagw_now());
	lock_release(_set_lock);
	LM_NOTICE("AGW %.*s %s by RPC\n", _addrs[agw].uri.len, _addrs[agw].uri.s,
			on ? "enabled" : "disabled");
	return 0;
}

#define EIMSAGW_SWEEP_EVERY 5 /* seconds between session sweeps */

void eimsagw_io_timer(unsigned int ticks, void *param)
{
	static unsigned int sweep = 0;
	eimsagw_ngreq_t req;
	eimsagw_ngreply_t rp;
	int64_t now = eimsagw_now();
	int i, due;

	(void)ticks;
	(void)param;
	memset(&req, 0, sizeof(req));
	req.cmd = EIMSAGW_NG_PING;
	for(i = 0; i < _nagw; i++) {
		lock_get(_set_lock);
		due = eimsagw_set_ping_due(
				_set, (uint32_t)i, now, (int64_t)eimsagw_ping_interval);
		lock_release(_set_lock);
		if(due)
			(void)eimsagw_io_request(i, &req, &rp, NULL);
	}
	if(++sweep >= EIMSAGW_SWEEP_EVERY) {
		sweep = 0;
		eimsagw_table_sweep(now);
	}
}
