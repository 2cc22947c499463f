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

/*
 * wsload: SIP over secure WebSocket load generator (RFC 6455, RFC 7118).
 *
 * Opens many TLS + WebSocket connections in parallel (a reconnect storm),
 * then sends SIP requests on each in a closed loop (at most --pipeline
 * outstanding per connection) and classifies what happened to every
 * connection. One event loop (epoll, non-blocking OpenSSL) per thread.
 *
 * Output, one line per round and a total, key=value separated by spaces:
 *   round=1 conns=400 ok=400 refused=0 tls_fail=0 ws_rejected=0 timeout=0
 *   proto=0 lost=0 sent=800 answered=800 ... rate=...
 * Exit status: 0 every connection ok, 3 some refused cleanly (TCP/TLS/HTTP
 * refusal) but nothing unclean, 1 a connection hung, broke the protocol or
 * was lost while requests were outstanding, 2 usage or setup error.
 *
 * See test/bench/README for the options and examples.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>

#define WSL_RBUF 65536
#define WSL_WBUF 8192
#define WSL_HS_MAX 8192 /* largest HTTP upgrade response we accept */
#define WSL_LAT_BUCKETS 40

enum wsl_state
{
	ST_CONNECTING,
	ST_TLS,
	ST_WS_RESP, /* upgrade request sent, waiting for 101 */
	ST_OPEN,	/* WebSocket open, SIP requests flowing */
	ST_FINISHED /* outcome decided; fd kept open until the close phase */
};

enum wsl_outcome
{
	OC_NONE,
	OC_OK,			/* handshake done, every request answered */
	OC_REFUSED,		/* TCP refused/reset or closed during TLS handshake */
	OC_TLS_FAIL,	/* TLS alert or handshake failure */
	OC_WS_REJECTED, /* HTTP answer other than 101 */
	OC_TIMEOUT,		/* no progress within --timeout (a hang) */
	OC_PROTO,		/* malformed HTTP/WebSocket/SIP from the server */
	OC_LOST,		/* closed by the server with requests outstanding */
	OC_COUNT
};

static const char *wsl_oc_name[OC_COUNT] = {"none", "ok", "refused", "tls_fail",
		"ws_rejected", "timeout", "proto", "lost"};

typedef struct wsl_opts
{
	const char *host;
	int port;
	const char *cafile;
	const char *sni;
	const char *origin;
	const char *domain;
	const char *method;
	const char *path;
	const char *close_mode;
	int conns;
	int rounds;
	int requests;	 /* per connection per round (count mode) */
	double duration; /* closed loop this long (duration mode) */
	double warmup;	 /* duration mode: not counted in the rate */
	double timeout;
	double hold;
	double pause;
	double connect_rate;
	int pipeline;
	int threads;
	int user_base;
	int verbose;
} wsl_opts_t;

typedef struct wsl_stats
{
	uint64_t oc[OC_COUNT];
	uint64_t sent, answered, in_window;
	uint64_t s2xx, s401, s4xx, s5xx, s6xx, sother;
	uint64_t lat[WSL_LAT_BUCKETS]; /* request latency, log2(us) buckets */
	uint32_t *hs_ms;			   /* handshake (TCP+TLS+WS) per conn */
	uint32_t hs_n;
} wsl_stats_t;

typedef struct wsl_conn
{
	int fd;
	int idx; /* global connection index */
	enum wsl_state st;
	enum wsl_outcome oc;
	uint32_t ev; /* epoll interest currently registered */
	SSL *ssl;
	double t_start, deadline, t_req;
	char key[32];
	unsigned char rbuf[WSL_RBUF];
	size_t rlen;
	unsigned char wbuf[WSL_WBUF];
	size_t wlen;
	unsigned cseq;
	int sent, answered, outstanding;
	int settled;
	char callid[48];
	char tag[24];
} wsl_conn_t;

