// Verdicts for certificates, manifests, audit bundles and QR texts, with the browser's own
// Web Crypto (Ed25519, SHA-256) and an exact RFC 8785 canonicalisation. No network, no storage.
"use strict";

const DATA = JSON.parse(document.getElementById("ws-data").textContent);
const VALID = "VALID", FORGED = "FORGED", NOT_VERIFIABLE = "NOT VERIFIABLE";
const CERT_RE = /^WS-([A-Z0-9]{2,16})-(\d{4})-(\d{6})$/;
const BATCH_RE = /^RB-([A-Z0-9]{2,16})-(\d{4})-(\d{4,})$/;
const FORMATS = { "wipe-station-signed-certificate": "certificate", "wipe-station-signed-manifest": "manifest" };
const enc = new TextEncoder();

// RFC 8785: ECMAScript number serialisation and JSON string escaping are exactly JCS's; keys
// are sorted by UTF-16 code units, which is JavaScript's own string order.
function canonicalize(value) {
  if (value === null || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error("RFC 8785 has no form for NaN or Infinity");
    return JSON.stringify(value);
  }
  if (typeof value === "string") {
    if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(value)) throw new Error("a lone surrogate has no RFC 8785 form");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return "[" + value.map(canonicalize).join(",") + "]";
  if (typeof value === "object") {
    const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return "{" + keys.map((k) => canonicalize(k) + ":" + canonicalize(value[k])).join(",") + "}";
  }
  throw new Error(`no RFC 8785 form for ${typeof value}`);
}

const hex = (buf) => Array.from(new Uint8Array(buf), (x) => x.toString(16).padStart(2, "0")).join("");
async function sha256hex(bytes) { return hex(await crypto.subtle.digest("SHA-256", bytes)); }

function b64decode(text, urlsafe) {
  let t = String(text);
  if (urlsafe) {
    if (!/^[A-Za-z0-9_-]*$/.test(t)) return null;
    t = t.replace(/-/g, "+").replace(/_/g, "/");
    while (t.length % 4) t += "=";
  } else if (!/^[A-Za-z0-9+/]*={0,2}$/.test(t) || t.length % 4) return null;
  try { return Uint8Array.from(atob(t), (c) => c.charCodeAt(0)); } catch { return null; }
}

const b64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

const KEYS = [];
async function loadKeys() {
  for (const k of DATA.keys) {
    const der = b64decode(k.spki_b64, false);
    KEYS.push({ ...k, key: await crypto.subtle.importKey("spki", der, { name: "Ed25519" }, false, ["verify"]) });
  }
}

// The station whose key checks `message` under `sig` (the named station's key first), or null.
async function signer(sig, message, station) {
  if (!sig || sig.length !== 64) return null;
  const order = [...KEYS.filter((k) => k.station === station), ...KEYS.filter((k) => k.station !== station)];
  for (const k of order) if (await crypto.subtle.verify({ name: "Ed25519" }, k.key, sig, message)) return k;
  return null;
}

function verdict(word, reason, extra = {}) { return { verdict: word, reason, ...extra }; }

// ---- signed documents (certificates and manifests) inside PDFs --------------------------------

function parseEnvelope(file) {
  let doc;
  try { doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(file.data)); } catch { throw new WSPdf.Forged(`the embedded file ${file.name} is not JSON`); }
  const kind = doc && typeof doc === "object" ? FORMATS[doc.format] : undefined;
  if (!kind) throw new WSPdf.Forged(`the embedded file ${file.name} is not a Wipe Station certificate or manifest`);
  if (doc.algorithm !== "Ed25519") throw new WSPdf.Forged(`${file.name}: unsupported signature algorithm ${JSON.stringify(doc.algorithm)}`);
  const sig = b64decode(doc.signature, false);
  if (!sig) throw new WSPdf.Forged(`${file.name}: the signature is not base64`);
  const p = doc.payload;
  if (!p || typeof p !== "object" || Array.isArray(p)) throw new WSPdf.Forged(`${file.name}: the signed payload is not an object`);
  const number = kind === "certificate" ? p.number : p.batch_id;
  const re = kind === "certificate" ? CERT_RE : BATCH_RE;
  if (typeof number !== "string" || !re.test(number)) throw new WSPdf.Forged(`${file.name}: the signed ${kind} has no valid number`);
  if (file.name !== `${number}.json`) throw new WSPdf.Forged(`the embedded file ${file.name} holds ${kind} ${number}`);
  // Issue 26: a version-2 envelope also carries the station's signature over the QR text.
  let qrSig = null;
  if ("qr_signature" in doc) {
    qrSig = typeof doc.qr_signature === "string" ? b64decode(doc.qr_signature, true) : null;
    if (!qrSig) throw new WSPdf.Forged(`${file.name}: the QR signature is not base64url`);
  }
  return { kind, number, payload: p, sig, qrSig, station: kind === "certificate" ? p.station_id : (p.station_id || BATCH_RE.exec(number)[1]) };
}

