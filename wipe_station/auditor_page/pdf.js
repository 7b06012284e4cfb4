// A minimal, strict PDF reader: the objects the xref names, their streams, the page tree and the
// embedded files. It refuses, as FORGED, every structure the station never writes, and anything
// that two PDF readers could read two ways (docs/auditor-verifier.md).
"use strict";

class Forged extends Error {}
class Unreadable extends Error {}

class Name { constructor(v) { this.v = v; } }
class Ref { constructor(n, g) { this.n = n; this.g = g; } }
class PStr { constructor(bytes) { this.bytes = bytes; } }
class Dict { constructor(map) { this.map = map; } get(k) { return this.map.get(k); } has(k) { return this.map.has(k); } }
class Stream { constructor(dict, data) { this.dict = dict; this.data = data; } }

const WS = new Set([0, 9, 10, 12, 13, 32]);
const DELIM = new Set([40, 41, 60, 62, 91, 93, 123, 125, 47, 37]);
const latin1 = (bytes) => { let s = ""; for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192)); return s; };

function pdfStringText(bytes) {
  // PDF text strings: UTF-16BE with a BOM, else PDFDocEncoding (Latin-1 for the names we use).
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    let s = "";
    for (let i = 2; i + 1 < bytes.length; i += 2) s += String.fromCharCode((bytes[i] << 8) | bytes[i + 1]);
    return s;
  }
  return latin1(bytes);
}

class Lexer {
  constructor(buf, pos) { this.b = buf; this.p = pos; }
  ws() {
    const b = this.b;
    for (;;) {
      while (this.p < b.length && WS.has(b[this.p])) this.p++;
      if (b[this.p] === 37) { while (this.p < b.length && b[this.p] !== 10 && b[this.p] !== 13) this.p++; } else return;
    }
  }
  regular() {
    const b = this.b, s = this.p;
    while (this.p < b.length && !WS.has(b[this.p]) && !DELIM.has(b[this.p])) this.p++;
    return latin1(b.subarray(s, this.p));
  }
  keyword(word) {
    this.ws();
    const got = this.regular();
    if (got !== word) throw new Unreadable(`expected "${word}" at byte ${this.p}, found "${got.slice(0, 20)}"`);
  }
  value() {
    this.ws();
    const b = this.b, c = b[this.p];
    if (this.p >= b.length) throw new Unreadable("the file ends in the middle of an object");
    if (c === 47) { this.p++; return new Name(this.nameText()); }
    if (c === 40) return this.literal();
    if (c === 60 && b[this.p + 1] === 60) return this.dict();
    if (c === 60) return this.hex();
    if (c === 91) {
      this.p++; const out = [];
      for (;;) { this.ws(); if (b[this.p] === 93) { this.p++; return out; } if (this.p >= b.length) throw new Unreadable("an array never ends"); out.push(this.value()); }
    }
    const word = this.regular();
    if (word === "true") return true;
    if (word === "false") return false;
    if (word === "null") return null;
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(word)) {
      if (/^\d+$/.test(word)) {
        const save = this.p; this.ws();
        const g = this.regular();
        if (/^\d+$/.test(g)) { this.ws(); if (this.regular() === "R") return new Ref(Number(word), Number(g)); }
        this.p = save;
      }
      return Number(word);
    }
    throw new Unreadable(`unexpected "${word.slice(0, 20) || String.fromCharCode(c)}" at byte ${this.p}`);
  }
  nameText() {
    const raw = this.regular();
    return raw.replace(/#([0-9A-Fa-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16)));
  }
  dict() {
    this.p += 2; const map = new Map();
    for (;;) {
      this.ws();
      const b = this.b;
      if (b[this.p] === 62 && b[this.p + 1] === 62) { this.p += 2; return new Dict(map); }
      if (this.p >= b.length) throw new Unreadable("a dictionary never ends");
      if (b[this.p] !== 47) throw new Unreadable(`a dictionary key is not a name at byte ${this.p}`);
      this.p++;
      const key = this.nameText();
      if (map.has(key)) throw new Forged(`a dictionary defines /${key} twice (readers disagree on which one counts)`);
      map.set(key, this.value());
    }
  }
  literal() {
    const b = this.b, out = []; let depth = 1; this.p++;
    while (this.p < b.length) {
      const c = b[this.p++];
      if (c === 92) {
        const e = b[this.p++];
        const simple = { 110: 10, 114: 13, 116: 9, 98: 8, 102: 12, 40: 40, 41: 41, 92: 92 };
        if (e in simple) out.push(simple[e]);
        else if (e >= 48 && e <= 55) {
          let v = e - 48;
          for (let k = 0; k < 2 && b[this.p] >= 48 && b[this.p] <= 55; k++) v = v * 8 + b[this.p++] - 48;
          out.push(v & 255);
        } else if (e === 13) { if (b[this.p] === 10) this.p++; } else if (e !== 10) out.push(e);
      } else if (c === 40) { depth++; out.push(c); } else if (c === 41) { if (--depth === 0) return new PStr(Uint8Array.from(out)); out.push(c); } else out.push(c);
    }
    throw new Unreadable("a string never ends");
  }
  hex() {
    const b = this.b; this.p++; let digits = "";
    while (this.p < b.length && b[this.p] !== 62) { const ch = String.fromCharCode(b[this.p++]); if (/[0-9A-Fa-f]/.test(ch)) digits += ch; else if (!/\s/.test(ch)) throw new Unreadable("a hex string holds a non-hex character"); }
    this.p++;
    if (digits.length % 2) digits += "0";
    const out = new Uint8Array(digits.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.substr(i * 2, 2), 16);
    return new PStr(out);
  }
}

