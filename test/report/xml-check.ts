// A small XML well-formedness check for the report's feed and badges (no XML parser among the
// dependencies; the browser test parses them with Chromium's DOMParser as well): tags balance,
// attributes are quoted, every & starts an entity, no raw < in text, no control characters.
import assert from 'node:assert/strict';

export function assertWellFormedXml(xml: string, what: string): void {
  assert.doesNotMatch(xml, /[\x00-\x08\x0b\x0c\x0e-\x1f]/, `${what}: control character`);
  const body = xml.replace(/^<\?xml [^?]*\?>\s*/, '');
  const stack: string[] = [];
  const token = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)|(<)/g;
  let roots = 0;
  for (const m of body.matchAll(token)) {
    if (m[6] !== undefined) assert.fail(`${what}: a raw < at ${m.index}: ${body.slice(m.index, m.index + 40)}`);
    const text = m[5];
    if (text !== undefined) {
      assert.doesNotMatch(text, /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i, `${what}: bare & in ${text.slice(0, 40)}`);
      if (stack.length === 0) assert.match(text, /^\s*$/, `${what}: text outside the root`);
      continue;
    }
    for (const a of (m[3] ?? '').matchAll(/="([^"]*)"/g)) assert.doesNotMatch(a[1] ?? '', /&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i, `${what}: bare & in an attribute`);
    const name = m[2]!;
    if (m[1] === '/') {
      assert.equal(stack.pop(), name, `${what}: </${name}> closes the wrong element`);
    } else if (m[4] !== '/') {
      if (stack.length === 0) roots++;
      stack.push(name);
    } else if (stack.length === 0) roots++;
  }
  assert.deepEqual(stack, [], `${what}: unclosed elements`);
  assert.equal(roots, 1, `${what}: one root element`);
}
