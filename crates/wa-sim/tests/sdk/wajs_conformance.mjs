// Drives whatsapp-api-js (the pinned version in package.json) against a running wa-sim.
//
// Run by crates/wa-sim/tests/it/sdk_conformance.rs with NODE_PATH pointing at the installed
// package and the scenario in environment variables. Every operation prints one line:
//   <result> <operation> :: <detail>
// ok (as against Meta), refused (wa-sim deliberately does not serve it: Meta's error envelope,
// which this SDK returns as the body instead of throwing), sdk-limit (the SDK does not handle
// this webhook field at all: it throws its own "Unexpected payload" with HTTP 200, by design),
// FAIL (anything else; the process exits 1).

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(path.join(process.env.NODE_MODULES_DIR, "x.js"));
const { WhatsAppAPI } = await import(require.resolve("whatsapp-api-js"));
const M = await import(require.resolve("whatsapp-api-js/messages"));

const env = (name) => {
    const value = process.env[name];
    if (!value) throw new Error(`missing ${name}`);
    return value;
};
const SIM = env("SIM_BASE_URL");
const VERSION = `v${env("GRAPH_VERSION")}`;
const PHONE_ID = env("PHONE_ID");
const TOKEN = env("TOKEN");
const APP_SECRET = env("APP_SECRET");
const CUSTOMER = env("CUSTOMER");
const INBOUND_WAMID = env("INBOUND_WAMID");
const WEBHOOKS_FILE = env("WEBHOOKS_FILE");

let failures = 0;
const report = (result, operation, detail = "") =>
    console.log(`${result} ${operation} :: ${detail}`);
const short = (value) => {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    return text && text.length > 160 ? `${text.slice(0, 157)}...` : text;
};

// The SDK calls https://graph.facebook.com itself: its fetch ponyfill sends that to wa-sim.
const simFetch = (input, init) => {
    const url = String(input instanceof Request ? input.url : input).replace(
        "https://graph.facebook.com",
        SIM,
    );
    return fetch(url, init);
};
const wa = new WhatsAppAPI({
    token: TOKEN,
    appSecret: APP_SECRET,
    v: VERSION,
    ponyfill: { fetch: simFetch },
});

async function op(operation, fn, check) {
    try {
        const value = await fn();
        const problem = check ? check(value) : value && value.error ? `error ${short(value.error)}` : null;
        if (problem) {
            failures += 1;
            report("FAIL", operation, problem);
        } else {
            report("ok", operation, short(value));
        }
        return value;
    } catch (error) {
        failures += 1;
        report("FAIL", operation, `${error?.name}: ${error?.message}`);
        return undefined;
    }
}

// A call wa-sim deliberately refuses: Meta's envelope, with the code asked for.
async function refused(operation, fn, code) {
    try {
        const value = await fn();
        const error = value?.error;
        if (error && error.code === code && error.message && error.type && error.fbtrace_id) {
            report("refused", operation, `code=${error.code} ${error.message}`);
        } else {
            failures += 1;
            report("FAIL", operation, `expected Meta's error ${code}, got ${short(value)}`);
        }
    } catch (error) {
        failures += 1;
        report("FAIL", operation, `${error?.name}: ${error?.message}`);
    }
}

// An operation where the SDK departs from Meta's documentation: the simulator answers as Meta
// documents (here an error envelope with `code`), and the line says what the SDK does wrong.
async function sdkWrong(operation, fn, code, reason) {
    try {
        const value = await fn();
        if (value?.error?.code === code && value.error.fbtrace_id) {
            report("sdk-wrong", operation, `${reason} (wa-sim: ${value.error.message})`);
        } else {
            failures += 1;
            report("FAIL", operation, `expected Meta's error ${code} for the SDK's shape, got ${short(value)}`);
        }
    } catch (error) {
        failures += 1;
        report("FAIL", operation, `${error?.name}: ${error?.message}`);
    }
}

const sent = (value) =>
    value?.messages?.[0]?.id?.startsWith("wamid.") ? null : `no wamid in ${short(value)}`;