async function inflate(bytes) {
  const ds = new DecompressionStream("deflate");
  const stream = new Blob([bytes]).stream().pipeThrough(ds);
  try {
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Unreadable("a compressed stream is damaged");
  }
}

function ascii85(bytes) {
  // PDF 1.7 7.4.3: groups of five characters '!'..'u' to four bytes, 'z' for four zeros, '~>' ends.
  const out = []; let group = [];
  const flush = (n) => { let v = 0; for (let i = 0; i < 5; i++) v = v * 85 + (i < group.length ? group[i] : 84); for (let i = 0; i < n; i++) out.push((v >>> (24 - 8 * i)) & 255); };
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (WS.has(c)) continue;
    if (c === 126) break;
    if (c === 122 && group.length === 0) { out.push(0, 0, 0, 0); continue; }
    if (c < 33 || c > 117) throw new Unreadable("an ASCII85 stream holds an invalid character");
    group.push(c - 33);
    if (group.length === 5) { flush(4); group = []; }
  }
  if (group.length === 1) throw new Unreadable("an ASCII85 stream ends in the middle of a group");
  if (group.length) flush(group.length - 1);
  return Uint8Array.from(out);
}

function unpredict(data, parms) {
  // PNG predictors (what qpdf and others write for xref streams); TIFF's is never written here.
  const pred = parms ? (parms.get("Predictor") || 1) : 1;
  if (pred === 1) return data;
  if (pred < 10) throw new Unreadable(`stream predictor ${pred} is not supported`);
  const cols = parms.get("Columns") || 1, colors = parms.get("Colors") || 1, bpc = parms.get("BitsPerComponent") || 8;
  const bpp = Math.max(1, Math.ceil((colors * bpc) / 8)), row = Math.ceil((cols * colors * bpc) / 8);
  const rows = Math.floor(data.length / (row + 1)), out = new Uint8Array(rows * row);
  for (let r = 0; r < rows; r++) {
    const type = data[r * (row + 1)], src = r * (row + 1) + 1, dst = r * row;
    for (let i = 0; i < row; i++) {
      const x = data[src + i], a = i >= bpp ? out[dst + i - bpp] : 0, up = r ? out[dst - row + i] : 0, ul = r && i >= bpp ? out[dst - row + i - bpp] : 0;
      let v;
      if (type === 0) v = x; else if (type === 1) v = x + a; else if (type === 2) v = x + up; else if (type === 3) v = x + ((a + up) >> 1);
      else if (type === 4) { const p = a + up - ul, pa = Math.abs(p - a), pb = Math.abs(p - up), pc = Math.abs(p - ul); v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? up : ul); } else throw new Unreadable("a PNG predictor row type is invalid");
      out[dst + i] = v & 255;
    }
  }
  return out;
}

