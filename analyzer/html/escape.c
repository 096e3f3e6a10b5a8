/* Text for the HTML report: element text and attribute values escaped for HTML, and JSON
 * strings that may stand inside a script element (no "</script>" can end it early). Strings
 * are cut at HTML_TEXT_MAX bytes, which bounds the page. */
#include "html.h"

#include <stdlib.h>
#include <string.h>

void html_str(struct outbuf *o, const char *s)
{
    for (const char *p = s; *p; p++) {
        const char *q = p;
        while (*q && !strchr("<>&\"'", *q))
            q++;
        ob_put(o, p, (size_t)(q - p));
        p = q;
        if (!*p)
            break;
        ob_str(o, *p == '<' ? "&lt;" : *p == '>' ? "&gt;" : *p == '&' ? "&amp;"
                  : *p == '"' ? "&quot;" : "&#39;");
    }
}

void html_json_str(struct outbuf *o, const char *s)
{
    char cut[HTML_TEXT_MAX + 1];
    size_t n = strlen(s);
    if (n > HTML_TEXT_MAX) {
        memcpy(cut, s, HTML_TEXT_MAX);
        cut[HTML_TEXT_MAX] = '\0';
        s = cut;
    }
    struct outbuf tmp;
    ob_init(&tmp, NULL);
    ob_json_str(&tmp, s);
    if (tmp.failed) {
        ob_str(o, "\"?\"");
        free(tmp.buf);
        return;
    }
    /* outside its strings JSON has none of these characters */
    for (size_t i = 0, from = 0; i <= tmp.len; i++) {
        if (i < tmp.len && !strchr("<>&", tmp.buf[i]))
            continue;
        ob_put(o, tmp.buf + from, i - from);
        if (i < tmp.len)
            ob_str(o, tmp.buf[i] == '<' ? "\\u003c" : tmp.buf[i] == '>' ? "\\u003e" : "\\u0026");
        from = i + 1;
    }
    free(tmp.buf);
}