const NUMBER_ON_PAGE = /\(((?:WS-[A-Z0-9]{2,16}-\d{4}-\d{6})|(?:RB-[A-Z0-9]{2,16}-\d{4}-\d{4,}))\)/;

async function verifyPdf(name, buf) {
  if (latin1head(buf, 5) !== "%PDF-") return verdict(NOT_VERIFIABLE, "not a PDF, nor an audit bundle: nothing signed to check");
  let doc;
  try {
    doc = await WSPdf.readStrictPdf(buf);
  } catch (e) {
    if (e instanceof WSPdf.Forged) return verdict(FORGED, e.message);
    if (e instanceof WSPdf.Unreadable) return verdict(FORGED, `the PDF is damaged and cannot be read one way only (${e.message})`);
    throw e;
  }
  const shown = doc.pages.map((text) => (NUMBER_ON_PAGE.exec(text) || [])[1] || null);
  if (!doc.files.length) {
    const listed = shown.map((n, i) => `page ${i + 1}${n ? ` shows ${n}` : ""}`).join(", ");
    return verdict(NOT_VERIFIABLE, `the file carries no signed data (a print, a scan, or a merge that dropped the attachments): ${listed}. Check each paper copy's QR code below, or ask for the station's PDF.`);
  }
  const seenNames = new Set();
  for (const f of doc.files) {
    if (seenNames.has(f.name)) return verdict(FORGED, `the file holds two embedded files named ${f.name}`);
    seenNames.add(f.name);
  }
  const docs = [];
  for (const f of doc.files) {
    let env;
    try { env = parseEnvelope(f); } catch (e) { if (e instanceof WSPdf.Forged) return verdict(FORGED, e.message); throw e; }
    let canonical;
    try { canonical = enc.encode(canonicalize(env.payload)); } catch (e) { return verdict(FORGED, `${env.number}: ${e.message}`); }
    const key = await signer(env.sig, canonical, env.station);
    if (!key) return verdict(FORGED, `${env.number}: the signature does not match the signed content under any station key in this verifier (altered ${env.kind}, or another station's key)`);
    env.signedBy = key;
    env.digest = await sha256hex(canonical);
    const tag = env.kind === "certificate" ? "WSCERT" : "WSMANIFEST";
    if (env.qrSig) {
      const qrText = `${tag}:2:${env.number}:${env.digest}`;
      if (env.qrSig.length !== 64 || !(await crypto.subtle.verify({ name: "Ed25519" }, key.key, env.qrSig, enc.encode(qrText)))) {
        return verdict(FORGED, `${env.number}: the QR code's signature does not match`);
      }
      env.qrText = `${qrText}:${b64url(env.qrSig)}`;
    } else env.qrText = `${tag}:1:${env.number}:${env.digest}:${b64url(env.sig)}`;
    docs.push(env);
  }
  const byNumber = new Map(docs.map((d) => [d.number, d]));
  const unsigned = shown.map((n, i) => (n && byNumber.has(n) ? null : `page ${i + 1}${n ? ` (${n})` : ""}`)).filter((x) => x);
  const unshown = docs.filter((d) => !shown.includes(d.number));
  if (unsigned.length && unshown.length) {
    const i = shown.findIndex((n) => !(n && byNumber.has(n)));
    return verdict(FORGED, `page ${i + 1} shows ${shown[i] || "no number"}, but the signed ${unshown[0].kind} embedded for it is ${unshown[0].number}`);
  }
  if (unsigned.length) return verdict(FORGED, `${unsigned.join(", ")} carr${unsigned.length === 1 ? "ies" : "y"} no signed data, beside pages that do: a page was put in that the signed data does not account for`);
  const firstPage = new Map();
  for (let i = 0; i < shown.length; i++) {
    const n = shown[i];
    if (firstPage.has(n) && shown[i - 1] !== n) return verdict(FORGED, `${n} appears on page ${firstPage.get(n)} and again on page ${i + 1}: a page was added`);
    if (!firstPage.has(n)) firstPage.set(n, i + 1);
  }
  for (const d of docs) {
    if (!firstPage.has(d.number)) return verdict(FORGED, `the file embeds the signed ${d.kind} ${d.number}, but no page shows it: its page was removed`);
    d.page = firstPage.get(d.number);
  }
  docs.sort((a, b) => a.page - b.page);
  return verdict(VALID, `${docs.length} signed document${docs.length === 1 ? "" : "s"}, each checked against the station key`, { docs });
}

