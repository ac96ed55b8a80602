"""Masking secrets in everything harness shows: env listings, failure reports, logs and errors.

Every front goes through this module (``harness env``, the pytest report sections, the quoted app
log, request descriptions, verification messages, every :class:`~harness.errors.HarnessError`), so
one rule decides what is hidden. Nothing on disk is changed: the env file and the app's log keep
their values; only what is *shown* is masked, when it is shown.

**By name** (:func:`is_secret_name`). A name is cut into words at ``_``, ``-``, ``.``, spaces and
camelCase boundaries (``accountKey`` -> ``account key``, ``APIKey`` -> ``api key``). Trailing
qualifier words are dropped first: a number (``API_KEY_2``) and ``value``, ``base``, ``b64``,
``base64``, ``hex``, ``raw``, ``old``, ``new``, ``current``, ``prev``, ``previous``, ``next``
(``SECRET_KEY_BASE``); digits glued to the last word are ignored too (``KEY2``). The name is
secret when its **last word** is a secret word:

    key, keys, token, secret, secrets, password, passwords, passwd, pass, pwd, passphrase,
    credential, credentials, sig, signature, sas, cookie, cookies, session, jwt, salt,
    private, auth, authorization, apikey, connstr, connectionstring

or its last two words are ``connection string`` (or ``conn str``), or its last word *ends* with
``password``, ``passwd``, ``passphrase``, ``secret``, ``apikey``, ``accesskey``, ``secretkey``,
``privatekey`` or ``credential(s)`` (``PGPASSWORD``, ``-Ddbpassword``), or it is ``PGPASS``.
Only the last word counts because it says what the value *is*: ``DB_PASSWORD`` is a password,
``DB_PASSWORD_FILE`` a path, ``USE_KEY_VAULT`` a flag, ``KEY_VAULT_NAME`` a name,
``AZURE_AUTH_TYPE`` a type, ``TOKEN_URL`` a URL. Words are whole: ``MAX_TOKENS``,
``TOKENS_PER_MINUTE`` (token counts, so ``tokens`` is deliberately not a secret word) and
``TIKTOKEN_CACHE_DIR`` stay visible. Exceptions: ``public key``, ``partition key``, ``sort key``,
``routing key`` and ``cache key`` are not secrets.

A value is shown even under a secret name when it is empty, a plain flag (``true``, ``false``,
``yes``, ``no``, ``on``, ``off``, ``0``, ``1``, ``none``, ``null``) or a placeholder (``value``,
``...``, as in the hint ``key = value``): ``DISABLE_AUTH=false`` says nothing secret and is what
someone debugging configuration needs to see. So is ``PWD`` or ``OLDPWD`` holding an absolute
path: the shell's working directories, not ODBC's ``PWD=`` password. An ``Authorization``-style
value keeps its scheme: ``Bearer ********``.

**By value**, whatever the name (:func:`mask_text`), only the secret part is replaced, so the shape
stays readable:

* ``name=value`` (connection strings, DSNs, URL queries, ``key=value`` log lines, ``-Dx.password=``)
  when ``name`` is a secret name: ``AccountKey=``, ``SharedAccessKey=``, ``Password=``, ``pwd=``,
  ``sig=``, ``--db-password=`` ...; with spaces around ``=`` it is TOML (``key = "id"`` in a
  configuration hint) and left alone;
* ``--option value`` and ``-option value`` when the option is a secret name (``--token abc``;
  one-letter options such as ``-p`` are ambiguous and left alone);
* ``"name": "value"`` and ``'name': 'value'`` (JSON, also escaped inside a JSON string, and Python
  reprs) when ``name`` is a secret name: ``{"accountKey": "********"}``;
* the password of a URL: ``postgres://user:********@db/app``;
* JSON web tokens (``eyJ...``.``...``.``...``), ``Bearer <token>`` and ``Basic <credentials>``;
* the body of a PEM private key block (``-----BEGIN ... PRIVATE KEY-----``);
* a line ``Authorization: ...`` (or another header of :data:`SECRET_HEADERS`).

Headers (:func:`mask_header`) are secret by the same name rule plus :data:`SECRET_HEADERS`.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Mapping, Sequence

MASK = "********"

SECRET_WORDS = frozenset(
    {
        "key",
        "keys",
        "token",
        "secret",
        "secrets",
        "password",
        "passwords",
        "passwd",
        "pass",
        "pwd",
        "passphrase",
        "credential",
        "credentials",
        "sig",
        "signature",
        "sas",
        "cookie",
        "cookies",
        "session",
        "jwt",
        "salt",
        "private",
        "auth",
        "authorization",
        "apikey",
        "connstr",
        "connectionstring",
    }
)
_SECRET_PAIRS = frozenset({("connection", "string"), ("conn", "str"), ("conn", "string")})
#: A last word ending with one of these is secret even when glued to another (``PGPASSWORD``).
_GLUED_SUFFIXES = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "credential",
    "credentials",
)
_KNOWN_SECRET_NAMES = frozenset({"pgpass"})
_HARMLESS_PAIRS = frozenset(
    {("public", "key"), ("partition", "key"), ("sort", "key"), ("routing", "key"), ("cache", "key")}
)
#: Shell variables that hold a directory (ODBC's ``PWD=`` is a password).
_DIRECTORY_NAMES = frozenset({"PWD", "OLDPWD"})
_QUALIFIER = re.compile(r"\d+|value|base|b64|base64|hex|raw|old|new|current|prev|previous|next")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[_\-.\s:/]+")
#: Values that are flags or placeholders (``key = value`` in a hint), not secrets, whatever the name.
_FLAGS = frozenset({"", "true", "false", "yes", "no", "on", "off", "0", "1", "none", "null", "value", "..."})

#: Headers whose value is masked, besides those whose name is secret by the word rule.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "api-key",
        "x-api-key",
        "ocp-apim-subscription-key",
        "cookie",
        "set-cookie",
    }
)
_AUTH_SCHEME = re.compile(
    r"(Bearer|Basic|Digest|Token|Negotiate|NTLM|SharedKey|SharedAccessSignature)[ \t]+(?=\S)", re.IGNORECASE
)


def words(name: str) -> list[str]:
    """The lower-case words of a variable, option, header or JSON key name."""
    return [word for word in _SEPARATORS.split(_CAMEL.sub("_", name).lower()) if word]


def is_secret_name(name: str) -> bool:
    """Whether a value called ``name`` is a secret, by the word rule of this module's docstring."""
    parts = words(name)
    while len(parts) > 1 and _QUALIFIER.fullmatch(parts[-1]):
        parts.pop()
    if not parts:
        return False
    last = parts[-1].rstrip("0123456789") or parts[-1]
    before = parts[-2] if len(parts) > 1 else ""
    if (before, last) in _HARMLESS_PAIRS:
        return False
    return (
        last in SECRET_WORDS
        or (before, last) in _SECRET_PAIRS
        or last.endswith(_GLUED_SUFFIXES)
        or "".join(parts) in _KNOWN_SECRET_NAMES
    )


