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
 * Acts like many browsers at once: opens TLS + WebSocket connections (all at
 * once - a reconnect storm - or at a given rate, each with an Origin, from
 * several source addresses), registers (no credentials, SIP Digest answering
 * the core's 401, or a WWSF token it signs itself), refreshes, places calls
 * with SDP, holds connections idle with keepalives, and classifies what
 * happened to every connection. One event loop (epoll, non-blocking OpenSSL)
 * per thread; closed loop, open loop (--rate) or a fixed count.
 *
 * Output, one line per round (and per hold phase) and a total, key=value
 * separated by spaces:
 *   round=1 conns=400 ok=400 refused=0 tls_fail=0 ws_rejected=0 timeout=0
 *   proto=0 lost=0 sent=800 answered=800 ... rate=... ops_ok=... op_p99_ms=...
 * Exit status: 0 every connection ok, 3 some refused cleanly (TCP/TLS/HTTP
 * refusal) but nothing unclean, 1 a connection hung, broke the protocol or
 * was lost while requests were outstanding, 2 usage or setup error, 4 the
 * --max-time bound was hit.
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
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#define WSL_RBUF 32768
#define WSL_WBUF 32768
#define WSL_MSG 24576	/* largest SIP message we build */
#define WSL_HS_MAX 8192 /* largest HTTP upgrade response we accept */
/* latency histogram: microseconds, 16 linear sub-buckets per power of two
 * (resolution ~6%), up to 2^36 us */
#define WSL_LAT_SUB 16
#define WSL_LAT_BUCKETS 560

enum wsl_state
{
	ST_CONNECTING,
	ST_TLS,
	ST_WS_RESP, /* upgrade request sent, waiting for 101 */
	ST_OPEN,	/* WebSocket open, SIP flowing */
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

enum wsl_method
{
	M_REGISTER,
	M_OPTIONS,
	M_INVITE
};

enum wsl_auth
{
	AUTH_NONE,	 /* no credentials (an IMS core answers 401) */
	AUTH_DIGEST, /* answer the 401 with SIP Digest (MD5, qop=auth) */
	AUTH_TOKEN,	 /* Authorization: Bearer <ES256 WWSF token> */
	AUTH_TNA	 /* the header wwsf_tna_forward() adds (stock relay bench) */
};

enum wsl_phase
{
	PH_RUN, /* connect, then requests */
	PH_HOLD /* connections held idle: keepalives, refreshes */
};

/* what a connection is doing at the moment */
enum wsl_op
{
	OP_NONE,
	OP_REG,	 /* a registration (REGISTER, and its Digest retry) */
	OP_OPT,	 /* an OPTIONS */
	OP_CALL, /* INVITE ... ACK ... BYE */
};

typedef struct wsl_opts
{
	const char *host;
	int port;
	const char *cafile;
	const char *sni;
	const char *origin;
	const char *domain;
	const char *path;
	const char *close_mode;
	const char *src_base;
	int sources;
	int method;
	int auth;
	const char *password;
	const char *user_prefix;
	const char *token_key;
	const char *token_iss;
	const char *token_aud;
	const char *token_kid;
	int token_ttl;
	int expires;
	const char *callee;
	const char *sdp_file;
	char *sdp;
	size_t sdp_len;
	double call_hold;
	int conns;
	int rounds;
	int requests;	 /* operations per connection per round (count mode) */
	double duration; /* closed/open loop this long (duration mode) */
	double warmup;	 /* duration mode: not counted in the rate */
	double rate;	 /* open loop: operations per second, all threads */
	double timeout;
	double hold;
	double keepalive;
	double refresh;
	double pause;
	double connect_rate;
	double max_time;
	int pipeline;
	int threads;
	int user_base;
	int verbose;
	EVP_PKEY *tkey;
	struct in_addr src0;
} wsl_opts_t;

typedef struct wsl_stats
{
	uint64_t oc[OC_COUNT];
	uint64_t sent, answered, in_window;
	uint64_t s2xx, s401, s4xx, s5xx, s6xx, sother;
	uint64_t ops, ops_ok, ops_fail, ops_in_window, skipped;
	uint64_t regs_ok, regs_fail, auth_fail, calls_ok, calls_fail;
	uint64_t pings, ka_sent, pongs, dropped, srv_requests;
	uint64_t lat[WSL_LAT_BUCKETS];	/* transaction latency */
	uint64_t olat[WSL_LAT_BUCKETS]; /* operation latency (call: setup) */
	uint32_t *hs_ms;				/* handshake (TCP+TLS+WS) per conn */
	uint32_t hs_n;
} wsl_stats_t;

typedef struct wsl_digest
{
	char realm[64];
	char nonce[128];
	char opaque[128];
	int qop_auth;
	unsigned nc;
	int have;
} wsl_digest_t;

typedef struct wsl_call
{
	char callid[48];
	char ftag[24];
	char ttag[96];
	char branch[48];
	char target[256];
	char routes[1536]; /* "Route: <...>\r\n" lines, ready to send */
	unsigned cseq;
	int up; /* 2xx received and ACKed */
	int bye_sent;
	double bye_at;
} wsl_call_t;

typedef struct wsl_conn
{
	int fd;
	int idx; /* global connection index */
	enum wsl_state st;
	enum wsl_outcome oc;
	uint32_t ev; /* epoll interest currently registered */
	SSL *ssl;
	double t_start, deadline, t_req, t_op;
	char key[32];
	unsigned char *rbuf; /* WSL_RBUF, allocated while needed */
	size_t rlen;
	unsigned char *wbuf; /* WSL_WBUF */
	size_t wlen;
	unsigned cseq;
	int sent, answered, outstanding;
	int settled;
	int ready; /* counted in the thread's ready connections */
	int op;	   /* enum wsl_op */
	int op_n;  /* stateless operations in flight (pipeline) */
	int ops;   /* main operations started this round */
	int registered, reg_failed;
	int auth_tries;
	double next_ka, next_refresh;
	char callid[48];
	char tag[24];
	char *token;
	wsl_digest_t dig;
	wsl_call_t *call;
} wsl_conn_t;

typedef struct wsl_thread
{
	const wsl_opts_t *o;
	SSL_CTX *ctx;
	struct sockaddr_storage addr;
	socklen_t alen;
	int first, count; /* connections [first, first+count) */
	int round;
	int phase;
	int n_ready, is_ready;
	double t_round, t_win0, t_win1, t_sched0;
	uint64_t sched_started;
	int cursor;
	wsl_conn_t *c;
	wsl_stats_t st;	 /* run phase */
	wsl_stats_t hst; /* hold phase */
	wsl_stats_t *cur;
	uint64_t rng;
	pthread_barrier_t *bar;
	volatile int *stop;
} wsl_thread_t;

static volatile sig_atomic_t g_end_hold;

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

/* -- latency histogram ---------------------------------------------------- */

static int lat_index(double us)
{
	uint64_t v = us <= 0 ? 0 : (uint64_t)us;
	int e, idx;

	if(v < 2 * WSL_LAT_SUB)
		return (int)v;
	e = 63 - __builtin_clzll(v);
	idx = (e - 3) * WSL_LAT_SUB + (int)((v >> (e - 4)) - WSL_LAT_SUB);
	return idx < WSL_LAT_BUCKETS ? idx : WSL_LAT_BUCKETS - 1;
}

/* upper bound of bucket idx, in microseconds */
static double lat_upper(int idx)
{
	int e, mant;

	if(idx < 2 * WSL_LAT_SUB)
		return idx + 1;
	e = idx / WSL_LAT_SUB + 3;
	mant = idx % WSL_LAT_SUB + WSL_LAT_SUB;
	return (double)((uint64_t)(mant + 1) << (e - 4));
}

static void lat_add(uint64_t *h, double seconds)
{
	h[lat_index(seconds * 1e6)]++;
}

static double lat_pct(const uint64_t *lat, double q)
{
	uint64_t acc = 0, total = 0, want;
	int b;

	for(b = 0; b < WSL_LAT_BUCKETS; b++)
		total += lat[b];
	if(total == 0)
		return 0;
	want = (uint64_t)((double)total * q);
	for(b = 0; b < WSL_LAT_BUCKETS; b++) {
		acc += lat[b];
		if(acc > want)
			return lat_upper(b) / 1000.0; /* bucket upper bound, ms */
	}
	return 0;
}

/* -- small helpers -------------------------------------------------------- */

static int wsl_b64(const unsigned char *in, int n, char *out, size_t outsz)
{
	if((size_t)(4 * ((n + 2) / 3) + 1) > outsz)
		return -1;
	return EVP_EncodeBlock((unsigned char *)out, in, n);
}

/* base64url without padding (RFC 7515 section 2) */
static int wsl_b64url(const unsigned char *in, int n, char *out, size_t outsz)
{
	int l = wsl_b64(in, n, out, outsz), i;

	if(l < 0)
		return -1;
	while(l > 0 && out[l - 1] == '=')
		l--;
	out[l] = '\0';
	for(i = 0; i < l; i++) {
		if(out[i] == '+')
			out[i] = '-';
		else if(out[i] == '/')
			out[i] = '_';
	}
	return l;
}

static void md5_hex(const char *s, size_t n, char out[33])
{
	static const char hx[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int ml = 0, i;

	EVP_Digest(s, n, md, &ml, EVP_md5(), NULL);
	for(i = 0; i < 16; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[32] = '\0';
}

static void user_name(const wsl_opts_t *o, int idx, char *buf, size_t n)
{
	snprintf(buf, n, "%s%d", o->user_prefix, o->user_base + idx);
}

/* -- WWSF tokens (JWS compact, ES256, RFC 7515/7518) ---------------------- */

static char *token_sign(const wsl_opts_t *o, int idx, uint64_t *rng)
{
	char user[64], hdr[256], claims[1024], hb[400], cb[1400], *tok = NULL;
	char sigb[100];
	unsigned char der[80], raw[64];
	const unsigned char *dp = der;
	size_t dl = sizeof(der), si_len, tl;
	ECDSA_SIG *es = NULL;
	const BIGNUM *r, *s;
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	time_t now = time(NULL);
	char *si = NULL;
	int hl, cl, n;

	user_name(o, idx, user, sizeof(user));
	n = snprintf(hdr, sizeof(hdr), "{\"alg\":\"ES256\",\"typ\":\"JWT\"%s%s%s}",
			o->token_kid ? ",\"kid\":\"" : "", o->token_kid ? o->token_kid : "",
			o->token_kid ? "\"" : "");
	if(n <= 0 || (size_t)n >= sizeof(hdr))
		goto done;
	n = snprintf(claims, sizeof(claims),
			"{\"iss\":\"%s\",\"aud\":\"%s\",\"sub\":\"%s@%s\","
			"\"impu\":\"sip:%s@%s\",\"iat\":%lld,\"exp\":%lld,"
			"\"jti\":\"%016llx%016llx\"}",
			o->token_iss, o->token_aud, user, o->domain, user, o->domain,
			(long long)now, (long long)now + o->token_ttl,
			(unsigned long long)rng_next(rng),
			(unsigned long long)rng_next(rng));
	if(n <= 0 || (size_t)n >= sizeof(claims))
		goto done;
	hl = wsl_b64url((unsigned char *)hdr, (int)strlen(hdr), hb, sizeof(hb));
	cl = wsl_b64url((unsigned char *)claims, n, cb, sizeof(cb));
	if(hl < 0 || cl < 0)
		goto done;
	si_len = (size_t)hl + 1 + (size_t)cl;
	tl = si_len + 1 + 86 + 1;
	si = malloc(tl);
	if(!si || !mctx)
		goto done;
	snprintf(si, tl, "%s.%s", hb, cb);
	if(EVP_DigestSignInit(mctx, NULL, EVP_sha256(), NULL, o->tkey) != 1
			|| EVP_DigestSign(mctx, der, &dl, (unsigned char *)si, si_len) != 1)
		goto done;
	es = d2i_ECDSA_SIG(NULL, &dp, (long)dl);
	if(!es)
		goto done;
	ECDSA_SIG_get0(es, &r, &s);
	if(BN_bn2binpad(r, raw, 32) != 32 || BN_bn2binpad(s, raw + 32, 32) != 32)
		goto done;
	if(wsl_b64url(raw, 64, sigb, sizeof(sigb)) != 86)
		goto done;
	si[si_len] = '.';
	memcpy(si + si_len + 1, sigb, 87); /* 86 and the NUL */
	tok = si;
	si = NULL;
done:
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(mctx);
	free(si);
	return tok;
}

/* -- connection helpers -------------------------------------------------- */

static void conn_watch(int ep, wsl_conn_t *c, uint32_t want)
{
	struct epoll_event e;

	if(c->fd < 0 || want == c->ev)
		return;
	memset(&e, 0, sizeof(e));
	e.events = want;
	e.data.ptr = c;
	if(epoll_ctl(ep, c->ev ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &e) == 0)
		c->ev = want;
}

static int conn_bufs(wsl_conn_t *c)
{
	if(!c->rbuf)
		c->rbuf = malloc(WSL_RBUF);
	if(!c->wbuf)
		c->wbuf = malloc(WSL_WBUF);
	return c->rbuf && c->wbuf ? 0 : -1;
}

/* an idle connection keeps no buffers (50k idle connections) */
static void conn_trim(wsl_conn_t *c)
{
	if(c->rlen == 0 && c->wlen == 0) {
		free(c->rbuf);
		free(c->wbuf);
		c->rbuf = c->wbuf = NULL;
	}
}

static void conn_close(wsl_thread_t *t, wsl_conn_t *c);

static void thread_ready(wsl_thread_t *t, wsl_conn_t *c)
{
	if(c->ready)
		return;
	c->ready = 1;
	t->n_ready++;
}

static void conn_finish(wsl_thread_t *t, wsl_conn_t *c, enum wsl_outcome oc)
{
	if(c->st == ST_FINISHED)
		return;
	c->st = ST_FINISHED;
	c->oc = oc;
	thread_ready(t, c);
	if(t->phase == PH_HOLD) {
		/* a held connection the server closed or that broke */
		t->hst.dropped++;
		if(t->o->verbose)
			fprintf(stderr, "wsload: conn %d dropped while held: %s\n", c->idx,
					wsl_oc_name[oc]);
		return;
	}
	t->st.oc[oc]++;
	if(t->o->verbose && oc != OC_OK)
		fprintf(stderr, "wsload: conn %d: %s\n", c->idx, wsl_oc_name[oc]);
}

/* the server closed or reset the connection: what that means depends on
 * how far the connection got */
static void conn_eof(wsl_thread_t *t, wsl_conn_t *c)
{
	if(c->st == ST_CONNECTING || c->st == ST_TLS || c->st == ST_WS_RESP)
		conn_finish(t, c, OC_REFUSED);
	else if(c->outstanding > 0 || c->op != OP_NONE || c->answered < c->sent
			|| (t->o->requests > 0 && c->ops < t->o->requests))
		conn_finish(t, c, OC_LOST);
	else
		conn_finish(t, c, OC_OK);
}

static int conn_queue(wsl_conn_t *c, const void *p, size_t n)
{
	if(!c->wbuf || c->wlen + n > WSL_WBUF)
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

	if(conn_bufs(c) < 0 || c->wlen + n + sizeof(h) > WSL_WBUF)
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

/* -- building SIP requests ------------------------------------------------ */

/* Authorization header of a REGISTER (with its CRLF), "" if none */
static int reg_auth_header(
		wsl_thread_t *t, wsl_conn_t *c, const char *user, char *buf, size_t n)
{
	const wsl_opts_t *o = t->o;
	char ha1[33], ha2[33], resp[33], tmp[512], cnonce[20], uri[160];
	int l;

	buf[0] = '\0';
	snprintf(uri, sizeof(uri), "sip:%s", o->domain);
	if(o->auth == AUTH_TOKEN) {
		l = snprintf(buf, n, "Authorization: Bearer %s\r\n", c->token);
	} else if(o->auth == AUTH_TNA) {
		l = snprintf(buf, n,
				"Authorization: Digest username=\"%s@%s\", realm=\"%s\", "
				"uri=\"%s\", nonce=\"\", response=\"\", "
				"integrity-protected=\"auth-done\"\r\n",
				user, o->domain, o->domain, uri);
	} else if(o->auth == AUTH_DIGEST && c->dig.have) {
		/* RFC 2617 / RFC 3261 22.4; the IMPI is the username (TS 24.229) */
		l = snprintf(tmp, sizeof(tmp), "%s@%s:%s:%s", user, o->domain,
				c->dig.realm, o->password);
		md5_hex(tmp, (size_t)l, ha1);
		l = snprintf(tmp, sizeof(tmp), "REGISTER:%s", uri);
		md5_hex(tmp, (size_t)l, ha2);
		c->dig.nc++;
		snprintf(cnonce, sizeof(cnonce), "%08x", (unsigned)rng_next(&t->rng));
		if(c->dig.qop_auth)
			l = snprintf(tmp, sizeof(tmp), "%s:%s:%08x:%s:auth:%s", ha1,
					c->dig.nonce, c->dig.nc, cnonce, ha2);
		else
			l = snprintf(tmp, sizeof(tmp), "%s:%s:%s", ha1, c->dig.nonce, ha2);
		md5_hex(tmp, (size_t)l, resp);
		if(c->dig.qop_auth)
			l = snprintf(buf, n,
					"Authorization: Digest username=\"%s@%s\", realm=\"%s\", "
					"nonce=\"%s\", uri=\"%s\", algorithm=MD5, qop=auth, "
					"nc=%08x, cnonce=\"%s\", response=\"%s\"%s%s%s\r\n",
					user, o->domain, c->dig.realm, c->dig.nonce, uri, c->dig.nc,
					cnonce, resp, c->dig.opaque[0] ? ", opaque=\"" : "",
					c->dig.opaque, c->dig.opaque[0] ? "\"" : "");
		else
			l = snprintf(buf, n,
					"Authorization: Digest username=\"%s@%s\", realm=\"%s\", "
					"nonce=\"%s\", uri=\"%s\", algorithm=MD5, "
					"response=\"%s\"%s%s%s\r\n",
					user, o->domain, c->dig.realm, c->dig.nonce, uri, resp,
					c->dig.opaque[0] ? ", opaque=\"" : "", c->dig.opaque,
					c->dig.opaque[0] ? "\"" : "");
	} else {
		return 0;
	}
	return l > 0 && (size_t)l < n ? 0 : -1;
}

static int conn_send_sip(wsl_thread_t *t, wsl_conn_t *c, const char *msg, int n)
{
	if(n <= 0 || n >= WSL_MSG)
		return -1;
	if(conn_queue_frame(t, c, 0x1, msg, (size_t)n) < 0)
		return -1;
	return 0;
}

static void count_sent(wsl_thread_t *t, wsl_conn_t *c, double t_req)
{
	c->sent++;
	c->outstanding++;
	c->t_req = t_req;
	t->cur->sent++;
}

static int queue_register(wsl_thread_t *t, wsl_conn_t *c, double t_req)
{
	const wsl_opts_t *o = t->o;
	char msg[WSL_MSG], user[64], auth[2048];
	int n;

	user_name(o, c->idx, user, sizeof(user));
	if(reg_auth_header(t, c, user, auth, sizeof(auth)) < 0)
		return -1;
	c->cseq++;
	/* RFC 7118: the Contact of a WebSocket client has a .invalid host */
	n = snprintf(msg, sizeof(msg),
			"REGISTER sip:%s SIP/2.0\r\n"
			"Via: SIP/2.0/WSS c%d.invalid;branch=z9hG4bK%s.%u\r\n"
			"Max-Forwards: 70\r\n"
			"From: <sip:%s@%s>;tag=%s\r\n"
			"To: <sip:%s@%s>\r\n"
			"Call-ID: %s\r\n"
			"CSeq: %u REGISTER\r\n"
			"Contact: <sip:w%d@wsload.invalid;transport=ws>;expires=%d\r\n"
			"Expires: %d\r\n"
			"Supported: path, outbound, gruu\r\n"
			"%s"
			"User-Agent: wsload\r\n"
			"Content-Length: 0\r\n\r\n",
			o->domain, c->idx, c->callid, c->cseq, user, o->domain, c->tag,
			user, o->domain, c->callid, c->cseq, c->idx, o->expires, o->expires,
			auth);
	if(conn_send_sip(t, c, msg, n) < 0)
		return -1;
	count_sent(t, c, t_req);
	return 0;
}

static int queue_options(wsl_thread_t *t, wsl_conn_t *c, double t_req)
{
	const wsl_opts_t *o = t->o;
	char msg[2048], user[64];
	int n;

	user_name(o, c->idx, user, sizeof(user));
	c->cseq++;
	n = snprintf(msg, sizeof(msg),
			"OPTIONS sip:%s:%d;transport=ws SIP/2.0\r\n"
			"Via: SIP/2.0/WSS c%d.invalid;branch=z9hG4bK%s.%u\r\n"
			"Max-Forwards: 70\r\n"
			"From: <sip:%s@%s>;tag=%s\r\n"
			"To: <sip:%s:%d;transport=ws>\r\n"
			"Call-ID: %s\r\n"
			"CSeq: %u OPTIONS\r\n"
			"User-Agent: wsload\r\n"
			"Content-Length: 0\r\n\r\n",
			o->host, o->port, c->idx, c->callid, c->cseq, user, o->domain,
			c->tag, o->host, o->port, c->callid, c->cseq);
	if(conn_send_sip(t, c, msg, n) < 0)
		return -1;
	count_sent(t, c, t_req);
	return 0;
}

static int queue_invite(wsl_thread_t *t, wsl_conn_t *c, double t_req)
{
	const wsl_opts_t *o = t->o;
	char *msg, user[64];
	wsl_call_t *k;
	int n, rc = -1;

	if(!c->call && !(c->call = calloc(1, sizeof(*c->call))))
		return -1;
	k = c->call;
	memset(k, 0, sizeof(*k));
	snprintf(k->callid, sizeof(k->callid), "%016llx.%d",
			(unsigned long long)rng_next(&t->rng), c->idx);
	snprintf(k->ftag, sizeof(k->ftag), "%08x", (unsigned)rng_next(&t->rng));
	snprintf(k->branch, sizeof(k->branch), "z9hG4bK%016llx",
			(unsigned long long)rng_next(&t->rng));
	k->cseq = 1;
	user_name(o, c->idx, user, sizeof(user));
	msg = malloc(WSL_MSG);
	if(!msg)
		return -1;
	n = snprintf(msg, WSL_MSG,
			"INVITE %s SIP/2.0\r\n"
			"Via: SIP/2.0/WSS c%d.invalid;branch=%s\r\n"
			"Max-Forwards: 70\r\n"
			"From: <sip:%s@%s>;tag=%s\r\n"
			"To: <%s>\r\n"
			"Call-ID: %s\r\n"
			"CSeq: 1 INVITE\r\n"
			"Contact: <sip:w%d@wsload.invalid;transport=ws;ob>\r\n"
			"Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n"
			"Content-Type: application/sdp\r\n"
			"User-Agent: wsload\r\n"
			"Content-Length: %zu\r\n\r\n%.*s",
			o->callee, c->idx, k->branch, user, o->domain, k->ftag, o->callee,
			k->callid, c->idx, o->sdp_len, (int)o->sdp_len, o->sdp);
	if(conn_send_sip(t, c, msg, n) == 0) {
		count_sent(t, c, t_req);
		rc = 0;
	}
	free(msg);
	return rc;
}

/* ACK (for a 2xx: its own transaction toward the remote target through the
 * route set; for a non-2xx: hop-by-hop, same branch) or BYE */
static int queue_in_dialog(
		wsl_thread_t *t, wsl_conn_t *c, const char *method, int non2xx)
{
	const wsl_opts_t *o = t->o;
	wsl_call_t *k = c->call;
	char msg[4096], user[64], branch[48];
	unsigned cseq = k->cseq;
	int n;

	user_name(o, c->idx, user, sizeof(user));
	if(strcmp(method, "BYE") == 0)
		cseq = ++k->cseq;
	if(non2xx)
		snprintf(branch, sizeof(branch), "%s", k->branch);
	else
		snprintf(branch, sizeof(branch), "z9hG4bK%016llx",
				(unsigned long long)rng_next(&t->rng));
	n = snprintf(msg, sizeof(msg),
			"%s %s SIP/2.0\r\n"
			"Via: SIP/2.0/WSS c%d.invalid;branch=%s\r\n"
			"Max-Forwards: 70\r\n"
			"%s"
			"From: <sip:%s@%s>;tag=%s\r\n"
			"To: <%s>;tag=%s\r\n"
			"Call-ID: %s\r\n"
			"CSeq: %u %s\r\n"
			"User-Agent: wsload\r\n"
			"Content-Length: 0\r\n\r\n",
			method, non2xx || !k->target[0] ? o->callee : k->target, c->idx,
			branch, non2xx ? "" : k->routes, user, o->domain, k->ftag,
			o->callee, k->ttag, k->callid, cseq, method);
	if(conn_send_sip(t, c, msg, n) < 0)
		return -1;
	if(strcmp(method, "BYE") == 0) {
		k->bye_sent = 1;
		count_sent(t, c, now_s());
	}
	return 0;
}

/* a minimal UAS for requests the server sends us: 200 to BYE and OPTIONS,
 * 501 to anything else, nothing to ACK */
static int queue_reply(wsl_thread_t *t, wsl_conn_t *c, const char *req,
		size_t n, const char *method, int code)
{
	char msg[4096];
	const char *p = req, *end = req + n;
	size_t l = 0;
	int k;

	k = snprintf(msg, sizeof(msg), "SIP/2.0 %d %s\r\n", code,
			code == 200 ? "OK" : "Not Implemented");
	if(k <= 0)
		return -1;
	l = (size_t)k;
	(void)method;
	/* copy Via, From, To, Call-ID, CSeq as received (RFC 3261 8.2.6.2) */
	while(p < end) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		size_t ll;
		if(!eol || eol == p)
			break;
		ll = (size_t)(eol - p) + 2;
		if((strncasecmp(p, "Via:", 4) == 0 || strncasecmp(p, "v:", 2) == 0
				   || strncasecmp(p, "From:", 5) == 0
				   || strncasecmp(p, "f:", 2) == 0
				   || strncasecmp(p, "To:", 3) == 0
				   || strncasecmp(p, "t:", 2) == 0
				   || strncasecmp(p, "Call-ID:", 8) == 0
				   || strncasecmp(p, "i:", 2) == 0
				   || strncasecmp(p, "CSeq:", 5) == 0)
				&& l + ll < sizeof(msg)) {
			memcpy(msg + l, p, ll);
			l += ll;
		}
		p = eol + 2;
	}
	k = snprintf(msg + l, sizeof(msg) - l, "Content-Length: 0\r\n\r\n");
	if(k <= 0 || (size_t)k >= sizeof(msg) - l)
		return -1;
	l += (size_t)k;
	t->cur->srv_requests++;
	return conn_queue_frame(t, c, 0x1, msg, l);
}

/* -- reading what the server sends --------------------------------------- */

/* value of the next header named name (or its compact form) in [*pos, end);
 * *pos moves past it; returns NULL when there is no more */
static const char *next_hdr(const char **pos, const char *end, const char *name,
		const char *compact, const char **vend)
{
	size_t nl = strlen(name), cl = compact ? strlen(compact) : 0;
	const char *p = *pos;

	while(p < end) {
		const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		const char *v = NULL;
		if(!eol)
			eol = end;
		if(eol == p) /* end of headers */
			break;
		if((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0
				&& (p[nl] == ':' || p[nl] == ' ' || p[nl] == '\t'))
			v = p + nl;
		else if(cl && (size_t)(eol - p) > cl && strncasecmp(p, compact, cl) == 0
				&& (p[cl] == ':' || p[cl] == ' ' || p[cl] == '\t'))
			v = p + cl;
		if(v) {
			while(v < eol && (*v == ' ' || *v == '\t'))
				v++;
			if(v < eol && *v == ':')
				v++;
			while(v < eol && (*v == ' ' || *v == '\t'))
				v++;
			*pos = eol + 2;
			*vend = eol;
			return v;
		}
		p = eol + 2;
	}
	*pos = end;
	return NULL;
}

static const char *find_hdr(const char *head, const char *end, const char *name)
{
	const char *pos = head, *ve;
	return next_hdr(&pos, end, name, NULL, &ve);
}

/* copy the value of auth-param name (quoted or token) into out */
static int auth_param(const char *v, const char *ve, const char *name,
		char *out, size_t outsz)
{
	size_t nl = strlen(name);
	const char *p = v;

	while(p < ve) {
		while(p < ve && (*p == ' ' || *p == ',' || *p == '\t'))
			p++;
		if((size_t)(ve - p) > nl && strncasecmp(p, name, nl) == 0
				&& (p[nl] == '=' || p[nl] == ' ')) {
			const char *q = p + nl, *s;
			while(q < ve && (*q == ' ' || *q == '='))
				q++;
			if(q < ve && *q == '"') {
				s = ++q;
				while(q < ve && *q != '"')
					q++;
			} else {
				s = q;
				while(q < ve && *q != ',' && *q != ' ')
					q++;
			}
			if((size_t)(q - s) >= outsz)
				return -1;
			memcpy(out, s, (size_t)(q - s));
			out[q - s] = '\0';
			return 0;
		}
		/* skip this param (a quoted value may hold commas) */
		while(p < ve && *p != ',') {
			if(*p == '"') {
				p++;
				while(p < ve && *p != '"')
					p++;
			}
			if(p < ve)
				p++;
		}
	}
	return -1;
}

/* from a 401/407: remember the challenge; 1 if it can be answered */
static int take_challenge(wsl_conn_t *c, const char *head, const char *end)
{
	const char *pos = head, *ve, *v;
	char qop[64] = "", stale[16] = "", algo[32] = "", nonce[128];

	v = next_hdr(&pos, end, "WWW-Authenticate", NULL, &ve);
	if(!v) {
		pos = head;
		v = next_hdr(&pos, end, "Proxy-Authenticate", NULL, &ve);
	}
	if(!v || (size_t)(ve - v) < 7 || strncasecmp(v, "Digest", 6) != 0)
		return 0;
	v += 6;
	if(auth_param(v, ve, "nonce", nonce, sizeof(nonce)) < 0)
		return 0;
	auth_param(v, ve, "algorithm", algo, sizeof(algo));
	if(algo[0] && strcasecmp(algo, "MD5") != 0)
		return 0;
	auth_param(v, ve, "stale", stale, sizeof(stale));
	/* the same nonce refused without stale=true: wrong credentials */
	if(c->dig.have && strcmp(nonce, c->dig.nonce) == 0
			&& strcasecmp(stale, "true") != 0)
		return 0;
	memset(&c->dig, 0, sizeof(c->dig));
	memcpy(c->dig.nonce, nonce, sizeof(nonce));
	if(auth_param(v, ve, "realm", c->dig.realm, sizeof(c->dig.realm)) < 0)
		return 0;
	auth_param(v, ve, "opaque", c->dig.opaque, sizeof(c->dig.opaque));
	auth_param(v, ve, "qop", qop, sizeof(qop));
	c->dig.qop_auth = strstr(qop, "auth") != NULL;
	c->dig.have = 1;
	return 1;
}

/* the route set of a dialog from the Record-Route of the 2xx, reversed
 * (RFC 3261 12.1.2), as Route header lines */
static int take_routes(wsl_call_t *k, const char *head, const char *end)
{
	const char *pos = head, *ve, *v, *vals[16], *vends[16];
	size_t l = 0;
	int n = 0, i;

	while(n < 16 && (v = next_hdr(&pos, end, "Record-Route", NULL, &ve))) {
		/* comma separated values, never inside <> or quotes */
		const char *s = v, *p = v;
		int in_angle = 0, in_q = 0;
		for(; p <= ve && n < 16; p++) {
			if(p == ve || (*p == ',' && !in_angle && !in_q)) {
				while(s < p && *s == ' ')
					s++;
				if(p > s) {
					vals[n] = s;
					vends[n] = p;
					n++;
				}
				s = p + 1;
				continue;
			}
			if(*p == '"')
				in_q = !in_q;
			else if(*p == '<' && !in_q)
				in_angle = 1;
			else if(*p == '>' && !in_q)
				in_angle = 0;
		}
	}
	k->routes[0] = '\0';
	for(i = n - 1; i >= 0; i--) {
		int w = snprintf(k->routes + l, sizeof(k->routes) - l,
				"Route: %.*s\r\n", (int)(vends[i] - vals[i]), vals[i]);
		if(w <= 0 || (size_t)w >= sizeof(k->routes) - l)
			return -1;
		l += (size_t)w;
	}
	return 0;
}

static void take_target(wsl_call_t *k, const char *head, const char *end)
{
	const char *pos = head, *ve, *v = next_hdr(&pos, end, "Contact", "m", &ve);
	const char *lt, *gt;

	k->target[0] = '\0';
	if(!v)
		return;
	lt = memchr(v, '<', (size_t)(ve - v));
	if(lt) {
		gt = memchr(lt, '>', (size_t)(ve - lt));
		if(gt && (size_t)(gt - lt - 1) < sizeof(k->target))
			snprintf(k->target, sizeof(k->target), "%.*s", (int)(gt - lt - 1),
					lt + 1);
	} else {
		const char *s = memchr(v, ';', (size_t)(ve - v));
		size_t l = (size_t)((s ? s : ve) - v);
		if(l < sizeof(k->target))
			snprintf(k->target, sizeof(k->target), "%.*s", (int)l, v);
	}
}

static void take_totag(wsl_call_t *k, const char *head, const char *end)
{
	const char *pos = head, *ve, *v = next_hdr(&pos, end, "To", "t", &ve);
	const char *p;

	if(!v || k->ttag[0])
		return;
	for(p = v; p + 4 < ve; p++) {
		if(strncasecmp(p, ";tag=", 5) == 0) {
			const char *s = p + 5, *e = s;
			while(e < ve && *e != ';' && *e != ' ' && *e != '>')
				e++;
			if((size_t)(e - s) < sizeof(k->ttag))
				snprintf(k->ttag, sizeof(k->ttag), "%.*s", (int)(e - s), s);
			return;
		}
	}
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
	if(t->o->method != M_INVITE || t->o->auth == AUTH_NONE)
		thread_ready(t, c); /* calls: once registered */
	if(t->st.hs_n < (uint32_t)t->count)
		t->st.hs_ms[t->st.hs_n++] =
				(uint32_t)((now_s() - c->t_start) * 1000.0 + 0.5);
}

static void count_status(wsl_thread_t *t, int code)
{
	wsl_stats_t *s = t->cur;

	if(code >= 200 && code < 300)
		s->s2xx++;
	else if(code == 401 || code == 407)
		s->s401++;
	else if(code >= 400 && code < 500)
		s->s4xx++;
	else if(code >= 500 && code < 600)
		s->s5xx++;
	else if(code >= 600 && code < 700)
		s->s6xx++;
	else
		s->sother++;
}

static int in_window(const wsl_thread_t *t, double now)
{
	return now >= t->t_win0 && now <= t->t_win1;
}

/* an operation ended */
static void op_end(wsl_thread_t *t, wsl_conn_t *c, int ok, int main_kind)
{
	double now = now_s();

	if(c->op_n > 0)
		c->op_n--;
	if(c->op_n == 0)
		c->op = OP_NONE;
	if(!main_kind)
		return; /* the registration before calls: not what is measured */
	if(ok) {
		t->cur->ops_ok++;
		if(in_window(t, now))
			t->cur->ops_in_window++;
		if(t->o->method != M_INVITE) /* calls: setup time, at the 2xx */
			lat_add(t->cur->olat, now - c->t_op);
	} else {
		t->cur->ops_fail++;
	}
}

static void on_response(wsl_thread_t *t, wsl_conn_t *c, const char *p, size_t n)
{
	const char *end = p + n, *pos = p, *ve, *v, *eoh;
	char method[16] = "";
	double now;
	int code, main_kind;

	code = (int)strtol(p + 8, NULL, 10);
	eoh = memmem(p, n, "\r\n\r\n", 4);
	if(eoh)
		end = eoh + 2;
	v = next_hdr(&pos, end, "CSeq", NULL, &ve);
	if(v) {
		while(v < ve && *v >= '0' && *v <= '9')
			v++;
		while(v < ve && *v == ' ')
			v++;
		if((size_t)(ve - v) < sizeof(method))
			snprintf(method, sizeof(method), "%.*s", (int)(ve - v), v);
	}
	if(code < 200) {
		if(code > 100 && strcmp(method, "INVITE") == 0 && c->call)
			take_totag(c->call, p, end);
		return;
	}
	if(c->outstanding <= 0) {
		conn_finish(t, c, OC_PROTO);
		return;
	}
	c->outstanding--;
	c->answered++;
	t->cur->answered++;
	count_status(t, code);
	now = now_s();
	if(in_window(t, now))
		t->cur->in_window++;
	lat_add(t->cur->lat, now - c->t_req);
	c->deadline = now + t->o->timeout;

	if(strcmp(method, "REGISTER") == 0) {
		main_kind = t->o->method == M_REGISTER;
		if((code == 401 || code == 407) && t->o->auth == AUTH_DIGEST
				&& c->auth_tries < 2 && take_challenge(c, p, end)) {
			/* answer the challenge: the same registration goes on */
			c->auth_tries++;
			if(queue_register(t, c, now) < 0)
				conn_finish(t, c, OC_PROTO);
			return;
		}
		if(code == 401 || code == 407) {
			if(t->o->auth != AUTH_NONE)
				t->cur->auth_fail++;
		}
		c->auth_tries = 0;
		if(code >= 200 && code < 300) {
			c->registered = 1;
			t->cur->regs_ok++;
		} else {
			if(t->o->auth != AUTH_NONE)
				t->cur->regs_fail++;
			if(t->o->method == M_INVITE)
				c->reg_failed = 1;
		}
		if(t->o->method == M_INVITE)
			thread_ready(t, c);
		/* without credentials the 401 is the expected answer */
		op_end(t, c,
				(code >= 200 && code < 300)
						|| (t->o->auth == AUTH_NONE && code == 401),
				main_kind);
	} else if(strcmp(method, "OPTIONS") == 0) {
		op_end(t, c, code >= 200 && code < 300, 1);
	} else if(strcmp(method, "INVITE") == 0 && c->call) {
		wsl_call_t *k = c->call;
		take_totag(k, p, end);
		if(code >= 300) {
			queue_in_dialog(t, c, "ACK", 1);
			t->cur->calls_fail++;
			op_end(t, c, 0, 1);
			return;
		}
		take_target(k, p, end);
		if(take_routes(k, p, end) < 0 || queue_in_dialog(t, c, "ACK", 0) < 0) {
			conn_finish(t, c, OC_PROTO);
			return;
		}
		k->up = 1;
		lat_add(t->cur->olat, now - c->t_op);
		k->bye_at = now + t->o->call_hold;
		if(t->o->call_hold <= 0 && queue_in_dialog(t, c, "BYE", 0) < 0)
			conn_finish(t, c, OC_PROTO);
	} else if(strcmp(method, "BYE") == 0 && c->call) {
		if(code >= 200 && code < 300)
			t->cur->calls_ok++;
		else
			t->cur->calls_fail++;
		op_end(t, c, code >= 200 && code < 300, 1);
	} else {
		op_end(t, c, code >= 200 && code < 300, 1);
	}
}

static void on_request(wsl_thread_t *t, wsl_conn_t *c, const char *p, size_t n)
{
	const char *sp = memchr(p, ' ', n < 16 ? n : 16);
	char method[16];
	int code = 501;

	if(!sp)
		return;
	snprintf(method, sizeof(method), "%.*s", (int)(sp - p), p);
	if(strcmp(method, "ACK") == 0)
		return;
	if(strcmp(method, "OPTIONS") == 0)
		code = 200;
	if(strcmp(method, "BYE") == 0 && c->call && c->call->up
			&& !c->call->bye_sent) {
		/* the far end hung up first */
		code = 200;
		t->cur->calls_ok++;
		c->call->up = 0;
		op_end(t, c, 1, 1);
	}
	if(queue_reply(t, c, p, n, method, code) < 0)
		conn_finish(t, c, OC_PROTO);
}

static void on_sip(wsl_thread_t *t, wsl_conn_t *c, const char *p, size_t n)
{
	if(n >= 12 && strncmp(p, "SIP/2.0 ", 8) == 0)
		on_response(t, c, p, n);
	else if(n >= 12)
		on_request(t, c, p, n);
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
		if(len > WSL_RBUF - hl) {
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
			t->cur->pings++;
			conn_queue_frame(t, c, 0xA, pl, pn);
		} else if(op == 0xA) {
			t->cur->pongs++;
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
	const wsl_opts_t *o = t->o;
	int one = 1;

	c->fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if(c->fd < 0) {
		if(o->verbose)
			fprintf(stderr, "wsload: socket: %s\n", strerror(errno));
		conn_finish(t, c, OC_REFUSED);
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if(o->src_base) {
		/* several source addresses of 127.0.0.0/8: ~28k ephemeral ports
		 * each toward one server port; the port is picked at connect() */
		struct sockaddr_in sa;
		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr =
				htonl(ntohl(o->src0.s_addr) + (uint32_t)(c->idx % o->sources));
		setsockopt(
				c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if(bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			if(o->verbose)
				fprintf(stderr, "wsload: bind: %s\n", strerror(errno));
			conn_finish(t, c, OC_REFUSED);
			return -1;
		}
	}
	if(conn_bufs(c) < 0)
		die("out of memory");
	c->t_start = now_s();
	c->deadline = c->t_start + o->timeout;
	c->st = ST_CONNECTING;
	if(connect(c->fd, (struct sockaddr *)&t->addr, t->alen) < 0
			&& errno != EINPROGRESS) {
		if(o->verbose)
			fprintf(stderr, "wsload: connect: %s\n", strerror(errno));
		conn_finish(t, c, OC_REFUSED);
		return -1;
	}
	conn_watch(ep, c, EPOLLOUT | EPOLLIN);
	return 0;
}

static enum wsl_outcome ssl_fail_kind(int err)
{
	if(err == SSL_ERROR_SSL)
		return OC_TLS_FAIL;
	return OC_REFUSED; /* EOF or reset by the server */
}

/* returns 1 when blocked (interest set in *want), 0 to continue, -1 done */
static int conn_io(wsl_thread_t *t, wsl_conn_t *c, uint32_t *want)
{
	int r, e;

	if(conn_bufs(c) < 0)
		die("out of memory");
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
			conn_finish(t, c, ssl_fail_kind(e));
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
		if(c->rlen == WSL_RBUF) {
			conn_finish(t, c, OC_PROTO);
			return -1;
		}
		ERR_clear_error();
		r = SSL_read(c->ssl, c->rbuf + c->rlen, (int)(WSL_RBUF - c->rlen));
		if(r > 0) {
			c->rlen += (size_t)r;
			if(c->st == ST_WS_RESP)
				on_http(t, c);
			if(c->st == ST_OPEN)
				on_frames(t, c);
			if(c->st == ST_FINISHED)
				return -1;
			if(c->wlen > 0)
				return 0; /* an answer to send (ACK, pong ...) */
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

/* more operations to start on this connection (closed loop / count) */
static int conn_more(const wsl_thread_t *t, const wsl_conn_t *c, double now)
{
	if(t->phase == PH_HOLD)
		return 0;
	if(t->o->requests > 0)
		return c->ops < t->o->requests;
	return now < t->t_win1;
}

static int conn_idle(const wsl_conn_t *c)
{
	return c->st == ST_OPEN && c->op == OP_NONE && c->outstanding == 0
		   && c->wlen == 0;
}

/* start an operation on c: t0 is when it was due (open loop) */
static int op_start(wsl_thread_t *t, wsl_conn_t *c, int kind, double t0)
{
	int r = -1;

	c->op = kind;
	c->op_n++;
	c->t_op = t0;
	if(kind == OP_REG) {
		c->auth_tries = 0;
		r = queue_register(t, c, t0);
	} else if(kind == OP_OPT) {
		r = queue_options(t, c, t0);
	} else if(kind == OP_CALL) {
		r = queue_invite(t, c, t0);
	}
	return r;
}

static int main_kind(const wsl_opts_t *o)
{
	return o->method == M_REGISTER	? OP_REG
		   : o->method == M_OPTIONS ? OP_OPT
									: OP_CALL;
}

/* what to send next on an open connection: 1 queued, 0 nothing, -1 error */
static int conn_next(wsl_thread_t *t, wsl_conn_t *c, double now)
{
	const wsl_opts_t *o = t->o;

	if(c->wlen > 0)
		return 0;
	/* calls need a registration on this connection first */
	if(o->method == M_INVITE && o->auth != AUTH_NONE && !c->registered) {
		if(c->op != OP_NONE || c->outstanding || c->reg_failed)
			return 0;
		return op_start(t, c, OP_REG, now) < 0 ? -1 : 1;
	}
	if(c->call && c->call->up && !c->call->bye_sent && now >= c->call->bye_at)
		return queue_in_dialog(t, c, "BYE", 0) < 0 ? -1 : 1;
	if(t->phase != PH_RUN || o->rate > 0 || !conn_more(t, c, now))
		return 0;
	if(o->method == M_INVITE && o->auth != AUTH_NONE && !t->is_ready)
		return 0; /* calls start once every connection registered */
	if(c->outstanding >= o->pipeline)
		return 0;
	if(c->op != OP_NONE && (o->method == M_INVITE || o->auth == AUTH_DIGEST))
		return 0; /* stateful operations: one at a time */
	c->ops++;
	t->cur->ops++;
	return op_start(t, c, main_kind(o), now) < 0 ? -1 : 1;
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
		r = conn_next(t, c, now);
		if(r < 0) {
			conn_finish(t, c, OC_PROTO);
			return;
		}
		if(r > 0 || c->wlen > 0)
			continue; /* write it now */
		if(t->phase == PH_RUN && c->outstanding == 0 && c->op == OP_NONE
				&& !conn_more(t, c, now)
				&& !(t->o->method == M_INVITE && !c->registered
						&& !c->reg_failed && t->o->auth != AUTH_NONE)) {
			conn_finish(t, c, OC_OK);
			return;
		}
		want = EPOLLIN;
		break;
	}
	conn_watch(ep, c, want);
}

static void conn_close(wsl_thread_t *t, wsl_conn_t *c)
{
	if(c->fd < 0)
		return;
	if(c->oc == OC_OK && strcmp(t->o->close_mode, "clean") == 0 && c->ssl) {
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
	c->rlen = c->wlen = 0;
	conn_trim(c);
}

/* -- one round in one thread --------------------------------------------- */

/* after conn_step(): account a connection whose outcome is now known */
static void conn_settle(wsl_thread_t *t, int ep, wsl_conn_t *c, int *left)
{
	if(c->st != ST_FINISHED || c->settled) {
		if(c->st == ST_OPEN && c->op == OP_NONE && c->outstanding == 0)
			conn_trim(c);
		return;
	}
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
	conn_trim(c);
}

static void round_init(wsl_thread_t *t)
{
	int i;

	for(i = 0; i < t->count; i++) {
		wsl_conn_t *c = &t->c[i];
		char *tok = c->token;
		wsl_call_t *k = c->call;
		free(c->rbuf);
		free(c->wbuf);
		memset(c, 0, sizeof(*c));
		c->token = tok;
		c->call = k;
		c->fd = -1;
		c->idx = t->first + i;
		snprintf(c->callid, sizeof(c->callid), "%016llx.%d.%d",
				(unsigned long long)rng_next(&t->rng), t->round, c->idx);
		snprintf(c->tag, sizeof(c->tag), "%08x", (unsigned)rng_next(&t->rng));
	}
	t->n_ready = 0;
	t->is_ready = 0;
	t->phase = PH_RUN;
	t->cur = &t->st;
	t->sched_started = 0;
	t->cursor = 0;
}

/* every connection of this thread is open (and registered, for calls) or
 * failed: the measured window starts warmup seconds later */
static void check_ready(wsl_thread_t *t, double now)
{
	const wsl_opts_t *o = t->o;

	if(t->is_ready || t->n_ready < t->count)
		return;
	t->is_ready = 1;
	t->t_sched0 = now;
	if(o->requests == 0) {
		t->t_win0 = now + o->warmup;
		t->t_win1 = now + o->warmup + o->duration;
	}
}

/* open loop: start the operations due by now on idle connections */
static void schedule(wsl_thread_t *t, int ep)
{
	const wsl_opts_t *o = t->o;
	double per = o->rate / o->threads, now = now_s();
	uint64_t due;

	if(!t->is_ready || now >= t->t_win1)
		return;
	due = (uint64_t)((now - t->t_sched0) * per);
	while(t->sched_started < due) {
		double at = t->t_sched0 + (double)t->sched_started / per;
		int i, found = 0;
		t->sched_started++;
		for(i = 0; i < t->count; i++) {
			wsl_conn_t *c = &t->c[t->cursor];
			t->cursor = (t->cursor + 1) % t->count;
			if(conn_idle(c)
					&& !(o->method == M_INVITE && o->auth != AUTH_NONE
							&& !c->registered)) {
				c->ops++;
				t->cur->ops++;
				if(op_start(t, c, main_kind(o), at) < 0)
					conn_finish(t, c, OC_PROTO);
				else
					conn_step(t, ep, c);
				found = 1;
				break;
			}
		}
		if(!found)
			t->cur->skipped++; /* every connection busy: overload */
	}
}

static void round_check(wsl_thread_t *t, int ep, int opened, int *left)
{
	double now = now_s();
	int i;

	for(i = 0; i < opened; i++) {
		wsl_conn_t *c = &t->c[i];
		if(c->st == ST_FINISHED) {
			/* finished outside the event loop (open-loop scheduler) */
			conn_settle(t, ep, c, left);
			continue;
		}
		if(now > c->deadline
				&& (c->st != ST_OPEN || c->outstanding > 0
						|| (c->op != OP_NONE && !(c->call && c->call->up)))) {
			conn_finish(t, c, OC_TIMEOUT);
		} else if(c->st == ST_OPEN && c->outstanding == 0) {
			/* the window may have closed, a BYE may be due */
			if(c->deadline < now + t->o->timeout / 2)
				c->deadline = now + t->o->timeout;
			conn_step(t, ep, c);
		}
		conn_settle(t, ep, c, left);
	}
}

/* the hold phase: ok connections stay open, pings are answered, client
 * keepalives and registration refreshes go out on time */
static void thread_hold(wsl_thread_t *t, int ep)
{
	const wsl_opts_t *o = t->o;
	struct epoll_event ev[256];
	double next_sweep = 0;
	int i, n;

	t->phase = PH_HOLD;
	t->cur = &t->hst;
	for(i = 0; i < t->count; i++) {
		wsl_conn_t *c = &t->c[i];
		double now = now_s();
		if(c->fd < 0 || c->oc != OC_OK)
			continue;
		c->st = ST_OPEN;
		c->op = OP_NONE;
		c->op_n = 0;
		c->next_ka =
				now
				+ o->keepalive * (double)(rng_next(&t->rng) % 1000) / 1000.0;
		c->next_refresh =
				now + o->refresh * (double)(rng_next(&t->rng) % 1000) / 1000.0;
		conn_watch(ep, c, EPOLLIN);
	}
	while(!*t->stop) {
		double now;
		n = epoll_wait(ep, ev, 256, 100);
		for(i = 0; i < n; i++) {
			wsl_conn_t *c = ev[i].data.ptr;
			if(c->st == ST_FINISHED)
				continue;
			conn_step(t, ep, c);
			if(c->st == ST_FINISHED) {
				conn_close(t, c);
				continue;
			}
			if(conn_idle(c))
				conn_trim(c);
		}
		now = now_s();
		if(now < next_sweep)
			continue;
		next_sweep = now + 0.1;
		for(i = 0; i < t->count; i++) {
			wsl_conn_t *c = &t->c[i];
			int q = 0;
			if(c->st != ST_OPEN)
				continue;
			if(o->keepalive > 0 && now >= c->next_ka && c->wlen == 0) {
				c->next_ka = now + o->keepalive;
				t->hst.ka_sent++;
				q = conn_queue_frame(t, c, 0x9, "wsload", 6) == 0;
			}
			if(o->refresh > 0 && now >= c->next_refresh && c->op == OP_NONE
					&& c->outstanding == 0 && c->wlen == 0
					&& o->method != M_OPTIONS) {
				c->next_refresh = now + o->refresh;
				t->hst.ops++;
				q = op_start(t, c, OP_REG, now) == 0;
			}
			if(c->outstanding > 0 && now > c->deadline) {
				conn_finish(t, c, OC_TIMEOUT);
				conn_close(t, c);
				continue;
			}
			if(q)
				conn_step(t, ep, c);
			if(c->st == ST_FINISHED)
				conn_close(t, c);
		}
	}
	t->hst.oc[OC_OK] = 0;
	for(i = 0; i < t->count; i++)
		if(t->c[i].st == ST_OPEN)
			t->hst.oc[OC_OK]++;
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
		int n, tmo = 50;

		/* connect(); the handshake proceeds from the epoll events */
		while(opened < t->count && now >= next_open) {
			wsl_conn_t *c = &t->c[opened++];
			conn_open(t, ep, c);
			conn_settle(t, ep, c, &left);
			next_open = gap > 0 ? next_open + gap : now;
		}
		check_ready(t, now);
		if(o->rate > 0) {
			schedule(t, ep);
			tmo = 1;
		} else if(opened < t->count && gap > 0) {
			tmo = 1;
		}
		n = epoll_wait(ep, ev, 256, tmo);
		for(i = 0; i < n; i++) {
			wsl_conn_t *c = ev[i].data.ptr;
			if(c->st == ST_FINISHED)
				continue;
			conn_step(t, ep, c);
			conn_settle(t, ep, c, &left);
		}
		if(now_s() >= next_check) {
			next_check = now_s() + 0.1;
			check_ready(t, now_s());
			round_check(t, ep, opened, &left);
		}
	}
	if(o->hold > 0) {
		pthread_barrier_wait(t->bar); /* the main thread reports the round */
		thread_hold(t, ep);
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

#define U(x) ((unsigned long long)(x))

static void report(const char *label, int round, const wsl_opts_t *o,
		const wsl_stats_t *s, double elapsed, double window)
{
	double rate = 0, ops_rate = 0;
	uint32_t p50 = 0, p99 = 0, mx = 0;

	if(s->hs_n) {
		qsort(s->hs_ms, s->hs_n, sizeof(uint32_t), cmp_u32);
		p50 = s->hs_ms[s->hs_n / 2];
		p99 = s->hs_ms[(s->hs_n * 99) / 100 < s->hs_n ? (s->hs_n * 99) / 100
													  : s->hs_n - 1];
		mx = s->hs_ms[s->hs_n - 1];
	}
	if(window > 0) {
		rate = (double)s->in_window / window;
		ops_rate = (double)s->ops_in_window / window;
	} else if(elapsed > 0) {
		rate = (double)s->answered / elapsed;
		ops_rate = (double)s->ops_ok / elapsed;
	}
	printf("%s=%d conns=%d ok=%llu refused=%llu tls_fail=%llu "
		   "ws_rejected=%llu timeout=%llu proto=%llu lost=%llu "
		   "sent=%llu answered=%llu s2xx=%llu s401=%llu s4xx=%llu "
		   "s5xx=%llu s6xx=%llu sother=%llu hs_p50_ms=%u hs_p99_ms=%u "
		   "hs_max_ms=%u "
		   "lat_p50_ms=%.3f lat_p99_ms=%.3f elapsed_s=%.3f rate=%.1f "
		   "ops=%llu ops_ok=%llu ops_fail=%llu skipped=%llu ops_rate=%.1f "
		   "op_p50_ms=%.3f op_p90_ms=%.3f op_p99_ms=%.3f regs_ok=%llu "
		   "regs_fail=%llu auth_fail=%llu calls_ok=%llu calls_fail=%llu "
		   "srv_requests=%llu pings=%llu ka_sent=%llu pongs=%llu "
		   "dropped=%llu\n",
			label, round, o->conns, U(s->oc[OC_OK]), U(s->oc[OC_REFUSED]),
			U(s->oc[OC_TLS_FAIL]), U(s->oc[OC_WS_REJECTED]),
			U(s->oc[OC_TIMEOUT]), U(s->oc[OC_PROTO]), U(s->oc[OC_LOST]),
			U(s->sent), U(s->answered), U(s->s2xx), U(s->s401), U(s->s4xx),
			U(s->s5xx), U(s->s6xx), U(s->sother), p50, p99, mx,
			lat_pct(s->lat, 0.5), lat_pct(s->lat, 0.99), elapsed, rate,
			U(s->ops), U(s->ops_ok), U(s->ops_fail), U(s->skipped), ops_rate,
			lat_pct(s->olat, 0.5), lat_pct(s->olat, 0.9),
			lat_pct(s->olat, 0.99), U(s->regs_ok), U(s->regs_fail),
			U(s->auth_fail), U(s->calls_ok), U(s->calls_fail),
			U(s->srv_requests), U(s->pings), U(s->ka_sent), U(s->pongs),
			U(s->dropped));
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
	a->ops += b->ops;
	a->ops_ok += b->ops_ok;
	a->ops_fail += b->ops_fail;
	a->ops_in_window += b->ops_in_window;
	a->skipped += b->skipped;
	a->regs_ok += b->regs_ok;
	a->regs_fail += b->regs_fail;
	a->auth_fail += b->auth_fail;
	a->calls_ok += b->calls_ok;
	a->calls_fail += b->calls_fail;
	a->srv_requests += b->srv_requests;
	a->pings += b->pings;
	a->ka_sent += b->ka_sent;
	a->pongs += b->pongs;
	a->dropped += b->dropped;
	for(i = 0; i < WSL_LAT_BUCKETS; i++) {
		a->lat[i] += b->lat[i];
		a->olat[i] += b->olat[i];
	}
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
		  "  --src-base A      bind connections to A, A+1, ... (127.x.y.z)\n"
		  "  --sources N       how many source addresses from --src-base (8)\n"
		  "  --conns N         connections (100)\n"
		  "  --connect-rate R  new connections per second (0 = all at once)\n"
		  "  --rounds R        open all, run, close all; R times (1)\n"
		  "  --requests K      operations per connection per round (1)\n"
		  "  --duration S      closed loop for S seconds instead\n"
		  "  --rate R          with --duration: open loop, R operations/s\n"
		  "  --warmup S        duration mode: first S s not counted (1)\n"
		  "  --pipeline P      outstanding requests per connection (1)\n"
		  "  --method M        REGISTER (default), OPTIONS or INVITE (calls)\n"
		  "  --auth A          none (default), digest, token or tna\n"
		  "  --password P      Digest password of every user (wsload-pw)\n"
		  "  --user-prefix U   users U<n>@domain (wsload)\n"
		  "  --user-base N     first user number (0)\n"
		  "  --domain D        home domain (ims.test)\n"
		  "  --expires S       REGISTER expires (600)\n"
		  "  --token-key F     ES256 private key (PEM) signing WWSF tokens\n"
		  "  --token-iss I     token issuer; --token-aud A audience;\n"
		  "  --token-kid K     key id; --token-ttl S lifetime (600)\n"
		  "  --callee URI      INVITE target (method INVITE)\n"
		  "  --sdp F           SDP offer of the INVITEs\n"
		  "  --call-hold S     seconds between the ACK and the BYE (0)\n"
		  "  --timeout S       max time without progress (10)\n"
		  "  --hold S          keep ok connections open S s after the round,\n"
		  "                    answering pings (SIGUSR1 ends it early)\n"
		  "  --keepalive S     while held: a WebSocket ping every S s\n"
		  "  --refresh S       while held: re-REGISTER every S s\n"
		  "  --pause S         pause between rounds (0)\n"
		  "  --close MODE      clean (WS close + close_notify), abrupt\n"
		  "                    (TCP RST) or plain (FIN) (clean)\n"
		  "  --threads T       event loops (1)\n"
		  "  --max-time S      give up (exit 4) after S s in all (3600)\n"
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
			{"cafile", 1, 0, 'C'}, {"sni", 1, 0, 'S'}, {"origin", 1, 0, 'O'},
			{"path", 1, 0, 'P'}, {"conns", 1, 0, 'n'}, {"rounds", 1, 0, 'r'},
			{"requests", 1, 0, 'k'}, {"duration", 1, 0, 'd'},
			{"warmup", 1, 0, 'w'}, {"pipeline", 1, 0, 'l'},
			{"method", 1, 0, 'm'}, {"domain", 1, 0, 'D'},
			{"user-base", 1, 0, 'u'}, {"timeout", 1, 0, 't'},
			{"connect-rate", 1, 0, 'R'}, {"hold", 1, 0, 'h'},
			{"pause", 1, 0, 'z'}, {"close", 1, 0, 'c'}, {"threads", 1, 0, 'T'},
			{"verbose", 0, 0, 'v'}, {"src-base", 1, 0, 'b'},
			{"sources", 1, 0, 'N'}, {"auth", 1, 0, 'a'},
			{"password", 1, 0, 'W'}, {"user-prefix", 1, 0, 'U'},
			{"token-key", 1, 0, 'K'}, {"token-iss", 1, 0, 'I'},
			{"token-aud", 1, 0, 'A'}, {"token-kid", 1, 0, 'J'},
			{"token-ttl", 1, 0, 'L'}, {"expires", 1, 0, 'E'},
			{"callee", 1, 0, 'e'}, {"sdp", 1, 0, 's'}, {"call-hold", 1, 0, 'o'},
			{"rate", 1, 0, 'q'}, {"keepalive", 1, 0, 'x'},
			{"refresh", 1, 0, 'f'}, {"max-time", 1, 0, 'M'}, {0, 0, 0, 0}};
	const char *method = "REGISTER", *auth = "none";
	int ch;

	memset(o, 0, sizeof(*o));
	o->host = "127.0.0.1";
	o->domain = "ims.test";
	o->path = "/";
	o->close_mode = "clean";
	o->password = "wsload-pw";
	o->user_prefix = "wsload";
	o->sources = 8;
	o->token_ttl = 600;
	o->expires = 600;
	o->conns = 100;
	o->rounds = 1;
	o->requests = 1;
	o->warmup = 1;
	o->timeout = 10;
	o->pipeline = 1;
	o->threads = 1;
	o->max_time = 3600;
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
				method = optarg;
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
			case 'b':
				o->src_base = optarg;
				break;
			case 'N':
				o->sources = (int)parse_num(optarg, "--sources");
				break;
			case 'a':
				auth = optarg;
				break;
			case 'W':
				o->password = optarg;
				break;
			case 'U':
				o->user_prefix = optarg;
				break;
			case 'K':
				o->token_key = optarg;
				break;
			case 'I':
				o->token_iss = optarg;
				break;
			case 'A':
				o->token_aud = optarg;
				break;
			case 'J':
				o->token_kid = optarg;
				break;
			case 'L':
				o->token_ttl = (int)parse_num(optarg, "--token-ttl");
				break;
			case 'E':
				o->expires = (int)parse_num(optarg, "--expires");
				break;
			case 'e':
				o->callee = optarg;
				break;
			case 's':
				o->sdp_file = optarg;
				break;
			case 'o':
				o->call_hold = parse_num(optarg, "--call-hold");
				break;
			case 'q':
				o->rate = parse_num(optarg, "--rate");
				break;
			case 'x':
				o->keepalive = parse_num(optarg, "--keepalive");
				break;
			case 'f':
				o->refresh = parse_num(optarg, "--refresh");
				break;
			case 'M':
				o->max_time = parse_num(optarg, "--max-time");
				break;
			default:
				usage();
		}
	}
	if(strcasecmp(method, "REGISTER") == 0)
		o->method = M_REGISTER;
	else if(strcasecmp(method, "OPTIONS") == 0)
		o->method = M_OPTIONS;
	else if(strcasecmp(method, "INVITE") == 0)
		o->method = M_INVITE;
	else
		usage();
	if(strcmp(auth, "none") == 0)
		o->auth = AUTH_NONE;
	else if(strcmp(auth, "digest") == 0)
		o->auth = AUTH_DIGEST;
	else if(strcmp(auth, "token") == 0)
		o->auth = AUTH_TOKEN;
	else if(strcmp(auth, "tna") == 0)
		o->auth = AUTH_TNA;
	else
		usage();
	if(o->port <= 0 || o->port > 65535 || o->conns <= 0 || o->rounds <= 0
			|| o->pipeline <= 0 || o->threads <= 0 || o->timeout <= 0
			|| o->sources <= 0 || o->max_time <= 0
			|| (o->requests == 0 && o->duration <= 0)
			|| (o->rate > 0 && o->duration <= 0))
		usage();
	if(strcmp(o->close_mode, "clean") && strcmp(o->close_mode, "abrupt")
			&& strcmp(o->close_mode, "plain"))
		usage();
	if(o->auth == AUTH_TOKEN
			&& (!o->token_key || !o->token_iss || !o->token_aud))
		die("--auth token needs --token-key, --token-iss and --token-aud");
	if(o->method == M_INVITE && (!o->callee || !o->sdp_file))
		die("--method INVITE needs --callee and --sdp");
	if(o->pipeline > 1 && (o->method == M_INVITE || o->auth == AUTH_DIGEST))
		die("--pipeline > 1 only for stateless requests (no calls, no Digest)");
	if(o->src_base) {
		if(inet_pton(AF_INET, o->src_base, &o->src0) != 1
				|| (ntohl(o->src0.s_addr) >> 24) != 127)
			die("--src-base must be an address in 127.0.0.0/8");
	}
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
	/* idle connections keep no read/write buffers (tens of thousands) */
	SSL_CTX_set_mode(ctx,
			SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
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

/* one file descriptor per connection and some: raise the soft limit, and
 * the hard one if we may */
static void raise_nofile(const wsl_opts_t *o)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)o->conns + 64;

	if(getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if(rl.rlim_cur >= want)
		return;
	if(rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
		rl.rlim_max = want;
	rl.rlim_cur = want;
	if(setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		fprintf(stderr,
				"wsload: open files limited to %llu, fewer than --conns "
				"%d\n",
				(unsigned long long)rl.rlim_max, o->conns);
	}
}

static void load_sdp(wsl_opts_t *o)
{
	FILE *f = fopen(o->sdp_file, "rb");
	char raw[16384];
	size_t n, i, l = 0;

	if(!f)
		die("cannot open %s: %s", o->sdp_file, strerror(errno));
	n = fread(raw, 1, sizeof(raw), f);
	fclose(f);
	o->sdp = malloc(2 * n + 3);
	if(!o->sdp || n == 0 || n == sizeof(raw))
		die("bad SDP file %s", o->sdp_file);
	/* CRLF line ends whatever the file has (RFC 4566 allows LF alone) */
	for(i = 0; i < n; i++) {
		if(raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r'))
			o->sdp[l++] = '\r';
		o->sdp[l++] = raw[i];
	}
	if(l < 2 || o->sdp[l - 1] != '\n') {
		o->sdp[l++] = '\r';
		o->sdp[l++] = '\n';
	}
	o->sdp_len = l;
}

static void load_token_key(wsl_opts_t *o)
{
	FILE *f = fopen(o->token_key, "r");

	if(!f)
		die("cannot open %s: %s", o->token_key, strerror(errno));
	o->tkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if(!o->tkey || EVP_PKEY_get_base_id(o->tkey) != EVP_PKEY_EC)
		die("%s: not an EC (P-256) private key", o->token_key);
}

static void on_usr1(int sig)
{
	(void)sig;
	g_end_hold = 1;
}

static void on_alarm(int sig)
{
	static const char m[] = "wsload: --max-time reached, giving up\n";
	(void)sig;
	if(write(2, m, sizeof(m) - 1) < 0) {
		/* nothing to do */
	}
	_exit(4);
}

/* tokens are bound to the connection they are first used on: new ones for
 * every round (signed before the round starts, not timed) */
static void sign_tokens(wsl_opts_t *o, wsl_thread_t *th, uint64_t *rng)
{
	int i, j;

	for(i = 0; i < o->threads; i++) {
		for(j = 0; j < th[i].count; j++) {
			wsl_conn_t *c = &th[i].c[j];
			free(c->token);
			c->token = token_sign(o, th[i].first + j, rng);
			if(!c->token)
				die("cannot sign a token with %s", o->token_key);
		}
	}
}

int main(int argc, char **argv)
{
	wsl_opts_t o;
	wsl_thread_t *th;
	pthread_t *tid;
	pthread_barrier_t bar;
	wsl_stats_t total;
	SSL_CTX *ctx;
	int i, r, per, rest, unclean = 0, refused = 0;
	uint64_t seed = 0;
	double elapsed = 0, window = 0;
	volatile int stop = 0;
	struct sigaction sa;

	parse_opts(argc, argv, &o);
	/* a server that drops a connection must not kill the client */
	signal(SIGPIPE, SIG_IGN);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGALRM, on_alarm);
	alarm((unsigned)(o.max_time + 0.999));
	raise_nofile(&o);
	if(o.sdp_file)
		load_sdp(&o);
	if(o.auth == AUTH_TOKEN)
		load_token_key(&o);
	ctx = make_ctx(&o);
	th = calloc((size_t)o.threads, sizeof(*th));
	tid = calloc((size_t)o.threads, sizeof(*tid));
	memset(&total, 0, sizeof(total));
	total.hs_ms = calloc((size_t)o.conns * (size_t)o.rounds, sizeof(uint32_t));
	if(!th || !tid || !total.hs_ms)
		die("out of memory");
	if(getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = (uint64_t)time(NULL) ^ (uint64_t)getpid();
	if(pthread_barrier_init(&bar, NULL, (unsigned)o.threads + 1) != 0)
		die("pthread_barrier_init failed");
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
		th[i].bar = &bar;
		th[i].stop = &stop;
		if(!th[i].c || !th[i].st.hs_ms)
			die("out of memory");
	}
	for(r = 1; r <= o.rounds; r++) {
		wsl_stats_t rs, hs;
		double t0, hold_t0;

		if(o.auth == AUTH_TOKEN)
			sign_tokens(&o, th, &seed);
		t0 = now_s();
		memset(&rs, 0, sizeof(rs));
		memset(&hs, 0, sizeof(hs));
		rs.hs_ms = calloc((size_t)o.conns, sizeof(uint32_t));
		if(!rs.hs_ms)
			die("out of memory");
		stop = 0;
		g_end_hold = 0;
		for(i = 0; i < o.threads; i++) {
			uint32_t *hsm = th[i].st.hs_ms;
			memset(&th[i].st, 0, sizeof(th[i].st));
			memset(&th[i].hst, 0, sizeof(th[i].hst));
			th[i].st.hs_ms = hsm;
			th[i].round = r;
			th[i].t_round = t0;
			/* duration mode: the window starts once the thread's
			 * connections are up (check_ready) */
			th[i].t_win0 = o.requests > 0 ? 0 : 1e300;
			th[i].t_win1 = 1e300;
			if(pthread_create(&tid[i], NULL, thread_round, &th[i]) != 0)
				die("pthread_create failed");
		}
		if(o.hold > 0)
			pthread_barrier_wait(&bar);
		else
			for(i = 0; i < o.threads; i++)
				pthread_join(tid[i], NULL);
		for(i = 0; i < o.threads; i++)
			stats_add(&rs, &th[i].st);
		report("round", r, &o, &rs, now_s() - t0,
				o.requests > 0 ? 0 : o.duration);
		elapsed += now_s() - t0;
		window += o.requests > 0 ? 0 : o.duration;
		if(o.hold > 0) {
			hold_t0 = now_s();
			while(!g_end_hold && now_s() - hold_t0 < o.hold)
				usleep(20000);
			stop = 1;
			for(i = 0; i < o.threads; i++)
				pthread_join(tid[i], NULL);
			for(i = 0; i < o.threads; i++)
				stats_add(&hs, &th[i].hst);
			report("hold", r, &o, &hs, now_s() - hold_t0, 0);
		}
		for(i = 0; i < o.threads; i++)
			thread_close_all(&th[i]);
		stats_add(&total, &rs);
		free(rs.hs_ms);
		if(o.pause > 0 && r < o.rounds)
			usleep((useconds_t)(o.pause * 1e6));
	}
	report("total", o.rounds, &o, &total, elapsed, window);
	unclean = total.oc[OC_TIMEOUT] + total.oc[OC_PROTO] + total.oc[OC_LOST] > 0;
	refused = total.oc[OC_REFUSED] + total.oc[OC_TLS_FAIL]
					  + total.oc[OC_WS_REJECTED]
			  > 0;
	for(i = 0; i < o.threads; i++) {
		int j;
		for(j = 0; j < th[i].count; j++) {
			free(th[i].c[j].token);
			free(th[i].c[j].call);
		}
		free(th[i].c);
		free(th[i].st.hs_ms);
	}
	pthread_barrier_destroy(&bar);
	free(th);
	free(tid);
	free(total.hs_ms);
	free(o.sdp);
	EVP_PKEY_free(o.tkey);
	SSL_CTX_free(ctx);
	return unclean ? 1 : refused ? 3 : 0;
}
