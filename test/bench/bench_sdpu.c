/*
 * Benchmark (not a timed test): SDP rewrites per second for the Chromium
 * audio+video offer toward Mw, and the ratio to a plain line scan of the same
 * buffer measured in the same run. One core, single thread.
 *
 *   make bench-sdp            (builds with -O2, runs, prints the figures)
 *   build/bench/bench_sdpu [file.sdp] [seconds]
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "epc_sdp.h"
#include "sdpu.h"

#ifndef EPC_TOP
#define EPC_TOP "../.."
#endif

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static volatile size_t sink;

/* the floor: find every line end once */
static size_t line_scan(const char *b, size_t n)
{
	const char *p = b, *end = b + n, *q;
	size_t lines = 0;

	while(p < end && (q = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		lines++;
		p = q + 1;
	}
	return lines;
}

typedef int (*op_f)(const char *b, size_t n);

static epc_sdp_line_t lines[4096];
static epc_sdp_media_t media[64];
static char out[1 << 16];
static sdpu_policy_t pol;

static int op_scan(const char *b, size_t n)
{
	sink += line_scan(b, n);
	return 0;
}

static int op_parse(const char *b, size_t n)
{
	epc_sdp_t s;
	return epc_sdp_parse((epc_span_t){b, n}, lines, 4096, media, 64, &s, NULL);
}

static int op_rewrite(const char *b, size_t n)
{
	epc_sdp_t s;
	sdpu_map_t map;
	size_t ol;
	int rc =
			epc_sdp_parse((epc_span_t){b, n}, lines, 4096, media, 64, &s, NULL);
	if(rc == 0)
		rc = sdpu_to_mw(&s, &pol, 1, NULL, &map, out, sizeof(out), &ol, NULL);
	sink += ol;
	return rc;
}

static int op_rewrite_malloc(const char *b, size_t n)
{
	epc_sdp_t s;
	sdpu_map_t map;
	size_t ol;
	int rc = epc_sdp_parse_alloc((epc_span_t){b, n}, &epc_alloc_libc, &s, NULL);
	if(rc == 0)
		rc = sdpu_to_mw(&s, &pol, 1, NULL, &map, out, sizeof(out), &ol, NULL);
	epc_sdp_free(&s, &epc_alloc_libc);
	sink += ol;
	return rc;
}

static double rate(op_f op, const char *b, size_t n, double secs)
{
	double t0 = now(), t;
	unsigned long it = 0, k;

	do {
		for(k = 0; k < 1000; k++) {
			if(op(b, n) != 0) {
				fprintf(stderr, "operation failed\n");
				exit(1);
			}
		}
		it += 1000;
		t = now() - t0;
	} while(t < secs);
	return (double)it / t;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1]
								: EPC_TOP
							   "/test/sdp/chromium/offer-balanced-av.sdp";
	double secs = argc > 2 ? atof(argv[2]) : 1.0, scan, parse, rw, rwm;
	static char buf[1 << 16];
	size_t n;
	FILE *f = fopen(path, "rb");

	if(!f) {
		perror(path);
		return 1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	sdpu_policy_default(&pol);
	rate(op_rewrite, buf, n, 0.2); /* warm up */
	scan = rate(op_scan, buf, n, secs);
	parse = rate(op_parse, buf, n, secs);
	rw = rate(op_rewrite, buf, n, secs);
	rwm = rate(op_rewrite_malloc, buf, n, secs);
	printf("input: %s (%zu bytes, %zu lines)\n", path, n, line_scan(buf, n));
	printf("line scan (memchr)          : %12.0f /s\n", scan);
	printf("parse (caller storage)      : %12.0f /s\n", parse);
	printf("rewrite toward Mw           : %12.0f /s  (%.2f us each)\n", rw,
			1e6 / rw);
	printf("rewrite toward Mw (malloc)  : %12.0f /s\n", rwm);
	printf("ratio rewrite / line scan   : %12.3f  (line scan is %.1fx "
		   "faster)\n",
			rw / scan, scan / rw);
	printf("target >= 100000 rewrites/s per core: %s\n",
			rw >= 100000 ? "met" : "NOT met");
	return 0;
}
