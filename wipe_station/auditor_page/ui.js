// The page: files in, verdicts and signed content out. Every value from a file is set as text
// (textContent), never as markup.
"use strict";

const V = window.WSVerify, L = V.DATA.labels;
const $ = (id) => document.getElementById(id);
const known = new Map(); // number -> verified signed document, for QR checks and supersession
let bundleReport = null;
const certCards = []; // [card, doc] of verified certificates, marked when a bundle arrives

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}
const both = (key) => (L[key] ? `${L[key][0]} / ${L[key][1]}` : key);
const words = (prefix, code) => (L[prefix + code] ? both(prefix + code) : String(code).replace(/_/g, " "));
const joined = (...parts) => parts.filter((x) => x).join(", ");
// Control and format characters from a file are shown as visible escapes, never acted on.
const visible = (s) => String(s ?? "").replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0"));

function verdictBanner(r) {
  const cls = { VALID: "valid", FORGED: "forged", "NOT VERIFIABLE": "unverifiable" }[r.verdict];
  return el("div", { class: `verdict ${cls}`, "data-verdict": r.verdict }, el("strong", {}, r.verdict), " ", el("span", { class: "reason" }, visible(r.reason)));
}

function certificateRows(doc) {
  const p = doc.payload, who = p.performed_by || {}, m = p.media || {}, s = p.sanitization || {}, mob = p.mobile || {}, d = p.destination || {}, v = p.validation || {}, a = p.audit || {}, c = p.customer;
  const blockers = (mob.blockers || []).length
    ? mob.blockers.map((b) => `${words("blocker_", b.code)}: ${both(b.cleared ? "cleared" : "not_cleared")} (${b.message})`).join("; ")
    : both("no_blockers");
  const level = mob.verification_level ? both(`level_${mob.verification_level}`) + (mob.attested_by ? ` (${mob.attested_by})` : "") : "";
  const lock = both(`lock_${mob.activation_lock || "not_read"}`) + (mob.activation_lock_reason ? `: ${mob.activation_lock_reason}` : "");
  return [
    ...(p.supersedes ? [["supersedes", p.supersedes]] : []),
    ["s_person"], ["name", who.name], ["title_role", who.title], ["organization", joined(who.organization, who.location)], ["phone", who.phone],
    ["s_media"], ["manufacturer", m.manufacturer], ["model", m.model], ["serial_number", m.serial_number], ["property_number", m.property_number],
    ["media_type", m.media_type], ["source", m.source], ["classification", m.classification], ["data_backed_up", m.data_backed_up],
    ["s_mobile"], ["platform", `${mob.platform ?? ""} ${mob.os_version ?? ""}`], ["imeis", (mob.imeis || []).join(", ")], ["udid", mob.udid, true],
    ["blockers", blockers], ["evidence_digest", mob.evidence_digest, true], ["customer", c ? `${c.name} (${c.org_number})` : ""],
    ["s_sanitization"], ["method_type", s.method_type], ["method_used", s.method_used], ["method_details", s.method_details],
    ["tool", `${s.tool ?? ""} ${s.tool_version ?? ""}`], ["verification_method", s.verification_method],
    ["reset_route", mob.reset_route ? words("route_", mob.reset_route) : ""], ["verification_level", level], ["activation_lock", lock],
    ["reuse", both(mob.reusable === false ? "reuse_parts" : "reuse_yes")], ["post_classification", s.post_classification], ["notes", s.notes],
    ["s_destination"], ["destination", joined(d.description, d.facility)],
    ["s_validation"], ["validator", v.validator], ["validator_org", joined(v.title, v.organization)], ["validation_date", v.date],
    ["audit", `${a.station ?? ""} #${a.seq ?? ""} ${a.event_hash ?? ""}`, true],
  ];
}

function manifestRows(doc) {
  const p = doc.payload, party = (x) => (x ? joined(x.org_number ? `${x.organization} (org.nr. ${x.org_number})` : x.organization, x.location) : "");
  const rows = [["depot", party(p.depot)], ["recycler", party(p.recycler)], ["created", p.created_at], ["handed_over", p.handed_over_at],
    ["phone_count", String((p.phones || []).length)], ["for_depot", p.handed_over_by], ["for_recycler", p.received_by], ["s_phones"]];
  (p.phones || []).forEach((ph, i) => rows.push([`${i + 1}`, `${ph.certificate_number} · ${ph.platform} · ${ph.manufacturer} ${ph.model} · ${joined(ph.serial_number, ...(ph.imeis || []))}${ph.parts_only ? " · " + both("reuse_parts") : ""}${ph.emulated ? " · " + both("emulated") : ""}`, true]));
  return rows;
}

