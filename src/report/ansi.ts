// Terminal colours in step logs, rendered rather than stripped: a red "FAIL" is how a person finds
// the failure in 2,000 lines. SGR codes become <span class="a-…"> classes (the CSP forbids style
// attributes); 256-colour and true-colour codes map to the nearest of the 16 basic colours.
// Everything else (cursor moves, OSC titles, lone control bytes) is dropped. The output is one
// HTML string per line with every span closed at the line's end and reopened on the next, so
// the caller may cut the lines anywhere (the collapsed head of a long log, the tail shown).

interface Sgr {
  fg?: number;
  bg?: number;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
}

// CSI (any final byte), OSC (ended by BEL or ST), other two-byte escapes.
const ESCAPE = /\x1b\[([0-9;:?]*)[ -/]*([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?/g;
const CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

const BASIC_RGB: Array<[number, number, number]> = [
  [0, 0, 0], [205, 49, 49], [13, 188, 121], [229, 229, 16], [36, 114, 200], [188, 63, 188], [17, 168, 205], [229, 229, 229],
  [102, 102, 102], [241, 76, 76], [35, 209, 139], [245, 245, 67], [59, 142, 234], [214, 112, 214], [41, 184, 219], [255, 255, 255],
];

function nearestBasic(r: number, g: number, b: number): number {
  let best = 0;
  let bestD = Infinity;
  BASIC_RGB.forEach(([R, G, B], i) => {
    const d = (R - r) ** 2 + (G - g) ** 2 + (B - b) ** 2;
    if (d < bestD) [best, bestD] = [i, d];
  });
  return best;
}

function from256(n: number): number {
  if (n < 16) return n;
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return nearestBasic(v, v, v);
  }
  const i = n - 16;
  const level = (x: number): number => (x === 0 ? 0 : 55 + x * 40);
  return nearestBasic(level(Math.floor(i / 36)), level(Math.floor(i / 6) % 6), level(i % 6));
}

function applySgr(state: Sgr, params: string): Sgr {
  const codes = params === '' ? [0] : params.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)));
  let s: Sgr = { ...state };
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c === 0) s = {};
    else if (c === 1) s.bold = true;
    else if (c === 2) s.dim = true;
    else if (c === 3) s.italic = true;
    else if (c === 4) s.underline = true;
    else if (c === 22) delete s.bold, delete s.dim;
    else if (c === 23) delete s.italic;
    else if (c === 24) delete s.underline;
    else if (c >= 30 && c <= 37) s.fg = c - 30;
    else if (c >= 90 && c <= 97) s.fg = c - 90 + 8;
    else if (c === 39) delete s.fg;
    else if (c >= 40 && c <= 47) s.bg = c - 40;
    else if (c >= 100 && c <= 107) s.bg = c - 100 + 8;
    else if (c === 49) delete s.bg;
    else if (c === 38 || c === 48) {
      let colour: number | undefined;
      if (codes[i + 1] === 5) {
        colour = from256(codes[i + 2] ?? 0);
        i += 2;
      } else if (codes[i + 1] === 2) {
        colour = nearestBasic(codes[i + 2] ?? 0, codes[i + 3] ?? 0, codes[i + 4] ?? 0);
        i += 4;
      }
      if (colour !== undefined && colour >= 0 && colour < 16) {
        if (c === 38) s.fg = colour;
        else s.bg = colour;
      }
    }
  }
  return s;
}

function classesOf(s: Sgr): string {
  const out: string[] = [];
  if (s.fg !== undefined) out.push(`a-f${s.fg}`);
  if (s.bg !== undefined) out.push(`a-b${s.bg}`);
  if (s.bold) out.push('a-bold');
  if (s.dim) out.push('a-dim');
  if (s.italic) out.push('a-italic');
  if (s.underline) out.push('a-u');
  return out.join(' ');
}

// The classes fully describe a state, so (classes, codes) → next state can be remembered:
// logs repeat the same few codes thousands of times.
const SGR_MEMO = new Map<string, { state: Sgr; classes: string }>();

/**
 * Log text → one HTML line per log line. The caller masks secrets in the whole log first (so an
 * escape code cannot split a secret unseen); `text` masks and escapes each plain piece again.
 */
export function ansiToHtmlLines(log: string, text: (s: string) => string): string[] {
  // A progress bar redraws its line with \r: keep what the line said last.
  const lines = log.replace(/\r\n/g, '\n').split('\n').map((l) => {
    const cr = l.lastIndexOf('\r', l.length - 2);
    return (cr >= 0 ? l.slice(cr + 1) : l).replace(/\r$/, '');
  });
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  let state: Sgr = {};
  const out: string[] = new Array<string>(lines.length);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    let open = classesOf(state);
    // Most lines carry no escape code at all.
    if (!line.includes('\x1b')) {
      const plain = text(line.replace(CONTROL, ''));
      out[i] = open === '' ? plain : `<span class="${open}">${plain}</span>`;
      continue;
    }
    let html = open === '' ? '' : `<span class="${open}">`;
    let last = 0;
    for (const m of line.matchAll(ESCAPE)) {
      if (m.index > last) html += text(line.slice(last, m.index).replace(CONTROL, ''));
      last = m.index + m[0].length;
      if (m[2] !== 'm') continue; // not a colour: dropped
      const memo = `${open}|${m[1] ?? ''}`;
      let hit = SGR_MEMO.get(memo);
      if (hit === undefined) {
        const st = applySgr(state, m[1] ?? '');
        hit = { state: st, classes: classesOf(st) };
        if (SGR_MEMO.size < 4096) SGR_MEMO.set(memo, hit);
      }
      state = hit.state;
      const next = hit.classes;
      if (next === open) continue;
      if (open !== '') html += '</span>';
      if (next !== '') html += `<span class="${next}">`;
      open = next;
    }
    if (last < line.length) html += text(line.slice(last).replace(CONTROL, ''));
    if (open !== '') html += '</span>';
    out[i] = html;
  }
  return out;
}