const send = (operation, message, context) =>
    op(operation, () => wa.sendMessage(PHONE_ID, { phone: CUSTOMER }, message, context), sent);

// ------------------------------------------------------------------ messages of every type
await send("sendMessage.text", new M.Text("Hello from whatsapp-api-js", true));
await send("sendMessage.text.reply_to", new M.Text("A reply"), INBOUND_WAMID);
await send(
    "sendMessage.interactive.buttons",
    new M.Interactive(
        new M.ActionButtons(new M.Button("yes", "Yes"), new M.Button("no", "No")),
        new M.Body("Pick one"),
        new M.Header("Header"),
        new M.Footer("Footer"),
    ),
);
await send(
    "sendMessage.interactive.list",
    new M.Interactive(
        new M.ActionList("Options", new M.ListSection("Main", new M.Row("first", "First", "the first"))),
        new M.Body("Choose"),
    ),
);
await send(
    "sendMessage.interactive.cta_url",
    new M.Interactive(new M.ActionCTA("Open", "https://example.com"), new M.Body("Visit")),
);
await send(
    "sendMessage.interactive.location_request",
    new M.Interactive(new M.ActionLocation(), new M.Body("Where are you?")),
);
await send("sendMessage.image.link", new M.Image("https://example.com/a.png", false, "An image"));
await send("sendMessage.video.link", new M.Video("https://example.com/a.mp4", false, "A video"));
await send("sendMessage.audio.link", new M.Audio("https://example.com/a.ogg"));
await send("sendMessage.audio.voice", new M.Audio("https://example.com/a.ogg", false, true));
await send(
    "sendMessage.document.link",
    new M.Document("https://example.com/a.pdf", false, "A document", "a.pdf"),
);
await send("sendMessage.sticker.link", new M.Sticker("https://example.com/a.webp"));
await send("sendMessage.location", new M.Location(13.405, 52.52, "Berlin", "Mitte"));
// whatsapp-api-js 6.3.0 serialises a Contacts message as a JSON *string* ("contacts":"[{…}]");
// Meta documents `contacts` as an array of objects, and the simulator keeps to that.
await sdkWrong(
    "sendMessage.contacts",
    () =>
        wa.sendMessage(
            PHONE_ID,
            { phone: CUSTOMER },
            new M.Contacts([new M.Name("Ada Lovelace", "Ada"), new M.Phone("+15551230000", "WORK")]),
        ),
    100,
    "the SDK sends contacts as a JSON-encoded string; Meta documents an array of contact objects",
);
await send("sendMessage.reaction", new M.Reaction(INBOUND_WAMID, "\u{1F44D}"));
await send("sendMessage.reaction.remove", new M.Reaction(INBOUND_WAMID));
await send("sendMessage.template.no_params", new M.Template("hello_world", new M.Language("en_US")));
await send(
    "sendMessage.template.params",
    new M.Template(
        "order_update",
        new M.Language("en_US"),
        new M.BodyComponent(new M.BodyParameter("Ada"), new M.BodyParameter("42")),
        new M.URLComponent("42"),
    ),
);
await refused(
    "sendMessage.template.unknown",
    () => wa.sendMessage(PHONE_ID, { phone: CUSTOMER }, new M.Template("no_such_template", new M.Language("en_US"))),
    132001,
);

// ------------------------------------------------------------------ read and typing
await op("markAsRead", () => wa.markAsRead(PHONE_ID, INBOUND_WAMID), (v) => (v?.success === true ? null : short(v)));
await op(
    "markAsRead.typing",
    () => wa.markAsRead(PHONE_ID, INBOUND_WAMID, "text"),
    (v) => (v?.success === true ? null : short(v)),
);

