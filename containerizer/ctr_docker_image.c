/*
 * ctr_docker_image.c: getting a task's image onto this node (see
 * ctr_docker_int.h). Owns one struct ctr_docker_image per fetch in
 * flight, held by its task.
 *
 * A launch creates its container first and comes here only when the
 * create answers 404 (or forcePullImage asks), so the common case costs
 * no image request at all. After a 404 the image is inspected first: the
 * 404 may be about something else the create names, which a pull cannot
 * fix. POST /images/create answers 200 even when the pull fails and
 * reports the failure inside its progress stream, so the stream is
 * scanned (ctr_dk_pull) as it arrives. The pull has its own timeout
 * (conf->pull_timeout_ms). Loop thread only.
 */
#include <errno.h>
#include <stdlib.h>

#define LOG_MOD "ctr_docker"
#include "containerizer/ctr_docker_api.h"
#include "containerizer/ctr_docker_int.h"
#include "lib/log.h"
#include "lib/xalloc.h"

#define DK_IMAGE_MAGIC 0xd0c4e706u

struct ctr_docker_image {
	unsigned magic;
	struct ctr_docker *d;  /* borrowed: the driver */
	char *task_id;	       /* owned: for the log */
	char *image;	       /* owned: the reference, for messages */
	char *from_image;      /* owned: ?fromImage= */
	char *tag;	       /* owned: ?tag= */
	struct httpc_req *req; /* borrowed: the step in flight */
	struct ctr_dk_pull pull;
	ctr_docker_image_fn *done;
	void *arg; /* borrowed: the caller's, for done */
};

static void
dk_image_free(struct ctr_docker_image *im)
{
	ctr_docker_http_cancel(&im->req);
	ctr_dk_pull_release(&im->pull);
	free(im->task_id);
	free(im->image);
	free(im->from_image);
	free(im->tag);
	CD_FREE_OBJ(im);
}

/* Report and free: done may start anything, but never sees im again. */
static void
dk_image_end(struct ctr_docker_image *im, int rc, const char *why)
{
	ctr_docker_image_fn *done = im->done;
	void *arg = im->arg;

	dk_image_free(im);
	done(arg, rc, why);
}

static void
dk_image_pull_data(const char *p, size_t n, void *arg)
{
	struct ctr_docker_image *im = arg;

	CD_CHECK_OBJ(im, DK_IMAGE_MAGIC);
	ctr_dk_pull_feed(&im->pull, p, n);
}

static void
dk_image_pull_done(const struct httpc_resp *r, void *arg)
{
	struct ctr_docker_image *im = arg;
	char *why, *msg;

	CD_CHECK_OBJ(im, DK_IMAGE_MAGIC);
	im->req = NULL;
	ctr_dk_pull_finish(&im->pull);
	if (r->status == 200 && im->pull.error == NULL) {
		log_info("task %s: pulled %s", im->task_id, im->image);
		dk_image_end(im, 0, NULL);
		return;
	}
	why = r->status == 200 || im->pull.error != NULL
		  ? xstrdup(im->pull.error != NULL ? im->pull.error : "")
		  : ctr_docker_http_why(r);
	if (r->status == 0 && r->err != NULL && r->err->code == -ETIMEDOUT)
		/* The pull's own timeout (--docker_pull_timeout). */
		msg = xasprintf("image pull timed out after %lds (%s)",
				im->d->pull_timeout_ms / 1000, im->image);
	else
		msg = xasprintf("pulling %s%s%s", im->image,
				why[0] != '\0' ? ": " : "", why);
	dk_image_end(im, -EIO, msg);
	free(msg);
	free(why);
}

static void
dk_image_pull(struct ctr_docker_image *im)
{
	char *from = ctr_docker_api_urlencode(im->from_image);
	char *tag = ctr_docker_api_urlencode(im->tag);
	char *path = xasprintf("/images/create?fromImage=%s&tag=%s", from, tag);

	log_info("task %s: pulling %s", im->task_id, im->image);
	im->req =
	    ctr_docker_http(im->d, "POST", path, NULL, im->d->pull_timeout_ms,
			    dk_image_pull_data, dk_image_pull_done, im);
	free(path);
	free(from);
	free(tag);
}

static void
dk_image_inspect_done(const struct httpc_resp *r, void *arg)
{
	struct ctr_docker_image *im = arg;
	char *why, *msg;

	CD_CHECK_OBJ(im, DK_IMAGE_MAGIC);
	im->req = NULL;
	if (r->status == 404) {
		dk_image_pull(im);
	} else if (r->status == 200) {
		dk_image_end(im, -EEXIST, NULL);
	} else {
		why = ctr_docker_http_why(r);
		msg = xasprintf("inspecting the image: %s", why);
		dk_image_end(im, -EIO, msg);
		free(msg);
		free(why);
	}
}

struct ctr_docker_image *
ctr_docker_image_fetch(struct ctr_docker *d, const char *task_id,
		       const struct ctr_dk_create *spec, bool check,
		       ctr_docker_image_fn *done, void *arg)
{
	struct ctr_docker_image *im;
	char *path;

	CD_ALLOC_OBJ(im, DK_IMAGE_MAGIC);
	im->d = d;
	im->task_id = xstrdup(task_id);
	im->image = xstrdup(spec->image);
	im->from_image = xstrdup(spec->from_image);
	im->tag = xstrdup(spec->tag);
	ctr_dk_pull_init(&im->pull);
	im->done = done;
	im->arg = arg;
	if (!check) {
		dk_image_pull(im);
		return im;
	}
	path = xasprintf("/images/%s/json", im->image);
	im->req = ctr_docker_http(d, "GET", path, NULL, 0, NULL,
				  dk_image_inspect_done, im);
	free(path);
	return im;
}

void
ctr_docker_image_cancel(struct ctr_docker_image *im)
{
	if (im == NULL)
		return;
	CD_CHECK_OBJ(im, DK_IMAGE_MAGIC);
	dk_image_free(im);
}
