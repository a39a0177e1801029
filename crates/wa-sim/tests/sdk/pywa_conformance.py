"""Drives pywa (the pinned version in requirements.txt) against a running wa-sim.

Run by crates/wa-sim/tests/it/sdk_conformance.rs, which starts the simulator, captures every kind
of webhook it emits into WEBHOOKS_FILE and passes the scenario in environment variables.

Every operation prints one line:  <result> <operation> :: <detail>
  ok          the operation did what it does against Meta
  refused     wa-sim deliberately does not serve it: Meta's error envelope and pywa's exception
  sdk-wrong   pywa itself departs from Meta's documentation (named in the detail); wa-sim is not
              bent to it
  FAIL        anything else (the process then exits 1)
"""

import json
import logging
import os
import sys
import time
import traceback

import httpx
from pywa import WhatsApp, errors, types
from pywa.types import templates as tpl

SIM = os.environ["SIM_BASE_URL"]
VERSION = os.environ["GRAPH_VERSION"]  # "25.0"
PHONE_ID = os.environ["PHONE_ID"]
WABA_ID = os.environ["WABA_ID"]
TOKEN = os.environ["TOKEN"]
APP_ID = os.environ["APP_ID"]
APP_SECRET = os.environ["APP_SECRET"]
CUSTOMER = os.environ["CUSTOMER"]
INBOUND_WAMID = os.environ["INBOUND_WAMID"]
WEBHOOKS_FILE = os.environ["WEBHOOKS_FILE"]

failures = 0
# pywa logs why it could not parse an update (it then hands a RawUpdate on): show it.
logging.basicConfig(level=logging.ERROR, stream=sys.stderr)


class SdkWrong(Exception):
    """Raised where pywa departs from Meta's documentation."""


def report(result, operation, detail=""):
    print(f"{result} {operation} :: {detail}", flush=True)


def op(operation, expect="ok", check=None, sdk_wrong=None):
    """Runs `fn`, compares with the expectation and reports.

    expect: "ok", or ("refused", code, ExceptionClass) for a deliberate refusal.
    sdk_wrong: (ExceptionClass, reason) when pywa is known to depart from Meta here.
    """

    def wrap(fn):
        global failures
        try:
            value = fn()
        except Exception as error:  # noqa: BLE001 - every outcome is reported
            if sdk_wrong is not None and isinstance(error, sdk_wrong[0]):
                report("sdk-wrong", operation, f"{sdk_wrong[1]} ({type(error).__name__}: {error})")
                return None
            if isinstance(expect, tuple) and expect[0] == "refused":
                _, code, cls = expect
                if isinstance(error, errors.WhatsAppError) and error.code == code and isinstance(error, cls):
                    report("refused", operation, f"{type(error).__name__} code={error.code} {error.message}")
                    return None
            failures += 1
            report("FAIL", operation, f"{type(error).__name__}: {error}")
            traceback.print_exc(file=sys.stdout)
            return None
        if expect != "ok":
            failures += 1
            report("FAIL", operation, f"expected {expect}, got {value!r}")
            return value
        if check is not None:
            problem = check(value)
            if problem:
                failures += 1
                report("FAIL", operation, problem)
                return value
        report("ok", operation, short(value))
        return value

    return wrap


def short(value):
    text = repr(value)
    return text if len(text) <= 160 else text[:157] + "..."


wa = WhatsApp(
    phone_id=PHONE_ID,
    token=TOKEN,
    app_id=APP_ID,
    app_secret=APP_SECRET,
    waba_id=WABA_ID,
    api_version=VERSION,
    validate_updates=True,
)
# pywa has no base-URL option: point its Graph session at the simulator.
wa.api._session.base_url = f"{SIM}/v{VERSION}"

# ---------------------------------------------------------------- messages of every type


@op("send_message.text")
def _():
    return wa.send_message(to=CUSTOMER, text="Hello from pywa", preview_url=True)


@op("send_message.reply_buttons")
def _():
    return wa.send_message(
        to=CUSTOMER,
        text="Pick one",
        header="Header",
        footer="Footer",
        buttons=[types.Button("Yes", "yes"), types.Button("No", "no")],
    )


@op("send_message.list")
def _():
    return wa.send_message(
        to=CUSTOMER,
        text="Choose",
        buttons=types.SectionList(
            "Options",
            [types.Section("Main", [types.SectionRow("First", "first", "the first")])],
        ),
    )