function latin1head(buf, n) { return String.fromCharCode(...buf.subarray(0, n)); }

// ---- the audit bundle (wipe_station/audit: chain.py, walk.py, store.py) -----------------------

async function verifyBundle(text) {
  const lines = text.split("\n").filter((l) => l.length);
  let header;
  try { header = JSON.parse(lines[0]); } catch { header = null; }
  if (!header || header.format !== "wipe-station-audit-bundle") return null;
  const station = String(header.station);
  const report = { station, events: 0, checkpoints: 0, lastSigned: 0, kinds: new Map(), first: null, last: null, successors: new Map(), problem: null, line: null };
  const cps = [], events = [];
  for (let i = 1; i < lines.length; i++) {
    let rec;
    try { rec = JSON.parse(lines[i]); } catch { rec = null; }
    const ok = rec && typeof rec === "object" && (rec.type === "event" || rec.type === "checkpoint");
    if (!ok) return { ...report, problem: `line ${i + 1} is not a valid bundle record`, line: i + 1 };
    if (rec.type === "checkpoint") {
      if (events.length) return { ...report, problem: `line ${i + 1}: checkpoint after events`, line: i + 1 };
      cps.push(rec);
    } else events.push({ ...rec, line: i + 1 });
  }
  if (cps.some((c) => c.station !== station)) return { ...report, problem: "the bundle mixes records of several stations" };
  const key = KEYS.find((k) => k.station === station);
  if (!key) return { ...report, problem: `this verifier holds no key for station ${station}`, noKey: true };
  // A bad checkpoint signature is reported before anything about the events (as `audit verify`).
  for (const cp of cps) {
    const msg = enc.encode(canonicalize({ type: "wipe-station-audit-checkpoint", v: 1, station: cp.station, seq: cp.seq, head: cp.head_hash, at: cp.at }));
    const sig = b64decode(cp.signature, false);
    if (!sig || sig.length !== 64 || !(await crypto.subtle.verify({ name: "Ed25519" }, key.key, sig, msg))) {
      return { ...report, problem: `checkpoint at #${cp.seq} has an invalid signature` };
    }
  }
  const heads = new Map(cps.map((c) => [c.seq, c.head_hash]));
  let expected = 1, prev = "0".repeat(64);
  const fail = (problem, ev) => ({ ...report, problem, line: ev ? ev.line : null });
  for (const ev of events) {
    const { seq, action, at } = ev;
    if (seq !== expected) {
      if (typeof seq === "number" && seq > expected) return fail(`event ${seq === expected + 1 ? `#${expected}` : `#${expected}-#${seq - 1}`} missing: the sequence jumps to #${seq}`, ev);
      return fail(`event #${seq} appears twice or out of order`, ev);
    }
    if (ev.prev_hash !== prev) return fail(`event #${seq} (${action}) does not link to event #${seq - 1}: an earlier event was replaced`, ev);
    let actual;
    try {
      actual = await sha256hex(enc.encode(canonicalize({ v: 1, station: ev.station, seq, at: ev.at, operator: ev.operator, action, device: ev.device, payload: ev.payload, prev: ev.prev_hash })));
    } catch { actual = null; }
    if (actual !== ev.hash) return fail(`event #${seq} (${action}, ${at}) does not match its hash: its stored contents were changed`, ev);
    if (heads.has(seq)) {
      if (heads.get(seq) !== actual) return fail(`event #${seq} (${action}) differs from the signed checkpoint: events up to #${seq} were rewritten`, ev);
      report.checkpoints++; report.lastSigned = seq;
    }
    prev = actual; expected++; report.events++;
    report.kinds.set(action, (report.kinds.get(action) || 0) + 1);
    if (report.first === null) report.first = at;
    report.last = at;
    if (action === "certificate.superseded") {
      try { const body = JSON.parse(ev.payload); report.successors.set(String(body.old), String(body.new)); } catch { /* the chain still verifies; the CLI reads it the same way */ }
    }
  }
  const beyond = [...heads.keys()].filter((s) => s > report.events).sort((a, b) => a - b);
  if (beyond.length) return { ...report, problem: `checkpoint at #${beyond[0]} signs event #${beyond[0]}, which is missing: events after #${report.events} were deleted` };
  if (report.events - report.lastSigned > 0) return { ...report, problem: `the last ${report.events - report.lastSigned} events are not covered by a signed checkpoint` };
  return report;
}

// ---- paper: the QR text ----------------------------------------------------------------------

async function verifyQr(text, knownDocs) {
  const t = text.trim();
  const m = /^(WSCERT|WSMANIFEST):(\d+):([A-Z0-9-]+):([0-9a-f]{64}):([A-Za-z0-9_-]+)$/.exec(t);
  if (!m) return verdict(NOT_VERIFIABLE, "this is not the QR text of a Wipe Station certificate or manifest (WSCERT:2:… or WSMANIFEST:2:…)");
  const [, tag, version, number, digest, sigText] = m;
  const re = tag === "WSCERT" ? CERT_RE : BATCH_RE;
  const station = (re.exec(number) || [])[1];
  if (!station) return verdict(FORGED, `${number} is not a valid ${tag === "WSCERT" ? "certificate" : "batch"} number`);
  const sig = b64decode(sigText, true);
  // Paper is never VALID (issue 26's contract, as `certificate verify scan.png`): a QR code proves
  // which document the station issued, not what else the sheet shows.
  const doc = knownDocs.get(number);
  if (version === "2") {
    const key = await signer(sig, enc.encode(`${tag}:2:${number}:${digest}`), station);
    if (!key) return verdict(FORGED, `the QR signature does not match ${number} and its digest under any station key in this verifier`);
    if (doc && doc.digest !== digest) return verdict(FORGED, `the QR code is signed, but ${number} loaded here has digest ${doc.digest}, not ${digest}`);
    const also = doc ? ` It matches the signed ${number} loaded here, shown below: compare the paper with it.` : ` Compare the printed fields with the signed ${number}: load its PDF here too.`;
    return verdict(NOT_VERIFIABLE, `the station ${key.station} issued ${number} with payload digest ${digest}; the printed fields are not covered by the QR code.${also}`, { qr: { number, digest, station: key.station }, doc });
  }
  if (version === "1") {
    if (!doc || doc.digest !== digest) return verdict(NOT_VERIFIABLE, `a version 1 QR code signs the whole certificate, which the paper does not carry: it cannot be checked from paper. Load ${number}'s PDF here too, then paste the QR text again`);
    const key = await signer(sig, enc.encode(canonicalize(doc.payload)), station);
    if (!key) return verdict(FORGED, `the QR signature does not match ${number}'s signed content`);
    return verdict(NOT_VERIFIABLE, `this version 1 QR code belongs to the signed ${number} loaded here (station ${key.station}), shown below; the printed fields are not covered by it: compare the paper with the signed content.`, { qr: { number, digest, station: key.station }, doc });
  }
  return verdict(NOT_VERIFIABLE, `QR version ${version} is newer than this verifier (${DATA.version})`);
}

window.WSVerify = { DATA, VALID, FORGED, NOT_VERIFIABLE, canonicalize, loadKeys, verifyPdf, verifyBundle, verifyQr };
