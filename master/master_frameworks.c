/*
 * master_frameworks.c: the frameworks attached to the master (in-process
 * schedulers, lib/framework.h): the list that owns them, their
 * "framework/<id>" records in the master db, and their accounts in the
 * allocator. Few entries (one scheduler in practice), so a list with a
 * linear lookup. Calls nothing else of the master's: offers and tasks
 * find their framework here. Loop thread only.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/json.h"
#include "lib/loop.h"
#include "lib/store.h"
#include "lib/xalloc.h"
#include "master/master_alloc.h"
#include "master/master_int.h"

#define LOG_MOD "master"
#include "lib/log.h"

struct master_framework *
master_framework_find(struct master *m, const char *id)
{
	struct master_framework *f;

	TAILQ_FOREACH(f, &m->frameworks, link)
		if (strcmp(f->id, id) == 0)
			return f;
	return NULL;
}

struct master_framework *
master_frameworks_add(struct master *m, const char *name, const char *fw_id,
		      const struct framework_sched_ops *ops, void *sched)
{
	struct master_framework *f = xcalloc(1, sizeof *f);
	json_t *j;
	char *key, *val;

	f->id = fw_id ? xstrdup(fw_id) : xasprintf("%s-0000", m->id);
	f->name = xstrdup(name);
	f->ops = ops;
	f->sched = sched;
	f->registered_ms = loop_wall_ms();
	TAILQ_INSERT_TAIL(&m->frameworks, f, link);
	master_changed(m);
	master_alloc_framework_add(m->alloc, f->id, "*", 1.0);
	j = json_pack("{s:s, s:s}", "id", f->id, "name", f->name);
	key = xasprintf("framework/%s", f->id);
	val = json_dump_str(j);
	if (store_put(m->store, STORE_DB_MASTER, key, val, strlen(val)) != 0)
		log_error("cannot persist framework %s", f->id);
	free(key);
	free(val);
	json_decref(j);
	return f;
}

void
master_frameworks_release(struct master *m)
{
	struct master_framework *f;

	while ((f = TAILQ_FIRST(&m->frameworks)) != NULL) {
		TAILQ_REMOVE(&m->frameworks, f, link);
		master_changed(m);
		free(f->id);
		free(f->name);
		free(f);
	}
}