def is_secret_header(name: str) -> bool:
    """Whether the value of HTTP header ``name`` is masked."""
    return name.lower() in SECRET_HEADERS or is_secret_name(name)


def _is_flag(value: str) -> bool:
    return value.strip().lower() in _FLAGS


def _shown_anyway(name: str, value: str) -> bool:
    """A value of a secret name that is shown all the same: a flag, or a shell directory."""
    return _is_flag(value) or (name in _DIRECTORY_NAMES and value.startswith("/"))


def _hide(value: str) -> str:
    """``value`` known to be secret: all of it masked, but an auth scheme kept."""
    scheme = _AUTH_SCHEME.match(value)
    return f"{scheme.group(1)} {MASK}" if scheme else MASK


def mask_value(name: str, value: str) -> str:
    """``value`` as it may be shown: masked whole under a secret name (a flag excepted), otherwise
    with its secret parts masked (:func:`mask_text`)."""
    if is_secret_name(name):
        return value if _shown_anyway(name, value) else _hide(value)
    return mask_text(value)


def is_secret(name: str, value: str) -> bool:
    """Whether ``name=value`` shows anything secret (by name, or by a part of the value)."""
    return mask_value(name, value) != value


def mask_env(env: Mapping[str, str]) -> dict[str, str]:
    """A copy of ``env`` with every secret masked (:func:`mask_value`)."""
    return {name: mask_value(name, value) for name, value in env.items()}


def mask_header(name: str, value: str) -> str:
    """The value of header ``name`` as it may be shown (``Authorization: Bearer ********``)."""
    if is_secret_header(name):
        return value if _is_flag(value) else _hide(value)
    return mask_text(value)


def mask_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """``(name, value)`` pairs with each value masked by :func:`mask_header`, order kept."""
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    return [(name, mask_header(name, value)) for name, value in pairs]


# -- by value -----------------------------------------------------------------------------------------

