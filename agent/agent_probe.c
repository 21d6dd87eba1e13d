/*
 * agent_probe.c: resource detection. Runs once at start-up, before the
 * loop; the sysconf/statvfs calls are cheap and never block for long.
 */
#include "agent/agent_probe.h"

#include <errno.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "lib/xalloc.h"

#define MiB (1024.0 * 1024.0)

int
agent_probe_resources(const char *text, const char *work_dir,
		      struct resources *out, struct cd_err *err)
{
	static const struct res_range dflt = {31000, 32000};
	struct resources given;
	struct statvfs vfs;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	double mem = (double)sysconf(_SC_PHYS_PAGES) *
		     (double)sysconf(_SC_PAGESIZE) / MiB;
	double disk = 0;

	res_zero(out);
	out->cpus = ncpu > 0 ? (double)ncpu : 1;
	out->mem = mem >= 2048 ? mem - 1024 : mem / 2;
	if (statvfs(work_dir, &vfs) == 0)
		disk = (double)vfs.f_bavail * (double)vfs.f_frsize / MiB;
	out->disk = disk >= 10240 ? disk - 5120 : disk / 2;
	res_set_ranges(out, &dflt, 1);
	if (text == NULL || *text == '\0')
		return 0;
	if (res_parse(text, &given, err) != 0)
		return -EINVAL;
	/* Only the names written in the text override detection. */
	if (strstr(text, "cpus") != NULL)
		out->cpus = given.cpus;
	if (strstr(text, "mem") != NULL)
		out->mem = given.mem;
	if (strstr(text, "disk") != NULL)
		out->disk = given.disk;
	if (strstr(text, "ports") != NULL)
		res_set_ranges(out, given.ports, given.nranges);
	res_free(&given);
	return 0;
}

json_t *
agent_probe_attributes(const char *text, struct cd_err *err)
{
	json_t *j = json_object();
	char *copy, *p, *item, *save = NULL;

	if (text == NULL || *text == '\0')
		return j;
	copy = xstrdup(text);
	for (p = copy; (item = strtok_r(p, ";", &save)) != NULL; p = NULL) {
		char *colon = strchr(item, ':');

		if (colon == NULL || colon == item || colon[1] == '\0') {
			cd_err_set(err, -EINVAL,
				   "invalid attribute '%s': "
				   "expected name:value",
				   item);
			json_decref(j);
			j = NULL;
			break;
		}
		*colon = '\0';
		json_object_set_new(j, item, json_string(colon + 1));
	}
	free(copy);
	return j;
}
