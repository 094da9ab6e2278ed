#!/usr/bin/env python3
"""Checks of a report.html, used by bench/check_html.sh (standard library only).

  check_html.py static REPORT          parse the HTML: every id unique, every href="#x" has an
                                       element with id="x", every relative link names a file
                                       next to the report, every <img> is a PNG that decodes
                                       (signature, chunk CRCs, IHDR size > 0, IDAT inflates to
                                       the size IHDR implies), no figure caption printed twice.
  check_html.py probe REPORT OUT       write OUT: the report with eager images and an inline
                                       script that checks it in the browser and writes the
                                       result into the DOM (for chromium --dump-dom).
  check_html.py verify DOM             read the result of `probe` from a dumped DOM.

Each prints one summary line (and the problems) and exits 1 on a failure. `verify` prints the
page height on its last line as `height=N` for the full-page screenshot.
"""

import base64
import html.parser
import json
import os
import re
import struct
import sys
import zlib
from urllib.parse import unquote, urlparse

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RESULT_ID = "html-check-result"


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids = []
        self.hrefs = []
        self.images = []  # (src, alt)
        self.figcaptions = []
        self._in_figcaption = False
        self.toc = False
        self.verdict_cells = 0
        self.number_cells = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "a" and "href" in a:
            self.hrefs.append(a["href"])
        if tag == "img":
            self.images.append((a.get("src") or "", a.get("alt") or ""))
        if tag == "nav" and "toc" in (a.get("class") or "").split():
            self.toc = True
        if tag == "td":
            classes = (a.get("class") or "").split()
            self.verdict_cells += any(c.startswith("v-") for c in classes)
            self.number_cells += "num" in classes
        if tag == "figcaption":
            self._in_figcaption = True
            self.figcaptions.append("")

    def handle_endtag(self, tag):
        if tag == "figcaption":
            self._in_figcaption = False

    def handle_data(self, data):
        if self._in_figcaption:
            self.figcaptions[-1] += data