_PEM = re.compile(
    r"-----BEGIN (?P<label>[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----.*?(?P<end>-----END (?P=label)-----|\Z)",
    re.DOTALL,
)
#: The end of a key block whose beginning is not in the text (a log tail that starts inside it).
_PEM_TAIL = re.compile(
    r"(?:^[A-Za-z0-9+/=]{16,}\r?\n){1,128}(?=-----END [A-Z0-9 ]*PRIVATE KEY)", re.MULTILINE
)
_PEM_OPEN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_URL_PASSWORD = re.compile(
    r"(?P<head>(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}://[^/\s:@]*:)(?P<password>[^/\s@]+)@"
)
_HEADER_LINE = re.compile(
    r"^(?P<head>[ \t>|]*(?P<name>"
    + "|".join(sorted(SECRET_HEADERS))
    + r")[ \t]*:[ \t]*)(?P<value>\S[^\r\n]*)",
    re.IGNORECASE | re.MULTILINE,
)
_QUOTED_PAIR = re.compile(
    r"""(?P<head>(?P<q>["'])(?P<name>[^"'\n]{1,100}?)(?P=q)\s*:\s*(?P<vq>["']))"""
    r"""(?P<value>(?:\\.|(?!(?P=vq))[^\\\n])*)(?P=vq)"""
)
#: The same inside a JSON string: ``"{\"accountKey\": \"abc\"}"``.
_ESCAPED_PAIR = re.compile(
    r"""(?P<head>(?P<q>\\+")(?P<name>[\w.-]{1,100})(?P=q)\s*:\s*(?P=q))(?P<value>.*?)(?P=q)"""
)
#: A name and what joins it to its value; the value is read (``_VALUE``) only after a secret name,
#: so the scan goes on inside a value that is not masked (``URL=https://x/?sig=abc``), and a long
#: run of ``a=a=a=...`` costs linear time (see :func:`_mask_named`). The ``=`` must follow the name
#: at once: ``key = "id"``, with spaces, is TOML, as harness's own configuration hints quote it.
_ASSIGNMENT = re.compile(r"(?<![\w.-])(?P<name>-{0,2}[A-Za-z_][\w.-]{0,100})=")
_OPTION = re.compile(r"(?<!\S)(?P<name>--?[A-Za-z][\w.-]{1,100})[ \t]+(?!-)")
#: Unquoted, a value ends at a separator or a closing bracket: ``Config(api_key=abc)``.
_VALUE = re.compile(r""""(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|[^\s;&,"'<>)\]}]+""")
#: ``'--password=a b'`` as ``shlex.join`` quotes it: the value runs to the closing quote.
_QUOTED_ASSIGNMENT = re.compile(r"""(?<=['"])(?P<name>-{0,2}[A-Za-z_][\w.-]{0,100})=""")
_QUOTED_VALUE = re.compile(r"""[^'"\n]*(?=['"])""")
_SCHEME_TOKEN = re.compile(
    r"\b(?P<head>(?P<scheme>Bearer|Basic)[ \t]+)(?P<value>[A-Za-z0-9._~+/=-]+)", re.IGNORECASE
)
_TOKEN_PUNCTUATION = frozenset("._~+/=-")


