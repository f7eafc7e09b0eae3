"""Script-injection payloads for the browser XSS journey.

Each payload that would run script sets `window.__xss` (or opens a dialog, or fetches a `/xss-` URL), so the
test can tell that it ran, not only that its text was escaped. When the security corpus
(`tests/xss_corpus.py`, a `PAYLOADS` list) exists, its payloads are added.
"""

from __future__ import annotations

OWN: list[str] = [
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

try:
    from tests.security.xss_corpus import (
        PAYLOADS as CORPUS,  # the security engineer's corpus, when it has landed
    )
except ImportError:  # pragma: no cover - depends on what is on main
    CORPUS = []

PAYLOADS: list[str] = list(dict.fromkeys([*OWN, *CORPUS]))