function signedView(doc) {
  const p = doc.payload, isCert = doc.kind === "certificate";
  const head = el("div", { class: "doc-head" },
    el("div", { class: "title" }, isCert ? L.title[0] : L.m_title[0]), el("div", { class: "title en" }, isCert ? L.title[1] : L.m_title[1]),
    el("div", { class: "number", "data-number": doc.number }, doc.number),
    el("div", { class: "meta" }, `${both(isCert ? "issued_at" : "created")}: ${visible(isCert ? p.issued_at : p.created_at)} · ${both("station")}: ${visible(doc.station)} · ${doc.page ? `page ${doc.page}` : ""}`));
  const table = el("table", { class: "fields" });
  for (const [key, value, mono] of isCert ? certificateRows(doc) : manifestRows(doc)) {
    if (key.startsWith("s_")) { table.append(el("tr", { class: "section" }, el("th", { colspan: "2" }, both(key)))); continue; }
    const label = L[key] ? el("th", {}, el("span", { class: "nb" }, L[key][0]), el("br"), el("span", { class: "en" }, L[key][1])) : el("th", {}, key);
    const shown = value === undefined || value === null || String(value).trim() === "" ? "–" : visible(value);
    table.append(el("tr", { "data-field": key }, label, el("td", { class: mono ? "mono" : "" }, shown)));
  }
  table.append(el("tr", { class: "section" }, el("th", { colspan: "2" }, both("signature"))));
  table.append(el("tr", { "data-field": "payload_digest" }, el("th", {}, both("payload_digest")), el("td", { class: "mono" }, doc.digest)));
  table.append(el("tr", { "data-field": "qr_text" }, el("th", {}, "QR-kode / QR code"), el("td", { class: "mono" }, doc.qrText)));
  table.append(el("tr", { "data-field": "signed_by" }, el("th", {}, "Signert av / Signed by"), el("td", { class: "mono" }, `${doc.signedBy.station} (${doc.signedBy.fingerprint})`)));
  const emulated = isCert && p.emulated ? el("div", { class: "emulated" }, L.emulated[0], el("br"), L.emulated[1]) : null;
  const raw = el("details", { class: "raw" }, el("summary", {}, "Every signed field (JSON) / Alle signerte felt"), el("pre", {}, visible(JSON.stringify(p, null, 1))));
  return el("div", { class: "signed" }, head, emulated, table, raw);
}

function markSuperseded() {
  if (!bundleReport || bundleReport.problem) return;
  for (const [card, doc] of certCards) {
    const chain = []; let n = doc.number;
    while (bundleReport.successors.has(n) && !chain.includes(bundleReport.successors.get(n))) { n = bundleReport.successors.get(n); chain.push(n); }
    if (chain.length && !card.querySelector(".superseded")) {
      card.querySelector(".verdict").after(el("div", { class: "superseded", "data-superseded-by": chain[chain.length - 1] }, `SUPERSEDED: ${doc.number} is superseded by ${chain.join(" then ")} (audit bundle of station ${bundleReport.station}) — use the newer certificate`));
    }
  }
}

function bundleView(r) {
  const ok = !r.problem;
  const banner = verdictBannerFor(ok ? { verdict: V.VALID, reason: `station ${r.station}: ${r.events} events, chain intact, ${r.checkpoints} signed checkpoints (last at #${r.lastSigned})` }
    : { verdict: r.noKey ? V.NOT_VERIFIABLE : V.FORGED, reason: `station ${r.station}: ${r.problem}` });
  const box = el("div", { class: "bundle" }, banner);
  if (!ok) box.append(el("div", { class: "break", "data-break": r.problem }, `Break: ${r.problem}${r.line ? ` (bundle line ${r.line})` : ""}. Events before it verified: ${r.events}.`));
  const t = el("table", { class: "fields counts" }, el("tr", { class: "section" }, el("th", { colspan: "2" }, "Events by kind / Hendelser per type")));
  for (const [k, n] of [...r.kinds.entries()].sort()) t.append(el("tr", { "data-kind": k }, el("th", {}, visible(k)), el("td", {}, String(n))));
  box.append(el("p", {}, `First event / Første hendelse: ${visible(r.first ?? "–")} · Last / Siste: ${visible(r.last ?? "–")}`), t);
  return box;
}
const verdictBannerFor = verdictBanner;

function card(title) {
  const c = el("section", { class: "card" }, el("h2", {}, visible(title)));
  $("results").append(c);
  return c;
}

