/*
 * sched_api_queue.c: the launch queue, GET /v2/queue and DELETE
 * /v2/queue/{app_id}/delay. Owns nothing: the offer matching that feeds
 * the queue (launch attempts, the reject funnel, the last unused offers)
 * is core/sched_offer.c's; this file renders it and resets backoffs.
 * Design: no "role" key in a queue item: python3-marathon's
 * MarathonQueueItem takes every key as a constructor argument and has no
 * such parameter. Loop thread only.
 */
#include "scheduler/api/sched_api_queue.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MOD "sched"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "lib/xalloc.h"
#include "scheduler/app/sched_app.h"
#include "scheduler/core/sched_converge.h"
#include "scheduler/core/sched_int.h"
#include "scheduler/core/sched_offer.h"
#include "scheduler/core/sched_repo.h"

/* The app as a queue item shows it: the AppDefinition with its version
 * and versionInfo, none of AppInfo's counts (queue.raml: apps.App). */
static json_t *
queue_app_json(const struct sched_rapp *ra)
{
	json_t *j = sched_app_to_json(ra->app);
	const char *ver = sched_app_version(ra->app);

	if (ver == NULL)
		return j;
	if (json_object_get(j, "version") == NULL)
		json_object_set_new(j, "version", json_string(ver));
	json_object_set_new(
	    j, "versionInfo",
	    json_pack("{s:s, s:s}", "lastScalingAt", ver, "lastConfigChangeAt",
		      ra->config_version != NULL ? ra->config_version : ver));
	return j;
}

/* One QueueApp item for ra, which waits for count instances. */
static json_t *
queue_item(struct sched *s, const struct sched_rapp *ra, int count,
	   bool embed_offers)
{
	uint64_t now = loop_now_ms(s->loop);
	json_t *summary, *unused = NULL, *j;
	long long since, left = 0;
	char iso[SCHED_ISO_LEN];

	since =
	    sched_offer_attempt(s, ra, &summary, embed_offers ? &unused : NULL);
	if (ra->launch_after_ms > now) /* whole seconds, rounded up */
		left = (long long)((ra->launch_after_ms - now + 999) / 1000);
	json_time_iso(since, iso);
	j = json_pack("{s:o, s:i, s:{s:I, s:b}, s:s, s:o}", "app",
		      queue_app_json(ra), "count", count, "delay",
		      "timeLeftSeconds", (json_int_t)left, "overdue",
		      ra->launch_after_ms <= now, "since", iso,
		      "processedOffersSummary", summary);
	if (unused != NULL)
		json_object_set_new(j, "lastUnusedOffers", unused);
	return j;
}

static bool
queue_embed_offers(const struct httpd_req *r)
{
	const char *v;
	size_t pos = 0;

	while ((v = httpd_req_query_next(r, "embed", &pos)) != NULL)
		if (strcmp(v, "lastUnusedOffers") == 0)
			return true;
	return false;
}

static void
queue_list(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	bool embed = queue_embed_offers(r);
	json_t *items = json_array();
	size_t i;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	for (i = 0; i < sched_repo_count(s->repo); i++) {
		const struct sched_rapp *ra = sched_repo_at(s->repo, i);
		int count = sched_offer_count(s, ra);

		if (count > 0)
			json_array_append_new(items,
					      queue_item(s, ra, count, embed));
		else
			sched_offer_attempt_end(s, ra);
	}
	httpd_reply_json(r, 200, json_pack("{s:o}", "queue", items));
}

static void
queue_reset_delay(struct httpd_req *r, void *arg)
{
	struct sched *s = arg;
	struct sched_rapp *ra;
	struct cd_err err;
	char *id;

	CD_CHECK_OBJ(s, SCHED_MAGIC);
	cd_err_clear(&err);
	id = sched_app_normalize_id(httpd_req_param(r, "id"), &err);
	ra = id != NULL ? sched_repo_find(s->repo, id) : NULL;
	if (ra == NULL) {
		char *msg =
		    xasprintf("Application %s not found in tasks queue.",
			      id != NULL ? id : httpd_req_param(r, "id"));

		httpd_reply_error(r, 404, msg, NULL);
		free(msg);
		free(id);
		return;
	}
	log_info("app=%s launch delay reset (was %d failure(s))", id,
		 ra->nfailures);
	ra->nfailures = 0;
	ra->launch_after_ms = 0;
	ra->backoff_pending = false;
	if (sched_offer_count(s, ra) > 0)
		sched_converge_revive(s);
	httpd_reply(r, 204, NULL, NULL, 0);
	free(id);
}

const struct httpd_route sched_api_queue_routes[] = {
    {HTTPD_GET, "/v2/queue", queue_list},
    {HTTPD_DELETE, "/v2/queue/*id/delay", queue_reset_delay},
};
const size_t sched_api_queue_nroutes =
    sizeof sched_api_queue_routes / sizeof sched_api_queue_routes[0];
