/*
 * master_files.h: a task's sandbox through the API port. A browser (the
 * web UI's sandbox viewer) or a script that reaches only the Marathon API
 * reads a task's files there, and the master relays to the agent that runs
 * it:
 *   GET /v2/tasks/{taskId}/files/read?path=stdout&offset=N&length=M
 *       -> the agent's /files/read (Mesos' {"offset", "data"}; offset=-1
 *          gives the size), path relative to the task's sandbox
 *   GET /v2/tasks/{taskId}/files/browse?path=dir
 *       -> the agent's /files/browse (Mesos' list of entries)
 * A task the master does not know (never launched, or ended and
 * forgotten) is a 404 with Marathon's error body. The request's
 * credentials go along to the agent port, which --http_credentials guard
 * with the same user. Loop thread only.
 */
#ifndef CLUSTERD_MASTER_MASTER_FILES_H
#define CLUSTERD_MASTER_MASTER_FILES_H

struct httpd;
struct master;
struct master_files;

/*
 * Register the routes on api (the Marathon API's httpd). m and api are
 * borrowed and must outlive the result. Free with master_files_free()
 * before the master: it cancels the relays in flight (their clients get
 * a 503). NULL is a no-op for the free.
 */
struct master_files *master_files_new(struct master *m, struct httpd *api);
void master_files_free(struct master_files *f);

#endif
