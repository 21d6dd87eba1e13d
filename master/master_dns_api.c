/*
 * master_dns_api.c: Mesos-DNS's HTTP API (see master_dns_api.h), the
 * shapes of mesos-dns's resolver.go: the same keys, clusterd's values.
 * Owns nothing; reads the DNS server's configuration and records.
 */
#include "master/master_dns_api.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/httpd.h"
#include "lib/xalloc.h"
#include "master/master_dns.h"
#include "master/master_dns_zone.h"

static void
mdapi_version(struct httpd_req *req, void *arg)
{
	const struct master_dns_conf *c = master_dns_conf(arg);

	/* The API is Mesos-DNS's; the service answering it is clusterd. */
	httpd_reply_json(req, 200,
			 json_pack("{s:s, s:s, s:s}", "Service", "clusterd",
				   "URL",
				   "https://github.com/mesosphere/mesos-dns",
				   "Version", c->version));
}

/* Mesos-DNS's records.Config, as it serialises it (no credentials). */
static void
mdapi_config(struct httpd_req *req, void *arg)
{
	const struct master_dns_conf *c = master_dns_conf(arg);
	const struct mdz *z = master_dns_zone(arg);
	json_t *res = json_array(), *masters = json_array(), *j;
	char *mname = xasprintf("ns1.%s.", c->domain);
	char *rname = xasprintf("root.ns1.%s.", c->domain);
	char *leader = xasprintf("%s:%d", c->advertise_ip, c->master_port);
	char *list = c->resolvers != NULL ? xstrdup(c->resolvers) : NULL;
	char *p, *tok, *save = NULL;

	for (p = list; p != NULL && (tok = strtok_r(p, ",", &save)) != NULL;
	     p = NULL)
		json_array_append_new(res, json_string(tok));
	json_array_append_new(masters, json_string(leader));
	j = json_pack(
	    "{s:i, s:i, s:I, s:i, s:i, s:i, s:I, s:i, s:i, s:i, s:i, s:i, s:s,"
	    " s:s, s:o, s:o, s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:b, s:b,"
	    " s:b, s:b, s:b, s:b, s:b, s:b}",
	    "RefreshSeconds", 0, "Port", c->port, "Timeout",
	    (json_int_t)((c->resolver_timeout_ms + 999) / 1000),
	    "StateTimeoutSeconds", 0, "ZkDetectionTimeout", 0, "HttpPort",
	    c->http_port, "TTL", (json_int_t)mdz_ttl(z),
	    "SRVRecordDefaultWeight", 1, "SOASerial", 0, "SOARefresh", 60,
	    "SOARetry", 600, "SOAExpire", 86400, "SOAMname", mname, "SOARname",
	    rname, "Masters", masters, "ZoneResolvers", json_object(),
	    "Resolvers", res, "IPSources",
	    json_pack("[s, s]", "netinfo", "host"), "Zk", "", "Domain",
	    c->domain, "File", "", "Listener", c->ip, "HTTPListener", c->ip,
	    "RecurseOn", c->resolvers != NULL, "DnsOn", 1, "HttpOn", 1,
	    "ExternalOn", c->resolvers != NULL, "EnforceRFC952", 0,
	    "SetTruncateBit", 1, "EnumerationOn", 0, "MesosHTTPSOn", 0);
	httpd_reply_json(req, 200, j);
	free(list);
	free(leader);
	free(rname);
	free(mname);
}

static void
mdapi_hosts(struct httpd_req *req, void *arg)
{
	httpd_reply_json(
	    req, 200,
	    mdz_hosts_json(master_dns_zone(arg), httpd_req_param(req, "host")));
}

static void
mdapi_services(struct httpd_req *req, void *arg)
{
	httpd_reply_json(req, 200,
			 mdz_services_json(master_dns_zone(arg),
					   httpd_req_param(req, "service")));
}

static const struct httpd_route mdapi_routes[] = {
    {HTTPD_GET, "/v1/version", mdapi_version},
    {HTTPD_GET, "/v1/config", mdapi_config},
    {HTTPD_GET, "/v1/hosts/:host", mdapi_hosts},
    {HTTPD_GET, "/v1/services/:service", mdapi_services},
};

void
master_dns_api_routes(struct master_dns *d, struct httpd *httpd)
{
	httpd_add_routes(httpd, mdapi_routes, CD_NELEM(mdapi_routes), d);
}