class PdfFile {
  constructor(buf) { this.b = buf; this.trailer = null; this.streamRanges = []; this.offsets = new Map(); this.inStream = new Map(); this.cache = new Map(); this.objstms = new Map(); }

  static async open(buf) {
    const pdf = new PdfFile(buf);
    await pdf.readXref();
    return pdf;
  }

  async readXref() {
    const b = this.b, tail = latin1(b.subarray(Math.max(0, b.length - 2048)));
    const m = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(tail);
    if (!m) throw new Unreadable("the file does not end with its cross-reference offset: it is truncated or damaged");
    // Sections are read newest first along /Prev (a linearised file has two). An object number
    // that two sections both define is an update that replaced it: refused, as every reader
    // would have to pick one body (docs/auditor-verifier.md).
    const roots = new Set(), visited = new Set();
    let at = Number(m[1]);
    while (at !== null) {
      if (visited.has(at) || visited.size > 16) throw new Unreadable("the cross-reference sections loop");
      visited.add(at);
      if (at >= b.length) throw new Unreadable("a cross-reference offset points past the end of the file");
      const section = new Map(), inStream = new Map();
      const trailer = await this.readSection(at, section, inStream);
      for (const [num, v] of section) {
        if (this.offsets.has(num) || this.inStream.has(num)) throw new Forged(`object ${num} is defined twice: the file was changed after it was written (an incremental update)`);
        this.offsets.set(num, v);
      }
      for (const [num, v] of inStream) {
        if (this.offsets.has(num) || this.inStream.has(num)) throw new Forged(`object ${num} is defined twice: the file was changed after it was written (an incremental update)`);
        this.inStream.set(num, v);
      }
      if (!(trailer instanceof Dict)) throw new Unreadable("the trailer is damaged");
      if (!this.trailer) this.trailer = trailer;
      const root = trailer.get("Root");
      if (root instanceof Ref) roots.add(`${root.n} ${root.g}`);
      if (trailer.has("Encrypt")) throw new Forged("the file is encrypted, which the station never does");
      if (trailer.has("XRefStm")) throw new Forged("the file has a hybrid cross-reference (/XRefStm), which the station never writes");
      const prev = trailer.get("Prev");
      at = typeof prev === "number" ? prev : null;
    }
    if (roots.size > 1) throw new Forged(`the trailers name ${roots.size} different catalogues (more than one /Root)`);
  }

  async readSection(at, section, inStream) {
    const b = this.b, lx = new Lexer(b, at); lx.ws();
    const save = lx.p; const word = lx.regular();
    if (word === "xref") {
      for (;;) {
        lx.ws(); const w = lx.regular();
        if (w === "trailer") break;
        if (!/^\d+$/.test(w)) throw new Unreadable("the cross-reference table is damaged");
        lx.ws(); const count = Number(lx.regular());
        lx.ws();
        const first = Number(w);
        for (let i = 0; i < count; i++) {
          const e = /^(\d{10}) (\d{5}) ([nf])/.exec(latin1(b.subarray(lx.p, lx.p + 20)));
          if (!e) throw new Unreadable("the cross-reference table is damaged");
          if (e[3] === "n") {
            if (section.has(first + i)) throw new Forged(`object ${first + i} is listed twice in one cross-reference table`);
            section.set(first + i, Number(e[1]));
          }
          lx.p += 20; lx.ws();
        }
      }
      return lx.value();
    }
    lx.p = save;
    const obj = await this.parseAt(at, null);
    if (!(obj instanceof Stream) || obj.dict.get("Type")?.v !== "XRef") throw new Unreadable("the cross-reference section is damaged");
    await this.readXrefStream(obj, section, inStream);
    return obj.dict;
  }