def png_problem(data):
    """None when `data` is a PNG that decodes, else what is wrong; plus (width, height)."""
    if not data.startswith(PNG_SIGNATURE):
        return "no PNG signature", None
    pos, idat, ihdr = 8, [], None
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        crc = data[pos + 8 + length : pos + 12 + length]
        if len(body) != length or len(crc) != 4:
            return f"chunk {kind!r} truncated", None
        if struct.unpack(">I", crc)[0] != zlib.crc32(kind + body):
            return f"chunk {kind!r} has a bad CRC", None
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if ihdr is None:
        return "no IHDR chunk", None
    width, height, depth, colour, _, _, interlace = ihdr
    if width == 0 or height == 0:
        return f"IHDR size {width}x{height}", None
    try:
        raw = zlib.decompress(b"".join(idat))
    except zlib.error as e:
        return f"IDAT does not inflate ({e})", None
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}.get(colour)
    if channels is None:
        return f"colour type {colour}", None
    if interlace == 0:
        expected = height * (1 + (width * channels * depth + 7) // 8)
        if len(raw) != expected:
            return f"pixel data {len(raw)} bytes, IHDR implies {expected}", None
    return None, (width, height)


def static(report):
    folder = os.path.dirname(os.path.abspath(report))
    with open(report, encoding="utf-8") as f:
        text = f.read()
    page = Page()
    page.feed(text)
    problems = []
    ids = set(page.ids)
    for dup in sorted({i for i in page.ids if page.ids.count(i) > 1}):
        problems.append(f"id {dup!r} is used {page.ids.count(dup)} times")
    anchors = [h for h in page.hrefs if h.startswith("#")]
    for h in anchors:
        if unquote(h[1:]) not in ids:
            problems.append(f"link {h!r} has no element with that id")
    files = [h for h in page.hrefs if not h.startswith("#") and not urlparse(h).scheme]
    for h in files:
        path = os.path.normpath(os.path.join(folder, unquote(h.split("#")[0])))
        if not os.path.isfile(path):
            problems.append(f"link {h!r}: no such file next to the report")
    external = [h for h in page.hrefs if urlparse(h).scheme]
    sizes = []
    for n, (src, alt) in enumerate(page.images, 1):
        m = re.match(r"data:image/png;base64,(.*)$", src, re.S)
        if m:
            try:
                data = base64.b64decode(m.group(1), validate=True)
            except ValueError as e:
                problems.append(f"image {n}: bad base64 ({e})")
                continue
        elif src and not urlparse(src).scheme:
            try:
                with open(os.path.join(folder, unquote(src)), "rb") as f:
                    data = f.read()
            except OSError as e:
                problems.append(f"image {n}: {src!r} cannot be read ({e})")
                continue
        else:
            problems.append(f"image {n}: source {src[:40]!r} is neither a PNG data URI nor a file")
            continue
        problem, size = png_problem(data)
        if problem:
            problems.append(f"image {n}: {problem}")
        else:
            sizes.append(size)
        if alt.strip() and any(alt.strip() == c.strip() for c in page.figcaptions):
            problems.append(f"image {n}: its caption is printed again under it")
    if not page.toc:
        problems.append("no table of contents (<nav class=\"toc\">)")
    span = ""
    if sizes:
        ws, hs = [w for w, _ in sizes], [h for _, h in sizes]
        span = f" ({min(ws)}-{max(ws)} x {min(hs)}-{max(hs)} px)"
    print(
        f"{report}: static: {len(ids)} ids, {len(anchors)} #-links"
        f" ({len(set(anchors))} targets), {len(files)} file links, {len(external)} external links,"
        f" {len(sizes)}/{len(page.images)} PNG images decode{span},"
        f" {page.verdict_cells} verdict cells, {page.number_cells} number cells:"
        f" {'OK' if not problems else f'{len(problems)} PROBLEMS'}"
    )
    counts = {}
    for p in problems:
        counts[p] = counts.get(p, 0) + 1
    for p, k in list(counts.items())[:40]:
        print(f"  - {p}" + (f" ({k} times)" if k > 1 else ""))
    if len(counts) > 40:
        print(f"  - … and {len(counts) - 40} more")
    return 1 if problems else 0


# Runs after every (eager) image has loaded. Reports in a <pre> that --dump-dom shows.
PROBE = """<script>
window.addEventListener('load', function () {
  var r = {anchors: 0, missing: [], images: 0, broken: [], numbers: 0, split: []};
  document.querySelectorAll('a[href^="#"]').forEach(function (a) {
    r.anchors++;
    var id = decodeURIComponent(a.getAttribute('href').slice(1));
    if (!document.getElementById(id)) r.missing.push(a.getAttribute('href'));
  });
  document.querySelectorAll('img').forEach(function (img, i) {
    r.images++;
    if (!(img.complete && img.naturalWidth > 0 && img.naturalHeight > 0)) r.broken.push(i + 1);
  });
  // A number is split when its text lies on more than one line.
  document.querySelectorAll('.num').forEach(function (el) {
    r.numbers++;
    var range = document.createRange();
    range.selectNodeContents(el);
    var tops = {};
    Array.prototype.forEach.call(range.getClientRects(), function (rect) {
      if (rect.width > 0) tops[Math.round(rect.top)] = 1;
    });
    if (Object.keys(tops).length > 1) r.split.push(el.textContent);
  });
  var wraps = document.querySelectorAll('.table-wrap');
  r.tables = wraps.length;
  r.scrolling_tables = Array.prototype.filter.call(wraps, function (w) {
    return w.scrollWidth > w.clientWidth + 1;
  }).length;
  var de = document.documentElement;
  r.width = de.clientWidth;
  r.page_width = de.scrollWidth;
  r.height = Math.ceil(Math.max(de.scrollHeight, document.body.scrollHeight));
  var pre = document.createElement('pre');
  pre.id = 'RESULT_ID';
  pre.textContent = JSON.stringify(r);
  document.body.appendChild(pre);
});
</script>
""".replace("RESULT_ID", RESULT_ID)


def probe(report, out):
    with open(report, encoding="utf-8") as f:
        text = f.read()
    text = text.replace('loading="lazy"', 'loading="eager"')
    at = text.rfind("</body>")
    if at < 0:
        print(f"{report}: no </body>")
        return 1
    with open(out, "w", encoding="utf-8") as f:
        f.write(text[:at] + PROBE + text[at:])
    return 0


def verify(dom_file, label):
    with open(dom_file, encoding="utf-8", errors="replace") as f:
        dom = f.read()
    m = re.search(r'<pre id="' + RESULT_ID + r'">(.*?)</pre>', dom, re.S)
    if not m:
        print(f"{label}: browser: the check script did not report (page did not finish loading?): FAILED")
        return 1
    r = json.loads(html.unescape(m.group(1)))
    problems = []
    if r["missing"]:
        problems.append(f"{len(r['missing'])} #-links without a target: {r['missing'][:10]}")
    if r["broken"]:
        problems.append(f"images that did not decode: {r['broken'][:20]}")
    if r["split"]:
        problems.append(f"numbers broken across lines: {r['split'][:10]}")
    if r["page_width"] > r["width"] + 1:
        problems.append(f"the page scrolls sideways ({r['page_width']} px in a {r['width']} px window)")
    print(
        f"{label}: browser: {r['anchors'] - len(r['missing'])}/{r['anchors']} #-links resolve,"
        f" {r['images'] - len(r['broken'])}/{r['images']} images decoded (naturalWidth > 0),"
        f" {r['numbers'] - len(r['split'])}/{r['numbers']} numbers on one line,"
        f" {r['tables']} tables ({r['scrolling_tables']} scroll inside their box),"
        f" page {r['page_width']}x{r['height']} px in a {r['width']} px window:"
        f" {'OK' if not problems else f'{len(problems)} PROBLEMS'}"
    )
    for p in problems:
        print(f"  - {p}")
    print(f"height={r['height']}")
    return 1 if problems else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "static":
        return static(argv[2])
    if len(argv) == 4 and argv[1] == "probe":
        return probe(argv[2], argv[3])
    if len(argv) == 4 and argv[1] == "verify":
        return verify(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
