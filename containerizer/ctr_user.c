/*
 * ctr_user.c: a task's user looked up on the agent, and its sandbox given
 * to it (see ctr_user.h). Owns the struct ctr_user fields it fills.
 * Calls nothing else of the containerizer's. Loop thread only.
 */
#include "containerizer/ctr_user.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/xalloc.h"

#define CTR_USER_PWBUF 16384
#define CTR_USER_MAX_GROUPS 4096

int
ctr_user_lookup(const char *name, struct ctr_user *out, struct cd_err *err)
{
	struct passwd pw, *res = NULL;
	char *buf = NULL;
	int n = 64, rc = 0, e;

	memset(out, 0, sizeof *out);
	if (name == NULL || name[0] == '\0')
		return 0;
	buf = xmalloc(CTR_USER_PWBUF);
	e = getpwnam_r(name, &pw, buf, CTR_USER_PWBUF, &res);
	if (res == NULL) {
		rc = cd_err_set(err, -ENOENT,
				"user '%.64s' does not exist on this agent%s%s",
				name, e != 0 ? ": " : "",
				e != 0 ? strerror(e) : "");
		goto out;
	}
	if (geteuid() != 0 && pw.pw_uid != geteuid()) {
		rc = cd_err_set(err, -EPERM,
				"cannot run as user '%.64s': the agent does "
				"not run as root",
				name);
		goto out;
	}
	out->set = true;
	out->name = xstrdup(name);
	out->uid = pw.pw_uid;
	out->gid = pw.pw_gid;
	for (;;) {
		int got = n;

		out->groups =
		    xrealloc(out->groups, (size_t)n * sizeof *out->groups);
		if (getgrouplist(name, pw.pw_gid, out->groups, &got) != -1) {
			out->ngroups = (size_t)got;
			break;
		}
		if (got <= n || got > CTR_USER_MAX_GROUPS) {
			/* Unreadable or absurd: the primary group only. */
			out->groups[0] = pw.pw_gid;
			out->ngroups = 1;
			break;
		}
		n = got;
	}
out:
	free(buf);
	if (rc != 0)
		ctr_user_release(out);
	return rc;
}

void
ctr_user_release(struct ctr_user *u)
{
	free(u->name);
	free(u->groups);
	memset(u, 0, sizeof *u);
}

void
ctr_user_copy(struct ctr_user *dst, const struct ctr_user *src)
{
	*dst = *src;
	dst->name = src->name != NULL ? xstrdup(src->name) : NULL;
	dst->groups = NULL;
	if (src->ngroups > 0) {
		dst->groups = xcalloc(src->ngroups, sizeof *dst->groups);
		memcpy(dst->groups, src->groups,
		       src->ngroups * sizeof *dst->groups);
	}
}

int
ctr_user_sandbox(const struct ctr_user *u, const char *sandbox,
		 struct cd_err *err)
{
	if (u->set && chown(sandbox, u->uid, u->gid) == -1)
		return cd_err_set(err, -errno,
				  "cannot give the sandbox to %s: %s", u->name,
				  strerror(errno));
	if (chmod(sandbox, 0750) == -1)
		return cd_err_set(err, -errno, "cannot chmod the sandbox: %s",
				  strerror(errno));
	return 0;
}

int
ctr_user_own_fd(const struct ctr_user *u, int fd)
{
	if (!u->set)
		return 0;
	return fchown(fd, u->uid, u->gid) == -1 ? -errno : 0;
}