  async readXrefStream(obj, section, inStream) {
    const data = await this.decode(obj);
    const w = obj.dict.get("W"), size = obj.dict.get("Size");
    const index = obj.dict.get("Index") || [0, size];
    if (!Array.isArray(w) || w.length !== 3) throw new Unreadable("the cross-reference stream is damaged");
    let p = 0; const field = (n, dflt) => { if (n === 0) return dflt; let v = 0; for (let i = 0; i < n; i++) v = v * 256 + data[p++]; return v; };
    for (let k = 0; k < index.length; k += 2) {
      for (let i = 0; i < index[k + 1]; i++) {
        if (p + w[0] + w[1] + w[2] > data.length) throw new Unreadable("the cross-reference stream is truncated");
        const type = field(w[0], 1), f2 = field(w[1], 0), f3 = field(w[2], 0), num = index[k] + i;
        if (type === 1) section.set(num, f2); else if (type === 2) inStream.set(num, [f2, f3]);
      }
    }
  }

  objectNumbers() { return [...this.offsets.keys(), ...this.inStream.keys()].sort((a, b) => a - b); }

  async parseAt(offset, expect) {
    const lx = new Lexer(this.b, offset);
    lx.ws(); const n = lx.regular(); lx.ws(); const g = lx.regular(); lx.keyword("obj");
    if (!/^\d+$/.test(n) || !/^\d+$/.test(g)) throw new Unreadable(`the cross-reference table points at byte ${offset}, where no object starts`);
    if (expect !== null && Number(n) !== expect) throw new Unreadable(`the cross-reference table points object ${expect} at object ${n}`);
    const v = lx.value();
    lx.ws(); const save = lx.p; const w = lx.regular();
    if (w === "stream" && v instanceof Dict) {
      if (this.b[lx.p] === 13) lx.p++;
      if (this.b[lx.p] === 10) lx.p++;
      let len = v.get("Length");
      if (len instanceof Ref) len = await this.get(len);
      if (typeof len !== "number" || len < 0 || lx.p + len > this.b.length) throw new Unreadable(`object ${n}'s stream length is wrong`);
      const data = this.b.subarray(lx.p, lx.p + len);
      this.streamRanges.push([lx.p, lx.p + len]);
      lx.p += len;
      lx.keyword("endstream");
      lx.keyword("endobj");
      return new Stream(v, data);
    }
    lx.p = save;
    lx.keyword("endobj");
    return v;
  }

  async get(x) {
    if (!(x instanceof Ref)) return x;
    if (this.cache.has(x.n)) return this.cache.get(x.n);
    let v;
    if (this.offsets.has(x.n)) v = await this.parseAt(this.offsets.get(x.n), x.n);
    else if (this.inStream.has(x.n)) v = await this.fromObjStm(x.n);
    else v = null; // PDF: a reference to an undefined object is null
    this.cache.set(x.n, v);
    return v;
  }

  async fromObjStm(num) {
    const [sn, idx] = this.inStream.get(num);
    let table = this.objstms.get(sn);
    if (!table) {
      const st = await this.get(new Ref(sn, 0));
      if (!(st instanceof Stream)) throw new Unreadable(`object stream ${sn} is missing`);
      const data = await this.decode(st), first = st.dict.get("First"), count = st.dict.get("N");
      const lx = new Lexer(data, 0), pairs = [];
      for (let i = 0; i < count; i++) { lx.ws(); const on = Number(lx.regular()); lx.ws(); pairs.push([on, Number(lx.regular())]); }
      table = { data, first, pairs };
      this.objstms.set(sn, table);
    }
    const pair = table.pairs[idx];
    if (!pair || pair[0] !== num) throw new Unreadable(`object ${num} is not where the cross-reference stream says`);
    return new Lexer(table.data, table.first + pair[1]).value();
  }

  async decode(stream) {
    let filters = await this.get(stream.dict.get("Filter"));
    let parms = await this.get(stream.dict.get("DecodeParms"));
    if (filters === undefined || filters === null) return stream.data;
    if (!Array.isArray(filters)) { filters = [filters]; parms = [parms]; }
    if (!Array.isArray(parms)) parms = [parms];
    let data = stream.data;
    for (let i = 0; i < filters.length; i++) {
      const f = filters[i] instanceof Name ? filters[i].v : "?";
      if (f === "ASCII85Decode") data = ascii85(data);
      else if (f === "ASCIIHexDecode") data = new Lexer(Uint8Array.from([60, ...data.filter((c) => c !== 62), 62]), 0).hex().bytes;
      else if (f === "FlateDecode") data = unpredict(await inflate(data), parms[i] instanceof Dict ? parms[i] : null);
      else throw new Forged(`a stream is encoded with /${f}, which the station never writes`);
    }
    return data;
  }
}

