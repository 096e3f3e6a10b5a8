/* What the three reports share: how a site, a frame and a reference are named, and the report
 * of one analysis alone. */
#include "analyzer.h"
#include "merge.h"

#include <stdlib.h>
#include <string.h>

const char *trigger_name(uint32_t trigger)
{
    static const char *const names[] = {"exit", "signal", "atoll_collect", "threshold",
                                        "atoll_dump"};
    return trigger < sizeof names / sizeof *names ? names[trigger] : "unknown";
}

const char *class_name(uint8_t cls)
{
    return cls == CLASS_DEFINITE ? "definite" : cls == CLASS_INDIRECT ? "indirect" : "reachable";
}

static const char *base(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

static void frame_short(struct outbuf *o, const struct frame_sym *f)
{
    if (f->python) {
        ob_str(o, f->function);
        ob_put(o, " ", 1);
        ob_str(o, base(f->file));
        if (f->line) {
            ob_put(o, ":", 1);
            ob_u64(o, f->line);
        }
    } else if (f->function) {
        ob_str(o, f->function);
        if (f->file) {
            ob_put(o, " ", 1);
            ob_str(o, base(f->file));
            ob_put(o, ":", 1);
            ob_u64(o, f->line);
        }
    } else if (*f->module) {
        ob_str(o, base(f->module));
        ob_put(o, "+", 1);
        ob_hex(o, f->module_offset);
    } else {
        ob_hex(o, f->address);
    }
}

void report_site_label(struct outbuf *o, const struct analysis *a, uint32_t site)
{
    uint32_t n = 0;
    const struct frame_sym *f = a->sym ? symbols_site(a->sym, site, &n) : NULL;
    if (n)
        frame_short(o, f);
    else if (a->d->sites[site].depth)
        ob_hex(o, a->d->frames[a->d->sites[site].first_frame]);
    else
        ob_str(o, "unknown site");
}

char *report_site_label_text(const struct analysis *a, uint32_t site)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    struct outbuf o;
    ob_init(&o, f);
    report_site_label(&o, a, site);
    ob_flush(&o);
    free(o.buf);
    bool failed = o.failed;
    if (fclose(f) != 0 || failed) {
        free(text);
        return NULL;
    }
    return text;
}

const char *report_type(const struct dump *d, uint32_t v)
{
    uint32_t k = d->object_of ? d->object_of[v] : AN_NONE;
    if (k == AN_NONE || d->objects[k].owner != v)
        return NULL;
    return dump_string(d, d->objects[k].type);
}

void report_edge_label(struct outbuf *o, const struct view_edge *e)
{
    if (e->label_kind) {
        label_write(o, e->label_kind, e->label_text, e->label_index);
        return;
    }
    ob_put(o, "+", 1);
    if (e->via != AN_NONE) {
        ob_u64(o, e->owned_at);
        ob_str(o, "[+");
        ob_u64(o, e->offset);
        ob_put(o, "]", 1);
        return;
    }
    ob_u64(o, e->offset);
}

void report_arrow(struct outbuf *o, const struct view_edge *e)
{
    ob_str(o, e->label_kind ? " -" : " -> ");
    report_edge_label(o, e);
    ob_str(o, e->label_kind ? "-> " : " -> ");
}

/* A Python frame as a traceback names it, function then place: "handle (app.py:33)". */
static void python_frame(struct outbuf *o, const struct frame_sym *f)
{
    ob_str(o, f->function);
    ob_str(o, " (");
    ob_str(o, f->file);
    if (f->line) {
        ob_put(o, ":", 1);
        ob_u64(o, f->line);
    }
    ob_put(o, ")", 1);
}

void report_frame(struct outbuf *o, const struct frame_sym *f)
{
    if (f->python) {
        python_frame(o, f);
        return;
    }
    ob_hex(o, f->address);
    ob_put(o, " ", 1);
    if (f->function) {
        ob_str(o, f->function);
        if (f->file) {
            ob_put(o, " (", 2);
            ob_str(o, f->file);
            ob_put(o, ":", 1);
            ob_u64(o, f->line);
            ob_put(o, ")", 1);
        }
    } else if (*f->module) {
        ob_str(o, base(f->module));
        ob_put(o, "+", 1);
        ob_hex(o, f->module_offset);
    } else {
        ob_str(o, "??");
    }
    if (f->inlined)
        ob_str(o, " [inlined]");
    if (*f->module) {
        ob_str(o, " in ");
        ob_str(o, f->module);
    }
}

/* One analysis merged alone, then rendered by fn. */
static void alone(struct outbuf *o, const struct analysis *a, uint32_t top, bool draw,
                  void (*fn)(struct outbuf *, const struct merged *, uint32_t))
{
    struct merged m;
    if (merge_begin(&m, a, draw) || merge_end(&m))
        o->failed = true;
    else
        fn(o, &m, top);
    merge_free(&m);
}

void report_text(struct outbuf *o, const struct analysis *a, uint32_t top)
{
    alone(o, a, top, false, report_text_merged);
}

void report_json(struct outbuf *o, const struct analysis *a, uint32_t top)
{
    alone(o, a, top, false, report_json_merged);
}

void report_dot(struct outbuf *o, const struct analysis *a, uint32_t top)
{
    alone(o, a, top, true, report_dot_merged);
}
