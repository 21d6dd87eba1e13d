/*
 * ctr_user.h: the user a task runs as (the app's "user"), looked up on the
 * agent: uid, primary gid and supplementary groups, as initgroups() would
 * set them. Processes switch to it before exec (ctr_mesos_spawn.c), docker
 * containers get it as "uid:gid" with its groups (ctr_docker_api.c), and
 * the sandbox and fetched files are owned by it.
 *
 * The lookups read the passwd and group databases through NSS
 * (getpwnam_r, getgrouplist): local files on the loop thread, accepted as
 * short, like the sandbox's own mkdir. Loop thread only.
 */
#ifndef CLUSTERD_CONTAINERIZER_CTR_USER_H
#define CLUSTERD_CONTAINERIZER_CTR_USER_H

#include <sys/types.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/err.h"

/* A looked-up user; zero it, fill with ctr_user_lookup(), release. */
struct ctr_user {
	bool set;   /* false: no user asked, the agent's own applies */
	char *name; /* owned or NULL */
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* owned: supplementary groups, the primary included */
	size_t ngroups;
};

/*
 * Look name up. NULL or "" leaves out->set false (0: nothing to switch
 * to). -ENOENT with err ("user 'x' does not exist on this agent") when
 * there is no such user; -EPERM when the agent cannot switch users (it
 * does not run as root) and name is not its own user.
 */
int ctr_user_lookup(const char *name, struct ctr_user *out, struct cd_err *err);
void ctr_user_release(struct ctr_user *u);
/* dst (overwritten) becomes a copy of src. */
void ctr_user_copy(struct ctr_user *dst, const struct ctr_user *src);

/*
 * Give the sandbox to the task: mode 0750, owned by u (root's, the
 * agent's, when !u->set). 0 or -errno with err.
 */
int ctr_user_sandbox(const struct ctr_user *u, const char *sandbox,
		     struct cd_err *err);

/* Give fd's file to u (a no-op when !u->set). 0 or -errno. */
int ctr_user_own_fd(const struct ctr_user *u, int fd);

#endif