def _quoted_or_whole(name: str, value: str) -> str:
    """The masked form of the value of secret ``name``, keeping its quotes."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        inner = value[1:-1]
        return value if _shown_anyway(name, inner) else f"{value[0]}{MASK}{value[0]}"
    return value if _shown_anyway(name, value) else MASK


def _mask_named(pattern: re.Pattern[str], text: str, value_pattern: re.Pattern[str] = _VALUE) -> str:
    """``text`` with the value after each secret name masked: ``pattern`` finds a name and what
    joins it to its value, ``value_pattern`` the value right after."""
    shown: list[str] = []
    done = 0
    for match in pattern.finditer(text):
        if match.start() < done or not is_secret_name(match["name"]):
            continue  # inside a value masked already, or not a secret
        found = value_pattern.match(text, match.end())
        if found is None or not found[0]:
            continue
        shown += [text[done : match.end()], _quoted_or_whole(match["name"], found[0])]
        done = found.end()
    return "".join(shown) + text[done:] if shown else text


def _pair(match: re.Match[str]) -> str:
    value = match["value"]
    if not is_secret_name(match["name"]) or _shown_anyway(match["name"], value):
        return match[0]
    return match["head"] + _hide(value) + match[0][len(match["head"]) + len(value) :]


def _credential_like(token: str) -> bool:
    """A token after ``Bearer`` / ``Basic``, not a word of prose ("Bearer token", "Basic usage")."""
    return len(token) >= 3 and any(
        char.isdigit() or char.isupper() or char in _TOKEN_PUNCTUATION for char in token[1:]
    )


def _scheme_token(match: re.Match[str]) -> str:
    token = match["value"]
    long_enough = len(token) >= 8 or match["scheme"].lower() == "bearer"
    return match["head"] + MASK if long_enough and _credential_like(token) else match[0]


#: A known secret value shorter than this is not hunted down in text: "1" or "dev" would mask
#: every 1 and every "dev" of a log, and say what the value is by what is left unmasked.
MIN_KNOWN_SECRET = 6


def secret_values(env: Mapping[str, str]) -> tuple[str, ...]:
    """The values of ``env``'s secret-named variables (``API_KEY=sk-...``), longest first, to be
    masked wherever they appear whatever surrounds them: an app's log line ``calling with key
    sk-live-123`` carries no name the patterns could see."""
    found = {
        value
        for name, value in env.items()
        if len(value) >= MIN_KNOWN_SECRET and is_secret_name(name) and not _shown_anyway(name, value)
    }
    return tuple(sorted(found, key=len, reverse=True))


def mask_text(text: str, known: Iterable[str] = ()) -> str:
    """``text`` (a value, a log excerpt, a message) with the secrets it contains masked, by value
    whatever the name (see the module docstring), and every ``known`` secret value (see
    :func:`secret_values`) wherever it appears; the rest is unchanged. Idempotent."""
    if not text:
        return text
    for value in known:
        if value in text:
            text = text.replace(value, MASK)
    if "PRIVATE KEY" in text:
        text = _PEM.sub(lambda m: f"-----BEGIN {m['label']}-----{MASK}{m['end']}", text)
        text = _PEM_TAIL.sub(MASK + "\n", text)
    text = _JWT.sub(MASK, text)
    text = _URL_PASSWORD.sub(lambda m: m["head"] + MASK + "@", text)
    text = _HEADER_LINE.sub(lambda m: m["head"] + mask_header(m["name"], m["value"]), text)
    text = _QUOTED_PAIR.sub(_pair, text)
    text = _ESCAPED_PAIR.sub(_pair, text)
    text = _mask_named(_QUOTED_ASSIGNMENT, text, _QUOTED_VALUE)
    text = _mask_named(_ASSIGNMENT, text)
    text = _mask_named(_OPTION, text)
    return _SCHEME_TOKEN.sub(_scheme_token, text)


def mask_lines(lines: Sequence[str], known: Iterable[str] = ()) -> list[str]:
    """Log lines with their secrets masked (``known`` values too), masked as one text so a key block
    spanning lines is recognised."""
    return mask_text("\n".join(lines), known).split("\n") if lines else []


_OPTION_ALONE = re.compile(r"--?[A-Za-z][\w.-]+")
_OPTION_WITH_VALUE = re.compile(r"(?P<name>--?[A-Za-z][\w.-]*)=(?P<value>.+)", re.DOTALL)


def mask_argv(argv: Sequence[str]) -> list[str]:
    """A command line with its secrets masked: the value of ``--secret-option=value`` and of
    ``--secret-option value`` (also with one dash, e.g. Go's ``-token``), and secret parts of
    every argument (:func:`mask_text`)."""
    shown: list[str] = []
    option = ""  # a secret option just before, whose value this argument may be
    for arg in argv:
        if option and not arg.startswith("-") and not _shown_anyway(option, arg):
            shown.append(MASK)
            option = ""
            continue
        assigned = _OPTION_WITH_VALUE.fullmatch(arg)
        if assigned and is_secret_name(assigned["name"]):
            keep = _shown_anyway(assigned["name"], assigned["value"])
            shown.append(arg if keep else f"{assigned['name']}={MASK}")
            option = ""
            continue
        option = arg if _OPTION_ALONE.fullmatch(arg) and is_secret_name(arg) else ""
        shown.append(mask_text(arg))
    return shown


def mask_command(argv: Sequence[str]) -> str:
    """A command line as a shell would take it (``shlex.join``), secrets masked; the mask itself
    is not quoted (``--token ********``, not ``--token '********'``): it is not to be pasted."""
    return " ".join(_quote(arg) for arg in mask_argv(argv))


def _quote(arg: str) -> str:
    if MASK not in arg:
        return shlex.quote(arg)
    return MASK.join(shlex.quote(piece) if piece else "" for piece in arg.split(MASK))


class LogMasker:
    """Masks a log as it grows (``harness up`` follows the app's log).

    :meth:`feed` returns what can be shown now: complete lines. An unfinished line waits for its
    end, an unfinished private key block for its ``-----END`` line (each for ``hold`` characters at
    most), so a secret split between two reads is still recognised; :meth:`flush` shows what waits.
    """

    def __init__(self, hold: int = 64 * 1024, known: Iterable[str] = ()) -> None:
        self.hold = hold
        self.known = tuple(known)
        self._pending = ""

    def feed(self, text: str) -> str:
        text = self._pending + text
        cut = text.rfind("\n") + 1
        opened = [match.start() for match in _PEM_OPEN.finditer(text, 0, cut)]
        if opened and "-----END" not in text[opened[-1] :] and len(text) - opened[-1] < self.hold:
            cut = opened[-1]
        if len(text) - cut > self.hold:  # a line that never ends (progress bars): shown anyway
            cut = len(text)
        self._pending = text[cut:]
        return mask_text(text[:cut], self.known)

    def flush(self) -> str:
        text, self._pending = self._pending, ""
        return mask_text(text, self.known)