const ANNOT_TYPES = new Set(["Annot", "Widget", "Link"]);
// The shared list (issue 26's docs/verification.md, "Strict structure"), beyond those named above.
const NEVER_WRITTEN = ["PrintArea", "PrintClip", "NumCopies", "Collection", "XFA", "Threads", "PieceInfo", "UserUnit", "Alternates", "AF", "URI"];
const ACTIONS = new Set(["Launch", "URI", "SubmitForm", "GoToR", "GoToE"]);
const FILTERS = new Set(["FlateDecode", "ASCIIHexDecode", "ASCII85Decode", "LZWDecode", "RunLengthDecode", "DCTDecode"]);

// Every structure the station never writes, looked for in every object, nested or not.
function refuseStructures(value, where, seen) {
  if (value instanceof Stream) return refuseStructures(value.dict, where, seen);
  if (Array.isArray(value)) { for (const v of value) refuseStructures(v, where, seen); return; }
  if (!(value instanceof Dict)) return;
  const m = value.map;
  const type = m.get("Type"), sub = m.get("S");
  if (m.has("JS") || (sub instanceof Name && sub.v === "JavaScript")) throw new Forged(`${where} holds JavaScript`);
  const action = m.get("OpenAction");
  if (action instanceof Dict && (action.has("JS") || action.get("S")?.v === "JavaScript")) throw new Forged(`${where} holds JavaScript that runs when the file opens (/OpenAction)`);
  if (m.has("OpenAction")) throw new Forged(`${where} has an /OpenAction (something runs when the file opens)`);
  if (m.has("AA")) throw new Forged(`${where} has /AA (additional actions)`);
  if (m.has("AcroForm")) throw new Forged(`${where} has an /AcroForm (form fields)`);
  if (m.has("Annots")) throw new Forged(`${where} has annotations (/Annots)`);
  if (type instanceof Name && ANNOT_TYPES.has(type.v)) throw new Forged(`${where} is an annotation`);
  if (m.has("OCProperties") || m.has("OC") || (type instanceof Name && (type.v === "OCG" || type.v === "OCMD"))) throw new Forged(`${where} uses optional content (layers a viewer may show or hide)`);
  if (sub instanceof Name && sub.v === "FileAttachment") throw new Forged(`${where} attaches a file outside the embedded-files name tree`);
  if (m.has("PrintPageRange") || m.has("PrintScaling")) throw new Forged(`${where} sets viewer print options (/ViewerPreferences)`);
  if (m.has("JavaScript")) throw new Forged(`${where} has a /JavaScript name tree`);
  for (const k of NEVER_WRITTEN) if (m.has(k)) throw new Forged(`${where} has /${k}, which the station never writes`);
  if (sub instanceof Name && ACTIONS.has(sub.v)) throw new Forged(`${where} is a /${sub.v} action, which the station never writes`);
  if (type instanceof Name && type.v === "Page" && m.has("Kids")) throw new Forged(`${where} is a /Page with /Kids`);
  for (const [k, v] of m) if (k !== "Parent") refuseStructures(v, where, seen);
}

