"""XSS payloads for every Markdown field and rendering surface, and a checker for rendered HTML.

The one set of payloads and the one checker: import them from any test (the browser journey too):
`from tests.security.xss_corpus import PAYLOADS, CODE_SPAN, executable_content`.
`executable_content(html)` lists whatever in `html` a browser could run: script elements other than our own
`/static/` files, event-handler attributes, `javascript:`/`vbscript:`/`data:` URLs (after entity decoding and
whitespace removal, in any letter case), embedding elements (iframe, object, embed, svg, math, base), style
elements and attributes, and `http-equiv` meta refreshes. An empty list means the page is safe.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

PAYLOADS: list[str] = [
    # Script tags
    "<script>alert('xss-1')</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<ScRiPt>alert('xss-3')</sCrIpT>",
    "<scr<script>ipt>alert('xss-4')</scr</script>ipt>",
    "<!-- c --><script>alert('xss-5')</script>",
    "\"><script>alert('xss-6')</script>",
    # Event handlers
    "<img src=x onerror=alert('xss-7')>",
    "<IMG SRC=x OnErRoR=alert('xss-8')>",
    "<body onload=alert('xss-9')>",
    "<details open ontoggle=alert('xss-10')>",
    "<input autofocus onfocus=alert('xss-11')>",
    '<a href="https://ok.example" onclick="alert(\'xss-12\')">ok</a>',
    "'><img src=x onerror=alert('xss-13')>",
    # javascript:, vbscript: and data: URLs in HTML, in every case, with entities and whitespace
    "<a href=\"javascript:alert('xss-14')\">a</a>",
    "<a href=\"JaVaScRiPt:alert('xss-15')\">a</a>",
    "<a href=\"&#106;avascript:alert('xss-16')\">a</a>",
    "<a href=\"&#x6A;&#x61;vascript:alert('xss-17')\">a</a>",
    "<a href=\"java&#x09;script:alert('xss-18')\">a</a>",
    "<a href=\" javascript:alert('xss-19')\">a</a>",
    "<a href=\"javascript&colon;alert('xss-20')\">a</a>",
    "<a href=\"vbscript:msgbox('xss-21')\">a</a>",
    "<a href=\"data:text/html,<script>alert('xss-22')</script>\">a</a>",
    "<iframe src=\"javascript:alert('xss-23')\"></iframe>",
    # Markdown links and images
    "[click](javascript:alert('xss-24'))",
    "[click](JAVASCRIPT:alert('xss-25'))",
    "[click](&#106;avascript:alert('xss-26'))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert('xss-28'))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[x](javascript:alert('xss-30') \"title\")",
    "[![img](https://img.example/a.png)](javascript:alert('xss-31'))",
    "[a [b](javascript:alert('xss-32'))](javascript:alert('xss-32b'))",
    "[ref][1]\n\n[1]: javascript:alert('xss-33')",
    "<https://example.com/\"onmouseover=\"alert('xss-34')>",
    # SVG, MathML and embedding
    "<svg onload=alert('xss-35')>",
    "<svg><script>alert('xss-36')</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('xss-37')>",
    "<object data=\"javascript:alert('xss-38')\"></object>",
    "<embed src=\"javascript:alert('xss-39')\">",
    "<base href=\"javascript:alert('xss-40')//\">",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(\'xss-41\')">',
    "<form action=\"javascript:alert('xss-42')\"><button>x</button></form>",
    # Styles
    "<div style=\"background:url(javascript:alert('xss-43'))\">x</div>",
    "<style>body{background:url(javascript:alert('xss-44'))}</style>",
    # Raw HTML blocks
    "<div>\n<script>alert('xss-45')</script>\n</div>",
    "<div markdown=\"1\">\n\n[x](javascript:alert('xss-46'))\n\n</div>",
]

# Browser canaries: a payload that runs sets `window.__xss` (or opens a dialog, or fetches a `/xss-` URL), so the
# browser journey can tell that it ran, not only that its text was escaped.
_BROWSER_CANARIES: list[str] = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=2">',
    '<svg onload="window.__xss=3">',
    "<svg><script>window.__xss=4</script></svg>",
    '<iframe src="javascript:window.parent.__xss=5"></iframe>',
    '<iframe srcdoc="<script>parent.__xss=6</script>"></iframe>',
    "[click me](javascript:window.__xss=7)",
    '<a href="javascript:window.__xss=8">x</a>',
    '<a href="JaVaScRiPt:window.__xss=9">x</a>',
    '<a href="jav&#x09;ascript:window.__xss=10">x</a>',
    '![x](x" onerror="window.__xss=11)',
    '<body onload="window.__xss=12">',
    '<details open ontoggle="window.__xss=13"><summary>s</summary></details>',
    '<input autofocus onfocus="window.__xss=14">',
    '<video><source onerror="window.__xss=15"></video>',
    '<audio src=x onerror="window.__xss=16">',
    '<object data="javascript:window.__xss=17"></object>',
    '<embed src="javascript:window.__xss=18">',
    '<math><mtext><table><mglyph><style><img src=x onerror="window.__xss=19">',
    '<noscript><p title="</noscript><img src=x onerror=window.__xss=20>">',
    "<style>@import 'javascript:window.__xss=21';</style>",
    '<div style="background:url(javascript:window.__xss=22)">x</div>',
    '<meta http-equiv="refresh" content="0;url=javascript:window.__xss=23">',
    '<form action="javascript:window.__xss=24"><button>go</button></form>',
    '<base href="javascript:window.__xss=25//">',
    '<div hx-get="/xss-hx-26" hx-trigger="load">x</div>',
    "[data](data:text/html;base64,PHNjcmlwdD53aW5kb3cuX194c3M9Mjc8L3NjcmlwdD4=)",
    '<a href="vbscript:msgbox(28)">x</a>',
    "<scr<script>ipt>window.__xss=29</script>",
    '"><script>window.__xss=30</script>',
    "'';!--\"<XSS>=&{()}",
    '<img src="x:x" onerror="alert(32)">',
    '<svg><animate onbegin="window.__xss=33" attributeName=x dur=1s>',
    '<a href="#" onclick="window.__xss=34">x</a>',
    '<marquee onstart="window.__xss=35">x</marquee>',
    "`<img src=x onerror=window.__xss=36>`",
    '<select autofocus onfocus="window.__xss=37"></select>',
    "<template><script>window.__xss=38</script></template>",
    "<javascript:window.__xss=39>",
    "<textarea><script>window.__xss=40</script></textarea>",
    '<img src=x onerror="confirm(41)">',
    "<svg onload=prompt(42)>",
    '<div data-hx-post="/xss-hx-43" data-hx-trigger="load">x</div>',
    '<a href="&#106;avascript:window.__xss=44">x</a>',
    "<IMG SRC=`javascript:window.__xss=45`>",
]

# Every payload once, the corpus's first: the page tests, the API tests and the browser journey all use this list.
PAYLOADS = list(dict.fromkeys([*PAYLOADS, *_BROWSER_CANARIES]))

# Code must stay literal: the text shows, escaped, inside <code>.
CODE_SPAN = "`<script>alert('code-span')</script>`"
CODE_SPAN_ESCAPED = "&lt;script&gt;alert('code-span')&lt;/script&gt;"
CODE_BLOCK = "```\n<img src=x onerror=alert('code-block')>\n```"

# Code first: an unclosed raw HTML block further down may swallow what follows it (harmlessly, as text).
CORPUS = "\n\n".join([CODE_SPAN, CODE_BLOCK, *PAYLOADS])

_BAD_TAGS = {"iframe", "frame", "frameset", "object", "embed", "svg", "math", "base", "style", "applet"}
_URL_ATTRS = {"href", "src", "action", "formaction", "data", "xlink:href", "poster", "background", "srcset"}
_BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
_INVISIBLE = re.compile(r"[\x00-\x20\x7f]+")


class _Finder(HTMLParser):
    def __init__(self, script_prefix: str, allow_style: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.script_prefix = script_prefix
        self.allow_style = allow_style
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attrs_d = {k.lower(): v or "" for k, v in attrs}
        if tag == "script":
            src = attrs_d.get("src", "")
            if not src.startswith(self.script_prefix):
                self.found.append(f"<script src={src!r}>")
            self._in_script = True
        if tag in _BAD_TAGS:
            self.found.append(f"<{tag}>")
        if tag == "meta" and "http-equiv" in attrs_d:
            self.found.append("<meta http-equiv>")
        if tag == "link" and not attrs_d.get("href", "").startswith("/static/"):
            self.found.append(f"<link href={attrs_d.get('href')!r}>")
        for name, value in attrs_d.items():
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name == "style" and not self.allow_style:
                self.found.append(f"<{tag} style=…>")
            if name in _URL_ATTRS:
                url = _INVISIBLE.sub("", value).lower()
                if url.startswith(_BAD_SCHEMES):
                    self.found.append(f"<{tag} {name}={value[:40]!r}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.found.append(f"inline script {data[:40]!r}")


def executable_content(html: str, *, script_prefix: str = "/static/", allow_style: bool = False) -> list[str]:
    """Everything in `html` a browser could execute (see the module docstring); [] when safe.

    `allow_style=True` for email HTML, which is not served under our CSP and whose templates style inline.
    """
    finder = _Finder(script_prefix, allow_style)
    finder.feed(html)
    finder.close()
    return finder.found
