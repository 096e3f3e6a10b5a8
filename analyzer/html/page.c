/* The HTML report's page: the head with its style, and at the end the script that renders the
 * tables from their JSON on demand (200 rows at a time), sorts them when a column's title is
 * clicked and opens a row's stack when the row is. All inline: the page loads nothing. */
#include "html.h"

#include <stdlib.h>

static const char style[] =
    "body{font:14px/1.4 sans-serif;margin:1em 2em;color:#222;background:#fff}"
    "h1{font-size:1.4em}h2{font-size:1.2em;border-bottom:2px solid #446;margin-top:2em}"
    "h3{font-size:1.05em;margin-top:1.6em}"
    "table{border-collapse:collapse;margin:.4em 0}"
    "td,th{border:1px solid #ccd;padding:2px 8px;text-align:left;vertical-align:top}"
    "table.lazy th{background:#e8eaf4;cursor:pointer;user-select:none;white-space:nowrap}"
    "table.lazy th.up:after{content:' \\25B2'}table.lazy th.down:after{content:' \\25BC'}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "tr.row.stacked{cursor:pointer}tr.row.stacked:hover{background:#f4f4fa}"
    "tr.stack td{background:#fafafa}ol.frames{margin:0;padding-left:2.5em;font-family:monospace}"
    "ol.frames li.py{color:#1a4d1a}ol.frames li.native{color:#555}"
    "table.summary th{background:#f0f0f0;font-weight:normal}"
    "pre.shape,pre.why,.argv{font-family:monospace;white-space:pre-wrap}"
    "figure.cycle{border:1px solid #ccd;margin:1em 0;padding:.5em;overflow-x:auto}"
    "figcaption{font-weight:bold}.note,.hint,p.more{color:#666}";

static const char script[] =
    "\"use strict\";\n"
    "(function () {\n"
    "  var STEP = 200;\n"
    "  function setup(table) {\n"
    "    var d = JSON.parse(document.getElementById(table.dataset.src).textContent);\n"
    "    var spec = d.spec, rows = d.rows, shown = 0, sorted = -1, desc = true;\n"
    "    var stackCol = spec.indexOf(\"k\");\n"
    "    var body = table.createTBody(), head = table.createTHead().insertRow();\n"
    "    var more = document.createElement(\"p\");\n"
    "    more.className = \"more\";\n"
    "    table.after(more);\n"
    "    function text(r, c) {\n"
    "      var v = r[c];\n"
    "      if (v === null) return \"\";\n"
    "      if (spec[c] === \"f\") return d.frames[v] ? d.frames[v][0] : \"?\";\n"
    "      return String(v);\n"
    "    }\n"
    "    function key(r, c) { return spec[c] === \"n\" ? r[c] : text(r, c); }\n"
    "    function toggle(tr, r) {\n"
    "      var next = tr.nextSibling;\n"
    "      if (next && next.className === \"stack\") { next.remove(); return; }\n"
    "      var st = body.insertRow(tr.sectionRowIndex + 1), td = st.insertCell();\n"
    "      st.className = \"stack\";\n"
    "      td.colSpan = head.cells.length;\n"
    "      var ol = document.createElement(\"ol\");\n"
    "      ol.className = \"frames\";\n"
    "      ol.start = 0;\n"
    "      d.stacks[r[stackCol]].forEach(function (f) {\n"
    "        var li = document.createElement(\"li\");\n"
    "        li.textContent = d.frames[f][0];\n"
    "        li.className = d.frames[f][1] ? \"py\" : \"native\";\n"
    "        ol.appendChild(li);\n"
    "      });\n"
    "      td.appendChild(ol);\n"
    "    }\n"
    "    function render(upto) {\n"
    "      for (; shown < upto && shown < rows.length; shown++) {\n"
    "        var r = rows[shown], tr = body.insertRow();\n"
    "        tr.className = \"row\";\n"
    "        for (var c = 0; c < spec.length; c++) {\n"
    "          if (spec[c] === \"k\") continue;\n"
    "          var td = tr.insertCell();\n"
    "          td.textContent = text(r, c);\n"
    "          if (spec[c] === \"n\") td.className = \"n\";\n"
    "        }\n"
    "        if (stackCol >= 0 && r[stackCol] >= 0) {\n"
    "          tr.className = \"row stacked\";\n"
    "          tr.addEventListener(\"click\", toggle.bind(null, tr, r));\n"
    "        }\n"
    "      }\n"
    "      more.textContent = rows.length ? \"Rows 1 to \" + shown + \" of \" + rows.length + \".\" :\n"
    "        \"None.\";\n"
    "      if (d.total > rows.length)\n"
    "        more.textContent += \" The page holds the first \" + rows.length + \" of \" + d.total +\n"
    "          \" rows (the JSON report has them all).\";\n"
    "      if (shown < rows.length) {\n"
    "        var b = document.createElement(\"button\");\n"
    "        b.textContent = \"Show \" + Math.min(STEP, rows.length - shown) + \" more\";\n"
    "        b.addEventListener(\"click\", function () { render(shown + STEP); });\n"
    "        more.appendChild(document.createTextNode(\" \"));\n"
    "        more.appendChild(b);\n"
    "      }\n"
    "    }\n"
    "    function sort(c, th) {\n"
    "      desc = sorted === c ? !desc : spec[c] === \"n\";\n"
    "      sorted = c;\n"
    "      rows.sort(function (a, b) {\n"
    "        var x = key(a, c), y = key(b, c), o = x < y ? -1 : x > y ? 1 : 0;\n"
    "        return desc ? -o : o;\n"
    "      });\n"
    "      Array.prototype.forEach.call(head.cells, function (h) { h.className = \"\"; });\n"
    "      th.className = desc ? \"down\" : \"up\";\n"
    "      var keep = Math.max(shown, STEP);\n"
    "      body.textContent = \"\";\n"
    "      shown = 0;\n"
    "      render(keep);\n"
    "    }\n"
    "    spec.split(\"\").forEach(function (s, c) {\n"
    "      if (s === \"k\") return;\n"
    "      var th = document.createElement(\"th\");\n"
    "      th.textContent = d.cols[c];\n"
    "      th.title = \"sort by \" + d.cols[c];\n"
    "      th.addEventListener(\"click\", function () { sort(c, th); });\n"
    "      head.appendChild(th);\n"
    "    });\n"
    "    render(STEP);\n"
    "  }\n"
    "  document.querySelectorAll(\"table.lazy\").forEach(setup);\n"
    "})();\n";

void html_begin(struct outbuf *o, const char *title)
{
    ob_str(o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              "<meta name=\"generator\" content=\"atoll\">\n"
              "<link rel=\"icon\" href=\"data:,\">\n<title>");
    html_str(o, title);
    ob_str(o, "</title>\n<style>");
    ob_str(o, style);
    ob_str(o, "</style>\n</head>\n<body>\n<h1>");
    html_str(o, title);
    ob_str(o, "</h1>\n<noscript><p class=\"note\">The tables need JavaScript.</p></noscript>\n");
}

void html_end(struct outbuf *o)
{
    ob_str(o, "<script>\n");
    ob_str(o, script);
    ob_str(o, "</script>\n</body>\n</html>\n");
}

static bool with_file(FILE *f, const char *title)
{
    struct outbuf o;
    ob_init(&o, f);
    if (title)
        html_begin(&o, title);
    else
        html_end(&o);
    ob_flush(&o);
    free(o.buf);
    return !o.failed;
}

bool html_file_begin(FILE *f, const char *title)
{
    return with_file(f, title);
}

bool html_file_end(FILE *f)
{
    return with_file(f, NULL);
}