typedef struct wsl_thread
{
	const wsl_opts_t *o;
	SSL_CTX *ctx;
	struct sockaddr_storage addr;
	socklen_t alen;
	int first, count; /* connections [first, first+count) */
	int round;
	double t_round, t_win0, t_win1;
	wsl_conn_t *c;
	wsl_stats_t st;
	uint64_t rng;
} wsl_thread_t;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64*: masking keys and tags only need to be unpredictable
	 * enough for a test client; seeded from getrandom() */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("wsload: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* -- connection helpers -------------------------------------------------- */

static void conn_watch(wsl_thread_t *t, int ep, wsl_conn_t *c, uint32_t want)
{
	struct epoll_event e;

	(void)t;
	if(c->fd < 0 || want == c->ev)
		return;
	memset(&e, 0, sizeof(e));
	e.events = want;
	e.data.ptr = c;
	if(epoll_ctl(ep, c->ev ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &e) == 0)
		c->ev = want;
}

static void conn_finish(wsl_thread_t *t, wsl_conn_t *c, enum wsl_outcome oc)
{
	if(c->st == ST_FINISHED)
		return;
	c->st = ST_FINISHED;
	c->oc = oc;
	t->st.oc[oc]++;
	if(t->o->verbose && oc != OC_OK)
		fprintf(stderr, "wsload: conn %d: %s\n", c->idx, wsl_oc_name[oc]);
}

/* the server closed or reset the connection: what that means depends on
 * how far the connection got */
static void conn_eof(wsl_thread_t *t, wsl_conn_t *c)
{
	if(c->st == ST_CONNECTING || c->st == ST_TLS)
		conn_finish(t, c, OC_REFUSED);
	else if(c->st == ST_WS_RESP)
		conn_finish(t, c, OC_REFUSED);
	else if(c->outstanding > 0 || c->answered < c->sent
			|| (t->o->requests > 0 && c->answered < t->o->requests))
		conn_finish(t, c, OC_LOST);
	else
		conn_finish(t, c, OC_OK);
}

static int wsl_b64(const unsigned char *in, int n, char *out, size_t outsz)
{
	if((size_t)(4 * ((n + 2) / 3) + 1) > outsz)
		return -1;
	return EVP_EncodeBlock((unsigned char *)out, in, n);
}

static int conn_queue(wsl_conn_t *c, const void *p, size_t n)
{
	if(c->wlen + n > sizeof(c->wbuf))
		return -1;
	memcpy(c->wbuf + c->wlen, p, n);
	c->wlen += n;
	return 0;
}

/* one masked client frame (RFC 6455 section 5.2, 5.3) */
static int conn_queue_frame(
		wsl_thread_t *t, wsl_conn_t *c, int opcode, const char *p, size_t n)
{
	unsigned char h[14];
	size_t hl = 0, i;
	uint32_t m = (uint32_t)rng_next(&t->rng);
	unsigned char mask[4];

	if(c->wlen + n + sizeof(h) > sizeof(c->wbuf))
		return -1;
	h[hl++] = (unsigned char)(0x80 | opcode);
	if(n < 126) {
		h[hl++] = (unsigned char)(0x80 | n);
	} else {
		h[hl++] = 0x80 | 126;
		h[hl++] = (unsigned char)(n >> 8);
		h[hl++] = (unsigned char)(n & 0xff);
	}
	memcpy(mask, &m, 4);
	memcpy(h + hl, mask, 4);
	hl += 4;
	conn_queue(c, h, hl);
	for(i = 0; i < n; i++)
		c->wbuf[c->wlen + i] = (unsigned char)p[i] ^ mask[i & 3];
	c->wlen += n;
	return 0;
}

static int conn_queue_upgrade(wsl_thread_t *t, wsl_conn_t *c)
{
	unsigned char raw[16];
	char req[1024];
	uint64_t a = rng_next(&t->rng), b = rng_next(&t->rng);
	int n;

	memcpy(raw, &a, 8);
	memcpy(raw + 8, &b, 8);
	if(wsl_b64(raw, 16, c->key, sizeof(c->key)) < 0)
		return -1;
	n = snprintf(req, sizeof(req),
			"GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
			"Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
			"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: sip\r\n"
			"%s%s%s\r\n",
			t->o->path, t->o->host, t->o->port, c->key,
			t->o->origin ? "Origin: " : "", t->o->origin ? t->o->origin : "",
			t->o->origin ? "\r\n" : "");
	if(n <= 0 || (size_t)n >= sizeof(req))
		return -1;
	return conn_queue(c, req, (size_t)n);
}

static int conn_queue_request(wsl_thread_t *t, wsl_conn_t *c)
{
	const wsl_opts_t *o = t->o;
	char msg[1500], ruri[256], to[272], contact[160] = "";
	int n, user = o->user_base + c->idx;

	c->cseq++;
	if(strcasecmp(o->method, "REGISTER") == 0) {
		snprintf(ruri, sizeof(ruri), "sip:%s", o->domain);
		snprintf(to, sizeof(to), "<sip:wsload%d@%s>", user, o->domain);
		/* RFC 7118: the Contact of a WebSocket client has a .invalid host */
		snprintf(contact, sizeof(contact),
				"Contact: <sip:w%d@wsload.invalid;transport=ws>;expires=600\r\n"
				"Expires: 600\r\nSupported: path, outbound, gruu\r\n",
				c->idx);
	} else {
		snprintf(
				ruri, sizeof(ruri), "sip:%s:%d;transport=ws", o->host, o->port);
		snprintf(to, sizeof(to), "<%s>", ruri);
	}
	n = snprintf(msg, sizeof(msg),
			"%s %s SIP/2.0\r\n"
			"Via: SIP/2.0/WSS c%d.invalid;branch=z9hG4bK%s.%u\r\n"
			"Max-Forwards: 70\r\n"
			"From: <sip:wsload%d@%s>;tag=%s\r\n"
			"To: %s\r\n"
			"Call-ID: %s\r\n"
			"CSeq: %u %s\r\n"
			"%s"
			"User-Agent: wsload\r\n"
			"Content-Length: 0\r\n\r\n",
			o->method, ruri, c->idx, c->callid, c->cseq, user, o->domain,
			c->tag, to, c->callid, c->cseq, o->method, contact);
	if(n <= 0 || (size_t)n >= sizeof(msg))
		return -1;
	if(conn_queue_frame(t, c, 0x1, msg, (size_t)n) < 0)
		return -1;
	c->sent++;
	c->outstanding++;
	c->t_req = now_s();
	t->st.sent++;
	return 0;
}

/* -- reading what the server sends --------------------------------------- */

static const char *find_hdr(const char *head, const char *end, const char *name)
{
	size_t nl = strlen(name);
	const char *p = head;

	while(p < end) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		if(!eol)
			eol = end;
		if((size_t)(eol - p) > nl && p[nl] == ':'
				&& strncasecmp(p, name, nl) == 0) {
			p += nl + 1;
			while(p < eol && (*p == ' ' || *p == '\t'))
				p++;
			return p;
		}
		p = eol + 2;
	}
	return NULL;
}