@op("send_message.cta_url")
def _():
    return wa.send_message(to=CUSTOMER, text="Visit", buttons=types.URLButton("Open", "https://example.com"))


@op("request_location")
def _():
    return wa.request_location(to=CUSTOMER, text="Where are you?")


@op("send_image.link")
def _():
    return wa.send_image(to=CUSTOMER, image="https://example.com/a.png", caption="An image")


PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)

uploaded = op("upload_media.png", check=lambda v: None if v.id else "no media id")(
    lambda: wa.upload_media(media=PNG, mime_type="image/png", filename="a.png")
)


@op("send_image.media_id")
def _():
    return wa.send_image(to=CUSTOMER, image=uploaded.id)


@op("send_video.link")
def _():
    return wa.send_video(to=CUSTOMER, video="https://example.com/a.mp4", caption="A video")


@op("send_audio.link")
def _():
    return wa.send_audio(to=CUSTOMER, audio="https://example.com/a.ogg")


@op("send_voice.link")
def _():
    return wa.send_voice(to=CUSTOMER, voice="https://example.com/a.ogg")


@op("send_document.link")
def _():
    return wa.send_document(to=CUSTOMER, document="https://example.com/a.pdf", filename="a.pdf", caption="A document")


@op("send_sticker.link")
def _():
    return wa.send_sticker(to=CUSTOMER, sticker="https://example.com/a.webp")


@op("send_location")
def _():
    return wa.send_location(to=CUSTOMER, latitude=52.52, longitude=13.405, name="Berlin", address="Mitte")


@op("send_contact")
def _():
    return wa.send_contact(
        to=CUSTOMER,
        contact=types.Contact(
            name=types.Contact.Name(formatted_name="Ada Lovelace", first_name="Ada"),
            phones=[types.Contact.Phone(phone="+15551230000", type="WORK")],
        ),
    )


@op("send_reaction")
def _():
    return wa.send_reaction(to=CUSTOMER, emoji="\N{THUMBS UP SIGN}", message_id=INBOUND_WAMID)


@op("remove_reaction")
def _():
    return wa.remove_reaction(to=CUSTOMER, message_id=INBOUND_WAMID)


@op("send_message.reply_to")
def _():
    return wa.send_message(to=CUSTOMER, text="A reply", reply_to_message_id=INBOUND_WAMID)


@op("send_template.no_params")
def _():
    return wa.send_template(to=CUSTOMER, name="hello_world", language=tpl.TemplateLanguage.ENGLISH_US)


@op("send_template.params")
def _():
    return wa.send_template(
        to=CUSTOMER,
        name="order_update",
        language=tpl.TemplateLanguage.ENGLISH_US,
        params=[
            {"type": "body", "parameters": [{"type": "text", "text": "Ada"}, {"type": "text", "text": "42"}]},
            {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "42"}]},
        ],
    )


op("send_template.unknown", expect=("refused", 132001, errors.TemplateNotExists))(
    lambda: wa.send_template(to=CUSTOMER, name="no_such_template", language=tpl.TemplateLanguage.ENGLISH_US)
)

op("send_template.param_count", expect=("refused", 132000, errors.TemplateParamCountMismatch))(
    lambda: wa.send_template(to=CUSTOMER, name="order_update", language=tpl.TemplateLanguage.ENGLISH_US)
)

# ---------------------------------------------------------------- read, typing, media


@op("mark_message_as_read", check=lambda v: None if v else "success false")
def _():
    return wa.mark_message_as_read(message_id=INBOUND_WAMID)


@op("indicate_typing", check=lambda v: None if v else "success false")
def _():
    return wa.indicate_typing(message_id=INBOUND_WAMID)


url = op("get_media_url", check=lambda v: None if v.mime_type == "image/png" else f"mime {v.mime_type}")(
    lambda: wa.get_media_url(media_id=uploaded.id)
)

op("get_media_bytes", check=lambda v: None if v == PNG else "bytes differ")(lambda: wa.get_media_bytes(url=url.url))


@op("upload_media.query_messaging_product")
def _():
    # Meta reads Graph parameters from the query string too; pywa sends the form field, so this
    # call goes raw to show the query form is served.
    return wa.api._request(
        method="POST",
        endpoint=f"/{PHONE_ID}/media?messaging_product=whatsapp",
        files=[("file", ("b.png", PNG, "image/png"))],
        data={"type": "image/png"},
    )


