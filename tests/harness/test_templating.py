"""``{placeholder}`` templates: placeholders, check, render, rename, and ``{{``/``}}`` literals."""

from __future__ import annotations

import pytest

from harness.config.templating import TemplateSyntaxError, check, placeholders, rename, render

# -- placeholders -------------------------------------------------------------------------------------


def test_placeholders_lists_names_in_order_including_dotted_ones():
    assert placeholders("{app.url}/cb?x={port}&y={services.api.url}") == [
        "app.url",
        "port",
        "services.api.url",
    ]


def test_placeholders_of_plain_text_is_empty():
    assert placeholders("no braces here") == []
    assert placeholders("") == []


def test_doubled_braces_are_literals_not_placeholders():
    assert placeholders('{{"key": 1}}') == []
    assert placeholders("{{{port}}}") == ["port"]


@pytest.mark.parametrize(
    ("template", "brace"),
    [("{port", "{"), ("port}", "}"), ("a{b{c}}", "{"), ("{port}}", "}"), ("}{", "}")],
)
def test_placeholders_rejects_unbalanced_braces(template, brace):
    with pytest.raises(TemplateSyntaxError) as info:
        placeholders(template)
    message = str(info.value)
    assert f"unbalanced '{brace}'" in message
    assert repr(template) in message
    assert f"'{brace}{brace}'" in message  # tells how to write a literal


def test_template_syntax_error_is_a_value_error():
    assert issubclass(TemplateSyntaxError, ValueError)


# -- check --------------------------------------------------------------------------------------------


def test_check_accepts_known_placeholders_and_literals():
    check("{url}/v1 {{literal}} {port}", ["url", "port", "host"])
    check("nothing to check", [])


def test_check_rejects_unknown_placeholder_and_lists_the_available_ones():
    with pytest.raises(TemplateSyntaxError) as info:
        check("{url}/{nope}", ("url", "port"))
    message = str(info.value)
    assert "unknown placeholder {nope}" in message
    assert "'{url}/{nope}'" in message
    assert "available: {port}, {url}" in message


def test_check_rejects_empty_placeholder():
    with pytest.raises(TemplateSyntaxError, match="unknown placeholder"):
        check("{}", ["url"])


def test_check_rejects_unbalanced_braces():
    with pytest.raises(TemplateSyntaxError, match="unbalanced"):
        check("{url", ["url"])


def test_check_accepts_an_iterator_of_allowed_names():
    check("{a}{b}", iter(["a", "b"]))


# -- render -------------------------------------------------------------------------------------------


def test_render_substitutes_every_placeholder():
    values = {"services.api.url": "http://127.0.0.1:4000", "port": "8080"}
    assert (
        render("{services.api.url}/v1?p={port}&q={port}", values) == "http://127.0.0.1:4000/v1?p=8080&q=8080"
    )


def test_render_turns_doubled_braces_into_single_ones():
    assert render('{{"port": {port}}}', {"port": "80"}) == '{"port": 80}'
    assert render("{{port}}", {"port": "80"}) == "{port}"


def test_render_does_not_expand_placeholders_inside_substituted_values():
    assert render("{a}", {"a": "{b}", "b": "x"}) == "{b}"


def test_render_leaves_plain_text_untouched():
    assert render("plain $HOME %s", {}) == "plain $HOME %s"


def test_render_unknown_placeholder_raises():
    with pytest.raises(TemplateSyntaxError, match=r"unknown placeholder \{missing\}"):
        render("x={missing}", {"present": "1"})


@pytest.mark.parametrize("template", ["{port", "port}", "{{port}"])
def test_render_unbalanced_braces_raise(template):
    with pytest.raises(TemplateSyntaxError, match="unbalanced"):
        render(template, {"port": "1"})


# -- rename -------------------------------------------------------------------------------------------


def test_rename_rebinds_named_placeholders():
    names = {"url": "services.api.url", "port": "services.api.port"}
    assert rename("{url}/v1:{port}", names) == "{services.api.url}/v1:{services.api.port}"


def test_rename_leaves_other_placeholders_and_literals_untouched():
    names = {"url": "services.api.url"}
    assert rename("{app.url} {{url}} {url}", names) == "{app.url} {{url}} {services.api.url}"


def test_rename_then_render_gives_the_service_value():
    renamed = rename("{url}/v1 {{x}}", {"url": "services.api.url"})
    assert render(renamed, {"services.api.url": "http://h:1"}) == "http://h:1/v1 {x}"


def test_rename_tolerates_spaces_inside_braces():
    assert rename("{ url }", {"url": "services.api.url"}) == "{services.api.url}"