async function handleFile(file) {
  const c = card(file.name);
  c.setAttribute("data-file", file.name);
  c.append(el("div", { class: "busy" }, "Checking…"));
  try {
    const buf = new Uint8Array(await file.arrayBuffer());
    const head = String.fromCharCode(...buf.subarray(0, 5));
    let text = null;
    if (head !== "%PDF-") { try { text = new TextDecoder("utf-8", { fatal: true }).decode(buf); } catch { text = null; } }
    const report = text !== null ? await V.verifyBundle(text) : null;
    c.querySelector(".busy").remove();
    if (report) {
      c.classList.add("bundle-card");
      c.append(bundleView(report));
      if (!report.problem) { bundleReport = report; markSuperseded(); }
      c.setAttribute("data-verdict", c.querySelector(".verdict").dataset.verdict);
      return;
    }
    const r = await V.verifyPdf(file.name, buf);
    c.setAttribute("data-verdict", r.verdict);
    c.append(verdictBanner(r));
    if (r.verdict === V.VALID) {
      c.append(el("p", { class: "compare" }, "Kontroller at siden viser det samme som det signerte innholdet nedenfor. / Check that the page shows the same as the signed content below: this verifier checks the signatures and the file's structure, not the drawing of the page (wipe-station certificate verify does)."));
    }
    for (const doc of r.docs || []) {
      known.set(doc.number, doc);
      c.append(signedView(doc));
      if (doc.kind === "certificate") certCards.push([c, doc]);
    }
    markSuperseded();
  } catch (e) {
    c.querySelector(".busy")?.remove();
    c.setAttribute("data-verdict", V.FORGED);
    c.append(verdictBanner({ verdict: V.FORGED, reason: `the file cannot be read one way only (${e && e.message})` }));
  }
}

async function handleFiles(files) {
  $("status").textContent = `Checking ${files.length} file(s)…`;
  const started = performance.now();
  for (const f of files) await handleFile(f);
  $("status").textContent = `Checked ${files.length} file(s) in ${((performance.now() - started) / 1000).toFixed(1)} s.`;
  $("status").setAttribute("data-done", String(document.querySelectorAll(".card").length));
}

async function checkQr(text) {
  const c = card(`QR: ${text.slice(0, 40)}${text.length > 40 ? "…" : ""}`);
  c.classList.add("qr-card");
  const r = await V.verifyQr(text, known);
  c.setAttribute("data-verdict", r.verdict);
  c.append(verdictBanner(r));
  if (r.doc) c.append(signedView(r.doc));
}

function keysView() {
  const list = $("keys");
  for (const k of V.DATA.keys) list.append(el("li", { "data-station": k.station }, el("strong", {}, visible(k.station)), ` ${visible(k.name)} — SHA-256 `, el("code", {}, k.fingerprint)));
  $("version").textContent = V.DATA.version;
  $("made").textContent = V.DATA.made_at;
}

async function scanner() {
  // A camera and the browser's BarcodeDetector: offered only where both exist.
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices?.getUserMedia) return;
  const formats = await BarcodeDetector.getSupportedFormats().catch(() => []);
  if (!formats.includes("qr_code")) return;
  const button = $("scan");
  button.hidden = false;
  button.addEventListener("click", async () => {
    const video = $("camera");
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.srcObject = stream; video.hidden = false; await video.play();
    const detector = new BarcodeDetector({ formats: ["qr_code"] });
    const tick = async () => {
      const codes = await detector.detect(video).catch(() => []);
      if (codes.length) { stream.getTracks().forEach((t) => t.stop()); video.hidden = true; await checkQr(codes[0].rawValue); return; }
      requestAnimationFrame(tick);
    };
    tick();
  });
}

async function main() {
  await V.loadKeys();
  keysView();
  const drop = $("drop");
  $("pick").addEventListener("change", (e) => handleFiles([...e.target.files]));
  for (const ev of ["dragenter", "dragover"]) drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); handleFiles([...e.dataTransfer.files]); });
  // Dropping a file elsewhere must not make the browser navigate away to it.
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => e.preventDefault());
  $("qr-form").addEventListener("submit", (e) => { e.preventDefault(); const t = $("qr-text").value; if (t.trim()) checkQr(t); });
  $("clear").addEventListener("click", () => { $("results").replaceChildren(); known.clear(); certCards.length = 0; bundleReport = null; $("status").textContent = ""; });
  await scanner();
  document.body.setAttribute("data-ready", "1");
}

main().catch((e) => { document.body.setAttribute("data-ready", "error"); $("status").textContent = `This browser cannot run the verifier: ${e.message}`; });