static int accept_ok(const wsl_conn_t *c, const char *v, const char *end)
{
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	char cat[96], want[64];
	unsigned char md[20];
	unsigned int mdlen = 0;
	size_t kl = strlen(c->key);
	int wl;

	memcpy(cat, c->key, kl);
	memcpy(cat + kl, guid, sizeof(guid) - 1);
	if(!EVP_Digest(cat, kl + sizeof(guid) - 1, md, &mdlen, EVP_sha1(), NULL))
		return 0;
	wl = wsl_b64(md, 20, want, sizeof(want));
	if(wl <= 0 || end - v < wl)
		return 0;
	return memcmp(v, want, (size_t)wl) == 0 && (v + wl == end || v[wl] == '\r');
}

static void conn_consume(wsl_conn_t *c, size_t n)
{
	memmove(c->rbuf, c->rbuf + n, c->rlen - n);
	c->rlen -= n;
}

static void on_http(wsl_thread_t *t, wsl_conn_t *c)
{
	const char *b = (const char *)c->rbuf;
	const char *eoh = memmem(b, c->rlen, "\r\n\r\n", 4);
	const char *v;
	int status;

	if(!eoh) {
		if(c->rlen > WSL_HS_MAX)
			conn_finish(t, c, OC_PROTO);
		return;
	}
	if(c->rlen < 12 || strncmp(b, "HTTP/1.1 ", 9) != 0) {
		conn_finish(t, c, OC_PROTO);
		return;
	}
	status = (int)strtol(b + 9, NULL, 10);
	if(status != 101) {
		conn_finish(t, c, OC_WS_REJECTED);
		return;
	}
	v = find_hdr(b, eoh + 2, "Sec-WebSocket-Accept");
	if(!v || !accept_ok(c, v, memmem(v, (size_t)(eoh + 2 - v), "\r\n", 2))) {
		conn_finish(t, c, OC_PROTO);
		return;
	}
	conn_consume(c, (size_t)(eoh + 4 - b));
	c->st = ST_OPEN;
	if(t->st.hs_n < (uint32_t)t->count)
		t->st.hs_ms[t->st.hs_n++] =
				(uint32_t)((now_s() - c->t_start) * 1000.0 + 0.5);
}

static void count_status(wsl_thread_t *t, int code)
{
	if(code >= 200 && code < 300)
		t->st.s2xx++;
	else if(code == 401)
		t->st.s401++;
	else if(code >= 400 && code < 500)
		t->st.s4xx++;
	else if(code >= 500 && code < 600)
		t->st.s5xx++;
	else if(code >= 600 && code < 700)
		t->st.s6xx++;
	else
		t->st.sother++;
}

static void on_sip(wsl_thread_t *t, wsl_conn_t *c, const char *p, size_t n)
{
	double now, us;
	int code, b = 0;

	if(n < 12 || strncmp(p, "SIP/2.0 ", 8) != 0) {
		/* a request toward the client: not expected in this test */
		return;
	}
	code = (int)strtol(p + 8, NULL, 10);
	if(code < 200)
		return;
	if(c->outstanding <= 0) {
		conn_finish(t, c, OC_PROTO);
		return;
	}
	c->outstanding--;
	c->answered++;
	t->st.answered++;
	count_status(t, code);
	now = now_s();
	if(now >= t->t_win0 && now <= t->t_win1)
		t->st.in_window++;
	us = (now - c->t_req) * 1e6;
	while(b < WSL_LAT_BUCKETS - 1 && us >= (double)(2ULL << b))
		b++;
	t->st.lat[b]++;
	c->deadline = now + t->o->timeout;
}

