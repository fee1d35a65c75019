// Every string of a log is the attacker's: a path, an argument, a program's name. Everything put
// into the page goes through esc(), which makes it text in HTML and SVG alike (element content and
// double-quoted attribute values): & < > " ' become entities; control characters, which HTML may
// not carry, and the bidirectional overrides and invisible marks, which can make a path read as another, become
// visible \xNN / \u{…} forms.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

// C0 and C1 controls except tab, newline; DEL; the zero-width characters and direction marks
// (U+200B–U+200F, U+061C, U+2060); the bidi embeddings, overrides and isolates; lone surrogates.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2060\u202a-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

export function visible(s: string): string {
  return s.replace(INVISIBLE, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`;
  });
}

export function esc(s: string | number): string {
  return visible(String(s)).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** At most `max` characters (code points), with an ellipsis: for labels in a chart. */
export function clip(s: string, max: number): string {
  const cps = [...s];
  return cps.length <= max ? s : cps.slice(0, max - 1).join('') + '…';
}