// ------------------------------------------------------------------ media
const PNG = Buffer.from(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082",
    "hex",
);
const form = new FormData();
form.append("file", new Blob([PNG], { type: "image/png" }), "a.png");
const uploaded = await op(
    "uploadMedia",
    () => wa.uploadMedia(PHONE_ID, form),
    (v) => (v?.id ? null : short(v)),
);
await send("sendMessage.image.media_id", new M.Image(uploaded?.id ?? "0", true));
const info = await op(
    "retrieveMedia",
    () => wa.retrieveMedia(uploaded?.id ?? "0", PHONE_ID),
    (v) => (v?.url && v.mime_type === "image/png" && v.sha256 && Number(v.file_size) === PNG.length ? null : short(v)),
);
await op(
    "fetchMedia",
    async () => {
        const response = await wa.fetchMedia(info?.url ?? "");
        return Buffer.from(await response.arrayBuffer());
    },
    (bytes) => (bytes.equals(PNG) ? null : "bytes differ"),
);
await op("deleteMedia", () => wa.deleteMedia(uploaded?.id ?? "0", PHONE_ID), (v) => (v?.success === true ? null : short(v)));
await refused("retrieveMedia.deleted", () => wa.retrieveMedia(uploaded?.id ?? "0"), 100);

// ------------------------------------------------------------------ not simulated: refused
await refused("createQR", () => wa.createQR(PHONE_ID, "Hi"), 100);
await refused("blockUser", () => wa.blockUser(PHONE_ID, { phone: CUSTOMER }), 100);

// ------------------------------------------------------------------ webhooks
const EXPECTED = {
    "message.text": "message",
    "message.image": "message",
    "message.video": "message",
    "message.audio": "message",
    "message.document": "message",
    "message.sticker": "message",
    "message.location": "message",
    "message.contacts": "message",
    "message.reaction": "message",
    "message.button": "message",
    "message.interactive.button_reply": "message",
    "message.interactive.list_reply": "message",
    "message.order": "message",
    "message.unsupported": "message",
    "message.system": "message",
    "status.sent": "status",
    "status.delivered": "status",
    "status.read": "status",
    "status.failed": "status",
};
let seen = null;
wa.on.message = (args) => {
    seen = { kind: "message", args };
};
wa.on.status = (args) => {
    seen = { kind: "status", args };
};
const hooks = JSON.parse(readFileSync(WEBHOOKS_FILE, "utf8"));
for (const hook of hooks) {
    await op(`webhook.signature.${hook.kind}`, async () => {
        if (!(await wa.verifyRequestSignature(hook.body, hook.signature))) {
            throw new Error("the SDK refused the simulator's signature");
        }
        if (await wa.verifyRequestSignature(`${hook.body} `, hook.signature)) {
            throw new Error("the SDK accepted a changed body");
        }
        return "valid";
    }, () => null);
    const wanted = EXPECTED[hook.kind];
    seen = null;
    try {
        await wa.post(JSON.parse(hook.body), hook.body, hook.signature);
        if (!wanted) {
            failures += 1;
            report("FAIL", `webhook.parse.${hook.kind}`, "the SDK took a field it does not handle");
        } else if (seen?.kind !== wanted) {
            failures += 1;
            report("FAIL", `webhook.parse.${hook.kind}`, `expected ${wanted}, got ${seen?.kind}`);
        } else if (wanted === "message" && !(seen.args.message?.id && seen.args.phoneID === PHONE_ID)) {
            failures += 1;
            report("FAIL", `webhook.parse.${hook.kind}`, `message without id or phone: ${short(seen.args.message)}`);
        } else if (wanted === "status" && !(seen.args.id && seen.args.status)) {
            failures += 1;
            report("FAIL", `webhook.parse.${hook.kind}`, `status without id: ${short(seen.args)}`);
        } else {
            report("ok", `webhook.parse.${hook.kind}`, wanted);
        }
    } catch (error) {
        if (!wanted) {
            // The SDK handles the `messages` and `calls` fields only: it reads
            // value.metadata.phone_number_id first, which these fields do not have at Meta.
            report("sdk-limit", `webhook.parse.${hook.kind}`, `${error?.name}: ${error?.message}`);
        } else {
            failures += 1;
            report("FAIL", `webhook.parse.${hook.kind}`, `${error?.name}: ${error?.message}`);
        }
    }
}

console.log(`whatsapp-api-js: ${failures} failure(s)`);
process.exit(failures ? 1 : 0);