/* parse complete server frames from rbuf (RFC 6455 section 5.2) */
static void on_frames(wsl_thread_t *t, wsl_conn_t *c)
{
	while(c->st == ST_OPEN && c->rlen >= 2) {
		unsigned char *b = c->rbuf;
		int op = b[0] & 0x0f, masked = b[1] & 0x80;
		uint64_t len = b[1] & 0x7f;
		size_t hl = 2;

		if(masked || !(b[0] & 0x80)) {
			/* servers never mask; fragmented messages are not expected */
			conn_finish(t, c, OC_PROTO);
			return;
		}
		if(len == 126) {
			if(c->rlen < 4)
				return;
			len = ((uint64_t)b[2] << 8) | b[3];
			hl = 4;
		} else if(len == 127) {
			if(c->rlen < 10)
				return;
			len = 0;
			for(hl = 2; hl < 10; hl++)
				len = (len << 8) | b[hl];
		}
		if(len > sizeof(c->rbuf) - hl) {
			conn_finish(t, c, OC_PROTO);
			return;
		}
		if(c->rlen < hl + len)
			return;
		if(op == 0x1 || op == 0x2) {
			on_sip(t, c, (const char *)b + hl, (size_t)len);
		} else if(op == 0x9) {
			/* ping -> pong with the same payload */
			char pl[126];
			size_t pn = len < sizeof(pl) ? (size_t)len : sizeof(pl);
			memcpy(pl, b + hl, pn);
			conn_queue_frame(t, c, 0xA, pl, pn);
		} else if(op == 0x8) {
			conn_consume(c, hl + (size_t)len);
			conn_eof(t, c);
			return;
		}
		conn_consume(c, hl + (size_t)len);
	}
}

/* -- the per-connection state machine ------------------------------------ */

static int conn_open(wsl_thread_t *t, int ep, wsl_conn_t *c)
{
	int one = 1;

	c->fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if(c->fd < 0) {
		conn_finish(t, c, OC_REFUSED);
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->t_start = now_s();
	c->deadline = c->t_start + t->o->timeout;
	c->st = ST_CONNECTING;
	if(connect(c->fd, (struct sockaddr *)&t->addr, t->alen) < 0
			&& errno != EINPROGRESS) {
		conn_finish(t, c, OC_REFUSED);
		return -1;
	}
	conn_watch(t, ep, c, EPOLLOUT | EPOLLIN);
	return 0;
}

static enum wsl_outcome ssl_fail_kind(wsl_conn_t *c, int err)
{
	(void)c;
	if(err == SSL_ERROR_SSL)
		return OC_TLS_FAIL;
	return OC_REFUSED; /* EOF or reset by the server */
}

/* returns 1 when blocked (interest set in *want), 0 to continue, -1 done */
static int conn_io(wsl_thread_t *t, wsl_conn_t *c, uint32_t *want)
{
	int r, e;

	if(c->st == ST_CONNECTING) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if(soerr == EINPROGRESS || soerr == EALREADY) {
			*want = EPOLLOUT;
			return 1;
		}
		if(soerr != 0) {
			conn_finish(t, c, OC_REFUSED);
			return -1;
		}
		c->ssl = SSL_new(t->ctx);
		if(!c->ssl || !SSL_set_fd(c->ssl, c->fd)) {
			conn_finish(t, c, OC_TLS_FAIL);
			return -1;
		}
		SSL_set_connect_state(c->ssl);
		if(t->o->sni)
			SSL_set_tlsext_host_name(c->ssl, t->o->sni);
		c->st = ST_TLS;
	}
	if(c->st == ST_TLS) {
		ERR_clear_error();
		r = SSL_do_handshake(c->ssl);
		if(r != 1) {
			e = SSL_get_error(c->ssl, r);
			if(e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
				*want = e == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT;
				return 1;
			}
			conn_finish(t, c, ssl_fail_kind(c, e));
			return -1;
		}
		if(conn_queue_upgrade(t, c) < 0) {
			conn_finish(t, c, OC_PROTO);
			return -1;
		}
		c->st = ST_WS_RESP;
		c->deadline = now_s() + t->o->timeout;
	}
	/* write what is queued */
	if(c->wlen > 0) {
		ERR_clear_error();
		r = SSL_write(c->ssl, c->wbuf, (int)c->wlen);
		if(r <= 0) {
			e = SSL_get_error(c->ssl, r);
			if(e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
				*want = e == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT;
				return 1;
			}
			conn_eof(t, c);
			return -1;
		}
		c->wlen = 0; /* no partial writes: SSL_write takes all or nothing */
	}
	/* read what is there */
	for(;;) {
		if(c->rlen == sizeof(c->rbuf)) {
			conn_finish(t, c, OC_PROTO);
			return -1;
		}
		ERR_clear_error();
		r = SSL_read(
				c->ssl, c->rbuf + c->rlen, (int)(sizeof(c->rbuf) - c->rlen));
		if(r > 0) {
			c->rlen += (size_t)r;
			if(c->st == ST_WS_RESP)
				on_http(t, c);
			if(c->st == ST_OPEN)
				on_frames(t, c);
			if(c->st == ST_FINISHED)
				return -1;
			continue;
		}
		e = SSL_get_error(c->ssl, r);
		if(e == SSL_ERROR_WANT_READ)
			break;
		if(e == SSL_ERROR_WANT_WRITE) {
			*want = EPOLLOUT;
			return 1;
		}
		conn_eof(t, c);
		return -1;
	}
	return 0;
}

