/*
 * replay_main.h: the main() of every fuzz target's TEST_DRIVER build
 * (STYLE B28). `make replay` compiles each tests/fuzz/fuzz_*.c with gcc and
 * -DTEST_DRIVER, and runs it over its corpus: every file named on the
 * command line is read whole and passed to LLVMFuzzerTestOneInput(), so the
 * corpus works as a regression suite without libFuzzer. Each target
 * includes this header once, after its LLVMFuzzerTestOneInput().
 */
#ifndef CLUSTERD_TESTS_FUZZ_REPLAY_MAIN_H
#define CLUSTERD_TESTS_FUZZ_REPLAY_MAIN_H

#ifdef TEST_DRIVER
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		unsigned char *buf;
		long n;

		if (f == NULL || fseek(f, 0, SEEK_END) != 0 ||
		    (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
			perror(argv[i]);
			if (f != NULL)
				fclose(f);
			return 1;
		}
		/* One spare byte: a zero-length malloc may return NULL. */
		buf = malloc((size_t)n + 1);
		if (buf == NULL ||
		    (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)) {
			perror(argv[i]);
			fclose(f);
			free(buf);
			return 1;
		}
		fclose(f);
		LLVMFuzzerTestOneInput(buf, (size_t)n);
		free(buf);
	}
	printf("replayed %d inputs\n", argc - 1);
	return 0;
}
#endif

#endif
