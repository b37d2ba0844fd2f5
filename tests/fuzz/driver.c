/*
 * tests/fuzz/driver.c - runs a libFuzzer target without libFuzzer.
 *
 * Used by `make check`: feeds every seed file named on the command line
 * (files or directories) to LLVMFuzzerTestOneInput, then a fixed number of
 * deterministic mutations of them (bit flips, truncations, splices, byte
 * runs). Under the sanitizer build a memory error aborts the test. The
 * real coverage-guided run is `make fuzz` with clang (tests/fuzz/README).
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/xalloc.h"
#include "lib/banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DRIVER_MAX_SEEDS 256
#define DRIVER_MAX_INPUT 65536

struct seed {
	uint8_t *data;
	size_t len;
};

static struct seed seeds[DRIVER_MAX_SEEDS];
static size_t nseeds;

static void
add_file(const char *path)
{
	FILE *f;
	uint8_t *d;
	size_t n;

	if (nseeds == DRIVER_MAX_SEEDS)
		return;
	f = fopen(path, "rb");
	if (f == NULL) {
		perror(path);
		exit(2);
	}
	d = xmalloc(DRIVER_MAX_INPUT);
	n = fread(d, 1, DRIVER_MAX_INPUT, f);
	fclose(f);
	seeds[nseeds].data = d;
	seeds[nseeds].len = n;
	nseeds++;
}

static void
add_path(const char *path)
{
	struct stat st;
	DIR *dir;
	struct dirent *de;
	char p[4096];

	if (stat(path, &st) == -1) {
		perror(path);
		exit(2);
	}
	if (!S_ISDIR(st.st_mode)) {
		add_file(path);
		return;
	}
	dir = opendir(path);
	while (dir != NULL && (de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (snprintf(p, sizeof(p), "%s/%s", path, de->d_name) < (int)sizeof(p))
			add_file(p);
	}
	if (dir != NULL)
		closedir(dir);
}

static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int
main(int argc, char **argv)
{
	uint64_t rnd = 0x9e3779b97f4a7c15ULL;
	unsigned rounds = 20000;
	uint8_t *buf = xmalloc(DRIVER_MAX_INPUT);
	const char *env = getenv("FUZZ_DRIVER_ROUNDS");

	if (env != NULL)
		rounds = (unsigned)strtoul(env, NULL, 10);
	for (int i = 1; i < argc; i++)
		add_path(argv[i]);
	if (argc == 1) {
		/* under make check: seeds/<target without _fuzz> in the source tree */
		const char *src = getenv("TESSERA_SRCDIR");
		const char *base = strrchr(argv[0], '/');
		char dir[4096];
		size_t n;

		base = base != NULL ? base + 1 : argv[0];
		n = strlen(base);
		if (n > 5 && strcmp(base + n - 5, "_fuzz") == 0)
			n -= 5;
		if (src != NULL && snprintf(dir, sizeof(dir), "%s/tests/fuzz/seeds/%.*s",
		    src, (int)n, base) < (int)sizeof(dir))
			add_path(dir);
	}
	if (nseeds == 0) {
		seeds[0].data = xmalloc(1);
		nseeds = 1;
	}
	for (size_t i = 0; i < nseeds; i++)
		LLVMFuzzerTestOneInput(seeds[i].data, seeds[i].len);
	for (unsigned r = 0; r < rounds; r++) {
		const struct seed *s = &seeds[next_rand(&rnd) % nseeds];
		const struct seed *t = &seeds[next_rand(&rnd) % nseeds];
		size_t len = s->len;

		memcpy(buf, s->data, len);
		switch (next_rand(&rnd) % 5) {
		case 0:	/* flip bits */
			for (int k = 0; k < 4 && len > 0; k++)
				buf[next_rand(&rnd) % len] ^= (uint8_t)(1u << (next_rand(&rnd) % 8));
			break;
		case 1:	/* truncate */
			len = len > 0 ? next_rand(&rnd) % len : 0;
			break;
		case 2:	/* splice with another seed */
			if (len > 0 && t->len > 0) {
				size_t cut = next_rand(&rnd) % len;
				size_t from = next_rand(&rnd) % t->len;
				size_t n = t->len - from;

				if (cut + n > DRIVER_MAX_INPUT)
					n = DRIVER_MAX_INPUT - cut;
				memcpy(buf + cut, t->data + from, n);
				len = cut + n;
			}
			break;
		case 3:	/* insert a run of one interesting byte */
			{
				static const uint8_t interesting[] = { 0, '\r', '\n',
				    '%', '(', ')', '*', '\\', '"', '{', '}', ' ', 0xff,
				    '[', ']', '=', ',', '@', '.' };
				uint8_t c = interesting[next_rand(&rnd) % sizeof(interesting)];
				size_t n = 1 + next_rand(&rnd) % 64;

				if (len + n > DRIVER_MAX_INPUT)
					n = DRIVER_MAX_INPUT - len;
				memset(buf + len, c, n);
				len += n;
			}
			break;
		default: /* random bytes */
			for (int k = 0; k < 8 && len > 0; k++)
				buf[next_rand(&rnd) % len] = (uint8_t)next_rand(&rnd);
			break;
		}
		LLVMFuzzerTestOneInput(buf, len);
	}
	printf("fuzz driver: %zu seeds, %u mutated inputs, no crash\n", nseeds, rounds);
	for (size_t i = 0; i < nseeds; i++)
		free(seeds[i].data);
	free(buf);
	return 0;
}