static int conn_more(const wsl_thread_t *t, const wsl_conn_t *c, double now)
{
	if(t->o->requests > 0)
		return c->sent < t->o->requests;
	return now < t->t_win1;
}

static void conn_step(wsl_thread_t *t, int ep, wsl_conn_t *c)
{
	uint32_t want = EPOLLIN;
	int r;

	for(;;) {
		double now;

		if(c->st == ST_FINISHED)
			return;
		r = conn_io(t, c, &want);
		if(r < 0)
			return;
		if(r > 0)
			break;
		if(c->st != ST_OPEN) {
			want = EPOLLIN;
			break;
		}
		now = now_s();
		if(c->outstanding < t->o->pipeline && conn_more(t, c, now)
				&& c->wlen == 0) {
			if(conn_queue_request(t, c) < 0) {
				conn_finish(t, c, OC_PROTO);
				return;
			}
			continue; /* write it now */
		}
		if(c->outstanding == 0 && !conn_more(t, c, now)) {
			conn_finish(t, c, OC_OK);
			return;
		}
		want = c->wlen ? EPOLLOUT : EPOLLIN;
		break;
	}
	conn_watch(t, ep, c, want);
}

static void conn_close(wsl_thread_t *t, wsl_conn_t *c)
{
	if(c->fd < 0)
		return;
	if(c->oc == OC_OK && strcmp(t->o->close_mode, "clean") == 0) {
		static const char code[2] = {0x03, (char)0xe8}; /* 1000 */
		c->wlen = 0;
		if(conn_queue_frame(t, c, 0x8, code, 2) == 0)
			SSL_write(c->ssl, c->wbuf, (int)c->wlen);
		SSL_shutdown(c->ssl);
	} else if(strcmp(t->o->close_mode, "abrupt") == 0) {
		struct linger l = {1, 0}; /* RST, like a vanished network */
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(c->fd);
	c->fd = -1;
	c->ev = 0;
	if(c->ssl) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
}

/* -- one round in one thread --------------------------------------------- */

/* after conn_step(): account a connection whose outcome is now known */
static void conn_settle(wsl_thread_t *t, int ep, wsl_conn_t *c, int *left)
{
	if(c->st != ST_FINISHED || c->settled)
		return;
	c->settled = 1;
	(*left)--;
	if(c->oc != OC_OK) {
		conn_close(t, c); /* failed: nothing more to do with it */
		return;
	}
	/* ok: stays open (idle) until the close phase of the round */
	if(c->fd >= 0 && c->ev)
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	c->ev = 0;
}

static void round_init(wsl_thread_t *t)
{
	int i;

	for(i = 0; i < t->count; i++) {
		wsl_conn_t *c = &t->c[i];
		memset(c, 0, offsetof(wsl_conn_t, rbuf));
		c->fd = -1;
		c->idx = t->first + i;
		c->rlen = c->wlen = 0;
		snprintf(c->callid, sizeof(c->callid), "%016llx.%d.%d",
				(unsigned long long)rng_next(&t->rng), t->round, c->idx);
		snprintf(c->tag, sizeof(c->tag), "%08x", (unsigned)rng_next(&t->rng));
	}
}

static void round_check(wsl_thread_t *t, int ep, int opened, int *left)
{
	double now = now_s();
	int i;

	for(i = 0; i < opened; i++) {
		wsl_conn_t *c = &t->c[i];
		if(c->st == ST_FINISHED)
			continue;
		if(now > c->deadline) {
			conn_finish(t, c, OC_TIMEOUT);
		} else if(c->st == ST_OPEN && c->outstanding == 0) {
			/* duration mode: the window may have closed meanwhile */
			conn_step(t, ep, c);
		}
		conn_settle(t, ep, c, left);
	}
}

static void *thread_round(void *arg)
{
	wsl_thread_t *t = arg;
	const wsl_opts_t *o = t->o;
	struct epoll_event ev[256];
	int ep, i, opened = 0, left = t->count;
	double next_check, gap, next_open;

	ep = epoll_create1(0);
	if(ep < 0)
		die("epoll_create1: %s", strerror(errno));
	round_init(t);
	gap = o->connect_rate > 0 ? (double)o->threads / o->connect_rate : 0;
	next_open = now_s();
	next_check = next_open + 0.1;
	while(left > 0) {
		double now = now_s();
		int n;

		/* connect(); the handshake proceeds from the epoll events */
		while(opened < t->count && now >= next_open) {
			wsl_conn_t *c = &t->c[opened++];
			conn_open(t, ep, c);
			conn_settle(t, ep, c, &left);
			next_open = gap > 0 ? next_open + gap : now;
		}
		n = epoll_wait(ep, ev, 256, opened < t->count && gap > 0 ? 1 : 50);
		for(i = 0; i < n; i++) {
			wsl_conn_t *c = ev[i].data.ptr;
			if(c->st == ST_FINISHED)
				continue;
			conn_step(t, ep, c);
			conn_settle(t, ep, c, &left);
		}
		if(now_s() >= next_check) {
			next_check = now_s() + 0.1;
			round_check(t, ep, opened, &left);
		}
	}
	close(ep);
	return NULL;
}

static void thread_close_all(wsl_thread_t *t)
{
	int i;
	for(i = 0; i < t->count; i++)
		conn_close(t, &t->c[i]);
}

/* -- reporting ----------------------------------------------------------- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static double lat_pct(const uint64_t *lat, uint64_t total, double q)
{
	uint64_t acc = 0, want = (uint64_t)((double)total * q);
	int b;

	if(total == 0)
		return 0;
	for(b = 0; b < WSL_LAT_BUCKETS; b++) {
		acc += lat[b];
		if(acc > want)
			return (double)(2ULL << b) / 1000.0; /* bucket upper bound, ms */
	}
	return 0;
}

