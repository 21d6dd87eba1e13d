/*
 * sched_app_health.c: the healthChecks and readinessChecks part of the
 * AppDefinition check pass: each check's protocol, timings and port
 * (portIndex into the ports in effect, or a port name), with Marathon
 * 1.x's defaults and 0.5's initialDelaySeconds. Owns nothing: it writes
 * into the canonical object it is given. Split out of sched_app_check.c
 * by subject. Pure: no I/O, no globals; any thread.
 */
#include "scheduler/app/sched_app_health.h"

#include <limits.h>
#include <stdbool.h>
#include <string.h>

#include "lib/json.h"
#include "scheduler/app/sched_app_field.h"
#include "scheduler/app/sched_app_net.h"

/* Health checks: Marathon 1.x defaults, 0.5's initialDelaySeconds. */
int
sched_app_health_check(struct chk *c, const json_t *h, const char *p, json_t *e)
{
	static const char *const protos[] = {
	    "HTTP",	  "HTTPS",	 "TCP",	     "COMMAND",
	    "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"};
	static const char *const ips[] = {"IPv4", "IPv6"};
	const char *proto, *ipp, *cmd = NULL;
	const json_t *cmdo;
	long long grace, port, idx;
	bool http, have_port, have_idx;
	chk_path ip;
	int rc;

	if ((rc = sched_app_field_enum(h, "protocol", p, protos,
				       CD_NELEM(protos), "HTTP", &proto,
				       c->err)) != 0)
		return rc;
	json_object_set_new(e, "protocol", json_string(proto));
	http = strstr(proto, "HTTP") != NULL;
	if ((rc = sched_app_field_int(h, "initialDelaySeconds", p, 0, INT_MAX,
				      300, &grace, NULL, c->err)) != 0 ||
	    (rc = sched_app_field_put_int(e, h, "gracePeriodSeconds", p, 0,
					  INT_MAX, grace, c->err)) != 0 ||
	    (rc = sched_app_field_put_int(e, h, "intervalSeconds", p, 1,
					  INT_MAX, 60, c->err)) != 0 ||
	    (rc = sched_app_field_put_int(e, h, "timeoutSeconds", p, 1, INT_MAX,
					  20, c->err)) != 0 ||
	    (rc = sched_app_field_put_int(e, h, "maxConsecutiveFailures", p, 0,
					  INT_MAX, 3, c->err)) != 0 ||
	    (rc = sched_app_field_put_int(e, h, "delaySeconds", p, 0, INT_MAX,
					  15, c->err)) != 0)
		return rc;
	if (strcmp(proto, "COMMAND") == 0) {
		sched_app_field_join(ip, p, "command");
		if ((rc = sched_app_field_typed(h, "command", p, JSON_OBJECT,
						&cmdo, c->err)) != 0 ||
		    (cmdo != NULL && (rc = json_opt_str(cmdo, "value", ip, &cmd,
							NULL, c->err)) != 0))
			return rc;
		if (cmd == NULL || cmd[0] == '\0')
			return sched_app_field_bad(
			    c->err, ip,
			    "COMMAND health checks need command.value");
		json_object_set_new(e, "command",
				    json_pack("{s:s}", "value", cmd));
		return 0;
	}
	if (http) {
		if ((rc = sched_app_field_put_str(e, h, "path", p, false, NULL,
						  c->err)) != 0)
			return rc;
		if (json_object_get(e, "path") == NULL)
			json_object_set_new(e, "path", json_string("/"));
		if ((rc = sched_app_field_put_bool(e, h, "ignoreHttp1xx", p,
						   false, c->err)) != 0)
			return rc;
	}
	if ((rc = sched_app_field_int(h, "port", p, 0, 65535, 0, &port,
				      &have_port, c->err)) != 0 ||
	    (rc = sched_app_field_int(h, "portIndex", p, 0, 65535, 0, &idx,
				      &have_idx, c->err)) != 0)
		return rc;
	if (have_port && have_idx)
		return sched_app_field_bad(
		    c->err, p,
		    "Health checks may either specify a port or a portIndex");
	if (have_port)
		json_object_set_new(e, "port", json_integer(port));
	else {
		sched_app_field_join(ip, p, "portIndex");
		if ((size_t)idx >= json_array_size(c->ports))
			return sched_app_field_bad(
			    c->err, ip,
			    "Health check port indices must address an element "
			    "of the ports array or container port mappings.");
		json_object_set_new(e, "portIndex", json_integer(idx));
	}
	if ((rc = sched_app_field_enum(h, "ipProtocol", p, ips, CD_NELEM(ips),
				       NULL, &ipp, c->err)) != 0)
		return rc;
	if (ipp != NULL)
		json_object_set_new(e, "ipProtocol", json_string(ipp));
	return 0;
}

