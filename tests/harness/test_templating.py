"""``{placeholder}`` templates: placeholders, check, render, rename, ``{{``/``}}`` literals, and brace
groups that cannot be a placeholder (JSON) kept as literal text."""

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
    [
        ("{port", "{"),
        ("port}", "}"),
        ("a{b{c}", "{"),
        ("{port}}", "}"),
        ("}{", "}"),
        ('{"a": 1', "{"),
        ('{"a": 1}}', "}"),
        ("{{x}", "}"),
    ],
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


def test_unknown_placeholder_error_shows_the_escaped_template_as_the_fix():
    with pytest.raises(TemplateSyntaxError) as info:
        check("{url}?q={accountName}", ("url", "port"))
    message = str(info.value)
    assert "unknown placeholder {accountName}" in message
    # Only the unknown group is doubled: the fix can be pasted as it is.
    assert "for literal braces double them: '{url}?q={{accountName}}'" in message
    assert "did you mean" not in message  # nothing close


def test_the_escaped_fix_leaves_already_escaped_braces_alone():
    with pytest.raises(TemplateSyntaxError) as info:
        check("{{x}} {x}", ["url"])
    assert "'{{x}} {{x}}'" in str(info.value)


@pytest.mark.parametrize(
    ("template", "allowed", "meant"),
    [
        ("{prot}", ["port", "host"], "did you mean {port}?"),
        ("{app.prot}", ["app.port", "app.url"], "did you mean {app.port}?"),
        ("{services.serach.url}", ["services.search.url", "app.url"], "did you mean {services.search.url}?"),
        # A bare service field where only qualified names exist: every name it ends.
        ("{url}", ["app.url", "services.api.url", "root"], "did you mean {app.url} or {services.api.url}?"),
    ],
)
def test_unknown_placeholder_error_suggests_what_was_meant(template, allowed, meant):
    with pytest.raises(TemplateSyntaxError) as info:
        check(template, allowed)
    assert meant in str(info.value)


@pytest.mark.parametrize(
    "template",
    [
        '{"accountName": "x"}',
        '{"a": {"b": [1, {"c": null}]}, "d": {}}',
        "{}",
        "{ }",
        "{a b}",
        "{a:b}",
        "{'single': 'quotes'}",
        "{x=1,y=2}",
        "a set {1, 2} and a map {k: v}",
    ],
)
def test_brace_groups_that_cannot_be_a_placeholder_are_literal_text(template):
    assert placeholders(template) == []
    check(template, [])  # nothing unknown
    assert render(template, {}) == template
    assert rename(template, {"url": "services.api.url"}) == template


def test_placeholders_inside_literal_json_are_still_replaced():
    template = '{"endpoint": "{url}/v1", "nested": {"port": {port}}}'
    assert placeholders(template) == ["url", "port"]
    assert render(template, {"url": "http://h:1", "port": "80"}) == (
        '{"endpoint": "http://h:1/v1", "nested": {"port": 80}}'
    )
    assert rename(template, {"url": "services.api.url"}) == (
        '{"endpoint": "{services.api.url}/v1", "nested": {"port": {port}}}'
    )


@pytest.mark.parametrize("name", ["accountName", "0", "services.api-v2.url", "a_b", "-", "x.y.z"])
def test_a_group_made_of_name_characters_is_a_placeholder(name):
    assert placeholders("{" + name + "}") == [name]
    assert placeholders("{ " + name + "\t}") == [name]  # blanks around the name are allowed
    with pytest.raises(TemplateSyntaxError, match="unknown placeholder"):
        check("{" + name + "}", ["other"])


def test_doubling_every_brace_still_works_for_json():
    assert render('{{"a": {{"b": 1}}}}', {}) == '{"a": {"b": 1}}'
    assert render('{{"a": {"b": 1}}}', {}) == '{"a": {"b": 1}}'
    assert render('{{"url": "{url}"}}', {"url": "u"}) == '{"url": "u"}'


def test_check_treats_empty_braces_as_literal():
    check("{}", ["url"])
    assert render("--json={}", {}) == "--json={}"


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