op("delete_media", check=lambda v: None if v else "success false")(lambda: wa.delete_media(media_id=uploaded.id))

op("get_media_url.deleted", expect=("refused", 100, errors.WhatsAppError))(lambda: wa.get_media_url(media_id=uploaded.id))

# ---------------------------------------------------------------- phone numbers


def number_check(number):
    if number.id != PHONE_ID:
        return f"id {number.id}"
    if number.throughput is None or number.platform_type != "CLOUD_API":
        return "throughput or platform_type missing"
    if number.status != "CONNECTED" or number.quality_rating != "GREEN":
        return f"status {number.status} quality {number.quality_rating}"
    if number.whatsapp_business_manager_messaging_limit is None:
        return "whatsapp_business_manager_messaging_limit missing"
    return None


op("get_business_phone_number.all_pywa_fields", check=number_check)(lambda: wa.get_business_phone_number())

op(
    "get_business_phone_numbers",
    check=lambda v: None if any(n.id == PHONE_ID for n in v) else "number not listed",
)(lambda: wa.get_business_phone_numbers())


@op("update_conversational_automation", check=lambda v: None if v else "success false")
def _():
    return wa.update_conversational_automation(
        ice_breakers=["Track my order"],
        commands=[types.Command(name="help", description="Get help")],
    )


@op(
    "get_business_phone_number.conversational_automation",
    sdk_wrong=(KeyError, "pywa reads an `id` inside conversational_automation, which Meta's phone number node does not document"),
)
def _():
    number = wa.get_business_phone_number()
    if number.conversational_automation is None:
        raise AssertionError("conversational_automation missing")
    return number.conversational_automation


op("get_business_phone_number.unknown_field", expect=("refused", 100, errors.WhatsAppError))(
    lambda: wa.api.get_business_phone_number(phone_id=PHONE_ID, fields=("no_such_field",))
)


@op("register_phone_number", check=lambda v: None if v else "success false")
def _():
    return wa.register_phone_number(pin="123456")


# ---------------------------------------------------------------- business profile


@op("update_business_profile", check=lambda v: None if v else "success false")
def _():
    return wa.update_business_profile(
        about="Simulated",
        address="1 Loop Road",
        description="A business in the simulator",
        email="hello@example.com",
        industry=types.Industry.RETAIL,
        websites=["https://example.com"],
    )


op(
    "get_business_profile",
    check=lambda v: None if v.about == "Simulated" and v.industry == types.Industry.RETAIL and v.websites == ("https://example.com",) else f"profile {v}",
)(lambda: wa.get_business_profile())


@op("update_business_profile.profile_picture")
def _():
    # pywa uploads the picture through the resumable upload API, then posts the handle.
    return wa.update_business_profile(profile_picture=PNG)


op(
    "get_business_profile.picture",
    check=lambda v: None if v.profile_picture_url else "no profile_picture_url",
)(lambda: wa.get_business_profile())

op("update_business_profile.too_long_about", expect=("refused", 100, errors.WhatsAppError))(
    lambda: wa.update_business_profile(about="x" * 140)
)

# ---------------------------------------------------------------- WABA and subscribed apps

op(
    "get_business_account",
    check=lambda v: None if v.id == WABA_ID and v.name else f"waba {v}",
)(lambda: wa.get_business_account())

op(
    "get_waba_subscribed_apps",
    check=lambda v: None if v["data"] else "no app subscribed",
)(lambda: wa.api.get_waba_subscribed_apps(waba_id=WABA_ID))

op("override_waba_callback_url", check=lambda v: None if v else "success false")(
    lambda: wa.override_waba_callback_url(callback_url="http://127.0.0.1:9/override", verify_token="vt")
)

op("delete_waba_callback_url", check=lambda v: None if v else "success false")(lambda: wa.delete_waba_callback_url())

# ---------------------------------------------------------------- templates

listed = op(
    "get_templates",
    check=lambda v: None if any(t.name == "hello_world" for t in v) and v.total_count >= 2 else "hello_world missing",
)(lambda: wa.get_templates())