static void report(const char *label, int round, const wsl_opts_t *o,
		const wsl_stats_t *s, double elapsed, int nrounds)
{
	uint64_t lat_n = 0;
	double rate;
	uint32_t p50 = 0, p99 = 0, mx = 0;
	int b;

	for(b = 0; b < WSL_LAT_BUCKETS; b++)
		lat_n += s->lat[b];
	if(s->hs_n) {
		qsort(s->hs_ms, s->hs_n, sizeof(uint32_t), cmp_u32);
		p50 = s->hs_ms[s->hs_n / 2];
		p99 = s->hs_ms[(s->hs_n * 99) / 100 < s->hs_n ? (s->hs_n * 99) / 100
													  : s->hs_n - 1];
		mx = s->hs_ms[s->hs_n - 1];
	}
	if(o->requests > 0)
		rate = elapsed > 0 ? (double)s->answered / elapsed : 0;
	else
		rate = o->duration > 0 ? (double)s->in_window / (o->duration * nrounds)
							   : 0;
	printf("%s=%d conns=%d ok=%llu refused=%llu tls_fail=%llu "
		   "ws_rejected=%llu timeout=%llu proto=%llu lost=%llu "
		   "sent=%llu answered=%llu s2xx=%llu s401=%llu s4xx=%llu "
		   "s5xx=%llu s6xx=%llu sother=%llu hs_p50_ms=%u hs_p99_ms=%u "
		   "hs_max_ms=%u "
		   "lat_p50_ms=%.3f lat_p99_ms=%.3f elapsed_s=%.3f rate=%.1f\n",
			label, round, o->conns, (unsigned long long)s->oc[OC_OK],
			(unsigned long long)s->oc[OC_REFUSED],
			(unsigned long long)s->oc[OC_TLS_FAIL],
			(unsigned long long)s->oc[OC_WS_REJECTED],
			(unsigned long long)s->oc[OC_TIMEOUT],
			(unsigned long long)s->oc[OC_PROTO],
			(unsigned long long)s->oc[OC_LOST], (unsigned long long)s->sent,
			(unsigned long long)s->answered, (unsigned long long)s->s2xx,
			(unsigned long long)s->s401, (unsigned long long)s->s4xx,
			(unsigned long long)s->s5xx, (unsigned long long)s->s6xx,
			(unsigned long long)s->sother, p50, p99, mx,
			lat_pct(s->lat, lat_n, 0.5), lat_pct(s->lat, lat_n, 0.99), elapsed,
			rate);
	fflush(stdout);
}

static void stats_add(wsl_stats_t *a, const wsl_stats_t *b)
{
	int i;
	for(i = 0; i < OC_COUNT; i++)
		a->oc[i] += b->oc[i];
	a->sent += b->sent;
	a->answered += b->answered;
	a->in_window += b->in_window;
	a->s2xx += b->s2xx;
	a->s401 += b->s401;
	a->s4xx += b->s4xx;
	a->s5xx += b->s5xx;
	a->s6xx += b->s6xx;
	a->sother += b->sother;
	for(i = 0; i < WSL_LAT_BUCKETS; i++)
		a->lat[i] += b->lat[i];
	if(a->hs_ms && b->hs_n) {
		memcpy(a->hs_ms + a->hs_n, b->hs_ms, b->hs_n * sizeof(uint32_t));
		a->hs_n += b->hs_n;
	}
}

/* -- main ---------------------------------------------------------------- */

