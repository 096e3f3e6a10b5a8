/* The HTML report (`--format html`): one self-contained page, no network, no external script
 * or font. A page holds one section per process; its tables are compact inline JSON that a
 * small inline script renders on demand and sorts by clicking a column (docs/report-format.md,
 * "HTML report", gives the size bound). The cycle shapes' pictures are the dot report's,
 * rendered by Graphviz when the page is written. */
#ifndef ATOLL_HTML_H
#define ATOLL_HTML_H

#include "analyzer.h"
#include "merge.h"

/* page.c: the page around the sections: head, style, script. */
void html_begin(struct outbuf *o, const char *title);
void html_end(struct outbuf *o);
/* The same on a stream, around the sections a command writes; false on a write error. */
bool html_file_begin(FILE *f, const char *title);
bool html_file_end(FILE *f);

/* process.c: one process's section: the summary, the leak sites with their stacks, the cycle
 * shapes with their pictures, the refcount leaks. */
void html_process(struct outbuf *o, const struct merged *m, uint32_t top);

/* table.c: a table the script renders: its data as JSON in a script element, columns
 * described by a spec of one letter per column (n: a number, s: a string, f: a frame's
 * number in the table's frames, k: a stack's number (its row opens it)). Rows are written
 * one value at a time between html_row_begin and html_row_end. */
#define HTML_ROWS_MAX 100000u   /* rows a table holds; the rest are counted in a note */
#define HTML_STACKS_MAX 1000u   /* rows whose whole stack the page holds */
#define HTML_TEXT_MAX 1024u     /* bytes of one string */

struct html_table;
struct html_table *html_table_new(struct outbuf *o, const char *id, const char *spec,
                                  const char *const *names, uint64_t total);
bool html_table_full(const struct html_table *t);
void html_row_begin(struct html_table *t);
void html_row_end(struct html_table *t);
void html_cell_u64(struct html_table *t, uint64_t v);
void html_cell_i64(struct html_table *t, int64_t v);
void html_cell_str(struct html_table *t, const char *s);    /* NULL: none */
/* A site's innermost frame (Python's when it has one) as the row's frame cell, and its whole
 * stack (Python frames, then native ones) as its stack cell, while the page may hold more. */
void html_cell_site(struct html_table *t, const struct analysis *a, uint32_t site);
/* The same two cells for a row that has no site. */
void html_cell_no_site(struct html_table *t);
/* Writes the table's data and frees it. */
void html_table_end(struct html_table *t);

/* escape.c: text and attribute values escaped for HTML, JSON strings for a script element. */
void html_str(struct outbuf *o, const char *s);
void html_json_str(struct outbuf *o, const char *s);

/* diff.c: `atoll diff --format html`'s section (struct diff: diff/diff.h). */
struct diff;
void html_diff(struct outbuf *o, const struct diff *df, uint32_t top);

/* retainers.c: the sites and types by what they retain (the last collection's dominators). */
void html_retainers(struct outbuf *o, const struct merged *m);
/* whypaths.c: for each of the top retainers, the path from a root to its heaviest block. */
void html_why_paths(struct outbuf *o, const struct merged *m, uint32_t top);

/* pictures.c: the drawing of the top cycle shapes, each an inline SVG under its text line. A
 * page without pictures (dot missing) says why, and so does one line on stderr. */
void html_cycle_pictures(struct outbuf *o, const struct merged *m, uint32_t top);
/* Shape i's figure; err ("" at first) keeps why dot failed, so that it is tried once. */
void html_shape_figure(struct outbuf *o, const struct merged *m, uint32_t i, char *err,
                       size_t errlen);

#endif