op(
    "get_templates.filtered",
    check=lambda v: None if [t.name for t in v] == ["order_update"] else f"got {[t.name for t in v]}",
)(lambda: wa.get_templates(name="order_", statuses=[tpl.TemplateStatus.APPROVED]))

hello_id = next((t.id for t in (listed or []) if t.name == "hello_world"), None)

op(
    "get_template",
    check=lambda v: None if v.name == "hello_world" and v.parameter_format is not None else f"template {v}",
)(lambda: wa.get_template(template_id=hello_id))

created = op(
    "create_template.positional",
    check=lambda v: None if v.id and v.status == tpl.TemplateStatus.PENDING else f"created {v}",
)(
    lambda: wa.create_template(
        template=tpl.Template(
            name="pywa_shipping",
            language=tpl.TemplateLanguage.ENGLISH_US,
            category=tpl.TemplateCategory.UTILITY,
            parameter_format=tpl.ParamFormat.POSITIONAL,
            components=[
                tpl.HeaderText("Order update"),
                tpl.BodyText("Hi {{1}}, order {{2}} shipped.", "Ada", "42"),
                tpl.FooterText(text="Thanks"),
                tpl.Buttons(
                    buttons=[
                        tpl.QuickReplyButton(text="Stop"),
                        tpl.URLButton(text="Track", url="https://example.com/t/{{1}}", example="https://example.com/t/42"),
                    ]
                ),
            ],
        )
    )
)

op(
    "create_template.named_with_media_header",
    check=lambda v: None if v.id and v.category == tpl.TemplateCategory.MARKETING else f"created {v}",
)(
    lambda: wa.create_template(
        template=tpl.Template(
            name="pywa_promo",
            language=tpl.TemplateLanguage.ENGLISH_US,
            category=tpl.TemplateCategory.MARKETING,
            parameter_format=tpl.ParamFormat.NAMED,
            components=[
                tpl.HeaderImage(example=PNG, mime_type="image/png"),
                tpl.BodyText("Hello {{first_name}}, see our sale.", first_name="Ada"),
            ],
        )
    )
)

op("create_template.duplicate", expect=("refused", 100, errors.WhatsAppError))(
    lambda: wa.create_template(
        template=tpl.Template(
            name="pywa_shipping",
            language=tpl.TemplateLanguage.ENGLISH_US,
            category=tpl.TemplateCategory.UTILITY,
            components=[tpl.BodyText("Hello there")],
        )
    )
)

op("create_template.bad_name", expect=("refused", 100, errors.WhatsAppError))(
    lambda: wa.create_template(
        template=tpl.Template(
            name="Bad Name",
            language=tpl.TemplateLanguage.ENGLISH_US,
            category=tpl.TemplateCategory.UTILITY,
            components=[tpl.BodyText("Hello there")],
        )
    )
)


def wait_status(template_id, wanted):
    deadline = time.time() + 10
    while time.time() < deadline:
        got = wa.get_template(template_id=template_id)
        if got.status == wanted:
            return got
        time.sleep(0.05)
    raise AssertionError(f"template {template_id} never became {wanted}")


if created is not None:
    op("template_review.approved")(lambda: wait_status(created.id, tpl.TemplateStatus.APPROVED))

    op(
        "update_template",
        sdk_wrong=(KeyError, "pywa reads id, name and category from the edit answer; Meta documents {\"success\": true}"),
    )(
        lambda: wa.update_template(
            template_id=created.id,
            new_components=[
                tpl.HeaderText("Order update"),
                tpl.BodyText("Hello {{1}}, your order {{2}} is on its way.", "Ada", "42"),
            ],
        )
    )

    op("template_review.after_sdk_edit")(lambda: wait_status(created.id, tpl.TemplateStatus.APPROVED))

    op(
        "update_template.raw",
        check=lambda v: None if v == {"success": True} else f"answer {v}",
    )(
        lambda: wa.api.update_template(
            template_id=created.id,
            template={"components": [{"type": "BODY", "text": "Hi {{1}}, order {{2}} left.", "example": {"body_text": [["Ada", "42"]]}}]},
        )
    )

    op("template_review.after_edit")(lambda: wait_status(created.id, tpl.TemplateStatus.APPROVED))

    op("delete_template.by_id", check=lambda v: None if v else "success false")(
        lambda: wa.delete_template(template_name="pywa_shipping", template_id=created.id)
    )

