"""The e-mail parser under generated input (hypothesis): whatever bytes arrive it returns
something that becomes a valid interaction, and a well-formed message keeps its sender,
subject and text exactly, whatever the charset, alternatives and attachments."""

from __future__ import annotations

from email.headerregistry import Address
from email.message import EmailMessage

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.identity import normalize_email
from services.ingest.email_parsing import MESSAGE_ID, parse_email, to_interaction

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text people write: any printable character of any script, spaces and line breaks
# (a bare CR is no line break in e-mail, so it is left out).
text_chars = st.characters(
    blacklist_categories=("Cs", "Cc", "Co", "Cn", "Zl", "Zp"), blacklist_characters="\r"
)
body_text = st.text(st.one_of(text_chars, st.just("\n")), min_size=1, max_size=400).filter(
    lambda t: t.strip()
)
one_line = st.text(text_chars, min_size=1, max_size=80).filter(lambda t: t.strip())
local_part = st.from_regex(r"[a-z0-9][a-z0-9._+-]{0,20}[a-z0-9]", fullmatch=True).filter(
    lambda s: ".." not in s
)
# A label with hyphens in its third and fourth places is reserved for IDNA ("xn--"), and
# such an address is rightly refused, so the generator leaves those out.
domain = st.from_regex(
    r"[a-z][a-z0-9-]{0,15}[a-z0-9]\.(com|org|de|example)", fullmatch=True
).filter(lambda d: d[2:4] != "--")


@FUZZ
@given(raw=st.binary(max_size=3000), mail_from=st.text(max_size=60))
def test_any_bytes_become_a_recordable_interaction(raw: bytes, mail_from: str) -> None:
    parsed = parse_email(raw, mail_from)
    assert MESSAGE_ID.fullmatch(parsed.message_id)
    interaction = to_interaction(parsed, "support", "sb_raw_email/x")
    assert interaction.channel == "email" and interaction.external_id == parsed.message_id


@st.composite
def headers_and_body(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """Arbitrary header lines above an arbitrary body: the shape of real junk mail."""
    names = st.sampled_from(["From", "Subject", "Message-ID", "References", "Content-Type", "X"])
    values = st.text(max_size=60).map(lambda v: v.replace("\r", "").replace("\n", " "))
    lines = draw(st.lists(st.tuples(names, values), max_size=6))
    head = "".join(f"{n}: {v}\r\n" for n, v in lines).encode("utf-8", "surrogateescape")
    return head, draw(st.binary(max_size=800))


@FUZZ
@given(parts=headers_and_body())
def test_junk_headers_never_crash_the_parser(parts: tuple[bytes, bytes]) -> None:
    head, body = parts
    parsed = parse_email(head + b"\r\n" + body)
    to_interaction(parsed, "support", "sb_raw_email/x")


@FUZZ
@given(
    name=st.one_of(st.none(), one_line),
    local=local_part,
    host=domain,
    subject=one_line,
    text=body_text,
    # ASCII-compatible charsets: the standard library cannot write text as UTF-16 (it joins
    # the encoded lines with ASCII newlines), so such a message would be broken by us.
    charset=st.sampled_from(["utf-8", "iso-8859-1", "windows-1252", "iso-2022-jp"]),
    with_html=st.booleans(),
    attachment=st.one_of(st.none(), st.binary(min_size=1, max_size=200)),
)
def test_a_valid_message_keeps_its_sender_subject_and_text(
    name: str | None,
    local: str,
    host: str,
    subject: str,
    text: str,
    charset: str,
    with_html: bool,
    attachment: bytes | None,
) -> None:
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        charset = "utf-8"
    address = f"{local}@{host}"
    msg = EmailMessage()
    msg["From"] = Address(display_name=name or "", addr_spec=address)  # quoted as needed
    msg["To"] = "support@shop.example"
    msg["Subject"] = subject
    msg["Message-ID"] = "<fuzz-1@mail.example>"
    msg.set_content(text, charset=charset)
    if with_html:
        msg.add_alternative("<p>the same, in HTML</p>", subtype="html")
    if attachment is not None:
        msg.add_attachment(attachment, maintype="application", subtype="pdf", filename="a.pdf")

    parsed = parse_email(msg.as_bytes())

    assert parsed.unparseable is None
    assert parsed.sender_email == normalize_email(address)
    # Header folding may rewrite runs of whitespace, nothing else.
    assert parsed.subject is not None
    assert parsed.subject.split() == subject.split()
    assert parsed.text == text.strip()
    assert parsed.message_id == "<fuzz-1@mail.example>"
    assert len(parsed.attachments) == (attachment is not None)
    interaction = to_interaction(parsed, "support", "sb_raw_email/x")
    assert interaction.text == text.strip()
