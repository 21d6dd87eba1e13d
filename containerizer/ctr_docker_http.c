/*
 * ctr_docker_http.c: the docker containerizer's one way to call the
 * Docker Engine API (see ctr_docker_int.h): requests over the daemon's
 * unix socket below "http://docker/v1.41", the description of a failed
 * reply, and cancelling a request in flight. The leaf of the docker
 * files: every other one calls it, it calls none of them. Owns nothing:
 * a request belongs to its caller until its callback. Loop thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "containerizer/ctr_docker_api.h"
#include "containerizer/ctr_docker_int.h"
#include "lib/fault.h"
#include "lib/httpc.h"
#include "lib/xalloc.h"

#define DK_API "http://docker/v1.41"

struct httpc_req *
ctr_docker_http(struct ctr_docker *d, const char *method, const char *path,
		const char *body, long timeout_ms, httpc_data_fn *on_data,
		httpc_done_fn *done, void *arg)
{
	struct httpc_opts o;
	struct httpc_req *r;
	char *url = xasprintf(DK_API "%s", path);

#ifdef CD_FAULT_ON
	if (CD_FAULT("docker.reply") != 0) {
		free(url);
		return httpc_fake_reply(
		    d->hc, 500,
		    "{\"message\":\"injected fault (docker.reply)\"}", done,
		    arg);
	}
#endif
	memset(&o, 0, sizeof o);
	o.method = method;
	o.url = url;
	o.unix_socket = d->socket;
	o.body = body;
	o.body_len = body != NULL ? strlen(body) : 0;
	o.timeout_ms = timeout_ms;
	o.on_data = on_data;
	r = httpc_request(d->hc, &o, done, arg);
	free(url);
	return r;
}

char *
ctr_docker_http_why(const struct httpc_resp *r)
{
	char *msg, *why;

	if (r->status == 0 && r->err != NULL && r->err->code == -ETIMEDOUT)
		return xasprintf("Docker daemon did not answer in time: %s",
				 r->err->msg);
	if (r->status == 0)
		return xasprintf("Docker daemon unreachable: %s",
				 r->err != NULL ? r->err->msg
						: "transport error");
	msg = ctr_docker_api_errmsg(r->body, r->len);
	why = xasprintf("Docker API %d: %s", r->status, msg);
	free(msg);
	return why;
}

void
ctr_docker_http_cancel(struct httpc_req **r)
{
	if (*r != NULL)
		httpc_cancel(*r);
	*r = NULL;
}
