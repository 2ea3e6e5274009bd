"""What a browser would post for a rendered HTML form, for tests that fill in the
admin's forms as an editor would (hidden inputs included)."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._text = ""
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], ""
        elif tag == "select" and a.get("name"):
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea" and self._textarea is not None:
            # Browsers drop the newline that follows <textarea>.
            self.fields.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected]
            self.fields.extend((self._select, value) for value in chosen)
            self._select = None


def form_fields(page: str, form_id: str) -> dict[str, list[str]]:
    """The form's fields as the browser would submit them, each with its list of values."""
    reader = _FormReader(form_id)
    reader.feed(page)
    result: dict[str, list[str]] = {}
    for name, value in reader.fields:
        result.setdefault(name, []).append(value)
    return result


def filled(page: str, form_id: str, **changes: str) -> dict[str, list[str] | str]:
    """The form as rendered, with some fields changed: ready for ``client.post``."""
    data: dict[str, list[str] | str] = dict(form_fields(page, form_id))
    data.update(changes)
    return data