async function readStrictPdf(buf) {
  const pdf = await PdfFile.open(buf);
  // Every object, whether or not anything points at it: a viewer that repairs a file may find it.
  let catalogs = 0;
  for (const n of pdf.objectNumbers()) {
    const obj = await pdf.get(new Ref(n, 0));
    refuseStructures(obj, `object ${n}`);
    if (obj instanceof Stream) {
      let f = await pdf.get(obj.dict.get("Filter"));
      for (const x of Array.isArray(f) ? f : f ? [f] : []) {
        const name = x instanceof Name ? x.v : String(x);
        if (!FILTERS.has(name)) throw new Forged(`object ${n} is encoded with /${name}, which the station never writes`);
      }
    }
    const d = obj instanceof Stream ? obj.dict : obj;
    if (d instanceof Dict && d.get("Type") instanceof Name && d.get("Type").v === "Catalog") catalogs++;
  }
  refuseStructures(pdf.trailer, "the trailer");
  // Two bodies for one object number: readers that follow the xref and readers that repair by
  // scanning would read different files. Stream data is skipped (it is not PDF syntax).
  const text = latin1(buf), defined = new Map();
  for (const m of text.matchAll(/(?<![0-9])(\d+)[ \t\r\n]+(\d+)[ \t\r\n]+obj\b/g)) {
    if (pdf.streamRanges.some(([a, b]) => m.index >= a && m.index < b)) continue;
    if (defined.has(m[1])) throw new Forged(`object ${m[1]} is defined twice (at bytes ${defined.get(m[1])} and ${m.index})`);
    defined.set(m[1], m.index);
  }
  if (catalogs > 1) throw new Forged(`the file holds ${catalogs} catalogues (more than one /Root)`);
  const root = await pdf.get(pdf.trailer.get("Root"));
  if (!(root instanceof Dict) || root.get("Type")?.v !== "Catalog") throw new Unreadable("the file has no catalogue (/Root)");
  const pages = [];
  const seen = new Set();
  async function walk(ref, depth) {
    if (depth > 64) throw new Forged("the page tree is nested too deeply");
    if (ref instanceof Ref) { if (seen.has(ref.n)) throw new Forged(`the page tree visits object ${ref.n} twice`); seen.add(ref.n); }
    const node = await pdf.get(ref);
    const type = node instanceof Dict ? node.get("Type") : undefined;
    const t = type instanceof Name ? type.v : String(type);
    if (t === "Page") { pages.push(node); return 1; }
    if (t !== "Pages") throw new Forged(`the page tree holds a node of type /${t}, neither /Page nor /Pages`);
    const kids = await pdf.get(node.get("Kids"));
    if (!Array.isArray(kids)) throw new Forged("a page-tree node has no /Kids array");
    let count = 0;
    for (const kid of kids) count += await walk(kid, depth + 1);
    if ((await pdf.get(node.get("Count"))) !== count) throw new Forged(`a page-tree node says /Count ${node.get("Count")} but holds ${count} pages`);
    return count;
  }
  await walk(root.get("Pages"), 0);
  if (!pages.length) throw new Unreadable("the PDF has no pages");
  // Embedded files, by their name in the name tree (PDF 1.7 7.9.6).
  const files = [];
  const names = await pdf.get(root.get("Names"));
  if (names instanceof Dict) {
    const visited = new Set();
    async function tree(ref, depth) {
      if (depth > 32) throw new Forged("the embedded-files name tree is nested too deeply");
      if (ref instanceof Ref) { if (visited.has(ref.n)) throw new Forged("the embedded-files name tree loops"); visited.add(ref.n); }
      const node = await pdf.get(ref);
      if (!(node instanceof Dict)) return;
      const kids = await pdf.get(node.get("Kids"));
      if (Array.isArray(kids)) for (const k of kids) await tree(k, depth + 1);
      const arr = await pdf.get(node.get("Names"));
      if (Array.isArray(arr)) {
        for (let i = 0; i + 1 < arr.length; i += 2) {
          const key = await pdf.get(arr[i]);
          const spec = await pdf.get(arr[i + 1]);
          if (!(key instanceof PStr)) throw new Forged("an embedded file's name is not a string");
          const ef = spec instanceof Dict ? await pdf.get(spec.get("EF")) : null;
          const streamRef = ef instanceof Dict ? (ef.get("F") ?? ef.get("UF")) : null;
          const stream = await pdf.get(streamRef);
          if (!(stream instanceof Stream)) throw new Forged(`the embedded file "${pdfStringText(key.bytes)}" has no content`);
          files.push({ name: pdfStringText(key.bytes), data: await pdf.decode(stream) });
        }
      }
    }
    await tree(names.get("EmbeddedFiles"), 0);
  }
  const pageTexts = [];
  for (const page of pages) {
    let contents = await pdf.get(page.get("Contents"));
    if (!Array.isArray(contents)) contents = [contents];
    let text = "";
    for (const c of contents) { const s = await pdf.get(c); if (s instanceof Stream) text += latin1(await pdf.decode(s)) + "\n"; }
    pageTexts.push(text);
  }
  return { pages: pageTexts, files };
}

window.WSPdf = { readStrictPdf, Forged, Unreadable };
