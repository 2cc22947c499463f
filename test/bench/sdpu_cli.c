/*
 * sdpu_cli: run one sdp_unbundle transform on a file, for tests driven from
 * other languages (the browser check in test/e2e). Not installed.
 *
 *   sdpu_cli mw-offer  IN OUT MAPFILE [flags]   toward Mw, writes the map
 *   sdpu_cli mw-answer IN OUT [flags]
 *   sdpu_cli w2-offer  IN OUT [flags]
 *   sdpu_cli w2-answer IN OUT MAPFILE [flags]   with the offer's map
 *
 * Prints the stats as one JSON line; exit 0 on success, 2 on a transform
 * error (message on stderr), 1 on usage/IO errors.
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "epc_sdp.h"
#include "sdpu.h"

static char *slurp(const char *p, size_t *n)
{
	FILE *f = fopen(p, "rb");
	char *b;
	long l;
	if(!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	l = ftell(f);
	rewind(f);
	b = malloc(l > 0 ? (size_t)l : 1);
	if(b && fread(b, 1, (size_t)l, f) != (size_t)l) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*n = (size_t)l;
	return b;
}

static int spit(const char *p, const char *b, size_t n)
{
	FILE *f = fopen(p, "wb");
	if(!f || fwrite(b, 1, n, f) != n)
		return -1;
	return fclose(f);
}

int main(int argc, char **argv)
{
	static char out[1 << 17], text[SDPU_MAP_TEXT_MAX];
	const char *mode, *flags;
	int need_map, rc;
	size_t n, ol, tl;
	char *in, *mt;
	epc_sdp_t sdp;
	epc_sdp_err_t err;
	sdpu_policy_t pol;
	sdpu_map_t map;
	sdpu_stats_t st;

	if(argc < 4)
		goto usage;
	mode = argv[1];
	need_map = !strcmp(mode, "mw-offer") || !strcmp(mode, "w2-answer");
	if(need_map && argc < 5)
		goto usage;
	flags = argc > 4 + need_map ? argv[4 + need_map] : "";
	in = slurp(argv[2], &n);
	if(!in) {
		perror(argv[2]);
		return 1;
	}
	rc = epc_sdp_parse_alloc((epc_span_t){in, n}, &epc_alloc_libc, &sdp, &err);
	if(rc) {
		fprintf(stderr, "parse: %s at %zu\n", epc_sdp_strerror(rc), err.offset);
		return 2;
	}
	sdpu_policy_default(&pol);
	if(sdpu_policy_flags(&pol, epc_span_cstr(flags), NULL) < 0) {
		fprintf(stderr, "bad flags\n");
		return 1;
	}
	if(!strcmp(mode, "mw-offer") || !strcmp(mode, "mw-answer")) {
		rc = sdpu_to_mw(&sdp, &pol, mode[3] == 'o', NULL, &map, out,
				sizeof(out), &ol, &st);
		if(rc == 0 && need_map) {
			sdpu_map_encode(&map, text, sizeof(text), &tl);
			if(spit(argv[4], text, tl) < 0)
				return 1;
		}
	} else if(!strcmp(mode, "w2-offer") || !strcmp(mode, "w2-answer")) {
		if(need_map) {
			mt = slurp(argv[4], &tl);
			if(!mt || sdpu_map_decode((epc_span_t){mt, tl}, &map) < 0) {
				fprintf(stderr, "bad map\n");
				return 1;
			}
		}
		rc = sdpu_to_w2(&sdp, &pol, !need_map, need_map ? &map : NULL, out,
				sizeof(out), &ol, &st);
	} else {
		goto usage;
	}
	if(rc) {
		fprintf(stderr, "%s\n", sdpu_strerror(rc));
		return 2;
	}
	if(spit(argv[3], out, ol) < 0)
		return 1;
	printf("{\"changed\":%u,\"media\":%u,\"usable\":%u,\"removed\":%u,"
		   "\"rejected\":%u,\"bundle_rejected\":%u,\"dc_rejected\":%u}\n",
			st.changed, st.media, st.usable, st.removed, st.rejected,
			st.bundle_rejected, st.dc_rejected);
	return 0;
usage:
	fprintf(stderr, "usage: sdpu_cli mw-offer|mw-answer|w2-offer|w2-answer "
					"IN OUT [MAP] [flags]\n");
	return 1;
}
