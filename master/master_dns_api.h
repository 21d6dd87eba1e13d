/*
 * master_dns_api.h: Mesos-DNS's HTTP API, served on the Marathon API port
 * beside the Marathon routes (cmd/main.c registers it when --dns_port is
 * set), from the DNS server's records:
 *   GET /v1/version              {"Service", "URL", "Version"}
 *   GET /v1/config               Mesos-DNS's configuration keys, with
 *                                clusterd's values
 *   GET /v1/hosts/{host}         [{"host", "ip"}]
 *   GET /v1/services/{service}   [{"service", "host", "ip", "port"}]
 * Loop thread only.
 */
#ifndef CLUSTERD_MASTER_MASTER_DNS_API_H
#define CLUSTERD_MASTER_MASTER_DNS_API_H

struct httpd;
struct master_dns;

/* Register the routes on httpd; d is borrowed and must outlive it. */
void master_dns_api_routes(struct master_dns *d, struct httpd *httpd);

#endif