/* Readiness checks: Marathon 1.x defaults; the port must be named. */
int
sched_app_health_readiness(struct chk *c, const json_t *r, const char *p,
			   json_t *e)
{
	static const char *const protos[] = {"HTTP", "HTTPS"};
	const char *proto, *port = "http-api";
	const json_t *codes;
	long long interval, timeout;
	json_t *arr;
	chk_path ip;
	size_t i;
	int rc;

	if ((rc = sched_app_field_put_str(e, r, "name", p, true, NULL,
					  c->err)) != 0 ||
	    (rc = sched_app_field_enum(r, "protocol", p, protos,
				       CD_NELEM(protos), "HTTP", &proto,
				       c->err)) != 0)
		return rc;
	if (json_object_get(e, "name") == NULL)
		json_object_set_new(e, "name", json_string("readinessCheck"));
	json_object_set_new(e, "protocol", json_string(proto));
	if ((rc = sched_app_field_put_str(e, r, "path", p, true, NULL,
					  c->err)) != 0 ||
	    (rc = json_opt_str(r, "portName", p, &port, NULL, c->err)) != 0)
		return rc;
	if (json_object_get(e, "path") == NULL)
		json_object_set_new(e, "path", json_string("/"));
	sched_app_field_join(ip, p, "portName");
	if (sched_app_net_port_named(c, port) < 0)
		return sched_app_field_bad(c->err, ip, "no port is named '%s'",
					   port);
	json_object_set_new(e, "portName", json_string(port));
	if ((rc = sched_app_field_int(r, "intervalSeconds", p, 0, INT_MAX, 30,
				      &interval, NULL, c->err)) != 0 ||
	    (rc = sched_app_field_int(r, "timeoutSeconds", p, 1, INT_MAX, 10,
				      &timeout, NULL, c->err)) != 0)
		return rc;
	sched_app_field_join(ip, p, "timeoutSeconds");
	if (timeout >= interval)
		return sched_app_field_bad(
		    c->err, ip, "must be smaller than intervalSeconds");
	json_object_set_new(e, "intervalSeconds", json_integer(interval));
	json_object_set_new(e, "timeoutSeconds", json_integer(timeout));
	if ((rc = sched_app_field_typed(r, "httpStatusCodesForReady", p,
					JSON_ARRAY, &codes, c->err)) != 0)
		return rc;
	arr = json_array();
	json_object_set_new(e, "httpStatusCodesForReady", arr);
	sched_app_field_join(ip, p, "httpStatusCodesForReady");
	for (i = 0; i < json_array_size(codes); i++) {
		long long code;

		if ((rc = sched_app_field_elem_int(codes, i, ip, 100, 999,
						   &code, c->err)) != 0)
			return rc;
		json_array_append_new(arr, json_integer(code));
	}
	if (json_array_size(arr) == 0)
		json_array_append_new(arr, json_integer(200));
	return sched_app_field_put_bool(e, r, "preserveLastResponse", p, false,
					c->err);
}
