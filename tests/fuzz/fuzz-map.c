/* fuzz-map.c: libFuzzer target for the import mapping file parser
 * (crm_map_load in libcrm/import.h). crm_map_load takes a path, so the
 * input is written to a memfd and read through /proc/self/fd. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "crm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct crm_map_settings *s;
	char path[64], err[512];
	struct crm_map *m;
	int fd;

	if ((fd = memfd_create("map", 0)) == -1)
		return 0;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((m = crm_map_new()) != NULL) {
		if (crm_map_load(m, path, err, sizeof(err)) == 0) {
			s = crm_map_settings(m);
			if (s->datefmt)
				(void)strlen(s->datefmt);
			if (s->kind)
				(void)strlen(s->kind);
		} else if (err[0] == '\0') {
			__builtin_trap();
		}
		crm_map_free(m);
	}
	close(fd);
	return 0;
}