static void usage(void)
{
	fputs("usage: wsload --port N [options]\n"
		  "  --host A          server address (127.0.0.1)\n"
		  "  --port N          WSS port (required)\n"
		  "  --cafile F        verify the server certificate against F\n"
		  "                    (default: no verification)\n"
		  "  --sni NAME        TLS server name indication (none)\n"
		  "  --origin URL      Origin header of the upgrade request\n"
		  "  --path P          request target of the upgrade (/)\n"
		  "  --conns N         connections opened in parallel (100)\n"
		  "  --rounds R        open all, run, close all; R times (1)\n"
		  "  --requests K      requests per connection per round (1)\n"
		  "  --duration S      closed loop for S seconds instead\n"
		  "  --warmup S        duration mode: first S s not counted (1)\n"
		  "  --pipeline P      outstanding requests per connection (1)\n"
		  "  --method M        REGISTER (default) or OPTIONS\n"
		  "  --domain D        home domain for REGISTER (ims.test)\n"
		  "  --user-base N     first user number (wsload<N>) (0)\n"
		  "  --timeout S       max time without progress (10)\n"
		  "  --connect-rate R  new connections per second (0 = all)\n"
		  "  --hold S          keep connections open S s before close (0)\n"
		  "  --pause S         pause between rounds (0)\n"
		  "  --close MODE      clean (WS close + close_notify), abrupt\n"
		  "                    (TCP RST) or plain (FIN) (clean)\n"
		  "  --threads T       event loops (1)\n"
		  "  --verbose         log every failed connection to stderr\n",
			stderr);
	exit(2);
}

static double parse_num(const char *s, const char *what)
{
	char *end;
	double v = strtod(s, &end);
	if(end == s || *end || v < 0)
		die("bad value for %s: %s", what, s);
	return v;
}

static void parse_opts(int argc, char **argv, wsl_opts_t *o)
{
	static const struct option lo[] = {{"host", 1, 0, 'H'}, {"port", 1, 0, 'p'},
			{"cafile", 1, 0, 'C'}, {"origin", 1, 0, 'O'}, {"path", 1, 0, 'P'},
			{"conns", 1, 0, 'n'}, {"rounds", 1, 0, 'r'},
			{"requests", 1, 0, 'k'}, {"duration", 1, 0, 'd'},
			{"warmup", 1, 0, 'w'}, {"pipeline", 1, 0, 'l'},
			{"method", 1, 0, 'm'}, {"domain", 1, 0, 'D'},
			{"user-base", 1, 0, 'u'}, {"timeout", 1, 0, 't'},
			{"connect-rate", 1, 0, 'R'}, {"hold", 1, 0, 'h'},
			{"pause", 1, 0, 'z'}, {"close", 1, 0, 'c'}, {"threads", 1, 0, 'T'},
			{"verbose", 0, 0, 'v'}, {0, 0, 0, 0}};
	int ch;

	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->domain = "ims.test";
	o->method = "REGISTER";
	o->path = "/";
	o->close_mode = "clean";
	o->conns = 100;
	o->rounds = 1;
	o->requests = 1;
	o->warmup = 1;
	o->timeout = 10;
	o->pipeline = 1;
	o->threads = 1;
	while((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch(ch) {
			case 'H':
				o->host = optarg;
				break;
			case 'p':
				o->port = (int)parse_num(optarg, "--port");
				break;
			case 'C':
				o->cafile = optarg;
				break;
			case 'S':
				o->sni = optarg;
				break;
			case 'O':
				o->origin = optarg;
				break;
			case 'P':
				o->path = optarg;
				break;
			case 'n':
				o->conns = (int)parse_num(optarg, "--conns");
				break;
			case 'r':
				o->rounds = (int)parse_num(optarg, "--rounds");
				break;
			case 'k':
				o->requests = (int)parse_num(optarg, "--requests");
				break;
			case 'd':
				o->duration = parse_num(optarg, "--duration");
				o->requests = 0;
				break;
			case 'w':
				o->warmup = parse_num(optarg, "--warmup");
				break;
			case 'l':
				o->pipeline = (int)parse_num(optarg, "--pipeline");
				break;
			case 'm':
				o->method = optarg;
				break;
			case 'D':
				o->domain = optarg;
				break;
			case 'u':
				o->user_base = (int)parse_num(optarg, "--user-base");
				break;
			case 't':
				o->timeout = parse_num(optarg, "--timeout");
				break;
			case 'R':
				o->connect_rate = parse_num(optarg, "--connect-rate");
				break;
			case 'h':
				o->hold = parse_num(optarg, "--hold");
				break;
			case 'z':
				o->pause = parse_num(optarg, "--pause");
				break;
			case 'c':
				o->close_mode = optarg;
				break;
			case 'T':
				o->threads = (int)parse_num(optarg, "--threads");
				break;
			case 'v':
				o->verbose = 1;
				break;
			default:
				usage();
		}
	}
	if(o->port <= 0 || o->port > 65535 || o->conns <= 0 || o->rounds <= 0
			|| o->pipeline <= 0 || o->threads <= 0 || o->timeout <= 0
			|| (o->requests == 0 && o->duration <= 0))
		usage();
	if(strcmp(o->close_mode, "clean") && strcmp(o->close_mode, "abrupt")
			&& strcmp(o->close_mode, "plain"))
		usage();
	if(strcasecmp(o->method, "REGISTER") && strcasecmp(o->method, "OPTIONS"))
		usage();
	if(o->threads > o->conns)
		o->threads = o->conns;
}

static SSL_CTX *make_ctx(const wsl_opts_t *o)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if(!ctx)
		die("SSL_CTX_new failed");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/* every connection is a full handshake, as after a network blip */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	if(o->cafile) {
		if(!SSL_CTX_load_verify_locations(ctx, o->cafile, NULL))
			die("cannot load CA file %s", o->cafile);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	}
	return ctx;
}