op("delete_template.by_name", check=lambda v: None if v else "success false")(
    lambda: wa.delete_template(template_name="pywa_promo")
)

op("delete_template.unknown", expect=("refused", 100, errors.WhatsAppError))(
    lambda: wa.delete_template(template_name="pywa_promo")
)

# ---------------------------------------------------------------- not simulated: refused

op("block_users", expect=("refused", 100, errors.WhatsAppError))(lambda: wa.block_users(users=[CUSTOMER]))
op("create_qr_code", expect=("refused", 100, errors.WhatsAppError))(lambda: wa.create_qr_code(prefilled_message="Hi"))
op("get_commerce_settings", expect=("refused", 100, errors.WhatsAppError))(lambda: wa.get_commerce_settings())

# ---------------------------------------------------------------- webhooks

received = []
wa.add_handlers(
    *(
        cls(lambda _, update: received.append(update))
        for cls in (
            __import__("pywa").handlers.MessageHandler,
            __import__("pywa").handlers.MessageStatusHandler,
            __import__("pywa").handlers.CallbackButtonHandler,
            __import__("pywa").handlers.CallbackSelectionHandler,
            __import__("pywa").handlers.TemplateStatusUpdateHandler,
            __import__("pywa").handlers.TemplateQualityUpdateHandler,
            __import__("pywa").handlers.PhoneNumberChangeHandler,
            __import__("pywa").handlers.AccountUpdateHandler,
            __import__("pywa").handlers.RawUpdateHandler,
        )
    )
)

with open(WEBHOOKS_FILE, encoding="utf-8") as f:
    captured = json.load(f)

# What pywa makes of each kind (RawUpdate: pywa has no type of its own for that field).
EXPECTED = {
    "message.text": "Message",
    "message.image": "Message",
    "message.video": "Message",
    "message.audio": "Message",
    "message.document": "Message",
    "message.sticker": "Message",
    "message.location": "Message",
    "message.contacts": "Message",
    "message.reaction": "Message",
    "message.button": "CallbackButton",
    "message.interactive.button_reply": "CallbackButton",
    "message.interactive.list_reply": "CallbackSelection",
    "message.order": "Message",
    "message.unsupported": "Message",
    "message.system": "PhoneNumberChange",
    "status.sent": "MessageStatus",
    "status.delivered": "MessageStatus",
    "status.read": "MessageStatus",
    "status.failed": "MessageStatus",
    "message_template_status_update": "TemplateStatusUpdate",
    "message_template_quality_update": "TemplateQualityUpdate",
    "phone_number_quality_update": "RawUpdate",
    "account_update": "AccountUpdate",
}

# Where pywa itself departs from Meta's documentation: it cannot build its type, logs why and
# hands on a RawUpdate. The simulator keeps Meta's shape.
SDK_WRONG = {
    "status.failed": "pywa 4.5.0 reads value.contacts on every status; Meta's failed statuses carry no contacts (BSUID status reference)",
}

for hook in captured:
    kind = hook["kind"]
    body = hook["body"].encode("utf-8")

    @op(f"webhook.signature.{kind}")
    def _():
        if wa.webhook_update_validator(body, hook["signature"]) is not None:
            raise AssertionError("pywa refused the simulator's signature")
        if wa.webhook_update_validator(body + b" ", hook["signature"]) is None:
            raise AssertionError("pywa accepted a changed body")
        return "valid"

    @op(f"webhook.parse.{kind}", sdk_wrong=(SdkWrong, "pywa cannot parse Meta's shape"))
    def _():
        received.clear()
        answer = wa.webhook_update_handler(body)
        if answer != ("ok", 200):
            raise AssertionError(f"handler answered {answer}")
        names = [type(u).__name__ for u in received]
        wanted = EXPECTED.get(kind)
        if kind in SDK_WRONG and names == ["RawUpdate"]:
            raise SdkWrong(SDK_WRONG[kind])
        if wanted is None or wanted not in names:
            raise AssertionError(f"expected {wanted}, pywa made {names}")
        typed = next(u for u in received if type(u).__name__ == wanted)
        if hasattr(typed, "timestamp") and typed.timestamp is None:
            raise AssertionError("no timestamp")
        return names

print(f"pywa {__import__('pywa').__version__}: {failures} failure(s)", flush=True)
sys.exit(1 if failures else 0)
