"""Where in an HTML document a template output lands: text, an attribute, a URL attribute, ``<script>``.

Just enough of the HTML tokenizer for :mod:`vulnhuntr.repo.templates` to tell which
escaping an output needs; fed the template's literal text between its tags.
"""

from __future__ import annotations

import re

URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "data", "poster", "background", "srcset", "xlink:href"})
RAW_TEXT_ELEMENTS = frozenset({"script", "style"})
_TAG_OPEN = re.compile(r"<(/?)([A-Za-z][\w:-]*)")
_ATTRIBUTE_NAME = re.compile(r"[^\s=>/]+")
_UNQUOTED_END = re.compile(r"[\s>]|$")


class HtmlState:
    """Just enough of the HTML tokenizer to know where a template output lands."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled  # a template without outputs needs no HTML tracking
        self.mode = "data"  # data | tag | comment | rawtext
        self.tag = ""  # name of the tag being read
        self.closing = False
        self.raw_end = ""  # element whose end tag leaves rawtext
        self.attr = ""  # attribute being read
        self.quote = ""  # quote of the attribute value being read; "" unquoted
        self.in_value = False
        self.after_eq = False

    def context(self) -> str:
        if self.mode == "rawtext":
            return self.raw_end
        if self.mode != "tag":
            return "html"
        if not self.in_value and not self.after_eq:
            return "attribute name"  # ``<div {{ attrs }}>``: whole attributes can be injected
        attr = self.attr.lower()
        if attr in URL_ATTRIBUTES:
            return "url"
        if attr.startswith("on"):
            return "event handler"
        if attr == "style":
            return "style"
        return "attribute" if self.quote else "unquoted attribute"

    def placeholder(self) -> None:
        """A template output counts as characters of whatever it sits in."""
        if self.mode == "tag" and self.after_eq and not self.in_value:
            self.in_value, self.after_eq, self.quote = True, False, ""

    def feed(self, text: str) -> None:
        if not self.enabled:
            return
        i, n = 0, len(text)
        while i < n:
            if self.mode == "data":
                j = text.find("<", i)
                if j < 0:
                    return
                i = self._open(text, j)
            elif self.mode == "comment":
                j = text.find("-->", i)
                if j < 0:
                    return
                self.mode, i = "data", j + 3
            elif self.mode == "rawtext":
                j = text.lower().find("</" + self.raw_end, i)
                if j < 0:
                    return
                self.mode, self.tag, self.closing, i = "tag", self.raw_end, True, j + 2 + len(self.raw_end)
                self._reset_attr()
            else:
                i = self._tag_char(text, i)

    def _open(self, text: str, j: int) -> int:
        if text.startswith("<!--", j):
            self.mode = "comment"
            return j + 4
        match = _TAG_OPEN.match(text, j)
        if match is None:
            return j + 1
        self.mode, self.closing, self.tag = "tag", bool(match.group(1)), match.group(2).lower()
        self._reset_attr()
        return match.end()

    def _reset_attr(self) -> None:
        self.attr, self.quote, self.in_value, self.after_eq = "", "", False, False

    def _tag_char(self, text: str, i: int) -> int:
        ch = text[i]
        if self.in_value:
            if self.quote:
                end = text.find(self.quote, i)
            else:
                found = _UNQUOTED_END.search(text, i)
                end = found.start() if found is not None else -1
            if end < 0 or end >= len(text):
                return len(text)  # the value goes on past this piece of text
            self._reset_attr()
            if text[end] == ">":
                self._close_tag()
            return end + 1
        if self.after_eq:
            if ch in "\"'":
                self.in_value, self.quote, self.after_eq = True, ch, False
            elif not ch.isspace():
                self.in_value, self.quote, self.after_eq = True, "", False
                return i  # re-read as the first character of an unquoted value
            return i + 1
        if ch == ">":
            self._close_tag()
        elif ch == "=":
            self.after_eq = True
        elif ch.isspace() or ch == "/":
            pass
        else:
            match = _ATTRIBUTE_NAME.match(text, i)
            assert match is not None
            self.attr = match.group(0)
            return match.end()
        return i + 1

    def _close_tag(self) -> None:
        if not self.closing and self.tag in RAW_TEXT_ELEMENTS:
            self.mode, self.raw_end = "rawtext", self.tag
        else:
            self.mode = "data"
        self._reset_attr()
