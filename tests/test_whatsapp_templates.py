"""WhatsApp's message templates: the shipped file covers real notice kinds in every language
within Meta's rules, and `coordbot whatsapp templates` prints them to paste or to submit."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.platforms.whatsapp_settings import TEMPLATES_FILE
from bot.platforms.whatsapp_templates import BODY_LIMIT, PARAMETER, load
from bot.text.i18n import LANGUAGES
from handlers import build_notices

# The notices a person may get long after their last message, which need a template.
KINDS = (
    "broadcast",
    "digest",
    "programme_change",
    "reminder",
    "retention_notice",
    "survey_invitation",
    "survey_reminder",
    "table_promoted",
)
# How each language asks for a reply (a reply opens the 24-hour window).
REPLY = {"en": "Reply", "fr": "Répondez", "es": "Responda"}
# The longest notice one can imagine: many lines of markup, long words, runs of spaces.
WORST = "\n".join(
    f"📢 *Line {n}*:\tsomething    long " + "x" * 80 + " <b>&amp;</b>" for n in range(200)
)


def _coordbot(*args: str, language: str = "C.UTF-8") -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": language}
    return subprocess.run(
        [sys.executable, "-m", "bot", "whatsapp", "templates", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_every_template_carries_a_registered_notice_kind_in_every_language() -> None:
    templates = load(TEMPLATES_FILE)
    assert set(templates.kinds) <= set(build_notices().kinds)
    assert sorted(templates.kinds) == sorted(KINDS)
    for kind in KINDS:
        for language in LANGUAGES:
            template = templates.find(kind, language)
            assert template is not None, (kind, language)
            assert template.name == f"coordbot_{kind}" and template.category == "UTILITY"


def test_every_body_stays_within_metas_rules_with_the_longest_notice() -> None:
    for template in load(TEMPLATES_FILE).templates:
        filled = template.filled(WORST)
        assert len(filled) <= BODY_LIMIT, template
        parameter = template.parameter(WORST)
        assert "\n" not in parameter and "\t" not in parameter and "    " not in parameter
        body = template.body.strip()
        assert not body.startswith(PARAMETER) and not body.endswith(PARAMETER)
        # Each ends by asking for a reply, which opens the 24-hour window.
        assert REPLY[template.language] in body.split("\n")[-1], template
        assert len(template.filled(template.example)) <= BODY_LIMIT


def test_french_texts_have_a_no_break_space_before_high_punctuation() -> None:
    for template in load(TEMPLATES_FILE).templates:
        if template.language == "fr":
            for text in (template.body, template.example):
                assert not re.search(r"[ ][:;?!»]|«[ ]", text), text


def test_the_command_prints_each_template_to_paste_into_whatsapp_manager() -> None:
    result = _coordbot()
    assert result.returncode == 0, result.stderr
    printed = result.stdout
    templates = load(TEMPLATES_FILE).templates
    assert f"{len(templates)} templates to create in WhatsApp Manager" in printed
    blocks = printed.split("\n\n" + "Name: ")[1:]
    assert len(blocks) == len(templates)
    for template in templates:
        assert (
            f"Name: {template.name}\nCategory: UTILITY\nLanguage: {template.language}\n"
            f"Body:\n{template.body}\nSample for {{{{1}}}}: {template.example}\n"
        ) in printed


def test_the_command_speaks_the_terminal_language() -> None:
    result = _coordbot(language="fr_FR.UTF-8")
    assert result.returncode == 0, result.stderr
    assert "Nom\u00a0: coordbot_survey_reminder\nCatégorie\u00a0: UTILITY" in result.stdout
    assert "Exemple pour {{1}}\u00a0: ⏰ Petit rappel" in result.stdout


def test_the_json_is_metas_create_template_request_one_per_language() -> None:
    result = _coordbot("--format", "json")
    assert result.returncode == 0, result.stderr
    requests = json.loads(result.stdout)
    templates = load(TEMPLATES_FILE).templates
    assert len(requests) == len(templates)
    for request, template in zip(requests, templates, strict=True):
        assert request == {
            "name": template.name,
            "language": template.language,
            "category": "UTILITY",
            "components": [
                {
                    "type": "BODY",
                    "text": template.body,
                    "example": {"body_text": [[template.example]]},
                }
            ],
        }


def _entry(**changes: object) -> dict[str, object]:
    entry: dict[str, object] = {
        "notice": "broadcast",
        "name": "coordbot_broadcast",
        "category": "UTILITY",
        "body": {language: f"News: {PARAMETER}. Reply." for language in LANGUAGES},
        "example": {language: "Hello" for language in LANGUAGES},
    }
    return entry | changes


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("templates: [unclosed\n  - one\n", "cannot read the WhatsApp templates"),
        (b"\xff\xfe not text", "cannot read the WhatsApp templates"),
        ({"templates": [_entry(body={"en": "x {{1}} y"})]}, "no body or example in fr"),
        (
            {"templates": [_entry(body=dict.fromkeys(LANGUAGES, "{{1}} and more"))]},
            "starts or ends with {{1}}",
        ),
        ({"templates": [_entry(), _entry(name="other")]}, "more than one template for notice"),
        ({"templates": [_entry(example=dict.fromkeys(LANGUAGES, "a\nb"))]}, "one line"),
        ({"templates": [_entry(notice=None)]}, "`notice` names the notice kind"),
    ],
    ids=["yaml", "binary", "language", "edge", "twice", "example", "notice"],
)
def test_a_broken_file_is_one_line_of_error_and_a_failure(
    tmp_path: Path, content: str | bytes | dict[str, object], reason: str
) -> None:
    file = tmp_path / "templates.yaml"
    if isinstance(content, bytes):
        file.write_bytes(content)
    else:
        file.write_text(content if isinstance(content, str) else json.dumps(content))
    for args in (["--file", str(file)], ["--format", "json", "--file", str(file)]):
        result = _coordbot(*args)
        assert result.returncode == 1
        assert result.stdout == ""
        [line] = result.stderr.splitlines()
        assert line.startswith("Error: ") and reason in line and str(file) in line


def test_the_file_may_come_from_the_environment(tmp_path: Path) -> None:
    file = tmp_path / "ours.yaml"
    file.write_text(json.dumps({"templates": [_entry()]}))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "WHATSAPP_TEMPLATES": str(file)}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "whatsapp", "templates"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "3 templates" in result.stdout and "News: {{1}}. Reply." in result.stdout