static void resolve(const wsl_opts_t *o, wsl_thread_t *t)
{
	struct addrinfo hints, *ai = NULL;
	char port[8];

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", o->port);
	if(getaddrinfo(o->host, port, &hints, &ai) != 0 || !ai)
		die("bad --host %s (numeric address expected)", o->host);
	memcpy(&t->addr, ai->ai_addr, ai->ai_addrlen);
	t->alen = ai->ai_addrlen;
	freeaddrinfo(ai);
}

int main(int argc, char **argv)
{
	wsl_opts_t o;
	wsl_thread_t *th;
	pthread_t *tid;
	wsl_stats_t total;
	SSL_CTX *ctx;
	int i, r, per, rest, unclean = 0, refused = 0;
	uint64_t seed = 0;
	double elapsed = 0;

	parse_opts(argc, argv, &o);
	/* a server that drops a connection must not kill the client */
	signal(SIGPIPE, SIG_IGN);
	ctx = make_ctx(&o);
	th = calloc((size_t)o.threads, sizeof(*th));
	tid = calloc((size_t)o.threads, sizeof(*tid));
	memset(&total, 0, sizeof(total));
	total.hs_ms = calloc((size_t)o.conns * (size_t)o.rounds, sizeof(uint32_t));
	if(!th || !tid || !total.hs_ms)
		die("out of memory");
	if(getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)time(NULL) ^ (uint64_t)getpid();
	per = o.conns / o.threads;
	rest = o.conns % o.threads;
	for(i = 0; i < o.threads; i++) {
		th[i].o = &o;
		th[i].ctx = ctx;
		resolve(&o, &th[i]);
		th[i].first = i * per + (i < rest ? i : rest);
		th[i].count = per + (i < rest ? 1 : 0);
		th[i].c = calloc((size_t)th[i].count, sizeof(wsl_conn_t));
		th[i].st.hs_ms = calloc((size_t)th[i].count, sizeof(uint32_t));
		th[i].rng = seed ^ (0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1));
		if(!th[i].c || !th[i].st.hs_ms)
			die("out of memory");
	}
	for(r = 1; r <= o.rounds; r++) {
		wsl_stats_t rs;
		double t0 = now_s();

		memset(&rs, 0, sizeof(rs));
		rs.hs_ms = calloc((size_t)o.conns, sizeof(uint32_t));
		if(!rs.hs_ms)
			die("out of memory");
		for(i = 0; i < o.threads; i++) {
			uint32_t *hs = th[i].st.hs_ms;
			memset(&th[i].st, 0, sizeof(th[i].st));
			th[i].st.hs_ms = hs;
			th[i].round = r;
			th[i].t_round = t0;
			th[i].t_win0 = o.requests > 0 ? 0 : t0 + o.warmup;
			th[i].t_win1 = o.requests > 0 ? 1e300 : t0 + o.warmup + o.duration;
			if(pthread_create(&tid[i], NULL, thread_round, &th[i]) != 0)
				die("pthread_create failed");
		}
		for(i = 0; i < o.threads; i++)
			pthread_join(tid[i], NULL);
		for(i = 0; i < o.threads; i++)
			stats_add(&rs, &th[i].st);
		report("round", r, &o, &rs, now_s() - t0, 1);
		elapsed += now_s() - t0;
		if(o.hold > 0)
			usleep((useconds_t)(o.hold * 1e6));
		for(i = 0; i < o.threads; i++)
			thread_close_all(&th[i]);
		stats_add(&total, &rs);
		free(rs.hs_ms);
		if(o.pause > 0 && r < o.rounds)
			usleep((useconds_t)(o.pause * 1e6));
	}
	report("total", o.rounds, &o, &total, elapsed, o.rounds);
	unclean = total.oc[OC_TIMEOUT] + total.oc[OC_PROTO] + total.oc[OC_LOST] > 0;
	refused = total.oc[OC_REFUSED] + total.oc[OC_TLS_FAIL]
					  + total.oc[OC_WS_REJECTED]
			  > 0;
	for(i = 0; i < o.threads; i++) {
		free(th[i].c);
		free(th[i].st.hs_ms);
	}
	free(th);
	free(tid);
	free(total.hs_ms);
	SSL_CTX_free(ctx);
	return unclean ? 1 : refused ? 3 : 0;
}
