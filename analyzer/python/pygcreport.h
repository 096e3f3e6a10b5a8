/* The report's sections about CPython's own collector (docs/python.md): PYTHON GC from
 * pygc.jsonl, CYCLIC GARBAGE BY SITE from the last dump's PYGC_SITES. */
#ifndef ATOLL_PYGCREPORT_H
#define ATOLL_PYGCREPORT_H

#include "analyzer.h"

void pygc_report_text_summary(struct outbuf *o, const struct merged *m);
void pygc_report_text_sites(struct outbuf *o, const struct merged *m, uint32_t top);
/* `"python_gc": {...}` inside summary, comma first; nothing without pygc.jsonl. */
void pygc_report_json_summary(struct outbuf *o, const struct merged *m);
/* `"python_gc_sites": [...],` at the top level; used[site] set for the sites table. */
void pygc_report_json_sites(struct outbuf *o, const struct merged *m, uint8_t *used);

#endif
